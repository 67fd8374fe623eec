// See service_notify.hpp.
#include "runtime/service_notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>

namespace comptoir {

std::string service_status_line(const DeskStatus &status, std::int64_t stand_id, Lang lang) {
  const bool fr = lang == Lang::fr;
  std::string line = fr ? "prêt · stand " : "ready · stand ";
  line += std::to_string(stand_id);
  line += " · " + std::to_string(status.ready) + (fr ? " à remettre" : " to hand over");
  line += " · " + std::to_string(status.events_waiting) +
          (fr ? " en attente du portail" : " waiting for the portal");
  switch (status.link) {
    case SyncLink::not_enrolled:
      line += fr ? " · sans portail" : " · no portal";
      break;
    case SyncLink::unknown:
      line += fr ? " · portail pas encore joint" : " · portal not reached yet";
      break;
    case SyncLink::online:
      line += fr ? " · en ligne" : " · online";
      break;
    case SyncLink::offline:
      line += fr ? " · hors ligne" : " · offline";
      if (!status.sync_error.empty()) line += " (" + status.sync_error + ")";
      break;
  }
  if (status.conflicts > 0) {
    line += " · " + std::to_string(status.conflicts) + (fr ? " à vérifier" : " to review");
  }
  return line;
}

ServiceNotify::ServiceNotify() {
  const char *socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // > 0: enabled for this process (WATCHDOG_PID unset or ours); the variables are kept.
  if (active_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    // Half the timeout, as sd_watchdog_enabled(3) advises; at least 1 ms.
    ping_interval_ms_ = std::max<std::int64_t>(static_cast<std::int64_t>(usec / 2000), 1);
  }
}

std::int64_t ServiceNotify::now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

bool ServiceNotify::send(const std::string &message) {
  if (!active_) return false;
  // 0: no socket; < 0: the socket could not be reached. Neither stops the appliance.
  return sd_notify(0, message.c_str()) > 0;
}

void ServiceNotify::ready(std::string_view status, std::int64_t now) {
  if (!active_) return;
  std::string message = "READY=1";
  if (!status.empty()) {
    message += "\nSTATUS=";
    message += status;
    last_status_ = std::string(status);
  }
  last_status_ms_ = now;
  send(message);
  ping_if_due(now);
}

void ServiceNotify::status(std::string_view text, std::int64_t now) {
  if (!active_) return;
  last_status_ms_ = now;
  if (text == last_status_) return;
  last_status_ = std::string(text);
  send("STATUS=" + last_status_);
}

bool ServiceNotify::status_due(std::int64_t now) const {
  return active_ && now - last_status_ms_ >= kStatusRefreshMs;
}

int ServiceNotify::wait_ms(std::int64_t now) const {
  if (!active_) return -1;
  const auto status_wait = static_cast<int>(
      std::clamp<std::int64_t>(last_status_ms_ + kStatusRefreshMs - now, 0, kStatusRefreshMs));
  const int ping_wait = ping_wait_ms(now);
  return ping_wait < 0 ? status_wait : std::min(ping_wait, status_wait);
}

bool ServiceNotify::ping_if_due(std::int64_t now) {
  if (!active_ || ping_interval_ms_ < 0) return false;
  if (pinged_ && now - last_ping_ms_ < ping_interval_ms_) return false;
  pinged_ = true;
  last_ping_ms_ = now;
  return send("WATCHDOG=1");
}

int ServiceNotify::ping_wait_ms(std::int64_t now) const {
  if (!active_ || ping_interval_ms_ < 0) return -1;
  if (!pinged_) return 0;
  return static_cast<int>(
      std::clamp<std::int64_t>(last_ping_ms_ + ping_interval_ms_ - now, 0, ping_interval_ms_));
}

void ServiceNotify::stopping(std::string_view status) {
  if (!active_) return;
  std::string message = "STOPPING=1";
  if (!status.empty()) {
    message += "\nSTATUS=";
    message += status;
  }
  send(message);
}

}  // namespace comptoir
