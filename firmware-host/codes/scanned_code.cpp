#include "codes/scanned_code.hpp"

#include "codes/keyboard_layouts.hpp"
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

// Short codes and order numbers are at most this long; a token is 131 characters.
constexpr std::size_t kShortTextMax = 48;

// A token, read as typed or through the first layout mix-up under which it verifies. A
// short text is never a token, even one that starts with the prefix (1 short code in
// 16,384 does, as typed or under a layout reading): no token work for it at all.
SignedTokenScan read_any_token(std::string_view text, const KeyRing &keys, std::int64_t now_s) {
  SignedTokenScan best;
  best.status = TokenStatus::not_a_token;
  if (text.size() <= kShortTextMax) return best;
  TokenRead as_typed = read_token(text, keys, now_s);
  best.status = as_typed.status;
  best.fields = as_typed.fields;
  if (as_typed.status == TokenStatus::ok) return best;
  for (const LayoutReading &r : layout_readings(text)) {
    if (!has_token_prefix(r.text)) continue;
    TokenRead read = read_token(r.text, keys, now_s);
    // A reading with the prefix beats a text without it, even when it does not verify:
    // "WQ&..." is a token typed through a French layout, forged or not.
    if (read.status == TokenStatus::ok || best.status == TokenStatus::not_a_token) {
      best.status = read.status;
      best.fields = read.fields;
      best.layout = layout_name(r.scanner, r.host);
      if (read.status == TokenStatus::ok) break;
    }
  }
  return best;
}

}  // namespace

std::string layout_name(const std::string &scanner, const std::string &host) {
  return scanner + ">" + host;
}

ScannedCode parse_scan(std::string_view raw, const KeyRing &keys, std::int64_t now_s) {
  if (raw.size() > kMaxScanBytes) return NotACode{"too_long"};
  const std::string_view text = trim(raw);
  if (text.empty()) return NotACode{"empty"};
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return NotACode{"control_characters"};
  }

  SignedTokenScan token = read_any_token(text, keys, now_s);
  if (token.status != TokenStatus::not_a_token) return token;

  const ShortCodeRead read = read_short_code(text);
  if (read.status == ShortCodeStatus::ok) return ShortCodeScan{read.value, ""};
  if (text.size() <= kShortTextMax) {  // a short code, even mangled, is short: bound the work
    for (const LayoutReading &r : layout_readings(text)) {
      const ShortCodeRead repaired = read_short_code(r.text);
      if (repaired.status == ShortCodeStatus::ok) {
        return ShortCodeScan{repaired.value, layout_name(r.scanner, r.host)};
      }
    }
  }
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
    std::string operator()(const SignedTokenScan &c) const {
      return "t:" + std::to_string(c.fields.key_id) + ":" + std::to_string(c.fields.order_id) +
             ":" + std::string(to_string(c.status));
    }
    std::string operator()(const MistypedShortCode &c) const { return "m:" + c.cleaned; }
    std::string operator()(const OrderNumberScan &c) const { return "n:" + c.number; }
  };
  return std::visit(Key{}, code);
}

}  // namespace comptoir::codes
