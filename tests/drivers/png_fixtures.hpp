// Image fixtures the decoder's and comptoir-scan's tests share.
#pragma once

#include <doctest/doctest.h>
#include <stb/stb_image_write.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace comptoir::test {

// A real PNG, `declared` to be width x height in its IHDR (with the chunk's CRC made right
// again) while its pixel data is that of an 8x8 image: a few hundred bytes.
inline std::string png_declaring(std::uint32_t width, std::uint32_t height) {
  std::vector<std::uint8_t> pixels(64, 200);
  std::string png;
  stbi_write_png_to_func(
      [](void *context, void *data, int size) {
        static_cast<std::string *>(context)->append(static_cast<const char *>(data),
                                                    static_cast<std::size_t>(size));
      },
      &png, 8, 8, 1, pixels.data(), 8);
  // Signature (8), IHDR length (4), "IHDR" (4), then width and height, big-endian.
  REQUIRE(png.substr(12, 4) == "IHDR");
  for (int i = 0; i < 4; ++i) {
    png[static_cast<std::size_t>(16 + i)] = static_cast<char>((width >> (24 - 8 * i)) & 0xFF);
    png[static_cast<std::size_t>(20 + i)] = static_cast<char>((height >> (24 - 8 * i)) & 0xFF);
  }
  // The CRC covers the chunk type and its 13 bytes of data.
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 12; i < 29; ++i) {
    crc ^= static_cast<std::uint8_t>(png[i]);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xFFFFFFFFu;
  for (int i = 0; i < 4; ++i) {
    png[static_cast<std::size_t>(29 + i)] = static_cast<char>((crc >> (24 - 8 * i)) & 0xFF);
  }
  return png;
}

}  // namespace comptoir::test
