// comptoir-scan FILE...: reads the codes in image files (PNG, JPEG, PGM/PPM) the way the
// appliance's camera would, trying harder since a file gets one chance, and prints one JSON
// object per file on stdout:
//   {"file":"a.png","ok":true,"format":"QRCode","text":"ZA1…","position":[[x,y],…]}
//   {"file":"b.jpg","ok":false,"reason":"no code found"}
//   {"file":"c.png","ok":false,"reason":"cannot read the file: No such file or directory"}
// Exit status: 0 when every file gave a code, 1 when some did not, 2 on a usage error.
#include <cstdio>
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
    "Exit status: 0 when every file gave a code, 1 when some did not, 2 on a usage error.\n";

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

}  // namespace

int main(int argc, char **argv) {
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
    const auto line = scan_file(file);
    all_read = all_read && line["ok"].get<bool>();
    // Replacement of invalid UTF-8 (a file name in Latin-1, binary in a code): one line always.
    std::printf("%s\n",
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
  }
  return all_read ? 0 : 1;
}
