// The kiosk's state machine: what is on screen and what staff did, with no window in
// sight. Scans, typed codes, button presses and the clock go in; the core (PickupService)
// is called; the screens' view-models (view_models.hpp) read the resulting KioskState.
// Side effects that need the machine (tones, device lists, self-test, the PIN, the
// language) go through KioskHost, which the app implements with the real thing and the
// tests with a recorder. Timers run on the monotonic clock (a clock set back or forward
// never closes or freezes a screen); only the undo window, midnight and the sync's age,
// which are about the receipt's and the portal's wall times, use the wall clock.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "db/result.hpp"
#include "drivers/reader.hpp"
#include "drivers/scan_event.hpp"
#include "pickup/desk.hpp"
#include "pickup/verdict.hpp"
#include "runtime/clock.hpp"
#include "runtime/messages.hpp"

namespace comptoir {
// The core, only named here: its header brings the database's, which no screen needs.
class PickupService;
struct Identity;
}  // namespace comptoir

namespace comptoir::ui {

enum class Screen { scan, verdict, order, search, today, technician_pin, technician };
std::string_view to_string(Screen screen);  // "scan", "verdict", ... (state file, tests)

// This appliance's link to a portal, as the technician screen shows it.
struct EnrolledFacts {
  std::string portal_url;
  std::string portal_name;
  std::int64_t stand_id = 0;
  std::string stand_name;  // "" when unknown
  std::string device_id;
  // Something that did not stop the enrolment but the technician should know (the config
  // file could not be written): a sentence, or "".
  std::string warning;
  // An offline bundle's enrolment waits for the portal: no credentials yet, but nothing to
  // enrol from the screen either (it finishes by itself when the portal is reached).
  bool pending = false;
};

// Enrolment from the technician screen: the portal's enrolment QR scanned there asks for a
// confirmation, then the host enrols off the UI thread and answers with Kiosk::enrol_done.
struct Enrolment {
  enum class Phase {
    none,
    confirm,  // "Enrol this counter with <host>?": Enrol / Cancel
    running,  // the host is asking the portal; Cancel abandons the answer
    done,     // enrolled: `message` says with whom
    failed,   // refused or failed: `message` says why and what to do
  };
  Phase phase = Phase::none;
  std::string portal;          // the portal's URL, from the QR code
  std::string host;            // its host (and port), for the question
  std::string qr;              // the QR code's text as read, handed to the host
  std::uint64_t request = 0;   // the running request; only its answer is taken
  std::optional<Error> error;  // failed: why (the screen words it in the kiosk's language)
  int dots = 0;                // running: 0..3, moving every Kiosk::kEnrolDotMs
};
std::string_view to_string(Enrolment::Phase phase);  // "none", "confirm", ... (state file)

struct SelfTestItem {
  std::string name;  // translated ("Base de données", "Espace disque", ...)
  bool ok = false;
  std::string detail;  // what was found, and what to do when not ok
};

// What the kiosk asks of the machine around it.
class KioskHost {
 public:
  virtual ~KioskHost() = default;
  // A verdict was shown: the good chime (the order may go) or the bad buzz.
  virtual void feedback(bool good) = 0;
  // The technician screen: scanners and cameras found, used or skipped and why.
  virtual std::vector<drivers::DeviceCandidate> devices() = 0;
  // Database, disk space, scanners, fonts, sound: each a line, ok or what to do.
  virtual std::vector<SelfTestItem> self_test() = 0;
  // Error codes: no_pin (none set: the detail says how to set one), and database errors.
  virtual Result<bool> check_pin(std::string_view pin) = 0;
  // The technician switched the language (the app switches its catalogs).
  virtual void language_changed(Lang lang) = 0;
  // The portal this appliance is enrolled with (its credentials), or nullopt.
  virtual std::optional<EnrolledFacts> enrolment() = 0;
  // Starts enrolling with the enrolment QR code's text `qr` (it holds the portal's URL and
  // the code), off the UI thread: the network may take seconds. The answer comes back on
  // the UI thread as Kiosk::enrol_done(request, ...), written only while
  // Kiosk::awaits_enrolment(request) still holds.
  virtual void enrol(std::uint64_t request, const std::string &qr) = 0;
};

struct KioskOptions {
  Lang lang = Lang::fr;
  std::string staff;  // recorded with each handover
  // Verdicts that need no action go back to the scan screen after this long.
  std::int64_t verdict_timeout_ms = 15'000;
  // Search, today and technician go back to the scan screen after this long untouched.
  std::int64_t idle_timeout_ms = 90'000;
  // Facts for the technician screen.
  std::string version;
  std::string data_dir;
  std::string config_path;
  // Started on a data directory that serves no stand yet: the scan screen says to enrol it
  // from the technician screen.
  bool no_stand = false;
};

// A press on the screen (or its keyboard equivalent). `line`, `text` and `order` as the kind
// says. Presses about an order name it, so a press meant for one customer is never applied
// to the next one shown in its place (two quick taps on Remis).
struct Action {
  enum class Kind {
    // From a verdict or order screen every go_* puts the verdict aside as dismiss does; a
    // scan queued behind it is shown instead, so none is lost to the navigation bar.
    go_scan,  // the scan screen
    go_search,
    go_today,
    go_technician,   // asks for the PIN unless already unlocked
    dismiss,         // verdict: OK / back; shows the next queued scan if any
    hand_over,       // verdict or order: "Remis" (ticked lines missing); `text`: the order
    open_order,      // verdict: the order `text`'s lines, to tick missing ones
    close_order,     // order: back to the verdict (ticks kept)
    toggle_missing,  // order: line `line` missing or not
    start_refuse,    // verdict or order: pick a reason; `text`: the order
    refuse,          // `text`: the reason (one of refuse_reasons(), or typed); `order`
    cancel_refuse,
    undo,  // the handover the undo bar names, while the bar is shown
    key,   // on-screen keypad: `text` is one character
    backspace,
    clear,
    submit,       // on-screen OK: the field as a typed code, a search, or the PIN
    field_text,   // the physical keyboard's field changed: `text` is its whole content
    open_result,  // search or today: the order `text` (its number), as if scanned
    run_self_test,
    set_language,   // technician (unlocked): `text` is "fr" or "en"
    lock,           // technician: lock and go back to scan
    refresh,        // today: read the day again
    confirm_enrol,  // technician: the enrolment asked about goes ahead
    cancel_enrol,   // technician: no enrolment, or its answer abandoned while it runs
    close_enrol,    // technician: the enrolment's result read
  };
  Kind kind = Kind::go_scan;
  int line = 0;
  std::string text;
  std::string order;  // refuse: the order refused (its `text` is the reason)
};

// A scan waiting while a verdict that needs staff is shown. The core answered it when it
// arrived (so its double-read filter and the verdict's time are right); only showing it
// waits.
struct QueuedScan {
  Verdict verdict;
  std::string text;    // as read
  std::string source;  // "keyboard", "usb-hid-pos", ..., "typed", "search"
  std::int64_t at_ms = 0;
};

struct KioskState {
  Screen screen = Screen::scan;
  Lang lang = Lang::fr;
  // The one text field: a code on the scan screen, the query on search, the PIN (never
  // shown) on technician_pin. Cleared when the screen changes.
  std::string field;

  // The verdict on screen (verdict and order screens), its sentence and when it came.
  std::optional<Verdict> verdict;
  std::string verdict_source;  // the device that read it
  std::int64_t verdict_at_ms = 0;
  std::uint64_t scans = 0;        // scans and typed codes answered since start
  std::deque<QueuedScan> queued;  // scans waiting behind a verdict that needs staff
  // Answered but never shown: pushed out of a full queue (a notice says so). Newest last,
  // at most kMaxHistory.
  std::deque<QueuedScan> history;
  bool repeat_seen = false;  // the scanner read the shown code (or order) again
  // A queued verdict has just replaced the one handed over: Remis waits a moment
  // (Kiosk::kHandOverGuardMs), so a second tap meant for the last customer does nothing.
  bool hand_over_held = false;
  std::set<int> missing;  // order screen: lines ticked missing
  bool refusing = false;  // the refusal reasons are shown

  // The last handover and until when it may be undone (wall ms); undo bar on the scan screen.
  std::optional<HandoverReceipt> receipt;
  std::int64_t undo_until_ms = 0;

  // The last thing that went wrong (a write refused, disk full...): the sentence with the
  // next step, and its machine code. Cleared by the next successful action.
  std::string error;
  std::string error_code;
  // The last scanner notice (unplugged, dropped scan...), until Kiosk::kNoticeMs later.
  std::string notice;
  // A trouble (scanner unplugged, scan dropped or unshown) rather than news (scanner ready,
  // a refusal or an undo recorded).
  bool notice_warning = true;
  // A problem that lasts the whole session (the order cache found damaged): shown in the
  // header on every screen, before any notice, until the kiosk is restarted.
  std::string alert;

  DeskStatus status;                   // banner: sync state, events waiting, today's count
  std::vector<OrderListItem> results;  // search
  std::optional<DayReport> day;        // today

  // Technician. Locked again on leaving the technician screen, and kUnlockMs after the
  // unlock at the latest.
  bool unlocked = false;
  int pin_failures = 0;               // since the last pause
  int pin_lockouts = 0;               // pauses since the last right PIN: each one twice as long
  std::int64_t pin_pause_left_s = 0;  // whole seconds of the pause left; 0: none
  std::string pin_error;
  std::vector<drivers::DeviceCandidate> devices;
  std::vector<SelfTestItem> self_test;
  bool self_test_ran = false;

  // Enrolment: the portal this appliance is enrolled with, and the one in progress.
  bool no_stand = false;  // serves no stand yet (KioskOptions::no_stand, until enrolled)
  std::optional<EnrolledFacts> enrolled;
  Enrolment enrolment;
};

// How long ago the last sync was, in the unit the banner shows, and when its words change.
struct SyncAge {
  enum class Unit { just_now, minutes, hours, days };
  Unit unit = Unit::just_now;
  std::int64_t value = 0;
  std::int64_t next_change_ms = 0;  // always later than now
};
SyncAge sync_age(std::int64_t last_sync_ms, std::int64_t now_ms);
// Whole seconds left until `until_ms`, rounded up (0 once it has passed).
std::int64_t seconds_left(std::int64_t until_ms, std::int64_t now_ms);
// Whether the scan screen shows the undo bar (a handover under 2 minutes old) now (wall ms).
bool undo_open(const KioskState &state, std::int64_t now_ms);

class Kiosk {
 public:
  static constexpr int kPinFailuresAllowed = 5;        // then a pause
  static constexpr std::int64_t kPinPauseMs = 60'000;  // the first; doubled after each
  static constexpr std::int64_t kPinPauseMaxMs = 3'600'000;
  static constexpr std::int64_t kUnlockMs = 5 * 60'000;  // the technician's unlock, at most
  static constexpr std::int64_t kHandOverGuardMs = 400;  // see KioskState::hand_over_held
  static constexpr std::size_t kMaxQueued = 20;          // beyond: the oldest goes to the history
  static constexpr std::size_t kMaxHistory = 50;
  static constexpr std::int64_t kNoticeMs = 10'000;  // how long a notice stays up
  static constexpr std::int64_t kEnrolDotMs = 500;   // "Enrolling…": a dot every half second

  Kiosk(PickupService &service, KioskHost &host, const Clock &clock, KioskOptions options);

  // A scanner's read (any screen): answered at once and shown, or queued behind a verdict
  // that waits for staff (ready, payment due). Never dropped.
  void scan(std::string_view text, std::string_view source);
  // A person pressed Enter on the physical keyboard with the field's text.
  void typed(std::string_view text);
  void act(const Action &action);
  void notice(const drivers::DeviceNotice &notice);
  // A problem found outside any action (the background cache check): see KioskState::alert.
  void alert(const Error &error);
  // The sync agent finished a round (its thread woke the loop): the banner's link, waiting
  // events and conflicts are read again, and the day when it is shown. Not a touch: the idle
  // timeout is unchanged.
  void sync_round_done();
  // The host's answer to enrol(request, ...): enrolled (written), or why not. An answer to
  // a request abandoned (Cancel) or superseded is ignored.
  void enrol_done(std::uint64_t request, const Result<EnrolledFacts> &result);
  // Whether the answer to `request` is still wanted: the host writes an enrolment only then.
  bool awaits_enrolment(std::uint64_t request) const;
  // The core to use from now on (after an enrolment, one for the new stand and device).
  void use_service(PickupService &service);
  // Time passed: verdict and idle timeouts, the end of the undo window, PIN pause.
  void tick();
  // How long from now (ms) until tick() must run (a countdown second, a timeout): 0 or less
  // while a tick is due (call tick() then); nullopt when nothing is timed. A wait rather than
  // a moment, since the deadlines are on two clocks (monotonic and wall).
  std::optional<std::int64_t> next_wait_ms() const;

  const KioskState &state() const { return state_; }
  // Bumped on every change of state: the app redraws (and rewrites the state file) when it
  // moves, and only then.
  std::uint64_t revision() const { return revision_; }
  const KioskOptions &options() const { return options_; }
  // The reasons offered when refusing, translated.
  std::vector<std::string> refuse_reasons() const;
  // This appliance: stand and device (the technician screen).
  const Identity &identity() const;

 private:
  // Now on both clocks, in ms.
  struct Now {
    std::int64_t wall = 0;
    std::int64_t mono = 0;
  };
  void changed() { ++revision_; }
  Now now() const;
  std::int64_t wall_now() const { return clock_.wall_ms(); }
  std::int64_t mono_now() const;
  // Verdicts.
  bool verdict_pending() const;  // one staff must act on is shown
  void present(QueuedScan item);
  void enqueue(QueuedScan item);
  void advance();  // the shown verdict is done: the next queued one, or the scan screen
  bool shows_order(std::string_view number) const;   // the shown verdict is about it
  bool queues_order(std::string_view number) const;  // a queued verdict is about it
  void clear_verdict();
  void leave_verdict_for(Screen screen);
  void show_answer(const Result<Verdict> &answer, std::string_view text, std::string_view source,
                   bool count);
  // Actions.
  void do_hand_over(const std::string &order);
  void do_refuse(const std::string &order, const std::string &reason);
  void do_undo();
  void do_submit(std::string text);  // by value: often the field it clears
  void do_search();
  void do_pin(std::string pin);
  void go(Screen screen);
  void edit_field(std::string text);
  void set_language_to(Lang lang);
  // An enrolment QR code read (scanned or typed): true when `text` is one.
  bool enrolment_code(std::string_view text, std::string_view source);
  void lock();  // the technician's unlock ends
  void refresh_status();
  void refresh_day();
  // Errors and notices.
  void fail(const Error &error);
  void succeed();
  void set_notice(std::string text, bool warning);
  std::string error_sentence(const Error &error) const;
  // Time. Deadlines are monotonic ms.
  std::optional<std::int64_t> verdict_deadline() const;
  std::optional<std::int64_t> idle_deadline() const;
  std::optional<std::int64_t> unlock_deadline() const;
  std::int64_t pause_left_s(std::int64_t mono_ms) const;
  int enrol_dots(std::int64_t mono_ms) const;
  // What the screen shows that moves with time alone (countdowns, "2 min ago"): when it
  // changes, tick() bumps the revision.
  std::vector<std::int64_t> time_key(Now t) const;
  // After a change: the technician's unlock ends off its screen, the timed state follows
  // the clock, and the time key is remembered.
  void settle();

  PickupService *service_;
  KioskHost &host_;
  const Clock &clock_;
  KioskOptions options_;
  KioskState state_;
  std::uint64_t revision_ = 1;
  // Monotonic ms.
  std::int64_t last_touch_ms_ = 0;
  std::int64_t verdict_shown_ms_ = 0;   // the timeout counts from when it was shown
  std::int64_t hand_over_from_ms_ = 0;  // Remis is taken from then on
  std::int64_t unlocked_ms_ = 0;
  std::int64_t pin_paused_until_ms_ = 0;
  std::int64_t notice_ms_ = 0;
  std::uint64_t enrol_requests_ = 0;      // the last request number given
  std::int64_t enrol_started_ms_ = 0;     // monotonic: the dots of "Enrolling…" move from then
  std::optional<Error> last_error_;       // re-worded when the language changes
  std::optional<Verdict> error_verdict_;  // why a handover was refused (not_collectable)
  std::string last_acted_order_;          // handed over or refused: its double read is ignored
  std::vector<std::int64_t> time_key_;
};

}  // namespace comptoir::ui
