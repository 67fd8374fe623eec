// A PickupService over a real cache in a temp dir, filled with a small demo region, on a
// clock that moves only when the test says so.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>

#include "db/database.hpp"
#include "db/handover_ledger.hpp"
#include "db/order_cache.hpp"
#include "pickup/pickup_service.hpp"
#include "provisioning/demo_data.hpp"
#include "runtime/clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {

inline constexpr std::int64_t kStartMs = 1'760'000'000'000;  // Unix ms
inline constexpr const char *kDevice = "caisse-test";

struct ServiceFixture {
  TempDir dir;
  std::unique_ptr<db::Database> database;
  ManualClock clock{kStartMs};
  provisioning::DemoRegion region;
  std::unique_ptr<PickupService> service;

  explicit ServiceFixture(std::int64_t orders = 40) {
    auto opened = db::Database::open(dir.file(db::Database::kFileName));
    REQUIRE(opened.ok());
    database = std::move(opened).value();
    auto demo = provisioning::create_demo(
        *database, provisioning::DemoOptions{orders, 11, clock.wall_ms() / 1000});
    REQUIRE(demo.ok());
    region = std::move(demo).value();
    service =
        std::make_unique<PickupService>(*database, clock, Identity{region.local_stand, kDevice});
  }

  // The nth demo code of an order expected to get `verdict`.
  const provisioning::DemoCode &code(std::string_view verdict, int nth = 0) {
    for (const auto &c : region.codes) {
      if (c.expected_verdict == verdict && !c.order_number.empty() && nth-- == 0) return c;
    }
    FAIL("no demo order with verdict " << std::string(verdict));
    return region.codes.front();
  }

  db::Order order(std::string_view number) {
    db::OrderCache cache(database->connection());
    auto o = cache.find_by_number(number);
    REQUIRE(o.ok());
    REQUIRE(o->has_value());
    return **o;
  }

  // A ready order with at least `lines` lines.
  db::Order ready_order_with_lines(std::size_t lines, int skip = 0) {
    for (const auto &c : region.codes) {
      if (c.expected_verdict != "ready" || c.order_number.empty()) continue;
      db::Order o = order(c.order_number);
      if (o.lines.size() >= lines && skip-- == 0) return o;
    }
    FAIL("no ready demo order with " << lines << " lines");
    return {};
  }

  std::int64_t count(std::string_view sql) {
    db::Statement s = database->connection().prepare(sql);
    REQUIRE(s.valid());
    REQUIRE(s.step() == SQLITE_ROW);
    return s.int64(0);
  }
  std::int64_t events() { return count("SELECT COUNT(*) FROM handover_events"); }
  std::int64_t outbox() { return count("SELECT COUNT(*) FROM outbox"); }

  std::vector<db::HandoverEvent> ledger_for(std::int64_t order_id) {
    db::HandoverLedger ledger(database->connection());
    auto e = ledger.events_for_order(order_id);
    REQUIRE(e.ok());
    return *e;
  }
};

}  // namespace comptoir::test
