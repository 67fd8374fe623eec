// The serial reader against real ttys: pseudo-terminal pairs stand in for a CDC-ACM scanner
// (the test writes the scanner's bytes on the master; the reader opens the slave by path,
// or through a symlink standing in for /dev/serial/by-id). Terminators, quiet gaps, a long
// token at 9600-baud pacing, a flood, binary garbage, a pulled cable, a replug, and a port
// the service may not open.
#include "drivers/serial_reader.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace {

using namespace comptoir::drivers;
using comptoir::test::TempDir;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous deadlines: ASan on a busy 2-core machine. Only the replug test measures time.
constexpr auto kWait = 5s;

class Collector final : public ScanSink {
 public:
  void scan(ScanEvent event) override {
    std::lock_guard lock(mutex_);
    scans_.push_back(std::move(event));
    cv_.notify_all();
  }
  void notice(DeviceNotice notice) override {
    std::lock_guard lock(mutex_);
    notices_.push_back(std::move(notice));
    cv_.notify_all();
  }

  template <class Pred>
  bool wait_until(Pred pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(scans_, notices_); });
  }
  bool wait_scans(std::size_t n, std::chrono::milliseconds timeout = kWait) {
    return wait_until([n](const auto &s, const auto &) { return s.size() >= n; }, timeout);
  }
  bool wait_notice(NoticeKind kind, std::string reason = {},
                   std::chrono::milliseconds timeout = kWait) {
    return wait_until(
        [&](const auto &, const auto &ns) {
          for (const auto &n : ns) {
            if (n.kind == kind && (reason.empty() || n.reason == reason)) return true;
          }
          return false;
        },
        timeout);
  }
  std::vector<ScanEvent> scans() {
    std::lock_guard lock(mutex_);
    return scans_;
  }
  std::vector<std::string> texts() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto &s : scans_) out.push_back(s.text);
    return out;
  }
  std::vector<DeviceNotice> notices() {
    std::lock_guard lock(mutex_);
    return notices_;
  }
  std::size_t count(NoticeKind kind, std::string_view reason = {}) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto &x : notices_) n += x.kind == kind && (reason.empty() || x.reason == reason);
    return n;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ScanEvent> scans_;
  std::vector<DeviceNotice> notices_;
};

// A pseudo-terminal: the master is the scanner's end, the slave the port the reader opens.
class Pty {
 public:
  Pty() {
    termios raw{};
    ::cfmakeraw(&raw);
    int slave = -1;
    char name[256] = {};
    REQUIRE(::openpty(&master_, &slave, name, &raw, nullptr) == 0);
    slave_path_ = name;
    // Only the reader holds the slave, so closing the master is a pulled cable to it.
    ::close(slave);
  }
  ~Pty() { close(); }
  Pty(const Pty &) = delete;
  Pty &operator=(const Pty &) = delete;

  const std::string &slave_path() const { return slave_path_; }
  int master_fd() const { return master_; }

  void write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(master_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      REQUIRE(n > 0);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // One byte at a time at about a 9600-baud scanner's pace (10 bits a byte: 1.04 ms).
  void write_paced(std::string_view bytes, std::chrono::microseconds per_byte = 1042us) {
    auto next = Clock::now();
    for (const char c : bytes) {
      write(std::string_view(&c, 1));
      next += per_byte;
      std::this_thread::sleep_until(next);
    }
  }
  void close() {
    if (master_ >= 0) ::close(master_);
    master_ = -1;
  }

 private:
  int master_ = -1;
  std::string slave_path_;
};

SerialReaderOptions one_port(const std::string &path,
                             SerialTerminator terminator = SerialTerminator::cr) {
  SerialReaderOptions o;
  SerialPortConfig p;
  p.path = path;
  p.terminator = terminator;
  o.ports.push_back(p);
  o.auto_detect = false;
  return o;
}

// A pickup token's shape: prefix then Crockford Base32, 131 characters.
std::string token_131() {
  static constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string t = "ZA1";
  std::uint32_t x = 12345;
  while (t.size() < 131) {
    x = x * 1103515245u + 12345u;
    t += kSymbols[(x >> 16) % kSymbols.size()];
  }
  return t;
}

// Starts reading one pty and waits until the reader has it open, so no byte is written
// before the port is raw.
struct Running {
  Running(Collector &sink, SerialReaderOptions options) : reader(std::move(options)) {
    reader.start(sink);
    REQUIRE(sink.wait_notice(NoticeKind::device_added));
  }
  ~Running() { reader.stop(); }
  SerialReader reader;
};

}  // namespace

TEST_CASE("a scan ends on each terminator: cr, lf, crlf and tab") {
  struct Case {
    SerialTerminator terminator;
    std::string wire;
  };
  const Case cases[] = {
      {SerialTerminator::cr, "\r"},
      {SerialTerminator::lf, "\n"},
      {SerialTerminator::crlf, "\r\n"},
      {SerialTerminator::tab, "\t"},
  };
  for (const auto &c : cases) {
    CAPTURE(serial_terminator_name(c.terminator));
    Pty pty;
    Collector sink;
    Running run(sink, one_port(pty.slave_path(), c.terminator));
    pty.write("K7QM9X2D4R1" + c.wire + "ZA1-SECOND" + c.wire);
    REQUIRE(sink.wait_scans(2));
    std::this_thread::sleep_for(100ms);  // nothing more may come (no empty scan)
    const auto scans = sink.scans();
    REQUIRE(scans.size() == 2);
    CHECK(scans[0].text == "K7QM9X2D4R1");
    CHECK(scans[1].text == "ZA1-SECOND");
    CHECK(scans[0].source == Source::serial);
    CHECK(scans[0].device_id == "serial:" + pty.slave_path());
    CHECK(scans[0].layout.empty());
  }
}

TEST_CASE("CRLF is one scan, not two, even split across reads and with cr configured") {
  for (const auto terminator :
       {SerialTerminator::crlf, SerialTerminator::cr, SerialTerminator::lf}) {
    CAPTURE(serial_terminator_name(terminator));
    Pty pty;
    Collector sink;
    Running run(sink, one_port(pty.slave_path(), terminator));
    pty.write("FIRST\r");
    REQUIRE(sink.wait_scans(1));
    std::this_thread::sleep_for(60ms);  // the LF in a read of its own
    pty.write("\nSECOND\r\n");
    REQUIRE(sink.wait_scans(2));
    std::this_thread::sleep_for(100ms);
    CHECK(sink.texts() == std::vector<std::string>{"FIRST", "SECOND"});
  }
}

TEST_CASE("terminator none: a quiet gap ends a scan, and paced bytes are not split") {
  Pty pty;
  Collector sink;
  auto options = one_port(pty.slave_path(), SerialTerminator::none);
  options.ports[0].quiet_gap = 50ms;
  Running run(sink, options);
  pty.write_paced("K7QM9X2D4R1");  // ~1 ms apart: one scan
  std::this_thread::sleep_for(200ms);
  pty.write("ZA1-NEXT");
  REQUIRE(sink.wait_scans(2));
  std::this_thread::sleep_for(150ms);
  CHECK(sink.texts() == std::vector<std::string>{"K7QM9X2D4R1", "ZA1-NEXT"});
}

TEST_CASE("a 131-character token at 9600-baud pacing and all at once") {
  const std::string token = token_131();
  REQUIRE(token.size() == 131);
  for (const bool paced : {true, false}) {
    CAPTURE(paced);
    for (const auto terminator : {SerialTerminator::cr, SerialTerminator::none}) {
      CAPTURE(serial_terminator_name(terminator));
      Pty pty;
      Collector sink;
      Running run(sink, one_port(pty.slave_path(), terminator));
      const std::string wire = token + (terminator == SerialTerminator::none ? "" : "\r");
      if (paced) {
        pty.write_paced(wire);
      } else {
        pty.write(wire);
      }
      REQUIRE(sink.wait_scans(1));
      std::this_thread::sleep_for(150ms);
      REQUIRE(sink.scans().size() == 1);
      CHECK(sink.scans()[0].text == token);
    }
  }
}

TEST_CASE("a 10 kB flood with no terminator is dropped once as too_long and reading goes on") {
  Pty pty;
  Collector sink;
  Running run(sink, one_port(pty.slave_path()));
  pty.write(std::string(10 * 1024, 'A'));
  pty.write("\r");
  pty.write("AFTER-FLOOD\r");
  REQUIRE(sink.wait_scans(1));
  std::this_thread::sleep_for(100ms);
  CHECK(sink.texts() == std::vector<std::string>{"AFTER-FLOOD"});
  CHECK(sink.count(NoticeKind::scan_dropped, "too_long") == 1);
  CHECK(sink.count(NoticeKind::scan_dropped) == 1);
  for (const auto &n : sink.notices()) {
    if (n.reason == "too_long") CHECK(n.detail.size() < 400);  // the log line stays short
  }
}

TEST_CASE("binary garbage passes through byte for byte and never stops the reader") {
  // Every byte value, control characters included: raw mode must neither translate CR to
  // LF, nor act on ^C, ^S, ^Q, ^D or DEL.
  std::string garbage;
  std::uint32_t x = 2024;
  for (int i = 0; i < 64 * 1024; ++i) {
    x = x * 1664525u + 1013904223u;
    garbage += static_cast<char>(x >> 24);
  }
  for (int b = 0; b < 256; ++b) garbage += static_cast<char>(b);
  const std::string wire = garbage + "\rGOOD\r";
  std::vector<std::string> expected;
  std::string cur;
  for (const char c : wire) {
    if (c == '\r' || c == '\n') {
      if (!cur.empty()) expected.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  Pty pty;
  Collector sink;
  Running run(sink, one_port(pty.slave_path()));
  pty.write(wire);
  REQUIRE(sink.wait_until(
      [](const auto &s, const auto &) { return !s.empty() && s.back().text == "GOOD"; }));
  CHECK(sink.texts() == expected);
  CHECK(expected.size() > 100);
}

TEST_CASE("the cable pulled mid-scan: the half scan is dropped as cable_pulled, never delivered") {
  Pty pty;
  Collector sink;
  Running run(sink, one_port(pty.slave_path()));
  pty.write("ZA1HALF");
  std::this_thread::sleep_for(300ms);  // the reader has the half scan
  pty.close();
  REQUIRE(sink.wait_notice(NoticeKind::device_removed));
  REQUIRE(sink.wait_notice(NoticeKind::scan_dropped, "cable_pulled"));
  CHECK(sink.scans().empty());
  for (const auto &n : sink.notices()) {
    if (n.reason == "cable_pulled") {
      CHECK(n.device_id == "serial:" + pty.slave_path());
      CHECK(n.detail.find("ZA1HALF") != std::string::npos);
    }
  }
}

TEST_CASE("a port pulled and plugged back behind its stable link is read again within 2 s") {
  TempDir dir;
  const std::string link = dir.file("usb-Scanner-if00");
  auto point = [&](const std::string &target) {
    const std::string tmp = link + ".new";
    std::filesystem::remove(tmp);
    std::filesystem::create_symlink(target, tmp);
    std::filesystem::rename(tmp, link);  // atomic, as udev replaces by-id links
  };
  auto first = std::make_unique<Pty>();
  // Made now, so it cannot take the first one's /dev/pts number when that is freed: the
  // reader must follow the re-pointed link.
  Pty second;
  REQUIRE(second.slave_path() != first->slave_path());
  point(first->slave_path());
  Collector sink;
  Running run(sink, one_port(link));
  first->write("BEFORE\r");
  REQUIRE(sink.wait_scans(1));
  first->write("ZA1PART");
  std::this_thread::sleep_for(200ms);
  first->close();
  // udev removes the by-id link with the device. (Left in place, it would name a /dev/pts
  // number that another test running beside this one may take next.)
  std::filesystem::remove(link);
  REQUIRE(sink.wait_notice(NoticeKind::device_removed));
  CHECK(sink.count(NoticeKind::scan_dropped, "cable_pulled") == 1);
  // Unplugged a while (not a multiple of the retry period, so the replug falls between two
  // tries, as in life); retries find nothing.
  std::this_thread::sleep_for(1250ms);
  CHECK(sink.count(NoticeKind::device_added) == 1);

  const auto plugged = Clock::now();
  point(second.slave_path());
  REQUIRE(sink.wait_until([](const auto &, const auto &ns) {
    std::size_t added = 0;
    for (const auto &n : ns) added += n.kind == NoticeKind::device_added;
    return added == 2;
  }));
  second.write("AFTER\r");
  REQUIRE(sink.wait_scans(2));
  const auto took = Clock::now() - plugged;
  MESSAGE("replug to scan: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                             << " ms");
  CHECK(took < 2s);
  CHECK(sink.texts() == std::vector<std::string>{"BEFORE", "AFTER"});
  for (const auto &s : sink.scans()) CHECK(s.device_id == "serial:" + link);
  // Retrying a missing port is silent: one removal, no device_unusable line per retry.
  CHECK(sink.count(NoticeKind::device_unusable) == 0);
}

namespace {

// A port that opens and then fails at once, as a half-unplugged CDC-ACM scanner or a flaky
// adapter does: behind a stable link, a pty whose master is closed as soon as the reader has
// opened the slave (the reader sees a hang-up), the link then pointed at a fresh pty. After
// settle(), it stays up.
class FlappingPort {
 public:
  explicit FlappingPort(std::string link) : link_(std::move(link)) {
    repoint();
    thread_ = std::thread([this] { run(); });
  }
  ~FlappingPort() {
    done_ = true;
    thread_.join();
  }
  FlappingPort(const FlappingPort &) = delete;
  FlappingPort &operator=(const FlappingPort &) = delete;

  int opens() const { return opens_; }
  void settle() { settled_ = true; }
  // Once settled and opened: writes to the reader.
  bool write_when_open(std::string_view bytes, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      {
        std::lock_guard lock(mutex_);
        if (held_open_) {
          pty_->write(bytes);
          return true;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

 private:
  void repoint() {
    pty_ = std::make_unique<Pty>();
    master_ = master_of(*pty_);
    REQUIRE(::fcntl(master_, F_SETFL, O_NONBLOCK) == 0);  // slave_open() must not wait
    const std::string tmp = link_ + ".new";
    std::filesystem::remove(tmp);
    std::filesystem::create_symlink(pty_->slave_path(), tmp);
    std::filesystem::rename(tmp, link_);
  }
  static int master_of(Pty &pty) { return pty.master_fd(); }
  // The slave is open when reading the master says EAGAIN (no slave: EIO).
  bool slave_open() const {
    char c;
    return ::read(master_, &c, 1) < 0 && errno == EAGAIN;
  }
  void run() {
    while (!done_) {
      std::this_thread::sleep_for(2ms);
      std::lock_guard lock(mutex_);
      if (held_open_ || !slave_open()) continue;
      ++opens_;
      if (settled_) {
        held_open_ = true;
        continue;
      }
      repoint();  // the old master closes: the reader's port hangs up
    }
  }

  std::string link_;
  std::mutex mutex_;
  std::unique_ptr<Pty> pty_;
  int master_ = -1;
  std::atomic<int> opens_{0};
  std::atomic<bool> settled_{false};
  std::atomic<bool> done_{false};
  bool held_open_ = false;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a port that opens then fails at once is said unstable once and retried with back-off") {
  TempDir dir;
  const std::string link = dir.file("usb-Scanner-if00");
  FlappingPort port(link);
  auto options = one_port(link);
  options.retry_interval = 100ms;  // back-off 0.1, 0.2, 0.4, 0.8, 1.6 s...
  Collector sink;
  SerialReader reader(options);
  reader.start(sink);
  REQUIRE(sink.wait_notice(NoticeKind::device_unusable, "unstable"));
  std::this_thread::sleep_for(2500ms);
  // Without back-off: an open every 100 ms, ~30 in 3 s, each a device_added and a
  // device_removed. With it: opens at about 0, 0.1, 0.3, 0.7, 1.5 and 3.1 s.
  const int flapping_opens = port.opens();
  CHECK(flapping_opens >= 4);
  CHECK(flapping_opens <= 7);
  CHECK(sink.count(NoticeKind::device_unusable, "unstable") == 1);
  CHECK(sink.count(NoticeKind::device_unusable) == 1);
  CHECK(sink.count(NoticeKind::device_added) == 2);  // before it was seen to flap
  CHECK(sink.count(NoticeKind::device_removed) == 2);
  for (const auto &n : sink.notices()) {
    if (n.reason != "unstable") continue;
    CHECK(n.device_id == "serial:" + link);
    CHECK(n.fix.find("cable") != std::string::npos);
    CHECK(n.fix.find("adapter") != std::string::npos);
  }

  // It stops flapping: the next try (at most 5 s away) opens it for good, a scan is read,
  // and the port is announced again before its scan.
  port.settle();
  REQUIRE(port.write_when_open("ZA1STEADY\r", 6s));
  REQUIRE(sink.wait_scans(1));
  reader.stop();
  CHECK(sink.texts() == std::vector<std::string>{"ZA1STEADY"});
  CHECK(sink.count(NoticeKind::device_added) == 3);
  CHECK(sink.notices().back().kind == NoticeKind::device_added);
  CHECK(sink.count(NoticeKind::device_unusable) == 1);
}

namespace {

struct PermissionResult {
  std::string reason;
  std::string detail;
  std::string fix;
  std::string candidate_why;
  std::string candidate_fix;
  bool candidate_used = true;
};

PermissionResult read_unopenable(const std::string &path) {
  PermissionResult r;
  SerialReader reader(one_port(path));
  Collector sink;
  reader.start(sink);
  sink.wait_notice(NoticeKind::device_unusable);
  reader.stop();
  for (const auto &n : sink.notices()) {
    if (n.kind == NoticeKind::device_unusable) {
      r.reason = n.reason;
      r.detail = n.detail;
      r.fix = n.fix;
    }
  }
  const auto cands = reader.candidates();
  if (!cands.empty()) {
    r.candidate_why = cands[0].why;
    r.candidate_fix = cands[0].fix;
    r.candidate_used = cands[0].used;
  }
  return r;
}

}  // namespace

TEST_CASE("no permission on the port: device_unusable with the group and udev fix") {
  TempDir dir;
  // Traversable by anyone, so the refusal comes from the port's own mode, as for a
  // /dev/ttyACM0 owned by root:dialout 0660 and a service user outside dialout.
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  const std::string port = dir.file("ttyACM0");
  comptoir::test::write_file(port, "");
  ::chmod(port.c_str(), 0);

  PermissionResult r;
  if (::geteuid() != 0) {
    r = read_unopenable(port);
  } else {
    // root opens anything: read it from a child that has dropped to nobody.
    MESSAGE("running as root: the reader runs in a child process dropped to uid 65534");
    int pipefd[2];
    REQUIRE(::pipe(pipefd) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(pipefd[0]);
      if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
          ::setresuid(65534, 65534, 65534) != 0) {
        ::_exit(3);
      }
      const auto res = read_unopenable(port);
      const std::string out = res.reason + '\0' + res.detail + '\0' + res.fix + '\0' +
                              res.candidate_why + '\0' + res.candidate_fix + '\0' +
                              (res.candidate_used ? "1" : "0");
      std::string_view rest = out;
      while (!rest.empty()) {
        const ssize_t n = ::write(pipefd[1], rest.data(), rest.size());
        if (n <= 0) ::_exit(4);
        rest.remove_prefix(static_cast<std::size_t>(n));
      }
      ::_exit(0);
    }
    ::close(pipefd[1]);
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0)
      got.append(buf, static_cast<std::size_t>(n));
    ::close(pipefd[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= got.size(); ++i) {
      if (i == got.size() || got[i] == '\0') {
        parts.push_back(got.substr(start, i - start));
        start = i + 1;
      }
    }
    REQUIRE(parts.size() == 6);
    r = {parts[0], parts[1], parts[2], parts[3], parts[4], parts[5] == "1"};
  }
  CHECK(r.reason == "no_permission");
  CHECK(r.detail.find(port) != std::string::npos);
  CHECK(r.fix.find("usermod -aG") != std::string::npos);
  CHECK(r.fix.find("udev") != std::string::npos);
  CHECK(r.fix.find("MODE=\"0660\"") != std::string::npos);
  CHECK_FALSE(r.candidate_used);
  CHECK(r.candidate_why.find("no permission") != std::string::npos);
  CHECK(r.candidate_fix.find("usermod -aG") != std::string::npos);
}

TEST_CASE("a path that is no serial port and a bad baud rate are reported, not fatal") {
  TempDir dir;
  const std::string file = dir.file("not-a-tty");
  comptoir::test::write_file(file, "");
  Collector sink;
  {
    SerialReader reader(one_port(file));
    reader.start(sink);
    REQUIRE(sink.wait_notice(NoticeKind::device_unusable, "not_a_tty"));
    reader.stop();
  }
  Pty pty;
  auto options = one_port(pty.slave_path());
  options.ports[0].baud = 12345;
  SerialReader reader(options);
  reader.start(sink);
  REQUIRE(sink.wait_notice(NoticeKind::device_unusable, "bad_baud"));
  reader.stop();
  reader.stop();  // idempotent
  CHECK(sink.count(NoticeKind::device_added) == 0);
}

TEST_CASE("a configured port missing at start is said once and read when it appears") {
  TempDir dir;
  const std::string link = dir.file("usb-Scanner-if00");
  Collector sink;
  SerialReader reader(one_port(link));
  reader.start(sink);
  REQUIRE(sink.wait_notice(NoticeKind::device_unusable, "not_found"));
  std::this_thread::sleep_for(1200ms);
  CHECK(sink.count(NoticeKind::device_unusable) == 1);
  Pty pty;
  std::filesystem::create_symlink(pty.slave_path(), link);
  REQUIRE(sink.wait_notice(NoticeKind::device_added, {}, 2s));
  pty.write("HELLO\r");
  REQUIRE(sink.wait_scans(1));
  CHECK(sink.scans()[0].text == "HELLO");
  reader.stop();
}

TEST_CASE("candidates and auto-detection: by-id names that look like scanners are read") {
  TempDir dir;
  const std::filesystem::path by_id = dir.path() / "by-id";
  const std::filesystem::path dev = dir.path() / "dev";
  std::filesystem::create_directories(by_id);
  std::filesystem::create_directories(dev);
  Pty scanner, modem, stray;
  const std::string scanner_link =
      (by_id / "usb-Honeywell_Imaging___Mobility_1900_18110B4F2E-if00").string();
  const std::string modem_link = (by_id / "usb-Sierra_Wireless_MC7455-if02").string();
  std::filesystem::create_symlink(scanner.slave_path(), scanner_link);
  std::filesystem::create_symlink(modem.slave_path(), modem_link);
  std::filesystem::create_symlink(stray.slave_path(), dev / "ttyACM3");
  std::filesystem::create_symlink(scanner.slave_path(), dev / "ttyACM0");  // the same port

  SerialReaderOptions options;
  options.by_id_dir = by_id.string();
  options.dev_dir = dev.string();
  SerialReader reader(options);
  const auto cands = reader.candidates();
  REQUIRE(cands.size() == 3);  // ttyACM0 is the scanner's by-id link: listed once
  const auto find = [&](const std::string &path) {
    for (const auto &c : cands) {
      if (c.path == path) return c;
    }
    FAIL("no candidate " << path);
    return DeviceCandidate{};
  };
  const auto s = find(scanner_link);
  CHECK(s.used);
  CHECK(s.reader == "serial");
  CHECK(s.device_id == "serial:" + scanner_link);
  CHECK(s.why.find("looks like a scanner") != std::string::npos);
  const auto m = find(modem_link);
  CHECK_FALSE(m.used);
  CHECK(m.fix.find("[[scanners.serial]]") != std::string::npos);
  const auto t = find((dev / "ttyACM3").string());
  CHECK_FALSE(t.used);
  CHECK(t.why.find("not opened unless configured") != std::string::npos);

  Collector sink;
  reader.start(sink);
  REQUIRE(sink.wait_notice(NoticeKind::device_added));
  modem.write("AT-NOT-A-SCAN\r");
  stray.write("STRAY\r");
  scanner.write("ZA1AUTO\r");
  REQUIRE(sink.wait_scans(1));
  std::this_thread::sleep_for(200ms);
  REQUIRE(sink.scans().size() == 1);
  CHECK(sink.scans()[0].text == "ZA1AUTO");
  CHECK(sink.scans()[0].device_id == "serial:" + scanner_link);
  CHECK(sink.count(NoticeKind::device_added) == 1);
  const auto during = reader.candidates();
  bool being_read = false;
  for (const auto &c : during) being_read |= c.path == scanner_link && c.used;
  CHECK(being_read);
  reader.stop();
}

TEST_CASE("scanner names from /dev/serial/by-id") {
  CHECK(serial_name_looks_like_scanner("usb-Honeywell_Imaging___Mobility_1900_18110B4F2E-if00"));
  CHECK(
      serial_name_looks_like_scanner("usb-Symbol_Technologies__Inc__2008_Symbol_Bar_Code_Scanner"
                                     "_S_N:0123-if00"));
  CHECK(serial_name_looks_like_scanner("usb-Datalogic_ADC__Inc._Handheld_Barcode_Scanner-if00"));
  CHECK(serial_name_looks_like_scanner("usb-Newland_Auto-ID_NLS-HR22-if00"));
  CHECK_FALSE(serial_name_looks_like_scanner("usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0"));
  CHECK_FALSE(serial_name_looks_like_scanner("usb-Arduino__www.arduino.cc__0043_7573-if00"));
  CHECK_FALSE(serial_name_looks_like_scanner(
      "usb-u-blox_AG_-_www.u-blox.com_u-blox_7_-_GPS_GNSS_Receiver-if00"));
  CHECK_FALSE(serial_name_looks_like_scanner("usb-Interactive_Devices_Serial-if00"));
}
