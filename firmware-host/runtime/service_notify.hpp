// systemd notifications (sd_notify): READY=1 once the appliance is open and serving, STATUS=
// lines, WATCHDOG=1 pings from the main loop at half the unit's WatchdogSec=, STOPPING=1 on
// the way out. Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
//
// The watchdog: enabled when $WATCHDOG_USEC is set and $WATCHDOG_PID is unset or this
// process's pid (sd_watchdog_enabled). The kiosk runs as a child of cage, whose pid systemd
// puts in $WATCHDOG_PID: its unit clears that variable for comptoir (see
// provisioning/package/comptoir-kiosk.service). The loops call ping_if_due() on every pass
// and sleep at most ping_wait_ms(), so a loop that hangs stops the pings and systemd kills
// and restarts the service.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pickup/desk.hpp"
#include "runtime/messages.hpp"

namespace comptoir {

// The short line `systemctl status` shows: the stand, the orders ready, the handovers
// waiting for the portal and the link, e.g. "prêt · stand 3 · 12 à remettre · 2 en attente
// du portail · en ligne".
std::string service_status_line(const DeskStatus &status, std::int64_t stand_id, Lang lang);

class ServiceNotify {
 public:
  // Reads the environment once: the notify socket and the watchdog's interval.
  ServiceNotify();

  // $NOTIFY_SOCKET is set: the messages go somewhere.
  bool active() const { return active_; }
  // The interval between pings (half the watchdog's timeout), in ms; -1 with no watchdog.
  std::int64_t ping_interval_ms() const { return ping_interval_ms_; }

  // READY=1 with a status line (STATUS=, when not empty), and the first watchdog ping.
  void ready(std::string_view status, std::int64_t now_ms);
  // STATUS=text: what `systemctl status` shows on its Status: line. Sent only when it
  // changed since the last one; now_ms starts the wait for the next refresh (status_due).
  void status(std::string_view text, std::int64_t now_ms);
  // The status line is kStatusRefreshMs old (the loops then compute it again).
  bool status_due(std::int64_t now_ms) const;
  static constexpr std::int64_t kStatusRefreshMs = 30'000;
  // WATCHDOG=1 when the interval has passed since the last ping (or none was sent yet).
  // now_ms: a monotonic clock in ms. True when a ping was sent.
  bool ping_if_due(std::int64_t now_ms);
  // How long the loop may sleep before the next ping is due: >= 0 ms, or -1 with no
  // watchdog (sleep as long as it likes).
  int ping_wait_ms(std::int64_t now_ms) const;
  // How long the loop may sleep before a ping or a status refresh is due; -1 outside
  // systemd.
  int wait_ms(std::int64_t now_ms) const;
  // STOPPING=1 (with a status line when not empty).
  void stopping(std::string_view status = {});

  // The monotonic clock the loops pass in, in ms.
  static std::int64_t now_ms();

 private:
  bool send(const std::string &message);

  bool active_ = false;
  std::int64_t ping_interval_ms_ = -1;
  std::int64_t last_ping_ms_ = 0;
  bool pinged_ = false;
  std::string last_status_;
  std::int64_t last_status_ms_ = 0;
};

}  // namespace comptoir
