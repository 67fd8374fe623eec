// Buttons, keypad, icons, text columns and scroll regions; see widgets.hpp.
#include "ui/draw/widgets.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

namespace comptoir::ui::draw {
namespace {

constexpr float kPi = 3.14159265f;

ImU32 mix(ImU32 a, ImU32 b, float t) {
  const ImVec4 x = ImGui::ColorConvertU32ToFloat4(a);
  const ImVec4 y = ImGui::ColorConvertU32ToFloat4(b);
  return ImGui::ColorConvertFloat4ToU32(ImVec4(x.x + (y.x - x.x) * t, x.y + (y.y - x.y) * t,
                                               x.z + (y.z - x.z) * t, x.w + (y.w - x.w) * t));
}

const char *end_of(std::string_view s) {
  return s.data() + s.size();
}

// Reserves `size` at `pos` in the current window, so a scroll region counts it.
void reserve(ImVec2 pos, ImVec2 size) {
  ImGui::SetCursorScreenPos(pos);
  ImGui::Dummy(size);
}

// The button's ImGui id: stable from frame to frame although the view-model is rebuilt
// every frame (a press and its release land in two frames), and distinct for buttons with
// the same label (a row's "Ouvrir").
std::string button_id(const Button &b) {
  std::string id = "##";
  id += b.label;
  id += '|';
  id += std::to_string(static_cast<int>(b.action.kind));
  id += '|';
  id += std::to_string(b.action.line);
  id += '|';
  id += b.action.text;
  id += '|';
  id += b.action.order;
  return id;
}

// A press that turned into a drag (a finger scrolling a list) is not a press.
bool was_tap() {
  const float limit = theme().button_h * 0.4f;
  return ImGui::GetIO().MouseDragMaxDistanceSqr[0] <= limit * limit;
}

// Draws `lines` centred in `r` with `font`.
void centered_lines(ImDrawList *dl, ImFont *font, const std::vector<std::string_view> &lines,
                    const Rect &r, ImU32 colour) {
  const float lh = font->FontSize;
  float y = r.min.y + (r.h() - lh * static_cast<float>(lines.size())) * 0.5f;
  for (const auto line : lines) {
    const float w = text_width(font, line);
    const float x = r.min.x + std::max(0.0f, (r.w() - w) * 0.5f);
    dl->AddText(font, lh, ImVec2(std::floor(x), std::floor(y)), colour, line.data(), end_of(line));
    y += lh;
  }
}

// The label's font and lines so it fits the button: one line in bold when it can, else two
// lines, else smaller.
std::vector<std::string_view> fit_label(std::string_view label, const Rect &inner, ImFont *&font) {
  const Theme &t = theme();
  std::vector<ImFont *> choices;
  if (font) choices.push_back(font);
  for (ImFont *f : {t.fonts.bold, t.fonts.body, t.fonts.small}) {
    if (!font || f->FontSize < font->FontSize) choices.push_back(f);
  }
  for (ImFont *f : choices) {
    auto lines = wrap_lines(f, label, inner.w());
    const float h = f->FontSize * static_cast<float>(lines.size());
    bool fits = h <= inner.h() + 1.0f;
    for (const auto line : lines) fits = fits && text_width(f, line) <= inner.w() + 0.5f;
    // A word cut in two ("Effa/cer") is worse than a smaller font.
    std::size_t words = 1;
    for (const char c : label) words += c == ' ' ? 1 : 0;
    fits = fits && lines.size() <= words;
    if (fits) {
      font = f;
      return lines;
    }
  }
  font = choices.back();
  return wrap_lines(font, label, inner.w());
}

}  // namespace

Rect screen_rect() {
  const ImGuiViewport *vp = ImGui::GetMainViewport();
  return {vp->Pos, ImVec2(vp->Pos.x + vp->Size.x, vp->Pos.y + vp->Size.y)};
}

float text_width(ImFont *font, std::string_view text) {
  return font->CalcTextSizeA(font->FontSize, FLT_MAX, 0.0f, text.data(), end_of(text)).x;
}

std::string ellipsize(ImFont *font, std::string_view text, float width) {
  if (text_width(font, text) <= width) return std::string(text);
  static constexpr std::string_view kDots = "…";
  const float room = width - text_width(font, kDots);
  std::size_t end = text.size();
  while (end > 0) {
    --end;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (text_width(font, text.substr(0, end)) <= room) break;
  }
  std::string out(text.substr(0, end));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + std::string(kDots);
}

void text_at(ImFont *font, ImVec2 pos, ImU32 colour, std::string_view text) {
  ImGui::GetWindowDrawList()->AddText(font, font->FontSize,
                                      ImVec2(std::floor(pos.x), std::floor(pos.y)), colour,
                                      text.data(), end_of(text));
}

ImFont *fit(std::string_view text, float width, std::initializer_list<ImFont *> fonts) {
  ImFont *last = nullptr;
  for (ImFont *f : fonts) {
    last = f;
    if (text_width(f, text) <= width) return f;
  }
  return last;
}

ImFont *fit_lines(std::string_view text, float width, std::size_t lines,
                  std::initializer_list<ImFont *> fonts) {
  ImFont *last = nullptr;
  for (ImFont *f : fonts) {
    last = f;
    if (wrap_lines(f, text, width).size() <= lines) return f;
  }
  return last;
}

std::vector<std::string_view> wrap_lines(ImFont *font, std::string_view text, float width) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::string_view para =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    const char *s = para.data();
    const char *e = end_of(para);
    if (s == e) lines.push_back(para);
    while (s < e) {
      const char *cut = font->CalcWordWrapPositionA(1.0f, s, e, std::max(width, 1.0f));
      if (cut == s) {
        // Not even one character fits: take one whole UTF-8 character anyway.
        ++cut;
        while (cut < e && (static_cast<unsigned char>(*cut) & 0xC0) == 0x80) ++cut;
      }
      std::string_view line(s, static_cast<std::size_t>(cut - s));
      while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
      lines.push_back(line);
      s = cut;
      while (s < e && *s == ' ') ++s;
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

float Flow::text(ImFont *font, ImU32 colour, std::string_view s, bool center) {
  if (s.empty()) return 0.0f;
  ImDrawList *dl = ImGui::GetWindowDrawList();
  const auto lines = wrap_lines(font, s, width);
  const float lh = font->FontSize;
  float y = pos.y;
  for (const auto line : lines) {
    float x = pos.x;
    if (center) x += std::max(0.0f, (width - text_width(font, line)) * 0.5f);
    dl->AddText(font, lh, ImVec2(std::floor(x), std::floor(y)), colour, line.data(), end_of(line));
    y += lh;
  }
  const float h = y - pos.y;
  reserve(pos, ImVec2(width, h));
  pos.y += h + theme().gap * 0.5f;
  return h;
}

float Flow::notice(Tone tone, Icon which, std::string_view s, ImFont *font) {
  if (s.empty()) return 0.0f;
  const Theme &t = theme();
  if (!font) font = t.fonts.body;
  const ToneColours c = t.tone(tone);
  const float inset = t.pad * 0.7f;
  const float r = font->FontSize * 0.55f;
  const float text_x = inset * 2 + r * 2 + t.border * 2;
  const auto lines = wrap_lines(font, s, width - text_x - inset);
  const float h = std::max(font->FontSize * static_cast<float>(lines.size()), r * 2) + inset * 2;
  ImDrawList *dl = ImGui::GetWindowDrawList();
  const ImVec2 a = pos;
  const ImVec2 b(pos.x + width, pos.y + h);
  fill_round_rect(dl, a, b, c.soft, t.rounding);
  dl->AddRectFilled(a, ImVec2(a.x + t.border * 3, b.y), c.ink, t.rounding,
                    ImDrawFlags_RoundCornersLeft);
  icon(dl, which, ImVec2(a.x + inset + r + t.border * 2, a.y + inset + r), r, c.ink);
  float y = a.y + inset;
  for (const auto line : lines) {
    dl->AddText(font, font->FontSize, ImVec2(std::floor(a.x + text_x), std::floor(y)), t.text,
                line.data(), end_of(line));
    y += font->FontSize;
  }
  reserve(pos, ImVec2(width, h));
  pos.y += h + t.gap;
  return h;
}

void Flow::space(float h) {
  pos.y += h;
}

float Flow::notice_height(std::string_view s, ImFont *font) const {
  if (s.empty()) return 0.0f;
  const Theme &t = theme();
  if (!font) font = t.fonts.body;
  const float inset = t.pad * 0.7f;
  const float r = font->FontSize * 0.55f;
  const float text_x = inset * 2 + r * 2 + t.border * 2;
  const auto lines = wrap_lines(font, s, width - text_x - inset);
  return std::max(font->FontSize * static_cast<float>(lines.size()), r * 2) + inset * 2;
}

Rect Flow::take(float h) {
  Rect r{pos, ImVec2(pos.x + width, pos.y + h)};
  reserve(pos, ImVec2(width, h));
  pos.y += h + theme().gap;
  return r;
}

bool button(const Button &b, ImVec2 size, std::vector<Action> &out, ImFont *font) {
  const Theme &t = theme();
  size.x = std::max(size.x, 1.0f);
  size.y = std::max(size.y, 1.0f);
  if (!b.enabled) ImGui::BeginDisabled();
  const bool clicked = ImGui::InvisibleButton(button_id(b).c_str(), size);
  const bool pressed = clicked && b.enabled && was_tap();
  const bool held = ImGui::IsItemActive();
  const bool hovered = ImGui::IsItemHovered();
  if (!b.enabled) ImGui::EndDisabled();
  const Rect r{ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};

  const ToneColours c = t.tone(b.tone);
  ImU32 fill = t.button;
  ImU32 text = t.text;
  ImU32 edge = t.button_border;
  float edge_w = t.border;
  if (!b.enabled) {
    fill = IM_COL32(0xEC, 0xEC, 0xE8, 0xFF);
    text = IM_COL32(0x70, 0x70, 0x6C, 0xFF);
    edge = IM_COL32(0xB0, 0xB0, 0xAA, 0xFF);
  } else if (b.primary) {
    fill = c.fill;
    text = c.text;
    edge = mix(c.fill, IM_COL32(0, 0, 0, 0xFF), 0.35f);
  } else if (b.tone != Tone::neutral) {
    fill = c.soft;
    edge = c.ink;
    edge_w = t.border * 1.5f;
  }
  if (b.enabled && held) {
    fill = mix(fill, IM_COL32(0, 0, 0, 0xFF), 0.18f);
  } else if (b.enabled && hovered) {
    fill = mix(fill, IM_COL32(0, 0, 0, 0xFF), 0.07f);
  }
  ImDrawList *dl = ImGui::GetWindowDrawList();
  framed_round_rect(dl, r.min, r.max, fill, edge, t.rounding, edge_w);
  const float inset = std::min(t.pad, r.w() * 0.1f);
  const Rect inner{ImVec2(r.min.x + inset, r.min.y + inset * 0.5f),
                   ImVec2(r.max.x - inset, r.max.y - inset * 0.5f)};
  // The primary button's word (Remis) in the large type when it fits.
  ImFont *f = font ? font : (b.primary ? t.fonts.big : nullptr);
  const auto lines = fit_label(b.label, inner, f);
  centered_lines(dl, f, lines, inner, text);
  if (pressed) out.push_back(b.action);
  return pressed;
}

bool hit(const Button &b, const Rect &rect, std::vector<Action> &out, bool *held) {
  ImGui::SetCursorScreenPos(rect.min);
  if (!b.enabled) ImGui::BeginDisabled();
  const bool clicked = ImGui::InvisibleButton(
      button_id(b).c_str(), ImVec2(std::max(rect.w(), 1.0f), std::max(rect.h(), 1.0f)));
  const bool pressed = clicked && b.enabled && was_tap();
  if (held) *held = b.enabled && ImGui::IsItemActive();
  if (!b.enabled) ImGui::EndDisabled();
  if (pressed) out.push_back(b.action);
  return pressed;
}

bool button_at(const Button &b, const Rect &rect, std::vector<Action> &out, ImFont *font) {
  ImGui::SetCursorScreenPos(rect.min);
  return button(b, ImVec2(rect.w(), rect.h()), out, font);
}

void button_row(const std::vector<Button> &buttons, const Rect &rect, std::vector<Action> &out) {
  if (buttons.empty()) return;
  const Theme &t = theme();
  float weights = 0;
  for (const auto &b : buttons) weights += b.primary ? 2.0f : 1.0f;
  const float room = rect.w() - t.gap * static_cast<float>(buttons.size() - 1);
  float x = rect.min.x;
  for (const auto &b : buttons) {
    const float w = std::floor(room * (b.primary ? 2.0f : 1.0f) / weights);
    button_at(b, Rect{ImVec2(x, rect.min.y), ImVec2(x + w, rect.max.y)}, out);
    x += w + t.gap;
  }
}

float button_grid(const std::vector<Button> &buttons, const Rect &rect, int columns,
                  std::vector<Action> &out) {
  if (buttons.empty()) return 0.0f;
  const Theme &t = theme();
  columns = std::max(1, columns);
  const float w = std::floor((rect.w() - t.gap * static_cast<float>(columns - 1)) /
                             static_cast<float>(columns));
  float y = rect.min.y;
  for (std::size_t i = 0; i < buttons.size(); ++i) {
    const int col = static_cast<int>(i % static_cast<std::size_t>(columns));
    if (col == 0 && i > 0) y += t.button_h + t.gap;
    const float x = rect.min.x + static_cast<float>(col) * (w + t.gap);
    button_at(buttons[i], Rect{ImVec2(x, y), ImVec2(x + w, y + t.button_h)}, out);
  }
  return y + t.button_h - rect.min.y;
}

void keypad(const KeypadView &keys, const Rect &rect, std::vector<Action> &out) {
  if (keys.rows.empty()) return;
  const Theme &t = theme();
  const float gap = std::round(t.gap * 0.75f);
  const auto rows = static_cast<float>(keys.rows.size());
  const float key_h = std::min((rect.h() - gap * (rows - 1)) / rows, t.button_h * 1.35f);
  const float top = rect.max.y - (key_h * rows + gap * (rows - 1));  // keys sit at the bottom
  // Keys with a word (Effacer, Espace) and the OK key count double, so their words fit.
  auto weight = [](const Button &b) { return b.label.size() > 3 || b.primary ? 2.0f : 1.0f; };
  // One font for every single-character key: the big one when the widest key fits in it.
  ImFont *char_font = t.fonts.big;
  for (const auto &row : keys.rows) {
    float units = 0;
    for (const auto &b : row) units += weight(b);
    const float unit = (rect.w() - gap * static_cast<float>(row.size() - 1)) / units;
    for (const auto &b : row) {
      if (b.label.size() <= 3 && text_width(t.fonts.big, b.label) > unit - t.pad) {
        char_font = t.fonts.bold;
      }
    }
  }
  float y = top;
  for (const auto &row : keys.rows) {
    if (row.empty()) continue;
    float units = 0;
    for (const auto &b : row) units += weight(b);
    const float unit = (rect.w() - gap * static_cast<float>(row.size() - 1)) / units;
    float x = rect.min.x;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const Button &b = row[i];
      // The last key ends flush with the keypad's edge whatever the rounding.
      const float w = i + 1 == row.size() ? rect.max.x - x : std::floor(unit * weight(b));
      ImFont *f = b.label.size() <= 3 ? char_font : t.fonts.bold;
      button_at(b, Rect{ImVec2(x, y), ImVec2(x + w, y + key_h)}, out, f);
      x += w + gap;
    }
    y += key_h + gap;
  }
}

namespace {

// A quarter disc at centre `c`, from angle `a0` on, with its anti-aliased rim along the arc
// only: a fan to r - 0.5 and a ring from there (the colour) to r + 0.5 (transparent), the
// ring kept inside the rounded rectangle's box [lo, hi]. The two straight sides are hard.
// ImGui's own anti-aliased fill puts a fringe along the straight sides too, mitred where
// they meet the arc, reaching half a pixel past the box at both ends of every arc; and SDL's
// software renderer truncates vertices to whole pixels, which moves that half pixel up and
// left onto a pixel of its own: a grey outline round the top-left corner of every button.
void quarter_disc(ImDrawList *dl, ImVec2 c, float r, float a0, ImU32 colour, ImVec2 lo, ImVec2 hi) {
  const int n = std::clamp(static_cast<int>(r * 0.5f), 4, 12);  // segments of the arc
  const ImVec2 uv = ImGui::GetFontTexUvWhitePixel();
  const ImU32 clear = colour & ~IM_COL32_A_MASK;
  const int vertices = 1 + 2 * (n + 1);
  dl->PrimReserve(9 * n, vertices);
  const auto base = static_cast<unsigned>(dl->_VtxCurrentIdx);
  auto idx = [&](int k) {
    dl->PrimWriteIdx(static_cast<ImDrawIdx>(base + static_cast<unsigned>(k)));
  };
  // Vertex 0: the centre; 1 + 2i: the arc's inner point i; 2 + 2i: its outer point.
  for (int i = 0; i < n; ++i) {
    const int in0 = 1 + 2 * i;
    const int out0 = in0 + 1;
    const int in1 = in0 + 2;
    const int out1 = in0 + 3;
    idx(0);
    idx(in0);
    idx(in1);
    idx(in0);
    idx(out0);
    idx(out1);
    idx(in0);
    idx(out1);
    idx(in1);
  }
  dl->PrimWriteVtx(c, uv, colour);
  // On whole pixels, rounded the same way on every side (std::round is symmetric about 0):
  // the software renderer's truncation then changes nothing, and the right and bottom
  // corners mirror the left and top ones instead of being pulled in by a pixel.
  const float inner = std::max(0.0f, r - 0.5f);
  const float outer = r + 0.5f;
  for (int i = 0; i <= n; ++i) {
    const float t = a0 + kPi * 0.5f * static_cast<float>(i) / static_cast<float>(n);
    const float dx = std::cos(t);
    const float dy = std::sin(t);
    dl->PrimWriteVtx(ImVec2(c.x + std::round(dx * inner), c.y + std::round(dy * inner)), uv,
                     colour);
    dl->PrimWriteVtx(ImVec2(std::clamp(c.x + std::round(dx * outer), lo.x, hi.x),
                            std::clamp(c.y + std::round(dy * outer), lo.y, hi.y)),
                     uv, clear);
  }
}

}  // namespace

void fill_round_rect(ImDrawList *dl, ImVec2 a, ImVec2 b, ImU32 colour, float rounding) {
  // Whole pixels, so the pieces meet with no seam.
  a = ImVec2(std::round(a.x), std::round(a.y));
  b = ImVec2(std::round(b.x), std::round(b.y));
  const float r = std::floor(std::min({rounding, (b.x - a.x) * 0.5f, (b.y - a.y) * 0.5f}));
  if (r < 1.0f) {
    dl->AddRectFilled(a, b, colour);
    return;
  }
  // The corners first; then the rectangles, reaching a pixel into the corner squares so no
  // seam shows between them (the colours are opaque: the overlap does not show).
  const ImVec2 centres[] = {ImVec2(a.x + r, a.y + r), ImVec2(b.x - r, a.y + r),
                            ImVec2(b.x - r, b.y - r), ImVec2(a.x + r, b.y - r)};
  const float starts[] = {kPi, kPi * 1.5f, 0.0f, kPi * 0.5f};
  for (int i = 0; i < 4; ++i) quarter_disc(dl, centres[i], r, starts[i], colour, a, b);
  dl->AddRectFilled(ImVec2(a.x, a.y + r - 1), ImVec2(b.x, b.y - r + 1), colour);
  dl->AddRectFilled(ImVec2(a.x + r - 1, a.y), ImVec2(b.x - r + 1, a.y + r), colour);
  dl->AddRectFilled(ImVec2(a.x + r - 1, b.y - r), ImVec2(b.x - r + 1, b.y), colour);
}

void framed_round_rect(ImDrawList *dl, ImVec2 a, ImVec2 b, ImU32 fill, ImU32 edge, float rounding,
                       float thickness) {
  const float th = std::max(1.0f, std::round(thickness));
  a = ImVec2(std::round(a.x), std::round(a.y));
  b = ImVec2(std::round(b.x), std::round(b.y));
  fill_round_rect(dl, a, b, edge, rounding);
  fill_round_rect(dl, ImVec2(a.x + th, a.y + th), ImVec2(b.x - th, b.y - th), fill,
                  std::max(0.0f, rounding - th));
}

void icon(ImDrawList *dl, Icon which, ImVec2 c, float r, ImU32 col) {
  const float th = std::max(2.0f, r * 0.17f);
  auto p = [&](float x, float y) { return ImVec2(c.x + x * r, c.y + y * r); };
  switch (which) {
    case Icon::none:
      break;
    case Icon::check: {
      const ImVec2 pts[] = {p(-0.5f, 0.02f), p(-0.15f, 0.38f), p(0.52f, -0.38f)};
      dl->AddPolyline(pts, 3, col, 0, th * 1.2f);
      break;
    }
    case Icon::cross:
      dl->AddLine(p(-0.4f, -0.4f), p(0.4f, 0.4f), col, th * 1.2f);
      dl->AddLine(p(0.4f, -0.4f), p(-0.4f, 0.4f), col, th * 1.2f);
      break;
    case Icon::clock:
      dl->AddCircle(c, r * 0.68f, col, 0, th);
      dl->AddLine(c, p(0.0f, -0.48f), col, th);
      dl->AddLine(c, p(0.34f, 0.0f), col, th);
      dl->AddCircleFilled(c, th * 0.8f, col);
      break;
    case Icon::warning: {
      const ImVec2 a = p(0.0f, -0.62f), b = p(0.66f, 0.5f), d = p(-0.66f, 0.5f);
      dl->AddTriangle(a, b, d, col, th);
      dl->AddLine(p(0.0f, -0.26f), p(0.0f, 0.14f), col, th * 1.1f);
      dl->AddCircleFilled(p(0.0f, 0.31f), th * 0.75f, col);
      break;
    }
    case Icon::question: {
      // The hook of the question mark: an arc, a stem, a dot.
      dl->PathArcTo(p(0.0f, -0.2f), r * 0.32f, kPi * 1.0f, kPi * 2.35f, 16);
      dl->PathLineTo(p(0.0f, 0.18f));
      dl->PathStroke(col, 0, th * 1.1f);
      dl->AddCircleFilled(p(0.0f, 0.42f), th * 0.8f, col);
      break;
    }
    case Icon::lock:
      dl->PathArcTo(p(0.0f, -0.15f), r * 0.3f, kPi, kPi * 2.0f, 12);
      dl->PathStroke(col, 0, th);
      dl->AddLine(p(-0.3f, -0.15f), p(-0.3f, 0.02f), col, th);
      dl->AddLine(p(0.3f, -0.15f), p(0.3f, 0.02f), col, th);
      dl->AddRectFilled(p(-0.48f, 0.0f), p(0.48f, 0.58f), col, r * 0.08f);
      break;
    case Icon::search:
      dl->AddCircle(p(-0.12f, -0.12f), r * 0.36f, col, 0, th);
      dl->AddLine(p(0.14f, 0.14f), p(0.5f, 0.5f), col, th * 1.3f);
      break;
    case Icon::box:
      dl->AddRect(p(-0.5f, -0.25f), p(0.5f, 0.5f), col, 0, 0, th);
      dl->AddRect(p(-0.58f, -0.5f), p(0.58f, -0.25f), col, 0, 0, th);
      dl->AddLine(p(0.0f, -0.5f), p(0.0f, 0.5f), col, th);
      break;
    case Icon::sync: {
      // Two arrows chasing each other round a circle.
      const float rr = r * 0.5f;
      dl->PathArcTo(c, rr, kPi * 1.1f, kPi * 1.85f, 10);
      dl->PathStroke(col, 0, th);
      dl->PathArcTo(c, rr, kPi * 0.1f, kPi * 0.85f, 10);
      dl->PathStroke(col, 0, th);
      auto head = [&](float angle, float dir) {
        const ImVec2 tip(c.x + std::cos(angle) * rr, c.y + std::sin(angle) * rr);
        const ImVec2 tan(-std::sin(angle) * dir, std::cos(angle) * dir);
        const ImVec2 rad(std::cos(angle), std::sin(angle));
        const float s = r * 0.22f;
        dl->AddTriangleFilled(ImVec2(tip.x + tan.x * s, tip.y + tan.y * s),
                              ImVec2(tip.x + rad.x * s * 0.8f - tan.x * s * 0.2f,
                                     tip.y + rad.y * s * 0.8f - tan.y * s * 0.2f),
                              ImVec2(tip.x - rad.x * s * 0.8f - tan.x * s * 0.2f,
                                     tip.y - rad.y * s * 0.8f - tan.y * s * 0.2f),
                              col);
      };
      head(kPi * 1.85f, 1.0f);
      head(kPi * 0.85f, 1.0f);
      break;
    }
  }
}

void icon_badge(ImDrawList *dl, Icon which, ImVec2 center, float r, Tone tone) {
  const ToneColours c = theme().tone(tone);
  dl->AddCircleFilled(center, r, c.text, 48);
  icon(dl, which, center, r, c.fill);
}

void field_box(const Rect &rect, std::string_view text, std::string_view placeholder) {
  const Theme &t = theme();
  ImDrawList *dl = ImGui::GetWindowDrawList();
  framed_round_rect(dl, rect.min, rect.max, t.panel, t.text, t.rounding, t.border);
  const float inset = t.pad;
  ImFont *font = rect.h() >= t.fonts.big->FontSize + inset ? t.fonts.big : t.fonts.bold;
  const float y = rect.min.y + (rect.h() - font->FontSize) * 0.5f;
  const float room = rect.w() - inset * 3;
  dl->PushClipRect(ImVec2(rect.min.x + inset, rect.min.y), ImVec2(rect.max.x - inset, rect.max.y),
                   true);
  if (text.empty()) {
    dl->AddText(font, font->FontSize, ImVec2(rect.min.x + inset, y), t.muted, placeholder.data(),
                end_of(placeholder));
    // The caret says "type here" even with nothing typed.
    const float caret = rect.min.x + inset + text_width(font, placeholder) + t.border;
    dl->AddRectFilled(ImVec2(caret, y), ImVec2(caret + t.border * 1.5f, y + font->FontSize),
                      t.text);
  } else {
    // The end of a long entry stays in view, as in any text field.
    const float w = text_width(font, text);
    const float x = rect.min.x + inset + std::min(0.0f, room - w);
    dl->AddText(font, font->FontSize, ImVec2(std::floor(x), y), t.text, text.data(), end_of(text));
    const float caret = x + w + t.border;
    dl->AddRectFilled(ImVec2(caret, y), ImVec2(caret + t.border * 1.5f, y + font->FontSize),
                      t.text);
  }
  dl->PopClipRect();
}

void begin_scroll(const char *id, const Rect &rect) {
  ImGui::SetCursorScreenPos(rect.min);
  ImGui::BeginChild(id, ImVec2(rect.w(), rect.h()), false, ImGuiWindowFlags_None);
}

void end_scroll() {
  // A finger dragged on the list scrolls it (ImGui's scrollbar alone is a small target);
  // the drag began away from the scrollbar, which scrolls by itself.
  const ImGuiIO &io = ImGui::GetIO();
  if (ImGui::IsMouseDragging(0) &&
      ImGui::IsWindowHovered(ImGuiHoveredFlags_AllowWhenBlockedByActiveItem |
                             ImGuiHoveredFlags_ChildWindows)) {
    const ImVec2 at = ImGui::GetWindowPos();
    const ImVec2 size = ImGui::GetWindowSize();
    const ImVec2 from = io.MouseClickedPos[0];
    const float bar_left = at.x + size.x - ImGui::GetStyle().ScrollbarSize;
    if (from.x >= at.x && from.x < bar_left && from.y >= at.y && from.y < at.y + size.y) {
      ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseDelta.y);
    }
  }
  ImGui::EndChild();
}

}  // namespace comptoir::ui::draw
