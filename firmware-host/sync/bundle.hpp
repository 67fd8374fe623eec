// Offline bundles (docs/protocol.md, "Offline bundles"): what a portal gives a technician
// for an appliance that cannot reach it, on a USB stick. It holds the portal's address and
// identity, the stand to serve, an optional config, the key ring and a snapshot of the
// orders, and a one-time enrolment code the appliance sends when it first reaches the
// portal. The portal signs it with its identity key (Ed25519); the appliance checks the
// signature and that the key is the one it trusts before applying anything.
//
// Part of the wire contract: the portal writes bundles, the appliance reads them. Pure: no
// files, no database, no clock (times are arguments).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codes/pickup_token.hpp"
#include "db/result.hpp"
#include "sync/wire.hpp"

namespace comptoir::sync {

// The file: this first line, then one line of JSON {"key":"<64 hex>","sig":"<128 hex>"},
// then the gzip of the payload's compact JSON. The signature is over the gzip bytes as
// they are in the file, prefixed by the magic line (so a bundle cannot be re-labelled).
inline constexpr std::string_view kBundleMagic = "comptoir-bundle 1\n";
inline constexpr std::size_t kMaxBundleBytes = 64 * 1024 * 1024;  // the whole file
inline constexpr std::int64_t kDefaultBundleDays = 14;
inline constexpr std::int64_t kMaxBundleDays = 90;

struct Bundle {
  std::string bundle_id;          // 32 lowercase hex, random
  std::string portal_name;        // not empty
  std::string portal_url;         // http(s)://host[:port][/path], no trailing slash
  codes::PublicKey portal_key{};  // the identity key that signed it (also in the header)
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;  // > created_ms, at most kMaxBundleDays later
  std::int64_t stand_id = 0;    // the stand the appliance serves; one of snapshot.stands
  // The one-time enrolment code (12 Crockford Base32 symbols, as the portal's `enrol`
  // makes, valid until expires_ms); empty: the bundle refreshes an enrolled appliance only.
  std::string enrol_code;
  // A whole comptoir.toml from the portal's admin, or empty. Checked by the appliance with
  // its config parser before it is written; at most 64 KiB.
  std::string config_toml;
  // Stands, products, the key ring (always present) and the orders, as a pull would give a
  // device enrolled for stand_id's stands: more = false, remaining absent.
  wire::ChangesPage snapshot;
  bool operator==(const Bundle &) const = default;
};

// The file's bytes, signed with the portal's identity key. Error wire_invalid when the
// bundle breaks a rule above (validated as read_bundle would).
Result<std::string> write_bundle(const Bundle &bundle, const codes::KeyPair &portal_key);

// Whom the appliance trusts: the pinned key, or a key or fingerprint a person gave.
struct BundleTrust {
  std::optional<codes::PublicKey> key;  // the key itself (pinned at enrolment, or 64 hex)
  std::string fingerprint;              // or its fingerprint, as bundle_fingerprint prints
};

// Reads and checks a bundle, in this order, each with its own error code:
//   bundle_unreadable  not a Comptoir bundle (no magic line, or not version 1)
//   bundle_damaged     cut short where that shows without the payload (the magic or header
//                      line, a gzip part shorter than a gzip header and trailer)
//   bundle_tampered    the signature does not match the magic + gzip bytes: a change, or a
//                      cut, inside the payload ("damaged or modified: get a new copy")
//   bundle_untrusted   the trust names no key (never enrolled, no pin given)
//   bundle_foreign     signed by another portal's key than the trusted one (the detail
//                      names both fingerprints)
//   (only now is the payload inflated: bundle_damaged if the signed gzip or JSON does not
//   read)
//   bundle_invalid     a field breaks its rule (wire_invalid's detail)
//   bundle_expired     now_ms is past expires_ms (or before created_ms by over 24 h: the
//                      appliance's clock is wrong, the detail says so)
Result<Bundle> read_bundle(std::string_view file, const BundleTrust &trust, std::int64_t now_ms);

// "K7QM9-X2DF3-A4B8C-D1E2F": the first 100 bits of the key's SHA-256 in Crockford Base32,
// four groups of five. What `comptoir-portal identity` prints and a technician can compare.
std::string bundle_fingerprint(const codes::PublicKey &key);

// A key written as 64 hex digits, or nullopt.
std::optional<codes::PublicKey> parse_public_key_hex(std::string_view hex);

}  // namespace comptoir::sync
