// Finishing an enrolment begun by an offline bundle: the bundle left its one-time code in
// the cache (setting pending_enrol_code) and the portal's address; when the appliance first
// reaches the portal, its agent sends the code with a device key made here, writes the
// enrolment as `comptoir enrol` does, and goes on with the usual push and pull. Handovers
// recorded meanwhile wait in the outbox and go with that first round.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "db/database.hpp"
#include "db/result.hpp"
#include "runtime/clock.hpp"
#include "sync/sync_agent.hpp"

namespace comptoir::sync {

// The code waiting, when this appliance is not enrolled yet and a bundle left one; nullopt
// otherwise (enrolled, no code, or a code the portal refused: cleared then).
Result<std::optional<std::string>> pending_enrol_code(db::Database &db,
                                                      const std::string &data_dir);

// Sends the pending code to the portal at the setting portal_url (request_enrolment, for the
// bundle's stand), then writes the enrolment (write_enrolment: DATA/device.key first, 0600)
// and clears the code; the pull goes on from the bundle's cursor. The portal must answer
// with the identity key the bundle was signed with (setting portal_key), else error
// portal_foreign and nothing is written. A refused code (bad_code, code_used,
// code_expired, stand_not_enrolled) is cleared, so that it is not sent again, and its error
// says what the technician must do. Network errors leave everything as it was (the agent
// tries again with its backoff). `reached` is set when the portal answered.
Result<Credentials> finish_pending_enrolment(db::Database &db, const std::string &data_dir,
                                             const SyncSettings &settings, const Clock &clock,
                                             bool *reached);

// The agent of an appliance whose enrolment is pending: it finishes the enrolment at the
// start of its first round that reaches the portal. nullptr when nothing is pending.
// `why` gets a line for the log.
Result<std::unique_ptr<SyncAgent>> make_pending_agent(db::Database &db, const std::string &data_dir,
                                                      const SyncSettings &settings,
                                                      const Clock &clock, std::string *why);

}  // namespace comptoir::sync
