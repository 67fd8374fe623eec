// The technician's screen: scanners found and their layouts with what to fix, the
// appliance's facts, the self-test, and the buttons (self-test, language, lock); or, while
// an enrolment is asked about, under way or answered, that alone with its buttons; see
// screens.hpp.
#include <algorithm>
#include <cmath>

#include "ui/draw/screens.hpp"

namespace comptoir::ui::draw {
namespace {

void device_row(Flow &f, const DeviceRow &d) {
  const Theme &t = theme();
  const ToneColours c = t.tone(d.tone);
  ImDrawList *dl = ImGui::GetWindowDrawList();
  const float start = f.pos.y;
  const float indent = t.border * 3 + t.pad * 0.6f;
  Flow in{ImVec2(f.pos.x + indent, f.pos.y + t.pad * 0.4f), f.width - indent - t.pad * 0.5f};
  in.text(t.fonts.bold, t.text, d.name);
  in.text(t.fonts.body, c.ink, d.state);
  in.text(t.fonts.small, t.muted, d.layout);
  in.notice(Tone::warning, Icon::warning, d.fix, t.fonts.small);
  const float end = in.pos.y;
  dl->AddRectFilled(ImVec2(f.pos.x, start), ImVec2(f.pos.x + t.border * 3, end - t.gap * 0.5f),
                    c.fill);
  f.pos.y = end + t.gap * 0.5f;
}

void self_test_row(Flow &f, const SelfTestItem &item) {
  const Theme &t = theme();
  const Tone tone = item.ok ? Tone::good : Tone::bad;
  const ToneColours c = t.tone(tone);
  ImFont *bold = t.fonts.bold;
  const float r = bold->FontSize * 0.5f;
  icon(ImGui::GetWindowDrawList(), item.ok ? Icon::check : Icon::cross,
       ImVec2(f.pos.x + r, f.pos.y + r), r, c.ink);
  Flow in{ImVec2(f.pos.x + r * 2 + t.pad * 0.6f, f.pos.y), f.width - r * 2 - t.pad * 0.6f};
  in.text(bold, t.text, item.name);
  in.text(t.fonts.small, item.ok ? t.muted : c.ink, item.detail);
  f.pos.y = in.pos.y + t.gap * 0.5f;
}

// The enrolment's panel across the screen: its icon, title and text, and under way a row
// of four dots, one lit, moving every half second.
void enrol_panel(const EnrolPanel &p, const Rect &area) {
  const Theme &t = theme();
  const ToneColours c = t.tone(p.tone);
  begin_scroll("##enrol", area);
  {
    const float width = ImGui::GetContentRegionAvail().x;
    ImDrawList *dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float r = t.fonts.big->FontSize * 0.6f;
    icon_badge(dl, p.icon, ImVec2(origin.x + t.pad + r, origin.y + t.pad + r), r, p.tone);
    const float indent = t.pad * 2 + r * 2;
    Flow f{ImVec2(origin.x + indent, origin.y + t.pad), width - indent - t.pad};
    // On one line when it can be: a portal's host:port is never broken at a dot.
    f.text(fit(p.title, f.width, {t.fonts.big, t.fonts.bold}), c.ink, p.title);
    f.space(t.gap);
    f.text(t.fonts.body, t.text, p.text);
    if (p.busy_step >= 0) {
      f.space(t.gap);
      const Rect dots = f.take(t.fonts.body->FontSize);
      const float d = t.fonts.body->FontSize * 0.3f;
      for (int i = 0; i < 4; ++i) {
        const ImVec2 at(dots.min.x + d + static_cast<float>(i) * d * 3.5f, dots.min.y + d * 1.5f);
        dl->AddCircleFilled(at, i == p.busy_step ? d : d * 0.6f,
                            i == p.busy_step ? c.ink : t.muted);
      }
    }
  }
  end_scroll();
}

}  // namespace

void draw_technician(const TechnicianView &v, std::vector<Action> &out) {
  const Theme &t = theme();
  const Rect area = draw_header(v.header, out);
  const float buttons_h = v.buttons.empty() ? 0.0f : t.button_h;
  if (!v.buttons.empty()) {
    button_row(v.buttons, Rect{ImVec2(area.min.x, area.max.y - buttons_h), area.max}, out);
  }
  const float bottom = area.max.y - buttons_h - (buttons_h > 0 ? t.gap : 0.0f);
  if (v.enrol) {
    enrol_panel(*v.enrol, Rect{area.min, ImVec2(area.max.x, bottom)});
    return;
  }
  const float col_w = std::floor((area.w() - t.pad) / 2);

  // Left: the devices, then the facts (version, data directory, config...).
  begin_scroll("##devices", Rect{area.min, ImVec2(area.min.x + col_w, bottom)});
  {
    const float width = ImGui::GetContentRegionAvail().x;
    Flow f{ImGui::GetCursorScreenPos(), width};
    if (!v.enrolment.empty()) {
      f.notice(v.enrolment_tone, v.enrolment_tone == Tone::good ? Icon::check : Icon::warning,
               v.enrolment, t.fonts.bold);
      f.space(t.gap * 0.5f);
    }
    for (const auto &d : v.devices) device_row(f, d);
    if (v.devices.empty()) f.notice(Tone::warning, Icon::warning, v.devices_empty);
    f.space(t.gap);
    for (const auto &[label, value] : v.facts) {
      f.text(t.fonts.small, t.muted, label);
      f.text(t.fonts.body, t.text, value);
    }
  }
  end_scroll();

  // Right: the self-test.
  begin_scroll("##selftest",
               Rect{ImVec2(area.max.x - col_w, area.min.y), ImVec2(area.max.x, bottom)});
  {
    const float width = ImGui::GetContentRegionAvail().x;
    Flow f{ImGui::GetCursorScreenPos(), width};
    f.text(t.fonts.bold, t.text, v.self_test_summary);
    for (const auto &item : v.self_test) self_test_row(f, item);
  }
  end_scroll();
}

}  // namespace comptoir::ui::draw
