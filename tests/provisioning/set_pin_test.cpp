// `comptoir-provision set-pin` and the demo's PIN, through the real binary: the PIN comes
// on stdin, the answer is French and English, a bad PIN is refused with the next step and
// changes nothing; on a fresh appliance the cache is made (and enrolment with the real
// comptoir-portal works on it); the data directory comes from --data or the config.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "runtime/appliance.hpp"
#include "runtime/technician_pin.hpp"
#include "tests/e2e/sync_support.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef COMPTOIR_BIN_DIR
#error "COMPTOIR_BIN_DIR must name the directory holding comptoir-provision"
#endif

namespace comptoir::test {
namespace {

RunResult provision(std::vector<std::string> args, std::string_view input = {}) {
  args.insert(args.begin(), std::string(COMPTOIR_BIN_DIR) + "/comptoir-provision");
  return run(args, input);
}

// Whether `pin` opens the technician screen of the cache in `dir` (read after the tool ended).
bool opens(const TempDir &dir, std::string_view pin) {
  auto db = db::Database::open(dir.file(db::Database::kFileName), {.create = false});
  REQUIRE(db.ok());
  auto r = check_technician_pin(**db, pin);
  INFO((r ? std::string() : r.error().code));
  REQUIRE(r.ok());
  return *r;
}

// The same, for a data directory given by path.
bool opens_at(const std::string &data, std::string_view pin) {
  auto db = db::Database::open(data + "/" + db::Database::kFileName, {.create = false});
  REQUIRE(db.ok());
  auto r = check_technician_pin(**db, pin);
  REQUIRE(r.ok());
  return *r;
}

unsigned mode_of(const std::string &path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void require_exit(const RunResult &r, int code) {
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == code);
}

// comptoir-provision with a pseudo-terminal as stdin, stdout and stderr: what a technician
// at a console sees. The test keeps its own descriptor of the terminal's slave side, so it
// can read the terminal's settings after the tool ended.
class OnTerminal {
 public:
  explicit OnTerminal(const std::vector<std::string> &args) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master_ >= 0);
    REQUIRE(::grantpt(master_) == 0);
    REQUIRE(::unlockpt(master_) == 0);
    const std::string name = ::ptsname(master_);
    slave_ = ::open(name.c_str(), O_RDWR | O_NOCTTY);
    REQUIRE(slave_ >= 0);
    termios t{};
    REQUIRE(::tcgetattr(slave_, &t) == 0);
    REQUIRE((t.c_lflag & ECHO) != 0);  // a terminal echoes by default
    std::vector<std::string> argv = args;
    argv.insert(argv.begin(), std::string(COMPTOIR_BIN_DIR) + "/comptoir-provision");
    std::vector<char *> cargv;
    for (auto &a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setsid();
      const int tty = ::open(name.c_str(), O_RDWR);  // the session's controlling terminal
      if (tty < 0) ::_exit(126);
      for (int fd : {0, 1, 2}) ::dup2(tty, fd);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
  }
  ~OnTerminal() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
    ::close(slave_);
  }
  OnTerminal(const OnTerminal &) = delete;
  OnTerminal &operator=(const OnTerminal &) = delete;

  // Reads what the terminal shows until `text` appears after what was already waited for.
  bool wait_for(std::string_view text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::size_t at;
    while ((at = shown_.find(text, consumed_)) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pump(100);
    }
    consumed_ = at + text.size();
    return true;
  }
  void type(std::string_view text) {
    REQUIRE(::write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  // Waits for the tool to end, reading the terminal meanwhile; the exit code, or 128 + the
  // signal that ended it.
  int finish() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      pump(50);
    }
    reaped_ = true;
    while (pump(50)) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void signal(int sig) { ::kill(pid_, sig); }
  bool echoes() const {
    termios t{};
    REQUIRE(::tcgetattr(slave_, &t) == 0);
    return (t.c_lflag & ECHO) != 0;
  }
  const std::string &shown() const { return shown_; }

 private:
  // Reads what is there within `ms`; false when nothing came.
  bool pump(int ms) {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0 || (p.revents & POLLIN) == 0) return false;
    char buf[4096];
    const ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) return false;
    shown_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int master_ = -1;
  int slave_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string shown_;
  std::size_t consumed_ = 0;
};

constexpr std::string_view kFirstPrompt = "technician PIN (4 to 8 digits): ";
constexpr std::string_view kSecondPrompt = "once more: ";

TEST_CASE("the demo's technician PIN is 1234, and it says so") {
  TempDir dir;
  const RunResult r = provision({"demo", "--data", dir.path().string(), "--orders", "20"});
  require_exit(r, 0);
  CHECK(r.out.find("Code PIN technicien / technician PIN: 1234") != std::string::npos);
  CHECK(opens(dir, "1234"));
  CHECK_FALSE(opens(dir, "4321"));
}

TEST_CASE("set-pin reads the PIN from stdin and replaces the old one") {
  TempDir dir;
  require_exit(provision({"demo", "--data", dir.path().string(), "--orders", "20", "--quiet"}), 0);
  const RunResult r = provision({"set-pin", "--data", dir.path().string()}, "86420\n");
  require_exit(r, 0);
  CHECK(r.out.find("Code PIN technicien enregistré") != std::string::npos);
  CHECK(r.out.find("Technician PIN saved") != std::string::npos);
  CHECK(r.out.find("86420") == std::string::npos);  // never echoed
  CHECK(opens(dir, "86420"));
  CHECK_FALSE(opens(dir, "1234"));
  // A Windows line ending and no final newline are both fine.
  require_exit(provision({"set-pin", "--data", dir.path().string()}, "2468\r\n"), 0);
  CHECK(opens(dir, "2468"));
  require_exit(provision({"set-pin", "--data", dir.path().string()}, "1357"), 0);
  CHECK(opens(dir, "1357"));
}

TEST_CASE("set-pin refuses a bad PIN in both languages and keeps the old one") {
  TempDir dir;
  require_exit(provision({"demo", "--data", dir.path().string(), "--orders", "20", "--quiet"}), 0);
  for (const char *bad : {"12\n", "12345678 9\n", "abcd\n", "\n", ""}) {
    CAPTURE(bad);
    const RunResult r = provision({"set-pin", "--data", dir.path().string()}, bad);
    require_exit(r, 1);
    CHECK(r.err.find("4 à 8 chiffres") != std::string::npos);
    CHECK(r.err.find("4 to 8 digits") != std::string::npos);
  }
  CHECK(opens(dir, "1234"));
}

// Before: set-pin refused a directory with no cache ("no new empty cache"). Now it makes
// one, so the PIN can be set before the appliance is enrolled; a refused PIN still leaves no
// cache behind.
TEST_CASE("set-pin on a fresh directory makes the cache, and a refused PIN leaves none") {
  TempDir tmp;
  const std::string data = tmp.file("fresh/data");
  const RunResult bad = provision({"set-pin", "--data", data}, "12\n");
  require_exit(bad, 1);
  CHECK(bad.err.find("4 to 8 digits") != std::string::npos);
  for (const char *suffix : {"", "-wal", "-shm", "-journal"}) {
    CHECK_FALSE(file_exists(data + "/" + db::Database::kFileName + suffix));
  }

  const RunResult r = provision({"set-pin", "--data", data}, "1234\n");
  require_exit(r, 0);
  CHECK(r.out.find("Technician PIN saved in " + data) != std::string::npos);
  auto db = db::Database::open(data + "/" + db::Database::kFileName, {.create = false});
  REQUIRE(db.ok());
  auto pin = check_technician_pin(**db, "1234");
  REQUIRE(pin.ok());
  CHECK(*pin);
  // No stand yet: the kiosk starts on it, enrolment fills it.
  auto stand = (*db)->setting(kSettingStand);
  REQUIRE(stand.ok());
  CHECK_FALSE(stand->has_value());
  // The service's alone.
  CHECK(mode_of(data) == 0700);
  CHECK(mode_of(data + "/" + db::Database::kFileName) == 0600);

  const RunResult usage = provision({"set-pin", "--pin", "1234"});
  require_exit(usage, 2);
  CHECK(usage.err.find("set-pin") != std::string::npos);
}

TEST_CASE("set-pin finds the data directory in the config, as the other commands") {
  TempDir tmp;
  const std::string data = tmp.file("from-config");
  const std::string config = tmp.file("comptoir.toml");
  write_file(config, "[appliance]\ndata_dir = \"" + data + "\"\n");
  require_exit(provision({"set-pin", "--config", config}, "5678\n"), 0);
  auto db = db::Database::open(data + "/" + db::Database::kFileName, {.create = false});
  REQUIRE(db.ok());
  auto pin = check_technician_pin(**db, "5678");
  REQUIRE(pin.ok());
  CHECK(*pin);
  // The config by $COMPTOIR_CONFIG (the default path's override) too.
  const RunResult by_env = run({"/usr/bin/env", "COMPTOIR_CONFIG=" + config,
                                std::string(COMPTOIR_BIN_DIR) + "/comptoir-provision", "set-pin"},
                               "8765\n");
  require_exit(by_env, 0);
  CHECK(by_env.out.find(data) != std::string::npos);
  // --data wins over the config.
  const std::string other = tmp.file("other");
  require_exit(provision({"set-pin", "--config", config, "--data", other}, "4321\n"), 0);
  CHECK(file_exists(other + "/" + db::Database::kFileName));
  // A config named but missing: refused, nothing made.
  const RunResult missing = provision({"set-pin", "--config", tmp.file("none.toml")}, "1234\n");
  require_exit(missing, 1);
  CHECK(missing.err.find(tmp.file("none.toml")) != std::string::npos);
}

TEST_CASE("set-pin refuses a home directory as the data directory and changes nothing") {
  TempDir tmp;
  const std::string home = tmp.file("home");
  std::filesystem::create_directories(home);
  REQUIRE(::chmod(home.c_str(), 0755) == 0);
  const RunResult r =
      run({"/usr/bin/env", "HOME=" + home, std::string(COMPTOIR_BIN_DIR) + "/comptoir-provision",
           "set-pin", "--data", home},
          "1234\n");
  require_exit(r, 1);
  CHECK(r.err.find("Choose a folder for Comptoir alone") != std::string::npos);
  CHECK(mode_of(home) == 0755);
  CHECK(std::filesystem::is_empty(home));
}

TEST_CASE("set-pin on a fresh directory, then enrolment with the real portal") {
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  portal.demo(20);
  PortalServer server(portal);
  INFO("portal: " << server.output());
  REQUIRE(server.listening());
  const std::string data = tmp.file("app/data");
  const std::string config = tmp.file("app/comptoir.toml");
  require_exit(provision({"set-pin", "--data", data}, "246810\n"), 0);
  write_file(config, "# the Saint-Affrique counter\n");

  const RunResult enrolled =
      run({sync_bin("comptoir-provision"), "enrol", "--portal", server.url(), "--code",
           portal.enrol_code(1), "--data", data, "--config", config, "--lang", "en"},
          {}, std::chrono::milliseconds(90'000));
  require_exit(enrolled, 0);
  CHECK(enrolled.out.find("Enrolled with") != std::string::npos);
  const std::string db_path = data + "/" + db::Database::kFileName;
  CHECK(appliance_order_ids(db_path) == portal_order_ids(portal.db()));
  CHECK_FALSE(appliance_order_ids(db_path).empty());
  const auto stand = query_ro(
      db_path, "SELECT value FROM settings WHERE key = '" + std::string(kSettingStand) + "'");
  REQUIRE(stand.size() == 1);
  CHECK(stand.front().at(0) == "1");
  // The PIN set before enrolment still opens the technician screen.
  CHECK(opens_at(data, "246810"));
}

TEST_CASE("set-pin on a terminal asks twice, shows nothing typed, and restores echo") {
  TempDir dir;
  require_exit(provision({"demo", "--data", dir.path().string(), "--orders", "20", "--quiet"}), 0);
  OnTerminal t({"set-pin", "--data", dir.path().string()});
  REQUIRE(t.wait_for(kFirstPrompt));
  CHECK_FALSE(t.echoes());
  t.type("97531864\n");
  REQUIRE(t.wait_for(kSecondPrompt));
  t.type("97531864\n");
  REQUIRE(t.wait_for("Technician PIN saved"));
  CHECK(t.finish() == 0);
  INFO(t.shown());
  CHECK(t.shown().find("Code PIN technicien (4 à 8 chiffres)") != std::string::npos);
  CHECK(t.shown().find("9753") == std::string::npos);  // never shown, not even in part
  CHECK(t.echoes());
  CHECK(opens(dir, "97531864"));
  CHECK_FALSE(opens(dir, "1234"));
}

TEST_CASE("set-pin on a terminal: two different PINs change nothing") {
  TempDir dir;
  require_exit(provision({"demo", "--data", dir.path().string(), "--orders", "20", "--quiet"}), 0);
  OnTerminal t({"set-pin", "--data", dir.path().string()});
  REQUIRE(t.wait_for(kFirstPrompt));
  t.type("97531864\n");
  REQUIRE(t.wait_for(kSecondPrompt));
  t.type("97531865\n");
  CHECK(t.finish() == 1);
  INFO(t.shown());
  CHECK(t.shown().find("Les deux codes PIN saisis diffèrent") != std::string::npos);
  CHECK(t.shown().find("The two PINs typed differ") != std::string::npos);
  CHECK(t.shown().find("9753") == std::string::npos);
  CHECK(t.echoes());
  CHECK(opens(dir, "1234"));
  CHECK_FALSE(opens(dir, "97531864"));
}

TEST_CASE("set-pin on a terminal: interrupted at the prompt, echo comes back") {
  TempDir dir;
  require_exit(provision({"demo", "--data", dir.path().string(), "--orders", "20", "--quiet"}), 0);
  OnTerminal t({"set-pin", "--data", dir.path().string()});
  REQUIRE(t.wait_for(kFirstPrompt));
  CHECK_FALSE(t.echoes());
  t.signal(SIGINT);
  CHECK(t.finish() == 128 + SIGINT);
  CHECK(t.echoes());
  CHECK(opens(dir, "1234"));
}

TEST_CASE("set-pin on a terminal refuses a damaged cache before asking") {
  TempDir dir;
  write_file(dir.file(db::Database::kFileName), "a spreadsheet, not a cache\n");
  OnTerminal t({"set-pin", "--data", dir.path().string()});
  CHECK(t.finish() == 1);
  INFO(t.shown());
  CHECK(t.shown().find("not a SQLite database") != std::string::npos);
  CHECK(t.shown().find(kFirstPrompt) == std::string::npos);
  CHECK(read_file(dir.file(db::Database::kFileName)) == "a spreadsheet, not a cache\n");
}

}  // namespace
}  // namespace comptoir::test
