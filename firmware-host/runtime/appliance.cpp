#include "runtime/appliance.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "runtime/clock.hpp"
#include "runtime/uuid.hpp"

namespace comptoir {
namespace {

Result<void> make_dirs(const std::string &dir) {
  std::string path;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error("data_dir_unusable", path + ": " + std::strerror(errno));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error("data_dir_unusable", dir + ": not a directory");
  }
  return {};
}

}  // namespace

std::string default_data_dir() {
  if (const char *s = std::getenv("STATE_DIRECTORY"); s && *s) return s;
  if (const char *s = std::getenv("XDG_STATE_HOME"); s && *s) return std::string(s) + "/comptoir";
  if (const char *s = std::getenv("HOME"); s && *s) {
    return std::string(s) + "/.local/state/comptoir";
  }
  return "/var/lib/comptoir";
}

Result<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const std::string &dir) {
  if (auto r = make_dirs(dir); !r) return r.error();
  const std::string path = dir + "/comptoir.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("data_dir_unusable", path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return make_error("data_dir_locked", dir);
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() {
  ::close(fd_);
}

Result<Appliance> open_appliance(const std::string &data_dir,
                                 std::optional<std::int64_t> stand_override,
                                 db::OpenOptions options) {
  Appliance a;
  a.data_dir = data_dir;
  auto lock = DataDirLock::acquire(data_dir);
  if (!lock) return lock.error();
  a.lock = std::move(*lock);
  const std::string db_path = data_dir + "/" + db::Database::kFileName;
  struct stat st {};
  if (!stand_override && ::stat(db_path.c_str(), &st) != 0) {
    // Nothing to serve yet: leave the directory empty for comptoir-provision.
    return make_error("no_stand", data_dir);
  }
  auto database = db::Database::open(db_path, options);
  if (!database) return database.error();
  a.db = std::move(*database);

  auto device = a.db->setting(kSettingDevice);
  if (!device) return device.error();
  if (*device) {
    a.device_id = **device;
  } else {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) std::strcpy(host.data(), "comptoir");
    // A short random suffix keeps two boxes imaged from one card apart.
    a.device_id = std::string(host.data()) + "-" + make_uuid_v7(SystemClock().wall_ms()).substr(28);
    if (auto r = a.db->set_setting(kSettingDevice, a.device_id); !r) return r.error();
  }

  if (stand_override) {
    a.stand_id = *stand_override;
    return a;
  }
  auto stand = a.db->setting(kSettingStand);
  if (!stand) return stand.error();
  std::int64_t id = 0;
  if (!*stand || std::from_chars((*stand)->data(), (*stand)->data() + (*stand)->size(), id).ec !=
                     std::errc()) {
    return make_error("no_stand", data_dir);
  }
  a.stand_id = id;
  return a;
}

}  // namespace comptoir
