// QR codes as PNG images: the text encoded with ZXing's writer at error-correction level M
// (ZXing picks the smallest version and alphanumeric mode for upper-case letters and
// digits), drawn one module to scale × scale black or white pixels behind a quiet zone,
// written as an 8-bit grayscale PNG with stb_image_write. Includes nothing of ours.
#pragma once

#include <string>

namespace comptoir::drivers {

struct QrImageResult {
  bool ok = false;
  std::string error;  // when !ok: what went wrong, as a sentence for people
  int version = 0;    // the QR version, 1 to 40, when ok
  int modules = 0;    // modules per side, quiet zone not counted (17 + 4 × version)
  int pixels = 0;     // the image's width and height
};

// Writes (or replaces) the PNG at `path`. scale: pixels per module (1 to 64); quiet_zone:
// white modules around the code (0 to 32; readers want 4). Never throws.
QrImageResult write_qr_png(const std::string &text, const std::string &path, int scale = 8,
                           int quiet_zone = 4);

}  // namespace comptoir::drivers
