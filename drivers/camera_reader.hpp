// The camera as a scanner: a V4L2 capture device (a USB webcam, a tablet's camera) opened,
// asked for 640x480 GREY, YUYV or MJPEG, streamed through mmap'd buffers with poll(), and each
// frame the CPU budget allows handed to a FrameScanner (grey, ZXing, throttle, dedupe). Frames
// that come while the last one is still being decoded are dropped: only the newest is kept.
// A camera is device_added once its frames really flow. An unplugged camera (ENODEV, its node
// gone) is device_removed and is looked for again every second; one that stalls or fails
// while streaming is device_unusable ("stalled", "io_error"), said once, and reopened with a
// growing pause (CameraRecovery); one that cannot be opened is device_unusable with the reason
// and the fix. Includes nothing of ours.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/frame_scanner.hpp"
#include "drivers/reader.hpp"

namespace comptoir::drivers {

struct CameraOptions {
  // A node under /dev (/dev/video0) or a stable link (/dev/v4l/by-id/usb-…-video-index0).
  std::string device = "/dev/video0";
  int width = 640;
  int height = 480;
  FrameScannerOptions scanner;
  // How often a missing or unplugged camera is looked for, and the first pause before a
  // camera that stalled or failed is opened again.
  std::chrono::milliseconds retry_every{1000};
  // That pause doubles with each failure in a row, up to this.
  std::chrono::milliseconds retry_at_most{30000};
  // A streaming camera that sends nothing this long is closed and opened again.
  std::chrono::milliseconds stall_after{5000};
};

// What the camera reader says and when it tries again, without the camera: a pure state
// machine the reader feeds with what happened, so the decisions are tested with no V4L2.
// - device_added when frames flow, not when streaming starts: a camera that opens and then
//   sends nothing has not been "added" for staff.
// - device_removed only when the node is really gone (ENODEV, or not found when reopened).
// - A stall or a streaming error is device_unusable "stalled" / "io_error", said once until
//   something else happened, never device_removed: the camera is still plugged in.
// - Reopening after a failure waits retry_every, then twice that, and so on up to
//   retry_at_most; the pause goes back to retry_every only after frames flowed for
//   `healthy_after` (a camera that works a few seconds and stalls again is still failing),
//   or when the camera was unplugged. A missing camera is looked for every retry_every.
class CameraRecovery {
 public:
  using Clock = std::chrono::steady_clock;
  enum class End { removed, stalled, failed };

  struct Advice {
    bool say = false;  // false: no news, say nothing
    NoticeKind kind = NoticeKind::device_unusable;
    std::string reason;  // the notice's reason ("cable_pulled", "stalled", "busy", …)
    // How long to wait before opening the camera again (after a failure or an end).
    std::chrono::milliseconds retry_in{0};
  };

  explicit CameraRecovery(std::chrono::milliseconds retry_every = std::chrono::seconds(1),
                          std::chrono::milliseconds retry_at_most = std::chrono::seconds(30),
                          std::chrono::milliseconds healthy_after = std::chrono::seconds(30));

  // Opening (or starting to stream) failed with a VideoProbe reason: "not_found", "busy", …
  Advice open_failed(const std::string &reason);
  // Streaming started (VIDIOC_STREAMON): the camera is there, frames may follow.
  void streaming();
  // A frame arrived at `now`: says device_added when frames flow again.
  Advice frame(Clock::time_point now);
  // Streaming ended: unplugged, stalled (no frame for stall_after) or failed (an I/O error).
  Advice ended(End end);

  // Failures in a row since the camera last worked for healthy_after (for tests and logs).
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds backoff();
  Advice say_once(const std::string &reason, std::chrono::milliseconds retry_in);

  std::chrono::milliseconds retry_every_;
  std::chrono::milliseconds retry_at_most_;
  std::chrono::milliseconds healthy_after_;
  bool present_ = false;    // opened since it last left: "not found" now means it left
  bool announced_ = false;  // device_added said and nothing said against it since
  std::string last_said_;   // the last device_unusable reason said (or "not_found" after removal)
  int failures_ = 0;
  std::optional<Clock::time_point> flowing_since_;  // first frame of this session
};

// What a V4L2 node is, as far as the camera reader is concerned.
struct VideoProbe {
  bool usable = false;
  std::string name;    // the driver's card name ("HD Webcam C270"), when it could be asked
  std::string reason;  // when !usable: "not_found", "no_permission", "not_a_camera",
                       // "metadata_only", "no_streaming", "no_usable_format", "busy", "io_error"
  std::string detail;  // English, with the path
  std::string fix;     // what to do, when there is something to do
  std::optional<PixelFormat> format;  // the best format it offers, when usable
};

// Opens `path` just long enough to ask (VIDIOC_QUERYCAP, VIDIOC_ENUM_FMT). Never throws.
VideoProbe probe_video_device(const std::string &path);

// The reason, detail and fix for an errno from open() on a camera node.
VideoProbe probe_failure_for_errno(const std::string &path, int error);

// The cheapest usable format among V4L2 fourccs, GREY before YUYV before MJPEG; nullopt when
// none of them is offered.
std::optional<PixelFormat> choose_pixel_format(const std::vector<std::uint32_t> &fourccs);

class CameraReader final : public Reader {
 public:
  explicit CameraReader(CameraOptions options = {});
  ~CameraReader() override;
  CameraReader(const CameraReader &) = delete;
  CameraReader &operator=(const CameraReader &) = delete;

  void start(ScanSink &sink) override;
  void stop() override;
  // Every /dev/video* node (and the configured device if it is elsewhere), used or skipped.
  std::vector<DeviceCandidate> candidates() override;

  std::string device_id() const { return "camera:" + options_.device; }

 private:
  void run(ScanSink &sink);
  // Starts streaming and streams until stopped, unplugged, stalled or failed, telling
  // `recovery` (device_added when frames flow). Returns why it ended, `why` in English.
  enum class StreamEnd { not_started, stopped, removed, stalled, failed };
  StreamEnd stream(ScanSink &sink, CameraRecovery &recovery, int fd, PixelFormat format,
                   const std::string &name, std::string &why);
  // Waits up to `timeout` for stop(); true when stopping.
  bool wait_stop(std::chrono::milliseconds timeout) const;

  CameraOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int stop_fd_ = -1;  // eventfd written by stop(), polled beside the camera
};

}  // namespace comptoir::drivers
