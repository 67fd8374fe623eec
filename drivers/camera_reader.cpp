#include "drivers/camera_reader.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace comptoir::drivers {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kGroupFix =
    "add the user comptoir runs as to the video group (sudo usermod -aG video comptoir) and "
    "restart it; or give the camera to that group with a udev rule in "
    "/etc/udev/rules.d/70-comptoir-camera.rules: SUBSYSTEM==\"video4linux\", GROUP=\"video\", "
    "MODE=\"0660\"";
constexpr unsigned kBuffers = 4;

int xioctl(int fd, unsigned long request, void *arg) {
  int r = 0;
  do {
    r = ::ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

std::string errno_text(int error) {
  return std::strerror(error);
}

VideoProbe unusable(std::string reason, std::string detail, std::string fix = {}) {
  VideoProbe p;
  p.reason = std::move(reason);
  p.detail = std::move(detail);
  p.fix = std::move(fix);
  return p;
}

std::string fourcc_text(std::uint32_t f) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((f >> (8 * i)) & 0xFF);
  return s;
}

std::uint32_t fourcc_of(PixelFormat format) {
  switch (format) {
    case PixelFormat::grey:
      return V4L2_PIX_FMT_GREY;
    case PixelFormat::yuyv:
      return V4L2_PIX_FMT_YUYV;
    case PixelFormat::mjpeg:
      return V4L2_PIX_FMT_MJPEG;
  }
  return 0;
}

// The device's capabilities, or the probe that says why it is not a camera.
VideoProbe query(int fd, const std::string &path) {
  v4l2_capability cap{};
  if (xioctl(fd, VIDIOC_QUERYCAP, &cap) != 0) {
    const int error = errno;
    if (error == ENOTTY || error == EINVAL) {
      return unusable("not_a_camera", path + " is not a V4L2 video device",
                      "set the camera device to a /dev/video* node (comptoir --list-devices "
                      "lists them)");
    }
    if (error == ENODEV) return unusable("not_found", path + " went away while being asked");
    return unusable("io_error", path + " did not answer VIDIOC_QUERYCAP: " + errno_text(error));
  }
  VideoProbe p;
  p.name = reinterpret_cast<const char *>(cap.card);
  const std::uint32_t caps =
      (cap.capabilities & V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities;
  if ((caps & V4L2_CAP_VIDEO_CAPTURE) == 0) {
    if ((caps & V4L2_CAP_META_CAPTURE) != 0) {
      return unusable("metadata_only",
                      path + " (" + p.name +
                          ") carries only metadata; a UVC camera's picture is on its other "
                          "/dev/video node",
                      "use the camera's other node (comptoir --list-devices shows which)");
    }
    return unusable("not_a_camera", path + " (" + p.name + ") does not capture video");
  }
  if ((caps & V4L2_CAP_STREAMING) == 0) {
    return unusable("no_streaming", path + " (" + p.name + ") cannot stream to memory buffers");
  }

  std::vector<std::uint32_t> offered;
  for (std::uint32_t i = 0;; ++i) {
    v4l2_fmtdesc desc{};
    desc.index = i;
    desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd, VIDIOC_ENUM_FMT, &desc) != 0) break;
    offered.push_back(desc.pixelformat);
  }
  p.format = choose_pixel_format(offered);
  if (!p.format) {
    std::string list;
    for (const std::uint32_t f : offered) list += (list.empty() ? "" : ", ") + fourcc_text(f);
    return unusable("no_usable_format", path + " (" + p.name +
                                            ") offers none of GREY, YUYV or MJPEG (it offers " +
                                            (list.empty() ? std::string("nothing") : list) + ")");
  }
  p.usable = true;
  return p;
}

int open_node(const std::string &path) {
  return ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

// The mmap'd buffers of one streaming session, unmapped and released on destruction.
class Buffers {
 public:
  explicit Buffers(int fd) : fd_(fd) {}
  ~Buffers() {
    if (streaming_) {
      v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      xioctl(fd_, VIDIOC_STREAMOFF, &type);
    }
    for (const auto &m : maps_) ::munmap(m.first, m.second);
    if (requested_) {
      v4l2_requestbuffers req{};
      req.count = 0;
      req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      req.memory = V4L2_MEMORY_MMAP;
      xioctl(fd_, VIDIOC_REQBUFS, &req);
    }
  }
  Buffers(const Buffers &) = delete;
  Buffers &operator=(const Buffers &) = delete;

  // Returns an empty string or what failed.
  std::string start() {
    v4l2_requestbuffers req{};
    req.count = kBuffers;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &req) != 0) return "VIDIOC_REQBUFS: " + errno_text(errno);
    requested_ = true;
    if (req.count < 2) return "the driver gave fewer than two buffers";
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) != 0) return "VIDIOC_QUERYBUF: " + errno_text(errno);
      void *p = ::mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
      if (p == MAP_FAILED) return "mmap: " + errno_text(errno);
      maps_.emplace_back(p, buf.length);
      if (!queue(i)) return "VIDIOC_QBUF: " + errno_text(errno);
    }
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) != 0) return "VIDIOC_STREAMON: " + errno_text(errno);
    streaming_ = true;
    return {};
  }

  bool queue(std::uint32_t index) {
    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    buf.index = index;
    return xioctl(fd_, VIDIOC_QBUF, &buf) == 0;
  }

  const std::uint8_t *data(std::uint32_t index) const {
    return static_cast<const std::uint8_t *>(maps_[index].first);
  }
  std::size_t length(std::uint32_t index) const { return maps_[index].second; }
  std::size_t count() const { return maps_.size(); }

 private:
  int fd_;
  bool requested_ = false;
  bool streaming_ = false;
  std::vector<std::pair<void *, std::size_t>> maps_;
};

// Whether the camera behind `fd` has left: its driver answers ENODEV (an unregistered V4L2
// device answers every ioctl so), or its node is gone from /dev.
bool node_gone(int fd, const std::string &path) {
  v4l2_capability cap{};
  if (xioctl(fd, VIDIOC_QUERYCAP, &cap) != 0 && errno == ENODEV) return true;
  struct stat st {};
  return ::stat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENODEV);
}

DeviceNotice make_notice(NoticeKind kind, const std::string &device_id, std::string reason,
                         std::string detail, std::string fix = {}) {
  DeviceNotice n;
  n.kind = kind;
  n.device_id = device_id;
  n.reason = std::move(reason);
  n.detail = std::move(detail);
  n.fix = std::move(fix);
  n.time = std::chrono::system_clock::now();
  return n;
}

}  // namespace

std::optional<PixelFormat> choose_pixel_format(const std::vector<std::uint32_t> &fourccs) {
  // GREY is the picture ZXing wants; YUYV costs a pass over the bytes; MJPEG a JPEG decode.
  for (const PixelFormat f : {PixelFormat::grey, PixelFormat::yuyv, PixelFormat::mjpeg}) {
    if (std::find(fourccs.begin(), fourccs.end(), fourcc_of(f)) != fourccs.end()) return f;
  }
  return std::nullopt;
}

VideoProbe probe_failure_for_errno(const std::string &path, int error) {
  switch (error) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return unusable("not_found", "no camera at " + path,
                      "plug the camera in, or set the camera device to one that exists "
                      "(comptoir --list-devices lists them)");
    case EACCES:
    case EPERM:
      return unusable("no_permission", "no permission to open " + path, kGroupFix);
    case EBUSY:
      return unusable("busy", path + " is in use by another program",
                      "close the other program that uses the camera");
    default:
      return unusable("io_error", "cannot open " + path + ": " + errno_text(error));
  }
}

VideoProbe probe_video_device(const std::string &path) {
  const int fd = open_node(path);
  if (fd < 0) return probe_failure_for_errno(path, errno);
  VideoProbe p = query(fd, path);
  ::close(fd);
  return p;
}

CameraReader::CameraReader(CameraOptions options) : options_(std::move(options)) {}

CameraReader::~CameraReader() {
  stop();
}

void CameraReader::start(ScanSink &sink) {
  if (thread_.joinable()) return;
  stopping_ = false;
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    sink.notice(make_notice(
        NoticeKind::device_unusable, device_id(), "io_error",
        std::string("cannot make an eventfd for the camera thread: ") + errno_text(errno)));
    return;
  }
  thread_ = std::thread([this, &sink] { run(sink); });
}

void CameraReader::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(stop_fd_);
  stop_fd_ = -1;
}

bool CameraReader::wait_stop(std::chrono::milliseconds timeout) const {
  pollfd p{stop_fd_, POLLIN, 0};
  ::poll(&p, 1, static_cast<int>(timeout.count()));
  return stopping_;
}

CameraRecovery::CameraRecovery(std::chrono::milliseconds retry_every,
                               std::chrono::milliseconds retry_at_most,
                               std::chrono::milliseconds healthy_after)
    : retry_every_(std::max(retry_every, std::chrono::milliseconds(1))),
      retry_at_most_(std::max(retry_at_most, retry_every_)),
      healthy_after_(healthy_after) {}

std::chrono::milliseconds CameraRecovery::backoff() {
  ++failures_;
  auto pause = retry_every_;
  for (int i = 1; i < failures_ && pause < retry_at_most_; ++i) pause *= 2;
  return std::min(pause, retry_at_most_);
}

CameraRecovery::Advice CameraRecovery::say_once(const std::string &reason,
                                                std::chrono::milliseconds retry_in) {
  Advice a;
  a.retry_in = retry_in;
  a.reason = reason;
  announced_ = false;
  if (reason != last_said_) {
    a.say = true;
    a.kind = NoticeKind::device_unusable;
    last_said_ = reason;
  }
  return a;
}

CameraRecovery::Advice CameraRecovery::open_failed(const std::string &reason) {
  flowing_since_.reset();
  if (reason == "not_found") {
    // Waiting for a camera to be plugged in costs an open() a second: no need to back off.
    failures_ = 0;
    if (present_) {
      // It was there (streaming, then stalled or failed) and its node is gone now: unplugged.
      present_ = false;
      announced_ = false;
      last_said_ = "not_found";
      return {true, NoticeKind::device_removed, "cable_pulled", retry_every_};
    }
    return say_once(reason, retry_every_);
  }
  return say_once(reason, backoff());
}

void CameraRecovery::streaming() {
  present_ = true;
  flowing_since_.reset();
}

CameraRecovery::Advice CameraRecovery::frame(Clock::time_point now) {
  if (!flowing_since_) flowing_since_ = now;
  // A camera that worked a while has recovered; one that stalls again within seconds has not.
  if (now - *flowing_since_ >= healthy_after_) failures_ = 0;
  Advice a;
  if (!announced_) {
    announced_ = true;
    last_said_.clear();
    a.say = true;
    a.kind = NoticeKind::device_added;
  }
  return a;
}

CameraRecovery::Advice CameraRecovery::ended(End end) {
  flowing_since_.reset();
  if (end == End::removed) {
    present_ = false;
    announced_ = false;
    failures_ = 0;
    // The not_found that the next attempts meet is this removal, not news.
    last_said_ = "not_found";
    return {true, NoticeKind::device_removed, "cable_pulled", retry_every_};
  }
  return say_once(end == End::stalled ? "stalled" : "io_error", backoff());
}

void CameraReader::run(ScanSink &sink) {
  const std::string id = device_id();
  CameraRecovery recovery(options_.retry_every, options_.retry_at_most);
  const auto in_seconds = [](std::chrono::milliseconds pause) {
    return pause < std::chrono::seconds(1) ? std::to_string(pause.count()) + " ms"
                                           : std::to_string((pause.count() + 500) / 1000) + " s";
  };
  while (!stopping_) {
    int fd = open_node(options_.device);
    VideoProbe probe =
        fd < 0 ? probe_failure_for_errno(options_.device, errno) : query(fd, options_.device);
    std::string why;
    if (probe.usable) {
      v4l2_format fmt{};
      fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      fmt.fmt.pix.width = static_cast<std::uint32_t>(options_.width);
      fmt.fmt.pix.height = static_cast<std::uint32_t>(options_.height);
      fmt.fmt.pix.pixelformat = fourcc_of(*probe.format);
      fmt.fmt.pix.field = V4L2_FIELD_NONE;
      if (xioctl(fd, VIDIOC_S_FMT, &fmt) != 0) {
        const int error = errno;
        probe = error == EBUSY || error == ENODEV
                    ? probe_failure_for_errno(options_.device, error)
                    : unusable("io_error", options_.device + " refused " +
                                               pixel_format_name(*probe.format) + ": " +
                                               errno_text(error));
      } else if (fmt.fmt.pix.pixelformat != fourcc_of(*probe.format)) {
        probe = unusable("no_usable_format", options_.device + " would not switch to " +
                                                 pixel_format_name(*probe.format));
      } else {
        const StreamEnd end = stream(sink, recovery, fd, *probe.format, probe.name, why);
        ::close(fd);
        fd = -1;
        if (end == StreamEnd::stopped) break;
        if (end == StreamEnd::not_started) {
          probe = unusable(
              why.find("Device or resource busy") != std::string::npos ? "busy" : "io_error", why);
        } else {
          const CameraRecovery::Advice advice =
              recovery.ended(end == StreamEnd::removed   ? CameraRecovery::End::removed
                             : end == StreamEnd::stalled ? CameraRecovery::End::stalled
                                                         : CameraRecovery::End::failed);
          if (advice.say) {
            const bool removed = advice.kind == NoticeKind::device_removed;
            sink.notice(make_notice(
                advice.kind, id, advice.reason,
                removed ? why : why + "; it is opened again in " + in_seconds(advice.retry_in),
                removed ? "plug the camera back in: it is picked up again"
                        : "if it keeps happening, check the cable or try another USB port, "
                          "or unplug the camera and plug it back in"));
          }
          if (wait_stop(advice.retry_in)) break;
          continue;
        }
      }
    }
    if (fd >= 0) ::close(fd);
    const CameraRecovery::Advice advice = recovery.open_failed(probe.reason);
    if (advice.say) {
      sink.notice(advice.kind == NoticeKind::device_removed
                      ? make_notice(advice.kind, id, advice.reason,
                                    options_.device + " was unplugged",
                                    "plug the camera back in: it is picked up again")
                      : make_notice(advice.kind, id, probe.reason, probe.detail, probe.fix));
    }
    if (wait_stop(advice.retry_in)) break;
  }
}

CameraReader::StreamEnd CameraReader::stream(ScanSink &sink, CameraRecovery &recovery, int fd,
                                             PixelFormat format, const std::string &name,
                                             std::string &why) {
  // The driver's idea of the frame: the size it chose and its row length.
  v4l2_format fmt{};
  fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (xioctl(fd, VIDIOC_G_FMT, &fmt) != 0) {
    why = options_.device + ": VIDIOC_G_FMT: " + errno_text(errno);
    return StreamEnd::not_started;
  }
  Buffers buffers(fd);
  if (const std::string failed = buffers.start(); !failed.empty()) {
    why = options_.device + ": " + failed;
    return StreamEnd::not_started;
  }
  recovery.streaming();
  FrameScanner scanner(options_.scanner);
  auto last_frame = Clock::now();
  int bad_in_a_row = 0;
  const std::string id = device_id();
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, 250);
    if (stopping_) return StreamEnd::stopped;
    if (n < 0 && errno != EINTR) {
      why = "poll: " + errno_text(errno);
      return StreamEnd::failed;
    }
    if ((fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
      // POLLERR also means a queue error or no buffer queued: unplugged only if it is gone.
      if (node_gone(fd, options_.device)) {
        why = options_.device + " was unplugged";
        return StreamEnd::removed;
      }
      why = options_.device + " reported an error while streaming";
      return StreamEnd::failed;
    }
    const auto now = Clock::now();
    if ((fds[0].revents & POLLIN) == 0) {
      if (now - last_frame > options_.stall_after) {
        why = options_.device + " (" + name + ") sent no frame for " +
              std::to_string(options_.stall_after.count()) + " ms";
        return StreamEnd::stalled;
      }
      continue;
    }
    // Take every frame that is ready and keep only the newest: the older ones are stale
    // by the time a decode would reach them.
    std::optional<v4l2_buffer> newest;
    for (;;) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      if (xioctl(fd, VIDIOC_DQBUF, &buf) != 0) {
        const int error = errno;
        if (error == EAGAIN) break;
        const bool gone = error == ENODEV || node_gone(fd, options_.device);
        why = options_.device + (gone ? " was unplugged" : ": VIDIOC_DQBUF: " + errno_text(error));
        return gone ? StreamEnd::removed : StreamEnd::failed;
      }
      if (newest) buffers.queue(newest->index);
      newest = buf;
    }
    if (!newest) continue;
    last_frame = now;
    if ((newest->flags & V4L2_BUF_FLAG_ERROR) == 0) {
      // Said when frames flow, not at VIDIOC_STREAMON: a camera that opens and sends nothing
      // is not being read.
      if (recovery.frame(now).say) {
        sink.notice(make_notice(NoticeKind::device_added, id, {},
                                "reading codes from " + options_.device + " (" + name + ") at " +
                                    std::to_string(fmt.fmt.pix.width) + "x" +
                                    std::to_string(fmt.fmt.pix.height) + " " +
                                    pixel_format_name(format)));
      }
    }
    if (newest->index < buffers.count() && (newest->flags & V4L2_BUF_FLAG_ERROR) == 0 &&
        scanner.wants_frame(now)) {
      Frame frame;
      frame.format = format;
      frame.width = static_cast<int>(fmt.fmt.pix.width);
      frame.height = static_cast<int>(fmt.fmt.pix.height);
      frame.stride = format == PixelFormat::mjpeg ? 0 : static_cast<int>(fmt.fmt.pix.bytesperline);
      frame.bytes = buffers.data(newest->index);
      frame.size = std::min<std::size_t>(newest->bytesused, buffers.length(newest->index));
      const FrameResult result = scanner.offer(frame, now);
      if (result.kind == FrameResult::Kind::bad) {
        // One broken MJPEG frame is noise on the USB cable; a run of them is worth saying.
        if (++bad_in_a_row == 30) {
          sink.notice(make_notice(
              NoticeKind::scan_dropped, id, "bad_frames",
              "30 frames in a row from " + options_.device + " could not be read: " + result.error,
              "check the cable, or try another USB port"));
        }
      } else if (result.kind == FrameResult::Kind::decoded) {
        bad_in_a_row = 0;
        for (const DecodedCode &code : result.new_codes) {
          ScanEvent event;
          event.source = Source::camera;
          event.device_id = id;
          event.text = code.text;
          event.symbology = code.format;
          event.time = std::chrono::system_clock::now();
          sink.scan(std::move(event));
        }
      }
    }
    if (!buffers.queue(newest->index)) {
      const int error = errno;
      const bool gone = error == ENODEV || node_gone(fd, options_.device);
      why = options_.device + (gone ? " was unplugged" : ": VIDIOC_QBUF: " + errno_text(error));
      return gone ? StreamEnd::removed : StreamEnd::failed;
    }
  }
}

std::vector<DeviceCandidate> CameraReader::candidates() {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator("/dev", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("video", 0) == 0) paths.push_back(entry.path().string());
  }
  // /dev/video2 before /dev/video10.
  std::sort(paths.begin(), paths.end(), [](const std::string &a, const std::string &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  const auto canonical = [](const std::string &p) {
    std::error_code e;
    const auto c = std::filesystem::canonical(p, e);
    return e ? p : c.string();
  };
  const std::string configured = canonical(options_.device);
  bool configured_listed = false;
  for (const std::string &p : paths) configured_listed |= canonical(p) == configured;
  if (!configured_listed) paths.insert(paths.begin(), options_.device);

  std::vector<DeviceCandidate> out;
  for (const std::string &path : paths) {
    const VideoProbe probe = probe_video_device(path);
    const bool is_configured = canonical(path) == configured;
    DeviceCandidate c;
    c.reader = "camera";
    c.device_id = "camera:" + (is_configured ? options_.device : path);
    c.name = probe.name;
    c.path = path;
    c.used = probe.usable && is_configured;
    if (probe.usable) {
      c.why = std::string(is_configured ? "configured" : "a camera, not the configured one") +
              "; reads " + pixel_format_name(*probe.format);
      if (!is_configured) c.fix = "to read codes from it, set the camera device to " + path;
    } else {
      c.why = probe.detail;
      c.fix = probe.fix;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace comptoir::drivers
