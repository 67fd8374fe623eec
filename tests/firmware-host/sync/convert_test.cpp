// Wire values to cache records and back: an order pulled is stored as sent, and every
// event the counter can record goes out as an event the portal accepts.
#include "sync/convert.hpp"

#include <doctest/doctest.h>

#include <array>
#include <map>
#include <string>
#include <utility>

#include "db/key_store.hpp"
#include "db/order_cache.hpp"
#include "runtime/uuid.hpp"
#include "sync/demo_region.hpp"
#include "tests/firmware-host/service_fixture.hpp"

namespace comptoir::test {
namespace {

HandoverReceipt done(Result<HandoverReceipt> r) {
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return std::move(r).value();
}

void check_accepted(const wire::Event &e) {
  const auto valid = wire::validate(e, "event");
  INFO((valid ? std::string() : valid.error().detail));
  CHECK(valid.ok());
}

}  // namespace

TEST_CASE("stands, products, orders and keys go into the cache as the portal sent them") {
  TempDir dir;
  auto opened = db::Database::open(dir.file(db::Database::kFileName));
  REQUIRE(opened.ok());
  db::Database &database = **opened;
  auto region = sync::make_demo_region({40, 3, kStartMs / 1000});
  REQUIRE(region.ok());

  db::OrderCache cache(database.connection());
  for (const auto &s : region->stands) REQUIRE(cache.put_stand(sync::to_db(s)).ok());
  for (const auto &p : region->products) REQUIRE(cache.put_product(sync::to_db(p)).ok());
  for (const auto &o : region->orders) REQUIRE(cache.put_order(sync::to_db(o)).ok());
  db::KeyStore keys(database.connection());
  REQUIRE(keys.put(sync::to_db(region->portal_public)).ok());

  std::map<std::int64_t, std::string> product_names;
  for (const auto &p : region->products) product_names[p.id] = p.name;
  for (const wire::Order &sent : region->orders) {
    CAPTURE(sent.number);
    auto found = cache.find_by_number(sent.number);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    const db::Order &o = **found;
    CHECK(o.id == sent.id);
    CHECK(o.stand_id == sent.stand_id);
    CHECK(o.customer == sent.customer);
    CHECK(static_cast<int>(o.status) == static_cast<int>(sent.status));
    CHECK(o.pickup_from == sent.pickup_from);
    CHECK(o.pickup_until == sent.pickup_until);
    CHECK(o.paid_cents == sent.paid_cents);
    CHECK(o.due_cents == sent.due_cents);
    CHECK(o.short_code == sent.short_code);
    CHECK(o.collected_at_ms == sent.collected_at_ms);
    if (sent.collected_at_ms) {
      CHECK(o.collected_device == sent.collected_device);
      CHECK(o.collected_staff == sent.collected_staff);
    }
    REQUIRE(o.lines.size() == sent.lines.size());
    for (std::size_t i = 0; i < o.lines.size(); ++i) {
      CHECK(o.lines[i].line_no == sent.lines[i].line_no);
      CHECK(o.lines[i].product_id == sent.lines[i].product_id);
      CHECK(o.lines[i].quantity_milli == sent.lines[i].quantity_milli);
      CHECK(o.lines[i].price_cents == sent.lines[i].price_cents);
      CHECK(o.lines[i].product == product_names[sent.lines[i].product_id]);  // filled on read
    }
  }
  auto stored = keys.all();
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 1);
  CHECK((*stored)[0].key_id == region->portal_public.key_id);
  CHECK((*stored)[0].public_key == region->portal_public.public_key);
  CHECK((*stored)[0].valid_from == region->portal_public.valid_from_s);
  CHECK((*stored)[0].valid_until == region->portal_public.valid_until_s);
}

TEST_CASE("every status and event kind maps both ways") {
  for (const auto kind : {wire::EventKind::full, wire::EventKind::partial, wire::EventKind::refused,
                          wire::EventKind::undo}) {
    CHECK(sync::to_wire(sync::to_db(kind)) == kind);
  }
  const std::array<std::pair<wire::OrderStatus, db::OrderStatus>, 4> statuses = {{
      {wire::OrderStatus::pending, db::OrderStatus::pending},
      {wire::OrderStatus::ready, db::OrderStatus::ready},
      {wire::OrderStatus::collected, db::OrderStatus::collected},
      {wire::OrderStatus::cancelled, db::OrderStatus::cancelled},
  }};
  wire::Order o;
  for (const auto &[sent, stored] : statuses) {
    o.status = sent;
    CHECK(sync::to_db(o).status == stored);
  }
}

TEST_CASE("every event the counter records goes out as one the portal accepts") {
  ServiceFixture f;
  PickupService &service = *f.service;
  // A full handover, a partial one, a refusal, an undo of a handover.
  const db::Order full = f.ready_order_with_lines(2);
  const HandoverReceipt handed = done(service.hand_over(full.number, {}, "Élodie"));
  f.clock.advance_ms(1000);
  const db::Order partial = f.ready_order_with_lines(2, 1);
  done(service.hand_over(partial.number, {partial.lines[1].line_no}, "Élodie"));
  f.clock.advance_ms(1000);
  const HandoverReceipt undone = done(service.undo_last("Élodie"));
  f.clock.advance_ms(1000);
  const db::Order refused = f.ready_order_with_lines(1, 2);
  done(service.refuse(refused.number, "Client absent", ""));

  for (const db::Order *o : {&full, &partial, &refused}) {
    for (const db::HandoverEvent &e : f.ledger_for(o->id)) {
      CAPTURE(e.uuid);
      const wire::Event w = sync::to_wire(e);
      check_accepted(w);
      CHECK(w.uuid == e.uuid);
      CHECK(w.order_id == e.order_id);
      CHECK(w.wall_ms == e.wall_ms);
      CHECK(sync::to_db(w.kind) == e.kind);
      if (e.kind == db::EventKind::undo) {
        // The ledger repeats the undone handover's lines; the wire names only the event.
        CHECK_FALSE(e.lines_handed.empty());
        CHECK(w.lines_handed.empty());
        CHECK(w.lines_missing.empty());
        CHECK(w.undoes == undone.undone_event);
      } else {
        CHECK(w.lines_handed == e.lines_handed);
        CHECK(w.lines_missing == e.lines_missing);
      }
    }
  }
  CHECK(handed.kind == db::EventKind::full);
}

TEST_CASE("text the wire would refuse is made acceptable, never sent as is") {
  db::HandoverEvent e;
  e.uuid = make_uuid_v7(kStartMs);
  e.order_id = 100001;
  e.kind = db::EventKind::refused;
  e.reason = std::string(180, 'x') + "\x01\xC3" + std::string(40, 'y');  // long, control, cut é
  e.staff = "Jean\nPierre";
  e.device = "caisse-1";
  e.wall_ms = kStartMs;
  const wire::Event w = sync::to_wire(e);
  check_accepted(w);
  CHECK(w.reason.size() == 200);
  CHECK(w.reason.starts_with(std::string(180, 'x') + "  y"));
  CHECK(w.staff == "Jean Pierre");

  // A refusal with no reason (never made by PickupService) still goes out.
  e.reason.clear();
  check_accepted(sync::to_wire(e));

  // Reasons and undone ids belong to their own kinds only.
  e.kind = db::EventKind::full;
  e.reason = "stray";
  e.undoes = make_uuid_v7(kStartMs);
  e.lines_handed = {1, 2};
  const wire::Event full = sync::to_wire(e);
  check_accepted(full);
  CHECK(full.reason.empty());
  CHECK(full.undoes.empty());
}

}  // namespace comptoir::test
