// A test program, not shipped: a small SDL window whose keyboard goes through SdlWedgeInput,
// printing one line per result on stdout ("scan\tTEXT", "typed\tTEXT", "notice\tREASON",
// "field\tTEXT" when the field changes, and "key\tMS\tTEXT" / "keydown\tMS\tNAME" for each
// event with SDL's timestamp) and "ready" once the window has the keyboard focus
// ("ready nofocus" if it did not get it within 3 s). Ends on SIGTERM (SDL_QUIT).
#include <SDL.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ui/sdl_wedge_input.hpp"

namespace {

void say(const char *what, const std::string &text) {
  std::printf("%s\t%s\n", what, text.c_str());
  std::fflush(stdout);
}

}  // namespace

int main() {
  if (SDL_Init(SDL_INIT_VIDEO) != 0) {
    std::fprintf(stderr, "wedge probe: SDL_Init: %s\n", SDL_GetError());
    return 1;
  }
  SDL_Window *window = SDL_CreateWindow("comptoir-wedge-probe", 0, 0, 320, 120, SDL_WINDOW_SHOWN);
  if (window == nullptr) {
    std::fprintf(stderr, "wedge probe: SDL_CreateWindow: %s\n", SDL_GetError());
    SDL_Quit();
    return 1;
  }
  if (SDL_Surface *surface = SDL_GetWindowSurface(window)) {
    SDL_FillRect(surface, nullptr, SDL_MapRGB(surface->format, 40, 40, 40));
    SDL_UpdateWindowSurface(window);
  }
  SDL_StartTextInput();

  comptoir::ui::SdlWedgeInput input;
  std::vector<comptoir::drivers::WedgeOutput> out;
  std::string shown_field;
  bool ready = false;
  const Uint32 started = SDL_GetTicks();
  bool running = true;
  while (running) {
    int wait = input.wait_ms(SDL_GetTicks());
    if (!ready) wait = 50;  // asking for focus until it comes
    SDL_Event event;
    const int got = wait < 0 ? SDL_WaitEvent(&event) : SDL_WaitEventTimeout(&event, wait);
    if (got != 0) {
      if (event.type == SDL_QUIT) running = false;
      if (event.type == SDL_WINDOWEVENT && event.window.event == SDL_WINDOWEVENT_FOCUS_GAINED &&
          !ready) {
        ready = true;
        std::puts("ready");
        std::fflush(stdout);
      }
      if (event.type == SDL_TEXTINPUT) {
        say("key", std::to_string(event.text.timestamp) + "\t" + event.text.text);
      } else if (event.type == SDL_KEYDOWN) {
        say("keydown",
            std::to_string(event.key.timestamp) + "\t" + SDL_GetKeyName(event.key.keysym.sym));
      }
      input.handle(event, out);
    } else {
      input.tick(SDL_GetTicks(), out);
    }
    if (!ready) {
      if (SDL_GetTicks() - started > 3000) {
        ready = true;
        std::puts("ready nofocus");
        std::fflush(stdout);
      } else {
        SDL_RaiseWindow(window);
        SDL_SetWindowInputFocus(window);
      }
    }
    for (const auto &o : out) {
      if (const auto *scan = std::get_if<comptoir::drivers::ScanEvent>(&o)) say("scan", scan->text);
      if (const auto *typed = std::get_if<comptoir::drivers::TypedCode>(&o)) {
        say("typed", typed->text);
      }
      if (const auto *n = std::get_if<comptoir::drivers::DeviceNotice>(&o))
        say("notice", n->reason);
    }
    out.clear();
    if (input.field() != shown_field) {
      shown_field = input.field();
      say("field", shown_field);
    }
  }
  SDL_DestroyWindow(window);
  SDL_Quit();
  return 0;
}
