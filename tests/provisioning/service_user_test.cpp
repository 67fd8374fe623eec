// The service user (runtime/service_user.hpp): nobody to give files to unless root and the
// user exists; the data directory's modes (dir 0700, files 0600) and owner; the config's.
#include "runtime/service_user.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/temp_dir.hpp"

namespace comptoir {
namespace {

unsigned mode_of(const std::string &path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("the service owner is only for root, and only when the user exists") {
  CHECK_FALSE(service_owner("root", 1000).has_value());  // not root: nothing is chowned
  CHECK_FALSE(service_owner("no-such-user-comptoir-b1", 0).has_value());
  const auto root = service_owner("root", 0);
  REQUIRE(root.has_value());
  CHECK(root->uid == 0);
  CHECK(root->gid == 0);
  // The process's own answer agrees with its euid.
  if (::geteuid() != 0) CHECK_FALSE(service_owner("root").has_value());
}

TEST_CASE("the data directory is made the service's alone: dir 0700, files 0600") {
  test::TempDir tmp;
  const std::string data = tmp.file("data");
  std::filesystem::create_directories(data + "/sub");
  REQUIRE(::chmod(data.c_str(), 0755) == 0);
  REQUIRE(::chmod((data + "/sub").c_str(), 0775) == 0);
  for (const char *name : {"device.key", "comptoir.db", "comptoir.db-wal", "sub/x"}) {
    test::write_file(data + "/" + name, "x");
    REQUIRE(::chmod((data + "/" + name).c_str(), 0644) == 0);
  }
  // A link out of the directory is not followed: its target keeps its mode.
  const std::string outside = tmp.file("outside");
  test::write_file(outside, "y");
  REQUIRE(::chmod(outside.c_str(), 0644) == 0);
  std::filesystem::create_symlink(outside, data + "/link");

  // Without an owner (not root): the modes only.
  REQUIRE(secure_data_dir(data, std::nullopt).ok());
  CHECK(mode_of(data) == 0700);
  CHECK(mode_of(data + "/sub") == 0700);
  for (const char *name : {"device.key", "comptoir.db", "comptoir.db-wal", "sub/x"}) {
    CHECK(mode_of(data + "/" + name) == 0600);
  }
  CHECK(mode_of(outside) == 0644);

  // With an owner: this process's own ids (the chown an unprivileged process may do).
  REQUIRE(::chmod((data + "/device.key").c_str(), 0640) == 0);
  const ServiceOwner self{::geteuid(), ::getegid()};
  REQUIRE(secure_data_dir(data, self).ok());
  struct stat st {};
  REQUIRE(::stat((data + "/device.key").c_str(), &st) == 0);
  CHECK(st.st_uid == self.uid);
  CHECK(st.st_gid == self.gid);
  CHECK((st.st_mode & 07777) == 0600);

  auto missing = secure_data_dir(tmp.file("none"), std::nullopt);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "data_dir_unusable");
}

TEST_CASE("the config is given to root and the service's group, mode 0640") {
  test::TempDir tmp;
  const std::string config = tmp.file("comptoir.toml");
  test::write_file(config, "[sync]\n");
  REQUIRE(::chmod(config.c_str(), 0600) == 0);
  const ServiceOwner self{::geteuid(), ::getegid()};
  const bool root = ::geteuid() == 0;
  auto r = secure_config_file(config, self);
  if (!root) {
    // chown to root is root's: refused, said with the path.
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "config_unwritable");
    return;
  }
  REQUIRE(r.ok());
  struct stat st {};
  REQUIRE(::stat(config.c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  CHECK(st.st_gid == self.gid);
  CHECK((st.st_mode & 07777) == 0640);
}

}  // namespace comptoir
