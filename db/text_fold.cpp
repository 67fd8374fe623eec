#include "db/text_fold.hpp"

#include <array>
#include <utility>

namespace comptoir::db {
namespace {

// U+00C0..U+00FF: what each Latin-1 letter folds to; nullptr keeps the character (× ÷ Þ þ).
constexpr std::array<const char *, 64> kLatin1 = {
    "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",     "i",
    "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", nullptr, "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",     "i",
    "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", nullptr, "y"};

// U+0100..U+017F (Latin Extended-A: Polish, Czech, Hungarian, Turkish, Baltic... names),
// by letter; Ł, Đ, Ħ, Ŧ and ı have no decomposition but read as their base letter.
constexpr std::array<const char *, 128> kLatinExtendedA = {
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",   // U+0100
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",   // U+0110
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",   // U+0120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",   // U+0130
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",   // U+0140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",   // U+0150
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",   // U+0160
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};  // U+0170

bool is_separator(unsigned char c) {
  return c == ' ' || c == '-' || c == '\'' || c == '.' || c == ',' || c == '\t' || c == '_';
}

// No-break spaces (U+00A0, U+202F: French puts one before ":" and inside numbers), the
// Unicode dashes U+2010..U+2015 (word processors turn "-" into them) and the typographic
// apostrophes U+2018, U+2019.
bool is_separator(char32_t cp) {
  return cp == 0x00a0 || cp == 0x202f || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2018 ||
         cp == 0x2019;
}

bool continuation(unsigned c) {
  return (c & 0xc0) == 0x80;
}

// The code point of the well-formed 2- or 3-byte UTF-8 sequence at text[i], and its
// length; length 0 for anything else (ASCII, 4-byte sequences, broken UTF-8), which
// passes through byte by byte.
std::pair<char32_t, std::size_t> decode(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u;
  };
  const unsigned c = byte(0);
  if (c >= 0xc2 && c <= 0xdf && continuation(byte(1))) {
    return {static_cast<char32_t>(((c & 0x1f) << 6) | (byte(1) & 0x3f)), 2};
  }
  if ((c & 0xf0) == 0xe0 && continuation(byte(1)) && continuation(byte(2))) {
    const auto cp =
        static_cast<char32_t>(((c & 0x0f) << 12) | ((byte(1) & 0x3f) << 6) | (byte(2) & 0x3f));
    if (cp >= 0x800) return {cp, 3};  // not an overlong form
  }
  return {0, 0};
}

// What a code point folds to: nullptr keeps it as it is, "" drops it.
const char *fold_code_point(char32_t cp) {
  if (cp >= 0x00c0 && cp <= 0x00ff) return kLatin1[cp - 0x00c0];
  if (cp >= 0x0100 && cp <= 0x017f) return kLatinExtendedA[cp - 0x0100];
  // Combining diacritical marks: "e" followed by U+0301 (a decomposed "é", as macOS and
  // some keyboards write it) is "e".
  if (cp >= 0x0300 && cp <= 0x036f) return "";
  return nullptr;
}

// Appends the fold of `text` to `out` (out is cleared first); shared by both folds so the
// search function can reuse its buffers.
void fold_into(std::string_view text, std::string &out) {
  out.clear();
  bool space = false;  // a separator is pending
  const auto put = [&](std::string_view s) {
    if (s.empty()) return;
    if (space && !out.empty()) out += ' ';
    space = false;
    out += s;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (is_separator(c)) {
        space = true;
      } else {
        const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : text[i];
        put(std::string_view(&lower, 1));
      }
      continue;
    }
    const auto [cp, length] = decode(text, i);
    if (length == 0) {
      put(text.substr(i, 1));
      continue;
    }
    if (is_separator(cp)) {
      space = true;
    } else if (const char *folded = fold_code_point(cp)) {
      put(folded);
    } else {
      put(text.substr(i, length));
    }
    i += length - 1;
  }
}

void keep_alnum(std::string &s) {
  std::size_t w = 0;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) s[w++] = c;
  }
  s.resize(w);
}

}  // namespace

std::string fold_text(std::string_view text) {
  std::string out;
  fold_into(text, out);
  return out;
}

std::string fold_number(std::string_view text) {
  std::string out;
  fold_into(text, out);
  keep_alnum(out);
  return out;
}

int search_rank(std::string_view number, std::string_view customer, std::string_view number_key,
                std::string_view text_key) {
  // Called once per cached order of the stand while searching: reuse the buffers.
  thread_local std::string folded;
  if (!number_key.empty()) {
    fold_into(number, folded);
    keep_alnum(folded);
    const std::string_view n = folded;
    if (n.starts_with(number_key)) return 1;
    const std::size_t digits = n.find_first_of("0123456789");
    if (digits != std::string_view::npos && digits > 0 && n.substr(digits).starts_with(number_key))
      return 1;
    if (n.find(number_key) != std::string_view::npos) return 2;
  }
  if (!text_key.empty()) {
    fold_into(customer, folded);
    if (std::string_view(folded).find(text_key) != std::string_view::npos) return 2;
  }
  return 0;
}

}  // namespace comptoir::db
