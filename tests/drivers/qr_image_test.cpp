// The QR writer: what it writes reads back, with ZXing's own reader, as the same text, at
// error-correction level M; a 131-character pickup token fits a small version; bad
// arguments and unwritable paths give a reason, not an exception.
#include "drivers/qr_image.hpp"

#include <doctest/doctest.h>

#include <string>

#include "tests/drivers/qr_read.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

// Shaped like a pickup token: "ZA1" and 128 Crockford symbols, all in QR's alphanumeric set.
std::string token_like() {
  const std::string symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string text = "ZA1";
  for (std::size_t i = 0; i < 128; ++i) text += symbols[(i * 7 + 3) % symbols.size()];
  return text;
}

TEST_CASE("a 131-character token makes a version 6 QR code at ECC M that reads back") {
  TempDir dir;
  const std::string path = dir.file("token.png");
  const std::string text = token_like();
  REQUIRE(text.size() == 131);

  const drivers::QrImageResult r = drivers::write_qr_png(text, path);
  INFO(r.error);
  REQUIRE(r.ok);
  // Alphanumeric mode at ECC M holds 122 characters in version 5 and 154 in version 6.
  CHECK(r.version == 6);
  CHECK(r.modules == 17 + 4 * r.version);
  CHECK(r.pixels == (r.modules + 2 * 4) * 8);

  const std::string bytes = read_file(path);
  REQUIRE(bytes.size() > 8);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

  const QrRead read = read_qr_png(path);
  INFO(read.error);
  REQUIRE(read.ok);
  CHECK(read.text == text);
  CHECK(read.ec_level == "M");
  CHECK(read.width == r.pixels);
  CHECK(read.height == r.pixels);
  CHECK(read.channels == 1);
}

TEST_CASE("scale and quiet zone set the image size, and small images still read") {
  TempDir dir;
  const std::string path = dir.file("small.png");
  const drivers::QrImageResult r = drivers::write_qr_png("K7QM-9X2D-F3A", path, 3, 2);
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(r.version == 1);
  CHECK(r.pixels == (21 + 2 * 2) * 3);
  const QrRead read = read_qr_png(path);
  INFO(read.error);
  REQUIRE(read.ok);
  CHECK(read.text == "K7QM-9X2D-F3A");
}

TEST_CASE("text outside the alphanumeric set is written as UTF-8 and reads back") {
  TempDir dir;
  const std::string path = dir.file("utf8.png");
  const std::string text = "La Ferme du Bois Joli — retrait n°42, 12 € réglés";
  const drivers::QrImageResult r = drivers::write_qr_png(text, path);
  INFO(r.error);
  REQUIRE(r.ok);
  const QrRead read = read_qr_png(path);
  INFO(read.error);
  REQUIRE(read.ok);
  CHECK(read.text == text);
}

TEST_CASE("a file that cannot be created gives a reason and leaves nothing behind") {
  TempDir dir;
  const std::string path = dir.file("no-such-folder/token.png");
  const drivers::QrImageResult r = drivers::write_qr_png(token_like(), path);
  CHECK_FALSE(r.ok);
  CHECK(r.error.find(path) != std::string::npos);
  CHECK(r.error.find("No such file or directory") != std::string::npos);
  CHECK_FALSE(file_exists(path));
}

TEST_CASE("bad arguments and text too long for any QR code are refused without exceptions") {
  TempDir dir;
  const std::string path = dir.file("x.png");
  CHECK_FALSE(drivers::write_qr_png("", path).ok);
  CHECK_FALSE(drivers::write_qr_png("A", "").ok);
  CHECK_FALSE(drivers::write_qr_png("A", path, 0).ok);
  CHECK_FALSE(drivers::write_qr_png("A", path, 65).ok);
  CHECK_FALSE(drivers::write_qr_png("A", path, 8, -1).ok);
  CHECK_FALSE(drivers::write_qr_png("A", path, 8, 33).ok);
  // Version 40-M holds 2,331 bytes: 5,000 bytes fit no version.
  const drivers::QrImageResult r = drivers::write_qr_png(std::string(5000, 'x'), path);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.error.empty());
  CHECK_FALSE(file_exists(path));
}

}  // namespace
}  // namespace comptoir::test
