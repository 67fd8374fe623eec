// The decoder, black-box in ZXing's style: the degraded image set (tests/support) is run
// through decode_grey and each degradation must reach the pass count measured when the set
// was made, so a regression shows as a number; a code read is always the right text, never a
// wrong one. Then every symbology staff meet reads back with its name and position, the
// camera's quick effort reads a frame, and files load from PNG, JPEG, PGM and PPM, with
// reasons for the missing, the empty and the corrupt. A PNG of a few hundred bytes that declares
// 20000x20000 is refused from its header, quickly and without a large allocation (counted
// through ASan's malloc hook), and the thorough passes on a 9 Mpx picture work on a copy
// scaled down.
#include "drivers/image_decoder.hpp"

#include <doctest/doctest.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/drivers/png_fixtures.hpp"
#include "tests/support/degraded_images.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

using drivers::DecodeEffort;
using drivers::DecodeOptions;
using drivers::GreyImage;

#if defined(__SANITIZE_ADDRESS__)
// ASan's hook on every allocation (libasan exports it; GCC 12 ships no header declaring it).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *,
                                                                  std::size_t),
                                                         void (*)(const volatile void *));
#endif

// The largest single allocation made while one is alive; nullopt without ASan to count them.
class LargestAllocation {
 public:
  LargestAllocation() {
#if defined(__SANITIZE_ADDRESS__)
    static const bool installed =
        __sanitizer_install_malloc_and_free_hooks(
            [](const volatile void *, std::size_t size) {
              if (!watching_) return;
              std::size_t seen = largest_.load();
              while (size > seen && !largest_.compare_exchange_weak(seen, size)) {
              }
            },
            [](const volatile void *) {}) != 0;
    counting_ = installed;
#endif
    largest_ = 0;
    watching_ = true;
  }
  ~LargestAllocation() {
    watching_ = false;
  }
  LargestAllocation(const LargestAllocation &) = delete;
  LargestAllocation &operator=(const LargestAllocation &) = delete;

  std::optional<std::size_t> bytes() const {
    if (!counting_) return std::nullopt;
    return largest_.load();
  }

 private:
  bool counting_ = false;
  static inline std::atomic<bool> watching_{false};
  static inline std::atomic<std::size_t> largest_{0};
};

std::string png_bytes(const GreyImage &image) {
  std::string out;
  stbi_write_png_to_func(
      [](void *context, void *data, int size) {
        static_cast<std::string *>(context)->append(static_cast<const char *>(data),
                                                    static_cast<std::size_t>(size));
      },
      &out, image.width, image.height, 1, image.pixels.data(), image.width);
  return out;
}

std::string jpeg_bytes(const GreyImage &image, int quality) {
  std::string out;
  stbi_write_jpg_to_func(
      [](void *context, void *data, int size) {
        static_cast<std::string *>(context)->append(static_cast<const char *>(data),
                                                    static_cast<std::size_t>(size));
      },
      &out, image.width, image.height, 1, image.pixels.data(), quality);
  return out;
}

std::string pgm_bytes(const GreyImage &image) {
  std::string out = "P5\n# written by the test\n" + std::to_string(image.width) + " " +
                    std::to_string(image.height) + "\n255\n";
  out.append(reinterpret_cast<const char *>(image.pixels.data()), image.pixels.size());
  return out;
}

// Colour: the code in dark blue on cream, as a phone screenshot might be.
std::string ppm_bytes(const GreyImage &image) {
  std::string out =
      "P6\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n255\n";
  for (const std::uint8_t v : image.pixels) {
    const bool dark = v < 128;
    out += static_cast<char>(dark ? 20 : 250);
    out += static_cast<char>(dark ? 30 : 240);
    out += static_cast<char>(dark ? 110 : 215);
  }
  return out;
}

// What the set gave when it was made (ZXing-cpp 1.4, the passes in image_decoder.cpp), out of
// the count in brackets; zbarimg 0.23.92 read clean 4, rotate-small 17, rotate-quarter 12,
// blur 5, noise 5, scale-down 9, low-contrast 20, perspective 5, moire 5, combined 3.
const std::map<std::string, std::pair<int, int>> kExpectedPasses = {
    {"clean", {4, 4}},          {"rotate-small", {19, 20}}, {"rotate-quarter", {12, 12}},
    {"blur", {7, 16}},          {"noise", {16, 16}},        {"scale-down", {12, 16}},
    {"low-contrast", {20, 20}}, {"perspective", {15, 16}},  {"moire", {12, 12}},
    {"combined", {11, 16}},
};

TEST_CASE("the degraded image set reads at the measured pass count per degradation, never wrong") {
  const auto set = make_degraded_set();
  REQUIRE(set.size() == 148);
  std::map<std::string, int> passes;
  std::map<std::string, int> counts;
  std::string failures;
  for (const DegradedImage &image : set) {
    ++counts[image.degradation];
    const auto result = drivers::decode_grey(image.image.view());
    if (!result.ok) {
      CHECK(result.reason == "no code found");
      failures += " " + image.file;
      continue;
    }
    INFO(image.file);
    // Never a wrong text: a misread pickup code is worse than none.
    REQUIRE(result.codes.front().text == image.text);
    CHECK(result.codes.front().format == image.format);
    ++passes[image.degradation];
  }
  MESSAGE("not read:" << failures);
  for (const auto &[family, expected] : kExpectedPasses) {
    INFO(family);
    CHECK(counts[family] == expected.second);
    CHECK(passes[family] >= expected.first);
    MESSAGE(family << ": " << passes[family] << " of " << counts[family]);
  }
  CHECK(kExpectedPasses.size() == degradation_families().size());
}

TEST_CASE("the set is the same every time: fixed seeds") {
  const auto a = make_degraded_set();
  const auto b = make_degraded_set();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].file == b[i].file);
    CHECK(a[i].image.pixels == b[i].image.pixels);
  }
  CHECK(degraded_set_token().size() == 131);
  CHECK(degraded_set_token().rfind("ZA1", 0) == 0);
}

TEST_CASE("every symbology staff meet reads back with its name") {
  struct Case {
    const char *format;
    const char *text;
    int module_px;
  };
  const Case cases[] = {
      {"QRCode", "K7QM-9X2D-4R1", 4},  {"DataMatrix", "K7QM-9X2D-4R1", 5},
      {"EAN-13", "4006381333931", 3},  {"EAN-8", "96385074", 3},
      {"UPC-A", "036000291452", 3},    {"UPC-E", "04252614", 3},
      {"Code128", "K7QM-9X2D-4R1", 2}, {"Code39", "K7QM-9X2D-4R1", 2},
      {"ITF", "00012345678905", 3},
  };
  for (const Case &c : cases) {
    INFO(c.format);
    const GreyImage image = code_picture(c.format, c.text, c.module_px);
    REQUIRE(image.width > 0);
    for (const DecodeEffort effort : {DecodeEffort::camera, DecodeEffort::thorough}) {
      const auto result = drivers::decode_grey(image.view(), {effort, true, true, true});
      INFO(result.reason);
      REQUIRE(result.ok);
      CHECK(result.codes.front().format == c.format);
      CHECK(result.codes.front().text == c.text);
    }
  }
}

TEST_CASE("the position is where the code is in the picture") {
  const GreyImage code = code_picture("QRCode", degraded_set_token(), 4, 0);
  REQUIRE(code.width > 0);
  // Pasted at (100, 60) on a larger sheet: the finder corners are inside the quiet zone.
  GreyImage sheet;
  sheet.width = code.width + 200;
  sheet.height = code.height + 120;
  sheet.pixels.assign(static_cast<std::size_t>(sheet.width * sheet.height), 235);
  for (int y = 0; y < code.height; ++y) {
    for (int x = 0; x < code.width; ++x) {
      sheet.pixels[static_cast<std::size_t>((60 + y) * sheet.width + 100 + x)] =
          code.pixels[static_cast<std::size_t>(y * code.width + x)];
    }
  }
  const auto result = drivers::decode_grey(sheet.view());
  REQUIRE(result.ok);
  const auto &p = result.codes.front().position;
  const int quiet = 4 * 4;  // 4 modules of 4 pixels
  const int side = code.width - 2 * quiet;
  CHECK(std::abs(p[0].x - (100 + quiet)) <= 4);
  CHECK(std::abs(p[0].y - (60 + quiet)) <= 4);
  CHECK(std::abs(p[2].x - (100 + quiet + side)) <= 4);
  CHECK(std::abs(p[2].y - (60 + quiet + side)) <= 4);
}

TEST_CASE("a camera frame reads with the quick effort, and a frame with no code says so") {
  const GreyImage with = camera_frame(true, 7);
  REQUIRE(with.width == 640);
  REQUIRE(with.height == 480);
  const auto read = drivers::decode_grey(with.view(), {DecodeEffort::camera, true, true, true});
  INFO(read.reason);
  REQUIRE(read.ok);
  CHECK(read.codes.front().text == degraded_set_token());
  CHECK(read.codes.front().format == "QRCode");

  const GreyImage without = camera_frame(false, 7);
  const auto none = drivers::decode_grey(without.view(), {DecodeEffort::camera, true, true, true});
  CHECK_FALSE(none.ok);
  CHECK(none.reason == "no code found");
  CHECK(none.codes.empty());
}

TEST_CASE("a padded stride reads the same as packed rows") {
  const GreyImage code = code_picture("QRCode", "K7QM-9X2D-4R1", 4);
  const int stride = code.width + 13;
  std::vector<std::uint8_t> padded(static_cast<std::size_t>(stride * code.height), 0);
  for (int y = 0; y < code.height; ++y) {
    std::copy_n(code.pixels.begin() + y * code.width, code.width, padded.begin() + y * stride);
  }
  const auto result = drivers::decode_grey({padded.data(), code.width, code.height, stride}, {});
  REQUIRE(result.ok);
  CHECK(result.codes.front().text == "K7QM-9X2D-4R1");
}

TEST_CASE("only the enabled symbologies are read") {
  const GreyImage qr = code_picture("QRCode", "K7QM-9X2D-4R1", 4);
  const auto off = drivers::decode_grey(qr.view(), {DecodeEffort::thorough, false, true, true});
  CHECK_FALSE(off.ok);
  CHECK(off.reason == "no code found");
  const GreyImage ean = code_picture("EAN-13", "4006381333931", 3);
  CHECK_FALSE(drivers::decode_grey(ean.view(), {DecodeEffort::thorough, true, true, false}).ok);
  CHECK(drivers::decode_grey(ean.view(), {DecodeEffort::thorough, false, false, true}).ok);
}

TEST_CASE("bad views are refused with a reason, not a crash") {
  const std::uint8_t pixel = 0;
  CHECK(drivers::decode_grey({nullptr, 10, 10, 10}).reason == "the image is empty");
  CHECK(drivers::decode_grey({&pixel, 0, 10, 0}).reason == "the image is empty");
  CHECK(drivers::decode_grey({&pixel, 10, -1, 0}).reason == "the image is empty");
  CHECK(drivers::decode_grey({&pixel, 10, 1, 5}).reason ==
        "the image's rows are shorter than its width");
  CHECK(
      drivers::decode_grey({&pixel, 1, 1, 1}, {DecodeEffort::camera, false, false, false}).reason ==
      "no symbology is enabled");
  // A single pixel and an all-white page have no code in them.
  CHECK(drivers::decode_grey({&pixel, 1, 1, 1}).reason == "no code found");
  const std::vector<std::uint8_t> white(640 * 480, 255);
  CHECK(drivers::decode_grey({white.data(), 640, 480, 640}).reason == "no code found");
  CHECK(drivers::decode_rgb(nullptr, 3, 3).reason == "the image is empty");
}

TEST_CASE("RGB pixels are read through their luminance") {
  const GreyImage code = code_picture("QRCode", "K7QM-9X2D-4R1", 4);
  const std::string ppm = ppm_bytes(code);
  const std::size_t header = ppm.size() - code.pixels.size() * 3;
  const auto result = drivers::decode_rgb(
      reinterpret_cast<const std::uint8_t *>(ppm.data() + header), code.width, code.height);
  REQUIRE(result.ok);
  CHECK(result.codes.front().text == "K7QM-9X2D-4R1");
}

TEST_CASE("PNG, JPEG, PGM and PPM files load as grey and read") {
  TempDir dir;
  const GreyImage code = code_picture("QRCode", degraded_set_token(), 4);
  write_file(dir.file("token.png"), png_bytes(code));
  write_file(dir.file("token.jpg"), jpeg_bytes(code, 75));
  write_file(dir.file("token.pgm"), pgm_bytes(code));
  write_file(dir.file("token.ppm"), ppm_bytes(code));
  for (const char *name : {"token.png", "token.jpg", "token.pgm", "token.ppm"}) {
    INFO(name);
    const auto loaded = drivers::load_grey_image(dir.file(name));
    INFO(loaded.error);
    REQUIRE(loaded.ok);
    CHECK(loaded.image.width == code.width);
    CHECK(loaded.image.height == code.height);
    const auto result = drivers::decode_grey(loaded.image.view());
    REQUIRE(result.ok);
    CHECK(result.codes.front().text == degraded_set_token());
  }
  // PNG and PGM are lossless: the very pixels come back.
  CHECK(drivers::load_grey_image(dir.file("token.png")).image.pixels == code.pixels);
  CHECK(drivers::load_grey_image(dir.file("token.pgm")).image.pixels == code.pixels);
}

TEST_CASE("missing, empty, corrupt and non-image files give a reason") {
  TempDir dir;
  const auto missing = drivers::load_grey_image(dir.file("nothing-here.png"));
  CHECK_FALSE(missing.ok);
  CHECK(missing.error == "No such file or directory");

  write_file(dir.file("empty.png"), "");
  CHECK(drivers::load_grey_image(dir.file("empty.png")).error == "the file is empty");

  // A real PNG cut in half, as a copy interrupted mid-way leaves it.
  const std::string png = png_bytes(code_picture("QRCode", "K7QM-9X2D-4R1", 4));
  write_file(dir.file("cut.png"), png.substr(0, png.size() / 2));
  const auto cut = drivers::load_grey_image(dir.file("cut.png"));
  CHECK_FALSE(cut.ok);
  CHECK(cut.error.rfind("not a PNG, JPEG or PGM image that can be read (", 0) == 0);

  write_file(dir.file("notes.txt"), "pickup list for Saturday\n");
  const auto text = drivers::load_grey_image(dir.file("notes.txt"));
  CHECK_FALSE(text.ok);
  CHECK(text.error.find("not a PNG, JPEG or PGM image") != std::string::npos);

  const auto folder = drivers::load_grey_image(dir.path().string());
  CHECK_FALSE(folder.ok);
  CHECK(folder.error == "Is a directory");

  CHECK(drivers::load_grey_image_from_memory(nullptr, 0).error == "the file is empty");
}

TEST_CASE("a tiny PNG declaring 20000x20000 is refused from its header, with the limit") {
  const std::string png = png_declaring(20000, 20000);
  CHECK(png.size() < 200);
  const auto *bytes = reinterpret_cast<const std::uint8_t *>(png.data());
  const auto start = std::chrono::steady_clock::now();
  LargestAllocation largest;
  const auto loaded = drivers::load_grey_image_from_memory(bytes, png.size());
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(loaded.ok);
  CHECK(loaded.error ==
        "the image is 20000x20000 pixels (400 Mpx): images over 40 Mpx are refused");
  CHECK(loaded.image.pixels.empty());
  CHECK(took < std::chrono::milliseconds(200));
  // Before, stb_image allocated the 400 MB it declares to inflate into.
  if (const auto most = largest.bytes()) {
    MESSAGE("largest allocation while loading: " << *most << " bytes");
    CHECK(*most < 1'000'000);
  }

  // Through a file, as comptoir-scan reads it; and just over the limit, in one dimension.
  TempDir dir;
  write_file(dir.file("huge.png"), png);
  CHECK(drivers::load_grey_image(dir.file("huge.png")).error == loaded.error);
  const std::string over = png_declaring(8000, 5001);
  CHECK(drivers::load_grey_image_from_memory(reinterpret_cast<const std::uint8_t *>(over.data()),
                                             over.size())
            .error == "the image is 8000x5001 pixels (40 Mpx): images over 40 Mpx are refused");

  // A view that large is refused before a pixel is read (one byte behind it here).
  const std::uint8_t pixel = 0;
  const auto decoded = drivers::decode_grey({&pixel, 8000, 5001, 8000});
  CHECK_FALSE(decoded.ok);
  CHECK(decoded.reason == "the image is 8000x5001 pixels (40 Mpx): images over 40 Mpx are refused");
}

TEST_CASE("over 8 Mpx, the thorough passes work on a copy scaled down") {
  // 3000x3000 of paper grain, no code: every pass runs. normalized() alone took 9 bytes a
  // pixel at full size (81 MB here, 360 MB at 40 Mpx); on the copy scaled down to 1500x1500,
  // its largest block is 9 MB, as big as the picture itself.
  GreyImage big;
  big.width = 3000;
  big.height = 3000;
  big.pixels.resize(9'000'000);
  for (std::size_t i = 0; i < big.pixels.size(); ++i) {
    big.pixels[i] = static_cast<std::uint8_t>(180 + (((i * 2654435761u) >> 20) & 31));
  }
  LargestAllocation largest;
  const auto result = drivers::decode_grey(big.view());
  CHECK_FALSE(result.ok);
  CHECK(result.reason == "no code found");
  if (const auto most = largest.bytes()) {
    MESSAGE("largest allocation while decoding 9 Mpx: " << *most << " bytes");
    CHECK(*most <= 9'100'000);
  }
}

TEST_CASE("over 8 Mpx, a code the scaled-down passes read is where it is in the full picture") {
  // Pictures of the set that ZXing's own binarizers miss and the lighting evened out reads
  // (a shadow, low contrast), blown up k times pixel for pixel past 8 Mpx: the copy scaled
  // down by k is the picture again, and the corners come back multiplied by k.
  int tried = 0;
  for (const DegradedImage &image : make_degraded_set()) {
    if (tried == 2) break;
    const auto pass = [&](int p) {
      return drivers::decode_grey(image.image.view(), {DecodeEffort::camera, true, true, true, p});
    };
    if (pass(0).ok || pass(1).ok) continue;
    const auto small = pass(2);
    if (!small.ok) continue;
    INFO(image.file);
    ++tried;
    const int k = 1 + static_cast<int>(std::sqrt(8.1e6 / (image.image.width * image.image.height)));
    GreyImage big;
    big.width = image.image.width * k;
    big.height = image.image.height * k;
    REQUIRE(static_cast<long>(big.width) * big.height > drivers::kThoroughPixels);
    big.pixels.resize(static_cast<std::size_t>(big.width) * static_cast<std::size_t>(big.height));
    for (int y = 0; y < big.height; ++y) {
      for (int x = 0; x < big.width; ++x) {
        big.pixels[static_cast<std::size_t>(y * big.width + x)] =
            image.image.pixels[static_cast<std::size_t>((y / k) * image.image.width + x / k)];
      }
    }
    const auto result = drivers::decode_grey(big.view());
    REQUIRE(result.ok);
    CHECK(result.codes.front().text == image.text);
    for (std::size_t i = 0; i < 4; ++i) {
      const auto &got = result.codes.front().position[i];
      const auto &want = small.codes.front().position[i];
      CHECK(std::abs(got.x - want.x * k) <= 2 * k);
      CHECK(std::abs(got.y - want.y * k) <= 2 * k);
    }
  }
  CHECK(tried == 2);
}

}  // namespace
}  // namespace comptoir::test
