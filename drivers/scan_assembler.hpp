// Characters to scans, for every reader that receives a scan a character (or a report) at a
// time: evdev and boot-keyboard key presses, HID-POS reports, serial bytes. A scan ends on
// its terminator, or after a quiet gap for scanners set to send none. A scan that grows past
// max_bytes (a stuck key, a scanner in a loop) is dropped with reason too_long, and what
// follows is discarded until the flood stops, so memory stays bounded. Pure: time is passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::drivers {

struct AssemblerOptions {
  std::size_t max_bytes = 4096;
  // 0: scans end only on a terminator. Otherwise a scan also ends this long after its
  // last character (scanners with no suffix configured).
  std::chrono::milliseconds quiet_gap{0};
  // A partial scan with no terminator after this long is dropped (no_terminator), so it is
  // not glued to the front of the next one. Ignored when quiet_gap is set.
  std::chrono::milliseconds stale_after{2000};
};

class ScanAssembler {
 public:
  using Clock = std::chrono::steady_clock;

  struct Completed {
    bool ok = false;     // true: `text` is a scan. false: a scan was dropped for `reason`.
    std::string text;    // the scan (ok), or the first bytes of what was dropped, for the log
    std::string reason;  // too_long, no_terminator, or the reason given to abort()
  };

  explicit ScanAssembler(AssemblerOptions options = {});

  // Characters of the scan under way. Returns what ended: the pending scan when its quiet
  // gap had passed before these arrived (or its drop, when it had gone stale), and a drop
  // when these make the scan too long. Usually empty.
  std::vector<Completed> add(std::string_view chars, Clock::time_point now);
  // Enter, Tab, CR, LF or the configured suffix: the scan ends. An empty scan is nothing.
  std::optional<Completed> terminate(Clock::time_point now);
  // Call at deadline(): ends a scan after the quiet gap, or drops a stale one.
  std::optional<Completed> tick(Clock::time_point now);
  // When tick() should next be called; nullopt when nothing is pending.
  std::optional<Clock::time_point> deadline() const;
  // The device went away or failed: drops what is pending (if anything) with `reason`.
  std::optional<Completed> abort(std::string_view reason);

  bool pending() const { return !text_.empty() || flooding_; }

 private:
  void clear();

  AssemblerOptions options_;
  std::string text_;
  bool flooding_ = false;  // past max_bytes: discarding until a terminator or a gap
  Clock::time_point last_{};
};

}  // namespace comptoir::drivers
