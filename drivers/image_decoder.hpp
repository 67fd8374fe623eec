// Finding a code in a picture: a grey (or RGB) pixel buffer is handed to ZXing-cpp's
// reader for QR codes, DataMatrix and the 1D symbologies staff meet (EAN-13, EAN-8, UPC-A,
// UPC-E, Code 128, Code 39, ITF); image files (PNG, JPEG, PGM/PPM) are loaded as grey with
// stb_image. Both the camera reader and `comptoir-scan` decode through here. Errors are
// values with a reason a person can read. Includes nothing of ours.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace comptoir::drivers {

// A non-owning view of 8-bit grey pixels, `stride` bytes from one row to the next.
struct GreyView {
  const std::uint8_t *pixels = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;  // 0: the same as width
};

// Owned grey pixels, rows packed (stride == width).
struct GreyImage {
  std::vector<std::uint8_t> pixels;
  int width = 0;
  int height = 0;

  GreyView view() const { return {pixels.data(), width, height, width}; }
};

// How hard to look. The camera wants a quick answer on every frame (most frames hold no code
// and the next frame is another chance); a file gets one chance, so it is worth trying more.
enum class DecodeEffort {
  // One pass (see DecodeOptions::camera_pass), and for 1D codes rows and columns but no
  // try-harder or downscaling: about 1 ms for a 640x480 frame here.
  camera,
  // ZXing's try-harder, rotated and downscaled passes, then a second binarizer, and the image
  // scaled up or smoothed when it is small or noisy. Tens of milliseconds on a bad image.
  thorough,
};

struct DecodeOptions {
  DecodeEffort effort = DecodeEffort::thorough;
  bool qr_code = true;
  bool data_matrix = true;
  bool linear = true;  // EAN-13, EAN-8, UPC-A, UPC-E, Code 128, Code 39, ITF
  // With DecodeEffort::camera, which of the thorough passes to make, modulo kCameraPasses:
  // 0 ZXing's local-average binarizer, 1 its global histogram (even light, low contrast),
  // 2 the lighting evened out first (a shadow across the code). The camera reader turns
  // through them frame by frame: a code held still gets all three within a few frames, at
  // the cost of one.
  int camera_pass = 0;
};

inline constexpr int kCameraPasses = 3;

// Images over this many pixels are refused before they are decoded: a few hundred bytes of PNG
// can declare 20000x20000 (400 MB of grey), and the thorough passes multiply that. 40 Mpx is
// more than any phone photo or scan of a label needs.
inline constexpr long kMaxImagePixels = 40'000'000;
// Above this many pixels, the thorough passes that copy the image (lighting evened out,
// smoothed, turned) work on a copy scaled down to at most this size.
inline constexpr long kThoroughPixels = 8'000'000;

struct Corner {
  int x = 0;
  int y = 0;
};

struct DecodedCode {
  std::string text;    // UTF-8
  std::string format;  // ZXing's name: "QRCode", "DataMatrix", "EAN-13", "Code128", …
  // Top-left, top-right, bottom-right, bottom-left as the code is oriented, in the pixels of
  // the image that was given.
  std::array<Corner, 4> position{};
};

struct DecodeResult {
  bool ok = false;  // at least one code was found
  // When !ok, why: "no code found", or what was wrong with the image.
  std::string reason;
  std::vector<DecodedCode> codes;  // when ok: every code found, the first one best
};

// Never throws. An empty or inconsistent view, or one over kMaxImagePixels, gives !ok with
// its reason.
DecodeResult decode_grey(const GreyView &image, const DecodeOptions &options = {});
// 8-bit RGB (3 bytes a pixel, packed rows), turned into grey first.
DecodeResult decode_rgb(const std::uint8_t *rgb, int width, int height,
                        const DecodeOptions &options = {});

struct LoadResult {
  bool ok = false;
  std::string error;  // when !ok: what went wrong, for people ("No such file or directory", …)
  GreyImage image;
};

// PNG, JPEG, PGM/PPM (and whatever else stb_image knows: BMP, GIF, TGA) as grey. The size
// the file declares is read first: over kMaxImagePixels, the image is refused with the limit
// in the reason and its pixels are never allocated.
LoadResult load_grey_image(const std::string &path);
LoadResult load_grey_image_from_memory(const std::uint8_t *bytes, std::size_t size);

}  // namespace comptoir::drivers
