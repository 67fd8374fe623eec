// runtime/local_time: local days of 23, 24 and 25 hours, local hours across DST changes,
// code points of UTF-8 text, and trimming.
#include "runtime/local_time.hpp"

#include <doctest/doctest.h>

#include <string>

#include "tests/firmware-host/time_zone.hpp"

namespace comptoir::test {
namespace {

constexpr std::int64_t kHour = 3600;

TEST_CASE("local_day: midnight to midnight, 23 or 25 hours on DST days") {
  TimeZone paris("Europe/Paris");
  struct Day {
    const char *name;
    std::int64_t start;  // from `TZ=Europe/Paris date -d "YYYY-MM-DD 00:00" +%s`
    std::int64_t hours;
  };
  for (const Day &d : {Day{"2025-10-09", 1'759'960'800, 24}, Day{"2025-03-30", 1'743'289'200, 23},
                       Day{"2025-10-26", 1'761'429'600, 25}, Day{"2026-03-29", 1'774'738'800, 23},
                       Day{"2026-01-01", 1'767'222'000, 24}}) {
    CAPTURE(d.name);
    const std::int64_t end = d.start + d.hours * kHour;
    for (std::int64_t t : {d.start, d.start + 1, d.start + 2 * kHour + 1800, end - 1}) {
      CAPTURE(t);
      const LocalDay day = local_day(t);
      CHECK(day.start == d.start);
      CHECK(day.end == end);
    }
    CHECK(local_day(end).start == end);
    CHECK(local_day(d.start - 1).end == d.start);
  }

  TimeZone utc("UTC");
  CHECK(local_day(0).start == 0);
  CHECK(local_day(0).end == 24 * kHour);
  CHECK(local_day(24 * kHour - 1).start == 0);
}

TEST_CASE("local_hour follows the clock on the wall, DST changes included") {
  TimeZone paris("Europe/Paris");
  // 2025-03-30: 02:00 CET becomes 03:00 CEST, at 01:00 UTC.
  const std::int64_t spring = 1'743'289'200;
  CHECK(local_hour(spring) == 0);
  CHECK(local_hour(spring + kHour + 1800) == 1);
  CHECK(local_hour(spring + 2 * kHour) == 3);
  CHECK(local_hour(spring + 22 * kHour + 3599) == 23);
  // 2025-10-26: 03:00 CEST goes back to 02:00 CET at 01:00 UTC; 02:xx happens twice.
  const std::int64_t autumn = 1'761'429'600;
  CHECK(local_hour(autumn + 2 * kHour + 1800) == 2);
  CHECK(local_hour(autumn + 3 * kHour + 1800) == 2);
  CHECK(local_hour(autumn + 4 * kHour) == 3);
  CHECK(local_hour(autumn + 24 * kHour + 3599) == 23);

  TimeZone utc("UTC");
  CHECK(local_hour(0) == 0);
  CHECK(local_hour(13 * kHour + 59) == 13);
}

TEST_CASE("utf8_length counts code points, not bytes") {
  CHECK(utf8_length("") == 0);
  CHECK(utf8_length("abc") == 3);
  CHECK(utf8_length("é") == 1);
  CHECK(utf8_length("Hélène") == 6);
  CHECK(utf8_length("€ 5") == 3);
  CHECK(utf8_length("\xF0\x9F\x98\x80") == 1);        // an emoji: four bytes
  CHECK(utf8_length("He\xCC\x81le\xCC\x80ne") == 8);  // decomposed accents are code points
}

TEST_CASE("trim_spaces drops ASCII white space at both ends only") {
  CHECK(trim_spaces("") == "");
  CHECK(trim_spaces("   ") == "");
  CHECK(trim_spaces(" \t\r\n\v\f") == "");
  CHECK(trim_spaces("  a b \t\n") == "a b");
  CHECK(trim_spaces("hé") == "hé");
  CHECK(trim_spaces("\thé  ") == "hé");
  // A no-break space is text, not ASCII white space.
  CHECK(trim_spaces("\xC2\xA0x") == "\xC2\xA0x");
}

}  // namespace
}  // namespace comptoir::test
