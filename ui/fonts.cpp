// DejaVu at the window's sizes, with the glyphs the screens need; see fonts.hpp.
#include "ui/fonts.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>

namespace comptoir::ui {
namespace {

// Beyond Basic Latin: Latin-1, Latin Extended-A and B and Latin Extended Additional
// (accents, Œ œ, the customers' names from across Europe and beyond: Ș ț ǎ ễ), the typographic
// punctuation French uses (– — ’ « » … and the narrow no-break space before « : »), € and the signs
// the screens draw with text (→ ≈ × · ● ✓ ✗).
constexpr ImWchar kTextRanges[] = {
    0x0020, 0x00FF,  // Basic Latin, Latin-1 (« » · × é à ç)
    0x0100, 0x017F,  // Latin Extended-A (Œ œ, ł ő š...)
    0x0180, 0x024F,  // Latin Extended-B (Ș ș Ț ț, ǎ ǐ ǒ ǔ...)
    0x1E00, 0x1EFF,  // Latin Extended Additional (Vietnamese: ễ ạ ư...; Welsh ŵ ẁ)
    0x2010, 0x2027,  // ‐ – — ‘ ’ “ ” • …
    0x202F, 0x203A,  // narrow no-break space, ‰ ‹ ›
    0x20AC, 0x20AC,  // €
    0x2190, 0x2193,  // ← ↑ → ↓
    0x2212, 0x2212,  // −
    0x2248, 0x2248,  // ≈
    0x25CF, 0x25CF,  // ●
    0x2713, 0x2713,  // ✓
    0x2717, 0x2717,  // ✗
    0,
};

// The verdict's title: letters, digits and the few signs a title has; a smaller set, as
// each glyph at this size is large in the texture.
constexpr ImWchar kTitleRanges[] = {
    0x0020, 0x007E, 0x00A0, 0x00FF, 0x0152, 0x0153, 0x2013, 0x2014, 0x2019,
    0x2019, 0x2026, 0x2026, 0x202F, 0x202F, 0x20AC, 0x20AC, 0,
};

bool readable(const std::string &path) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::fclose(f);
  return true;
}

std::uint32_t read_u32(const std::string &data, std::size_t at, bool swap) {
  std::uint32_t v = 0;
  std::memcpy(&v, data.data() + at, 4);
  if (swap) v = __builtin_bswap32(v);
  return v;
}

}  // namespace

struct GlyphRanges {
  ImVector<ImWchar> text;
  ImVector<ImWchar> title;
};

FontSizes font_sizes_for(int width, int height) {
  // 800×480 is the smallest screen served: body 22 px there (≈ h/22), everything in
  // proportion above it.
  const float by_height = static_cast<float>(std::max(height, 1)) / 480.0f;
  const float by_width = static_cast<float>(std::max(width, 1)) / 800.0f;
  const float s = std::max(0.75f, std::min(by_height, by_width));
  FontSizes f;
  f.small = std::round(18.0f * s);
  f.body = std::round(22.0f * s);
  f.big = std::round(34.0f * s);
  f.huge = std::round(58.0f * s);
  return f;
}

std::string catalog_text(const std::string &mo_path) {
  std::ifstream in(mo_path, std::ios::binary);
  if (!in) return {};
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 28) return {};
  const std::uint32_t magic = read_u32(data, 0, false);
  bool swap = false;
  if (magic == 0xde120495u) {
    swap = true;
  } else if (magic != 0x950412deu) {
    return {};
  }
  const std::uint32_t count = read_u32(data, 8, swap);
  const std::uint32_t tables[2] = {read_u32(data, 12, swap), read_u32(data, 16, swap)};
  std::string text;
  for (const std::uint32_t table : tables) {
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::size_t entry = std::size_t{table} + std::size_t{i} * 8;
      if (entry + 8 > data.size()) return text;
      const std::uint32_t len = read_u32(data, entry, swap);
      const std::uint32_t off = read_u32(data, entry + 4, swap);
      if (std::size_t{off} + len > data.size()) return text;
      // Plural forms are separated by NULs; a NUL among glyph ranges would end them.
      for (std::size_t k = off; k < std::size_t{off} + len; ++k) {
        text.push_back(data[k] == '\0' ? '\n' : data[k]);
      }
      text.push_back('\n');
    }
  }
  return text;
}

bool load_fonts(ImFontAtlas &atlas, const FontFiles &files, const FontSizes &sizes,
                const std::string &extra_text, Fonts &out, std::string *why) {
  for (const std::string *path : {&files.regular, &files.bold}) {
    if (!readable(*path)) {
      if (why) *why = "cannot read the font " + *path + " (install fonts-dejavu-core)";
      return false;
    }
  }
  atlas.Clear();
  auto ranges = std::make_shared<GlyphRanges>();
  std::string extra = extra_text;
  std::replace(extra.begin(), extra.end(), '\0', ' ');  // code point 0 would end the ranges
  {
    ImFontGlyphRangesBuilder b;
    b.AddRanges(kTextRanges);
    b.AddText(extra.data(), extra.data() + extra.size());
    b.BuildRanges(&ranges->text);
  }
  {
    ImFontGlyphRangesBuilder b;
    b.AddRanges(kTitleRanges);
    b.AddText(extra.data(), extra.data() + extra.size());
    b.BuildRanges(&ranges->title);
  }
  // No oversampling: text is drawn at the size it was baked, never scaled, and the atlas
  // stays a third of the default size (it is a texture the software renderer keeps in RAM).
  ImFontConfig cfg;
  cfg.OversampleH = 1;
  cfg.OversampleV = 1;
  cfg.PixelSnapH = true;
  auto add = [&](const std::string &path, float size, const ImVector<ImWchar> &glyphs) {
    return atlas.AddFontFromFileTTF(path.c_str(), size, &cfg, glyphs.Data);
  };
  Fonts fonts;
  fonts.sizes = sizes;
  fonts.body = add(files.regular, sizes.body, ranges->text);  // the first: ImGui's default
  fonts.small = add(files.regular, sizes.small, ranges->text);
  fonts.bold = add(files.bold, sizes.body, ranges->text);
  fonts.big = add(files.bold, sizes.big, ranges->text);
  fonts.huge = add(files.bold, sizes.huge, ranges->title);
  fonts.ranges = std::move(ranges);
  atlas.Flags |= ImFontAtlasFlags_NoPowerOfTwoHeight | ImFontAtlasFlags_NoMouseCursors |
                 ImFontAtlasFlags_NoBakedLines;
  atlas.TexDesiredWidth = sizes.huge > 100 ? 4096 : 2048;
  if (!fonts.body || !fonts.small || !fonts.bold || !fonts.big || !fonts.huge || !atlas.Build()) {
    if (why) *why = "the font atlas could not be built";
    return false;
  }
  out = std::move(fonts);
  return true;
}

FontStore::FontStore() : atlas_(std::make_unique<ImFontAtlas>()) {}

FontStore::~FontStore() = default;

bool FontStore::rebuild(const FontFiles &files, const FontSizes &sizes,
                        const std::string &extra_text, const Upload &upload, std::string *why) {
  auto next = std::make_unique<ImFontAtlas>();
  Fonts fonts;
  if (!load_fonts(*next, files, sizes, extra_text, fonts, why)) return false;
  if (!upload(*next)) {
    if (why) *why = "the font texture could not be made (out of video memory?)";
    // The atlas in use again, so ImGui never keeps the one about to go: it rebuilds its
    // pixels from the ranges it kept (the first, empty one gets ImGui's default font).
    upload(*atlas_);
    return false;
  }
  atlas_ = std::move(next);
  fonts_ = std::move(fonts);
  return true;
}

}  // namespace comptoir::ui
