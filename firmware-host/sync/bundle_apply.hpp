// Applying an offline bundle on the appliance (docs/protocol.md, "Offline bundles"): whom
// the appliance trusts to sign it, the checks against what the appliance already holds, and
// the snapshot, key ring and settings written to the cache in one transaction.
// `comptoir-provision bundle apply` (provisioning/bundle_command.cpp) reads the file, the
// config and the lock around these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db/database.hpp"
#include "db/result.hpp"
#include "sync/bundle.hpp"

namespace comptoir::sync {

// The trust for read_bundle: the key pinned in the cache (db setting portal_key, 64 hex),
// else the config's [sync] portal_key, else what the technician gave (--portal-key: 64 hex
// or a fingerprint such as "K7QM9-X2DF3-A4B8C-D1E2F"). A pinned value that is not 64 hex is
// passed over; `given` that is neither is error bad_portal_key. All empty: an empty trust
// (read_bundle says bundle_untrusted).
Result<BundleTrust> make_bundle_trust(const std::string &pinned_in_cache,
                                      const std::string &pinned_in_config,
                                      const std::string &given);

// What the appliance holds that a bundle is checked against.
struct ApplianceBundleState {
  bool has_cache = false;  // a cache exists in the data directory
  bool enrolled = false;   // device.key and a portal: enrolled with a portal already
  std::string portal_url;
  std::string pinned_key;                      // db setting portal_key (64 hex) or empty
  std::optional<std::int64_t> stand_id;        // setting stand_id
  std::optional<std::int64_t> bundle_created;  // setting bundle_created_ms: the last bundle
  std::optional<std::int64_t> last_pull_ms;    // sync_state last_pull_ms
  std::int64_t outbox = 0;  // handovers waiting to be sent (to portal_url, for stand_id)
  // [sync] insecure of the config the appliance will run with: set by the caller (not read
  // from the cache). Without it a bundle whose portal is plain http:// to another machine
  // is refused.
  bool insecure = false;
};
// Reads it from an open cache (nullptr: no cache yet); `insecure` is left false. Errors:
// credentials_unreadable, database errors.
Result<ApplianceBundleState> read_bundle_state(db::Database *db, const std::string &data_dir);

// Error codes, each with the reason and what to do:
//   bundle_stale         not newer than the last bundle applied (bundle_created_ms), or
//                        older than the cache's last pull from the portal
//   insecure_url         the bundle's portal is http:// to another machine and not
//                        state.insecure (check_portal_url, the agent's rule)
//   bundle_other_portal  the appliance is enrolled with another portal than the bundle's,
//                        or not enrolled yet with handovers waiting for the portal of the
//                        bundle applied before
//   bundle_other_stand   the same for the stand
Result<void> check_bundle_fits(const Bundle &bundle, const ApplianceBundleState &state);

struct BundleApplied {
  std::string portal_name;
  std::string portal_url;
  std::int64_t stand_id = 0;
  std::string stand_name;  // from the snapshot; empty if it is not there
  std::size_t orders = 0;
  std::size_t products = 0;
  std::size_t stands = 0;
  std::size_t keys = 0;
  std::int64_t expires_ms = 0;
  // The bundle's enrolment code is waiting for the portal (not enrolled yet, a code given).
  bool pending_enrolment = false;
  bool enrolled = false;  // the appliance was enrolled already: a refresh
};

// Inside the caller's transaction (so a config written after it can still roll it back):
// the snapshot as a pull would apply it (apply_page_in_transaction; its last_pull_ms is the
// bundle's created_ms, the time its data is from), then the settings portal_url,
// portal_name, portal_key, stand_id, bundle_id, bundle_created_ms, and pending_enrol_code:
// the bundle's code when the appliance is not enrolled, else empty (an older bundle's code
// never stays behind); a pending key pair made for another code is dropped. Checks nothing of
// check_bundle_fits. Errors: page_inconsistent (the snapshot does not hold together),
// disk_full, database_error.
Result<BundleApplied> write_bundle_in_transaction(db::Database &db, const Bundle &bundle,
                                                  const ApplianceBundleState &state);

}  // namespace comptoir::sync
