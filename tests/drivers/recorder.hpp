// A ScanSink for the readers' tests: everything a reader said, in order, with a way to wait
// for what a test expects.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <variant>
#include <vector>

#include "drivers/scan_event.hpp"

namespace comptoir::test {

using Item = std::variant<drivers::ScanEvent, drivers::DeviceNotice>;

class Recorder final : public drivers::ScanSink {
 public:
  // Called on the reader's thread before a notice is recorded: a test can hold the reader
  // there (it calls the sink synchronously), so key events pile up and are read in one batch.
  std::function<void(const drivers::DeviceNotice &)> on_notice;

  void scan(drivers::ScanEvent event) override { push(std::move(event)); }
  void notice(drivers::DeviceNotice notice) override {
    if (on_notice) on_notice(notice);
    push(std::move(notice));
  }

  // Waits until `done(items)` holds; false after `timeout`.
  bool wait(const std::function<bool(const std::vector<Item> &)> &done,
            std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(items_); });
  }
  std::vector<Item> items() {
    std::lock_guard lock(mutex_);
    return items_;
  }

 private:
  // A reader gone wrong (a flood reported item by item) cannot exhaust the test's memory.
  static constexpr std::size_t kMaxItems = 100000;

  void push(Item item) {
    {
      std::lock_guard lock(mutex_);
      if (items_.size() < kMaxItems) items_.push_back(std::move(item));
    }
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Item> items_;
};

}  // namespace comptoir::test
