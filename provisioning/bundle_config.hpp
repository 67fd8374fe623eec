// The config file an offline bundle leaves on the appliance (`comptoir-provision bundle
// apply`, provisioning/bundle_command.cpp), and putting the file back as it was when the
// cache's transaction does not commit after the file was written.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "db/result.hpp"
#include "runtime/config.hpp"

namespace comptoir::provisioning {

// The config a bundle carries, made this appliance's: the admin's text is the base (it wins:
// what the local file said is replaced, comments included), and on top of it what only the
// appliance knows, which stays the appliance's:
//   [appliance] data_dir  the data directory the bundle is written to (made absolute),
//   [sync] ca_file        the local value, when the local file or the admin's sets one,
//   [sync] insecure       the local value, when the local file or the admin's sets it true,
//   [sync] portal_key     `portal_key_hex`, the key the bundle was checked against.
// Errors, both bundle_invalid with the reason in the detail: the admin's text does not read
// as a config, or it sets a data_dir other than `data_dir` (the appliance's data would be
// looked for elsewhere than where the bundle puts it).
Result<std::string> bundle_config_text(const std::string &admin_toml, const Config &local,
                                       const std::string &data_dir,
                                       const std::string &portal_key_hex);

// `text` as the whole file at `path`: a temporary file beside it, fsync, rename, fsync of
// the directory; mode `mode`, and owner `owner` (uid, gid) when given. Error
// config_unwritable (detail: the path and strerror).
Result<void> replace_config_file(const std::string &path, const std::string &text,
                                 unsigned mode = 0640,
                                 std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);

// A config file as it was before it is written: its bytes, mode and owner, or its absence.
struct ConfigFileBackup {
  std::string path;
  std::optional<std::string> bytes;  // nullopt: there was no file
  unsigned mode = 0640;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Error config_unreadable (detail: the path and strerror).
Result<ConfigFileBackup> back_up_config_file(const std::string &path);

// The file put back as the backup holds it: the same bytes, mode and owner (atomically, as
// replace_config_file), or removed when there was none. Error config_unwritable.
Result<void> restore_config_file(const ConfigFileBackup &backup);

}  // namespace comptoir::provisioning
