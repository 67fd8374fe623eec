// comptoir-bench-camera: the camera and image figures of the scanners issue (scripts/bench
// runs it). One JSON object per line on stdout:
//   camera_decode_ms         a 640x480 grey frame holding a pickup token's QR code, decoded
//                            as the camera reader does, its three passes in turn (value =
//                            p50; target p50 <= 5 ms; each pass's own time on stderr)
//   camera_decode_nocode_ms  the same for frames with no code, which is most of a camera's
//                            frames (value = p50)
//   camera_mjpeg_decode_ms   an MJPEG frame of the token: JPEG decode to grey, then the same
//                            (value = p50), for the webcams that only stream MJPEG at 640x480
//   image_decode_rate        the degraded image set (tests/support/degraded_images) written
//                            as PNG files, read by our file decoder (what comptoir-scan runs)
//                            and by `zbarimg --quiet --raw` (Debian's zbar-tools): the share
//                            each read with the right text, counts and wrong reads beside,
//                            and the same per degradation
// Notes go to stderr. Exit 1 when a figure could not be measured (the token frame never read).
#include <fcntl.h>
#include <spawn.h>
#include <stb/stb_image_write.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/stats.hpp"
#include "drivers/frame_scanner.hpp"
#include "drivers/image_decoder.hpp"
#include "tests/support/degraded_images.hpp"

extern char **environ;

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using comptoir::drivers::DecodeEffort;
using comptoir::drivers::GreyImage;
using nlohmann::ordered_json;

void note(const std::string &text) {
  std::fprintf(stderr, "comptoir-bench-camera: %s\n", text.c_str());
}

double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

void emit(const ordered_json &figure) {
  std::printf("%s\n", figure.dump().c_str());
  std::fflush(stdout);
}

using comptoir::bench::summarize;
using comptoir::bench::Summary;

ordered_json ms_figure(const std::string &name, const Summary &s, std::optional<double> target) {
  ordered_json j;
  j["name"] = name;
  j["value"] = rounded(s.p50, 3);
  j["unit"] = "ms";
  j["p50"] = rounded(s.p50, 3);
  j["p99"] = rounded(s.p99, 3);
  j["n"] = s.n;
  if (target) j["target"] = *target;
  return j;
}

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

// Camera-effort decodes of `frames` in turn, `rounds` times, turning through the camera's
// passes as FrameScanner does; counts how many read `expected`. The time of each pass alone
// goes to stderr under `label`.
Summary time_decodes(const std::vector<GreyImage> &frames, int rounds, const std::string &expected,
                     int &read, const std::string &label = {}) {
  std::vector<double> ms;
  std::vector<std::vector<double>> per_pass(comptoir::drivers::kCameraPasses);
  read = 0;
  int pass = 0;
  for (int r = 0; r < rounds; ++r) {
    for (const GreyImage &frame : frames) {
      const comptoir::drivers::DecodeOptions camera{DecodeEffort::camera, true, true, true, pass};
      const auto start = Steady::now();
      const auto result = comptoir::drivers::decode_grey(frame.view(), camera);
      ms.push_back(ms_since(start));
      per_pass[static_cast<std::size_t>(pass)].push_back(ms.back());
      pass = (pass + 1) % comptoir::drivers::kCameraPasses;
      if (result.ok && result.codes.front().text == expected) ++read;
    }
  }
  if (!label.empty()) {
    for (std::size_t p = 0; p < per_pass.size(); ++p) {
      const Summary s = summarize(per_pass[p]);
      note(label + ", camera pass " + std::to_string(p) + ": p50 " + std::to_string(s.p50) +
           " ms, p99 " + std::to_string(s.p99) + " ms");
    }
  }
  return summarize(ms);
}

std::vector<std::uint8_t> jpeg_of(const GreyImage &image) {
  std::vector<std::uint8_t> out;
  stbi_write_jpg_to_func(
      [](void *context, void *data, int size) {
        auto *v = static_cast<std::vector<std::uint8_t> *>(context);
        v->insert(v->end(), static_cast<std::uint8_t *>(data),
                  static_cast<std::uint8_t *>(data) + size);
      },
      &out, image.width, image.height, 1, image.pixels.data(), 85);
  return out;
}

// zbarimg's reading of one file: its stdout without the final newline; nullopt if it could
// not be run.
std::optional<std::string> zbarimg(const std::string &path) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string file = path;
  std::string prog = "zbarimg";
  std::string quiet = "--quiet";
  std::string raw = "--raw";
  char *argv[] = {prog.data(), quiet.data(), raw.data(), file.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "zbarimg", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // 127: the shell's "not found" from posix_spawnp's child.
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return std::nullopt;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

struct Tally {
  int ours = 0, theirs = 0, n = 0, ours_wrong = 0, theirs_wrong = 0;
};

}  // namespace

int main() {
  const std::string token = comptoir::test::degraded_set_token();

  // --- camera frames ---------------------------------------------------------------------
  std::vector<GreyImage> with;
  std::vector<GreyImage> without;
  for (unsigned seed = 1; seed <= 8; ++seed) {
    with.push_back(comptoir::test::camera_frame(true, seed));
    without.push_back(comptoir::test::camera_frame(false, seed));
  }
  int read = 0;
  time_decodes(with, 5, token, read);  // warm-up: caches, page faults
  const Summary code = time_decodes(with, 51, token, read, "token frames");
  note("token frames read " + std::to_string(read) + " of " + std::to_string(code.n) + ", max " +
       std::to_string(code.max) + " ms");
  if (read == 0) {
    note("the token frame was never read: no camera_decode_ms");
    return 1;
  }
  ordered_json figure = ms_figure("camera_decode_ms", code, 5);
  figure["read"] = read;
  emit(figure);
  int none = 0;
  const Summary empty = time_decodes(without, 51, token, none, "no-code frames");
  emit(ms_figure("camera_decode_nocode_ms", empty, std::nullopt));

  std::vector<std::vector<std::uint8_t>> jpegs;
  for (const GreyImage &frame : with) jpegs.push_back(jpeg_of(frame));
  std::vector<double> mjpeg_ms;
  int mjpeg_read = 0;
  comptoir::drivers::FrameScannerOptions options;
  GreyImage grey;
  for (int r = 0; r < 51; ++r) {
    for (const auto &jpeg : jpegs) {
      const auto start = Steady::now();
      const std::string error = comptoir::drivers::frame_to_grey(
          {comptoir::drivers::PixelFormat::mjpeg, 0, 0, 0, jpeg.data(), jpeg.size()}, grey);
      options.decode.camera_pass = (options.decode.camera_pass + 1) % 3;
      const auto result = error.empty()
                              ? comptoir::drivers::decode_grey(grey.view(), options.decode)
                              : comptoir::drivers::DecodeResult{};
      mjpeg_ms.push_back(ms_since(start));
      if (result.ok && result.codes.front().text == token) ++mjpeg_read;
    }
  }
  ordered_json mjpeg = ms_figure("camera_mjpeg_decode_ms", summarize(mjpeg_ms), std::nullopt);
  mjpeg["read"] = mjpeg_read;
  emit(mjpeg);

  // --- the degraded set, ours and zbarimg's ----------------------------------------------
  const auto set = comptoir::test::make_degraded_set();
  char dir_template[] = "/tmp/comptoir-bench-camera-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    note("cannot make a temporary directory");
    return 1;
  }
  const fs::path dir = dir_template;
  if (const std::string error = comptoir::test::write_degraded_set(set, dir); !error.empty()) {
    note(error);
    fs::remove_all(dir);
    return 1;
  }
  std::map<std::string, Tally> by_family;
  Tally total;
  bool zbar_ran = true;
  std::vector<double> ours_ms;
  for (const auto &image : set) {
    const std::string path = (dir / image.file).string();
    const auto start = Steady::now();
    const auto loaded = comptoir::drivers::load_grey_image(path);
    const auto result = loaded.ok ? comptoir::drivers::decode_grey(loaded.image.view())
                                  : comptoir::drivers::DecodeResult{};
    ours_ms.push_back(ms_since(start));
    const auto theirs = zbarimg(path);
    if (!theirs) zbar_ran = false;
    for (Tally *t : {&by_family[image.degradation], &total}) {
      ++t->n;
      if (result.ok) {
        (result.codes.front().text == image.text ? t->ours : t->ours_wrong) += 1;
      }
      if (theirs && !theirs->empty()) (*theirs == image.text ? t->theirs : t->theirs_wrong) += 1;
    }
    if (theirs && *theirs == image.text &&
        !(result.ok && result.codes.front().text == image.text)) {
      note("zbarimg reads " + image.file + " and we do not");
    }
  }
  fs::remove_all(dir);
  if (!zbar_ran)
    note("zbarimg could not be run (apt-get install zbar-tools): its figures are null");
  const Summary per_file = summarize(ours_ms);
  note("our file decode (load + thorough decode): p50 " + std::to_string(per_file.p50) +
       " ms, p99 " + std::to_string(per_file.p99) + " ms over " + std::to_string(per_file.n) +
       " images");

  ordered_json rate;
  rate["name"] = "image_decode_rate";
  const double n = total.n;
  rate["value"] = rounded(total.ours / n, 3);
  rate["unit"] = "fraction";
  rate["zbarimg"] = zbar_ran ? ordered_json(rounded(total.theirs / n, 3)) : ordered_json();
  rate["n"] = total.n;
  rate["read"] = total.ours;
  rate["zbarimg_read"] = zbar_ran ? ordered_json(total.theirs) : ordered_json();
  rate["wrong"] = total.ours_wrong;
  rate["zbarimg_wrong"] = zbar_ran ? ordered_json(total.theirs_wrong) : ordered_json();
  ordered_json families;
  for (const std::string &family : comptoir::test::degradation_families()) {
    const Tally &t = by_family[family];
    families[family] = {{"read", t.ours}, {"zbarimg_read", t.theirs}, {"n", t.n}};
    note(family + ": ours " + std::to_string(t.ours) + ", zbarimg " + std::to_string(t.theirs) +
         " of " + std::to_string(t.n));
  }
  rate["by_degradation"] = families;
  emit(rate);
  return 0;
}
