// The system user the appliance's services run as (`comptoir`, made by the package): what
// a provisioning command run as root creates or changes is given to it, so that the service
// can read its identity and its cache, and nobody else can.
#pragma once

#include <sys/types.h>

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

// The data directory as the service needs it: the directory and those below it mode 0700,
// its files 0600 (device.key, the database and its side files, the lock), all owned by
// `owner` when given (symbolic links are left alone). Modes are set either way.
// Errors: data_dir_unusable (detail: the path and strerror).
Result<void> secure_data_dir(const std::string &data_dir, const std::optional<ServiceOwner> &owner);

// The config file as the service reads it: mode 0640, and root:<owner's group> when an
// owner is given. Errors: config_unwritable.
Result<void> secure_config_file(const std::string &path, const std::optional<ServiceOwner> &owner);

}  // namespace comptoir
