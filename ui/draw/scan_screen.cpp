// The scan screen: the prompt, the code field and the undo bar on the left, the keypad on
// the right; see screens.hpp.
#include <algorithm>
#include <cmath>

#include "ui/draw/screens.hpp"

namespace comptoir::ui::draw {

void draw_scan(const ScanView &v, std::vector<Action> &out) {
  const Theme &t = theme();
  const Rect area = draw_header(v.header, out);
  const bool has_keys = !v.keypad.rows.empty();
  // The keypad gets the larger half: ten keys a row must stay finger-wide.
  const float left_w = has_keys ? std::floor(area.w() * 0.43f) : area.w();

  Flow f{area.min, left_w};
  f.text(t.fonts.big, t.text, v.prompt);  // two lines if need be: it is what to do
  f.text(t.fonts.body, t.muted, v.hint);
  f.space(t.gap * 0.5f);
  field_box(f.take(t.fonts.big->FontSize + t.pad * 2), v.field, "");
  f.notice(Tone::bad, Icon::cross, v.error);

  if (v.undo) {
    // At the bottom of the column: what was handed over, the time left, and Annuler.
    ImFont *font = t.fonts.body;
    const float button_w = std::max(left_w * 0.32f, t.button_h * 1.8f);
    const auto lines = wrap_lines(font, v.undo->text, left_w - button_w - t.pad * 3);
    const float h =
        std::max(t.button_h, font->FontSize * static_cast<float>(lines.size())) + t.pad * 1.2f;
    const Rect bar{ImVec2(area.min.x, std::max(f.pos.y, area.max.y - h)),
                   ImVec2(area.min.x + left_w, std::max(f.pos.y, area.max.y - h) + h)};
    const ToneColours c = t.tone(Tone::info);
    ImDrawList *dl = ImGui::GetWindowDrawList();
    framed_round_rect(dl, bar.min, bar.max, c.soft, c.ink, t.rounding, t.border);
    float y = bar.min.y + (bar.h() - font->FontSize * static_cast<float>(lines.size())) * 0.5f;
    for (const auto line : lines) {
      text_at(font, ImVec2(bar.min.x + t.pad, y), t.text, line);
      y += font->FontSize;
    }
    const float by = bar.min.y + (bar.h() - t.button_h) * 0.5f;
    button_at(v.undo->undo,
              Rect{ImVec2(bar.max.x - t.pad * 0.6f - button_w, by),
                   ImVec2(bar.max.x - t.pad * 0.6f, by + t.button_h)},
              out);
  }

  if (has_keys) {
    keypad(v.keypad, Rect{ImVec2(area.min.x + left_w + t.pad * 1.5f, area.min.y), area.max}, out);
  }
}

void draw_pin(const PinView &v, std::vector<Action> &out) {
  // No header: the technician's door. The prompt, the dots and Retour on the left, the
  // digits on the right.
  const Theme &t = theme();
  const Rect s = screen_rect();
  const Rect area{ImVec2(s.min.x + t.pad * 2, s.min.y + t.pad * 2),
                  ImVec2(s.max.x - t.pad * 2, s.max.y - t.pad * 2)};
  const float left_w = std::floor(area.w() * 0.45f);
  Flow f{area.min, left_w};
  const float r = t.fonts.big->FontSize;
  icon_badge(ImGui::GetWindowDrawList(), Icon::lock, ImVec2(f.pos.x + r, f.pos.y + r), r,
             Tone::info);
  f.space(r * 2 + t.gap);
  f.text(fit(v.prompt, left_w, {t.fonts.big, t.fonts.bold}), t.text, v.prompt);
  f.space(t.gap);
  field_box(f.take(t.fonts.big->FontSize + t.pad * 2), v.dots, "");
  f.notice(Tone::bad, Icon::warning, v.error);
  if (!v.buttons.empty()) {
    button_row(
        v.buttons,
        Rect{ImVec2(area.min.x, std::max(f.pos.y, area.max.y - t.button_h)),
             ImVec2(area.min.x + left_w, std::max(f.pos.y, area.max.y - t.button_h) + t.button_h)},
        out);
  }
  keypad(v.keypad, Rect{ImVec2(area.min.x + left_w + t.pad * 3, area.min.y), area.max}, out);
}

}  // namespace comptoir::ui::draw
