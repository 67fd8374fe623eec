// The double-read filter: the same key within 3 s is one scan.
#include "pickup/scan_debouncer.hpp"

#include <doctest/doctest.h>

namespace comptoir::test {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 5 * kSecond;

}  // namespace

TEST_CASE("the first read of a key is never a repeat") {
  ScanDebouncer d;
  CHECK_FALSE(d.is_repeat("s:1", kT0));
  ScanDebouncer other;
  CHECK_FALSE(other.is_repeat("", 0));
}

TEST_CASE("the same key within 3 s is a repeat, at 3 s it is not") {
  SUBCASE("1 ns later") {
    ScanDebouncer d;
    CHECK_FALSE(d.is_repeat("s:1", kT0));
    CHECK(d.is_repeat("s:1", kT0 + 1));
  }
  SUBCASE("at once") {
    ScanDebouncer d;
    CHECK_FALSE(d.is_repeat("s:1", kT0));
    CHECK(d.is_repeat("s:1", kT0));
  }
  SUBCASE("1 ns short of 3 s") {
    ScanDebouncer d;
    CHECK_FALSE(d.is_repeat("s:1", kT0));
    CHECK(d.is_repeat("s:1", kT0 + 3 * kSecond - 1));
  }
  SUBCASE("exactly 3 s") {
    ScanDebouncer d;
    CHECK_FALSE(d.is_repeat("s:1", kT0));
    CHECK_FALSE(d.is_repeat("s:1", kT0 + 3 * kSecond));
  }
  SUBCASE("long after") {
    ScanDebouncer d;
    CHECK_FALSE(d.is_repeat("s:1", kT0));
    CHECK_FALSE(d.is_repeat("s:1", kT0 + 60 * kSecond));
  }
  CHECK(ScanDebouncer::kWindowNs == 3 * kSecond);
}

TEST_CASE("a different key in between breaks the repeat") {
  ScanDebouncer d;
  CHECK_FALSE(d.is_repeat("s:1", kT0));
  CHECK_FALSE(d.is_repeat("s:2", kT0 + kSecond / 10));
  CHECK_FALSE(d.is_repeat("s:1", kT0 + kSecond / 5));
  CHECK(d.is_repeat("s:1", kT0 + kSecond / 4));
}

TEST_CASE("a chain of double reads each under 3 s apart is one scan") {
  ScanDebouncer d;
  CHECK_FALSE(d.is_repeat("s:1", kT0));
  CHECK(d.is_repeat("s:1", kT0 + 2 * kSecond));
  CHECK(d.is_repeat("s:1", kT0 + 4 * kSecond));  // 2 s after the previous read
  CHECK_FALSE(d.is_repeat("s:1", kT0 + 7 * kSecond + kSecond / 2));
}

TEST_CASE("a clock that goes backwards never makes a repeat") {
  ScanDebouncer d;
  CHECK_FALSE(d.is_repeat("s:1", kT0));
  CHECK_FALSE(d.is_repeat("s:1", kT0 - 1));
}

}  // namespace comptoir::test
