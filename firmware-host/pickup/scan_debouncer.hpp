// Scanners read the same code twice in a row: a repeat within the window is one scan.
#pragma once

#include <cstdint>
#include <string>

namespace comptoir {

class ScanDebouncer {
 public:
  static constexpr std::int64_t kWindowNs = 3'000'000'000;

  // True when `key` is the previous key, seen less than 3 s ago (a chain of double reads
  // each under 3 s apart counts as one scan).
  bool is_repeat(const std::string &key, std::int64_t mono_ns);

 private:
  std::string last_key_;
  std::int64_t last_ns_ = 0;
  bool seen_ = false;
};

}  // namespace comptoir
