#include "portal/qr_png.hpp"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>
#include <ZXing/MultiFormatWriter.h>
#include <stb/stb_image_write.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace comptoir::portal {
namespace {

// ZXing-cpp 1.4 maps the writer's 0-8 scale to L/M/Q/H by (level - 1) / 2: 4 gives M, which
// survives a scratch on a paper ticket (see drivers/qr_image.cpp).
constexpr int kEccLevelM = 4;
constexpr int kQuietZone = 4;

void append_bytes(void *context, void *data, int size) {
  static_cast<std::string *>(context)->append(static_cast<const char *>(data),
                                              static_cast<std::size_t>(size));
}

}  // namespace

Result<void> write_qr_png(const std::string &text, const std::string &path, int scale) {
  if (text.empty()) return make_error("qr_failed", "there is no text to put in the QR code");
  if (scale < 1 || scale > 64) return make_error("qr_failed", "the scale must be 1 to 64");
  std::vector<unsigned char> pixels;
  int side = 0;
  try {
    const ZXing::BitMatrix matrix = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                                        .setEncoding(ZXing::CharacterSet::UTF8)
                                        .setEccLevel(kEccLevelM)
                                        .setMargin(0)
                                        .encode(text, 0, 0);
    const int modules = matrix.width();
    if (modules < 21 || matrix.height() != modules) {
      return make_error("qr_failed", "the QR writer returned a matrix of an unexpected size");
    }
    side = (modules + 2 * kQuietZone) * scale;
    const auto width = static_cast<std::size_t>(side);
    const auto run = static_cast<std::size_t>(scale);
    pixels.assign(width * width, 0xFF);
    for (int y = 0; y < modules; ++y) {
      for (int x = 0; x < modules; ++x) {
        if (!matrix.get(x, y)) continue;
        const std::size_t top = static_cast<std::size_t>(kQuietZone + y) * run;
        const std::size_t left = static_cast<std::size_t>(kQuietZone + x) * run;
        for (std::size_t dy = 0; dy < run; ++dy) {
          std::memset(pixels.data() + (top + dy) * width + left, 0x00, run);
        }
      }
    }
  } catch (const std::exception &e) {
    return make_error("qr_failed",
                      std::string("the text cannot be made into a QR code: ") + e.what());
  }
  std::string png;
  if (stbi_write_png_to_func(append_bytes, &png, side, side, 1, pixels.data(), side) == 0) {
    return make_error("qr_failed", "the PNG encoder failed (out of memory?)");
  }
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return make_error("file_error", "cannot create " + path + ": " + std::strerror(errno));
  }
  const bool written = std::fwrite(png.data(), 1, png.size(), file) == png.size();
  const int write_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    const int e = written ? errno : write_errno;
    std::remove(path.c_str());
    return make_error(e == ENOSPC ? "disk_full" : "file_error",
                      "cannot write " + path + ": " + std::strerror(e));
  }
  return {};
}

}  // namespace comptoir::portal
