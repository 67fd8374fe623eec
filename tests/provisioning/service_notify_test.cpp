// sd_notify under a notify socket the test binds: ServiceNotify's messages and timing, and
// the real `comptoir --headless` saying READY=1, pinging the watchdog from its loop and
// saying STOPPING=1, as systemd would see them from a Type=notify unit with WatchdogSec=.
#include "runtime/service_notify.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/e2e/kiosk_harness.hpp"
#include "tests/e2e/xvfb_check.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string &path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::bind(fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("bind " + path + ": " + std::strerror(errno));
    }
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket &) = delete;
  NotifySocket &operator=(const NotifySocket &) = delete;

  const std::string &path() const { return path_; }

  // The next message, or nullopt when none came within the timeout.
  std::optional<std::string> next(std::chrono::milliseconds timeout = kDefaultTimeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// Sets the notify variables for the test's length, and puts the old ones back.
class NotifyEnv {
 public:
  // An empty value unsets the variable. config: $COMPTOIR_CONFIG, so the host's
  // /etc/comptoir/comptoir.toml is never read.
  NotifyEnv(const std::string &socket, const std::string &watchdog_usec,
            const std::string &watchdog_pid, const std::string &config = {}) {
    for (const char *name : kNames) {
      const char *v = ::getenv(name);
      saved_.push_back(v ? std::optional<std::string>(v) : std::nullopt);
    }
    set("NOTIFY_SOCKET", socket);
    set("WATCHDOG_USEC", watchdog_usec);
    set("WATCHDOG_PID", watchdog_pid);
    set("COMPTOIR_CONFIG", config);
  }
  ~NotifyEnv() {
    for (std::size_t i = 0; i < saved_.size(); ++i) {
      if (saved_[i]) {
        ::setenv(kNames[i], saved_[i]->c_str(), 1);
      } else {
        ::unsetenv(kNames[i]);
      }
    }
  }
  NotifyEnv(const NotifyEnv &) = delete;
  NotifyEnv &operator=(const NotifyEnv &) = delete;

 private:
  static void set(const char *name, const std::string &value) {
    if (value.empty()) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value.c_str(), 1);
    }
  }
  static constexpr const char *kNames[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                           "COMPTOIR_CONFIG"};
  std::vector<std::optional<std::string>> saved_;
};

std::string comptoir_bin() {
  return std::string(COMPTOIR_BIN_DIR) + "/comptoir";
}

}  // namespace

TEST_CASE("ServiceNotify does nothing outside systemd") {
  NotifyEnv env("", "600000", std::to_string(::getpid()));
  ServiceNotify notify;
  CHECK_FALSE(notify.active());
  CHECK(notify.ping_interval_ms() == -1);
  CHECK(notify.wait_ms(1000) == -1);
  CHECK_FALSE(notify.ping_if_due(1000));
  notify.ready("prêt", 1000);
  notify.stopping();
}

TEST_CASE("ServiceNotify sends ready, status, pings at half the watchdog and stopping") {
  TempDir tmp;
  NotifySocket socket(tmp.file("notify"));
  NotifyEnv env(socket.path(), "600000", std::to_string(::getpid()));
  ServiceNotify notify;
  REQUIRE(notify.active());
  CHECK(notify.ping_interval_ms() == 300);
  CHECK(notify.ping_wait_ms(0) == 0);  // nothing sent yet: a ping is due

  notify.ready("prêt · stand 3", 10'000);
  CHECK(socket.next() == "READY=1\nSTATUS=prêt · stand 3");
  CHECK(socket.next() == "WATCHDOG=1");  // the first ping goes with readiness

  CHECK_FALSE(notify.ping_if_due(10'100));
  CHECK(notify.ping_wait_ms(10'100) == 200);
  CHECK(notify.wait_ms(10'100) == 200);
  CHECK(notify.ping_if_due(10'300));
  CHECK(socket.next() == "WATCHDOG=1");
  CHECK(notify.ping_wait_ms(10'300) == 300);

  // A status line is sent when it changes; its refresh is due kStatusRefreshMs later.
  CHECK_FALSE(notify.status_due(10'300));
  notify.status("prêt · stand 3", 10'400);  // unchanged: not sent
  notify.status("prêt · stand 3 · 2 en attente du portail", 10'500);
  CHECK(socket.next() == "STATUS=prêt · stand 3 · 2 en attente du portail");
  CHECK(notify.status_due(10'500 + ServiceNotify::kStatusRefreshMs));

  notify.stopping();
  CHECK(socket.next() == "STOPPING=1");
  CHECK_FALSE(socket.next(std::chrono::milliseconds(0)));
}

TEST_CASE("ServiceNotify leaves another process's watchdog alone") {
  TempDir tmp;
  NotifySocket socket(tmp.file("notify"));
  // systemd's WATCHDOG_PID names the main process: here not this one (as for the kiosk
  // under cage, unless the unit drops the variable).
  NotifyEnv env(socket.path(), "600000", std::to_string(::getppid()));
  ServiceNotify notify;
  CHECK(notify.active());
  CHECK(notify.ping_interval_ms() == -1);
  CHECK_FALSE(notify.ping_if_due(1000));
  // Only the status line's refresh wakes the loop.
  CHECK(notify.wait_ms(1000) == ServiceNotify::kStatusRefreshMs - 1000);
  notify.ready("", 1000);
  CHECK(socket.next() == "READY=1");
  notify.stopping();
  CHECK(socket.next() == "STOPPING=1");  // and no WATCHDOG=1 in between
}

TEST_CASE("service_status_line says the stand, the orders, the outbox and the link") {
  DeskStatus status;
  status.ready = 12;
  status.events_waiting = 2;
  status.link = SyncLink::offline;
  status.sync_error = "offline";
  CHECK(service_status_line(status, 3, Lang::fr) ==
        "prêt · stand 3 · 12 à remettre · 2 en attente du portail · hors ligne (offline)");
  status.link = SyncLink::online;
  status.conflicts = 1;
  CHECK(service_status_line(status, 3, Lang::en) ==
        "ready · stand 3 · 12 to hand over · 2 waiting for the portal · online · 1 to review");
}

TEST_CASE("comptoir --headless under systemd says READY=1 and pings the watchdog from its loop") {
  TempDir tmp;
  NotifySocket socket(tmp.file("notify"));
  // A 200 ms watchdog: a ping every 100 ms while the loop waits for input. WATCHDOG_PID is
  // the child's own pid, as systemd sets it: the shell's, kept by exec.
  NotifyEnv env(socket.path(), "200000", "", tmp.file("absent.toml"));
  Subprocess comptoir({"/bin/sh", "-c", "WATCHDOG_PID=$$ exec \"$0\" \"$@\"", comptoir_bin(),
                       "--headless", "--data", tmp.file("data"), "--stand", "3", "--no-scanners",
                       "--no-sound"});
  const auto ready = socket.next();
  REQUIRE(ready.has_value());
  CHECK(ready->rfind("READY=1\nSTATUS=prêt · stand 3 · 0 à remettre", 0) == 0);
  int pings = 0;
  const auto start = std::chrono::steady_clock::now();
  while (pings < 5) {
    const auto m = socket.next();
    REQUIRE(m.has_value());
    if (*m == "WATCHDOG=1") ++pings;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  // Five pings 100 ms apart (the first with readiness): at least 400 ms.
  CHECK(took >= std::chrono::milliseconds(350));
  // The loop still answers while it pings.
  REQUIRE(comptoir.write(":status\n"));
  const auto line = comptoir.read_line();
  REQUIRE(line.has_value());
  CHECK(line->find("\"stand_id\":3") != std::string::npos);
  comptoir.close_stdin();
  std::optional<std::string> last;
  while (auto m = socket.next()) {
    last = m;
    if (*m != "WATCHDOG=1") break;
  }
  CHECK(last == "STOPPING=1");
  const ExitStatus status = comptoir.wait();
  CHECK(status.exited);
  CHECK(status.code == 0);
}

TEST_CASE("comptoir --headless with another process's watchdog sends no ping") {
  TempDir tmp;
  NotifySocket socket(tmp.file("notify"));
  // WATCHDOG_PID names another process (cage's, for the kiosk): not comptoir's watchdog.
  // Were it taken as comptoir's, a ping would go with READY=1 at once.
  NotifyEnv env(socket.path(), "2000", "1", tmp.file("absent.toml"));
  Subprocess comptoir({comptoir_bin(), "--headless", "--data", tmp.file("data"), "--stand", "3",
                       "--no-scanners", "--no-sound"});
  const auto ready = socket.next();
  REQUIRE(ready.has_value());
  CHECK(ready->rfind("READY=1", 0) == 0);
  REQUIRE(comptoir.write(":status\n"));
  REQUIRE(comptoir.read_line().has_value());
  comptoir.close_stdin();
  CHECK(socket.next() == "STOPPING=1");
  CHECK(comptoir.wait().code == 0);
}

TEST_CASE("the kiosk window wakes from its idle wait to ping the watchdog" *
          doctest::skip(x_tests_skipped())) {
  const std::string missing = missing_packages({{"Xvfb", "xvfb"}});
  REQUIRE_MESSAGE(missing.empty(),
                  "missing: apt-get install " << missing << " (or COMPTOIR_SKIP_X_TESTS=1)");
  TempDir tmp;
  const auto x = start_xvfb({800, 480}, tmp);
  NotifySocket socket(tmp.file("notify"));
  // Nothing happens on the screen: the loop sleeps in SDL_WaitEvent, and only its wait
  // limit (half of the 200 ms watchdog) wakes it to ping.
  NotifyEnv env(socket.path(), "200000", "", tmp.file("absent.toml"));
  Subprocess kiosk({"/bin/sh", "-c", "WATCHDOG_PID=$$ exec \"$0\" \"$@\"", "/usr/bin/env",
                    "DISPLAY=" + x->display(), "SDL_VIDEODRIVER=x11", "ASAN_OPTIONS=detect_leaks=0",
                    comptoir_bin(), "--data", tmp.file("data"), "--stand", "3", "--windowed",
                    "800x480", "--no-scanners", "--no-sound"});
  const auto ready = socket.next();
  INFO("stderr: " << kiosk.stderr_text());
  REQUIRE(ready.has_value());
  CHECK(ready->rfind("READY=1\nSTATUS=prêt · stand 3", 0) == 0);
  // Ten pings 100 ms apart: about a second, well under the 5 s a loop woken by anything
  // slower (the clock's minute, a 1 s tick) would need.
  int pings = 0;
  const auto start = std::chrono::steady_clock::now();
  while (pings < 10) {
    const auto m = socket.next();
    REQUIRE(m.has_value());
    if (*m == "WATCHDOG=1") ++pings;
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  kiosk.kill(SIGTERM);
  std::optional<std::string> last;
  while (auto m = socket.next()) {
    last = m;
    if (*m != "WATCHDOG=1") break;
  }
  CHECK(last == "STOPPING=1");
  kiosk.read_to_end();
  const ExitStatus status = kiosk.wait();
  CHECK(status.exited);
  CHECK(status.code == 0);
}

}  // namespace comptoir::test
