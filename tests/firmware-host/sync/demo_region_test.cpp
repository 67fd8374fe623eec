// The demo region as a portal holds it: deterministic for a seed, whole valid orders for
// every stand, and expected verdicts that agree with each order's status and window.
#include "sync/demo_region.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include "codes/pickup_token.hpp"
#include "codes/short_code.hpp"

namespace comptoir::test {
namespace {

constexpr std::int64_t kNow = 1'760'000'000;

sync::DemoRegion region_of(std::int64_t orders, std::uint64_t seed = 2026) {
  auto r = sync::make_demo_region({orders, seed, kNow});
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("the demo region is deterministic for a seed and differs between seeds") {
  const sync::DemoRegion a = region_of(60, 7);
  const sync::DemoRegion b = region_of(60, 7);
  const sync::DemoRegion c = region_of(60, 8);
  CHECK(a.orders == b.orders);
  CHECK(a.stands == b.stands);
  CHECK(a.products == b.products);
  CHECK(a.portal_public == b.portal_public);
  REQUIRE(a.codes.size() == b.codes.size());
  for (std::size_t i = 0; i < a.codes.size(); ++i) {
    CHECK(a.codes[i].code == b.codes[i].code);
    CHECK(a.codes[i].expected_verdict == b.codes[i].expected_verdict);
  }
  CHECK(a.orders != c.orders);
  CHECK(a.portal_public.public_key != c.portal_public.public_key);
  CHECK(a.portal_key.public_key == sync::demo_portal_key(7).public_key);
}

TEST_CASE("the region holds whole, valid orders for every stand") {
  const sync::DemoRegion r = region_of(240);
  CHECK(r.local_stand == 1);
  CHECK(r.stands.size() == 3);
  REQUIRE(r.orders.size() == 240);
  std::set<std::int64_t> stands, products, short_codes;
  for (const auto &s : r.stands) {
    CHECK(wire::validate(s, "").ok());
    stands.insert(s.id);
  }
  for (const auto &p : r.products) {
    CHECK(wire::validate(p, "").ok());
    CHECK(stands.contains(p.stand_id));
    products.insert(p.id);
  }
  std::map<std::int64_t, int> per_stand;
  for (const auto &o : r.orders) {
    CAPTURE(o.number);
    const auto valid = wire::validate(o, "");
    INFO((valid ? std::string() : valid.error().detail));
    CHECK(valid.ok());
    CHECK(stands.contains(o.stand_id));
    ++per_stand[o.stand_id];
    // Whole orders, also of the other stands: the portal makes the stubs, not the region.
    CHECK_FALSE(o.customer.empty());
    CHECK_FALSE(o.lines.empty());
    std::int64_t total = 0;
    for (const auto &l : o.lines) {
      CHECK(products.contains(l.product_id));
      total += l.price_cents;
    }
    CHECK(o.paid_cents + o.due_cents == total);
    CHECK(short_codes.insert(o.short_code).second);
  }
  CHECK(per_stand[1] >= 200);
  CHECK(per_stand[2] >= 1);
  CHECK(per_stand[3] >= 1);
  // The key ring entry: the key that signs the tokens, valid around now.
  CHECK(r.portal_public.key_id == r.key_id);
  CHECK(r.portal_public.public_key == r.portal_key.public_key);
  CHECK(r.portal_public.valid_from_s <= kNow);
  CHECK(r.portal_public.valid_until_s > kNow);
}

TEST_CASE("every local order's expected verdict agrees with its status and window") {
  const sync::DemoRegion r = region_of(240);
  std::map<std::string, const wire::Order *> by_number;
  for (const auto &o : r.orders) by_number[o.number] = &o;
  const codes::KeyRing ring{{r.portal_public}};
  std::map<std::string, int> checked;
  for (const auto &c : r.codes) {
    CAPTURE(c.code);
    CAPTURE(c.expected_verdict);
    if (c.order_number.empty() || c.order_number.starts_with('#')) {
      // No order in the region: unknown codes, non-codes, tokens of orders placed later.
      if (!c.order_number.empty()) {
        CHECK(by_number.count("C-" + c.order_number.substr(1)) == 0);
      }
      continue;
    }
    REQUIRE(by_number.count(c.order_number) == 1);
    const wire::Order &o = *by_number[c.order_number];
    CHECK(c.customer == o.customer);
    const bool in_window = o.pickup_from <= kNow && kNow <= o.pickup_until;
    const std::string &v = c.expected_verdict;
    if (v == "wrong_stand") {
      CHECK(o.stand_id != r.local_stand);
    } else {
      CHECK(o.stand_id == r.local_stand);
    }
    if (v == "ready") {
      CHECK(o.status == wire::OrderStatus::ready);
      CHECK(in_window);
      CHECK(o.due_cents == 0);
    } else if (v == "payment_due") {
      CHECK(o.status == wire::OrderStatus::ready);
      CHECK(in_window);
      CHECK(o.due_cents > 0);
    } else if (v == "already_collected") {
      CHECK(o.status == wire::OrderStatus::collected);
      CHECK(o.collected_at_ms.has_value());
    } else if (v == "not_ready") {
      CHECK(o.status == wire::OrderStatus::pending);
    } else if (v == "cancelled") {
      CHECK(o.status == wire::OrderStatus::cancelled);
    } else if (v == "too_early") {
      CHECK(o.status == wire::OrderStatus::ready);
      CHECK(o.pickup_from > kNow);
    } else if (v == "expired") {
      CHECK(o.status == wire::OrderStatus::ready);
      CHECK(o.pickup_until < kNow);
    } else if (v == "wrong_stand") {
      CHECK(o.status == wire::OrderStatus::ready);
    } else {
      FAIL("an order's code with verdict " << v);
    }
    // A short code as listed is the order's; a token is signed by the region's key for it.
    const auto short_read = codes::read_short_code(c.code);
    if (short_read.status == codes::ShortCodeStatus::ok &&
        c.code == codes::format_short_code(short_read.value)) {
      CHECK(static_cast<std::int64_t>(short_read.value) == o.short_code);
    }
    if (c.code.starts_with(codes::kTokenPrefix)) {  // not the keyboard-mangled reads
      const codes::TokenRead t = codes::read_token(c.code, ring, kNow);
      CHECK(t.status == codes::TokenStatus::ok);
      CHECK(t.fields.order_id == static_cast<std::uint64_t>(o.id));
      CHECK(t.fields.stand_id == static_cast<std::uint32_t>(o.stand_id));
    }
    ++checked[v];
  }
  CHECK(checked.size() == 8);  // every order verdict is there
}

TEST_CASE("the streaming form gives the same region, one order at a time") {
  const sync::DemoRegion whole = region_of(100, 5);
  std::vector<wire::Order> streamed;
  bool began = false;
  sync::DemoSink sink;
  sink.begin = [&](const sync::DemoRegion &r) -> Result<void> {
    CHECK(streamed.empty());
    CHECK(r.stands == whole.stands);
    CHECK(r.products == whole.products);
    CHECK(r.portal_public == whole.portal_public);
    began = true;
    return {};
  };
  sink.order = [&](const wire::Order &o) -> Result<void> {
    streamed.push_back(o);
    return {};
  };
  auto r = sync::make_demo_region({100, 5, kNow}, sink);
  REQUIRE(r.ok());
  CHECK(began);
  CHECK(r->orders.empty());
  CHECK(streamed == whole.orders);
  CHECK(r->codes.size() == whole.codes.size());

  // An error from the sink stops the generation and comes back.
  sink.begin = nullptr;
  int seen = 0;
  sink.order = [&](const wire::Order &) -> Result<void> {
    if (++seen == 3) return make_error("disk_full", "no space");
    return {};
  };
  auto stopped = sync::make_demo_region({100, 5, kNow}, sink);
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().code == "disk_full");
  CHECK(seen == 3);
}

TEST_CASE("regions over 10,000 orders list no codes, and under 20 orders is a usage error") {
  std::int64_t count = 0;
  sync::DemoSink sink;
  sink.order = [&](const wire::Order &) -> Result<void> {
    ++count;
    return {};
  };
  auto big = sync::make_demo_region({10'001, 1, kNow}, sink);
  REQUIRE(big.ok());
  CHECK(count == 10'001);
  CHECK(big->codes.empty());
  auto small = sync::make_demo_region({19, 1, kNow});
  REQUIRE_FALSE(small.ok());
  CHECK(small.error().code == "usage");
}

}  // namespace comptoir::test
