// drivers/evdev_reader under umockdev: real libevdev, real ioctls answered from a script,
// key events replayed from evemu recordings, real inotify on the testbed's /dev/input; no
// hardware. Each test case builds its own testbed (libumockdev's C API): device
// descriptions (tests/fixtures/evdev/*.umockdev, or made here for the other devices), the
// ioctls libevdev asks when it opens a device, and evemu events typing a text through a
// layout. It must run under umockdev-wrapper, one test case per process
// (tests/drivers/evdev.cmake does that).
#include "drivers/evdev_reader.hpp"

#include <dlfcn.h>
#include <doctest/doctest.h>
#include <linux/input-event-codes.h>
#include <linux/input.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <umockdev.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "tests/drivers/recorder.hpp"
#include "tests/support/drop_root.hpp"
#include "tests/support/temp_dir.hpp"

// EVIOCGRAB calls made by this process, seen by an ioctl() of the test program's own: it
// comes before umockdev's preloaded one, and hands every call on to it (RTLD_NEXT).
std::atomic<int> g_grabs{0};

extern "C" int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list args;
  va_start(args, request);
  void *arg = va_arg(args, void *);
  va_end(args);
  using Ioctl = int (*)(int, unsigned long, ...);
  static const auto next = reinterpret_cast<Ioctl>(::dlsym(RTLD_NEXT, "ioctl"));
  if (request == static_cast<unsigned long>(EVIOCGRAB) && arg != nullptr) ++g_grabs;
  return next(fd, request, arg);
}

namespace {

using namespace comptoir::drivers;
using namespace comptoir::test;
using namespace std::chrono_literals;

const std::string kFixtures = COMPTOIR_EVDEV_FIXTURES;

// ---------------------------------------------------------------------------------------
// What the reader said
// ---------------------------------------------------------------------------------------

std::vector<ScanEvent> scans_of(const std::vector<Item> &items) {
  std::vector<ScanEvent> out;
  for (const Item &i : items) {
    if (const auto *s = std::get_if<ScanEvent>(&i)) out.push_back(*s);
  }
  return out;
}

std::vector<DeviceNotice> notices_of(const std::vector<Item> &items, NoticeKind kind,
                                     const std::string &reason = {}) {
  std::vector<DeviceNotice> out;
  for (const Item &i : items) {
    if (const auto *n = std::get_if<DeviceNotice>(&i)) {
      if (n->kind == kind && (reason.empty() || n->reason == reason)) out.push_back(*n);
    }
  }
  return out;
}

std::function<bool(const std::vector<Item> &)> scans_at_least(std::size_t n) {
  return [n](const std::vector<Item> &items) { return scans_of(items).size() >= n; };
}

std::string dump(const std::vector<Item> &items) {
  std::string out;
  for (const Item &i : items) {
    if (const auto *s = std::get_if<ScanEvent>(&i)) {
      out += "scan " + s->device_id + " [" + s->layout + "] " + s->text + "\n";
    } else {
      const auto &n = std::get<DeviceNotice>(i);
      out += std::string(notice_kind_name(n.kind)) + " " + n.device_id + " " + n.reason + " " +
             n.detail + "\n";
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Devices
// ---------------------------------------------------------------------------------------

// An input device as the testbed shows it: sysfs (name, id, capabilities), the node with
// its by-id link, and the ioctls libevdev_new_from_fd asks (sizes as libevdev 1.13 asks
// them: a 255-byte name, 96 bytes of key bits, 8 for the other bitmaps, 16 for FF).
struct FakeDevice {
  int number = 7;  // event7, input7, minor 64 + 7
  std::string name;
  std::uint16_t vendor = 0;
  std::uint16_t product = 0;
  std::string by_id;  // the by-id link's name; empty: none
  bool keyboard = true;

  std::string node() const { return "/dev/input/event" + std::to_string(number); }
  std::string input_sysfs() const {
    return "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-" + std::to_string(number) + "/1-" +
           std::to_string(number) + ":1.0/input/input" + std::to_string(number);
  }
  std::string event_sysfs() const { return input_sysfs() + "/event" + std::to_string(number); }
};

std::string hex(const std::vector<unsigned char> &bytes) {
  std::string out;
  char buf[3];
  for (unsigned char b : bytes) {
    std::snprintf(buf, sizeof buf, "%02X", b);
    out += buf;
  }
  return out;
}

std::string hex4(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

// The keys a device has: every key of a keyboard (1..127), or a mouse's buttons.
std::vector<unsigned char> key_bits(bool keyboard) {
  std::vector<unsigned char> bits(96, 0);
  if (keyboard) {
    for (unsigned k = 1; k < 128; ++k) bits[k / 8] |= static_cast<unsigned char>(1u << (k % 8));
  } else {
    for (unsigned k = BTN_LEFT; k <= BTN_MIDDLE; ++k) {
      bits[k / 8] |= static_cast<unsigned char>(1u << (k % 8));
    }
  }
  return bits;
}

std::string umockdev_description(const FakeDevice &d) {
  const std::string n = std::to_string(d.number);
  std::string text = "P: " + d.event_sysfs().substr(4) + "\nN: input/event" + n + "\n";
  if (!d.by_id.empty()) text += "S: input/by-id/" + d.by_id + "\n";
  text += "E: DEVNAME=/dev/input/event" + n +
          "\nE: MAJOR=13\nE: MINOR=" + std::to_string(64 + d.number) +
          "\nE: SUBSYSTEM=input\nE: ID_INPUT=1\n" +
          (d.keyboard ? "E: ID_INPUT_KEYBOARD=1\n" : "E: ID_INPUT_MOUSE=1\n") +
          "A: dev=13:" + std::to_string(64 + d.number) + "\nL: device=../../input" + n + "\n\n";
  // sysfs capabilities: hex longs, most significant first.
  const auto bits = key_bits(d.keyboard);
  std::string key_caps;
  for (int word = 11; word >= 0; --word) {
    unsigned long long v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | bits[static_cast<std::size_t>(word * 8 + b)];
    if (v == 0 && key_caps.empty()) continue;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%llx", v);
    key_caps += (key_caps.empty() ? "" : " ") + std::string(buf);
  }
  text += "P: " + d.input_sysfs().substr(4) + "\nE: NAME=\"" + d.name +
          "\"\nE: SUBSYSTEM=input\nA: name=" + d.name +
          "\nA: id/bustype=0003\nA: id/vendor=" + hex4(d.vendor) +
          "\nA: id/product=" + hex4(d.product) +
          "\nA: id/version=0111\nA: capabilities/ev=" + (d.keyboard ? "120013" : "17") +
          "\nA: capabilities/key=" + key_caps + "\n";
  return text;
}

std::string ioctl_script(const FakeDevice &d) {
  std::vector<unsigned char> name(d.name.begin(), d.name.end());
  name.push_back(0);
  const std::size_t name_len = name.size();
  name.resize(255, 0);
  std::vector<unsigned char> ev(8, 0);
  for (unsigned t : d.keyboard ? std::vector<unsigned>{EV_SYN, EV_KEY, EV_MSC, EV_LED, EV_REP}
                               : std::vector<unsigned>{EV_SYN, EV_KEY, EV_REL}) {
    ev[t / 8] |= static_cast<unsigned char>(1u << (t % 8));
  }
  std::vector<unsigned char> rel(8, 0);
  if (!d.keyboard) rel[0] = 0x03;  // REL_X, REL_Y
  const std::vector<unsigned char> id = {0x03,
                                         0x00,
                                         static_cast<unsigned char>(d.vendor & 0xFF),
                                         static_cast<unsigned char>(d.vendor >> 8),
                                         static_cast<unsigned char>(d.product & 0xFF),
                                         static_cast<unsigned char>(d.product >> 8),
                                         0x11,
                                         0x01};
  const std::string z8 = hex(std::vector<unsigned char>(8, 0));
  std::string s;
  s += "EVIOCGVERSION 0 01000100\n";
  s += "EVIOCGID 0 " + hex(id) + "\n";
  s += "EVIOCGNAME(0) " + std::to_string(name_len) + " " + hex(name) + "\n";
  s += "EVIOCGPROP(0) 8 " + z8 + "\n";
  s += "EVIOCGBIT(0) 8 " + hex(ev) + "\n";
  s += "EVIOCGBIT(1) 96 " + hex(key_bits(d.keyboard)) + "\n";
  s += "EVIOCGBIT(2) 8 " + hex(rel) + "\n";
  s += "EVIOCGBIT(3) 8 " + z8 + "\n";
  s += "EVIOCGBIT(4) 8 " + std::string(d.keyboard ? "10" : "00") + std::string(14, '0') + "\n";
  s += "EVIOCGBIT(5) 8 " + z8 + "\n";
  s += "EVIOCGBIT(17) 8 " + std::string(d.keyboard ? "1F" : "00") + std::string(14, '0') + "\n";
  s += "EVIOCGBIT(18) 8 " + z8 + "\n";
  s += "EVIOCGBIT(21) 16 " + hex(std::vector<unsigned char>(16, 0)) + "\n";
  s += "EVIOCGREP 0 FA00000021000000\n";
  s += "EVIOCGKEY(0) 96 " + hex(std::vector<unsigned char>(96, 0)) + "\n";
  s += "EVIOCGLED(0) 8 " + z8 + "\n";
  s += "EVIOCGSW(0) 8 " + z8 + "\n";
  return s;
}

// ---------------------------------------------------------------------------------------
// Typing
// ---------------------------------------------------------------------------------------

struct Stroke {
  unsigned key;
  bool shift;
  bool altgr;
};

// The key and level giving `c` on `layout`, found by asking the decoder (tested on its
// own in keymap_test.cpp); the evdev tests check the plumbing around it.
Stroke stroke_for(Layout layout, char c) {
  for (int level = 0; level < 4; ++level) {
    for (unsigned key = 1; key < 128; ++key) {
      const std::uint8_t usage = hid_usage_from_linux_key(key);
      if (usage == 0 || usage >= 0xE0) continue;
      KeyDecoder d(layout);
      if (level & 1) d.press(kUsageLeftShift);
      if (level & 2) d.press(kUsageRightAlt);
      const KeyDecoder::Output out = d.press(usage);
      if (out.kind == KeyDecoder::Output::Kind::text && out.text == std::string(1, c)) {
        return {key, (level & 1) != 0, (level & 2) != 0};
      }
    }
  }
  FAIL("no key types ", c);
  return {};
}

// evemu events ("E: sec.usec type code value"), 1 ms apart from `start_ms`.
class Evemu {
 public:
  explicit Evemu(long start_ms = 0) : t_us_(start_ms * 1000) {}
  void key(unsigned code, int value) {
    event(EV_KEY, code, value);
    event(EV_SYN, SYN_REPORT, 0);
    t_us_ += 1000;
  }
  void type(Layout layout, std::string_view text) {
    for (char c : text) {
      const Stroke s = stroke_for(layout, c);
      if (s.shift) key(KEY_LEFTSHIFT, 1);
      if (s.altgr) key(KEY_RIGHTALT, 1);
      key(s.key, 1);
      key(s.key, 0);
      if (s.altgr) key(KEY_RIGHTALT, 0);
      if (s.shift) key(KEY_LEFTSHIFT, 0);
    }
  }
  void enter() {
    key(KEY_ENTER, 1);
    key(KEY_ENTER, 0);
  }
  void pause(long ms) { t_us_ += ms * 1000; }
  void event(unsigned type, unsigned code, int value) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "E: %ld.%06ld %04x %04x %d\n", t_us_ / 1000000, t_us_ % 1000000,
                  type, code, value);
    text_ += buf;
  }
  const std::string &text() const { return text_; }

 private:
  long t_us_;
  std::string text_ = "# EVEMU 1.3\n";
};

// A pickup token's shape: "ZA1" and 128 Crockford symbols.
std::string token_shaped(unsigned seed) {
  const std::string symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string text = "ZA1";
  for (unsigned i = 0; i < 128; ++i) text += symbols[(i * 7 + seed) % symbols.size()];
  return text;
}

// ---------------------------------------------------------------------------------------
// The testbed
// ---------------------------------------------------------------------------------------

struct Testbed {
  UMockdevTestbed *bed = nullptr;
  TempDir dir;
  int files = 0;

  Testbed() {
    REQUIRE_MESSAGE(std::getenv("LD_PRELOAD") != nullptr,
                    "run under umockdev-wrapper (see tests/drivers/evdev.cmake)");
    bed = umockdev_testbed_new();
    REQUIRE(umockdev_in_mock_environment());
  }
  ~Testbed() { g_object_unref(bed); }
  Testbed(const Testbed &) = delete;
  Testbed &operator=(const Testbed &) = delete;

  static void check(bool ok, GError *error) {
    INFO((error != nullptr ? error->message : ""));
    if (error != nullptr) g_error_free(error);
    REQUIRE(ok);
  }
  std::string write(std::string_view suffix, const std::string &text) {
    const std::string path = dir.file(std::to_string(files++) + std::string(suffix));
    write_file(path, text);
    return path;
  }
  // Plugs the device in, its events replayed from when it is opened.
  void plug(const FakeDevice &d, const std::string &evemu, const std::string &description = {}) {
    GError *error = nullptr;
    const std::string text = description.empty() ? umockdev_description(d) : description;
    check(umockdev_testbed_add_from_string(bed, text.c_str(), &error), error);
    const std::string ioctl = write(".ioctl", ioctl_script(d));
    check(umockdev_testbed_load_ioctl(bed, d.node().c_str(), ioctl.c_str(), &error), error);
    if (!evemu.empty()) {
      const std::string events = write(".evemu", evemu);
      check(umockdev_testbed_load_evemu_events(bed, d.node().c_str(), events.c_str(), &error),
            error);
    }
  }
  // Unplugs the device; its by-id link goes too, as udev removes it (umockdev leaves it).
  void unplug(const FakeDevice &d) {
    umockdev_testbed_remove_device(bed, d.event_sysfs().c_str());
    if (d.by_id.empty()) return;
    gchar *root = umockdev_testbed_get_root_dir(bed);
    const std::string link = std::string(root) + "/dev/input/by-id/" + d.by_id;
    g_free(root);
    REQUIRE(::unlink(link.c_str()) == 0);
  }
};

// The Honeywell of tests/fixtures/evdev/honeywell-1250g.umockdev.
FakeDevice honeywell() {
  FakeDevice d;
  d.number = 7;
  d.name = "Honeywell Imaging & Mobility 1250g";
  d.vendor = 0x0c2e;
  d.product = 0x0b61;
  d.by_id = "usb-Honeywell_Imaging___Mobility_1250g_17000B1234-event-kbd";
  return d;
}
const std::string kHoneywellById =
    "/dev/input/by-id/usb-Honeywell_Imaging___Mobility_1250g_17000B1234-event-kbd";

// Found by its name only (its vendor, QinHeng, makes USB chips for everything).
FakeDevice netum() {
  FakeDevice d;
  d.number = 9;
  d.name = "NETUM Barcode Scanner";
  d.vendor = 0x1a86;
  d.product = 0xe026;
  d.by_id = "usb-NETUM_Barcode_Scanner-event-kbd";
  return d;
}

FakeDevice person_keyboard() {
  FakeDevice d;
  d.number = 3;
  d.name = "Dell Dell KB216 Wired Keyboard";
  d.vendor = 0x413c;
  d.product = 0x2113;
  d.by_id = "usb-Dell_Dell_KB216_Wired_Keyboard-event-kbd";
  return d;
}

FakeDevice mouse() {
  FakeDevice d;
  d.number = 4;
  d.name = "Logitech USB Optical Mouse";
  d.vendor = 0x046d;
  d.product = 0xc077;
  d.keyboard = false;
  return d;
}

EvdevDeviceConfig configured(const std::string &path, Layout layout) {
  EvdevDeviceConfig c;
  c.path = path;
  c.layout = layout;
  return c;
}

}  // namespace

TEST_CASE(
    "evdev reader: an AZERTY and a QWERTY scanner type a code and a token, keyboards left alone") {
  Testbed bed;
  const std::string code = "K7QM-9X2D-4R1";
  const std::string token = token_shaped(3);
  REQUIRE(token.size() == 131);

  Evemu fr;
  fr.type(Layout::fr, code);
  fr.enter();
  fr.pause(20);
  fr.type(Layout::fr, token);
  fr.enter();
  Evemu us;
  us.type(Layout::us, code.substr(0, 4));
  us.event(EV_KEY, KEY_M, 2);  // key repeat: not typed by the scanner, ignored
  us.event(EV_SYN, SYN_REPORT, 0);
  us.type(Layout::us, code.substr(4));
  us.enter();
  us.pause(20);
  us.type(Layout::us, token);
  us.enter();
  Evemu person;
  person.type(Layout::us, "hello");
  person.enter();

  // The Honeywell from its committed description; the others made here.
  bed.plug(honeywell(), fr.text(), read_file(kFixtures + "/honeywell-1250g.umockdev"));
  bed.plug(netum(), us.text());
  bed.plug(person_keyboard(), person.text());
  bed.plug(mouse(), "");

  EvdevReaderOptions options;
  options.devices.push_back(configured(kHoneywellById, Layout::fr));
  options.auto_detect = true;
  options.default_layout = Layout::us;
  EvdevReader reader(options);
  Recorder sink;
  reader.start(sink);
  const bool done = sink.wait(scans_at_least(4), 5s);
  const auto candidates = reader.candidates();
  std::this_thread::sleep_for(100ms);  // anything more would come now (the keyboard's line)
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(done);

  std::map<std::string, std::vector<ScanEvent>> by_device;
  for (const ScanEvent &s : scans_of(items)) by_device[s.device_id].push_back(s);
  REQUIRE(by_device.size() == 2);
  const auto &azerty = by_device["evdev:" + kHoneywellById];
  REQUIRE(azerty.size() == 2);
  CHECK(azerty[0].text == code);
  CHECK(azerty[1].text == token);
  CHECK(azerty[0].layout == "fr");
  CHECK(azerty[0].source == Source::evdev);
  const auto &qwerty = by_device["evdev:/dev/input/by-id/usb-NETUM_Barcode_Scanner-event-kbd"];
  REQUIRE(qwerty.size() == 2);
  CHECK(qwerty[0].text == code);
  CHECK(qwerty[1].text == token);
  CHECK(qwerty[0].layout == "us");

  const auto added = notices_of(items, NoticeKind::device_added);
  CHECK(added.size() == 2);
  CHECK(notices_of(items, NoticeKind::scan_dropped).empty());
  CHECK(notices_of(items, NoticeKind::device_unusable).empty());

  // --list-devices: all four, the two scanners read, the keyboard and the mouse skipped.
  REQUIRE(candidates.size() == 4);
  std::map<std::string, DeviceCandidate> by_path;
  for (const DeviceCandidate &c : candidates) by_path[c.path] = c;
  CHECK(by_path["/dev/input/event7"].used);
  CHECK(by_path["/dev/input/event7"].layout == "fr");
  CHECK(by_path["/dev/input/event9"].used);
  CHECK(by_path["/dev/input/event9"].layout == "us");
  const DeviceCandidate &kbd = by_path["/dev/input/event3"];
  CHECK(!kbd.used);
  CHECK(kbd.name == "Dell Dell KB216 Wired Keyboard");
  CHECK(kbd.why.find("keyboard not named like a scanner") != std::string::npos);
  // The exact lines to paste into the config.
  CHECK(kbd.fix.find("[[scanners.evdev]]\npath = "
                     "\"/dev/input/by-id/usb-Dell_Dell_KB216_Wired_Keyboard-event-kbd\"\n"
                     "layout = \"us\"") != std::string::npos);
  CHECK(kbd.fix.find("/etc/comptoir/comptoir.toml") != std::string::npos);
  CHECK(!by_path["/dev/input/event4"].used);
  CHECK(by_path["/dev/input/event4"].why.find("not a keyboard") != std::string::npos);
}

TEST_CASE("evdev reader: candidates before start say why, from the name or the vendor") {
  Testbed bed;
  FakeDevice datalogic;
  datalogic.number = 5;
  datalogic.name = "USB HID Keyboard";  // says nothing; its vendor does
  datalogic.vendor = 0x05f9;
  datalogic.product = 0x2206;
  bed.plug(datalogic, "");
  bed.plug(netum(), "");
  bed.plug(person_keyboard(), "");

  EvdevReaderOptions options;
  options.default_layout = Layout::de;
  EvdevReader reader(options);
  g_grabs = 0;
  const auto candidates = reader.candidates();
  // Listing grabs nothing, not even for a moment: a service starting now would find its
  // scanner busy.
  CHECK(g_grabs.load() == 0);
  REQUIRE(candidates.size() == 3);
  std::map<std::string, DeviceCandidate> by_path;
  for (const DeviceCandidate &c : candidates) by_path[c.path] = c;
  CHECK(by_path["/dev/input/event5"].used);
  CHECK(by_path["/dev/input/event5"].why.find("05f9 (Datalogic)") != std::string::npos);
  CHECK(by_path["/dev/input/event5"].device_id == "evdev:/dev/input/event5");  // no by-id link
  CHECK(by_path["/dev/input/event9"].used);
  CHECK(by_path["/dev/input/event9"].why.find("name") != std::string::npos);
  CHECK(by_path["/dev/input/event9"].layout == "de");
  CHECK(!by_path["/dev/input/event3"].used);

  // The count sees grabs: reading grabs both scanners.
  Recorder sink;
  reader.start(sink);
  REQUIRE(sink.wait(
      [](const auto &items) { return notices_of(items, NoticeKind::device_added).size() == 2; },
      2s));
  reader.stop();
  CHECK(g_grabs.load() >= 2);

  // With auto-detection off only the configured device is read.
  options.auto_detect = false;
  options.devices.push_back(configured("/dev/input/event3", Layout::uk));
  EvdevReader configured_only(options);
  for (const DeviceCandidate &c : configured_only.candidates()) {
    CAPTURE(c.path);
    CHECK(c.used == (c.path == "/dev/input/event3"));
    if (c.used) {
      CHECK(c.why == "configured");
      CHECK(c.layout == "uk");
    }
  }
}

TEST_CASE("evdev reader: a scanner with no terminator is ended by its quiet gap") {
  Testbed bed;
  Evemu events;
  events.type(Layout::us, "K7QM-9X2D-4R1");
  events.pause(300);  // longer than the gap: two scans
  events.type(Layout::us, "ABC");
  bed.plug(honeywell(), events.text());

  EvdevReaderOptions options;
  EvdevDeviceConfig c = configured("/dev/input/event7", Layout::us);
  c.quiet_gap = 80ms;
  options.devices.push_back(c);
  EvdevReader reader(options);
  Recorder sink;
  const auto start = std::chrono::steady_clock::now();
  reader.start(sink);
  const bool done = sink.wait(scans_at_least(2), 3s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(done);
  const auto scans = scans_of(items);
  REQUIRE(scans.size() == 2);
  CHECK(scans[0].text == "K7QM-9X2D-4R1");
  CHECK(scans[1].text == "ABC");
  // The device id is the by-id link even though the config named the event node.
  CHECK(scans[0].device_id == "evdev:" + kHoneywellById);
  CHECK(elapsed >= 300ms + 80ms);
}

TEST_CASE("evdev reader: a cable pulled mid-scan drops the partial scan, the device comes back") {
  Testbed bed;
  const FakeDevice dev = honeywell();
  Evemu partial;
  partial.type(Layout::fr, "K7QM-9X");
  bed.plug(dev, partial.text());

  EvdevReaderOptions options;
  options.devices.push_back(configured(kHoneywellById, Layout::fr));
  EvdevReader reader(options);
  Recorder sink;
  reader.start(sink);
  REQUIRE(sink.wait(
      [](const auto &items) { return !notices_of(items, NoticeKind::device_added).empty(); }, 2s));
  std::this_thread::sleep_for(300ms);  // the partial scan is read
  bed.unplug(dev);
  const bool dropped = sink.wait(
      [](const auto &items) { return !notices_of(items, NoticeKind::device_removed).empty(); }, 2s);

  // Plugged back in: read again, within 2 s. It comes back as event8 (umockdev cannot make
  // a node twice under one name, and the kernel often gives a new number too); its by-id
  // link, and so its device id, is the same.
  Evemu full;
  full.type(Layout::fr, "K7QM-9X2D-4R1");
  full.enter();
  FakeDevice back = dev;
  back.number = 8;
  const auto replug = std::chrono::steady_clock::now();
  bed.plug(back, full.text());
  const bool again = sink.wait(scans_at_least(1), 3s);
  const auto latency = std::chrono::steady_clock::now() - replug;
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(dropped);
  const auto drops = notices_of(items, NoticeKind::scan_dropped);
  REQUIRE(drops.size() == 1);
  CHECK(drops[0].reason == "cable_pulled");
  CHECK(drops[0].device_id == "evdev:" + kHoneywellById);
  CHECK(drops[0].detail.find("K7QM-9X") != std::string::npos);
  CHECK(notices_of(items, NoticeKind::device_removed).size() == 1);
  REQUIRE(again);
  CHECK(latency < 2s);
  const auto scans = scans_of(items);
  REQUIRE(scans.size() == 1);
  CHECK(scans[0].text == "K7QM-9X2D-4R1");  // not glued to the dropped half
  CHECK(notices_of(items, NoticeKind::device_added).size() == 2);
  MESSAGE("replug to scan: ",
          std::chrono::duration_cast<std::chrono::milliseconds>(latency).count(), " ms");
}

TEST_CASE("evdev reader: a 10 kB flood with no terminator is one too_long drop, reading goes on") {
  Testbed bed;
  Evemu events;
  // Presses and releases of A, a report every 32 (umockdev replays ~5000 events a second
  // here: fewer reports keep the test short).
  for (int i = 0; i < 10 * 1024; ++i) {
    events.event(EV_KEY, KEY_A, 1);
    events.event(EV_KEY, KEY_A, 0);
    if (i % 32 == 31) events.event(EV_SYN, SYN_REPORT, 0);
  }
  events.enter();
  events.pause(10);
  events.type(Layout::us, "K7QM-9X2D-4R1");
  events.enter();
  bed.plug(netum(), events.text());

  EvdevReaderOptions options;
  EvdevReader reader(options);
  Recorder sink;
  reader.start(sink);
  const bool done = sink.wait(scans_at_least(1), 8s);
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items).substr(0, 4000));
  REQUIRE(done);
  const auto drops = notices_of(items, NoticeKind::scan_dropped);
  REQUIRE(drops.size() == 1);
  CHECK(drops[0].reason == "too_long");
  const auto scans = scans_of(items);
  REQUIRE(scans.size() == 1);
  CHECK(scans[0].text == "K7QM-9X2D-4R1");
}

TEST_CASE("evdev reader: events lost (SYN_DROPPED) drop the scan under way, the next one reads") {
  Testbed bed;
  Evemu events;
  events.type(Layout::us, "K7QM");
  events.event(EV_SYN, SYN_DROPPED, 0);
  events.event(EV_SYN, SYN_REPORT, 0);
  // libevdev drains whatever is queued when it resyncs: the rest comes after it has.
  events.pause(50);
  events.type(Layout::us, "X2D");
  events.enter();
  // The next scan, after a pause: read whether or not the broken scan's Enter was seen.
  events.pause(300);
  events.type(Layout::us, "K7QM-9X2D-4R1");
  events.enter();
  bed.plug(netum(), events.text());

  EvdevReader reader(EvdevReaderOptions{});
  Recorder sink;
  reader.start(sink);
  const bool done = sink.wait(scans_at_least(1), 3s);
  std::this_thread::sleep_for(300ms);  // a fragment of the broken scan would come by now
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(done);
  const auto drops = notices_of(items, NoticeKind::scan_dropped);
  REQUIRE(drops.size() == 1);
  CHECK(drops[0].reason == "events_dropped");
  const auto scans = scans_of(items);
  REQUIRE(scans.size() == 1);  // the rest of the broken scan is not a scan
  CHECK(scans[0].text == "K7QM-9X2D-4R1");
}

TEST_CASE("evdev reader: hotplug, a configured scanner plugged in after start is read within 2 s") {
  Testbed bed;
  EvdevReaderOptions options;
  options.devices.push_back(configured(kHoneywellById, Layout::fr));
  EvdevReader reader(options);
  Recorder sink;
  reader.start(sink);
  REQUIRE(sink.wait(
      [](const auto &items) {
        return !notices_of(items, NoticeKind::device_unusable, "not_found").empty();
      },
      2s));
  const auto listed = reader.candidates();
  REQUIRE(listed.size() == 1);
  CHECK(!listed[0].used);
  CHECK(listed[0].why.find("not there") != std::string::npos);

  Evemu events;
  events.type(Layout::fr, "K7QM-9X2D-4R1");
  events.enter();
  const auto plugged = std::chrono::steady_clock::now();
  bed.plug(honeywell(), events.text());
  const bool done = sink.wait(scans_at_least(1), 3s);
  const auto latency = std::chrono::steady_clock::now() - plugged;
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(done);
  CHECK(latency < 2s);
  CHECK(scans_of(items)[0].text == "K7QM-9X2D-4R1");
  CHECK(scans_of(items)[0].device_id == "evdev:" + kHoneywellById);
  CHECK(notices_of(items, NoticeKind::device_unusable).size() == 1);  // said once
  MESSAGE("plug to scan: ", std::chrono::duration_cast<std::chrono::milliseconds>(latency).count(),
          " ms");
}

TEST_CASE("evdev reader: a scanner another program holds is read as soon as it lets go") {
  Testbed bed;
  Evemu events;
  events.type(Layout::fr, "K7QM-9X2D-4R1");
  events.enter();
  bed.plug(honeywell(), events.text());

  // Another program (`comptoir --list-devices` of old, evtest) holds the scanner for the
  // first 1.5 s; inotify works and the configured path is there, so only the busy set
  // brings the reader back to it.
  std::atomic<int> tries{0};
  const auto freed_at = std::chrono::steady_clock::now() + 1500ms;
  EvdevReaderOptions options;
  options.devices.push_back(configured(kHoneywellById, Layout::fr));
  options.grab_hook = [&](const std::string &node) {
    CHECK(node == "/dev/input/event7");
    ++tries;
    return std::chrono::steady_clock::now() < freed_at ? -EBUSY : 0;
  };
  EvdevReader reader(options);
  Recorder sink;
  reader.start(sink);
  REQUIRE(sink.wait(
      [](const auto &items) {
        return !notices_of(items, NoticeKind::device_unusable, "busy").empty();
      },
      2s));
  // --list-devices while it is busy: told from the reader's own try, nothing grabbed.
  const auto listed = reader.candidates();
  const bool read = sink.wait(scans_at_least(1), 4s);
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(read);
  CHECK(tries.load() >= 2);  // tried again while busy
  CHECK(scans_of(items)[0].text == "K7QM-9X2D-4R1");
  CHECK(scans_of(items)[0].device_id == "evdev:" + kHoneywellById);
  const auto busy = notices_of(items, NoticeKind::device_unusable);
  REQUIRE(busy.size() == 1);  // said once, however many tries
  CHECK(busy[0].reason == "busy");
  CHECK(busy[0].fix.find("fuser -v /dev/input/event7") != std::string::npos);
  CHECK(busy[0].fix.find("retries every second") != std::string::npos);
  CHECK(notices_of(items, NoticeKind::device_added).size() == 1);
  REQUIRE(listed.size() == 1);
  CHECK(!listed[0].used);
  CHECK(listed[0].why.find("grabbed by another program") != std::string::npos);
  CHECK(listed[0].fix.find("fuser -v /dev/input/event7") != std::string::npos);
}

TEST_CASE("evdev reader: two quiet-gap scans read in one batch are split by their kernel times") {
  Testbed bed;
  Evemu events;
  events.type(Layout::us, "K7QM-9X2D-4R1");
  events.pause(80);  // twice the quiet gap, in the events' own times
  events.type(Layout::us, "ZA1-NEXT");
  bed.plug(honeywell(), events.text());

  EvdevReaderOptions options;
  EvdevDeviceConfig c = configured("/dev/input/event7", Layout::us);
  c.quiet_gap = 40ms;
  options.devices.push_back(c);
  EvdevReader reader(options);
  Recorder sink;
  // The reader is held in its device_added notice (before its first read) while umockdev
  // replays both scans (~150 ms): they wait in the queue and are read in one batch.
  sink.on_notice = [](const DeviceNotice &n) {
    if (n.kind == NoticeKind::device_added) std::this_thread::sleep_for(700ms);
  };
  reader.start(sink);
  const bool done = sink.wait(scans_at_least(2), 4s);
  std::this_thread::sleep_for(200ms);  // a third piece would come by now
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(done);
  const auto scans = scans_of(items);
  REQUIRE(scans.size() == 2);
  CHECK(scans[0].text == "K7QM-9X2D-4R1");
  CHECK(scans[1].text == "ZA1-NEXT");
}

TEST_CASE("evdev reader: no permission to open a scanner names the udev rule") {
  // Root opens any node: this process becomes nobody before it makes its testbed.
  REQUIRE(drop_root());
  Testbed bed;
  bed.plug(honeywell(), "");
  bed.plug(person_keyboard(), "");
  // A scanner whose sysfs says no vendor (a Bluetooth or serial wedge): the rule matches
  // its by-id link, never another maker's vendor id.
  FakeDevice no_vendor = netum();
  no_vendor.vendor = 0;
  bed.plug(no_vendor, "");
  REQUIRE(::chmod("/dev/input/event7", 0) == 0);  // through the testbed
  REQUIRE(::chmod("/dev/input/event3", 0) == 0);
  REQUIRE(::chmod("/dev/input/event9", 0) == 0);

  EvdevReader reader(EvdevReaderOptions{});
  const auto candidates = reader.candidates();
  REQUIRE(candidates.size() == 3);
  for (const DeviceCandidate &c : candidates) {
    CAPTURE(c.path);
    CHECK(!c.used);
    CHECK(c.why.find("no permission") != std::string::npos);
    CHECK(c.fix.find("SUBSYSTEM==\"input\"") != std::string::npos);
    CHECK(c.fix.find("usermod -aG input") != std::string::npos);
  }
  Recorder sink;
  reader.start(sink);
  const bool told = sink.wait(
      [](const auto &items) { return !notices_of(items, NoticeKind::device_unusable).empty(); },
      2s);
  std::this_thread::sleep_for(100ms);
  reader.stop();
  const auto items = sink.items();
  INFO(dump(items));
  REQUIRE(told);
  // Only the scanners are worth a notice; the keyboard is nobody's business here.
  const auto unusable = notices_of(items, NoticeKind::device_unusable);
  REQUIRE(unusable.size() == 2);
  CHECK(unusable[0].reason == "no_permission");
  CHECK(unusable[0].device_id == "evdev:" + kHoneywellById);
  CHECK(unusable[0].fix.find("ATTRS{idVendor}==\"0c2e\"") != std::string::npos);
  CHECK(unusable[1].reason == "no_permission");
  CHECK(unusable[1].device_id == "evdev:/dev/input/by-id/usb-NETUM_Barcode_Scanner-event-kbd");
  CHECK(unusable[1].fix.find("SYMLINK==\"input/by-id/usb-NETUM_Barcode_Scanner-event-kbd\"") !=
        std::string::npos);
  CHECK(unusable[1].fix.find("idVendor") == std::string::npos);
}

TEST_CASE("evdev reader: scanner names and vendors") {
  CHECK(evdev_name_looks_like_scanner("Honeywell Imaging & Mobility 1250g"));
  CHECK(evdev_name_looks_like_scanner("NETUM Barcode Scanner"));
  CHECK(evdev_name_looks_like_scanner("Symbol Technologies, Inc, 2008 Symbol Bar Code Scanner"));
  CHECK(evdev_name_looks_like_scanner("Datalogic ADC, Inc. Handheld Barcode Scanner"));
  CHECK(evdev_name_looks_like_scanner("Newland Auto-ID NLS-HR22"));
  CHECK(!evdev_name_looks_like_scanner("Dell Dell KB216 Wired Keyboard"));
  CHECK(!evdev_name_looks_like_scanner("AT Translated Set 2 keyboard"));
  CHECK(!evdev_name_looks_like_scanner(""));
  CHECK(std::string(evdev_scanner_vendor(0x0c2e)) == "Honeywell/Metrologic");
  CHECK(std::string(evdev_scanner_vendor(0x05e0)) == "Symbol/Zebra");
  CHECK(evdev_scanner_vendor(0x046d) == nullptr);  // Logitech
  CHECK(evdev_scanner_vendor(0x413c) == nullptr);  // Dell
}
