// The verdict, read from two metres: a full-width band in the tone's colour with an icon and
// the title in the largest font, then what to do next, the facts, the amount due, and the
// buttons along the bottom; see screens.hpp.
#include <algorithm>
#include <cmath>

#include "ui/draw/screens.hpp"

namespace comptoir::ui::draw {

// Columns for refusal reasons: buttons about 240 px wide at 800×480.
int reason_columns(float width) {
  return std::clamp(static_cast<int>(width / (240.0f * theme().scale)), 2, 4);
}

// The band with the icon and the title; returns its height.
float verdict_band(float top, Tone tone, Icon which, const std::string &title) {
  const Theme &t = theme();
  const Rect s = screen_rect();
  ImFont *font = t.fonts.huge;
  const float h = font->FontSize + t.pad * 2.4f;
  const float r = h * 0.36f;
  const float x0 = s.min.x + t.pad * 1.5f;
  const float text_x = which == Icon::none ? x0 : x0 + r * 2 + t.pad * 1.5f;
  const float room = s.max.x - t.pad * 1.5f - text_x;
  font = fit(title, room, {t.fonts.huge, t.fonts.big});
  ImDrawList *dl = ImGui::GetWindowDrawList();
  const ToneColours c = t.tone(tone);
  dl->AddRectFilled(ImVec2(s.min.x, top), ImVec2(s.max.x, top + h), c.fill);
  if (which != Icon::none) icon_badge(dl, which, ImVec2(x0 + r, top + h * 0.5f), r, tone);
  const auto lines = wrap_lines(font, title, room);
  float y = top + (h - font->FontSize * static_cast<float>(lines.size())) * 0.5f;
  for (const auto line : lines) {
    text_at(font, ImVec2(text_x, y), c.text, line);
    y += font->FontSize;
  }
  return h;
}

// The amount due, in large type in a warning box: words and money, never the colour alone.
void amount_box(Flow &f, const std::string &amount) {
  if (amount.empty()) return;
  const Theme &t = theme();
  ImFont *font = fit(amount, f.width - t.pad * 2, {t.fonts.big, t.fonts.bold});
  const Rect r = f.take(font->FontSize + t.pad * 1.4f);
  ImDrawList *dl = ImGui::GetWindowDrawList();
  const ToneColours c = t.tone(Tone::warning);
  framed_round_rect(dl, r.min, r.max, c.soft, c.ink, t.rounding, t.border);
  text_at(font, ImVec2(r.min.x + t.pad, r.min.y + t.pad * 0.7f), t.text, amount);
}

void draw_verdict(const VerdictView &v, std::vector<Action> &out) {
  const Theme &t = theme();
  const Rect area = draw_header(v.header, out);
  const float band_h = verdict_band(area.min.y - t.pad * 0.5f, v.tone, v.icon, v.title);
  const float buttons_h = v.buttons.empty() ? 0.0f : std::round(t.button_h * 1.1f);
  const float buttons_y = area.max.y - buttons_h;
  const Rect middle{ImVec2(area.min.x, area.min.y - t.pad * 0.5f + band_h + t.pad),
                    ImVec2(area.max.x, buttons_y - (buttons_h > 0 ? t.gap : 0.0f))};

  begin_scroll("##verdict", middle);
  const float width = ImGui::GetContentRegionAvail().x;
  // The largest type in which everything fits without scrolling: the sentence in the big
  // font on up to two lines, else bold; the facts in the body font, else small.
  const bool facts_shown = v.refuse_reasons.empty();
  Flow f{ImGui::GetCursorScreenPos(), width};
  auto height = [&](ImFont *sentence, ImFont *facts) {
    float h =
        sentence->FontSize * static_cast<float>(wrap_lines(sentence, v.sentence, width).size()) +
        t.gap * 0.5f;
    if (facts_shown) {
      for (const auto &fact : v.facts) {
        h += facts->FontSize * static_cast<float>(wrap_lines(facts, fact, width).size()) +
             t.gap * 0.5f;
      }
      if (!v.amount_due.empty()) h += t.fonts.big->FontSize + t.pad * 1.4f + t.gap;
    }
    for (const std::string *n : {&v.repeat, &v.queued, &v.error}) {
      if (!n->empty()) h += f.notice_height(*n) + t.gap;
    }
    return h;
  };
  ImFont *sentence_font = t.fonts.bold;
  ImFont *facts_font = t.fonts.small;
  for (const auto &[sf, ff] :
       {std::pair{t.fonts.big, t.fonts.body}, std::pair{t.fonts.bold, t.fonts.body},
        std::pair{t.fonts.bold, t.fonts.small}}) {
    if (wrap_lines(sf, v.sentence, width).size() <= 2 && height(sf, ff) <= middle.h()) {
      sentence_font = sf;
      facts_font = ff;
      break;
    }
  }
  f.text(sentence_font, t.text, v.sentence);
  if (facts_shown) {
    for (const auto &fact : v.facts) f.text(facts_font, t.text, fact);
    amount_box(f, v.amount_due);
  }
  f.notice(Tone::info, Icon::check, v.repeat);
  f.notice(Tone::info, Icon::box, v.queued);
  f.notice(Tone::bad, Icon::cross, v.error);
  if (!v.refuse_reasons.empty()) {
    const float h = button_grid(v.refuse_reasons, Rect{f.pos, ImVec2(f.pos.x + width, f.pos.y)},
                                reason_columns(width), out);
    f.take(h);
  }
  end_scroll();

  if (!v.buttons.empty()) {
    button_row(v.buttons, Rect{ImVec2(area.min.x, buttons_y), area.max}, out);
  }
}

}  // namespace comptoir::ui::draw
