// The strip at the top of every screen but the PIN pad, and the navigation bar at the
// bottom (a tab bar a thumb reaches); see screens.hpp.
#include <algorithm>
#include <cmath>
#include <string>

#include "ui/draw/screens.hpp"

namespace comptoir::ui::draw {

Rect draw_header(const HeaderView &v, std::vector<Action> &out) {
  const Theme &t = theme();
  const Rect s = screen_rect();
  ImDrawList *dl = ImGui::GetWindowDrawList();
  ImFont *title_font = t.fonts.bold;
  ImFont *small = t.fonts.small;
  const float x0 = s.min.x + t.pad;
  const float x1 = s.max.x - t.pad;
  const float inset = std::round(t.pad * 0.6f);
  const float r = small->FontSize * 0.5f;  // the sync icon
  // No icon with no portal: there is no link to show.
  const bool has_icon = !v.sync.empty() && v.sync_icon != Icon::none;

  const std::string &status = v.status;
  const float title_w = text_width(title_font, v.title);
  const float status_w = (has_icon ? r * 2 + t.gap : 0.0f) + text_width(small, status);
  const bool one_line = title_w + t.gap * 4 + status_w <= x1 - x0;
  const float strip_h =
      inset * 2 + (one_line ? title_font->FontSize : title_font->FontSize + small->FontSize);
  dl->AddRectFilled(s.min, ImVec2(s.max.x, s.min.y + strip_h), t.panel);
  dl->AddLine(ImVec2(s.min.x, s.min.y + strip_h), ImVec2(s.max.x, s.min.y + strip_h), t.line,
              t.border * 0.5f);
  const float y = s.min.y + inset;
  text_at(title_font, ImVec2(x0, y), t.text, v.title);
  const ToneColours sync = t.tone(v.sync_tone);
  auto draw_sync = [&](float x, float line_y, float room, const std::string &text) {
    if (text.empty()) return;
    float tx = x;
    if (has_icon) {
      icon(dl, v.sync_icon, ImVec2(x + r, line_y + small->FontSize * 0.5f), r, sync.ink);
      tx += r * 2 + t.gap * 0.5f;
    }
    text_at(small, ImVec2(tx, line_y), t.text, ellipsize(small, text, room - (tx - x)));
  };
  if (one_line) {
    const float line_y = y + (title_font->FontSize - small->FontSize) * 0.5f;
    const float x = x1 - status_w;
    draw_sync(x, line_y, x1 - x + 1.0f, status);
  } else {
    // Title and today's count on the first line, the sync state on its own below.
    if (!v.today.empty()) {
      const float room = std::max(0.0f, x1 - x0 - title_w - t.gap * 2);
      const std::string today = ellipsize(small, v.today, room);
      text_at(small,
              ImVec2(x1 - text_width(small, today), y + title_font->FontSize - small->FontSize),
              t.muted, today);
    }
    draw_sync(x0, y + title_font->FontSize, x1 - x0, v.sync);
  }
  float top = s.min.y + strip_h + t.pad * 0.5f;
  if (!v.notice.empty()) {
    Flow f{ImVec2(x0, top), x1 - x0};
    f.notice(v.notice_tone, Icon::warning, v.notice, small);
    top = f.pos.y - t.gap * 0.5f;
  }
  float bottom = s.max.y;
  if (!v.nav.empty()) {
    const float bar_h = t.button_h + inset * 2;
    bottom = s.max.y - bar_h;
    dl->AddRectFilled(ImVec2(s.min.x, bottom), s.max, t.panel);
    dl->AddLine(ImVec2(s.min.x, bottom), ImVec2(s.max.x, bottom), t.line, t.border * 0.5f);
    button_row(v.nav, Rect{ImVec2(x0, bottom + inset), ImVec2(x1, s.max.y - inset)}, out);
  }
  return Rect{ImVec2(x0, top + t.pad * 0.5f), ImVec2(x1, bottom - t.pad)};
}

}  // namespace comptoir::ui::draw
