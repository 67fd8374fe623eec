#include "codes/pickup_token.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace comptoir::codes {
namespace {

constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::string_view kDomain = "comptoir-pickup-token-v1";

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium could not be initialised");
}

int symbol_value(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') c = '1';
  if (c == 'O') c = '0';
  const auto pos = kSymbols.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

std::array<unsigned char, kTokenPayloadBytes> encode_payload(const TokenFields &f) {
  std::array<unsigned char, kTokenPayloadBytes> b{};
  b[0] = kTokenVersion;
  b[1] = static_cast<unsigned char>(f.key_id >> 8);
  b[2] = static_cast<unsigned char>(f.key_id);
  for (int i = 0; i < 6; ++i) {
    b[static_cast<std::size_t>(3 + i)] = static_cast<unsigned char>(f.order_id >> (40 - 8 * i));
  }
  for (int i = 0; i < 4; ++i) {
    b[static_cast<std::size_t>(9 + i)] = static_cast<unsigned char>(f.stand_id >> (24 - 8 * i));
  }
  b[13] = static_cast<unsigned char>(f.valid_until_day >> 8);
  b[14] = static_cast<unsigned char>(f.valid_until_day);
  b[15] = f.flags;
  return b;
}

TokenFields decode_payload(const unsigned char *b) {
  TokenFields f;
  f.key_id = static_cast<std::uint16_t>((b[1] << 8) | b[2]);
  for (int i = 0; i < 6; ++i) f.order_id = (f.order_id << 8) | b[3 + i];
  for (int i = 0; i < 4; ++i) f.stand_id = (f.stand_id << 8) | b[9 + i];
  f.valid_until_day = static_cast<std::uint16_t>((b[13] << 8) | b[14]);
  f.flags = b[15];
  return f;
}

// What is signed: the domain, so a signature made for something else never passes, then
// the payload.
std::array<unsigned char, kDomain.size() + kTokenPayloadBytes> signed_message(
    const unsigned char *payload) {
  std::array<unsigned char, kDomain.size() + kTokenPayloadBytes> m{};
  std::memcpy(m.data(), kDomain.data(), kDomain.size());
  std::memcpy(m.data() + kDomain.size(), payload, kTokenPayloadBytes);
  return m;
}

}  // namespace

const PortalKey *KeyRing::find(std::uint16_t key_id) const {
  for (const PortalKey &k : keys) {
    if (k.key_id == key_id) return &k;
  }
  return nullptr;
}

KeyPair generate_key_pair() {
  ensure_sodium();
  KeyPair kp;
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

KeyPair key_pair_from_seed(const std::array<unsigned char, 32> &seed) {
  ensure_sodium();
  KeyPair kp;
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data());
  return kp;
}

std::string sign_token(const TokenFields &fields, const SecretKey &secret_key) {
  if (fields.order_id > kMaxOrderId) return {};
  ensure_sodium();
  std::array<unsigned char, kTokenBytes> bytes{};
  const auto payload = encode_payload(fields);
  std::memcpy(bytes.data(), payload.data(), payload.size());
  const auto message = signed_message(payload.data());
  crypto_sign_detached(bytes.data() + kTokenPayloadBytes, nullptr, message.data(), message.size(),
                       secret_key.data());
  return std::string(kTokenPrefix) + base32_encode(bytes.data(), bytes.size());
}

bool has_token_prefix(std::string_view text) {
  if (text.size() < kTokenPrefix.size()) return false;
  for (std::size_t i = 0; i < kTokenPrefix.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != kTokenPrefix[i]) return false;
  }
  return true;
}

TokenRead read_token(std::string_view text, const KeyRing &keys, std::int64_t now_s) {
  TokenRead r;
  if (!has_token_prefix(text)) return r;
  r.status = TokenStatus::malformed;
  if (text.size() != kTokenChars) return r;
  const auto bytes = base32_decode(text.substr(kTokenPrefix.size()));
  if (!bytes || bytes->size() != kTokenBytes) return r;
  if ((*bytes)[0] != kTokenVersion) {
    r.status = TokenStatus::bad_version;
    return r;
  }
  r.fields = decode_payload(bytes->data());
  const PortalKey *key = keys.find(r.fields.key_id);
  if (key == nullptr) {
    r.status = TokenStatus::unknown_key;
    return r;
  }
  ensure_sodium();
  const auto message = signed_message(bytes->data());
  if (crypto_sign_verify_detached(bytes->data() + kTokenPayloadBytes, message.data(),
                                  message.size(), key->public_key.data()) != 0) {
    r.status = TokenStatus::forged;
    return r;
  }
  // Checked after the signature, so a forged token never learns which keys are current.
  if (now_s < key->valid_from_s || now_s > key->valid_until_s) {
    r.status = TokenStatus::key_not_valid;
    return r;
  }
  r.status = TokenStatus::ok;
  return r;
}

std::string_view to_string(TokenStatus status) {
  switch (status) {
    case TokenStatus::ok:
      return "ok";
    case TokenStatus::not_a_token:
      return "not_a_token";
    case TokenStatus::malformed:
      return "malformed";
    case TokenStatus::bad_version:
      return "bad_version";
    case TokenStatus::unknown_key:
      return "unknown_key";
    case TokenStatus::key_not_valid:
      return "key_not_valid";
    case TokenStatus::forged:
      return "forged";
  }
  return "malformed";
}

std::string base32_encode(const unsigned char *data, std::size_t size) {
  std::string out;
  out.reserve((size * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kSymbols[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += kSymbols[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::vector<unsigned char>> base32_decode(std::string_view text) {
  std::vector<unsigned char> out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = symbol_value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>(buffer >> bits));
    }
  }
  // Leftover bits must be zero padding, or two texts would decode to the same bytes.
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string to_hex(const unsigned char *data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

std::optional<std::vector<unsigned char>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<unsigned char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace comptoir::codes
