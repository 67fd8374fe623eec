// Sizes and colours; see theme.hpp.
#include "ui/theme.hpp"

#include <algorithm>
#include <cmath>

namespace comptoir::ui {
namespace {

Theme g_theme;

ImVec4 v4(ImU32 c) {
  return ImGui::ColorConvertU32ToFloat4(c);
}

}  // namespace

ToneColours Theme::tone(Tone t) const {
  // Fills keep white text at 4.5:1 or better; amber is too light for white, so dark text.
  switch (t) {
    case Tone::good:
      return {IM_COL32(0x15, 0x7A, 0x3A, 0xFF), IM_COL32(0xFF, 0xFF, 0xFF, 0xFF),
              IM_COL32(0xD8, 0xF0, 0xDF, 0xFF), IM_COL32(0x10, 0x6A, 0x30, 0xFF)};
    case Tone::bad:
      return {IM_COL32(0xB0, 0x20, 0x18, 0xFF), IM_COL32(0xFF, 0xFF, 0xFF, 0xFF),
              IM_COL32(0xFA, 0xDC, 0xD8, 0xFF), IM_COL32(0xA0, 0x1C, 0x14, 0xFF)};
    case Tone::warning:
      return {IM_COL32(0xF2, 0xB1, 0x00, 0xFF), IM_COL32(0x10, 0x10, 0x10, 0xFF),
              IM_COL32(0xFF, 0xEF, 0xC0, 0xFF), IM_COL32(0x7A, 0x52, 0x00, 0xFF)};
    case Tone::info:
      return {IM_COL32(0x1A, 0x5A, 0xA8, 0xFF), IM_COL32(0xFF, 0xFF, 0xFF, 0xFF),
              IM_COL32(0xDA, 0xE6, 0xF6, 0xFF), IM_COL32(0x16, 0x4E, 0x96, 0xFF)};
    case Tone::neutral:
      break;
  }
  return {IM_COL32(0x3A, 0x3A, 0x36, 0xFF), IM_COL32(0xFF, 0xFF, 0xFF, 0xFF),
          IM_COL32(0xE6, 0xE6, 0xE0, 0xFF), IM_COL32(0x3A, 0x3A, 0x36, 0xFF)};
}

const Theme &theme() {
  return g_theme;
}

void apply_theme(const Fonts &fonts, int width, int height) {
  Theme &t = g_theme;
  t.fonts = fonts;
  t.scale = std::max(
      0.75f, std::min(static_cast<float>(height) / 480.0f, static_cast<float>(width) / 800.0f));
  const float s = t.scale;
  t.pad = std::round(10 * s);
  t.gap = std::round(8 * s);
  t.button_h = std::round(60 * s);
  t.rounding = std::round(8 * s);
  t.border = std::max(1.0f, std::round(2 * s));
  t.scrollbar = std::round(26 * s);

  ImGuiStyle &style = ImGui::GetStyle();
  style = ImGuiStyle();
  ImGui::StyleColorsLight(&style);
  style.WindowPadding = ImVec2(0, 0);
  style.WindowBorderSize = 0;
  style.WindowRounding = 0;
  style.ChildBorderSize = 0;
  style.ChildRounding = 0;
  style.FramePadding = ImVec2(t.pad, t.pad * 0.5f);
  style.ItemSpacing = ImVec2(t.gap, t.gap);
  style.FrameRounding = t.rounding;
  style.ScrollbarSize = t.scrollbar;
  style.ScrollbarRounding = 0;  // a rounded grab is a triangle fan: slow in software
  style.GrabMinSize = t.button_h * 0.75f;
  style.TouchExtraPadding = ImVec2(0, 0);
  style.AntiAliasedLinesUseTex = false;  // the atlas has no baked lines (smaller texture)
  style.Colors[ImGuiCol_WindowBg] = v4(t.background);
  style.Colors[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0);
  style.Colors[ImGuiCol_Text] = v4(t.text);
  style.Colors[ImGuiCol_TextDisabled] = v4(t.muted);
  style.Colors[ImGuiCol_ScrollbarBg] = v4(IM_COL32(0xE4, 0xE4, 0xDE, 0xFF));
  style.Colors[ImGuiCol_ScrollbarGrab] = v4(IM_COL32(0x70, 0x70, 0x6A, 0xFF));
  style.Colors[ImGuiCol_ScrollbarGrabHovered] = v4(IM_COL32(0x55, 0x55, 0x50, 0xFF));
  style.Colors[ImGuiCol_ScrollbarGrabActive] = v4(IM_COL32(0x30, 0x30, 0x2C, 0xFF));
}

}  // namespace comptoir::ui
