// The desk's view of the sync (PickupService::status(): link, last attempt, conflicts,
// error) read from what the agent leaves in the cache; and handovers made from a token
// before the order was synced, reconciled when a page brings the order.
#include <doctest/doctest.h>

#include <string>

#include "codes/short_code.hpp"
#include "db/sync_store.hpp"
#include "sync/apply.hpp"
#include "tests/firmware-host/service_fixture.hpp"

namespace comptoir::test {
namespace {

DeskStatus status_of(ServiceFixture &f) {
  auto s = f.service->status();
  INFO((s ? std::string() : s.error().code + ": " + s.error().detail));
  REQUIRE(s.ok());
  return *s;
}

void set_state(ServiceFixture &f, const char *key, const std::string &value) {
  db::SyncStore store(f.database->connection());
  REQUIRE(store.set_state(key, value).ok());
}

const provisioning::DemoCode &unsynced_token(const ServiceFixture &f) {
  for (const auto &c : f.region.codes) {
    if (c.expected_verdict == "ready_unsynced") return c;
  }
  FAIL("no ready_unsynced token in the demo");
  return f.region.codes.front();
}

std::int64_t local_product(ServiceFixture &f) {
  db::Statement s = f.database->connection().prepare(
      "SELECT id FROM products WHERE stand_id = " + std::to_string(f.region.local_stand) +
      " ORDER BY id LIMIT 1");
  REQUIRE(s.valid());
  REQUIRE(s.step() == SQLITE_ROW);
  return s.int64(0);
}

}  // namespace

TEST_CASE("status: not enrolled, unknown, online, offline, from the setting and sync_state") {
  ServiceFixture f;
  DeskStatus s = status_of(f);
  // The demo cache has no portal: the appliance works alone, whatever sync_state says.
  CHECK(s.link == SyncLink::not_enrolled);
  CHECK_FALSE(s.last_attempt_ms.has_value());
  CHECK_FALSE(s.last_sync_ms.has_value());
  CHECK(s.conflicts == 0);
  CHECK(s.sync_error.empty());
  set_state(f, db::sync_key::kLink, "online");
  CHECK(status_of(f).link == SyncLink::not_enrolled);

  REQUIRE(f.database->set_setting(db::kSettingPortalUrl, "https://portail.example").ok());
  CHECK(status_of(f).link == SyncLink::online);
  set_state(f, db::sync_key::kLink, "offline");
  set_state(f, db::sync_key::kLastAttemptMs, std::to_string(kStartMs - 5'000));
  set_state(f, db::sync_key::kLastError, "stalled");
  set_state(f, db::sync_key::kLastPullMs, std::to_string(kStartMs - 3'600'000));
  s = status_of(f);
  CHECK(s.link == SyncLink::offline);
  CHECK(s.last_attempt_ms == kStartMs - 5'000);
  CHECK(s.last_sync_ms == kStartMs - 3'600'000);
  CHECK(s.sync_error == "stalled");

  // A value the agent never writes reads as unknown, not as an error.
  set_state(f, db::sync_key::kLink, "");
  set_state(f, db::sync_key::kLastAttemptMs, "soon");
  s = status_of(f);
  CHECK(s.link == SyncLink::unknown);
  CHECK_FALSE(s.last_attempt_ms.has_value());
  set_state(f, db::sync_key::kLastError, "");
  CHECK(status_of(f).sync_error.empty());

  // Enrolled in another data directory's history: no link state yet.
  ServiceFixture fresh;
  REQUIRE(fresh.database->set_setting(db::kSettingPortalUrl, "https://portail.example").ok());
  CHECK(status_of(fresh).link == SyncLink::unknown);
}

TEST_CASE("status: conflicts to review are the flagged handovers nobody reviewed") {
  ServiceFixture f;
  const auto a = f.ready_order_with_lines(1, 0);
  const auto b = f.ready_order_with_lines(1, 1);
  auto ha = f.service->hand_over(a.number, {}, "Léa");
  REQUIRE(ha.ok());
  auto hb = f.service->hand_over(b.number, {}, "Léa");
  REQUIRE(hb.ok());
  CHECK(status_of(f).events_waiting == 2);

  db::SyncStore store(f.database->connection());
  REQUIRE(store.acknowledge({{ha->event_id, "cancelled"}, {hb->event_id, ""}}, kStartMs).ok());
  DeskStatus s = status_of(f);
  CHECK(s.events_waiting == 0);
  CHECK(s.conflicts == 1);
  REQUIRE(store.mark_reviewed(ha->event_id, kStartMs + 1).ok());
  CHECK(status_of(f).conflicts == 0);
}

TEST_CASE("a token handed over before its order was synced is reconciled by the page") {
  ServiceFixture f;
  const auto &entry = unsynced_token(f);
  auto first = f.service->scan(entry.code);
  REQUIRE(first.ok());
  REQUIRE(first->kind == VerdictKind::ready_unsynced);
  const std::int64_t id = first->order->id;
  const DeskStatus before = status_of(f);
  auto handed = f.service->hand_over(entry.order_number, {}, "Léa");
  REQUIRE(handed.ok());
  CHECK(handed->order_id == id);
  const DeskStatus after_handover = status_of(f);
  // Counted today, but no order row to count as collected yet.
  CHECK(after_handover.collected_today == before.collected_today + 1);
  CHECK(after_handover.collected == before.collected);

  // The portal's page brings the order: whole, ready (the push has not reached it yet) or
  // already collected (it has), under a number and a short code of its own.
  for (const bool pushed : {false, true}) {
    CAPTURE(pushed);
    wire::Order o;
    o.id = id;
    o.number = "C-" + std::to_string(id);
    o.stand_id = f.region.local_stand;
    o.customer = "Arrivée Tardive";
    o.status = pushed ? wire::OrderStatus::collected : wire::OrderStatus::ready;
    if (pushed) {
      o.collected_at_ms = handed->wall_ms;
      o.collected_device = kDevice;
      o.collected_staff = "Léa";
    }
    const std::int64_t now_s = f.clock.wall_ms() / 1000;
    o.pickup_from = now_s - 3600;
    o.pickup_until = now_s + 3 * 3600;
    o.paid_cents = 1500;
    o.short_code = 0x2A5F3C9E71B4LL & static_cast<std::int64_t>(codes::kShortCodeMax);
    o.lines = {{1, local_product(f), 1000, 1500}};
    wire::ChangesPage page;
    page.cursor = pushed ? "after-push" : "before-push";
    page.orders = {o};
    auto applied = sync::apply_page(f.database->connection(), page, f.clock.wall_ms());
    INFO((applied ? std::string() : applied.error().code + ": " + applied.error().detail));
    REQUIRE(applied.ok());

    // status(): collected here, once, and still today's.
    const DeskStatus s = status_of(f);
    CHECK(s.collected == before.collected + 1);
    CHECK(s.ready == before.ready);
    CHECK(s.collected_today == before.collected_today + 1);

    // today(): in the collected list, with the handover's time, as collected here.
    auto day = f.service->today();
    REQUIRE(day.ok());
    const OrderListItem *listed = nullptr;
    for (const auto &item : day->collected) {
      if (item.id == id) listed = &item;
    }
    REQUIRE(listed != nullptr);
    CHECK(listed->number == o.number);
    CHECK(listed->customer == "Arrivée Tardive");
    CHECK(listed->collected);
    CHECK(listed->collected_ms == handed->wall_ms);
    CHECK(listed->kind == VerdictKind::already_collected);
    for (const auto &item : day->pending) CHECK(item.id != id);
    for (const auto &item : day->problems) CHECK(item.id != id);

    // A scan, by the token, the short code or the number: already collected, here.
    f.service->reset_double_read_filter();
    for (const std::string &code :
         {entry.code, codes::format_short_code(static_cast<std::uint64_t>(o.short_code)),
          o.number}) {
      CAPTURE(code);
      f.service->reset_double_read_filter();
      auto v = f.service->scan(code);
      REQUIRE(v.ok());
      CHECK(v->kind == VerdictKind::already_collected);
      REQUIRE(v->collected.has_value());
      CHECK(v->collected->here);
      CHECK(v->collected->wall_ms == handed->wall_ms);
      REQUIRE(v->order.has_value());
      CHECK(v->order->in_cache);
      CHECK(v->order->number == o.number);
    }
    // Handing it over again is refused, by its number and by its token's #ID.
    auto again = f.service->hand_over(o.number, {}, "Léa");
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == "not_collectable");
    auto by_id = f.service->hand_over(entry.order_number, {}, "Léa");
    REQUIRE_FALSE(by_id.ok());
    CHECK(by_id.error().code == "not_collectable");
    CHECK(f.ledger_for(id).size() == 1);
  }
}

}  // namespace comptoir::test
