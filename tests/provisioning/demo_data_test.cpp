// The demo region: at least 200 orders covering every verdict, deterministic for a seed,
// written in one transaction with this appliance's stand.
#include "provisioning/demo_data.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <variant>

#include "codes/scanned_code.hpp"
#include "codes/short_code.hpp"
#include "db/database.hpp"
#include "db/order_cache.hpp"
#include "pickup/pickup_service.hpp"
#include "runtime/appliance.hpp"
#include "runtime/clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

constexpr std::int64_t kNow = 1'760'000'000;

struct Demo {
  TempDir dir;
  std::unique_ptr<db::Database> database;
  Result<provisioning::DemoRegion> region = make_error("not_run", "");

  explicit Demo(provisioning::DemoOptions options) {
    auto opened = db::Database::open(dir.file(db::Database::kFileName));
    REQUIRE(opened.ok());
    database = std::move(opened).value();
    region = provisioning::create_demo(*database, options);
  }
  const provisioning::DemoRegion &ok() {
    INFO((region ? std::string() : region.error().code + ": " + region.error().detail));
    REQUIRE(region.ok());
    return *region;
  }
  std::int64_t count(std::string_view sql) {
    db::Statement s = database->connection().prepare(sql);
    REQUIRE(s.valid());
    REQUIRE(s.step() == SQLITE_ROW);
    return s.int64(0);
  }
};

provisioning::DemoOptions options(std::int64_t orders = 240, std::uint64_t seed = 2026) {
  return provisioning::DemoOptions{orders, seed, kNow};
}

}  // namespace

TEST_CASE("the default demo region has at least 200 orders and covers every verdict") {
  Demo demo(provisioning::DemoOptions{.now_s = kNow});
  const auto &region = demo.ok();
  CHECK(region.local_stand == 1);
  CHECK(demo.count("SELECT COUNT(*) FROM orders") >= 200);
  CHECK(demo.count("SELECT COUNT(*) FROM stands") == 3);
  CHECK(demo.count("SELECT COUNT(*) FROM orders WHERE stand_id = 1") >= 150);

  auto stand = demo.database->setting(kSettingStand);
  REQUIRE(stand.ok());
  REQUIRE(stand->has_value());
  CHECK(**stand == "1");

  std::map<std::string, int> by_verdict;
  for (const auto &c : region.codes) ++by_verdict[c.expected_verdict];
  for (const char *verdict :
       {"ready", "payment_due", "already_collected", "not_ready", "cancelled", "wrong_stand",
        "too_early", "expired", "unknown", "not_a_pickup_code"}) {
    CAPTURE(verdict);
    CHECK(by_verdict[verdict] >= 1);
  }
  CHECK(by_verdict.size() == 14);

  // The app itself agrees with every expected verdict.
  ManualClock clock(kNow * 1000);
  PickupService service(*demo.database, clock, Identity{region.local_stand, "demo-check"});
  for (const auto &c : region.codes) {
    CAPTURE(c.code);
    clock.advance_ms(5000);  // no two reads in one double-read window
    auto v = service.scan(c.code);
    REQUIRE(v.ok());
    CHECK(to_string(v->kind) == c.expected_verdict);
    if (!c.order_number.empty()) {
      REQUIRE(v->order.has_value());
      CHECK(v->order->number == c.order_number);
      CHECK(v->order->customer == c.customer);
    }
  }
}

TEST_CASE("every order of the region is listed once, with a distinct, valid short code") {
  Demo demo(options(60));
  const auto &region = demo.ok();
  db::OrderCache cache(demo.database->connection());
  std::set<std::string> numbers, short_codes;
  for (const auto &c : region.codes) {
    const codes::ScannedCode scan = codes::parse_scan(c.code);
    if (const auto *s = std::get_if<codes::ShortCodeScan>(&scan)) {
      auto order = cache.find_by_short_code(static_cast<std::int64_t>(s->value));
      REQUIRE(order.ok());
      if (c.order_number.empty()) {
        CHECK_FALSE(order->has_value());  // the "unknown" codes really match no order
        continue;
      }
      REQUIRE(order->has_value());
      CHECK((*order)->number == c.order_number);
      if (c.code == codes::format_short_code(s->value)) {
        CHECK(numbers.insert(c.order_number).second);
        CHECK(short_codes.insert(c.code).second);
      }
    }
  }
  CHECK(numbers.size() == 60);
  CHECK(demo.count("SELECT COUNT(DISTINCT short_code) FROM orders") == 60);
}

TEST_CASE("the demo is deterministic for a seed") {
  Demo a(options(40, 7));
  Demo b(options(40, 7));
  Demo c(options(40, 8));
  const auto &ra = a.ok();
  const auto &rb = b.ok();
  const auto &rc = c.ok();
  REQUIRE(ra.codes.size() == rb.codes.size());
  for (std::size_t i = 0; i < ra.codes.size(); ++i) {
    CHECK(ra.codes[i].code == rb.codes[i].code);
    CHECK(ra.codes[i].order_number == rb.codes[i].order_number);
    CHECK(ra.codes[i].expected_verdict == rb.codes[i].expected_verdict);
    CHECK(ra.codes[i].customer == rb.codes[i].customer);
  }
  CHECK(ra.codes.front().code != rc.codes.front().code);
}

TEST_CASE("amounts add up and customers are display names only") {
  Demo demo(options(100));
  const auto &region = demo.ok();
  db::OrderCache cache(demo.database->connection());
  for (const auto &c : region.codes) {
    // Empty: no order; "#ID": a token of an order not synced yet, on purpose.
    if (c.order_number.empty() || c.order_number.starts_with('#')) continue;
    auto found = cache.find_by_number(c.order_number);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    const db::Order &o = **found;
    CAPTURE(o.number);
    std::int64_t total = 0;
    for (const auto &l : o.lines) total += l.price_cents;
    CHECK(o.paid_cents + o.due_cents == total);
    CHECK((o.due_cents > 0) == (c.expected_verdict == "payment_due"));
    CHECK(o.lines.size() >= 1);
    CHECK(o.lines.size() <= 5);
    for (const auto &l : o.lines) CHECK_FALSE(l.product.empty());
    CHECK(o.customer.find('@') == std::string::npos);
    CHECK(o.customer.find_first_of("0123456789+") == std::string::npos);
  }
}

TEST_CASE("fewer than 20 orders is refused and writes nothing") {
  Demo demo(options(19));
  REQUIRE_FALSE(demo.region.ok());
  CHECK(demo.region.error().code == "usage");
  CHECK(demo.count("SELECT COUNT(*) FROM orders") == 0);
  CHECK(demo.count("SELECT COUNT(*) FROM stands") == 0);
  auto stand = demo.database->setting(kSettingStand);
  REQUIRE(stand.ok());
  CHECK_FALSE(stand->has_value());
}

}  // namespace comptoir::test
