// Key codes to text for keyboard-wedge scanners read below the keyboard layer (evdev with
// EVIOCGRAB, libusb boot-keyboard reports): the scanner sends key positions, and what
// they mean depends on the layout the scanner is set to type for. One KeyDecoder per
// device keeps that device's Shift, AltGr and Caps Lock state. Includes nothing of ours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace comptoir::drivers {

enum class Layout : std::uint8_t { us, uk, fr, de };

std::optional<Layout> layout_from_name(std::string_view name);  // "us", "uk", "fr", "de"
const char *layout_name(Layout layout);

// The HID usage (keyboard page 0x07) of a Linux key code (KEY_* of <linux/input-event-codes.h>),
// 0 when the key has none. Both readers decode HID usages, so there is one table per layout.
std::uint8_t hid_usage_from_linux_key(unsigned key);

// Modifier usages: 0xE0 left Ctrl, 0xE1 left Shift, 0xE2 left Alt, 0xE3 left GUI, 0xE4..0xE7
// right Ctrl, Shift, Alt (AltGr), GUI. Boot-keyboard reports carry them as bits 0..7 of byte 0.
inline constexpr std::uint8_t kUsageLeftShift = 0xE1;
inline constexpr std::uint8_t kUsageRightAlt = 0xE6;
inline constexpr std::uint8_t kUsageEnter = 0x28;
inline constexpr std::uint8_t kUsageTab = 0x2B;
inline constexpr std::uint8_t kUsageCapsLock = 0x39;

class KeyDecoder {
 public:
  explicit KeyDecoder(Layout layout);

  struct Output {
    enum class Kind : std::uint8_t {
      none,        // a modifier, a key that gives nothing, a dead key waiting for the next
      text,        // `text` holds one character (UTF-8), or two for a dead key not composed
      terminator,  // Enter (main or keypad) or Tab: the scan ends
    };
    Kind kind = Kind::none;
    std::string text;
  };

  // A key went down (usage on page 0x07, modifiers included).
  Output press(std::uint8_t usage);
  // A key went up; only modifiers matter.
  void release(std::uint8_t usage);
  // Forget held modifiers and a pending dead key (device replugged, scan dropped). Caps
  // Lock is kept: it belongs to the device, not to the scan.
  void reset();

  Layout layout() const { return layout_; }

 private:
  Layout layout_;
  std::uint8_t modifiers_ = 0;  // bit n: usage 0xE0 + n held
  bool caps_lock_ = false;
  std::uint8_t dead_key_ = 0;    // usage of a pending dead key, 0 if none
  std::uint8_t dead_level_ = 0;  // the level it was pressed at
};

}  // namespace comptoir::drivers
