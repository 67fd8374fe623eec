#include "pickup/scan_debouncer.hpp"

namespace comptoir {

bool ScanDebouncer::is_repeat(const std::string &key, std::int64_t mono_ns) {
  const bool repeat =
      seen_ && key == last_key_ && mono_ns - last_ns_ >= 0 && mono_ns - last_ns_ < kWindowNs;
  last_key_ = key;
  last_ns_ = mono_ns;
  seen_ = true;
  return repeat;
}

}  // namespace comptoir
