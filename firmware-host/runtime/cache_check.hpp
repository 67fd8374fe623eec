// The full integrity check of the order cache, run on its own thread and connection
// after start-up: on a 1,000,000-order cache it takes ~400 ms, too long to make the
// first customer wait. The irreplaceable tables were checked before the first scan.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "db/result.hpp"

namespace comptoir {

class CacheCheck {
 public:
  enum class State { running, ok, failed };

  // on_failure runs on the check's thread, once, if the cache is damaged.
  CacheCheck(std::string db_path, std::function<void(const Error &)> on_failure);
  ~CacheCheck();
  CacheCheck(const CacheCheck &) = delete;
  CacheCheck &operator=(const CacheCheck &) = delete;

  State state() const { return state_.load(); }
  Error error() const;
  void wait();

 private:
  std::atomic<State> state_{State::running};
  mutable std::mutex mutex_;
  Error error_;
  std::thread thread_;
};

std::string_view to_string(CacheCheck::State state);

// The same full check, run now on the calling thread over its own read-only connection
// (the technician's self-test runs it on a thread of its own). For callers above the
// database layer, which name no db type.
Result<void> check_whole_cache(const std::string &db_path);

}  // namespace comptoir
