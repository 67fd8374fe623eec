// The order cache: typed reads and upserts of orders, lines, stands and products.
#include "db/order_cache.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "db/handover_ledger.hpp"
#include "tests/db/db_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

struct CacheFixture {
  TempDir dir;
  std::unique_ptr<db::Database> d = open_db(dir.file("comptoir.db"));
  db::OrderCache cache{d->connection()};
  CacheFixture() { put_catalogue(cache); }

  db::Order put(const db::Order &o) {
    auto r = cache.put_order(o);
    INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
    REQUIRE(r.ok());
    return o;
  }
};

db::Order found(Result<std::optional<db::Order>> r) {
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  return std::move(**r);
}

bool absent(const Result<std::optional<db::Order>> &r) {
  return r.ok() && !r->has_value();
}

std::int64_t count_of(const std::vector<db::StatusCount> &counts, db::OrderStatus status,
                      bool here) {
  for (const auto &c : counts) {
    if (c.status == status && c.collected_here == here) return c.count;
  }
  return 0;
}

}  // namespace

TEST_CASE("an order reads back by short code with every field and its lines in order") {
  CacheFixture f;
  db::Order o = make_order(104217);
  o.customer = "Françoise M.";
  o.status = db::OrderStatus::ready;
  o.paid_cents = 1500;
  o.due_cents = 275;
  o.short_code = (std::int64_t{1} << 50) - 1;  // the largest short code
  // Lines written out of order come back by line number.
  o.lines = {{3, 12, 1000, 180, {}, {}, false},
             {1, 10, 2000, 780, {}, {}, false},
             {2, 11, 455, 1115, {}, {}, false}};
  f.put(o);

  const db::Order got = found(f.cache.find_by_short_code(o.short_code));
  CHECK(got.id == 104217);
  CHECK(got.number == "C-104217");
  CHECK(got.stand_id == 1);
  CHECK(got.customer == "Françoise M.");
  CHECK(got.status == db::OrderStatus::ready);
  CHECK(got.pickup_from == o.pickup_from);
  CHECK(got.pickup_until == o.pickup_until);
  CHECK(got.paid_cents == 1500);
  CHECK(got.due_cents == 275);
  CHECK(got.short_code == o.short_code);
  CHECK_FALSE(got.collected_at_ms.has_value());
  CHECK(got.collected_device.empty());
  CHECK(got.collected_staff.empty());

  REQUIRE(got.lines.size() == 3);
  CHECK(got.lines[0].line_no == 1);
  CHECK(got.lines[0].product_id == 10);
  CHECK(got.lines[0].product == "Œufs fermiers");
  CHECK(got.lines[0].unit == "pièce");
  CHECK(got.lines[0].quantity_milli == 2000);
  CHECK(got.lines[0].price_cents == 780);
  CHECK_FALSE(got.lines[0].variable_weight);
  CHECK(got.lines[1].line_no == 2);
  CHECK(got.lines[1].product == "Tomme de brebis");
  CHECK(got.lines[1].unit == "kg");
  CHECK(got.lines[1].quantity_milli == 455);
  CHECK(got.lines[1].variable_weight);
  CHECK(got.lines[2].line_no == 3);
  CHECK(got.lines[2].product == "Botte de radis");
  CHECK(got.lines[2].unit == "botte");

  CHECK(absent(f.cache.find_by_short_code(o.short_code - 1)));
}

TEST_CASE("find_by_number ignores case, find_by_id finds the same order") {
  CacheFixture f;
  f.put(make_order(100001));
  f.put(make_order(100002));
  for (const char *text : {"C-100001", "c-100001"}) {
    CAPTURE(text);
    const db::Order got = found(f.cache.find_by_number(text));
    CHECK(got.id == 100001);
    CHECK(got.number == "C-100001");
    CHECK(got.lines.size() == 3);
  }
  CHECK(found(f.cache.find_by_id(100002)).number == "C-100002");
  CHECK(absent(f.cache.find_by_number("C-100003")));
  CHECK(absent(f.cache.find_by_number("C-10000")));
  CHECK(absent(f.cache.find_by_number("")));
  CHECK(absent(f.cache.find_by_id(5)));
}

TEST_CASE("put_order updates the order and replaces its lines") {
  CacheFixture f;
  db::Order o = f.put(make_order(7));
  o.status = db::OrderStatus::collected;
  o.collected_at_ms = 1'760'000'000'000;
  o.collected_device = "caisse-marche-2";
  o.collected_staff = "Élodie";
  o.lines = {{1, 11, 1250, 3062, {}, {}, false}};
  f.put(o);

  const db::Order got = found(f.cache.find_by_number("C-7"));
  CHECK(got.status == db::OrderStatus::collected);
  REQUIRE(got.collected_at_ms.has_value());
  CHECK(*got.collected_at_ms == 1'760'000'000'000);
  CHECK(got.collected_device == "caisse-marche-2");
  CHECK(got.collected_staff == "Élodie");
  REQUIRE(got.lines.size() == 1);
  CHECK(got.lines[0].product == "Tomme de brebis");
  CHECK(got.lines[0].quantity_milli == 1250);

  // One order still, and only its one line.
  db::Statement s = f.d->connection().prepare("SELECT COUNT(*) FROM order_lines");
  REQUIRE(s.step() == SQLITE_ROW);
  CHECK(s.int64(0) == 1);
}

TEST_CASE("stands and products upsert and read back") {
  CacheFixture f;
  auto stand = f.cache.stand(2);
  REQUIRE(stand.ok());
  REQUIRE(stand->has_value());
  CHECK((*stand)->name == "Boulangerie Marchand");
  CHECK((*stand)->place == "Millau, 12 rue Droite");

  REQUIRE(f.cache.put_stand({2, "Boulangerie Marchand & fils", "Millau"}).ok());
  stand = f.cache.stand(2);
  REQUIRE(stand.ok());
  REQUIRE(stand->has_value());
  CHECK((*stand)->name == "Boulangerie Marchand & fils");
  CHECK((*stand)->place == "Millau");

  auto missing = f.cache.stand(99);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  // A renamed product shows its new name on existing orders' lines.
  f.put(make_order(1));
  REQUIRE(f.cache.put_product({10, 1, "Œufs bio (boîte de 6)", "boîte", false}).ok());
  CHECK(found(f.cache.find_by_id(1)).lines[0].product == "Œufs bio (boîte de 6)");
  CHECK(found(f.cache.find_by_id(1)).lines[0].unit == "boîte");
}

TEST_CASE("a line naming an unknown product is refused (foreign keys are on)") {
  CacheFixture f;
  db::Order o = make_order(1);
  o.lines.push_back({4, 999, 1000, 100, {}, {}, false});
  CHECK_FALSE(f.cache.put_order(o).ok());
}

TEST_CASE("count_by_status counts one stand's orders by portal status and local collection") {
  CacheFixture f;
  db::Transaction tx(f.d->connection());
  REQUIRE(tx.began());
  for (int i = 0; i < 5; ++i) f.put(make_order(100 + i, 1, db::OrderStatus::ready));
  for (int i = 0; i < 3; ++i) f.put(make_order(200 + i, 1, db::OrderStatus::pending));
  for (int i = 0; i < 2; ++i) f.put(make_order(300 + i, 1, db::OrderStatus::cancelled));
  f.put(make_order(400, 1, db::OrderStatus::collected));
  for (int i = 0; i < 4; ++i) f.put(make_order(500 + i, 2, db::OrderStatus::ready));
  REQUIRE(tx.commit().ok());

  auto counts = f.cache.count_by_status(1);
  REQUIRE(counts.ok());
  CHECK(count_of(*counts, db::OrderStatus::ready, false) == 5);
  CHECK(count_of(*counts, db::OrderStatus::pending, false) == 3);
  CHECK(count_of(*counts, db::OrderStatus::cancelled, false) == 2);
  CHECK(count_of(*counts, db::OrderStatus::collected, false) == 1);
  CHECK(count_of(*counts, db::OrderStatus::ready, true) == 0);

  // Local handovers: 100 full, 101 partial, 102 handed over then undone, 103 refused.
  db::HandoverLedger ledger(f.d->connection());
  REQUIRE(ledger.append(make_event("h-100", 100)).ok());
  REQUIRE(ledger.append(make_event("h-101", 101, db::EventKind::partial)).ok());
  REQUIRE(ledger.append(make_event("h-102", 102)).ok());
  db::HandoverEvent undo = make_event("u-102", 102, db::EventKind::undo);
  undo.undoes = "h-102";
  REQUIRE(ledger.append(undo).ok());
  db::HandoverEvent refused = make_event("r-103", 103, db::EventKind::refused);
  refused.reason = "absent";
  REQUIRE(ledger.append(refused).ok());
  REQUIRE(ledger.append(make_event("h-500", 500)).ok());  // the other stand's

  counts = f.cache.count_by_status(1);
  REQUIRE(counts.ok());
  CHECK(count_of(*counts, db::OrderStatus::ready, false) == 3);
  CHECK(count_of(*counts, db::OrderStatus::ready, true) == 2);
  CHECK(count_of(*counts, db::OrderStatus::pending, false) == 3);
  CHECK(count_of(*counts, db::OrderStatus::cancelled, false) == 2);
  CHECK(count_of(*counts, db::OrderStatus::collected, false) == 1);
  std::int64_t total = 0;
  for (const auto &c : *counts) total += c.count;
  CHECK(total == 11);

  auto other = f.cache.count_by_status(2);
  REQUIRE(other.ok());
  CHECK(count_of(*other, db::OrderStatus::ready, false) == 3);
  CHECK(count_of(*other, db::OrderStatus::ready, true) == 1);

  auto none = f.cache.count_by_status(3);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

}  // namespace comptoir::test
