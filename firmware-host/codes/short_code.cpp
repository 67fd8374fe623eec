#include "codes/short_code.hpp"

namespace comptoir::codes {
namespace {

constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::string_view kCheckSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

int symbol_value(char c) {
  const auto pos = kSymbols.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::optional<std::string> crockford_clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    if (kCheckSymbols.find(c) == std::string_view::npos) return std::nullopt;
    out += c;
  }
  return out;
}

char check_symbol(std::uint64_t value) {
  return kCheckSymbols[value % 37];
}

ShortCodeRead read_short_code(std::string_view text) {
  if (text.size() > 32) return {};
  const auto clean = crockford_clean(text);
  if (!clean || clean->size() != kShortCodeSymbols + 1) return {};
  std::uint64_t value = 0;
  for (int i = 0; i < kShortCodeSymbols; ++i) {
    const int v = symbol_value((*clean)[static_cast<std::size_t>(i)]);
    if (v < 0) return {};
    value = value * 32 + static_cast<std::uint64_t>(v);
  }
  if (check_symbol(value) != clean->back()) return {ShortCodeStatus::wrong_check, 0};
  return {ShortCodeStatus::ok, value};
}

std::string format_short_code(std::uint64_t value) {
  std::string symbols(kShortCodeSymbols, '0');
  std::uint64_t rest = value;
  for (int i = kShortCodeSymbols - 1; i >= 0; --i) {
    symbols[static_cast<std::size_t>(i)] = kSymbols[rest % 32];
    rest /= 32;
  }
  symbols += check_symbol(value);
  return symbols.substr(0, 4) + '-' + symbols.substr(4, 4) + '-' + symbols.substr(8);
}

}  // namespace comptoir::codes
