#include "tests/support/degraded_images.hpp"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>
#include <ZXing/MultiFormatWriter.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <numbers>
#include <random>
#include <system_error>

namespace comptoir::test {
namespace {

constexpr double kInk = 20;     // printed black, as a camera sees it
constexpr double kPaper = 235;  // paper white
constexpr double kTable = 120;  // what lies around the paper in a perspective shot

// A float image: room for blur and noise before rounding to 8 bits once.
struct Plane {
  int w = 0;
  int h = 0;
  std::vector<double> v;

  Plane() = default;
  Plane(int width, int height, double fill)
      : w(width),
        h(height),
        v(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), fill) {}
  double &at(int x, int y) {
    return v[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
             static_cast<std::size_t>(x)];
  }
  double at(int x, int y) const {
    return v[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
             static_cast<std::size_t>(x)];
  }
  // Bilinear, pixel centres at integer coordinates; `outside` beyond the edge.
  double sample(double x, double y, double outside) const {
    if (x < -0.5 || y < -0.5 || x > w - 0.5 || y > h - 0.5) return outside;
    x = std::clamp(x, 0.0, w - 1.0);
    y = std::clamp(y, 0.0, h - 1.0);
    const int x0 = static_cast<int>(x);
    const int y0 = static_cast<int>(y);
    const int x1 = std::min(x0 + 1, w - 1);
    const int y1 = std::min(y0 + 1, h - 1);
    const double fx = x - x0;
    const double fy = y - y0;
    return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) +
           (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
  }
};

// The modules of a code: true is dark. 1D codes are one row.
struct Modules {
  int w = 0;
  int h = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const {
    return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                static_cast<std::size_t>(x)];
  }
};

struct CodeSpec {
  std::string name;
  std::string text;
  ZXing::BarcodeFormat format;
  int module_px;   // pixels per module in the clean image
  int bar_height;  // 1D: bar height in pixels
  int quiet;       // quiet zone in modules
};

Modules encode(const CodeSpec &spec) {
  auto writer = ZXing::MultiFormatWriter(spec.format).setMargin(0);
  if (spec.format == ZXing::BarcodeFormat::QRCode) {
    // Level M, as drivers/qr_image.cpp writes pickup tokens (4 maps to M in ZXing-cpp 1.4).
    writer.setEncoding(ZXing::CharacterSet::UTF8).setEccLevel(4);
  }
  const ZXing::BitMatrix matrix = writer.encode(spec.text, 0, 0);
  Modules m;
  m.w = matrix.width();
  m.h = matrix.height();
  m.dark.resize(static_cast<std::size_t>(m.w) * static_cast<std::size_t>(m.h));
  for (int y = 0; y < m.h; ++y) {
    for (int x = 0; x < m.w; ++x) {
      m.dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(m.w) +
             static_cast<std::size_t>(x)] = matrix.get(x, y);
    }
  }
  return m;
}

bool is_linear(const Modules &m) {
  return m.h == 1;
}

// Ink in module units, quiet zone included; for 1D the bar height is in module units too.
// Returns whether (mx, my) in module coordinates is ink.
bool ink_at(const Modules &m, const CodeSpec &spec, double mx, double my) {
  const int x = static_cast<int>(std::floor(mx)) - spec.quiet;
  if (x < 0 || x >= m.w || mx < 0) return false;
  if (is_linear(m)) return m.at(x, 0);
  const int y = static_cast<int>(std::floor(my)) - spec.quiet;
  if (y < 0 || y >= m.h || my < 0) return false;
  return m.at(x, y);
}

// The clean print: the code at spec.module_px on paper, with `margin` pixels of paper around
// the quiet zone.
Plane render_clean(const Modules &m, const CodeSpec &spec, int margin) {
  const int code_w = (m.w + 2 * spec.quiet) * spec.module_px;
  const int code_h = is_linear(m) ? spec.bar_height : (m.h + 2 * spec.quiet) * spec.module_px;
  Plane p(code_w + 2 * margin, code_h + 2 * margin, kPaper);
  for (int y = 0; y < code_h; ++y) {
    for (int x = 0; x < code_w; ++x) {
      const double mx = static_cast<double>(x) / spec.module_px;
      const double my = static_cast<double>(y) / spec.module_px;
      if (ink_at(m, spec, mx, my)) p.at(margin + x, margin + y) = kInk;
    }
  }
  return p;
}

// --- geometry ------------------------------------------------------------------------------

// Maps output pixel coordinates to source coordinates (projective).
struct Homography {
  std::array<double, 9> m{1, 0, 0, 0, 1, 0, 0, 0, 1};
  std::array<double, 2> apply(double x, double y) const {
    const double z = m[6] * x + m[7] * y + m[8];
    return {(m[0] * x + m[1] * y + m[2]) / z, (m[3] * x + m[4] * y + m[5]) / z};
  }
};

// The homography taking from[i] to to[i] (four point pairs), by Gaussian elimination.
Homography solve_homography(const std::array<std::array<double, 2>, 4> &from,
                            const std::array<std::array<double, 2>, 4> &to) {
  double a[8][9] = {};
  for (int i = 0; i < 4; ++i) {
    const double x = from[static_cast<std::size_t>(i)][0];
    const double y = from[static_cast<std::size_t>(i)][1];
    const double u = to[static_cast<std::size_t>(i)][0];
    const double v = to[static_cast<std::size_t>(i)][1];
    const double r1[9] = {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
    const double r2[9] = {0, 0, 0, x, y, 1, -v * x, -v * y, v};
    std::copy(r1, r1 + 9, a[2 * i]);
    std::copy(r2, r2 + 9, a[2 * i + 1]);
  }
  for (int c = 0; c < 8; ++c) {
    int pivot = c;
    for (int r = c + 1; r < 8; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    }
    std::swap(a[c], a[pivot]);
    for (int r = 0; r < 8; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < 9; ++k) a[r][k] -= f * a[c][k];
    }
  }
  Homography h;
  for (int i = 0; i < 8; ++i) h.m[static_cast<std::size_t>(i)] = a[i][8] / a[i][i];
  h.m[8] = 1;
  return h;
}

// Renders a w x h image whose pixel (x, y) shows source(map(x, y)), averaged over ss x ss
// points inside the pixel (the area a camera pixel integrates).
template <typename Source>
Plane render(int w, int h, const Homography &map, int ss, const Source &source) {
  Plane out(w, h, 0);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double sum = 0;
      for (int j = 0; j < ss; ++j) {
        for (int i = 0; i < ss; ++i) {
          const auto [sx, sy] = map.apply(x - 0.5 + (i + 0.5) / ss, y - 0.5 + (j + 0.5) / ss);
          sum += source(sx, sy);
        }
      }
      out.at(x, y) = sum / (ss * ss);
    }
  }
  return out;
}

Plane warp(const Plane &src, int w, int h, const Homography &map, int ss, double outside) {
  return render(w, h, map, ss, [&](double x, double y) { return src.sample(x, y, outside); });
}

// Rotated by `degrees` about its centre, on a canvas grown to hold it; the new corners paper.
Plane rotated(const Plane &src, double degrees) {
  const double a = degrees * std::numbers::pi / 180;
  const double c = std::cos(a);
  const double s = std::sin(a);
  const int w = static_cast<int>(std::ceil(std::abs(src.w * c) + std::abs(src.h * s)));
  const int h = static_cast<int>(std::ceil(std::abs(src.w * s) + std::abs(src.h * c)));
  const double cx = (w - 1) / 2.0;
  const double cy = (h - 1) / 2.0;
  const double sx = (src.w - 1) / 2.0;
  const double sy = (src.h - 1) / 2.0;
  // out -> src is the inverse rotation.
  Homography map;
  map.m = {c, s, sx - c * cx - s * cy, -s, c, sy + s * cx - c * cy, 0, 0, 1};
  return warp(src, w, h, map, 2, kPaper);
}

// Exact quarter turns, no resampling.
Plane quarter_turns(const Plane &src, int turns) {
  Plane out = src;
  for (int t = 0; t < turns; ++t) {
    Plane next(out.h, out.w, 0);
    for (int y = 0; y < out.h; ++y) {
      for (int x = 0; x < out.w; ++x) next.at(out.h - 1 - y, x) = out.at(x, y);
    }
    out = std::move(next);
  }
  return out;
}

// Scaled by `factor` (< 1), each output pixel the mean of the area it covers.
Plane scaled(const Plane &src, double factor) {
  const int w = std::max(1, static_cast<int>(std::lround(src.w * factor)));
  const int h = std::max(1, static_cast<int>(std::lround(src.h * factor)));
  Homography map;
  map.m = {1 / factor, 0, 0.5 / factor - 0.5, 0, 1 / factor, 0.5 / factor - 0.5, 0, 0, 1};
  const int ss = static_cast<int>(std::ceil(2 / factor));
  return warp(src, w, h, map, ss, kPaper);
}

// The paper turned away from the camera by `yaw` degrees about its vertical axis and `pitch`
// about its horizontal one, seen through a pinhole at 1.6 times its width; on a table.
Plane in_perspective(const Plane &src, double yaw, double pitch) {
  const double ya = yaw * std::numbers::pi / 180;
  const double pa = pitch * std::numbers::pi / 180;
  const double distance = 1.6 * std::max(src.w, src.h);
  const std::array<std::array<double, 2>, 4> corners = {
      {{0, 0}, {src.w - 1.0, 0}, {src.w - 1.0, src.h - 1.0}, {0, src.h - 1.0}}};
  std::array<std::array<double, 2>, 4> seen{};
  double min_x = 1e9, min_y = 1e9, max_x = -1e9, max_y = -1e9;
  for (std::size_t i = 0; i < 4; ++i) {
    const double X = corners[i][0] - src.w / 2.0;
    const double Y = corners[i][1] - src.h / 2.0;
    // Yaw about Y, then pitch about X.
    const double x1 = X * std::cos(ya);
    const double z1 = X * std::sin(ya);
    const double y2 = Y * std::cos(pa) - z1 * std::sin(pa);
    const double z2 = Y * std::sin(pa) + z1 * std::cos(pa);
    const double k = distance / (distance + z2);
    seen[i] = {x1 * k, y2 * k};
    min_x = std::min(min_x, seen[i][0]);
    max_x = std::max(max_x, seen[i][0]);
    min_y = std::min(min_y, seen[i][1]);
    max_y = std::max(max_y, seen[i][1]);
  }
  constexpr int kBorder = 24;
  for (auto &p : seen) {
    p[0] += kBorder - min_x;
    p[1] += kBorder - min_y;
  }
  const int w = static_cast<int>(std::ceil(max_x - min_x)) + 2 * kBorder;
  const int h = static_cast<int>(std::ceil(max_y - min_y)) + 2 * kBorder;
  return warp(src, w, h, solve_homography(seen, corners), 2, kTable);
}

// --- photometry ----------------------------------------------------------------------------

Plane blurred(const Plane &src, double sigma) {
  const int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  double total = 0;
  for (int i = -radius; i <= radius; ++i) {
    const double k = std::exp(-(i * i) / (2 * sigma * sigma));
    kernel[static_cast<std::size_t>(i + radius)] = k;
    total += k;
  }
  for (double &k : kernel) k /= total;
  Plane tmp(src.w, src.h, 0);
  Plane out(src.w, src.h, 0);
  for (int y = 0; y < src.h; ++y) {
    for (int x = 0; x < src.w; ++x) {
      double sum = 0;
      for (int i = -radius; i <= radius; ++i) {
        sum += kernel[static_cast<std::size_t>(i + radius)] *
               src.at(std::clamp(x + i, 0, src.w - 1), y);
      }
      tmp.at(x, y) = sum;
    }
  }
  for (int y = 0; y < src.h; ++y) {
    for (int x = 0; x < src.w; ++x) {
      double sum = 0;
      for (int i = -radius; i <= radius; ++i) {
        sum += kernel[static_cast<std::size_t>(i + radius)] *
               tmp.at(x, std::clamp(y + i, 0, src.h - 1));
      }
      out.at(x, y) = sum;
    }
  }
  return out;
}

// Gaussian noise from mt19937 (whose output the standard fixes) through Box-Muller (ours),
// since std::normal_distribution may differ between standard libraries.
class Noise {
 public:
  explicit Noise(std::uint32_t seed) : engine_(seed) {}
  double gaussian() {
    const double u1 = (static_cast<double>(engine_()) + 1.0) / 4294967297.0;
    const double u2 = static_cast<double>(engine_()) / 4294967296.0;
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  }
  double uniform() { return static_cast<double>(engine_()) / 4294967296.0; }

 private:
  std::mt19937 engine_;
};

std::uint32_t seed_of(const std::string &name) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

Plane noisy(Plane p, double sigma, std::uint32_t seed) {
  Noise noise(seed);
  for (double &v : p.v) v += sigma * noise.gaussian();
  return p;
}

// Ink and paper moved to `ink` and `paper`; `shadow` darkens the right-hand side by that
// fraction, as a hand or a shelf would.
Plane contrast(Plane p, double ink, double paper, double shadow = 0) {
  const double k = (paper - ink) / (kPaper - kInk);
  for (int y = 0; y < p.h; ++y) {
    for (int x = 0; x < p.w; ++x) {
      const double light = 1 - shadow * static_cast<double>(x) / p.w;
      p.at(x, y) = (ink + (p.at(x, y) - kInk) * k) * light;
    }
  }
  return p;
}

// A phone screen showing the code, photographed: the screen is a grid of pixels, each three
// vertical R, G, B stripes of different brightness to a grey sensor with a dark line between
// rows; the camera's pixels are `pitch` screen pixels apart and turned by `degrees`, so the
// grid and the camera's own grid beat into moiré fringes. Black on a screen glows a little and
// the glass reflects a gradient of room light.
Plane on_phone_screen(const Modules &m, const CodeSpec &spec, int screen_px_per_module,
                      double pitch, double degrees) {
  const int code_w = (m.w + 2 * spec.quiet) * screen_px_per_module;
  const int code_h = is_linear(m) ? spec.bar_height * screen_px_per_module / spec.module_px
                                  : (m.h + 2 * spec.quiet) * screen_px_per_module;
  const double margin = 12;  // screen pixels of white around the code
  const double screen_w = code_w + 2 * margin;
  const double screen_h = code_h + 2 * margin;
  const double a = degrees * std::numbers::pi / 180;
  const double c = std::cos(a) * pitch;
  const double s = std::sin(a) * pitch;
  const int w =
      static_cast<int>(std::ceil(
          (std::abs(screen_w * std::cos(a)) + std::abs(screen_h * std::sin(a))) / pitch)) +
      16;
  const int h =
      static_cast<int>(std::ceil(
          (std::abs(screen_w * std::sin(a)) + std::abs(screen_h * std::cos(a))) / pitch)) +
      16;
  const double cx = w / 2.0;
  const double cy = h / 2.0;
  Homography map;
  map.m = {c, s, screen_w / 2 - c * cx - s * cy, -s, c, screen_h / 2 + s * cx - c * cy, 0, 0, 1};
  const double module_px = screen_px_per_module;
  const double bar_rows = is_linear(m) ? code_h : 0;
  auto screen = [&](double x, double y) {
    if (x < 0 || y < 0 || x >= screen_w || y >= screen_h) return 40.0;  // the phone's bezel
    const double mx = (x - margin) / module_px;
    const double my = (y - margin) / module_px;
    bool ink = false;
    if (x >= margin && y >= margin && x < margin + code_w && y < margin + code_h) {
      ink = is_linear(m) ? (y - margin < bar_rows && ink_at(m, spec, mx, 0))
                         : ink_at(m, spec, mx, my);
    }
    const double emitted = ink ? 0.07 : 1.0;
    const double fx = x - std::floor(x);
    const double fy = y - std::floor(y);
    // Luma weights of R, G, B times 3, so a white pixel averages to about 1.
    const double stripe = fx < 1.0 / 3 ? 0.897 : (fx < 2.0 / 3 ? 1.761 : 0.342);
    const double row_gap = fy > 0.82 ? 0.15 : 1.0;
    const double glare = 18 * (x / screen_w) + 10 * (y / screen_h);
    return 215 * emitted * stripe * row_gap + glare;
  };
  // 2x2 points per camera pixel: a sensor does integrate over its area, but its grid is not
  // fine enough to average the screen's grid away.
  return blurred(render(w, h, map, 2, screen), 0.6);
}

drivers::GreyImage to_grey(const Plane &p) {
  drivers::GreyImage g;
  g.width = p.w;
  g.height = p.h;
  g.pixels.resize(p.v.size());
  for (std::size_t i = 0; i < p.v.size(); ++i) {
    g.pixels[i] = static_cast<std::uint8_t>(std::clamp(std::lround(p.v[i]), 0L, 255L));
  }
  return g;
}

std::string format_name(ZXing::BarcodeFormat f) {
  return ZXing::ToString(f);
}

std::vector<CodeSpec> code_specs() {
  return {
      {"token-qr", degraded_set_token(), ZXing::BarcodeFormat::QRCode, 4, 0, 4},
      {"short-qr", "K7QM-9X2D-4R1", ZXing::BarcodeFormat::QRCode, 6, 0, 4},
      {"short-code128", "K7QM-9X2D-4R1", ZXing::BarcodeFormat::Code128, 2, 100, 10},
      {"ean13", "4006381333931", ZXing::BarcodeFormat::EAN13, 3, 110, 11},
  };
}

}  // namespace

const std::vector<std::string> &degradation_families() {
  static const std::vector<std::string> families = {
      "clean",      "rotate-small", "rotate-quarter", "blur",  "noise",
      "scale-down", "low-contrast", "perspective",    "moire", "combined"};
  return families;
}

std::string degraded_set_token() {
  // 'ZA1' and 128 Crockford Base32 symbols, like a signed pickup token (the signature makes
  // them look random, so these are drawn from a fixed seed).
  static const std::string symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::mt19937 engine(20260401u);
  std::string text = "ZA1";
  for (int i = 0; i < 128; ++i) text += symbols[engine() % symbols.size()];
  return text;
}

std::vector<DegradedImage> make_degraded_set() {
  std::vector<DegradedImage> set;
  for (const CodeSpec &spec : code_specs()) {
    const Modules modules = encode(spec);
    const Plane clean = render_clean(modules, spec, 24);
    auto add = [&](const std::string &family, const std::string &level, const Plane &p) {
      DegradedImage image;
      image.degradation = family;
      image.level = level;
      image.code = spec.name;
      image.text = spec.text;
      image.format = format_name(spec.format);
      image.file = family + (level.empty() ? "" : "-" + level) + "-" + spec.name + ".png";
      image.image = to_grey(p);
      set.push_back(std::move(image));
    };
    const auto seed = [&](const std::string &what) { return seed_of(what + spec.name); };

    add("clean", "", clean);
    for (const double deg : {3.0, 8.0, 15.0, 30.0, 45.0}) {
      add("rotate-small", std::to_string(static_cast<int>(deg)) + "deg", rotated(clean, deg));
    }
    for (const int turns : {1, 2, 3}) {
      add("rotate-quarter", std::to_string(90 * turns) + "deg", quarter_turns(clean, turns));
    }
    for (const double sigma : {1.0, 2.0, 3.0, 4.0}) {
      char level[16];
      std::snprintf(level, sizeof level, "sigma%.0f", sigma);
      add("blur", level, blurred(clean, sigma));
    }
    for (const double sigma : {15.0, 30.0, 50.0, 70.0}) {
      char level[16];
      std::snprintf(level, sizeof level, "sigma%.0f", sigma);
      add("noise", level, noisy(clean, sigma, seed(level)));
    }
    for (const double factor : {0.75, 0.5, 0.4, 0.3}) {
      char level[16];
      std::snprintf(level, sizeof level, "x%.2f", factor);
      add("scale-down", level, scaled(clean, factor));
    }
    add("low-contrast", "90-170", contrast(clean, 90, 170));
    add("low-contrast", "110-150", contrast(clean, 110, 150));
    add("low-contrast", "120-140", contrast(clean, 120, 140));
    add("low-contrast", "125-135", contrast(clean, 125, 135));
    add("low-contrast", "shadow", contrast(clean, 60, 200, 0.6));
    add("perspective", "yaw25", in_perspective(clean, 25, 0));
    add("perspective", "yaw45", in_perspective(clean, 45, 0));
    add("perspective", "yaw60", in_perspective(clean, 60, 0));
    add("perspective", "yaw35-pitch30", in_perspective(clean, 35, 30));
    // Screen pixels a module: the token's 57 modules fill a phone's width at about 6.
    const int screen_module = is_linear(modules) ? 3 : 6;
    add("moire", "pitch1.3", on_phone_screen(modules, spec, screen_module, 1.3, 2));
    add("moire", "pitch0.8", on_phone_screen(modules, spec, screen_module, 0.8, 4));
    add("moire", "pitch1.7", on_phone_screen(modules, spec, screen_module, 1.7, 7));
    add("combined", "rot12-blur1.5-noise20",
        noisy(blurred(rotated(clean, 12), 1.5), 20, seed("combined-a")));
    add("combined", "yaw35-contrast-noise15",
        noisy(contrast(in_perspective(clean, 35, 10), 80, 180), 15, seed("combined-b")));
    add("combined", "x0.5-blur1-noise10",
        noisy(blurred(scaled(clean, 0.5), 1.0), 10, seed("combined-c")));
    add("combined", "moire-rot90-noise10",
        noisy(quarter_turns(on_phone_screen(modules, spec, screen_module, 1.3, 3), 1), 10,
              seed("combined-d")));
  }
  return set;
}

std::string write_degraded_set(const std::vector<DegradedImage> &set,
                               const std::filesystem::path &dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot make " + dir.string() + ": " + ec.message();
  for (const DegradedImage &image : set) {
    const std::string path = (dir / image.file).string();
    if (stbi_write_png(path.c_str(), image.image.width, image.image.height, 1,
                       image.image.pixels.data(), image.image.width) == 0) {
      return "cannot write " + path;
    }
  }
  return {};
}

drivers::GreyImage code_picture(const std::string &format, const std::string &text, int module_px,
                                int margin) {
  const ZXing::BarcodeFormat f = ZXing::BarcodeFormatFromString(format);
  if (f == ZXing::BarcodeFormat::None) return {};
  const bool linear = ZXing::BarcodeFormats(ZXing::BarcodeFormat::LinearCodes).testFlag(f);
  const CodeSpec spec{"picture", text, f, module_px, 80, linear ? 10 : 4};
  try {
    return to_grey(render_clean(encode(spec), spec, margin));
  } catch (const std::exception &) {
    return {};
  }
}

drivers::GreyImage camera_frame(bool with_code, unsigned seed) {
  constexpr int kW = 640;
  constexpr int kH = 480;
  Noise noise(seed);
  const double phase = noise.uniform() * 6.28;
  Plane frame(kW, kH, 0);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      // A counter lit from the left, with a wood-like grain.
      frame.at(x, y) = 150 - 60.0 * x / kW + 12 * std::sin(0.05 * x + 0.013 * y * y / kH + phase) +
                       6 * std::sin(0.31 * y + phase);
    }
  }
  if (with_code) {
    const CodeSpec spec{"token-qr", degraded_set_token(), ZXing::BarcodeFormat::QRCode, 5, 0, 4};
    const Modules modules = encode(spec);
    // A phone or ticket held up to the camera: about 4.5 pixels a module, turned 7 degrees.
    const Plane paper = rotated(render_clean(modules, spec, 6), 7);
    const double scale = 0.9;
    const int left = (kW - static_cast<int>(paper.w * scale)) / 2;
    const int top = (kH - static_cast<int>(paper.h * scale)) / 2;
    for (int y = 0; y < static_cast<int>(paper.h * scale); ++y) {
      for (int x = 0; x < static_cast<int>(paper.w * scale); ++x) {
        const double v = paper.sample((x + 0.5) / scale - 0.5, (y + 0.5) / scale - 0.5, kPaper);
        // A sheet of paper a little darker than in the set, as the counter's light falls on it.
        frame.at(left + x, top + y) = v * 0.85;
      }
    }
  }
  return to_grey(noisy(blurred(frame, 0.7), 4, seed));
}

}  // namespace comptoir::test
