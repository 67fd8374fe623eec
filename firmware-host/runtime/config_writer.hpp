// Writing the appliance's config file (comptoir.toml) when it is provisioned: enrolment,
// an offline bundle or the kiosk's technician screen set a few keys and keep everything
// else a person wrote, comments included.
#pragma once

#include <string>
#include <vector>

#include "db/result.hpp"

namespace comptoir {

// One key to set: `table` is "" for the top level or a table name ("sync"); `value` is a
// TOML value as it will be written: "\"text\"" (use toml_string), "true", "30".
struct ConfigEdit {
  std::string table;
  std::string key;
  std::string value;
};

// `text` quoted as a TOML basic string (quotes, backslashes and control characters escaped).
std::string toml_string(const std::string &text);

// `text` with every edit applied: a key already set in its table has its line replaced
// (a comment at the end of the line is kept); a missing key is added at the end of its
// table; a missing table is added at the end of the text. Top-level keys go before the
// first table. The result is checked with parse_config; error config_invalid if it does
// not read (the edits are refused, nothing changes).
Result<std::string> edit_config_text(const std::string &text, const std::vector<ConfigEdit> &edits);

// Reads `path` (a missing file is an empty one: it is created, with a header comment saying
// what wrote it), applies the edits and replaces the file atomically (a temporary file in
// the same directory, fsync, rename, fsync of the directory), mode `mode` (0640 by default:
// the service's group reads it; the caller sets the owner). An existing file keeps its
// mode. Error codes: config_unreadable, config_invalid, config_unwritable (detail: the path
// and strerror: a full disk or a read-only /etc says so).
Result<void> update_config_file(const std::string &path, const std::vector<ConfigEdit> &edits,
                                unsigned mode = 0640);

}  // namespace comptoir
