// The degraded image set: codes the appliance meets (a pickup token as a QR code at ECC M, a
// short code as a QR code and as Code 128, an EAN-13), written with ZXing's writer, then
// photographed badly on purpose: rotated (a few degrees, 90 and 180), blurred, noisy, scaled
// down, in low contrast, in perspective, shown on a phone screen (subpixel stripes and a pixel
// grid resampled by the camera into moiré), and combinations. Deterministic: fixed seeds and
// our own Box-Muller, so the same set comes out on every machine and a pass count is a number
// a regression can move. Shared by the decoder's black-box test and comptoir-bench-camera.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "drivers/image_decoder.hpp"

namespace comptoir::test {

// One picture of one code.
struct DegradedImage {
  std::string file;         // "blur-2.0-token-qr.png": unique in the set
  std::string degradation;  // the family counted together: "clean", "rotate-small", "blur", …
  std::string level;        // its strength: "2.0", "15deg", …
  std::string code;         // "token-qr", "short-qr", "short-code128", "ean13"
  std::string text;         // what a reader must read, exactly
  std::string format;       // ZXing's name of the symbology: "QRCode", "Code128", "EAN-13"
  drivers::GreyImage image;
};

// The families, in the order the set lists them.
const std::vector<std::string> &degradation_families();

// The codes the set is made of: a pickup-token-shaped text ('ZA1' + 128 Crockford symbols).
std::string degraded_set_token();

// Makes the whole set in memory (about 150 images; a second or two with optimisation).
std::vector<DegradedImage> make_degraded_set();

// Writes each image as an 8-bit grey PNG named image.file into `dir` (made if missing).
// Returns an empty string, or why it could not.
std::string write_degraded_set(const std::vector<DegradedImage> &set,
                               const std::filesystem::path &dir);

// A clean picture of one code: `text` written by ZXing's writer as `format` (ZXing's name:
// "QRCode", "DataMatrix", "EAN-13", "Code128", …; QR at ECC M), `module_px` pixels a module,
// 1D bars 80 pixels high, with its quiet zone and `margin` pixels of paper around it. An empty
// image when the writer refuses the text.
drivers::GreyImage code_picture(const std::string &format, const std::string &text,
                                int module_px = 4, int margin = 24);

// A 640x480 frame as a camera on a counter sees it: a grey, unevenly lit background with some
// texture and sensor noise, and, when `with_code`, the token's QR code (about 3 pixels a
// module, tilted a little) in it.
drivers::GreyImage camera_frame(bool with_code, unsigned seed);

}  // namespace comptoir::test
