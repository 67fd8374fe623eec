// The screens made of order lists: search (query, results, keypad) and today (pending,
// collected, problems, and pickups per hour); see screens.hpp.
#include <algorithm>
#include <cmath>
#include <string>

#include "ui/draw/screens.hpp"

namespace comptoir::ui::draw {
namespace {

// The day's pickups per hour, as bars with their count above and the hour below: the
// numbers are there, the bars only help the eye.
void hour_chart(const TodayView &v, const Rect &r) {
  const Theme &t = theme();
  ImDrawList *dl = ImGui::GetWindowDrawList();
  ImFont *small = t.fonts.small;
  const int first = std::clamp(v.first_hour, 0, 23);
  const int last = std::clamp(std::max(v.last_hour, first), 0, 23);
  const int n = last - first + 1;
  int most = 0;
  for (int h = first; h <= last; ++h)
    most = std::max(most, v.per_hour[static_cast<std::size_t>(h)]);
  fill_round_rect(dl, r.min, r.max, t.panel, t.rounding);
  // The title inside the panel, top left; the bars below it, the hours under the baseline.
  text_at(small, ImVec2(r.min.x + t.pad * 0.6f, r.min.y + t.pad * 0.3f), t.text,
          ellipsize(small, v.chart_title, r.w() - t.pad * 1.2f));
  const Rect bars{ImVec2(r.min.x + t.pad * 0.3f, r.min.y), ImVec2(r.max.x - t.pad * 0.3f, r.max.y)};
  const float slot = bars.w() / static_cast<float>(n);
  const float base = r.max.y - small->FontSize - t.gap * 0.5f;
  const float top = r.min.y + t.pad * 0.3f + small->FontSize * 2 + t.gap * 0.25f;
  dl->AddLine(ImVec2(bars.min.x, base), ImVec2(bars.max.x, base), t.text, t.border * 0.5f);
  const ToneColours c = t.tone(Tone::info);
  // Hour labels every hour when they fit, else every other hour.
  float label_w = 0;
  for (int h = first; h <= last; ++h) {
    label_w = std::max(label_w, text_width(small, v.hour_labels[static_cast<std::size_t>(h)]));
  }
  label_w += t.gap * 0.5f;
  const int every = slot >= label_w ? 1 : (slot * 2 >= label_w ? 2 : 3);
  for (int h = first; h <= last; ++h) {
    const int count = v.per_hour[static_cast<std::size_t>(h)];
    const float x = bars.min.x + slot * static_cast<float>(h - first);
    const float bar_w = std::max(2.0f, slot * 0.62f);
    const float bx = x + (slot - bar_w) * 0.5f;
    if (count > 0 && most > 0) {
      const float bh = (base - top) * static_cast<float>(count) / static_cast<float>(most);
      dl->AddRectFilled(ImVec2(bx, base - bh), ImVec2(bx + bar_w, base), c.fill, t.rounding * 0.3f,
                        ImDrawFlags_RoundCornersTop);
      const std::string label = std::to_string(count);
      text_at(small,
              ImVec2(x + (slot - text_width(small, label)) * 0.5f, base - bh - small->FontSize),
              t.text, label);
    }
    if ((h - first) % every == 0) {
      const std::string &hour = v.hour_labels[static_cast<std::size_t>(h)];
      text_at(small, ImVec2(x + (slot - text_width(small, hour)) * 0.5f, base + t.gap * 0.25f),
              t.muted, hour);
    }
  }
}

// A titled list in a scroll region.
void titled_list(const char *id, const std::string &title, const std::vector<ResultRow> &rows,
                 const Rect &r, std::vector<Action> &out) {
  const Theme &t = theme();
  ImFont *font = t.fonts.bold;
  text_at(font, r.min, t.text, ellipsize(font, title, r.w()));
  begin_scroll(id, Rect{ImVec2(r.min.x, r.min.y + font->FontSize + t.gap * 0.5f), r.max});
  const float width = ImGui::GetContentRegionAvail().x;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ImGui::PushID(static_cast<int>(i));
    draw_result_row(rows[i], width, out);
    ImGui::PopID();
  }
  end_scroll();
}

}  // namespace

void draw_result_row(const ResultRow &row, float width, std::vector<Action> &out) {
  const Theme &t = theme();
  ImFont *bold = t.fonts.bold;
  ImFont *body = t.fonts.body;
  ImFont *small = t.fonts.small;
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const float r = bold->FontSize * 0.5f;
  const float text_x = t.pad + r * 2 + t.pad * 0.8f;
  const float room = width - text_x - t.pad * 0.6f;
  // Wide rows: "number · customer", then when and state on one line. Narrow ones (the day's
  // three columns): each on its own line, the time window wrapped rather than cut.
  const std::string &first = row.heading.empty() ? row.number : row.heading;
  const bool joined = text_width(bold, first) <= room;
  const bool side_by_side =
      joined && text_width(small, row.when) + t.pad + text_width(bold, row.state) <= room;
  const auto when = wrap_lines(small, row.when, room);
  float lines_h = bold->FontSize;
  if (!joined && !row.customer.empty()) lines_h += body->FontSize;
  if (side_by_side) {
    lines_h += bold->FontSize;
  } else {
    lines_h += small->FontSize * static_cast<float>(when.size()) + bold->FontSize;
  }
  const float h = std::max(t.button_h, lines_h + t.pad);
  const Rect rect{at, ImVec2(at.x + width, at.y + h)};
  if (!ImGui::IsRectVisible(rect.min, rect.max)) {
    // Scrolled out of sight: only its room (the day has hundreds of orders; drawing them
    // all would cost more than the rest of the frame).
    ImGui::Dummy(ImVec2(width, h));
    ImGui::SetCursorScreenPos(ImVec2(at.x, rect.max.y + t.gap * 0.6f));
    return;
  }
  bool held = false;
  hit(row.open, rect, out, &held);

  ImDrawList *dl = ImGui::GetWindowDrawList();
  const ToneColours c = t.tone(row.tone);
  framed_round_rect(dl, rect.min, rect.max, held ? t.button_active : t.panel, t.line, t.rounding,
                    t.border * 0.5f);
  dl->AddRectFilled(rect.min, ImVec2(rect.min.x + t.border * 3, rect.max.y), c.fill, t.rounding,
                    ImDrawFlags_RoundCornersLeft);
  icon(dl, row.icon, ImVec2(rect.min.x + t.pad + r, rect.min.y + h * 0.5f), r, c.ink);
  const float x = rect.min.x + text_x;
  float y = rect.min.y + (h - lines_h) * 0.5f;
  if (joined) {
    text_at(bold, ImVec2(x, y), t.text, first);
    y += bold->FontSize;
  } else {
    text_at(bold, ImVec2(x, y), t.text, ellipsize(bold, row.number, room));
    y += bold->FontSize;
    if (!row.customer.empty()) {
      text_at(body, ImVec2(x, y), t.text, ellipsize(body, row.customer, room));
      y += body->FontSize;
    }
  }
  if (side_by_side) {
    text_at(small, ImVec2(x, y + (bold->FontSize - small->FontSize) * 0.5f), t.muted, row.when);
    text_at(bold, ImVec2(rect.max.x - t.pad - text_width(bold, row.state), y), c.ink, row.state);
  } else {
    for (const auto line : when) {
      text_at(small, ImVec2(x, y), t.muted, line);
      y += small->FontSize;
    }
    text_at(bold, ImVec2(x, y), c.ink, ellipsize(bold, row.state, room));
  }
  ImGui::SetCursorScreenPos(ImVec2(at.x, rect.max.y + t.gap * 0.6f));
}

void draw_search(const SearchView &v, std::vector<Action> &out) {
  const Theme &t = theme();
  const Rect area = draw_header(v.header, out);
  const bool has_keys = !v.keypad.rows.empty();
  const float left_w = has_keys ? std::floor(area.w() * 0.45f) : area.w();
  Flow f{area.min, left_w};
  f.text(fit(v.prompt, left_w, {t.fonts.bold, t.fonts.body}), t.text, v.prompt);
  field_box(f.take(t.fonts.big->FontSize + t.pad * 2), v.field, "");
  f.notice(Tone::bad, Icon::cross, v.error);
  const Rect list{f.pos, ImVec2(area.min.x + left_w, area.max.y)};
  if (v.rows.empty()) {
    Flow e{list.min, list.w()};
    e.notice(Tone::neutral, Icon::search, v.empty);
  } else {
    begin_scroll("##results", list);
    const float width = ImGui::GetContentRegionAvail().x;
    for (std::size_t i = 0; i < v.rows.size(); ++i) {
      ImGui::PushID(static_cast<int>(i));
      draw_result_row(v.rows[i], width, out);
      ImGui::PopID();
    }
    end_scroll();
  }
  if (has_keys) {
    keypad(v.keypad, Rect{ImVec2(area.min.x + left_w + t.pad * 1.5f, area.min.y), area.max}, out);
  }
}

void draw_today(const TodayView &v, std::vector<Action> &out) {
  const Theme &t = theme();
  const Rect area = draw_header(v.header, out);
  // The chart along the bottom, the refresh button beside it.
  const float chart_h = std::max(area.h() * 0.3f, t.fonts.small->FontSize * 5);
  const float buttons_w =
      v.buttons.empty()
          ? 0.0f
          : std::min(area.w() * 0.3f, t.button_h * 2.6f * static_cast<float>(v.buttons.size()));
  const float chart_y = area.max.y - chart_h;
  const Rect chart{ImVec2(area.min.x, chart_y),
                   ImVec2(area.max.x - (buttons_w > 0 ? buttons_w + t.pad : 0.0f), area.max.y)};
  if (!v.buttons.empty()) {
    const float bh = std::min(chart_h, t.button_h * 1.2f);
    button_row(
        v.buttons,
        Rect{ImVec2(area.max.x - buttons_w, area.max.y - bh), ImVec2(area.max.x, area.max.y)}, out);
  }
  hour_chart(v, chart);
  const float head_y = chart_y;

  float lists_bottom = head_y - t.gap;

  if (!v.error.empty()) {
    Flow f{ImVec2(area.min.x, 0), area.w()};
    const float h = f.notice_height(v.error);
    f.pos.y = lists_bottom - h;
    f.notice(Tone::bad, Icon::cross, v.error);
    lists_bottom -= h + t.gap;
  }
  const float col_w = std::floor((area.w() - t.pad * 2) / 3);
  const char *ids[] = {"##pending", "##collected", "##problems"};
  const std::string *titles[] = {&v.pending_title, &v.collected_title, &v.problems_title};
  const std::vector<ResultRow> *lists[] = {&v.pending, &v.collected, &v.problems};
  for (int i = 0; i < 3; ++i) {
    const float x = area.min.x + static_cast<float>(i) * (col_w + t.pad);
    titled_list(ids[i], *titles[i], *lists[i],
                Rect{ImVec2(x, area.min.y), ImVec2(x + col_w, lists_bottom)}, out);
  }
}

}  // namespace comptoir::ui::draw
