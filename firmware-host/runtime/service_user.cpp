// See service_user.hpp.
#include "runtime/service_user.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace comptoir {
namespace {

Error unusable(const std::string &path, int e) {
  return make_error("data_dir_unusable", path + ": " + std::strerror(e));
}

Error unsafe(const std::string &path, const std::string &why) {
  return make_error("data_dir_unsafe", path + ": " + why);
}

// A descriptor closed at the end of the scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The directory itself, not a symbolic link in its place. -1 with errno set otherwise.
int open_dir(const std::string &path) {
  return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// Why open_dir failed: a link in the directory's place (ELOOP, or ENOTDIR with O_DIRECTORY)
// is refused as such.
Error not_opened(const std::string &path, int e) {
  struct stat st {};
  if ((e == ELOOP || e == ENOTDIR) && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    return unsafe(path, "it is a symbolic link");
  }
  return unusable(path, e);
}

bool same_file(const struct stat &st, const char *path) {
  struct stat other {};
  return path != nullptr && *path != '\0' && ::stat(path, &other) == 0 &&
         other.st_dev == st.st_dev && other.st_ino == st.st_ino;
}

// The first uid a person gets on Debian (adduser's FIRST_UID).
constexpr uid_t kFirstPersonUid = 1000;

// `st` is the opened directory's.
Result<void> check_dedicated(const std::string &path, const struct stat &st,
                             const std::optional<ServiceOwner> &owner) {
  for (const char *shared : {"/", "/home", "/root"}) {
    if (same_file(st, shared)) return unsafe(path, std::string("it is ") + shared);
  }
  if (const char *home = std::getenv("HOME"); same_file(st, home)) {
    return unsafe(path, std::string("it is the home directory ") + home);
  }
  const bool root = owner.has_value() || ::geteuid() == 0;
  if (root && st.st_uid >= kFirstPersonUid && !(owner && st.st_uid == owner->uid)) {
    return unsafe(path, "it belongs to the user with uid " + std::to_string(st.st_uid));
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

Result<void> check_data_dir_dedicated(const std::string &data_dir,
                                      const std::optional<ServiceOwner> &owner) {
  const Fd dir(open_dir(data_dir));
  if (dir.get() < 0) {
    if (errno == ENOENT) return {};  // made 0700 when needed
    return not_opened(data_dir, errno);
  }
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return unusable(data_dir, errno);
  return check_dedicated(data_dir, st, owner);
}

Result<void> secure_data_dir(const std::string &data_dir,
                             const std::optional<ServiceOwner> &owner) {
  // Everything below goes through this descriptor: a directory or a link swapped in after
  // the check is never followed.
  const Fd dir(open_dir(data_dir));
  if (dir.get() < 0) return not_opened(data_dir, errno);
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return unusable(data_dir, errno);
  if (auto r = check_dedicated(data_dir, st, owner); !r) return r;
  if (owner && (st.st_uid != owner->uid || st.st_gid != owner->gid) &&
      ::fchown(dir.get(), owner->uid, owner->gid) != 0) {
    return unusable(data_dir, errno);
  }
  if ((st.st_mode & 07777) != 0700 && ::fchmod(dir.get(), 0700) != 0) {
    return unusable(data_dir, errno);
  }
  for (const char *name : kDataDirFiles) {
    const std::string path = data_dir + "/" + name;
    // O_NONBLOCK: a fifo by one of these names is not waited on (and is left alone below).
    const Fd file(::openat(dir.get(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (file.get() < 0) {
      if (errno == ENOENT || errno == ELOOP) continue;  // absent, or a link: not followed
      return unusable(path, errno);
    }
    struct stat fst {};
    if (::fstat(file.get(), &fst) != 0) return unusable(path, errno);
    // Not a regular file, or one with other names elsewhere (a hard link to a file outside
    // the directory): not Comptoir's to change.
    if (!S_ISREG(fst.st_mode) || fst.st_nlink != 1) continue;
    if (owner && (fst.st_uid != owner->uid || fst.st_gid != owner->gid) &&
        ::fchown(file.get(), owner->uid, owner->gid) != 0) {
      return unusable(path, errno);
    }
    if ((fst.st_mode & 07777) != 0600 && ::fchmod(file.get(), 0600) != 0) {
      return unusable(path, errno);
    }
  }
  return {};
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
