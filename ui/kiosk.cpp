// The kiosk's state machine (kiosk.hpp). The core answers every scan the moment it arrives;
// what waits is only its showing, behind a verdict that staff must act on. Every change a
// screen can show bumps the revision, and nothing else does, so the app redraws only then.
#include "ui/kiosk.hpp"

#include <algorithm>

#include "pickup/pickup_service.hpp"
#include "runtime/local_time.hpp"
#include "sync/enrolment.hpp"
#include "ui/i18n.hpp"

namespace comptoir::ui {
namespace {

constexpr std::size_t kMaxField = 128;  // bytes: longer than any code, query or PIN

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// At most `max` bytes, never cutting a UTF-8 character in two.
std::string cut_utf8(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  while (n > 0 && is_continuation(text[n])) --n;
  text.resize(n);
  return text;
}

void pop_utf8(std::string &text) {
  while (!text.empty()) {
    const char c = text.back();
    text.pop_back();
    if (!is_continuation(c)) break;
  }
}

// Whether two answers are about the same thing: the same order, or the same kind of
// non-order (a scanner's double read of a product barcode).
bool same_subject(const Verdict &a, const Verdict &b) {
  if (a.order && b.order) return a.order->number == b.order->number;
  if (a.order || b.order) return false;
  return a.kind == b.kind && a.detail == b.detail;
}

// Staff must act on it (hand over, refuse, or put it aside) before the next one shows.
bool needs_staff(const Verdict &v) {
  return can_hand_over(v.kind) && !v.repeat;
}

bool is_technician(Screen s) {
  return s == Screen::technician || s == Screen::technician_pin;
}

// Screens left alone for idle_timeout_ms go back to the scan screen.
bool idles_out(Screen s) {
  return s == Screen::search || s == Screen::today || is_technician(s);
}

// "https://portal.example.org:8443/base" -> "portal.example.org:8443".
std::string host_of(const std::string &url) {
  std::string_view rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
  }
  if (const auto at = rest.find('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

}  // namespace

std::string_view to_string(Enrolment::Phase phase) {
  switch (phase) {
    case Enrolment::Phase::none:
      return "none";
    case Enrolment::Phase::confirm:
      return "confirm";
    case Enrolment::Phase::running:
      return "running";
    case Enrolment::Phase::done:
      return "done";
    case Enrolment::Phase::failed:
      return "failed";
  }
  return "none";
}

std::string_view to_string(Screen screen) {
  switch (screen) {
    case Screen::scan:
      return "scan";
    case Screen::verdict:
      return "verdict";
    case Screen::order:
      return "order";
    case Screen::search:
      return "search";
    case Screen::today:
      return "today";
    case Screen::technician_pin:
      return "technician_pin";
    case Screen::technician:
      return "technician";
  }
  return "scan";
}

SyncAge sync_age(std::int64_t last_sync_ms, std::int64_t now_ms) {
  constexpr std::int64_t minute = 60'000, hour = 60 * minute, day = 24 * hour;
  // A sync "in the future" (the clock was set back) reads as just now until it is a minute
  // in the past, rather than as a negative age.
  const std::int64_t age = std::max<std::int64_t>(0, now_ms - last_sync_ms);
  const std::int64_t base = last_sync_ms;
  SyncAge a;
  if (age < minute) {
    a = {SyncAge::Unit::just_now, 0, base + minute};
  } else if (age < hour) {
    a = {SyncAge::Unit::minutes, age / minute, base + (age / minute + 1) * minute};
  } else if (age < 48 * hour) {
    a = {SyncAge::Unit::hours, age / hour, base + (age / hour + 1) * hour};
  } else {
    a = {SyncAge::Unit::days, age / day, base + (age / day + 1) * day};
  }
  if (a.next_change_ms <= now_ms) a.next_change_ms = now_ms + 1;
  return a;
}

std::int64_t seconds_left(std::int64_t until_ms, std::int64_t now_ms) {
  if (now_ms >= until_ms) return 0;
  return (until_ms - now_ms + 999) / 1000;
}

bool undo_open(const KioskState &state, std::int64_t now_ms) {
  // A receipt "from the future" (the wall clock was set back since) is not offered: the
  // core would refuse it as too late anyway.
  return state.receipt &&
         (state.receipt->kind == HandoverKind::full ||
          state.receipt->kind == HandoverKind::partial) &&
         state.receipt->wall_ms <= now_ms && now_ms < state.undo_until_ms;
}

Kiosk::Kiosk(PickupService &service, KioskHost &host, const Clock &clock, KioskOptions options)
    : service_(&service), host_(host), clock_(clock), options_(std::move(options)) {
  state_.lang = options_.lang;
  state_.no_stand = options_.no_stand;
  state_.enrolled = host_.enrolment();
  use_language(state_.lang);
  refresh_status();
  last_touch_ms_ = mono_now();
  time_key_ = time_key(now());
}

const Identity &Kiosk::identity() const {
  return service_->identity();
}

std::int64_t Kiosk::mono_now() const {
  return clock_.mono_ns() / 1'000'000;
}

Kiosk::Now Kiosk::now() const {
  return {wall_now(), mono_now()};
}

// ---- verdicts ----------------------------------------------------------------------------

bool Kiosk::verdict_pending() const {
  return state_.verdict && needs_staff(*state_.verdict);
}

void Kiosk::clear_verdict() {
  state_.verdict.reset();
  state_.verdict_source.clear();
  state_.verdict_at_ms = 0;
  state_.missing.clear();
  state_.refusing = false;
  state_.repeat_seen = false;
  state_.hand_over_held = false;
}

bool Kiosk::shows_order(std::string_view number) const {
  return state_.verdict && state_.verdict->order && state_.verdict->order->number == number;
}

bool Kiosk::queues_order(std::string_view number) const {
  return std::any_of(state_.queued.begin(), state_.queued.end(), [&](const QueuedScan &q) {
    return q.verdict.order && q.verdict.order->number == number;
  });
}

void Kiosk::present(QueuedScan item) {
  clear_verdict();
  state_.verdict = std::move(item.verdict);
  state_.verdict_source = std::move(item.source);
  state_.verdict_at_ms = item.at_ms;
  state_.screen = Screen::verdict;
  state_.field.clear();
  state_.results.clear();
  // A new customer: the last one's error no longer applies.
  last_error_.reset();
  error_verdict_.reset();
  state_.error.clear();
  state_.error_code.clear();
  verdict_shown_ms_ = mono_now();
}

void Kiosk::enqueue(QueuedScan item) {
  state_.queued.push_back(std::move(item));
  while (state_.queued.size() > kMaxQueued) {
    QueuedScan old = std::move(state_.queued.front());
    state_.queued.pop_front();
    use_language(state_.lang);
    const std::string what = old.verdict.order ? old.verdict.order->number : cut_utf8(old.text, 24);
    set_notice(subst(tr("Too many codes waiting: %s was not shown. Scan it again."), {what}), true);
    state_.history.push_back(std::move(old));
    while (state_.history.size() > kMaxHistory) state_.history.pop_front();
  }
}

void Kiosk::advance() {
  clear_verdict();
  if (state_.queued.empty()) {
    state_.screen = Screen::scan;
    state_.field.clear();
    return;
  }
  QueuedScan next = std::move(state_.queued.front());
  state_.queued.pop_front();
  // It was answered when it was read; handing over or refusing the one before may have
  // changed it since (the same order read as a QR code and as a short code). Say what it
  // is now, still as read then and there.
  std::optional<Error> recheck_error;
  if (next.verdict.order) {
    auto fresh = service_->check_order(next.verdict.order->number);
    if (fresh) {
      const bool was_good = can_hand_over(next.verdict.kind);
      fresh->scan_id = std::move(next.verdict.scan_id);
      fresh->layout = std::move(next.verdict.layout);
      next.verdict = std::move(*fresh);
      // Its tone sounded when it was read: a verdict that turned sounds again.
      if (can_hand_over(next.verdict.kind) != was_good) {
        host_.feedback(can_hand_over(next.verdict.kind));
      }
    } else {
      recheck_error = fresh.error();
    }
  }
  present(std::move(next));
  if (recheck_error) fail(*recheck_error);
  if (verdict_pending()) {
    // A second tap on Remis meant for the customer just served lands here: not taken.
    state_.hand_over_held = true;
    hand_over_from_ms_ = mono_now() + kHandOverGuardMs;
  }
}

// Leaving a verdict for another screen puts it aside; scans waiting behind it come first,
// so none is lost by a press on the navigation bar.
void Kiosk::leave_verdict_for(Screen screen) {
  if (state_.verdict && !state_.queued.empty()) {
    advance();
    return;
  }
  clear_verdict();
  go(screen);
}

void Kiosk::show_answer(const Result<Verdict> &answer, std::string_view text,
                        std::string_view source, bool count) {
  if (count) ++state_.scans;
  if (!answer) {
    host_.feedback(false);
    fail(answer.error());
    // The technician screens show no errors: the scan screen does.
    if (!state_.verdict && is_technician(state_.screen)) go(Screen::scan);
    changed();
    return;
  }
  Verdict v = *answer;
  changed();  // the count moved, whatever else does
  if (v.order) {
    // An order already on screen or waiting, read again: a scanner's double read, the
    // same code read after the 3 s window, or its QR code after its short code. One order
    // is one verdict: say so on the shown one, queue nothing.
    const std::string &number = v.order->number;
    if (shows_order(number) || queues_order(number)) {
      if (!v.repeat) host_.feedback(can_hand_over(v.kind));
      if (shows_order(number)) state_.repeat_seen = true;
      return;
    }
    // The double read of the order just handed over or refused must not come back as a
    // verdict to act on.
    if (v.repeat && !last_acted_order_.empty() && number == last_acted_order_) return;
  } else if (v.repeat) {
    if (state_.verdict && same_subject(*state_.verdict, v)) {
      state_.repeat_seen = true;
      return;
    }
    const bool waiting =
        std::any_of(state_.queued.begin(), state_.queued.end(),
                    [&](const QueuedScan &q) { return same_subject(q.verdict, v); });
    if (waiting) return;
  }
  if (v.repeat) {
    // The double read of a code no longer shown (put aside with Retour, timed out): its
    // own verdict as things stand now, to act on, not a "read twice" that closes itself.
    if (v.order) {
      auto fresh = service_->check_order(v.order->number);
      if (!fresh) {
        host_.feedback(false);
        fail(fresh.error());
        return;
      }
      fresh->scan_id = std::move(v.scan_id);
      fresh->layout = std::move(v.layout);
      v = std::move(*fresh);
    }
    v.repeat = false;
  }
  host_.feedback(can_hand_over(v.kind));
  QueuedScan item{std::move(v), std::string(text), std::string(source), wall_now()};
  if (verdict_pending() || !state_.queued.empty()) {
    enqueue(std::move(item));
  } else {
    present(std::move(item));
  }
}

void Kiosk::scan(std::string_view text, std::string_view source) {
  if (!enrolment_code(text, source)) show_answer(service_->scan(text), text, source, true);
  settle();
}

void Kiosk::typed(std::string_view text) {
  last_touch_ms_ = mono_now();
  do_submit(std::string(text));
  settle();
}

// ---- actions -----------------------------------------------------------------------------

void Kiosk::act(const Action &a) {
  last_touch_ms_ = mono_now();
  using K = Action::Kind;
  switch (a.kind) {
    case K::go_scan:
      if (state_.verdict) {
        advance();
      } else {
        go(Screen::scan);
      }
      changed();
      break;
    case K::go_search:
      leave_verdict_for(Screen::search);
      changed();
      break;
    case K::go_today:
      leave_verdict_for(Screen::today);
      changed();
      break;
    case K::go_technician:
      leave_verdict_for(state_.unlocked ? Screen::technician : Screen::technician_pin);
      changed();
      break;
    case K::dismiss:
      if (state_.verdict) {
        advance();
        changed();
      }
      break;
    case K::hand_over:
      do_hand_over(a.text);
      break;
    case K::open_order:
      if (shows_order(a.text) && !state_.verdict->order->lines.empty() &&
          state_.screen == Screen::verdict) {
        state_.screen = Screen::order;
        state_.refusing = false;
        changed();
      }
      break;
    case K::close_order:
      if (state_.screen == Screen::order) {
        state_.screen = Screen::verdict;
        state_.refusing = false;
        changed();
      }
      break;
    case K::toggle_missing: {
      if (state_.screen != Screen::order || !state_.verdict || !state_.verdict->order) break;
      const auto &lines = state_.verdict->order->lines;
      const bool exists = std::any_of(lines.begin(), lines.end(),
                                      [&](const VerdictLine &l) { return l.line_no == a.line; });
      if (!exists) break;
      if (!state_.missing.erase(a.line)) state_.missing.insert(a.line);
      succeed();
      changed();
      break;
    }
    case K::start_refuse:
      if (shows_order(a.text) && !state_.refusing) {
        state_.refusing = true;
        changed();
      }
      break;
    case K::refuse:
      do_refuse(a.order, a.text);
      break;
    case K::cancel_refuse:
      if (state_.refusing) {
        state_.refusing = false;
        changed();
      }
      break;
    case K::undo:
      do_undo();
      break;
    case K::key:
      edit_field(state_.field + a.text);
      break;
    case K::backspace: {
      std::string f = state_.field;
      pop_utf8(f);
      edit_field(std::move(f));
      break;
    }
    case K::clear:
      edit_field({});
      break;
    case K::submit:
      do_submit(state_.field);
      break;
    case K::field_text:
      edit_field(a.text);
      break;
    case K::open_result:
      // Shown like a scan: behind a verdict waiting for staff, if there is one.
      if (!a.text.empty()) {
        show_answer(service_->check_order(a.text), a.text, "search", false);
      }
      break;
    case K::run_self_test:
      if (state_.unlocked) {
        state_.self_test = host_.self_test();
        state_.self_test_ran = true;
        changed();
      }
      break;
    case K::set_language:
      // The technician's setting, behind the PIN like the self-test.
      if (!state_.unlocked) break;
      if (auto lang = lang_from_string(a.text); lang && *lang != state_.lang) {
        set_language_to(*lang);
      }
      break;
    case K::lock:
      if (state_.unlocked || is_technician(state_.screen)) {
        lock();
        if (is_technician(state_.screen)) go(Screen::scan);
        changed();
      }
      break;
    case K::confirm_enrol:
      if (state_.screen == Screen::technician && state_.unlocked &&
          state_.enrolment.phase == Enrolment::Phase::confirm) {
        Enrolment &e = state_.enrolment;
        e.phase = Enrolment::Phase::running;
        e.request = ++enrol_requests_;
        e.dots = 0;
        enrol_started_ms_ = mono_now();
        changed();
        host_.enrol(e.request, e.qr);
      }
      break;
    case K::cancel_enrol:
      if (state_.enrolment.phase == Enrolment::Phase::running) {
        use_language(state_.lang);
        set_notice(tr("Enrolment abandoned: nothing was written. The portal may have used the "
                      "code already: if it is refused as used, ask for a new one."),
                   true);
      }
      if (state_.enrolment.phase == Enrolment::Phase::running ||
          state_.enrolment.phase == Enrolment::Phase::confirm) {
        state_.enrolment = Enrolment{};
        changed();
      }
      break;
    case K::close_enrol:
      if (state_.enrolment.phase == Enrolment::Phase::done ||
          state_.enrolment.phase == Enrolment::Phase::failed) {
        state_.enrolment = Enrolment{};
        changed();
      }
      break;
    case K::refresh:
      refresh_status();
      if (state_.screen == Screen::today) refresh_day();
      if (state_.screen == Screen::search) do_search();
      if (state_.screen == Screen::technician) state_.devices = host_.devices();
      changed();
      break;
  }
  settle();
}

void Kiosk::go(Screen screen) {
  const bool entering = state_.screen != screen;
  state_.screen = screen;
  state_.field.clear();
  state_.results.clear();
  state_.refusing = false;
  if (screen != Screen::today) state_.day.reset();
  if (screen == Screen::technician_pin && entering) state_.pin_error.clear();
  if (screen == Screen::today) {
    refresh_status();
    refresh_day();
  }
  if (screen == Screen::technician) state_.devices = host_.devices();
}

void Kiosk::edit_field(std::string text) {
  text = cut_utf8(std::move(text), kMaxField);
  if (text == state_.field) return;
  state_.field = std::move(text);
  if (state_.screen == Screen::search) do_search();
  changed();
}

void Kiosk::do_submit(std::string text) {
  // The portal's enrolment QR typed (a scanner too slow to read as one, or a person): the
  // same as scanned, anywhere but in a search.
  if (state_.screen != Screen::search && enrolment_code(text, "typed")) {
    state_.field.clear();
    return;
  }
  switch (state_.screen) {
    case Screen::search:
      state_.field = cut_utf8(text, kMaxField);
      do_search();
      changed();
      return;
    case Screen::technician_pin:
      do_pin(std::move(text));
      return;
    case Screen::technician:
      return;
    case Screen::today:  // a code typed there is a code to check
    case Screen::scan:
    case Screen::verdict:
    case Screen::order:
      break;
  }
  const bool had_field = !state_.field.empty();
  state_.field.clear();
  if (text.empty()) {
    if (had_field) changed();
    return;
  }
  show_answer(service_->scan(text), text, "typed", true);
}

void Kiosk::do_search() {
  // " a" is one letter, not two: spaces around the query are not searched for.
  const std::string_view query = trim_spaces(state_.field);
  if (utf8_length(query) < 2) {
    state_.results.clear();
    return;
  }
  auto found = service_->search(query);
  if (!found) {
    state_.results.clear();
    fail(found.error());
    return;
  }
  state_.results = std::move(*found);
  succeed();
}

void Kiosk::do_hand_over(const std::string &order) {
  if (!state_.verdict || !state_.verdict->order || !can_hand_over(state_.verdict->kind)) return;
  // A press meant for another verdict (the one before, a tap late), or one landing just as
  // a queued verdict replaced it: not this order's handover.
  if (!shows_order(order) || mono_now() < hand_over_from_ms_) return;
  // A token's order not synced yet is named "#ID", as check_order expects.
  const std::string number = state_.verdict->order->number;
  const std::vector<int> missing(state_.missing.begin(), state_.missing.end());
  auto receipt = service_->hand_over(number, missing, options_.staff);
  if (!receipt) {
    // The verdict stays: staff may fix the cause (untick a line, free disk space) and retry.
    error_verdict_.reset();
    if (receipt.error().code == "not_collectable") {
      if (auto now_verdict = service_->check_order(number)) error_verdict_ = *now_verdict;
    }
    fail(receipt.error());
    changed();
    return;
  }
  state_.undo_until_ms = receipt->wall_ms + PickupService::kUndoWindowMs;
  state_.receipt = std::move(*receipt);
  // The scanner's double read of this code, arriving now, must not show it again (the
  // core's filter still answers it as a repeat: no reset_double_read_filter here).
  last_acted_order_ = number;
  succeed();
  refresh_status();
  advance();
  changed();
}

void Kiosk::do_refuse(const std::string &order, const std::string &reason_text) {
  if (!shows_order(order)) return;  // meant for another verdict
  const std::string reason(trim_spaces(reason_text));
  const std::string number = state_.verdict->order->number;
  auto receipt = service_->refuse(number, reason, options_.staff);
  if (!receipt) {
    fail(receipt.error());
    changed();
    return;
  }
  // A refusal is not undone from the counter: the bar of an earlier handover goes too,
  // so "Annuler" never reaches past the refusal to another customer.
  state_.undo_until_ms = 0;
  set_notice(receipt_message(*receipt, state_.lang), false);
  state_.receipt = std::move(*receipt);
  last_acted_order_ = number;
  succeed();
  refresh_status();
  advance();
  changed();
}

void Kiosk::do_undo() {
  const std::int64_t wall = wall_now();
  if (!undo_open(state_, wall)) {
    // No bar, nothing to take back: a refusal since, or an undo already. But a press as
    // the bar closed under the finger hears why nothing happened.
    const bool just_closed = state_.receipt &&
                             (state_.receipt->kind == HandoverKind::full ||
                              state_.receipt->kind == HandoverKind::partial) &&
                             state_.undo_until_ms != 0 && wall >= state_.undo_until_ms;
    if (just_closed) {
      fail(Error{"undo_too_late", state_.receipt->event_id});
      changed();
    }
    return;
  }
  // The handover the bar names, and only while it is this device's last.
  auto receipt = service_->undo(state_.receipt->event_id, options_.staff);
  if (!receipt) {
    fail(receipt.error());
    changed();
    return;
  }
  set_notice(receipt_message(*receipt, state_.lang), false);
  state_.receipt = std::move(*receipt);
  state_.undo_until_ms = 0;
  // The order can be collected again: scanning it now is a new scan, not a double read.
  service_->reset_double_read_filter();
  last_acted_order_.clear();
  succeed();
  refresh_status();
  changed();
}

void Kiosk::do_pin(std::string pin) {
  const bool had_field = !state_.field.empty();
  state_.field.clear();
  const std::int64_t mono = mono_now();
  if (mono < pin_paused_until_ms_ || pin.empty()) {
    if (had_field) changed();
    return;  // the PIN screen says how long to wait
  }
  auto right = host_.check_pin(pin);
  if (!right) {
    state_.pin_error = error_sentence(right.error());
  } else if (*right) {
    state_.unlocked = true;
    unlocked_ms_ = mono;
    state_.pin_failures = 0;
    state_.pin_lockouts = 0;
    state_.pin_error.clear();
    // As it is now: a sync agent may have enrolled it, or a bundle left its enrolment pending.
    if (state_.enrolment.phase != Enrolment::Phase::running) state_.enrolled = host_.enrolment();
    go(Screen::technician);
  } else if (++state_.pin_failures >= kPinFailuresAllowed) {
    // 60 s, 2 min, 4 min... up to an hour: a few guesses an hour at most, however long
    // someone keeps trying, and only a right PIN starts again from a minute.
    const int doublings = std::min(state_.pin_lockouts, 6);
    pin_paused_until_ms_ = mono + std::min(kPinPauseMaxMs, kPinPauseMs << doublings);
    ++state_.pin_lockouts;
    state_.pin_failures = 0;
    state_.pin_error.clear();
  } else {
    use_language(state_.lang);
    state_.pin_error =
        subst(tr("Wrong code (try %d of %d)"),
              {std::to_string(state_.pin_failures), std::to_string(kPinFailuresAllowed)});
  }
  changed();
}

void Kiosk::set_language_to(Lang lang) {
  state_.lang = lang;
  use_language(lang);
  host_.language_changed(lang);
  if (last_error_) state_.error = error_sentence(*last_error_);
  // A notice was worded for the old language and is not kept in any other form.
  state_.notice.clear();
  state_.pin_error.clear();
  changed();
}

// The portal's enrolment QR code: on the unlocked technician screen it asks whether to
// enrol; anywhere else it is answered like a code that is not an order's, saying where to
// go (a customer's scan never enrols the counter).
bool Kiosk::enrolment_code(std::string_view text, std::string_view source) {
  auto qr = sync::parse_enrol_url(std::string(text));
  if (!qr) return false;
  if (state_.screen != Screen::technician || !state_.unlocked) {
    Verdict v;
    v.kind = VerdictKind::not_a_pickup_code;
    v.detail = "enrolment_code";
    show_answer(Result<Verdict>(std::move(v)), text, source, true);
    return true;
  }
  ++state_.scans;
  changed();
  Enrolment &e = state_.enrolment;
  if (e.phase == Enrolment::Phase::running) {
    host_.feedback(false);
    use_language(state_.lang);
    set_notice(tr("An enrolment is under way: wait for its answer, or cancel it first."), true);
    return true;
  }
  state_.enrolled = host_.enrolment();
  e = Enrolment{};
  e.portal = qr->first;
  e.host = host_of(qr->first);
  e.qr = std::string(text);
  if (state_.enrolled) {
    // Re-enrolling throws away this appliance's identity: not from a screen. A bundle's
    // enrolment under way would be refused only after the portal used the code.
    e.phase = Enrolment::Phase::failed;
    e.error = make_error(state_.enrolled->pending ? "enrolment_pending" : "already_enrolled",
                         state_.enrolled->portal_url);
    host_.feedback(false);
  } else {
    e.phase = Enrolment::Phase::confirm;
    host_.feedback(true);
  }
  return true;
}

bool Kiosk::awaits_enrolment(std::uint64_t request) const {
  return state_.enrolment.phase == Enrolment::Phase::running && state_.enrolment.request == request;
}

void Kiosk::enrol_done(std::uint64_t request, const Result<EnrolledFacts> &result) {
  if (!awaits_enrolment(request)) return;
  Enrolment &e = state_.enrolment;
  use_language(state_.lang);
  if (result) {
    e.phase = Enrolment::Phase::done;
    e.error.reset();
    state_.enrolled = *result;
    state_.no_stand = false;
    host_.feedback(true);
    const std::string stand =
        result->stand_name.empty() ? "#" + std::to_string(result->stand_id) : result->stand_name;
    // Said on any other screen; the technician screen shows it in full.
    if (state_.screen != Screen::technician) {
      set_notice(subst(tr("Counter enrolled: %s, stand %s"), {result->portal_name, stand}), false);
    }
  } else {
    e.phase = Enrolment::Phase::failed;
    e.error = result.error();
    host_.feedback(false);
  }
  refresh_status();
  changed();
  settle();
}

void Kiosk::use_service(PickupService &service) {
  service_ = &service;
  refresh_status();
  changed();
}

void Kiosk::lock() {
  state_.unlocked = false;
  // An enrolment asked about or answered goes with the unlock; one under way is still
  // written when the portal says yes (the technician confirmed it), and shown next time.
  if (state_.enrolment.phase != Enrolment::Phase::running) state_.enrolment = Enrolment{};
  state_.devices.clear();
  state_.self_test.clear();
  state_.self_test_ran = false;
}

void Kiosk::refresh_status() {
  // The banner's counts are not worth an alarm of their own: a database fault shows on the
  // next scan or handover, with what to do.
  if (auto s = service_->status()) state_.status = std::move(*s);
}

void Kiosk::sync_round_done() {
  refresh_status();
  if (state_.screen == Screen::today) refresh_day();
  changed();
  settle();
}

void Kiosk::refresh_day() {
  auto day = service_->today();
  if (!day) {
    state_.day.reset();
    fail(day.error());
    return;
  }
  state_.day = std::move(*day);
}

// ---- errors and notices ------------------------------------------------------------------

std::string Kiosk::error_sentence(const Error &e) const {
  use_language(state_.lang);
  if (e.code == "all_lines_missing") {
    return tr("Every line is missing: refuse the handover instead (Refuse button).");
  }
  if (e.code == "reason_required") return tr("Choose the reason for the refusal.");
  if (e.code == "not_collectable") {
    if (error_verdict_) {
      return std::string(tr("Cannot hand over.")) + " " +
             verdict_message(*error_verdict_, state_.lang);
    }
    return tr("Cannot hand over: scan the order again to see why.");
  }
  if (e.code == "no_pin") {
    const std::string dir = options_.data_dir.empty() ? std::string("DIR") : options_.data_dir;
    return subst(tr("No technician code is set. On the appliance, run: comptoir-provision "
                    "set-pin --data %s"),
                 {dir});
  }
  return error_message(e, state_.lang);
}

void Kiosk::fail(const Error &error) {
  last_error_ = error;
  state_.error = error_sentence(error);
  state_.error_code = error.code;
}

void Kiosk::succeed() {
  last_error_.reset();
  error_verdict_.reset();
  state_.error.clear();
  state_.error_code.clear();
}

void Kiosk::set_notice(std::string text, bool warning) {
  state_.notice = std::move(text);
  notice_ms_ = mono_now();
  state_.notice_warning = warning;
}

void Kiosk::alert(const Error &error) {
  state_.alert = error_sentence(error);
  host_.feedback(false);
  changed();
}

void Kiosk::notice(const drivers::DeviceNotice &n) {
  set_notice(device_notice_message(n, state_.lang), n.kind != drivers::NoticeKind::device_added);
  if (n.kind == drivers::NoticeKind::scan_dropped) host_.feedback(false);
  changed();
  settle();
}

std::vector<std::string> Kiosk::refuse_reasons() const {
  use_language(state_.lang);
  return {tr("Customer could not pay"), tr("Order not found in the back room"), tr("Goods damaged"),
          tr("Customer declined the order"), tr("Doubt about the customer's identity")};
}

// ---- time ------------------------------------------------------------------------------

std::optional<std::int64_t> Kiosk::verdict_deadline() const {
  if (!state_.verdict || needs_staff(*state_.verdict)) return std::nullopt;
  return std::max(verdict_shown_ms_, last_touch_ms_) + options_.verdict_timeout_ms;
}

std::optional<std::int64_t> Kiosk::idle_deadline() const {
  if (!idles_out(state_.screen)) return std::nullopt;
  // The technician waits for the portal's answer: not idle.
  if (state_.screen == Screen::technician && state_.enrolment.phase == Enrolment::Phase::running) {
    return std::nullopt;
  }
  return last_touch_ms_ + options_.idle_timeout_ms;
}

std::optional<std::int64_t> Kiosk::unlock_deadline() const {
  // However busy the counter (every press counts as a touch), the unlock does not outlast
  // this.
  if (!state_.unlocked) return std::nullopt;
  return unlocked_ms_ + kUnlockMs;
}

std::int64_t Kiosk::pause_left_s(std::int64_t mono_ms) const {
  return pin_paused_until_ms_ == 0 ? 0 : seconds_left(pin_paused_until_ms_, mono_ms);
}

int Kiosk::enrol_dots(std::int64_t mono_ms) const {
  if (state_.enrolment.phase != Enrolment::Phase::running) return 0;
  return static_cast<int>(((mono_ms - enrol_started_ms_) / kEnrolDotMs) % 4);
}

// [0] undo countdown, [1] PIN pause, [2] enrolment dots: the screen's own timers; [3..]
// the banner's sync age and the day, which read the counts again when they move.
std::vector<std::int64_t> Kiosk::time_key(Now t) const {
  std::vector<std::int64_t> key(6, -1);
  if (state_.screen == Screen::scan && undo_open(state_, t.wall)) {
    key[0] = seconds_left(state_.undo_until_ms, t.wall);
  }
  if (state_.screen == Screen::technician_pin && t.mono < pin_paused_until_ms_) {
    key[1] = seconds_left(pin_paused_until_ms_, t.mono);
  }
  if (state_.screen == Screen::technician && state_.enrolment.phase == Enrolment::Phase::running) {
    key[2] = enrol_dots(t.mono);
  }
  if (state_.status.last_sync_ms) {
    const SyncAge age = sync_age(*state_.status.last_sync_ms, t.wall);
    key[3] = static_cast<std::int64_t>(age.unit);
    key[4] = age.value;
  }
  // "N pickups today" turns to none at midnight.
  if (state_.status.collected_today > 0) key[5] = local_day(t.wall / 1000).start;
  return key;
}

void Kiosk::settle() {
  const Now t = now();
  // The technician's screen is the only one unlocked: whatever took the screen away from it
  // (a press, a scan, a timeout) locks.
  if (state_.unlocked && state_.screen != Screen::technician) {
    lock();
    changed();
  }
  state_.pin_pause_left_s = pause_left_s(t.mono);
  state_.enrolment.dots = enrol_dots(t.mono);
  time_key_ = time_key(t);
}

void Kiosk::tick() {
  const Now t = now();
  bool moved = false;
  if (auto d = verdict_deadline(); d && t.mono >= *d) {
    advance();
    moved = true;
  }
  if (auto d = unlock_deadline(); d && t.mono >= *d) {
    lock();
    if (is_technician(state_.screen)) go(Screen::scan);
    moved = true;
  }
  if (auto d = idle_deadline(); d && t.mono >= *d) {
    go(Screen::scan);
    moved = true;
  }
  if (state_.unlocked && state_.screen != Screen::technician) {
    lock();
    moved = true;
  }
  if (!state_.notice.empty() && t.mono >= notice_ms_ + kNoticeMs) {
    state_.notice.clear();
    moved = true;
  }
  if (pin_paused_until_ms_ != 0 && t.mono >= pin_paused_until_ms_) {
    pin_paused_until_ms_ = 0;
    moved = true;
  }
  state_.pin_pause_left_s = pause_left_s(t.mono);
  state_.enrolment.dots = enrol_dots(t.mono);
  if (state_.hand_over_held && t.mono >= hand_over_from_ms_) {
    state_.hand_over_held = false;
    moved = true;
  }
  std::vector<std::int64_t> key = time_key(t);
  // The banner's age or the day moved on: read the counts again as well.
  if (!std::equal(key.begin() + 3, key.end(), time_key_.begin() + 3)) {
    refresh_status();
    key = time_key(t);
  }
  if (moved || key != time_key_) changed();
  time_key_ = std::move(key);
}

std::optional<std::int64_t> Kiosk::next_wait_ms() const {
  const Now t = now();
  // A countdown or the banner's age moved since the last tick: due now. (Computed from now
  // alone, their next change would always lie ahead, and "tick once the deadline is
  // reached" would never tick.)
  if (time_key(t) != time_key_) return 0;
  std::optional<std::int64_t> wait;
  auto consider = [&](std::int64_t ms) {
    ms = std::max<std::int64_t>(ms, 0);
    if (!wait || ms < *wait) wait = ms;
  };
  auto mono_at = [&](std::optional<std::int64_t> d) {
    if (d) consider(*d - t.mono);
  };
  auto wall_at = [&](std::int64_t d) { consider(d - t.wall); };
  mono_at(verdict_deadline());
  mono_at(idle_deadline());
  mono_at(unlock_deadline());
  if (state_.hand_over_held) mono_at(hand_over_from_ms_);  // Remis turns active
  // Countdowns change each second while they are on screen.
  if (state_.screen == Screen::scan && undo_open(state_, t.wall)) {
    wall_at(state_.undo_until_ms - (seconds_left(state_.undo_until_ms, t.wall) - 1) * 1000);
  }
  if (pin_paused_until_ms_ != 0) {
    if (state_.screen == Screen::technician_pin && t.mono < pin_paused_until_ms_) {
      mono_at(pin_paused_until_ms_ - (seconds_left(pin_paused_until_ms_, t.mono) - 1) * 1000);
    } else {
      mono_at(pin_paused_until_ms_);
    }
  }
  if (!state_.notice.empty()) mono_at(notice_ms_ + kNoticeMs);
  if (state_.screen == Screen::technician && state_.enrolment.phase == Enrolment::Phase::running) {
    const std::int64_t steps = (t.mono - enrol_started_ms_) / kEnrolDotMs;
    mono_at(enrol_started_ms_ + (steps + 1) * kEnrolDotMs);
  }
  if (state_.status.last_sync_ms) {
    wall_at(sync_age(*state_.status.last_sync_ms, t.wall).next_change_ms);
  }
  if (state_.status.collected_today > 0) wall_at(local_day(t.wall / 1000).end * 1000);
  return wait;
}

}  // namespace comptoir::ui
