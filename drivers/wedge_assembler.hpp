// The kiosk's keyboard: a keyboard-wedge scanner not grabbed through evdev types into the
// window like a person would, and both arrive as the same key events. This tells them apart
// by the time between keys: a scanner types a character every 1-20 ms (one or two USB
// reports per key at 1-10 ms polling), a person rarely under 60 ms and practically never
// six keys in a row under 30 ms. A fast burst of at least min_scan_chars characters ending
// in Enter (or Tab, or a quiet gap) is a scan, whatever the person had typed before it;
// slower characters go to the code field, and a person's Enter submits the field as a typed
// code. Enter is taken from the key-down event by the caller (never from ImGui, which loses
// a key pressed and released within one frame). Pure: time is passed in, no SDL here.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "drivers/scan_event.hpp"

namespace comptoir::drivers {

struct WedgeOptions {
  // Keys less than this apart belong to one burst. Scanners: 1-20 ms a key with no
  // intercharacter delay set (the factory setting); people: ~100-250 ms a key, 30-60 ms at
  // the quickest rolled pairs. A scanner set to an intercharacter delay needs this raised.
  std::chrono::milliseconds key_gap{30};
  // Fewer characters than this, however fast, count as typing: a person's quick pair or
  // triple (or keys that piled up during a stalled frame) never becomes a scan. Pickup
  // tokens are ~130 characters, short codes 11, 1D order numbers 6 and more.
  std::size_t min_scan_chars = 6;
  // Once a burst is a scan, it may pause this long (a stalled frame, a slow Enter) and
  // still be one scan; after it, with no Enter, it ends as a scan of its own (scanners set
  // to send no suffix). Far below a person's reaction time, so a person's Enter after a
  // scan is never taken as the scan's.
  std::chrono::milliseconds scan_gap{100};
  // An Enter this soon after a scan that its gap ended is that scan's late Enter (a stalled
  // frame, a slow scanner), not a person submitting the field.
  std::chrono::milliseconds late_enter{500};
  // A burst longer than this is a flood (a stuck key, a scanner in a loop): dropped with
  // too_long, and the rest ignored until the keys stop for key_gap.
  std::size_t max_scan_bytes = 4096;
  // What the code field holds at most (short codes, order numbers, names); more typed
  // characters are ignored, as a full text field would.
  std::size_t max_field_bytes = 128;
};

// A person pressed Enter: submit this (the field's text, now cleared) as a typed code.
struct TypedCode {
  std::string text;
};

// What came out of one call, oldest first. ScanEvent: source keyboard, device_id
// "keyboard", time left for the caller to stamp. DeviceNotice: a scan_dropped too_long.
using WedgeOutput = std::variant<ScanEvent, TypedCode, DeviceNotice>;

class WedgeAssembler {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WedgeAssembler(WedgeOptions options = {});

  // SDL_TEXTINPUT: UTF-8 text, usually one character (an input method may commit several
  // at once; they count as typed at the same instant).
  std::vector<WedgeOutput> text(std::string_view utf8, Clock::time_point now);
  // Return or keypad Enter pressed (key down, not repeated).
  std::vector<WedgeOutput> enter(Clock::time_point now);
  // Tab pressed: ends a scanner's burst (scanners set to a Tab suffix); nothing for a person.
  std::vector<WedgeOutput> tab(Clock::time_point now);
  // Backspace: removes the field's last character.
  std::vector<WedgeOutput> backspace(Clock::time_point now);
  // Escape: clears the field.
  std::vector<WedgeOutput> escape(Clock::time_point now);
  // Call at deadline(): commits a person's characters to the field, ends a quiet-gap scan,
  // or ends a flood.
  std::vector<WedgeOutput> tick(Clock::time_point now);
  // When tick() should next be called; nullopt when nothing is pending.
  std::optional<Clock::time_point> deadline() const;
  // Keys of a burst are still coming (or a flood is being ignored): the caller should not
  // stall on a long frame now, since SDL stamps key events only when it pumps them and a
  // frame longer than key_gap would cut a scan in two.
  bool in_burst() const { return !burst_.empty() || flooding_; }

  // What the code field shows: the person's typing, never a scanner's burst. Characters
  // typed by a person appear once key_gap has passed (30 ms: not something a person sees).
  const std::string &field() const { return field_; }
  // The screen changed (a new customer, a verdict shown): forget the field.
  void clear_field() { field_.clear(); }
  // The field was edited elsewhere (the on-screen keypad): the physical keyboard goes on
  // from `text`, so both edit one field. Bounded like typing (whole characters, at most
  // max_field_bytes); a burst under way is left alone, so a scan arriving meanwhile is
  // still a scan.
  void set_field(std::string_view text);

 private:
  // The burst under way, decided: a scan, the field's, or nothing (flood). `out` gets what
  // that produced.
  void settle(std::vector<WedgeOutput> &out);
  // A burst still open at `now` is settled first if its time has passed.
  void expire(Clock::time_point now, std::vector<WedgeOutput> &out);
  void emit_scan(std::vector<WedgeOutput> &out);
  void to_field(std::string_view text);
  bool is_scan() const { return chars_ >= options_.min_scan_chars; }

  WedgeOptions options_;
  std::string field_;
  std::string burst_;      // characters of the burst under way
  std::size_t chars_ = 0;  // code points in burst_
  bool flooding_ = false;  // past max_scan_bytes: ignoring keys until they stop
  Clock::time_point last_{};
  // When a scan was last ended by its gap with no Enter yet; cleared by the next key.
  std::optional<Clock::time_point> gap_ended_;
};

}  // namespace comptoir::drivers
