// A QR code as a PNG file, for the enrolment code and an order's signed token. The same
// recipe as drivers/qr_image.cpp (ZXing's writer, level M, stb_image_write), written again
// here because the portal links nothing of the appliance but the wire contract.
#pragma once

#include <string>

#include "db/result.hpp"

namespace comptoir::portal {

// Writes `text` as a QR code, `scale` pixels a module, a 4-module quiet zone. Errors:
// qr_failed (text too long, PNG encoder), file_error (cannot write the file).
Result<void> write_qr_png(const std::string &text, const std::string &path, int scale = 8);

}  // namespace comptoir::portal
