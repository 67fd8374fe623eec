// Request signing (docs/protocol.md, "Authentication"): Ed25519 over a text that binds the
// method, the target with its query, the timestamp and the body's SHA-256, with libsodium.
#include "sync/device_auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace comptoir::wire {
namespace {

constexpr std::string_view kSigningPrefix = "comptoir-request-v1\n";
constexpr std::size_t kSignatureBytes = crypto_sign_BYTES;  // 64
constexpr std::size_t kMaxDeviceIdBytes = 64;
// 64 bytes in base64 with padding: 88 characters.
constexpr std::size_t kSignatureBase64 = 88;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char ch) {
             return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
           };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_device_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxDeviceIdBytes &&
         std::all_of(id.begin(), id.end(), [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
         });
}

// Decimal digits only (no sign, no spaces), within int64.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string> decode_signature(std::string_view text) {
  if (text.size() != kSignatureBase64) return std::nullopt;
  std::array<unsigned char, kSignatureBytes + 2> raw{};
  std::size_t length = 0;
  const char *end = nullptr;
  if (sodium_base642bin(raw.data(), raw.size(), text.data(), text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size() || length != kSignatureBytes) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char *>(raw.data()), length);
}

}  // namespace

bool sodium_ready() noexcept {
  // Once per process, thread-safe (a function-local static); sodium_init never throws.
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string signing_text(std::string_view method, std::string_view target,
                         std::int64_t timestamp_ms, std::string_view body) {
  // SHA-256 is plain code in libsodium, initialised or not; signing and verifying check.
  (void)sodium_ready();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char *>(body.data()),
                     body.size());
  std::string text(kSigningPrefix);
  text += method;
  text += '\n';
  text += target;
  text += '\n';
  text += std::to_string(timestamp_ms);
  text += '\n';
  text += codes::to_hex(digest.data(), digest.size());
  return text;
}

std::string sign_request(const codes::SecretKey &secret, std::string_view device_id,
                         std::string_view method, std::string_view target,
                         std::int64_t timestamp_ms, std::string_view body) {
  if (!sodium_ready()) return {};  // no signature: the portal refuses the request (401)
  const std::string text = signing_text(method, target, timestamp_ms, body);
  std::array<unsigned char, kSignatureBytes> signature{};
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char *>(text.data()), text.size(),
                       secret.data());
  std::array<char, kSignatureBase64 + 1> encoded{};  // sodium writes a terminating NUL
  sodium_bin2base64(encoded.data(), encoded.size(), signature.data(), signature.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  std::string value(kAuthScheme);
  value += " device=";
  value += device_id;
  value += ",ts=";
  value += std::to_string(timestamp_ms);
  value += ",sig=";
  value += encoded.data();
  return value;
}

std::optional<AuthHeader> parse_authorization(std::string_view value) {
  value = trim(value);
  // RFC 9110: the scheme is case-insensitive, then at least one space.
  const auto space = value.find(' ');
  if (space == std::string_view::npos ||
      !equals_ignoring_case(value.substr(0, space), kAuthScheme)) {
    return std::nullopt;
  }
  std::string_view rest = trim(value.substr(space + 1));
  std::optional<std::string_view> device, ts, sig;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view part = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (comma != std::string_view::npos && trim(rest).empty()) return std::nullopt;  // "a=1,"
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view name = part.substr(0, eq);
    const std::string_view param = part.substr(eq + 1);
    std::optional<std::string_view> *slot = name == "device" ? &device
                                            : name == "ts"   ? &ts
                                            : name == "sig"  ? &sig
                                                             : nullptr;
    // An unknown or repeated parameter: refused rather than guessed at.
    if (slot == nullptr || slot->has_value()) return std::nullopt;
    *slot = param;
  }
  if (!device || !ts || !sig || !is_device_id(*device)) return std::nullopt;
  const auto timestamp = parse_timestamp(*ts);
  if (!timestamp) return std::nullopt;
  auto signature = decode_signature(*sig);
  if (!signature) return std::nullopt;
  return AuthHeader{std::string(*device), *timestamp, std::move(*signature)};
}

bool verify_request(const codes::PublicKey &key, const AuthHeader &auth, std::string_view method,
                    std::string_view target, std::string_view body) {
  if (auth.signature.size() != kSignatureBytes || !sodium_ready()) return false;
  const std::string text = signing_text(method, target, auth.timestamp_ms, body);
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char *>(auth.signature.data()),
                                     reinterpret_cast<const unsigned char *>(text.data()),
                                     text.size(), key.data()) == 0;
}

}  // namespace comptoir::wire
