// Finishing an enrolment begun by an offline bundle: the bundle left its one-time code in
// the cache (setting pending_enrol_code) and the portal's address; when the appliance first
// reaches the portal, its agent sends the code with a device key made here, writes the
// enrolment as `comptoir enrol` does, and goes on with the usual push and pull. Handovers
// recorded meanwhile wait in the outbox and go with that first round.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "db/database.hpp"
#include "db/result.hpp"
#include "runtime/clock.hpp"
#include "sync/enrolment.hpp"
#include "sync/sync_agent.hpp"

namespace comptoir::sync {

// The device key pair the pending enrolment sends, made at its first attempt and kept next
// to the code (the cache is 0600) until the enrolment is written or the code is cleared:
// every attempt sends the same key, so when the portal said yes but its answer was lost,
// the next attempt gets the same device back instead of code_used. The secret key, 128 hex.
inline constexpr const char *kSettingPendingEnrolKey = "pending_enrol_key";

// The code waiting, when this appliance is not enrolled yet and a bundle left one; nullopt
// otherwise (enrolled, no code, or a code the portal refused: cleared then).
Result<std::optional<std::string>> pending_enrol_code(db::Database &db,
                                                      const std::string &data_dir);

// Sends the pending code to the portal at the setting portal_url (request_enrolment, for the
// bundle's stand, with the key pair kSettingPendingEnrolKey, made and stored first when
// there is none), then writes the enrolment (write_enrolment: DATA/device.key first, 0600)
// and clears the code and the pending key; the pull goes on from the bundle's cursor. The
// portal must answer with the identity key the bundle was signed with (setting portal_key;
// check_pending_portal_key), else error portal_foreign and nothing is written. A refused
// code (bad_code, code_used, code_expired, stand_not_enrolled, portal_foreign) is cleared,
// so that it is not sent again, and its error says what the technician must do. Network
// errors leave everything as it was (the agent tries again with its backoff, the same key).
// `reached` is set when the portal answered; `abort` set by another thread gives up the
// request in progress (error aborted).
Result<Credentials> finish_pending_enrolment(db::Database &db, const std::string &data_dir,
                                             const SyncSettings &settings, const Clock &clock,
                                             bool *reached,
                                             const std::atomic<bool> *abort = nullptr);

// The decision on the portal's identity key in its answer to the pending code: check_portal_key
// (the pinned key in the cache, else the config's), its refusal as error portal_foreign (a
// portal that sends no key, or another key, is not the one that signed the bundle).
Result<void> check_pending_portal_key(db::Database &db, const EnrolOptions &options,
                                      const EnrolGrant &grant);

// The agent of an appliance whose enrolment is pending: it finishes the enrolment at the
// start of its first round that reaches the portal. nullptr when nothing is pending.
// `why` gets a line for the log.
Result<std::unique_ptr<SyncAgent>> make_pending_agent(db::Database &db, const std::string &data_dir,
                                                      const SyncSettings &settings,
                                                      const Clock &clock, std::string *why);

}  // namespace comptoir::sync
