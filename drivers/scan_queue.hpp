// The bounded queue between reader threads and the one thread that serves scans. Readers
// push (never blocking); the consumer pops. The consumer waits either on wait_fd() (poll()
// in the headless loop) or through the wake callback (SDL_PushEvent in the kiosk). When
// the queue is full the newest item is refused and a queue_full notice takes its place,
// so a flood from one device cannot grow memory without bound.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <variant>

#include "drivers/scan_event.hpp"

namespace comptoir::drivers {

using ScanItem = std::variant<ScanEvent, DeviceNotice>;

class ScanQueue final : public ScanSink {
 public:
  explicit ScanQueue(std::size_t capacity = 256);
  ~ScanQueue() override;
  ScanQueue(const ScanQueue &) = delete;
  ScanQueue &operator=(const ScanQueue &) = delete;

  void scan(ScanEvent event) override;
  void notice(DeviceNotice notice) override;

  // Oldest first; nullopt when empty. Clears wait_fd() when it empties the queue.
  std::optional<ScanItem> pop();
  std::size_t size() const;

  // Readable (POLLIN) while the queue holds something. -1 if no eventfd could be made.
  int wait_fd() const { return event_fd_; }

  // Called (from the pushing thread, outside the lock) after each push; for SDL_PushEvent.
  void set_wake(std::function<void()> wake);

 private:
  void push(ScanItem item);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<ScanItem> items_;
  bool overflow_noted_ = false;  // one queue_full notice per overflow, not one per item
  std::function<void()> wake_;
  int event_fd_ = -1;
};

}  // namespace comptoir::drivers
