#include "tests/drivers/qr_read.hpp"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <stb/stb_image.h>

#include <memory>

#include "tests/support/temp_dir.hpp"

namespace comptoir::test {

QrRead read_qr_png(const std::string &path) {
  QrRead out;
  const std::string bytes = read_file(path);
  int channels = 0;
  std::unique_ptr<unsigned char, void (*)(void *)> pixels(
      stbi_load_from_memory(reinterpret_cast<const unsigned char *>(bytes.data()),
                            static_cast<int>(bytes.size()), &out.width, &out.height, &channels, 1),
      stbi_image_free);
  if (!pixels) {
    out.error = std::string("stb_image: ") + stbi_failure_reason();
    return out;
  }
  out.channels = channels;
  const ZXing::ImageView image(pixels.get(), out.width, out.height, ZXing::ImageFormat::Lum);
  const ZXing::Result result =
      ZXing::ReadBarcode(image, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode));
  if (!result.isValid()) {
    out.error = "ZXing found no QR code";
    return out;
  }
  out.ok = true;
  out.text = result.text();
  out.ec_level = result.ecLevel();
  return out;
}

}  // namespace comptoir::test
