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

// A genuine token (status ok) for `order_id`, at this stand, valid through `day`.
codes::SignedTokenScan token(std::uint64_t order_id, std::int64_t day = kNow / 86400,
                             std::uint32_t stand = kHere, bool prepaid = true,
                             codes::TokenStatus status = codes::TokenStatus::ok,
                             std::string layout = {}) {
  return codes::SignedTokenScan{
      codes::TokenFields{1, order_id, stand, static_cast<std::uint16_t>(day),
                         prepaid ? codes::kFlagPrepaid : std::uint8_t{0}},
      status, std::move(layout)};
}

// What the service passes for a genuine token whose order is not in the cache.
OrderFacts unsynced(const codes::SignedTokenScan &t, std::vector<db::HandoverEvent> events = {}) {
  return OrderFacts{order_from_token(t.fields), std::nullopt, std::move(events), false};
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

TEST_CASE("tokens that are not genuine: forged, unknown_key with its detail, damaged, new format") {
  const ScanContext ctx = context();
  using codes::TokenStatus;
  // Facts are never looked at: even with an order at hand, no order is shown.
  const std::optional<OrderFacts> facts = OrderFacts{make_order(), {}, {}};

  const Verdict forged =
      validate(token(104217, kNow / 86400, kHere, true, TokenStatus::forged, "us>fr"), facts, ctx);
  CHECK(forged.kind == VerdictKind::forged);
  CHECK(forged.layout == "us>fr");
  CHECK_FALSE(forged.order.has_value());
  CHECK(to_string(forged.kind) == "forged");
  CHECK_FALSE(can_hand_over(forged.kind));

  const Verdict unknown_key =
      validate(token(104217, kNow / 86400, kHere, true, TokenStatus::unknown_key), facts, ctx);
  CHECK(unknown_key.kind == VerdictKind::unknown_key);
  CHECK(unknown_key.detail == "unknown_key");
  CHECK_FALSE(unknown_key.order.has_value());

  const Verdict key_not_valid =
      validate(token(104217, kNow / 86400, kHere, true, TokenStatus::key_not_valid), facts, ctx);
  CHECK(key_not_valid.kind == VerdictKind::unknown_key);
  CHECK(key_not_valid.detail == "key_not_valid");
  CHECK_FALSE(key_not_valid.order.has_value());
  CHECK_FALSE(can_hand_over(VerdictKind::unknown_key));

  const Verdict damaged =
      validate(token(104217, kNow / 86400, kHere, true, TokenStatus::malformed), std::nullopt, ctx);
  CHECK(damaged.kind == VerdictKind::not_a_pickup_code);
  CHECK(damaged.detail == "damaged_token");

  const Verdict version = validate(
      token(104217, kNow / 86400, kHere, true, TokenStatus::bad_version), std::nullopt, ctx);
  CHECK(version.kind == VerdictKind::not_a_pickup_code);
  CHECK(version.detail == "token_version");

  const Verdict typo = validate(codes::MistypedShortCode{"K7QM9X2DF3B"}, facts, ctx);
  CHECK(typo.kind == VerdictKind::mistyped);
  CHECK(typo.detail == "check_symbol");
  CHECK_FALSE(typo.order.has_value());
  CHECK_FALSE(can_hand_over(VerdictKind::mistyped));

  for (const VerdictKind kind : {VerdictKind::forged, VerdictKind::unknown_key,
                                 VerdictKind::mistyped, VerdictKind::ready_unsynced}) {
    REQUIRE(verdict_from_string(to_string(kind)).has_value());
    CHECK(*verdict_from_string(to_string(kind)) == kind);
  }
}

TEST_CASE("ready_unsynced: a genuine token for this stand, not expired, order not cached") {
  const std::int64_t today = kNow / 86400;
  const codes::SignedTokenScan t =
      token(900001, today + 1, kHere, true, codes::TokenStatus::ok, "us>fr");
  const Verdict v = validate(t, unsynced(t), context());
  CHECK(v.kind == VerdictKind::ready_unsynced);
  CHECK(can_hand_over(v.kind));
  CHECK(v.layout == "us>fr");
  REQUIRE(v.order.has_value());
  CHECK(v.order->id == 900001);
  CHECK(v.order->number == "#900001");
  CHECK_FALSE(v.order->in_cache);
  CHECK(v.order->prepaid);
  CHECK(v.order->due_cents == 0);
  CHECK(v.order->lines.empty());
  CHECK(v.order->customer.empty());
  CHECK(v.order->pickup_until == (today + 2) * 86400 - 1);  // through the token's last day
  CHECK_FALSE(v.collected.has_value());

  // Without the prepaid flag: nothing said to be due, but not prepaid either.
  const codes::SignedTokenScan unpaid = token(900002, today + 1, kHere, false);
  const Verdict u = validate(unpaid, unsynced(unpaid), context());
  CHECK(u.kind == VerdictKind::ready_unsynced);
  REQUIRE(u.order.has_value());
  CHECK_FALSE(u.order->prepaid);
  CHECK(u.order->due_cents == 0);

  // order_from_token: what the token says, and nothing more.
  const db::Order o = order_from_token(t.fields);
  CHECK(o.id == 900001);
  CHECK(o.number == "#900001");
  CHECK(o.stand_id == kHere);
  CHECK(o.status == db::OrderStatus::ready);
  CHECK(o.due_cents == 0);
  CHECK(order_from_token(unpaid.fields).due_cents == -1);
  CHECK(o.lines.empty());
}

TEST_CASE("a token is valid through its last day, in UTC, and expired the second after") {
  const std::int64_t today = kNow / 86400;
  const codes::SignedTokenScan t = token(900001, today);
  const std::int64_t last_second = (today + 1) * 86400 - 1;
  CHECK(validate(t, unsynced(t), context(last_second)).kind == VerdictKind::ready_unsynced);
  CHECK(validate(t, unsynced(t), context(last_second + 1)).kind == VerdictKind::expired);
  CHECK(validate(t, unsynced(t), context(today * 86400)).kind == VerdictKind::ready_unsynced);
  const codes::SignedTokenScan yesterday = token(900001, today - 1);
  CHECK(validate(yesterday, unsynced(yesterday), context()).kind == VerdictKind::expired);
}

TEST_CASE("an unsynced token of another stand is wrong_stand, with the stand's id") {
  const codes::SignedTokenScan t = token(900003, kNow / 86400 + 1, 2);
  OrderFacts facts = unsynced(t);
  const Verdict bare = validate(t, facts, context());
  CHECK(bare.kind == VerdictKind::wrong_stand);
  REQUIRE(bare.collect_at.has_value());
  CHECK(bare.collect_at->id == 2);
  CHECK_FALSE(can_hand_over(bare.kind));

  facts.order_stand = StandRef{2, "Boulangerie Marchand", "Millau, 12 rue Droite"};
  const Verdict named = validate(t, facts, context());
  CHECK(named.kind == VerdictKind::wrong_stand);
  CHECK(named.collect_at->name == "Boulangerie Marchand");

  // Another stand and expired: wrong_stand comes first, as for cached orders.
  const codes::SignedTokenScan old = token(900003, kNow / 86400 - 3, 2);
  CHECK(validate(old, unsynced(old), context()).kind == VerdictKind::wrong_stand);
}

TEST_CASE("a token past its valid-until day is expired even if the cached order's window is open") {
  const db::Order o = make_order();  // window open now
  REQUIRE(kind_of(o) == VerdictKind::ready);
  const std::uint64_t id = static_cast<std::uint64_t>(o.id);
  const codes::SignedTokenScan old = token(id, kNow / 86400 - 1);
  CHECK(validate(old, OrderFacts{o, {}, {}}, context()).kind == VerdictKind::expired);
  // Valid today: the cached order decides, and the layout is carried.
  const codes::SignedTokenScan fresh =
      token(id, kNow / 86400, kHere, true, codes::TokenStatus::ok, "fr>us");
  const Verdict v = validate(fresh, OrderFacts{o, {}, {}}, context());
  CHECK(v.kind == VerdictKind::ready);
  CHECK(v.layout == "fr>us");
  REQUIRE(v.order.has_value());
  CHECK(v.order->in_cache);
  CHECK(v.order->number == "C-104217");
  // Collected beats expired, as for every order.
  const Verdict collected =
      validate(old, OrderFacts{o, {}, {event("h1", db::EventKind::full, 5)}}, context());
  CHECK(collected.kind == VerdictKind::already_collected);
}

TEST_CASE("an unsynced order already handed over here is already_collected") {
  const codes::SignedTokenScan t = token(900001, kNow / 86400 + 1);
  db::HandoverEvent handed = event("h1", db::EventKind::full, 1'759'999'000'000);
  handed.order_id = 900001;
  const Verdict v = validate(t, unsynced(t, {handed}), context());
  CHECK(v.kind == VerdictKind::already_collected);
  REQUIRE(v.collected.has_value());
  CHECK(v.collected->here);
  CHECK(v.collected->wall_ms == 1'759'999'000'000);
  CHECK(v.collected->staff == "Élodie");
  REQUIRE(v.order.has_value());
  CHECK(v.order->number == "#900001");
  CHECK_FALSE(v.order->in_cache);

  // Even when the token has expired since; and undone, it is ready_unsynced again.
  const codes::SignedTokenScan old = token(900001, kNow / 86400 - 1);
  CHECK(validate(old, unsynced(old, {handed}), context()).kind == VerdictKind::already_collected);
  db::HandoverEvent undo = event("u1", db::EventKind::undo, 1'759'999'100'000, "h1");
  undo.order_id = 900001;
  CHECK(validate(t, unsynced(t, {handed, undo}), context()).kind == VerdictKind::ready_unsynced);
}

TEST_CASE("a genuine token whose order is not cached and no facts given is unknown") {
  // The service always passes facts for a genuine token; without them nothing is invented.
  const Verdict v = validate(token(900001), std::nullopt, context());
  CHECK(v.kind == VerdictKind::unknown);
  CHECK(v.detail == "not_in_cache");
}

TEST_CASE("a short code read through a layout carries the layout into the verdict") {
  const Verdict v = validate(codes::ShortCodeScan{static_cast<std::uint64_t>(kCode), "de>us"},
                             OrderFacts{make_order(), {}, {}}, context());
  CHECK(v.kind == VerdictKind::ready);
  CHECK(v.layout == "de>us");
  CHECK(check(make_order()).layout.empty());
}

}  // namespace comptoir::test
