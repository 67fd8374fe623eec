// The kiosk's look: sizes scaled from the window (touch targets of 56 px and more at
// 800×480), the fonts, and the colours of each Tone. Dark text on a light background, for
// a stand in the sun; each tone has a fill, the text drawn on it, and a soft tint for rows.
// The colour is never the only sign: the draw code always adds an icon or words.
#pragma once

#include <imgui.h>

#include "ui/fonts.hpp"
#include "ui/view_models.hpp"

namespace comptoir::ui {

struct ToneColours {
  ImU32 fill;  // bands, primary buttons, icons
  ImU32 text;  // text drawn on `fill`
  ImU32 soft;  // a tint behind rows and notices, dark text on it
  ImU32 ink;   // the tone on a light background: icons and marks beside dark text
};

struct Theme {
  Fonts fonts;
  float scale = 1.0f;  // the window against 800×480
  // Measures in pixels, from `scale`.
  float pad = 10;       // around the screen and inside panels
  float gap = 8;        // between buttons
  float button_h = 60;  // the height of every button (≥ 56 at 800×480)
  float rounding = 8;
  float border = 2;
  float scrollbar = 26;  // wide enough for a finger

  ImU32 background = IM_COL32(0xF4, 0xF4, 0xEF, 0xFF);
  ImU32 panel = IM_COL32(0xFF, 0xFF, 0xFF, 0xFF);
  ImU32 text = IM_COL32(0x10, 0x10, 0x10, 0xFF);
  ImU32 muted = IM_COL32(0x44, 0x44, 0x44, 0xFF);  // 9:1 on the background
  ImU32 line = IM_COL32(0x80, 0x80, 0x7A, 0xFF);
  ImU32 button = IM_COL32(0xE0, 0xE0, 0xD8, 0xFF);
  ImU32 button_hover = IM_COL32(0xD2, 0xD2, 0xC8, 0xFF);
  ImU32 button_active = IM_COL32(0xBC, 0xBC, 0xB0, 0xFF);
  ImU32 button_border = IM_COL32(0x50, 0x50, 0x4A, 0xFF);

  ToneColours tone(Tone t) const;
};

// The theme the draw functions read; the app sets it when the window or the fonts change.
const Theme &theme();
// Sizes for a window of w×h with these fonts, and ImGui's style to match.
void apply_theme(const Fonts &fonts, int width, int height);

}  // namespace comptoir::ui
