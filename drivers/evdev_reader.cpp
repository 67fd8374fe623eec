// The evdev reader: finding scanners among /dev/input/event* (configured, or a keyboard
// named or made like a scanner), grabbing and reading them in one poll() thread, and
// turning their key events into scans. Removal is seen three ways, whichever comes first:
// read() failing with ENODEV, poll() saying POLLHUP/POLLERR, or the node leaving the input
// directory (inotify IN_DELETE); all three drop a partial scan as cable_pulled.
#include "drivers/evdev_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "drivers/scan_assembler.hpp"

namespace comptoir::drivers {
namespace {

using Clock = std::chrono::steady_clock;

// Where the config lives, for the fix texts that say what to add to it.
constexpr const char *kConfigFile = "/etc/comptoir/comptoir.toml";
// An event's time more than this far ahead of now, or behind it, is not believed: the event
// is taken as happening now, and later events keep their spacing from it. On CLOCK_MONOTONIC
// an event is behind only when the reader stalled that long. On another clock (an old kernel
// left on CLOCK_REALTIME, or a replayed recording) the offset found on the first event may
// drift (NTP steps, a recording's times not matching its replay): 1 s of drift is enough.
constexpr std::chrono::seconds kEventAhead{1};
constexpr std::chrono::seconds kEventBehindMonotonic{10};
constexpr std::chrono::seconds kEventBehindOther{1};

// After the input directory changes, wait this long before listing it: udev sets the
// node's group and mode (IN_ATTRIB) and makes the by-id links just after the kernel makes
// the node, and a by-id link found now is a device id that stays the same across replugs.
constexpr std::chrono::milliseconds kSettle{200};
// Events read from one device per wake-up, so a flooding device cannot starve the others.
constexpr int kMaxEventsPerWake = 4096;

constexpr std::array<std::string_view, 17> kScannerWords = {
    "scanner", "barcode", "bar code",  "honeywell", "metrologic",    "hand held products",
    "symbol",  "zebra",   "datalogic", "newland",   "netum",         "eyoyo",
    "inateck", "zebex",   "opticon",   "cipherlab", "socket mobile",
};

struct ScannerVendor {
  std::uint16_t id;
  const char *maker;
};
constexpr std::array<ScannerVendor, 6> kScannerVendors = {{
    {0x0c2e, "Honeywell/Metrologic"},
    {0x0536, "Hand Held Products (Honeywell)"},
    {0x05e0, "Symbol/Zebra"},
    {0x05f9, "Datalogic"},
    {0x1eab, "Newland"},
    {0x065a, "Opticon"},
}};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string hex4(std::uint16_t value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(value));
  return buf;
}

std::optional<std::string> read_line(const std::string &path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line;
}

// A sysfs capability bitmap ("120013", "ffffffff 0 fffffffe"): hex words of the width of a
// long, most significant first.
bool sysfs_bit(std::string_view bitmap, unsigned bit) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < bitmap.size()) {
    const std::size_t end = std::min(bitmap.find(' ', pos), bitmap.size());
    if (end > pos) words.push_back(bitmap.substr(pos, end - pos));
    pos = end + 1;
  }
  constexpr unsigned kBits = sizeof(long) * 8;
  const std::size_t index = bit / kBits;
  if (index >= words.size()) return false;
  const std::string word(words[words.size() - 1 - index]);
  errno = 0;
  const unsigned long value = std::strtoul(word.c_str(), nullptr, 16);
  return errno == 0 && ((value >> (bit % kBits)) & 1UL) != 0;
}

constexpr std::array<unsigned, 26> kLetterKeys = {
    KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
    KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};

struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const Identity &) const = default;
};

// What a path leads to, symlinks followed: the same for a node and its by-id link.
std::optional<Identity> identity_of(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Identity{st.st_dev, st.st_ino};
}

std::vector<std::string> list_dir(const std::string &dir) {
  std::vector<std::string> names;
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent *e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool is_event_node_name(std::string_view name) {
  if (name.size() <= 5 || name.substr(0, 5) != "event") return false;
  return std::all_of(name.begin() + 5, name.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// event2 before event10.
std::vector<std::string> event_nodes(const std::string &input_dir) {
  std::vector<std::string> names;
  for (std::string &name : list_dir(input_dir)) {
    if (is_event_node_name(name)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end(), [](const std::string &a, const std::string &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return names;
}

// The node's stable name: a by-id link pointing at it, else a by-path link, else the node.
std::string stable_path(const std::string &input_dir, const std::string &node) {
  const auto id = identity_of(node);
  if (!id) return node;
  for (const char *sub : {"/by-id", "/by-path"}) {
    const std::string dir = input_dir + sub;
    for (const std::string &name : list_dir(dir)) {
      const std::string link = dir + "/" + name;
      if (identity_of(link) == id) return link;
    }
  }
  return node;
}

// An open node and its libevdev, closed when dropped.
struct Handle {
  int fd = -1;
  libevdev *dev = nullptr;

  Handle() = default;
  Handle(Handle &&other) noexcept
      : fd(std::exchange(other.fd, -1)), dev(std::exchange(other.dev, nullptr)) {}
  Handle &operator=(Handle &&other) noexcept {
    std::swap(fd, other.fd);
    std::swap(dev, other.dev);
    return *this;
  }
  ~Handle() {
    if (dev != nullptr) libevdev_free(dev);
    if (fd >= 0) ::close(fd);
  }
};

// One event device as found, before anything is decided about it.
struct Probe {
  std::string node;    // input_dir/eventN
  std::string stable;  // a by-id or by-path link to it, or the node
  std::string name;    // what it calls itself; empty when unknown
  std::uint16_t vendor = 0;
  bool vendor_known = false;
  std::optional<bool> keyboard;  // has EV_KEY and KEY_A..KEY_Z; nullopt: could not tell
  int open_error = 0;            // errno of open() or libevdev, 0 when it opened
  bool monotonic = false;        // its events are stamped with CLOCK_MONOTONIC (steady_clock)
  const EvdevDeviceConfig *config = nullptr;
  Handle handle;  // the node, still open, when it opened
};

// Opening a node twice is avoided: the reader reads through the handle the probe opened.
Probe probe(const EvdevReaderOptions &options, const std::string &node_name) {
  Probe p;
  p.node = options.input_dir + "/" + node_name;
  p.stable = stable_path(options.input_dir, p.node);
  // sysfs first: it answers without opening the node (no permission needed).
  const std::string sys = options.sys_class_dir + "/" + node_name + "/device/";
  if (auto name = read_line(sys + "name")) p.name = *name;
  if (auto vendor = read_line(sys + "id/vendor")) {
    p.vendor = static_cast<std::uint16_t>(std::strtoul(vendor->c_str(), nullptr, 16));
    p.vendor_known = true;
  }
  const auto ev = read_line(sys + "capabilities/ev");
  const auto keys = read_line(sys + "capabilities/key");
  if (ev && keys) {
    bool letters = sysfs_bit(*ev, EV_KEY);
    for (unsigned key : kLetterKeys) letters = letters && sysfs_bit(*keys, key);
    p.keyboard = letters;
  }
  p.handle.fd = ::open(p.node.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (p.handle.fd < 0) {
    p.open_error = errno;
  } else {
    // Event times on the clock steady_clock reads, so the quiet gap and the pause after lost
    // events are measured between the key presses themselves, not between our reads. Set
    // before anything is read: the kernel flushes the node's queue when the clock changes.
    int clock = CLOCK_MONOTONIC;
    p.monotonic = ::ioctl(p.handle.fd, EVIOCSCLOCKID, &clock) == 0;
    const int rc = libevdev_new_from_fd(p.handle.fd, &p.handle.dev);
    if (rc < 0) {
      p.open_error = -rc;
      p.handle = Handle{};
    } else {
      libevdev *dev = p.handle.dev;
      if (const char *name = libevdev_get_name(dev)) p.name = name;
      p.vendor = static_cast<std::uint16_t>(libevdev_get_id_vendor(dev));
      p.vendor_known = true;
      bool letters = libevdev_has_event_type(dev, EV_KEY) != 0;
      for (unsigned key : kLetterKeys) {
        letters = letters && libevdev_has_event_code(dev, EV_KEY, key) != 0;
      }
      p.keyboard = letters;
    }
  }
  const auto id = identity_of(p.node);
  for (const EvdevDeviceConfig &config : options.devices) {
    if (config.path == p.node || config.path == p.stable ||
        (id && identity_of(config.path) == id)) {
      p.config = &config;
      break;
    }
  }
  return p;
}

// The udev rule that lets the service open this device, matching the device itself: its USB
// vendor when known, else its by-id link, else its name; never another maker's id.
std::string udev_fix(const Probe &p) {
  std::string match;
  const std::string by_id_dir = "/by-id/";
  const std::size_t by_id = p.stable.find(by_id_dir);
  if (p.vendor_known && p.vendor != 0) {
    match = "ATTRS{idVendor}==\"" + hex4(p.vendor) + "\"";
  } else if (p.stable != p.node && by_id != std::string::npos) {
    match = "SYMLINK==\"input/by-id/" + p.stable.substr(by_id + by_id_dir.size()) + "\"";
  } else if (!p.name.empty()) {
    match = "ATTRS{name}==\"" + p.name + "\"";
  } else {
    match = "KERNEL==\"" + p.node.substr(p.node.rfind('/') + 1) + "\"";
  }
  return "Let the comptoir user open it: add a udev rule, e.g. "
         "/etc/udev/rules.d/70-comptoir-scanner.rules with SUBSYSTEM==\"input\", "
         "ENV{ID_INPUT_KEYBOARD}==\"1\", " +
         match +
         ", MODE=\"0660\", GROUP=\"comptoir\" (then udevadm control --reload && udevadm "
         "trigger), and run comptoir in group comptoir. For development: usermod -aG input USER, "
         "then log in again.";
}

// The config lines that make the reader read this device, as they go in the config file.
std::string config_fix(const std::string &path, Layout layout) {
  return std::string("If it is a barcode scanner, add to ") + kConfigFile +
         " (layout: the one the scanner types for):\n[[scanners.evdev]]\npath = \"" + path +
         "\"\nlayout = \"" + layout_name(layout) + "\"";
}

// "every second", or the interval when a test made it shorter.
std::string every(std::chrono::milliseconds interval) {
  if (interval == std::chrono::milliseconds(1000)) return "every second";
  return "every " + std::to_string(interval.count()) + " ms";
}

// What to do about a scanner another program has grabbed.
std::string busy_fix(const std::string &node, std::chrono::milliseconds interval) {
  return "Close the other program that holds it (see `fuser -v " + node +
         "`: another comptoir, evtest, a kiosk shell); Comptoir retries " + every(interval) +
         " and reads it as soon as it is free.";
}

// What to do with a probed device: read it, or skip it and why.
struct Verdict {
  bool use = false;
  bool notify = false;  // skipped for a reason a notice should tell (configured or scanner)
  std::string reason;   // notice code when skipped: no_permission, io_error
  std::string why;
  std::string fix;
};

Verdict judge(const EvdevReaderOptions &options, const Probe &p) {
  Verdict v;
  std::string scanner_why;
  if (p.config != nullptr) {
    scanner_why = "configured";
  } else if (options.auto_detect && p.keyboard.value_or(true)) {
    const char *maker = p.vendor_known ? evdev_scanner_vendor(p.vendor) : nullptr;
    if (evdev_name_looks_like_scanner(p.name)) {
      scanner_why = "name looks like a barcode scanner";
    } else if (maker != nullptr) {
      scanner_why =
          std::string("USB vendor ") + hex4(p.vendor) + " (" + maker + ") makes barcode scanners";
    }
  }
  if (p.open_error == EACCES || p.open_error == EPERM) {
    v.reason = "no_permission";
    v.why = "no permission to open " + p.node;
    v.fix = udev_fix(p);
    v.notify = !scanner_why.empty();
    if (!scanner_why.empty()) v.why += " (" + scanner_why + ")";
    return v;
  }
  if (p.open_error != 0 && !scanner_why.empty()) {
    v.reason = "io_error";
    v.why = "cannot open " + p.node + ": " + std::strerror(p.open_error);
    v.notify = true;
    return v;
  }
  if (p.config != nullptr) {
    v.use = true;
    v.why = scanner_why;
    return v;
  }
  if (!options.auto_detect) {
    v.why = "not configured, and auto-detection is off";
    return v;
  }
  if (p.open_error != 0) {
    v.why = "cannot open " + p.node + ": " + std::strerror(p.open_error);
    return v;
  }
  if (!p.keyboard.value_or(false)) {
    v.why = "not a keyboard (no letter keys)";
    return v;
  }
  if (scanner_why.empty()) {
    v.why = "a keyboard not named like a scanner: never grabbed unless configured";
    v.fix = config_fix(p.stable, options.default_layout);
    return v;
  }
  v.use = true;
  v.why = scanner_why;
  return v;
}

// A device being read.
struct OpenDevice {
  std::string node;
  Identity identity;
  std::string device_id;  // "evdev:" + stable path
  std::string name;
  Layout layout;
  Handle handle;
  int fd = -1;
  libevdev *dev = nullptr;
  KeyDecoder decoder;
  ScanAssembler assembler;
  // After lost events: the rest of the broken scan is thrown away, up to its terminator or
  // a pause (the quiet gap, or 250 ms: scanners type a code in one burst), so it does not
  // come out as a scan. libevdev drains what was queued when it resyncs, and the broken
  // scan's terminator may go with it: the pause keeps the next scan from being eaten.
  bool discarding = false;
  std::chrono::milliseconds pause_ends_scan;
  Clock::time_point last_key{};
  // Kernel event time + offset = steady_clock time. 0 and set when the node's clock is
  // CLOCK_MONOTONIC; otherwise (an old kernel, a replayed recording) found on the first
  // event, which is taken as happening when it is read.
  Clock::duration offset{};
  bool offset_known = false;
  bool monotonic = false;

  // When the key was pressed, on steady_clock: events read in one batch (up to 4096, after
  // the reader was busy or the machine slow) keep the time between them, so two scans
  // waiting in the queue are not glued and a pause after lost events is seen as one.
  Clock::time_point event_time(const input_event &ev, Clock::time_point now) {
    const auto kernel = std::chrono::duration_cast<Clock::duration>(
        std::chrono::seconds(ev.input_event_sec) + std::chrono::microseconds(ev.input_event_usec));
    Clock::time_point t = Clock::time_point(kernel) + offset;
    const Clock::duration behind =
        monotonic ? Clock::duration(kEventBehindMonotonic) : Clock::duration(kEventBehindOther);
    if (!offset_known || t > now + kEventAhead || t < now - behind) {
      offset = now - Clock::time_point(kernel);
      offset_known = true;
      t = now;
    }
    return t;
  }

  OpenDevice(Layout l, AssemblerOptions a)
      : layout(l),
        decoder(l),
        assembler(a),
        pause_ends_scan(a.quiet_gap.count() > 0 ? a.quiet_gap : std::chrono::milliseconds(250)) {}
  ~OpenDevice() {
    if (dev != nullptr) libevdev_grab(dev, LIBEVDEV_UNGRAB);  // harmless when it is gone
  }
  OpenDevice(const OpenDevice &) = delete;
  OpenDevice &operator=(const OpenDevice &) = delete;
};

}  // namespace

bool evdev_name_looks_like_scanner(std::string_view name) {
  const std::string text = lower(name);
  return std::any_of(kScannerWords.begin(), kScannerWords.end(),
                     [&](std::string_view word) { return text.find(word) != std::string::npos; });
}

const char *evdev_scanner_vendor(std::uint16_t vendor) {
  for (const ScannerVendor &v : kScannerVendors) {
    if (v.id == vendor) return v.maker;
  }
  return nullptr;
}

struct EvdevReader::Engine {
  Options options;
  ScanSink *sink = nullptr;
  int stop_fd = -1;
  int inotify_fd = -1;
  std::vector<std::unique_ptr<OpenDevice>> devices;
  // Nodes (or missing configured paths) already reported unusable: said once, until the
  // node goes away or becomes usable.
  std::set<std::string> reported;
  // Scanners to try again every rescan_interval: grabbed by another program, or failed to
  // open. Nothing in the input directory changes when the other program lets go, so inotify
  // alone would never bring them back.
  std::map<std::string, DeviceCandidate> retry;
  Clock::time_point next_rescan{};

  // What candidates() reports for devices being read or waited for; written by the reader
  // thread.
  std::mutex mutex;
  std::map<std::string, DeviceCandidate> reading;

  explicit Engine(Options o) : options(std::move(o)) {}
  ~Engine() {
    devices.clear();
    if (inotify_fd >= 0) ::close(inotify_fd);
    if (stop_fd >= 0) ::close(stop_fd);
  }

  void notice(NoticeKind kind, const std::string &device_id, std::string reason, std::string detail,
              std::string fix = {}) {
    DeviceNotice n;
    n.kind = kind;
    n.device_id = device_id;
    n.reason = std::move(reason);
    n.detail = std::move(detail);
    n.fix = std::move(fix);
    n.time = std::chrono::system_clock::now();
    sink->notice(std::move(n));
  }

  void watch() {
    if (inotify_fd < 0) return;
    const int wd = ::inotify_add_watch(
        inotify_fd, options.input_dir.c_str(),
        IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF);
    if (wd < 0) {
      // No input directory yet (no input device since boot): list it every second.
      ::close(inotify_fd);
      inotify_fd = -1;
    }
  }

  void publish() {
    std::lock_guard lock(mutex);
    reading = retry;
    for (const auto &d : devices) {
      DeviceCandidate c;
      c.reader = "evdev";
      c.device_id = d->device_id;
      c.name = d->name;
      c.path = d->node;
      c.used = true;
      c.why = "being read (grabbed)";
      c.layout = layout_name(d->layout);
      reading[d->node] = std::move(c);
    }
  }

  void emit(OpenDevice &d, ScanAssembler::Completed done) {
    if (done.ok) {
      ScanEvent event;
      event.source = Source::evdev;
      event.device_id = d.device_id;
      event.text = std::move(done.text);
      event.layout = layout_name(d.layout);
      event.time = std::chrono::system_clock::now();
      sink->scan(std::move(event));
      return;
    }
    std::string detail;
    std::string fix;
    if (done.reason == "too_long") {
      detail = "A scan from " + d.name + " grew past " + std::to_string(options.max_scan_bytes) +
               " bytes with no Enter or Tab (a stuck key, or a scanner in a loop): dropped.";
      fix = "Check the scanner; if it sends no suffix, set a quiet gap for it.";
    } else if (done.reason == "no_terminator") {
      detail = "A partial scan from " + d.name + " had no Enter or Tab: dropped (\"" + done.text +
               "\").";
      fix = "Set the scanner to send Enter after each code, or set a quiet gap for it.";
    } else if (done.reason == "cable_pulled") {
      detail = d.name + " went away in the middle of a scan: dropped (\"" + done.text + "\").";
      fix = "Plug the scanner back in and scan again.";
    } else {
      detail = "A scan from " + d.name + " was dropped (" + done.reason + ").";
    }
    notice(NoticeKind::scan_dropped, d.device_id, done.reason, detail, fix);
  }

  void add_text(OpenDevice &d, const std::string &text, Clock::time_point now) {
    if (text.empty()) return;
    for (auto &done : d.assembler.add(text, now)) emit(d, std::move(done));
  }

  void handle_key(OpenDevice &d, const input_event &ev, Clock::time_point now) {
    if (ev.type != EV_KEY || ev.value == 2) return;  // key repeat: the scanner did not type it
    const std::uint8_t usage = hid_usage_from_linux_key(ev.code);
    if (usage == 0) return;
    if (ev.value == 0) {
      d.decoder.release(usage);
      return;
    }
    if (d.discarding && now - d.last_key >= d.pause_ends_scan) d.discarding = false;
    d.last_key = now;
    KeyDecoder::Output out = d.decoder.press(usage);
    if (out.kind == KeyDecoder::Output::Kind::none) return;
    if (d.discarding) {
      d.discarding = out.kind != KeyDecoder::Output::Kind::terminator;
      return;
    }
    add_text(d, out.text, now);
    if (out.kind == KeyDecoder::Output::Kind::terminator) {
      if (auto done = d.assembler.terminate(now)) emit(d, std::move(*done));
    }
  }

  // Events were lost (the kernel's buffer overflowed): the scan under way lost characters.
  // libevdev hands the state changes missed; only the modifiers held matter.
  void resync(OpenDevice &d, Clock::time_point when) {
    if (auto done = d.assembler.abort("events_dropped")) {
      notice(NoticeKind::scan_dropped, d.device_id, "events_dropped",
             "Key events from " + d.name +
                 " were lost (the reader fell behind): the scan under way was dropped (\"" +
                 done->text + "\").",
             "Scan again.");
    }
    d.decoder.reset();
    d.discarding = true;
    d.last_key = when;  // the pause that ends the broken scan counts from the loss
    input_event ev{};
    int guard = kMaxEventsPerWake;
    while (guard-- > 0 &&
           libevdev_next_event(d.dev, LIBEVDEV_READ_FLAG_SYNC, &ev) == LIBEVDEV_READ_STATUS_SYNC) {
      const std::uint8_t usage = ev.type == EV_KEY ? hid_usage_from_linux_key(ev.code) : 0;
      if (usage < 0xE0) continue;
      if (ev.value == 0) {
        d.decoder.release(usage);
      } else {
        d.decoder.press(usage);
      }
    }
  }

  // Reads what is there; false when the device is gone or failed.
  // Each event is taken at its kernel time, not at the time of this read.
  bool drain(OpenDevice &d, int &error) {
    const Clock::time_point now = Clock::now();
    for (int n = 0; n < kMaxEventsPerWake; ++n) {
      input_event ev{};
      const int rc = libevdev_next_event(d.dev, LIBEVDEV_READ_FLAG_NORMAL, &ev);
      if (rc == LIBEVDEV_READ_STATUS_SUCCESS) {
        handle_key(d, ev, d.event_time(ev, now));
      } else if (rc == LIBEVDEV_READ_STATUS_SYNC) {
        resync(d, d.event_time(ev, now));  // ev is the SYN_DROPPED
      } else if (rc == -EAGAIN) {
        return true;
      } else {
        error = -rc;
        return false;
      }
    }
    return true;
  }

  void remove(std::size_t index, const std::string &why) {
    OpenDevice &d = *devices[index];
    if (auto done = d.assembler.abort("cable_pulled")) emit(d, std::move(*done));
    notice(NoticeKind::device_removed, d.device_id, {}, d.name + " (" + d.node + ") " + why);
    reported.erase(d.node);
    devices.erase(devices.begin() + static_cast<std::ptrdiff_t>(index));
    publish();
  }

  void open_device(Probe &p) {
    const EvdevDeviceConfig *config = p.config;
    const Layout layout =
        config != nullptr && config->layout ? *config->layout : options.default_layout;
    AssemblerOptions a;
    a.max_bytes = options.max_scan_bytes;
    a.quiet_gap = config != nullptr ? config->quiet_gap : options.default_quiet_gap;
    auto d = std::make_unique<OpenDevice>(layout, a);
    d->node = p.node;
    d->identity = identity_of(p.node).value_or(Identity{});
    // The config's own name for it when it used a stable link; else the link found.
    const bool config_stable = config != nullptr && config->path != p.node;
    d->device_id = "evdev:" + (config_stable ? config->path : p.stable);
    d->name = config != nullptr && !config->name.empty() ? config->name
              : p.name.empty()                           ? p.node
                                                         : p.name;
    d->handle = std::move(p.handle);
    d->fd = d->handle.fd;
    d->dev = d->handle.dev;
    if (d->dev == nullptr) return;  // judge() said why; not reached for an unopened node
    d->monotonic = p.monotonic;
    d->offset_known = p.monotonic;  // offset 0: the kernel's times are steady_clock's
    int grab = options.grab_hook ? options.grab_hook(p.node) : 0;
    if (grab == 0) grab = libevdev_grab(d->dev, LIBEVDEV_GRAB);
    if (grab == -EBUSY) {
      // Tried again every rescan_interval (rescan() sees the node in `retry`), said once.
      const std::string fix = busy_fix(p.node, options.rescan_interval);
      DeviceCandidate c;
      c.reader = "evdev";
      c.device_id = d->device_id;
      c.name = d->name;
      c.path = p.node;
      c.why = "a scanner (" + judge(options, p).why + "), but grabbed by another program; " +
              "tried again " + every(options.rescan_interval);
      c.fix = fix;
      c.layout = layout_name(layout);
      retry[p.node] = std::move(c);
      publish();
      if (reported.insert(p.node).second) {
        notice(NoticeKind::device_unusable, d->device_id, "busy",
               d->name + " (" + p.node + ") is grabbed by another program: not read until " +
                   "it lets go.",
               fix);
      }
      return;
    }
    std::string detail = d->name + " (" + p.node + "), " + layout_name(layout) + " layout";
    if (grab < 0) detail += "; not grabbed (" + std::string(std::strerror(-grab)) + ")";
    reported.erase(p.node);
    retry.erase(p.node);
    notice(NoticeKind::device_added, d->device_id, {}, detail + ": " + judge(options, p).why);
    devices.push_back(std::move(d));
    publish();
  }

  // Lists the input directory: opens new scanners, forgets nodes that left.
  void rescan() {
    const std::vector<std::string> names = event_nodes(options.input_dir);
    // Devices whose node left or was replaced (another device with the same number).
    for (std::size_t i = devices.size(); i-- > 0;) {
      if (identity_of(devices[i]->node) != devices[i]->identity) remove(i, "was unplugged");
    }
    std::set<std::string> present;
    for (const std::string &name : names) {
      const std::string node = options.input_dir + "/" + name;
      present.insert(node);
      const bool open = std::any_of(devices.begin(), devices.end(),
                                    [&](const auto &d) { return d->node == node; });
      if (open) continue;
      Probe p = probe(options, name);
      const Verdict v = judge(options, p);
      if (v.use) {
        open_device(p);
        continue;
      }
      // A scanner that failed to open (not for lack of permission: that takes a udev rule,
      // and the rule's chmod is an IN_ATTRIB) may open next time.
      if (v.notify && v.reason == "io_error") {
        DeviceCandidate c;
        c.reader = "evdev";
        c.device_id = "evdev:" + p.stable;
        c.name = p.name;
        c.path = node;
        c.why = v.why + "; tried again " + every(options.rescan_interval);
        retry[node] = std::move(c);
      } else {
        retry.erase(node);
      }
      if (v.notify && reported.insert(node).second) {
        notice(NoticeKind::device_unusable, "evdev:" + p.stable, v.reason,
               (p.name.empty() ? node : p.name) + ": " + v.why + ".", v.fix);
      }
    }
    for (auto it = reported.begin(); it != reported.end();) {
      const bool node_gone = it->rfind(options.input_dir + "/event", 0) == 0 && !present.count(*it);
      it = node_gone ? reported.erase(it) : std::next(it);
    }
    for (auto it = retry.begin(); it != retry.end();) {
      it = present.count(it->first) != 0 ? std::next(it) : retry.erase(it);
    }
    publish();
    // Configured devices not there: said once, and looked for every rescan_interval.
    bool missing = false;
    for (const EvdevDeviceConfig &config : options.devices) {
      const auto id = identity_of(config.path);
      const bool found = id && std::any_of(devices.begin(), devices.end(),
                                           [&](const auto &d) { return d->identity == *id; });
      if (found) {
        reported.erase(config.path);
        continue;
      }
      if (!id) {
        missing = true;
        if (reported.insert(config.path).second) {
          notice(NoticeKind::device_unusable, "evdev:" + config.path, "not_found",
                 "The configured scanner " + config.path +
                     " is not there (unplugged?); it will be read when it appears.",
                 "Plug it in; `comptoir --list-devices` shows the input devices found.");
        }
      } else {
        reported.erase(config.path);
      }
    }
    const Clock::time_point now = Clock::now();
    next_rescan = (inotify_fd < 0 || missing || !retry.empty()) ? now + options.rescan_interval
                                                                : Clock::time_point::max();
  }

  void on_inotify(Clock::time_point now) {
    alignas(inotify_event) char buf[4096];
    bool changed = false;
    for (;;) {
      const ssize_t n = ::read(inotify_fd, buf, sizeof buf);
      if (n <= 0) break;
      for (char *p = buf; p < buf + n;) {
        const auto *e = reinterpret_cast<const inotify_event *>(p);
        const std::string name = e->len > 0 ? std::string(e->name) : std::string();
        if ((e->mask & (IN_DELETE | IN_MOVED_FROM)) != 0 && is_event_node_name(name)) {
          const std::string node = options.input_dir + "/" + name;
          for (std::size_t i = devices.size(); i-- > 0;) {
            if (devices[i]->node == node) remove(i, "was unplugged");
          }
        }
        if ((e->mask & (IN_DELETE_SELF | IN_IGNORED)) != 0) {
          ::close(inotify_fd);
          inotify_fd = -1;
        }
        changed = true;
        p += sizeof(inotify_event) + e->len;
      }
      if (inotify_fd < 0) break;
    }
    if (changed) next_rescan = std::min(next_rescan, now + kSettle);
  }

  void run() {
    inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    watch();
    rescan();
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({stop_fd, POLLIN, 0});
      fds.push_back({inotify_fd, POLLIN, 0});  // -1 when none: poll ignores it
      for (const auto &d : devices) fds.push_back({d->fd, POLLIN, 0});

      Clock::time_point wake = next_rescan;
      for (const auto &d : devices) {
        if (auto due = d->assembler.deadline()) wake = std::min(wake, *due);
      }
      int timeout = -1;
      if (wake != Clock::time_point::max()) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now()).count();
        timeout = static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
      }
      const int ready = ::poll(fds.data(), fds.size(), timeout);
      if (ready < 0 && errno != EINTR) break;
      const Clock::time_point now = Clock::now();
      if ((fds[0].revents & POLLIN) != 0) break;
      if (inotify_fd >= 0 && (fds[1].revents & POLLIN) != 0) on_inotify(now);

      // Devices in fds order; removal shifts `devices`, so match by fd.
      for (std::size_t f = 2; f < fds.size(); ++f) {
        if (fds[f].revents == 0) continue;
        for (std::size_t i = 0; i < devices.size(); ++i) {
          if (devices[i]->fd != fds[f].fd) continue;
          int error = 0;
          bool alive = (fds[f].revents & POLLIN) == 0 || drain(*devices[i], error);
          if (alive && (fds[f].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
            alive = false;
            error = ENODEV;
          }
          if (!alive) {
            remove(i, error == ENODEV ? "was unplugged"
                                      : "failed: " + std::string(std::strerror(error)));
            next_rescan = std::min(next_rescan, now + kSettle);
          }
          break;
        }
      }
      for (const auto &d : devices) {
        const auto due = d->assembler.deadline();
        if (due && *due <= now) {
          if (auto done = d->assembler.tick(now)) emit(*d, std::move(*done));
        }
      }
      if (now >= next_rescan) {
        if (inotify_fd < 0) {
          inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
          watch();
        }
        rescan();
      }
    }
    devices.clear();  // ungrabs and closes
    retry.clear();
    publish();
  }
};

EvdevReader::EvdevReader(Options options) : options_(std::move(options)) {
  if (options_.rescan_interval > std::chrono::milliseconds(1000) ||
      options_.rescan_interval.count() <= 0) {
    options_.rescan_interval = std::chrono::milliseconds(1000);
  }
}

EvdevReader::~EvdevReader() {
  stop();
}

void EvdevReader::start(ScanSink &sink) {
  if (thread_.joinable()) return;
  engine_ = std::make_unique<Engine>(options_);
  engine_->sink = &sink;
  engine_->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (engine_->stop_fd < 0) {
    engine_->notice(
        NoticeKind::device_unusable, "evdev:", "io_error",
        std::string("The evdev reader cannot start: eventfd: ") + std::strerror(errno) + ".");
    engine_.reset();
    return;
  }
  thread_ = std::thread([engine = engine_.get()] { engine->run(); });
}

void EvdevReader::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(engine_->stop_fd, &one, sizeof one);
  thread_.join();
  engine_.reset();
}

std::vector<DeviceCandidate> EvdevReader::candidates() {
  std::map<std::string, DeviceCandidate> reading;
  if (engine_) {
    std::lock_guard lock(engine_->mutex);
    reading = engine_->reading;
  }
  std::vector<DeviceCandidate> out;
  std::set<const EvdevDeviceConfig *> configs_found;
  for (const std::string &name : event_nodes(options_.input_dir)) {
    const std::string node = options_.input_dir + "/" + name;
    if (auto it = reading.find(node); it != reading.end()) {
      out.push_back(it->second);
      const auto id = identity_of(node);
      for (const EvdevDeviceConfig &config : options_.devices) {
        if (config.path == node || (id && identity_of(config.path) == id)) {
          configs_found.insert(&config);
        }
      }
      continue;
    }
    Probe p = probe(options_, name);
    if (p.config != nullptr) configs_found.insert(p.config);
    Verdict v = judge(options_, p);
    DeviceCandidate c;
    c.reader = "evdev";
    c.device_id =
        "evdev:" + (p.config != nullptr && p.config->path != p.node ? p.config->path : p.stable);
    c.name = p.config != nullptr && !p.config->name.empty() ? p.config->name : p.name;
    c.path = p.node;
    c.layout = layout_name(p.config != nullptr && p.config->layout ? *p.config->layout
                                                                   : options_.default_layout);
    // No grab here, not even for a moment: a reader starting now (this process's or the
    // service's) would find the scanner busy. A running reader's own try is listed above.
    c.used = v.use;
    c.why = v.why;
    c.fix = v.fix;
    out.push_back(std::move(c));
  }
  for (const EvdevDeviceConfig &config : options_.devices) {
    if (configs_found.count(&config) != 0) continue;
    DeviceCandidate c;
    c.reader = "evdev";
    c.device_id = "evdev:" + config.path;
    c.name = config.name;
    c.path = config.path;
    c.why = "configured, but not there (unplugged?)";
    c.fix = "Plug it in, or correct the path in the config.";
    c.layout = layout_name(config.layout.value_or(options_.default_layout));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace comptoir::drivers
