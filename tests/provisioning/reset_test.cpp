// `comptoir-provision reset` end to end: a factory reset of an appliance enrolled with the real
// comptoir-portal removes its personal data and credentials and keeps what a person wrote; it
// refuses while the appliance runs, while handovers wait to be sent, without --yes when no
// one can be asked, and where there is no Comptoir file; a linked key is reported, not
// called removed.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>

#include "runtime/appliance.hpp"
#include "runtime/config.hpp"
#include "tests/e2e/sync_support.hpp"
#include "tests/support/sqlite_files.hpp"

namespace comptoir::test {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

RunResult reset(const std::string &data, const std::string &config,
                std::vector<std::string> extra) {
  std::vector<std::string> argv = {
      sync_bin("comptoir-provision"), "reset", "--data", data, "--config", config, "--lang", "en"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv, {}, milliseconds(30'000));
}

int exit_code(const RunResult &r) {
  REQUIRE(r.status.exited);
  return r.status.code;
}

// A demo appliance (no portal): a database, the demo's files, a device key and a config.
struct DemoAppliance {
  TempDir tmp;
  std::string data = tmp.file("data");
  std::string db = data + "/comptoir.db";
  std::string config = tmp.file("comptoir.toml");
  DemoAppliance() {
    const RunResult r =
        run({sync_bin("comptoir-provision"), "demo", "--data", data, "--orders", "20", "--quiet"});
    INFO(r.out << r.err);
    REQUIRE(exit_code(r) == 0);
    write_file(data + "/device.key", "{}");
    ::chmod((data + "/device.key").c_str(), 0600);
    write_file(config, "# by hand\n[sync]\ninsecure = true\n");
  }
  std::int64_t waiting() const { return query_int(db, "SELECT count(*) FROM outbox"); }
  // Nothing was removed.
  void require_untouched() const {
    CHECK(fs::exists(db));
    CHECK(fs::exists(data + "/device.key"));
    CHECK(fs::exists(data + "/demo-codes.json"));
    CHECK(read_file(config) == "# by hand\n[sync]\ninsecure = true\n");
  }
};

void add_waiting_handover(const std::string &db) {
  exec_sql(db,
           "INSERT INTO handover_events(uuid, order_id, kind, device, wall_ms, mono_ns) "
           "VALUES('0190f0a0-0000-7000-8000-000000000001', 1, 'full', 'test', 1772366400000, 1);"
           "INSERT INTO outbox(event_seq) VALUES(last_insert_rowid());");
}

}  // namespace

TEST_CASE("reset removes the personal data and credentials of an enrolled appliance") {
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  portal.demo(40);
  PortalServer server(portal);
  REQUIRE(server.listening());
  test::Appliance app(tmp.path() / "app");
  const std::string config_text =
      "# Saint-Jean market: this comment stays\n"
      "[appliance]\n"
      "lang = \"fr\"\n"
      "\n"
      "[sync]\n"
      "# checked every minute\n"
      "interval_s = 60\n"
      "insecure = true # plain http on the village network\n";
  write_file(app.config(), config_text);
  const RunResult enrolled = run(
      {sync_bin("comptoir-provision"), "enrol", "--portal", server.url(), "--code",
       portal.enrol_code(1), "--data", app.data(), "--config", app.config(), "--format", "json"},
      {}, milliseconds(60'000));
  INFO(enrolled.out << enrolled.err);
  REQUIRE(exit_code(enrolled) == 0);
  REQUIRE(fs::exists(app.data() + "/device.key"));
  REQUIRE(query_int(app.db(), "SELECT count(*) FROM orders") == 40);
  auto before = load_config(app.config(), true);
  REQUIRE(before);
  REQUIRE(before->sync.portal_key.size() == 64);  // pinned at enrolment
  // Something a person put there: not ours, left in place.
  write_file(app.data() + "/notes.txt", "ask for Mme Martin\n");

  const RunResult r = reset(app.data(), app.config(), {"--yes"});
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 0);
  for (const char *name : {"comptoir.db", "device.key", "comptoir.lock"}) {
    CHECK_FALSE(fs::exists(app.data() + "/" + name));
    CHECK(r.out.find(std::string("removed: ") + app.data() + "/" + name) != std::string::npos);
  }
  CHECK_FALSE(fs::exists(app.db() + "-wal"));
  CHECK_FALSE(fs::exists(app.db() + "-shm"));
  CHECK(read_file(app.data() + "/notes.txt") == "ask for Mme Martin\n");
  CHECK(r.out.find("(not made by Comptoir): notes.txt") != std::string::npos);
  CHECK(r.out.find("removed, not shredded") != std::string::npos);
  // The config: the portal's trust gone, everything a person wrote kept.
  const std::string text = read_file(app.config());
  CHECK(text.find("# Saint-Jean market: this comment stays") != std::string::npos);
  CHECK(text.find("# checked every minute") != std::string::npos);
  CHECK(text.find("interval_s = 60") != std::string::npos);
  CHECK(text.find(before->sync.portal_key) == std::string::npos);
  auto after = load_config(app.config(), true);
  REQUIRE(after);
  CHECK(after->sync.portal_key.empty());
  CHECK_FALSE(after->sync.insecure);
  CHECK(after->lang == std::optional<std::string>("fr"));
  CHECK(r.out.find("[sync] portal_key") != std::string::npos);

  // The appliance is a blank one now: the self-test says to enrol it.
  const RunResult st = run({sync_bin("comptoir-provision"), "selftest", "--data", app.data(),
                            "--config", app.config(), "--lang", "en"});
  CHECK(exit_code(st) == 1);
  CHECK(st.out.find("[FAIL] Device identity: the appliance is not enrolled") != std::string::npos);
}

TEST_CASE("reset refuses while the appliance runs") {
  DemoAppliance demo;
  auto lock = DataDirLock::acquire(demo.data);
  REQUIRE(lock);
  const RunResult r = reset(demo.data, demo.config, {"--yes", "--force-discard-unsynced"});
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 1);
  CHECK(r.err.find("Comptoir is running on " + demo.data) != std::string::npos);
  CHECK(r.err.find("systemctl stop comptoir-kiosk comptoir-headless") != std::string::npos);
  demo.require_untouched();
}

TEST_CASE("reset refuses to lose handovers not yet sent unless told to") {
  DemoAppliance demo;
  add_waiting_handover(demo.db);
  const std::int64_t waiting = demo.waiting();
  REQUIRE(waiting >= 1);
  const RunResult r = reset(demo.data, demo.config, {"--yes"});
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 1);
  CHECK(r.err.find(std::to_string(waiting) + " handover(s) wait to be sent") != std::string::npos);
  CHECK(r.err.find("Sync first") != std::string::npos);
  demo.require_untouched();

  const RunResult forced = reset(demo.data, demo.config, {"--yes", "--force-discard-unsynced"});
  INFO(forced.out << forced.err);
  CHECK(exit_code(forced) == 0);
  CHECK_FALSE(fs::exists(demo.db));
  CHECK_FALSE(fs::exists(demo.data + "/device.key"));
  for (const char *name : {"demo-codes.json", "demo-codes.tsv", "demo-portal-key.json"}) {
    CHECK_FALSE(fs::exists(demo.data + "/" + name));
  }
  CHECK(read_file(demo.config) == "# by hand\n[sync]\ninsecure = false\n");
}

TEST_CASE("reset without yes asks a person and refuses when there is none") {
  DemoAppliance demo;
  // stdin is a pipe here, not a terminal.
  const RunResult r = reset(demo.data, demo.config, {"--force-discard-unsynced"});
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 2);
  CHECK(r.err.find("add --yes") != std::string::npos);
  demo.require_untouched();
  // --keep-config leaves the config alone.
  const RunResult kept =
      reset(demo.data, demo.config, {"--yes", "--force-discard-unsynced", "--keep-config"});
  CHECK(exit_code(kept) == 0);
  CHECK_FALSE(fs::exists(demo.db));
  CHECK(read_file(demo.config) == "# by hand\n[sync]\ninsecure = true\n");
}

TEST_CASE("reset where there is no Comptoir file changes nothing and says where to look") {
  DemoAppliance demo;  // the real appliance, elsewhere
  TempDir tmp;
  const std::string empty = tmp.file("empty");
  fs::create_directories(empty);
  write_file(empty + "/notes.txt", "mine\n");
  for (const std::string &wrong : {empty, tmp.file("absent")}) {
    CAPTURE(wrong);
    const RunResult r = reset(wrong, demo.config, {"--yes", "--force-discard-unsynced"});
    INFO(r.out << r.err);
    CHECK(exit_code(r) == 1);
    CHECK(r.err.find("no Comptoir file in " + wrong + ": nothing was removed") !=
          std::string::npos);
    CHECK(r.err.find("--data DIR, or check data_dir in " + demo.config) != std::string::npos);
    CHECK(r.out.find("Factory reset done") == std::string::npos);
  }
  CHECK_FALSE(fs::exists(empty + "/comptoir.lock"));  // not even the lock
  CHECK_FALSE(fs::exists(tmp.file("absent")));
  CHECK(read_file(empty + "/notes.txt") == "mine\n");
  demo.require_untouched();  // the config's [sync] insecure included
}

TEST_CASE("reset does not call a linked key removed: the link and its target are reported") {
  DemoAppliance demo;
  TempDir elsewhere;
  const std::string target = elsewhere.file("device.key");
  fs::rename(demo.data + "/device.key", target);
  fs::create_symlink(target, demo.data + "/device.key");
  const RunResult r = reset(demo.data, demo.config, {"--yes", "--force-discard-unsynced"});
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 1);
  CHECK(r.err.find(demo.data + "/device.key is a symbolic link to " + target +
                   ": neither was removed") != std::string::npos);
  CHECK(r.err.find("Factory reset incomplete") != std::string::npos);
  CHECK(r.out.find("Factory reset done") == std::string::npos);
  CHECK(r.out.find("removed: " + demo.data + "/device.key") == std::string::npos);
  CHECK(r.out.find("not made by Comptoir") == std::string::npos);
  CHECK(fs::is_symlink(demo.data + "/device.key"));
  CHECK(read_file(target) == "{}");
  // The regular files are removed all the same.
  CHECK(r.out.find("removed: " + demo.db) != std::string::npos);
  CHECK_FALSE(fs::exists(demo.db));
  CHECK_FALSE(fs::exists(demo.data + "/demo-codes.json"));
}

}  // namespace comptoir::test

namespace comptoir::test {

TEST_CASE("reset on a terminal goes ahead only when RESET is typed") {
  DemoAppliance demo;
  // script(1) gives the command a terminal; what we write is what the person types.
  auto typed = [&](const std::string &answer) {
    const std::string command = sync_bin("comptoir-provision") + " reset --data '" + demo.data +
                                "' --config '" + demo.config +
                                "' --force-discard-unsynced --lang en";
    return run({SCRIPT_PROGRAM, "-qec", command, "/dev/null"}, answer + "\n",
               std::chrono::milliseconds(30'000));
  };
  const RunResult no = typed("reset");
  INFO(no.out << no.err);
  CHECK(exit_code(no) == 1);
  CHECK(no.out.find("Type RESET to confirm") != std::string::npos);
  CHECK(no.out.find("Cancelled: nothing was removed.") != std::string::npos);
  demo.require_untouched();

  const RunResult yes = typed("RESET");
  INFO(yes.out << yes.err);
  CHECK(exit_code(yes) == 0);
  CHECK(yes.out.find("removed: " + demo.db) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(demo.db));
  CHECK_FALSE(std::filesystem::exists(demo.data + "/device.key"));
}

}  // namespace comptoir::test
