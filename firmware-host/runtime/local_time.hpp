// Local calendar facts the counter needs: the local day around a moment (DST days are 23
// or 25 hours long) and the local hour of a moment. One place, so the day report, the
// kiosk's midnight deadline and its labels agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace comptoir {

struct LocalDay {
  std::int64_t start = 0;  // Unix seconds of local midnight
  std::int64_t end = 0;    // Unix seconds of the next local midnight
};

LocalDay local_day(std::int64_t unix_s);
int local_hour(std::int64_t unix_s);  // 0..23

// Code points in UTF-8 text (continuation bytes not counted).
std::size_t utf8_length(std::string_view text);
// `text` without leading and trailing ASCII white space.
std::string_view trim_spaces(std::string_view text);

}  // namespace comptoir
