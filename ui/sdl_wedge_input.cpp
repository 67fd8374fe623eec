// SDL events to WedgeAssembler calls; see sdl_wedge_input.hpp.
#include "ui/sdl_wedge_input.hpp"

#include <algorithm>
#include <chrono>

namespace comptoir::ui {

SdlWedgeInput::SdlWedgeInput(drivers::WedgeOptions options) : assembler_(options) {}

drivers::WedgeAssembler::Clock::time_point SdlWedgeInput::at(std::uint32_t ms) {
  // Events come in order; a value far below the last one is the 32-bit counter wrapping,
  // a value a little below it (SDL_GetTicks taken before the last event was pumped) is not.
  std::uint64_t epoch = wraps_;
  if (ms < last_ms_) {
    if (last_ms_ - ms > 0x80000000u) {
      epoch = ++wraps_;
      last_ms_ = ms;
    }
  } else if (ms - last_ms_ > 0x80000000u && wraps_ > 0) {
    epoch = wraps_ - 1;  // from just before the wrap
  } else {
    last_ms_ = ms;
  }
  const std::uint64_t full = (epoch << 32) | ms;
  return drivers::WedgeAssembler::Clock::time_point{
      std::chrono::milliseconds(static_cast<std::int64_t>(full))};
}

void SdlWedgeInput::stamp(std::vector<drivers::WedgeOutput> &out, std::size_t from) {
  const auto now = std::chrono::system_clock::now();
  for (std::size_t i = from; i < out.size(); ++i) {
    if (auto *scan = std::get_if<drivers::ScanEvent>(&out[i])) scan->time = now;
    if (auto *notice = std::get_if<drivers::DeviceNotice>(&out[i])) notice->time = now;
  }
}

bool SdlWedgeInput::handle(const SDL_Event &event, std::vector<drivers::WedgeOutput> &out) {
  const std::size_t from = out.size();
  auto take = [&](std::vector<drivers::WedgeOutput> v) {
    for (auto &o : v) out.push_back(std::move(o));
  };
  // Timestamps are when SDL queued the event; 0 for events a program pushed itself.
  auto when = [](std::uint32_t ts) { return ts != 0 ? ts : SDL_GetTicks(); };
  bool mine = false;
  if (event.type == SDL_TEXTINPUT) {
    take(assembler_.text(event.text.text, at(when(event.text.timestamp))));
    mine = true;
  } else if (event.type == SDL_KEYDOWN) {
    const auto t = at(when(event.key.timestamp));
    const bool repeat = event.key.repeat != 0;
    switch (event.key.keysym.sym) {
      case SDLK_RETURN:
      case SDLK_RETURN2:
      case SDLK_KP_ENTER:
        // A held Enter submits once.
        if (!repeat) take(assembler_.enter(t));
        mine = true;
        break;
      case SDLK_TAB:
      case SDLK_KP_TAB:
        if (!repeat) take(assembler_.tab(t));
        mine = true;
        break;
      case SDLK_BACKSPACE:
      case SDLK_KP_BACKSPACE:
        take(assembler_.backspace(t));  // held, it keeps erasing, as in any text field
        mine = true;
        break;
      case SDLK_ESCAPE:
        if (!repeat) take(assembler_.escape(t));
        mine = true;
        break;
      default:
        break;
    }
  }
  stamp(out, from);
  return mine;
}

void SdlWedgeInput::tick(std::uint32_t now_ms, std::vector<drivers::WedgeOutput> &out) {
  const std::size_t from = out.size();
  for (auto &o : assembler_.tick(at(now_ms))) out.push_back(std::move(o));
  stamp(out, from);
}

int SdlWedgeInput::wait_ms(std::uint32_t now_ms) {
  const auto due = assembler_.deadline();
  if (!due) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*due - at(now_ms)).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

}  // namespace comptoir::ui
