// How a device proves who it is on every request (docs/protocol.md, "Authentication"):
//   Authorization: Comptoir-Ed25519 device=<device id>,ts=<unix ms>,sig=<base64 signature>
// signature = Ed25519 over the signing text:
//   "comptoir-request-v1\n" METHOD "\n" TARGET "\n" TS "\n" hex(SHA-256(body))
// TARGET is the path with its query as sent ("/api/v1/changes?cursor=s12&limit=500"); the
// body is the uncompressed one (empty for GET). The portal accepts a timestamp within
// kMaxClockSkewMs of its own clock; otherwise it answers 401 clock_skew with its time, and
// the device retries once with its clock corrected by the difference. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codes/pickup_token.hpp"

namespace comptoir::wire {

inline constexpr std::string_view kAuthScheme = "Comptoir-Ed25519";
inline constexpr std::int64_t kMaxClockSkewMs = 5 * 60 * 1000;

struct AuthHeader {
  std::string device_id;
  std::int64_t timestamp_ms = 0;
  std::string signature;  // 64 raw bytes
};

// libsodium initialised (sodium_init, once per process): false when it cannot be, in which
// case sign_request returns an empty value and verify_request false. Never throws: callers
// that sign (the agent, enrolment) check it first and report crypto_unavailable.
bool sodium_ready() noexcept;

std::string signing_text(std::string_view method, std::string_view target,
                         std::int64_t timestamp_ms, std::string_view body);

// The Authorization header's value.
std::string sign_request(const codes::SecretKey &secret, std::string_view device_id,
                         std::string_view method, std::string_view target,
                         std::int64_t timestamp_ms, std::string_view body);

// nullopt when the value is not of this scheme or malformed.
std::optional<AuthHeader> parse_authorization(std::string_view value);

// The signature only; the portal checks the timestamp against its clock itself.
bool verify_request(const codes::PublicKey &key, const AuthHeader &auth, std::string_view method,
                    std::string_view target, std::string_view body);

}  // namespace comptoir::wire
