#include "drivers/scan_assembler.hpp"

#include <utility>

namespace comptoir::drivers {
namespace {

constexpr std::size_t kLoggedBytes = 64;  // what a drop keeps of the text, for the log

}  // namespace

ScanAssembler::ScanAssembler(AssemblerOptions options) : options_(options) {
  if (options_.max_bytes == 0) options_.max_bytes = 1;
}

void ScanAssembler::clear() {
  text_.clear();
  flooding_ = false;
}

std::vector<ScanAssembler::Completed> ScanAssembler::add(std::string_view chars,
                                                         Clock::time_point now) {
  std::vector<Completed> ended;
  if (chars.empty()) return ended;
  // Something pending whose time has passed: end it first, as tick() would have.
  if (auto late = tick(now)) ended.push_back(std::move(*late));
  last_ = now;
  if (flooding_) return ended;
  if (text_.size() + chars.size() > options_.max_bytes) {
    ended.push_back(Completed{false, text_.substr(0, kLoggedBytes), "too_long"});
    text_.clear();
    flooding_ = true;
    return ended;
  }
  text_.append(chars);
  return ended;
}

std::optional<ScanAssembler::Completed> ScanAssembler::terminate(Clock::time_point now) {
  last_ = now;
  if (flooding_) {
    clear();
    return std::nullopt;  // the drop was reported when the flood began
  }
  if (text_.empty()) return std::nullopt;
  Completed done{true, std::move(text_), {}};
  clear();
  return done;
}

std::optional<ScanAssembler::Clock::time_point> ScanAssembler::deadline() const {
  if (!pending()) return std::nullopt;
  if (options_.quiet_gap.count() > 0) return last_ + options_.quiet_gap;
  return last_ + options_.stale_after;
}

std::optional<ScanAssembler::Completed> ScanAssembler::tick(Clock::time_point now) {
  const auto due = deadline();
  if (!due || now < *due) return std::nullopt;
  if (flooding_) {
    clear();  // the flood stopped: the next character starts a new scan
    return std::nullopt;
  }
  if (options_.quiet_gap.count() > 0) return terminate(now);
  Completed drop{false, text_.substr(0, kLoggedBytes), "no_terminator"};
  clear();
  return drop;
}

std::optional<ScanAssembler::Completed> ScanAssembler::abort(std::string_view reason) {
  if (!pending()) return std::nullopt;
  const bool was_flooding = flooding_;
  Completed drop{false, text_.substr(0, kLoggedBytes), std::string(reason)};
  clear();
  if (was_flooding) return std::nullopt;  // already reported as too_long
  return drop;
}

}  // namespace comptoir::drivers
