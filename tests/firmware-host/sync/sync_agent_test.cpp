// The sync agent against a fake portal on loopback (cpp-httplib) that checks every
// request's signature and clock: the order of a round (push, then pull), acknowledgements,
// malformed answers, clock skew, expired cursors, refusals, backoff, the thread, stop();
// and against the real comptoir-portal. The device's credentials file too.
#include "sync/sync_agent.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "db/database.hpp"
#include "db/handover_ledger.hpp"
#include "db/order_cache.hpp"
#include "db/sync_store.hpp"
#include "pickup/pickup_service.hpp"
#include "runtime/uuid.hpp"
#include "sync/device_auth.hpp"
#include "sync/enrolment.hpp"
#include "sync/http_client.hpp"
#include "sync/sync_commands.hpp"
#include "sync/wire.hpp"
#include "test_server.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::sync {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr std::int64_t kNowMs = 1'763'900'000'000;
constexpr std::int64_t kNowS = kNowMs / 1000;
constexpr std::int64_t kDayMs = 86'400'000;

wire::Order order(std::int64_t id, std::string customer = "Marie D.") {
  wire::Order o;
  o.id = id;
  o.number = "C-" + std::to_string(id);
  o.stand_id = 1;
  o.customer = std::move(customer);
  o.status = wire::OrderStatus::ready;
  o.pickup_from = kNowS - 3600;
  o.pickup_until = kNowS + 3600;
  o.paid_cents = 780;
  o.short_code = id * 7919 + 13;
  o.lines = {{1, 1000, 2000, 780}};
  return o;
}

wire::ChangesPage page(std::string cursor, bool more, std::vector<wire::Order> orders) {
  wire::ChangesPage p;
  p.cursor = std::move(cursor);
  p.more = more;
  p.portal_time_ms = kNowMs;
  p.stands = {{1, "La Ferme du Bois Joli", "Saint-Affrique"}};
  p.products = {{1000, 1, "Œufs fermiers", "pièce", false}};
  p.orders = std::move(orders);
  return p;
}

void json_error(httplib::Response &res, int status, const std::string &code,
                std::optional<std::int64_t> portal_time = std::nullopt) {
  res.status = status;
  res.set_content(wire::to_json(wire::ErrorBody{code, "test portal: " + code, portal_time}),
                  "application/json");
}

// A portal that serves pages by cursor and acknowledges pushes, checking each request's
// signature (by the device key) and timestamp (against its own clock) as the real one does.
// Tests replace the behaviour they are about.
class FakePortal {
 public:
  explicit FakePortal(const codes::PublicKey &device_key) : device_key_(device_key) {
    server.http().Post("/api/v1/events",
                       [this](const httplib::Request &req, httplib::Response &res) {
                         if (!admit(req, res)) return;
                         auto push = wire::parse_push_request(req.body);
                         if (!push) return json_error(res, 400, "bad_request");
                         std::lock_guard lock(mutex);
                         pushed_batches.push_back(push->events.size());
                         if (on_push) return on_push(*push, res);
                         wire::PushResponse answer;
                         answer.portal_time_ms = portal_time_ms;
                         for (const auto &e : push->events)
                           answer.acks.push_back({e.uuid, false, {}});
                         res.set_content(wire::to_json(answer), "application/json");
                       });
    server.http().Get("/api/v1/changes",
                      [this](const httplib::Request &req, httplib::Response &res) {
                        if (!admit(req, res)) return;
                        const std::string cursor = req.get_param_value("cursor");
                        std::lock_guard lock(mutex);
                        if (on_changes) return on_changes(cursor, res);
                        const auto it = pages.find(cursor);
                        if (it == pages.end()) return json_error(res, 410, "cursor_expired");
                        res.set_content(it->second, "application/json");
                      });
    server.start();
  }

  test::TestServer server;
  std::mutex mutex;                          // over what follows
  std::map<std::string, std::string> pages;  // cursor -> the page's JSON
  std::function<void(const wire::PushRequest &, httplib::Response &)> on_push;
  std::function<void(const std::string &, httplib::Response &)> on_changes;
  std::vector<std::size_t> pushed_batches;
  std::int64_t portal_time_ms = kNowMs;
  int bad_signatures = 0;
  int skewed = 0;

  void set_page(const std::string &cursor, const wire::ChangesPage &p) {
    std::lock_guard lock(mutex);
    pages[cursor] = wire::to_json(p);
  }
  // Method and target of every request, in order.
  std::vector<std::string> requests() const {
    std::vector<std::string> out;
    for (const auto &s : server.seen()) out.push_back(s.method + " " + s.target);
    return out;
  }

 private:
  bool admit(const httplib::Request &req, httplib::Response &res) {
    const auto auth = wire::parse_authorization(req.get_header_value("Authorization"));
    std::lock_guard lock(mutex);
    if (!auth || !wire::verify_request(device_key_, *auth, req.method, req.target, req.body)) {
      ++bad_signatures;
      json_error(res, 401, "unauthenticated");
      return false;
    }
    if (std::llabs(auth->timestamp_ms - portal_time_ms) > wire::kMaxClockSkewMs) {
      ++skewed;
      json_error(res, 401, "clock_skew", portal_time_ms);
      return false;
    }
    return true;
  }

  codes::PublicKey device_key_;
};

struct Fixture {
  Fixture() : portal(credentials_key().public_key) {
    auto opened = db::Database::open(dir.file("comptoir.db"));
    REQUIRE(opened.ok());
    db = std::move(*opened);
    credentials.portal_url = portal.server.url();
    credentials.device_id = "dev-1";
    credentials.key = credentials_key();
    settings.stall_s = 5;
    settings.connect_timeout_s = 5;
  }

  static const codes::KeyPair &credentials_key() {
    static const codes::KeyPair key = codes::generate_key_pair();
    return key;
  }

  std::unique_ptr<SyncAgent> agent() {
    auto a = SyncAgent::create(db->path(), credentials, settings, clock);
    REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : a.error().detail));
    return std::move(*a);
  }

  std::vector<std::string> add_events(int n, std::int64_t first_order = 100001) {
    db::HandoverLedger ledger(db->connection());
    std::vector<std::string> uuids;
    for (int i = 0; i < n; ++i) {
      db::HandoverEvent e;
      e.uuid = make_uuid_v7(kNowMs + i);
      e.order_id = first_order + i;
      e.kind = db::EventKind::full;
      e.staff = "Élodie";
      e.device = "dev-1";
      e.wall_ms = kNowMs + i;
      e.mono_ns = 1'000'000 + i;
      REQUIRE(ledger.append(e).ok());
      uuids.push_back(e.uuid);
    }
    return uuids;
  }

  std::int64_t outbox() { return db::HandoverLedger(db->connection()).outbox_size().value(); }

  std::string state(const char *key) {
    auto v = db::SyncStore(db->connection()).state(key);
    REQUIRE(v.ok());
    return v->value_or("<none>");
  }

  std::optional<db::Order> cached(std::int64_t id) {
    auto o = db::OrderCache(db->connection()).find_by_id(id);
    REQUIRE(o.ok());
    return *o;
  }

  test::TempDir dir;
  FakePortal portal;
  std::unique_ptr<db::Database> db;
  ManualClock clock{kNowMs};
  Credentials credentials;
  SyncSettings settings;
};

bool wait_until(const std::function<bool()> &condition, Ms timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!condition()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(Ms(10));
  }
  return true;
}

}  // namespace

TEST_CASE("a round pushes the outbox first, then pulls every page, all signed") {
  Fixture f;
  f.add_events(3);
  f.portal.set_page("", page("c1", true, {order(100001), order(100002)}));
  f.portal.set_page("c1", page("c2", false, {order(100003)}));
  const SyncReport r = f.agent()->sync_once();
  REQUIRE_MESSAGE(r.ok, r.error.detail);
  CHECK(r.complete);
  CHECK(r.pushed == 3);
  CHECK(r.duplicates == 0);
  CHECK(r.pages == 2);
  CHECK(r.orders == 3);
  CHECK(r.bytes_sent > 0);
  CHECK(r.bytes_received > 0);
  CHECK(f.portal.requests() == std::vector<std::string>{"POST /api/v1/events",
                                                        "GET /api/v1/changes?cursor=&limit=500",
                                                        "GET /api/v1/changes?cursor=c1&limit=500"});
  CHECK(f.portal.bad_signatures == 0);
  CHECK(f.portal.server.seen()[0].content_encoding == "gzip");
  CHECK(f.outbox() == 0);
  REQUIRE(f.cached(100003));
  CHECK(f.cached(100003)->customer == "Marie D.");
  CHECK(f.state(db::sync_key::kCursor) == "c2");
  CHECK(f.state(db::sync_key::kLink) == "online");
  CHECK(f.state(db::sync_key::kLastPullMs) == std::to_string(kNowMs));
  CHECK(f.state(db::sync_key::kLastPushMs) == std::to_string(kNowMs));
  CHECK(f.state(db::sync_key::kLastAttemptMs) == std::to_string(kNowMs));
  CHECK(f.state(db::sync_key::kLastError).empty());
}

TEST_CASE("only acknowledged events leave the outbox, a stray ack is reported, the others apply") {
  Fixture f;
  const auto uuids = f.add_events(3);
  f.portal.set_page("", page("c1", false, {}));
  f.portal.on_push = [&](const wire::PushRequest &push, httplib::Response &res) {
    wire::PushResponse answer;
    for (std::size_t i = 0; i < 2; ++i) answer.acks.push_back({push.events[i].uuid, false, {}});
    res.set_content(wire::to_json(answer), "application/json");
  };
  auto agent = f.agent();
  SyncReport r = agent->sync_once();
  REQUIRE_MESSAGE(r.ok, r.error.detail);
  CHECK(r.pushed == 2);
  CHECK(f.outbox() == 1);
  auto left = db::SyncStore(f.db->connection()).outbox_batch(10);
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK(left->front().uuid == uuids[2]);

  // The portal acknowledges the one left and a uuid it was never sent: the ack of what was
  // sent is applied, the stray one reported, and the pull still runs.
  const auto late = f.add_events(1, 200001);
  const std::size_t before = f.portal.server.seen_count();
  f.portal.on_push = [&](const wire::PushRequest &push, httplib::Response &res) {
    wire::PushResponse answer;
    answer.acks.push_back({push.events[0].uuid, false, {}});
    answer.acks.push_back({make_uuid_v7(kNowMs - 5), false, {}});
    res.set_content(wire::to_json(answer), "application/json");
  };
  f.portal.set_page("c1", page("c2", false, {order(100009)}));
  r = agent->sync_once();
  CHECK_FALSE(r.ok);
  CHECK(r.error.code == "portal_invalid");
  CHECK(r.error.detail.find("not in the batch sent") != std::string::npos);
  CHECK(r.pushed == 1);
  CHECK(f.outbox() == 1);
  left = db::SyncStore(f.db->connection()).outbox_batch(10);
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK(left->front().uuid == late[0]);
  // The pull ran after the push: the order came and the cursor moved.
  CHECK(f.portal.server.seen_count() == before + 2);
  CHECK(r.complete);
  CHECK(f.cached(100009));
  CHECK(f.state(db::sync_key::kCursor) == "c2");
  CHECK(f.state(db::sync_key::kLastError) == "portal_invalid");
  CHECK(f.state(db::sync_key::kLink) == "online");
}

TEST_CASE("a push the portal fails (5xx) still lets the round pull, and reports the failure") {
  Fixture f;
  f.add_events(2);
  f.portal.set_page("", page("c1", false, {order(100001)}));
  f.portal.on_push = [](const wire::PushRequest &, httplib::Response &res) {
    json_error(res, 500, "internal");
  };
  const SyncReport r = f.agent()->sync_once();
  CHECK_FALSE(r.ok);
  CHECK(r.error.code == "portal_error");
  CHECK(r.complete);
  CHECK(r.pages == 1);
  CHECK(f.outbox() == 2);
  CHECK(f.cached(100001));
  CHECK(f.state(db::sync_key::kCursor) == "c1");
  CHECK(f.state(db::sync_key::kLastError) == "portal_error");
  CHECK(f.portal.requests() ==
        std::vector<std::string>{"POST /api/v1/events", "GET /api/v1/changes?cursor=&limit=500"});
}

TEST_CASE("a batch refused with 400 is split to find the event refused, which waits alone") {
  Fixture f;
  f.settings.push_batch = 4;
  const auto uuids = f.add_events(5);
  f.portal.set_page("", page("c1", false, {}));
  std::set<std::string> refuse = {uuids[1]};
  f.portal.on_push = [&](const wire::PushRequest &push, httplib::Response &res) {
    for (const auto &e : push.events) {
      if (refuse.count(e.uuid) != 0) return json_error(res, 400, "bad_request");
    }
    wire::PushResponse answer;
    for (const auto &e : push.events) answer.acks.push_back({e.uuid, false, {}});
    res.set_content(wire::to_json(answer), "application/json");
  };
  auto agent = f.agent();
  SyncReport r = agent->sync_once();
  CHECK_FALSE(r.ok);
  CHECK(r.error.code == "portal_error");
  CHECK(r.error.detail.find(uuids[1]) != std::string::npos);
  CHECK(r.error.detail.find("bad_request") != std::string::npos);
  CHECK(r.pushed == 4);
  CHECK(r.complete);  // the pull ran
  // 4 refused, then halves: {0,1} refused, {0} taken, {1} refused alone, {2,3} taken; the
  // next batch skips event 1: {4}.
  CHECK(f.portal.pushed_batches == std::vector<std::size_t>{4, 2, 1, 1, 2, 1});
  auto left = db::SyncStore(f.db->connection()).outbox_batch(10);
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK(left->front().uuid == uuids[1]);
  CHECK(f.state(db::sync_key::kLastError) == "portal_error");

  // Two refused among new events: each found, the others go; the row stays until acked.
  const auto more = f.add_events(4, 300001);
  refuse.insert(more[2]);
  r = agent->sync_once();
  CHECK(r.error.code == "portal_error");
  CHECK(r.pushed == 3);
  CHECK(f.outbox() == 2);

  // A portal refusing every push: a few events are singled out, then the push stops for the
  // round (not two requests an event) and the pull still runs.
  f.add_events(40, 400001);
  const std::size_t before = f.portal.pushed_batches.size();
  f.portal.on_push = [](const wire::PushRequest &, httplib::Response &res) {
    json_error(res, 400, "bad_request");
  };
  r = agent->sync_once();
  CHECK(r.error.code == "portal_error");
  CHECK(r.pushed == 0);
  CHECK(r.complete);
  CHECK(f.outbox() == 42);
  CHECK(f.portal.pushed_batches.size() - before < 40);
  MESSAGE("a portal refusing everything got " << f.portal.pushed_batches.size() - before
                                              << " pushes for 42 events");
  f.portal.on_push = nullptr;

  // The portal takes them at last: the outbox empties, the round is fine.
  refuse.clear();
  r = agent->sync_once();
  REQUIRE_MESSAGE(r.ok, r.error.detail);
  CHECK(r.pushed == 42);
  CHECK(f.outbox() == 0);
}

TEST_CASE("the outbox goes in batches of push_batch, and conflicts and duplicates are counted") {
  Fixture f;
  f.settings.push_batch = 2;
  const auto uuids = f.add_events(5);
  f.portal.set_page("", page("c1", false, {}));
  f.portal.on_push = [&](const wire::PushRequest &push, httplib::Response &res) {
    wire::PushResponse answer;
    for (const auto &e : push.events) {
      wire::EventAck ack{e.uuid, false, {}};
      if (e.uuid == uuids[1]) {
        ack.conflicts = {wire::Conflict::cancelled, wire::Conflict::collected_elsewhere};
      }
      if (e.uuid == uuids[4]) ack.duplicate = true;
      answer.acks.push_back(ack);
    }
    res.set_content(wire::to_json(answer), "application/json");
  };
  const SyncReport r = f.agent()->sync_once();
  REQUIRE_MESSAGE(r.ok, r.error.detail);
  CHECK(f.portal.pushed_batches == std::vector<std::size_t>{2, 2, 1});
  CHECK(r.pushed == 5);
  CHECK(r.duplicates == 1);
  CHECK(r.conflicts == 1);
  CHECK(f.outbox() == 0);
  db::SyncStore store(f.db->connection());
  CHECK(store.conflict_count().value() == 1);
  auto conflicts = store.conflicts(10);
  REQUIRE(conflicts.ok());
  REQUIRE(conflicts->size() == 1);
  CHECK(conflicts->front().event_uuid == uuids[1]);
  CHECK(conflicts->front().conflicts == "cancelled,collected_elsewhere");
}

TEST_CASE("a malformed answer leaves the cache and the cursor as they were") {
  Fixture f;
  f.portal.set_page("", page("c1", false, {order(100001, "Marie D.")}));
  auto agent = f.agent();
  REQUIRE(agent->sync_once().ok);
  REQUIRE(f.state(db::sync_key::kCursor) == "c1");

  // A page whose second order is invalid (a line of quantity 0): none of it is applied.
  wire::ChangesPage bad = page("c2", false, {order(100001, "Renamed"), order(100002)});
  std::string text = wire::to_json(bad);
  const std::string good_line = "[1,1000,2000,780]";
  const auto last = text.rfind(good_line);
  REQUIRE(last != std::string::npos);
  text.replace(last, good_line.size(), "[1,1000,0,780]");
  const std::vector<std::string> answers = {
      text,
      "{\"cursor\": \"c2\", \"more\": false, \"orders\": [",                   // cut short
      wire::to_json(page("c2", false, {order(100001, "Renamed")})).substr(1),  // not an object
  };
  for (const auto &answer : answers) {
    CAPTURE(answer.substr(0, 60));
    {
      std::lock_guard lock(f.portal.mutex);
      f.portal.pages["c1"] = answer;
    }
    const SyncReport r = agent->sync_once();
    CHECK_FALSE(r.ok);
    CHECK(r.error.code == "portal_invalid");
    CHECK(r.pages == 0);
    CHECK(f.state(db::sync_key::kCursor) == "c1");
    CHECK(f.cached(100001)->customer == "Marie D.");
    CHECK_FALSE(f.cached(100002));
    CHECK(f.state(db::sync_key::kLastError) == "portal_invalid");
    CHECK(f.state(db::sync_key::kLink) == "online");
  }

  // A page whose line names a product nobody sent: inconsistent, refused whole too.
  wire::ChangesPage orphan = page("c2", false, {order(100003)});
  orphan.products.clear();
  orphan.orders[0].lines[0].product_id = 4242;
  f.portal.set_page("c1", orphan);
  const SyncReport r = agent->sync_once();
  CHECK(r.error.code == "portal_invalid");
  CHECK_FALSE(f.cached(100003));
  CHECK(f.state(db::sync_key::kCursor) == "c1");

  // "more" with the same cursor would loop for ever: refused.
  f.portal.set_page("c1", page("c1", true, {}));
  CHECK(agent->sync_once().error.code == "portal_invalid");
}

TEST_CASE("clock skew: the portal's time is kept and the request signed again, once") {
  Fixture f;
  f.portal.portal_time_ms = kNowMs + 10 * 60'000;  // our clock is 10 minutes slow
  f.portal.set_page("", page("c1", false, {order(100001)}));
  const SyncReport r = f.agent()->sync_once();
  REQUIRE_MESSAGE(r.ok, r.error.detail);
  CHECK(f.portal.skewed == 1);
  CHECK(f.portal.requests().size() == 2);  // refused once, then accepted
  CHECK(f.state(db::sync_key::kClockOffsetMs) == std::to_string(10 * 60'000));

  // A new agent (a restart) signs with the kept offset at once.
  f.portal.set_page("c1", page("c2", false, {}));
  REQUIRE(f.agent()->sync_once().ok);
  CHECK(f.portal.skewed == 1);
  CHECK(f.portal.requests().size() == 3);

  // A portal that keeps saying so is asked twice, not more.
  f.portal.on_changes = [&](const std::string &, httplib::Response &res) {
    json_error(res, 401, "clock_skew", kNowMs + 3'600'000);
  };
  const SyncReport refused = f.agent()->sync_once();
  CHECK(refused.error.code == "portal_refused");
  CHECK(refused.error.detail.find("date and time") != std::string::npos);
  CHECK(f.portal.requests().size() == 5);
}

TEST_CASE("an expired cursor: the pull starts again from the start, once a round") {
  Fixture f;
  REQUIRE(db::SyncStore(f.db->connection()).set_state(db::sync_key::kCursor, "s/old 1").ok());
  f.portal.set_page("", page("c9", false, {order(100001)}));
  auto agent = f.agent();
  const SyncReport r = agent->sync_once();
  REQUIRE_MESSAGE(r.ok, r.error.detail);
  CHECK(f.portal.requests() ==
        std::vector<std::string>{"GET /api/v1/changes?cursor=s%2Fold%201&limit=500",
                                 "GET /api/v1/changes?cursor=&limit=500"});
  CHECK(f.state(db::sync_key::kCursor) == "c9");
  CHECK(f.cached(100001));

  // Expired again at once: not a third time in the same round.
  f.portal.on_changes = [](const std::string &, httplib::Response &res) {
    json_error(res, 410, "cursor_expired");
  };
  const SyncReport again = agent->sync_once();
  CHECK(again.error.code == "portal_error");
  CHECK(f.portal.requests().size() == 4);
}

TEST_CASE("a refusal keeps the events, and a busy portal's Retry-After is the least wait") {
  Fixture f;
  f.add_events(2);
  f.portal.on_push = [](const wire::PushRequest &, httplib::Response &res) {
    json_error(res, 403, "device_revoked");
  };
  auto agent = f.agent();
  SyncReport r = agent->sync_once();
  CHECK(r.error.code == "portal_refused");
  CHECK(r.error.detail.find("device_revoked") != std::string::npos);
  CHECK(r.reached);
  CHECK(f.outbox() == 2);
  CHECK(f.state(db::sync_key::kLink) == "online");
  CHECK(f.state(db::sync_key::kLastError) == "portal_refused");

  f.portal.on_push = [](const wire::PushRequest &, httplib::Response &res) {
    res.set_header("Retry-After", "30");
    json_error(res, 503, "busy");
  };
  r = agent->sync_once();
  CHECK(r.error.code == "portal_error");
  CHECK(r.retry_after_ms == 30'000);
  // Asked to wait: the round ends there, no pull.
  CHECK(f.portal.requests().back() == "POST /api/v1/events");
  CHECK(f.outbox() == 2);

  // The thread waits at least that long before its next round.
  std::atomic<int> rounds{0};
  agent->start([&] { ++rounds; });
  REQUIRE(wait_until([&] { return rounds.load() >= 1; }, Ms(10'000)));
  CHECK(agent->next_delay_ms() >= 30'000);
  CHECK(agent->last_report().error.code == "portal_error");
  agent->stop();
}

TEST_CASE("an unreachable portal: offline, said in sync_state") {
  Fixture f;
  const std::string url = f.portal.server.url();
  f.portal.server.stop();  // nothing listens there any more
  f.add_events(1);
  const SyncReport r = f.agent()->sync_once();
  CHECK(r.error.code == "offline");
  CHECK(r.error.detail.find(url) != std::string::npos);
  CHECK_FALSE(r.reached);
  CHECK(f.outbox() == 1);
  CHECK(f.state(db::sync_key::kLink) == "offline");
  CHECK(f.state(db::sync_key::kLastError) == "offline");
  CHECK(f.state(db::sync_key::kLastAttemptMs) == std::to_string(kNowMs));
  CHECK(f.state(db::sync_key::kLastErrorDetail).find(url) != std::string::npos);
}

TEST_CASE("backoff is full jitter under min(cap, base * 2^failures)") {
  SyncSettings s;  // base 2 s, cap 300 s
  std::mt19937_64 rng(42);
  for (int failures = 1; failures <= 10; ++failures) {
    CAPTURE(failures);
    const std::int64_t ceiling = std::min<std::int64_t>(300'000, 2000LL << failures);
    std::int64_t lowest = ceiling;
    std::int64_t highest = 0;
    double sum = 0;
    constexpr int kDraws = 4000;
    for (int i = 0; i < kDraws; ++i) {
      const std::int64_t d = backoff_delay_ms(failures, s, rng);
      REQUIRE(d >= 0);
      REQUIRE(d <= ceiling);
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
      sum += static_cast<double>(d);
    }
    // Spread over the whole range, averaging half of it: not a fixed or capped delay.
    CHECK(lowest < ceiling / 50);
    CHECK(highest > ceiling * 49 / 50);
    CHECK(sum / kDraws == doctest::Approx(static_cast<double>(ceiling) / 2).epsilon(0.05));
  }
  s.backoff_cap_s = 0;
  CHECK(backoff_delay_ms(3, s, rng) == 0);
}

TEST_CASE("the thread: a round at start, a handover brings the next one forward, failures retry") {
  Fixture f;
  f.settings.interval_s = 60;
  f.settings.push_delay_ms = 200;
  f.settings.backoff_base_s = 1;
  f.settings.backoff_cap_s = 2;
  f.portal.set_page("", page("c1", false, {order(100001)}));
  f.portal.set_page("c1", page("c1b", false, {}));
  f.portal.set_page("c1b", page("c1b2", false, {}));
  auto agent = f.agent();
  std::atomic<int> rounds{0};
  agent->start([&] { ++rounds; });
  REQUIRE(wait_until([&] { return rounds.load() >= 1; }, Ms(10'000)));
  CHECK(agent->last_report().ok);
  CHECK(agent->next_delay_ms() == 60'000);

  // A handover: pushed within push_delay_ms, long before the 60 s interval.
  f.add_events(1);
  const auto notified = SteadyClock::now();
  agent->notify();
  REQUIRE(wait_until([&] { return rounds.load() >= 2; }, Ms(5'000)));
  const auto took = std::chrono::duration_cast<Ms>(SteadyClock::now() - notified).count();
  CHECK(took >= 150);
  CHECK(f.outbox() == 0);
  MESSAGE("a handover reached the portal " << took << " ms after notify() (push_delay_ms 200)");

  // The portal fails: the agent tries again by itself within the backoff (at most 2 s).
  {
    std::lock_guard lock(f.portal.mutex);
    f.portal.on_changes = [](const std::string &, httplib::Response &res) {
      json_error(res, 500, "internal");
    };
  }
  f.add_events(1, 300001);
  agent->notify();
  REQUIRE(wait_until([&] { return rounds.load() >= 3; }, Ms(5'000)));
  CHECK(agent->last_report().error.code == "portal_error");
  CHECK(agent->next_delay_ms() <= 2'000);
  REQUIRE(wait_until([&] { return rounds.load() >= 4; }, Ms(5'000)));
  // Back to normal: the next round succeeds and the interval returns.
  {
    std::lock_guard lock(f.portal.mutex);
    f.portal.on_changes = nullptr;
  }
  REQUIRE(wait_until([&] { return agent->last_report().ok; }, Ms(8'000)));
  CHECK(agent->next_delay_ms() == 60'000);
  agent->stop();
}

TEST_CASE("stop() in the middle of a transfer returns within a second, recording nothing") {
  Fixture f;
  f.settings.stall_s = 30;
  f.portal.on_changes = [&](const std::string &, httplib::Response &res) {
    res.set_chunked_content_provider("application/json", [&](std::size_t, httplib::DataSink &) {
      return f.portal.server.pause(50);
    });
  };
  auto agent = f.agent();
  std::atomic<int> rounds{0};
  agent->start([&] { ++rounds; });
  REQUIRE(f.portal.server.wait_for_requests(1, Ms(10'000)));
  std::this_thread::sleep_for(Ms(200));  // the body is being waited for
  const auto start = SteadyClock::now();
  agent->stop();
  const auto took = std::chrono::duration_cast<Ms>(SteadyClock::now() - start).count();
  CHECK(took < 1000);
  MESSAGE("stop() mid-transfer took " << took << " ms");
  CHECK(rounds.load() == 0);
  CHECK(f.state(db::sync_key::kLastAttemptMs) == "<none>");
  // stop() twice, and the destructor after it, are harmless.
  agent->stop();
}

TEST_CASE("after a complete pull, customer names of orders collected long ago are purged") {
  Fixture f;
  wire::Order old = order(100001, "Jeanne Old");
  old.status = wire::OrderStatus::collected;
  old.collected_at_ms = kNowMs - 40 * kDayMs;
  wire::Order recent = order(100002, "Paul Recent");
  recent.status = wire::OrderStatus::collected;
  recent.collected_at_ms = kNowMs - 10 * kDayMs;
  f.portal.set_page("", page("c1", true, {old}));
  f.portal.set_page("c1", page("c2", false, {recent}));
  REQUIRE(f.agent()->sync_once().ok);
  CHECK(f.cached(100001)->customer.empty());
  CHECK(f.cached(100002)->customer == "Paul Recent");
}

TEST_CASE("the purge reads the portal's collection times in the portal's time") {
  Fixture f;
  constexpr std::int64_t kOffset = 2 * 3'600'000;  // the portal is 2 h ahead of us
  f.portal.portal_time_ms = kNowMs + kOffset;
  REQUIRE(db::SyncStore(f.db->connection())
              .set_state(db::sync_key::kClockOffsetMs, std::to_string(kOffset))
              .ok());
  // 30 days and 1 h ago in the portal's time: past the purge there, not in ours.
  wire::Order portal_old = order(100001, "Jeanne Portal");
  portal_old.status = wire::OrderStatus::collected;
  portal_old.collected_at_ms = kNowMs + kOffset - 30 * kDayMs - 3'600'000;
  wire::Order here = order(100002, "Paul Ledger");
  f.portal.set_page("", page("c1", false, {portal_old, here}));
  REQUIRE(f.agent()->sync_once().ok);
  // Handed over here 30 days less 1 h ago by our clock: not old enough, whatever the
  // portal's clock says.
  db::HandoverEvent e;
  e.uuid = make_uuid_v7(kNowMs - 30 * kDayMs + 3'600'000);
  e.order_id = 100002;
  e.kind = db::EventKind::full;
  e.device = "dev-1";
  e.wall_ms = kNowMs - 30 * kDayMs + 3'600'000;
  e.mono_ns = 5;
  REQUIRE(db::HandoverLedger(f.db->connection()).append(e).ok());
  f.portal.set_page("c1", page("c2", false, {}));
  const SyncReport r = f.agent()->sync_once();
  REQUIRE_MESSAGE(r.ok, r.error.detail);
  CHECK(f.cached(100001)->customer.empty());
  CHECK(f.cached(100002)->customer == "Paul Ledger");
}

TEST_CASE("enrolled but no agent: the status says offline and why, not a stale online") {
  test::TempDir dir;
  Appliance appliance;
  appliance.data_dir = dir.path().string();
  auto opened = db::Database::open(dir.file("comptoir.db"));
  REQUIRE(opened.ok());
  appliance.db = std::move(*opened);
  db::Database &database = *appliance.db;
  REQUIRE(database.set_setting(db::kSettingPortalUrl, "https://portal.example.org").ok());
  Credentials c;
  c.portal_url = "https://portal.example.org";
  c.device_id = "dev-9";
  c.key = codes::generate_key_pair();
  REQUIRE(save_credentials(appliance.data_dir, c).ok());
  // What the previous run left: its last round went well.
  REQUIRE(db::SyncStore(database.connection()).set_state(db::sync_key::kLink, "online").ok());
  ManualClock clock{kNowMs};
  PickupService service(database, clock, Identity{1, "dev-9"});
  auto status = [&] {
    auto s = service.status();
    REQUIRE(s.ok());
    return *s;
  };
  REQUIRE(status().link == SyncLink::online);

  SyncSettings settings;
  settings.enabled = false;
  std::string why;
  auto agent = make_appliance_agent(appliance, settings, clock, &why);
  REQUIRE(agent.ok());
  CHECK_FALSE(*agent);
  CHECK(status().link == SyncLink::offline);
  CHECK(status().sync_error == "sync_disabled");

  // Switched on again but the key file became readable by others: offline, and why.
  settings.enabled = true;
  const std::string key = dir.file("device.key");
  REQUIRE(::chmod(key.c_str(), 0644) == 0);
  agent = make_appliance_agent(appliance, settings, clock, &why);
  REQUIRE_FALSE(agent.ok());
  CHECK(agent.error().code == "credentials_unreadable");
  CHECK(status().link == SyncLink::offline);
  CHECK(status().sync_error == "credentials_unreadable");

  // A plain-http portal elsewhere without insecure: the agent cannot be made either.
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  REQUIRE(database.set_setting(db::kSettingPortalUrl, "http://portal.example.org").ok());
  REQUIRE(db::SyncStore(database.connection()).set_state(db::sync_key::kLink, "online").ok());
  agent = make_appliance_agent(appliance, settings, clock, &why);
  REQUIRE_FALSE(agent.ok());
  CHECK(status().link == SyncLink::offline);
  CHECK(status().sync_error == agent.error().code);
  CHECK_FALSE(status().sync_error.empty());
}

TEST_CASE("credentials: saved 0600 and read back, a too-open or damaged file refused") {
  test::TempDir dir;
  const std::string data = dir.path().string();
  CHECK_FALSE(load_credentials(data, "https://portal.example.org").value());  // never enrolled
  Credentials c;
  c.portal_url = "https://portal.example.org";
  c.device_id = "dev-7";
  c.key = codes::generate_key_pair();
  REQUIRE(save_credentials(data, c).ok());
  const std::string path = dir.file("device.key");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  auto back = load_credentials(data, c.portal_url);
  REQUIRE(back.ok());
  REQUIRE(*back);
  CHECK((*back)->device_id == "dev-7");
  CHECK((*back)->key.public_key == c.key.public_key);
  CHECK((*back)->key.secret_key == c.key.secret_key);
  CHECK((*back)->portal_url == c.portal_url);
  // A key file without the portal's URL: an enrolment cut short, not enrolled.
  CHECK_FALSE(load_credentials(data, "").value());

  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto open = load_credentials(data, c.portal_url);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().code == "credentials_unreadable");
  CHECK(open.error().detail.find("chmod 600 " + path) != std::string::npos);
  CHECK(open.error().detail.find("0644") != std::string::npos);

  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  const std::string text = test::read_file(path);
  for (const std::string &damaged :
       {std::string("{not json"), std::string(R"({"device_id":"dev-7"})"),
        // The public half of another key pair.
        text.substr(0, text.find("\"public_key\"")) + "\"public_key\": \"" +
            codes::to_hex(codes::generate_key_pair().public_key.data(), 32) + "\",\n" +
            text.substr(text.find("\"secret_key\""))}) {
    CAPTURE(damaged);
    test::write_file(path, damaged);
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    auto r = load_credentials(data, c.portal_url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "credentials_unreadable");
    CHECK(r.error().detail.find("enrol again") != std::string::npos);
  }
}

// The real reference portal: a demo region, an enrolment code, `serve` on a free port; the
// appliance enrols, pulls the region, hands an order over and pushes it.
TEST_CASE("against the real comptoir-portal: enrol, pull the region, push a handover") {
  const std::string bin = COMPTOIR_BIN_DIR "/comptoir-portal";
  REQUIRE_MESSAGE(std::filesystem::exists(bin), (bin + " is not built"));
  test::TempDir dir;
  const std::string portal_dir = dir.file("portal");
  const auto demo = test::run({bin, "demo", "--data", portal_dir, "--orders", "300"});
  REQUIRE_MESSAGE(demo.status.code == 0, demo.err);
  const auto code_out = test::run({bin, "enrol", "--data", portal_dir, "--stand", "1"});
  REQUIRE_MESSAGE(code_out.status.code == 0, code_out.err);
  std::string code;
  for (const auto &line : test::split_lines(code_out.out)) {
    if (line.rfind("code ", 0) == 0) code = line.substr(5);
  }
  REQUIRE_FALSE(code.empty());
  test::Subprocess serve({bin, "serve", "--data", portal_dir, "--listen", "127.0.0.1:0"});
  const auto listening = serve.read_line();
  REQUIRE(listening);
  const std::string prefix = "listening on ";
  REQUIRE(listening->rfind(prefix, 0) == 0);
  const std::string url = listening->substr(prefix.size());

  const std::string data = dir.file("appliance");
  std::filesystem::create_directories(data);
  auto opened = db::Database::open(data + "/comptoir.db");
  REQUIRE(opened.ok());
  auto &database = **opened;
  SystemClock clock;
  EnrolOptions options;
  options.portal_url = url;
  options.code = code;
  options.name = "test-caisse";
  auto enrolled = enrol(database, data, options, clock);
  REQUIRE_MESSAGE(enrolled.ok(), (enrolled.ok() ? "" : enrolled.error().detail));
  CHECK(enrolled->stand.id == 1);
  CHECK(enrolled->keys >= 1);

  SyncSettings settings;
  settings.page_orders = 100;  // several pages
  auto agent = SyncAgent::create(database.path(), enrolled->credentials, settings, clock);
  REQUIRE(agent.ok());
  const SyncReport first = (*agent)->sync_once();
  REQUIRE_MESSAGE(first.ok, first.error.detail);
  CHECK(first.complete);
  CHECK(first.pages >= 3);
  CHECK(first.orders == 300);
  MESSAGE("pulled 300 orders in " << first.pages << " pages: " << first.bytes_received
                                  << " bytes on the wire, " << first.duration_ms << " ms");

  // A ready order of stand 1 handed over here reaches the portal.
  PickupService service(database, clock, Identity{1, enrolled->credentials.device_id});
  db::Statement s = database.connection().prepare(
      "SELECT number FROM orders WHERE stand_id = 1 AND status = 1 AND due_cents = 0 AND "
      "pickup_from <= ?1 AND pickup_until > ?1 LIMIT 1");
  s.bind(1, clock.wall_ms() / 1000);
  REQUIRE(s.step() == SQLITE_ROW);
  const std::string number = s.text(0);
  s.reset();
  auto receipt = service.hand_over(number, {}, "Élodie");
  REQUIRE_MESSAGE(receipt.ok(), (receipt.ok() ? "" : receipt.error().detail));
  const SyncReport second = (*agent)->sync_once();
  REQUIRE_MESSAGE(second.ok, second.error.detail);
  CHECK(second.pushed == 1);
  CHECK(second.conflicts == 0);
  CHECK(db::HandoverLedger(database.connection()).outbox_size().value() == 0);
  const auto events = test::run({bin, "events", "--data", portal_dir, "--order", number});
  CHECK(events.status.code == 0);
  CHECK(events.out.find(receipt->event_id) != std::string::npos);
  serve.kill(SIGTERM);
  serve.wait();
}

// The agent in a long-running process: `comptoir --headless` on an enrolled data directory
// syncs at start, pushes a handover within push_delay_ms, and ends promptly on SIGTERM even
// while a transfer hangs.
TEST_CASE("comptoir --headless syncs by itself and stops at once on SIGTERM mid-transfer") {
  const std::string comptoir = COMPTOIR_BIN_DIR "/comptoir";
  test::TempDir dir;
  const std::string data = dir.file("data");
  const std::string config = dir.file("comptoir.toml");
  test::write_file(config, "[sync]\nstall_s = 60\npush_delay_ms = 300\n");
  test::TestServer portal;
  std::atomic<bool> stall{false};
  wire::EnrolResponse yes;
  yes.device_id = "dev-9";
  yes.portal_name = "Portail de test";
  yes.stands = {{1, "La Ferme du Bois Joli", "Saint-Affrique"}};
  yes.portal_time_ms = SystemClock().wall_ms();
  const std::int64_t now_s = yes.portal_time_ms / 1000;
  std::vector<wire::Order> orders = {order(100001), order(100002)};
  for (auto &o : orders) {
    o.pickup_from = now_s - 3600;
    o.pickup_until = now_s + 3600;
  }
  wire::ChangesPage first = page("c1", false, orders);
  std::mutex mutex;
  std::vector<std::string> pushed;  // event uuids, as the portal got them
  portal.http().Post("/api/v1/enrol", [&](const httplib::Request &, httplib::Response &res) {
    res.set_content(wire::to_json(yes), "application/json");
  });
  portal.http().Get("/api/v1/changes", [&](const httplib::Request &req, httplib::Response &res) {
    if (stall.load()) {
      res.set_chunked_content_provider(
          "application/json", [&](std::size_t, httplib::DataSink &) { return portal.pause(50); });
      return;
    }
    res.set_content(
        wire::to_json(req.get_param_value("cursor").empty() ? first : page("c1", false, {})),
        "application/json");
  });
  portal.http().Post("/api/v1/events", [&](const httplib::Request &req, httplib::Response &res) {
    auto push = wire::parse_push_request(req.body);
    REQUIRE(push.ok());
    wire::PushResponse answer;
    std::lock_guard lock(mutex);
    for (const auto &e : push->events) {
      pushed.push_back(e.uuid);
      answer.acks.push_back({e.uuid, false, {}});
    }
    res.set_content(wire::to_json(answer), "application/json");
  });
  portal.start();
  const auto enrolled = test::run({comptoir, "enrol", "--portal", portal.url(), "--code",
                                   "K7QM-9X2D-F3A4", "--data", data, "--config", config});
  REQUIRE_MESSAGE(enrolled.status.code == 0, enrolled.err);

  const std::size_t before = portal.seen_count();
  test::Subprocess headless({comptoir, "--headless", "--data", data, "--config", config,
                             "--no-scanners", "--no-sound", "--lang", "en"});
  // A round at start.
  REQUIRE(portal.wait_for_requests(before + 1, Ms(20'000)));
  REQUIRE(headless.write(":handover C-100001\n"));
  const auto receipt = headless.read_line();
  REQUIRE(receipt);
  const auto j = nlohmann::json::parse(*receipt);
  REQUIRE_MESSAGE(j["type"] == "handover", *receipt);
  const std::string uuid = j.value("event_id", std::string());
  CHECK_FALSE(uuid.empty());
  const auto handed = SteadyClock::now();
  REQUIRE(wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return !pushed.empty();
      },
      Ms(10'000)));
  MESSAGE("the handover reached the portal "
          << std::chrono::duration_cast<Ms>(SteadyClock::now() - handed).count()
          << " ms after it was recorded (push_delay_ms 300)");
  {
    std::lock_guard lock(mutex);
    CHECK(pushed.size() == 1);
    CHECK(pushed.front() == uuid);
  }

  // The next round hangs on its pull; SIGTERM ends the process anyway, at once. (This
  // round's pull, after its push, was answered normally: its handler has run once seen.)
  REQUIRE(portal.wait_for_requests(before + 3, Ms(10'000)));
  stall.store(true);
  const std::size_t seen = portal.seen_count();
  REQUIRE(headless.write(":handover C-100002\n"));
  const auto second = headless.read_line();
  REQUIRE(second);
  REQUIRE_MESSAGE(nlohmann::json::parse(*second)["type"] == "handover", *second);
  REQUIRE(portal.wait_for_requests(seen + 2, Ms(10'000)));  // the push, then the pull
  std::this_thread::sleep_for(Ms(200));
  const auto start = SteadyClock::now();
  headless.kill(SIGTERM);
  const auto status = headless.wait(Ms(10'000));
  const auto took = std::chrono::duration_cast<Ms>(SteadyClock::now() - start).count();
  CHECK(status.exited);
  CHECK(status.code == 0);
  CHECK(took < 2000);
  MESSAGE("SIGTERM with a pull hanging: the process ended in " << took << " ms");
}

}  // namespace comptoir::sync
