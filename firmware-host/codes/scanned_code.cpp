#include "codes/scanned_code.hpp"

#include "codes/short_code.hpp"

namespace comptoir::codes {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// EAN-8, UPC-A, EAN-13 and GTIN-14 all end with the same mod-10 check digit.
bool is_gtin(std::string_view s) {
  if (s.size() != 8 && s.size() != 12 && s.size() != 13 && s.size() != 14) return false;
  int sum = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const int digit = s[i] - '0';
    const std::size_t from_right = s.size() - 1 - i;  // 0 is the check digit
    if (from_right > 0) sum += (from_right % 2 == 1) ? digit * 3 : digit;
  }
  return (10 - sum % 10) % 10 == s.back() - '0';
}

bool looks_like_order_number(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  bool has_digit = false;
  for (char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!alnum && c != '-' && c != '_' && c != '/' && c != '.' && c != '#') return false;
    has_digit = has_digit || (c >= '0' && c <= '9');
  }
  return has_digit;
}

}  // namespace

ScannedCode parse_scan(std::string_view raw) {
  if (raw.size() > kMaxScanBytes) return NotACode{"too_long"};
  const std::string_view text = trim(raw);
  if (text.empty()) return NotACode{"empty"};
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return NotACode{"control_characters"};
  }

  const ShortCodeRead read = read_short_code(text);
  if (read.status == ShortCodeStatus::ok) return ShortCodeScan{read.value};
  if (read.status == ShortCodeStatus::wrong_check) {
    return MistypedShortCode{crockford_clean(text).value_or(std::string(text))};
  }
  if (is_gtin(text)) return NotACode{"product_barcode"};
  if (text.find("://") != std::string_view::npos || text.starts_with("www.")) {
    return NotACode{"web_address"};
  }
  if (looks_like_order_number(text)) {
    std::string number(text);
    for (char &c : number) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return OrderNumberScan{number};
  }
  return NotACode{"unrecognised"};
}

std::string scan_key(const ScannedCode &code) {
  struct Key {
    std::string operator()(const NotACode &c) const { return "x:" + c.reason; }
    std::string operator()(const ShortCodeScan &c) const { return "s:" + std::to_string(c.value); }
    std::string operator()(const MistypedShortCode &c) const { return "m:" + c.cleaned; }
    std::string operator()(const OrderNumberScan &c) const { return "n:" + c.number; }
  };
  return std::visit(Key{}, code);
}

}  // namespace comptoir::codes
