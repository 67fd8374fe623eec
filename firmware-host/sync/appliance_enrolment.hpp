// The running appliance's enrolment from its own screen: what the data directory says about
// the enrolment, and writing the portal's yes (the kiosk's technician screen; ui/ reads and
// writes the database only through these).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db/database.hpp"
#include "db/result.hpp"
#include "runtime/clock.hpp"
#include "runtime/messages.hpp"
#include "sync/enrolment.hpp"
#include "sync/sync_settings.hpp"

namespace comptoir::sync {

struct EnrolmentFacts {
  std::string portal_url;
  std::string portal_name;
  std::string device_id;
  std::int64_t stand_id = 0;
  std::string stand_name;  // "" when unknown
  // An offline bundle's enrolment waits for the portal: no credentials yet, but nothing to
  // enrol from the screen either (its agent finishes it when the portal is reached).
  bool pending = false;
};

// Enrolled when the data directory holds the credentials (as check_not_enrolled says; a key
// file that cannot be read counts: it is not overwritten from a screen either). Pending when
// an offline bundle left its code (or `agent_running`: a sync agent already runs without
// credentials). nullopt when neither.
std::optional<EnrolmentFacts> enrolment_facts(db::Database &db, const std::string &data_dir,
                                              bool agent_running);

// The config file could not be updated with the pinned key: the database holds the pin,
// which is what bundles are checked against first, so the enrolment stands.
struct ConfigNotWritten {
  std::string config_path;
  Error error;
};

// Writes the portal's yes to an enrolment asked from the running appliance, checked first as
// `comptoir enrol` does: not enrolled meanwhile (check_not_enrolled), the portal the one
// pinned here (check_portal_key: database, else settings.portal_key). Then write_enrolment
// (identity, settings, the portal's identity key pinned, stands, keys), then
// `[sync] portal_key` in `config_path` ("" : default_config_path()) when this process may
// write that file; a failure there is told on stderr (in `lang`) and in *config_warning, not
// an error. Errors: those of check_not_enrolled, check_portal_key and write_enrolment.
Result<EnrolmentFacts> finish_enrolment(db::Database &db, const std::string &data_dir,
                                        const EnrolGrant &grant, const SyncSettings &settings,
                                        const std::string &config_path, const Clock &clock,
                                        Lang lang, std::optional<ConfigNotWritten> *config_warning);

}  // namespace comptoir::sync
