// Sync end to end: the real comptoir-portal serving on loopback, the real comptoir (enrol,
// sync --once, --headless with its agent thread), real SQLite files on both sides, and the
// fault proxy between them where the link must be bad. Nothing is faked: what the tests
// compare they read from the two databases (read-only) and the programs' own output.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/sync_support.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// The stand the demo region's appliance serves.
constexpr std::int64_t kStand = 1;

// Demo codes by order number: for each local order its short code (the shortest code the
// demo gives for it: tokens are longer) and the verdict expected.
std::map<std::string, DemoCodeLine> short_codes(const std::vector<DemoCodeLine> &codes) {
  std::map<std::string, DemoCodeLine> out;
  for (const DemoCodeLine &c : codes) {
    if (c.number.empty() || c.number.front() == '#') continue;
    auto it = out.find(c.number);
    if (it == out.end() || c.code.size() < it->second.code.size()) out[c.number] = c;
  }
  return out;
}

std::string require_enrolled(const RunResult &r) {
  INFO("enrol stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == 0);
  const json j = json::parse(split_lines(r.out).back());
  REQUIRE(j["ok"] == true);
  CHECK(j["stand"]["id"] == kStand);
  return j["device_id"].get<std::string>();
}

json require_round_ok(const Appliance::SyncRun &s) {
  INFO("sync stdout: " << s.run.out << "\nstderr: " << s.run.err);
  REQUIRE(s.run.status.exited);
  REQUIRE(s.run.status.code == 0);
  REQUIRE(s.report.is_object());
  CHECK(s.report["ok"] == true);
  CHECK(s.report["complete"] == true);
  return s.report;
}

// Every answer of a headless session that recorded an event must say ok.
std::vector<std::string> require_events(const std::vector<json> &answers) {
  std::vector<std::string> ids;
  for (const json &a : answers) {
    if (a.value("type", "") == "status") continue;
    INFO(a.dump());
    if (a.contains("handover")) {  // --auto-handover
      REQUIRE(a["handed_over"] == true);
      ids.push_back(a["handover"]["event_id"].get<std::string>());
      continue;
    }
    REQUIRE(a["type"] == "handover");
    REQUIRE(a["ok"] == true);
    ids.push_back(a["event_id"].get<std::string>());
  }
  return ids;
}

json status_of(const Appliance &app) {
  const std::vector<json> s = app.headless(":status\n");
  REQUIRE(s.size() == 1);
  REQUIRE(s[0]["type"] == "status");
  return s[0];
}

// The portal's view of an order: status and who collected it.
Row portal_order(const Portal &portal, const std::string &number) {
  const auto rows = query_ro(portal.db(),
                             "SELECT status, collected_device, collected_event FROM orders "
                             "WHERE number = '" +
                                 number + "'");
  REQUIRE(rows.size() == 1);
  return rows.front();
}

FaultSpec fault(Fault kind, std::size_t after_bytes = 0, int drip_interval_ms = 20) {
  FaultSpec spec;
  spec.kind = kind;
  spec.after_bytes = after_bytes;
  spec.drip_interval_ms = drip_interval_ms;
  return spec;
}

// Orders with at least two lines (a partial handover leaves one out).
std::set<std::string> multi_line_orders(const std::string &db) {
  return column_set_ro(db,
                       "SELECT o.number FROM orders o JOIN order_lines l ON l.order_id = o.id "
                       "GROUP BY o.id HAVING count(*) >= 2");
}

// Ready orders not handed over yet, taken one by one for new events.
class Pool {
 public:
  explicit Pool(std::vector<std::string> numbers) : numbers_(std::move(numbers)) {}
  std::string take() {
    REQUIRE(next_ < numbers_.size());
    return numbers_[next_++];
  }
  // The first one left that has several lines.
  std::string take_multi(const std::set<std::string> &multi) {
    for (std::size_t i = next_; i < numbers_.size(); ++i) {
      if (multi.count(numbers_[i]) == 1) {
        std::swap(numbers_[i], numbers_[next_]);
        return numbers_[next_++];
      }
    }
    FAIL("no ready order with several lines left");
    return {};
  }
  std::size_t left() const { return numbers_.size() - next_; }

 private:
  std::vector<std::string> numbers_;
  std::size_t next_ = 0;
};

// A few full handovers at the counter (a headless session without the agent).
std::vector<std::string> hand_over(const Appliance &app, Pool &pool, int n) {
  std::string script;
  for (int i = 0; i < n; ++i) script += ":handover " + pool.take() + "\n";
  const std::vector<std::string> ids = require_events(app.headless(script));
  REQUIRE(ids.size() == static_cast<std::size_t>(n));
  return ids;
}

// What changes on the portal between rounds: new orders for the stand, and cancellations of
// orders nobody collected yet (one of them refunded).
void portal_changes(const Portal &portal, Pool &pool, int round) {
  for (int i = 0; i < 2; ++i) {
    portal.add_order(
        kStand, "Client du tour " + std::to_string(round),
        {"100" + std::to_string(i) + ":1000:" + std::to_string(150 + round), "1005:500:1225"});
  }
  portal.cancel(pool.take(), round % 2 == 1);
}

// The appliance holds the served stand's orders as the portal does (status, lines...), and
// every order of the region.
void require_same_orders(const Appliance &app, const Portal &portal) {
  const OrderRows here = appliance_orders(app.db(), kStand);
  const OrderRows there = portal_orders(portal.db(), kStand);
  CHECK_MESSAGE(here == there, "appliance vs portal: " << first_difference(here, there));
  CHECK(appliance_order_ids(app.db()) == portal_order_ids(portal.db()));
}

// The counter's and the portal's event sets agree: every event made (as the counter answered
// them) is in the ledger and on the portal, once; both sides hold the same orders.
void require_converged(const Appliance &app, const Portal &portal,
                       const std::set<std::string> &made_here) {
  const std::vector<std::string> made = app.ledger_uuids();
  const std::set<std::string> made_set(made.begin(), made.end());
  CHECK(made_set.size() == made.size());
  CHECK(made_set == made_here);
  CHECK(portal.event_uuids() == made_set);
  CHECK(portal.event_count() == static_cast<std::int64_t>(made.size()));
  CHECK(app.outbox() == 0);
  require_same_orders(app, portal);
}

}  // namespace

// ---- 1. loopback ----------------------------------------------------------------------

TEST_CASE(
    "loopback: orders reach the appliance, handovers reach the portal, a cancellation "
    "reaches the counter") {
  const auto t0 = SteadyClock::now();
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  const auto codes = portal.demo(60);
  PortalServer server(portal);
  INFO("portal: " << server.output());
  REQUIRE(server.listening());
  CHECK(server.url().rfind("http://127.0.0.1:", 0) == 0);

  // The manual part: no agent thread in the headless sessions, `sync --once` does the rounds.
  Appliance app(tmp.path() / "app", "enabled = false\n");
  const std::string device = require_enrolled(app.enrol(server.url(), portal.enrol_code(kStand)));
  struct stat st {};
  REQUIRE(::stat((app.data() + "/device.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // The enrolment's first round brought the whole region: the served stand in full, every
  // other order as a stub, exactly as the portal holds them.
  require_same_orders(app, portal);
  CHECK(app.state("last_pull_ms").has_value());

  // Every demo code gets the verdict the demo promises, on an appliance that synced it.
  {
    std::string input;
    for (const DemoCodeLine &c : codes) input += c.code + "\n";
    const std::vector<json> answers = app.headless(input);
    REQUIRE(answers.size() == codes.size());
    for (std::size_t i = 0; i < codes.size(); ++i) {
      INFO(codes[i].code << " " << codes[i].number << ": " << answers[i].dump());
      CHECK(answers[i]["verdict"] == codes[i].verdict);
    }
  }

  // An order added on the portal: unknown at the counter until a round brings it.
  const AddedOrder added =
      portal.add_order(kStand, "Zoé Nouvelle", {"1000:2000:3000", "1003:1000:280"});
  {
    const std::vector<json> before = app.headless(added.code + "\n" + added.token + "\n");
    REQUIRE(before.size() == 2);
    CHECK(before[0]["verdict"] == "unknown");
    CHECK(before[1]["verdict"] == "ready_unsynced");
  }
  {
    const json r = require_round_ok(app.sync_once());
    CHECK(r["orders"].get<int>() >= 1);
    const std::vector<json> after = app.headless(added.code + "\n");
    REQUIRE(after.size() == 1);
    CHECK(after[0]["verdict"] == "ready");
    CHECK(after[0]["order_number"] == added.number);
  }

  // Handovers at the counter: a full one, a partial one, a refusal, one undone.
  const auto by_number = short_codes(codes);
  std::vector<std::string> ready;
  for (const auto &[number, c] : by_number) {
    if (c.verdict == "ready") ready.push_back(number);
  }
  const std::set<std::string> multi = multi_line_orders(app.db());
  const auto partial_at = std::find_if(ready.begin(), ready.end(),
                                       [&](const std::string &n) { return multi.count(n) == 1; });
  REQUIRE(partial_at != ready.end());
  const std::string partial = *partial_at;
  std::vector<std::string> others;
  for (const std::string &n : ready) {
    if (n != partial) others.push_back(n);
  }
  REQUIRE(others.size() >= 5);
  const std::string full = others[0], refused = others[1], undone = others[2],
                    cancelled = others[3], by_agent = others[4];
  const std::vector<json> answers =
      app.headless(":handover " + full + "\n:handover " + partial + " --missing 2\n:refuse " +
                   refused + " Client absent\n:handover " + undone + "\n:undo\n:status\n");
  REQUIRE(answers.size() == 6);
  const std::vector<std::string> ids = require_events(answers);
  REQUIRE(ids.size() == 5);
  std::set<std::string> made(ids.begin(), ids.end());
  CHECK(answers[0]["kind"] == "full");
  CHECK(answers[1]["kind"] == "partial");
  CHECK(answers[2]["kind"] == "refused");
  CHECK(answers[4]["kind"] == "undo");
  CHECK(answers[5]["events_waiting"] == 5);
  CHECK(portal.event_count() == 0);

  {
    const json r = require_round_ok(app.sync_once());
    CHECK(r["pushed"] == 5);
    CHECK(r["duplicates"] == 0);
    CHECK(r["events_waiting"] == 0);
    CHECK(r["link"] == "online");
  }
  CHECK(app.outbox() == 0);
  // The portal has each event once, by its uuid, as `comptoir-portal events` lists them.
  CHECK(portal.event_uuids() == std::set<std::string>(ids.begin(), ids.end()));
  CHECK(portal.event_count() == 5);
  {
    const std::string listed = portal.admin_ok({"events"});
    for (const std::string &id : ids) CHECK(listed.find(id) != std::string::npos);
    CHECK(listed.find("refused (Client absent)") != std::string::npos);
    CHECK(listed.find("undo of " + ids[3]) != std::string::npos);
  }
  {
    const Row f = portal_order(portal, full);
    CHECK(f[0] == "collected");
    CHECK(f[1] == device);
    CHECK(f[2] == ids[0]);
    CHECK(portal_order(portal, partial)[0] == "collected");
    // The partial handover as stored: which line stayed behind.
    const auto stored = query_ro(portal.db(),
                                 "SELECT kind, event_json, device_id FROM events "
                                 "WHERE uuid = '" +
                                     ids[1] + "'");
    REQUIRE(stored.size() == 1);
    CHECK(stored[0][0] == "partial");
    CHECK(json::parse(stored[0][1])["missing"] == json::array({2}));
    CHECK(stored[0][2] == device);
    CHECK(portal_order(portal, refused)[0] == "ready");
    CHECK(portal_order(portal, undone)[0] == "ready");  // the undo made it ready again
  }
  // The round's pull brought the portal's state back: both sides agree.
  require_same_orders(app, portal);

  // A cancellation on the portal reaches the counter before the customer does.
  {
    const std::string code = by_number.at(cancelled).code;
    const std::vector<json> before = app.headless(code + "\n");
    REQUIRE(before.size() == 1);
    CHECK(before[0]["verdict"] == "ready");
    portal.cancel(cancelled);
    const json r = require_round_ok(app.sync_once());
    CHECK(r["orders"].get<int>() >= 1);
    const std::vector<json> after = app.headless(code + "\n");
    REQUIRE(after.size() == 1);
    CHECK(after[0]["verdict"] == "cancelled");
    CHECK(after[0]["order_number"] == cancelled);
  }

  // The agent thread of a running headless process: a handover goes to the portal without
  // any `sync --once`, and :status then says online with nothing waiting. interval_s is an
  // hour: only the handover can have brought the round forward.
  app.write_config("push_delay_ms = 200\ninterval_s = 3600\n");
  {
    const auto attempt_before = app.state("last_attempt_ms");
    Subprocess kiosk(app.headless_argv());
    REQUIRE(kiosk.write(":status\n"));
    REQUIRE(kiosk.read_line().has_value());
    // The agent's first round (at start) done, the handover's round is the next one.
    REQUIRE(wait_for([&] { return app.state("last_attempt_ms") != attempt_before; },
                     milliseconds(15'000)));
    const std::int64_t handover_ms = std::chrono::duration_cast<milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
    REQUIRE(kiosk.write(":handover " + by_agent + "\n"));
    const auto line = kiosk.read_line();
    REQUIRE(line.has_value());
    const json handed = json::parse(*line);
    INFO(handed.dump());
    REQUIRE(handed["ok"] == true);
    const std::string id = handed["event_id"].get<std::string>();
    made.insert(id);
    const auto pushed_from = SteadyClock::now();
    const bool arrived =
        wait_for([&] { return portal.event_uuids().count(id) == 1; }, milliseconds(10'000));
    const double push_s = seconds_since(pushed_from);
    INFO("kiosk stderr: " << kiosk.stderr_text());
    REQUIRE(arrived);
    MESSAGE("agent thread: handover on the portal " << push_s << " s after it was made");
    CHECK(push_s < 5.0);
    json status;
    const bool settled = wait_for(
        [&] {
          if (!kiosk.write(":status\n")) return false;
          const auto s = kiosk.read_line();
          if (!s) return false;
          status = json::parse(*s);
          // Pushed, and the round's pull after it applied too (closing stdin now would
          // abort a pull in progress).
          return status["link"] == "online" && status["events_waiting"] == 0 &&
                 status["last_sync_ms"].is_number() &&
                 status["last_sync_ms"].get<std::int64_t>() >= handover_ms;
        },
        milliseconds(10'000), milliseconds(100));
    INFO(status.dump());
    CHECK(settled);
    CHECK(status["sync_error"] == "");
    CHECK_FALSE(status["last_sync_ms"].is_null());
    kiosk.close_stdin();
    const ExitStatus exit = kiosk.wait();
    CHECK(exit.exited);
    CHECK(exit.code == 0);
  }
  CHECK(portal_order(portal, by_agent)[0] == "collected");
  require_converged(app, portal, made);
  CHECK(server.stop().code == 0);
  MESSAGE("loopback end to end: " << seconds_since(t0) << " s");
}

// ---- 2. faults ------------------------------------------------------------------------

TEST_CASE("faults: 200 events made offline reach the portal through a bad link exactly once") {
  const auto t0 = SteadyClock::now();
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  portal.demo(600);
  PortalServer server(portal);
  INFO("portal: " << server.output());
  REQUIRE(server.listening());
  auto started = FaultProxy::start(server.port(), 2026);
  REQUIRE(started.ok());
  FaultProxy &proxy = **started;
  // Small batches and pages, so a round is many requests and a fault can land between them;
  // stall_s short so a stalled round ends in seconds (5, not the minimum 2: a slow round under
  // the sanitizers must not pass for a stall).
  Appliance app(tmp.path() / "app",
                "enabled = false\npush_batch = 25\npage_orders = 100\nstall_s = 5\n"
                "connect_timeout_s = 5\n");
  require_enrolled(app.enrol(proxy.url(), portal.enrol_code(kStand)));
  Pool pool(ready_numbers(app.db(), kStand));
  REQUIRE(pool.left() >= 245);
  const std::set<std::string> multi = multi_line_orders(app.db());

  // The portal unreachable: the proxy hangs up on every connection. The counter works on:
  // 150 full handovers, 25 partial, 20 refusals, 5 handovers undone.
  proxy.fault_always(fault(Fault::refuse));
  std::string script;
  for (int i = 0; i < 25; ++i) script += ":handover " + pool.take_multi(multi) + " --missing 2\n";
  std::vector<std::string> full;
  for (int i = 0; i < 150; ++i) {
    full.push_back(pool.take());
    script += ":handover " + full.back() + "\n";
  }
  for (int i = 0; i < 20; ++i) script += ":refuse " + pool.take() + " Client absent\n";
  for (int i = 0; i < 5; ++i) script += ":handover " + pool.take() + "\n:undo\n";
  const std::vector<std::string> offline_ids = require_events(app.headless(script));
  REQUIRE(offline_ids.size() == 205);
  std::set<std::string> made(offline_ids.begin(), offline_ids.end());
  auto more_events = [&](int n) {
    for (const std::string &id : hand_over(app, pool, n)) made.insert(id);
  };
  const std::int64_t offline_events = 205;
  CHECK(app.outbox() == offline_events);

  int rounds = 0;
  int failed = 0;
  std::int64_t pushed = 0;
  std::int64_t duplicates = 0;
  std::string table;
  auto round = [&](const std::string &name, const std::function<void()> &during = {}) {
    const Appliance::SyncRun s = app.sync_once_while(during);
    ++rounds;
    INFO(name << ": " << s.run.out << "\nstderr: " << s.run.err);
    REQUIRE(s.run.status.exited);  // a bad link never crashes it
    REQUIRE(s.report.is_object());
    const bool ok = s.report["ok"] == true;
    CHECK((s.run.status.code == 0) == ok);
    if (!ok) ++failed;
    pushed += s.report["pushed"].get<std::int64_t>();
    duplicates += s.report["duplicates"].get<std::int64_t>();
    char line[256];
    std::snprintf(line, sizeof line, "  %-34s %-16s pushed %3lld dup %3lld pages %2lld %5.1f s\n",
                  name.c_str(),
                  ok ? (s.report["complete"] == true ? "complete" : "ok")
                     : s.report["error"].get<std::string>().c_str(),
                  static_cast<long long>(s.report["pushed"].get<std::int64_t>()),
                  static_cast<long long>(s.report["duplicates"].get<std::int64_t>()),
                  static_cast<long long>(s.report["pages"].get<std::int64_t>()), s.seconds);
    table += line;
    json r = s.report;
    r["seconds"] = s.seconds;
    r["stderr"] = s.run.err;
    return r;
  };

  {
    const json r = round("portal unreachable (refused)");
    CHECK(r["ok"] == false);
    CHECK(r["link"] == "offline");
    CHECK(r["events_waiting"] == offline_events);
    const json st = status_of(app);
    CHECK(st["link"] == "offline");
    CHECK(st["events_waiting"] == offline_events);
    CHECK(st["sync_error"] != "");
    CHECK(portal.event_count() == 0);
  }
  // Cancelled at the portal while its handover waited at the counter: a conflict to review.
  const std::string conflicting = full.front();
  portal.cancel(conflicting);

  // A malformed answer to the push: refused whole, nothing applied, nothing acknowledged.
  {
    proxy.fault_always(fault(Fault::malformed_json));
    const auto before = cache_snapshot(app.db());
    const json r = round("malformed JSON (push)");
    CHECK(r["error"] == "portal_invalid");
    // Logged with what was wrong.
    CHECK(r["stderr"].get<std::string>().find("malformed") != std::string::npos);
    CHECK(cache_snapshot(app.db()) == before);
    CHECK(app.outbox() == offline_events);
    CHECK(portal.event_count() == 0);
  }
  // Cut mid-response: the portal stored the first batch, its acknowledgement never came.
  {
    proxy.set_latency(milliseconds(50));
    proxy.fault_always(fault(Fault::cut, 200));
    const json r = round("cut after 200 B, 50 ms latency");
    CHECK(r["ok"] == false);
    CHECK(portal.event_count() == 25);
    CHECK(app.outbox() == offline_events);
  }
  {
    proxy.set_latency(milliseconds(0));
    proxy.set_rate(4000);  // 32 kbit/s
    proxy.fault_always(fault(Fault::truncate));
    const json r = round("truncated bodies at 32 kbit/s");
    CHECK(r["ok"] == false);
    proxy.set_rate(0);
  }
  {
    proxy.fault_always(fault(Fault::error_500));
    const json r = round("500s");
    CHECK(r["error"] == "portal_error");
    CHECK(r["link"] == "online");  // the portal answered, badly
  }
  portal_changes(portal, pool, 1);
  more_events(5);
  {
    // The link goes down in the middle of a slow round (32 kbit/s, 300 ms RTT), once the
    // portal has stored two batches: what was acknowledged stays so, the rest comes again.
    // (Down, not just dropped: libcurl retries a request once on a fresh connection when a
    // reused one dies, which the portal's idempotency makes harmless.)
    proxy.set_rate(4000);
    proxy.set_latency(milliseconds(150));
    proxy.clear_faults();
    const std::int64_t waiting = app.outbox();
    const std::int64_t stored = portal.event_count();
    bool dropped = false;
    const json r = round("32 kbit/s, 300 ms RTT, link drops", [&] {
      dropped = wait_for([&] { return portal.event_count() >= stored + 50; }, milliseconds(60'000),
                         milliseconds(20));
      proxy.fault_always(fault(Fault::refuse));
      proxy.drop_connections();
    });
    CHECK(dropped);
    CHECK(r["ok"] == false);
    CHECK(app.outbox() < waiting);
    CHECK(app.outbox() > 0);
    proxy.clear_faults();
    proxy.set_rate(0);
    proxy.set_latency(milliseconds(0));
  }
  {
    // New connections meet a cut at random (seeded); a round opens a new one every few
    // requests (the portal's keep-alive limit): progress between the faults.
    proxy.fault_random(0.5, fault(Fault::cut, 300));
    for (int i = 0; i < 3; ++i) {
      more_events(2);
      round("random cuts " + std::to_string(i + 1));
    }
    proxy.clear_faults();
  }
  portal_changes(portal, pool, 2);
  more_events(5);
  {
    // Slow but moving: one byte every 6 ms, for longer than stall_s, is not a stall.
    proxy.fault_next(1, fault(Fault::drip, 0, 6));
    const json r = round("slow drip (1 byte / 6 ms)");
    CHECK(r["ok"] == true);
    CHECK(r["seconds"].get<double>() > 5.0);
  }
  more_events(3);
  {
    proxy.fault_always(fault(Fault::stall, 100));
    const json r = round("stall (stall_s = 5)");
    CHECK(r["error"] == "stalled");
    // The client gives up within stall_s + 1 s of silence; the rest is the process starting
    // and stopping.
    CHECK(r["seconds"].get<double>() >= 4.5);
    CHECK(r["seconds"].get<double>() < 7.5);
  }
  {
    // Only latency: the round goes through, the outbox empties.
    proxy.clear_faults();
    proxy.set_latency(milliseconds(100));
    const json r = round("latency only, 200 ms RTT");
    CHECK(r["ok"] == true);
    CHECK(app.outbox() == 0);
    proxy.set_latency(milliseconds(0));
  }
  portal_changes(portal, pool, 3);
  // A malformed page of changes (the outbox is empty: the pull meets it): the new orders and
  // the cancellation stay out, the cursor where it was.
  {
    proxy.fault_always(fault(Fault::malformed_json));
    const auto before = cache_snapshot(app.db());
    const json r = round("malformed JSON (pull)");
    CHECK(r["error"] == "portal_invalid");
    CHECK(r["pages"] == 0);
    CHECK(cache_snapshot(app.db()) == before);
  }
  more_events(10);
  portal_changes(portal, pool, 4);
  {
    proxy.fault_always(fault(Fault::refuse));
    const json r = round("portal unreachable again");
    CHECK(r["link"] == "offline");
    CHECK(r["events_waiting"] == 10);
  }
  {
    proxy.set_latency(milliseconds(30));
    proxy.fault_random(0.4, fault(Fault::truncate));
    round("random truncations, 60 ms RTT");
  }
  // The faults stop: one round and both sides agree.
  proxy.clear_faults();
  proxy.set_latency(milliseconds(0));
  {
    const json r = round("faults off");
    REQUIRE(r["ok"] == true);
    CHECK(r["complete"] == true);
    CHECK(r["events_waiting"] == 0);
  }
  const ProxyCounters counters = proxy.counters();
  MESSAGE("fault rounds:\n"
          << table << "  events made " << app.ledger_uuids().size() << ", on the portal "
          << portal.event_count() << ", acknowledged " << pushed << " (of which " << duplicates
          << " duplicates the portal had already), rounds " << rounds << " (" << failed
          << " failed); proxy: " << counters.connections << " connections, " << counters.bytes_up
          << " B up, " << counters.bytes_down << " B down; " << seconds_since(t0) << " s");
  std::string applied;
  for (const Fault f : {Fault::cut, Fault::truncate, Fault::error_500, Fault::drip, Fault::stall,
                        Fault::malformed_json, Fault::refuse}) {
    CAPTURE(to_string(f));
    CHECK(counters.faults_of(f) >= 1);
    applied += " " + std::string(to_string(f)) + " " + std::to_string(counters.faults_of(f));
  }
  MESSAGE("faults applied by the proxy:" << applied);
  require_converged(app, portal, made);
  CHECK(duplicates >= 25);  // the batch whose acknowledgement was cut came again
  // The handover of the order cancelled meanwhile is stored and flagged, on both sides.
  {
    const auto flagged = query_ro(portal.db(),
                                  "SELECT e.uuid, e.conflicts FROM events e JOIN orders o ON "
                                  "o.id = e.order_id WHERE o.number = '" +
                                      conflicting + "'");
    REQUIRE(flagged.size() == 1);
    CHECK(flagged[0][1].find("cancelled") != std::string::npos);
    CHECK(int_ro(app.db(), "SELECT count(*) FROM sync_conflicts WHERE event_uuid = '" +
                               flagged[0][0] + "'") == 1);
    CHECK(status_of(app)["conflicts"].get<int>() >= 1);
  }
  CHECK(server.stop().code == 0);
}

// ---- 3. crash safety ------------------------------------------------------------------

TEST_CASE("crash safety: comptoir killed with SIGKILL at random moments of its rounds, 50 times") {
  const auto t0 = SteadyClock::now();
  TempDir tmp;
  Portal portal(tmp.file("portal"));
  const auto codes = short_codes(portal.demo(800));
  PortalServer server(portal);
  INFO("portal: " << server.output());
  REQUIRE(server.listening());
  auto started = FaultProxy::start(server.port(), 3);
  REQUIRE(started.ok());
  FaultProxy &proxy = **started;
  // Batches of 3: a round with a few events waiting is several requests.
  Appliance app(tmp.path() / "app", "enabled = false\npush_batch = 3\npage_orders = 50\n");
  require_enrolled(app.enrol(proxy.url(), portal.enrol_code(kStand)));
  Pool pool(ready_numbers(app.db(), kStand));
  std::set<std::string> made;
  int topped_up = 0;
  // Every round starts with 6 events waiting: new ones at the counter (a stand without a
  // screen, codes read on stdin) replace those the last round had pushed before its kill.
  constexpr std::int64_t kWaiting = 6;
  auto top_up = [&] {
    const std::int64_t missing = kWaiting - app.outbox();
    if (missing <= 0) return;
    std::string input;
    for (std::int64_t i = 0; i < missing; ++i) input += codes.at(pool.take()).code + "\n";
    const std::vector<std::string> ids = require_events(app.headless(input, {"--auto-handover"}));
    REQUIRE(ids.size() == static_cast<std::size_t>(missing));
    made.insert(ids.begin(), ids.end());
    ++topped_up;
  };

  // 200 ms round trips, so a round (start, 2 pushes, a pull) lasts about a second and a
  // kill lands in any of its steps, not mostly while the process starts.
  proxy.set_latency(milliseconds(100));
  top_up();
  const Appliance::SyncRun measured = app.sync_once();
  require_round_ok(measured);

  // Each kill comes after a delay drawn between 0 and the longest round let finish so far
  // (the one measured above, then any that ended before its kill): a window that a round
  // which happened to be quick cannot shrink, so the kills keep landing in every step of
  // a round rather than more and more often while the process starts.
  double window_s = measured.seconds;
  double shortest = window_s, longest = window_s;
  std::mt19937_64 rng(20261123);
  int kills = 0;
  int talking = 0;  // kills after the appliance had a response of the portal's
  int finished = 0;
  int attempts = 0;
  while (kills < 50 && attempts < 100) {
    ++attempts;
    top_up();
    if (attempts % 10 == 0) portal_changes(portal, pool, attempts);
    // The last round's connections gone (the proxy still forwards what was queued for a
    // killed client), so the bytes counted from here are this round's.
    REQUIRE(wait_for([&] { return proxy.open_connections() == 0; }, milliseconds(10'000),
                     milliseconds(5)));
    const std::uint64_t down_before = proxy.counters().bytes_down;
    const double d = std::uniform_real_distribution<double>(0.0, window_s)(rng);
    const auto start = SteadyClock::now();
    Subprocess p(app.sync_argv());
    bool killed = false;
    try {
      // SIGKILL at the deadline if still running (and an exception to say so).
      p.wait(std::chrono::duration_cast<milliseconds>(std::chrono::duration<double>(d)));
    } catch (const std::runtime_error &) {
      killed = true;
    }
    const ExitStatus st = p.wait();
    // Read at once: a byte the proxy forwards now left the portal a one-way latency (100 ms)
    // ago, before the kill, so this counts exactly the kills after a portal answer.
    const std::uint64_t down_after = proxy.counters().bytes_down;
    // A round may end in the instant between the deadline and the signal: not a kill.
    if (killed && !st.exited) {
      CHECK(st.signal == SIGKILL);
      ++kills;
      if (down_after > down_before) ++talking;
    } else {
      if (!killed) {
        const double took = seconds_since(start);
        shortest = std::min(shortest, took);
        longest = std::max(longest, took);
        window_s = longest;
      }
      ++finished;
      INFO("a round that ended before its kill: " << p.stderr_text());
      CHECK(st.exited);
      CHECK(st.code == 0);
    }
  }
  REQUIRE(kills == 50);
  // Kills must keep hitting rounds that talk to the portal (pushed or pulled something),
  // not only rounds still starting: that is what this test is for. The first answer
  // reaches the appliance after its start and one 200 ms round trip, about half of a round
  // under sanitizers: 26 of 50 on a loaded 2-core machine. 15 keeps a margin of about
  // three standard deviations.
  CHECK_MESSAGE(talking >= 15, talking << " of 50 kills after a portal answer");
  // As the last kill left it, and after the clean round below.
  CHECK(query_ro(app.db(), "PRAGMA integrity_check") == std::vector<Row>{{"ok"}});

  proxy.set_latency(milliseconds(0));
  const json last = require_round_ok(app.sync_once());
  CHECK(query_ro(app.db(), "PRAGMA integrity_check") == std::vector<Row>{{"ok"}});
  require_converged(app, portal, made);
  MESSAGE("crash safety: " << kills << " kills in " << attempts << " rounds (" << talking
                           << " after the portal had answered a request of theirs; " << finished
                           << " rounds ended before their kill; rounds let finish took " << shortest
                           << ".." << longest << " s), " << made.size() << " events made ("
                           << topped_up
                           << " headless sessions), all on the portal once; the last round "
                           << "pushed " << last["pushed"] << " (" << last["duplicates"]
                           << " duplicates); " << seconds_since(t0) << " s");
  CHECK(server.stop().code == 0);
}

// ---- 4. TLS ---------------------------------------------------------------------------

namespace {

void nothing_written(const Appliance &a) {
  CHECK_FALSE(file_exists(a.data() + "/device.key"));
  if (file_exists(a.db())) {
    CHECK(int_ro(a.db(), "SELECT count(*) FROM settings WHERE key = 'portal_url'") == 0);
    CHECK(int_ro(a.db(), "SELECT count(*) FROM stands") == 0);
    CHECK(int_ro(a.db(), "SELECT count(*) FROM orders") == 0);
    CHECK(int_ro(a.db(), "SELECT count(*) FROM portal_keys") == 0);
  }
}

// The error's detail (for the reason OpenSSL gave).
std::string refused_with(const RunResult &r, const std::string &error) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.status.exited);
  CHECK(r.status.code == 1);
  const std::vector<std::string> lines = split_lines(r.out);
  REQUIRE_FALSE(lines.empty());
  const json j = json::parse(lines.back());
  CHECK(j["ok"] == false);
  CHECK(j["error"] == error);
  return j.value("detail", "");
}

}  // namespace

TEST_CASE(
    "TLS: the portal's private CA is trusted only when given, a certificate for another "
    "name and plain http away from loopback are refused") {
  const auto t0 = SteadyClock::now();
  TempDir tmp;
  const TestCa ca = make_test_ca(tmp.path() / "ca");
  Portal portal(tmp.file("portal"));
  portal.demo(40);
  auto server = std::make_unique<PortalServer>(
      portal, std::vector<std::string>{"--tls-cert", ca.server_cert, "--tls-key", ca.server_key});
  INFO("portal: " << server->output());
  REQUIRE(server->listening());
  REQUIRE(server->url().rfind("https://127.0.0.1:", 0) == 0);
  // TLS passes through the proxy untouched; it lets the portal behind the same address
  // change its certificate later.
  auto started = FaultProxy::start(server->port(), 4);
  REQUIRE(started.ok());
  FaultProxy &proxy = **started;
  const std::string url = "https://127.0.0.1:" + std::to_string(proxy.port());
  const std::string code = portal.enrol_code(kStand);

  // Without the CA: tls_untrusted, nothing written, and the code is not spent.
  Appliance untrusting(tmp.path() / "untrusting");
  CHECK(refused_with(untrusting.enrol(url, code), "tls_untrusted").find("issuer") !=
        std::string::npos);
  nothing_written(untrusting);

  // With it: enrolled with that same code, and a round completes.
  Appliance trusting(tmp.path() / "trusting",
                     "enabled = false\nca_file = \"" + ca.ca_cert + "\"\n");
  require_enrolled(trusting.enrol(url, code, {"--ca-file", ca.ca_cert}));
  require_round_ok(trusting.sync_once());
  require_same_orders(trusting, portal);
  // The same appliance without the CA in its config does not trust the portal any more.
  trusting.write_config("enabled = false\n");
  {
    const Appliance::SyncRun s = trusting.sync_once();
    CHECK(s.run.status.code == 1);
    CHECK(s.report["error"] == "tls_untrusted");
    CHECK(s.report["link"] == "offline");
  }
  trusting.write_config("enabled = false\nca_file = \"" + ca.ca_cert + "\"\n");

  // A certificate from the same CA, for another name, behind the same address.
  CHECK(server->stop().code == 0);
  server = std::make_unique<PortalServer>(
      portal, std::vector<std::string>{"--tls-cert", ca.other_cert, "--tls-key", ca.other_key});
  REQUIRE(server->listening());
  proxy.set_upstream(server->port());
  {
    const auto before = cache_snapshot(trusting.db());
    const Appliance::SyncRun s = trusting.sync_once();
    INFO(s.run.out << s.run.err);
    CHECK(s.run.status.code == 1);
    CHECK(s.report["error"] == "tls_untrusted");
    CHECK(s.report["detail"].get<std::string>().find("subject name") != std::string::npos);
    CHECK(s.report["link"] == "offline");
    CHECK(cache_snapshot(trusting.db()) == before);
  }
  Appliance misnamed(tmp.path() / "misnamed");
  // Refused for its name (OpenSSL says so), not for its issuer: the CA was given.
  CHECK(refused_with(misnamed.enrol(url, portal.enrol_code(kStand), {"--ca-file", ca.ca_cert}),
                     "tls_untrusted")
            .find("subject name") != std::string::npos);
  nothing_written(misnamed);
  CHECK(portal.admin_ok({"devices", "list"}).find("dev-2") == std::string::npos);

  // Plain http to an address that is not loopback: refused before any connection, at once.
  Appliance far(tmp.path() / "far", "connect_timeout_s = 2\n");
  {
    const auto start = SteadyClock::now();
    refused_with(far.enrol("http://192.0.2.1:1", "AAAA-AAAA-AAAA"), "insecure_url");
    CHECK(seconds_since(start) < 10.0);
    nothing_written(far);
    // The same with --insecure does try to connect (and finds nobody).
    const RunResult r = far.enrol("http://192.0.2.1:1", "AAAA-AAAA-AAAA", {"--insecure"});
    const json j = json::parse(split_lines(r.out).back());
    CHECK(j["error"] != "insecure_url");
    CHECK(j["error"] == "offline");
    nothing_written(far);
  }
  CHECK(server->stop().code == 0);
  MESSAGE("TLS: " << seconds_since(t0) << " s");
}

}  // namespace comptoir::test
