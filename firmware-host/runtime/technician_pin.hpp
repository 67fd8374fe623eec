// The technician's PIN, which guards the kiosk's technician screen: set by
// `comptoir-provision set-pin`, checked by the kiosk. Only an Argon2id hash is stored, in
// the cache's settings table.
#pragma once

#include <string_view>

#include "db/database.hpp"
#include "db/result.hpp"

namespace comptoir {

inline constexpr const char *kSettingTechnicianPin = "technician_pin_hash";

// Error codes: pin_invalid (not 4 to 8 digits), and the write errors (disk_full,
// database_error).
Result<void> set_technician_pin(db::Database &db, std::string_view pin);

// True when `pin` is the technician PIN. Error codes: no_pin (none set yet), pin_unusable
// (the stored hash cannot be checked), database_error.
Result<bool> check_technician_pin(db::Database &db, std::string_view pin);

}  // namespace comptoir
