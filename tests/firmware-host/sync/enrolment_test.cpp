// Enrolment against a fake portal on loopback: what a yes writes (the key file, 0600, then
// the settings, stands and keys), that a no writes nothing, the codes' local check, an
// existing enrolment, the stand choice; the enrolment QR's URL; and the `comptoir sync`
// and `comptoir enrol` commands end to end, a refused `comptoir enrol` leaving the data
// directory as it found it.
#include "sync/enrolment.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>

#include "db/key_store.hpp"
#include "db/order_cache.hpp"
#include "db/sync_store.hpp"
#include "runtime/appliance.hpp"
#include "sync/http_client.hpp"
#include "sync/sync_commands.hpp"
#include "sync/wire.hpp"
#include "test_server.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::sync {
namespace {

constexpr std::int64_t kNowMs = 1'763'900'000'000;

wire::EnrolResponse answer() {
  wire::EnrolResponse a;
  a.device_id = "dev-7";
  a.portal_name = "Portail Sud-Aveyron";
  a.stands = {{1, "La Ferme du Bois Joli", "Marché de Saint-Affrique"},
              {3, "Le Fournil", "Millau"}};
  codes::PortalKey key;
  key.key_id = 1;
  key.public_key = codes::generate_key_pair().public_key;
  key.valid_from_s = 1'760'000'000;
  key.valid_until_s = 1'800'000'000;
  a.keys = {key};
  a.portal_time_ms = kNowMs + 90'000;
  return a;
}

// Answers POST /api/v1/enrol with `status` and `body`; keeps the requests it got.
struct EnrolPortal {
  EnrolPortal() {
    server.http().Post("/api/v1/enrol",
                       [this](const httplib::Request &req, httplib::Response &res) {
                         std::lock_guard lock(mutex);
                         auto parsed = wire::parse_enrol_request(req.body);
                         if (parsed) requests.push_back(*parsed);
                         res.status = status;
                         res.set_content(body, "application/json");
                       });
    server.start();
  }
  void answer_with(int s, std::string b) {
    std::lock_guard lock(mutex);
    status = s;
    body = std::move(b);
  }
  void refuse_with(int s, const std::string &code) {
    answer_with(s, wire::to_json(wire::ErrorBody{code, "test: " + code, std::nullopt}));
  }

  test::TestServer server;
  std::mutex mutex;
  int status = 200;
  wire::EnrolResponse yes = answer();
  std::string body = wire::to_json(yes);
  std::vector<wire::EnrolRequest> requests;
};

struct Fixture {
  Fixture() {
    auto opened = db::Database::open(dir.file("comptoir.db"));
    REQUIRE(opened.ok());
    db = std::move(*opened);
    options.portal_url = portal.server.url();
    options.code = "k7qm-9x2d-f3a4";
    options.name = "caisse-1";
  }
  std::optional<std::string> setting(const char *key) {
    auto v = db->setting(key);
    REQUIRE(v.ok());
    return *v;
  }
  bool key_file() const { return std::filesystem::exists(dir.file("device.key")); }
  // Nothing of an enrolment in the data directory.
  void check_nothing_written() {
    CHECK_FALSE(key_file());
    CHECK_FALSE(setting(db::kSettingPortalUrl));
    CHECK_FALSE(setting(kSettingStand));
    CHECK(db::KeyStore(db->connection()).all().value().empty());
  }

  test::TempDir dir;
  EnrolPortal portal;
  std::unique_ptr<db::Database> db;
  ManualClock clock{kNowMs};
  EnrolOptions options;
};

// A port nothing listens on: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// What is under `root`: each path with its size (files) or "/" (directories), sorted.
// nullopt when root does not exist.
std::optional<std::vector<std::string>> tree(const std::filesystem::path &root) {
  namespace fs = std::filesystem;
  if (!fs::exists(root)) return std::nullopt;
  std::vector<std::string> out;
  for (const auto &entry : fs::recursive_directory_iterator(root)) {
    const std::string rel = fs::relative(entry.path(), root).string();
    out.push_back(entry.is_directory() ? rel + "/" : rel + " " + std::to_string(entry.file_size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("enrolment writes the key file, the settings, the stands and the portal's keys") {
  Fixture f;
  auto r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  CHECK(r->portal_name == "Portail Sud-Aveyron");
  CHECK(r->stand.id == 1);  // the first by default
  CHECK(r->stands == 2);
  CHECK(r->keys == 1);
  CHECK(r->credentials.device_id == "dev-7");
  CHECK(r->credentials.portal_url == f.portal.server.url());

  // The portal got the code as symbols only, our new public key and our name.
  REQUIRE(f.portal.requests.size() == 1);
  CHECK(f.portal.requests[0].code == "K7QM9X2DF3A4");
  CHECK(f.portal.requests[0].device_key == r->credentials.key.public_key);
  CHECK(f.portal.requests[0].name == "caisse-1");

  struct stat st {};
  REQUIRE(::stat(f.dir.file("device.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto loaded = load_credentials(f.dir.path().string(), f.portal.server.url());
  REQUIRE(loaded.ok());
  REQUIRE(*loaded);
  CHECK((*loaded)->key.secret_key == r->credentials.key.secret_key);
  CHECK((*loaded)->device_id == "dev-7");

  CHECK(f.setting(db::kSettingPortalUrl) == f.portal.server.url());
  CHECK(f.setting(db::kSettingPortalName) == "Portail Sud-Aveyron");
  CHECK(f.setting(kSettingDevice) == "dev-7");
  CHECK(f.setting(kSettingStand) == "1");
  db::OrderCache cache(f.db->connection());
  REQUIRE(cache.stand(3).value());
  CHECK(cache.stand(3).value()->name == "Le Fournil");
  auto keys = db::KeyStore(f.db->connection()).all();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  CHECK(keys->front().public_key == f.portal.yes.keys[0].public_key);
  CHECK(keys->front().key_id == 1);
  db::SyncStore store(f.db->connection());
  CHECK(store.state(db::sync_key::kCursor).value() == "");
  CHECK(store.state(db::sync_key::kClockOffsetMs).value() == "90000");
}

TEST_CASE("a portal's no writes nothing, and each no says what to do") {
  const std::vector<std::tuple<int, std::string, std::string>> cases = {
      {404, "not_found", "bad_code"},        {409, "code_used", "code_used"},
      {410, "code_expired", "code_expired"}, {400, "bad_request", "bad_code"},
      {503, "busy", "portal_error"},
  };
  for (const auto &[status, portal_code, ours] : cases) {
    CAPTURE(portal_code);
    Fixture f;
    f.portal.refuse_with(status, portal_code);
    auto r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ours);
    CHECK(r.error().detail.find(portal_code) != std::string::npos);
    f.check_nothing_written();
  }
  // Not a portal at all (a 404 with no protocol error body), and a malformed yes.
  Fixture f;
  f.portal.answer_with(404, "<html>Not Found</html>");
  auto r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  CHECK(r.error().code == "portal_error");
  CHECK(r.error().detail.find("portal's address") != std::string::npos);
  f.portal.answer_with(200, R"({"device_id": "dev-7", "stands": []})");
  r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  CHECK(r.error().code == "portal_invalid");
  f.check_nothing_written();
}

TEST_CASE("a code that cannot be one is refused before anything is sent") {
  Fixture f;
  for (const char *bad : {"K7QM-9X2D", "K7QM-9X2D-F3A4-Z", "K7QM-9X2D-F3AU", "", "hello world!"}) {
    CAPTURE(bad);
    f.options.code = bad;
    auto r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_code");
  }
  CHECK(f.portal.server.seen_count() == 0);
  // I, L and O read as 1, 1 and 0.
  f.options.code = "k7qm 9x2d f3ai";
  REQUIRE(enrol(*f.db, f.dir.path().string(), f.options, f.clock).ok());
  CHECK(f.portal.requests.back().code == "K7QM9X2DF3A1");
}

TEST_CASE("an enrolled appliance enrols again only with force, with a new key") {
  Fixture f;
  auto first = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  REQUIRE(first.ok());
  auto again = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "already_enrolled");
  CHECK(again.error().detail.find("--force") != std::string::npos);
  CHECK(f.portal.requests.size() == 1);
  f.options.force = true;
  f.options.stand = 3;
  auto forced = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  REQUIRE(forced.ok());
  CHECK(forced->stand.id == 3);
  CHECK(forced->credentials.key.public_key != first->credentials.key.public_key);
  CHECK(f.setting(kSettingStand) == "3");
  auto loaded = load_credentials(f.dir.path().string(), f.portal.server.url());
  CHECK((*loaded)->key.public_key == forced->credentials.key.public_key);
}

TEST_CASE("an unreadable key file is not overwritten without force") {
  Fixture f;
  const std::string data = f.dir.path().string();
  REQUIRE(enrol(*f.db, data, f.options, f.clock).ok());
  const std::string key = f.dir.file("device.key");
  auto read = [](const std::string &path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string identity = read(key);
  // Too open: maybe still this appliance's identity, only its mode wrong.
  REQUIRE(::chmod(key.c_str(), 0644) == 0);
  auto again = enrol(*f.db, data, f.options, f.clock);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "credentials_unreadable");
  CHECK(read(key) == identity);
  // Damaged: refused the same way; --force then replaces it.
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  { std::ofstream(key) << "{not json"; }
  again = enrol(*f.db, data, f.options, f.clock);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "credentials_unreadable");
  CHECK(f.portal.requests.size() == 1);  // the portal was not asked
  f.options.force = true;
  REQUIRE(enrol(*f.db, data, f.options, f.clock).ok());
  CHECK(load_credentials(data, f.portal.server.url()).ok());
}

TEST_CASE("a stand the code does not enrol: refused, nothing written") {
  Fixture f;
  f.options.stand = 2;
  auto r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "stand_not_enrolled");
  CHECK(r.error().detail.find("1 (La Ferme du Bois Joli), 3 (Le Fournil)") != std::string::npos);
  f.check_nothing_written();
}

TEST_CASE("plain http to another machine is refused unless insecure") {
  Fixture f;
  f.options.portal_url = "http://192.0.2.1:8088";
  auto r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "insecure_url");
  f.check_nothing_written();
}

TEST_CASE("the enrolment QR's URL gives the portal and the code") {
  using P = std::pair<std::string, std::string>;
  CHECK(parse_enrol_url("https://portal.example.org/api/v1/enrol?code=K7QM9X2DF3A4") ==
        P{"https://portal.example.org", "K7QM9X2DF3A4"});
  CHECK(
      parse_enrol_url(" http://127.0.0.1:8088/sud/api/v1/enrol?x=1&code=K7QM-9X2D%2DF3A4#top\n") ==
      P{"http://127.0.0.1:8088/sud", "K7QM-9X2D-F3A4"});
  CHECK_FALSE(parse_enrol_url("K7QM-9X2D-F3A4"));
  CHECK_FALSE(parse_enrol_url("https://portal.example.org/api/v1/enrol?code="));
  CHECK_FALSE(parse_enrol_url("https://portal.example.org/api/v1/changes?code=K7QM"));
  CHECK_FALSE(parse_enrol_url("ftp://portal.example.org/api/v1/enrol?code=K7QM9X2DF3A4"));
  CHECK_FALSE(parse_enrol_url("https:///api/v1/enrol?code=K7QM9X2DF3A4"));

  // The QR's text as the code: the portal comes with it.
  Fixture f;
  f.options.portal_url.clear();
  f.options.code = f.portal.server.url() + "/api/v1/enrol?code=K7QM9X2DF3A4";
  auto r = enrol(*f.db, f.dir.path().string(), f.options, f.clock);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  CHECK(r->credentials.portal_url == f.portal.server.url());
}

// The commands as a technician runs them: `comptoir enrol`, then `comptoir sync --once`,
// their exit statuses and reports; and `sync` while the appliance runs.
TEST_CASE("comptoir enrol and comptoir sync --once, end to end") {
  const std::string comptoir = COMPTOIR_BIN_DIR "/comptoir";
  test::TempDir dir;
  const std::string data = dir.file("data");
  const std::string config = dir.file("comptoir.toml");
  test::write_file(config, "[sync]\nstall_s = 5\n");
  test::TestServer portal;
  wire::EnrolResponse yes = answer();
  yes.keys.clear();  // the fake portal signs nothing
  wire::ChangesPage page;
  page.cursor = "c1";
  page.portal_time_ms = kNowMs;
  page.stands = yes.stands;
  portal.http().Post("/api/v1/enrol", [&](const httplib::Request &, httplib::Response &res) {
    res.set_content(wire::to_json(yes), "application/json");
  });
  portal.http().Get("/api/v1/changes", [&](const httplib::Request &, httplib::Response &res) {
    res.set_content(wire::to_json(page), "application/json");
  });
  portal.start();

  // Not enrolled yet: status 4 and how to enrol.
  auto before = test::run({comptoir, "sync", "--once", "--data", data, "--config", config, "--lang",
                           "en", "--format", "json"});
  CHECK(before.status.code == kSyncExitNotEnrolled);
  CHECK(before.err.find("comptoir enrol --portal URL --code CODE") != std::string::npos);
  CHECK(nlohmann::json::parse(before.out)["error"] == "not_enrolled");

  auto enrolled = test::run({comptoir, "enrol", "--portal", portal.url(), "--code",
                             "K7QM-9X2D-F3A4", "--data", data, "--config", config, "--lang", "en"});
  CHECK_MESSAGE(enrolled.status.code == 0, enrolled.err);
  CHECK(enrolled.out.find("Enrolled with \"Portail Sud-Aveyron\"") != std::string::npos);
  CHECK(enrolled.out.find("as dev-7") != std::string::npos);
  CHECK(enrolled.out.find("Sync complete") != std::string::npos);

  auto once = test::run(
      {comptoir, "sync", "--once", "--data", data, "--config", config, "--format", "json"});
  CHECK_MESSAGE(once.status.code == 0, once.err);
  const auto report = nlohmann::json::parse(once.out);
  CHECK(report["ok"] == true);
  CHECK(report["complete"] == true);
  CHECK(report["pages"] == 1);
  CHECK(report["link"] == "online");
  CHECK(report["events_waiting"] == 0);
  CHECK(report["portal"] == portal.url());
  CHECK(report["bytes_received"].get<std::int64_t>() > 0);

  // While a process holds the data directory, sync says the appliance syncs by itself.
  {
    auto lock = DataDirLock::acquire(data);
    REQUIRE(lock.ok());
    auto busy =
        test::run({comptoir, "sync", "--once", "--data", data, "--config", config, "--lang", "en"});
    CHECK(busy.status.code == kSyncExitFailed);
    CHECK(busy.err.find("syncs by itself") != std::string::npos);
  }

  // The portal gone: status 1, the report says offline.
  portal.stop();
  auto offline = test::run(
      {comptoir, "sync", "--once", "--data", data, "--config", config, "--format", "json"});
  CHECK(offline.status.code == kSyncExitFailed);
  const auto failed = nlohmann::json::parse(offline.out);
  CHECK(failed["error"] == "offline");
  CHECK(failed["link"] == "offline");

  // Usage errors.
  CHECK(test::run({comptoir, "sync", "--data", data}).status.code == kSyncExitUsage);
  CHECK(test::run({comptoir, "enrol", "--data", data}).status.code == kSyncExitUsage);
}

TEST_CASE("a refused comptoir enrol leaves the data directory as it found it") {
  const std::string comptoir = COMPTOIR_BIN_DIR "/comptoir";
  test::TempDir dir;
  const std::string config = dir.file("comptoir.toml");
  test::write_file(config, "[sync]\nstall_s = 2\nconnect_timeout_s = 2\n");
  // An https portal whose certificate nobody here trusts.
  const auto cert =
      test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir.file("tls.key"), "-out",
                 dir.file("tls.pem"), "-days", "2", "-subj", "/CN=comptoir-test", "-addext",
                 "subjectAltName=IP:127.0.0.1"});
  REQUIRE_MESSAGE(cert.status.code == 0, cert.err);
  test::TestServer tls(dir.file("tls.pem"), dir.file("tls.key"));
  tls.start();
  EnrolPortal unknown_code;
  unknown_code.refuse_with(404, "not_found");
  EnrolPortal used_code;
  used_code.refuse_with(409, "code_used");
  EnrolPortal failing;
  failing.refuse_with(503, "busy");

  struct Case {
    std::string error;
    std::string portal;
    std::string code = "K7QM-9X2D-F3A4";
  };
  const std::vector<Case> cases = {
      {"insecure_url", "http://192.0.2.1:1"},
      {"bad_url", "ftp://portal.example.org"},
      {"bad_code", unknown_code.server.url(), "K7QM-9X2D"},  // refused before it is sent
      {"tls_untrusted", tls.url("https")},
      {"offline", "http://127.0.0.1:" + std::to_string(closed_port())},
      {"bad_code", unknown_code.server.url()},
      {"code_used", used_code.server.url()},
      {"portal_error", failing.server.url()},
  };
  // The data directory as the command may find it: not there at all (two levels missing),
  // there and empty, or a database already (a demo, or an appliance whose enrolment is
  // being redone... without --force here, and not enrolled).
  enum class Start { missing, empty, database };
  int run_count = 0;
  for (const Start start : {Start::missing, Start::empty, Start::database}) {
    for (const Case &c : cases) {
      const std::string name = "d" + std::to_string(run_count++);
      const std::filesystem::path top = dir.path() / name;
      const std::string data = (top / "state" / "comptoir").string();
      if (start != Start::missing) std::filesystem::create_directories(data);
      if (start == Start::database) {
        auto db = db::Database::open(data + "/" + db::Database::kFileName);
        REQUIRE(db.ok());
        REQUIRE((*db)->set_setting(kSettingDevice, "caisse-1").ok());
      }
      const auto before = tree(top);
      CAPTURE(c.error);
      CAPTURE(static_cast<int>(start));
      auto r = test::run({comptoir, "enrol", "--portal", c.portal, "--code", c.code, "--data", data,
                          "--config", config, "--lang", "en", "--format", "json"});
      INFO(r.err);
      CHECK(r.status.code == kSyncExitFailed);
      const auto report = nlohmann::json::parse(r.out, nullptr, false);
      REQUIRE(report.is_object());
      CHECK(report["error"] == c.error);
      if (start == Start::missing) {
        CHECK_FALSE(std::filesystem::exists(top));
      } else {
        CHECK(tree(top) == before);
      }
      if (start == Start::database) {
        auto db = db::Database::open(data + "/" + db::Database::kFileName);
        REQUIRE(db.ok());
        CHECK((*db)->setting(db::kSettingPortalUrl).value() == std::nullopt);
        CHECK((*db)->setting(kSettingDevice).value() == std::optional<std::string>("caisse-1"));
      }
    }
  }
  // The enrolment's words, not the running appliance's: no handovers "stay recorded here".
  const std::string offline = "http://127.0.0.1:" + std::to_string(closed_port());
  auto en = test::run({comptoir, "enrol", "--portal", offline, "--code", "K7QM-9X2D-F3A4", "--data",
                       dir.file("words"), "--config", config, "--lang", "en"});
  CHECK(en.status.code == kSyncExitFailed);
  CHECK(en.err.find("the appliance is not enrolled, nothing was changed") != std::string::npos);
  CHECK(en.err.find("stay recorded") == std::string::npos);
  auto fr = test::run({comptoir, "enrol", "--portal", tls.url("https"), "--code", "K7QM-9X2D-F3A4",
                       "--data", dir.file("words"), "--config", config, "--lang", "fr"});
  CHECK(fr.status.code == kSyncExitFailed);
  CHECK(fr.err.find("rien n'a été changé") != std::string::npos);
  CHECK(fr.err.find("--ca-file") != std::string::npos);
  CHECK(fr.err.find("restent enregistrées") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("words")));
  // Nothing was asked of the portal for a code that cannot be one.
  CHECK(unknown_code.requests.size() == 3);  // the missing, empty and database starts
}

}  // namespace comptoir::sync
