// What a scanned or typed line is, before any lookup: a pure function over text, with
// bounded work whatever the input. Signatures are checked here (offline, with the key
// ring); keyboard-layout mix-ups are undone here, the check symbol or the signature
// deciding which reading is right.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "codes/pickup_token.hpp"

namespace comptoir::codes {

inline constexpr std::size_t kMaxScanBytes = 512;

struct ShortCodeScan {
  std::uint64_t value;
  std::string layout;  // "" when read as typed, else "us>fr": scanner us, host fr
};
// A signed token: genuine (status ok) or not, the fields decoded when they could be.
struct SignedTokenScan {
  TokenFields fields;
  TokenStatus status = TokenStatus::malformed;
  std::string layout;
};
// Eleven Crockford symbols whose check symbol does not match, under every layout: a typing
// mistake.
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
using ScannedCode =
    std::variant<NotACode, ShortCodeScan, SignedTokenScan, MistypedShortCode, OrderNumberScan>;

// keys and now_s verify signed tokens; without keys every token is unknown_key.
ScannedCode parse_scan(std::string_view text, const KeyRing &keys = {}, std::int64_t now_s = 0);

// Two reads with the same key are the same code (for the double-read filter).
std::string scan_key(const ScannedCode &code);

// "us>fr" for scanner us on host fr; "" when the text was read as typed.
std::string layout_name(const std::string &scanner, const std::string &host);

}  // namespace comptoir::codes
