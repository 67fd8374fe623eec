// The evdev reader: keyboard-wedge scanners read through /dev/input with libevdev, below the
// keyboard layer. Each device read is grabbed (EVIOCGRAB), so its key presses never reach
// the desktop, a terminal or the kiosk window; key codes go through a KeyDecoder (the
// layout the scanner types for) and a ScanAssembler (Enter or Tab, or a quiet gap). One
// thread polls every device, a stop eventfd and an inotify watch on the input directory, so
// a scanner plugged in (or back in), or let go by another program that had grabbed it, is
// read within 2 s. A person's keyboard is never grabbed unless the config names it: only
// configured devices, and (with auto_detect) keyboards whose name or USB vendor says
// "barcode scanner", are read. Includes nothing of ours but drivers/ headers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "drivers/keymap.hpp"
#include "drivers/reader.hpp"

namespace comptoir::drivers {

struct EvdevDeviceConfig {
  // A stable /dev/input/by-id/usb-…-event-kbd or /dev/input/by-path/… link (the same across
  // replugs and reboots), or an event node (/dev/input/event5, which follows plug order).
  std::string path;
  // The layout the scanner is set to type for; nullopt: the reader's default_layout.
  std::optional<Layout> layout;
  // 0: the scanner ends each scan with Enter or Tab. Otherwise a scan also ends this long
  // after its last key (scanners set to send no suffix).
  std::chrono::milliseconds quiet_gap{0};
  std::string name;  // for the technician ("counter scanner"); empty: the device's name
};

struct EvdevReaderOptions {
  std::vector<EvdevDeviceConfig> devices;
  // Also read keyboards whose name or USB vendor looks like a barcode scanner's
  // (evdev_name_looks_like_scanner, evdev_scanner_vendor), with default_layout.
  bool auto_detect = true;
  Layout default_layout = Layout::us;
  std::chrono::milliseconds default_quiet_gap{0};  // for auto-detected scanners
  std::string input_dir = "/dev/input";
  std::string sys_class_dir = "/sys/class/input";  // names and capabilities of unopenable nodes
  std::size_t max_scan_bytes = 4096;
  // How often the input directory is listed again when inotify cannot watch it, while a
  // configured device is missing, or while a scanner is held by another program (EVIOCGRAB
  // said EBUSY) or failed to open: nothing in /dev/input changes when that program lets go.
  // At most 1 s, so a scanner is read within 2 s.
  std::chrono::milliseconds rescan_interval{1000};
  // For tests only: called with the event node just before the reader grabs it; 0 goes on
  // with the real EVIOCGRAB, a negative errno (-EBUSY: another program holds it) acts as if
  // EVIOCGRAB had failed so. umockdev answers every EVIOCGRAB with success, so a test has no
  // other way to play a busy scanner. Called on the reader thread. Empty in production.
  std::function<int(const std::string &node)> grab_hook;
};

// Whether a device name ("Honeywell Imaging & Mobility 1250g", "NETUM Barcode Scanner")
// names a barcode scanner by a word or a maker. Case-insensitive.
bool evdev_name_looks_like_scanner(std::string_view name);
// The maker, when a USB vendor id is a barcode-scanner maker's (0x0c2e Honeywell/Metrologic,
// 0x0536 Hand Held Products, 0x05e0 Symbol/Zebra, 0x05f9 Datalogic, 0x1eab Newland,
// 0x065a Opticon); nullptr otherwise. These makers sell nothing else that types.
const char *evdev_scanner_vendor(std::uint16_t vendor);

class EvdevReader final : public Reader {
 public:
  using Options = EvdevReaderOptions;

  explicit EvdevReader(Options options);
  ~EvdevReader() override;
  EvdevReader(const EvdevReader &) = delete;
  EvdevReader &operator=(const EvdevReader &) = delete;

  void start(ScanSink &sink) override;
  void stop() override;
  // Every event device in input_dir: used or skipped, why, the fix, the layout. Grabs
  // nothing (a grab, even for a moment, could make a running reader find its scanner busy):
  // whether another program holds a scanner is known only from a running reader's own try.
  std::vector<DeviceCandidate> candidates() override;

  // Implementation, in evdev_reader.cpp.
  struct Engine;

 private:
  Options options_;
  std::unique_ptr<Engine> engine_;
  std::thread thread_;
};

}  // namespace comptoir::drivers
