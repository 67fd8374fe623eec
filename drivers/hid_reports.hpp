// HID reports to scans, with no I/O, for the libusb reader (drivers/usb_hid_reader.hpp), its
// tests, the benchmark and fuzzing:
// - boot-keyboard input reports (8 bytes: modifiers, reserved, 6 key usages) diffed into key
//   presses and releases, decoded with a KeyDecoder and assembled with a ScanAssembler;
// - HID-POS "scanned data" reports (usage page 0x8C, Bar Code Scanner): report ID, length,
//   AIM symbology identifier, up to 56 data bytes, a "continued" flag; assembled across reports;
// - just enough of a HID report descriptor to tell a HID-POS interface from a keyboard.
// Every function takes any bytes at all: short, long or garbage input never crashes.
// Includes nothing of ours but drivers/ headers.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/keymap.hpp"
#include "drivers/scan_assembler.hpp"

namespace comptoir::drivers {

// ---- Boot-keyboard reports ---------------------------------------------------------------

inline constexpr std::size_t kBootReportSize = 8;
// The usage a keyboard repeats in all six slots when more keys are down than it can report
// (ErrorRollOver); 0x02 (POSTFail) and 0x03 (ErrorUndefined) are the other "phantom" states.
inline constexpr std::uint8_t kUsageErrorRollOver = 0x01;

struct KeyChange {
  bool pressed = false;
  std::uint8_t usage = 0;  // page 0x07; modifiers as 0xE0..0xE7
};

// Diffs consecutive boot-keyboard reports. A key held across reports is pressed once; the
// same key twice in a row shows up only because the device sends a report without it in
// between (which is what keyboards and scanners do). A phantom report (rollover error) is
// ignored: the keys it hides are unknown, so the state before it is kept.
class BootReportDiffer {
 public:
  // At most 8 modifiers and 6 keys released, then as many pressed.
  static constexpr std::size_t kMaxChanges = 28;
  struct Changes {
    std::array<KeyChange, kMaxChanges> items{};
    std::size_t size = 0;
    std::span<const KeyChange> view() const { return {items.data(), size}; }
  };

  // Releases come first (keys, then modifiers), then presses (modifiers, then keys in report
  // order), so a Shift that goes down with a letter applies to it and one that goes up as the
  // next letter goes down does not. Reports shorter than 3 bytes are ignored; bytes past the
  // 8th are ignored.
  Changes next(std::span<const std::uint8_t> report);
  // All keys up (device replugged, scan dropped).
  void reset() { previous_ = {}; }

 private:
  std::array<std::uint8_t, kBootReportSize> previous_{};
};

// Boot-keyboard reports -> scans: BootReportDiffer, then KeyDecoder, then ScanAssembler.
class BootKeyboardDecoder {
 public:
  using Clock = ScanAssembler::Clock;
  using Completed = ScanAssembler::Completed;

  BootKeyboardDecoder(Layout layout, AssemblerOptions options);

  // One input report; what it ended (a scan on Enter/Tab, a drop) is appended to `out`.
  void feed(std::span<const std::uint8_t> report, Clock::time_point now,
            std::vector<Completed> &out);
  std::optional<Completed> tick(Clock::time_point now) { return assembler_.tick(now); }
  std::optional<Clock::time_point> deadline() const { return assembler_.deadline(); }
  // The device left or failed: the partial scan is dropped with `reason`, keys forgotten.
  std::optional<Completed> abort(std::string_view reason);
  bool pending() const { return assembler_.pending(); }
  Layout layout() const { return keys_.layout(); }

 private:
  BootReportDiffer differ_;
  KeyDecoder keys_;
  ScanAssembler assembler_;
};

// ---- HID-POS scanned data reports --------------------------------------------------------

// The layout of the Bar Code Scanner "Scanned Data Report" that HID-POS scanners (Honeywell,
// Zebra, Datalogic, Access-IS) send, 64 bytes with its report ID:
//   [0] report ID   [1] data length (0..56)   [2..4] AIM symbology identifier ("]Q1")
//   [5..60] decoded data, NUL padded   [61] vendor symbology id   [62] reserved
//   [63] bit 0: decoded data continued in the next report
// Reports of another size are read the same way from both ends: the data area is what lies
// between the AIM identifier and the last 3 bytes.
inline constexpr std::uint8_t kHidPosScannedDataReportId = 0x02;
inline constexpr std::size_t kHidPosReportSize = 64;

struct HidPosReport {
  std::uint8_t report_id = 0;
  std::string aim;  // "]Q1", or empty when the scanner sent none
  std::string data;
  std::uint8_t vendor_symbology = 0;
  bool continued = false;
};

// nullopt when the bytes are not a scanned data report (too short, another report ID when
// `report_id` is given, no report ID byte expected when `report_id` is 0).
std::optional<HidPosReport> parse_hid_pos_report(
    std::span<const std::uint8_t> report, std::uint8_t report_id = kHidPosScannedDataReportId);

// "QRCode", "EAN-13", "Code128", … from an AIM symbology identifier ("]Q1"); empty if unknown.
std::string symbology_from_aim(std::string_view aim);

// Scanned data reports -> scans: data of "continued" reports is kept until the last report
// of the scan; the total is bounded by options.max_bytes (too_long, then the rest of the flood
// is discarded). A trailing CR/LF suffix, if the scanner is set to send one, is removed.
// options.quiet_gap is ignored: a HID-POS scan ends on its last report, never on a pause (a
// scanner may pause between "continued" reports, and a gap would serve half a scan). A scan
// whose last report never comes is dropped after options.stale_after.
class HidPosAssembler {
 public:
  using Clock = ScanAssembler::Clock;

  struct Completed {
    ScanAssembler::Completed scan;
    std::string symbology;  // of the scan's first report
  };

  explicit HidPosAssembler(AssemblerOptions options,
                           std::uint8_t report_id = kHidPosScannedDataReportId);

  // One input report; what it ended is appended to `out`. Reports that are not scanned data
  // (another report ID) are ignored.
  void feed(std::span<const std::uint8_t> report, Clock::time_point now,
            std::vector<Completed> &out);
  std::optional<Completed> tick(Clock::time_point now);
  std::optional<Clock::time_point> deadline() const { return assembler_.deadline(); }
  std::optional<Completed> abort(std::string_view reason);
  bool pending() const { return assembler_.pending(); }

 private:
  ScanAssembler assembler_;
  std::uint8_t report_id_;
  std::string symbology_;
};

// ---- Report descriptors ------------------------------------------------------------------

inline constexpr std::uint16_t kUsagePageBarCodeScanner = 0x8C;

struct ReportDescriptorInfo {
  bool parsed = false;           // items walked to the end without running off the bytes
  bool barcode_scanner = false;  // an application collection on usage page 0x8C
  bool keyboard = false;         // an application collection Generic Desktop / Keyboard
  bool uses_report_ids = false;  // input reports start with a report ID byte
  // The report ID of the first input item inside a Scanned Data Report (0x8C:0x12)
  // collection; 0 when there is none or the device uses no report IDs.
  std::uint8_t scanned_data_report_id = 0;
};

// Walks the short items of a HID report descriptor (long items are skipped); stops at the
// first item that runs past the end.
ReportDescriptorInfo describe_report_descriptor(std::span<const std::uint8_t> descriptor);

}  // namespace comptoir::drivers
