// The libusb HID reader: scanners read below the kernel's keyboard driver, as boot-keyboard
// reports (a keyboard-wedge scanner, decoded with its layout) or HID-POS reports (usage page
// 0x8C, whole scans in a few reports). One libusb context and one event thread own every
// device; each device has one interrupt IN transfer in flight (a boot-subclass interface read
// in boot mode is first asked for the boot protocol, SET_PROTOCOL). Devices come and go with no
// restart (hotplug callbacks, or re-enumeration each second where libusb has none). A
// keyboard is never taken from a person unless the config names it. Includes nothing of
// ours but drivers/ headers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "drivers/keymap.hpp"
#include "drivers/reader.hpp"

namespace comptoir::drivers {

enum class UsbHidMode : std::uint8_t {
  boot,       // boot-keyboard reports, decoded with `layout`
  hid_pos,    // HID-POS scanned data reports
  automatic,  // HID-POS when the report descriptor says usage page 0x8C, else boot keyboard
};

std::optional<UsbHidMode> usb_hid_mode_from_name(std::string_view name);  // boot, hid-pos, auto
const char *usb_hid_mode_name(UsbHidMode mode);

// A device the config names: it is read even when it looks like a keyboard.
struct UsbDeviceConfig {
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  // "1-2" or "1-2.4" (bus, then port numbers as libusb_get_port_numbers gives them): only the
  // device in that socket. Empty: any device with these ids.
  std::string bus_path;
  UsbHidMode mode = UsbHidMode::automatic;
  Layout layout = Layout::us;  // boot mode: the layout the scanner types for
  // 0: scans end on Enter/Tab (boot) or on the last report (HID-POS); otherwise also after
  // this long without a character (boot-mode scanners with no suffix).
  std::chrono::milliseconds quiet_gap{0};
};

struct UsbHidReaderOptions {
  std::vector<UsbDeviceConfig> devices;
  // Also read devices the config does not name, but only HID-POS interfaces (report
  // descriptor on usage page 0x8C): a keyboard is a person's, never detached unasked.
  bool auto_detect = true;
  std::size_t max_scan_bytes = 4096;
  // Re-enumeration period where libusb has no hotplug support (and to pick up a device that
  // failed and is still there). At most 1 s, so a replugged scanner is read within 2 s.
  std::chrono::milliseconds rescan_interval{1000};
};

class UsbHidReader final : public Reader {
 public:
  explicit UsbHidReader(UsbHidReaderOptions options);
  ~UsbHidReader() override;
  UsbHidReader(const UsbHidReader &) = delete;
  UsbHidReader &operator=(const UsbHidReader &) = delete;

  void start(ScanSink &sink) override;
  void stop() override;
  std::vector<DeviceCandidate> candidates() override;

  // Implementation, in usb_hid_reader.cpp (libusb types stay out of this header).
  struct Engine;

 private:
  UsbHidReaderOptions options_;
  std::unique_ptr<Engine> engine_;
  std::thread thread_;
};

}  // namespace comptoir::drivers
