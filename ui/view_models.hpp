// One view-model per screen: everything a screen shows, already decided and translated,
// built by pure functions from the KioskState and the time. The draw code (ui/draw/) only
// reads these; doctest checks them without a window.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ui/kiosk.hpp"

namespace comptoir::ui {

// Meaning, not colour: the theme maps each to a colour, and every one also has an icon and
// words, so colour is never the only sign (colour-blind staff).
enum class Tone { neutral, good, warning, bad, info };
enum class Icon { none, check, cross, clock, warning, question, lock, search, box, sync };
std::string_view to_string(Tone tone);
std::string_view to_string(Icon icon);

struct Button {
  std::string label;
  Action action;
  Tone tone = Tone::neutral;
  bool enabled = true;
  bool primary = false;  // the big one (Remis), drawn first and largest
};

// The top strip on every screen but the PIN pad.
struct HeaderView {
  std::string title;  // screen name
  // "Hors ligne · 1 remise à vérifier · 3 remises en attente · dernière synchro il y a 2 h"
  std::string sync;
  Tone sync_tone = Tone::neutral;
  Icon sync_icon = Icon::sync;  // sync, warning, cross; none with no portal
  std::string today;            // "12 retraits aujourd'hui"
  std::string status;  // sync and today on one line: "Hors ligne · … · 12 retraits aujourd'hui"
  std::string notice;  // a scanner notice, for a while
  Tone notice_tone = Tone::warning;
  std::vector<Button> nav;  // Scanner, Rechercher, Aujourd'hui, Technicien; here: info
};

// The on-screen keyboard: rows of keys, each a Button (key, backspace, clear, submit).
struct KeypadView {
  std::vector<std::vector<Button>> rows;
};

struct UndoBar {
  std::string text;  // "C-104217 remise à Martin · 1:52 pour annuler"
  Button undo;       // "Annuler"
};

struct ScanView {
  HeaderView header;
  std::string prompt;  // "Scannez le code de retrait"
  std::string hint;    // "ou tapez le code à 11 caractères ou le n° de commande"
  std::string field;   // what was typed
  KeypadView keypad;   // Crockford symbols, dash, backspace, OK
  std::optional<UndoBar> undo;
  std::string error;  // the last failure and what to do next
};

struct VerdictView {
  HeaderView header;
  Tone tone = Tone::neutral;
  Icon icon = Icon::none;
  std::string title;               // "À remettre", "Déjà retirée", "Pas pour ce stand", ...
  std::string sentence;            // what to do next (verdict_message)
  std::vector<std::string> facts;  // "C-104217 · Martin Dupont", "Reste à payer : 12,50 €"
  std::string amount_due;          // "" when nothing to pay; big when not
  std::string repeat;              // "Même code lu deux fois : rien de plus à faire" or ""
  std::string queued;              // "1 autre code en attente" or ""
  std::vector<Button> buttons;
  std::vector<Button> refuse_reasons;  // shown while refusing
  std::string error;
};

struct OrderLineView {
  int line_no = 0;
  std::string product;
  std::string quantity;  // "2 pièces", "≈ 1,250 kg"
  std::string price;     // "4,80 €"
  bool missing = false;
  Button toggle;  // ticks the line missing / back
};

struct OrderView {
  HeaderView header;
  std::string title;  // "C-104217 · Martin Dupont"
  Tone tone = Tone::neutral;
  std::vector<OrderLineView> lines;
  std::string amount_due;  // "Reste à payer : 12,50 €" or "Payée en ligne"
  std::string summary;     // "Tout est remis" / "2 lignes manquantes : remise partielle"
  // Both on one line, for a screen too narrow to show the amount beside the title.
  std::string amount_and_summary;
  std::vector<Button> buttons;  // Remis (or Remise partielle), Refuser, Retour
  std::vector<Button> refuse_reasons;
  std::string error;
};

struct ResultRow {
  std::string number;
  std::string customer;
  std::string heading;  // "C-104217 · Martin Dupont": both on one line, when it fits
  std::string when;     // "aujourd'hui 17:00–19:00"
  std::string state;    // "À remettre", "Retirée 15:42", ...
  Tone tone = Tone::neutral;
  Icon icon = Icon::none;
  Button open;
};

struct SearchView {
  HeaderView header;
  std::string prompt;  // "N° de commande ou nom du client"
  std::string field;
  std::vector<ResultRow> rows;
  std::string empty;  // "Aucune commande trouvée pour « dup »" / "Tapez au moins 2 lettres"
  KeypadView keypad;  // letters and digits
  std::string error;  // the search or the order could not be read
};

struct TodayView {
  HeaderView header;
  std::string pending_title;    // "À retirer (14)": every one, however many rows are shown
  std::string collected_title;  // "Retirées (9)"
  std::string problems_title;   // "À voir (2)"
  // At most 200 rows each, then a last one that opens nothing: "… et 64 800 autres".
  std::vector<ResultRow> pending, collected, problems;
  std::string chart_title;  // "Retraits par heure"
  std::array<int, 24> per_hour{};
  std::array<std::string, 24> hour_labels;  // under the chart's bars: "8h"
  int first_hour = 8;                       // the chart's range: covers every hour with a pickup
  int last_hour = 19;
  std::vector<Button> buttons;  // refresh
  std::string error;            // the day could not be read
};

struct PinView {
  std::string prompt;  // "Code technicien"
  std::string dots;    // "●●●" for the digits typed
  std::string error;   // "Code incorrect (essai 2 sur 5)", "Trop d'essais : attendez 45 s"...
  KeypadView keypad;   // digits, backspace, OK
  std::vector<Button> buttons;  // back
};

struct DeviceRow {
  std::string name;    // what it calls itself, and its path
  std::string state;   // "lu (configuré)", "ignoré : ..."
  std::string layout;  // "disposition fr"
  std::string fix;     // what to do, if anything
  Tone tone = Tone::neutral;
};

// The enrolment asked about, under way or answered (Kiosk's Enrolment): shown on the
// technician screen in place of the devices and the self-test, with its own buttons.
struct EnrolPanel {
  Tone tone = Tone::info;
  Icon icon = Icon::none;
  std::string title;            // "Enrôler ce comptoir auprès de portail.exemple.fr ?"
  std::string text;             // what happens, or what went wrong and what to do
  int busy_step = -1;           // running: 0..3, the moving dot; -1 otherwise
  std::vector<Button> buttons;  // Enrôler / Annuler; Annuler; OK
};

struct TechnicianView {
  HeaderView header;
  std::optional<EnrolPanel> enrol;
  // The portal and stand this counter serves, or how to enrol it: first on the screen.
  std::string enrolment;
  Tone enrolment_tone = Tone::neutral;
  std::vector<DeviceRow> devices;
  std::string devices_empty;  // "Aucun lecteur trouvé : branchez-en un..."
  std::vector<std::pair<std::string, std::string>> facts;  // label, value: version, data dir...
  std::vector<SelfTestItem> self_test;
  std::string self_test_summary;  // "Tout va bien" / "2 points à voir" / "Pas encore lancé"
  std::vector<Button> buttons;    // self-test, Français, English, lock
};

// `now_ms` is wall time (dates, the undo bar, the sync's age). What the kiosk times on the
// monotonic clock (notices, the PIN pause, Remis held) it keeps current in the state.
HeaderView header_view(const KioskState &state, std::int64_t now_ms);
ScanView scan_view(const KioskState &state, std::int64_t now_ms);
VerdictView verdict_view(const Kiosk &kiosk, std::int64_t now_ms);
OrderView order_view(const Kiosk &kiosk, std::int64_t now_ms);
SearchView search_view(const KioskState &state, std::int64_t now_ms);
TodayView today_view(const KioskState &state, std::int64_t now_ms);
PinView pin_view(const KioskState &state, std::int64_t now_ms);
TechnicianView technician_view(const Kiosk &kiosk, std::int64_t now_ms);

// The verdict's look: tone, icon and short title, for every VerdictKind.
struct VerdictLook {
  Tone tone;
  Icon icon;
  std::string title;
};
VerdictLook verdict_look(const Verdict &verdict, Lang lang);

// A line's quantity as the order screen shows it: "2 pièces", "1 botte", "≈ 1,250 kg".
std::string quantity_text(const VerdictLine &line, Lang lang);

}  // namespace comptoir::ui
