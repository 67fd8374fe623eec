// The camera with no camera: the frame pipeline (FrameScanner) fed synthetic frames, in GREY,
// YUYV (made from the test images, chroma and all) and MJPEG (stb_image_write's JPEG), proves
// the conversion, that a code is reported once until it leaves the picture, that decoding
// keeps to its share of a core and its frames a second by dropping frames, and that broken
// frames are refused without a crash, and that on a slow box (a decode every 133 ms) a code
// only one pass reads is not reported twice for one blurred frame. The V4L2 side is tested
// for what this machine has: no such device, a node that is not a camera (/dev/null, a plain
// file), no permission (a 0600 node opened as nobody), and a reader that keeps quiet while it
// waits for a camera and stops at once; what it says and when it reopens after a stall, an
// error or an unplug is CameraRecovery's, tested as the pure state machine it is. Streaming
// from a real camera is not tested here (no camera, no v4l2loopback).
#include "drivers/camera_reader.hpp"

#include <doctest/doctest.h>
#include <grp.h>
#include <linux/videodev2.h>
#include <stb/stb_image_write.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "drivers/frame_scanner.hpp"
#include "tests/support/degraded_images.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

using namespace std::chrono_literals;
using drivers::Frame;
using drivers::FrameResult;
using drivers::FrameScanner;
using drivers::FrameScannerOptions;
using drivers::GreyImage;
using drivers::PixelFormat;
using Clock = FrameScanner::Clock;

Frame grey_frame(const GreyImage &image) {
  return {PixelFormat::grey, image.width,         image.height,
          image.width,       image.pixels.data(), image.pixels.size()};
}

// YUYV as a camera sends it: Y from the image, U and V varying so a converter that mixed them
// into the grey would show it.
std::vector<std::uint8_t> to_yuyv(const GreyImage &image, int padding = 0) {
  const int stride = image.width * 2 + padding;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(stride * image.height), 0xEE);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      auto *p = out.data() + y * stride + 2 * x;
      p[0] = image.pixels[static_cast<std::size_t>(y * image.width + x)];
      p[1] = static_cast<std::uint8_t>(x % 2 == 0 ? (x * 7 + y) % 256 : 255 - (y * 3) % 256);
    }
  }
  return out;
}

std::vector<std::uint8_t> to_jpeg(const GreyImage &image, int quality = 85) {
  std::vector<std::uint8_t> out;
  stbi_write_jpg_to_func(
      [](void *context, void *data, int size) {
        auto *v = static_cast<std::vector<std::uint8_t> *>(context);
        v->insert(v->end(), static_cast<std::uint8_t *>(data),
                  static_cast<std::uint8_t *>(data) + size);
      },
      &out, image.width, image.height, 1, image.pixels.data(), quality);
  return out;
}

// A token's QR code on white in a 640x480 frame: read by each of the camera's passes, so the
// dedupe tests see it in every frame it is in.
GreyImage token_frame() {
  const GreyImage code = code_picture("QRCode", degraded_set_token(), 4, 0);
  GreyImage frame;
  frame.width = 640;
  frame.height = 480;
  frame.pixels.assign(640 * 480, 200);
  for (int y = 0; y < code.height; ++y) {
    for (int x = 0; x < code.width; ++x) {
      frame.pixels[static_cast<std::size_t>((100 + y) * 640 + 150 + x)] =
          code.pixels[static_cast<std::size_t>(y * code.width + x)];
    }
  }
  return frame;
}

// A CPU clock that says each decode cost `cost`, whatever it really took.
struct FakeCpu {
  std::chrono::nanoseconds cost;
  std::chrono::nanoseconds now{0};
  bool inside = false;
  FrameScanner::CpuClock clock() {
    return [this] {
      if (inside) now += cost;
      inside = !inside;
      return now;
    };
  }
};

// Never throttled: every frame offered is decoded, however long this machine takes.
struct Unthrottled {
  FakeCpu cpu{1us};
  FrameScanner scanner;
  Unthrottled() : scanner({.max_cpu_share = 1.0, .max_decodes_per_s = 1000}, cpu.clock()) {}
};

TEST_CASE("GREY, YUYV and MJPEG frames turn into the same grey picture") {
  const GreyImage frame = camera_frame(true, 3);
  GreyImage out;

  SUBCASE("GREY with padded rows") {
    const int stride = frame.width + 32;
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(stride * frame.height), 0);
    for (int y = 0; y < frame.height; ++y) {
      std::memcpy(bytes.data() + y * stride, frame.pixels.data() + y * frame.width,
                  static_cast<std::size_t>(frame.width));
    }
    REQUIRE(drivers::frame_to_grey(
                {PixelFormat::grey, frame.width, frame.height, stride, bytes.data(), bytes.size()},
                out) == "");
    CHECK(out.pixels == frame.pixels);
  }
  SUBCASE("YUYV, chroma dropped") {
    const auto bytes = to_yuyv(frame, 16);
    REQUIRE(drivers::frame_to_grey({PixelFormat::yuyv, frame.width, frame.height,
                                    frame.width * 2 + 16, bytes.data(), bytes.size()},
                                   out) == "");
    CHECK(out.width == frame.width);
    CHECK(out.pixels == frame.pixels);
  }
  SUBCASE("MJPEG, within JPEG's loss") {
    const auto jpeg = to_jpeg(frame, 90);
    REQUIRE(drivers::frame_to_grey({PixelFormat::mjpeg, 0, 0, 0, jpeg.data(), jpeg.size()}, out) ==
            "");
    REQUIRE(out.width == frame.width);
    REQUIRE(out.height == frame.height);
    double error = 0;
    for (std::size_t i = 0; i < out.pixels.size(); ++i) {
      error += std::abs(static_cast<int>(out.pixels[i]) - static_cast<int>(frame.pixels[i]));
    }
    CHECK(error / static_cast<double>(out.pixels.size()) < 4.0);
  }
}

TEST_CASE("frames that cannot be what they claim are refused with a reason") {
  GreyImage out;
  const std::vector<std::uint8_t> bytes(100, 0);
  CHECK(drivers::frame_to_grey({PixelFormat::grey, 10, 10, 0, bytes.data(), 99}, out) ==
        "GREY frame of 10x10 needs 100 bytes, got 99");
  CHECK(drivers::frame_to_grey({PixelFormat::grey, 10, 10, 0, bytes.data(), 100}, out) == "");
  CHECK(drivers::frame_to_grey({PixelFormat::yuyv, 10, 10, 0, bytes.data(), 100}, out) ==
        "YUYV frame of 10x10 needs 200 bytes, got 100");
  CHECK(drivers::frame_to_grey({PixelFormat::yuyv, 5, 2, 0, bytes.data(), 100}, out) ==
        "YUYV frame of odd width");
  CHECK(drivers::frame_to_grey({PixelFormat::grey, 10, 2, 5, bytes.data(), 100}, out) ==
        "frame rows shorter than its width");
  CHECK(drivers::frame_to_grey({PixelFormat::grey, 0, 2, 0, bytes.data(), 100}, out) ==
        "frame without a size");
  CHECK(drivers::frame_to_grey({PixelFormat::grey, 10, 10, 0, nullptr, 0}, out) == "empty frame");

  // A JPEG cut short, as a USB hiccup leaves it, and bytes that are no JPEG at all.
  const auto jpeg = to_jpeg(camera_frame(true, 4));
  const std::string cut =
      drivers::frame_to_grey({PixelFormat::mjpeg, 640, 480, 0, jpeg.data(), jpeg.size() / 3}, out);
  CHECK(cut.rfind("broken JPEG frame", 0) == 0);
  CHECK(drivers::frame_to_grey({PixelFormat::mjpeg, 640, 480, 0, bytes.data(), bytes.size()}, out)
            .rfind("broken JPEG frame", 0) == 0);

  FrameScanner scanner;
  const FrameResult r =
      scanner.offer({PixelFormat::mjpeg, 0, 0, 0, bytes.data(), 100}, Clock::now());
  CHECK(r.kind == FrameResult::Kind::bad);
  CHECK(r.error.rfind("broken JPEG frame", 0) == 0);
  CHECK(r.new_codes.empty());
  CHECK(scanner.stats().bad == 1);
}

TEST_CASE("a code is reported once while it stays in the picture, in every pixel format") {
  const GreyImage with = token_frame();
  const auto yuyv = to_yuyv(with);
  const auto jpeg = to_jpeg(with);
  const Frame frames[] = {
      grey_frame(with),
      {PixelFormat::yuyv, with.width, with.height, 0, yuyv.data(), yuyv.size()},
      {PixelFormat::mjpeg, 0, 0, 0, jpeg.data(), jpeg.size()},
  };
  for (const Frame &frame : frames) {
    INFO(drivers::pixel_format_name(frame.format));
    Unthrottled u;
    FrameScanner &scanner = u.scanner;
    auto t = Clock::now();
    int reported = 0;
    for (int i = 0; i < 20; ++i, t += 100ms) {
      const FrameResult r = scanner.offer(frame, t);
      REQUIRE(r.kind == FrameResult::Kind::decoded);
      REQUIRE(r.all_codes.size() == 1);
      for (const auto &code : r.new_codes) {
        ++reported;
        CHECK(code.text == degraded_set_token());
        CHECK(code.format == "QRCode");
      }
    }
    CHECK(reported == 1);
    CHECK(scanner.stats().reported == 1);
    CHECK(scanner.stats().decoded == 20);
  }
}

TEST_CASE("a code is reported again only after it left the picture for K rounds and T ms") {
  const GreyImage with = token_frame();
  const GreyImage without = camera_frame(false, 12);
  FrameScannerOptions options;
  options.gone_after_frames = 3;
  options.gone_after = 400ms;
  options.max_decodes_per_s = 1000;
  options.max_cpu_share = 1.0;
  FakeCpu cpu{1us};
  FrameScanner scanner(options, cpu.clock());
  auto t = Clock::now();
  const auto offer = [&](const GreyImage &image, std::chrono::milliseconds after) {
    t += after;
    const FrameResult r = scanner.offer(grey_frame(image), t);
    REQUIRE(r.kind == FrameResult::Kind::decoded);
    return r.new_codes.size();
  };

  CHECK(offer(with, 0ms) == 1);
  SUBCASE("a blurred frame or two in between is not leaving") {
    CHECK(offer(without, 100ms) == 0);
    CHECK(offer(without, 100ms) == 0);
    CHECK(offer(with, 100ms) == 0);
  }
  SUBCASE("missing from many frames in a short time is not leaving yet (T not passed)") {
    for (int i = 0; i < 6; ++i) CHECK(offer(without, 50ms) == 0);  // 300 ms
    CHECK(offer(with, 50ms) == 0);
  }
  SUBCASE("missing for a long time but from too few frames is not leaving yet (K not reached)") {
    CHECK(offer(without, 2000ms) == 0);
    CHECK(offer(without, 2000ms) == 0);
    CHECK(offer(with, 10ms) == 0);
  }
  SUBCASE("missing from K frames and T ms is not gone: a round is three frames, one a pass") {
    for (int i = 0; i < 8; ++i) CHECK(offer(without, 60ms) == 0);  // 480 ms, 8 frames
    CHECK(offer(with, 60ms) == 0);
    CHECK(scanner.stats().reported == 1);
  }
  SUBCASE("gone for K rounds (K x 3 frames) and T ms, then back: a new scan") {
    for (int i = 0; i < 9; ++i) CHECK(offer(without, 50ms) == 0);  // 450 ms, 9 frames
    CHECK(offer(with, 100ms) == 1);
    CHECK(scanner.stats().reported == 2);
  }
  SUBCASE("reset forgets what was in the picture") {
    scanner.reset();
    CHECK(offer(with, 10ms) == 1);
  }
}

TEST_CASE("two codes in turn are each reported, and each only once") {
  const GreyImage token = token_frame();
  const GreyImage short_code = code_picture("Code128", "K7QM-9X2D-4R1", 2);
  Unthrottled u;
  FrameScanner &scanner = u.scanner;
  auto t = Clock::now();
  std::vector<std::string> reported;
  for (int i = 0; i < 12; ++i, t += 100ms) {
    const GreyImage &image = (i / 3) % 2 == 0 ? token : short_code;
    for (const auto &code : scanner.offer(grey_frame(image), t).new_codes) {
      reported.push_back(code.text);
    }
  }
  // token, code 128, then each again only after the other held the picture for 3 frames
  // (300 ms of the 400 ms and 3 of the 9 frames, so not yet gone): two reports.
  REQUIRE(reported.size() == 2);
  CHECK(reported[0] == degraded_set_token());
  CHECK(reported[1] == "K7QM-9X2D-4R1");
}

TEST_CASE("the passes turn frame by frame: a code only the third pass reads is found in three") {
  // Images of the degraded set the camera's first pass misses and its third reads (a shadow,
  // low contrast): held still in front of the camera, they are read by the third frame.
  int tried = 0;
  for (const DegradedImage &image : make_degraded_set()) {
    const auto first = drivers::decode_grey(image.image.view(),
                                            {drivers::DecodeEffort::camera, true, true, true, 0});
    const auto second = drivers::decode_grey(image.image.view(),
                                             {drivers::DecodeEffort::camera, true, true, true, 1});
    const auto third = drivers::decode_grey(image.image.view(),
                                            {drivers::DecodeEffort::camera, true, true, true, 2});
    if (first.ok || second.ok || !third.ok) continue;
    INFO(image.file);
    ++tried;
    Unthrottled u;
    FrameScanner &scanner = u.scanner;
    auto t = Clock::now();
    std::vector<std::string> read;
    for (int i = 0; i < 3; ++i, t += 100ms) {
      const FrameResult r = scanner.offer(grey_frame(image.image), t);
      CHECK(r.new_codes.empty() == (i < 2));
      for (const auto &code : r.new_codes) read.push_back(code.text);
    }
    REQUIRE(read.size() == 1);
    CHECK(read[0] == image.text);
  }
  MESSAGE(tried << " images read only by the third pass");
  CHECK(tried >= 5);
}

// The picture out of focus: each 16x16 block its mean, no module left to read.
GreyImage out_of_focus(const GreyImage &in) {
  GreyImage out = in;
  for (int by = 0; by < in.height; by += 16) {
    for (int bx = 0; bx < in.width; bx += 16) {
      const int y1 = std::min(by + 16, in.height);
      const int x1 = std::min(bx + 16, in.width);
      int sum = 0;
      for (int y = by; y < y1; ++y) {
        for (int x = bx; x < x1; ++x) sum += in.pixels[static_cast<std::size_t>(y * in.width + x)];
      }
      const auto mean = static_cast<std::uint8_t>(sum / ((y1 - by) * (x1 - bx)));
      for (int y = by; y < y1; ++y) {
        for (int x = bx; x < x1; ++x) out.pixels[static_cast<std::size_t>(y * in.width + x)] = mean;
      }
    }
  }
  return out;
}

TEST_CASE("a slow box: a code only the third pass reads, one frame blurred, is reported once") {
  // An image of the degraded set only the camera's third pass reads.
  const DegradedImage *picked = nullptr;
  const auto set = make_degraded_set();
  for (const DegradedImage &image : set) {
    const auto pass = [&](int p) {
      return drivers::decode_grey(image.image.view(),
                                  {drivers::DecodeEffort::camera, true, true, true, p})
          .ok;
    };
    if (!pass(0) && !pass(1) && pass(2)) {
      picked = &image;
      break;
    }
  }
  REQUIRE(picked != nullptr);
  INFO(picked->file);
  const GreyImage &with = picked->image;
  const GreyImage blurred = out_of_focus(with);
  for (int p = 0; p < 3; ++p) {
    REQUIRE_FALSE(
        drivers::decode_grey(blurred.view(), {drivers::DecodeEffort::camera, true, true, true, p})
            .ok);
  }

  // 40 ms a decode at 30 % of a core: one decode every 133 ms of a 30 frames/s camera. The
  // code is read on decodes 2, 5, 8, … (the third pass); decode 5's frame is blurred, so it
  // is missing from decodes 3 to 7: 667 ms, more than gone_after.
  FakeCpu cpu{40ms};
  FrameScanner scanner({}, cpu.clock());
  auto t = Clock::now();
  int reported = 0;
  int read = 0;
  const auto run = [&](int decodes, const auto &image_for) {
    const auto until = scanner.stats().decoded + static_cast<std::uint64_t>(decodes);
    while (scanner.stats().decoded < until) {
      const auto decode = scanner.stats().decoded;
      const FrameResult r = scanner.offer(grey_frame(image_for(decode)), t);
      reported += static_cast<int>(r.new_codes.size());
      read += r.all_codes.empty() ? 0 : 1;
      t += 33334us;
    }
  };
  run(30, [&](std::uint64_t decode) -> const GreyImage & { return decode == 5 ? blurred : with; });
  CHECK(scanner.decode_period() > 130ms);
  CHECK(scanner.decode_period() < 137ms);
  CHECK(read == 9);  // decodes 2, 8, 11, … 29: read again after the blurred frame
  CHECK(reported == 1);

  // Taken away for 1.3 s (10 decodes, more than 3 rounds), then shown again: a new scan.
  run(10, [&](std::uint64_t) -> const GreyImage & { return blurred; });
  run(3, [&](std::uint64_t) -> const GreyImage & { return with; });
  CHECK(reported == 2);
}

TEST_CASE("decoding keeps to its CPU share: frames that come too soon are dropped") {
  const GreyImage without = camera_frame(false, 14);
  FakeCpu cpu{19ms};
  FrameScannerOptions options;
  options.max_cpu_share = 0.30;
  options.max_decodes_per_s = 30;
  FrameScanner scanner(options, cpu.clock());
  auto t = Clock::now();
  const auto start = t;
  // 10 s of a 30 frames/s camera; each decode "costs" 19 ms, so the next may start 63.3 ms
  // later: every other frame.
  for (int i = 0; i < 300; ++i, t += 33334us) scanner.offer(grey_frame(without), t);
  const auto &s = scanner.stats();
  CHECK(s.frames == 300);
  CHECK(s.decoded + s.dropped == 300);
  const double seconds = std::chrono::duration<double>(t - start).count();
  const double share = std::chrono::duration<double>(s.cpu).count() / seconds;
  MESSAGE("decoded " << s.decoded << " of 300 frames, CPU share " << share);
  CHECK(share <= 0.30);
  CHECK(share >= 0.25);  // and not starved either
  CHECK(s.decoded == 150);
}

TEST_CASE("decoding keeps to its frames a second when the CPU allows more") {
  const GreyImage without = camera_frame(false, 15);
  FakeCpu cpu{1ms};
  FrameScannerOptions options;
  options.max_cpu_share = 0.30;
  options.max_decodes_per_s = 10;
  FrameScanner scanner(options, cpu.clock());
  auto t = Clock::now();
  Clock::time_point last_decode;
  for (int i = 0; i < 90; ++i, t += 33334us) {
    if (scanner.offer(grey_frame(without), t).kind == FrameResult::Kind::decoded) last_decode = t;
  }
  // 3 s at 30 frames/s, at most 10 decodes a second: every 100 ms, so every third frame.
  CHECK(scanner.stats().decoded == 30);
  CHECK(scanner.stats().dropped == 60);
  CHECK_FALSE(scanner.wants_frame(last_decode + 99ms));
  CHECK(scanner.wants_frame(last_decode + 100ms));
}

TEST_CASE("with the real CPU clock, decoding stays within its share of the frames' time") {
  const GreyImage with = camera_frame(true, 16);
  const GreyImage without = camera_frame(false, 16);
  FrameScanner scanner({.max_cpu_share = 0.30, .max_decodes_per_s = 1000});
  // Frames 1 ms apart: far more than the budget allows, whatever this machine's speed.
  auto t = Clock::now();
  const auto start = t;
  std::chrono::nanoseconds costliest{0};
  for (int i = 0; i < 400; ++i, t += 1ms) {
    const FrameResult r = scanner.offer(grey_frame(i % 50 < 25 ? with : without), t);
    costliest = std::max(costliest, r.cost);
  }
  const auto &s = scanner.stats();
  const double window = std::chrono::duration<double>(t - start).count();
  const double share = std::chrono::duration<double>(s.cpu).count() / window;
  MESSAGE("decoded " << s.decoded << " of 400 frames, CPU share " << share);
  CHECK(s.dropped > 0);
  CHECK(s.decoded > 1);
  // The last decode may run past the window's end: at most by the costliest decode.
  CHECK(share <= 0.30 + std::chrono::duration<double>(costliest).count() / window);
}

// --- V4L2 -----------------------------------------------------------------------------------

TEST_CASE("the pixel format chosen is the cheapest to turn into grey") {
  using drivers::choose_pixel_format;
  CHECK(choose_pixel_format({V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_YUYV}) == PixelFormat::yuyv);
  CHECK(choose_pixel_format({V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_GREY}) ==
        PixelFormat::grey);
  CHECK(choose_pixel_format({V4L2_PIX_FMT_H264, V4L2_PIX_FMT_MJPEG}) == PixelFormat::mjpeg);
  CHECK_FALSE(choose_pixel_format({V4L2_PIX_FMT_H264, V4L2_PIX_FMT_NV12}).has_value());
  CHECK_FALSE(choose_pixel_format({}).has_value());
}

TEST_CASE("no such device, not a camera, busy: reasons and fixes") {
  const auto missing = drivers::probe_video_device("/dev/no-such-video-device-7");
  CHECK_FALSE(missing.usable);
  CHECK(missing.reason == "not_found");
  CHECK(missing.detail == "no camera at /dev/no-such-video-device-7");
  CHECK(missing.fix.find("comptoir --list-devices") != std::string::npos);

  const auto null = drivers::probe_video_device("/dev/null");
  CHECK_FALSE(null.usable);
  CHECK(null.reason == "not_a_camera");
  CHECK(null.detail == "/dev/null is not a V4L2 video device");

  TempDir dir;
  write_file(dir.file("video0"), "not a device");
  CHECK(drivers::probe_video_device(dir.file("video0")).reason == "not_a_camera");
  CHECK(drivers::probe_video_device(dir.path().string()).reason == "io_error");  // EISDIR

  CHECK(drivers::probe_failure_for_errno("/dev/video0", EBUSY).reason == "busy");
  CHECK(drivers::probe_failure_for_errno("/dev/video0", ENODEV).reason == "not_found");
  const auto denied = drivers::probe_failure_for_errno("/dev/video0", EACCES);
  CHECK(denied.reason == "no_permission");
  CHECK(denied.detail == "no permission to open /dev/video0");
  CHECK(denied.fix.find("usermod -aG video") != std::string::npos);
}

TEST_CASE("no permission on the node: no_permission with the fix (opened as nobody)") {
  TempDir dir;
  const std::string node = dir.file("video0");
  write_file(node, "");
  REQUIRE(::chmod(node.c_str(), 0600) == 0);
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  std::string reason;
  if (::geteuid() != 0) {
    REQUIRE(::chmod(node.c_str(), 0000) == 0);
    reason = drivers::probe_video_device(node).reason;
  } else {
    // Root opens anything: the probe runs in a child that becomes nobody first.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
      const auto probe = drivers::probe_video_device(node);
      const std::string line = probe.reason + "\n" + probe.fix;
      [[maybe_unused]] const auto n = ::write(fds[1], line.data(), line.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    char buf[1024];
    std::string got;
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
      got.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    reason = got.substr(0, got.find('\n'));
    CHECK(got.find("usermod -aG video") != std::string::npos);
  }
  CHECK(reason == "no_permission");
}

// Collects what a reader says, for tests that wait on it.
class Collect final : public drivers::ScanSink {
 public:
  void scan(drivers::ScanEvent event) override {
    std::lock_guard lock(mutex_);
    scans_.push_back(std::move(event));
    changed_.notify_all();
  }
  void notice(drivers::DeviceNotice notice) override {
    std::lock_guard lock(mutex_);
    notices_.push_back(std::move(notice));
    changed_.notify_all();
  }
  std::vector<drivers::DeviceNotice> notices() {
    std::lock_guard lock(mutex_);
    return notices_;
  }
  bool wait_notices(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return notices_.size() >= n; });
  }
  std::size_t scans() {
    std::lock_guard lock(mutex_);
    return scans_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<drivers::ScanEvent> scans_;
  std::vector<drivers::DeviceNotice> notices_;
};

TEST_CASE("a missing camera is said once while the reader keeps looking, and stop is prompt") {
  drivers::CameraOptions options;
  options.device = "/dev/no-such-video-device-7";
  options.retry_every = 30ms;
  drivers::CameraReader reader(options);
  Collect sink;
  reader.start(sink);
  REQUIRE(sink.wait_notices(1, 5s));
  std::this_thread::sleep_for(300ms);  // about ten more attempts
  const auto stop_start = Clock::now();
  reader.stop();
  CHECK(Clock::now() - stop_start < 1s);
  const auto notices = sink.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].kind == drivers::NoticeKind::device_unusable);
  CHECK(notices[0].reason == "not_found");
  CHECK(notices[0].device_id == "camera:/dev/no-such-video-device-7");
  CHECK_FALSE(notices[0].fix.empty());
  CHECK(sink.scans() == 0);
  reader.stop();  // idempotent
}

TEST_CASE("a node that is no camera is device_unusable, and a second start does nothing") {
  drivers::CameraOptions options;
  options.device = "/dev/null";
  drivers::CameraReader reader(options);  // retry every second: stop must not wait for it
  Collect sink;
  reader.start(sink);
  reader.start(sink);
  REQUIRE(sink.wait_notices(1, 5s));
  const auto stop_start = Clock::now();
  reader.stop();
  CHECK(Clock::now() - stop_start < 500ms);
  const auto notices = sink.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].reason == "not_a_camera");
}

TEST_CASE("candidates lists the configured camera with why it is not used") {
  drivers::CameraOptions options;
  options.device = "/dev/no-such-video-device-7";
  drivers::CameraReader reader(options);
  const auto list = reader.candidates();
  REQUIRE_FALSE(list.empty());
  CHECK(list[0].reader == "camera");
  CHECK(list[0].path == "/dev/no-such-video-device-7");
  CHECK(list[0].device_id == "camera:/dev/no-such-video-device-7");
  CHECK_FALSE(list[0].used);
  CHECK(list[0].why == "no camera at /dev/no-such-video-device-7");
  for (const auto &c : list) {
    // This machine has no camera: every other /dev/video* node would be listed, none used.
    CHECK(c.path.rfind("/dev/", 0) == 0);
    CHECK_FALSE(c.used);
  }
  drivers::CameraReader never_started;  // destroyed without start: nothing to join
}

// --- what the reader says, and when it reopens (CameraRecovery) --------------------------

using drivers::CameraRecovery;
using drivers::NoticeKind;
using End = CameraRecovery::End;

TEST_CASE("a camera that stalls: stalled said once, never unplugged, reopened 1, 2, 4 ... 30 s") {
  CameraRecovery recovery(1s, 30s, 30s);
  auto t = Clock::now();
  recovery.streaming();
  CameraRecovery::Advice a = recovery.frame(t);
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_added);
  CHECK_FALSE(recovery.frame(t + 33ms).say);

  // It stops sending frames: said once, as stalled, and the camera is still plugged in.
  a = recovery.ended(End::stalled);
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_unusable);
  CHECK(a.reason == "stalled");
  CHECK(a.retry_in == 1s);

  // Reopened, it streams and stalls again, and again: nothing more is said, and each pause
  // is twice the last, up to 30 s. No device_added: no frame came.
  std::vector<std::chrono::milliseconds> pauses;
  for (int i = 0; i < 7; ++i) {
    recovery.streaming();
    a = recovery.ended(End::stalled);
    CHECK_FALSE(a.say);
    pauses.push_back(a.retry_in);
  }
  CHECK(pauses == std::vector<std::chrono::milliseconds>{2s, 4s, 8s, 16s, 30s, 30s, 30s});

  // Frames flow again: device_added, once.
  t += 5min;
  recovery.streaming();
  a = recovery.frame(t);
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_added);
  CHECK_FALSE(recovery.frame(t + 40ms).say);

  // It worked five seconds and stalled again: news (said again), but still failing, so the
  // pause does not start over.
  recovery.frame(t + 5s);
  a = recovery.ended(End::stalled);
  CHECK(a.say);
  CHECK(a.reason == "stalled");
  CHECK(a.retry_in == 30s);

  // Thirty seconds of frames: it has recovered, the next failure waits 1 s again.
  t += 1min;
  recovery.streaming();
  CHECK(recovery.frame(t).say);
  recovery.frame(t + 30s);
  CHECK(recovery.failures() == 0);
  a = recovery.ended(End::failed);
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_unusable);
  CHECK(a.reason == "io_error");
  CHECK(a.retry_in == 1s);
}

TEST_CASE("unplugged: device_removed once, looked for every second in silence, then added") {
  CameraRecovery recovery(1s, 30s, 30s);
  const auto t = Clock::now();
  recovery.streaming();
  CHECK(recovery.frame(t).say);
  CameraRecovery::Advice a = recovery.ended(End::removed);
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_removed);
  CHECK(a.reason == "cable_pulled");
  CHECK(a.retry_in == 1s);
  for (int i = 0; i < 10; ++i) {
    a = recovery.open_failed("not_found");
    CHECK_FALSE(a.say);
    CHECK(a.retry_in == 1s);  // no back-off while waiting for a plug
  }
  recovery.streaming();
  a = recovery.frame(t + 20s);
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_added);
}

TEST_CASE("a stalled camera whose node then disappears is unplugged: device_removed then") {
  CameraRecovery recovery(1s, 30s, 30s);
  recovery.streaming();
  CHECK(recovery.frame(Clock::now()).say);
  CHECK(recovery.ended(End::stalled).reason == "stalled");
  CameraRecovery::Advice a = recovery.open_failed("not_found");
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_removed);
  CHECK(a.reason == "cable_pulled");
  CHECK(a.retry_in == 1s);
  CHECK_FALSE(recovery.open_failed("not_found").say);
}

TEST_CASE("a camera that cannot be opened: each reason said once, only the missing one unpaced") {
  CameraRecovery recovery(1s, 30s, 30s);
  // Not there at start: said once (device_unusable, not removed: it never was there).
  CameraRecovery::Advice a = recovery.open_failed("not_found");
  CHECK(a.say);
  CHECK(a.kind == NoticeKind::device_unusable);
  CHECK(a.reason == "not_found");
  for (int i = 0; i < 5; ++i) {
    a = recovery.open_failed("not_found");
    CHECK_FALSE(a.say);
    CHECK(a.retry_in == 1s);
  }
  // Plugged in but taken by another program: said once, asked again ever more slowly.
  a = recovery.open_failed("busy");
  CHECK(a.say);
  CHECK(a.reason == "busy");
  CHECK(a.retry_in == 1s);
  a = recovery.open_failed("busy");
  CHECK_FALSE(a.say);
  CHECK(a.retry_in == 2s);
  CHECK(recovery.open_failed("busy").retry_in == 4s);
  // Streaming could not start, or the camera stalled before its first frame: no
  // device_added, and a different reason is news.
  recovery.streaming();
  a = recovery.ended(End::stalled);
  CHECK(a.say);
  CHECK(a.reason == "stalled");
  CHECK(a.retry_in == 8s);
}

}  // namespace
}  // namespace comptoir::test
