// The kiosk's keyboard, from SDL events to the keyboard-wedge assembler
// (drivers/wedge_assembler.hpp): SDL_TEXTINPUT for characters, SDL_KEYDOWN for Enter
// (main and keypad), Tab, Backspace and Escape. Enter is taken here, from the key-down
// event, and never from an ImGui text field: Dear ImGui 1.86 keeps key state, so a key
// pressed and released within one frame, as a scanner's Enter is, never reaches it. A thin
// shell: the decisions are the assembler's.
#pragma once

#include <SDL.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/wedge_assembler.hpp"

namespace comptoir::ui {

class SdlWedgeInput {
 public:
  explicit SdlWedgeInput(drivers::WedgeOptions options = {});

  // Feeds one event. True when it was the keyboard's (text, Enter, Tab, Backspace,
  // Escape): the caller does not hand it to ImGui, so nothing types twice. What it
  // produced is appended to `out`, scans stamped with the wall-clock time.
  bool handle(const SDL_Event &event, std::vector<drivers::WedgeOutput> &out);
  // Call when the wait ends with no event: ends what was waiting for its deadline.
  void tick(std::uint32_t now_ms, std::vector<drivers::WedgeOutput> &out);
  // How long SDL_WaitEventTimeout may wait before tick() is due; -1: nothing pending.
  int wait_ms(std::uint32_t now_ms);
  // A burst's keys are still coming: draw after it, not in the middle of it.
  bool in_burst() const { return assembler_.in_burst(); }

  const std::string &field() const { return assembler_.field(); }
  void clear_field() { assembler_.clear_field(); }
  // The on-screen keypad edited the field: the physical keyboard goes on from there.
  void set_field(std::string_view text) { assembler_.set_field(text); }

 private:
  // SDL's millisecond ticks (events' timestamps, SDL_GetTicks) on the assembler's clock,
  // unwrapped past 49.7 days.
  drivers::WedgeAssembler::Clock::time_point at(std::uint32_t ms);
  void stamp(std::vector<drivers::WedgeOutput> &out, std::size_t from);

  drivers::WedgeAssembler assembler_;
  std::uint32_t last_ms_ = 0;
  std::uint64_t wraps_ = 0;
};

}  // namespace comptoir::ui
