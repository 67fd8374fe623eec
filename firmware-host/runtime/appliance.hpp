// The appliance's process-wide state on one data directory: the directory and its lock
// (one writer per database), the open cache, and who this appliance is.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "db/database.hpp"
#include "db/result.hpp"

namespace comptoir {

// $STATE_DIRECTORY (systemd's StateDirectory=), else $XDG_STATE_HOME/comptoir, else
// ~/.local/state/comptoir, else /var/lib/comptoir.
std::string default_data_dir();

// Holds an exclusive flock on DIR/comptoir.lock for its lifetime.
class DataDirLock {
 public:
  // Creates DIR (mode 0700) if needed. Error codes: data_dir_unusable, data_dir_locked.
  static Result<std::unique_ptr<DataDirLock>> acquire(const std::string &dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock &) = delete;
  DataDirLock &operator=(const DataDirLock &) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

struct Appliance {
  std::string data_dir;
  std::unique_ptr<DataDirLock> lock;
  std::unique_ptr<db::Database> db;
  std::int64_t stand_id = 0;
  std::string device_id;
};

inline constexpr const char *kSettingStand = "stand_id";
inline constexpr const char *kSettingDevice = "device_id";

// Locks the directory, opens (creating or migrating) the cache and reads the identity.
// A missing device id is made from the host name; a missing stand is error no_stand
// unless stand_override is given.
Result<Appliance> open_appliance(const std::string &data_dir,
                                 std::optional<std::int64_t> stand_override = std::nullopt,
                                 db::OpenOptions options = {});

}  // namespace comptoir
