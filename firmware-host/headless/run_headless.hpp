// `comptoir --headless`: opens the appliance on a data directory and serves stdin, and the
// scanners the config names (or finds by themselves), until stdin ends or SIGTERM/SIGINT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "headless/headless_session.hpp"
#include "runtime/config.hpp"

namespace comptoir {

struct HeadlessArgs {
  std::string data_dir;
  std::optional<std::int64_t> stand;
  HeadlessOptions session;
  Config config;
  bool scanners = true;  // false: stdin only (--no-scanners)
  bool sound = true;     // false: no tones whatever the config says (--no-sound)
};

// 0 at end of input or on SIGTERM/SIGINT; 1 when the appliance cannot start (the reason on
// stderr, and as a JSON error line on stdout).
int run_headless(const HeadlessArgs &args);

}  // namespace comptoir
