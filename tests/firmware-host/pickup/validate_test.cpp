// validate(): the pure rule from (scan, cache facts, stand, clock, policy) to a Verdict.
#include "pickup/validate.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "codes/scanned_code.hpp"
#include "pickup/verdict.hpp"

namespace comptoir::test {
namespace {

constexpr std::int64_t kNow = 1'760'000'000;  // Unix seconds
constexpr std::int64_t kHere = 1;             // this appliance's stand
constexpr std::int64_t kCode = 0x2C0FFEE;

db::Order make_order() {
  db::Order o;
  o.id = 104217;
  o.number = "C-104217";
  o.stand_id = kHere;
  o.customer = "Zoé B.";
  o.status = db::OrderStatus::ready;
  o.pickup_from = kNow - 3600;
  o.pickup_until = kNow + 3600;
  o.paid_cents = 2350;
  o.due_cents = 0;
  o.short_code = kCode;
  o.lines = {{1, 1000, 1000, 1500, "Panier de légumes de saison", "pièce", false},
             {2, 1002, 1250, 1612, "Poulet fermier", "kg", true}};
  return o;
}

db::HandoverEvent event(std::string uuid, db::EventKind kind, std::int64_t wall_ms,
                        std::string undoes = {}) {
  db::HandoverEvent e;
  e.uuid = std::move(uuid);
  e.order_id = 104217;
  e.kind = kind;
  e.undoes = std::move(undoes);
  e.device = "caisse-1";
  e.staff = "Élodie";
  e.wall_ms = wall_ms;
  return e;
}

ScanContext context(std::int64_t now = kNow, Policy policy = {}) {
  return ScanContext{kHere, now, policy};
}

Verdict check(const db::Order &o, std::vector<db::HandoverEvent> events = {},
              std::optional<StandRef> stand = std::nullopt, std::int64_t now = kNow,
              Policy policy = {}) {
  return validate(codes::ShortCodeScan{static_cast<std::uint64_t>(kCode), ""},
                  OrderFacts{o, std::move(stand), std::move(events)}, context(now, policy));
}

VerdictKind kind_of(const db::Order &o, std::vector<db::HandoverEvent> events = {},
                    std::int64_t now = kNow, Policy policy = {}) {
  return check(o, std::move(events), std::nullopt, now, policy).kind;
}

}  // namespace

TEST_CASE("the ten verdicts have their machine names, and only two allow a handover") {
  const std::vector<std::pair<VerdictKind, std::string_view>> names = {
      {VerdictKind::ready, "ready"},
      {VerdictKind::payment_due, "payment_due"},
      {VerdictKind::already_collected, "already_collected"},
      {VerdictKind::not_ready, "not_ready"},
      {VerdictKind::cancelled, "cancelled"},
      {VerdictKind::wrong_stand, "wrong_stand"},
      {VerdictKind::too_early, "too_early"},
      {VerdictKind::expired, "expired"},
      {VerdictKind::unknown, "unknown"},
      {VerdictKind::not_a_pickup_code, "not_a_pickup_code"}};
  for (const auto &entry : names) {
    const VerdictKind kind = entry.first;
    const std::string_view name = entry.second;
    CAPTURE(name);
    CHECK(to_string(kind) == name);
    REQUIRE(verdict_from_string(name).has_value());
    CHECK(*verdict_from_string(name) == kind);
    CHECK(can_hand_over(kind) == (kind == VerdictKind::ready || kind == VerdictKind::payment_due));
  }
  CHECK_FALSE(verdict_from_string("READY").has_value());
  CHECK_FALSE(verdict_from_string("collected").has_value());
}

TEST_CASE("ready: the verdict carries what staff need") {
  const Verdict v = check(make_order());
  CHECK(v.kind == VerdictKind::ready);
  REQUIRE(v.order.has_value());
  CHECK(v.order->id == 104217);
  CHECK(v.order->number == "C-104217");
  CHECK(v.order->customer == "Zoé B.");
  CHECK(v.order->paid_cents == 2350);
  CHECK(v.order->due_cents == 0);
  CHECK(v.order->pickup_from == kNow - 3600);
  CHECK(v.order->pickup_until == kNow + 3600);
  REQUIRE(v.order->lines.size() == 2);
  CHECK(v.order->lines[0].line_no == 1);
  CHECK(v.order->lines[0].product == "Panier de légumes de saison");
  CHECK(v.order->lines[0].unit == "pièce");
  CHECK(v.order->lines[1].product == "Poulet fermier");
  CHECK(v.order->lines[1].quantity_milli == 1250);
  CHECK(v.order->lines[1].variable_weight);
  CHECK(v.order->lines[1].price_cents == 1612);
  CHECK_FALSE(v.collected.has_value());
  CHECK_FALSE(v.collect_at.has_value());
  CHECK_FALSE(v.repeat);
  CHECK(v.scan_id.empty());  // made by the service, not by the pure rule
}

TEST_CASE("payment_due: an amount still to pay") {
  db::Order o = make_order();
  o.due_cents = 275;
  const Verdict v = check(o);
  CHECK(v.kind == VerdictKind::payment_due);
  REQUIRE(v.order.has_value());
  CHECK(v.order->due_cents == 275);
}

TEST_CASE("already_collected: here from the ledger, or elsewhere as the portal reports") {
  SUBCASE("a full handover in this appliance's ledger") {
    const Verdict v = check(make_order(), {event("h1", db::EventKind::full, 1'759'999'000'000)});
    CHECK(v.kind == VerdictKind::already_collected);
    REQUIRE(v.collected.has_value());
    CHECK(v.collected->wall_ms == 1'759'999'000'000);
    CHECK(v.collected->device == "caisse-1");
    CHECK(v.collected->staff == "Élodie");
    CHECK(v.collected->here);
    CHECK_FALSE(v.collected->partial);
    REQUIRE(v.order.has_value());
    CHECK(v.order->number == "C-104217");
  }
  SUBCASE("a partial handover") {
    const Verdict v = check(make_order(), {event("h1", db::EventKind::partial, 5)});
    CHECK(v.kind == VerdictKind::already_collected);
    REQUIRE(v.collected.has_value());
    CHECK(v.collected->partial);
  }
  SUBCASE("reported by the portal") {
    db::Order o = make_order();
    o.status = db::OrderStatus::collected;
    o.collected_at_ms = 1'759'900'000'000;
    o.collected_device = "caisse-marche-2";
    o.collected_staff = "Noël";
    const Verdict v = check(o);
    CHECK(v.kind == VerdictKind::already_collected);
    REQUIRE(v.collected.has_value());
    CHECK(v.collected->wall_ms == 1'759'900'000'000);
    CHECK(v.collected->device == "caisse-marche-2");
    CHECK(v.collected->staff == "Noël");
    CHECK_FALSE(v.collected->here);
  }
}

TEST_CASE("not_ready, cancelled, too_early, expired") {
  db::Order pending = make_order();
  pending.status = db::OrderStatus::pending;
  CHECK(kind_of(pending) == VerdictKind::not_ready);

  db::Order cancelled = make_order();
  cancelled.status = db::OrderStatus::cancelled;
  CHECK(kind_of(cancelled) == VerdictKind::cancelled);

  db::Order early = make_order();
  early.pickup_from = kNow + 2 * 86400;
  early.pickup_until = early.pickup_from + 4 * 3600;
  const Verdict too_early = check(early);
  CHECK(too_early.kind == VerdictKind::too_early);
  REQUIRE(too_early.order.has_value());
  CHECK(too_early.order->pickup_from == kNow + 2 * 86400);

  db::Order late = make_order();
  late.pickup_from = kNow - 3 * 86400 - 4 * 3600;
  late.pickup_until = kNow - 3 * 86400;
  CHECK(kind_of(late) == VerdictKind::expired);
}

TEST_CASE("wrong_stand says where the order is to be collected") {
  db::Order o = make_order();
  o.stand_id = 2;
  const Verdict v = check(o, {}, StandRef{2, "Boulangerie Marchand", "Millau, 12 rue Droite"});
  CHECK(v.kind == VerdictKind::wrong_stand);
  REQUIRE(v.collect_at.has_value());
  CHECK(v.collect_at->id == 2);
  CHECK(v.collect_at->name == "Boulangerie Marchand");
  CHECK(v.collect_at->place == "Millau, 12 rue Droite");
  REQUIRE(v.order.has_value());

  // A stand the cache does not know still gets its id.
  const Verdict bare = check(o);
  CHECK(bare.kind == VerdictKind::wrong_stand);
  REQUIRE(bare.collect_at.has_value());
  CHECK(bare.collect_at->id == 2);
  CHECK(bare.collect_at->name.empty());
}

TEST_CASE("unknown and not_a_pickup_code when the cache has nothing for the scan") {
  const ScanContext ctx = context();
  const Verdict unknown = validate(codes::ShortCodeScan{12345, ""}, std::nullopt, ctx);
  CHECK(unknown.kind == VerdictKind::unknown);
  CHECK(unknown.detail == "not_in_cache");
  CHECK_FALSE(unknown.order.has_value());

  const Verdict typo = validate(codes::MistypedShortCode{"K7QM9X2DF3B"}, std::nullopt, ctx);
  CHECK(typo.kind == VerdictKind::mistyped);
  CHECK(typo.detail == "check_symbol");

  const Verdict barcode = validate(codes::NotACode{"product_barcode"}, std::nullopt, ctx);
  CHECK(barcode.kind == VerdictKind::not_a_pickup_code);
  CHECK(barcode.detail == "product_barcode");
  CHECK_FALSE(barcode.order.has_value());

  const Verdict number = validate(codes::OrderNumberScan{"C-999999"}, std::nullopt, ctx);
  CHECK(number.kind == VerdictKind::not_a_pickup_code);
  CHECK(number.detail == "no_such_order_number");

  // Garbage stays garbage even if facts were somehow supplied.
  const Verdict garbage =
      validate(codes::NotACode{"unrecognised"}, OrderFacts{make_order(), {}, {}}, ctx);
  CHECK(garbage.kind == VerdictKind::not_a_pickup_code);
  CHECK_FALSE(garbage.order.has_value());
}

TEST_CASE("precedence follows validate.hpp for every combination of conditions") {
  // already_collected, cancelled, wrong_stand, expired, too_early, not_ready, payment_due, ready
  enum Window { in_window, early, late, both };
  int combinations = 0;
  for (const db::OrderStatus status : {db::OrderStatus::pending, db::OrderStatus::ready,
                                       db::OrderStatus::collected, db::OrderStatus::cancelled}) {
    for (const bool handed_here : {false, true}) {
      for (const bool elsewhere : {false, true}) {
        for (const Window window : {in_window, early, late, both}) {
          for (const bool due : {false, true}) {
            db::Order o = make_order();
            o.status = status;
            if (status == db::OrderStatus::collected) o.collected_at_ms = 1;
            if (elsewhere) o.stand_id = 2;
            if (window == early || window == both) o.pickup_from = kNow + 86400;
            if (window == late || window == both) o.pickup_until = kNow - 86400;
            if (window == early) o.pickup_until = kNow + 2 * 86400;
            if (window == late) o.pickup_from = kNow - 2 * 86400;
            o.due_cents = due ? 500 : 0;
            std::vector<db::HandoverEvent> events;
            if (handed_here) events.push_back(event("h", db::EventKind::full, 1));

            VerdictKind expected = VerdictKind::ready;
            if (handed_here || status == db::OrderStatus::collected) {
              expected = VerdictKind::already_collected;
            } else if (status == db::OrderStatus::cancelled) {
              expected = VerdictKind::cancelled;
            } else if (elsewhere) {
              expected = VerdictKind::wrong_stand;
            } else if (window == late || window == both) {
              expected = VerdictKind::expired;
            } else if (window == early) {
              expected = VerdictKind::too_early;
            } else if (status == db::OrderStatus::pending) {
              expected = VerdictKind::not_ready;
            } else if (due) {
              expected = VerdictKind::payment_due;
            }
            CAPTURE(static_cast<int>(status));
            CAPTURE(handed_here);
            CAPTURE(elsewhere);
            CAPTURE(static_cast<int>(window));
            CAPTURE(due);
            CHECK(to_string(kind_of(o, events)) == to_string(expected));
            ++combinations;
          }
        }
      }
    }
  }
  CHECK(combinations == 128);
}

TEST_CASE("grace periods hold at their exact boundaries") {
  const Policy policy;  // 30 min early, 12 h late
  REQUIRE(policy.early_grace_s == 30 * 60);
  REQUIRE(policy.late_grace_s == 12 * 3600);
  db::Order o = make_order();
  o.pickup_from = kNow + 3600;
  o.pickup_until = kNow + 7200;

  CHECK(kind_of(o, {}, o.pickup_from - policy.early_grace_s) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_from - policy.early_grace_s - 1) == VerdictKind::too_early);
  CHECK(kind_of(o, {}, o.pickup_from) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_until) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_until + policy.late_grace_s) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_until + policy.late_grace_s + 1) == VerdictKind::expired);

  // The policy is the one passed in, not a constant.
  const Policy strict{0, 0};
  CHECK(kind_of(o, {}, o.pickup_from, strict) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_from - 1, strict) == VerdictKind::too_early);
  CHECK(kind_of(o, {}, o.pickup_until, strict) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_until + 1, strict) == VerdictKind::expired);
  const Policy lenient{86400, 86400};
  CHECK(kind_of(o, {}, o.pickup_from - 86400, lenient) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_until + 86400, lenient) == VerdictKind::ready);
  CHECK(kind_of(o, {}, o.pickup_until + 86401, lenient) == VerdictKind::expired);
}

TEST_CASE("effective_collection follows handovers and their undos") {
  const db::Order o = make_order();
  using K = db::EventKind;

  CHECK_FALSE(effective_collection(o, {}).has_value());

  SUBCASE("handover then undo: not collected, the order is ready again") {
    const std::vector<db::HandoverEvent> events = {event("h1", K::full, 100),
                                                   event("u1", K::undo, 200, "h1")};
    CHECK_FALSE(effective_collection(o, events).has_value());
    CHECK(kind_of(o, events) == VerdictKind::ready);
  }
  SUBCASE("handover, undo, handover: collected by the second handover") {
    const std::vector<db::HandoverEvent> events = {
        event("h1", K::full, 100), event("u1", K::undo, 200, "h1"), event("h2", K::partial, 300)};
    const auto c = effective_collection(o, events);
    REQUIRE(c.has_value());
    CHECK(c->wall_ms == 300);
    CHECK(c->partial);
    CHECK(c->here);
    CHECK(kind_of(o, events) == VerdictKind::already_collected);
  }
  SUBCASE("an undo of another event cancels nothing") {
    const std::vector<db::HandoverEvent> events = {event("h1", K::full, 100),
                                                   event("u1", K::undo, 200, "someone-else")};
    REQUIRE(effective_collection(o, events).has_value());
    CHECK(effective_collection(o, events)->wall_ms == 100);
  }
  SUBCASE("a refusal is no collection") {
    db::HandoverEvent refused = event("r1", K::refused, 100);
    refused.reason = "absent";
    CHECK_FALSE(effective_collection(o, {refused}).has_value());
    CHECK(kind_of(o, {refused}) == VerdictKind::ready);
  }
  SUBCASE("the newest handover wins when an older one was undone after it") {
    const std::vector<db::HandoverEvent> events = {
        event("h1", K::full, 100), event("h2", K::full, 200), event("u1", K::undo, 300, "h1")};
    REQUIRE(effective_collection(o, events).has_value());
    CHECK(effective_collection(o, events)->wall_ms == 200);
  }
  SUBCASE("the portal's collection stands when the local handover was undone") {
    db::Order portal = o;
    portal.status = db::OrderStatus::collected;
    portal.collected_device = "caisse-marche-2";
    const std::vector<db::HandoverEvent> events = {event("h1", K::full, 100),
                                                   event("u1", K::undo, 200, "h1")};
    const auto c = effective_collection(portal, events);
    REQUIRE(c.has_value());
    CHECK_FALSE(c->here);
    CHECK(c->device == "caisse-marche-2");
    CHECK(c->wall_ms == 0);  // the portal gave no time
  }
}

}  // namespace comptoir::test
