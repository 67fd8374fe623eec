#include "drivers/frame_scanner.hpp"

#include <stb/stb_image.h>
#include <time.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <ranges>

namespace comptoir::drivers {
namespace {

std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::string size_error(const Frame &frame, std::size_t needed) {
  return std::string(pixel_format_name(frame.format)) + " frame of " + std::to_string(frame.width) +
         "x" + std::to_string(frame.height) + " needs " + std::to_string(needed) + " bytes, got " +
         std::to_string(frame.size);
}

}  // namespace

const char *pixel_format_name(PixelFormat format) {
  switch (format) {
    case PixelFormat::grey:
      return "GREY";
    case PixelFormat::yuyv:
      return "YUYV";
    case PixelFormat::mjpeg:
      return "MJPEG";
  }
  return "?";
}

std::string frame_to_grey(const Frame &frame, GreyImage &out) {
  if (frame.bytes == nullptr || frame.size == 0) return "empty frame";
  if (frame.format == PixelFormat::mjpeg) {
    if (frame.size > static_cast<std::size_t>(INT_MAX)) return "JPEG frame too large";
    int w = 0;
    int h = 0;
    int channels = 0;
    // A corrupt JPEG header can declare any size: refused before its pixels are allocated.
    if (stbi_info_from_memory(frame.bytes, static_cast<int>(frame.size), &w, &h, &channels) != 0 &&
        static_cast<long>(w) * h > kMaxImagePixels) {
      return "JPEG frame of " + std::to_string(w) + "x" + std::to_string(h) + " is too large";
    }
    std::unique_ptr<unsigned char, void (*)(void *)> pixels(
        stbi_load_from_memory(frame.bytes, static_cast<int>(frame.size), &w, &h, &channels, 1),
        stbi_image_free);
    if (!pixels) {
      const char *why = stbi_failure_reason();
      return std::string("broken JPEG frame (") + (why != nullptr ? why : "unknown") + ")";
    }
    out.width = w;
    out.height = h;
    out.pixels.assign(pixels.get(),
                      pixels.get() + static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    return {};
  }

  if (frame.width <= 0 || frame.height <= 0) return "frame without a size";
  const int bytes_per_pixel = frame.format == PixelFormat::yuyv ? 2 : 1;
  // YUYV carries two pixels in four bytes: an odd width cannot be.
  if (frame.format == PixelFormat::yuyv && frame.width % 2 != 0) return "YUYV frame of odd width";
  const auto row =
      static_cast<std::size_t>(frame.width) * static_cast<std::size_t>(bytes_per_pixel);
  const std::size_t stride = frame.stride == 0 ? row : static_cast<std::size_t>(frame.stride);
  if (stride < row) return "frame rows shorter than its width";
  const std::size_t needed = stride * static_cast<std::size_t>(frame.height - 1) + row;
  if (frame.size < needed) return size_error(frame, needed);

  out.width = frame.width;
  out.height = frame.height;
  const auto width = static_cast<std::size_t>(frame.width);
  out.pixels.resize(width * static_cast<std::size_t>(frame.height));
  for (std::size_t y = 0; y < static_cast<std::size_t>(frame.height); ++y) {
    const std::uint8_t *src = frame.bytes + y * stride;
    std::uint8_t *dst = out.pixels.data() + y * width;
    if (frame.format == PixelFormat::grey) {
      std::memcpy(dst, src, width);
    } else {
      for (std::size_t x = 0; x < width; ++x) dst[x] = src[2 * x];
    }
  }
  return {};
}

FrameScanner::FrameScanner(FrameScannerOptions options, CpuClock cpu_clock)
    : options_(options), cpu_clock_(cpu_clock ? std::move(cpu_clock) : CpuClock(thread_cpu_time)) {
  options_.max_cpu_share = std::clamp(options_.max_cpu_share, 0.01, 1.0);
  options_.max_decodes_per_s = std::clamp(options_.max_decodes_per_s, 0.1, 1000.0);
  options_.gone_after_frames = std::max(1, options_.gone_after_frames);
}

bool FrameScanner::wants_frame(Clock::time_point now) const {
  return !any_decode_ || now >= next_decode_;
}

void FrameScanner::reset() {
  any_decode_ = false;
  any_decoded_ = false;
  period_ = std::chrono::nanoseconds(0);
  present_.clear();
}

FrameResult FrameScanner::offer(const Frame &frame, Clock::time_point now) {
  FrameResult result;
  ++stats_.frames;
  if (!wants_frame(now)) {
    ++stats_.dropped;
    return result;
  }

  const std::chrono::nanoseconds cpu_before = cpu_clock_();
  const std::string error = frame_to_grey(frame, grey_);
  DecodeResult decoded;
  if (error.empty()) {
    DecodeOptions decode = options_.decode;
    decode.camera_pass = pass_;
    pass_ = (pass_ + 1) % kCameraPasses;
    decoded = decode_grey(grey_.view(), decode);
  }
  result.cost = std::max(std::chrono::nanoseconds(0), cpu_clock_() - cpu_before);
  stats_.cpu += result.cost;

  // The next decode waits for the CPU budget and the rate cap, whichever is later; a bad
  // frame costs time too (a JPEG decoded halfway), so it counts the same.
  const auto budget =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::nano>(
          static_cast<double>(result.cost.count()) / options_.max_cpu_share));
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / options_.max_decodes_per_s));
  next_decode_ = now + std::max(budget, period);
  any_decode_ = true;

  if (!error.empty()) {
    ++stats_.bad;
    result.kind = FrameResult::Kind::bad;
    result.error = error;
    return result;
  }
  ++stats_.decoded;
  result.kind = FrameResult::Kind::decoded;

  // The real decode period, from the frames decoded: the throttle's, or the camera's when it
  // sends fewer. A gap of over a second (a camera that stalled) says nothing about the rate.
  if (any_decoded_) {
    const auto interval =
        std::min<std::chrono::nanoseconds>(now - last_decoded_, std::chrono::seconds(1));
    period_ = period_.count() == 0 ? interval : (3 * period_ + interval) / 4;
  }
  any_decoded_ = true;
  last_decoded_ = now;

  for (Present &p : present_ | std::views::values) ++p.missed;
  for (const DecodedCode &code : decoded.codes) {
    const std::string key = code.format + '\n' + code.text;
    const auto [it, inserted] = present_.try_emplace(key, Present{now, 0});
    if (inserted) {
      result.new_codes.push_back(code);
      ++stats_.reported;
    } else {
      it->second = {now, 0};
    }
    result.all_codes.push_back(code);
  }
  // One round is every pass once: a code the camera's third pass alone reads is missing from
  // two frames in three while it is still there, and one blurred frame makes five.
  const int passes = options_.decode.effort == DecodeEffort::camera ? kCameraPasses : 1;
  const int frames = options_.gone_after_frames * passes;
  const auto time = std::max<std::chrono::nanoseconds>(options_.gone_after, (passes + 1) * period_);
  std::erase_if(present_, [&](const auto &entry) {
    return entry.second.missed >= frames && now - entry.second.last_seen >= time;
  });
  return result;
}

}  // namespace comptoir::drivers
