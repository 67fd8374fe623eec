// What a keyboard-wedge scanner set to one layout types on a host set to another, for the
// characters pickup codes are made of: 0-9, A-Z in either case, '-' and the check symbols
// * ~ $ =. Written out here key by key (what each key gives on us, uk, fr and de, unshifted
// and shifted) on purpose: an oracle independent of codes::type_through and of the layout
// tables under test, shared by the unit and end-to-end tests.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::test {

inline constexpr std::array<std::string_view, 4> kLayoutNames = {"us", "uk", "fr", "de"};

namespace layout_mangler_detail {

// One key: what it gives on us, uk, fr, de (in kLayoutNames order), unshifted then shifted.
struct Key {
  std::array<std::array<std::string_view, 2>, 4> gives;
};

inline const std::vector<Key> &keys() {
  static const std::vector<Key> all = [] {
    std::vector<Key> k = {
        // the key left of 1
        {{{{"`", "~"}, {"`", "¬"}, {"²", "~"}, {"^", "°"}}}},
        // the digit row: AZERTY digits need Shift
        {{{{"1", "!"}, {"1", "!"}, {"&", "1"}, {"1", "!"}}}},
        {{{{"2", "@"}, {"2", "\""}, {"é", "2"}, {"2", "\""}}}},
        {{{{"3", "#"}, {"3", "£"}, {"\"", "3"}, {"3", "§"}}}},
        {{{{"4", "$"}, {"4", "$"}, {"'", "4"}, {"4", "$"}}}},
        {{{{"5", "%"}, {"5", "%"}, {"(", "5"}, {"5", "%"}}}},
        {{{{"6", "^"}, {"6", "^"}, {"-", "6"}, {"6", "&"}}}},
        {{{{"7", "&"}, {"7", "&"}, {"è", "7"}, {"7", "/"}}}},
        {{{{"8", "*"}, {"8", "*"}, {"_", "8"}, {"8", "("}}}},
        {{{{"9", "("}, {"9", "("}, {"ç", "9"}, {"9", ")"}}}},
        {{{{"0", ")"}, {"0", ")"}, {"à", "0"}, {"0", "="}}}},
        // right of 0: US '-' is ) on AZERTY and ß on QWERTZ
        {{{{"-", "_"}, {"-", "_"}, {")", "°"}, {"ß", "?"}}}},
        {{{{"=", "+"}, {"=", "+"}, {"=", "+"}, {"´", "`"}}}},
        // US ]: AZERTY $
        {{{{"]", "}"}, {"]", "}"}, {"$", "£"}, {"+", "*"}}}},
        // US ;: AZERTY M
        {{{{";", ":"}, {";", ":"}, {"m", "M"}, {"ö", "Ö"}}}},
        // US \ (ISO: right of the apostrophe): AZERTY *, UK #
        {{{{"\\", "|"}, {"#", "~"}, {"*", "µ"}, {"#", "'"}}}},
        // US /: QWERTZ -
        {{{{"/", "?"}, {"/", "?"}, {"!", "§"}, {"-", "_"}}}},
    };
    static const std::string lower = "abcdefghijklmnopqrstuvwxyz";
    static const std::string upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    auto letter = [](char c) {
      const auto i = static_cast<std::size_t>(c - 'a');
      return std::array<std::string_view, 2>{std::string_view(lower).substr(i, 1),
                                             std::string_view(upper).substr(i, 1)};
    };
    for (char c = 'a'; c <= 'z'; ++c) {
      Key key;
      for (auto &g : key.gives) g = letter(c);
      // AZERTY: A/Q and Z/W swap; the US m key gives , and ?
      if (c == 'a') key.gives[2] = letter('q');
      if (c == 'q') key.gives[2] = letter('a');
      if (c == 'w') key.gives[2] = letter('z');
      if (c == 'z') key.gives[2] = letter('w');
      if (c == 'm') key.gives[2] = {",", "?"};
      // QWERTZ: Y/Z swap
      if (c == 'y') key.gives[3] = letter('z');
      if (c == 'z') key.gives[3] = letter('y');
      k.push_back(key);
    }
    return k;
  }();
  return all;
}

inline std::optional<std::size_t> layout_index(std::string_view name) {
  for (std::size_t i = 0; i < kLayoutNames.size(); ++i) {
    if (kLayoutNames[i] == name) return i;
  }
  return std::nullopt;
}

}  // namespace layout_mangler_detail

// What the host shows when the scanner types `text` (ASCII) for layout `scanner`: for each
// character, the key and Shift state giving it on the scanner's layout, then what they give
// on the host's. nullopt for an unknown layout or a character the scanner's layout cannot
// type here (German has no ~ without AltGr).
inline std::optional<std::string> typed_through_layouts(std::string_view text,
                                                        std::string_view scanner,
                                                        std::string_view host) {
  const auto s = layout_mangler_detail::layout_index(scanner);
  const auto h = layout_mangler_detail::layout_index(host);
  if (!s || !h) return std::nullopt;
  std::string out;
  for (char c : text) {
    if (c == ' ') {  // the space bar is the same on every layout
      out += ' ';
      continue;
    }
    const std::string_view wanted(&c, 1);
    bool found = false;
    for (const auto &key : layout_mangler_detail::keys()) {
      for (std::size_t level = 0; level < 2 && !found; ++level) {
        if (key.gives[*s][level] == wanted) {
          out += key.gives[*h][level];
          found = true;
        }
      }
      if (found) break;
    }
    if (!found) return std::nullopt;
  }
  return out;
}

}  // namespace comptoir::test
