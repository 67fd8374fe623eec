// Undoing keyboard-layout mix-ups. The four layouts are tables of what each key position
// gives, base and with Shift; every (scanner, host) pair is turned, at compile time, into a
// table from the character the host shows to the character the scanner meant. A call is then
// one pass over the input per pair, with one lookup per character.
#include "codes/keyboard_layouts.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace comptoir::codes {
namespace {

// ---------------------------------------------------------------------------------------
// Key positions
// ---------------------------------------------------------------------------------------

// The keys modelled, named by what they give on a US keyboard, valued by their HID usage
// (keyboard page 0x07): what a keyboard-wedge scanner actually sends. The digit row, the
// three letter rows and the ISO key left of Z: every key our codes (0-9, A-Z, '-', the
// check symbols * ~ $ =) can need on one of the four layouts, and every key a letter moves
// to. The space bar gives a space everywhere, so it is left out (characters no key gives
// are passed through, which is the same thing). The ISO key right of the apostrophe (0x32)
// is the same key as the ANSI backslash (0x31) to Linux and Windows, so it is listed once.
// clang-format off
enum class Key : std::uint8_t {
  a = 0x04, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z,
  d1 = 0x1E, d2, d3, d4, d5, d6, d7, d8, d9, d0,
  minus = 0x2D, equal = 0x2E, left_bracket = 0x2F, right_bracket = 0x30,
  backslash = 0x31,  // on ISO keyboards: the key right of the apostrophe key (0x32)
  semicolon = 0x33, apostrophe = 0x34, grave = 0x35, comma = 0x36, period = 0x37,
  slash = 0x38,
  iso_extra = 0x64,  // on ISO keyboards: the key left of Z
};

// The rows, in the order the layout tables below list their keys, left to right.
constexpr std::array kDigitRow = {Key::grave, Key::d1, Key::d2, Key::d3, Key::d4, Key::d5,
                                  Key::d6, Key::d7, Key::d8, Key::d9, Key::d0, Key::minus,
                                  Key::equal};
constexpr std::array kTopRow = {Key::q, Key::w, Key::e, Key::r, Key::t, Key::y, Key::u, Key::i,
                                Key::o, Key::p, Key::left_bracket, Key::right_bracket};
constexpr std::array kHomeRow = {Key::a, Key::s, Key::d, Key::f, Key::g, Key::h, Key::j, Key::k,
                                 Key::l, Key::semicolon, Key::apostrophe, Key::backslash};
constexpr std::array kBottomRow = {Key::iso_extra, Key::z, Key::x, Key::c, Key::v, Key::b,
                                   Key::n, Key::m, Key::comma, Key::period, Key::slash};
// clang-format on

constexpr std::size_t kRowCount = 4;
constexpr std::array<std::size_t, kRowCount> kRowSizes = {kDigitRow.size(), kTopRow.size(),
                                                          kHomeRow.size(), kBottomRow.size()};
constexpr std::size_t kKeyCount =
    kDigitRow.size() + kTopRow.size() + kHomeRow.size() + kBottomRow.size();

// Shift states. AltGr (and Shift+AltGr) would be two more levels here, with two more
// strings in RowDef; the pair tables below are built over every level the same way.
enum Level : std::size_t { kBase, kShift, kLevelCount };

// ---------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------

// One row of a layout: what its keys give, separated by spaces, one character each (UTF-8),
// "nil" for a key that gives nothing we model. Dead keys (French ^ and ¨, German ^, ´ and `)
// are written as the accent they stand for: that is what a key-code decoder without
// composition shows, and what a dead key followed by a space gives.
// Caps Lock, when it is modelled, is derivable from these tables: it gives the Shift level
// of the keys whose two levels are a letter's two cases.
struct RowDef {
  std::string_view base;
  std::string_view shift;
};

struct LayoutDef {
  std::string_view name;
  std::array<RowDef, kRowCount> rows;  // digit, top, home, bottom row
};

// Linux (xkb "basic" variants) and Windows agree on everything listed, except where noted.
constexpr std::array kLayoutDefs = {
    LayoutDef{"us",
              {{
                  {"` 1 2 3 4 5 6 7 8 9 0 - =", "~ ! @ # $ % ^ & * ( ) _ +"},
                  {"q w e r t y u i o p [ ]", "Q W E R T Y U I O P { }"},
                  {"a s d f g h j k l ; ' \\", "A S D F G H J K L : \" |"},
                  // The ISO key gives < > on Linux, \ | on Windows: left out.
                  {"nil z x c v b n m , . /", "nil Z X C V B N M < > ?"},
              }}},
    LayoutDef{"uk",
              {{
                  {"` 1 2 3 4 5 6 7 8 9 0 - =", "¬ ! \" £ $ % ^ & * ( ) _ +"},
                  {"q w e r t y u i o p [ ]", "Q W E R T Y U I O P { }"},
                  {"a s d f g h j k l ; ' #", "A S D F G H J K L : @ ~"},
                  {"\\ z x c v b n m , . /", "| Z X C V B N M < > ?"},
              }}},
    // AZERTY: digits need Shift, A/Q and Z/W swap, M sits on the US ';' key.
    LayoutDef{"fr",
              {{
                  // Shift+² is ~ on Linux, nothing on Windows.
                  {"² & é \" ' ( - è _ ç à ) =", "~ 1 2 3 4 5 6 7 8 9 0 ° +"},
                  {"a z e r t y u i o p ^ $", "A Z E R T Y U I O P ¨ £"},
                  {"q s d f g h j k l m ù *", "Q S D F G H J K L M % µ"},
                  {"< w x c v b n , ; : !", "> W X C V B N ? . / §"},
              }}},
    // QWERTZ: Y/Z swap, '-' sits on the US '/' key.
    LayoutDef{"de",
              {{
                  {"^ 1 2 3 4 5 6 7 8 9 0 ß ´", "° ! \" § $ % & / ( ) = ? `"},
                  {"q w e r t z u i o p ü +", "Q W E R T Z U I O P Ü *"},
                  {"a s d f g h j k l ö ä #", "A S D F G H J K L Ö Ä '"},
                  {"< y x c v b n m , . -", "> Y X C V B N M ; : _"},
              }}},
};
constexpr std::size_t kLayoutCount = kLayoutDefs.size();

// The mismatched (scanner, host) pairs, most common mix-up first.
struct Pair {
  std::size_t scanner;
  std::size_t host;
};
constexpr std::size_t kUs = 0, kUk = 1, kFr = 2, kDe = 3;
constexpr std::array kPairs = {
    Pair{kUs, kFr}, Pair{kFr, kUs}, Pair{kUs, kDe}, Pair{kDe, kUs}, Pair{kUk, kFr}, Pair{kFr, kUk},
    Pair{kFr, kDe}, Pair{kDe, kFr}, Pair{kUk, kDe}, Pair{kDe, kUk}, Pair{kUs, kUk}, Pair{kUk, kUs},
};
static_assert(kPairs.size() == kLayoutCount * (kLayoutCount - 1));

// ---------------------------------------------------------------------------------------
// Compile-time tables
// ---------------------------------------------------------------------------------------

// Every character of the layouts (without AltGr) is in Latin-1, U+0000..U+00FF: one code
// point is at most two bytes of UTF-8, and a pair's table is a 256-entry array. A layout
// level with characters beyond that would need a second, sorted table for them; the
// compile-time check below refuses them until then.
constexpr std::uint32_t kCodePoints = 0x100;
constexpr std::uint16_t kNoGlyph = 0xFFFF;

using Glyphs = std::array<std::array<std::uint16_t, kLevelCount>, kKeyCount>;

// The code point of one token of a row: one printable ASCII character or one two-byte
// UTF-8 sequence for U+0080..U+00FF; "nil" for none. Anything else stops the compilation.
constexpr std::uint16_t parse_token(std::string_view token) {
  if (token == "nil") return kNoGlyph;
  const auto b0 = static_cast<unsigned char>(token[0]);
  if (token.size() == 1 && b0 > 0x20 && b0 < 0x7F) return b0;
  if (token.size() == 2 && (b0 == 0xC2 || b0 == 0xC3)) {
    const auto b1 = static_cast<unsigned char>(token[1]);
    if ((b1 & 0xC0) == 0x80) return static_cast<std::uint16_t>(((b0 & 0x1F) << 6) | (b1 & 0x3F));
  }
  throw std::logic_error("layout table: a token is not one Latin-1 character");
}

// Fills one level of one row into `glyphs`, from key index `first` on.
constexpr void parse_row(std::string_view row, std::size_t first, std::size_t size, Level level,
                         Glyphs &glyphs) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < row.size()) {
    if (row[pos] == ' ') {
      ++pos;
      continue;
    }
    std::size_t end = row.find(' ', pos);
    if (end == std::string_view::npos) end = row.size();
    if (count == size) throw std::logic_error("layout table: a row has too many keys");
    glyphs[first + count][level] = parse_token(row.substr(pos, end - pos));
    ++count;
    pos = end;
  }
  if (count != size) throw std::logic_error("layout table: a row has too few keys");
}

constexpr Glyphs parse_layout(const LayoutDef &def) {
  Glyphs glyphs{};
  std::size_t first = 0;
  for (std::size_t r = 0; r < kRowCount; ++r) {
    parse_row(def.rows[r].base, first, kRowSizes[r], kBase, glyphs);
    parse_row(def.rows[r].shift, first, kRowSizes[r], kShift, glyphs);
    first += kRowSizes[r];
  }
  // Each character on one key and level only, or "the key that gives it" is ambiguous.
  for (std::size_t k1 = 0; k1 < kKeyCount; ++k1) {
    for (std::size_t l1 = 0; l1 < kLevelCount; ++l1) {
      if (glyphs[k1][l1] == kNoGlyph) continue;
      for (std::size_t k2 = k1; k2 < kKeyCount; ++k2) {
        for (std::size_t l2 = (k2 == k1 ? l1 + 1 : 0); l2 < kLevelCount; ++l2) {
          if (glyphs[k1][l1] == glyphs[k2][l2]) {
            throw std::logic_error("layout table: a character is on two keys");
          }
        }
      }
    }
  }
  return glyphs;
}

constexpr std::array<Glyphs, kLayoutCount> parse_layouts() {
  std::array<Glyphs, kLayoutCount> layouts{};
  for (std::size_t i = 0; i < kLayoutCount; ++i) layouts[i] = parse_layout(kLayoutDefs[i]);
  return layouts;
}

// What one character the host shows is replaced with: `size` bytes of UTF-8, or, with size
// 0, the character stays as it is.
struct Replacement {
  std::array<char, 2> bytes{};
  std::uint8_t size = 0;
};
using PairTable = std::array<Replacement, kCodePoints>;

constexpr Replacement encode(std::uint16_t code_point) {
  Replacement out;
  if (code_point < 0x80) {
    out.bytes[0] = static_cast<char>(code_point);
    out.size = 1;
  } else {
    out.bytes[0] = static_cast<char>(0xC0 | (code_point >> 6));
    out.bytes[1] = static_cast<char>(0x80 | (code_point & 0x3F));
    out.size = 2;
  }
  return out;
}

// For every character the host shows: the key and level that give it on the host, then what
// that key and level give on the scanner's layout. Characters the host cannot give, or whose
// key gives nothing (or the same) on the scanner's layout, stay.
constexpr PairTable build_pair_table(const Glyphs &scanner, const Glyphs &host) {
  PairTable table{};
  for (std::size_t k = 0; k < kKeyCount; ++k) {
    for (std::size_t l = 0; l < kLevelCount; ++l) {
      const std::uint16_t shown = host[k][l];
      const std::uint16_t meant = scanner[k][l];
      if (shown == kNoGlyph || meant == kNoGlyph || shown == meant) continue;
      table[shown] = encode(meant);
    }
  }
  return table;
}

constexpr std::array<PairTable, kPairs.size()> build_pair_tables() {
  const auto layouts = parse_layouts();
  std::array<PairTable, kPairs.size()> tables{};
  for (std::size_t i = 0; i < kPairs.size(); ++i) {
    tables[i] = build_pair_table(layouts[kPairs[i].scanner], layouts[kPairs[i].host]);
  }
  return tables;
}

constexpr std::array<PairTable, kPairs.size()> kPairTables = build_pair_tables();

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

// `typed` read through one pair's table into `out`, which has room for 2 * typed.size()
// bytes (a replacement is at most one byte longer than what it replaces); returns the
// number of bytes written, or 0 when no character was replaced (then the reading is the
// text as typed). Code points are decoded only where the tables can know them (ASCII, and
// two-byte sequences for U+0080..U+00FF); every other byte, valid UTF-8 or not, is copied
// as it is. A lead byte C2/C3 is never a continuation byte, so a longer valid sequence is
// never split.
std::size_t read_through(std::string_view typed, const PairTable &pair_table, char *out) {
  const std::size_t size = typed.size();
  const char *in = typed.data();
  const Replacement *table = pair_table.data();  // plain pointers: fast in debug builds too
  std::size_t written = 0;
  bool changed = false;
  std::size_t i = 0;
  while (i < size) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    std::uint32_t code_point = b0;
    std::size_t length = 1;
    if (b0 >= 0x80) {
      const bool latin1 = (b0 == 0xC2 || b0 == 0xC3) && i + 1 < size &&
                          (static_cast<unsigned char>(in[i + 1]) & 0xC0) == 0x80;
      if (!latin1) {
        out[written++] = in[i++];
        continue;
      }
      code_point = ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(in[i + 1]) & 0x3Fu);
      length = 2;
    }
    const Replacement *replacement = table + code_point;
    if (replacement->size == 0) {
      out[written++] = in[i];
      if (length == 2) out[written++] = in[i + 1];
    } else {
      const char *bytes = replacement->bytes.data();
      out[written++] = bytes[0];
      if (replacement->size == 2) out[written++] = bytes[1];
      changed = true;
    }
    i += length;
  }
  return changed ? written : 0;
}

}  // namespace

std::vector<LayoutReading> layout_readings(std::string_view typed) {
  std::vector<LayoutReading> readings;
  // One buffer for every pair; a reading is copied out of it only when kept.
  std::string buffer(2 * typed.size(), '\0');
  for (std::size_t p = 0; p < kPairs.size(); ++p) {
    const std::size_t written = read_through(typed, kPairTables[p], buffer.data());
    if (written == 0) continue;
    // A replaced character differs from the one typed in its first byte, or (two Latin-1
    // letters starting C3) in its second: the reading differs from `typed`. It is compared
    // anyway, cheaply, rather than trusted.
    const std::string_view text(buffer.data(), written);
    if (text == typed) continue;
    bool duplicate = false;
    for (const LayoutReading &earlier : readings) duplicate = duplicate || earlier.text == text;
    if (duplicate) continue;
    if (readings.empty()) readings.reserve(kPairs.size());
    readings.push_back(LayoutReading{std::string(kLayoutDefs[kPairs[p].scanner].name),
                                     std::string(kLayoutDefs[kPairs[p].host].name),
                                     std::string(text)});
  }
  return readings;
}

std::optional<std::string> type_through(std::string_view text, std::string_view scanner,
                                        std::string_view host) {
  // Typing through (scanner S, host H) maps a character of S to the one H gives for the
  // same key: the reading of the pair (H, S).
  for (std::size_t p = 0; p < kPairs.size(); ++p) {
    if (kLayoutDefs[kPairs[p].scanner].name != host ||
        kLayoutDefs[kPairs[p].host].name != scanner) {
      continue;
    }
    std::string buffer(2 * text.size(), '\0');
    const std::size_t written = read_through(text, kPairTables[p], buffer.data());
    if (written == 0) return std::string(text);
    buffer.resize(written);
    return buffer;
  }
  return std::nullopt;
}

}  // namespace comptoir::codes
