// Xvfb (tests/e2e/kiosk_harness) for a doctest test case: the server, or a failed REQUIRE
// with the reason and Xvfb's log. For the suites that link comptoir_kiosk_harness.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>

#include "tests/e2e/kiosk_harness.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {

// Xvfb on the first free display, one screen of `screen`, its log in `tmp`.
inline std::unique_ptr<Xvfb> start_xvfb(const Size &screen, const TempDir &tmp) {
  const std::string log = tmp.file("xvfb.log");
  auto x = Xvfb::start(screen, log);
  REQUIRE_MESSAGE(x.ok(), (x.ok() ? std::string() : x.error().detail)
                              << "\n"
                              << (file_exists(log) ? read_file(log) : std::string()));
  return std::move(*x);
}

}  // namespace comptoir::test
