// Where the kiosk draws its navigation bar and the verdict screen's row of buttons, for the
// end-to-end test and the benchmark, which press them with a real pointer. Worked out from
// the sizes of ui/theme.cpp (apply_theme), the navigation bar of ui/draw/header.cpp and the
// button rows of ui/draw/widgets.cpp (button_row) and ui/draw/verdict_screen.cpp: keep in
// step with them. The test notices when they drift: a tap that misses changes nothing, and
// the state it waits for never comes.
#pragma once

#include <algorithm>
#include <cmath>

namespace comptoir::test {

struct KioskPoint {
  int x = 0;
  int y = 0;
};

struct KioskSizes {
  float w = 0, h = 0;
  float pad = 0, gap = 0, button_h = 0, inset = 0;
  float nav_top = 0;  // the top of the navigation bar along the bottom
};

inline KioskSizes kiosk_sizes(int width, int height) {
  KioskSizes k;
  k.w = static_cast<float>(width);
  k.h = static_cast<float>(height);
  const float s = std::max(0.75f, std::min(k.h / 480.0f, k.w / 800.0f));
  k.pad = std::round(10 * s);
  k.gap = std::round(8 * s);
  k.button_h = std::round(60 * s);
  k.inset = std::round(k.pad * 0.6f);
  k.nav_top = k.h - (k.button_h + k.inset * 2);
  return k;
}

// The centre of button `index` of a row of `count` spanning x0..x1, the first one twice as
// wide when `primary_first` (button_row).
inline int row_button_x(const KioskSizes &k, float x0, float x1, int count, int index,
                        bool primary_first) {
  const float weights = static_cast<float>(count) + (primary_first ? 1.0f : 0.0f);
  const float room = (x1 - x0) - k.gap * static_cast<float>(count - 1);
  float x = x0;
  for (int i = 0; i < count; ++i) {
    const float w = std::floor(room * ((primary_first && i == 0) ? 2.0f : 1.0f) / weights);
    if (i == index) return static_cast<int>(x + w / 2);
    x += w + k.gap;
  }
  return static_cast<int>(x0);
}

// The navigation bar: 0 Scanner, 1 Rechercher, 2 Aujourd'hui, 3 Technicien.
inline KioskPoint nav_button(int width, int height, int index) {
  const KioskSizes k = kiosk_sizes(width, height);
  return {row_button_x(k, k.pad, k.w - k.pad, 4, index, false),
          static_cast<int>((k.nav_top + k.h) / 2)};
}

// The verdict screen's row of `count` buttons, the primary one first: on a ready verdict
// 0 Remis, 1 Voir les lignes, 2 Refuser, 3 Retour; on one that needs nothing 0 OK.
inline KioskPoint verdict_button(int width, int height, int count, int index) {
  const KioskSizes k = kiosk_sizes(width, height);
  // The screen's area ends `pad` above the navigation bar; the row sits at its bottom.
  const float row_bottom = k.nav_top - k.pad;
  const float row_h = std::round(k.button_h * 1.1f);
  return {row_button_x(k, k.pad, k.w - k.pad, count, index, true),
          static_cast<int>(row_bottom - row_h / 2)};
}

}  // namespace comptoir::test
