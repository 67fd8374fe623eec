// Time as the core sees it: injected, so validation and undo windows are testable.
#pragma once

#include <cstdint>

namespace comptoir {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t wall_ms() const = 0;  // Unix time, milliseconds
  virtual std::int64_t mono_ns() const = 0;  // CLOCK_MONOTONIC, nanoseconds
};

class SystemClock final : public Clock {
 public:
  std::int64_t wall_ms() const override;
  std::int64_t mono_ns() const override;
};

// A clock that moves only when told to (tests, replays).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t wall_ms) : wall_ms_(wall_ms) {}
  std::int64_t wall_ms() const override { return wall_ms_; }
  std::int64_t mono_ns() const override { return mono_ns_; }
  void advance_ms(std::int64_t ms) {
    wall_ms_ += ms;
    mono_ns_ += ms * 1'000'000;
  }

 private:
  std::int64_t wall_ms_;
  std::int64_t mono_ns_ = 1'000'000'000;
};

}  // namespace comptoir
