// The camera's pipeline without the camera: frames in (GREY, YUYV or MJPEG bytes, as V4L2
// hands them over), scans out. It converts a frame to grey, decodes it with ZXing, keeps the
// decoding within a share of one core and a number of frames a second (frames that come too
// soon are dropped, never queued), and reports a code once until it leaves the picture. Time
// is passed in, and the cost of a decode is measured through a clock that tests replace, so
// all of it is tested with synthetic frames and no hardware. Includes nothing of ours.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "drivers/image_decoder.hpp"

namespace comptoir::drivers {

enum class PixelFormat {
  grey,   // V4L2_PIX_FMT_GREY: one byte a pixel
  yuyv,   // V4L2_PIX_FMT_YUYV: Y0 U Y1 V, the grey is every other byte
  mjpeg,  // V4L2_PIX_FMT_MJPEG: one JPEG a frame
};

// "GREY", "YUYV", "MJPEG".
const char *pixel_format_name(PixelFormat format);

// A frame as the driver filled it. Not owned.
struct Frame {
  PixelFormat format = PixelFormat::grey;
  int width = 0;
  int height = 0;
  int stride = 0;  // bytes from one row to the next (GREY, YUYV); 0: packed
  const std::uint8_t *bytes = nullptr;
  std::size_t size = 0;  // bytes used (for MJPEG, the JPEG's length)
};

// Frame -> grey pixels in `out` (its buffer reused from frame to frame). Returns an empty
// string, or why the frame cannot be used (too short for its size, a broken JPEG).
std::string frame_to_grey(const Frame &frame, GreyImage &out);

struct FrameScannerOptions {
  // Decoding takes at most this share of one core: after a decode that took d of CPU time,
  // the next one waits d / share. 2 ms at 30 % is one decode every 6.7 ms; a slow ARM box at
  // 40 ms a decode gets one every 133 ms.
  double max_cpu_share = 0.30;
  // And at most this many decodes a second whatever the CPU: a person showing a code does not
  // need more, and the rest of the box does.
  double max_decodes_per_s = 15;
  // A code has left the picture when it was missing from gone_after_frames rounds of the
  // camera's passes in a row (x kCameraPasses decoded frames: a code only one pass reads is
  // missing from the other two anyway) and not seen for max(gone_after, (passes + 1) x the
  // measured decode period): both, so one blurred frame does not report it again, at a high
  // frame rate or on a slow box decoding every 133 ms. With DecodeEffort::thorough every
  // frame makes every pass, and the rounds are single frames.
  int gone_after_frames = 3;
  std::chrono::milliseconds gone_after{400};
  DecodeOptions decode{DecodeEffort::camera, true, true, true};
};

struct FrameResult {
  enum class Kind {
    dropped,  // too soon after the last decode: not looked at
    bad,      // could not be turned into grey; `error` says why
    decoded,  // looked at; `new_codes` holds the codes not already in the picture
  };
  Kind kind = Kind::dropped;
  std::string error;
  std::vector<DecodedCode> new_codes;
  std::vector<DecodedCode> all_codes;  // every code in this frame, reported or not
  std::chrono::nanoseconds cost{0};    // CPU time of conversion and decode
};

class FrameScanner {
 public:
  using Clock = std::chrono::steady_clock;
  // CPU time used so far by the calling thread; the default reads CLOCK_THREAD_CPUTIME_ID.
  using CpuClock = std::function<std::chrono::nanoseconds()>;

  explicit FrameScanner(FrameScannerOptions options = {}, CpuClock cpu_clock = {});

  // Whether a frame arriving at `now` would be decoded: lets the reader skip even the copy.
  bool wants_frame(Clock::time_point now) const;
  // One frame that arrived at `now` (frames come in time order).
  FrameResult offer(const Frame &frame, Clock::time_point now);
  // Forgets the codes in the picture, the throttle and the decode period (a camera was
  // reopened).
  void reset();
  // The time between decoded frames, averaged (zero until two frames were decoded).
  std::chrono::nanoseconds decode_period() const { return period_; }

  struct Stats {
    std::uint64_t frames = 0;   // offered
    std::uint64_t decoded = 0;  // looked at
    std::uint64_t dropped = 0;  // throttled away
    std::uint64_t bad = 0;
    std::uint64_t reported = 0;       // codes reported
    std::chrono::nanoseconds cpu{0};  // spent converting and decoding
  };
  const Stats &stats() const { return stats_; }

 private:
  struct Present {
    Clock::time_point last_seen;
    int missed = 0;  // decoded frames in a row without it
  };

  FrameScannerOptions options_;
  CpuClock cpu_clock_;
  Clock::time_point next_decode_{};
  bool any_decode_ = false;
  int pass_ = 0;  // DecodeOptions::camera_pass of the next decode
  bool any_decoded_ = false;
  Clock::time_point last_decoded_{};
  std::chrono::nanoseconds period_{0};
  GreyImage grey_;
  std::map<std::string, Present> present_;  // format + '\n' + text
  Stats stats_;
};

}  // namespace comptoir::drivers
