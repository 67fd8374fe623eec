#include "drivers/qr_image.hpp"

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

namespace comptoir::drivers {
namespace {

// MultiFormatWriter's scale for QR codes is 0-8, mapped to L/M/Q/H by (level - 1) / 2 in
// ZXing-cpp 1.4 (core/src/MultiFormatWriter.cpp): 3 and 4 give M, which restores about 15 %
// of the code (a scratch on a paper ticket, a crack in a phone screen).
constexpr int kEccLevelM = 4;

QrImageResult failure(std::string message) {
  QrImageResult r;
  r.error = std::move(message);
  return r;
}

void append_bytes(void *context, void *data, int size) {
  auto *out = static_cast<std::string *>(context);
  out->append(static_cast<const char *>(data), static_cast<std::size_t>(size));
}

}  // namespace

QrImageResult write_qr_png(const std::string &text, const std::string &path, int scale,
                           int quiet_zone) {
  if (text.empty()) return failure("There is no text to put in the QR code.");
  if (path.empty()) return failure("No file name was given for the QR image.");
  if (scale < 1 || scale > 64) return failure("The QR scale must be 1 to 64 pixels per module.");
  if (quiet_zone < 0 || quiet_zone > 32) {
    return failure("The QR quiet zone must be 0 to 32 modules.");
  }

  QrImageResult result;
  std::vector<unsigned char> pixels;
  try {
    // Margin 0 and size 0: one element per module, so the version can be read from the size
    // and the scaling below stays exact.
    const ZXing::BitMatrix matrix = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                                        .setEncoding(ZXing::CharacterSet::UTF8)
                                        .setEccLevel(kEccLevelM)
                                        .setMargin(0)
                                        .encode(text, 0, 0);
    const int modules = matrix.width();
    if (modules < 21 || matrix.height() != modules || (modules - 17) % 4 != 0) {
      return failure("The QR writer returned a matrix of an unexpected size.");
    }
    const int side = (modules + 2 * quiet_zone) * scale;
    // Module (x, y) covers pixels [(quiet_zone + x) * scale, + scale) of rows
    // [(quiet_zone + y) * scale, + scale): at most 241 modules × 64 pixels, far inside int.
    const auto width = static_cast<std::size_t>(side);
    const auto run = static_cast<std::size_t>(scale);
    pixels.assign(width * width, 0xFF);
    for (int y = 0; y < modules; ++y) {
      for (int x = 0; x < modules; ++x) {
        if (!matrix.get(x, y)) continue;
        const std::size_t top = static_cast<std::size_t>(quiet_zone + y) * run;
        const std::size_t left = static_cast<std::size_t>(quiet_zone + x) * run;
        for (std::size_t dy = 0; dy < run; ++dy) {
          std::memset(pixels.data() + (top + dy) * width + left, 0x00, run);
        }
      }
    }
    result.version = (modules - 17) / 4;
    result.modules = modules;
    result.pixels = side;
  } catch (const std::exception &e) {
    // ZXing throws std::invalid_argument for text too long for any QR version.
    return failure(std::string("The text cannot be made into a QR code: ") + e.what() + '.');
  }

  std::string png;
  if (stbi_write_png_to_func(append_bytes, &png, result.pixels, result.pixels, 1, pixels.data(),
                             result.pixels) == 0) {
    return failure("The PNG encoder failed (out of memory?).");
  }
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return failure("Could not create " + path + ": " + std::strerror(errno) + '.');
  }
  const bool written = std::fwrite(png.data(), 1, png.size(), file) == png.size();
  const int write_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    std::remove(path.c_str());
    return failure("Could not write " + path + ": " + std::strerror(written ? errno : write_errno) +
                   '.');
  }
  result.ok = true;
  return result;
}

}  // namespace comptoir::drivers
