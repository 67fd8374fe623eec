// Reading a QR code back from a PNG file, as a camera reader would (ZXing's detector, not
// its "pure image" shortcut), for the tests of the QR writer and of `comptoir-code sign --png`.
#pragma once

#include <string>

namespace comptoir::test {

struct QrRead {
  bool ok = false;
  std::string error;     // why not, when !ok
  std::string text;      // UTF-8
  std::string ec_level;  // "L", "M", "Q" or "H"
  int width = 0, height = 0;
  int channels = 0;  // channels in the PNG file: 1 for grayscale
};

QrRead read_qr_png(const std::string &path);

}  // namespace comptoir::test
