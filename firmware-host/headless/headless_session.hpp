// Headless mode: the market stand with only a scanner. One scan or command a line in,
// one JSON object a line out.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "pickup/pickup_service.hpp"
#include "runtime/cache_check.hpp"
#include "runtime/messages.hpp"

namespace comptoir {

struct HeadlessOptions {
  Lang lang = Lang::fr;
  bool auto_handover = false;  // stands without a screen: every ready order is handed over
  std::string staff;
  // json: the protocol (default). text: a person's view, for a terminal.
  enum class Format { json, text };
  Format format = Format::json;
  bool color = false;  // ANSI colours in the text view
};

class HeadlessSession {
 public:
  // Longer lines are cut here and reported as not_a_pickup_code (too_long).
  static constexpr std::size_t kMaxLineBytes = 16 * 1024;

  HeadlessSession(PickupService &service, HeadlessOptions options);

  // Reported by :status when set.
  void set_cache_check(const CacheCheck *check) { cache_check_ = check; }

  // One line of input (no newline) to one JSON object (no newline).
  std::string handle_line(std::string_view line);

  // Reads lines until end of input; malformed input never stops the loop.
  void run(std::FILE *in, std::FILE *out);

 private:
  std::string handle_scan(std::string_view line);
  std::string handle_command(std::string_view line);

  PickupService &service_;
  HeadlessOptions options_;
  const CacheCheck *cache_check_ = nullptr;
};

}  // namespace comptoir
