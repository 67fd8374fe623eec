// See service_user.hpp.
#include "runtime/service_user.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace comptoir {
namespace {

Error unusable(const std::string &path, int e) {
  return make_error("data_dir_unusable", path + ": " + std::strerror(e));
}

// One entry: its mode, and its owner when given; a symbolic link is not followed.
Result<void> secure_one(const std::string &path, const std::optional<ServiceOwner> &owner) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return unusable(path, errno);
  if (S_ISLNK(st.st_mode)) return {};
  const bool dir = S_ISDIR(st.st_mode);
  if (!dir && !S_ISREG(st.st_mode)) return {};  // a socket or a fifo: not ours to change
  if (owner && (st.st_uid != owner->uid || st.st_gid != owner->gid) &&
      ::lchown(path.c_str(), owner->uid, owner->gid) != 0) {
    return unusable(path, errno);
  }
  const mode_t want = dir ? 0700 : 0600;
  if ((st.st_mode & 07777) != want && ::chmod(path.c_str(), want) != 0) {
    return unusable(path, errno);
  }
  if (!dir) return {};
  DIR *d = ::opendir(path.c_str());
  if (!d) return unusable(path, errno);
  std::vector<std::string> names;
  while (const dirent *entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  for (const std::string &name : names) {
    if (auto r = secure_one(path + "/" + name, owner); !r) return r;
  }
  return {};
}

}  // namespace

std::optional<ServiceOwner> service_owner(const std::string &user) {
  return service_owner(user, ::geteuid());
}

std::optional<ServiceOwner> service_owner(const std::string &user, uid_t euid) {
  if (euid != 0) return std::nullopt;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd *found = nullptr;
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
    return std::nullopt;
  }
  return ServiceOwner{found->pw_uid, found->pw_gid};
}

Result<void> secure_data_dir(const std::string &data_dir,
                             const std::optional<ServiceOwner> &owner) {
  return secure_one(data_dir, owner);
}

Result<void> secure_config_file(const std::string &path, const std::optional<ServiceOwner> &owner) {
  auto failed = [&](int e) {
    return make_error("config_unwritable", path + ": " + std::strerror(e));
  };
  if (owner && ::chown(path.c_str(), 0, owner->gid) != 0) return failed(errno);
  if (::chmod(path.c_str(), 0640) != 0) return failed(errno);
  return {};
}

}  // namespace comptoir
