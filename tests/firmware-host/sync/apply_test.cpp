// Applying pages of changes to a real cache: a page is applied whole or not at all, with
// its cursor; stubs of other stands still tell a customer where to go; short codes the
// portal re-issues move to their new order.
#include "sync/apply.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codes/short_code.hpp"
#include "db/database.hpp"
#include "db/key_store.hpp"
#include "db/order_cache.hpp"
#include "db/sync_store.hpp"
#include "pickup/pickup_service.hpp"
#include "runtime/clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

constexpr std::int64_t kNowMs = 1'763'900'000'000;
constexpr std::int64_t kNowS = kNowMs / 1000;

// Stands 1 (served here) and 2; products 100, 101 of stand 1 and 200 of stand 2.
wire::ChangesPage catalogue_page(std::string cursor = "c1", bool more = false) {
  wire::ChangesPage page;
  page.cursor = std::move(cursor);
  page.more = more;
  page.portal_time_ms = kNowMs;
  page.stands = {{1, "La Ferme du Bois Joli", "Saint-Affrique"},
                 {2, "Boulangerie Marchand", "Millau, 12 rue Droite"}};
  page.products = {{100, 1, "Œufs fermiers", "pièce", false},
                   {101, 1, "Tomme de brebis", "kg", true},
                   {200, 2, "Pain au levain", "pièce", false}};
  return page;
}

wire::ChangesPage orders_page(std::string cursor, bool more, std::vector<wire::Order> orders) {
  wire::ChangesPage page;
  page.cursor = std::move(cursor);
  page.more = more;
  page.portal_time_ms = kNowMs;
  page.orders = std::move(orders);
  return page;
}

// A ready order of stand 1 with two lines, or a stub (no lines, no customer) of stand 2.
wire::Order order(std::int64_t id, std::int64_t stand = 1) {
  wire::Order o;
  o.id = id;
  o.number = "C-" + std::to_string(id);
  o.stand_id = stand;
  o.status = wire::OrderStatus::ready;
  o.pickup_from = kNowS - 3600;
  o.pickup_until = kNowS + 6 * 3600;
  o.short_code = id * 7919 + 13;
  if (stand == 1) {
    o.customer = "Marie D.";
    o.paid_cents = 2150;
    o.lines = {{1, 100, 2000, 780}, {2, 101, 455, 1115}};
  }
  return o;
}

codes::PortalKey key(std::uint16_t id, unsigned char fill) {
  codes::PortalKey k;
  k.key_id = id;
  k.public_key.fill(fill);
  k.valid_from_s = kNowS - 86400;
  k.valid_until_s = kNowS + 86400;
  return k;
}

struct CacheFixture {
  TempDir dir;
  std::unique_ptr<db::Database> d;

  CacheFixture() {
    auto opened = db::Database::open(dir.file(db::Database::kFileName));
    REQUIRE(opened.ok());
    d = std::move(opened).value();
  }
  db::Connection &conn() { return d->connection(); }

  sync::ApplyReport apply(const wire::ChangesPage &page, std::int64_t now_ms = kNowMs) {
    auto r = sync::apply_page(conn(), page, now_ms);
    INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
    REQUIRE(r.ok());
    return *r;
  }
  Error refused(const wire::ChangesPage &page) {
    auto r = sync::apply_page(conn(), page, kNowMs);
    REQUIRE_FALSE(r.ok());
    return r.error();
  }
  std::optional<std::string> state(const char *key) {
    db::SyncStore store(conn());
    auto v = store.state(key);
    REQUIRE(v.ok());
    return *v;
  }
  std::optional<db::Order> by_id(std::int64_t id) {
    db::OrderCache cache(conn());
    auto o = cache.find_by_id(id);
    REQUIRE(o.ok());
    return *o;
  }
  std::optional<db::Order> by_code(std::int64_t code) {
    db::OrderCache cache(conn());
    auto o = cache.find_by_short_code(code);
    REQUIRE(o.ok());
    return *o;
  }
  std::int64_t count(const std::string &sql) {
    db::Statement s = conn().prepare(sql);
    REQUIRE(s.valid());
    REQUIRE(s.step() == SQLITE_ROW);
    return s.int64(0);
  }
  // Every row of every table a page writes: equal dumps, equal caches.
  std::string dump() {
    std::string out;
    for (const char *table :
         {"stands", "products", "orders", "order_lines", "portal_keys", "sync_state"}) {
      out += std::string("== ") + table + "\n";
      db::Statement s = conn().prepare(std::string("SELECT * FROM ") + table + " ORDER BY 1, 2");
      REQUIRE(s.valid());
      const int columns = sqlite3_column_count(s.handle());
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        for (int c = 0; c < columns; ++c) {
          out +=
              s.is_null(c)
                  ? std::string("NULL")
                  : std::string(sqlite3_column_type(s.handle(), c) == SQLITE_BLOB
                                    ? "blob" + std::to_string(sqlite3_column_bytes(s.handle(), c))
                                    : s.text(c));
          out += '|';
        }
        out += '\n';
      }
      REQUIRE(rc == SQLITE_DONE);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("apply: a page writes stands, products, orders and keys, then its cursor") {
  CacheFixture f;
  wire::ChangesPage first = catalogue_page("s10", true);
  first.orders = {order(100001), order(100002), order(200001, 2)};
  first.orders[1].status = wire::OrderStatus::cancelled;
  first.orders[0].status = wire::OrderStatus::collected;
  first.orders[0].collected_at_ms = kNowMs - 60'000;
  first.orders[0].collected_device = "dev-9";
  first.orders[0].collected_staff = "Paul";
  first.keys = std::vector<codes::PortalKey>{key(1, 0x11), key(2, 0x22)};

  const sync::ApplyReport report = f.apply(first);
  CHECK(report.stands == 2);
  CHECK(report.products == 3);
  CHECK(report.orders == 3);
  CHECK(report.cancelled == 1);
  CHECK(report.keys_replaced);
  // More to come: the cursor moves, but the data is not fresh yet.
  CHECK(f.state(db::sync_key::kCursor) == "s10");
  CHECK_FALSE(f.state(db::sync_key::kLastPullMs).has_value());

  const auto o = f.by_id(100001);
  REQUIRE(o.has_value());
  CHECK(o->number == "C-100001");
  CHECK(o->customer == "Marie D.");
  CHECK(o->status == db::OrderStatus::collected);
  CHECK(o->collected_at_ms == kNowMs - 60'000);
  CHECK(o->collected_device == "dev-9");
  CHECK(o->collected_staff == "Paul");
  CHECK(o->pickup_from == kNowS - 3600);
  CHECK(o->paid_cents == 2150);
  CHECK(o->short_code == 100001 * 7919 + 13);
  REQUIRE(o->lines.size() == 2);
  CHECK(o->lines[1].product == "Tomme de brebis");
  CHECK(o->lines[1].quantity_milli == 455);
  CHECK(o->lines[1].variable_weight);
  const auto stub = f.by_id(200001);
  REQUIRE(stub.has_value());
  CHECK(stub->customer.empty());
  CHECK(stub->lines.empty());
  db::KeyStore keys(f.conn());
  auto ring = keys.all();
  REQUIRE(ring.ok());
  REQUIRE(ring->size() == 2);
  CHECK(ring->at(1).public_key[0] == 0x22);

  // The last page: lines replaced, status changed, products of the cache used, the key
  // ring left alone (no keys in the page), and now the data counts as fresh.
  wire::Order changed = order(100002);
  changed.lines = {{1, 101, 1000, 2230}};
  const sync::ApplyReport last = f.apply(orders_page("s11", false, {changed}), kNowMs + 5);
  CHECK(last.orders == 1);
  CHECK(last.cancelled == 0);
  CHECK_FALSE(last.keys_replaced);
  CHECK(f.state(db::sync_key::kCursor) == "s11");
  CHECK(f.state(db::sync_key::kLastPullMs) == std::to_string(kNowMs + 5));
  const auto o2 = f.by_id(100002);
  REQUIRE(o2.has_value());
  CHECK(o2->status == db::OrderStatus::ready);
  REQUIRE(o2->lines.size() == 1);
  CHECK(o2->lines[0].product_id == 101);
  ring = keys.all();
  REQUIRE(ring.ok());
  CHECK(ring->size() == 2);

  // A new key ring replaces the old one whole: a dropped key stops verifying tokens.
  wire::ChangesPage rotated = orders_page("s12", false, {});
  rotated.keys = std::vector<codes::PortalKey>{key(3, 0x33)};
  CHECK(f.apply(rotated).keys_replaced);
  ring = keys.all();
  REQUIRE(ring.ok());
  REQUIRE(ring->size() == 1);
  CHECK(ring->front().key_id == 3);
}

TEST_CASE("apply: a product or stand neither in the page nor in the cache refuses the page") {
  CacheFixture f;
  f.apply(catalogue_page("s1"));
  const std::string before = f.dump();

  SUBCASE("an order line's product") {
    wire::Order bad = order(100003);
    bad.lines.push_back({3, 999, 1000, 100});
    const Error e = f.refused(orders_page("s2", false, {order(100001), bad}));
    CHECK(e.code == "page_inconsistent");
    CHECK(e.detail.find("orders[1].lines[2]") != std::string::npos);
    CHECK(e.detail.find("product 999") != std::string::npos);
  }
  SUBCASE("an order's stand") {
    const Error e = f.refused(orders_page("s2", false, {order(100001), order(300001, 3)}));
    CHECK(e.code == "page_inconsistent");
    CHECK(e.detail.find("stand 3") != std::string::npos);
  }
  SUBCASE("a product's stand") {
    wire::ChangesPage page = orders_page("s2", false, {order(100001)});
    page.products = {{300, 3, "Miel", "pot", false}};
    const Error e = f.refused(page);
    CHECK(e.code == "page_inconsistent");
    CHECK(e.detail.find("products[0]") != std::string::npos);
  }
  CHECK(f.dump() == before);
  CHECK(f.state(db::sync_key::kCursor) == "s1");

  // Products and stands the page brings itself are fine, in any order in the page.
  wire::ChangesPage page = orders_page("s3", false, {order(300001, 3)});
  page.orders[0].lines = {{1, 300, 1000, 900}};
  page.orders[0].customer = "Jean";
  page.products = {{300, 3, "Miel", "pot", false}};
  page.stands = {{3, "Rucher des Causses", "Roquefort"}};
  CHECK(f.apply(page).orders == 1);
}

TEST_CASE("apply: a page whose 400th order breaks a constraint leaves the cache as it was") {
  CacheFixture f;
  wire::ChangesPage first = catalogue_page("s1", false);
  for (std::int64_t id = 1; id <= 50; ++id) first.orders.push_back(order(id));
  first.keys = std::vector<codes::PortalKey>{key(1, 0x11)};
  f.apply(first, kNowMs);
  const std::string before = f.dump();
  REQUIRE(f.count("SELECT COUNT(*) FROM orders") == 50);

  // 500 orders that change existing ones and add new ones, stands, products and keys too;
  // the 400th takes the number of order 7 under another id (numbers are unique per portal:
  // this page contradicts the cache).
  wire::ChangesPage page = catalogue_page("s2", false);
  page.stands[0].name = "Renamed";
  page.products.push_back({102, 1, "Radis", "botte", false});
  page.keys = std::vector<codes::PortalKey>{key(2, 0x22)};
  for (std::int64_t i = 0; i < 500; ++i) {
    wire::Order o = order(1000 + i);
    if (i < 50) {
      o = order(i + 1);
      o.customer = "Changed";
      o.lines = {{1, 102, 1000, 100}};
    }
    page.orders.push_back(o);
  }
  page.orders[399].number = "C-7";
  const Error e = f.refused(page);
  CHECK(e.code == "page_inconsistent");
  CHECK(e.detail.find("order 1399 (C-7)") != std::string::npos);
  CHECK(e.detail.find("UNIQUE") != std::string::npos);

  // Exactly as before: orders, lines, stands, products, keys, cursor, last pull.
  CHECK(f.dump() == before);
  // And so on disk, through another connection.
  auto other = db::Database::open(f.d->path());
  REQUIRE(other.ok());
  db::Statement s = (*other)->connection().prepare("SELECT COUNT(*) FROM orders");
  REQUIRE(s.step() == SQLITE_ROW);
  CHECK(s.int64(0) == 50);

  // The same page without the clash applies whole.
  page.orders[399].number = "C-1399";
  CHECK(f.apply(page).orders == 500);
  CHECK(f.count("SELECT COUNT(*) FROM orders") == 500);  // 50 changed, 450 new
  CHECK(f.by_id(7)->customer == "Changed");
  CHECK(f.state(db::sync_key::kCursor) == "s2");
}

TEST_CASE("apply: a full disk refuses the page and writes nothing") {
  CacheFixture f;
  f.apply(catalogue_page("s1"));
  const std::string before = f.dump();
  // The file may not grow any more: the next page cannot fit.
  const std::int64_t pages = f.count("PRAGMA page_count");
  REQUIRE(f.conn().exec("PRAGMA max_page_count = " + std::to_string(pages)).ok());
  wire::ChangesPage page = orders_page("s2", false, {});
  for (std::int64_t id = 1; id <= 300; ++id) page.orders.push_back(order(id));
  const Error e = f.refused(page);
  CHECK(e.code == "disk_full");
  CHECK(f.dump() == before);
}

TEST_CASE("apply: orders of other stands are stored as stubs and a scan says wrong_stand") {
  CacheFixture f;
  wire::ChangesPage page = catalogue_page("s1");
  page.orders = {order(100001), order(200001, 2)};
  f.apply(page);
  REQUIRE(f.d->set_setting("stand_id", "1").ok());
  CHECK(f.count("SELECT COUNT(*) FROM orders WHERE stand_id = 2") == 1);

  ManualClock clock(kNowMs);
  PickupService service(*f.d, clock, Identity{1, "caisse-1"});
  auto v = service.scan(codes::format_short_code(200001 * 7919 + 13));
  REQUIRE(v.ok());
  CHECK(v->kind == VerdictKind::wrong_stand);
  REQUIRE(v->collect_at.has_value());
  CHECK(v->collect_at->id == 2);
  CHECK(v->collect_at->name == "Boulangerie Marchand");
  CHECK(v->collect_at->place == "Millau, 12 rue Droite");
  // And the stand's own order is ready; the stub counts nowhere in this stand's status.
  auto mine = service.scan(codes::format_short_code(100001 * 7919 + 13));
  REQUIRE(mine.ok());
  CHECK(mine->kind == VerdictKind::ready);
  auto status = service.status();
  REQUIRE(status.ok());
  CHECK(status->ready == 1);
  CHECK(status->cancelled + status->collected + status->not_ready == 0);
}

TEST_CASE("apply: a short code the portal re-issues moves to its new order") {
  CacheFixture f;
  wire::ChangesPage page = catalogue_page("s1");
  page.orders = {order(1), order(2)};
  f.apply(page);
  const std::int64_t code = order(1).short_code;

  SUBCASE("to a new order, the old one coming later with a new code") {
    wire::Order taker = order(3);
    taker.short_code = code;
    f.apply(orders_page("s2", false, {taker}));
    REQUIRE(f.by_code(code).has_value());
    CHECK(f.by_code(code)->id == 3);
    // The old order is still there, found by its number, by no code.
    const auto old_order = f.by_id(1);
    REQUIRE(old_order.has_value());
    CHECK(old_order->short_code < 0);
    CHECK(old_order->lines.size() == 2);

    wire::Order renewed = order(1);
    renewed.short_code = 123456789;
    f.apply(orders_page("s3", false, {renewed}));
    REQUIRE(f.by_code(123456789).has_value());
    CHECK(f.by_code(123456789)->id == 1);
    CHECK(f.by_code(code)->id == 3);
  }
  SUBCASE("two orders swapping their codes in one page") {
    wire::Order a = order(1);
    wire::Order b = order(2);
    std::swap(a.short_code, b.short_code);
    f.apply(orders_page("s2", false, {a, b}));
    CHECK(f.by_code(a.short_code)->id == 1);
    CHECK(f.by_code(b.short_code)->id == 2);
    CHECK(f.count("SELECT COUNT(*) FROM orders WHERE short_code < 0") == 0);
  }
  SUBCASE("a scan of the code finds the new order") {
    wire::Order taker = order(3);
    taker.short_code = code;
    taker.customer = "Nouveau client";
    f.apply(orders_page("s2", false, {taker}));
    ManualClock clock(kNowMs);
    PickupService service(*f.d, clock, Identity{1, "caisse-1"});
    auto v = service.scan(codes::format_short_code(static_cast<std::uint64_t>(code)));
    REQUIRE(v.ok());
    REQUIRE(v->order.has_value());
    CHECK(v->order->number == "C-3");
    CHECK(v->kind == VerdictKind::ready);
  }
}

}  // namespace comptoir::test
