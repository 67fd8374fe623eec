// The kiosk's state machine over the real core: every flow a counter goes through (full,
// partial and refused handovers, undo, the queue behind a verdict, double reads, search,
// the day, the technician's PIN, the language) and every timer, on a ManualClock.
#include <doctest/doctest.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <string>

#include "tests/ui/kiosk_fixture.hpp"

namespace comptoir {
namespace {

using test::KioskFixture;
using ui::Action;
using ui::Screen;
using K = Action::Kind;

bool contains(const std::string &text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("a ready order: shown at once, a good tone, and it waits for staff") {
  KioskFixture f;
  const auto &c = f.code("ready");
  const auto before = f.kiosk->revision();
  f.kiosk->scan(c.code, "keyboard");
  const auto &s = f.st();
  CHECK(f.kiosk->revision() > before);
  CHECK(s.screen == Screen::verdict);
  REQUIRE(s.verdict);
  CHECK(s.verdict->kind == VerdictKind::ready);
  CHECK(s.verdict->order->number == c.order_number);
  CHECK(s.verdict_source == "keyboard");
  CHECK(s.verdict_at_ms == f.now());
  CHECK(s.scans == 1);
  CHECK(f.host.tones == std::vector<bool>{true});
  // Nothing on it is timed: a verdict staff must act on stays until they do.
  CHECK_FALSE(f.kiosk->next_wait_ms());
  f.wait_ms(10 * 60'000);
  CHECK(f.st().screen == Screen::verdict);
}

TEST_CASE("full handover: Remis records it, offers undo, and the scan screen comes back") {
  KioskFixture f;
  const auto &c = f.code("ready");
  const auto events = f.events();
  const auto today_before = f.st().status.collected_today;
  f.kiosk->scan(c.code, "keyboard");
  f.clock.advance_ms(1500);
  f.hand_over();
  const auto &s = f.st();
  CHECK(s.error == "");
  CHECK(s.screen == Screen::scan);
  CHECK_FALSE(s.verdict);
  REQUIRE(s.receipt);
  CHECK(s.receipt->kind == HandoverKind::full);
  CHECK(s.receipt->order_number == c.order_number);
  CHECK(s.undo_until_ms == f.now() + PickupService::kUndoWindowMs);
  CHECK(f.events() == events + 1);
  const auto ledger = f.ledger_for(f.order(c.order_number).id);
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].staff == "Martin");
  CHECK(ledger[0].kind == HandoverKind::full);
  CHECK(s.status.collected_today == today_before + 1);
  CHECK(ui::undo_open(s, f.now()));
}

TEST_CASE("partial handover: the lines ticked missing are recorded as missing") {
  KioskFixture f;
  const db::Order o = f.ready_order_with_lines(2);
  f.kiosk->scan(f.code_of(o.number), "keyboard");
  REQUIRE(f.st().verdict);
  f.tap(K::open_order);
  CHECK(f.st().screen == Screen::order);
  const int missing_line = o.lines[1].line_no;
  f.press(K::toggle_missing, {}, missing_line);
  f.press(K::toggle_missing, {}, 9999);  // no such line: ignored
  CHECK(f.st().missing == std::set<int>{missing_line});
  f.hand_over();
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->kind == HandoverKind::partial);
  CHECK(f.st().receipt->lines_missing == std::vector<int>{missing_line});
  const auto ledger = f.ledger_for(o.id);
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].kind == HandoverKind::partial);
  CHECK(ledger[0].lines_missing == std::vector<int>{missing_line});
  CHECK(f.st().missing.empty());
  CHECK(f.st().screen == Screen::scan);
}

TEST_CASE("every line missing: an error that says to refuse, nothing recorded, order kept") {
  KioskFixture f;
  const db::Order o = f.ready_order_with_lines(2);
  f.kiosk->scan(f.code_of(o.number), "keyboard");
  f.tap(K::open_order);
  for (const auto &l : o.lines) f.press(K::toggle_missing, {}, l.line_no);
  const auto events = f.events();
  f.hand_over();
  CHECK(f.events() == events);
  CHECK(f.st().error_code == "all_lines_missing");
  CHECK(contains(f.st().error, "Refuser"));
  CHECK(f.st().screen == Screen::order);
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->order->number == o.number);
  // Unticking a line clears the error; the handover then goes through as partial.
  f.press(K::toggle_missing, {}, o.lines[0].line_no);
  CHECK(f.st().error.empty());
  f.hand_over();
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->kind == HandoverKind::partial);
  CHECK(f.events() == events + 1);
}

TEST_CASE("refused: the reason is recorded, a notice says so, and no undo is offered") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.tap(K::start_refuse);
  CHECK(f.st().refusing);
  const auto reasons = f.kiosk->refuse_reasons();
  REQUIRE(reasons.size() >= 3);
  f.refuse("   ");  // blank: the reason is required
  CHECK(f.st().error_code == "reason_required");
  CHECK(f.st().screen == Screen::verdict);
  f.refuse(reasons[1]);
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->kind == HandoverKind::refused);
  CHECK(f.st().screen == Screen::scan);
  CHECK(f.st().error.empty());
  const auto ledger = f.ledger_for(f.order(c.order_number).id);
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].kind == HandoverKind::refused);
  CHECK(ledger[0].reason == reasons[1]);
  CHECK(contains(f.st().notice, c.order_number));
  CHECK_FALSE(f.st().notice_warning);
  CHECK_FALSE(ui::undo_open(f.st(), f.now()));
  // A cancelled refusal records nothing.
  f.after_double_read_window();
  const auto &other = f.code("ready", 1);
  f.kiosk->scan(other.code, "keyboard");
  f.tap(K::start_refuse);
  f.press(K::cancel_refuse);
  CHECK_FALSE(f.st().refusing);
  CHECK(f.ledger_for(f.order(other.order_number).id).empty());
}

TEST_CASE("undo within 2 minutes gives the order back, and a new scan of it is ready again") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.hand_over();
  const auto today = f.st().status.collected_today;
  f.wait_ms(100'000);
  CHECK(ui::undo_open(f.st(), f.now()));
  f.tap(K::undo);
  CHECK(f.st().error.empty());
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->kind == HandoverKind::undo);
  CHECK_FALSE(ui::undo_open(f.st(), f.now()));
  CHECK(f.st().status.collected_today == today - 1);
  CHECK(contains(f.st().notice, c.order_number));
  const auto ledger = f.ledger_for(f.order(c.order_number).id);
  REQUIRE(ledger.size() == 2);
  CHECK(ledger[1].kind == HandoverKind::undo);
  f.kiosk->scan(c.code, "keyboard");
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::ready);
  CHECK_FALSE(f.st().verdict->repeat);
}

TEST_CASE("undo with no bar shown does nothing, and a press as the bar closes says too late") {
  KioskFixture f;
  const auto rev = f.kiosk->revision();
  f.press(K::undo);  // nothing handed over: nothing to say either
  CHECK(f.st().error.empty());
  CHECK(f.kiosk->revision() == rev);
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.hand_over();
  CHECK(f.st().error.empty());
  const ui::Action undo = f.tap_action(K::undo);
  f.wait_ms(PickupService::kUndoWindowMs + 1000);
  CHECK_FALSE(ui::undo_open(f.st(), f.now()));
  CHECK_FALSE(f.button(K::undo));
  const auto events = f.events();
  f.kiosk->act(undo);  // the finger was on the bar as it went
  CHECK(f.st().error_code == "undo_too_late");
  CHECK(contains(f.st().error, "portail"));
  CHECK(f.events() == events);
  CHECK(f.ledger_for(f.order(c.order_number).id).size() == 1);
}

TEST_CASE("undo takes back only the handover its bar names, never the one before a refusal") {
  KioskFixture f;
  const auto &a = f.code("ready");
  const auto &b = f.code("ready", 1);
  f.kiosk->scan(a.code, "keyboard");
  f.hand_over();
  REQUIRE(ui::undo_open(f.st(), f.now()));
  f.after_double_read_window();
  f.kiosk->scan(b.code, "keyboard");
  f.refuse(f.kiosk->refuse_reasons()[0]);
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->kind == HandoverKind::refused);
  // No bar now: a press (a stale one, or a key) takes nothing back from customer A.
  CHECK_FALSE(ui::undo_open(f.st(), f.now()));
  CHECK_FALSE(f.button(K::undo));
  const auto events = f.events();
  f.press(K::undo);
  CHECK(f.events() == events);
  const auto ledger = f.ledger_for(f.order(a.order_number).id);
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].kind == HandoverKind::full);
  CHECK(f.st().receipt->kind == HandoverKind::refused);
}

TEST_CASE("undo names its handover: one recorded since by another session is not undone") {
  KioskFixture f;
  const auto &a = f.code("ready");
  f.kiosk->scan(a.code, "keyboard");
  f.hand_over();
  REQUIRE(ui::undo_open(f.st(), f.now()));
  // Another handover on this device meanwhile (the headless protocol on the same data).
  const auto &b = f.code("ready", 1);
  REQUIRE(f.service->hand_over(b.order_number, {}, "Lucie").ok());
  const auto events = f.events();
  f.tap(K::undo);
  CHECK(f.st().error_code == "nothing_to_undo");
  CHECK(f.events() == events);
  CHECK(f.ledger_for(f.order(b.order_number).id).size() == 1);
}

TEST_CASE("a scan behind a ready verdict is queued, then shown after Remis") {
  KioskFixture f;
  const auto &ready = f.code("ready");
  const auto &collected = f.code("already_collected");
  f.kiosk->scan(ready.code, "keyboard");
  f.kiosk->scan(collected.code, "usb-hid-pos");
  const auto &s = f.st();
  CHECK(s.screen == Screen::verdict);
  REQUIRE(s.verdict);
  CHECK(s.verdict->order->number == ready.order_number);
  REQUIRE(s.queued.size() == 1);
  CHECK(s.queued[0].verdict.kind == VerdictKind::already_collected);
  CHECK(s.queued[0].source == "usb-hid-pos");
  CHECK(s.scans == 2);
  // Both answered at once: the tones say so before the second is shown.
  CHECK(f.host.tones == std::vector<bool>{true, false});
  f.clock.advance_ms(5000);
  f.hand_over();
  CHECK(s.screen == Screen::verdict);
  REQUIRE(s.verdict);
  CHECK(s.verdict->kind == VerdictKind::already_collected);
  CHECK(s.verdict->order->number == collected.order_number);
  CHECK(s.verdict_source == "usb-hid-pos");
  CHECK(s.queued.empty());
  // It needs no action: it goes after the verdict timeout, counted from when it showed.
  f.wait_ms(f.kiosk->options().verdict_timeout_ms - 1);
  CHECK(s.screen == Screen::verdict);
  f.wait_ms(1);
  CHECK(s.screen == Screen::scan);
}

TEST_CASE("a verdict that needs no action is replaced by the next scan at once") {
  KioskFixture f;
  f.kiosk->scan(f.code("not_ready").code, "keyboard");
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::not_ready);
  f.kiosk->scan(f.code("ready").code, "keyboard");
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::ready);
  CHECK(f.st().queued.empty());
  // From the other screens too.
  f.press(K::dismiss);
  f.press(K::go_search);
  f.after_double_read_window();
  f.kiosk->scan(f.code("cancelled").code, "keyboard");
  CHECK(f.st().screen == Screen::verdict);
  CHECK(f.st().verdict->kind == VerdictKind::cancelled);
}

TEST_CASE("a double read of the shown code marks it, queues nothing, sounds nothing") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  const auto rev = f.kiosk->revision();
  f.kiosk->scan(c.code, "keyboard");
  CHECK(f.st().repeat_seen);
  CHECK(f.st().queued.empty());
  CHECK(f.st().scans == 2);
  CHECK(f.host.tones.size() == 1);
  CHECK(f.kiosk->revision() > rev);
  CHECK_FALSE(f.st().verdict->repeat);
  // And right after the handover, a late double read does not bring the order back.
  f.hand_over();
  f.kiosk->scan(c.code, "keyboard");
  CHECK(f.st().screen == Screen::scan);
  CHECK_FALSE(f.st().verdict);
  CHECK(f.st().queued.empty());
}

TEST_CASE("the queue is bounded: the oldest goes to the history with a notice") {
  KioskFixture f;
  f.kiosk->scan(f.code("ready").code, "keyboard");
  const std::size_t extra = ui::Kiosk::kMaxQueued + 2;
  for (std::size_t i = 0; i < extra; ++i) {
    f.kiosk->scan("bonjour " + std::to_string(i), "keyboard");
  }
  const auto &s = f.st();
  CHECK(s.queued.size() == ui::Kiosk::kMaxQueued);
  REQUIRE(s.history.size() == 2);
  CHECK(s.history[0].text == "bonjour 0");
  CHECK(s.queued.front().text == "bonjour 2");
  CHECK(contains(s.notice, "bonjour 1"));
  CHECK(s.notice_warning);
  CHECK(s.scans == extra + 1);
}

TEST_CASE("the field: keypad, the physical keyboard, backspace, clear, and a 128-byte cap") {
  KioskFixture f;
  for (const char *k : {"A", "B", "-", "1"}) f.press(K::key, k);
  CHECK(f.st().field == "AB-1");
  f.press(K::backspace);
  CHECK(f.st().field == "AB-");
  f.press(K::field_text, "é");
  f.press(K::backspace);
  CHECK(f.st().field.empty());  // the whole character, not half of it
  f.press(K::field_text, std::string(200, 'x'));
  CHECK(f.st().field.size() == 128);
  f.press(K::clear);
  CHECK(f.st().field.empty());
  const auto rev = f.kiosk->revision();
  f.press(K::clear);  // nothing to clear: nothing moves
  CHECK(f.kiosk->revision() == rev);
  // OK on the keypad: the field as a typed code.
  const auto &c = f.code("payment_due");
  f.press(K::field_text, c.code);
  f.press(K::submit);
  CHECK(f.st().field.empty());
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::payment_due);
  CHECK(f.st().verdict_source == "typed");
  CHECK(f.st().scans == 1);
  // Enter on the physical keyboard, on the verdict screen: the next code.
  f.press(K::dismiss);
  f.kiosk->typed(f.code("too_early").code);
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::too_early);
  CHECK(f.st().scans == 2);
}

TEST_CASE("a failed handover keeps the verdict on screen and says why") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  // Handed over meanwhile (another press, another session on this appliance).
  REQUIRE(f.service->hand_over(c.order_number, {}, "Lucie").ok());
  const auto events = f.events();
  f.hand_over();
  CHECK(f.events() == events);
  CHECK(f.st().error_code == "not_collectable");
  CHECK(contains(f.st().error, "Remise impossible"));
  CHECK(contains(f.st().error, "Déjà retirée"));
  CHECK(f.st().screen == Screen::verdict);
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->order->number == c.order_number);
}

TEST_CASE("an order known from its token only is handed over as #ID") {
  KioskFixture f;
  const auto &c = f.any_code("ready_unsynced");
  f.kiosk->scan(c.code, "camera");
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::ready_unsynced);
  CHECK_FALSE(f.st().verdict->order->in_cache);
  f.hand_over();
  CHECK(f.st().error == "");
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->order_number == c.order_number);  // "#900001"
  CHECK(f.st().receipt->kind == HandoverKind::full);
}

TEST_CASE("search by customer name, with or without accents, and by order number") {
  KioskFixture f;
  f.press(K::go_search);
  CHECK(f.st().screen == Screen::search);
  // A customer whose name has an accent, and the name as typed without it.
  const provisioning::DemoCode *accented = nullptr;
  for (const auto &c : f.region.codes) {
    if (!c.order_number.empty() && c.order_number[0] != '#' &&
        c.customer.find("é") != std::string::npos) {
      accented = &c;
      break;
    }
  }
  REQUIRE(accented != nullptr);
  std::string name = accented->customer.substr(0, accented->customer.find(' '));
  std::string plain = name;
  for (auto at = plain.find("é"); at != std::string::npos; at = plain.find("é")) {
    plain.replace(at, std::string("é").size(), "e");
  }
  REQUIRE(plain != name);
  auto found = [&](const std::string &number) {
    return std::any_of(f.st().results.begin(), f.st().results.end(),
                       [&](const OrderListItem &i) { return i.number == number; });
  };
  // Every keystroke searches again, from the second character.
  f.press(K::key, plain.substr(0, 1));
  CHECK(f.st().results.empty());
  f.press(K::field_text, plain);
  CHECK(found(accented->order_number));
  f.press(K::field_text, name);
  CHECK(found(accented->order_number));
  // By number: a part of it, as read out.
  const std::string number = f.code("ready").order_number;
  const std::string digits = number.substr(number.size() - 4);
  f.press(K::clear);
  for (char d : digits) f.press(K::key, std::string(1, d));
  CHECK(found(number));
  // Enter runs it too; nothing found is an empty list, not an error.
  f.kiosk->typed("zzzzzz");
  CHECK(f.st().results.empty());
  CHECK(f.st().error.empty());
  CHECK(f.st().scans == 0);
}

TEST_CASE("open_result shows the order's verdict as a scan would, from search or today") {
  KioskFixture f;
  const auto &c = f.code("payment_due");
  f.press(K::go_search);
  f.press(K::field_text, c.order_number);
  REQUIRE_FALSE(f.st().results.empty());
  f.press(K::open_result, f.st().results.front().number);
  CHECK(f.st().screen == Screen::verdict);
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::payment_due);
  CHECK(f.st().verdict->order->number == c.order_number);
  CHECK(f.st().verdict_source == "search");
  CHECK(f.st().scans == 0);
  CHECK(f.host.tones == std::vector<bool>{true});
  f.hand_over();
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->order_number == c.order_number);
  // An unknown number: the error, and the screen stays.
  f.press(K::go_today);
  f.press(K::open_result, "C-000000");
  CHECK(f.st().error_code == "order_not_found");
  CHECK(f.st().screen == Screen::today);
}

TEST_CASE("today: the day's orders in their buckets, and the handovers by hour") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.hand_over();
  f.press(K::go_today);
  CHECK(f.st().screen == Screen::today);
  REQUIRE(f.st().day);
  const DayReport &day = *f.st().day;
  auto in = [](const std::vector<OrderListItem> &list, const std::string &number) {
    return std::any_of(list.begin(), list.end(),
                       [&](const OrderListItem &i) { return i.number == number; });
  };
  CHECK(in(day.collected, c.order_number));
  CHECK_FALSE(in(day.pending, c.order_number));
  CHECK(in(day.pending, f.code("ready", 1).order_number));
  const time_t t = static_cast<time_t>(f.now() / 1000);
  tm local{};
  localtime_r(&t, &local);
  CHECK(day.per_hour[static_cast<std::size_t>(local.tm_hour)] == 1);
  const ui::TodayView view = ui::today_view(f.st(), f.now());
  CHECK(view.collected.size() == day.collected.size());
  CHECK(view.pending.size() == day.pending.size());
  CHECK(view.problems.size() == day.problems.size());
  CHECK(view.first_hour <= local.tm_hour);
  CHECK(view.last_hour >= local.tm_hour);
  // Refresh reads it again: a second handover shows.
  f.press(K::go_scan);
  f.kiosk->scan(f.code("ready", 1).code, "keyboard");
  f.hand_over();
  f.press(K::go_today);
  CHECK(f.st().day->per_hour[static_cast<std::size_t>(local.tm_hour)] == 2);
}

TEST_CASE("technician: the right PIN unlocks, wrong ones count, five pause for a minute") {
  KioskFixture f;
  f.host.found.push_back({"evdev", "evdev:/dev/input/event5", "Honeywell 1250g",
                          "/dev/input/event5", true, "configured", "", "fr"});
  f.host.checks.push_back({"Base de données", true, "ok"});
  f.host.checks.push_back({"Espace disque", false, "plein : libérez de la place"});
  f.press(K::go_technician);
  CHECK(f.st().screen == Screen::technician_pin);
  for (int i = 1; i < ui::Kiosk::kPinFailuresAllowed; ++i) {
    f.press(K::field_text, "0000");
    f.press(K::submit);
    CHECK(f.st().pin_failures == i);
    CHECK(contains(f.st().pin_error, std::to_string(i) + " sur 5"));
  }
  CHECK(f.st().field.empty());
  f.kiosk->typed("9999");
  CHECK(f.st().pin_pause_left_s == ui::Kiosk::kPinPauseMs / 1000);
  CHECK(f.st().pin_lockouts == 1);
  CHECK(contains(ui::pin_view(f.st(), f.now()).error, "1 min 00 s"));
  // Paused: even the right PIN is not tried.
  const auto tried = f.host.pins_tried.size();
  f.kiosk->typed("1234");
  CHECK(f.host.pins_tried.size() == tried);
  CHECK_FALSE(f.st().unlocked);
  // The countdown moves each second.
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == 1000);
  f.wait_ms(15'000);
  CHECK(contains(ui::pin_view(f.st(), f.now()).error, "45 s"));
  f.wait_ms(45'000);
  CHECK(f.st().pin_pause_left_s == 0);
  for (char d : std::string("1234")) f.press(K::key, std::string(1, d));
  CHECK(ui::pin_view(f.st(), f.now()).dots == "●●●●");
  f.press(K::submit);
  CHECK(f.st().unlocked);
  CHECK(f.st().screen == Screen::technician);
  CHECK(f.host.device_lists >= 1);
  REQUIRE(f.st().devices.size() == 1);
  f.press(K::run_self_test);
  CHECK(f.st().self_test_ran);
  CHECK(f.st().self_test.size() == 2);
  f.press(K::lock);
  CHECK_FALSE(f.st().unlocked);
  CHECK(f.st().screen == Screen::scan);
  f.press(K::go_technician);
  CHECK(f.st().screen == Screen::technician_pin);
}

TEST_CASE("technician: each pause is twice the last, up to an hour, until the right PIN") {
  KioskFixture f;
  f.press(K::go_technician);
  // The PIN screen left alone goes back to scan (idle timeout): come back to it.
  auto to_pin = [&] {
    if (f.st().screen != Screen::technician_pin) f.press(K::go_technician);
  };
  auto five_wrong = [&] {
    to_pin();
    for (int i = 0; i < ui::Kiosk::kPinFailuresAllowed; ++i) f.kiosk->typed("0000");
  };
  const std::int64_t expected_s[] = {60, 120, 240, 480, 960, 1920, 3600, 3600};
  for (std::size_t n = 0; n < std::size(expected_s); ++n) {
    CAPTURE(n);
    five_wrong();
    CHECK(f.st().pin_lockouts == static_cast<int>(n) + 1);
    CHECK(f.st().pin_pause_left_s == expected_s[n]);
    // Still paused a second before the end, whatever is typed.
    f.wait_ms(expected_s[n] * 1000 - 1000);
    to_pin();
    const auto tried = f.host.pins_tried.size();
    f.kiosk->typed("0000");
    CHECK(f.host.pins_tried.size() == tried);
    f.wait_ms(1000);
    CHECK(f.st().pin_pause_left_s == 0);
    CHECK(f.st().pin_failures == 0);
  }
  // An hour is written in minutes.
  five_wrong();
  CHECK(ui::pin_view(f.st(), f.now()).error == "Trop d'essais\u00a0: attendez 60 min 00 s");
  f.wait_ms(3'600'000);
  // The right PIN starts again from a minute.
  to_pin();
  f.kiosk->typed("1234");
  REQUIRE(f.st().unlocked);
  CHECK(f.st().pin_lockouts == 0);
  f.press(K::lock);
  f.press(K::go_technician);
  five_wrong();
  CHECK(f.st().pin_pause_left_s == 60);
}

TEST_CASE("technician: leaving the screen locks, and the unlock lasts 5 minutes at most") {
  KioskFixture f;
  auto unlock = [&] {
    f.press(K::go_technician);
    f.kiosk->typed("1234");
    REQUIRE(f.st().unlocked);
    REQUIRE(f.st().screen == Screen::technician);
  };
  // Any other screen locks: the navigation bar...
  for (K away : {K::go_scan, K::go_search, K::go_today}) {
    CAPTURE(static_cast<int>(away));
    unlock();
    f.press(away);
    CHECK_FALSE(f.st().unlocked);
    f.press(K::go_technician);
    CHECK(f.st().screen == Screen::technician_pin);
  }
  // ...and a scan, which shows its verdict.
  unlock();
  f.kiosk->scan(f.code("ready").code, "keyboard");
  CHECK(f.st().screen == Screen::verdict);
  CHECK_FALSE(f.st().unlocked);
  f.press(K::dismiss);
  // A busy technician screen (a press every minute) still locks after 5 minutes.
  unlock();
  for (int i = 0; i < 4; ++i) {
    f.wait_ms(60'000);
    f.press(K::refresh);
    CHECK(f.st().unlocked);
  }
  f.wait_ms(59'999);
  CHECK(f.st().unlocked);
  f.wait_ms(1);
  CHECK_FALSE(f.st().unlocked);
  CHECK(f.st().screen == Screen::scan);
  CHECK(f.st().devices.empty());
}

TEST_CASE("technician: no PIN set says how to set one") {
  KioskFixture f;
  f.host.pin.reset();
  f.press(K::go_technician);
  f.kiosk->typed("1234");
  CHECK_FALSE(f.st().unlocked);
  CHECK(contains(f.st().pin_error, "comptoir-provision set-pin --data " + f.dir.path().string()));
  CHECK(f.st().pin_failures == 0);
}

TEST_CASE("the language switch (technician, unlocked) changes the words and tells the host") {
  KioskFixture f;
  CHECK(ui::scan_view(f.st(), f.now()).prompt == "Scannez le code de retrait");
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  const std::string fr_sentence = ui::verdict_view(*f.kiosk, f.now()).sentence;
  // Not from the counter's screens: the language is the technician's setting.
  f.press(K::set_language, "en");
  CHECK(f.st().lang == Lang::fr);
  CHECK(f.host.languages.empty());
  f.press(K::dismiss);
  // An error on screen is re-worded when the language changes.
  f.press(K::go_search);
  f.press(K::open_result, "C-000000");
  REQUIRE(f.st().error_code == "order_not_found");
  const std::string fr_error = f.st().error;
  f.press(K::go_technician);
  f.kiosk->typed("1234");
  REQUIRE(f.st().unlocked);
  f.press(K::set_language, "en");
  CHECK(f.st().lang == Lang::en);
  CHECK(f.host.languages == std::vector<Lang>{Lang::en});
  CHECK(f.st().error == error_message(Error{"order_not_found", "C-000000"}, Lang::en));
  CHECK(f.st().error != fr_error);
  CHECK(ui::technician_view(*f.kiosk, f.now()).header.title == "Technician");
  f.press(K::set_language, "xx");  // not a language: nothing
  CHECK(f.host.languages.size() == 1);
  f.press(K::go_scan);
  CHECK_FALSE(f.st().unlocked);
  CHECK(ui::scan_view(f.st(), f.now()).prompt == "Scan the pickup code");
  f.after_double_read_window();
  f.kiosk->scan(c.code, "keyboard");
  const ui::VerdictView en = ui::verdict_view(*f.kiosk, f.now());
  CHECK(en.sentence == verdict_message(*f.st().verdict, Lang::en));
  CHECK(en.sentence != fr_sentence);
  CHECK(en.title == "Hand over");
  CHECK(f.kiosk->refuse_reasons().front() == "Customer could not pay");
  // Locked again: switching back needs the PIN again.
  f.press(K::set_language, "fr");
  CHECK(f.st().lang == Lang::en);
  f.press(K::go_technician);
  f.kiosk->typed("1234");
  f.press(K::set_language, "fr");
  f.press(K::go_scan);
  CHECK(ui::scan_view(f.st(), f.now()).prompt == "Scannez le code de retrait");
}

TEST_CASE("timeouts: verdicts, idle screens, the technician's unlock, notices") {
  ui::KioskOptions options;
  options.verdict_timeout_ms = 10'000;
  options.idle_timeout_ms = 60'000;
  KioskFixture f(options);
  // A verdict that needs no action; a touch restarts its time.
  f.kiosk->scan(f.code("expired").code, "keyboard");
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == 10'000);
  f.wait_ms(6'000);
  f.tap(K::open_order);
  f.press(K::close_order);
  f.wait_ms(6'000);
  CHECK(f.st().screen == Screen::verdict);
  f.wait_ms(4'000);
  CHECK(f.st().screen == Screen::scan);
  CHECK_FALSE(f.st().verdict);
  // Search left alone goes back to scan; so does today.
  f.press(K::go_search);
  f.press(K::field_text, "ma");
  f.wait_ms(59'999);
  CHECK(f.st().screen == Screen::search);
  f.wait_ms(1);
  CHECK(f.st().screen == Screen::scan);
  CHECK(f.st().field.empty());
  CHECK(f.st().results.empty());
  f.press(K::go_today);
  f.wait_ms(60'000);
  CHECK(f.st().screen == Screen::scan);
  // The technician screen left alone goes back to scan, locked.
  f.press(K::go_technician);
  f.kiosk->typed("1234");
  REQUIRE(f.st().unlocked);
  f.wait_ms(59'999);
  CHECK(f.st().screen == Screen::technician);
  f.wait_ms(1);
  CHECK(f.st().screen == Screen::scan);
  CHECK_FALSE(f.st().unlocked);
  // A notice stays 10 s.
  drivers::DeviceNotice n;
  n.kind = drivers::NoticeKind::scan_dropped;
  n.device_id = "evdev:kbd";
  n.reason = "cable_pulled";
  f.kiosk->notice(n);
  CHECK(contains(f.st().notice, "câble"));
  CHECK(f.st().notice_warning);
  CHECK(f.host.tones == std::vector<bool>{false, false});  // the expired scan, the dropped one
  CHECK(ui::header_view(f.st(), f.now()).notice == f.st().notice);
  f.wait_ms(ui::Kiosk::kNoticeMs);
  CHECK(f.st().notice.empty());
  CHECK_FALSE(f.kiosk->next_wait_ms());
}

TEST_CASE("the undo countdown moves the revision once a second, and only then") {
  KioskFixture f;
  f.kiosk->scan(f.code("ready").code, "keyboard");
  f.hand_over();
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == 1000);
  auto rev = f.kiosk->revision();
  f.clock.advance_ms(400);
  f.kiosk->tick();
  CHECK(f.kiosk->revision() == rev);  // still "2:00"
  CHECK(*f.kiosk->next_wait_ms() == 600);
  f.clock.advance_ms(600);
  f.kiosk->tick();
  CHECK(f.kiosk->revision() == rev + 1);
  // Woken a little late, past the deadline: still due, not moved on to the next second.
  f.clock.advance_ms(1003);
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == 0);
  f.kiosk->tick();
  CHECK(f.kiosk->revision() == rev + 2);
  CHECK(*f.kiosk->next_wait_ms() == 997);
  // Away from the scan screen the bar is not shown: no ticking for it.
  f.press(K::go_search);
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == f.kiosk->options().idle_timeout_ms);
  f.press(K::go_scan);
  f.wait_ms(PickupService::kUndoWindowMs);
  CHECK_FALSE(ui::undo_open(f.st(), f.now()));
  // Once the bar is gone only midnight is timed ("1 pickup today" becomes none then).
  REQUIRE(f.st().status.collected_today == 1);
  const time_t t = static_cast<time_t>(f.now() / 1000);
  tm midnight{};
  localtime_r(&t, &midnight);
  midnight.tm_mday += 1;
  midnight.tm_hour = midnight.tm_min = midnight.tm_sec = 0;
  midnight.tm_isdst = -1;
  CHECK(f.kiosk->next_wait_ms() == std::int64_t{mktime(&midnight)} * 1000 - f.now());
}

TEST_CASE("with nothing timed there is no deadline and ticks change nothing") {
  KioskFixture f;
  REQUIRE_FALSE(f.st().status.last_sync_ms);
  CHECK_FALSE(f.kiosk->next_wait_ms());
  const auto rev = f.kiosk->revision();
  f.clock.advance_ms(3'600'000);
  f.kiosk->tick();
  f.press(K::dismiss);  // no verdict: nothing to dismiss
  f.press(K::close_order);
  f.press(K::cancel_refuse);
  CHECK(f.kiosk->revision() == rev);
  // A verdict that needs no action, then its timeout: back to no deadline.
  f.kiosk->scan(f.code("cancelled").code, "keyboard");
  CHECK(f.kiosk->next_wait_ms());
  f.wait_ms(f.kiosk->options().verdict_timeout_ms);
  CHECK(f.st().screen == Screen::scan);
  CHECK_FALSE(f.kiosk->next_wait_ms());
}

TEST_CASE("leaving a verdict for another screen shows the scans waiting behind it first") {
  KioskFixture f;
  f.kiosk->scan(f.code("ready").code, "keyboard");
  f.kiosk->scan(f.code("ready", 1).code, "keyboard");
  REQUIRE(f.st().queued.size() == 1);
  f.press(K::go_search);
  CHECK(f.st().screen == Screen::verdict);
  CHECK(f.st().verdict->order->number == f.code("ready", 1).order_number);
  CHECK(f.st().queued.empty());
  f.press(K::go_search);
  CHECK(f.st().screen == Screen::search);
  CHECK_FALSE(f.st().verdict);
}

// ---- review fixes: the same order twice, stale presses, double reads after Retour ------

// Another code of the same order: its QR token if the demo made one, else its number.
std::string other_code_of(KioskFixture &f, const std::string &number, const std::string &code) {
  for (const auto &c : f.region.codes) {
    if (c.order_number == number && c.code != code && c.code.size() > 100) return c.code;
  }
  return number;
}

TEST_CASE("one order is one verdict: read again after 3 s or by another code, never queued twice") {
  KioskFixture f;
  const auto &a = f.code("ready");
  const auto &b = f.code("ready", 1);
  f.kiosk->scan(a.code, "keyboard");
  f.kiosk->scan(b.code, "keyboard");
  REQUIRE(f.st().queued.size() == 1);
  // B again, past the double-read window, and by its other code: still one B waiting.
  f.after_double_read_window();
  f.kiosk->scan(b.code, "keyboard");
  f.kiosk->scan(other_code_of(f, b.order_number, b.code), "camera");
  CHECK(f.st().queued.size() == 1);
  // A again, the same ways: said on A's verdict, nothing queued.
  f.after_double_read_window();
  f.kiosk->scan(a.code, "keyboard");
  CHECK(f.st().repeat_seen);
  f.kiosk->scan(other_code_of(f, a.order_number, a.code), "camera");
  CHECK(f.st().queued.size() == 1);
  CHECK(f.st().verdict->order->number == a.order_number);
  CHECK(f.st().scans == 6);
  // A, then B handed over: the scan screen, not B "À remettre" a second time.
  f.hand_over();
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->order->number == b.order_number);
  CHECK_FALSE(f.st().repeat_seen);  // said of A, not of B
  f.wait_ms(ui::Kiosk::kHandOverGuardMs);
  f.hand_over();
  CHECK(f.st().screen == Screen::scan);
  CHECK_FALSE(f.st().verdict);
  CHECK(f.st().queued.empty());
  CHECK(f.ledger_for(f.order(a.order_number).id).size() == 1);
  CHECK(f.ledger_for(f.order(b.order_number).id).size() == 1);
}

TEST_CASE("a queued verdict is checked again when shown: what it says then, as read then") {
  KioskFixture f;
  const auto &a = f.code("ready");
  const auto &b = f.code("ready", 1);
  f.kiosk->scan(a.code, "keyboard");
  f.clock.advance_ms(500);
  f.kiosk->scan(b.code, "usb-hid-pos");
  const std::int64_t b_read_at = f.now();
  REQUIRE(f.st().queued.size() == 1);
  REQUIRE(f.st().queued[0].verdict.kind == VerdictKind::ready);
  // B is handed over meanwhile at another session of this appliance.
  REQUIRE(f.service->hand_over(b.order_number, {}, "Lucie").ok());
  f.clock.advance_ms(2000);
  f.hand_over();
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->order->number == b.order_number);
  CHECK(f.st().verdict->kind == VerdictKind::already_collected);
  CHECK(f.st().verdict_source == "usb-hid-pos");
  CHECK(f.st().verdict_at_ms == b_read_at);
  // Its good tone sounded when read; now that it turned, the bad one.
  CHECK(f.host.tones == std::vector<bool>{true, true, false});
  CHECK(ui::verdict_view(*f.kiosk, f.now()).title == "Déjà retirée");
}

TEST_CASE("two quick taps on Remis hand over one customer, not the next one queued") {
  KioskFixture f;
  const auto &a = f.code("ready");
  const auto &b = f.code("ready", 1);
  f.kiosk->scan(a.code, "keyboard");
  f.kiosk->scan(b.code, "keyboard");
  const ui::Action first = f.tap_action(K::hand_over);
  CHECK(first.text == a.order_number);
  f.kiosk->act(first);
  REQUIRE(f.st().verdict);
  REQUIRE(f.st().verdict->order->number == b.order_number);
  const auto events = f.events();
  // The second tap of the same press, meant for A: nothing.
  f.kiosk->act(first);
  CHECK(f.events() == events);
  CHECK(f.st().verdict->order->number == b.order_number);
  // B's own Remis, tapped at once: greyed and not taken for 400 ms.
  CHECK(f.st().hand_over_held);
  const auto remis = f.button(K::hand_over);
  REQUIRE(remis);
  CHECK_FALSE(remis->enabled);
  CHECK(remis->action.text == b.order_number);
  f.clock.advance_ms(ui::Kiosk::kHandOverGuardMs - 1);
  f.kiosk->act(remis->action);
  CHECK(f.events() == events);
  REQUIRE(f.st().verdict);
  // The screen is woken when the button turns active.
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == 1);
  const auto rev = f.kiosk->revision();
  f.wait_ms(1);
  CHECK(f.kiosk->revision() > rev);
  CHECK_FALSE(f.st().hand_over_held);
  CHECK(f.button(K::hand_over)->enabled);
  CHECK(*f.kiosk->next_wait_ms() > ui::Kiosk::kHandOverGuardMs);  // midnight, for the count
  // A slow second tap meant for A, after the pause: it names A, so still nothing.
  f.kiosk->act(first);
  CHECK(f.events() == events);
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->order->number == b.order_number);
  f.hand_over();
  CHECK(f.events() == events + 1);
  CHECK(f.st().screen == Screen::scan);
}

TEST_CASE("presses naming another order than the shown one do nothing") {
  KioskFixture f;
  const db::Order o = f.ready_order_with_lines(2);
  const auto &other = f.code("ready", f.code("ready").order_number == o.number ? 1 : 0);
  REQUIRE(other.order_number != o.number);
  f.kiosk->scan(f.code_of(o.number), "keyboard");
  REQUIRE(f.st().verdict);
  const auto events = f.events();
  const auto rev = f.kiosk->revision();
  f.press(K::hand_over, other.order_number);
  f.press(K::hand_over);  // no order named: not a press of the screen's Remis
  f.press(K::open_order, other.order_number);
  f.press(K::start_refuse, other.order_number);
  ui::Action refuse;
  refuse.kind = K::refuse;
  refuse.text = "Produits abîmés";
  refuse.order = other.order_number;
  f.kiosk->act(refuse);
  CHECK(f.events() == events);
  CHECK(f.kiosk->revision() == rev);
  CHECK(f.st().screen == Screen::verdict);
  CHECK_FALSE(f.st().refusing);
  // The screen's own buttons name the shown order, and work.
  CHECK(f.tap(K::open_order).text == o.number);
  CHECK(f.st().screen == Screen::order);
  CHECK(f.tap(K::start_refuse).text == o.number);
  const ui::Action reason = f.tap_action(K::refuse, 2);
  CHECK(reason.order == o.number);
  CHECK(reason.text == f.kiosk->refuse_reasons()[2]);
  f.kiosk->act(reason);
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->kind == HandoverKind::refused);
  CHECK(f.st().receipt->order_number == o.number);
  CHECK(f.events() == events + 1);
}

TEST_CASE("after Retour, the scanner's double read of the code is a verdict to act on") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.press(K::dismiss);
  REQUIRE(f.st().screen == Screen::scan);
  f.clock.advance_ms(800);
  f.kiosk->scan(c.code, "keyboard");  // within 3 s: the core calls it a repeat
  REQUIRE(f.st().verdict);
  CHECK(f.st().screen == Screen::verdict);
  CHECK(f.st().verdict->kind == VerdictKind::ready);
  CHECK_FALSE(f.st().verdict->repeat);
  CHECK_FALSE(f.st().repeat_seen);
  CHECK(ui::verdict_view(*f.kiosk, f.now()).repeat.empty());
  // It waits for staff: nothing closes it.
  CHECK_FALSE(f.kiosk->next_wait_ms());
  CHECK(f.host.tones == std::vector<bool>{true, true});
  f.hand_over();
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->order_number == c.order_number);
  // A double read of a non-order, after OK, shows again too, not as a repeat.
  f.after_double_read_window();
  f.kiosk->scan("bonjour", "keyboard");
  f.press(K::dismiss);
  REQUIRE(f.st().screen == Screen::scan);
  f.clock.advance_ms(500);
  f.kiosk->scan("bonjour", "keyboard");
  CHECK(f.st().screen == Screen::verdict);
  CHECK_FALSE(f.st().verdict->repeat);
  CHECK(ui::verdict_view(*f.kiosk, f.now()).repeat.empty());
}

// ---- time: the monotonic clock ---------------------------------------------------------

TEST_CASE("the wall clock set forward or back moves no timer but the undo bar's") {
  KioskFixture f;
  // A verdict that closes by itself: an hour forward does not close it...
  f.kiosk->scan(f.code("cancelled").code, "keyboard");
  f.skewed.set_wall_by_ms(3'600'000);
  f.tick_if_due();
  CHECK(f.st().screen == Screen::verdict);
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == f.kiosk->options().verdict_timeout_ms);
  // ...and two hours back do not keep it.
  f.skewed.set_wall_by_ms(-7'200'000);
  f.wait_ms(f.kiosk->options().verdict_timeout_ms);
  CHECK(f.st().screen == Screen::scan);
  // The PIN pause lasts its minute whatever the wall clock says.
  f.press(K::go_technician);
  for (int i = 0; i < ui::Kiosk::kPinFailuresAllowed; ++i) f.kiosk->typed("0000");
  REQUIRE(f.st().pin_pause_left_s == 60);
  f.skewed.set_wall_by_ms(5 * 3'600'000);
  f.tick_if_due();
  CHECK(f.st().pin_pause_left_s == 60);
  f.wait_ms(59'000);
  CHECK(f.st().pin_pause_left_s == 1);
  f.skewed.set_wall_by_ms(-24 * 3'600'000);
  f.wait_ms(1'000);
  CHECK(f.st().pin_pause_left_s == 0);
  // Idle screens and notices too.
  f.press(K::go_search);
  drivers::DeviceNotice n;
  n.kind = drivers::NoticeKind::device_added;
  n.device_id = "evdev:scanner";
  f.kiosk->notice(n);
  f.skewed.set_wall_by_ms(-3'600'000);
  f.wait_ms(ui::Kiosk::kNoticeMs - 1);
  CHECK_FALSE(f.st().notice.empty());
  f.wait_ms(1);
  CHECK(f.st().notice.empty());
  f.skewed.set_wall_by_ms(3'600'000);
  f.tick_if_due();
  CHECK(f.st().screen == Screen::search);
  f.wait_ms(f.kiosk->options().idle_timeout_ms);
  CHECK(f.st().screen == Screen::scan);
  // The undo window is about the receipt's wall time: set forward, it is over.
  f.skewed.reset_wall();  // the order's pickup window is about the wall clock too
  f.kiosk->scan(f.code("ready").code, "keyboard");
  f.hand_over();
  REQUIRE(ui::undo_open(f.st(), f.now()));
  f.skewed.set_wall_by_ms(PickupService::kUndoWindowMs);
  f.tick_if_due();
  CHECK_FALSE(ui::undo_open(f.st(), f.now()));
  CHECK_FALSE(ui::scan_view(f.st(), f.now()).undo);
}

TEST_CASE("a full disk: Remis fails, the verdict stays with what to do, and works once freed") {
  ui::KioskOptions options;
  // A long staff name makes the event need an overflow page (see the core's own test).
  options.staff = std::string(6000, 'x');
  KioskFixture f(options);
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  db::Connection &conn = f.database->connection();
  const std::int64_t pages = f.count("PRAGMA page_count");
  REQUIRE(conn.exec("PRAGMA max_page_count=" + std::to_string(pages)).ok());
  const auto events = f.events();
  f.hand_over();
  CHECK(f.events() == events);
  CHECK(f.st().error_code == "disk_full");
  CHECK(contains(f.st().error, "Disque plein"));
  CHECK(f.st().screen == Screen::verdict);
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->order->number == c.order_number);
  const ui::VerdictView view = ui::verdict_view(*f.kiosk, f.now());
  CHECK(view.error == f.st().error);
  CHECK(f.button(K::hand_over)->enabled);
  // Nothing times it out while staff free some space.
  CHECK_FALSE(f.kiosk->next_wait_ms());
  f.wait_ms(30 * 60'000);
  CHECK(f.st().screen == Screen::verdict);
  REQUIRE(conn.exec("PRAGMA max_page_count=1000000").ok());
  f.hand_over();
  CHECK(f.st().error.empty());
  CHECK(f.events() == events + 1);
  REQUIRE(f.st().receipt);
  CHECK(f.st().receipt->order_number == c.order_number);
  CHECK(f.st().screen == Screen::scan);
}

TEST_CASE("search: spaces around the query are not letters") {
  KioskFixture f;
  f.press(K::go_search);
  f.press(K::field_text, " a");
  CHECK(f.st().results.empty());
  CHECK(f.st().error.empty());
  CHECK(ui::search_view(f.st(), f.now()).empty == "Tapez au moins 2 lettres");
  f.press(K::field_text, "  qq  ");
  CHECK(ui::search_view(f.st(), f.now()).empty == "Aucune commande trouvée pour «\u00a0qq\u00a0»");
  // And a name with spaces around it still finds its order.
  const auto &c = f.code("ready");
  f.press(K::field_text, "  " + c.order_number + " ");
  REQUIRE_FALSE(f.st().results.empty());
  CHECK(f.st().results.front().number == c.order_number);
}

TEST_CASE("a damaged cache found in the background stays in the header on every screen") {
  KioskFixture f;
  const auto before = f.kiosk->revision();
  f.kiosk->alert(make_error("cache_damaged", "database disk image is malformed"));
  CHECK(f.kiosk->revision() > before);
  CHECK(f.host.tones == std::vector<bool>{false});
  const std::string alert = f.st().alert;
  CHECK(alert ==
        error_message(make_error("cache_damaged", "database disk image is malformed"), Lang::fr));
  auto header = ui::header_view(f.st(), f.now());
  CHECK(header.notice == alert);
  CHECK(header.notice_tone == ui::Tone::bad);
  // A scanner notice, a handover and every timeout later, it is still there: only a
  // restart (after the technician's repair) clears it.
  drivers::DeviceNotice unplugged;
  unplugged.kind = drivers::NoticeKind::device_removed;
  unplugged.device_id = "usb:0c2e:0b61:1-1";
  f.kiosk->notice(unplugged);
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.hand_over();
  f.wait_ms(10 * 60'000);
  header = ui::header_view(f.st(), f.now());
  CHECK(header.notice == alert);
  CHECK(header.notice_tone == ui::Tone::bad);
  CHECK(f.st().receipt);
}

TEST_CASE("an order refused earlier says so, with the reason, when it is scanned again") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  const auto reasons = f.kiosk->refuse_reasons();
  REQUIRE(reasons.size() >= 2);
  f.refuse(reasons[1]);
  const std::int64_t refused_s = f.now() / 1000;
  REQUIRE(f.st().receipt);
  f.after_double_read_window();
  f.kiosk->scan(c.code, "keyboard");
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::ready);  // still collectable: staff decide
  REQUIRE(f.st().verdict->refused);
  CHECK(f.st().verdict->refused->reason == reasons[1]);
  CHECK(f.st().verdict->refused->staff == "Martin");
  std::array<char, 8> hm{};
  const auto t = static_cast<std::time_t>(refused_s);
  std::tm local{};
  localtime_r(&t, &local);
  std::strftime(hm.data(), hm.size(), "%H:%M", &local);
  const std::string fact = std::string("Refusée à ") + hm.data() + "\u00a0: " + reasons[1];
  const auto view = ui::verdict_view(*f.kiosk, f.now());
  CHECK(std::find(view.facts.begin(), view.facts.end(), fact) != view.facts.end());
  // Handed over after all: the refusal no longer stands.
  f.hand_over();
  f.after_double_read_window();
  CHECK_FALSE(f.service->check_order(c.order_number)->refused);
}

}  // namespace
}  // namespace comptoir
