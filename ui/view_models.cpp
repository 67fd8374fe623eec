// The screens' view-models (view_models.hpp): every word through the catalogs (tr, trn),
// the verdict sentences, money and dates from runtime/messages, so a screen and the
// headless mode say the same thing. Pure but for the catalogs' language, which each builder
// sets to the kiosk's own first.
#include "ui/view_models.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "pickup/pickup_service.hpp"
#include "runtime/local_time.hpp"
#include "ui/i18n.hpp"

namespace comptoir::ui {
namespace {

std::string num(std::int64_t n) {
  return std::to_string(n);
}

unsigned long count_of(std::int64_t n) {
  return n < 0 ? 0UL : static_cast<unsigned long>(n);
}

// The most rows a list shows: the day can hold tens of thousands of orders (a whole
// region's demo data), and every frame builds the screen's view-model again.
constexpr std::size_t kMaxRows = 200;

Action make_action(Action::Kind kind, std::string text = {}, int line = 0) {
  Action a;
  a.kind = kind;
  a.line = line;
  a.text = std::move(text);
  return a;
}

// The number the order's buttons name: a press is applied to this order only.
std::string order_of(const Verdict &v) {
  return v.order ? v.order->number : std::string();
}

Button make_button(std::string label, Action action, Tone tone = Tone::neutral,
                   bool primary = false, bool enabled = true) {
  Button b;
  b.label = std::move(label);
  b.action = std::move(action);
  b.tone = tone;
  b.primary = primary;
  b.enabled = enabled;
  return b;
}

tm local_tm(std::int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  tm local{};
  localtime_r(&t, &local);
  return local;
}

std::string strftime_local(std::int64_t unix_s, const char *format) {
  const tm local = local_tm(unix_s);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), format, &local);
  return buf.data();
}

std::string hhmm(std::int64_t unix_s) {
  return strftime_local(unix_s, "%H:%M");
}

bool same_day(std::int64_t a_s, std::int64_t b_s) {
  return local_day(a_s).start == local_day(b_s).start;
}

// "today", "tomorrow", "yesterday" or "24/11".
std::string day_label(std::int64_t unix_s, std::int64_t now_ms) {
  const LocalDay day = local_day(unix_s);
  const LocalDay today = local_day(now_ms / 1000);
  if (day.start == today.start) return tr("today");
  if (day.start == today.end) return tr("tomorrow");
  if (day.end == today.start) return tr("yesterday");
  return strftime_local(unix_s, "%d/%m");
}

// "today 17:00–19:00"; a window over several days names both ends' days.
std::string window_text(std::int64_t from_s, std::int64_t until_s, std::int64_t now_ms) {
  if (from_s <= 0) return {};
  std::string out = day_label(from_s, now_ms) + " " + hhmm(from_s);
  if (until_s <= from_s) return out;
  if (same_day(until_s, from_s)) return out + "–" + hhmm(until_s);
  return out + " – " + day_label(until_s, now_ms) + " " + hhmm(until_s);
}

// Thousandths as a decimal number: French comma, English point; `fixed` keeps all three
// digits (weights), otherwise trailing zeros go ("1,5").
std::string decimal(std::int64_t milli, bool fixed, Lang lang) {
  const bool negative = milli < 0;
  const std::int64_t abs = negative ? -milli : milli;
  std::string out = (negative ? "-" : "") + num(abs / 1000);
  std::array<char, 24> frac{};  // room for any long long: no truncation warning
  std::snprintf(frac.data(), frac.size(), "%03lld", static_cast<long long>(abs % 1000));
  std::string digits = frac.data();
  if (!fixed) {
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
  }
  if (!digits.empty()) out += (lang == Lang::fr ? "," : ".") + digits;
  return out;
}

std::string order_title(const OrderSummary &o) {
  return o.customer.empty() ? o.number : o.number + " · " + o.customer;
}

std::string due_text(std::int64_t cents, Lang lang) {
  return subst(tr("To pay: %s"), {format_money(cents, lang)});
}

// The look of an order in a list: what scanning it now would say, or its problem.
void row_state(const OrderListItem &item, bool as_problem, std::int64_t now_ms, Lang lang,
               ResultRow &row) {
  auto collected_words = [&](bool partial) -> std::string {
    // The portal may report a collection without its time.
    if (!item.collected_ms) return partial ? tr("Partly collected") : tr("Collected");
    const std::int64_t at_s = *item.collected_ms / 1000;
    const bool today = same_day(at_s, now_ms / 1000);
    if (partial) {
      return today ? subst(tr("Partly collected %s"), {hhmm(at_s)})
                   : subst(tr("Partly collected on %s"), {strftime_local(at_s, "%d/%m")});
    }
    return today ? subst(tr("Collected %s"), {hhmm(at_s)})
                 : subst(tr("Collected on %s"), {strftime_local(at_s, "%d/%m")});
  };
  if (as_problem && !item.problem.empty()) {
    if (item.problem == "partial") {
      row.state = collected_words(true);
      row.tone = Tone::warning;
      row.icon = Icon::box;
      return;
    }
    if (item.problem == "refused") {
      row.state = tr("Handover refused");
      row.tone = Tone::bad;
      row.icon = Icon::cross;
      return;
    }
    if (item.problem == "cancelled") {
      row.state = tr("Cancelled");
      row.tone = Tone::bad;
      row.icon = Icon::cross;
      return;
    }
    if (item.problem == "no_show") {
      row.state = tr("Not collected in time");
      row.tone = Tone::warning;
      row.icon = Icon::clock;
      return;
    }
  }
  if (item.collected) {
    row.state = collected_words(item.partial);
    row.tone = item.partial ? Tone::warning : Tone::good;
    row.icon = Icon::check;
    return;
  }
  Verdict v;
  v.kind = item.kind;
  const VerdictLook look = verdict_look(v, lang);
  row.state = look.title;
  if (item.kind == VerdictKind::payment_due && item.due_cents > 0) {
    row.state += " · " + format_money(item.due_cents, lang);
  }
  row.tone = look.tone;
  row.icon = look.icon;
}

ResultRow result_row(const OrderListItem &item, bool as_problem, std::int64_t now_ms, Lang lang) {
  ResultRow row;
  row.number = item.number;
  row.customer = item.customer;
  row.heading = item.customer.empty() ? item.number : item.number + " · " + item.customer;
  row.when = window_text(item.pickup_from, item.pickup_until, now_ms);
  row_state(item, as_problem, now_ms, lang, row);
  row.open = make_button(tr("Open"), make_action(Action::Kind::open_result, item.number));
  return row;
}

// 64800 as "64 800" (a no-break space, which never wraps) or "64,800".
std::string grouped(std::size_t n, Lang lang) {
  const std::string digits = std::to_string(n);
  const std::string separator = lang == Lang::fr ? "\u00a0" : ",";
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += separator;
    out += digits[i];
  }
  return out;
}

// A list's rows, at most kMaxRows, then one that says how many more there are (it opens
// nothing: search finds any of them).
std::vector<ResultRow> rows_of(const std::vector<OrderListItem> &items, bool as_problem,
                               std::int64_t now_ms, Lang lang) {
  std::vector<ResultRow> rows;
  const std::size_t shown = std::min(items.size(), kMaxRows);
  rows.reserve(shown + 1);
  for (std::size_t i = 0; i < shown; ++i) {
    rows.push_back(result_row(items[i], as_problem, now_ms, lang));
  }
  if (items.size() > shown) {
    const std::size_t more = items.size() - shown;
    ResultRow row;
    row.number = subst(trn("… and %s more", "… and %s more", more), {grouped(more, lang)});
    row.heading = row.number;
    row.open = make_button({}, make_action(Action::Kind::open_result), Tone::neutral, false, false);
    rows.push_back(std::move(row));
  }
  return rows;
}

Button key(const std::string &label) {
  return make_button(label, make_action(Action::Kind::key, label));
}

std::vector<Button> keys(std::string_view symbols) {
  std::vector<Button> row;
  for (char c : symbols) row.push_back(key(std::string(1, c)));
  return row;
}

Button backspace_key() {
  return make_button("←", make_action(Action::Kind::backspace));
}

Button submit_key() {
  return make_button(tr("OK"), make_action(Action::Kind::submit), Tone::good, true);
}

// Codes: digits, Crockford's letters (no I L O U: the core reads them as 1 1 0 and V), the
// dash people copy from the confirmation.
KeypadView scan_keypad() {
  KeypadView k;
  k.rows.push_back(keys("1234567890"));
  k.rows.push_back(keys("ABCDEFGHJK"));
  k.rows.push_back(keys("MNPQRSTVWX"));
  std::vector<Button> last = keys("YZ-");
  last.push_back(backspace_key());
  last.push_back(make_button(tr("Clear"), make_action(Action::Kind::clear)));
  last.push_back(submit_key());
  k.rows.push_back(std::move(last));
  return k;
}

// Names and numbers: AZERTY, as the French keyboards staff know; accents are not needed,
// the search ignores them.
KeypadView search_keypad() {
  KeypadView k;
  k.rows.push_back(keys("1234567890"));
  k.rows.push_back(keys("AZERTYUIOP"));
  k.rows.push_back(keys("QSDFGHJKLM"));
  std::vector<Button> row = keys("WXCVBN-");
  row.push_back(backspace_key());
  k.rows.push_back(std::move(row));
  k.rows.push_back({make_button(tr("Space"), make_action(Action::Kind::key, " ")), submit_key()});
  return k;
}

KeypadView pin_keypad() {
  KeypadView k;
  k.rows.push_back(keys("123"));
  k.rows.push_back(keys("456"));
  k.rows.push_back(keys("789"));
  k.rows.push_back({backspace_key(), key("0"), submit_key()});
  return k;
}

// The banner's lead: the link, or what went wrong with the last round (runtime/messages
// sorts the error codes, so :status says the same). Empty when the age leads instead.
std::string link_words(const DeskStatus &s, SyncTrouble trouble) {
  switch (trouble) {
    case SyncTrouble::none:
      break;
    case SyncTrouble::offline:
      return tr("Offline");
    case SyncTrouble::unreachable:
      return tr("Portal unreachable");
    case SyncTrouble::portal_down:
      return tr("Portal unavailable");
    case SyncTrouble::bad_answer:
      return tr("Portal's answer refused");
    case SyncTrouble::certificate:
      return tr("Portal's certificate refused: call the technician");
    case SyncTrouble::address:
      return tr("Portal's address refused: call the technician");
    case SyncTrouble::device_refused:
      return tr("Appliance refused by the portal: call the technician");
    case SyncTrouble::clock:
      return tr("Appliance's clock needs setting: call the technician");
    case SyncTrouble::credentials:
      return tr("Appliance's identity unreadable: call the technician");
    case SyncTrouble::other:
      return tr("Sync failing");
  }
  switch (s.link) {
    case SyncLink::not_enrolled:
      return tr("Not linked to a portal");
    case SyncLink::unknown:
      // Enrolled, and no round in this data directory yet (starting, or sync turned off).
      return s.last_sync_ms ? tr("Not connected yet") : tr("Never synced");
    case SyncLink::online:
      return tr("Online");
    case SyncLink::offline:
      return tr("Offline");
  }
  return {};
}

// "synced 3 min ago" while all is well, "last sync 2 h ago" when the link is down.
std::string age_words(std::int64_t last_sync_ms, std::int64_t now_ms, bool fresh) {
  const SyncAge age = sync_age(last_sync_ms, now_ms);
  const std::string n = num(age.value);
  switch (age.unit) {
    case SyncAge::Unit::just_now:
      return fresh ? tr("synced just now") : tr("last sync just now");
    case SyncAge::Unit::minutes:
      return subst(fresh ? tr("synced %d min ago") : tr("last sync %d min ago"), {n});
    case SyncAge::Unit::hours:
      return subst(fresh ? tr("synced %d h ago") : tr("last sync %d h ago"), {n});
    case SyncAge::Unit::days:
      return subst(fresh
                       ? trn("synced %d day ago", "synced %d days ago", count_of(age.value))
                       : trn("last sync %d day ago", "last sync %d days ago", count_of(age.value)),
                   {n});
  }
  return {};
}

// "Hors ligne · 2 remises à vérifier · 5 remises en attente · dernière synchro il y a 2 h".
// The tone says how much it matters (the icon and the words say it too): neutral with no
// portal, good or info while online, warning when offline, stale or with conflicts, bad
// when only the technician can fix it.
std::string sync_text(const DeskStatus &s, std::int64_t now_ms, Tone &tone, Icon &icon) {
  const bool enrolled = s.link != SyncLink::not_enrolled;
  const SyncTrouble trouble = enrolled ? sync_trouble(s.sync_error) : SyncTrouble::none;
  std::vector<std::string> parts{link_words(s, trouble)};
  // What to review before what waits and the age (unlike :status, which has room): at
  // 800x480 a long lead leaves the line's end to the ellipsis, and the age is the least
  // of it (the technician screen has it in full).
  if (s.conflicts > 0) {
    parts.push_back(
        subst(trn("%d handover to review", "%d handovers to review", count_of(s.conflicts)),
              {num(s.conflicts)}));
  }
  if (s.events_waiting > 0) {
    parts.push_back(
        subst(trn("%d handover waiting", "%d handovers waiting", count_of(s.events_waiting)),
              {num(s.events_waiting)}));
  }
  // With no portal there is no sync to be late; "Never synced" already said it.
  const bool never_lead =
      s.link == SyncLink::unknown && !s.last_sync_ms && trouble == SyncTrouble::none;
  if (enrolled && !never_lead) {
    const bool fresh = s.link == SyncLink::online && trouble == SyncTrouble::none;
    parts.push_back(s.last_sync_ms ? age_words(*s.last_sync_ms, now_ms, fresh)
                                   : std::string(tr("never synced")));
  }
  const bool stale = !s.last_sync_ms || now_ms - *s.last_sync_ms >= 24 * 3'600'000LL;
  if (needs_technician(trouble)) {
    tone = Tone::bad;
  } else if (trouble != SyncTrouble::none || s.link == SyncLink::offline) {
    tone = Tone::warning;
  } else if (!enrolled) {
    tone = Tone::neutral;
  } else if (stale) {
    tone = Tone::warning;
  } else if (s.link == SyncLink::online) {
    tone = s.events_waiting > 0 ? Tone::info : Tone::good;
  } else {
    tone = Tone::neutral;
  }
  if (s.conflicts > 0 && tone != Tone::bad) tone = Tone::warning;
  icon = !enrolled               ? Icon::none
         : tone == Tone::bad     ? Icon::cross
         : tone == Tone::warning ? Icon::warning
                                 : Icon::sync;
  std::string out;
  for (const std::string &p : parts) out += (out.empty() ? "" : " · ") + p;
  return out;
}

std::string screen_title(Screen screen) {
  switch (screen) {
    case Screen::scan:
      return tr("Pickup");
    case Screen::verdict:
      return tr("Scan result");
    case Screen::order:
      return tr("Order");
    case Screen::search:
      return tr("Search");
    case Screen::today:
      return tr("Today");
    case Screen::technician_pin:
    case Screen::technician:
      return tr("Technician");
  }
  return {};
}

std::vector<Button> refuse_buttons(const Kiosk &kiosk) {
  std::vector<Button> out;
  const std::string order =
      kiosk.state().verdict ? order_of(*kiosk.state().verdict) : std::string();
  for (const std::string &reason : kiosk.refuse_reasons()) {
    Action refuse = make_action(Action::Kind::refuse, reason);
    refuse.order = order;
    out.push_back(make_button(reason, std::move(refuse), Tone::bad));
  }
  return out;
}

// "Remis", "Payé, remis" or "Remise partielle": the big button.
std::string hand_over_label(const Verdict &v, const std::set<int> &missing) {
  if (!missing.empty()) return tr("Partial handover");
  if (v.kind == VerdictKind::payment_due) return tr("Paid, handed over");
  return tr("Handed over");
}

}  // namespace

std::string_view to_string(Tone tone) {
  switch (tone) {
    case Tone::neutral:
      return "neutral";
    case Tone::good:
      return "good";
    case Tone::warning:
      return "warning";
    case Tone::bad:
      return "bad";
    case Tone::info:
      return "info";
  }
  return "neutral";
}

std::string_view to_string(Icon icon) {
  switch (icon) {
    case Icon::none:
      return "none";
    case Icon::check:
      return "check";
    case Icon::cross:
      return "cross";
    case Icon::clock:
      return "clock";
    case Icon::warning:
      return "warning";
    case Icon::question:
      return "question";
    case Icon::lock:
      return "lock";
    case Icon::search:
      return "search";
    case Icon::box:
      return "box";
    case Icon::sync:
      return "sync";
  }
  return "none";
}

VerdictLook verdict_look(const Verdict &v, Lang lang) {
  use_language(lang);
  switch (v.kind) {
    case VerdictKind::ready:
      return {Tone::good, Icon::check, tr("Hand over")};
    case VerdictKind::payment_due:
      return {Tone::warning, Icon::box, tr("Payment due")};
    case VerdictKind::ready_unsynced:
      return {Tone::good, Icon::sync, tr("Hand over (not synced yet)")};
    case VerdictKind::already_collected:
      return {Tone::bad, Icon::cross, tr("Already collected")};
    case VerdictKind::not_ready:
      return {Tone::warning, Icon::clock, tr("Not ready yet")};
    case VerdictKind::cancelled:
      return {Tone::bad, Icon::cross, tr("Order cancelled")};
    case VerdictKind::wrong_stand:
      return {Tone::warning, Icon::warning, tr("Not for this stand")};
    case VerdictKind::too_early:
      return {Tone::warning, Icon::clock, tr("Too early")};
    case VerdictKind::expired:
      return {Tone::warning, Icon::clock, tr("Pickup window over")};
    case VerdictKind::unknown:
      if (v.detail == "rate_limited") return {Tone::bad, Icon::lock, tr("Typed codes paused")};
      return {Tone::bad, Icon::question, tr("Unknown code")};
    case VerdictKind::not_a_pickup_code:
      if (v.detail == "enrolment_code") return {Tone::info, Icon::lock, tr("Enrolment code")};
      return {Tone::info, Icon::question, tr("Not a pickup code")};
    case VerdictKind::forged:
      return {Tone::bad, Icon::cross, tr("Forged code")};
    case VerdictKind::unknown_key:
      return {Tone::warning, Icon::sync, tr("Unknown signing key")};
    case VerdictKind::mistyped:
      return {Tone::warning, Icon::question, tr("Mistyped code")};
  }
  return {Tone::neutral, Icon::none, {}};
}

std::string quantity_text(const VerdictLine &l, Lang lang) {
  use_language(lang);
  if (l.variable_weight) return "≈ " + decimal(l.quantity_milli, true, lang) + " " + l.unit;
  const std::string amount = decimal(l.quantity_milli, false, lang);
  // gettext's plural rule wants a whole number: 1,5 is singular in French, plural in
  // English, as 2 would be.
  unsigned long n = count_of(l.quantity_milli / 1000);
  if (l.quantity_milli % 1000 != 0) n = (lang == Lang::fr && l.quantity_milli < 2000) ? 1 : 2;
  if (l.unit == "pièce" || l.unit == "piece" || l.unit == "pc" || l.unit.empty()) {
    return subst(trn("%s piece", "%s pieces", n), {amount});
  }
  if (l.unit == "botte" || l.unit == "bunch") {
    return subst(trn("%s bunch", "%s bunches", n), {amount});
  }
  if (l.unit == "barquette" || l.unit == "punnet") {
    return subst(trn("%s punnet", "%s punnets", n), {amount});
  }
  return amount + " " + l.unit;  // kg, g, L: symbols, never plural
}

HeaderView header_view(const KioskState &state, std::int64_t now_ms) {
  use_language(state.lang);
  HeaderView h;
  h.title = screen_title(state.screen);
  h.sync = sync_text(state.status, now_ms, h.sync_tone, h.sync_icon);
  const std::int64_t today = state.status.collected_today;
  h.today = today <= 0
                ? std::string(tr("No pickup yet today"))
                : subst(trn("%d pickup today", "%d pickups today", count_of(today)), {num(today)});
  h.status = h.sync.empty() ? h.today : h.today.empty() ? h.sync : h.sync + "  ·  " + h.today;
  // The kiosk clears it when its time is up.
  if (!state.alert.empty()) {
    h.notice = state.alert;  // the session's lasting problem comes before any notice
    h.notice_tone = Tone::bad;
  } else if (!state.notice.empty()) {
    h.notice = state.notice;
    h.notice_tone = state.notice_warning ? Tone::warning : Tone::info;
  }
  using K = Action::Kind;
  const std::array<std::pair<std::string, K>, 4> nav = {{{tr("Scan"), K::go_scan},
                                                         {tr("Search"), K::go_search},
                                                         {tr("Today"), K::go_today},
                                                         {tr("Technician"), K::go_technician}}};
  for (const auto &[label, kind] : nav) {
    const bool here =
        (kind == K::go_scan && (state.screen == Screen::scan || state.screen == Screen::verdict ||
                                state.screen == Screen::order)) ||
        (kind == K::go_search && state.screen == Screen::search) ||
        (kind == K::go_today && state.screen == Screen::today) ||
        (kind == K::go_technician &&
         (state.screen == Screen::technician || state.screen == Screen::technician_pin));
    // The screen you are on is marked, not disabled: pressing it again is harmless.
    h.nav.push_back(make_button(label, make_action(kind), here ? Tone::info : Tone::neutral));
  }
  return h;
}

ScanView scan_view(const KioskState &state, std::int64_t now_ms) {
  ScanView v;
  v.header = header_view(state, now_ms);
  v.prompt = tr("Scan the pickup code");
  v.hint = tr("or type the 11-character code or the order number");
  if (state.no_stand) {
    v.prompt = tr("This counter is not enrolled yet");
    v.hint = tr("Technician button, then the code: scan the portal's enrolment QR code there.");
  }
  v.field = state.field;
  v.keypad = scan_keypad();
  if (undo_open(state, now_ms)) {
    const std::int64_t left = seconds_left(state.undo_until_ms, now_ms);
    std::array<char, 48> clock{};
    std::snprintf(clock.data(), clock.size(), "%lld:%02lld", static_cast<long long>(left / 60),
                  static_cast<long long>(left % 60));
    const char *pattern = state.receipt->kind == HandoverKind::partial
                              ? tr("%s partly handed over · %s to undo")
                              : tr("%s handed over · %s to undo");
    UndoBar bar;
    bar.text = subst(pattern, {state.receipt->order_number, clock.data()});
    bar.undo = make_button(tr("Undo"), make_action(Action::Kind::undo), Tone::warning);
    v.undo = std::move(bar);
  }
  v.error = state.error;
  return v;
}

VerdictView verdict_view(const Kiosk &kiosk, std::int64_t now_ms) {
  const KioskState &state = kiosk.state();
  const Lang lang = state.lang;
  VerdictView view;
  view.header = header_view(state, now_ms);
  view.error = state.error;
  if (!state.verdict) return view;
  const Verdict &v = *state.verdict;
  const VerdictLook look = verdict_look(v, lang);
  view.tone = look.tone;
  view.icon = look.icon;
  view.title = look.title;
  view.sentence = verdict_message(v, lang);
  if (v.kind == VerdictKind::not_a_pickup_code && v.detail == "enrolment_code") {
    // The kiosk's own (Kiosk::enrolment_code), not the core's: said here.
    view.sentence =
        tr("Open the technician screen to enrol this counter (Technician button, then "
           "the code), and scan this QR code there.");
  }
  const bool collectable = can_hand_over(v.kind);
  if (v.order) {
    const OrderSummary &o = *v.order;
    view.facts.push_back(order_title(o));
    const std::string when = window_text(o.pickup_from, o.pickup_until, now_ms);
    if (!when.empty()) view.facts.push_back(subst(tr("Pickup: %s"), {when}));
    if (!o.lines.empty()) {
      view.facts.push_back(subst(trn("%d item", "%d items", o.lines.size()),
                                 {num(static_cast<std::int64_t>(o.lines.size()))}));
    }
    if (o.prepaid && o.due_cents <= 0) view.facts.push_back(tr("Paid online"));
    if (collectable && o.due_cents > 0) view.amount_due = due_text(o.due_cents, lang);
    if (!state.missing.empty()) {
      view.facts.push_back(
          subst(trn("%d line ticked missing", "%d lines ticked missing", state.missing.size()),
                {num(static_cast<std::int64_t>(state.missing.size()))}));
    }
  }
  if (v.refused) {
    const std::string &reason = v.refused->reason;
    view.facts.push_back(
        reason.empty() ? subst(tr("Refused at %s"), {hhmm(v.refused->wall_ms / 1000)})
                       : subst(tr("Refused at %s: %s"), {hhmm(v.refused->wall_ms / 1000), reason}));
  }
  if (!v.layout.empty()) view.facts.push_back(layout_message(v.layout, lang));
  if (v.repeat || state.repeat_seen) view.repeat = tr("Same code read twice: nothing more to do");
  if (!state.queued.empty()) {
    view.queued = subst(trn("%d more code waiting", "%d more codes waiting", state.queued.size()),
                        {num(static_cast<std::int64_t>(state.queued.size()))});
  }
  using K = Action::Kind;
  if (state.refusing) {
    view.refuse_reasons = refuse_buttons(kiosk);
    view.buttons.push_back(make_button(tr("Back"), make_action(K::cancel_refuse)));
    return view;
  }
  const bool has_lines = v.order && !v.order->lines.empty();
  const std::string order = order_of(v);
  if (collectable) {
    // Greyed for a moment after a queued verdict took the last one's place.
    view.buttons.push_back(make_button(hand_over_label(v, state.missing),
                                       make_action(K::hand_over, order), Tone::good, true,
                                       !state.hand_over_held));
    if (has_lines)
      view.buttons.push_back(make_button(tr("See the lines"), make_action(K::open_order, order)));
    view.buttons.push_back(
        make_button(tr("Refuse"), make_action(K::start_refuse, order), Tone::bad));
    view.buttons.push_back(make_button(tr("Back"), make_action(K::dismiss)));
  } else {
    view.buttons.push_back(make_button(tr("OK"), make_action(K::dismiss), Tone::neutral, true));
    if (has_lines) {
      view.buttons.push_back(make_button(tr("See the order"), make_action(K::open_order, order)));
    }
  }
  return view;
}

OrderView order_view(const Kiosk &kiosk, std::int64_t now_ms) {
  const KioskState &state = kiosk.state();
  const Lang lang = state.lang;
  OrderView view;
  view.header = header_view(state, now_ms);
  view.error = state.error;
  if (!state.verdict || !state.verdict->order) return view;
  const Verdict &v = *state.verdict;
  const OrderSummary &o = *v.order;
  view.title = order_title(o);
  view.tone = verdict_look(v, lang).tone;
  using K = Action::Kind;
  for (const VerdictLine &l : o.lines) {
    OrderLineView line;
    line.line_no = l.line_no;
    line.product = l.product;
    line.quantity = quantity_text(l, lang);
    line.price = format_money(l.price_cents, lang);
    line.missing = state.missing.contains(l.line_no);
    line.toggle = make_button(line.missing ? tr("Not missing") : tr("Mark missing"),
                              make_action(K::toggle_missing, {}, l.line_no),
                              line.missing ? Tone::warning : Tone::neutral);
    view.lines.push_back(std::move(line));
  }
  if (o.due_cents > 0) {
    view.amount_due = due_text(o.due_cents, lang);
  } else if (o.prepaid) {
    view.amount_due = tr("Paid online");
  } else if (o.due_cents == 0) {
    view.amount_due = tr("Nothing to pay");
  }
  const std::size_t missing = state.missing.size();
  const bool all_missing = !o.lines.empty() && missing >= o.lines.size();
  if (missing == 0) {
    view.summary = tr("Nothing missing: tick a line if it is not there");
  } else if (all_missing) {
    view.summary = tr("Every line is missing: refuse the handover instead");
  } else {
    view.summary = subst(
        trn("%d line missing: partial handover", "%d lines missing: partial handover", missing),
        {num(static_cast<std::int64_t>(missing))});
  }
  view.amount_and_summary = view.amount_due.empty() ? view.summary
                            : view.summary.empty()  ? view.amount_due
                                                    : view.amount_due + "  ·  " + view.summary;
  if (state.refusing) {
    view.refuse_reasons = refuse_buttons(kiosk);
    view.buttons.push_back(make_button(tr("Back"), make_action(K::cancel_refuse)));
    return view;
  }
  if (can_hand_over(v.kind)) {
    view.buttons.push_back(make_button(hand_over_label(v, state.missing),
                                       make_action(K::hand_over, o.number), Tone::good, true,
                                       !all_missing && !state.hand_over_held));
    view.buttons.push_back(
        make_button(tr("Refuse"), make_action(K::start_refuse, o.number), Tone::bad));
  }
  view.buttons.push_back(make_button(tr("Back"), make_action(K::close_order)));
  return view;
}

SearchView search_view(const KioskState &state, std::int64_t now_ms) {
  SearchView view;
  view.header = header_view(state, now_ms);
  view.prompt = tr("Order number or customer name");
  view.field = state.field;
  view.rows = rows_of(state.results, false, now_ms, state.lang);
  // As the kiosk searched: without the spaces around it.
  const std::string_view query = trim_spaces(state.field);
  if (utf8_length(query) < 2) {
    view.empty = tr("Type at least 2 letters");
  } else if (state.results.empty()) {
    view.empty = subst(tr("No order found for “%s”"), {std::string(query)});
  }
  view.keypad = search_keypad();
  view.error = state.error;
  return view;
}

TodayView today_view(const KioskState &state, std::int64_t now_ms) {
  TodayView view;
  view.header = header_view(state, now_ms);
  const Lang lang = state.lang;
  std::size_t pending = 0, collected = 0, problems = 0;  // all of them, not the rows shown
  if (state.day) {
    view.pending = rows_of(state.day->pending, false, now_ms, lang);
    view.collected = rows_of(state.day->collected, false, now_ms, lang);
    view.problems = rows_of(state.day->problems, true, now_ms, lang);
    pending = state.day->pending.size();
    collected = state.day->collected.size();
    problems = state.day->problems.size();
    view.per_hour = state.day->per_hour;
  }
  view.pending_title = subst(tr("To collect (%s)"), {grouped(pending, lang)});
  view.collected_title = subst(tr("Collected (%s)"), {grouped(collected, lang)});
  view.problems_title = subst(tr("To look at (%s)"), {grouped(problems, lang)});
  view.chart_title = tr("Pickups per hour");
  for (int h = 0; h < 24; ++h) view.hour_labels[static_cast<std::size_t>(h)] = num(h) + "h";
  // Opening hours by default; wider when a pickup was recorded outside them.
  for (int h = 0; h < 24; ++h) {
    if (view.per_hour[static_cast<std::size_t>(h)] == 0) continue;
    view.first_hour = std::min(view.first_hour, h);
    view.last_hour = std::max(view.last_hour, h);
  }
  view.buttons.push_back(make_button(tr("Refresh"), make_action(Action::Kind::refresh)));
  view.error = state.error;
  return view;
}

PinView pin_view(const KioskState &state, std::int64_t /*now_ms*/) {
  use_language(state.lang);
  PinView view;
  view.prompt = tr("Technician code");
  for (std::size_t i = utf8_length(state.field); i > 0; --i) view.dots += "●";
  if (const std::int64_t left = state.pin_pause_left_s; left >= 60) {
    // The pause doubles up to an hour: "12 min 05 s" reads better than "725 s".
    std::array<char, 24> seconds{};  // room for any long long: no truncation warning
    std::snprintf(seconds.data(), seconds.size(), "%02lld", static_cast<long long>(left % 60));
    view.error = subst(tr("Too many tries: wait %d min %d s"), {num(left / 60), seconds.data()});
  } else if (left > 0) {
    view.error = subst(tr("Too many tries: wait %d s"), {num(left)});
  } else {
    view.error = state.pin_error;
  }
  view.keypad = pin_keypad();
  view.buttons.push_back(make_button(tr("Back"), make_action(Action::Kind::go_scan)));
  return view;
}

namespace {

// The enrolment's sentence for an error: the kiosk's own for already_enrolled (re-enrolment
// is a command-line job), the enrolment's wording of the rest (nothing was changed).
std::string enrol_error_text(const Error &e, const KioskState &state) {
  if (e.code == "enrolment_pending") {
    return subst(tr("Enrolment pending from a bundle (%s): it finishes by itself when the portal "
                    "is reached. Nothing was sent: the code scanned is still unused."),
                 {state.enrolled && !state.enrolled->portal_url.empty() ? state.enrolled->portal_url
                                                                        : e.detail});
  }
  if (e.code == "already_enrolled") {
    const std::string portal =
        state.enrolled
            ? (state.enrolled->portal_name.empty()
                   ? state.enrolled->portal_url
                   : state.enrolled->portal_name + " (" + state.enrolled->portal_url + ")")
            : e.detail;
    return subst(tr("This counter is already enrolled with %s: nothing was changed. Enrolling "
                    "it again replaces its identity, so it is not done from this screen: on the "
                    "appliance, run comptoir-provision enrol --force --portal URL --code CODE."),
                 {portal});
  }
  return error_message(e, state.lang, ErrorContext::enrolment);
}

std::optional<EnrolPanel> enrol_panel(const KioskState &state) {
  using K = Action::Kind;
  using P = Enrolment::Phase;
  const Enrolment &e = state.enrolment;
  EnrolPanel p;
  switch (e.phase) {
    case P::none:
      return std::nullopt;
    case P::confirm:
      p.tone = Tone::info;
      p.icon = Icon::question;
      p.title = subst(tr("Enrol this counter with %s?"), {e.host});
      p.text =
          tr("The portal gives this counter its stand, its orders and its keys. The code "
             "works once only.");
      p.buttons.push_back(
          make_button(tr("Enrol"), make_action(K::confirm_enrol), Tone::good, true));
      p.buttons.push_back(make_button(tr("Cancel"), make_action(K::cancel_enrol)));
      break;
    case P::running:
      p.tone = Tone::info;
      p.icon = Icon::sync;
      p.title = tr("Enrolling…");
      p.text = subst(tr("Asking %s. Cancel abandons the answer: nothing is written."), {e.host});
      p.busy_step = e.dots;
      p.buttons.push_back(make_button(tr("Cancel"), make_action(K::cancel_enrol)));
      break;
    case P::done: {
      p.tone = Tone::good;
      p.icon = Icon::check;
      const EnrolledFacts facts = state.enrolled.value_or(EnrolledFacts{});
      const std::string stand =
          facts.stand_name.empty() ? "#" + num(facts.stand_id) : facts.stand_name;
      p.title = subst(tr("Counter enrolled: %s, stand %s"), {facts.portal_name, stand});
      p.text =
          tr("The first sync is under way: the banner shows it, and the orders arrive in a "
             "moment.");
      if (!facts.warning.empty()) p.text += " " + facts.warning;
      p.buttons.push_back(make_button(tr("OK"), make_action(K::close_enrol), Tone::neutral, true));
      break;
    }
    case P::failed: {
      const Error error = e.error.value_or(make_error("enrol_failed", ""));
      const bool pending = error.code == "enrolment_pending";
      const bool enrolled = error.code == "already_enrolled" || pending;
      p.tone = enrolled ? Tone::warning : Tone::bad;
      p.icon = enrolled ? Icon::warning : Icon::cross;
      p.title = pending    ? std::string(tr("Enrolment pending"))
                : enrolled ? std::string(tr("Already enrolled"))
                           : std::string(tr("Not enrolled"));
      p.text = enrol_error_text(error, state);
      p.buttons.push_back(make_button(tr("OK"), make_action(K::close_enrol), Tone::neutral, true));
      break;
    }
  }
  return p;
}

}  // namespace

TechnicianView technician_view(const Kiosk &kiosk, std::int64_t now_ms) {
  const KioskState &state = kiosk.state();
  const KioskOptions &options = kiosk.options();
  TechnicianView view;
  view.header = header_view(state, now_ms);
  for (const drivers::DeviceCandidate &d : state.devices) {
    DeviceRow row;
    row.name = d.name.empty() ? d.path : d.path.empty() ? d.name : d.name + " (" + d.path + ")";
    // The reasons come from the readers, in English, for the technician.
    row.state = d.used ? subst(tr("read (%s)"), {d.why}) : subst(tr("skipped: %s"), {d.why});
    if (!d.layout.empty()) row.layout = subst(tr("layout %s"), {d.layout});
    row.fix = d.fix;
    row.tone = d.used ? Tone::good : !d.fix.empty() ? Tone::warning : Tone::neutral;
    view.devices.push_back(std::move(row));
  }
  if (state.devices.empty()) {
    view.devices_empty =
        tr("No scanner found: plug one in (USB); it is picked up by itself, no restart needed.");
  }
  const Identity &id = kiosk.identity();
  std::string stand = state.no_stand ? std::string(tr("none yet")) : "#" + num(id.stand_id);
  if (state.enrolled && state.enrolled->stand_id == id.stand_id &&
      !state.enrolled->stand_name.empty()) {
    stand += " · " + state.enrolled->stand_name;
  }
  if (state.enrolled && state.enrolled->pending) {
    view.enrolment =
        tr("Enrolment pending from a bundle: it finishes by itself when the portal "
           "is reached.");
    view.enrolment_tone = Tone::warning;
  } else if (state.enrolled) {
    view.enrolment = subst(tr("Enrolled: %s, stand %s"),
                           {state.enrolled->portal_name.empty() ? state.enrolled->portal_url
                                                                : state.enrolled->portal_name,
                            stand});
    view.enrolment_tone = Tone::good;
  } else if (state.no_stand) {
    view.enrolment = tr("Not enrolled: scan the portal's enrolment QR code on this screen.");
    view.enrolment_tone = Tone::warning;
  }
  view.facts = {
      {tr("Version"), options.version},
      {tr("Data folder"), options.data_dir},
      {tr("Configuration file"),
       options.config_path.empty() ? std::string(tr("none (defaults)")) : options.config_path},
      {tr("Portal"),
       state.enrolled ? (state.enrolled->portal_name.empty() ? state.enrolled->portal_url
                                                             : state.enrolled->portal_name + " (" +
                                                                   state.enrolled->portal_url + ")")
                      : std::string(tr("not enrolled: scan the portal's "
                                       "enrolment QR code on this screen"))},
      {tr("Stand"), stand},
      {tr("Device"), id.device_id},
      {tr("Language"), state.lang == Lang::fr ? "Français" : "English"},
      {tr("Scans since start"), num(static_cast<std::int64_t>(state.scans))},
      {tr("Handovers waiting for sync"), num(state.status.events_waiting)},
  };
  // The link to the portal, in full: the banner has room for its gist only.
  const DeskStatus &st = state.status;
  const SyncTrouble trouble =
      st.link == SyncLink::not_enrolled ? SyncTrouble::none : sync_trouble(st.sync_error);
  view.facts.emplace_back(tr("Link to the portal"), link_words(st, trouble));
  if (st.link != SyncLink::not_enrolled) {
    auto when = [&](const std::optional<std::int64_t> &ms) {
      return ms ? format_local_time(*ms / 1000, state.lang) : std::string(tr("never"));
    };
    view.facts.emplace_back(tr("Last complete sync"), when(st.last_sync_ms));
    view.facts.emplace_back(tr("Last attempt"), when(st.last_attempt_ms));
    view.facts.emplace_back(tr("Handovers to review"), num(st.conflicts));
    // What to do about it: the same sentence as `comptoir sync --once`.
    if (trouble != SyncTrouble::none) {
      view.facts.emplace_back(tr("Last sync error"),
                              error_message(make_error(st.sync_error, ""), state.lang));
    }
  }
  view.self_test = state.self_test;
  if (!state.self_test_ran) {
    view.self_test_summary = tr("Not run yet");
  } else {
    const auto bad =
        static_cast<std::size_t>(std::count_if(state.self_test.begin(), state.self_test.end(),
                                               [](const SelfTestItem &i) { return !i.ok; }));
    view.self_test_summary = bad == 0 ? std::string(tr("All good"))
                                      : subst(trn("%d point to check", "%d points to check", bad),
                                              {num(static_cast<std::int64_t>(bad))});
  }
  using K = Action::Kind;
  view.enrol = enrol_panel(state);
  if (view.enrol) {
    view.buttons = view.enrol->buttons;
    return view;
  }
  view.buttons.push_back(
      make_button(tr("Run the self-test"), make_action(K::run_self_test), Tone::neutral, true));
  view.buttons.push_back(make_button("Français", make_action(K::set_language, "fr"),
                                     state.lang == Lang::fr ? Tone::info : Tone::neutral));
  view.buttons.push_back(make_button("English", make_action(K::set_language, "en"),
                                     state.lang == Lang::en ? Tone::info : Tone::neutral));
  view.buttons.push_back(make_button(tr("Lock"), make_action(K::lock), Tone::warning));
  return view;
}

}  // namespace comptoir::ui
