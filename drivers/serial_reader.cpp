// The serial reader's thread: opening ports raw (termios 8N1, no echo, no flow control),
// poll() over them and a stop eventfd, bytes to scans, pulled cables, retries, and what
// candidates() tells the technician.
#include "drivers/serial_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <utility>

#include "drivers/scan_assembler.hpp"

namespace comptoir::drivers {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kConfigFile = "/etc/comptoir/comptoir.toml";
// A port that opens and then fails (hang-up, EIO) before it has stayed up this long, and
// before it gave a scan, is flapping: a half-unplugged CDC-ACM device, a flaky adapter. Up
// this long, or a scan read, and it is steady again.
constexpr std::chrono::seconds kSteadyAfter{10};
// The longest wait between tries of a flapping port.
constexpr std::chrono::seconds kMaxBackoff{5};
// The flap that makes a port "unstable": said once, then retried quietly with back-off.
constexpr int kUnstableFlaps = 2;

std::string errno_text(int err) {
  return std::strerror(err);
}

// Bytes for a log line: printable ASCII as is, the rest as \xNN, so a binary scan or a
// garbage burst never lands raw in the journal.
std::string printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\' && u != '"') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

std::optional<speed_t> speed_for(unsigned baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 921600:
      return B921600;
    default:
      return std::nullopt;
  }
}

std::string config_lines(const std::string &path) {
  return std::string("add to ") + kConfigFile + ":\n  [[scanners.serial]]\n  path = \"" + path +
         "\"\n  baud = 9600          # what the scanner is set to\n  terminator = \"cr\"   # cr, "
         "lf, crlf, tab or none";
}

std::string user_name() {
  std::array<char, 1024> buf{};
  passwd pw{};
  passwd *found = nullptr;
  if (getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return "the service user";
}

std::string group_of(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "dialout";
  std::array<char, 1024> buf{};
  group gr{};
  group *found = nullptr;
  if (getgrgid_r(st.st_gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    // A node left to root:root is not the usual dialout one: a udev rule is the fix then.
    if (std::string_view(found->gr_name) != "root") return found->gr_name;
  }
  return "dialout";
}

std::string permission_fix(const std::string &path) {
  const std::string group = group_of(path);
  const std::string user = user_name();
  return "add the user running comptoir (" + user + ") to the group that owns the port: sudo " +
         "usermod -aG " + group + " " + user + ", then restart comptoir; or give the port to " +
         "that group with a udev rule, e.g. /etc/udev/rules.d/70-comptoir-scanner.rules:\n" +
         "  SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"VVVV\", ATTRS{idProduct}==\"PPPP\", " +
         "GROUP=\"" + group + "\", MODE=\"0660\", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n" +
         "(the ids from: udevadm info -a -n " + path +
         "), then: sudo udevadm control --reload && sudo udevadm trigger";
}

// Why a port could not be opened, sorted into what the technician can act on.
struct OpenProblem {
  std::string reason;  // not_found, no_permission, busy, not_a_tty, bad_baud, io_error
  std::string detail;
  std::string fix;
};

OpenProblem problem_for(int err, const std::string &path) {
  switch (err) {
    case ENOENT:
    case ENXIO:
    case ENODEV:
    case EIO:  // a pty slave whose master is gone, a USB device half unplugged
      return {"not_found", path + " is not there (" + errno_text(err) + ")",
              "plug the scanner in; check the path with: ls -l /dev/serial/by-id"};
    case EACCES:
    case EPERM:
      return {"no_permission", "no permission to open " + path + " (" + errno_text(err) + ")",
              permission_fix(path)};
    case EBUSY:
      return {"busy", path + " is held by another program (" + errno_text(err) + ")",
              "find it with: sudo fuser -v " + path +
                  " (ModemManager probes CDC-ACM ports: add ENV{ID_MM_DEVICE_IGNORE}=\"1\" to "
                  "the scanner's udev rule)"};
    case ENOTTY:
      return {"not_a_tty", path + " is not a serial port",
              "check the path in " + std::string(kConfigFile)};
    default:
      return {"io_error", "cannot open " + path + ": " + errno_text(err), ""};
  }
}

struct Opened {
  int fd = -1;
  std::optional<OpenProblem> problem;
};

// Raw 8N1: every byte as sent (no CR->LF mapping, no ^C signal, no ^S pause), no echo back
// to the scanner, no hardware or software flow control, modem lines ignored (CLOCAL).
Opened open_raw(const std::string &path, unsigned baud) {
  const auto speed = speed_for(baud);
  if (!speed) {
    return {-1, OpenProblem{"bad_baud",
                            "baud " + std::to_string(baud) + " for " + path + " is not a rate " +
                                "serial ports use",
                            "set baud to 9600, 19200, 38400, 57600 or 115200 (what the scanner "
                            "is set to) in " +
                                std::string(kConfigFile)}};
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return {-1, problem_for(errno, path)};
  if (!::isatty(fd)) {
    ::close(fd);
    return {-1, problem_for(ENOTTY, path)};
  }
  // Exclusive, as pyserial's exclusive=True: another unprivileged program opening the port
  // too would steal bytes from scans.
  (void)::ioctl(fd, TIOCEXCL);
  termios t{};
  if (::tcgetattr(fd, &t) != 0) {
    const int err = errno;
    ::close(fd);
    return {-1, problem_for(err, path)};
  }
  ::cfmakeraw(&t);
  t.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | PARENB | CRTSCTS | CSIZE);
  t.c_cflag |= CS8 | CLOCAL | CREAD;
  t.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  // VMIN=1, VTIME=0: poll() reports POLLIN as soon as one byte is there (with VMIN=0 a
  // non-canonical tty is always "readable" and poll() would spin); O_NONBLOCK keeps read()
  // from waiting once the bytes are taken.
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  ::cfsetispeed(&t, *speed);
  ::cfsetospeed(&t, *speed);
  if (::tcsetattr(fd, TCSANOW, &t) != 0) {
    const int err = errno;
    ::close(fd);
    return {-1, problem_for(err, path)};
  }
  return {fd, std::nullopt};
}

std::string canonical_or_self(const std::string &path) {
  std::error_code ec;
  auto real = std::filesystem::canonical(path, ec);
  return ec ? path : real.string();
}

struct DirEntry {
  std::string name;
  std::string path;
};

std::vector<DirEntry> list_dir(const std::string &dir, bool (*keep)(std::string_view)) {
  std::vector<DirEntry> out;
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent *e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == ".." || !keep(name)) continue;
    out.push_back({std::string(name), dir + "/" + std::string(name)});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.name < b.name; });
  return out;
}

bool any_name(std::string_view) {
  return true;
}

bool is_serial_node(std::string_view name) {
  return name.rfind("ttyACM", 0) == 0 || name.rfind("ttyUSB", 0) == 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<SerialTerminator> serial_terminator_from_name(std::string_view name) {
  if (name == "cr") return SerialTerminator::cr;
  if (name == "lf") return SerialTerminator::lf;
  if (name == "crlf") return SerialTerminator::crlf;
  if (name == "tab") return SerialTerminator::tab;
  if (name == "none") return SerialTerminator::none;
  return std::nullopt;
}

const char *serial_terminator_name(SerialTerminator terminator) {
  switch (terminator) {
    case SerialTerminator::cr:
      return "cr";
    case SerialTerminator::lf:
      return "lf";
    case SerialTerminator::crlf:
      return "crlf";
    case SerialTerminator::tab:
      return "tab";
    case SerialTerminator::none:
      return "none";
  }
  return "cr";
}

bool serial_name_looks_like_scanner(std::string_view by_id_name) {
  // Makers of scanners sold with a CDC-ACM mode, and the words their USB product strings use.
  // Short brand names that hide inside ordinary words ("tera" in "interactive") stay out.
  static constexpr std::array<std::string_view, 20> kWords = {
      "scanner", "barcode", "bar_code", "imager",    "honeywell", "hand_held", "metrologic",
      "zebra",   "symbol",  "motorola", "datalogic", "newland",   "opticon",   "code_corp",
      "netum",   "eyoyo",   "inateck",  "unitech",   "cipherlab", "zebex"};
  const std::string name = lower(by_id_name);
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view w) { return name.find(w) != std::string::npos; });
}

struct SerialReader::Engine {
  struct Port {
    SerialPortConfig config;
    std::string device_id;
    bool auto_detected = false;
    int fd = -1;
    ScanAssembler assembler;
    std::string problem;  // the reason last reported while closed, so it is said once
    bool was_open = false;
    Clock::time_point next_try{};
    // Open-then-fail cycles in a row (each failing before kSteadyAfter with no scan). From
    // kUnstableFlaps on, the port is reported unstable once and opened and lost quietly,
    // each try waiting twice as long (up to kMaxBackoff), until it is steady again.
    int flaps = 0;
    bool unstable = false;
    Clock::time_point opened_at{};
  };

  explicit Engine(const SerialReaderOptions &opts) : options(opts) {
    if (options.retry_interval > std::chrono::milliseconds(1000)) {
      options.retry_interval = std::chrono::milliseconds(1000);
    }
    if (options.retry_interval.count() <= 0) options.retry_interval = std::chrono::milliseconds(1);
  }

  SerialReaderOptions options;
  ScanSink *sink = nullptr;
  int stop_fd = -1;
  std::vector<Port> ports;

  mutable std::mutex mutex;          // guards open_paths, read by candidates() on any thread
  std::set<std::string> open_paths;  // configured paths being read now

  Port make_port(SerialPortConfig config, bool auto_detected) const {
    AssemblerOptions ao;
    ao.max_bytes = options.max_scan_bytes;
    if (config.terminator == SerialTerminator::none) {
      ao.quiet_gap =
          config.quiet_gap.count() > 0 ? config.quiet_gap : std::chrono::milliseconds(50);
    }
    Port p{
        std::move(config), {}, auto_detected, -1, ScanAssembler(ao), {}, false, {}, 0, false, {}};
    p.device_id = "serial:" + p.config.path;
    return p;
  }

  bool is_terminator(const Port &p, unsigned char byte) const {
    switch (p.config.terminator) {
      case SerialTerminator::cr:
      case SerialTerminator::lf:
      case SerialTerminator::crlf:
        return byte == '\r' || byte == '\n';
      case SerialTerminator::tab:
        return byte == '\t';
      case SerialTerminator::none:
        return false;
    }
    return false;
  }

  std::string label(const Port &p) const {
    return p.config.name.empty() ? p.config.path : p.config.name + " (" + p.config.path + ")";
  }

  void notice(const Port &p, NoticeKind kind, std::string reason, std::string detail,
              std::string fix = {}) {
    sink->notice(DeviceNotice{kind, p.device_id, std::move(reason), std::move(detail),
                              std::move(fix), std::chrono::system_clock::now()});
  }

  std::string reading_line(const Port &p) const {
    return label(p) + ": reading at " + std::to_string(p.config.baud) + " baud, terminator " +
           serial_terminator_name(p.config.terminator);
  }

  // The port stayed up kSteadyAfter, or gave a scan: flapping is over. An unstable port
  // opened quietly, so it is announced now.
  void steady(Port &p) {
    p.flaps = 0;
    if (!p.unstable) return;
    p.unstable = false;
    notice(p, NoticeKind::device_added, {}, reading_line(p) + " (steady again)");
  }

  // The wait before the next try: retry_interval, then doubling with each flap in a row.
  std::chrono::milliseconds backoff(const Port &p) const {
    auto wait = options.retry_interval;
    for (int i = 1; i < p.flaps && wait < kMaxBackoff; ++i) wait *= 2;
    return std::min<std::chrono::milliseconds>(wait, kMaxBackoff);
  }

  void deliver(Port &p, ScanAssembler::Completed done) {
    if (done.ok) {
      steady(p);
      ScanEvent e;
      e.source = Source::serial;
      e.device_id = p.device_id;
      e.text = std::move(done.text);
      e.time = std::chrono::system_clock::now();
      sink->scan(std::move(e));
      return;
    }
    std::string detail = label(p) + ": scan dropped (" + done.reason + ")";
    if (!done.text.empty()) detail += ", it began \"" + printable(done.text) + "\"";
    std::string fix;
    if (done.reason == "too_long") {
      detail = label(p) + ": more than " + std::to_string(options.max_scan_bytes) +
               " bytes with no terminator, dropped; it began \"" + printable(done.text) + "\"";
      fix = std::string("check that the scanner ends scans with the terminator set for it (") +
            serial_terminator_name(p.config.terminator) + ") and that nothing is stuck";
    } else if (done.reason == "no_terminator") {
      fix = std::string(
                "set the scanner's suffix to CR, or terminator = \"none\" for this port "
                "in ") +
            kConfigFile;
    } else if (done.reason == "cable_pulled") {
      detail = label(p) +
               ": the scanner went away mid-scan; the partial scan was dropped (it "
               "began \"" +
               printable(done.text) + "\")";
    }
    notice(p, NoticeKind::scan_dropped, done.reason, std::move(detail), std::move(fix));
  }

  void set_open(const Port &p, bool open) {
    std::lock_guard lock(mutex);
    if (open) {
      open_paths.insert(p.config.path);
    } else {
      open_paths.erase(p.config.path);
    }
  }

  void try_open(Port &p, Clock::time_point now) {
    p.next_try = now + options.retry_interval;
    Opened o = open_raw(p.config.path, p.config.baud);
    if (o.problem) {
      // Said once per problem: a scanner left unplugged all day is one line, not 86 400.
      // A port that was read and went away was reported as device_removed already.
      if (o.problem->reason != p.problem) {
        const bool quiet = p.was_open && o.problem->reason == "not_found";
        if (!quiet && !(p.auto_detected && o.problem->reason == "not_found")) {
          notice(p, NoticeKind::device_unusable, o.problem->reason,
                 label(p) + ": " + o.problem->detail, o.problem->fix);
        }
        p.problem = o.problem->reason;
      }
      return;
    }
    p.fd = o.fd;
    p.problem.clear();
    p.was_open = true;
    p.opened_at = now;
    set_open(p, true);
    // An unstable port is announced when it proves steady (steady()), not at every open.
    if (!p.unstable) notice(p, NoticeKind::device_added, {}, reading_line(p));
  }

  void gone(Port &p, const std::string &reason, const std::string &why, Clock::time_point now) {
    if (auto dropped = p.assembler.abort(reason)) deliver(p, std::move(*dropped));
    ::close(p.fd);
    p.fd = -1;
    set_open(p, false);
    // A scan since it opened has reset flaps (steady()): this failure then counts as a first.
    if (now - p.opened_at < kSteadyAfter) {
      ++p.flaps;
    } else {
      p.flaps = 0;
    }
    if (!p.unstable) notice(p, NoticeKind::device_removed, {}, label(p) + ": " + why);
    if (p.flaps == kUnstableFlaps && !p.unstable) {
      p.unstable = true;
      notice(p, NoticeKind::device_unusable, "unstable",
             label(p) + " opens and then fails at once (" + why + "), again and again: not " +
                 "read until it stays up (retried quietly, backing off to once every " +
                 std::to_string(std::chrono::seconds(kMaxBackoff).count()) + " s).",
             "check the cable and the adapter: plug the scanner straight into the computer "
             "(no hub, no extension), try another cable or USB port; a scanner half-unplugged or "
             "with a loose connector does this");
    }
    // The node may linger a moment after the cable is pulled; the next try is soon anyway,
    // unless the port keeps failing: then each try waits longer (0.5, 1, 2, 4, 5 s...).
    p.next_try = now + (p.flaps > 0 ? backoff(p) : options.retry_interval);
  }

  void feed(Port &p, const char *bytes, std::size_t n, Clock::time_point now) {
    std::size_t run = 0;  // start of the bytes not yet given to the assembler
    for (std::size_t i = 0; i < n; ++i) {
      if (!is_terminator(p, static_cast<unsigned char>(bytes[i]))) continue;
      for (auto &done : p.assembler.add(std::string_view(bytes + run, i - run), now)) {
        deliver(p, std::move(done));
      }
      if (auto done = p.assembler.terminate(now)) deliver(p, std::move(*done));
      run = i + 1;
    }
    for (auto &done : p.assembler.add(std::string_view(bytes + run, n - run), now)) {
      deliver(p, std::move(done));
    }
  }

  // Reads what is there. A hang-up or a vanished device ends the port.
  void drain(Port &p, short revents, Clock::time_point now) {
    std::array<char, 4096> buf{};
    // Bounded per round so one flooding port cannot starve the others or the stop fd.
    for (int round = 0; round < 16; ++round) {
      const ssize_t n = ::read(p.fd, buf.data(), buf.size());
      if (n > 0) {
        feed(p, buf.data(), static_cast<std::size_t>(n), now);
        continue;
      }
      if (n == 0) {
        gone(p, "cable_pulled", "hung up (cable pulled?)", now);
        return;
      }
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        if ((revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
          gone(p, "cable_pulled", "hung up (cable pulled?)", now);
        }
        return;
      }
      if (err == EIO || err == ENODEV || err == ENXIO) {
        gone(p, "cable_pulled", "gone (" + errno_text(err) + "; cable pulled?)", now);
      } else {
        gone(p, "io_error", "read failed: " + errno_text(err), now);
      }
      return;
    }
  }

  void detect(Clock::time_point now) {
    if (!options.auto_detect) return;
    for (const auto &entry : list_dir(options.by_id_dir, any_name)) {
      if (!serial_name_looks_like_scanner(entry.name)) continue;
      const bool known = std::any_of(ports.begin(), ports.end(), [&](const Port &p) {
        return p.config.path == entry.path ||
               canonical_or_self(p.config.path) == canonical_or_self(entry.path);
      });
      if (known) continue;
      SerialPortConfig config;
      config.path = entry.path;
      config.name = entry.name;
      ports.push_back(make_port(std::move(config), true));
      ports.back().next_try = now;
    }
  }

  void run() {
    auto next_detect = Clock::now();
    for (auto &p : ports) try_open(p, Clock::now());
    while (true) {
      auto now = Clock::now();
      if (now >= next_detect) {
        detect(now);
        next_detect = now + options.retry_interval;
      }
      Clock::time_point wake = next_detect;
      std::vector<pollfd> fds;
      std::vector<std::size_t> which;
      fds.push_back({stop_fd, POLLIN, 0});
      for (std::size_t i = 0; i < ports.size(); ++i) {
        auto &p = ports[i];
        if (p.fd < 0) {
          wake = std::min(wake, p.next_try);
          continue;
        }
        fds.push_back({p.fd, POLLIN, 0});
        which.push_back(i);
        if (auto due = p.assembler.deadline()) wake = std::min(wake, *due);
        if (p.flaps > 0) wake = std::min(wake, p.opened_at + kSteadyAfter);
      }
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
      const int timeout = static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 1000));
      const int ready = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), timeout);
      if (ready < 0 && errno != EINTR) {
        // Nothing sensible left to wait on; say so once and stop rather than spin.
        sink->notice(DeviceNotice{NoticeKind::device_unusable, "serial", "io_error",
                                  "serial reader: poll failed: " + errno_text(errno), "",
                                  std::chrono::system_clock::now()});
        break;
      }
      if ((fds[0].revents & POLLIN) != 0) break;
      now = Clock::now();
      for (std::size_t k = 1; k < fds.size(); ++k) {
        if (fds[k].revents != 0) drain(ports[which[k - 1]], fds[k].revents, now);
      }
      for (auto &p : ports) {
        if (p.fd >= 0) {
          if (auto done = p.assembler.tick(now)) deliver(p, std::move(*done));
          if (p.fd >= 0 && p.flaps > 0 && now - p.opened_at >= kSteadyAfter) steady(p);
        } else if (now >= p.next_try) {
          try_open(p, now);
        }
      }
    }
    close_all();
  }

  void close_all() {
    for (auto &p : ports) {
      if (p.fd >= 0) {
        ::close(p.fd);
        p.fd = -1;
      }
      p.problem.clear();
      p.was_open = false;
      p.flaps = 0;
      p.unstable = false;
    }
    std::lock_guard lock(mutex);
    open_paths.clear();
  }

  bool is_open(const std::string &path) const {
    std::lock_guard lock(mutex);
    return open_paths.count(path) != 0;
  }
};

SerialReader::SerialReader(SerialReaderOptions options)
    : options_(std::move(options)), engine_(std::make_unique<Engine>(options_)) {}

SerialReader::~SerialReader() {
  stop();
}

void SerialReader::start(ScanSink &sink) {
  if (thread_.joinable()) return;
  auto &e = *engine_;
  e.sink = &sink;
  e.ports.clear();
  for (const auto &config : options_.ports) e.ports.push_back(e.make_port(config, false));
  e.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (e.stop_fd < 0) {
    sink.notice(DeviceNotice{NoticeKind::device_unusable, "serial", "io_error",
                             "serial reader: cannot make an eventfd: " + errno_text(errno), "",
                             std::chrono::system_clock::now()});
    return;
  }
  thread_ = std::thread([&e] { e.run(); });
}

void SerialReader::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  // An eventfd write of 8 bytes cannot be short; it can only fail if the counter would
  // overflow, which one write per stop() never reaches.
  (void)!::write(engine_->stop_fd, &one, sizeof one);
  thread_.join();
  ::close(engine_->stop_fd);
  engine_->stop_fd = -1;
}

std::vector<DeviceCandidate> SerialReader::candidates() {
  std::vector<DeviceCandidate> out;
  std::set<std::string> covered;  // canonical paths already listed

  // What opening it now says, for a port not being read by this reader.
  auto probe = [&](DeviceCandidate &c, const std::string &path, const std::string &why_ok) {
    if (engine_->is_open(path)) {
      c.why = why_ok + "; being read";
      return;
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      const bool tty = ::isatty(fd) != 0;
      ::close(fd);
      if (tty) {
        c.why = why_ok;
        return;
      }
      c.used = false;
      const auto p = problem_for(ENOTTY, path);
      c.why = p.detail;
      c.fix = p.fix;
      return;
    }
    const auto p = problem_for(errno, path);
    if (p.reason == "not_found") {
      c.why = why_ok + "; not there now (read as soon as it appears)";
      c.fix = p.fix;
      return;
    }
    c.used = false;
    c.why = p.detail;
    c.fix = p.fix;
  };

  for (const auto &config : options_.ports) {
    DeviceCandidate c;
    c.reader = "serial";
    c.device_id = "serial:" + config.path;
    c.name = config.name.empty() ? config.path : config.name;
    c.path = config.path;
    c.used = true;
    probe(c, config.path, "configured");
    if (!speed_for(config.baud)) {
      c.used = false;
      c.why = "baud " + std::to_string(config.baud) + " is not a rate serial ports use";
      c.fix = "set baud to what the scanner is set to (9600 or 115200 usually)";
    }
    covered.insert(canonical_or_self(config.path));
    out.push_back(std::move(c));
  }

  for (const auto &entry : list_dir(options_.by_id_dir, any_name)) {
    const std::string real = canonical_or_self(entry.path);
    if (covered.count(real) != 0) continue;
    covered.insert(real);
    DeviceCandidate c;
    c.reader = "serial";
    c.device_id = "serial:" + entry.path;
    c.name = entry.name;
    c.path = entry.path;
    if (!serial_name_looks_like_scanner(entry.name)) {
      c.why =
          "a serial port whose name does not look like a scanner (a modem, a GPS, a "
          "console cable?): not opened unless configured";
      c.fix = "if it is a scanner, " + config_lines(entry.path);
    } else if (!options_.auto_detect) {
      c.why = "name looks like a scanner, but auto-detection is off";
      c.fix = config_lines(entry.path);
    } else {
      c.used = true;
      probe(c, entry.path, "name looks like a scanner");
    }
    out.push_back(std::move(c));
  }

  for (const auto &entry : list_dir(options_.dev_dir, is_serial_node)) {
    const std::string real = canonical_or_self(entry.path);
    if (covered.count(real) != 0) continue;
    covered.insert(real);
    DeviceCandidate c;
    c.reader = "serial";
    c.device_id = "serial:" + entry.path;
    c.name = entry.name;
    c.path = entry.path;
    c.why = "a serial port with no scanner-like name under " + options_.by_id_dir +
            ": not opened unless configured";
    c.fix = "if it is a scanner, " + config_lines(entry.path) +
            "\n(a /dev/serial/by-id/... path stays the same across replugs; " + entry.name +
            " may not)";
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace comptoir::drivers
