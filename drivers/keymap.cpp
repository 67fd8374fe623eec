// Key positions to text, per layout. The layouts are tables of what each key gives at its
// four levels (base, Shift, AltGr, Shift+AltGr), written row by row as on the keyboard and
// checked at compile time; they follow Linux xkb's "basic" variants (us, gb, fr, de), which
// the firmware-host layout tables (base and Shift only) agree with key for key.
#include "drivers/keymap.hpp"

#include <linux/input-event-codes.h>

#include <array>
#include <cstddef>
#include <stdexcept>
#include <utility>

namespace comptoir::drivers {
namespace {

// ---------------------------------------------------------------------------------------
// Key positions (HID usages, keyboard page 0x07)
// ---------------------------------------------------------------------------------------

constexpr std::size_t kUsages = 0x68;  // every usage modelled is below this
constexpr std::size_t kLevels = 4;     // base, Shift, AltGr, Shift+AltGr
constexpr std::size_t kRows = 4;

// The rows in the order the layout tables list their keys, left to right, named by what they
// give on a US keyboard: the digit row, the three letter rows, and the ISO key left of Z
// (0x64) at the start of the bottom row.
constexpr std::array<std::uint8_t, 13> kDigitRow = {0x35, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23,
                                                    0x24, 0x25, 0x26, 0x27, 0x2D, 0x2E};
constexpr std::array<std::uint8_t, 12> kTopRow = {0x14, 0x1A, 0x08, 0x15, 0x17, 0x1C,
                                                  0x18, 0x0C, 0x12, 0x13, 0x2F, 0x30};
// The last key is the ANSI backslash (0x31), which is also the ISO key right of the
// apostrophe (0x32) to Linux and Windows: both usages decode alike.
constexpr std::array<std::uint8_t, 12> kHomeRow = {0x04, 0x16, 0x07, 0x09, 0x0A, 0x0B,
                                                   0x0D, 0x0E, 0x0F, 0x33, 0x34, 0x31};
constexpr std::array<std::uint8_t, 11> kBottomRow = {0x64, 0x1D, 0x1B, 0x06, 0x19, 0x05,
                                                     0x11, 0x10, 0x36, 0x37, 0x38};
constexpr std::uint8_t kUsageIsoHash = 0x32;
constexpr std::uint8_t kUsageSpace = 0x2C;
constexpr std::uint8_t kUsageKeypadEnter = 0x58;
constexpr std::uint8_t kUsageKeypadDecimal = 0x63;

// ---------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------

// One row of a layout: what its keys give at each level, separated by spaces, one character
// each (UTF-8). "nil": nothing we model (dead keys other than the four below, keysyms that
// are not characters). "dead^", "dead¨", "dead´", "dead`": a dead key.
struct RowDef {
  std::array<std::string_view, kLevels> levels;
};

struct LayoutDef {
  Layout layout;
  const char *name;
  bool has_altgr;  // us: Right Alt is Alt, and Alt+key is a shortcut, not text
  std::string_view keypad_decimal;
  std::array<RowDef, kRows> rows;  // digit, top, home, bottom row
};

// clang-format off
constexpr std::array kLayoutDefs = {
    // xkb "us" (with "pc": the ISO key gives < >).
    LayoutDef{Layout::us, "us", false, ".", {{
        {{"` 1 2 3 4 5 6 7 8 9 0 - =",
          "~ ! @ # $ % ^ & * ( ) _ +",
          "nil nil nil nil nil nil nil nil nil nil nil nil nil",
          "nil nil nil nil nil nil nil nil nil nil nil nil nil"}},
        {{"q w e r t y u i o p [ ]",
          "Q W E R T Y U I O P { }",
          "nil nil nil nil nil nil nil nil nil nil nil nil",
          "nil nil nil nil nil nil nil nil nil nil nil nil"}},
        {{"a s d f g h j k l ; ' \\",
          "A S D F G H J K L : \" |",
          "nil nil nil nil nil nil nil nil nil nil nil nil",
          "nil nil nil nil nil nil nil nil nil nil nil nil"}},
        {{"< z x c v b n m , . /",
          "> Z X C V B N M < > ?",
          "nil nil nil nil nil nil nil nil nil nil nil",
          "nil nil nil nil nil nil nil nil nil nil nil"}},
    }}},
    // xkb "gb".
    LayoutDef{Layout::uk, "uk", true, ".", {{
        {{"` 1 2 3 4 5 6 7 8 9 0 - =",
          "¬ ! \" £ $ % ^ & * ( ) _ +",
          "| ¹ ² ³ € ½ ¾ { [ ] } \\ nil",
          "| ¡ ⅛ £ ¼ ⅜ ⅝ ⅞ ™ ± ° ¿ nil"}},
        {{"q w e r t y u i o p [ ]",
          "Q W E R T Y U I O P { }",
          "@ ſ e ¶ ŧ ← ↓ → ø þ dead¨ nil",
          "Ω § E ® Ŧ ¥ ↑ ı Ø Þ nil nil"}},
        {{"a s d f g h j k l ; ' #",
          "A S D F G H J K L : @ ~",
          "æ ß ð đ ŋ ħ nil ĸ ł dead´ dead^ dead`",
          "Æ ẞ Ð ª Ŋ Ħ nil & Ł nil nil nil"}},
        {{"\\ z x c v b n m , . /",
          "| Z X C V B N M < > ?",
          "| « » ¢ „ “ ” µ • · nil",
          "¦ < > © ‚ ‘ ’ º × ÷ nil"}},
    }}},
    // xkb "fr" (AZERTY): digits need Shift, A/Q and Z/W swap, M sits on the US ';' key.
    LayoutDef{Layout::fr, "fr", true, ".", {{
        {{"² & é \" ' ( - è _ ç à ) =",
          "~ 1 2 3 4 5 6 7 8 9 0 ° +",
          "¬ ¹ ~ # { [ | ` \\ ^ @ ] }",
          "¬ ¡ ⅛ £ $ ⅜ ⅝ ⅞ ™ ± ° ¿ nil"}},
        {{"a z e r t y u i o p dead^ $",
          "A Z E R T Y U I O P dead¨ £",
          "æ « € ¶ ŧ ← ↓ → ø þ dead¨ ¤",
          "Æ < ¢ ® Ŧ ¥ ↑ ı Ø Þ nil nil"}},
        {{"q s d f g h j k l m ù *",
          "Q S D F G H J K L M % µ",
          "@ ß ð đ ŋ ħ nil ĸ ł µ dead^ dead`",
          "Ω ẞ Ð ª Ŋ Ħ nil & Ł º nil nil"}},
        {{"< w x c v b n , ; : !",
          "> W X C V B N ? . / §",
          "| ł » ¢ „ “ ” dead´ • · nil",
          "¦ Ł > © ‚ ‘ ’ nil × ÷ nil"}},
    }}},
    // xkb "de" (QWERTZ): Y/Z swap, '-' sits on the US '/' key; the keypad gives a comma.
    LayoutDef{Layout::de, "de", true, ",", {{
        {{"dead^ 1 2 3 4 5 6 7 8 9 0 ß dead´",
          "° ! \" § $ % & / ( ) = ? dead`",
          "′ ¹ ² ³ ¼ ½ ¬ { [ ] } \\ nil",
          "″ ¡ ⅛ £ ¤ ⅜ ⅝ ⅞ ™ ± ° ¿ nil"}},
        {{"q w e r t z u i o p ü +",
          "Q W E R T Z U I O P Ü *",
          "@ ſ € ¶ ŧ ← ↓ → ø þ dead¨ ~",
          "Ω § € ® Ŧ ¥ ↑ ı Ø Þ nil ¯"}},
        {{"a s d f g h j k l ö ä #",
          "A S D F G H J K L Ö Ä '",
          "æ ſ ð đ ŋ ħ nil ĸ ł nil dead^ ’",
          "Æ ẞ Ð ª Ŋ Ħ nil & Ł nil nil nil"}},
        {{"< y x c v b n m , . -",
          "> Y X C V B N M ; : _",
          "| » « ¢ „ “ ” µ • … –",
          "nil › ‹ © ‚ ‘ ’ º × ÷ —"}},
    }}},
};
// clang-format on

// What a dead key composes with the next character (xkb's Compose and Windows agree on
// these); anything not listed gives the accent and then the character.
struct Composition {
  std::string_view accent;
  std::string_view plain;     // the ten (or twelve) letters it composes with
  std::string_view composed;  // what each gives, space-separated
};
constexpr std::array kCompositions = {
    Composition{"^", "aeiouAEIOU", "â ê î ô û Â Ê Î Ô Û"},
    Composition{"¨", "aeiouyAEIOUY", "ä ë ï ö ü ÿ Ä Ë Ï Ö Ü Ÿ"},
    Composition{"´", "aeiouyAEIOUY", "á é í ó ú ý Á É Í Ó Ú Ý"},
    Composition{"`", "aeiouAEIOU", "à è ì ò ù À È Ì Ò Ù"},
};

// ---------------------------------------------------------------------------------------
// Compile-time tables
// ---------------------------------------------------------------------------------------

// What a key gives at one level: a character, a dead key's accent, or nothing.
struct Glyph {
  std::string_view text;  // empty: nothing
  bool dead = false;
};
using KeyTable = std::array<std::array<Glyph, kLevels>, kUsages>;

constexpr std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  return 0;  // nothing in the tables needs four bytes
}

constexpr Glyph parse_token(std::string_view token) {
  if (token == "nil") return {};
  bool dead = false;
  if (token.size() > 4 && token.substr(0, 4) == "dead") {
    token = token.substr(4);
    dead = true;
  }
  if (token.empty() || utf8_length(static_cast<unsigned char>(token[0])) != token.size()) {
    throw std::logic_error("layout table: a token is not one character");
  }
  if (dead && token != "^" && token != "¨" && token != "´" && token != "`") {
    throw std::logic_error("layout table: a dead key with no composition table");
  }
  return Glyph{token, dead};
}

template <std::size_t N>
constexpr void parse_row(std::string_view row, const std::array<std::uint8_t, N> &keys,
                         std::size_t level, KeyTable &table) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < row.size()) {
    if (row[pos] == ' ') {
      ++pos;
      continue;
    }
    std::size_t end = row.find(' ', pos);
    if (end == std::string_view::npos) end = row.size();
    if (count == N) throw std::logic_error("layout table: a row has too many keys");
    table[keys[count]][level] = parse_token(row.substr(pos, end - pos));
    ++count;
    pos = end;
  }
  if (count != N) throw std::logic_error("layout table: a row has too few keys");
}

constexpr KeyTable parse_layout(const LayoutDef &def) {
  KeyTable table{};
  for (std::size_t level = 0; level < kLevels; ++level) {
    parse_row(def.rows[0].levels[level], kDigitRow, level, table);
    parse_row(def.rows[1].levels[level], kTopRow, level, table);
    parse_row(def.rows[2].levels[level], kHomeRow, level, table);
    parse_row(def.rows[3].levels[level], kBottomRow, level, table);
  }
  table[kUsageIsoHash] = table[kHomeRow.back()];
  for (std::size_t level = 0; level < kLevels; ++level) {
    table[kUsageSpace][level] = Glyph{" "};
    // Keypad: digits whatever Num Lock and Shift say (a scanner means digits), and the
    // operators; Enter is a terminator, handled before the table.
    constexpr std::string_view kKeypad = "/*-+";
    for (std::size_t i = 0; i < kKeypad.size(); ++i)
      table[0x54 + i][level] = Glyph{kKeypad.substr(i, 1)};
    constexpr std::string_view kDigits = "1234567890";
    for (std::size_t i = 0; i < kDigits.size(); ++i)
      table[0x59 + i][level] = Glyph{kDigits.substr(i, 1)};
    table[kUsageKeypadDecimal][level] = Glyph{def.keypad_decimal};
  }
  return table;
}

constexpr std::array<KeyTable, kLayoutDefs.size()> parse_layouts() {
  std::array<KeyTable, kLayoutDefs.size()> tables{};
  for (std::size_t i = 0; i < kLayoutDefs.size(); ++i) {
    if (static_cast<std::size_t>(kLayoutDefs[i].layout) != i) {
      throw std::logic_error("layout table: out of enum order");
    }
    tables[i] = parse_layout(kLayoutDefs[i]);
  }
  return tables;
}

constexpr std::array<KeyTable, kLayoutDefs.size()> kTables = parse_layouts();

// ---------------------------------------------------------------------------------------
// Decoding helpers
// ---------------------------------------------------------------------------------------

constexpr std::uint8_t kShiftBits = (1u << 1) | (1u << 5);  // left and right Shift
constexpr std::uint8_t kAltGrBit = 1u << 6;
// Ctrl, left Alt, GUI: with one held, a key is a shortcut, not text.
constexpr std::uint8_t kShortcutBits = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 7);

// Caps Lock's upper case of a base-level character: ASCII a-z and Latin-1 à..þ (not ÷).
// ß, µ and the rest stay as they are.
std::string upper_case(std::string_view c) {
  std::string out(c);
  if (c.size() == 1 && c[0] >= 'a' && c[0] <= 'z') {
    out[0] = static_cast<char>(c[0] - 'a' + 'A');
  } else if (c.size() == 2 && static_cast<unsigned char>(c[0]) == 0xC3) {
    const auto b1 = static_cast<unsigned char>(c[1]);
    if (b1 >= 0xA0 && b1 <= 0xBE && b1 != 0xB7) out[1] = static_cast<char>(b1 - 0x20);
  }
  return out;
}

std::string compose(std::string_view accent, std::string_view c) {
  for (const Composition &comp : kCompositions) {
    if (comp.accent != accent) continue;
    if (c == " ") return std::string(accent);
    const std::size_t at = c.size() == 1 ? comp.plain.find(c[0]) : std::string_view::npos;
    if (at == std::string_view::npos) break;
    // The at-th space-separated entry of `composed`.
    std::size_t pos = 0;
    for (std::size_t i = 0; i < at; ++i) pos = comp.composed.find(' ', pos) + 1;
    const std::size_t end = comp.composed.find(' ', pos);
    return std::string(comp.composed.substr(pos, end == std::string_view::npos ? end : end - pos));
  }
  std::string out(accent);
  out += c;
  return out;
}

}  // namespace

std::optional<Layout> layout_from_name(std::string_view name) {
  for (const LayoutDef &def : kLayoutDefs) {
    if (name == def.name) return def.layout;
  }
  return std::nullopt;
}

const char *layout_name(Layout layout) {
  const auto i = static_cast<std::size_t>(layout);
  return i < kLayoutDefs.size() ? kLayoutDefs[i].name : "?";
}

std::uint8_t hid_usage_from_linux_key(unsigned key) {
  // The inverse of the kernel's hid_keyboard[] (drivers/hid/hid-input.c) for the keys
  // decoded here, the modifiers, and the usual non-text keys (so they are ignored, not lost
  // as unknown).
  struct Pair {
    unsigned short key;
    std::uint8_t usage;
  };
  // clang-format off
  static constexpr Pair kPairs[] = {
      {KEY_A, 0x04}, {KEY_B, 0x05}, {KEY_C, 0x06}, {KEY_D, 0x07}, {KEY_E, 0x08}, {KEY_F, 0x09},
      {KEY_G, 0x0A}, {KEY_H, 0x0B}, {KEY_I, 0x0C}, {KEY_J, 0x0D}, {KEY_K, 0x0E}, {KEY_L, 0x0F},
      {KEY_M, 0x10}, {KEY_N, 0x11}, {KEY_O, 0x12}, {KEY_P, 0x13}, {KEY_Q, 0x14}, {KEY_R, 0x15},
      {KEY_S, 0x16}, {KEY_T, 0x17}, {KEY_U, 0x18}, {KEY_V, 0x19}, {KEY_W, 0x1A}, {KEY_X, 0x1B},
      {KEY_Y, 0x1C}, {KEY_Z, 0x1D},
      {KEY_1, 0x1E}, {KEY_2, 0x1F}, {KEY_3, 0x20}, {KEY_4, 0x21}, {KEY_5, 0x22}, {KEY_6, 0x23},
      {KEY_7, 0x24}, {KEY_8, 0x25}, {KEY_9, 0x26}, {KEY_0, 0x27},
      {KEY_ENTER, 0x28}, {KEY_ESC, 0x29}, {KEY_BACKSPACE, 0x2A}, {KEY_TAB, 0x2B},
      {KEY_SPACE, 0x2C}, {KEY_MINUS, 0x2D}, {KEY_EQUAL, 0x2E}, {KEY_LEFTBRACE, 0x2F},
      {KEY_RIGHTBRACE, 0x30}, {KEY_BACKSLASH, 0x31}, {KEY_SEMICOLON, 0x33},
      {KEY_APOSTROPHE, 0x34}, {KEY_GRAVE, 0x35}, {KEY_COMMA, 0x36}, {KEY_DOT, 0x37},
      {KEY_SLASH, 0x38}, {KEY_CAPSLOCK, 0x39},
      {KEY_F1, 0x3A}, {KEY_F2, 0x3B}, {KEY_F3, 0x3C}, {KEY_F4, 0x3D}, {KEY_F5, 0x3E},
      {KEY_F6, 0x3F}, {KEY_F7, 0x40}, {KEY_F8, 0x41}, {KEY_F9, 0x42}, {KEY_F10, 0x43},
      {KEY_F11, 0x44}, {KEY_F12, 0x45}, {KEY_SYSRQ, 0x46}, {KEY_SCROLLLOCK, 0x47},
      {KEY_PAUSE, 0x48}, {KEY_INSERT, 0x49}, {KEY_HOME, 0x4A}, {KEY_PAGEUP, 0x4B},
      {KEY_DELETE, 0x4C}, {KEY_END, 0x4D}, {KEY_PAGEDOWN, 0x4E}, {KEY_RIGHT, 0x4F},
      {KEY_LEFT, 0x50}, {KEY_DOWN, 0x51}, {KEY_UP, 0x52}, {KEY_NUMLOCK, 0x53},
      {KEY_KPSLASH, 0x54}, {KEY_KPASTERISK, 0x55}, {KEY_KPMINUS, 0x56}, {KEY_KPPLUS, 0x57},
      {KEY_KPENTER, 0x58}, {KEY_KP1, 0x59}, {KEY_KP2, 0x5A}, {KEY_KP3, 0x5B}, {KEY_KP4, 0x5C},
      {KEY_KP5, 0x5D}, {KEY_KP6, 0x5E}, {KEY_KP7, 0x5F}, {KEY_KP8, 0x60}, {KEY_KP9, 0x61},
      {KEY_KP0, 0x62}, {KEY_KPDOT, 0x63}, {KEY_102ND, 0x64}, {KEY_COMPOSE, 0x65},
      {KEY_KPEQUAL, 0x67},
      {KEY_LEFTCTRL, 0xE0}, {KEY_LEFTSHIFT, 0xE1}, {KEY_LEFTALT, 0xE2}, {KEY_LEFTMETA, 0xE3},
      {KEY_RIGHTCTRL, 0xE4}, {KEY_RIGHTSHIFT, 0xE5}, {KEY_RIGHTALT, 0xE6},
      {KEY_RIGHTMETA, 0xE7},
  };
  // clang-format on
  for (const Pair &p : kPairs) {
    if (p.key == key) return p.usage;
  }
  return 0;
}

KeyDecoder::KeyDecoder(Layout layout) : layout_(layout) {
  if (static_cast<std::size_t>(layout_) >= kLayoutDefs.size()) layout_ = Layout::us;
}

KeyDecoder::Output KeyDecoder::press(std::uint8_t usage) {
  Output out;
  if (usage >= 0xE0 && usage <= 0xE7) {
    modifiers_ = static_cast<std::uint8_t>(modifiers_ | (1u << (usage - 0xE0)));
    return out;
  }
  if (usage == kUsageCapsLock) {
    caps_lock_ = !caps_lock_;
    return out;
  }
  const LayoutDef &def = kLayoutDefs[static_cast<std::size_t>(layout_)];
  const KeyTable &table = kTables[static_cast<std::size_t>(layout_)];
  if (usage == kUsageEnter || usage == kUsageKeypadEnter || usage == kUsageTab) {
    // A dead key still waiting is typed before the scan ends.
    if (dead_key_ != 0) out.text = table[dead_key_][dead_level_].text;
    dead_key_ = 0;
    dead_level_ = 0;
    out.kind = Output::Kind::terminator;
    return out;
  }
  if (usage >= kUsages) return out;
  std::uint8_t shortcut = kShortcutBits;
  if (!def.has_altgr) shortcut = static_cast<std::uint8_t>(shortcut | kAltGrBit);
  if ((modifiers_ & shortcut) != 0) return out;

  const bool shift = (modifiers_ & kShiftBits) != 0;
  const bool altgr = (modifiers_ & kAltGrBit) != 0;
  const std::size_t level = (shift ? 1u : 0u) + (altgr ? 2u : 0u);
  const Glyph &glyph = table[usage][level];
  if (glyph.text.empty()) return out;  // a pending dead key keeps waiting

  std::string c(glyph.text);
  if (caps_lock_ && !glyph.dead && level < 2) {
    const Glyph &base = table[usage][0];
    const Glyph &shifted = table[usage][1];
    const bool letter_key = !base.dead && !shifted.dead && upper_case(base.text) == shifted.text &&
                            base.text != shifted.text;
    if (level == 0) {
      c = upper_case(c);
    } else if (letter_key) {
      c = std::string(base.text);  // Shift undoes Caps Lock on letters
    }
  }

  if (dead_key_ != 0) {
    const std::string_view accent = table[dead_key_][dead_level_].text;
    dead_key_ = 0;
    dead_level_ = 0;
    out.kind = Output::Kind::text;
    // A second dead key is not composed: both accents, as on Windows.
    out.text = glyph.dead ? std::string(accent) + c : compose(accent, c);
    return out;
  }
  if (glyph.dead) {
    dead_key_ = usage;
    dead_level_ = static_cast<std::uint8_t>(level);
    return out;
  }
  out.kind = Output::Kind::text;
  out.text = std::move(c);
  return out;
}

void KeyDecoder::release(std::uint8_t usage) {
  if (usage >= 0xE0 && usage <= 0xE7) {
    modifiers_ = static_cast<std::uint8_t>(modifiers_ & ~(1u << (usage - 0xE0)));
  }
}

void KeyDecoder::reset() {
  modifiers_ = 0;
  dead_key_ = 0;
  dead_level_ = 0;
}

}  // namespace comptoir::drivers
