// The signed pickup token in a QR code: a portal-signed statement "order O of stand S may
// be collected until day D", verifiable offline with the portal's public keys.
//
//   text  = "ZA1" + Crockford Base32 (80 bytes -> 128 symbols)      131 characters
//   bytes = version(1) key_id(2) order_id(6) stand_id(4) valid_until_day(2) flags(1)
//           signature(64), integers big-endian
//   signature = Ed25519 over "comptoir-pickup-token-v1" || the first 16 bytes
//
// The prefix takes a different form under each keyboard-layout mix-up ("WQ&" for a US
// scanner on a French host, "YA1" on a German one), so a mangled token is recognised as one.
// The format and its test vectors: docs/pickup-codes.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::codes {

inline constexpr std::string_view kTokenPrefix = "ZA1";
inline constexpr std::size_t kTokenPayloadBytes = 16;
inline constexpr std::size_t kTokenBytes = kTokenPayloadBytes + 64;
inline constexpr std::size_t kTokenChars = 3 + kTokenBytes * 8 / 5;  // 131
inline constexpr std::uint8_t kTokenVersion = 1;
inline constexpr std::uint8_t kFlagPrepaid = 0x01;
inline constexpr std::uint64_t kMaxOrderId = (std::uint64_t{1} << 48) - 1;

using PublicKey = std::array<unsigned char, 32>;
using SecretKey = std::array<unsigned char, 64>;  // libsodium's seed || public key

struct TokenFields {
  std::uint16_t key_id = 0;
  std::uint64_t order_id = 0;  // 48 bits
  std::uint32_t stand_id = 0;
  std::uint16_t valid_until_day = 0;  // days since 1970-01-01 (UTC); valid through that day
  std::uint8_t flags = 0;
  bool prepaid() const { return (flags & kFlagPrepaid) != 0; }
  bool operator==(const TokenFields &) const = default;
};

struct PortalKey {
  std::uint16_t key_id = 0;
  PublicKey public_key{};
  std::int64_t valid_from_s = 0;   // Unix seconds
  std::int64_t valid_until_s = 0;  // Unix seconds; tokens are accepted up to this time
  bool operator==(const PortalKey &) const = default;
};

// The portal's public keys the appliance trusts, chosen by key id.
struct KeyRing {
  std::vector<PortalKey> keys;
  const PortalKey *find(std::uint16_t key_id) const;
};

struct KeyPair {
  PublicKey public_key{};
  SecretKey secret_key{};
};
KeyPair generate_key_pair();
// Deterministic, for test vectors: the same 32-byte seed always gives the same keys.
KeyPair key_pair_from_seed(const std::array<unsigned char, 32> &seed);

// Signs and encodes; empty when a field is out of range (order id over 48 bits).
std::string sign_token(const TokenFields &fields, const SecretKey &secret_key);

enum class TokenStatus {
  ok,
  not_a_token,    // no token prefix: some other text
  malformed,      // the prefix, but wrong length or symbols: a damaged or truncated read
  bad_version,    // a format this appliance does not know
  unknown_key,    // no key with that id in the ring: synchronise the appliance
  key_not_valid,  // the key exists but is outside its validity period
  forged,         // the signature does not verify
};

struct TokenRead {
  TokenStatus status = TokenStatus::not_a_token;
  TokenFields fields;  // decoded whenever the status is past `malformed`
};

bool has_token_prefix(std::string_view text);
// Pure: decoding and one signature check, ~50 µs.
TokenRead read_token(std::string_view text, const KeyRing &keys, std::int64_t now_s);

std::string_view to_string(TokenStatus status);

// Crockford Base32 of bytes, big-endian bit order, no padding; decoding ignores case and
// reads I/L as 1, O as 0. nullopt on a symbol outside the alphabet or leftover bits.
std::string base32_encode(const unsigned char *data, std::size_t size);
std::optional<std::vector<unsigned char>> base32_decode(std::string_view text);

std::string to_hex(const unsigned char *data, std::size_t size);
std::optional<std::vector<unsigned char>> from_hex(std::string_view hex);

}  // namespace comptoir::codes
