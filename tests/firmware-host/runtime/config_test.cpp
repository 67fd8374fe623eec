// The configuration file: defaults when absent, every key read, and a bad file refused with
// the line and the fix rather than half-applied; unknown keys warned about, not fatal.
#include "runtime/config.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

Config parsed(const std::string &text) {
  auto c = parse_config(text, "comptoir.toml");
  INFO((c ? std::string() : c.error().code + ": " + c.error().detail));
  REQUIRE(c.ok());
  return *c;
}

Error refused(const std::string &text) {
  auto c = parse_config(text, "comptoir.toml");
  REQUIRE_FALSE(c.ok());
  return c.error();
}

TEST_CASE("a missing config file means the defaults, unless it was asked for") {
  TempDir dir;
  auto c = load_config(dir.file("nope.toml"), false);
  REQUIRE(c.ok());
  CHECK(c->path.empty());
  CHECK(c->scanners.auto_detect);
  CHECK(c->scanners.layout == "fr");
  CHECK(c->sound);
  CHECK_FALSE(c->scanners.camera.enabled);

  auto asked = load_config(dir.file("nope.toml"), true);
  REQUIRE_FALSE(asked.ok());
  CHECK(asked.error().code == "config_unreadable");
  CHECK(asked.error().detail.find("nope.toml") != std::string::npos);
}

TEST_CASE("every scanner section is read") {
  const Config c = parsed(R"(
[appliance]
data_dir = "/var/lib/comptoir"
lang = "en"

[feedback]
sound = false

[scanners]
auto_detect = false
layout = "us"
max_scan_bytes = 8192

[[scanners.evdev]]
path = "/dev/input/by-id/usb-Honeywell_1250g-event-kbd"
layout = "de"
quiet_gap_ms = 40

[[scanners.usb]]
vendor = "0c2e"
product = 0x0b61
mode = "hid-pos"

[[scanners.serial]]
path = "/dev/ttyACM0"
baud = 115200
terminator = "crlf"

[scanners.camera]
enabled = true
device = "/dev/video2"
max_cpu_percent = 20
)");
  CHECK(c.data_dir == "/var/lib/comptoir");
  CHECK(c.lang == "en");
  CHECK_FALSE(c.sound);
  CHECK_FALSE(c.scanners.auto_detect);
  CHECK(c.scanners.layout == "us");
  CHECK(c.scanners.max_scan_bytes == 8192);
  REQUIRE(c.scanners.evdev_devices.size() == 1);
  CHECK(c.scanners.evdev_devices[0].path == "/dev/input/by-id/usb-Honeywell_1250g-event-kbd");
  CHECK(c.scanners.evdev_devices[0].layout == "de");
  CHECK(c.scanners.evdev_devices[0].quiet_gap_ms == 40);
  REQUIRE(c.scanners.usb_devices.size() == 1);
  CHECK(c.scanners.usb_devices[0].vendor == 0x0c2e);
  CHECK(c.scanners.usb_devices[0].product == 0x0b61);
  CHECK(c.scanners.usb_devices[0].mode == "hid-pos");
  REQUIRE(c.scanners.serial_ports.size() == 1);
  CHECK(c.scanners.serial_ports[0].baud == 115200);
  CHECK(c.scanners.serial_ports[0].terminator == "crlf");
  CHECK(c.scanners.camera.enabled);
  CHECK(c.scanners.camera.device == "/dev/video2");
  CHECK(c.scanners.camera.max_cpu_percent == 20);
  CHECK(c.warnings.empty());
}

TEST_CASE("a reader can be switched off as a whole") {
  const Config c = parsed("[scanners]\nevdev = false\nusb = false\n");
  CHECK_FALSE(c.scanners.evdev);
  CHECK_FALSE(c.scanners.usb);
  CHECK(c.scanners.serial);
}

TEST_CASE("a bad value is refused with its line and what would be right") {
  Error e = refused("[scanners]\n\nlayout = \"azerty\"\n");
  CHECK(e.code == "config_invalid");
  CHECK(e.detail.find("comptoir.toml:3") != std::string::npos);
  CHECK(e.detail.find("de, fr, uk, us") != std::string::npos);

  e = refused("[[scanners.usb]]\nvendor = \"honeywell\"\nproduct = \"0b61\"\n");
  CHECK(e.detail.find("lsusb") != std::string::npos);

  e = refused("[[scanners.serial]]\npath = \"/dev/ttyACM0\"\nbaud = 9601\n");
  CHECK(e.detail.find("baud") != std::string::npos);

  e = refused("[[scanners.evdev]]\nlayout = \"us\"\n");
  CHECK(e.detail.find("needs path") != std::string::npos);

  e = refused("[scanners]\nauto_detect = \"yes\"\n");
  CHECK(e.detail.find("true or false") != std::string::npos);

  e = refused("[scanners.camera]\nmax_cpu_percent = 500\n");
  CHECK(e.detail.find("between 5 and 100") != std::string::npos);
}

TEST_CASE("a file that is not TOML is refused with the line") {
  const Error e = refused("[scanners\nlayout = \"us\"\n");
  CHECK(e.code == "config_invalid");
  CHECK(e.detail.rfind("comptoir.toml:1: ", 0) == 0);
}

TEST_CASE("an unknown key is a warning with its line, and the rest is read") {
  const Config c = parsed("[scanners]\nlayuot = \"us\"\nlayout = \"de\"\n");
  CHECK(c.scanners.layout == "de");
  REQUIRE(c.warnings.size() == 1);
  CHECK(c.warnings[0] == "comptoir.toml:2: unknown key [scanners] layuot (ignored)");
}

TEST_CASE("a config file on disk is read, and an unreadable one is refused") {
  TempDir dir;
  const std::string path = dir.file("comptoir.toml");
  std::ofstream(path) << "[scanners]\nlayout = \"uk\"\n";
  auto c = load_config(path, true);
  REQUIRE(c.ok());
  CHECK(c->path == path);
  CHECK(c->scanners.layout == "uk");

  // A directory where the file should be: not a missing file, so not the defaults.
  auto d = load_config(dir.path(), false);
  CHECK_FALSE(d.ok());
}

}  // namespace
}  // namespace comptoir::test
