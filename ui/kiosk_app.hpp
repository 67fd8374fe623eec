// `comptoir` with no mode: the kiosk window. A thin platform shell around the Kiosk state
// machine (ui/kiosk.hpp): SDL2 window and renderer, Dear ImGui, the fonts, the event-driven
// loop (no frame unless something changed), the scanners' wake-ups, the keyboard through
// the wedge assembler, the tones, the state file, and the KioskHost the state machine
// asks for devices, the self-test, the PIN and the language.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/config.hpp"
#include "runtime/messages.hpp"

namespace comptoir::ui {

struct KioskArgs {
  std::string data_dir;
  std::optional<std::int64_t> stand;
  Lang lang = Lang::fr;
  std::string staff;
  Config config;
  bool scanners = true;  // false: --no-scanners (the window's keyboard still reads scans)
  bool sound = true;     // false: --no-sound
  // --windowed WxH: a normal window of that size; none: full screen.
  std::optional<int> window_w;
  std::optional<int> window_h;
  std::string state_file;             // --state-file; empty: none
  std::string renderer = "software";  // software, accelerated or auto
  std::string version;
};

// run_kiosk's exit statuses.
inline constexpr int kExitOk = 0;         // the window closed, or SIGTERM/SIGINT/SIGHUP
inline constexpr int kExitFailed = 1;     // the appliance, the renderer or the fonts failed
inline constexpr int kExitNoDisplay = 3;  // no display to open a window on: run headless

// kExitOk when the window is closed or on SIGTERM, SIGINT or SIGHUP (at any point, start-up
// included); kExitNoDisplay when there is no display (the message says why, from DISPLAY and
// WAYLAND_DISPLAY, and how to run headless); kExitFailed when the appliance cannot start.
int run_kiosk(const KioskArgs &args);

// When the loop draws. A frame is owed when the state moved or ImGui needs one more; it is
// held while a keyboard burst is coming in (SDL stamps key events only when it pumps them,
// so a long frame would cut a scan in two), but never for more than kMaxHoldMs: a flood
// (a stuck key, kilobytes of keys) must not freeze the screen.
class FramePacer {
 public:
  static constexpr std::int64_t kMaxHoldMs = 100;

  // Call once a pass, before waiting: whether a frame is owed now (monotonic ms).
  void owed(bool owed, std::int64_t now_ms);
  // Whether to draw now, given that a burst is (or is not) coming in.
  bool draw_now(bool in_burst, std::int64_t now_ms) const;
  // The longest the loop may sleep before a held frame must be drawn anyway: -1 when no
  // frame is owed, 0 when one is due now.
  int wait_limit_ms(std::int64_t now_ms) const;
  // A frame was drawn: what is owed from now on counts afresh.
  void drawn() { owing_ = false; }

 private:
  // Two plain members rather than an optional: GCC 12 at -O3 warns (-Wmaybe-uninitialized,
  // a false positive) on the optional's value.
  bool owing_ = false;
  std::int64_t owed_since_ = 0;
};

// The mouse buttons as the events said, for ImGui. The 1.86 SDL backend reads SDL's current
// button state (which runs ahead of the events taken so far) and latches one press a frame,
// so two taps read in one pass make one click. Here a press stays down for the frame that
// follows it even when its release came too; then the loop stops taking events after a
// release, and draws the frame that shows it before the next press is taken.
class MouseButtons {
 public:
  // 0 left, 1 right, 2 middle; other buttons are ignored.
  void press(int button);
  void release(int button);
  // The buttons for this frame (ImGuiIO::MouseDown). True when a press shown now is already
  // released: the next frame must show the release before any more events are taken.
  bool frame(bool (&down)[3]);

 private:
  bool down_[3] = {false, false, false};
  bool pressed_[3] = {false, false, false};  // a press not yet shown in a frame
};

}  // namespace comptoir::ui
