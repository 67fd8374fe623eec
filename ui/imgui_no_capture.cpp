// The stand-in for SDL_CaptureMouse inside Dear ImGui's SDL backend (see ui/imgui.cmake):
// capturing the mouse on X11 breaks touch input after the first tap.
#include <SDL.h>

extern "C" int comptoir_no_capture_mouse(SDL_bool /*enabled*/) {
  return 0;
}
