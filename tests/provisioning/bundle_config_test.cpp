// The config file `comptoir-provision bundle apply` leaves (provisioning/bundle_config.hpp):
// the admin's config wins, except data_dir, [sync] ca_file, insecure and portal_key, which
// stay the appliance's; a bundle config naming another data directory is refused with the
// file left byte for byte; and the file is put back as it was (bytes, mode, owner, or its
// absence) when the cache's commit fails after it was written. End to end with a bundle
// made by the real comptoir-portal and applied by the real comptoir-provision.
#include "provisioning/bundle_config.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "runtime/config.hpp"
#include "runtime/config_writer.hpp"
#include "tests/e2e/sync_support.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

const std::string kKey(64, 'a');

Config local_config(const std::string &text) {
  auto c = parse_config(text, "local.toml");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? std::string() : c.error().detail));
  return *c;
}

Config parsed(const std::string &text) {
  auto c = parse_config(text, "written.toml");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? std::string() : c.error().detail));
  CHECK(c->warnings.empty());
  return *c;
}

unsigned mode_of(const std::string &path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

}  // namespace

TEST_CASE("the admin's config wins but data_dir, ca_file, insecure and portal_key stay") {
  const Config local = local_config(
      "[appliance]\ndata_dir = \"/var/lib/comptoir\"\nlang = \"en\"\n[feedback]\nsound = false\n"
      "[sync]\nca_file = \"/etc/comptoir/portal-ca.pem\"\ninsecure = true\n"
      "portal_key = \"" +
      std::string(64, 'b') + "\"\n");
  const std::string admin =
      "# from the admin\n[appliance]\nlang = \"fr\"\n[sync]\ninterval_s = 45  # busy market\n"
      "ca_file = \"/opt/other-ca.pem\"\n";
  auto text = provisioning::bundle_config_text(admin, local, "/var/lib/comptoir", kKey);
  REQUIRE_MESSAGE(text.ok(), (text.ok() ? std::string() : text.error().detail));
  CHECK(text->starts_with("# from the admin\n"));
  CHECK(text->find("interval_s = 45  # busy market") != std::string::npos);
  const Config c = parsed(*text);
  // The admin's: lang, interval, and sound back to its default (the local false is gone).
  CHECK(c.lang == std::optional<std::string>("fr"));
  CHECK(c.sync.interval_s == 45);
  CHECK(c.sound == true);
  // The appliance's.
  CHECK(c.data_dir == std::optional<std::string>("/var/lib/comptoir"));
  CHECK(c.sync.ca_file == "/etc/comptoir/portal-ca.pem");
  CHECK(c.sync.insecure == true);
  CHECK(c.sync.portal_key == kKey);

  // An appliance with no CA and no insecure keeps none, whatever the admin's file says; the
  // admin's file that says neither gets neither written.
  const Config plain = local_config("[feedback]\nsound = false\n");
  auto none = provisioning::bundle_config_text(
      "[sync]\nca_file = \"/opt/other-ca.pem\"\ninsecure = true\n", plain, "/srv/counter/", kKey);
  REQUIRE(none.ok());
  const Config n = parsed(*none);
  CHECK(n.sync.ca_file.empty());
  CHECK(n.sync.insecure == false);
  CHECK(n.data_dir == std::optional<std::string>("/srv/counter"));
  auto minimal = provisioning::bundle_config_text("[sync]\ninterval_s = 30\n", plain, "/d", kKey);
  REQUIRE(minimal.ok());
  CHECK(minimal->find("ca_file") == std::string::npos);
  CHECK(minimal->find("insecure") == std::string::npos);

  // A relative data directory is written absolute (root's commands run from anywhere).
  auto relative = provisioning::bundle_config_text("", plain, "rel/data", kKey);
  REQUIRE(relative.ok());
  CHECK(parsed(*relative).data_dir ==
        std::optional<std::string>((std::filesystem::current_path() / "rel/data").string()));
}

TEST_CASE("a bundle config naming another data directory, or not reading, is refused") {
  const Config local = local_config("");
  // The same directory, written differently, is fine.
  CHECK(provisioning::bundle_config_text("[appliance]\ndata_dir = \"/var/lib/comptoir/\"\n", local,
                                         "/var/lib/./comptoir", kKey)
            .ok());
  auto other = provisioning::bundle_config_text("[appliance]\ndata_dir = \"/srv/elsewhere\"\n",
                                                local, "/var/lib/comptoir", kKey);
  REQUIRE(!other.ok());
  CHECK(other.error().code == "bundle_invalid");
  CHECK(other.error().detail.find("/srv/elsewhere") != std::string::npos);
  CHECK(other.error().detail.find("/var/lib/comptoir") != std::string::npos);
  CHECK(other.error().detail.find("nothing was changed") != std::string::npos);
  auto broken = provisioning::bundle_config_text("[sync\ninterval_s = 4", local, "/d", kKey);
  REQUIRE(!broken.ok());
  CHECK(broken.error().code == "bundle_invalid");
  auto out_of_range =
      provisioning::bundle_config_text("[sync]\ninterval_s = 1\n", local, "/d", kKey);
  REQUIRE(!out_of_range.ok());
  CHECK(out_of_range.error().detail.find("interval_s") != std::string::npos);
}

TEST_CASE("a config file written then restored is as it was, bytes, mode and owner") {
  TempDir tmp;
  const std::string path = tmp.file("comptoir.toml");
  const std::string before = "# mine\n[feedback]\nsound = false\n";
  write_file(path, before);
  REQUIRE(::chmod(path.c_str(), 0604) == 0);
  const bool root = ::geteuid() == 0;
  if (root) REQUIRE(::chown(path.c_str(), 4321, 4322) == 0);
  auto backup = provisioning::back_up_config_file(path);
  REQUIRE(backup.ok());
  REQUIRE(backup->bytes == std::optional<std::string>(before));

  // What apply does before its commit: the file replaced (another inode, another mode).
  REQUIRE(provisioning::replace_config_file(path, "[sync]\ninterval_s = 45\n").ok());
  REQUIRE(read_file(path) != before);
  REQUIRE(mode_of(path) == 0640u);
  REQUIRE(update_config_file(path, {{"sync", "portal_key", toml_string(kKey)}}).ok());

  REQUIRE(provisioning::restore_config_file(*backup).ok());
  CHECK(read_file(path) == before);
  CHECK(mode_of(path) == 0604u);
  if (root) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(st.st_uid == 4321u);
    CHECK(st.st_gid == 4322u);
  }
  CHECK_FALSE(file_exists(path + ".tmp"));

  // A file that did not exist is removed again.
  const std::string fresh = tmp.file("fresh.toml");
  auto none = provisioning::back_up_config_file(fresh);
  REQUIRE(none.ok());
  CHECK(!none->bytes.has_value());
  REQUIRE(update_config_file(fresh, {{"sync", "portal_key", toml_string(kKey)}}).ok());
  REQUIRE(file_exists(fresh));
  REQUIRE(provisioning::restore_config_file(*none).ok());
  CHECK_FALSE(file_exists(fresh));
  CHECK(provisioning::restore_config_file(*none).ok());  // already gone: still fine

  // When it cannot be put back, it says so.
  std::filesystem::create_directories(tmp.path() / "gone");
  auto lost = provisioning::back_up_config_file(tmp.file("gone/comptoir.toml"));
  REQUIRE(lost.ok());
  lost->bytes = "x = 1\n";
  std::filesystem::remove_all(tmp.path() / "gone");
  auto failed = provisioning::restore_config_file(*lost);
  REQUIRE(!failed.ok());
  CHECK(failed.error().code == "config_unwritable");
  // A file that cannot be read is not backed up (apply then refuses before writing).
  auto unreadable = provisioning::back_up_config_file(tmp.path().string());
  REQUIRE(!unreadable.ok());
  CHECK(unreadable.error().code == "config_unreadable");
}

TEST_CASE("bundle apply keeps the appliance's data_dir, CA and insecure under the admin's config") {
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  portal.demo(20);
  std::smatch m;
  const std::string identity = portal.admin_ok({"identity"});
  REQUIRE(std::regex_search(identity, m, std::regex("key ([0-9a-f]{64})")));
  const std::string key_hex = m[1];
  const std::string url = "http://127.0.0.1:1";

  // The appliance as enrolment and the package left it: its data directory named in the
  // config (no --data below: the command finds it there), a private CA, plain http allowed.
  const std::string data = tmp.file("data");
  const std::string config = tmp.file("comptoir.toml");
  const std::string local = "[appliance]\ndata_dir = \"" + data +
                            "\"\n\n[feedback]\nsound = false\n\n[sync]\n"
                            "ca_file = \"/etc/comptoir/portal-ca.pem\"\ninsecure = true\n";
  write_file(config, local);
  auto apply = [&](const std::string &bundle) {
    return run({sync_bin("comptoir-provision"), "bundle", "apply", bundle, "--config", config,
                "--portal-key", key_hex, "--format", "json", "--lang", "en"},
               {}, std::chrono::milliseconds(60'000));
  };

  // A bundle whose config puts the data elsewhere: refused, nothing written.
  write_file(tmp.file("elsewhere.toml"), "[appliance]\ndata_dir = \"/srv/elsewhere\"\n");
  portal.admin_ok({"bundle", "create", "--stand", "1", "--out", tmp.file("elsewhere.bundle"),
                   "--url", url, "--config", tmp.file("elsewhere.toml")});
  const RunResult refused = apply(tmp.file("elsewhere.bundle"));
  INFO("stdout: " << refused.out << "\nstderr: " << refused.err);
  CHECK(refused.status.code == 1);
  CHECK(refused.out.find("\"error\":\"bundle_invalid\"") != std::string::npos);
  CHECK(refused.err.find("/srv/elsewhere") != std::string::npos);
  CHECK(read_file(config) == local);
  CHECK_FALSE(file_exists(data + "/comptoir.db"));

  // The admin's config: it wins, but the appliance keeps what is its own.
  write_file(tmp.file("admin.toml"),
             "# from the admin\n[feedback]\nsound = true\n[sync]\ninterval_s = 45\n");
  portal.admin_ok({"bundle", "create", "--stand", "1", "--out", tmp.file("admin.bundle"), "--url",
                   url, "--config", tmp.file("admin.toml")});
  const RunResult done = apply(tmp.file("admin.bundle"));
  INFO("stdout: " << done.out << "\nstderr: " << done.err);
  REQUIRE(done.status.code == 0);
  const auto report = nlohmann::json::parse(split_lines(done.out).at(0));
  CHECK(report["config_replaced"] == true);
  CHECK(report["data_dir"] == data);
  CHECK(file_exists(data + "/comptoir.db"));
  const std::string written = read_file(config);
  CHECK(written.starts_with("# from the admin\n"));
  const Config c = parsed(written);
  CHECK(c.sound == true);
  CHECK(c.sync.interval_s == 45);
  CHECK(c.data_dir == std::optional<std::string>(data));
  CHECK(c.sync.ca_file == "/etc/comptoir/portal-ca.pem");
  CHECK(c.sync.insecure == true);
  CHECK(c.sync.portal_key == key_hex);
}

}  // namespace comptoir::test
