// comptoir-bench: the benchmark of the walking skeleton (issue 2). It drives the real
// `comptoir --headless` binary, found next to this one, through pipes, on a demo cache of
// 1,000,000 orders, and prints one JSON object per line on stdout:
//   scan_to_verdict_us              a scan line written to comptoir's stdin until its verdict
//                                   line is read back (value = p99; target p99 <= 1000 us)
//   handover_commit_us              `:handover NUMBER` until its reply, each commit fsync'd
//                                   (value = p99)
//   cache_open_ms                   spawning comptoir until the answer to its first scan
//                                   (value = median of 7 runs; target <= 200 ms)
//   cache_bytes_per_order           comptoir.db (+ WAL) after generation, per order
//   scan_to_verdict_us_small_cache  scan_to_verdict_us on the 240-order demo, as a baseline
// Progress and notes go to stderr: how busy the machine was, the pipe round trip through
// /bin/cat (the floor of the scan figures), the scans by verdict, scans during the background
// cache check, the time of :status, and an open with comptoir.db out of the page cache.
// Exit 1 when a figure could not be measured (a reply missing after 5 s, a wrong verdict...).
//
// The 1,000,000-order cache is generated once (about 20 s) under --data-root (default
// <bin>/../bench-data) and reused while it is complete and its pickup windows are current;
// each run works on a fresh copy of it, since handovers change the cache.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/stats.hpp"
#include "codes/pickup_token.hpp"
#include "codes/scanned_code.hpp"
#include "codes/short_code.hpp"
#include "db/database.hpp"
#include "db/schema.hpp"
#include "db/sqlite.hpp"
#include "provisioning/demo_data.hpp"
#include "runtime/appliance.hpp"
#include "runtime/clock.hpp"

extern char **environ;

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using nlohmann::json;
using nlohmann::ordered_json;
using namespace std::chrono_literals;

constexpr std::int64_t kBigOrders = 1'000'000;
constexpr std::int64_t kSmallOrders = 240;
constexpr std::uint64_t kDemoSeed = 2026;
// Part of the cache directory's name: bump it when the demo generator changes its output.
constexpr const char *kBigCacheName = "orders-1000000-v2";
constexpr const char *kMarkerName = "bench-cache-complete.json";
// The demo's ready orders can be collected from 2.5 h before generation to 18 h after it
// (pickup window and grace); past 12 h the cache is made again so the verdicts stay the same.
constexpr std::int64_t kMaxCacheAgeS = 12 * 3600;
constexpr std::int64_t kLocalStand = 1;
constexpr std::uint64_t kSampleSeed = 20261123;

constexpr auto kLineTimeout = 5s;   // a verdict or handover reply
constexpr auto kOpenTimeout = 30s;  // start-up plus the first verdict
constexpr auto kSlowTimeout = 60s;  // :status counts every order
constexpr auto kExitTimeout = 60s;  // comptoir waits for its background cache check

using comptoir::bench::error_text;
using comptoir::bench::fail;
using comptoir::bench::Failure;
using comptoir::bench::load_average;
using comptoir::bench::rounded;

constexpr comptoir::bench::Note note{"comptoir-bench"};

std::string fixed(double value, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

void emit(const ordered_json &figure) {
  std::printf("%s\n", figure.dump().c_str());
  std::fflush(stdout);
}

double micros(Steady::time_point from, Steady::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

std::int64_t wall_s() {
  return comptoir::SystemClock().wall_ms() / 1000;
}

// "load average 1.02 0.80 0.41, CPU pressure 12.5 %": how busy the machine was, since the
// tails of the latencies depend on it (two cores, shared).
std::string machine_load() {
  std::string out = "load average " + load_average();
  std::ifstream psi("/proc/pressure/cpu");
  std::string kind, avg10;
  if (psi >> kind >> avg10 && avg10.rfind("avg10=", 0) == 0) {
    out += ", CPU pressure (some, avg10) " + avg10.substr(6) + " %";
  }
  return out;
}

// --- statistics -------------------------------------------------------------------------

using comptoir::bench::summarize;
using comptoir::bench::Summary;

std::string describe_us(const Summary &s) {
  return "n=" + std::to_string(s.n) + " p50=" + fixed(s.p50) + " us p99=" + fixed(s.p99) +
         " us max=" + fixed(s.max) + " us";
}

ordered_json latency_figure(const std::string &name, const Summary &s, std::optional<int> target) {
  ordered_json j;
  j["name"] = name;
  j["value"] = rounded(s.p99, 1);
  j["unit"] = "us";
  j["p50"] = rounded(s.p50, 1);
  j["p99"] = rounded(s.p99, 1);
  j["n"] = s.n;
  if (target) j["target"] = *target;
  return j;
}

// --- the comptoir child process -----------------------------------------------------------

// `comptoir` with its stdin and stdout on pipes; killed if still running when destroyed.
class Child {
 public:
  Child(const fs::path &exe, const std::vector<std::string> &args) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) fail(std::string("pipe: ") + std::strerror(errno));
    if (::pipe2(out, O_CLOEXEC) != 0) {
      const int err = errno;
      ::close(in[0]);
      ::close(in[1]);
      fail(std::string("pipe: ") + std::strerror(err));
    }
    std::vector<std::string> argv_text{exe.string()};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char *> argv;
    argv.reserve(argv_text.size() + 1);
    for (std::string &a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    // This process ignores SIGPIPE; comptoir gets the default back.
    const comptoir::bench::DefaultSigpipe attr;
    const int rc =
        ::posix_spawn(&pid_, argv_text[0].c_str(), &actions, attr.get(), argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      fail("cannot start " + exe.string() + ": " + std::strerror(rc));
    }
  }

  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;

  ~Child() {
    if (to_child_ >= 0) ::close(to_child_);
    if (from_child_ >= 0) ::close(from_child_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  void send(std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::write(to_child_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(std::string("writing to comptoir's stdin: ") + std::strerror(errno));
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // The next line comptoir writes, without its newline.
  std::string receive(std::chrono::milliseconds timeout, std::string_view waiting_for) {
    const auto deadline = Steady::now() + timeout;
    for (;;) {
      if (const auto nl = buffered_.find('\n'); nl != std::string::npos) {
        std::string line = buffered_.substr(0, nl);
        buffered_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now());
      if (left.count() <= 0) {
        fail("no answer from comptoir within " + std::to_string(timeout.count()) + " ms to " +
             std::string(waiting_for));
      }
      pollfd p{from_child_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) fail(std::string("poll: ") + std::strerror(errno));
      if (ready <= 0) continue;
      char buf[65536];
      const ssize_t n = ::read(from_child_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(std::string("reading comptoir's stdout: ") + std::strerror(errno));
      if (n == 0)
        fail("comptoir closed its stdout " + exit_description() + " while waiting for " +
             std::string(waiting_for));
      buffered_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Ends the input and waits for a clean exit.
  void finish(std::chrono::milliseconds timeout) {
    ::close(to_child_);
    to_child_ = -1;
    const auto deadline = Steady::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
        fail("comptoir ended badly: " + describe_status(status));
      }
      if (r < 0 && errno != EINTR) fail(std::string("waitpid: ") + std::strerror(errno));
      if (Steady::now() > deadline) fail("comptoir did not exit at end of input");
      std::this_thread::sleep_for(2ms);
    }
  }

 private:
  static std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
  }

  std::string exit_description() {
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "(" + describe_status(status) + ")";
      }
      std::this_thread::sleep_for(10ms);
    }
    return "(still running)";
  }

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffered_;
};

std::vector<std::string> headless_args(const fs::path &data_dir) {
  return {"--headless", "--data", data_dir.string()};
}

json parse_reply(const std::string &reply, std::string_view what) {
  json j = json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    fail("comptoir answered " + std::string(what) + " with something that is not JSON: " + reply);
  }
  return j;
}

std::string string_field(const json &j, const char *key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// --- the data -----------------------------------------------------------------------------

struct Target {
  std::string line;    // the code as scanned, with its newline
  std::string number;  // the order it must find
};

// `count` scans of random orders of the cache (the same list for the same seed), never the
// same order twice in a row: the double-read filter would answer a repeat without a lookup.
// With `token_key`, each scan is the order's signed token (what its QR code holds) rather
// than its short code.
std::vector<Target> sample_targets(const fs::path &db_path, std::size_t count, std::uint64_t seed,
                                   const comptoir::codes::KeyPair *token_key = nullptr) {
  auto conn =
      comptoir::db::Connection::open(db_path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!conn) fail("cannot read " + db_path.string() + ": " + error_text(conn.error()));
  comptoir::db::Statement range = conn->prepare("SELECT min(id), max(id) FROM orders");
  if (!range.valid() || range.step() != SQLITE_ROW || range.is_null(0)) {
    fail("no orders in " + db_path.string() + ": " + conn->last_error());
  }
  const std::int64_t first = range.int64(0);
  const std::int64_t last = range.int64(1);
  range.reset();
  comptoir::db::Statement by_id = conn->prepare(
      "SELECT number, short_code, stand_id, pickup_until, due_cents FROM orders "
      "WHERE id = ?");
  if (!by_id.valid()) fail("cannot query " + db_path.string() + ": " + conn->last_error());

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> pick(first, last);
  std::vector<Target> out;
  out.reserve(count);
  std::int64_t previous = -1;
  std::size_t misses = 0;
  while (out.size() < count) {
    const std::int64_t id = pick(rng);
    if (id == previous) continue;
    by_id.bind(1, id);
    const int rc = by_id.step();
    if (rc == SQLITE_ROW) {
      const auto code = static_cast<std::uint64_t>(by_id.int64(1));
      std::string line = comptoir::codes::format_short_code(code);
      if (token_key != nullptr) {
        const comptoir::codes::TokenFields fields{
            1, static_cast<std::uint64_t>(id), static_cast<std::uint32_t>(by_id.int64(2)),
            static_cast<std::uint16_t>(by_id.int64(3) / 86400),
            by_id.int64(4) == 0 ? comptoir::codes::kFlagPrepaid : std::uint8_t{0}};
        line = comptoir::codes::sign_token(fields, token_key->secret_key);
      }
      out.push_back({line + "\n", by_id.text(0)});
      previous = id;
    } else if (rc != SQLITE_DONE || ++misses > count) {
      fail("cannot sample orders of " + db_path.string() + ": " + conn->last_error());
    }
    by_id.reset();
  }
  return out;
}

std::optional<json> read_marker(const fs::path &dir) {
  std::ifstream in(dir / kMarkerName);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

void fsync_path(const fs::path &path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open " + path.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail("fsync " + path.string() + ": " + std::strerror(err));
}

void write_file_durably(const fs::path &path, const std::string &content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out.flush()) fail("cannot write " + tmp.string());
  }
  fsync_path(tmp, false);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fail("cannot rename " + tmp.string() + ": " + ec.message());
  fsync_path(path.parent_path(), true);
}

// A demo cache made afresh in `dir` (see comptoir::bench::generate_demo).
void generate_demo(const fs::path &dir, std::int64_t orders, std::int64_t now_s) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) fail("cannot clear " + dir.string() + ": " + ec.message());
  comptoir::bench::generate_demo(dir, orders, kDemoSeed, kLocalStand, now_s);
}

// The pristine 1,000,000-order cache: reused when its marker says it is complete and
// current, made again otherwise.
fs::path ensure_big_cache(const fs::path &root) {
  fs::path dir = root / kBigCacheName;
  const std::int64_t now_s = wall_s();
  std::string why = "no complete cache in " + dir.string();
  if (auto m = read_marker(dir)) {
    const std::int64_t made = m->value("now_s", std::int64_t{0});
    if (m->value("orders", std::int64_t{0}) != kBigOrders ||
        m->value("seed", std::uint64_t{0}) != kDemoSeed) {
      why = "the cache in " + dir.string() + " was made with other options";
    } else if (m->value("schema_version", 0) != comptoir::db::latest_schema_version()) {
      why = "the cache in " + dir.string() + " has an older schema";
    } else if (now_s < made || now_s - made > kMaxCacheAgeS) {
      why = "the pickup windows of the cache in " + dir.string() + " are out of date";
    } else if (!fs::exists(dir / comptoir::db::Database::kFileName)) {
      why = "the cache in " + dir.string() + " lost its database";
    } else {
      note("reusing the 1,000,000-order cache in " + dir.string() + " (made " +
           std::to_string((now_s - made) / 60) + " min ago)");
      return dir;
    }
  }
  note(why + ": generating 1,000,000 orders (about 20 s)");
  const auto t0 = Steady::now();
  generate_demo(dir, kBigOrders, now_s);
  const double seconds = micros(t0, Steady::now()) / 1e6;
  json marker = {{"orders", kBigOrders},
                 {"seed", kDemoSeed},
                 {"now_s", now_s},
                 {"schema_version", comptoir::db::latest_schema_version()},
                 {"generation_s", rounded(seconds, 1)}};
  write_file_durably(dir / kMarkerName, marker.dump(1) + "\n");
  note("generated in " + fixed(seconds) + " s");
  return dir;
}

// A scratch directory of this run under the data root, removed at the end.
class Scratch {
 public:
  explicit Scratch(const fs::path &root) {
    remove_abandoned(root);
    path_ = root / ("scratch-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::create_directories(path_, ec);
    if (ec) fail("cannot create " + path_.string() + ": " + ec.message());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  const fs::path &path() const { return path_; }

 private:
  // Left by runs that were killed: their process is gone.
  static void remove_abandoned(const fs::path &root) {
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(root, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("scratch-", 0) != 0) continue;
      const long pid = std::strtol(name.c_str() + 8, nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        note("removing " + entry.path().string() + ", left by an interrupted run");
        std::error_code rm;
        fs::remove_all(entry.path(), rm);
      }
    }
  }

  fs::path path_;
};

// Copies the cache's database (and WAL, if any) into `to`, on disk before returning, so no
// write-back of the copy runs during the measurements.
void copy_cache(const fs::path &from, const fs::path &to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) fail("cannot create " + to.string() + ": " + ec.message());
  for (const char *suffix : {"", "-wal"}) {
    const fs::path src = from / (std::string(comptoir::db::Database::kFileName) + suffix);
    if (!fs::exists(src)) continue;
    const fs::path dst = to / src.filename();
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
    if (ec) fail("cannot copy " + src.string() + " to " + dst.string() + ": " + ec.message());
    fsync_path(dst, false);
  }
  fsync_path(to, true);
}

std::uintmax_t cache_bytes(const fs::path &dir) {
  std::uintmax_t total = 0;
  for (const char *suffix : {"", "-wal"}) {
    const fs::path p = dir / (std::string(comptoir::db::Database::kFileName) + suffix);
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (!ec) total += size;
  }
  return total;
}

// --- the measurements ---------------------------------------------------------------------

// Checks a verdict line and returns its verdict.
std::string check_verdict(const std::string &reply, const Target &t) {
  const json j = parse_reply(reply, "a scan");
  if (string_field(j, "type") != "verdict") fail("a scan of " + t.number + " got: " + reply);
  if (string_field(j, "order_number") != t.number) {
    fail("the scan of " + t.number + "'s code found another order: " + reply);
  }
  if (j.value("repeat", false)) {
    fail("the scan of " + t.number + " was taken as a double read (the code was repeated)");
  }
  return string_field(j, "verdict");
}

struct ScanResults {
  std::vector<double> us;
  std::map<std::string, std::vector<double>> by_verdict;
  std::vector<std::string> ready;  // orders whose verdict was ready, in scan order
};

ScanResults timed_scans(Child &child, std::span<const Target> targets) {
  ScanResults r;
  r.us.reserve(targets.size());
  for (const Target &t : targets) {
    const auto t0 = Steady::now();
    child.send(t.line);
    const std::string reply = child.receive(kLineTimeout, "the scan of " + t.number);
    const auto t1 = Steady::now();
    const std::string verdict = check_verdict(reply, t);
    const double us = micros(t0, t1);
    r.us.push_back(us);
    r.by_verdict[verdict].push_back(us);
    if (verdict == "ready") r.ready.push_back(t.number);
  }
  return r;
}

// Milliseconds from spawning comptoir on `data_dir`, with the scan of `t` written at once,
// until its verdict is read. comptoir then gets end of input and must exit cleanly.
double open_once(const fs::path &comptoir, const fs::path &data_dir, const Target &t) {
  const auto t0 = Steady::now();
  Child child(comptoir, headless_args(data_dir));
  child.send(t.line);
  const std::string reply = child.receive(kOpenTimeout, "the first scan after start-up");
  const auto t1 = Steady::now();
  check_verdict(reply, t);
  child.finish(kExitTimeout);
  return micros(t0, t1) / 1000;
}

// Drops a file's pages from the kernel's page cache (clean pages only: written back first).
void evict_from_page_cache(const fs::path &file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open " + file.string() + ": " + std::strerror(errno));
  (void)::fdatasync(fd);
  const int rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  if (rc != 0) fail("posix_fadvise " + file.string() + ": " + std::strerror(rc));
}

// `:status` until the background check of the order cache is over; returns how long one
// `:status` took, the last time.
double wait_for_cache_check(Child &child) {
  const auto deadline = Steady::now() + 300s;
  for (;;) {
    const auto t0 = Steady::now();
    child.send(":status\n");
    const json j = parse_reply(child.receive(kSlowTimeout, ":status"), ":status");
    const double ms = micros(t0, Steady::now()) / 1000;
    if (string_field(j, "type") != "status") fail(":status got: " + j.dump());
    const std::string state = string_field(j, "cache_check");
    if (state == "failed") fail("the background cache check failed: " + j.dump());
    if (state != "running") return ms;  // ok, or a build without the check
    if (Steady::now() > deadline) fail("the background cache check did not end in 300 s");
    std::this_thread::sleep_for(100ms);
  }
}

void print_verdict_mix(const ScanResults &r) {
  for (const auto &[verdict, values] : r.by_verdict) {
    note("  " + verdict + ": " + describe_us(summarize(values)));
  }
}

struct Plan {
  std::size_t warmup = 200;
  std::size_t scans = 5000;
  std::size_t handovers = 300;
  std::size_t opens = 7;
};

struct Options {
  bool quick = false;
  std::optional<fs::path> data_root;
};

void run(const Options &options) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) fail("cannot read /proc/self/exe: " + ec.message());
  const fs::path bin = self.parent_path();
  const fs::path comptoir = bin / "comptoir";
  if (::access(comptoir.c_str(), X_OK) != 0) {
    fail(comptoir.string() + " is missing or not executable: build the comptoir target");
  }
  const fs::path root =
      options.data_root ? fs::absolute(*options.data_root) : (bin.parent_path() / "bench-data");
  fs::create_directories(root, ec);
  if (ec) fail("cannot create " + root.string() + ": " + ec.message());

  Plan plan;
  if (options.quick) plan = Plan{50, 500, 30, 3};
  note(std::string(options.quick ? "quick run" : "full run") + "; comptoir: " + comptoir.string() +
       "; " + machine_load());

  const fs::path pristine = ensure_big_cache(root);
  Scratch scratch(root);
  const fs::path big = scratch.path() / "orders-1000000";
  note("copying the cache to " + big.string());
  copy_cache(pristine, big);
  const fs::path big_db = big / comptoir::db::Database::kFileName;

  // cache_open_ms: spawn, write the first scan at once, read its verdict.
  {
    const auto targets = sample_targets(big_db, plan.opens, kSampleSeed + 1);
    std::vector<double> ms;
    ms.reserve(targets.size());
    for (const Target &t : targets) ms.push_back(open_once(comptoir, big, t));
    std::string all;
    for (double v : ms) all += (all.empty() ? "" : ", ") + fixed(v);
    note("cache_open_ms runs: " + all);
    const Summary s = summarize(ms);
    ordered_json j;
    j["name"] = "cache_open_ms";
    j["value"] = rounded(s.median, 1);
    j["unit"] = "ms";
    j["min"] = rounded(s.min, 1);
    j["max"] = rounded(s.max, 1);
    j["n"] = s.n;
    j["target"] = 200;
    emit(j);
  }

  // A note for reading the latencies: the same round trip through /bin/cat, which does no
  // work. Across two idle vCPUs a pipe wake-up costs tens of microseconds; on one, a few.
  if (::access("/bin/cat", X_OK) == 0) {
    Child cat("/bin/cat", {});
    std::vector<double> us;
    const std::string line = "K7QM-9X2D-F3A\n";
    for (std::size_t i = 0; i < plan.warmup + plan.scans; ++i) {
      const auto t0 = Steady::now();
      cat.send(line);
      (void)cat.receive(kLineTimeout, "/bin/cat");
      if (i >= plan.warmup) us.push_back(micros(t0, Steady::now()));
    }
    cat.finish(kExitTimeout);
    note("pipe round trip through /bin/cat (the floor of the scan figures): " +
         describe_us(summarize(us)));
  }

  // scan_to_verdict_us and handover_commit_us in one comptoir process.
  const auto targets = sample_targets(big_db, plan.warmup + plan.scans, kSampleSeed);
  std::map<std::string, std::string> code_of;
  for (const Target &t : targets) code_of[t.number] = t.line;
  {
    Child child(comptoir, headless_args(big));
    const auto started = Steady::now();
    const ScanResults warm =
        timed_scans(child, std::span<const Target>(targets).first(plan.warmup));
    note("warm-up scans right after start-up (the background cache check running): " +
         describe_us(summarize(warm.us)));
    const double status_ms = wait_for_cache_check(child);
    note("background cache check over within " + fixed(micros(started, Steady::now()) / 1000) +
         " ms of start-up; one :status took " + fixed(status_ms) + " ms");

    const ScanResults scans =
        timed_scans(child, std::span<const Target>(targets).subspan(plan.warmup));
    const Summary s = summarize(scans.us);
    emit(latency_figure("scan_to_verdict_us", s, 1000));
    note("scan_to_verdict_us by verdict:");
    print_verdict_mix(scans);

    // The same with the orders' signed tokens, as a QR scanner reads them: parse, verify
    // the Ed25519 signature, look the order up.
    const comptoir::codes::KeyPair key = comptoir::provisioning::demo_portal_key(kDemoSeed);
    const auto token_targets = sample_targets(big_db, plan.scans, kSampleSeed + 3, &key);
    const ScanResults token_scans = timed_scans(child, token_targets);
    ordered_json token_figure =
        latency_figure("scan_to_verdict_us_token", summarize(token_scans.us), 1000);
    emit(token_figure);
    note("scan_to_verdict_us_token by verdict:");
    print_verdict_mix(token_scans);

    // token_verify_us: parse_scan of a token in this process (decode, key lookup, one
    // signature check); and what a forged one costs (the layout readings tried too).
    {
      comptoir::codes::KeyRing ring;
      ring.keys.push_back({1, key.public_key, 0, std::numeric_limits<std::int64_t>::max()});
      std::vector<double> us;
      std::vector<double> forged_us;
      const std::int64_t now = wall_s();
      for (const Target &t : token_targets) {
        const std::string_view text = std::string_view(t.line).substr(0, t.line.size() - 1);
        auto t0 = Steady::now();
        const auto read = comptoir::codes::parse_scan(text, ring, now);
        us.push_back(micros(t0, Steady::now()));
        const auto *token = std::get_if<comptoir::codes::SignedTokenScan>(&read);
        if (token == nullptr || token->status != comptoir::codes::TokenStatus::ok) {
          fail("a genuine token did not verify: " + std::string(text));
        }
        std::string forged(text);
        forged[60] = forged[60] == 'A' ? 'B' : 'A';
        t0 = Steady::now();
        (void)comptoir::codes::parse_scan(forged, ring, now);
        forged_us.push_back(micros(t0, Steady::now()));
      }
      emit(latency_figure("token_verify_us", summarize(us), 300));
      note("a forged token (parse_scan, every layout reading tried): " +
           describe_us(summarize(forged_us)));
      const std::size_t chars = token_targets.front().line.size() - 1;
      ordered_json c;
      c["name"] = "token_chars";
      c["value"] = chars;
      c["unit"] = "characters";
      c["target"] = 140;
      emit(c);
      // A keyboard-wedge scanner sends a key-down and a key-up report per character, about
      // one a millisecond.
      ordered_json w;
      w["name"] = "wedge_type_ms";
      w["value"] = chars * 2;
      w["unit"] = "ms";
      emit(w);
    }

    // Distinct ready orders, each handed over once.
    std::vector<std::string> ready;
    std::set<std::string> seen;
    for (const std::string &n : scans.ready) {
      if (ready.size() < plan.handovers && seen.insert(n).second) ready.push_back(n);
    }
    if (ready.size() < plan.handovers) {
      fail("only " + std::to_string(ready.size()) + " distinct ready orders among the scans, " +
           std::to_string(plan.handovers) + " needed for the handovers");
    }
    std::vector<double> commit_us;
    for (const std::string &number : ready) {
      const std::string line = ":handover " + number + "\n";
      const auto t0 = Steady::now();
      child.send(line);
      const std::string reply = child.receive(kLineTimeout, "the handover of " + number);
      const auto t1 = Steady::now();
      const json j = parse_reply(reply, ":handover");
      if (string_field(j, "type") != "handover" || !j.value("ok", false) ||
          string_field(j, "order_number") != number) {
        fail("the handover of " + number + " got: " + reply);
      }
      commit_us.push_back(micros(t0, t1));
    }
    emit(latency_figure("handover_commit_us", summarize(commit_us), std::nullopt));

    // The handovers are in the cache: a rescan says so.
    const Target again{code_of.at(ready.front()), ready.front()};
    child.send(again.line);
    const std::string verdict = check_verdict(child.receive(kLineTimeout, "a rescan"), again);
    if (verdict != "already_collected") {
      fail("a rescan of handed-over " + again.number + " says " + verdict);
    }
    const auto t0 = Steady::now();
    child.send(":status\n");
    (void)child.receive(kSlowTimeout, ":status");
    note(":status on the 1,000,000-order cache after the handovers: " +
         fixed(micros(t0, Steady::now()) / 1000) + " ms");
    child.finish(kExitTimeout);
  }

  // cache_bytes_per_order, on the pristine cache (sized before SQLite opens it; read-write
  // so that closing removes the -wal and -shm files a read opens, read-only would leave them).
  {
    const std::uintmax_t bytes = cache_bytes(pristine);
    auto conn =
        comptoir::db::Connection::open((pristine / comptoir::db::Database::kFileName).string(),
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    if (!conn) fail("cannot read the pristine cache: " + error_text(conn.error()));
    comptoir::db::Statement count =
        conn->prepare("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_lines)");
    if (!count.valid() || count.step() != SQLITE_ROW) {
      fail("cannot count the orders of the pristine cache: " + conn->last_error());
    }
    const std::int64_t orders = count.int64(0);
    const std::int64_t lines = count.int64(1);
    count.reset();
    if (orders <= 0) fail("the pristine cache holds no orders");
    ordered_json j;
    j["name"] = "cache_bytes_per_order";
    j["value"] = rounded(static_cast<double>(bytes) / static_cast<double>(orders), 1);
    j["unit"] = "B";
    j["n"] = orders;
    j["lines_per_order"] = rounded(static_cast<double>(lines) / static_cast<double>(orders), 2);
    j["bytes"] = bytes;
    emit(j);
  }

  // The baseline: the same scans on the 240-order demo.
  {
    const fs::path small = scratch.path() / "orders-240";
    generate_demo(small, kSmallOrders, wall_s());
    const auto small_targets = sample_targets(small / comptoir::db::Database::kFileName,
                                              plan.warmup + plan.scans, kSampleSeed);
    Child child(comptoir, headless_args(small));
    (void)wait_for_cache_check(child);
    (void)timed_scans(child, std::span<const Target>(small_targets).first(plan.warmup));
    const ScanResults scans =
        timed_scans(child, std::span<const Target>(small_targets).subspan(plan.warmup));
    emit(latency_figure("scan_to_verdict_us_small_cache", summarize(scans.us), std::nullopt));
    note("scan_to_verdict_us_small_cache by verdict:");
    print_verdict_mix(scans);
    child.finish(kExitTimeout);
  }

  // A note, not a figure: the open with the cache file out of the page cache (as after a
  // boot), on the run's copy; the comptoir binary and libraries stay cached.
  {
    const auto cold_targets = sample_targets(big_db, 3, kSampleSeed + 2);
    std::string all;
    for (const Target &t : cold_targets) {
      evict_from_page_cache(big_db);
      all += (all.empty() ? "" : ", ") + fixed(open_once(comptoir, big, t));
    }
    note("cache_open_ms with comptoir.db evicted from the page cache (not a figure): " + all);
  }

  note("done; " + machine_load());
}

constexpr const char *kUsage =
    "Usage: comptoir-bench [--quick] [--data-root DIR]\n"
    "\n"
    "Measures the `comptoir` binary next to this one; prints one JSON object per line.\n"
    "  --quick          fewer iterations (a smoke run)\n"
    "  --data-root DIR  where the 1,000,000-order cache is kept and runs work\n"
    "                   (default: <bin>/../bench-data)\n";

}  // namespace

int main(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--quick") {
      options.quick = true;
    } else if (a == "--data-root" && i + 1 < argc) {
      options.data_root = fs::path(argv[++i]);
    } else {
      std::fprintf(stderr, "comptoir-bench: unknown or incomplete option: %s\n\n%s", argv[i],
                   kUsage);
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);  // a dead comptoir is an error to report, not our death
  try {
    run(options);
  } catch (const Failure &e) {
    std::fprintf(stderr, "comptoir-bench: FAILED: %s\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "comptoir-bench: FAILED: %s\n", e.what());
    return 1;
  }
  return 0;
}
