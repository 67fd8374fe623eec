// The camera as a scanner: a V4L2 capture device (a USB webcam, a tablet's camera) opened,
// asked for 640x480 GREY, YUYV or MJPEG, streamed through mmap'd buffers with poll(), and each
// frame the CPU budget allows handed to a FrameScanner (grey, ZXing, throttle, dedupe). Frames
// that come while the last one is still being decoded are dropped: only the newest is kept.
// An unplugged camera is device_removed and is looked for again every second; one that
// cannot be opened is device_unusable with the reason and the fix. Includes nothing of ours.
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
  // How often a missing or unplugged camera is looked for.
  std::chrono::milliseconds retry_every{1000};
  // A streaming camera that sends nothing this long is closed and opened again.
  std::chrono::milliseconds stall_after{5000};
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
  // Starts streaming (device_added) and streams until stopped, unplugged or stalled. Returns
  // why it ended, `why` in English.
  enum class StreamEnd { not_started, stopped, removed, failed };
  StreamEnd stream(ScanSink &sink, int fd, PixelFormat format, const std::string &name,
                   std::string &why);
  // Waits up to `timeout` for stop(); true when stopping.
  bool wait_stop(std::chrono::milliseconds timeout) const;

  CameraOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int stop_fd_ = -1;  // eventfd written by stop(), polled beside the camera
};

}  // namespace comptoir::drivers
