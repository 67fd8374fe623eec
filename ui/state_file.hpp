// `comptoir --state-file PATH`: the kiosk's state as one JSON object, rewritten atomically
// (PATH.tmp, then rename) right after the frame that shows each new revision. It is how the
// end-to-end tests and the benchmark see what the screen shows and when it was presented.
#pragma once

#include <cstdint>
#include <string>

#include "ui/kiosk.hpp"

namespace comptoir::ui {

struct FrameFacts {
  int window_w = 0;
  int window_h = 0;
  std::uint64_t frames = 0;              // presented since start
  std::int64_t frame_mono_ns = 0;        // CLOCK_MONOTONIC right after the present
  std::int64_t first_frame_mono_ns = 0;  // the first presented frame of the scan screen
};

// The JSON text (one line, no newline): pid, revision, screen, lang, verdict, order, repeat,
// queued, hand_over_held, scans, field (never the PIN), field_length, results, first_result,
// error (the code), notice, alert, receipt, unlocked, self_test, window, frames,
// frame_mono_ns, first_frame_mono_ns, status.
std::string state_json(const Kiosk &kiosk, const FrameFacts &frame);

// Writes `text` to PATH.tmp and renames it over PATH. False, with `why`, on failure.
bool write_state_file(const std::string &path, const std::string &text, std::string *why);

}  // namespace comptoir::ui
