// The system user the appliance's services run as (`comptoir`, made by the package): what
// a provisioning command run as root creates or changes is given to it, so that the service
// can read its identity and its cache, and nobody else can.
#pragma once

#include <sys/types.h>

#include <array>
#include <optional>
#include <string>

#include "db/result.hpp"

namespace comptoir {

inline constexpr const char *kServiceUser = "comptoir";

struct ServiceOwner {
  uid_t uid = 0;
  gid_t gid = 0;  // the user's primary group
};

// The service user when this process runs as root (euid 0) and `user` exists (getpwnam);
// nullopt otherwise: not root, nothing is chowned. euid is a parameter for the tests.
std::optional<ServiceOwner> service_owner(const std::string &user = kServiceUser);
std::optional<ServiceOwner> service_owner(const std::string &user, uid_t euid);

// What Comptoir makes in a data directory, by name: the cache and its side files, the
// device's key (and the temporary file it is written through), the demo's files, and the
// lock (last: a factory reset removes it last). Nothing else there is Comptoir's: it is
// neither secured nor removed.
inline constexpr std::array<const char *, 10> kDataDirFiles = {
    "comptoir.db",          "comptoir.db-wal", "comptoir.db-shm", "comptoir.db-journal",
    "device.key",           "device.key.tmp",  "demo-codes.json", "demo-codes.tsv",
    "demo-portal-key.json", "comptoir.lock"};

// Refuses a data directory that is not one of its own: "/", "/home", "/root" or $HOME, or,
// when this process runs as root or `owner` is given, one owned by a person (uid >= 1000)
// other than the service user. Securing such a directory would take it from its owner.
// A directory that does not exist yet is fine (it will be made 0700). A symbolic link as
// the directory itself is refused. Errors: data_dir_unsafe (detail: the path and why),
// data_dir_unusable.
Result<void> check_data_dir_dedicated(const std::string &data_dir,
                                      const std::optional<ServiceOwner> &owner);

// The data directory as the service needs it, without following any symbolic link: the
// directory itself mode 0700, and the files of kDataDirFiles that are regular files in it
// mode 0600, all owned by `owner` when given. Nothing else is touched: not the directory's
// other entries, not what a link points to, not a file with other hard links. Modes are set
// either way. Checked first with check_data_dir_dedicated, and nothing is changed when it
// refuses. Errors: data_dir_unsafe, data_dir_unusable (detail: the path and strerror).
Result<void> secure_data_dir(const std::string &data_dir, const std::optional<ServiceOwner> &owner);

// The config file as the service reads it: mode 0640, and root:<owner's group> when an
// owner is given. Errors: config_unwritable.
Result<void> secure_config_file(const std::string &path, const std::optional<ServiceOwner> &owner);

}  // namespace comptoir
