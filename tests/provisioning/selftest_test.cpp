// `comptoir-provision selftest` end to end: a real comptoir-portal on loopback, an appliance
// enrolled with the real comptoir-provision enrol (and so synced once), then the checklist on
// the healthy appliance and on data directories broken one way at a time.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "runtime/appliance.hpp"
#include "tests/e2e/sync_support.hpp"
#include "tests/support/sqlite_files.hpp"

#ifndef COMPTOIR_SELFTEST_ARTIFACTS
#error "COMPTOIR_SELFTEST_ARTIFACTS must name where the checklists are kept"
#endif

namespace comptoir::test {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr std::int64_t kStand = 1;

const std::string kConfig =
    "# Comptoir at the Saint-Jean market: written by hand, kept by every tool.\n"
    "[appliance]\n"
    "lang = \"fr\"\n"
    "\n"
    "[sync]\n"
    "# every minute while all is well\n"
    "interval_s = 60\n";

// A portal serving on loopback and an appliance enrolled with it by comptoir-provision.
struct Rig {
  TempDir tmp;
  Portal portal{tmp.file("portal")};
  std::optional<PortalServer> server;
  test::Appliance app{tmp.path() / "app"};

  explicit Rig(int orders) {
    portal.demo(orders);
    server.emplace(portal);
    REQUIRE(server->listening());
    write_file(app.config(), kConfig);
    const RunResult r = run({sync_bin("comptoir-provision"), "enrol", "--portal", server->url(),
                             "--code", portal.enrol_code(kStand), "--data", app.data(), "--config",
                             app.config(), "--format", "json"},
                            {}, milliseconds(60'000));
    INFO("enrol: " << r.out << r.err);
    REQUIRE(r.status.exited);
    REQUIRE(r.status.code == 0);
  }
};

RunResult selftest(const std::string &data, const std::string &config,
                   std::vector<std::string> extra = {"--lang", "en"}) {
  std::vector<std::string> argv = {
      sync_bin("comptoir-provision"), "selftest", "--data", data, "--config", config};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv, {}, milliseconds(60'000));
}

// The label of the line of check `name` ("OK", "WARN", "FAIL", "SKIP", "INFO") in English
// output, and that line with its fix.
struct Line {
  std::string label;
  std::string text;
};
Line line_of(const std::string &out, const std::string &name) {
  const std::vector<std::string> lines = split_lines(out);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string &l = lines[i];
    if (l.size() < 8 || l[0] != '[' || l.compare(7, name.size() + 1, name + ":") != 0) continue;
    std::string label = l.substr(1, 4);
    if (label == " OK ") label = "OK";
    std::string text = l;
    if (i + 1 < lines.size() && lines[i + 1].rfind("       → ", 0) == 0)
      text += "\n" + lines[i + 1];
    return {label, text};
  }
  return {"none", ""};
}

int exit_code(const RunResult &r) {
  REQUIRE(r.status.exited);
  return r.status.code;
}

void keep(const std::string &name, const std::string &text) {
  fs::create_directories(COMPTOIR_SELFTEST_ARTIFACTS);
  write_file(fs::path(COMPTOIR_SELFTEST_ARTIFACTS) / name, text);
}

// A copy of the enrolled data directory, to break one way.
std::string copy_data(const Rig &rig, const std::string &name) {
  const fs::path to = rig.tmp.path() / name;
  fs::copy(rig.app.data(), to, fs::copy_options::recursive);
  ::chmod(to.c_str(), 0700);
  return to.string();
}

}  // namespace

TEST_CASE("a healthy appliance passes every check") {
  Rig rig(60);
  const RunResult r = selftest(rig.app.data(), rig.app.config());
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 0);
  for (const char *name :
       {"Configuration", "Data directory", "Database", "Device identity", "Pinned portal key",
        "Clock", "Portal", "Portal identity", "Bandwidth", "Sync"}) {
    INFO(name);
    CHECK(line_of(r.out, name).label == "OK");
  }
  // No scanner on a test machine: a warning that says what to do, never a failure.
  const Line scanners = line_of(r.out, "Scanners and cameras");
  CHECK((scanners.label == "OK" || (scanners.label == "WARN" &&
                                    scanners.text.find("plug a scanner in") != std::string::npos)));
  // A test machine's disk may be nearly full: said in MiB, with what to do.
  const Line disk = line_of(r.out, "Disk space");
  CHECK((disk.label == "OK" || disk.label == "WARN"));
  CHECK(disk.text.find(" MiB free for " + rig.app.data()) != std::string::npos);
  CHECK(line_of(r.out, "Appliance running").text.find("no: no Comptoir process") !=
        std::string::npos);
  CHECK(line_of(r.out, "Database").text.find("60 orders, 0 handovers waiting") !=
        std::string::npos);
  CHECK(line_of(r.out, "Portal").text.find(rig.server->url()) != std::string::npos);
  CHECK(line_of(r.out, "Bandwidth").text.find("kB/s (256 KiB in") != std::string::npos);
  CHECK(r.out.find("PASSED: no failure") != std::string::npos);

  // The default, French then English: kept for the closing note.
  const RunResult both = selftest(rig.app.data(), rig.app.config(), {});
  CHECK(exit_code(both) == 0);
  CHECK(both.out.find("[ OK ] Base de données : intègre") != std::string::npos);
  keep("healthy.txt", both.out);

  // While the appliance runs (it holds the data directory's lock) the test still reads.
  {
    auto lock = DataDirLock::acquire(rig.app.data());
    REQUIRE(lock);
    const RunResult running = selftest(rig.app.data(), rig.app.config(), {"--lang", "en"});
    INFO(running.out << running.err);
    CHECK(exit_code(running) == 0);
    const Line info = line_of(running.out, "Appliance running");
    CHECK(info.label == "INFO");
    CHECK(info.text.find("yes: the kiosk or headless uses") != std::string::npos);
  }

  // JSON: one object, every check with its id and status.
  const RunResult json = selftest(rig.app.data(), rig.app.config(), {"--format", "json"});
  CHECK(exit_code(json) == 0);
  const auto j = nlohmann::json::parse(json.out);
  CHECK(j["ok"] == true);
  std::map<std::string, std::string> status;
  for (const auto &c : j["checks"]) {
    CHECK(c["name"].is_string());
    CHECK(c["detail"].is_string());
    CHECK(c["fix"].is_string());
    CHECK(c["en"]["name"].is_string());
    status[c["id"].get<std::string>()] = c["status"].get<std::string>();
  }
  for (const char *id : {"config", "data_dir", "database", "identity", "portal_key", "clock",
                         "portal", "portal_identity", "bandwidth", "sync"}) {
    INFO(id);
    CHECK(status[id] == "ok");
  }
  CHECK(status["appliance"] == "info");
}

TEST_CASE("broken data directories fail on the line that says why") {
  // One enrolment, copied: each case breaks its own copy.
  Rig rig(300);

  {
    INFO("case: a damaged database");
    const std::string data = copy_data(rig, "damaged");
    const std::string db = data + "/comptoir.db";
    const TablePages orders = table_pages(db, "orders");
    REQUIRE(orders.pages.size() >= 3);
    corrupt_page(db, orders.page_size, orders.pages[orders.pages.size() / 2], 7);
    const RunResult r = selftest(data, rig.app.config());
    INFO(r.out << r.err);
    CHECK(exit_code(r) == 1);
    const Line line = line_of(r.out, "Database");
    CHECK(line.label == "FAIL");
    CHECK(line.text.find("integrity check failed") != std::string::npos);
    CHECK(line.text.find("move " + db + " aside without deleting it") != std::string::npos);
    // The rest still reads: the identity is in the settings, the portal answers.
    CHECK(line_of(r.out, "Device identity").label == "OK");
    CHECK(line_of(r.out, "Portal").label == "OK");
  }
  {
    INFO("case: device.key readable by others");
    const std::string data = copy_data(rig, "open-key");
    REQUIRE(::chmod((data + "/device.key").c_str(), 0644) == 0);
    const RunResult r = selftest(data, rig.app.config());
    INFO(r.out << r.err);
    CHECK(exit_code(r) == 1);
    const Line line = line_of(r.out, "Device identity");
    CHECK(line.label == "FAIL");
    CHECK(line.text.find("can be read by other users (mode 0644)") != std::string::npos);
    CHECK(line.text.find("→ to do: chmod 600 " + data + "/device.key") != std::string::npos);
  }
  {
    INFO("case: device.key missing");
    const std::string data = copy_data(rig, "no-key");
    REQUIRE(fs::remove(data + "/device.key"));
    const RunResult r = selftest(data, rig.app.config());
    INFO(r.out << r.err);
    CHECK(exit_code(r) == 1);
    const Line line = line_of(r.out, "Device identity");
    CHECK(line.label == "FAIL");
    CHECK(line.text.find("device.key is missing") != std::string::npos);
    CHECK(line.text.find("comptoir-provision enrol --force --portal " + rig.server->url()) !=
          std::string::npos);
  }
  {
    INFO("case: never enrolled");
    const std::string data = rig.tmp.file("empty");
    const RunResult r = selftest(data, rig.app.config(), {"--lang", "en", "--format", "json"});
    CHECK(exit_code(r) == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["ok"] == false);
    std::map<std::string, nlohmann::json> by_id;
    for (const auto &c : j["checks"]) by_id[c["id"].get<std::string>()] = c;
    CHECK(by_id["data_dir"]["status"] == "fail");
    CHECK(by_id["identity"]["status"] == "fail");
    CHECK(by_id["identity"]["fix"].get<std::string>().find(
              "comptoir-provision enrol --portal URL --code CODE") != std::string::npos);
    CHECK(by_id["portal"]["status"] == "skipped");
    // Read-only: nothing was created.
    CHECK_FALSE(fs::exists(data));
  }
  {
    INFO("case: everything at once");
    // The broken appliance of the closing note: a damaged database, an open key, no portal.
    const std::string data = copy_data(rig, "broken");
    const std::string db = data + "/comptoir.db";
    const TablePages orders = table_pages(db, "orders");
    corrupt_page(db, orders.page_size, orders.pages[orders.pages.size() / 2], 11);
    REQUIRE(::chmod((data + "/device.key").c_str(), 0644) == 0);
    rig.server->stop();
    const RunResult r = selftest(data, rig.app.config(), {});
    INFO(r.out << r.err);
    CHECK(exit_code(r) == 1);
    CHECK(r.out.find("[FAIL] Base de données") != std::string::npos);
    CHECK(r.out.find("[FAIL] Identité de l'appareil") != std::string::npos);
    CHECK(r.out.find("[FAIL] Portail") != std::string::npos);
    keep("broken.txt", r.out);
  }
}

TEST_CASE("a stopped portal fails as unreachable and offline skips it") {
  Rig rig(40);
  const std::string url = rig.server->url();
  REQUIRE(rig.server->stop().exited);
  const RunResult r = selftest(rig.app.data(), rig.app.config());
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 1);
  const Line portal = line_of(r.out, "Portal");
  CHECK(portal.label == "FAIL");
  CHECK(portal.text.find(url + " cannot be reached") != std::string::npos);
  CHECK(portal.text.find("check the network") != std::string::npos);
  // Not measured, not failed.
  CHECK(line_of(r.out, "Clock").label == "OK");
  CHECK(line_of(r.out, "Bandwidth").label == "none");

  const RunResult offline =
      selftest(rig.app.data(), rig.app.config(), {"--lang", "en", "--offline"});
  INFO(offline.out << offline.err);
  CHECK(exit_code(offline) == 0);
  for (const char *name : {"Portal", "Portal identity", "Bandwidth"}) {
    const Line l = line_of(offline.out, name);
    CHECK(l.label == "SKIP");
    CHECK(l.text.find("skipped (--offline)") != std::string::npos);
  }
  CHECK(line_of(offline.out, "Clock").text.find("offline: not compared") != std::string::npos);
}

TEST_CASE("a portal with another identity is not the same portal") {
  Rig rig(40);
  Portal other(rig.tmp.file("other-portal"));
  other.demo(20);
  PortalServer impostor(other);
  REQUIRE(impostor.listening());
  // The appliance now asks the other portal at its address.
  exec_sql(rig.app.db(),
           "UPDATE settings SET value = '" + impostor.url() + "' WHERE key = 'portal_url'");
  const RunResult r = selftest(rig.app.data(), rig.app.config());
  INFO(r.out << r.err);
  CHECK(exit_code(r) == 1);
  CHECK(line_of(r.out, "Portal").label == "OK");
  const Line id = line_of(r.out, "Portal identity");
  CHECK(id.label == "FAIL");
  CHECK(id.text.find("not the same portal") != std::string::npos);
  CHECK(id.text.find("check the address (" + impostor.url() + ")") != std::string::npos);
}

TEST_CASE("selftest usage errors exit 2") {
  for (const std::vector<std::string> &extra : std::vector<std::vector<std::string>>{
           {"--format", "xml"}, {"--lang", "de"}, {"--bandwidth-bytes", "12x"}, {"--frobnicate"}}) {
    std::vector<std::string> argv = {sync_bin("comptoir-provision"), "selftest"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult r = run(argv);
    CHECK(exit_code(r) == 2);
    CHECK(r.err.find("comptoir-provision selftest [--data DIR]") != std::string::npos);
  }
}

}  // namespace comptoir::test
