// `comptoir --headless`: opens the appliance on a data directory and serves stdin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "headless/headless_session.hpp"

namespace comptoir {

struct HeadlessArgs {
  std::string data_dir;
  std::optional<std::int64_t> stand;
  HeadlessOptions session;
};

// 0 at end of input; 1 when the appliance cannot start (the reason on stderr, and as a
// JSON error line on stdout).
int run_headless(const HeadlessArgs &args);

}  // namespace comptoir
