// Pins TZ for a test (local days and hours depend on it), restoring it afterwards.
#pragma once

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace comptoir::test {

class TimeZone {
 public:
  explicit TimeZone(const char *tz) {
    if (const char *old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~TimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  TimeZone(const TimeZone &) = delete;
  TimeZone &operator=(const TimeZone &) = delete;

 private:
  std::optional<std::string> old_;
};

}  // namespace comptoir::test
