// Enrolment: a one-time code from the portal's admin becomes this device's credentials,
// its stand and the portal's public keys (docs/protocol.md, "Enrolment").
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "db/database.hpp"
#include "db/result.hpp"
#include "runtime/clock.hpp"
#include "sync/sync_agent.hpp"

namespace comptoir::sync {

struct EnrolOptions {
  std::string portal_url;  // may be empty when `code` is the enrolment QR's URL
  std::string code;        // "K7QM-9X2D-F3A4", or the QR's "<portal>/api/v1/enrol?code=..."
  std::string name;        // label for the portal's admin; default: the host name
  std::optional<std::int64_t> stand;  // which of the enrolled stands to serve; default first
  bool force = false;                 // enrol again over an existing enrolment
  SyncSettings settings;              // ca_file, insecure, timeouts
  // The device key pair to enrol with; nullopt: a new one is made. An enrolment that may be
  // sent again (an offline bundle's, finished by the agent) keeps its pair, so that the
  // portal can give the same device back when its first answer was lost.
  std::optional<codes::KeyPair> key;
  // Set by another thread to abandon the request in progress: error `aborted` (HttpOptions).
  const std::atomic<bool> *abort = nullptr;
};

struct EnrolResult {
  Credentials credentials;
  std::string portal_name;
  wire::Stand stand;
  std::size_t stands = 0;
  std::size_t keys = 0;
  std::string portal_key;  // the portal's identity key pinned, 64 hex; empty when it sent none
};

// Makes a new device key pair, sends the code, then writes DATA/device.key, the settings
// portal_url, portal_name, device_id and stand_id, the stands and the key ring, in that
// order, the key file first. Errors: already_enrolled (without force), bad_code, code_used,
// code_expired, stand_not_enrolled, portal_key_mismatch (see check_portal_key), and the
// HttpClient's errors; nothing is written then.
// The same as check_enrol_options, check_not_enrolled, request_enrolment, write_enrolment.
Result<EnrolResult> enrol(db::Database &db, const std::string &data_dir,
                          const EnrolOptions &options, const Clock &clock);

// The phases of enrol(), for `comptoir enrol` on a data directory that has no database
// yet: it asks the portal before creating anything, so a refusal leaves nothing behind.

// The portal URL and the code as they will be sent, checked with neither the network nor
// the data directory. Errors: bad_url, insecure_url, bad_code.
struct EnrolTarget {
  std::string portal;  // no trailing slash
  std::string code;    // normalised: 12 Crockford Base32 symbols
};
Result<EnrolTarget> check_enrol_options(const EnrolOptions &options);

// Error already_enrolled when this data directory has an enrolment and not options.force.
Result<void> check_not_enrolled(db::Database &db, const std::string &data_dir,
                                const EnrolOptions &options);

// The portal's yes to the code, for the key pair made for it: nothing written yet.
struct EnrolGrant {
  std::string portal;
  codes::KeyPair key;
  wire::EnrolResponse answer;
  wire::Stand stand;  // the one to serve
};
// Checks the options, makes a key pair (or takes options.key) and sends the code. Errors: those of
// check_enrol_options, bad_code, code_used, code_expired, stand_not_enrolled, portal_error,
// portal_refused, portal_invalid, and the HttpClient's errors.
Result<EnrolGrant> request_enrolment(const EnrolOptions &options);

// Error portal_key_mismatch, unless options.force, when a portal identity key is pinned
// here (the db setting portal_key when `db` is given, and options.settings.portal_key from
// the config) and the portal answered with another one (or none). Before write_enrolment.
Result<void> check_portal_key(db::Database *db, const EnrolOptions &options,
                              const EnrolGrant &grant);

// The portal's identity key from a grant as 64 hex; empty when the portal sent none.
std::string portal_key_hex(const EnrolGrant &grant);

// Writes a grant: DATA/device.key first, then the settings (portal_key among them: the
// portal's identity key pinned), stands and key ring in one transaction.
Result<EnrolResult> write_enrolment(db::Database &db, const std::string &data_dir,
                                    const EnrolGrant &grant, const Clock &clock);

// Splits an enrolment QR's text "<portal>/api/v1/enrol?code=CODE" into the portal URL and
// the code; nullopt when the text is not one.
std::optional<std::pair<std::string, std::string>> parse_enrol_url(const std::string &text);

}  // namespace comptoir::sync
