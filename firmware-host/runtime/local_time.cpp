// Local calendar facts (runtime/local_time.hpp) from the C library's time zone (TZ), and
// the two small text measures the counter's inputs need.
#include "runtime/local_time.hpp"

#include <algorithm>
#include <ctime>

namespace comptoir {

// mktime normalises the day after's midnight, so a day with a DST change is 23 or 25
// hours long, as it should be; tm_isdst = -1 lets it pick the offset in force then.
LocalDay local_day(std::int64_t unix_s) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_hour = 0;
  tm.tm_min = 0;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  std::tm next = tm;
  next.tm_mday += 1;
  const std::time_t start = std::mktime(&tm);
  const std::time_t end = std::mktime(&next);
  return {static_cast<std::int64_t>(start), static_cast<std::int64_t>(end)};
}

int local_hour(std::int64_t unix_s) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  localtime_r(&t, &tm);
  return std::clamp(tm.tm_hour, 0, 23);
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::string_view trim_spaces(std::string_view text) {
  constexpr std::string_view kSpaces = " \t\n\v\f\r";
  const auto first = text.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpaces);
  return text.substr(first, last - first + 1);
}

}  // namespace comptoir
