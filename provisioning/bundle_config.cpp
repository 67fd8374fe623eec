// See bundle_config.hpp.
#include "bundle_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "runtime/config_writer.hpp"

namespace comptoir::provisioning {
namespace {

// An absolute, lexically normal path without a trailing slash ("/var/lib/comptoir").
std::string normal_dir(const std::string &dir) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(dir, ec);
  if (ec) p = dir;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string parent_dir(const std::string &path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

void sync_dir(const std::string &dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

Result<std::string> bundle_config_text(const std::string &admin_toml, const Config &local,
                                       const std::string &data_dir,
                                       const std::string &portal_key_hex) {
  auto admin = parse_config(admin_toml, "the bundle's config");
  if (!admin) {
    return make_error("bundle_invalid", "the config the bundle carries does not read (" +
                                            admin.error().detail +
                                            "); nothing was changed; tell the portal's admin");
  }
  const std::string dir = normal_dir(data_dir);
  if (admin->data_dir && normal_dir(*admin->data_dir) != dir) {
    return make_error("bundle_invalid",
                      "the config the bundle carries sets [appliance] data_dir = \"" +
                          *admin->data_dir + "\", but this appliance's data is in " + dir +
                          ": the counter would look for its orders where the bundle did not put "
                          "them; nothing was changed; ask the portal's admin for a bundle whose "
                          "config sets no data_dir");
  }
  std::vector<ConfigEdit> edits = {{"appliance", "data_dir", toml_string(dir)},
                                   {"sync", "portal_key", toml_string(portal_key_hex)}};
  if (!local.sync.ca_file.empty() || !admin->sync.ca_file.empty()) {
    edits.push_back({"sync", "ca_file", toml_string(local.sync.ca_file)});
  }
  if (local.sync.insecure || admin->sync.insecure) {
    edits.push_back({"sync", "insecure", local.sync.insecure ? "true" : "false"});
  }
  auto text = edit_config_text(admin_toml, edits);
  if (!text) {
    return make_error("bundle_invalid", "the config the bundle carries does not read (" +
                                            text.error().detail +
                                            "); nothing was changed; tell the portal's admin");
  }
  return text;
}

Result<void> replace_config_file(const std::string &path, const std::string &text, unsigned mode,
                                 std::optional<std::pair<uid_t, gid_t>> owner) {
  const std::string tmp = path + ".tmp";
  auto failed = [&](const std::string &what) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return make_error("config_unwritable", what + ": " + std::strerror(e));
  };
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return failed(tmp);
  auto close_failed = [&]() {
    const int e = errno;
    ::close(fd);
    errno = e;
    return failed(tmp);
  };
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return close_failed();
    done += static_cast<std::size_t>(n);
  }
  if (owner && ::fchown(fd, owner->first, owner->second) != 0) return close_failed();
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) return close_failed();
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed(path);
  sync_dir(parent_dir(path));
  return {};
}

Result<ConfigFileBackup> back_up_config_file(const std::string &path) {
  ConfigFileBackup backup;
  backup.path = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return backup;
    return make_error("config_unreadable", path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return make_error("config_unreadable", path + ": " + std::strerror(e));
  }
  std::string bytes;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return make_error("config_unreadable", path + ": " + std::strerror(e));
    }
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  backup.bytes = std::move(bytes);
  backup.mode = static_cast<unsigned>(st.st_mode & 07777);
  backup.uid = st.st_uid;
  backup.gid = st.st_gid;
  return backup;
}

Result<void> restore_config_file(const ConfigFileBackup &backup) {
  if (!backup.bytes) {
    if (::unlink(backup.path.c_str()) != 0 && errno != ENOENT) {
      return make_error("config_unwritable", backup.path + ": " + std::strerror(errno));
    }
    sync_dir(parent_dir(backup.path));
    return {};
  }
  // The owner is set only when it is not already who writes (a user other than root may
  // not give a file away, and need not).
  std::optional<std::pair<uid_t, gid_t>> owner;
  if (backup.uid != ::geteuid() || backup.gid != ::getegid()) {
    owner = std::pair{backup.uid, backup.gid};
  }
  return replace_config_file(backup.path, *backup.bytes, backup.mode, owner);
}

}  // namespace comptoir::provisioning
