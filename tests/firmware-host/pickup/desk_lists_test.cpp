// What the kiosk reads from the core besides verdicts: search by number or customer, the
// day's report (pending, collected, problems, pickups per hour) and the desk status's
// count of today's pickups and last sync, over a real demo cache and a manual clock in a
// fixed time zone.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "db/order_cache.hpp"
#include "pickup/pickup_service.hpp"
#include "tests/firmware-host/service_fixture.hpp"
#include "tests/firmware-host/time_zone.hpp"

namespace comptoir::test {
namespace {

// kStartMs is 2025-10-09 10:53:20 in Paris (UTC+2); local midnight before it:
constexpr std::int64_t kParisMidnight = 1'759'960'800;
constexpr std::int64_t kHour = 3600;

std::vector<OrderListItem> found(ServiceFixture &f, std::string_view query,
                                 std::size_t limit = 20) {
  auto r = f.service->search(query, limit);
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return *r;
}

std::vector<std::string> numbers(const std::vector<OrderListItem> &items) {
  std::vector<std::string> out;
  for (const auto &i : items) out.push_back(i.number);
  return out;
}

// An order of the local stand, ready and prepaid, with three lines of the demo farm.
db::Order put_order(ServiceFixture &f, std::int64_t id, std::string number, std::string customer,
                    std::int64_t from_s, std::int64_t until_s,
                    db::OrderStatus status = db::OrderStatus::ready) {
  db::Order o;
  o.id = id;
  o.number = std::move(number);
  o.stand_id = f.region.local_stand;
  o.customer = std::move(customer);
  o.status = status;
  o.pickup_from = from_s;
  o.pickup_until = until_s;
  o.paid_cents = 2000;
  o.short_code = 900'000'000 + id;
  o.lines = {{1, 1000, 1000, 1500, {}, {}, false},
             {2, 1001, 1000, 390, {}, {}, false},
             {3, 1007, 2000, 300, {}, {}, false}};
  db::OrderCache cache(f.database->connection());
  REQUIRE(cache.put_order(o).ok());
  return o;
}

HandoverReceipt done(Result<HandoverReceipt> r) {
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return std::move(r).value();
}

DayReport day(ServiceFixture &f) {
  auto r = f.service->today();
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return *r;
}

DeskStatus status(ServiceFixture &f) {
  auto r = f.service->status();
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return *r;
}

const OrderListItem *in(const std::vector<OrderListItem> &items, std::string_view number) {
  for (const auto &i : items) {
    if (i.number == number) return &i;
  }
  return nullptr;
}

// The demo's orders by the verdict a scan of their number should get, from its code list.
std::map<std::string, std::string> demo_verdicts(const ServiceFixture &f) {
  std::map<std::string, std::string> out;
  for (const auto &c : f.region.codes) {
    if (c.code.size() > 20 || c.order_number.empty() || c.order_number[0] == '#') continue;
    out[c.order_number] = c.expected_verdict;
  }
  return out;
}

TEST_CASE("search finds customers whatever their accents and case") {
  ServiceFixture f;
  const std::int64_t now = kStartMs / 1000;
  put_order(f, 700001, "C-700001", "Hélène Œillet", now, now + 2 * kHour);
  put_order(f, 700002, "C-700002", "Ève Lefèvre-Ça", now - kHour, now + 2 * kHour);

  for (std::string_view q : {"helene oe", "HÉLÈNE Œ", "Helene oeillet", "œil", "OEIL"}) {
    CAPTURE(q);
    CHECK(numbers(found(f, q)) == std::vector<std::string>{"C-700001"});
  }
  // "helene" alone also finds the demo's Hélène R., on this stand only.
  std::size_t demo_helenes = 0;
  for (const auto &[number, verdict] : demo_verdicts(f)) {
    demo_helenes += verdict != "wrong_stand" && f.order(number).customer == "Hélène R." ? 1 : 0;
  }
  for (std::string_view q : {"helene", "HÉLÈNE", "hélène"}) {
    CAPTURE(q);
    const auto items = found(f, q, 100);
    CHECK(items.size() == demo_helenes + 1);
    CHECK(in(items, "C-700001") != nullptr);
    for (const auto &i : items) CHECK(i.customer.starts_with("Hélène"));
  }
  for (std::string_view q : {"lefevre", "LEFÈVRE ça", "eve lefevre ca", "  lefevre  "}) {
    CAPTURE(q);
    CHECK(numbers(found(f, q)) == std::vector<std::string>{"C-700002"});
  }
  CHECK(found(f, "zzzz").empty());
}

TEST_CASE("search by number fragment: dashes and spaces tolerated, prefixes first") {
  ServiceFixture f;
  const std::int64_t now = kStartMs / 1000;
  // Pickup times put the one holding the fragment first, so only the rank can sort them.
  put_order(f, 700003, "C-555104", "Paul A.", now - 2 * kHour, now + kHour);
  put_order(f, 700004, "C-104555", "Paul B.", now, now + kHour);
  put_order(f, 700005, "C-104556", "Paul C.", now - kHour, now + kHour);

  CHECK(numbers(found(f, "104555")) == std::vector<std::string>{"C-104555"});
  CHECK(numbers(found(f, "c104555")) == std::vector<std::string>{"C-104555"});
  CHECK(numbers(found(f, "C-104 555")) == std::vector<std::string>{"C-104555"});
  CHECK(numbers(found(f, "c-1045")) == std::vector<std::string>{"C-104556", "C-104555"});
  CHECK(numbers(found(f, "1045")) == std::vector<std::string>{"C-104556", "C-104555"});
  CHECK(numbers(found(f, "5104")) == std::vector<std::string>{"C-555104"});
  // Prefixes first (by pickup time), then the number that only holds it.
  CHECK(numbers(found(f, "104")).size() >= 3);
  const auto all = numbers(found(f, "104"));
  CHECK(all[0] == "C-104556");
  CHECK(all[1] == "C-104555");
  CHECK(std::find(all.begin(), all.end(), "C-555104") != all.end());

  // The demo's own numbers: "C-1000" starts each of them; the limit holds.
  const auto demo = found(f, "C-1000", 5);
  CHECK(demo.size() == 5);
  for (const auto &i : demo) CHECK(i.number.starts_with("C-1000"));
  CHECK(found(f, "C-1000", 0).empty());
}

TEST_CASE("search: short queries find nothing, other stands' orders never") {
  ServiceFixture f;
  const std::int64_t now = kStartMs / 1000;
  put_order(f, 700006, "C-700006", "Hé Lo", now, now + kHour);
  CHECK(found(f, "").empty());
  CHECK(found(f, "h").empty());
  CHECK(found(f, "é").empty());
  CHECK(found(f, "   é   ").empty());
  CHECK_FALSE(found(f, " hé ").empty());  // two characters once trimmed

  // The demo's orders for other stands carry the same customer names: a search for their
  // numbers or names must only ever return this stand's orders.
  const auto verdicts = demo_verdicts(f);
  std::size_t checked = 0;
  for (const auto &[number, verdict] : verdicts) {
    if (verdict != "wrong_stand") continue;
    ++checked;
    CHECK(found(f, number).empty());
    const db::Order o = f.order(number);
    for (const auto &item : found(f, o.customer, 100)) {
      CHECK(f.order(item.number).stand_id == f.region.local_stand);
    }
  }
  CHECK(checked > 0);
}

TEST_CASE("search results say what a scan would, and whether and how it was collected") {
  ServiceFixture f;
  const db::Order full = f.ready_order_with_lines(2);
  const db::Order partial = f.ready_order_with_lines(2, 1);
  const auto item = [&](const db::Order &o) {
    const auto items = found(f, o.number);
    REQUIRE(items.size() == 1);
    return items.front();
  };
  OrderListItem before = item(full);
  CHECK(before.kind == VerdictKind::ready);
  CHECK_FALSE(before.collected);
  CHECK_FALSE(before.collected_ms.has_value());
  CHECK(before.line_count == full.lines.size());
  CHECK(before.customer == full.customer);
  CHECK(before.pickup_from == full.pickup_from);

  // Every demo order of this stand: the list's kind is the scan's verdict.
  for (const auto &[number, verdict] : demo_verdicts(f)) {
    if (verdict == "wrong_stand") continue;
    CAPTURE(number);
    const auto items = found(f, number);
    REQUIRE(items.size() == 1);
    CHECK(to_string(items.front().kind) == verdict);
  }

  done(f.service->hand_over(full.number, {}, "Léa"));
  OrderListItem after = item(full);
  CHECK(after.kind == VerdictKind::already_collected);
  CHECK(after.collected);
  REQUIRE(after.collected_ms.has_value());
  CHECK(*after.collected_ms == f.clock.wall_ms());
  CHECK_FALSE(after.partial);

  f.clock.advance_ms(5000);
  done(f.service->hand_over(partial.number, {partial.lines.back().line_no}, "Léa"));
  OrderListItem p = item(partial);
  REQUIRE(p.collected_ms.has_value());
  CHECK(*p.collected_ms == f.clock.wall_ms());
  CHECK(p.partial);

  // Undone: no longer collected.
  done(f.service->undo_last("Léa"));
  OrderListItem undone = item(partial);
  CHECK_FALSE(undone.collected);
  CHECK_FALSE(undone.collected_ms.has_value());
  CHECK_FALSE(undone.partial);
  CHECK(undone.kind == VerdictKind::ready);

  // Collected elsewhere, as the portal reports: its time.
  const std::string elsewhere = f.code("already_collected").order_number;
  const OrderListItem portal = item(f.order(elsewhere));
  REQUIRE(portal.collected_ms.has_value());
  CHECK(*portal.collected_ms == f.order(elsewhere).collected_at_ms.value());
}

TEST_CASE("today sorts the day's orders into pending, collected and problems") {
  TimeZone paris("Europe/Paris");
  ServiceFixture f;
  // Over at 09:00 this morning, never collected: still within the late grace, so a scan
  // would hand it over, and it is pending, not a no-show, until 21:00.
  put_order(f, 700010, "C-700010", "Absent", kParisMidnight + 8 * kHour,
            kParisMidnight + 9 * kHour);
  REQUIRE(Policy{}.late_grace_s == 12 * kHour);

  DayReport r = day(f);
  CHECK(r.day_start == kParisMidnight);
  const auto verdicts = demo_verdicts(f);
  std::size_t pending = 0, collected = 0, cancelled = 0;
  for (const auto &[number, verdict] : verdicts) {
    CAPTURE(number);
    CAPTURE(verdict);
    if (verdict == "ready" || verdict == "payment_due" || verdict == "not_ready") {
      ++pending;
      const OrderListItem *i = in(r.pending, number);
      REQUIRE(i != nullptr);
      CHECK(to_string(i->kind) == verdict);
      CHECK(i->problem.empty());
    } else if (verdict == "already_collected") {
      ++collected;
      CHECK(in(r.collected, number) != nullptr);
    } else if (verdict == "cancelled") {
      ++cancelled;
      const OrderListItem *i = in(r.problems, number);
      REQUIRE(i != nullptr);
      CHECK(i->problem == "cancelled");
    } else {
      // too_early (in two days), expired (three days ago), other stands: not today's.
      CHECK(in(r.pending, number) == nullptr);
      CHECK(in(r.collected, number) == nullptr);
      CHECK(in(r.problems, number) == nullptr);
    }
  }
  CHECK(r.pending.size() == pending + 1);
  CHECK(r.collected.size() == collected);
  CHECK(r.problems.size() == cancelled);
  const OrderListItem *late = in(r.pending, "C-700010");
  REQUIRE(late != nullptr);
  CHECK(late->problem.empty());
  CHECK(late->kind == VerdictKind::ready);
  CHECK(in(r.problems, "C-700010") == nullptr);
  for (int n : r.per_hour) CHECK(n == 0);
  // Each list by pickup time.
  for (const auto *list : {&r.pending, &r.collected, &r.problems}) {
    for (std::size_t i = 1; i < list->size(); ++i) {
      CHECK((*list)[i - 1].pickup_from <= (*list)[i].pickup_from);
    }
  }

  // Staff at work: one full handover, one partial, one refusal, one refused then handed
  // over, one handed over then undone.
  const db::Order a = f.ready_order_with_lines(2, 0);
  const db::Order b = f.ready_order_with_lines(2, 1);
  const db::Order c = f.ready_order_with_lines(2, 2);
  const db::Order d = f.ready_order_with_lines(2, 3);
  const db::Order e = f.ready_order_with_lines(2, 4);
  done(f.service->hand_over(a.number, {}, "Léa"));  // 10:53
  f.service->reset_double_read_filter();
  f.clock.advance_ms(kHour * 1000);  // 11:53
  done(f.service->hand_over(b.number, {b.lines.front().line_no}, "Léa"));
  done(f.service->refuse(c.number, "pièce d'identité manquante", "Léa"));
  done(f.service->refuse(d.number, "pas payé", "Léa"));
  done(f.service->hand_over(d.number, {}, "Léa"));
  f.clock.advance_ms(60 * 1000);
  done(f.service->hand_over(e.number, {}, "Léa"));
  done(f.service->undo_last("Léa"));

  r = day(f);
  REQUIRE(in(r.collected, a.number) != nullptr);
  CHECK(in(r.collected, a.number)->collected_ms == kStartMs);
  const OrderListItem *pb = in(r.problems, b.number);
  REQUIRE(pb != nullptr);
  CHECK(pb->problem == "partial");
  CHECK(pb->partial);
  const OrderListItem *pc = in(r.problems, c.number);
  REQUIRE(pc != nullptr);
  CHECK(pc->problem == "refused");
  CHECK(pc->kind == VerdictKind::ready);
  CHECK(in(r.collected, d.number) != nullptr);
  CHECK(in(r.problems, d.number) == nullptr);
  CHECK(in(r.pending, e.number) != nullptr);
  CHECK(r.pending.size() == pending + 1 - 5 + 1);
  CHECK(r.collected.size() == collected + 2);
  CHECK(r.problems.size() == cancelled + 2);

  // a at 10:xx, b and d at 11:xx; e was undone, refusals are not pickups.
  std::array<int, 24> expected{};
  expected[10] = 1;
  expected[11] = 2;
  CHECK(r.per_hour == expected);
  CHECK(status(f).collected_today == 3);

  // 21:00 sharp, the end of the late grace: a scan still hands it over, so not a no-show.
  f.clock.advance_ms((kParisMidnight + 21 * kHour) * 1000 - f.clock.wall_ms());
  r = day(f);
  REQUIRE(in(r.pending, "C-700010") != nullptr);
  CHECK(in(r.pending, "C-700010")->kind == VerdictKind::ready);
  CHECK(f.service->check_order("C-700010")->kind == VerdictKind::ready);
  // A second later a scan says expired, and the list says no-show.
  f.clock.advance_ms(1000);
  r = day(f);
  CHECK(in(r.pending, "C-700010") == nullptr);
  const OrderListItem *absent = in(r.problems, "C-700010");
  REQUIRE(absent != nullptr);
  CHECK(absent->problem == "no_show");
  CHECK(absent->kind == VerdictKind::expired);
  CHECK(f.service->check_order("C-700010")->kind == VerdictKind::expired);
}

TEST_CASE("today: no-show follows the policy's late grace") {
  TimeZone paris("Europe/Paris");
  ServiceFixture f;
  // Ended an hour ago (09:53).
  const std::int64_t now = kStartMs / 1000;
  put_order(f, 700030, "C-700030", "Retard", now - 3 * kHour, now - kHour);
  for (const std::int64_t grace : {std::int64_t{0}, kHour - 1, kHour, 2 * kHour}) {
    CAPTURE(grace);
    PickupService service(*f.database, f.clock, Identity{f.region.local_stand, kDevice},
                          Policy{30 * 60, grace});
    auto r = service.today();
    REQUIRE(r.ok());
    const bool over = grace < kHour;
    const OrderListItem *problem = in(r->problems, "C-700030");
    const OrderListItem *pending = in(r->pending, "C-700030");
    CHECK((problem != nullptr) == over);
    CHECK((pending != nullptr) == !over);
    const OrderListItem &item = problem != nullptr ? *problem : *pending;
    CHECK(item.problem == (over ? "no_show" : ""));
    CHECK(item.kind == (over ? VerdictKind::expired : VerdictKind::ready));
  }
}

TEST_CASE("an order the portal reports collected without a time: collected, time unknown") {
  TimeZone paris("Europe/Paris");
  ServiceFixture f;
  const std::int64_t now = kStartMs / 1000;
  // One over before dawn (it would be a no-show were it not collected), one still open.
  put_order(f, 700040, "C-700040", "Sans heure", kParisMidnight, kParisMidnight + kHour,
            db::OrderStatus::collected);
  put_order(f, 700041, "C-700041", "Avec heure", now - kHour, now + kHour,
            db::OrderStatus::collected);
  db::Order with_time = f.order("C-700041");
  with_time.collected_at_ms = kStartMs - 600'000;
  db::OrderCache cache(f.database->connection());
  REQUIRE(cache.put_order(with_time).ok());
  REQUIRE_FALSE(f.order("C-700040").collected_at_ms.has_value());

  const auto items = found(f, "C-700040");
  REQUIRE(items.size() == 1);
  CHECK(items[0].collected);
  CHECK_FALSE(items[0].collected_ms.has_value());
  CHECK(items[0].kind == VerdictKind::already_collected);

  const auto timed = found(f, "C-700041");
  REQUIRE(timed.size() == 1);
  CHECK(timed[0].collected);
  REQUIRE(timed[0].collected_ms.has_value());
  CHECK(*timed[0].collected_ms == kStartMs - 600'000);

  // Late enough for C-700040's window and grace to be over: still collected, no problem.
  f.clock.advance_ms(12 * kHour * 1000);
  const DayReport r = day(f);
  const OrderListItem *listed = in(r.collected, "C-700040");
  REQUIRE(listed != nullptr);
  CHECK(listed->collected);
  CHECK_FALSE(listed->collected_ms.has_value());
  CHECK(listed->problem.empty());
  CHECK(in(r.problems, "C-700040") == nullptr);
  CHECK(in(r.pending, "C-700040") == nullptr);
  REQUIRE(in(r.collected, "C-700041") != nullptr);
  CHECK(in(r.collected, "C-700041")->collected_ms == kStartMs - 600'000);
}

TEST_CASE("today's pickups start again at local midnight") {
  TimeZone paris("Europe/Paris");
  ServiceFixture f;
  // Windows around the day: ended a second before it, across its start, starting a second
  // before its end, starting at its end.
  const std::int64_t end = kParisMidnight + 24 * kHour;
  put_order(f, 700020, "C-700020", "Hier", kParisMidnight - 2 * kHour, kParisMidnight - 1);
  put_order(f, 700021, "C-700021", "Nuit", kParisMidnight - kHour, kParisMidnight + kHour / 2);
  put_order(f, 700022, "C-700022", "Tard", end - 1, end + kHour);
  put_order(f, 700023, "C-700023", "Demain", end, end + kHour);
  DayReport r = day(f);
  const auto listed = [&](std::string_view n) {
    return in(r.pending, n) != nullptr || in(r.collected, n) != nullptr ||
           in(r.problems, n) != nullptr;
  };
  CHECK_FALSE(listed("C-700020"));
  CHECK(listed("C-700021"));
  // Over at 00:30 but within the late grace (12 h) at 10:53: a scan still hands it over.
  REQUIRE(in(r.pending, "C-700021") != nullptr);
  CHECK(in(r.pending, "C-700021")->kind == VerdictKind::ready);
  CHECK(listed("C-700022"));
  CHECK(in(r.pending, "C-700022")->kind == VerdictKind::too_early);
  CHECK_FALSE(listed("C-700023"));

  // 23:50: a pickup counts for today; at 00:10 the new day has none.
  f.clock.advance_ms((end - 10 * 60 - kStartMs / 1000) * 1000);
  const db::Order o = f.ready_order_with_lines(1);
  done(f.service->hand_over(o.number, {}, "Léa"));
  CHECK(status(f).collected_today == 1);
  r = day(f);
  CHECK(r.per_hour[23] == 1);
  // By now C-700021's grace is over too: a no-show.
  REQUIRE(in(r.problems, "C-700021") != nullptr);
  CHECK(in(r.problems, "C-700021")->problem == "no_show");
  f.clock.advance_ms(20 * 60 * 1000);
  CHECK(status(f).collected_today == 0);
  r = day(f);
  CHECK(r.day_start == end);
  for (int n : r.per_hour) CHECK(n == 0);
  // Still in its window: collected, yesterday.
  REQUIRE(in(r.collected, o.number) != nullptr);
  CHECK(*in(r.collected, o.number)->collected_ms < end * 1000);
}

TEST_CASE("today on DST days: 23 or 25 hours, handovers by the hour on the wall") {
  TimeZone paris("Europe/Paris");
  struct Handover {
    std::int64_t after_start_s;  // since local midnight, in real seconds
    int local_hour;
  };
  struct DstDay {
    const char *name;
    std::int64_t start;  // `TZ=Europe/Paris date -d "YYYY-MM-DD 00:00" +%s`
    std::int64_t hours;
    std::vector<Handover> handovers;
  };
  // Autumn: 03:00 CEST goes back to 02:00 CET, so 02:xx happens twice. Spring: 02:00 CET
  // jumps to 03:00 CEST, so there is no 02:xx.
  const DstDay autumn{"2025-10-26",
                      1'761'429'600,
                      25,
                      {{kHour + 1800, 1},
                       {2 * kHour + 1800, 2},
                       {3 * kHour + 1800, 2},
                       {4 * kHour + 1800, 3},
                       {24 * kHour + 1800, 23}}};
  const DstDay spring{"2026-03-29",
                      1'774'738'800,
                      23,
                      {{kHour + 1800, 1}, {2 * kHour + 1800, 3}, {22 * kHour + 1800, 23}}};
  DstDay d;
  SUBCASE("autumn, 25 hours") {
    d = autumn;
  }
  SUBCASE("spring, 23 hours") {
    d = spring;
  }
  CAPTURE(d.name);
  ServiceFixture f;
  REQUIRE(d.start * 1000 > f.clock.wall_ms());
  const std::int64_t end = d.start + d.hours * kHour;
  std::vector<std::string> numbers;
  for (std::size_t i = 0; i < d.handovers.size(); ++i) {
    numbers.push_back("C-70005" + std::to_string(i));
    put_order(f, 700050 + static_cast<std::int64_t>(i), numbers.back(), "Client", d.start, end);
  }
  // From 23:30 on the wall: a 24-hour day would end before it (autumn) or after the next
  // midnight (spring).
  put_order(f, 700060, "C-700060", "Tard", end - 1800, end + kHour);
  put_order(f, 700061, "C-700061", "Demain", end, end + kHour);

  std::array<int, 24> expected{};
  for (std::size_t i = 0; i < d.handovers.size(); ++i) {
    const Handover &h = d.handovers[i];
    f.clock.advance_ms((d.start + h.after_start_s) * 1000 - f.clock.wall_ms());
    done(f.service->hand_over(numbers[i], {}, "Léa"));
    ++expected[static_cast<std::size_t>(h.local_hour)];
  }
  const DayReport r = day(f);
  CHECK(r.day_start == d.start);
  CHECK(r.per_hour == expected);
  CHECK(status(f).collected_today == static_cast<std::int64_t>(d.handovers.size()));
  for (const std::string &n : numbers) CHECK(in(r.collected, n) != nullptr);
  CHECK(in(r.pending, "C-700060") != nullptr);
  CHECK(in(r.pending, "C-700061") == nullptr);

  // The next local midnight starts a new day with nothing in it yet.
  f.clock.advance_ms(end * 1000 - f.clock.wall_ms());
  const DayReport next = day(f);
  CHECK(next.day_start == end);
  for (int n : next.per_hour) CHECK(n == 0);
  CHECK(status(f).collected_today == 0);
  CHECK(in(next.pending, "C-700061") != nullptr);
  // A second before, it was still the DST day.
  f.clock.advance_ms(-1000);
  CHECK(day(f).day_start == d.start);
}

TEST_CASE("today: a token-only order handed over counts, but is in no list until synced") {
  TimeZone paris("Europe/Paris");
  ServiceFixture f;
  const provisioning::DemoCode *entry = nullptr;
  for (const auto &c : f.region.codes) {
    if (c.order_number == "#900001" && c.code.size() > 20) entry = &c;
  }
  REQUIRE(entry != nullptr);
  auto v = f.service->scan(entry->code);
  REQUIRE(v.ok());
  REQUIRE(v->kind == VerdictKind::ready_unsynced);
  done(f.service->hand_over("#900001", {}, "Léa"));

  const DayReport r = day(f);
  std::array<int, 24> expected{};
  expected[10] = 1;  // 10:53 in Paris
  CHECK(r.per_hour == expected);
  CHECK(status(f).collected_today == 1);
  for (const auto *list : {&r.pending, &r.collected, &r.problems}) {
    for (const auto &i : *list) CHECK(i.id != 900001);
  }
}

TEST_CASE("status: today's pickups without undone ones, and the last completed pull") {
  ServiceFixture f;
  DeskStatus s = status(f);
  CHECK(s.collected_today == 0);
  CHECK_FALSE(s.last_sync_ms.has_value());
  const std::int64_t collected_before = s.collected;

  const db::Order a = f.ready_order_with_lines(1, 0);
  const db::Order b = f.ready_order_with_lines(1, 1);
  done(f.service->hand_over(a.number, {}, ""));
  done(f.service->hand_over(b.number, {}, ""));
  CHECK(status(f).collected_today == 2);
  done(f.service->undo_last(""));
  s = status(f);
  CHECK(s.collected_today == 1);
  CHECK(s.collected == collected_before + 1);

  const auto set_pull = [&](const std::string &value) {
    db::Statement st = f.database->connection().prepare(
        "INSERT INTO sync_state(key, value) VALUES('last_pull_ms', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind(1, value);
    REQUIRE(st.run().ok());
  };
  set_pull("1759999000123");
  s = status(f);
  REQUIRE(s.last_sync_ms.has_value());
  CHECK(*s.last_sync_ms == 1'759'999'000'123);
  for (const char *bad : {"", "soon", "12x", "-5", "1.5", "99999999999999999999999"}) {
    CAPTURE(bad);
    set_pull(bad);
    auto r = f.service->status();
    REQUIRE(r.ok());
    CHECK_FALSE(r->last_sync_ms.has_value());
  }
}

}  // namespace
}  // namespace comptoir::test
