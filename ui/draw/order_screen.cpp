// The order's lines, each a row with a large tick box to mark it missing, then the amount
// due and Remis / Remise partielle, Refuser, Retour; see screens.hpp.
#include <algorithm>
#include <cmath>

#include "ui/draw/screens.hpp"

namespace comptoir::ui::draw {
namespace {

// One line of the order; the whole row toggles "missing".
float order_line(const OrderLineView &line, ImVec2 at, float width, float label_w,
                 std::vector<Action> &out) {
  const Theme &t = theme();
  ImFont *small = t.fonts.small;
  ImFont *body = t.fonts.body;
  ImFont *bold = t.fonts.bold;
  const float box = std::round(t.button_h * 0.62f);
  const float left = t.pad + std::max(box, label_w) + t.pad;
  const float price_w = std::max(text_width(bold, line.price), width * 0.14f);
  const float qty_w = std::max(text_width(body, line.quantity), width * 0.18f);
  const float product_w = std::max(width - left - qty_w - price_w - t.pad * 3, width * 0.2f);
  const auto product = wrap_lines(bold, line.product, product_w);
  const float text_h =
      bold->FontSize * static_cast<float>(std::min<std::size_t>(product.size(), 3));
  const float h =
      std::max(t.button_h + t.pad * 0.5f, std::max(box + small->FontSize, text_h) + t.pad);
  const Rect row{at, ImVec2(at.x + width, at.y + h)};
  bool held = false;
  hit(line.toggle, row, out, &held);

  ImDrawList *dl = ImGui::GetWindowDrawList();
  const ToneColours bad = t.tone(Tone::bad);
  ImU32 fill = line.missing ? bad.soft : t.panel;
  if (held) fill = t.button_active;
  framed_round_rect(dl, row.min, row.max, fill, line.missing ? bad.ink : t.line, t.rounding,
                    line.missing ? t.border * 1.5f : t.border * 0.5f);
  // The tick box, its word under it ("manquant"), a cross in it when the line is missing.
  const float bx = row.min.x + t.pad + (std::max(box, label_w) - box) * 0.5f;
  const float by = row.min.y + (h - box - small->FontSize) * 0.5f;
  framed_round_rect(dl, ImVec2(bx, by), ImVec2(bx + box, by + box),
                    line.missing ? bad.fill : t.panel, line.missing ? bad.ink : t.text,
                    t.rounding * 0.5f, t.border * 1.5f);
  if (line.missing) {
    icon(dl, Icon::cross, ImVec2(bx + box * 0.5f, by + box * 0.5f), box * 0.5f, bad.text);
  }
  const float lw = text_width(small, line.toggle.label);
  text_at(small, ImVec2(row.min.x + t.pad + (std::max(box, label_w) - lw) * 0.5f, by + box),
          line.missing ? bad.ink : t.muted, line.toggle.label);

  // Product (struck through when missing), quantity, price.
  const ImU32 ink = line.missing ? t.muted : t.text;
  float y = row.min.y + (h - text_h) * 0.5f;
  const float px = row.min.x + left;
  for (std::size_t i = 0; i < product.size() && i < 3; ++i) {
    text_at(bold, ImVec2(px, y), ink, product[i]);
    if (line.missing) {
      const float w = text_width(bold, product[i]);
      dl->AddLine(ImVec2(px, y + bold->FontSize * 0.55f),
                  ImVec2(px + w, y + bold->FontSize * 0.55f), t.text, t.border);
    }
    y += bold->FontSize;
  }
  const float mid = row.min.y + (h - body->FontSize) * 0.5f;
  text_at(body, ImVec2(row.max.x - t.pad - price_w - t.pad - qty_w, mid), ink,
          ellipsize(body, line.quantity, qty_w));
  text_at(bold, ImVec2(row.max.x - t.pad - text_width(bold, line.price), mid), ink, line.price);
  return h;
}

}  // namespace

void draw_order(const OrderView &v, std::vector<Action> &out) {
  const Theme &t = theme();
  const Rect area = draw_header(v.header, out);
  ImDrawList *dl = ImGui::GetWindowDrawList();

  // The title with a bar of the order's tone, and the amount due on the right.
  ImFont *amount_font = t.fonts.big;
  const float amount_w = text_width(amount_font, v.amount_due);
  const bool amount_beside = amount_w + t.pad * 2 < area.w() * 0.45f;
  const float title_room = area.w() - t.pad * 2 - (amount_beside ? amount_w + t.pad * 2 : 0.0f);
  ImFont *title_font = fit(v.title, title_room, {t.fonts.big, t.fonts.bold, t.fonts.body});
  const float title_h = t.fonts.big->FontSize + t.pad;
  const ToneColours tone = t.tone(v.tone);
  dl->AddRectFilled(area.min, ImVec2(area.min.x + t.border * 4, area.min.y + title_h), tone.fill);
  text_at(title_font,
          ImVec2(area.min.x + t.pad * 1.5f, area.min.y + (title_h - title_font->FontSize) * 0.5f),
          t.text, ellipsize(title_font, v.title, title_room));
  float y = area.min.y + title_h + t.gap;
  if (amount_beside) {
    text_at(amount_font,
            ImVec2(area.max.x - amount_w, area.min.y + (title_h - amount_font->FontSize) * 0.5f),
            t.text, v.amount_due);
  }

  // Bottom up: the buttons, the summary (and the amount when it did not fit beside).
  const float buttons_h = v.buttons.empty() ? 0.0f : std::round(t.button_h * 1.1f);
  float bottom = area.max.y - buttons_h - (buttons_h > 0 ? t.gap : 0.0f);
  if (!v.buttons.empty()) {
    button_row(v.buttons, Rect{ImVec2(area.min.x, area.max.y - buttons_h), area.max}, out);
  }
  const std::string &summary = amount_beside ? v.summary : v.amount_and_summary;
  if (!summary.empty()) {
    ImFont *font = fit(summary, area.w(), {t.fonts.bold, t.fonts.body, t.fonts.small});
    bottom -= font->FontSize + t.gap * 0.5f;
    text_at(font, ImVec2(area.min.x, bottom), t.text, ellipsize(font, summary, area.w()));
    bottom -= t.gap * 0.5f;
  }
  if (!v.error.empty()) {
    // Measured, then drawn just above the summary.
    Flow f{ImVec2(area.min.x, bottom), area.w()};
    const float h = f.notice_height(v.error);
    f.pos.y = bottom - h - t.gap * 0.5f;
    f.notice(Tone::bad, Icon::cross, v.error);
    bottom -= h + t.gap;
  }

  begin_scroll("##lines", Rect{ImVec2(area.min.x, y), ImVec2(area.max.x, bottom)});
  const float width = ImGui::GetContentRegionAvail().x;
  ImVec2 at = ImGui::GetCursorScreenPos();
  if (!v.refuse_reasons.empty()) {
    const float h = button_grid(v.refuse_reasons, Rect{at, ImVec2(at.x + width, at.y)},
                                reason_columns(width), out);
    ImGui::SetCursorScreenPos(at);
    ImGui::Dummy(ImVec2(width, h));
  } else {
    // One width for the tick boxes' column, whatever each line's word, so the products line
    // up and do not move when a line is ticked.
    float label_w = std::round(std::max(width * 0.16f, t.button_h));
    for (const auto &line : v.lines) {
      label_w = std::max(label_w, text_width(t.fonts.small, line.toggle.label));
    }
    for (const auto &line : v.lines) {
      ImGui::PushID(line.line_no);
      const float h = order_line(line, at, width, label_w, out);
      ImGui::PopID();
      at.y += h + t.gap * 0.6f;
    }
  }
  end_scroll();
}

}  // namespace comptoir::ui::draw
