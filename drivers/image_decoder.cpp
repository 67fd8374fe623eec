#include "drivers/image_decoder.hpp"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>

namespace comptoir::drivers {
namespace {

constexpr const char *kNoCode = "no code found";

// "the image is 20000x20000 pixels (400 Mpx): images over 40 Mpx are refused".
std::string too_large(long width, long height) {
  return "the image is " + std::to_string(width) + "x" + std::to_string(height) + " pixels (" +
         std::to_string((width * height + 500'000) / 1'000'000) + " Mpx): images over " +
         std::to_string(kMaxImagePixels / 1'000'000) + " Mpx are refused";
}

ZXing::BarcodeFormats formats_for(const DecodeOptions &options) {
  using F = ZXing::BarcodeFormat;
  ZXing::BarcodeFormats formats;
  if (options.qr_code) formats |= F::QRCode;
  if (options.data_matrix) formats |= F::DataMatrix;
  if (options.linear) {
    formats |= F::EAN13 | F::EAN8 | F::UPCA | F::UPCE | F::Code128 | F::Code39 | F::ITF;
  }
  return formats;
}

DecodeResult failure(std::string reason) {
  DecodeResult r;
  r.reason = std::move(reason);
  return r;
}

// One ZXing pass; the codes found, in image coordinates scaled back by `scale`.
std::vector<DecodedCode> read_pass(const ZXing::ImageView &view, const ZXing::DecodeHints &hints,
                                   double scale) {
  std::vector<DecodedCode> out;
  for (const ZXing::Result &result : ZXing::ReadBarcodes(view, hints)) {
    if (!result.isValid()) continue;
    DecodedCode code;
    code.text = result.text();
    code.format = ZXing::ToString(result.format());
    const auto &pos = result.position();
    for (int i = 0; i < 4; ++i) {
      code.position[static_cast<std::size_t>(i)] = {static_cast<int>(pos[i].x / scale),
                                                    static_cast<int>(pos[i].y / scale)};
    }
    out.push_back(std::move(code));
  }
  return out;
}

// Twice the size, bilinear: ZXing's finder patterns need a few pixels per module, and a code
// printed small or photographed from afar has fewer.
GreyImage upscaled(const GreyView &in) {
  GreyImage out;
  out.width = in.width * 2;
  out.height = in.height * 2;
  out.pixels.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height));
  for (int y = 0; y < out.height; ++y) {
    const double sy = std::clamp((y + 0.5) / 2.0 - 0.5, 0.0, in.height - 1.0);
    const int y0 = static_cast<int>(sy);
    const int y1 = std::min(y0 + 1, in.height - 1);
    const double fy = sy - y0;
    for (int x = 0; x < out.width; ++x) {
      const double sx = std::clamp((x + 0.5) / 2.0 - 0.5, 0.0, in.width - 1.0);
      const int x0 = static_cast<int>(sx);
      const int x1 = std::min(x0 + 1, in.width - 1);
      const double fx = sx - x0;
      const auto at = [&](int px, int py) {
        return static_cast<double>(in.pixels[py * in.stride + px]);
      };
      const double v = (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) +
                       (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
      out.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) +
                 static_cast<std::size_t>(x)] = static_cast<std::uint8_t>(v + 0.5);
    }
  }
  return out;
}

// A 3x3 box blur: takes the edge off sensor noise and off a phone screen's pixel grid, which
// otherwise break the binarizer's runs into fragments.
GreyImage smoothed(const GreyView &in) {
  GreyImage out;
  out.width = in.width;
  out.height = in.height;
  out.pixels.resize(static_cast<std::size_t>(in.width) * static_cast<std::size_t>(in.height));
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      int sum = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        const int yy = std::clamp(y + dy, 0, in.height - 1);
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = std::clamp(x + dx, 0, in.width - 1);
          sum += in.pixels[yy * in.stride + xx];
        }
      }
      out.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(in.width) +
                 static_cast<std::size_t>(x)] = static_cast<std::uint8_t>((sum + 4) / 9);
    }
  }
  return out;
}

// Lighting taken out, contrast put back: each pixel divided by the mean of its neighbourhood
// (a shadow across a label, a bright patch of glare), then the 2nd to 98th percentiles
// stretched to black and white. ZXing's binarizers give up below about 24 grey levels of
// contrast, and its 1D readers threshold a whole row at once, which a shadow defeats.
GreyImage normalized(const GreyView &in) {
  const int w = in.width;
  const int h = in.height;
  const auto W = static_cast<std::size_t>(w);
  const auto H = static_cast<std::size_t>(h);
  // 32-bit sums that wrap: a box's sum, a difference of four of them, comes out right modulo
  // 2^32, and no box of an image under kMaxImagePixels (r is a tenth of the longer side)
  // holds 2^32 / 255 pixels. Half the memory of 64-bit sums.
  std::vector<std::uint32_t> integral((W + 1) * (H + 1), 0);
  for (std::size_t y = 0; y < H; ++y) {
    std::uint32_t row = 0;
    for (std::size_t x = 0; x < W; ++x) {
      row += in.pixels[y * static_cast<std::size_t>(in.stride) + x];
      integral[(y + 1) * (W + 1) + x + 1] = integral[y * (W + 1) + x + 1] + row;
    }
  }
  const int r = std::max(8, std::max(w, h) / 10);
  std::vector<float> ratio(W * H);
  for (int y = 0; y < h; ++y) {
    const auto y0 = static_cast<std::size_t>(std::max(0, y - r));
    const auto y1 = static_cast<std::size_t>(std::min(h, y + r + 1));
    for (int x = 0; x < w; ++x) {
      const auto x0 = static_cast<std::size_t>(std::max(0, x - r));
      const auto x1 = static_cast<std::size_t>(std::min(w, x + r + 1));
      const std::uint32_t sum = integral[y1 * (W + 1) + x1] - integral[y0 * (W + 1) + x1] -
                                integral[y1 * (W + 1) + x0] + integral[y0 * (W + 1) + x0];
      const double mean = static_cast<double>(sum) / static_cast<double>((y1 - y0) * (x1 - x0));
      ratio[static_cast<std::size_t>(y) * W + static_cast<std::size_t>(x)] = static_cast<float>(
          in.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(in.stride) +
                    static_cast<std::size_t>(x)] /
          (mean + 1.0));
    }
  }
  // Percentiles from a histogram of the ratios (0 to 4 in 4096 steps): a sort of 300,000
  // floats would cost more than the decode.
  constexpr int kBins = 4096;
  constexpr float kTop = 4.0f;
  std::vector<std::uint32_t> histogram(kBins, 0);
  const auto bin_of = [&](float v) {
    return std::clamp(static_cast<int>(v / kTop * kBins), 0, kBins - 1);
  };
  for (const float v : ratio) ++histogram[static_cast<std::size_t>(bin_of(v))];
  const auto nth = [&](double q) {
    const auto target = static_cast<std::uint64_t>(q * static_cast<double>(ratio.size()));
    std::uint64_t seen = 0;
    for (int b = 0; b < kBins; ++b) {
      seen += histogram[static_cast<std::size_t>(b)];
      if (seen > target) return (static_cast<float>(b) + 0.5f) * kTop / kBins;
    }
    return kTop;
  };
  const float lo = nth(0.02);
  const float hi = nth(0.98);
  const float span = std::max(hi - lo, 1e-3f);
  GreyImage out;
  out.width = w;
  out.height = h;
  out.pixels.resize(W * H);
  for (std::size_t i = 0; i < ratio.size(); ++i) {
    out.pixels[i] =
        static_cast<std::uint8_t>(std::clamp((ratio[i] - lo) / span * 255.0f + 0.5f, 0.0f, 255.0f));
  }
  return out;
}

// Turned by `degrees` about the centre, same size, corners filled with the mean grey. ZXing's
// 1D readers follow rows (and, with try-rotate, columns): a bar code tilted past about 20
// degrees is crossed by no row from end to end.
GreyImage turned(const GreyView &in, double degrees) {
  const double a = degrees * 3.14159265358979323846 / 180;
  const double c = std::cos(a);
  const double s = std::sin(a);
  GreyImage out;
  out.width = in.width;
  out.height = in.height;
  out.pixels.resize(static_cast<std::size_t>(in.width) * static_cast<std::size_t>(in.height));
  const double cx = (in.width - 1) / 2.0;
  const double cy = (in.height - 1) / 2.0;
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      const double sx = c * (x - cx) + s * (y - cy) + cx;
      const double sy = -s * (x - cx) + c * (y - cy) + cy;
      std::uint8_t v = 128;
      if (sx >= 0 && sy >= 0 && sx <= in.width - 1.0 && sy <= in.height - 1.0) {
        const int x0 = static_cast<int>(sx);
        const int y0 = static_cast<int>(sy);
        const int x1 = std::min(x0 + 1, in.width - 1);
        const int y1 = std::min(y0 + 1, in.height - 1);
        const double fx = sx - x0;
        const double fy = sy - y0;
        const auto at = [&](int px, int py) {
          return static_cast<double>(in.pixels[py * in.stride + px]);
        };
        v = static_cast<std::uint8_t>((at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) +
                                      (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy + 0.5);
      }
      out.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(in.width) +
                 static_cast<std::size_t>(x)] = v;
    }
  }
  return out;
}

// `factor` times smaller each way, each pixel the mean of its factor x factor block.
GreyImage downscaled(const GreyView &in, int factor) {
  GreyImage out;
  out.width = in.width / factor;
  out.height = in.height / factor;
  const auto W = static_cast<std::size_t>(out.width);
  out.pixels.resize(W * static_cast<std::size_t>(out.height));
  const int area = factor * factor;
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sum = 0;
      for (int dy = 0; dy < factor; ++dy) {
        const std::uint8_t *row = in.pixels + static_cast<std::size_t>(y * factor + dy) *
                                                  static_cast<std::size_t>(in.stride);
        for (int dx = 0; dx < factor; ++dx) sum += row[x * factor + dx];
      }
      out.pixels[static_cast<std::size_t>(y) * W + static_cast<std::size_t>(x)] =
          static_cast<std::uint8_t>((sum + area / 2) / area);
    }
  }
  return out;
}

ZXing::ImageView view_of(const GreyImage &image) {
  return {image.pixels.data(), image.width, image.height, ZXing::ImageFormat::Lum};
}

std::vector<DecodedCode> decode_thorough(const GreyView &image, ZXing::DecodeHints hints,
                                         const DecodeOptions &options) {
  const ZXing::ImageView view(image.pixels, image.width, image.height, ZXing::ImageFormat::Lum,
                              image.stride);
  hints.setTryHarder(true).setTryRotate(true).setTryDownscale(true);
  auto codes = read_pass(view, hints, 1.0);
  if (!codes.empty()) return codes;

  // The global histogram copes better with even lighting and low contrast, where the local
  // average sees texture in the paper.
  codes = read_pass(view, ZXing::DecodeHints(hints).setBinarizer(ZXing::Binarizer::GlobalHistogram),
                    1.0);
  if (!codes.empty()) return codes;

  // The passes below copy the image, normalized() into 9 bytes a pixel: above
  // kThoroughPixels (a phone photo) they work on a copy scaled down to at most that, and
  // `scale` takes the corners they find back to the image's pixels.
  GreyImage small;
  GreyView work = image;
  double scale = 1.0;
  if (static_cast<long>(image.width) * image.height > kThoroughPixels) {
    int factor = 2;
    while (static_cast<long>(image.width / factor) * (image.height / factor) > kThoroughPixels) {
      ++factor;
    }
    small = downscaled(image, factor);
    work = {small.pixels.data(), small.width, small.height, small.width};
    scale = 1.0 / factor;
  }

  const GreyImage flat = normalized(work);
  codes = read_pass(view_of(flat), hints, scale);
  if (!codes.empty()) return codes;

  const GreyImage soft = smoothed(work);
  codes = read_pass(view_of(soft), hints, scale);
  if (!codes.empty()) return codes;

  if (static_cast<long>(work.width) * work.height <= 1200L * 1200L) {
    codes = read_pass(view_of(upscaled(work)), hints, 2.0 * scale);
    if (!codes.empty()) return codes;
  }

  // Bar codes tilted 20 to 70 degrees (QR and DataMatrix are read at any angle already).
  if (options.linear) {
    const ZXing::DecodeHints linear =
        ZXing::DecodeHints(hints).setFormats(formats_for({options.effort, false, false, true}));
    for (const double degrees : {30.0, -30.0}) {
      const GreyImage tilted = turned(work, degrees);
      codes = read_pass(view_of(tilted), linear, 1.0);
      if (!codes.empty()) {
        // The corners were found in the turned image: turn them back, and scale them up.
        const double a = degrees * 3.14159265358979323846 / 180;
        const double cx = (work.width - 1) / 2.0;
        const double cy = (work.height - 1) / 2.0;
        for (auto &code : codes) {
          for (auto &p : code.position) {
            const double dx = p.x - cx;
            const double dy = p.y - cy;
            p = {
                static_cast<int>(std::lround((std::cos(a) * dx + std::sin(a) * dy + cx) / scale)),
                static_cast<int>(std::lround((-std::sin(a) * dx + std::cos(a) * dy + cy) / scale))};
          }
        }
        return codes;
      }
    }
  }
  return codes;
}

}  // namespace

DecodeResult decode_grey(const GreyView &image, const DecodeOptions &options) {
  const int stride = image.stride == 0 ? image.width : image.stride;
  if (image.pixels == nullptr || image.width <= 0 || image.height <= 0) {
    return failure("the image is empty");
  }
  if (stride < image.width) return failure("the image's rows are shorter than its width");
  if (static_cast<long>(image.width) * image.height > kMaxImagePixels) {
    return failure(too_large(image.width, image.height));
  }
  const ZXing::BarcodeFormats formats = formats_for(options);
  if (formats.empty()) return failure("no symbology is enabled");
  const GreyView view{image.pixels, image.width, image.height, stride};

  DecodeResult result;
  try {
    ZXing::DecodeHints hints;
    hints.setFormats(formats);
    if (options.effort == DecodeEffort::camera) {
      // Try-harder and downscaling cost a pass each, and most frames hold no code; the next
      // frame is another chance, with another pass.
      hints.setTryHarder(false).setTryRotate(true).setTryDownscale(false);
      const ZXing::ImageView zview(view.pixels, view.width, view.height, ZXing::ImageFormat::Lum,
                                   view.stride);
      switch (((options.camera_pass % kCameraPasses) + kCameraPasses) % kCameraPasses) {
        case 0:
          result.codes = read_pass(zview, hints, 1.0);
          break;
        case 1:
          result.codes =
              read_pass(zview, hints.setBinarizer(ZXing::Binarizer::GlobalHistogram), 1.0);
          break;
        default:
          result.codes = read_pass(view_of(normalized(view)), hints, 1.0);
          break;
      }
    } else {
      result.codes = decode_thorough(view, hints, options);
    }
  } catch (const std::exception &e) {
    return failure(std::string("the decoder failed: ") + e.what());
  }
  if (result.codes.empty()) return failure(kNoCode);
  result.ok = true;
  return result;
}

DecodeResult decode_rgb(const std::uint8_t *rgb, int width, int height,
                        const DecodeOptions &options) {
  if (rgb == nullptr || width <= 0 || height <= 0) return failure("the image is empty");
  GreyImage grey;
  grey.width = width;
  grey.height = height;
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  grey.pixels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    grey.pixels[i] = ZXing::RGBToLum(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
  }
  return decode_grey(grey.view(), options);
}

LoadResult load_grey_image_from_memory(const std::uint8_t *bytes, std::size_t size) {
  LoadResult out;
  if (bytes == nullptr || size == 0) {
    out.error = "the file is empty";
    return out;
  }
  if (size > static_cast<std::size_t>(INT_MAX)) {
    out.error = "the file is too large for an image";
    return out;
  }
  int width = 0;
  int height = 0;
  int channels = 0;
  // The size the header declares, before a byte of pixels is allocated: a PNG of a few hundred
  // bytes can declare 20000x20000. When the header cannot be read, the load below says why.
  if (stbi_info_from_memory(bytes, static_cast<int>(size), &width, &height, &channels) != 0 &&
      static_cast<long>(width) * height > kMaxImagePixels) {
    out.error = too_large(width, height);
    return out;
  }
  std::unique_ptr<unsigned char, void (*)(void *)> pixels(
      stbi_load_from_memory(bytes, static_cast<int>(size), &width, &height, &channels, 1),
      stbi_image_free);
  if (!pixels) {
    const char *why = stbi_failure_reason();
    out.error = std::string("not a PNG, JPEG or PGM image that can be read (") +
                (why != nullptr ? why : "unknown error") + ")";
    return out;
  }
  out.image.width = width;
  out.image.height = height;
  out.image.pixels.assign(pixels.get(), pixels.get() + static_cast<std::size_t>(width) *
                                                           static_cast<std::size_t>(height));
  out.ok = true;
  return out;
}

LoadResult load_grey_image(const std::string &path) {
  LoadResult out;
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path.c_str(), "rb"),
                                                        std::fclose);
  if (!file) {
    out.error = std::strerror(errno);
    return out;
  }
  std::vector<std::uint8_t> bytes;
  std::uint8_t buffer[65536];
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    bytes.insert(bytes.end(), buffer, buffer + n);
    if (n < sizeof buffer) break;
    // A camera frame is a few hundred kilobytes; a 256 MB "image" is a mistake.
    if (bytes.size() > (256u << 20)) {
      out.error = "the file is too large for an image";
      return out;
    }
  }
  if (std::ferror(file.get()) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  return load_grey_image_from_memory(bytes.data(), bytes.size());
}

}  // namespace comptoir::drivers
