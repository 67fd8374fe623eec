// The background check of the order cache; see cache_check.hpp.
#include "runtime/cache_check.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include "db/database.hpp"

namespace comptoir {

CacheCheck::CacheCheck(std::string db_path, std::function<void(const Error &)> on_failure) {
  thread_ = std::thread([this, path = std::move(db_path), cb = std::move(on_failure)] {
    // Scans come first: the check yields the CPU to them.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
    auto r = check_whole_cache(path);
    if (r) {
      state_ = State::ok;
      return;
    }
    {
      std::lock_guard lock(mutex_);
      error_ = r.error();
    }
    state_ = State::failed;
    if (cb) cb(r.error());
  });
}

CacheCheck::~CacheCheck() {
  wait();
}

void CacheCheck::wait() {
  if (thread_.joinable()) thread_.join();
}

Error CacheCheck::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

Result<void> check_whole_cache(const std::string &db_path) {
  return db::Database::check_everything(db_path);
}

std::string_view to_string(CacheCheck::State state) {
  switch (state) {
    case CacheCheck::State::running:
      return "running";
    case CacheCheck::State::ok:
      return "ok";
    case CacheCheck::State::failed:
      return "failed";
  }
  return "running";
}

}  // namespace comptoir
