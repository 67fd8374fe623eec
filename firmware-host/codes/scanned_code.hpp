// What a scanned or typed line is, before any lookup: a pure function over text, with
// bounded work whatever the input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace comptoir::codes {

inline constexpr std::size_t kMaxScanBytes = 512;

struct ShortCodeScan {
  std::uint64_t value;
};
// Eleven Crockford symbols whose check symbol does not match: a typing mistake.
struct MistypedShortCode {
  std::string cleaned;
};
// Something shaped like a human order number ("C-104217"), read out by a customer.
struct OrderNumberScan {
  std::string number;
};
struct NotACode {
  std::string reason;  // machine id: empty, too_long, control_characters, product_barcode,
                       // web_address, unrecognised
};
// Signed portal tokens (QR codes) join this variant with the pickup-codes issue.
using ScannedCode = std::variant<NotACode, ShortCodeScan, MistypedShortCode, OrderNumberScan>;

ScannedCode parse_scan(std::string_view text);

// Two reads with the same key are the same code (for the double-read filter).
std::string scan_key(const ScannedCode &code);

}  // namespace comptoir::codes
