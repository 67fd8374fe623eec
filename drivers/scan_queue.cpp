#include "drivers/scan_queue.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

namespace comptoir::drivers {

const char *source_name(Source source) {
  switch (source) {
    case Source::evdev:
      return "evdev";
    case Source::usb_boot_keyboard:
      return "usb-boot-keyboard";
    case Source::usb_hid_pos:
      return "usb-hid-pos";
    case Source::serial:
      return "serial";
    case Source::camera:
      return "camera";
    case Source::image_file:
      return "image-file";
    case Source::keyboard:
      return "keyboard";
  }
  return "unknown";
}

const char *notice_kind_name(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::device_added:
      return "device_added";
    case NoticeKind::device_removed:
      return "device_removed";
    case NoticeKind::scan_dropped:
      return "scan_dropped";
    case NoticeKind::device_unusable:
      return "device_unusable";
  }
  return "unknown";
}

ScanQueue::ScanQueue(std::size_t capacity)
    : capacity_(capacity < 2 ? 2 : capacity), event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ScanQueue::~ScanQueue() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

void ScanQueue::scan(ScanEvent event) {
  push(std::move(event));
}

void ScanQueue::notice(DeviceNotice notice) {
  push(std::move(notice));
}

void ScanQueue::push(ScanItem item) {
  std::function<void()> wake;
  {
    const std::lock_guard lock(mutex_);
    if (items_.size() + 1 >= capacity_) {
      // The last slot is kept for the notice that says items were refused.
      if (overflow_noted_) return;
      overflow_noted_ = true;
      DeviceNotice full;
      full.kind = NoticeKind::scan_dropped;
      if (const auto *scan = std::get_if<ScanEvent>(&item)) full.device_id = scan->device_id;
      if (const auto *n = std::get_if<DeviceNotice>(&item)) full.device_id = n->device_id;
      full.reason = "queue_full";
      full.detail = "scans arrive faster than they are served; newer ones were dropped";
      full.time = std::chrono::system_clock::now();
      items_.emplace_back(std::move(full));
    } else {
      items_.push_back(std::move(item));
    }
    // Under the lock, so the counter is non-zero exactly while the queue holds something.
    if (event_fd_ >= 0) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto n = ::write(event_fd_, &one, sizeof one);
    }
    wake = wake_;
  }
  if (wake) wake();
}

std::optional<ScanItem> ScanQueue::pop() {
  const std::lock_guard lock(mutex_);
  if (items_.empty()) {
    return std::nullopt;
  }
  ScanItem item = std::move(items_.front());
  items_.pop_front();
  // Room again (half the queue): the next overflow is said again, even if the consumer
  // never quite empties the queue.
  if (items_.size() <= capacity_ / 2) overflow_noted_ = false;
  if (items_.empty()) {
    if (event_fd_ >= 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto n = ::read(event_fd_, &count, sizeof count);
    }
  }
  return item;
}

std::size_t ScanQueue::size() const {
  const std::lock_guard lock(mutex_);
  return items_.size();
}

void ScanQueue::set_wake(std::function<void()> wake) {
  const std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
}

}  // namespace comptoir::drivers
