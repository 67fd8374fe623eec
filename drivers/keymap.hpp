// Key codes to text for keyboard-wedge scanners read below the keyboard layer (evdev with
// EVIOCGRAB, libusb boot-keyboard reports): the scanner sends key positions, and what
// they mean depends on the layout the scanner is set to type for. One KeyDecoder per
// device keeps that device's Shift, AltGr and Caps Lock state. Includes nothing of ours.
//
// What is modelled (Linux xkb "basic" variants: us, gb, fr, de): the digit row, the three
// letter rows, the ISO key left of Z, space, the keypad (digits whatever Num Lock and Shift
// say; / * - + and the decimal key, '.' or ',' on de), at four levels: base, Shift, AltGr
// (Right Alt), Shift+AltGr. us has no AltGr: Right Alt is Alt there. With Ctrl, left Alt or
// GUI held a key is a shortcut and gives nothing. Enter, keypad Enter and Tab end a scan.
//
// Caps Lock toggles on press and upper-cases base-level letters, Latin-1 ones included: on
// fr é è ç à ù give É È Ç À Ù (as xkb does; Windows gives the digits instead), on de ü ö ä
// give Ü Ö Ä; ß and µ stay. Shift with Caps Lock gives lower case on letter keys (a, ü),
// and the Shift level on the others (fr é key: 2). AltGr levels ignore Caps Lock.
//
// Dead keys (fr ^ and ¨, de ^ ´ `, and the AltGr dead keys giving those accents) compose
// with the next vowel (ê ë â ô á è ÿ, upper case too); followed by space they give the
// accent itself (^ ¨ ´ `, as Windows; xkb's Compose would give " and ' for ¨ and ´);
// followed by anything else, the accent then that character (2 characters in Output::text);
// followed by another dead key, both accents. A dead key pending when Enter or Tab comes is
// returned as the terminator's `text`: a reader appends it before ending the scan. Other
// dead keys (ogonek, caron, ...) give nothing.
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
      terminator,  // Enter (main or keypad) or Tab: the scan ends (after `text`, usually
                   // empty: a dead key's accent still pending)
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
