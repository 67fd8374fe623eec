// The kiosk's fonts: DejaVu Sans and DejaVu Sans Bold at sizes scaled from the window, with
// the glyphs the screens need beyond ImGui's default Latin range (— ✓ € Œ œ … ● and every
// character of the translated catalog). Rebuilt when the window changes size.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

struct ImFont;
struct ImFontAtlas;

namespace comptoir::ui {

struct FontSizes {
  float small = 18;  // status strip, facts' labels
  float body = 22;   // most text, buttons
  float big = 34;    // titles, the code field, the amount due
  float huge = 60;   // the verdict's title, read from 2 m
};

// ≈ h/22 for the body at 800×480 and up, the others in proportion; a window narrower than
// 5:3 scales by its width so the same lines still fit.
FontSizes font_sizes_for(int width, int height);

// The glyph ranges an atlas was built with: ImGui keeps pointers to them and reads them
// again whenever the atlas is rebuilt (its pixels are dropped once uploaded), so they live
// as long as the fonts that came from them.
struct GlyphRanges;

struct Fonts {
  ImFont *small = nullptr;
  ImFont *body = nullptr;
  ImFont *bold = nullptr;  // body size, bold
  ImFont *big = nullptr;   // bold
  ImFont *huge = nullptr;  // bold, letters and the few signs titles use
  FontSizes sizes;
  std::shared_ptr<const GlyphRanges> ranges;
};

struct FontFiles {
  std::string regular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  std::string bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
};

// Every msgid and msgstr of a gettext .mo file, as UTF-8 (empty when it cannot be read):
// the characters the translated screens can show.
std::string catalog_text(const std::string &mo_path);

// Clears `atlas` and adds the fonts at `sizes` covering Latin-1, Latin Extended-A and B,
// Latin Extended Additional (Vietnamese), the punctuation and signs the screens use, and
// every character of `extra_text`. The atlas is built here (the caller uploads it). False,
// with `why`, when a font file cannot be read or the atlas cannot be built.
bool load_fonts(ImFontAtlas &atlas, const FontFiles &files, const FontSizes &sizes,
                const std::string &extra_text, Fonts &out, std::string *why);

// The atlas ImGui draws with and its fonts. A rebuild (the window changed size) is made in a
// new atlas and swapped in only once it is built and its texture made, so a failure leaves
// the fonts in use untouched: never an atlas cleared under the theme's font pointers.
class FontStore {
 public:
  // Makes `atlas` ImGui's (io.Fonts) and its texture: false when the texture cannot be
  // made. Called with the new atlas, and with the old one again if the new one failed.
  using Upload = std::function<bool(ImFontAtlas &atlas)>;

  FontStore();  // an empty atlas, for ImGui::CreateContext(atlas())
  ~FontStore();
  FontStore(const FontStore &) = delete;
  FontStore &operator=(const FontStore &) = delete;

  // False, with `why`, when the new fonts could not be built or uploaded; fonts() and
  // atlas() are then the previous ones, uploaded again.
  bool rebuild(const FontFiles &files, const FontSizes &sizes, const std::string &extra_text,
               const Upload &upload, std::string *why);
  ImFontAtlas *atlas() const { return atlas_.get(); }
  const Fonts &fonts() const { return fonts_; }

 private:
  std::unique_ptr<ImFontAtlas> atlas_;
  Fonts fonts_;
};

}  // namespace comptoir::ui
