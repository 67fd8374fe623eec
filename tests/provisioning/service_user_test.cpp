// The service user (runtime/service_user.hpp): nobody to give files to unless root and the
// user exists; the data directory's modes (dir 0700, files 0600) and owner; the config's.
#include "runtime/service_user.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

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

TEST_CASE("the data directory is made the service's alone: dir 0700, its files 0600") {
  test::TempDir tmp;
  const std::string data = tmp.file("data");
  std::filesystem::create_directories(data + "/sub");
  REQUIRE(::chmod(data.c_str(), 0755) == 0);
  REQUIRE(::chmod((data + "/sub").c_str(), 0775) == 0);
  for (const char *name : {"device.key", "comptoir.db", "comptoir.db-wal", "comptoir.lock",
                           "notes.txt", "sub/comptoir.db"}) {
    test::write_file(data + "/" + name, "x");
    REQUIRE(::chmod((data + "/" + name).c_str(), 0644) == 0);
  }
  // A known name that is a link out of the directory: not followed, its target keeps its mode.
  const std::string outside = tmp.file("outside");
  test::write_file(outside, "y");
  REQUIRE(::chmod(outside.c_str(), 0644) == 0);
  std::filesystem::create_symlink(outside, data + "/comptoir.db-shm");
  // A hard link to a file outside: another name for someone else's file, left alone.
  const std::string elsewhere = tmp.file("elsewhere");
  test::write_file(elsewhere, "z");
  REQUIRE(::chmod(elsewhere.c_str(), 0644) == 0);
  REQUIRE(::link(elsewhere.c_str(), (data + "/demo-codes.json").c_str()) == 0);

  // Without an owner (not root): the modes only.
  REQUIRE(secure_data_dir(data, std::nullopt).ok());
  CHECK(mode_of(data) == 0700);
  for (const char *name : {"device.key", "comptoir.db", "comptoir.db-wal", "comptoir.lock"}) {
    CAPTURE(name);
    CHECK(mode_of(data + "/" + name) == 0600);
  }
  // Not Comptoir's: a foreign file, a subdirectory and what is in it are left as they were.
  CHECK(mode_of(data + "/notes.txt") == 0644);
  CHECK(mode_of(data + "/sub") == 0775);
  CHECK(mode_of(data + "/sub/comptoir.db") == 0644);
  CHECK(mode_of(outside) == 0644);
  CHECK(mode_of(elsewhere) == 0644);

  auto missing = secure_data_dir(tmp.file("none"), std::nullopt);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "data_dir_unusable");
}

TEST_CASE("the data directory and its files are given to the owner, and only they") {
  test::TempDir tmp;
  const std::string data = tmp.file("data");
  std::filesystem::create_directories(data);
  for (const char *name : {"device.key", "notes.txt"}) test::write_file(data + "/" + name, "x");
  const std::string outside = tmp.file("outside");
  test::write_file(outside, "y");
  std::filesystem::create_symlink(outside, data + "/comptoir.db");
  struct stat before {};
  REQUIRE(::stat(outside.c_str(), &before) == 0);

  // Ids other than this process's own, so the chown shows: any ids for root; else a
  // supplementary group of this process (the one chown an unprivileged owner may do).
  ServiceOwner other{::geteuid(), ::getegid()};
  if (::geteuid() == 0) {
    other = {4242, 4243};
  } else {
    std::vector<gid_t> groups(static_cast<std::size_t>(::getgroups(0, nullptr)));
    const int n = ::getgroups(static_cast<int>(groups.size()), groups.data());
    REQUIRE(n >= 0);
    groups.resize(static_cast<std::size_t>(n));
    for (const gid_t g : groups) {
      if (g != ::getegid()) other.gid = g;
    }
    if (other.gid == ::getegid()) {
      MESSAGE("no supplementary group and not root: the owner is not checked");
      return;
    }
  }
  REQUIRE(secure_data_dir(data, other).ok());
  for (const std::string &path : {data, data + "/device.key"}) {
    CAPTURE(path);
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    CHECK(st.st_uid == other.uid);
    CHECK(st.st_gid == other.gid);
  }
  CHECK(mode_of(data + "/device.key") == 0600);
  struct stat st {};
  REQUIRE(::lstat((data + "/notes.txt").c_str(), &st) == 0);
  CHECK(st.st_gid == ::getegid());  // not Comptoir's: not given away
  REQUIRE(::stat(outside.c_str(), &st) == 0);
  CHECK(st.st_uid == before.st_uid);  // the link's target stays its owner's
  CHECK(st.st_gid == before.st_gid);
}

TEST_CASE("a directory that is not Comptoir's alone is refused and left as it was") {
  test::TempDir tmp;
  // The filesystem's root and homes: refused whoever asks.
  for (const char *shared : {"/", "/home", "/root"}) {
    struct stat before {};
    if (::stat(shared, &before) != 0) continue;
    CAPTURE(shared);
    auto r = secure_data_dir(shared, std::nullopt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "data_dir_unsafe");
    CHECK(r.error().detail.find(shared) != std::string::npos);
    struct stat after {};
    REQUIRE(::stat(shared, &after) == 0);
    CHECK(after.st_mode == before.st_mode);
  }
  // $HOME (the `--data ~` mistake): its mode stays, +x for others included.
  const std::string home = tmp.file("home");
  std::filesystem::create_directories(home);
  REQUIRE(::chmod(home.c_str(), 0755) == 0);
  test::write_file(home + "/comptoir.db", "x");
  REQUIRE(::chmod((home + "/comptoir.db").c_str(), 0644) == 0);
  const char *saved = std::getenv("HOME");
  const std::string saved_home = saved != nullptr ? saved : "";
  REQUIRE(::setenv("HOME", home.c_str(), 1) == 0);
  auto r = secure_data_dir(home, std::nullopt);
  auto checked = check_data_dir_dedicated(home, std::nullopt);
  if (saved != nullptr) {
    ::setenv("HOME", saved_home.c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "data_dir_unsafe");
  CHECK_FALSE(checked.ok());
  CHECK(mode_of(home) == 0755);
  CHECK(mode_of(home + "/comptoir.db") == 0644);

  // A link in place of the directory: refused, not followed.
  const std::string real = tmp.file("real");
  std::filesystem::create_directories(real);
  REQUIRE(::chmod(real.c_str(), 0755) == 0);
  std::filesystem::create_directory_symlink(real, tmp.file("linked"));
  auto linked = secure_data_dir(tmp.file("linked"), std::nullopt);
  REQUIRE_FALSE(linked.ok());
  CHECK(linked.error().code == "data_dir_unsafe");
  CHECK(mode_of(real) == 0755);

  // A directory that does not exist yet passes the check (it is made 0700).
  CHECK(check_data_dir_dedicated(tmp.file("later"), std::nullopt).ok());

  // A person's directory (uid >= 1000) given to the service user: refused. Only root can
  // make a directory some other uid owns; a person's own directory shows it otherwise.
  const std::string person = tmp.file("person");
  std::filesystem::create_directories(person);
  REQUIRE(::chmod(person.c_str(), 0755) == 0);
  ServiceOwner service{::geteuid() + 1, ::getegid()};
  if (::geteuid() == 0) {
    REQUIRE(::chown(person.c_str(), 1500, 1500) == 0);
    service = {999, 999};
  } else if (::geteuid() < 1000) {
    MESSAGE("neither root nor a person's uid: a person's directory is not checked");
    return;
  }
  auto foreign = secure_data_dir(person, service);
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().code == "data_dir_unsafe");
  CHECK(foreign.error().detail.find("uid") != std::string::npos);
  CHECK(mode_of(person) == 0755);
  // The service user's own directory is fine.
  struct stat st {};
  REQUIRE(::stat(person.c_str(), &st) == 0);
  CHECK(secure_data_dir(person, ServiceOwner{st.st_uid, st.st_gid}).ok());
  CHECK(mode_of(person) == 0700);
}

TEST_CASE("the config is given to root and the service's group, mode 0640") {
  test::TempDir tmp;
  const std::string config = tmp.file("comptoir.toml");
  test::write_file(config, "[sync]\n");
  REQUIRE(::chmod(config.c_str(), 0600) == 0);
  const bool root = ::geteuid() == 0;
  // As root, a group other than root's own, so the chown shows.
  const ServiceOwner self{::geteuid(), root ? gid_t{4243} : ::getegid()};
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
