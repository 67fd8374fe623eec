// The key decoder: each layout types the pickup-code alphabet from the key positions a
// scanner set to it sends (written out here by hand, not taken from the tables), AltGr,
// Caps Lock and dead keys behave as on Linux, and the tables agree key for key with the
// firmware-host layout tables (codes::type_through) wherever both model a key.
#include "drivers/keymap.hpp"

#include <doctest/doctest.h>
#include <linux/input-event-codes.h>

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codes/keyboard_layouts.hpp"

namespace comptoir::test {
namespace {

using drivers::KeyDecoder;
using drivers::Layout;
using Kind = KeyDecoder::Output::Kind;

constexpr std::array kLayouts = {Layout::us, Layout::uk, Layout::fr, Layout::de};
constexpr int kBase = 0, kShift = 1, kAltGr = 2, kShiftAltGr = 3;

// One key pressed and released at a level, modifiers pressed around it as a scanner does.
KeyDecoder::Output stroke(KeyDecoder &d, std::uint8_t usage, int level = kBase) {
  if (level & kShift) d.press(drivers::kUsageLeftShift);
  if (level & kAltGr) d.press(drivers::kUsageRightAlt);
  KeyDecoder::Output out = d.press(usage);
  d.release(usage);
  if (level & kAltGr) d.release(drivers::kUsageRightAlt);
  if (level & kShift) d.release(drivers::kUsageLeftShift);
  return out;
}

std::string text_of(KeyDecoder &d, std::uint8_t usage, int level = kBase) {
  return stroke(d, usage, level).text;
}

// What a fresh decoder gives for one key, a dead key followed by space (its accent).
std::string fresh(Layout layout, std::uint8_t usage, int level) {
  KeyDecoder d(layout);
  KeyDecoder::Output out = stroke(d, usage, level);
  if (out.kind == Kind::none && out.text.empty()) {
    KeyDecoder::Output space = stroke(d, 0x2C);
    if (space.text != " ") return space.text;  // the accent of a dead key
  }
  return out.text;
}

struct Position {
  std::uint8_t usage;
  int level;
};

// Where each character of pickup codes is on each layout, by hand: the US letter position
// of a letter, moved where AZERTY and QWERTZ move it; digits shifted on AZERTY.
Position position_of(Layout layout, char c) {
  if (c >= 'A' && c <= 'Z') {
    char key = c;
    if (layout == Layout::fr) {
      const std::map<char, char> azerty = {{'A', 'Q'}, {'Q', 'A'}, {'Z', 'W'}, {'W', 'Z'}};
      if (auto it = azerty.find(c); it != azerty.end()) key = it->second;
      if (c == 'M') return {0x33, kShift};
    }
    if (layout == Layout::de && (c == 'Y' || c == 'Z')) key = c == 'Y' ? 'Z' : 'Y';
    return {static_cast<std::uint8_t>(0x04 + (key - 'A')), kShift};
  }
  if (c >= '0' && c <= '9') {
    const auto usage = static_cast<std::uint8_t>(c == '0' ? 0x27 : 0x1E + (c - '1'));
    return {usage, layout == Layout::fr ? kShift : kBase};
  }
  switch (layout) {
    case Layout::us:
    case Layout::uk:
      if (c == '-') return {0x2D, kBase};
      if (c == '*') return {0x25, kShift};
      if (c == '~') return layout == Layout::us ? Position{0x35, kShift} : Position{0x31, kShift};
      if (c == '$') return {0x21, kShift};
      if (c == '=') return {0x2E, kBase};
      break;
    case Layout::fr:
      if (c == '-') return {0x23, kBase};
      if (c == '*') return {0x31, kBase};
      if (c == '~') return {0x1F, kAltGr};
      if (c == '$') return {0x30, kBase};
      if (c == '=') return {0x2E, kBase};
      break;
    case Layout::de:
      if (c == '-') return {0x38, kBase};
      if (c == '*') return {0x30, kShift};
      if (c == '~') return {0x30, kAltGr};
      if (c == '$') return {0x21, kShift};
      if (c == '=') return {0x27, kShift};
      break;
  }
  FAIL("no position for ", c);
  return {0, 0};
}

std::string type_code(Layout layout, std::string_view text) {
  KeyDecoder d(layout);
  std::string out;
  for (char c : text) {
    const Position p = position_of(layout, c);
    out += text_of(d, p.usage, p.level);
  }
  return out;
}

TEST_CASE("every layout types the pickup-code alphabet from its key positions") {
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-*~$=";
  for (Layout layout : kLayouts) {
    const std::string name = drivers::layout_name(layout);
    CAPTURE(name);
    for (char c : alphabet) {
      CAPTURE(c);
      CHECK(type_code(layout, std::string(1, c)) == std::string(1, c));
    }
    CHECK(type_code(layout, "K7QM-9X2D-4R1") == "K7QM-9X2D-4R1");
  }
}

TEST_CASE("lower-case letters are the base level, and Enter, keypad Enter and Tab end a scan") {
  for (Layout layout : kLayouts) {
    KeyDecoder d(layout);
    CHECK(text_of(d, 0x0E) == "k");
    CHECK(text_of(d, 0x2C) == " ");
    for (std::uint8_t t : {drivers::kUsageEnter, std::uint8_t{0x58}, drivers::kUsageTab}) {
      const KeyDecoder::Output out = stroke(d, t);
      CHECK(out.kind == Kind::terminator);
      CHECK(out.text.empty());
    }
  }
}

TEST_CASE("AZERTY digits need Shift: unshifted, the digit row gives & é \" ' ( - è _ ç à") {
  KeyDecoder d(Layout::fr);
  std::string row;
  for (std::uint8_t u = 0x1E; u <= 0x27; ++u) row += text_of(d, u);
  CHECK(row == "&é\"'(-è_çà");
  std::string digits;
  for (std::uint8_t u = 0x1E; u <= 0x27; ++u) digits += text_of(d, u, kShift);
  CHECK(digits == "1234567890");
}

TEST_CASE("AltGr characters on fr, de and uk, and us has no AltGr") {
  KeyDecoder fr(Layout::fr);
  const std::vector<std::pair<std::uint8_t, std::string>> fr_altgr = {
      {0x27, "@"},  {0x20, "#"}, {0x21, "{"}, {0x22, "["}, {0x23, "|"}, {0x24, "`"},
      {0x25, "\\"}, {0x26, "^"}, {0x2D, "]"}, {0x2E, "}"}, {0x08, "€"}, {0x1F, "~"}};
  for (const auto &[usage, expected] : fr_altgr) CHECK(text_of(fr, usage, kAltGr) == expected);
  CHECK(text_of(fr, 0x04, kShiftAltGr) == "Ω");  // the AZERTY Q key

  KeyDecoder de(Layout::de);
  const std::vector<std::pair<std::uint8_t, std::string>> de_altgr = {
      {0x14, "@"}, {0x08, "€"}, {0x30, "~"}, {0x2D, "\\"}, {0x64, "|"},
      {0x24, "{"}, {0x25, "["}, {0x26, "]"}, {0x27, "}"}};
  for (const auto &[usage, expected] : de_altgr) CHECK(text_of(de, usage, kAltGr) == expected);

  KeyDecoder uk(Layout::uk);
  CHECK(text_of(uk, 0x21, kAltGr) == "€");
  CHECK(text_of(uk, 0x64) == "\\");

  // Right Alt is Alt on us: Alt+key is a shortcut, not text.
  KeyDecoder us(Layout::us);
  CHECK(stroke(us, 0x14, kAltGr).kind == Kind::none);
  CHECK(text_of(us, 0x14) == "q");
}

TEST_CASE("Ctrl, left Alt or GUI held: a key gives nothing") {
  KeyDecoder d(Layout::us);
  for (std::uint8_t mod : {std::uint8_t{0xE0}, std::uint8_t{0xE2}, std::uint8_t{0xE3},
                           std::uint8_t{0xE4}, std::uint8_t{0xE7}}) {
    d.press(mod);
    CHECK(d.press(0x04).kind == Kind::none);
    d.release(mod);
    CHECK(text_of(d, 0x04) == "a");
  }
}

TEST_CASE("Caps Lock toggles on press, upper-cases letters, and Shift undoes it on letters") {
  KeyDecoder us(Layout::us);
  CHECK(stroke(us, drivers::kUsageCapsLock).kind == Kind::none);
  CHECK(text_of(us, 0x04) == "A");
  CHECK(text_of(us, 0x04, kShift) == "a");
  CHECK(text_of(us, 0x1E) == "1");
  CHECK(text_of(us, 0x1E, kShift) == "!");
  stroke(us, drivers::kUsageCapsLock);
  CHECK(text_of(us, 0x04) == "a");

  KeyDecoder fr(Layout::fr);
  stroke(fr, drivers::kUsageCapsLock);
  CHECK(text_of(fr, 0x1F) == "É");
  CHECK(text_of(fr, 0x24) == "È");
  CHECK(text_of(fr, 0x26) == "Ç");
  CHECK(text_of(fr, 0x27) == "À");
  CHECK(text_of(fr, 0x34) == "Ù");
  CHECK(text_of(fr, 0x1F, kShift) == "2");  // not a letter key: Shift still gives the digit
  CHECK(text_of(fr, 0x22) == "(");
  CHECK(text_of(fr, 0x14) == "A");
  CHECK(text_of(fr, 0x14, kShift) == "a");
  CHECK(text_of(fr, 0x08, kAltGr) == "€");

  KeyDecoder de(Layout::de);
  stroke(de, drivers::kUsageCapsLock);
  CHECK(text_of(de, 0x2F) == "Ü");
  CHECK(text_of(de, 0x33) == "Ö");
  CHECK(text_of(de, 0x34) == "Ä");
  CHECK(text_of(de, 0x2F, kShift) == "ü");
  CHECK(text_of(de, 0x2D) == "ß");
}

TEST_CASE("dead keys compose with a vowel, give the accent before a space or anything else") {
  KeyDecoder fr(Layout::fr);
  const std::uint8_t circumflex = 0x2F;  // fr: ^, Shift: ¨
  CHECK(stroke(fr, circumflex).kind == Kind::none);
  CHECK(text_of(fr, 0x08) == "ê");
  stroke(fr, circumflex);
  CHECK(text_of(fr, 0x14, kShift) == "Â");  // the AZERTY A key
  stroke(fr, circumflex);
  CHECK(text_of(fr, 0x12) == "ô");
  stroke(fr, circumflex, kShift);
  CHECK(text_of(fr, 0x0C) == "ï");
  stroke(fr, circumflex, kShift);
  CHECK(text_of(fr, 0x1C) == "ÿ");
  stroke(fr, circumflex);
  CHECK(text_of(fr, 0x2C) == "^");
  stroke(fr, circumflex, kShift);
  CHECK(text_of(fr, 0x2C) == "¨");
  // Anything else: the accent, then the character.
  stroke(fr, circumflex);
  const KeyDecoder::Output two = stroke(fr, 0x1A);  // the AZERTY Z key
  CHECK(two.kind == Kind::text);
  CHECK(two.text == "^z");
  stroke(fr, circumflex);
  CHECK(text_of(fr, 0x1F, kShift) == "^2");
  stroke(fr, circumflex);
  CHECK(text_of(fr, circumflex) == "^^");
  // A modifier or a key that gives nothing leaves it waiting.
  stroke(fr, circumflex);
  CHECK(stroke(fr, 0x3A).kind == Kind::none);  // F1
  CHECK(text_of(fr, 0x08, kShift) == "Ê");
  // Pending when the scan ends: the terminator carries the accent.
  stroke(fr, circumflex);
  const KeyDecoder::Output end = stroke(fr, drivers::kUsageEnter);
  CHECK(end.kind == Kind::terminator);
  CHECK(end.text == "^");
  CHECK(text_of(fr, 0x08) == "e");
  // Caps Lock applies to the letter composed with.
  stroke(fr, drivers::kUsageCapsLock);
  stroke(fr, circumflex);
  CHECK(text_of(fr, 0x08) == "Ê");

  KeyDecoder de(Layout::de);
  const std::uint8_t acute = 0x2E, hat = 0x35;
  stroke(de, acute);
  CHECK(text_of(de, 0x08) == "é");
  stroke(de, acute, kShift);
  CHECK(text_of(de, 0x04) == "à");
  stroke(de, hat);
  CHECK(text_of(de, 0x12) == "ô");
  stroke(de, acute);
  CHECK(text_of(de, 0x2C) == "´");
  stroke(de, acute, kShift);
  CHECK(text_of(de, 0x2C) == "`");
  stroke(de, hat);
  CHECK(text_of(de, 0x2C) == "^");
  stroke(de, hat);
  CHECK(text_of(de, 0x1E) == "^1");
  stroke(de, 0x2F, kAltGr);  // AltGr+ü: dead diaeresis
  CHECK(text_of(de, 0x18) == "ü");
}

TEST_CASE("unknown usages give nothing and change nothing") {
  for (Layout layout : kLayouts) {
    KeyDecoder d(layout);
    for (unsigned u : {0x00u, 0x01u, 0x03u, 0x29u, 0x2Au, 0x3Au, 0x4Fu, 0x68u, 0x85u, 0xA0u, 0xDFu,
                       0xE8u, 0xFFu}) {
      const KeyDecoder::Output out = stroke(d, static_cast<std::uint8_t>(u));
      CHECK(out.kind == Kind::none);
      CHECK(out.text.empty());
    }
    CHECK(text_of(d, 0x05) == "b");
  }
}

TEST_CASE("reset forgets held modifiers and a pending dead key, and keeps Caps Lock") {
  KeyDecoder d(Layout::fr);
  d.press(drivers::kUsageLeftShift);
  d.press(drivers::kUsageRightAlt);
  d.reset();
  CHECK(text_of(d, 0x05) == "b");
  stroke(d, 0x2F);  // dead ^
  d.reset();
  CHECK(text_of(d, 0x08) == "e");
  stroke(d, drivers::kUsageCapsLock);
  d.reset();
  CHECK(text_of(d, 0x08) == "E");
}

TEST_CASE("the keypad gives digits and operators on every layout, a comma for de's decimal") {
  for (Layout layout : kLayouts) {
    KeyDecoder d(layout);
    std::string typed;
    for (std::uint8_t u = 0x54; u <= 0x57; ++u) typed += text_of(d, u);
    for (std::uint8_t u = 0x59; u <= 0x62; ++u) typed += text_of(d, u, kShift);
    typed += text_of(d, 0x63);
    CHECK(typed == std::string("/*-+1234567890") + (layout == Layout::de ? "," : "."));
  }
}

TEST_CASE("layout names round trip") {
  for (Layout layout : kLayouts) {
    CHECK(drivers::layout_from_name(drivers::layout_name(layout)) == layout);
  }
  CHECK(!drivers::layout_from_name("azerty"));
  CHECK(!drivers::layout_from_name(""));
  CHECK(std::string(drivers::layout_name(Layout::fr)) == "fr");
}

TEST_CASE("Linux key codes map to the HID usages of the kernel's hid_keyboard table") {
  using drivers::hid_usage_from_linux_key;
  const std::vector<std::pair<unsigned, unsigned>> pairs = {
      {KEY_LEFTCTRL, 0xE0},   {KEY_LEFTSHIFT, 0xE1}, {KEY_LEFTALT, 0xE2},
      {KEY_LEFTMETA, 0xE3},   {KEY_RIGHTCTRL, 0xE4}, {KEY_RIGHTSHIFT, 0xE5},
      {KEY_RIGHTALT, 0xE6},   {KEY_RIGHTMETA, 0xE7}, {KEY_102ND, 0x64},
      {KEY_CAPSLOCK, 0x39},   {KEY_ENTER, 0x28},     {KEY_KPENTER, 0x58},
      {KEY_TAB, 0x2B},        {KEY_A, 0x04},         {KEY_Q, 0x14},
      {KEY_Z, 0x1D},          {KEY_M, 0x10},         {KEY_1, 0x1E},
      {KEY_0, 0x27},          {KEY_MINUS, 0x2D},     {KEY_EQUAL, 0x2E},
      {KEY_GRAVE, 0x35},      {KEY_BACKSLASH, 0x31}, {KEY_SEMICOLON, 0x33},
      {KEY_APOSTROPHE, 0x34}, {KEY_LEFTBRACE, 0x2F}, {KEY_RIGHTBRACE, 0x30},
      {KEY_COMMA, 0x36},      {KEY_DOT, 0x37},       {KEY_SLASH, 0x38},
      {KEY_SPACE, 0x2C},      {KEY_KP7, 0x5F},       {KEY_KP0, 0x62},
      {KEY_KPDOT, 0x63},      {KEY_KPSLASH, 0x54},   {KEY_KPASTERISK, 0x55}};
  for (const auto &[key, usage] : pairs) {
    CAPTURE(key);
    CHECK(hid_usage_from_linux_key(key) == usage);
  }
  CHECK(hid_usage_from_linux_key(0) == 0);
  CHECK(hid_usage_from_linux_key(KEY_POWER) == 0);
  CHECK(hid_usage_from_linux_key(BTN_LEFT) == 0);
  CHECK(hid_usage_from_linux_key(100000) == 0);
  // An inverse: no two key codes share a usage.
  std::set<unsigned> seen;
  for (unsigned key = 0; key <= KEY_MAX; ++key) {
    const unsigned usage = hid_usage_from_linux_key(key);
    if (usage == 0) continue;
    CAPTURE(key);
    CHECK(seen.insert(usage).second);
  }
  // Every letter and digit key is there.
  for (unsigned key : {KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I,
                       KEY_J, KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R,
                       KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z}) {
    CHECK(hid_usage_from_linux_key(key) >= 0x04);
    CHECK(hid_usage_from_linux_key(key) <= 0x1D);
  }
  // Decoding through it: KEY_Q on an AZERTY scanner is 'a'.
  KeyDecoder fr(Layout::fr);
  CHECK(text_of(fr, hid_usage_from_linux_key(KEY_Q)) == "a");
}

// The keys both tables model: the digit row, the letter rows, the ISO keys.
std::vector<std::uint8_t> firmware_host_keys() {
  std::vector<std::uint8_t> keys;
  for (std::uint8_t u = 0x04; u <= 0x27; ++u) keys.push_back(u);
  for (std::uint8_t u = 0x2D; u <= 0x38; ++u) keys.push_back(u);
  keys.push_back(0x64);
  return keys;
}

TEST_CASE("the tables agree with firmware-host's layout tables on every key both model") {
  // For a key and level, what scanner layout S gives, typed through (S, host H) by
  // firmware-host, must be what this decoder gives for the same key on H. With S = us that
  // checks every H key by key (firmware-host keeps each character on one key); with H = us,
  // the us table. Dead keys compare as their accent. firmware-host leaves the us ISO key
  // out (it differs between Linux and Windows): not compared when us is one of the pair.
  std::size_t compared = 0;
  for (Layout scanner : kLayouts) {
    for (Layout host : kLayouts) {
      if (scanner == host) continue;
      for (std::uint8_t usage : firmware_host_keys()) {
        if ((scanner == Layout::us || host == Layout::us) && usage == 0x64) continue;
        for (int level : {kBase, kShift}) {
          const std::string meant = fresh(scanner, usage, level);
          const std::string shown = fresh(host, usage, level);
          REQUIRE(!meant.empty());
          const auto expected =
              codes::type_through(meant, drivers::layout_name(scanner), drivers::layout_name(host));
          REQUIRE(expected);
          const std::string pair =
              std::string(drivers::layout_name(scanner)) + "/" + drivers::layout_name(host);
          CAPTURE(pair);
          CAPTURE(int(usage));
          CAPTURE(level);
          CHECK(*expected == shown);
          ++compared;
        }
      }
    }
  }
  CHECK(compared == 12 * 2 * 49 - 6 * 2);
}

TEST_CASE("every printable ASCII character can be typed on every layout") {
  for (Layout layout : kLayouts) {
    std::set<std::string> typeable;
    for (unsigned u = 0x04; u < 0x68; ++u) {
      for (int level : {kBase, kShift, kAltGr, kShiftAltGr}) {
        typeable.insert(fresh(layout, static_cast<std::uint8_t>(u), level));
      }
    }
    const std::string name = drivers::layout_name(layout);
    CAPTURE(name);
    for (char c = 0x20; c < 0x7F; ++c) {
      CAPTURE(c);
      CHECK(typeable.count(std::string(1, c)) == 1);
    }
  }
}

}  // namespace
}  // namespace comptoir::test
