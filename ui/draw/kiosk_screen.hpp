// The whole kiosk frame: the view-model of the screen the state is on, drawn.
#pragma once

#include <cstdint>
#include <vector>

#include "ui/kiosk.hpp"

namespace comptoir::ui::draw {

// Inside the full-window ImGui window; the Actions of buttons pressed are appended to `out`.
void draw_kiosk(const Kiosk &kiosk, std::int64_t now_ms, std::vector<Action> &out);

}  // namespace comptoir::ui::draw
