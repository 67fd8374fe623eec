// Bursts of keys to scans, the rest to the code field: see wedge_assembler.hpp for the
// timings and why.
#include "drivers/wedge_assembler.hpp"

#include <utility>

namespace comptoir::drivers {
namespace {

constexpr std::size_t kLoggedBytes = 64;  // what a too_long drop keeps, for the log
constexpr const char *kDeviceId = "keyboard";

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (const char c : utf8) n += !continuation(c);
  return n;
}

// The longest prefix of `s` of at most `max` bytes that does not cut a character in two.
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && continuation(s[end])) --end;
  return s.substr(0, end);
}

}  // namespace

WedgeAssembler::WedgeAssembler(WedgeOptions options) : options_(options) {
  if (options_.min_scan_chars == 0) options_.min_scan_chars = 1;
  if (options_.max_scan_bytes == 0) options_.max_scan_bytes = 1;
  if (options_.scan_gap < options_.key_gap) options_.scan_gap = options_.key_gap;
}

void WedgeAssembler::to_field(std::string_view text) {
  // Whole characters only, up to the field's size.
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t len = 1;
    while (i + len < text.size() && continuation(text[i + len])) ++len;
    if (field_.size() + len > options_.max_field_bytes) return;
    field_.append(text.substr(i, len));
    i += len;
  }
}

void WedgeAssembler::set_field(std::string_view text) {
  field_.clear();
  to_field(text);
}

void WedgeAssembler::emit_scan(std::vector<WedgeOutput> &out) {
  ScanEvent e;
  e.source = Source::keyboard;
  e.device_id = kDeviceId;
  e.text = std::move(burst_);
  out.emplace_back(std::move(e));
  burst_.clear();
  chars_ = 0;
}

void WedgeAssembler::settle(std::vector<WedgeOutput> &out) {
  if (burst_.empty()) return;
  if (is_scan()) {
    emit_scan(out);
    return;
  }
  to_field(burst_);
  burst_.clear();
  chars_ = 0;
}

void WedgeAssembler::expire(Clock::time_point now, std::vector<WedgeOutput> &out) {
  const auto due = deadline();
  if (!due || now < *due) return;
  if (flooding_) {
    flooding_ = false;  // the keys stopped: the next one starts afresh
    return;
  }
  if (is_scan()) gap_ended_ = last_;
  settle(out);
}

std::optional<WedgeAssembler::Clock::time_point> WedgeAssembler::deadline() const {
  if (flooding_) return last_ + options_.key_gap;
  if (burst_.empty()) return std::nullopt;
  return last_ + (is_scan() ? options_.scan_gap : options_.key_gap);
}

std::vector<WedgeOutput> WedgeAssembler::text(std::string_view utf8, Clock::time_point now) {
  std::vector<WedgeOutput> out;
  if (utf8.empty()) return out;
  expire(now, out);
  last_ = now;
  gap_ended_.reset();
  if (flooding_) return out;
  burst_.append(utf8);
  chars_ += code_points(utf8);
  if (burst_.size() > options_.max_scan_bytes) {
    DeviceNotice n;
    n.kind = NoticeKind::scan_dropped;
    n.device_id = kDeviceId;
    n.reason = "too_long";
    n.detail = "keyboard: more than " + std::to_string(options_.max_scan_bytes) +
               " bytes typed at scanner speed with no Enter, dropped; it began \"" +
               std::string(utf8_prefix(burst_, kLoggedBytes)) + "\"";
    n.fix = "check that the scanner ends scans with Enter and that no key is stuck";
    out.emplace_back(std::move(n));
    burst_.clear();
    chars_ = 0;
    flooding_ = true;
  }
  return out;
}

std::vector<WedgeOutput> WedgeAssembler::enter(Clock::time_point now) {
  std::vector<WedgeOutput> out;
  expire(now, out);
  last_ = now;
  if (flooding_) {
    flooding_ = false;  // the flood's own Enter; its drop was reported when it began
    return out;
  }
  if (!burst_.empty() && is_scan()) {
    emit_scan(out);  // the scanner's Enter: the person's field is left as it was
    return out;
  }
  if (burst_.empty() && gap_ended_ && now - *gap_ended_ <= options_.late_enter) {
    gap_ended_.reset();  // the scan's own Enter, late: the field is not submitted
    return out;
  }
  settle(out);  // a person's last characters, typed quickly before Enter
  if (!field_.empty()) {
    out.emplace_back(TypedCode{std::move(field_)});
    field_.clear();
  }
  return out;
}

std::vector<WedgeOutput> WedgeAssembler::tab(Clock::time_point now) {
  std::vector<WedgeOutput> out;
  expire(now, out);
  if (flooding_) {
    flooding_ = false;
    last_ = now;
    return out;
  }
  settle(out);
  return out;
}

std::vector<WedgeOutput> WedgeAssembler::backspace(Clock::time_point now) {
  std::vector<WedgeOutput> out;
  expire(now, out);
  flooding_ = false;
  settle(out);
  while (!field_.empty()) {
    const bool lead = !continuation(field_.back());
    field_.pop_back();
    if (lead) break;
  }
  return out;
}

std::vector<WedgeOutput> WedgeAssembler::escape(Clock::time_point now) {
  std::vector<WedgeOutput> out;
  expire(now, out);
  flooding_ = false;
  settle(out);
  field_.clear();
  return out;
}

std::vector<WedgeOutput> WedgeAssembler::tick(Clock::time_point now) {
  std::vector<WedgeOutput> out;
  expire(now, out);
  return out;
}

}  // namespace comptoir::drivers
