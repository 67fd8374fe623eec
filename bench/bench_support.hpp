// What the benchmark programs share beside their statistics (bench/stats.hpp): failing a
// figure, notes on stderr, rounding for the JSON, the machine's load, and the demo caches
// they measure on.
#pragma once

#include <signal.h>
#include <spawn.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "db/database.hpp"
#include "provisioning/demo_data.hpp"
#include "runtime/appliance.hpp"

namespace comptoir::bench {

// A figure that could not be measured: the program says why and exits 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string &why) {
  throw Failure(why);
}

// Notes on stderr, each line prefixed with the program's name:
// `constexpr Note note{"comptoir-bench"};` then `note("...")`.
struct Note {
  const char *program;
  void operator()(const std::string &text) const {
    std::fprintf(stderr, "%s: %s\n", program, text.c_str());
  }
};

// posix_spawn attributes giving the child SIGPIPE's default action back (a benchmark
// ignores it, so that a child gone early fails a write instead of killing it).
class DefaultSigpipe {
 public:
  DefaultSigpipe() {
    posix_spawnattr_init(&attr_);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGDEF);
  }
  ~DefaultSigpipe() { posix_spawnattr_destroy(&attr_); }
  DefaultSigpipe(const DefaultSigpipe &) = delete;
  DefaultSigpipe &operator=(const DefaultSigpipe &) = delete;
  const posix_spawnattr_t *get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// Rounded to `decimals` places, without binary noise in the JSON (4.1, not 4.1000000000000005).
inline double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

// "1.02 0.80 0.41": /proc/loadavg's averages over 1, 5 and 15 minutes.
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

inline std::string error_text(const Error &e) {
  return e.code + (e.detail.empty() ? "" : ": " + e.detail);
}

// A demo region of `orders` orders in `dir` (created if missing), made as comptoir-provision
// does, then checkpointed and closed, so comptoir.db holds everything and no WAL is left.
// With the stand given, open_appliance also records a device id, as the first start of
// comptoir would: the measured opens then write nothing.
inline provisioning::DemoRegion generate_demo(const std::filesystem::path &dir, std::int64_t orders,
                                              std::uint64_t seed, std::int64_t stand,
                                              std::int64_t now_s) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("cannot create " + dir.string() + ": " + ec.message());
  auto appliance = open_appliance(dir.string(), stand);
  if (!appliance) {
    fail("cannot open a cache in " + dir.string() + ": " + error_text(appliance.error()));
  }
  provisioning::DemoOptions options;
  options.orders = orders;
  options.seed = seed;
  options.now_s = now_s;
  auto region = provisioning::create_demo(*appliance->db, options);
  if (!region) fail("create_demo failed in " + dir.string() + ": " + error_text(region.error()));
  if (auto r = appliance->db->connection().exec("PRAGMA wal_checkpoint(TRUNCATE)"); !r) {
    fail("checkpoint of " + dir.string() + " failed: " + error_text(r.error()));
  }
  return std::move(*region);
}

}  // namespace comptoir::bench
