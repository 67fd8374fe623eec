// comptoir-provision bundle apply, end to end: bundles made by the real comptoir-portal,
// applied by the real comptoir-provision to a data directory the real comptoir then serves
// from with no portal running; every refusal leaves the cache byte for byte as it was; and
// the enrolment the bundle began finishes when the portal is first reached, the handovers
// made offline going with it.
#include "sync/bundle_apply.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "codes/pickup_token.hpp"
#include "db/database.hpp"
#include "db/sync_store.hpp"
#include "runtime/clock.hpp"
#include "sync/device_auth.hpp"
#include "sync/enrolment.hpp"
#include "sync/pending_enrolment.hpp"
#include "tests/e2e/sync_support.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

using nlohmann::json;

constexpr std::int64_t kStand = 1;

// A loopback port nobody listens on (yet): the bundle's portal address, served later.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// `comptoir-portal serve` on a chosen port, its output read all along by a thread.
class FixedPortServer {
 public:
  FixedPortServer(const Portal &portal, std::uint16_t port)
      : p_({sync_bin("comptoir-portal"), "serve", "--data", portal.dir(), "--listen",
            "127.0.0.1:" + std::to_string(port)}) {
    const auto first = p_.read_line(std::chrono::seconds(30));
    INFO("portal stderr: " << p_.stderr_text());
    REQUIRE(first.has_value());
    REQUIRE(first->rfind("listening on ", 0) == 0);
    reader_ = std::thread([this] {
      while (!stop_.load()) {
        if (!p_.read_line(std::chrono::milliseconds(100)) && !p_.timed_out()) break;
      }
    });
  }
  ~FixedPortServer() {
    stop_.store(true);
    reader_.join();
    p_.kill(SIGTERM);
    try {
      p_.read_to_end(std::chrono::seconds(20));
      p_.wait(std::chrono::seconds(20));
    } catch (const std::exception &) {
    }
  }

 private:
  Subprocess p_;
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

struct Applied {
  RunResult run;
  json report;  // the JSON line on stdout (null when none)
};

Applied apply_bundle(const std::string &bundle, const Appliance &app,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {sync_bin("comptoir-provision"),
                                   "bundle",
                                   "apply",
                                   bundle,
                                   "--data",
                                   app.data(),
                                   "--config",
                                   app.config(),
                                   "--format",
                                   "json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Applied a;
  a.run = run(argv, {}, std::chrono::milliseconds(60'000));
  for (const std::string &line : split_lines(a.run.out)) {
    if (!line.empty() && line.front() == '{') a.report = json::parse(line, nullptr, false);
  }
  return a;
}

// "key HEX" and "fingerprint F" from `comptoir-portal identity`.
std::pair<std::string, std::string> identity(const Portal &portal) {
  const std::string out = portal.admin_ok({"identity"});
  std::smatch key, fingerprint;
  REQUIRE(std::regex_search(out, key, std::regex("key ([0-9a-f]{64})")));
  REQUIRE(std::regex_search(
      out, fingerprint,
      std::regex("fingerprint ([0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5})")));
  return {key[1], fingerprint[1]};
}

std::string make_bundle(const Portal &portal, const std::string &out, const std::string &url) {
  portal.admin_ok(
      {"bundle", "create", "--stand", std::to_string(kStand), "--out", out, "--url", url});
  REQUIRE(file_exists(out));
  return out;
}

std::optional<std::string> setting(const Appliance &app, const std::string &key) {
  const auto rows = query_ro(app.db(), "SELECT value FROM settings WHERE key = '" + key + "'");
  if (rows.empty()) return std::nullopt;
  return rows.front().at(0);
}

// A refusal: exit 1, the reason's code, a sentence on stderr, and the cache as it was.
void require_refused(const Applied &a, const std::function<bool(const std::string &)> &code_ok,
                     const Appliance &app, const std::string &cache_before) {
  INFO("stdout: " << a.run.out << "\nstderr: " << a.run.err);
  CHECK(a.run.status.exited);
  CHECK(a.run.status.code == 1);
  REQUIRE(a.report.is_object());
  CHECK(a.report["ok"] == false);
  CHECK(code_ok(a.report["error"].get<std::string>()));
  CHECK(a.run.err.find("rien n'a été changé") != std::string::npos);
  CHECK(read_file(app.db()) == cache_before);
  CHECK_FALSE(file_exists(app.db() + "-wal"));
}

std::function<bool(const std::string &)> is(std::string code) {
  return [code](const std::string &c) { return c == code; };
}

// A ready order of the stand and its short code, from the demo's list.
DemoCodeLine ready_code(const std::vector<DemoCodeLine> &codes, const std::string &db) {
  const std::vector<std::string> ready = ready_numbers(db, kStand);
  for (const DemoCodeLine &c : codes) {
    if (c.verdict == "ready" && c.code.size() < 20 &&
        std::find(ready.begin(), ready.end(), c.number) != ready.end()) {
      return c;
    }
  }
  FAIL("no ready short code in the demo's list");
  return {};
}

}  // namespace

TEST_CASE(
    "a bundle from the real portal serves orders offline, refusals change nothing, and the "
    "enrolment finishes when the portal is reached") {
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  const auto codes = portal.demo(40);
  const auto [key_hex, fingerprint] = identity(portal);
  const std::uint16_t port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string older = make_bundle(portal, tmp.file("older.bundle"), url);
  const std::string newer = make_bundle(portal, tmp.file("newer.bundle"), url);

  // The appliance's agent is on ([sync] enabled by default): with no portal it only fails.
  Appliance app(tmp.path() / "app");
  const std::string config_before = read_file(app.config());
  {
    const Applied a = apply_bundle(older, app, {"--portal-key", fingerprint});
    INFO("stdout: " << a.run.out << "\nstderr: " << a.run.err);
    REQUIRE(a.run.status.code == 0);
    REQUIRE(a.report.is_object());
    CHECK(a.report["ok"] == true);
    CHECK(a.report["portal"] == url);
    CHECK(a.report["stand"]["id"] == kStand);
    CHECK(a.report["pending_enrolment"] == true);
    CHECK(a.report["enrolled"] == false);
    CHECK(a.report["keys"].get<int>() >= 1);
    CHECK(a.report["orders"].get<int>() > 0);
    CHECK(a.report["fingerprint"] == fingerprint);
  }
  // The key pinned in the cache and in the config (what the person wrote kept); the code
  // waits; no device identity yet.
  CHECK(setting(app, "portal_key") == key_hex);
  CHECK(setting(app, "portal_url") == url);
  CHECK(setting(app, "stand_id") == std::to_string(kStand));
  REQUIRE(setting(app, "pending_enrol_code").has_value());
  CHECK(setting(app, "pending_enrol_code")->size() == 12);
  CHECK_FALSE(file_exists(app.data() + "/device.key"));
  {
    const std::string config = read_file(app.config());
    CHECK(config.find("portal_key = \"" + key_hex + "\"") != std::string::npos);
    CHECK(config.find("sound = false") != std::string::npos);
    CHECK(config != config_before);
  }
  struct stat st {};
  REQUIRE(::stat(app.db().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // The counter serves the bundle's orders with no portal running: a ready code is ready,
  // and a handover made now waits in the outbox.
  const DemoCodeLine ready = ready_code(codes, app.db());
  std::string event_id;
  {
    const std::vector<json> answers =
        app.headless(ready.code + "\n:handover " + ready.number + "\n:status\n");
    REQUIRE(answers.size() == 3);
    INFO(answers[0].dump() << "\n" << answers[1].dump() << "\n" << answers[2].dump());
    CHECK(answers[0]["verdict"] == "ready");
    CHECK(answers[0]["order_number"] == ready.number);
    REQUIRE(answers[1]["type"] == "handover");
    REQUIRE(answers[1]["ok"] == true);
    event_id = answers[1]["event_id"].get<std::string>();
    CHECK(answers[2]["events_waiting"] == 1);
  }
  CHECK(app.outbox() == 1);
  CHECK_FALSE(file_exists(app.data() + "/device.key"));

  // Refusals, each with its reason, each leaving the cache byte for byte as it was.
  const std::string cache = read_file(app.db());
  {
    // One byte flipped in the middle: the payload no longer inflates, or no longer matches
    // its signature.
    std::string bytes = read_file(newer);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
    write_file(tmp.file("flipped.bundle"), bytes);
    require_refused(
        apply_bundle(tmp.file("flipped.bundle"), app),
        [](const std::string &c) { return c == "bundle_damaged" || c == "bundle_tampered"; }, app,
        cache);
  }
  {
    // A signature that is another valid one's shape but not this content's.
    std::string bytes = read_file(newer);
    const auto sig = bytes.find("\"sig\":\"");
    REQUIRE(sig != std::string::npos);
    char &digit = bytes[sig + 7 + 10];
    digit = digit == '0' ? '1' : '0';
    write_file(tmp.file("resigned.bundle"), bytes);
    require_refused(apply_bundle(tmp.file("resigned.bundle"), app), is("bundle_tampered"), app,
                    cache);
  }
  {
    // Another portal's bundle, even with that portal's fingerprint given: the cache's pinned
    // key wins.
    Portal other(tmp.file("other-portal"));
    other.demo(20);
    const std::string foreign = make_bundle(other, tmp.file("foreign.bundle"), url);
    const Applied a = apply_bundle(foreign, app, {"--portal-key", identity(other).second});
    require_refused(a, is("bundle_foreign"), app, cache);
    CHECK(a.run.err.find(fingerprint) != std::string::npos);
  }
  {
    // Not a bundle at all.
    write_file(tmp.file("notes.txt"), "comptoir-bundle 7\nhello\n");
    require_refused(apply_bundle(tmp.file("notes.txt"), app), is("bundle_unreadable"), app, cache);
  }
  {
    // The counter running on the data directory: stop it first.
    Subprocess running(app.headless_argv());
    REQUIRE(running.write(":status\n"));
    REQUIRE(running.read_line(std::chrono::seconds(30)).has_value());
    const Applied a = apply_bundle(newer, app);
    INFO("stderr: " << a.run.err);
    CHECK(a.run.status.code == 1);
    CHECK(a.report["error"] == "appliance_running");
    CHECK(a.run.err.find("systemctl stop comptoir-kiosk") != std::string::npos);
    running.close_stdin();
    CHECK(running.wait(std::chrono::seconds(30)).code == 0);
  }
  {
    // No trust at all: a fresh appliance, nothing pinned, no --portal-key. Nothing created.
    Appliance fresh(tmp.path() / "fresh");
    const Applied a = apply_bundle(newer, fresh);
    INFO("stdout: " << a.run.out << "\nstderr: " << a.run.err);
    CHECK(a.run.status.code == 1);
    CHECK(a.report["error"] == "bundle_untrusted");
    CHECK(a.run.err.find("comptoir-portal identity") != std::string::npos);
    CHECK_FALSE(file_exists(fresh.data()));
  }

  // The newer bundle applies over the older; the older one then is refused as stale.
  {
    const Applied a = apply_bundle(newer, app);
    INFO("stdout: " << a.run.out << "\nstderr: " << a.run.err);
    REQUIRE(a.run.status.code == 0);
    CHECK(a.report["pending_enrolment"] == true);
  }
  CHECK(app.outbox() == 1);  // the handover still waits
  const std::string newer_code = setting(app, "pending_enrol_code").value_or("");
  {
    const std::string before = read_file(app.db());
    const Applied a = apply_bundle(older, app);
    require_refused(a, is("bundle_stale"), app, before);
    require_refused(apply_bundle(newer, app), is("bundle_stale"), app, before);
  }

  // The portal comes up at the bundle's address: one round enrols with the newer bundle's
  // code, a key made here, then pushes the offline handover and pulls.
  FixedPortServer server(portal, port);
  {
    const Appliance::SyncRun s = app.sync_once();
    INFO("stdout: " << s.run.out << "\nstderr: " << s.run.err);
    REQUIRE(s.run.status.code == 0);
    REQUIRE(s.report.is_object());
    CHECK(s.report["ok"] == true);
    CHECK(s.report["pushed"] == 1);
    CHECK(s.report["events_waiting"] == 0);
    CHECK(s.report["link"] == "online");
  }
  REQUIRE(::stat((app.data() + "/device.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string device = setting(app, "device_id").value_or("");
  CHECK(setting(app, "pending_enrol_code") == "");
  CHECK(app.outbox() == 0);
  CHECK(portal.admin_ok({"devices", "list"}).find(device) != std::string::npos);
  CHECK(portal.admin_ok({"events"}).find(event_id) != std::string::npos);
  CHECK(portal.event_uuids().count(event_id) == 1);
  CHECK(query_ro(portal.db(), "SELECT status FROM orders WHERE number = '" + ready.number + "'")
            .at(0)
            .at(0) == "collected");

  // Enrolled now: a bundle for another stand or another portal address is refused; a newer
  // one for this stand and portal refreshes the cache, with no code left pending.
  {
    const std::string before = read_file(app.db());
    portal.admin_ok(
        {"bundle", "create", "--stand", "2", "--out", tmp.file("stand2.bundle"), "--url", url});
    require_refused(apply_bundle(tmp.file("stand2.bundle"), app), is("bundle_other_stand"), app,
                    before);
    const std::string elsewhere =
        make_bundle(portal, tmp.file("elsewhere.bundle"), "http://127.0.0.1:1");
    require_refused(apply_bundle(elsewhere, app), is("bundle_other_portal"), app, before);
    // This one carries the admin's config: it becomes the appliance's, the key pinned in it.
    write_file(tmp.file("admin.toml"), "# from the admin\n[sync]\ninterval_s = 45\n");
    portal.admin_ok({"bundle", "create", "--stand", std::to_string(kStand), "--out",
                     tmp.file("refresh.bundle"), "--url", url, "--config", tmp.file("admin.toml")});
    const Applied a = apply_bundle(tmp.file("refresh.bundle"), app);
    INFO("stdout: " << a.run.out << "\nstderr: " << a.run.err);
    REQUIRE(a.run.status.code == 0);
    CHECK(a.report["enrolled"] == true);
    CHECK(a.report["pending_enrolment"] == false);
    CHECK(setting(app, "pending_enrol_code") == "");
    CHECK(setting(app, "device_id") == device);
    CHECK(a.report["config_replaced"] == true);
    const std::string config = read_file(app.config());
    CHECK(config.find("# from the admin") != std::string::npos);
    CHECK(config.find("interval_s = 45") != std::string::npos);
    CHECK(config.find("portal_key = \"" + key_hex + "\"") != std::string::npos);
    CHECK(config.find("sound = false") == std::string::npos);
  }

  // The running counter's own agent finishes a pending enrolment too, with no command run.
  {
    Appliance third(tmp.path() / "third");
    const Applied a = apply_bundle(make_bundle(portal, tmp.file("third.bundle"), url), third,
                                   {"--portal-key", key_hex});
    REQUIRE(a.run.status.code == 0);
    Subprocess running(third.headless_argv());
    const bool enrolled = wait_for(
        [&] {
          return file_exists(third.data() + "/device.key") &&
                 setting(third, "pending_enrol_code") == "" &&
                 third.state("last_pull_ms").has_value() && third.state("last_error") == "";
        },
        std::chrono::seconds(60));
    running.close_stdin();
    CHECK(running.wait(std::chrono::seconds(30)).code == 0);
    INFO("headless stderr: " << running.stderr_text());
    REQUIRE(enrolled);
    const std::string id = setting(third, "device_id").value_or("");
    CHECK(portal.admin_ok({"devices", "list"}).find(id) != std::string::npos);
  }

  // A second appliance given the same (now used) code: the portal refuses it, the counter
  // is told why, and the code is not sent again.
  Appliance late(tmp.path() / "late");
  {
    const Applied a = apply_bundle(newer, late, {"--portal-key", key_hex});
    INFO("stdout: " << a.run.out << "\nstderr: " << a.run.err);
    REQUIRE(a.run.status.code == 0);
  }
  CHECK(setting(late, "pending_enrol_code") == newer_code);
  {
    const Appliance::SyncRun s = late.sync_once();
    INFO("stdout: " << s.run.out << "\nstderr: " << s.run.err);
    CHECK(s.run.status.code == 1);
    REQUIRE(s.report.is_object());
    CHECK(s.report["error"] == "code_used");
    CHECK(s.report["detail"].get<std::string>().find("comptoir-provision enrol") !=
          std::string::npos);
  }
  CHECK(late.state("last_error") == "code_used");
  CHECK(setting(late, "pending_enrol_code") == "");
  CHECK_FALSE(file_exists(late.data() + "/device.key"));
  {
    const Appliance::SyncRun s = late.sync_once();
    CHECK(s.run.status.code == 4);  // not enrolled: nothing pending any more
  }
}

TEST_CASE("an enrolment answered but lost finishes with the same key and the same device") {
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  portal.demo(20);
  const auto [key_hex, fingerprint] = identity(portal);
  const std::uint16_t port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Appliance app(tmp.path() / "app");
  {
    const Applied a = apply_bundle(make_bundle(portal, tmp.file("b.bundle"), url), app,
                                   {"--portal-key", fingerprint});
    INFO("stdout: " << a.run.out << "\nstderr: " << a.run.err);
    REQUIRE(a.run.status.code == 0);
  }
  const std::string code = setting(app, "pending_enrol_code").value_or("");
  REQUIRE(code.size() == 12);
  CHECK(setting(app, sync::kSettingPendingEnrolKey).value_or("").empty());

  // A first attempt with the portal down: the key pair is made and kept, the code waits.
  {
    const Appliance::SyncRun s = app.sync_once();
    INFO("stdout: " << s.run.out << "\nstderr: " << s.run.err);
    CHECK(s.run.status.code != 0);
    CHECK(s.report["error"] == "offline");
  }
  const std::string secret = setting(app, sync::kSettingPendingEnrolKey).value_or("");
  REQUIRE(secret.size() == 128);
  CHECK(setting(app, "pending_enrol_code") == code);
  {
    const Appliance::SyncRun s = app.sync_once();
    CHECK(s.report["error"] == "offline");
  }
  CHECK(setting(app, sync::kSettingPendingEnrolKey) == secret);  // the same pair each attempt

  // The portal comes up and takes the code with that key, but the answer never reaches the
  // appliance (the request made here stands for it).
  FixedPortServer server(portal, port);
  const auto bytes = codes::from_hex(secret);
  REQUIRE(bytes.has_value());
  codes::KeyPair pair;
  std::copy(bytes->begin(), bytes->end(), pair.secret_key.begin());
  std::copy(bytes->begin() + 32, bytes->end(), pair.public_key.begin());
  sync::EnrolOptions lost;
  lost.portal_url = url;
  lost.code = code;
  lost.stand = kStand;
  lost.key = pair;
  auto granted = sync::request_enrolment(lost);
  REQUIRE_MESSAGE(granted.ok(), (granted.ok() ? std::string() : granted.error().detail));
  const std::string device = granted->answer.device_id;
  // One line a device: "dev-N\tname\tstands ..." (its last-seen time changes as it syncs).
  const auto devices = [&] {
    std::vector<std::string> ids;
    for (const std::string &line : split_lines(portal.admin_ok({"devices", "list"}))) {
      if (line.rfind("dev-", 0) == 0) ids.push_back(line.substr(0, line.find('\t')));
    }
    return ids;
  };
  const std::vector<std::string> devices_before = devices();
  CHECK(std::count(devices_before.begin(), devices_before.end(), device) == 1);
  CHECK_FALSE(file_exists(app.data() + "/device.key"));

  // The next round sends the same code with the same key: the same device, enrolled.
  {
    const Appliance::SyncRun s = app.sync_once();
    INFO("stdout: " << s.run.out << "\nstderr: " << s.run.err);
    REQUIRE(s.run.status.code == 0);
    CHECK(s.report["ok"] == true);
    CHECK(s.report["link"] == "online");
  }
  CHECK(setting(app, "device_id") == device);
  CHECK(setting(app, "pending_enrol_code") == "");
  CHECK(setting(app, sync::kSettingPendingEnrolKey) == "");
  CHECK(setting(app, "portal_key") == key_hex);
  CHECK(file_exists(app.data() + "/device.key"));
  CHECK(read_file(app.data() + "/device.key").find(secret) != std::string::npos);
  CHECK(devices() == devices_before);  // no second device
}

TEST_CASE("stopping the agent abandons a pending enrolment's request at once") {
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  portal.demo(20);
  const auto [key_hex, fingerprint] = identity(portal);
  // A portal address that takes the connection and never answers.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len) == 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Appliance app(tmp.path() / "app");
  {
    const Applied a = apply_bundle(make_bundle(portal, tmp.file("b.bundle"), url), app,
                                   {"--portal-key", key_hex});
    REQUIRE(a.run.status.code == 0);
  }
  const std::string code = setting(app, "pending_enrol_code").value_or("");
  REQUIRE(code.size() == 12);

  db::OpenOptions open_options;
  open_options.create = false;
  auto database = db::Database::open(app.db(), open_options);
  REQUIRE(database.ok());
  SystemClock clock;
  sync::SyncSettings settings;
  settings.stall_s = 120;  // far longer than the test allows: only the abort can end it
  settings.connect_timeout_s = 60;
  auto agent = sync::make_pending_agent(**database, app.data(), settings, clock, nullptr);
  REQUIRE(agent.ok());
  REQUIRE(*agent != nullptr);
  (*agent)->start([] {});
  // The enrolment request arrives and waits for an answer.
  pollfd waiting{listener, POLLIN, 0};
  REQUIRE(::poll(&waiting, 1, 30'000) == 1);
  const int connection = ::accept(listener, nullptr, nullptr);
  REQUIRE(connection >= 0);
  std::string request;
  while (request.find("\r\n\r\n") == std::string::npos) {
    pollfd in{connection, POLLIN, 0};
    REQUIRE(::poll(&in, 1, 30'000) == 1);
    char buf[4096];
    const ssize_t n = ::read(connection, buf, sizeof buf);
    REQUIRE(n > 0);
    request.append(buf, static_cast<std::size_t>(n));
  }
  CHECK(request.rfind("POST /api/v1/enrol ", 0) == 0);

  const auto t0 = std::chrono::steady_clock::now();
  (*agent)->stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < std::chrono::seconds(5));
  agent->reset();
  ::close(connection);
  ::close(listener);
  // Nothing given up: the code and its key wait for the next start.
  CHECK(setting(app, "pending_enrol_code") == code);
  CHECK(setting(app, sync::kSettingPendingEnrolKey).value_or("").size() == 128);
  CHECK_FALSE(file_exists(app.data() + "/device.key"));
}

TEST_CASE("the portal key in the answer to a pending code must be the pinned one") {
  TempDir tmp;
  REQUIRE(wire::sodium_ready());
  const codes::KeyPair pinned = codes::generate_key_pair();
  const codes::KeyPair other = codes::generate_key_pair();
  const std::string pinned_hex = codes::to_hex(pinned.public_key.data(), pinned.public_key.size());
  auto database = db::Database::open(tmp.file("cache.db"));
  REQUIRE(database.ok());
  db::Database &db = **database;
  REQUIRE(db.set_setting(db::kSettingPortalKey, pinned_hex).ok());

  sync::EnrolOptions options;
  sync::EnrolGrant grant;
  grant.portal = "https://portal.example.org";
  // No key in the answer (all zero): refused, even with force.
  for (const bool force : {false, true}) {
    options.force = force;
    auto r = sync::check_pending_portal_key(db, options, grant);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "portal_foreign");
    CHECK(r.error().detail.find("no identity key") != std::string::npos);
    CHECK(r.error().detail.find(sync::bundle_fingerprint(pinned.public_key)) != std::string::npos);
  }
  options.force = false;
  grant.answer.portal_key = other.public_key;
  {
    auto r = sync::check_pending_portal_key(db, options, grant);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "portal_foreign");
    CHECK(r.error().detail.find(sync::bundle_fingerprint(other.public_key)) != std::string::npos);
  }
  grant.answer.portal_key = pinned.public_key;
  CHECK(sync::check_pending_portal_key(db, options, grant).ok());
  CHECK(db.setting(db::kSettingPortalKey).value() == pinned_hex);  // the pin untouched

  // Pinned only in the config: the same.
  auto bare = db::Database::open(tmp.file("bare.db"));
  REQUIRE(bare.ok());
  options.settings.portal_key = pinned_hex;
  grant.answer.portal_key = codes::PublicKey{};
  CHECK(sync::check_pending_portal_key(**bare, options, grant).error().code == "portal_foreign");
  grant.answer.portal_key = pinned.public_key;
  CHECK(sync::check_pending_portal_key(**bare, options, grant).ok());
}

TEST_CASE("bundle checks on a counter not enrolled yet, insecure portals and fingerprints") {
  sync::Bundle bundle;
  bundle.portal_url = "http://127.0.0.1:8080";
  bundle.stand_id = 1;
  bundle.created_ms = 2'000'000;
  sync::ApplianceBundleState state;
  state.has_cache = true;
  state.portal_url = bundle.portal_url;
  state.stand_id = 1;
  CHECK(sync::check_bundle_fits(bundle, state).ok());

  // Handovers waiting for the earlier bundle's portal and stand: a bundle for another one
  // is refused, saying they belong to the current one.
  state.outbox = 2;
  sync::Bundle stand2 = bundle;
  stand2.stand_id = 2;
  auto r = sync::check_bundle_fits(stand2, state);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bundle_other_stand");
  CHECK(r.error().detail.find("2 handover(s) waiting to be sent belong to stand 1") !=
        std::string::npos);
  sync::Bundle elsewhere = bundle;
  elsewhere.portal_url = "https://portal.example.org";
  r = sync::check_bundle_fits(elsewhere, state);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bundle_other_portal");
  CHECK(r.error().detail.find("belong to http://127.0.0.1:8080") != std::string::npos);
  CHECK(sync::check_bundle_fits(bundle, state).ok());
  // Nothing waiting: a not-yet-enrolled counter may change stand or portal.
  state.outbox = 0;
  CHECK(sync::check_bundle_fits(stand2, state).ok());
  CHECK(sync::check_bundle_fits(elsewhere, state).ok());

  // Plain http:// across the network only with [sync] insecure.
  sync::Bundle plain = bundle;
  plain.portal_url = "http://192.0.2.10:8080";
  state.portal_url = plain.portal_url;
  r = sync::check_bundle_fits(plain, state);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "insecure_url");
  CHECK(r.error().detail.find("set [sync] insecure = true") != std::string::npos);
  CHECK(r.error().detail.find("https://") != std::string::npos);
  state.insecure = true;
  CHECK(sync::check_bundle_fits(plain, state).ok());

  // A fingerprint as people type it, read as read_bundle reads it.
  auto trust = sync::make_bundle_trust("", "", "ol1i0-abcde-fghjk-mnpqr");
  REQUIRE(trust.ok());
  CHECK(trust->fingerprint == "01110-ABCDE-FGHJK-MNPQR");
  CHECK_FALSE(trust->key.has_value());
  CHECK(sync::make_bundle_trust("", "", "0111*-ABCDE-FGHJK-MNPQR").error().code ==
        "bad_portal_key");
  CHECK(sync::make_bundle_trust("", "", "0111-ABCDE-FGHJK-MNPQR").error().code == "bad_portal_key");
}

TEST_CASE("a bundle without a code leaves no older code or key pending") {
  TempDir tmp;
  auto database = db::Database::open(tmp.file("cache.db"));
  REQUIRE(database.ok());
  db::Database &db = **database;
  REQUIRE(db.set_setting(db::kSettingPendingEnrolCode, "K7QM9X2DF3A4").ok());
  REQUIRE(db.set_setting(sync::kSettingPendingEnrolKey, std::string(128, 'a')).ok());

  sync::Bundle bundle;
  bundle.portal_name = "Portail";
  bundle.portal_url = "https://portal.example.org";
  bundle.stand_id = 1;
  bundle.bundle_id = std::string(32, 'b');
  bundle.created_ms = 1'000;
  bundle.expires_ms = 2'000;
  bundle.snapshot.cursor = "s0";
  sync::ApplianceBundleState state;
  state.has_cache = true;

  // The same code again keeps its key pair; none clears both.
  bundle.enrol_code = "K7QM9X2DF3A4";
  {
    db::Transaction tx(db.connection());
    REQUIRE(tx.began());
    auto written = sync::write_bundle_in_transaction(db, bundle, state);
    REQUIRE_MESSAGE(written.ok(), (written.ok() ? std::string() : written.error().detail));
    CHECK(written->pending_enrolment);
    REQUIRE(tx.commit().ok());
  }
  CHECK(db.setting(db::kSettingPendingEnrolCode).value() == "K7QM9X2DF3A4");
  CHECK(db.setting(sync::kSettingPendingEnrolKey).value() == std::string(128, 'a'));
  bundle.enrol_code.clear();
  bundle.created_ms = 1'500;
  {
    db::Transaction tx(db.connection());
    REQUIRE(tx.began());
    auto written = sync::write_bundle_in_transaction(db, bundle, state);
    REQUIRE_MESSAGE(written.ok(), (written.ok() ? std::string() : written.error().detail));
    CHECK_FALSE(written->pending_enrolment);
    REQUIRE(tx.commit().ok());
  }
  CHECK(db.setting(db::kSettingPendingEnrolCode).value() == "");
  CHECK(db.setting(sync::kSettingPendingEnrolKey).value() == "");
  CHECK(db.setting(db::kSettingPortalUrl).value() == bundle.portal_url);
}

}  // namespace comptoir::test
