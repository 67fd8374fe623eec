// The screens' view-models: every verdict's look and sentence, the words of each screen in
// French and English, quantities, the sync banner, the keypads, the undo bar, the day's
// chart. Built from a real kiosk over a demo cache, or from a state set up by hand where
// the case is about formatting alone.
// The screens' headers alone, first: they must not bring the core's service (and with it
// the database's headers) into every file of the UI; kiosk.hpp only names it.
#include "ui/view_models.hpp"

#include <type_traits>

namespace comptoir::test {
template <class T, class = void>
struct is_complete : std::false_type {};
template <class T>
struct is_complete<T, std::void_t<decltype(sizeof(T))>> : std::true_type {};
static_assert(!is_complete<PickupService>::value,
              "ui/kiosk.hpp or ui/view_models.hpp includes pickup/pickup_service.hpp");
}  // namespace comptoir::test

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "db/sync_store.hpp"
#include "tests/ui/kiosk_fixture.hpp"

namespace comptoir {
namespace {

using test::KioskFixture;
using ui::Action;
using ui::Screen;
using ui::Tone;
using K = Action::Kind;

constexpr int kVerdictKinds = 14;

bool contains(const std::string &text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

VerdictKind kind_at(int i) {
  return static_cast<VerdictKind>(i);
}

std::vector<std::string> labels(const std::vector<ui::Button> &buttons) {
  std::vector<std::string> out;
  for (const auto &b : buttons) out.push_back(b.label);
  return out;
}

const ui::Button *find_action(const std::vector<ui::Button> &buttons, K kind) {
  for (const auto &b : buttons) {
    if (b.action.kind == kind) return &b;
  }
  return nullptr;
}

TEST_CASE("every verdict kind has a tone, an icon and a title of its own, in both languages") {
  test::use_build_catalog();
  for (Lang lang : {Lang::fr, Lang::en}) {
    std::set<std::string> titles;
    for (int i = 0; i < kVerdictKinds; ++i) {
      Verdict v;
      v.kind = kind_at(i);
      CAPTURE(to_string(v.kind));
      const ui::VerdictLook look = ui::verdict_look(v, lang);
      CHECK(look.icon != ui::Icon::none);
      CHECK(look.tone != Tone::neutral);
      CHECK_FALSE(look.title.empty());
      titles.insert(look.title);
      // Colour is never alone: the same tone never comes with the same icon and words.
      if (can_hand_over(v.kind)) CHECK(look.tone != Tone::bad);
    }
    CHECK(titles.size() == kVerdictKinds);
  }
  Verdict ready;
  ready.kind = VerdictKind::ready;
  CHECK(ui::verdict_look(ready, Lang::fr).title == "À remettre");
  CHECK(ui::verdict_look(ready, Lang::en).title == "Hand over");
  Verdict forged;
  forged.kind = VerdictKind::forged;
  CHECK(ui::verdict_look(forged, Lang::fr).tone == Tone::bad);
  CHECK(ui::verdict_look(forged, Lang::fr).title == "Code falsifié");
  Verdict paused;
  paused.kind = VerdictKind::unknown;
  paused.detail = "rate_limited";
  CHECK(ui::verdict_look(paused, Lang::fr).icon == ui::Icon::lock);
}

TEST_CASE("every verdict the demo stand gives, on the verdict screen") {
  KioskFixture f;
  std::set<VerdictKind> seen;
  for (int i = 0; i < kVerdictKinds; ++i) {
    const std::string_view name = to_string(kind_at(i));
    CAPTURE(name);
    f.after_double_read_window();
    f.kiosk->scan(f.any_code(name).code, "keyboard");
    REQUIRE(f.st().verdict);
    const Verdict &v = *f.st().verdict;
    REQUIRE(v.kind == kind_at(i));
    seen.insert(v.kind);
    const ui::VerdictView view = ui::verdict_view(*f.kiosk, f.now());
    const ui::VerdictLook look = ui::verdict_look(v, Lang::fr);
    CHECK(view.title == look.title);
    CHECK(view.tone == look.tone);
    CHECK(view.icon == look.icon);
    CHECK(view.sentence == verdict_message(v, Lang::fr));
    CHECK_FALSE(view.sentence.empty());
    CHECK(view.header.title == "Résultat");
    REQUIRE_FALSE(view.buttons.empty());
    CHECK(view.buttons.front().primary);
    if (can_hand_over(v.kind)) {
      CHECK(view.buttons.front().action.kind == K::hand_over);
      CHECK(find_action(view.buttons, K::start_refuse) != nullptr);
      CHECK(find_action(view.buttons, K::dismiss) != nullptr);
    } else {
      CHECK(view.buttons.front().action.kind == K::dismiss);
      CHECK(find_action(view.buttons, K::hand_over) == nullptr);
    }
    if (v.order && v.order->in_cache) {
      CHECK(contains(view.facts.front(), v.order->number));
    }
    if (v.kind == VerdictKind::payment_due) {
      CHECK(view.amount_due ==
            "Reste à payer\u00a0: " + format_money(v.order->due_cents, Lang::fr));
      CHECK(view.buttons.front().label == "Payé, remis");
    }
    if (v.kind == VerdictKind::ready) CHECK(view.buttons.front().label == "Remis");
    f.press(K::dismiss);
    CHECK(f.st().screen == Screen::scan);
  }
  CHECK(seen.size() == kVerdictKinds);
}

TEST_CASE("the verdict screen: queued codes, a double read, refusal reasons") {
  KioskFixture f;
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.kiosk->scan(c.code, "keyboard");
  f.kiosk->scan(f.code("not_ready").code, "keyboard");
  ui::VerdictView view = ui::verdict_view(*f.kiosk, f.now());
  CHECK(view.repeat == "Même code lu deux fois\u00a0: rien de plus à faire");
  CHECK(view.queued == "1 autre code en attente");
  f.kiosk->scan(f.code("cancelled").code, "keyboard");
  CHECK(ui::verdict_view(*f.kiosk, f.now()).queued == "2 autres codes en attente");
  f.tap(K::start_refuse);
  view = ui::verdict_view(*f.kiosk, f.now());
  CHECK(labels(view.refuse_reasons) == f.kiosk->refuse_reasons());
  for (const auto &b : view.refuse_reasons) {
    CHECK(b.action.kind == K::refuse);
    CHECK(b.action.text == b.label);
    CHECK(b.action.order == c.order_number);  // the refusal names its order
  }
  REQUIRE(view.buttons.size() == 1);
  CHECK(view.buttons[0].action.kind == K::cancel_refuse);
}

TEST_CASE("the order screen: lines, quantities, ticks, and the partial handover button") {
  KioskFixture f;
  const db::Order o = f.ready_order_with_lines(2);
  f.kiosk->scan(f.code_of(o.number), "keyboard");
  f.tap(K::open_order);
  ui::OrderView view = ui::order_view(*f.kiosk, f.now());
  CHECK(view.header.title == "Commande");
  CHECK(contains(view.title, o.number));
  CHECK(contains(view.title, o.customer));
  REQUIRE(view.lines.size() == o.lines.size());
  for (std::size_t i = 0; i < o.lines.size(); ++i) {
    CHECK(view.lines[i].product == o.lines[i].product);
    CHECK(view.lines[i].price == format_money(o.lines[i].price_cents, Lang::fr));
    CHECK(view.lines[i].quantity == ui::quantity_text(f.st().verdict->order->lines[i], Lang::fr));
    CHECK_FALSE(view.lines[i].quantity.empty());
  }
  CHECK(view.summary == "Rien ne manque : cochez une ligne si elle n'y est pas");
  CHECK(view.buttons.front().label == "Remis");
  f.press(K::toggle_missing, {}, o.lines[0].line_no);
  view = ui::order_view(*f.kiosk, f.now());
  CHECK(view.lines[0].missing);
  CHECK(view.lines[0].toggle.label == "Finalement présente");
  CHECK(view.lines[1].toggle.label == "Marquer manquante");
  if (o.lines.size() == 2) {
    CHECK(view.summary == "1 ligne manquante\u00a0: remise partielle");
  }
  CHECK(view.buttons.front().label == "Remise partielle");
  CHECK(view.buttons.front().enabled);
  for (std::size_t i = 1; i < o.lines.size(); ++i) {
    f.press(K::toggle_missing, {}, o.lines[i].line_no);
  }
  view = ui::order_view(*f.kiosk, f.now());
  CHECK(view.summary == "Toutes les lignes manquent\u00a0: refusez plutôt la remise");
  CHECK_FALSE(view.buttons.front().enabled);
  CHECK(find_action(view.buttons, K::close_order) != nullptr);
}

TEST_CASE("quantities: pieces, bunches, weights with a French comma or an English point") {
  test::use_build_catalog();
  VerdictLine l;
  l.unit = "pièce";
  l.quantity_milli = 2000;
  CHECK(ui::quantity_text(l, Lang::fr) == "2 pièces");
  CHECK(ui::quantity_text(l, Lang::en) == "2 pieces");
  l.quantity_milli = 1000;
  CHECK(ui::quantity_text(l, Lang::fr) == "1 pièce");
  CHECK(ui::quantity_text(l, Lang::en) == "1 piece");
  l.unit = "botte";
  l.quantity_milli = 3000;
  CHECK(ui::quantity_text(l, Lang::fr) == "3 bottes");
  CHECK(ui::quantity_text(l, Lang::en) == "3 bunches");
  l.unit = "kg";
  l.variable_weight = true;
  l.quantity_milli = 1250;
  CHECK(ui::quantity_text(l, Lang::fr) == "≈ 1,250 kg");
  CHECK(ui::quantity_text(l, Lang::en) == "≈ 1.250 kg");
  l.quantity_milli = 800;
  CHECK(ui::quantity_text(l, Lang::fr) == "≈ 0,800 kg");
  l.variable_weight = false;
  l.unit = "L";
  l.quantity_milli = 1500;
  CHECK(ui::quantity_text(l, Lang::fr) == "1,5 L");
  CHECK(ui::quantity_text(l, Lang::en) == "1.5 L");
}

// The banner in both languages: the text, the tone and the icon.
struct Banner {
  std::string fr, en;
  Tone tone;
  ui::Icon icon;
};
Banner banner(ui::KioskState s, std::int64_t now) {
  s.lang = Lang::fr;
  const ui::HeaderView fr = ui::header_view(s, now);
  s.lang = Lang::en;
  const ui::HeaderView en = ui::header_view(s, now);
  CHECK(fr.sync_tone == en.sync_tone);
  CHECK(fr.sync_icon == en.sync_icon);
  CHECK(fr.status.starts_with(fr.sync));  // and today's count after it
  return {fr.sync, en.sync, fr.sync_tone, fr.sync_icon};
}

constexpr std::int64_t kNow = 1'760'000'000'000;
constexpr std::int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;

TEST_CASE("the sync banner online: synced how long ago, what waits, good or info") {
  test::use_build_catalog();
  ui::KioskState s;
  s.status.link = SyncLink::online;
  s.status.last_sync_ms = kNow - 3 * kMinute - 5'000;
  Banner b = banner(s, kNow);
  CHECK(b.fr == "En ligne · synchronisé il y a 3 min");
  CHECK(b.en == "Online · synced 3 min ago");
  CHECK(b.tone == Tone::good);
  CHECK(b.icon == ui::Icon::sync);
  s.status.events_waiting = 5;
  b = banner(s, kNow);
  CHECK(b.fr == "En ligne · 5 remises en attente · synchronisé il y a 3 min");
  CHECK(b.en == "Online · 5 handovers waiting · synced 3 min ago");
  CHECK(b.tone == Tone::info);
  s.status.events_waiting = 1;
  s.status.last_sync_ms = kNow - 10'000;
  b = banner(s, kNow);
  CHECK(b.fr == "En ligne · 1 remise en attente · synchronisé à l'instant");
  CHECK(b.en == "Online · 1 handover waiting · synced just now");
  s.status.events_waiting = 0;
  s.status.last_sync_ms = kNow - 2 * kHour - 5'000;
  b = banner(s, kNow);
  CHECK(b.fr == "En ligne · synchronisé il y a 2 h");
  CHECK(b.en == "Online · synced 2 h ago");
  CHECK(b.tone == Tone::good);
  // Reached, but no pull has completed for days: stale, whatever the link says.
  s.status.last_sync_ms = kNow - 3 * kDay;
  b = banner(s, kNow);
  CHECK(b.fr == "En ligne · synchronisé il y a 3 jours");
  CHECK(b.en == "Online · synced 3 days ago");
  CHECK(b.tone == Tone::warning);
  CHECK(b.icon == ui::Icon::warning);
  s.status.last_sync_ms.reset();
  b = banner(s, kNow);
  CHECK(b.fr == "En ligne · jamais synchronisé");
  CHECK(b.en == "Online · never synced");
  CHECK(b.tone == Tone::warning);
  // An agent stopping mid-round says nothing about the link.
  s.status.last_sync_ms = kNow - 3 * kMinute;
  s.status.sync_error = "aborted";
  CHECK(banner(s, kNow).fr == "En ligne · synchronisé il y a 3 min");
  // When the words change: at the next whole minute of age, then hour.
  CHECK(ui::sync_age(kNow - 5 * kMinute - 1'000, kNow).next_change_ms == kNow + 59'000);
  CHECK(ui::sync_age(kNow - 2 * kHour, kNow).next_change_ms == kNow + kHour);
}

TEST_CASE("the sync banner offline: what waits and the last sync, as a warning") {
  test::use_build_catalog();
  ui::KioskState s;
  s.status.link = SyncLink::offline;
  s.status.sync_error = "offline";
  s.status.events_waiting = 5;
  s.status.last_sync_ms = kNow - 2 * kHour - 5'000;
  Banner b = banner(s, kNow);
  CHECK(b.fr == "Hors ligne · 5 remises en attente · dernière synchro il y a 2 h");
  CHECK(b.en == "Offline · 5 handovers waiting · last sync 2 h ago");
  CHECK(b.tone == Tone::warning);
  CHECK(b.icon == ui::Icon::warning);
  s.status.events_waiting = 0;
  s.status.last_sync_ms = kNow - 30'000;
  b = banner(s, kNow);
  CHECK(b.fr == "Hors ligne · dernière synchro à l'instant");
  CHECK(b.en == "Offline · last sync just now");
  CHECK(b.tone == Tone::warning);
  s.status.last_sync_ms = kNow - 4 * kDay;
  b = banner(s, kNow);
  CHECK(b.fr == "Hors ligne · dernière synchro il y a 4 jours");
  CHECK(b.en == "Offline · last sync 4 days ago");
  s.status.last_sync_ms.reset();
  s.status.sync_error.clear();  // offline with no code recorded: still offline
  b = banner(s, kNow);
  CHECK(b.fr == "Hors ligne · jamais synchronisé");
  CHECK(b.en == "Offline · never synced");
  CHECK(b.tone == Tone::warning);
  // The link broke during a round.
  s.status.sync_error = "stalled";
  s.status.last_sync_ms = kNow - 20 * kMinute;
  b = banner(s, kNow);
  CHECK(b.fr == "Portail injoignable · dernière synchro il y a 20 min");
  CHECK(b.en == "Portal unreachable · last sync 20 min ago");
  CHECK(b.tone == Tone::warning);
}

TEST_CASE("the sync banner before the first round, and with no portal at all") {
  test::use_build_catalog();
  ui::KioskState s;
  s.status.link = SyncLink::unknown;
  Banner b = banner(s, kNow);
  CHECK(b.fr == "Jamais synchronisé");
  CHECK(b.en == "Never synced");
  CHECK(b.tone == Tone::warning);
  s.status.events_waiting = 2;
  b = banner(s, kNow);
  CHECK(b.fr == "Jamais synchronisé · 2 remises en attente");
  CHECK(b.en == "Never synced · 2 handovers waiting");
  // Synced before, no round yet since (starting, or sync turned off).
  s.status.events_waiting = 0;
  s.status.last_sync_ms = kNow - 5 * kMinute;
  b = banner(s, kNow);
  CHECK(b.fr == "Pas encore connecté · dernière synchro il y a 5 min");
  CHECK(b.en == "Not connected yet · last sync 5 min ago");
  CHECK(b.tone == Tone::neutral);
  CHECK(b.icon == ui::Icon::sync);

  // Not enrolled: the appliance works alone; nothing is late, nothing failed.
  ui::KioskState alone;
  b = banner(alone, kNow);
  CHECK(b.fr == "Non relié à un portail");
  CHECK(b.en == "Not linked to a portal");
  CHECK(b.tone == Tone::neutral);
  CHECK(b.icon == ui::Icon::none);
  alone.status.events_waiting = 3;
  alone.status.last_sync_ms = kNow - 3 * kDay;  // left from an earlier enrolment
  alone.status.sync_error = "tls_untrusted";
  b = banner(alone, kNow);
  CHECK(b.fr == "Non relié à un portail · 3 remises en attente");
  CHECK(b.en == "Not linked to a portal · 3 handovers waiting");
  CHECK(b.tone == Tone::neutral);
}

TEST_CASE("the sync banner counts the handovers the portal flagged for review") {
  test::use_build_catalog();
  ui::KioskState s;
  s.status.link = SyncLink::online;
  s.status.last_sync_ms = kNow - 3 * kMinute;
  s.status.conflicts = 2;
  Banner b = banner(s, kNow);
  CHECK(b.fr == "En ligne · 2 remises à vérifier · synchronisé il y a 3 min");
  CHECK(b.en == "Online · 2 handovers to review · synced 3 min ago");
  CHECK(b.tone == Tone::warning);
  CHECK(b.icon == ui::Icon::warning);
  s.status.conflicts = 1;
  s.status.link = SyncLink::offline;
  s.status.sync_error = "offline";
  s.status.events_waiting = 4;
  b = banner(s, kNow);
  CHECK(b.fr ==
        "Hors ligne · 1 remise à vérifier · 4 remises en attente · dernière synchro il y a 3 min");
  CHECK(b.en == "Offline · 1 handover to review · 4 handovers waiting · last sync 3 min ago");
}

TEST_CASE("the sync banner's error states: what went wrong, and the technician when needed") {
  test::use_build_catalog();
  struct Case {
    const char *code;
    SyncLink link;
    const char *fr;
    const char *en;
    Tone tone;
  };
  const Case cases[] = {
      {"tls_untrusted", SyncLink::offline,
       "Certificat du portail refusé\u00a0: appelez le technicien",
       "Portal's certificate refused: call the technician", Tone::bad},
      {"portal_refused", SyncLink::online,
       "Appareil refusé par le portail\u00a0: appelez le technicien",
       "Appliance refused by the portal: call the technician", Tone::bad},
      {"bad_url", SyncLink::offline, "Adresse du portail refusée\u00a0: appelez le technicien",
       "Portal's address refused: call the technician", Tone::bad},
      {"insecure_url", SyncLink::offline, "Adresse du portail refusée\u00a0: appelez le technicien",
       "Portal's address refused: call the technician", Tone::bad},
      {"clock_skew", SyncLink::online,
       "Horloge de l'appareil à régler\u00a0: appelez le technicien",
       "Appliance's clock needs setting: call the technician", Tone::bad},
      {"credentials_unreadable", SyncLink::offline,
       "Identité de l'appareil illisible\u00a0: appelez le technicien",
       "Appliance's identity unreadable: call the technician", Tone::bad},
      {"portal_invalid", SyncLink::online, "Réponse du portail refusée", "Portal's answer refused",
       Tone::warning},
      {"wire_invalid", SyncLink::online, "Réponse du portail refusée", "Portal's answer refused",
       Tone::warning},
      {"page_inconsistent", SyncLink::online, "Réponse du portail refusée",
       "Portal's answer refused", Tone::warning},
      {"response_too_large", SyncLink::online, "Réponse du portail refusée",
       "Portal's answer refused", Tone::warning},
      {"portal_error", SyncLink::online, "Portail indisponible", "Portal unavailable",
       Tone::warning},
      {"transfer_failed", SyncLink::offline, "Portail injoignable", "Portal unreachable",
       Tone::warning},
      {"offline", SyncLink::offline, "Hors ligne", "Offline", Tone::warning},
      {"disk_full", SyncLink::online, "Synchro en échec", "Sync failing", Tone::warning},
  };
  for (const Case &c : cases) {
    CAPTURE(c.code);
    ui::KioskState s;
    s.status.link = c.link;
    s.status.sync_error = c.code;
    s.status.events_waiting = 5;
    s.status.last_sync_ms = kNow - 2 * kHour;
    const Banner b = banner(s, kNow);
    // The trouble first, then what waits and how old the data is: never "synchronisé", as
    // if all were well.
    CHECK(b.fr == std::string(c.fr) + " · 5 remises en attente · dernière synchro il y a 2 h");
    CHECK(b.en == std::string(c.en) + " · 5 handovers waiting · last sync 2 h ago");
    CHECK(b.tone == c.tone);
    CHECK(b.icon == (c.tone == Tone::bad ? ui::Icon::cross : ui::Icon::warning));
  }
}

TEST_CASE("the technician screen shows the link in full: times, review, the error's sentence") {
  KioskFixture f;
  REQUIRE(f.database->set_setting("portal_url", "https://portail.example.org").ok());
  db::SyncStore store(f.database->connection());
  REQUIRE(store.set_state(db::sync_key::kLink, "offline").ok());
  REQUIRE(store.set_state(db::sync_key::kLastError, "tls_untrusted").ok());
  REQUIRE(store.set_state(db::sync_key::kLastAttemptMs, std::to_string(f.now() - kMinute)).ok());
  REQUIRE(store.set_state(db::sync_key::kLastPullMs, std::to_string(f.now() - 3 * kHour)).ok());
  f.press(K::go_technician);
  f.kiosk->typed("1234");
  REQUIRE(f.st().screen == Screen::technician);
  f.press(K::refresh);
  ui::TechnicianView view = ui::technician_view(*f.kiosk, f.now());
  auto fact = [&](const std::string &label) {
    for (const auto &[l, value] : view.facts) {
      if (l == label) return value;
    }
    FAIL("no fact " << label);
    return std::string();
  };
  CHECK(view.header.sync_tone == Tone::bad);
  CHECK(view.header.sync.starts_with("Certificat du portail refusé"));
  CHECK(fact("Liaison avec le portail") ==
        "Certificat du portail refusé\u00a0: appelez le technicien");
  CHECK(fact("Dernière synchro complète") ==
        format_local_time((f.now() - 3 * kHour) / 1000, Lang::fr));
  CHECK(fact("Dernier essai") == format_local_time((f.now() - kMinute) / 1000, Lang::fr));
  CHECK(fact("Remises à vérifier") == "0");
  CHECK(fact("Dernière erreur de synchro") ==
        error_message(make_error("tls_untrusted", ""), Lang::fr));
  CHECK(contains(fact("Dernière erreur de synchro"), "Appelez le technicien"));
}

TEST_CASE("today's count in the header, with plural forms") {
  test::use_build_catalog();
  ui::KioskState s;
  CHECK(ui::header_view(s, 0).today == "Aucun retrait aujourd'hui");
  s.status.collected_today = 1;
  CHECK(ui::header_view(s, 0).today == "1 retrait aujourd'hui");
  s.status.collected_today = 12;
  CHECK(ui::header_view(s, 0).today == "12 retraits aujourd'hui");
  s.lang = Lang::en;
  CHECK(ui::header_view(s, 0).today == "12 pickups today");
  s.status.collected_today = 1;
  CHECK(ui::header_view(s, 0).today == "1 pickup today");
  // The navigation: four screens, the current one marked.
  s.screen = Screen::search;
  const ui::HeaderView h = ui::header_view(s, 0);
  REQUIRE(h.nav.size() == 4);
  CHECK(h.title == "Search");
  for (const auto &b : h.nav) {
    CHECK((b.tone == Tone::info) == (b.action.kind == K::go_search));
  }
}

std::set<std::string> key_texts(const ui::KeypadView &pad, std::set<K> *others = nullptr) {
  std::set<std::string> out;
  for (const auto &row : pad.rows) {
    for (const auto &b : row) {
      CHECK_FALSE(b.label.empty());
      if (b.action.kind == K::key) {
        out.insert(b.action.text);
      } else if (others != nullptr) {
        others->insert(b.action.kind);
      }
    }
  }
  return out;
}

TEST_CASE("keypads: Crockford symbols for codes, AZERTY for names, digits for the PIN") {
  test::use_build_catalog();
  ui::KioskState s;
  std::set<K> other;
  const auto scan = key_texts(ui::scan_view(s, 0).keypad, &other);
  for (char c : std::string("0123456789ABCDEFGHJKMNPQRSTVWXYZ-")) {
    CHECK(scan.count(std::string(1, c)) == 1);
  }
  for (const char *absent : {"I", "L", "O", "U"}) CHECK(scan.count(absent) == 0);
  CHECK(scan.size() == 33);
  CHECK(other == std::set<K>{K::backspace, K::clear, K::submit});

  other.clear();
  s.screen = Screen::search;
  const auto search = key_texts(ui::search_view(s, 0).keypad, &other);
  for (char c = 'A'; c <= 'Z'; ++c) CHECK(search.count(std::string(1, c)) == 1);
  for (char c = '0'; c <= '9'; ++c) CHECK(search.count(std::string(1, c)) == 1);
  CHECK(search.count(" ") == 1);
  CHECK(search.count("-") == 1);
  CHECK(other == std::set<K>{K::backspace, K::submit});
  const ui::KeypadView azerty = ui::search_view(s, 0).keypad;
  CHECK(azerty.rows[1].front().label == "A");
  CHECK(azerty.rows[1][1].label == "Z");

  other.clear();
  s.screen = Screen::technician_pin;
  const auto pin = key_texts(ui::pin_view(s, 0).keypad, &other);
  CHECK(pin == std::set<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  CHECK(other == std::set<K>{K::backspace, K::submit});
}

TEST_CASE("the scan screen: prompt, field, and the undo bar counting down") {
  KioskFixture f;
  ui::ScanView view = ui::scan_view(f.st(), f.now());
  CHECK(view.prompt == "Scannez le code de retrait");
  CHECK(view.header.title == "Retrait");
  CHECK_FALSE(view.undo);
  f.press(K::key, "A");
  CHECK(ui::scan_view(f.st(), f.now()).field == "A");
  f.press(K::clear);
  const auto &c = f.code("ready");
  f.kiosk->scan(c.code, "keyboard");
  f.hand_over();
  view = ui::scan_view(f.st(), f.now());
  REQUIRE(view.undo);
  CHECK(view.undo->text == c.order_number + " remise · 2:00 pour annuler");
  CHECK(view.undo->undo.label == "Annuler");
  CHECK(view.undo->undo.action.kind == K::undo);
  f.wait_ms(8'000);
  view = ui::scan_view(f.st(), f.now());
  REQUIRE(view.undo);
  CHECK(view.undo->text == c.order_number + " remise · 1:52 pour annuler");
  f.wait_ms(112'000);
  CHECK_FALSE(ui::scan_view(f.st(), f.now()).undo);
  // Partial: said so.
  const db::Order o = f.ready_order_with_lines(2);
  f.kiosk->scan(f.code_of(o.number), "keyboard");
  f.tap(K::open_order);
  f.press(K::toggle_missing, {}, o.lines[0].line_no);
  f.hand_over();
  f.clock.advance_ms(1);
  view = ui::scan_view(f.st(), f.now());
  REQUIRE(view.undo);
  CHECK(view.undo->text == o.number + " remise en partie · 2:00 pour annuler");
  f.press(K::go_technician);
  f.kiosk->typed("1234");
  f.press(K::set_language, "en");
  f.press(K::go_scan);
  CHECK(ui::scan_view(f.st(), f.now()).undo->text ==
        o.number + " partly handed over · 2:00 to undo");
  // An error is on the scan screen with what to do: a press on the bar as it closes.
  const ui::Action undo = f.tap_action(K::undo);
  f.wait_ms(PickupService::kUndoWindowMs + 1);
  f.kiosk->act(undo);
  CHECK(ui::scan_view(f.st(), f.now()).error == f.st().error);
  CHECK_FALSE(f.st().error.empty());
}

TEST_CASE("the search screen: what to type, nothing found, rows with state and an Open") {
  KioskFixture f;
  f.press(K::go_search);
  ui::SearchView view = ui::search_view(f.st(), f.now());
  CHECK(view.prompt == "N° de commande ou nom du client");
  CHECK(view.empty == "Tapez au moins 2 lettres");
  f.press(K::field_text, "qqqq");
  view = ui::search_view(f.st(), f.now());
  CHECK(view.rows.empty());
  CHECK(view.empty == "Aucune commande trouvée pour «\u00a0qqqq\u00a0»");
  const auto &ready = f.code("ready");
  const auto &collected = f.code("already_collected");
  f.press(K::field_text, ready.order_number);
  view = ui::search_view(f.st(), f.now());
  REQUIRE_FALSE(view.rows.empty());
  CHECK(view.empty.empty());
  CHECK(view.rows.front().number == ready.order_number);
  CHECK(view.rows.front().customer == ready.customer);
  CHECK(view.rows.front().state == "À remettre");
  CHECK(view.rows.front().tone == Tone::good);
  CHECK(view.rows.front().open.action.kind == K::open_result);
  CHECK(view.rows.front().open.action.text == ready.order_number);
  CHECK_FALSE(view.rows.front().when.empty());
  f.press(K::field_text, collected.order_number);
  view = ui::search_view(f.st(), f.now());
  REQUIRE_FALSE(view.rows.empty());
  CHECK(contains(view.rows.front().state, "Retirée"));
}

TEST_CASE("the today screen: bucket titles with counts, rows, and the chart's hours") {
  test::use_build_catalog();
  constexpr std::int64_t now = 1'760'000'000'000;
  ui::KioskState s;
  s.screen = Screen::today;
  DayReport day;
  OrderListItem pending;
  pending.number = "C-1";
  pending.customer = "Zoé B.";
  pending.kind = VerdictKind::payment_due;
  pending.due_cents = 1250;
  pending.pickup_from = now / 1000;
  pending.pickup_until = now / 1000 + 3600;
  day.pending = {pending, pending};
  OrderListItem done = pending;
  done.number = "C-2";
  done.kind = VerdictKind::already_collected;
  done.collected = true;
  done.collected_ms = now - 60'000;
  day.collected = {done};
  OrderListItem no_show = pending;
  no_show.number = "C-3";
  no_show.problem = "no_show";
  OrderListItem partial = done;
  partial.number = "C-4";
  partial.partial = true;
  partial.problem = "partial";
  day.problems = {no_show, partial};
  day.per_hour[6] = 2;
  day.per_hour[9] = 5;
  day.per_hour[21] = 1;
  s.day = day;
  ui::TodayView view = ui::today_view(s, now);
  CHECK(view.pending_title == "À retirer (2)");
  CHECK(view.collected_title == "Retirées (1)");
  CHECK(view.problems_title == "À voir (2)");
  CHECK(view.chart_title == "Retraits par heure");
  CHECK(view.per_hour == day.per_hour);
  CHECK(view.first_hour == 6);
  CHECK(view.last_hour == 21);
  REQUIRE(view.pending.size() == 2);
  CHECK(view.pending[0].state == "Reste à payer · 12,50 €");
  CHECK(view.pending[0].tone == Tone::warning);
  const time_t t = static_cast<time_t>(now / 1000);
  tm local{};
  localtime_r(&t, &local);
  char hhmm[8];
  std::strftime(hhmm, sizeof hhmm, "%H:%M", &local);
  CHECK(contains(view.pending[0].when, std::string("aujourd'hui ") + hhmm));
  REQUIRE(view.collected.size() == 1);
  CHECK(contains(view.collected[0].state, "Retirée "));
  CHECK(view.collected[0].icon == ui::Icon::check);
  REQUIRE(view.problems.size() == 2);
  CHECK(view.problems[0].state == "Pas retirée à temps");
  CHECK(view.problems[0].icon == ui::Icon::clock);
  CHECK(contains(view.problems[1].state, "Retirée en partie"));
  CHECK(view.problems[1].tone == Tone::warning);
  // With no pickup outside them, the chart keeps the opening hours.
  day.per_hour = {};
  day.per_hour[10] = 3;
  s.day = day;
  view = ui::today_view(s, now);
  CHECK(view.first_hour == 8);
  CHECK(view.last_hour == 19);
  REQUIRE(view.buttons.size() == 1);
  CHECK(view.buttons[0].action.kind == K::refresh);
  s.lang = Lang::en;
  view = ui::today_view(s, now);
  CHECK(view.pending_title == "To collect (2)");
  CHECK(contains(view.pending[0].when, "today "));
}

TEST_CASE("the PIN pad and the technician screen") {
  KioskFixture f;
  f.host.found.push_back({"evdev", "evdev:/dev/input/event5", "Honeywell 1250g",
                          "/dev/input/event5", true, "configured", "", "fr"});
  f.host.found.push_back({"evdev", "evdev:/dev/input/event3", "AT keyboard", "/dev/input/event3",
                          false, "a keyboard, not a scanner", "", ""});
  f.host.checks = {{"Base de données", true, "ok"}, {"Son", false, "pas de carte son"}};
  f.press(K::go_technician);
  ui::PinView pin = ui::pin_view(f.st(), f.now());
  CHECK(pin.prompt == "Code technicien");
  CHECK(pin.dots.empty());
  f.press(K::key, "1");
  f.press(K::key, "2");
  CHECK(ui::pin_view(f.st(), f.now()).dots == "●●");
  f.press(K::key, "3");
  f.press(K::submit);
  CHECK(ui::pin_view(f.st(), f.now()).error == "Code incorrect (essai 1 sur 5)");
  f.kiosk->typed("1234");
  REQUIRE(f.st().screen == Screen::technician);
  ui::TechnicianView view = ui::technician_view(*f.kiosk, f.now());
  CHECK(view.header.title == "Technicien");
  REQUIRE(view.devices.size() == 2);
  CHECK(view.devices[0].name == "Honeywell 1250g (/dev/input/event5)");
  CHECK(view.devices[0].state == "lu (configured)");
  CHECK(view.devices[0].layout == "disposition fr");
  CHECK(view.devices[0].tone == Tone::good);
  CHECK(view.devices[1].state == "ignoré\u00a0: a keyboard, not a scanner");
  CHECK(view.devices_empty.empty());
  CHECK(view.self_test_summary == "Pas encore lancé");
  auto fact = [&](const std::string &label) {
    for (const auto &[l, value] : view.facts) {
      if (l == label) return value;
    }
    FAIL("no fact " << label);
    return std::string();
  };
  CHECK(fact("Version") == "0.1.0-test");
  CHECK(fact("Dossier de données") == f.dir.path().string());
  CHECK(fact("Appareil") == test::kDevice);
  CHECK(fact("Langue") == "Français");
  f.press(K::run_self_test);
  view = ui::technician_view(*f.kiosk, f.now());
  CHECK(view.self_test_summary == "1 point à vérifier");
  REQUIRE(view.self_test.size() == 2);
  const ui::Button *english = nullptr;
  for (const auto &b : view.buttons) {
    if (b.action.kind == K::set_language && b.action.text == "en") english = &b;
  }
  REQUIRE(english != nullptr);
  f.kiosk->act(english->action);
  view = ui::technician_view(*f.kiosk, f.now());
  CHECK(view.header.title == "Technician");
  CHECK(view.self_test_summary == "1 point to check");
  CHECK(fact("Language") == "English");
  f.host.found.clear();
  f.press(K::refresh);
  CHECK(contains(ui::technician_view(*f.kiosk, f.now()).devices_empty, "No scanner found"));
}

TEST_CASE("a collection with no known time reads as collected, with no time") {
  test::use_build_catalog();
  constexpr std::int64_t now = 1'760'000'000'000;
  OrderListItem item;
  item.number = "C-9";
  item.kind = VerdictKind::already_collected;
  item.collected = true;  // the portal says so, without a time
  ui::KioskState s;
  s.screen = Screen::search;
  s.field = "C-9";
  s.results = {item};
  ui::SearchView view = ui::search_view(s, now);
  REQUIRE(view.rows.size() == 1);
  CHECK(view.rows[0].state == "Retirée");
  CHECK(view.rows[0].icon == ui::Icon::check);
  CHECK(view.rows[0].tone == Tone::good);
  s.results[0].partial = true;
  CHECK(ui::search_view(s, now).rows[0].state == "Retirée en partie");
  // With its time: at what time today, or on what day.
  s.results[0].partial = false;
  s.results[0].collected_ms = now - 60'000;
  const time_t t = static_cast<time_t>((now - 60'000) / 1000);
  tm local{};
  localtime_r(&t, &local);
  char hhmm[8];
  std::strftime(hhmm, sizeof hhmm, "%H:%M", &local);
  CHECK(ui::search_view(s, now).rows[0].state == std::string("Retirée à ") + hhmm);
  s.results[0].partial = true;
  CHECK(ui::search_view(s, now).rows[0].state == std::string("Retirée en partie à ") + hhmm);
  s.results[0].collected_ms = now - 3 * 86'400'000LL;
  CHECK(contains(ui::search_view(s, now).rows[0].state, "Retirée en partie le "));
  s.lang = Lang::en;
  s.results[0].partial = false;
  s.results[0].collected_ms.reset();
  CHECK(ui::search_view(s, now).rows[0].state == "Collected");
  // A problem row of the day, partial with no time.
  DayReport day;
  OrderListItem partial = item;
  partial.partial = true;
  partial.problem = "partial";
  day.problems = {partial};
  s.day = day;
  s.lang = Lang::fr;
  s.screen = Screen::today;
  CHECK(ui::today_view(s, now).problems[0].state == "Retirée en partie");
}

TEST_CASE("the day's lists show 200 rows at most, then how many more, and titles count all") {
  test::use_build_catalog();
  constexpr std::int64_t now = 1'760'000'000'000;
  ui::KioskState s;
  s.screen = Screen::today;
  DayReport day;
  OrderListItem o;
  o.kind = VerdictKind::ready;
  o.pickup_from = now / 1000;
  o.pickup_until = now / 1000 + 3600;
  day.pending.reserve(80'000);
  for (int i = 0; i < 80'000; ++i) {
    o.number = "C-" + std::to_string(100'000 + i);
    day.pending.push_back(o);
  }
  day.collected = {o};
  for (int i = 0; i < 201; ++i) {
    o.number = "C-9" + std::to_string(i);
    o.problem = "no_show";
    day.problems.push_back(o);
  }
  s.day = std::move(day);
  ui::TodayView view = ui::today_view(s, now);
  CHECK(view.pending_title == "À retirer (80\u00a0000)");
  CHECK(view.collected_title == "Retirées (1)");
  CHECK(view.problems_title == "À voir (201)");
  REQUIRE(view.pending.size() == 201);
  CHECK(view.pending[199].number == "C-100199");
  CHECK(view.pending[199].open.enabled);
  const ui::ResultRow &more = view.pending[200];
  CHECK(more.number == "… et 79\u00a0800 autres");
  CHECK_FALSE(more.open.enabled);  // it opens nothing
  CHECK(more.open.action.text.empty());
  CHECK(view.collected.size() == 1);
  REQUIRE(view.problems.size() == 201);
  CHECK(view.problems[200].number == "… et 1 autre");
  s.lang = Lang::en;
  view = ui::today_view(s, now);
  CHECK(view.pending_title == "To collect (80,000)");
  CHECK(view.pending[200].number == "… and 79,800 more");
  CHECK(view.problems[200].number == "… and 1 more");
}

// The French catalog, as written: msgstr texts, continuation lines joined.
std::vector<std::string> french_strings() {
  const auto po =
      std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "ui" / "po" / "fr.po";
  std::ifstream in(po);
  REQUIRE_MESSAGE(in.good(), "cannot read " << po.string());
  std::vector<std::string> out;
  bool in_msgstr = false;
  std::string line;
  while (std::getline(in, line)) {
    const auto quoted = [&](std::size_t from) {
      const auto open = line.find('"', from);
      const auto close = line.rfind('"');
      return open == std::string::npos || close <= open ? std::string()
                                                        : line.substr(open + 1, close - open - 1);
    };
    if (line.rfind("msgstr", 0) == 0) {
      in_msgstr = true;
      out.push_back(quoted(0));
    } else if (in_msgstr && !line.empty() && line[0] == '"') {
      out.back() += quoted(0);
    } else {
      in_msgstr = false;
    }
  }
  return out;
}

TEST_CASE(
    "French typography: no-break spaces before the colon, semicolon, question and exclamation "
    "marks and inside « », one PIN name") {
  const std::vector<std::string> strings = french_strings();
  REQUIRE(strings.size() > 100);
  for (const std::string &text : strings) {
    CAPTURE(text);
    for (const char *bad : {" :", " ;", " ?", " !", "« ", " »"}) {
      CHECK_MESSAGE(text.find(bad) == std::string::npos, "a plain space in \"" << bad << "\"");
    }
    // The technician's code has one name.
    CHECK(text.find("PIN") == std::string::npos);
    CHECK(text.find("Code faux") == std::string::npos);
    if (contains(text, "code") && contains(text, "echnicien")) {
      CHECK((contains(text, "code technicien") || contains(text, "Code technicien")));
    }
  }
  test::use_build_catalog();
  ui::KioskState s;
  s.screen = Screen::technician_pin;
  CHECK(ui::pin_view(s, 0).prompt == "Code technicien");
}
}  // namespace
}  // namespace comptoir
