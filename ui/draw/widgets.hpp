// The pieces every screen is drawn with: touch-sized buttons that carry their Action, the
// on-screen keypad, icons drawn with ImDrawList, wrapped text in a column, tinted notices
// and scroll regions a finger can drag. They read view-model values and the theme only.
#pragma once

#include <imgui.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "ui/theme.hpp"
#include "ui/view_models.hpp"

namespace comptoir::ui::draw {

struct Rect {
  ImVec2 min;
  ImVec2 max;
  float w() const { return max.x - min.x; }
  float h() const { return max.y - min.y; }
};

// The whole window.
Rect screen_rect();

// The first font of `fonts` in which `text` fits on one line of `width`; the last one if none.
ImFont *fit(std::string_view text, float width, std::initializer_list<ImFont *> fonts);
float text_width(ImFont *font, std::string_view text);
// The first font of `fonts` in which `text` wraps to at most `lines` lines of `width`.
ImFont *fit_lines(std::string_view text, float width, std::size_t lines,
                  std::initializer_list<ImFont *> fonts);
// `text`, cut with "…" to fit `width` on one line.
std::string ellipsize(ImFont *font, std::string_view text, float width);
// One line of text at `pos` (top left).
void text_at(ImFont *font, ImVec2 pos, ImU32 colour, std::string_view text);
// Lines of `text` broken at spaces to fit `width` (a word longer than that is cut).
std::vector<std::string_view> wrap_lines(ImFont *font, std::string_view text, float width);

// Text laid out down a column from `pos`, `width` wide. Inside a scroll region each piece
// also reserves its room, so the region knows how tall its content is.
struct Flow {
  ImVec2 pos;
  float width = 0;

  // Wrapped text; returns its height. `center`: each line centred in the column.
  float text(ImFont *font, ImU32 colour, std::string_view text, bool center = false);
  // A tinted box with an icon and wrapped text: notices, errors, the queue.
  float notice(Tone tone, Icon icon, std::string_view text, ImFont *font = nullptr);
  void space(float h);
  // The height notice() would take, without drawing.
  float notice_height(std::string_view text, ImFont *font = nullptr) const;
  // Room for something the caller draws itself, `h` tall; returns its rectangle.
  Rect take(float h);
};

// A button of `size` at the cursor (or at `rect`): its action is appended to `out` when
// pressed. A press that began a drag (scrolling a list with a finger) does not count.
bool button(const Button &b, ImVec2 size, std::vector<Action> &out, ImFont *font = nullptr);
bool button_at(const Button &b, const Rect &rect, std::vector<Action> &out, ImFont *font = nullptr);
// An area that acts as the button `b` (a list row, a tick box with its line): the caller
// draws it. `held` says whether it is pressed down now, for its look.
bool hit(const Button &b, const Rect &rect, std::vector<Action> &out, bool *held = nullptr);
// One row of buttons across `rect`; the primary one twice as wide as the others.
void button_row(const std::vector<Button> &buttons, const Rect &rect, std::vector<Action> &out);
// Buttons in a grid of `columns`, rows of button height from the top of `rect`; returns
// the height used.
float button_grid(const std::vector<Button> &buttons, const Rect &rect, int columns,
                  std::vector<Action> &out);
// Rows of keys filling `rect`; a row with fewer keys stretches them to the full width.
void keypad(const KeypadView &keys, const Rect &rect, std::vector<Action> &out);

// A filled rectangle with rounded corners, drawn as three rectangles and four small corner
// fans: SDL's software renderer copies rectangles fast and rasterises triangles slowly, and
// ImGui's own rounded fill is one large fan (half a frame's time at 1920×1080).
void fill_round_rect(ImDrawList *dl, ImVec2 a, ImVec2 b, ImU32 colour, float rounding);
// The same with an edge `thickness` wide: the edge colour filled, the fill inset over it
// (two fast fills instead of a stroked path of thin triangles).
void framed_round_rect(ImDrawList *dl, ImVec2 a, ImVec2 b, ImU32 fill, ImU32 edge, float rounding,
                       float thickness);

// An icon in a circle of radius r, stroked in `colour`.
void icon(ImDrawList *dl, Icon which, ImVec2 center, float r, ImU32 colour);
// The icon on a disc in the tone's text colour, drawn in the tone's fill: on a band of that
// tone it reads as a white (or dark) badge.
void icon_badge(ImDrawList *dl, Icon which, ImVec2 center, float r, Tone tone);

// The box the code, the query or the PIN dots show in, with a caret at the end.
void field_box(const Rect &rect, std::string_view text, std::string_view placeholder);

// A region that scrolls when its content is taller, by its scrollbar, the wheel, or a
// finger dragged anywhere on it. Pair with end_scroll().
void begin_scroll(const char *id, const Rect &rect);
void end_scroll();

}  // namespace comptoir::ui::draw
