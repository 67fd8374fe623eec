// drivers/usb_hid_reader under umockdev: real libusb, real usbfs ioctls, no hardware. Each test
// case builds its own testbed (libumockdev's C API) from a device description in
// tests/fixtures/usb and an ioctl script it writes (tests/drivers/hid_typing.hpp), so it must
// run under umockdev-wrapper, one test case per process (tests/drivers/usb.cmake does that).
// umockdev replays the reports at once and starts the script over at its end.
#include "drivers/usb_hid_reader.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <umockdev.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "tests/drivers/hid_typing.hpp"
#include "tests/drivers/recorder.hpp"
#include "tests/support/drop_root.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace comptoir::drivers;
using namespace comptoir::test;
using namespace std::chrono_literals;

const std::string kFixtures = COMPTOIR_USB_FIXTURES;
constexpr const char *kBootNode = "/dev/bus/usb/001/002";
constexpr const char *kBootSysfs = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1";
constexpr const char *kPosNode = "/dev/bus/usb/001/003";

std::vector<ScanEvent> scans_of(const std::vector<Item> &items) {
  std::vector<ScanEvent> out;
  for (const Item &i : items)
    if (const auto *s = std::get_if<ScanEvent>(&i)) out.push_back(*s);
  return out;
}

std::vector<DeviceNotice> notices_of(const std::vector<Item> &items,
                                     std::optional<NoticeKind> kind = std::nullopt) {
  std::vector<DeviceNotice> out;
  for (const Item &i : items)
    if (const auto *n = std::get_if<DeviceNotice>(&i))
      if (!kind || n->kind == *kind) out.push_back(*n);
  return out;
}

// A umockdev testbed for this process; UMOCKDEV_DIR points libusb and sysfs at it.
struct Testbed {
  UMockdevTestbed *bed = nullptr;
  Testbed() {
    REQUIRE_MESSAGE(std::getenv("LD_PRELOAD") != nullptr,
                    "run under umockdev-wrapper (see tests/drivers/usb.cmake)");
    bed = umockdev_testbed_new();
    REQUIRE(umockdev_in_mock_environment());
  }
  ~Testbed() { g_object_unref(bed); }
  Testbed(const Testbed &) = delete;
  Testbed &operator=(const Testbed &) = delete;

  void load_ioctl(const char *node, const std::string &script) {
    GError *error = nullptr;
    const bool ok = umockdev_testbed_load_ioctl(bed, node, script.c_str(), &error);
    INFO((error != nullptr ? error->message : ""));
    if (error != nullptr) g_error_free(error);
    REQUIRE(ok);
  }
  void add(const std::string &umockdev_file) {
    GError *error = nullptr;
    const bool ok = umockdev_testbed_add_from_file(bed, umockdev_file.c_str(), &error);
    INFO((error != nullptr ? error->message : ""));
    if (error != nullptr) g_error_free(error);
    REQUIRE(ok);
  }
};

UsbDeviceConfig boot_scanner_config() {
  UsbDeviceConfig c;
  c.vendor_id = 0x0c2e;
  c.product_id = 0x0b61;
  c.mode = UsbHidMode::boot;
  c.layout = Layout::us;
  return c;
}

bool has_notice(const std::vector<Item> &items, NoticeKind kind, const std::string &reason = {}) {
  const auto n = notices_of(items, kind);
  return std::any_of(n.begin(), n.end(),
                     [&](const DeviceNotice &x) { return reason.empty() || x.reason == reason; });
}

}  // namespace

TEST_CASE("usb reader: a boot-keyboard scanner types a token-shaped scan through the us layout") {
  TempDir dir;
  const std::string token = token_shaped(2026);
  const std::string script = (dir.path() / "token.ioctl").string();
  write_ioctl_script(script, kBootNode, us_typing(token), 8);
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  UsbHidReader reader(options);
  Recorder sink;
  reader.start(sink);
  // The script starts over at its end: the same scan comes again, whole each time.
  const bool got = sink.wait([](const auto &items) { return scans_of(items).size() >= 3; }, 5s);
  reader.stop();
  REQUIRE(got);
  const auto items = sink.items();
  const auto scans = scans_of(items);
  for (const ScanEvent &s : scans) {
    CHECK(s.text == token);
    CHECK(s.source == Source::usb_boot_keyboard);
    CHECK(s.device_id == "usb:0c2e:0b61:1-1");
    CHECK(s.layout == "us");
    CHECK(s.symbology.empty());
  }
  CHECK(notices_of(items, NoticeKind::device_added).size() == 1);
  CHECK(notices_of(items, NoticeKind::scan_dropped).empty());
  CHECK(notices_of(items, NoticeKind::device_unusable).empty());
}

TEST_CASE("usb reader: an unconfigured keyboard is left alone and listed with the fix") {
  TempDir dir;
  const std::string script = (dir.path() / "token.ioctl").string();
  write_ioctl_script(script, kBootNode, us_typing("AB12"), 8);
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");

  UsbHidReader reader(UsbHidReaderOptions{});  // auto-detection only
  const auto found = reader.candidates();
  REQUIRE(found.size() == 1);
  CHECK(found[0].reader == "usb");
  CHECK(found[0].device_id == "usb:0c2e:0b61:1-1");
  CHECK(found[0].path == kBootNode);
  CHECK_FALSE(found[0].used);
  CHECK(found[0].why == "a keyboard, not configured: use evdev or configure it");
  // The fix is a config table that can be pasted as it is: one key a line, valid TOML, with
  // the keys the config reads.
  const std::string intro = "to read it as a scanner, add to the config:\n";
  REQUIRE(found[0].fix.rfind(intro, 0) == 0);
  const std::string table = found[0].fix.substr(intro.size());
  CHECK(table == "[[scanners.usb]]\nvendor = \"0c2e\"\nproduct = \"0b61\"\nmode = \"boot\"");
  std::optional<toml::table> parsed;
  std::string error;
  try {
    parsed = toml::parse(table);
  } catch (const toml::parse_error &e) {
    error = std::string(e.description());
  }
  REQUIRE_MESSAGE(parsed.has_value(), table << ": " << error);
  const toml::array *usb = (*parsed)["scanners"]["usb"].as_array();
  REQUIRE(usb != nullptr);
  REQUIRE(usb->size() == 1);
  const toml::table *entry = usb->get(0)->as_table();
  REQUIRE(entry != nullptr);
  CHECK(entry->size() == 3);
  CHECK((*entry)["vendor"].value_or(std::string()) == "0c2e");
  CHECK((*entry)["product"].value_or(std::string()) == "0b61");
  CHECK((*entry)["mode"].value_or(std::string()) == "boot");

  Recorder sink;
  reader.start(sink);
  std::this_thread::sleep_for(1500ms);  // more than a rescan
  reader.stop();
  CHECK(sink.items().empty());

  UsbHidReaderOptions configured;
  configured.devices.push_back(boot_scanner_config());
  const auto used = UsbHidReader(configured).candidates();
  REQUIRE(used.size() == 1);
  CHECK(used[0].used);
  CHECK(used[0].why == "configured (boot keyboard, layout us)");
  CHECK(used[0].layout == "us");
}

TEST_CASE("usb reader: a HID-POS scanner is found by its report descriptor, scans continued") {
  const std::string script = kFixtures + "/hid-pos-scanner.ioctl";
  Testbed bed;
  bed.load_ioctl(kPosNode, script);
  bed.add(kFixtures + "/hid-pos-scanner.umockdev");

  UsbHidReader reader(UsbHidReaderOptions{});  // nothing configured: auto-detection
  const auto found = reader.candidates();
  REQUIRE(found.size() == 1);
  CHECK(found[0].used);
  CHECK(found[0].why == "a HID-POS scanner (usage page 0x8C), found by auto-detection");

  Recorder sink;
  reader.start(sink);
  const bool got = sink.wait([](const auto &items) { return scans_of(items).size() >= 4; }, 5s);
  reader.stop();
  REQUIRE(got);
  const auto scans = scans_of(sink.items());
  // The script: an EAN-13 in one report, then an 86-character QR text in two (continued).
  const std::string qr =
      "https://portail.example/retrait/ZA1Q8W2B7N0MRT5KXC9V4JH6PGY3DFSA-2026-0042-STAND-17-OK";
  REQUIRE(qr.size() > 56);
  for (std::size_t i = 0; i < scans.size(); ++i) {
    CAPTURE(i);
    CHECK(scans[i].source == Source::usb_hid_pos);
    CHECK(scans[i].device_id == "usb:0c2e:0b8a:1-2");
    CHECK(scans[i].layout.empty());
    if (i % 2 == 0) {
      CHECK(scans[i].text == "4006381333931");
      CHECK(scans[i].symbology == "EAN-13");
    } else {
      CHECK(scans[i].text == qr);
      CHECK(scans[i].symbology == "QRCode");
    }
  }
  CHECK(notices_of(sink.items(), NoticeKind::scan_dropped).empty());
}

TEST_CASE("usb reader: a cable pulled mid-scan drops the partial scan, the device comes back") {
  TempDir dir;
  const std::string token = token_shaped(17);
  const std::string script = (dir.path() / "pull.ioctl").string();
  // A whole scan, then 40 characters of the next one, then the device is gone (ENODEV).
  auto reports = us_typing(token);
  const auto partial = us_typing(token.substr(0, 40), false);
  reports.insert(reports.end(), partial.begin(), partial.end());
  write_ioctl_script(script, kBootNode, reports, 8, /*pulled=*/true);
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  UsbHidReader reader(options);
  Recorder sink;
  const auto started = std::chrono::steady_clock::now();
  reader.start(sink);
  // The device node is still there after the ENODEV (umockdev does not remove it): the
  // reader's rescan opens it again, as after a replug, and the script starts over.
  const bool back = sink.wait(
      [](const auto &items) {
        return notices_of(items, NoticeKind::device_added).size() >= 2 &&
               scans_of(items).size() >= 2;
      },
      5s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  reader.stop();
  REQUIRE(back);
  CHECK(elapsed < 2500ms);  // the first pull is at once; back within a rescan (1 s)
  const auto items = sink.items();
  // In order: added, the scan, the drop (cable_pulled, with what was typed), removed, added.
  std::vector<std::string> order;
  for (const Item &i : items) {
    if (const auto *s = std::get_if<ScanEvent>(&i)) {
      CHECK(s->text == token);  // never a half scan
      order.push_back("scan");
    } else {
      const auto &n = std::get<DeviceNotice>(i);
      order.push_back(std::string(notice_kind_name(n.kind)) +
                      (n.reason.empty() ? "" : ":" + n.reason));
      if (n.kind == NoticeKind::scan_dropped) {
        CHECK(n.device_id == "usb:0c2e:0b61:1-1");
        CHECK(n.detail.find("left in the middle of a scan") != std::string::npos);
      }
    }
  }
  REQUIRE(order.size() >= 6);
  CHECK(order[0] == "device_added");
  CHECK(order[1] == "scan");
  CHECK(order[2] == "scan_dropped:cable_pulled");
  CHECK(order[3] == "device_removed");
  CHECK(order[4] == "device_added");
  CHECK(order[5] == "scan");
}

TEST_CASE("usb reader: a flood of 10 kB with no terminator is one too_long drop, reading goes on") {
  TempDir dir;
  const std::string token = token_shaped(99);
  // 10 kB of digits, no terminator: each report presses the next key and releases the last
  // (1 report a character, as a scanner in a loop would type).
  std::vector<Report> reports;
  for (int i = 0; i < 10240; ++i)
    reports.push_back(boot_report(0, static_cast<std::uint8_t>(0x1E + i % 2)));
  // The stuck key is released and Enter ends the flood; then a real scan.
  reports.push_back(boot_report(0, kUsageEnterKey));
  reports.push_back(boot_report(0, 0));
  const auto scan = us_typing(token);
  reports.insert(reports.end(), scan.begin(), scan.end());
  const std::string script = (dir.path() / "flood.ioctl").string();
  write_ioctl_script(script, kBootNode, reports, 8);
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  options.max_scan_bytes = 4096;
  UsbHidReader reader(options);
  Recorder sink;
  reader.start(sink);
  const bool got = sink.wait([](const auto &items) { return !scans_of(items).empty(); }, 40s);
  reader.stop();
  REQUIRE(got);
  const auto items = sink.items();
  const auto drops = notices_of(items, NoticeKind::scan_dropped);
  REQUIRE(drops.size() >= 1);
  CHECK(drops[0].reason == "too_long");
  CHECK(drops[0].detail.find("more than 4096 bytes") != std::string::npos);
  const auto scans = scans_of(items);
  CHECK(scans[0].text == token);
  // One drop per flood: before the first scan there is exactly one.
  std::size_t drops_before_scan = 0;
  for (const Item &i : items) {
    if (std::holds_alternative<ScanEvent>(i)) break;
    drops_before_scan += std::get<DeviceNotice>(i).kind == NoticeKind::scan_dropped;
  }
  CHECK(drops_before_scan == 1);
}

TEST_CASE("usb reader: hotplug, a scanner plugged in after start is read within 2 s") {
  TempDir dir;
  const std::string token = token_shaped(5);
  const std::string script = (dir.path() / "token.ioctl").string();
  write_ioctl_script(script, kBootNode, us_typing(token), 8);
  Testbed bed;

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  UsbHidReader reader(options);
  Recorder sink;
  reader.start(sink);
  std::this_thread::sleep_for(300ms);
  CHECK(sink.items().empty());

  // Plugged in: the script first, so the device answers as soon as it is seen; then the
  // "add" uevent libusb's udev monitor listens for (add_from_file sends none).
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");
  const auto plugged = std::chrono::steady_clock::now();
  umockdev_testbed_uevent(bed.bed, kBootSysfs, "add");
  const bool got = sink.wait([](const auto &items) { return !scans_of(items).empty(); }, 5s);
  const auto elapsed = std::chrono::steady_clock::now() - plugged;
  REQUIRE(got);
  CHECK(elapsed < 2s);
  CHECK(scans_of(sink.items())[0].text == token);

  // Pulled: the "remove" uevent; the reader says the device left and goes on.
  umockdev_testbed_uevent(bed.bed, kBootSysfs, "remove");
  umockdev_testbed_remove_device(bed.bed, kBootSysfs);
  const bool left = sink.wait(
      [](const auto &items) { return has_notice(items, NoticeKind::device_removed); }, 3s);
  reader.stop();
  CHECK(left);
  for (const ScanEvent &s : scans_of(sink.items())) CHECK(s.text == token);
}

TEST_CASE("usb reader: no permission on the device node gives the udev rule, never a crash") {
  // Root opens any node: this process becomes nobody before it makes its testbed, with the
  // fixture read first (the source tree may be where nobody cannot go).
  const std::string device = read_file(kFixtures + "/boot-scanner.umockdev");
  REQUIRE(drop_root());
  TempDir dir;
  const std::string script = (dir.path() / "token.ioctl").string();
  write_ioctl_script(script, kBootNode, us_typing("AB12"), 8);
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  const std::string device_file = (dir.path() / "boot-scanner.umockdev").string();
  std::ofstream(device_file) << device;
  bed.add(device_file);
  // The node as a fresh system leaves it: root's, not ours.
  const std::string node = std::string(std::getenv("UMOCKDEV_DIR")) + kBootNode;
  REQUIRE(::chmod(node.c_str(), 0) == 0);

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  UsbHidReader reader(options);
  const auto found = reader.candidates();
  REQUIRE(found.size() == 1);
  CHECK_FALSE(found[0].used);
  CHECK(found[0].why.find("no permission to open /dev/bus/usb/001/002") == 0);
  CHECK(found[0].fix.find("ATTRS{idVendor}==\"0c2e\", ATTRS{idProduct}==\"0b61\", MODE=\"0660\", "
                          "GROUP=\"comptoir\"") != std::string::npos);

  Recorder sink;
  reader.start(sink);
  const bool said = sink.wait(
      [](const auto &items) { return has_notice(items, NoticeKind::device_unusable); }, 3s);
  std::this_thread::sleep_for(1500ms);  // a rescan: said once, not once a second
  reader.stop();
  REQUIRE(said);
  const auto unusable = notices_of(sink.items(), NoticeKind::device_unusable);
  REQUIRE(unusable.size() == 1);
  CHECK(unusable[0].reason == "no_permission");
  CHECK(unusable[0].device_id == "usb:0c2e:0b61:1-1");
  CHECK(unusable[0].fix.find("SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"0c2e\"") != std::string::npos);
  CHECK(scans_of(sink.items()).empty());
}

TEST_CASE("usb reader: a boot-subclass scanner is set to the boot protocol before it is read") {
  TempDir dir;
  const std::string token = token_shaped(11);
  // What the device says in the report protocol, before SET_PROTOCOL(boot): read first only
  // if the request is never sent (or sent wrong: umockdev matches its 8 setup bytes exactly).
  const auto before = us_typing("WRONG");
  const auto after = us_typing(token);
  const std::string script = (dir.path() / "protocol.ioctl").string();
  {
    std::ofstream out(script);
    out << "@DEV " << kBootNode << "\n";
    for (const Report &r : before) out << reap_line(r, 8) << "\n";
    // SET_PROTOCOL(boot) to interface 0: a control URB (type 2) on endpoint 0, its buffer the
    // setup packet bmRequestType 0x21, bRequest 0x0B, wValue 0, wIndex 0, wLength 0.
    out << "USBDEVFS_REAPURBNDELAY 0 2 0 0 0 8 0 0 210B000000000000\n";
    for (const Report &r : after) out << reap_line(r, 8) << "\n";
    REQUIRE(out.good());
  }
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  UsbHidReader reader(options);
  Recorder sink;
  reader.start(sink);
  const bool got = sink.wait([](const auto &items) { return !scans_of(items).empty(); }, 5s);
  reader.stop();
  REQUIRE(got);
  const auto items = sink.items();
  CHECK(scans_of(items)[0].text == token);
  const auto added = notices_of(items, NoticeKind::device_added);
  REQUIRE(added.size() == 1);
  CHECK(added[0].detail.find("SET_PROTOCOL") == std::string::npos);  // it was accepted
}

TEST_CASE("usb reader: a scanner that refuses SET_PROTOCOL is read all the same") {
  TempDir dir;
  const std::string token = token_shaped(12);
  const std::string script = (dir.path() / "token.ioctl").string();
  // No control URB in the script: umockdev fails the request, as a scanner stalling it would.
  write_ioctl_script(script, kBootNode, us_typing(token), 8);
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  UsbHidReader reader(options);
  Recorder sink;
  reader.start(sink);
  const bool got = sink.wait([](const auto &items) { return !scans_of(items).empty(); }, 5s);
  reader.stop();
  REQUIRE(got);
  const auto items = sink.items();
  CHECK(scans_of(items)[0].text == token);
  const auto added = notices_of(items, NoticeKind::device_added);
  REQUIRE(added.size() == 1);
  CHECK(added[0].detail.find("refused SET_PROTOCOL(boot)") != std::string::npos);
  CHECK(notices_of(items, NoticeKind::device_unusable).empty());
  CHECK(notices_of(items, NoticeKind::scan_dropped).empty());
}

TEST_CASE(
    "usb reader: a stalled endpoint is cleared and reading goes on, the scan under way kept") {
  TempDir dir;
  const std::string first = token_shaped(21);
  const std::string second = token_shaped(22);
  // Half of the first scan, a STALL (EPIPE, -32), the rest of it, then a second scan.
  auto reports = us_typing(first.substr(0, 60), false);
  const auto rest = us_typing(first.substr(60));
  const auto next = us_typing(second);
  std::vector<std::string> lines;
  for (const Report &r : reports) lines.push_back(reap_line(r, 8));
  lines.push_back(reap_line({}, 8, -32));
  for (const Report &r : rest) lines.push_back(reap_line(r, 8));
  for (const Report &r : next) lines.push_back(reap_line(r, 8));
  const std::string script = (dir.path() / "stall.ioctl").string();
  {
    std::ofstream out(script);
    out << "@DEV " << kBootNode << "\n";
    for (const std::string &l : lines) out << l << "\n";
    REQUIRE(out.good());
  }
  Testbed bed;
  bed.load_ioctl(kBootNode, script);
  bed.add(kFixtures + "/boot-scanner.umockdev");

  UsbHidReaderOptions options;
  options.devices.push_back(boot_scanner_config());
  UsbHidReader reader(options);
  Recorder sink;
  reader.start(sink);
  // The script starts over at its end: each turn has a stall; 4 scans are two turns.
  const bool got = sink.wait([](const auto &items) { return scans_of(items).size() >= 4; }, 5s);
  const auto stopping = std::chrono::steady_clock::now();
  reader.stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
  REQUIRE(got);
  const auto items = sink.items();
  const auto scans = scans_of(items);
  for (std::size_t i = 0; i < scans.size(); ++i) {
    CAPTURE(i);
    CHECK(scans[i].text == (i % 2 == 0 ? first : second));
  }
  CHECK(notices_of(items, NoticeKind::scan_dropped).empty());
  CHECK(notices_of(items, NoticeKind::device_removed).empty());
  CHECK(notices_of(items, NoticeKind::device_added).size() == 1);
}

TEST_CASE("usb reader: stop wakes the event thread at once") {
  Testbed bed;  // no device: the event thread waits 250 ms at a time in libusb
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    UsbHidReader reader(UsbHidReaderOptions{});
    Recorder sink;
    reader.start(sink);
    std::this_thread::sleep_for(50ms);  // well inside a wait: about 200 ms of it left
    const auto asked = std::chrono::steady_clock::now();
    reader.stop();
    CHECK(std::chrono::steady_clock::now() - asked < 150ms);
    CHECK(sink.items().empty());
  }
}
