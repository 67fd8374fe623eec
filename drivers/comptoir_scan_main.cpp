// comptoir-scan FILE...: reads the codes in image files (PNG, JPEG, PGM/PPM) the way the
// appliance's camera would, trying harder since a file gets one chance, and prints one JSON
// object per file on stdout:
//   {"file":"a.png","ok":true,"format":"QRCode","text":"ZA1…","position":[[x,y],…]}
//   {"file":"b.jpg","ok":false,"reason":"no code found"}
//   {"file":"c.png","ok":false,"reason":"cannot read the file: No such file or directory"}
// An image over the decoder's pixel limit is refused with the limit in the reason; should
// anything still fail (out of memory), the file gets its line with the error and the next
// file is read.
// Exit status: 0 when every file gave a code, 1 when some did not, 2 on a usage error, 3 when
// the program itself failed.
#include <cstdio>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/image_decoder.hpp"

namespace {

constexpr const char *kUsage =
    "usage: comptoir-scan [--] FILE...\n"
    "\n"
    "Reads the QR code, DataMatrix or bar code (EAN-13, EAN-8, UPC-A, UPC-E, Code 128,\n"
    "Code 39, ITF) in each image file (PNG, JPEG, PGM/PPM) and prints one JSON line per\n"
    "file: {\"file\", \"ok\":true, \"format\", \"text\", \"position\"} or {\"file\", "
    "\"ok\":false,\n"
    "\"reason\"}, the reason being \"no code found\" or \"cannot read the file: ...\".\n"
    "Images over 40 Mpx are refused. Exit status: 0 when every file gave a code, 1 when some\n"
    "did not, 2 on a usage error, 3 when comptoir-scan itself failed.\n";

nlohmann::ordered_json scan_file(const std::string &path) {
  nlohmann::ordered_json line;
  line["file"] = path;
  const auto loaded = comptoir::drivers::load_grey_image(path);
  if (!loaded.ok) {
    line["ok"] = false;
    line["reason"] = "cannot read the file: " + loaded.error;
    return line;
  }
  const auto decoded = comptoir::drivers::decode_grey(loaded.image.view());
  if (!decoded.ok) {
    line["ok"] = false;
    line["reason"] = decoded.reason;
    return line;
  }
  const auto &code = decoded.codes.front();
  line["ok"] = true;
  line["format"] = code.format;
  line["text"] = code.text;
  auto corners = nlohmann::ordered_json::array();
  for (const auto &c : code.position) corners.push_back({c.x, c.y});
  line["position"] = corners;
  return line;
}

// scan_file, with whatever it throws (std::bad_alloc on a box out of memory) turned into the
// file's line: one JSON line per file, whatever happens.
nlohmann::ordered_json scan_file_safely(const std::string &path) {
  std::string reason;
  try {
    return scan_file(path);
  } catch (const std::bad_alloc &) {
    reason = "not enough memory to read this image";
  } catch (const std::exception &e) {
    reason = std::string("the reader failed: ") + e.what();
  }
  nlohmann::ordered_json line;
  line["file"] = path;
  line["ok"] = false;
  line["reason"] = reason;
  return line;
}

int run(int argc, char **argv) {
  std::vector<std::string> files;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!options_done && (arg == "--help" || arg == "-h")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg.size() > 1 && arg.front() == '-') {
      std::fprintf(stderr, "comptoir-scan: unknown option %s: see comptoir-scan --help.\n",
                   argv[i]);
      return 2;
    }
    files.emplace_back(arg);
  }
  if (files.empty()) {
    std::fputs("comptoir-scan: give at least one image file: see comptoir-scan --help.\n", stderr);
    return 2;
  }
  bool all_read = true;
  for (const std::string &file : files) {
    const auto line = scan_file_safely(file);
    all_read = all_read && line["ok"].get<bool>();
    // Replacement of invalid UTF-8 (a file name in Latin-1, binary in a code): one line always.
    std::printf("%s\n",
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
  }
  return all_read ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "comptoir-scan: %s\n", e.what());
  } catch (...) {
    std::fputs("comptoir-scan: unknown error\n", stderr);
  }
  return 3;
}
