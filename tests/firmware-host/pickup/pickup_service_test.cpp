// PickupService: scans become verdicts, staff actions become ledger events with one
// outbox row each, on a real cache and a manual clock.
#include "pickup/pickup_service.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "db/key_store.hpp"
#include "runtime/messages.hpp"
#include "runtime/uuid.hpp"
#include "tests/firmware-host/service_fixture.hpp"
#include "tests/support/layout_mangler.hpp"

namespace comptoir::test {
namespace {

Verdict scanned(PickupService &service, std::string_view text) {
  auto v = service.scan(text);
  REQUIRE(v.ok());
  return *v;
}

HandoverReceipt done(Result<HandoverReceipt> r) {
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string refused_code(const Result<HandoverReceipt> &r) {
  return r.ok() ? std::string("(accepted)") : r.error().code;
}

// The demo's signed tokens, as scanned (ZA1...) or mangled through a layout.
bool is_token(const provisioning::DemoCode &c) {
  return c.code.size() >= codes::kTokenChars;
}

// The demo entry of a token of an order not synced yet: "#900001", "#900002" (this stand),
// "#900003" (another stand).
const provisioning::DemoCode &unsynced_token(const ServiceFixture &f, std::string_view number) {
  for (const auto &c : f.region.codes) {
    if (is_token(c) && c.order_number == number) return c;
  }
  FAIL("no demo token for " << std::string(number));
  return f.region.codes.front();
}

// A token the demo portal signs now, for this stand unless told.
std::string demo_token(const ServiceFixture &f, std::uint64_t order_id, bool prepaid,
                       std::uint32_t stand = 1) {
  const auto today = static_cast<std::uint16_t>(f.clock.wall_ms() / 1000 / 86400);
  return codes::sign_token({f.region.key_id, order_id, stand, static_cast<std::uint16_t>(today + 1),
                            prepaid ? codes::kFlagPrepaid : std::uint8_t{0}},
                           f.region.portal_key.secret_key);
}

std::vector<int> line_numbers(const db::Order &o) {
  std::vector<int> out;
  for (const auto &l : o.lines) out.push_back(l.line_no);
  return out;
}

}  // namespace

TEST_CASE("every demo code gets its expected verdict") {
  ServiceFixture f;
  std::set<std::string> kinds;
  for (const auto &c : f.region.codes) {
    CAPTURE(c.code);
    f.clock.advance_ms(10);
    const Verdict v = scanned(*f.service, c.code);
    CHECK(to_string(v.kind) == c.expected_verdict);
    CHECK_FALSE(v.repeat);
    CHECK(is_uuid(v.scan_id));
    if (!c.order_number.empty()) {
      REQUIRE(v.order.has_value());
      CHECK(v.order->number == c.order_number);
    }
    kinds.insert(c.expected_verdict);
  }
  CHECK(kinds.size() == 14);  // the demo covers every verdict
  CHECK(f.events() == 0);     // scanning records nothing
}

TEST_CASE("a full handover, then a rescan: already_collected, by whom and when") {
  ServiceFixture f;
  const auto &c = f.code("ready");
  const db::Order o = f.order(c.order_number);
  const Verdict first = scanned(*f.service, c.code);
  REQUIRE(first.kind == VerdictKind::ready);

  f.clock.advance_ms(500);
  const HandoverReceipt r = done(f.service->hand_over(c.order_number, {}, "Léa"));
  CHECK(r.kind == db::EventKind::full);
  CHECK(r.order_id == o.id);
  CHECK(r.order_number == c.order_number);
  CHECK(r.lines_handed == line_numbers(o));
  CHECK(r.lines_missing.empty());
  CHECK(r.wall_ms == kStartMs + 500);
  CHECK(r.event_id == first.scan_id);  // the event id is made at scan time

  SUBCASE("after a staff action, the next read is a new scan") {
    f.service->reset_double_read_filter();
    f.clock.advance_ms(200);
    const Verdict again = scanned(*f.service, c.code);
    CHECK(again.kind == VerdictKind::already_collected);
    CHECK_FALSE(again.repeat);
    REQUIRE(again.collected.has_value());
    CHECK(again.collected->here);
    CHECK(again.collected->device == kDevice);
    CHECK(again.collected->staff == "Léa");
    CHECK(again.collected->wall_ms == kStartMs + 500);
    CHECK_FALSE(again.collected->partial);
  }
  SUBCASE("without it, a read within 3 s is the scanner's double read") {
    f.clock.advance_ms(1000);
    const Verdict repeat = scanned(*f.service, c.code);
    CHECK(repeat.repeat);
    CHECK(repeat.kind == VerdictKind::ready);  // the previous verdict, shown again
    CHECK(repeat.scan_id == first.scan_id);
    // 3 s after the last read it is a scan again.
    f.clock.advance_ms(3000);
    const Verdict later = scanned(*f.service, c.code);
    CHECK_FALSE(later.repeat);
    CHECK(later.kind == VerdictKind::already_collected);
  }
  SUBCASE("the order number typed by hand finds the same collection") {
    f.service->reset_double_read_filter();
    CHECK(scanned(*f.service, c.order_number).kind == VerdictKind::already_collected);
  }
  CHECK(f.events() == 1);
  CHECK(f.outbox() == 1);
}

TEST_CASE("a partial handover records the lines handed and the lines missing") {
  ServiceFixture f;
  const db::Order o = f.ready_order_with_lines(2);
  const HandoverReceipt r = done(f.service->hand_over(o.number, {2}, "Léa"));
  CHECK(r.kind == db::EventKind::partial);
  CHECK(r.lines_missing == std::vector<int>{2});
  std::vector<int> handed = line_numbers(o);
  handed.erase(std::find(handed.begin(), handed.end(), 2));
  CHECK(r.lines_handed == handed);

  const auto events = f.ledger_for(o.id);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == db::EventKind::partial);
  CHECK(events[0].uuid == r.event_id);
  CHECK(events[0].lines_handed == handed);
  CHECK(events[0].lines_missing == std::vector<int>{2});
  CHECK(events[0].device == kDevice);
  CHECK(events[0].staff == "Léa");
  CHECK(events[0].wall_ms == kStartMs);
  CHECK(f.outbox() == 1);

  f.service->reset_double_read_filter();
  const Verdict v = scanned(*f.service, o.number);
  CHECK(v.kind == VerdictKind::already_collected);
  REQUIRE(v.collected.has_value());
  CHECK(v.collected->partial);
}

TEST_CASE("a missing line the order does not have is bad_line, all lines missing is refused") {
  ServiceFixture f;
  const db::Order o = f.ready_order_with_lines(2);
  const int beyond = static_cast<int>(o.lines.size()) + 1;
  for (const std::vector<int> &missing : {std::vector<int>{99}, std::vector<int>{0},
                                          std::vector<int>{-1}, std::vector<int>{1, beyond}}) {
    CAPTURE(missing.back());
    auto r = f.service->hand_over(o.number, missing, "");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_line");
  }
  auto all = f.service->hand_over(o.number, line_numbers(o), "");
  REQUIRE_FALSE(all.ok());
  CHECK(all.error().code == "all_lines_missing");
  CHECK(f.events() == 0);
  CHECK(f.outbox() == 0);
  // Nothing was recorded: the order can still be handed over in full.
  CHECK(done(f.service->hand_over(o.number, {}, "")).kind == db::EventKind::full);
}

TEST_CASE("a refusal needs a reason and keeps the order collectable") {
  ServiceFixture f;
  const auto &c = f.code("ready");

  auto no_reason = f.service->refuse(c.order_number, "", "Léa");
  REQUIRE_FALSE(no_reason.ok());
  CHECK(no_reason.error().code == "reason_required");
  CHECK(f.events() == 0);

  auto unknown = f.service->refuse("C-999999", "absent", "Léa");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "order_not_found");
  CHECK(f.events() == 0);

  const HandoverReceipt r =
      done(f.service->refuse(c.order_number, "pièce d'identité absente", "Léa"));
  CHECK(r.kind == db::EventKind::refused);
  CHECK(r.reason == "pièce d'identité absente");
  CHECK(r.order_number == c.order_number);
  CHECK(r.lines_handed.empty());
  CHECK(f.events() == 1);
  CHECK(f.outbox() == 1);

  auto check = f.service->check_order(c.order_number);
  REQUIRE(check.ok());
  CHECK(check->kind == VerdictKind::ready);
  f.service->reset_double_read_filter();
  CHECK(scanned(*f.service, c.code).kind == VerdictKind::ready);
  CHECK(done(f.service->hand_over(c.order_number, {}, "Léa")).kind == db::EventKind::full);
}

TEST_CASE("undo within 2 minutes makes the order collectable again") {
  ServiceFixture f;
  const auto &c = f.code("ready");
  const HandoverReceipt handed = done(f.service->hand_over(c.order_number, {}, "Léa"));

  SUBCASE("a second later") {
    f.clock.advance_ms(1000);
  }
  SUBCASE("at exactly 2 minutes") {
    f.clock.advance_ms(PickupService::kUndoWindowMs);
  }

  const HandoverReceipt undo = done(f.service->undo_last("Léa"));
  CHECK(undo.kind == db::EventKind::undo);
  CHECK(undo.undone_event == handed.event_id);
  CHECK(undo.order_number == c.order_number);
  CHECK(undo.lines_handed == handed.lines_handed);
  CHECK(undo.event_id != handed.event_id);
  CHECK(is_uuid(undo.event_id));

  auto check = f.service->check_order(c.order_number);
  REQUIRE(check.ok());
  CHECK(check->kind == VerdictKind::ready);
  f.service->reset_double_read_filter();
  CHECK(scanned(*f.service, c.code).kind == VerdictKind::ready);
  CHECK(f.events() == 2);
  CHECK(f.outbox() == 2);

  // Nothing left to undo; the order can be handed over again.
  auto twice = f.service->undo_last("Léa");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == "nothing_to_undo");
  done(f.service->hand_over(c.order_number, {}, "Léa"));
  f.service->reset_double_read_filter();
  CHECK(scanned(*f.service, c.code).kind == VerdictKind::already_collected);
}

TEST_CASE("undo after 2 minutes is undo_too_late and changes nothing") {
  ServiceFixture f;
  const auto &c = f.code("ready");
  done(f.service->hand_over(c.order_number, {}, ""));
  f.clock.advance_ms(PickupService::kUndoWindowMs + 1);
  auto r = f.service->undo_last("");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "undo_too_late");
  CHECK(f.events() == 1);
  CHECK(f.outbox() == 1);
  auto check = f.service->check_order(c.order_number);
  REQUIRE(check.ok());
  CHECK(check->kind == VerdictKind::already_collected);
}

TEST_CASE("nothing to undo: no handover yet, or only refusals") {
  ServiceFixture f;
  auto r = f.service->undo_last("");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "nothing_to_undo");
  done(f.service->refuse(f.code("ready").order_number, "absent", ""));
  r = f.service->undo_last("");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "nothing_to_undo");
  CHECK(f.events() == 1);
}

TEST_CASE("orders that may not be handed over are not_collectable, with the verdict") {
  ServiceFixture f;
  for (const char *verdict :
       {"cancelled", "already_collected", "wrong_stand", "not_ready", "too_early", "expired"}) {
    CAPTURE(verdict);
    auto r = f.service->hand_over(f.code(verdict).order_number, {}, "");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "not_collectable");
    CHECK(r.error().detail == verdict);
  }
  auto missing = f.service->hand_over("C-999999", {}, "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "order_not_found");
  CHECK(f.events() == 0);

  // Collected here: a second handover is refused.
  const auto &c = f.code("ready");
  done(f.service->hand_over(c.order_number, {}, ""));
  auto second = f.service->hand_over(c.order_number, {}, "");
  CHECK(refused_code(second) == "not_collectable");
  CHECK(f.events() == 1);

  // An amount due does not block the handover: staff take the payment.
  CHECK(done(f.service->hand_over(f.code("payment_due").order_number, {}, "")).kind ==
        db::EventKind::full);
}

TEST_CASE("the first event after a scan carries the scan's id, later events get new ones") {
  ServiceFixture f;
  const auto &a = f.code("ready", 0);
  const auto &b = f.code("ready", 1);

  SUBCASE("handover") {
    const Verdict v = scanned(*f.service, a.code);
    const HandoverReceipt r = done(f.service->hand_over(a.order_number, {}, ""));
    CHECK(r.event_id == v.scan_id);
    const HandoverReceipt undo = done(f.service->undo_last(""));
    CHECK(undo.event_id != v.scan_id);
    CHECK(is_uuid(undo.event_id));
  }
  SUBCASE("refusal") {
    const Verdict v = scanned(*f.service, a.code);
    const HandoverReceipt r = done(f.service->refuse(a.order_number, "absent", ""));
    CHECK(r.event_id == v.scan_id);
    const HandoverReceipt after = done(f.service->hand_over(a.order_number, {}, ""));
    CHECK(after.event_id != v.scan_id);
  }
  SUBCASE("an event for another order than the one scanned") {
    const Verdict v = scanned(*f.service, a.code);
    const HandoverReceipt other = done(f.service->hand_over(b.order_number, {}, ""));
    CHECK(other.event_id != v.scan_id);
    CHECK(is_uuid(other.event_id));
    // The scanned order's first event still gets the scan's id.
    CHECK(done(f.service->hand_over(a.order_number, {}, "")).event_id == v.scan_id);
  }
  SUBCASE("each scan makes a new id") {
    const Verdict v1 = scanned(*f.service, a.code);
    f.service->reset_double_read_filter();
    const Verdict v2 = scanned(*f.service, a.code);
    CHECK(v1.scan_id != v2.scan_id);
    CHECK(done(f.service->hand_over(a.order_number, {}, "")).event_id == v2.scan_id);
  }
}

TEST_CASE("status counts this stand's orders and the events waiting for sync") {
  ServiceFixture f;
  std::int64_t ready = 0, not_ready = 0, collected = 0, cancelled = 0;
  std::set<std::string> seen;  // the demo lists some orders twice, in other spellings
  for (const auto &c : f.region.codes) {
    if (c.order_number.empty() || !seen.insert(c.order_number).second) continue;
    const std::string &v = c.expected_verdict;
    if (v == "ready" || v == "payment_due" || v == "too_early" || v == "expired") ++ready;
    if (v == "not_ready") ++not_ready;
    if (v == "already_collected") ++collected;
    if (v == "cancelled") ++cancelled;
  }
  REQUIRE(ready > 0);
  auto expect = [&](std::int64_t waiting) {
    auto s = f.service->status();
    REQUIRE(s.ok());
    CHECK(s->ready == ready);
    CHECK(s->not_ready == not_ready);
    CHECK(s->collected == collected);
    CHECK(s->cancelled == cancelled);
    CHECK(s->events_waiting == waiting);
  };
  expect(0);

  const db::Order o = f.ready_order_with_lines(2);
  done(f.service->hand_over(o.number, {}, ""));
  --ready, ++collected;
  expect(1);

  done(f.service->refuse(f.code("ready", 3).order_number, "absent", ""));
  expect(2);

  done(f.service->undo_last(""));
  ++ready, --collected;
  expect(3);

  done(f.service->hand_over(o.number, {1}, ""));
  --ready, ++collected;
  expect(4);
}

TEST_CASE("every event produces exactly one outbox row, and failures produce none") {
  ServiceFixture f;
  const db::Order o1 = f.ready_order_with_lines(2, 0);
  const db::Order o2 = f.ready_order_with_lines(2, 1);
  std::int64_t expected = 0;
  auto ok = [&](Result<HandoverReceipt> r) {
    done(std::move(r));
    ++expected;
    CHECK(f.events() == expected);
    CHECK(f.outbox() == expected);
  };
  auto fails = [&](const Result<HandoverReceipt> &r) {
    CHECK_FALSE(r.ok());
    CHECK(f.events() == expected);
    CHECK(f.outbox() == expected);
  };
  ok(f.service->hand_over(o1.number, {}, "a"));
  fails(f.service->hand_over(o1.number, {}, "a"));
  ok(f.service->undo_last("a"));
  fails(f.service->hand_over(o2.number, {42}, "a"));
  ok(f.service->hand_over(o2.number, {1}, "a"));
  ok(f.service->refuse(o1.number, "client absent", "a"));
  fails(f.service->refuse(o1.number, "", "a"));
  ok(f.service->undo_last("a"));
  ok(f.service->hand_over(o1.number, {}, "a"));
  f.clock.advance_ms(PickupService::kUndoWindowMs + 1);
  fails(f.service->undo_last("a"));

  CHECK(f.count("SELECT COUNT(*) FROM handover_events e WHERE (SELECT COUNT(*) FROM outbox o "
                "WHERE o.event_seq = e.seq) = 1") == expected);
  auto s = f.service->status();
  REQUIRE(s.ok());
  CHECK(s->events_waiting == expected);
}

TEST_CASE("a full disk refuses the handover with disk_full, records nothing, and recovers") {
  ServiceFixture f;
  const db::Order o = f.ready_order_with_lines(1);
  db::Connection &c = f.database->connection();
  // Cap the file at its current size: any new page SQLite needs is "disk full" (SQLITE_FULL).
  // A long staff field makes the event spill into an overflow page, so it needs one.
  const std::string staff(6000, 'x');
  const std::int64_t pages = f.count("PRAGMA page_count");
  REQUIRE(c.exec("PRAGMA max_page_count=" + std::to_string(pages)).ok());
  const std::int64_t events_before = f.events();
  auto r = f.service->hand_over(o.number, {}, staff);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "disk_full");
  CHECK(error_message(r.error(), Lang::fr).find("Disque plein") != std::string::npos);
  CHECK(f.events() == events_before);
  CHECK(f.outbox() == 0);

  // Space comes back: the same handover now goes through, once.
  REQUIRE(c.exec("PRAGMA max_page_count=1000000").ok());
  auto again = f.service->hand_over(o.number, {}, staff);
  REQUIRE(again.ok());
  CHECK(f.events() == events_before + 1);
  CHECK(f.outbox() == 1);
}

TEST_CASE("five failed typed codes in a minute pause typed codes for 30 s, not QR tokens") {
  ServiceFixture f;
  const auto &ready = f.code("ready");
  std::string mistyped = ready.code;
  mistyped.back() = mistyped.back() == '0' ? '1' : '0';
  for (int i = 0; i < 5; ++i) {
    f.service->reset_double_read_filter();
    f.clock.advance_ms(1000);
    auto v = f.service->scan(mistyped);
    REQUIRE(v.ok());
    CHECK(v->kind == VerdictKind::mistyped);
  }
  // Paused: even a right code, and an order number, are refused without a lookup.
  f.service->reset_double_read_filter();
  auto paused = f.service->scan(ready.code);
  REQUIRE(paused.ok());
  CHECK(paused->kind == VerdictKind::unknown);
  CHECK(paused->detail == "rate_limited");
  CHECK_FALSE(paused->order.has_value());
  CHECK(verdict_message(*paused, Lang::fr).find("30 secondes") != std::string::npos);
  auto by_number = f.service->scan(ready.order_number);
  REQUIRE(by_number.ok());
  CHECK(by_number->detail == "rate_limited");
  // A signed token is not typed: it still reads.
  const provisioning::DemoCode *token = nullptr;
  for (const auto &c : f.region.codes) {
    if (c.code.size() > 100 && c.expected_verdict == "ready") {
      token = &c;
      break;
    }
  }
  REQUIRE(token != nullptr);
  auto t = f.service->scan(token->code);
  REQUIRE(t.ok());
  CHECK(t->kind == VerdictKind::ready);
  // 30 s later typed codes work again.
  f.clock.advance_ms(30'001);
  f.service->reset_double_read_filter();
  auto again = f.service->scan(ready.code);
  REQUIRE(again.ok());
  CHECK(again->kind == VerdictKind::ready);
}

TEST_CASE("a second undo does not reach back to the handover before") {
  ServiceFixture f;
  const auto &first = f.code("ready", 0);
  const auto &second = f.code("ready", 1);
  done(f.service->hand_over(first.order_number, {}, "Léa"));
  done(f.service->hand_over(second.order_number, {}, "Léa"));
  done(f.service->undo_last("Léa"));
  auto again = f.service->undo_last("Léa");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "nothing_to_undo");
  // The first customer's handover stands.
  auto v = f.service->check_order(first.order_number);
  REQUIRE(v.ok());
  CHECK(v->kind == VerdictKind::already_collected);
}

TEST_CASE("undo(event_id) takes back only the handover it names") {
  ServiceFixture f;
  const auto &a = f.code("ready", 0);
  const auto &b = f.code("ready", 1);
  const HandoverReceipt handed = done(f.service->hand_over(a.order_number, {}, "Léa"));

  SUBCASE("hand over A, refuse B, undo the refusal's receipt: nothing, A stands") {
    const HandoverReceipt refusal = done(f.service->refuse(b.order_number, "absent", "Léa"));
    auto r = f.service->undo(refusal.event_id, "Léa");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "nothing_to_undo");
    CHECK(f.events() == 2);
    auto v = f.service->check_order(a.order_number);
    REQUIRE(v.ok());
    CHECK(v->kind == VerdictKind::already_collected);
    // The refusal does not hide A: undoing A by its id still works.
    const HandoverReceipt undo = done(f.service->undo(handed.event_id, "Léa"));
    CHECK(undo.undone_event == handed.event_id);
    CHECK(undo.order_number == a.order_number);
  }
  SUBCASE("hand over A then B: undoing A is refused, B stands, B can be undone") {
    const HandoverReceipt second = done(f.service->hand_over(b.order_number, {}, "Léa"));
    auto r = f.service->undo(handed.event_id, "Léa");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "nothing_to_undo");
    CHECK(f.events() == 2);
    for (const auto *c : {&a, &b}) {
      auto v = f.service->check_order(c->order_number);
      REQUIRE(v.ok());
      CHECK(v->kind == VerdictKind::already_collected);
    }
    const HandoverReceipt undo = done(f.service->undo(second.event_id, ""));
    CHECK(undo.kind == db::EventKind::undo);
    CHECK(undo.undone_event == second.event_id);
  }
  SUBCASE("undone already: a second press is nothing_to_undo") {
    done(f.service->undo(handed.event_id, "Léa"));
    auto r = f.service->undo(handed.event_id, "Léa");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "nothing_to_undo");
    CHECK(f.events() == 2);
  }
  SUBCASE("an unknown or empty id is nothing_to_undo") {
    for (const char *id : {"", "0190a5b4-0000-7000-8000-000000000000"}) {
      auto r = f.service->undo(id, "Léa");
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == "nothing_to_undo");
    }
    CHECK(f.events() == 1);
  }
  SUBCASE("the named last handover, over 2 minutes old: undo_too_late") {
    f.clock.advance_ms(PickupService::kUndoWindowMs + 1);
    auto r = f.service->undo(handed.event_id, "Léa");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "undo_too_late");
    CHECK(f.events() == 1);
  }
  SUBCASE("at exactly 2 minutes it is still undone") {
    f.clock.advance_ms(PickupService::kUndoWindowMs);
    CHECK(done(f.service->undo(handed.event_id, "Léa")).undone_event == handed.event_id);
  }
}

TEST_CASE("undo(event_id) does not undo another device's handover") {
  ServiceFixture f;
  const auto &a = f.code("ready", 0);
  PickupService other(*f.database, f.clock, Identity{f.region.local_stand, "caisse-2"});
  const HandoverReceipt handed = done(other.hand_over(a.order_number, {}, "Léa"));
  auto r = f.service->undo(handed.event_id, "Léa");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "nothing_to_undo");
  CHECK(f.events() == 1);
}

TEST_CASE("a handover retried after a failed write keeps the scan's event id") {
  ServiceFixture f;
  const auto &c = f.code("ready");
  const Verdict scan = scanned(*f.service, c.code);
  db::Connection &conn = f.database->connection();
  const std::int64_t pages = f.count("PRAGMA page_count");
  REQUIRE(conn.exec("PRAGMA max_page_count=" + std::to_string(pages)).ok());
  const std::string staff(6000, 'x');  // needs a new page: disk full
  auto failed = f.service->hand_over(c.order_number, {}, staff);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == "disk_full");
  REQUIRE(conn.exec("PRAGMA max_page_count=1000000").ok());
  const HandoverReceipt ok = done(f.service->hand_over(c.order_number, {}, staff));
  CHECK(ok.event_id == scan.scan_id);
}

TEST_CASE("every demo token gets its expected verdict, an unsynced one the token's facts only") {
  ServiceFixture f;
  std::map<std::string, int> seen;
  int mangled = 0;
  for (const auto &c : f.region.codes) {
    if (!is_token(c)) continue;
    CAPTURE(c.code);
    f.clock.advance_ms(10);
    f.service->reset_double_read_filter();
    const Verdict v = scanned(*f.service, c.code);
    CHECK(to_string(v.kind) == c.expected_verdict);
    ++seen[c.expected_verdict];
    if (c.code.starts_with("ZA1")) {
      CHECK(v.layout.empty());
    } else {
      CHECK(v.layout == "us>fr");  // the demo's AZERTY-mangled token
      ++mangled;
    }
    if (c.order_number.empty()) {
      CHECK_FALSE(v.order.has_value());  // forged, unknown key: nothing shown
      continue;
    }
    REQUIRE(v.order.has_value());
    CHECK(v.order->number == c.order_number);
    if (c.order_number.starts_with('#')) {
      CHECK_FALSE(v.order->in_cache);
      CHECK(v.order->lines.empty());
      CHECK(v.order->prepaid);
      CHECK(v.order->id == std::stoll(c.order_number.substr(1)));
    } else {
      CHECK(v.order->in_cache);
      CHECK(v.order->id == f.order(c.order_number).id);
    }
  }
  CHECK(mangled == 1);
  CHECK(seen["ready_unsynced"] == 2);
  CHECK(seen["forged"] == 1);
  CHECK(seen["unknown_key"] == 1);
  CHECK(seen["ready"] >= 10);
  CHECK(seen["wrong_stand"] >= 3);  // two cached orders elsewhere, one unsynced
  for (const char *verdict :
       {"payment_due", "already_collected", "not_ready", "cancelled", "too_early", "expired"}) {
    CAPTURE(verdict);
    CHECK(seen[verdict] >= 1);
  }
  CHECK(f.events() == 0);
}

TEST_CASE("a ready_unsynced token: handed over as #ID, collected, undone, refused") {
  ServiceFixture f;
  const auto &entry = unsynced_token(f, "#900001");
  const Verdict first = scanned(*f.service, entry.code);
  REQUIRE(first.kind == VerdictKind::ready_unsynced);
  // A missing line of an order whose lines are not known is refused.
  CHECK(refused_code(f.service->hand_over("#900001", {1}, "Léa")) == "bad_line");

  f.clock.advance_ms(1500);
  const HandoverReceipt handed = done(f.service->hand_over("#900001", {}, "Léa"));
  CHECK(handed.kind == db::EventKind::full);
  CHECK(handed.order_id == 900001);
  CHECK(handed.order_number == "#900001");
  CHECK(handed.event_id == first.scan_id);
  CHECK(handed.lines_handed.empty());
  CHECK(handed.lines_missing.empty());
  const auto events = f.ledger_for(900001);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == db::EventKind::full);
  CHECK(events[0].staff == "Léa");
  CHECK(events[0].device == kDevice);
  CHECK(f.outbox() == 1);

  f.service->reset_double_read_filter();
  const Verdict again = scanned(*f.service, entry.code);
  CHECK(again.kind == VerdictKind::already_collected);
  REQUIRE(again.collected.has_value());
  CHECK(again.collected->here);
  CHECK(again.collected->staff == "Léa");
  CHECK(again.collected->wall_ms == kStartMs + 1500);
  auto check = f.service->check_order("#900001");
  REQUIRE(check.ok());
  CHECK(check->kind == VerdictKind::already_collected);
  CHECK(refused_code(f.service->hand_over("#900001", {}, "Léa")) == "not_collectable");

  // Undone within 2 minutes: the token is ready_unsynced again.
  f.clock.advance_ms(10'000);
  const HandoverReceipt undo = done(f.service->undo_last("Léa"));
  CHECK(undo.kind == db::EventKind::undo);
  CHECK(undo.undone_event == handed.event_id);
  CHECK(undo.order_number == "#900001");
  f.service->reset_double_read_filter();
  CHECK(scanned(*f.service, entry.code).kind == VerdictKind::ready_unsynced);

  // Refused with a reason: recorded under the order's id, still collectable after.
  CHECK(refused_code(f.service->refuse("#900001", "", "Léa")) == "reason_required");
  const HandoverReceipt refused =
      done(f.service->refuse("#900001", "pièce d'identité absente", "Léa"));
  CHECK(refused.kind == db::EventKind::refused);
  CHECK(refused.order_id == 900001);
  CHECK(refused.order_number == "#900001");
  CHECK(refused.reason == "pièce d'identité absente");
  CHECK(f.ledger_for(900001).size() == 3);
  CHECK(f.outbox() == 3);
  auto after = f.service->check_order("#900001");
  REQUIRE(after.ok());
  CHECK(after->kind == VerdictKind::ready_unsynced);
}

TEST_CASE("#ID of a genuine token not scanned yet is order_not_found, found once scanned") {
  ServiceFixture f;
  CHECK(refused_code(f.service->hand_over("#900002", {}, "Léa")) == "order_not_found");
  CHECK(refused_code(f.service->refuse("#900002", "absent", "Léa")) == "order_not_found");
  for (const char *bad : {"#", "#abc", "#0", "#-5", "#900002x", "#99999999999999999999"}) {
    CAPTURE(bad);
    CHECK(refused_code(f.service->hand_over(bad, {}, "Léa")) == "order_not_found");
  }
  CHECK(f.events() == 0);

  scanned(*f.service, unsynced_token(f, "#900002").code);
  const HandoverReceipt r = done(f.service->hand_over("#900002", {}, "Léa"));
  CHECK(r.order_id == 900002);
  // #ID of a cached order is that order.
  const db::Order cached = f.order(f.code("ready").order_number);
  const HandoverReceipt by_id =
      done(f.service->hand_over("#" + std::to_string(cached.id), {}, "Léa"));
  CHECK(by_id.order_number == cached.number);
  CHECK(by_id.lines_handed == line_numbers(cached));
}

TEST_CASE("unsynced tokens of another stand, or without the prepaid flag, at the counter") {
  ServiceFixture f;
  const Verdict elsewhere = scanned(*f.service, unsynced_token(f, "#900003").code);
  CHECK(elsewhere.kind == VerdictKind::wrong_stand);
  REQUIRE(elsewhere.collect_at.has_value());
  CHECK(elsewhere.collect_at->id == 2);
  CHECK(elsewhere.collect_at->name == "Boulangerie Marchand");  // the stand is in the cache
  auto refused = f.service->hand_over("#900003", {}, "Léa");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "not_collectable");
  CHECK(refused.error().detail == "wrong_stand");

  // Not prepaid: staff may still hand it over (and take the payment).
  const Verdict unpaid = scanned(*f.service, demo_token(f, 900100, false));
  CHECK(unpaid.kind == VerdictKind::ready_unsynced);
  REQUIRE(unpaid.order.has_value());
  CHECK_FALSE(unpaid.order->prepaid);
  CHECK(unpaid.order->due_cents == 0);
  CHECK(done(f.service->hand_over("#900100", {}, "Léa")).order_id == 900100);
  CHECK(f.events() == 1);
}

TEST_CASE("a genuine token of a cached order shows the cached order, lines and all") {
  ServiceFixture f;
  const auto &c = f.code("ready");
  const db::Order o = f.order(c.order_number);
  const Verdict v = scanned(*f.service, demo_token(f, static_cast<std::uint64_t>(o.id), true));
  CHECK(v.kind == VerdictKind::ready);
  REQUIRE(v.order.has_value());
  CHECK(v.order->in_cache);
  CHECK(v.order->number == o.number);
  CHECK(v.order->lines.size() == o.lines.size());
}

TEST_CASE("reload_keys picks up a portal key added after the service started") {
  ServiceFixture f;
  std::array<unsigned char, 32> seed{};
  seed.fill(0x5A);
  const codes::KeyPair rotated = codes::key_pair_from_seed(seed);
  const db::Order o = f.order(f.code("ready").order_number);
  const auto today = static_cast<std::uint16_t>(f.clock.wall_ms() / 1000 / 86400);
  const std::string token =
      codes::sign_token({2, static_cast<std::uint64_t>(o.id), 1,
                         static_cast<std::uint16_t>(today + 1), codes::kFlagPrepaid},
                        rotated.secret_key);

  const Verdict before = scanned(*f.service, token);
  CHECK(before.kind == VerdictKind::unknown_key);
  CHECK(before.detail == "unknown_key");
  CHECK(verdict_message(before, Lang::fr).find("synchronis") != std::string::npos);

  const std::int64_t now_s = f.clock.wall_ms() / 1000;
  db::KeyStore store(f.database->connection());
  REQUIRE(store.put({2, rotated.public_key, now_s - 86400, now_s + 86400}).ok());
  f.service->reset_double_read_filter();
  CHECK(scanned(*f.service, token).kind == VerdictKind::unknown_key);  // not read yet

  REQUIRE(f.service->reload_keys().ok());
  f.service->reset_double_read_filter();
  const Verdict after = scanned(*f.service, token);
  CHECK(after.kind == VerdictKind::ready);
  REQUIRE(after.order.has_value());
  CHECK(after.order->number == o.number);
  // The demo key still works alongside it.
  f.service->reset_double_read_filter();
  CHECK(scanned(*f.service, demo_token(f, static_cast<std::uint64_t>(o.id), true)).kind ==
        VerdictKind::ready);

  SUBCASE("a key whose validity ended is key_not_valid, after a reload") {
    REQUIRE(store.put({2, rotated.public_key, now_s - 2 * 86400, now_s - 1}).ok());
    REQUIRE(f.service->reload_keys().ok());
    f.service->reset_double_read_filter();
    const Verdict expired = scanned(*f.service, token);
    CHECK(expired.kind == VerdictKind::unknown_key);
    CHECK(expired.detail == "key_not_valid");
    CHECK_FALSE(expired.order.has_value());
  }
  SUBCASE("a forged token under the new key is forged") {
    std::string forged = token;
    forged[120] = forged[120] == 'A' ? 'B' : 'A';
    f.service->reset_double_read_filter();
    CHECK(scanned(*f.service, forged).kind == VerdictKind::forged);
  }
}

TEST_CASE("rate limit: tokens never count, typed failures spread over more than a minute do not") {
  ServiceFixture f;
  const auto &ready = f.code("ready");
  std::string mistyped = ready.code;
  mistyped.back() = mistyped.back() == '0' ? '1' : '0';
  auto scan_fresh = [&](std::string_view text) {
    f.service->reset_double_read_filter();
    f.clock.advance_ms(1000);
    return scanned(*f.service, text);
  };
  // Forged and foreign tokens, and garbage, are not typed codes: no pause however many.
  std::string forged;
  std::string foreign;
  for (const auto &c : f.region.codes) {
    if (c.expected_verdict == "forged") forged = c.code;
    if (c.expected_verdict == "unknown_key") foreign = c.code;
  }
  REQUIRE_FALSE(forged.empty());
  REQUIRE_FALSE(foreign.empty());
  for (int i = 0; i < 6; ++i) {
    CHECK(scan_fresh(forged).kind == VerdictKind::forged);
    CHECK(scan_fresh(foreign).kind == VerdictKind::unknown_key);
    CHECK(scan_fresh("bonjour").kind == VerdictKind::not_a_pickup_code);
  }
  CHECK(scan_fresh(ready.code).kind == VerdictKind::ready);

  // Four failures, then a fifth 61 s later: the first four have left the window.
  for (int i = 0; i < 4; ++i) CHECK(scan_fresh(mistyped).kind == VerdictKind::mistyped);
  f.clock.advance_ms(61'000);
  CHECK(scan_fresh(mistyped).kind == VerdictKind::mistyped);
  CHECK(scan_fresh(ready.code).kind == VerdictKind::ready);
  // Four more within the minute make five: paused.
  for (int i = 0; i < 3; ++i) CHECK(scan_fresh(mistyped).kind == VerdictKind::mistyped);
  CHECK(scan_fresh(mistyped).kind == VerdictKind::mistyped);  // the fifth is still answered
  const Verdict paused = scan_fresh(mistyped);
  CHECK(paused.kind == VerdictKind::unknown);
  CHECK(paused.detail == "rate_limited");
}

TEST_CASE("rate limit: unknown codes and order numbers count, the pause lasts exactly 30 s") {
  ServiceFixture f;
  std::vector<std::string> failures;
  for (const auto &c : f.region.codes) {
    if (c.expected_verdict == "unknown") failures.push_back(c.code);
  }
  REQUIRE(failures.size() == 3);
  failures.push_back("C-999999");  // no such order number
  // An unknown short code typed through a French layout: repaired, still unknown, typed.
  const std::string unknown_fr = *typed_through_layouts(failures[0], "us", "fr");
  failures.push_back(unknown_fr);
  std::int64_t last_ms = 0;
  for (const std::string &text : failures) {
    f.service->reset_double_read_filter();
    f.clock.advance_ms(1000);
    last_ms = f.clock.wall_ms();
    const Verdict v = scanned(*f.service, text);
    CAPTURE(text);
    CHECK((v.kind == VerdictKind::unknown || v.kind == VerdictKind::not_a_pickup_code));
    CHECK(v.detail != "rate_limited");
    if (text == unknown_fr) CHECK(v.layout == "us>fr");
  }
  const auto &ready = f.code("ready");
  f.service->reset_double_read_filter();
  f.clock.advance_ms(30'000 - 1);  // 29.999 s after the fifth failure
  CHECK(scanned(*f.service, ready.code).detail == "rate_limited");
  CHECK(scanned(*f.service, ready.order_number).detail == "rate_limited");
  // Tokens still read meanwhile.
  CHECK(scanned(*f.service, unsynced_token(f, "#900001").code).kind == VerdictKind::ready_unsynced);
  f.service->reset_double_read_filter();
  f.clock.advance_ms(1);
  REQUIRE(f.clock.wall_ms() - last_ms == 30'000);
  CHECK(scanned(*f.service, ready.code).kind == VerdictKind::ready);
}

}  // namespace comptoir::test
