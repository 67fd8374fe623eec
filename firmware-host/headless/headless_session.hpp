// Headless mode: the market stand with only a scanner. One scan or command a line in,
// one JSON object a line out.
#pragma once

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "drivers/scan_queue.hpp"
#include "pickup/pickup_service.hpp"
#include "runtime/cache_check.hpp"
#include "runtime/messages.hpp"

namespace comptoir {

struct HeadlessOptions {
  Lang lang = Lang::fr;
  bool auto_handover = false;  // stands without a screen: every ready order is handed over
  std::string staff;
  // json: the protocol (default). text: a person's view, for a terminal.
  enum class Format { json, text };
  Format format = Format::json;
  bool color = false;  // ANSI colours in the text view
};

// Where the session's input comes from besides stdin.
struct HeadlessEvents {
  drivers::ScanQueue *queue = nullptr;  // scans and notices from the scanner readers
  int stop_fd = -1;                     // readable: end the session (SIGTERM, SIGINT)
  // Without scanners, stdin closing ends the session (pipes, the demo). With scanners
  // being read (a service with stdin on /dev/null), only stop_fd does.
  bool stdin_ends_session = true;
  // Called when the session ends, before the queue is served one last time: stops the
  // readers, so a scan they push while stopping is still answered.
  std::function<void()> on_end;
  // Called before each wait for input: the service's watchdog pings and status line. Returns
  // how long the loop may sleep in ms (-1: until input comes).
  std::function<int()> before_wait;
};

// :status's answer: the orders by state, what waits for the portal and the link to it
// (link, last_sync_ms, last_attempt_ms, conflicts, sync_error and its sentence), and one
// sentence saying all that. now_ms: wall time, for the sync's age.
nlohmann::json status_json(const DeskStatus &status, const Identity &identity, std::int64_t now_ms,
                           Lang lang);

class HeadlessSession {
 public:
  // Longer lines are cut here and reported as not_a_pickup_code (too_long).
  static constexpr std::size_t kMaxLineBytes = 16 * 1024;

  HeadlessSession(PickupService &service, HeadlessOptions options);

  // Reported by :status when set.
  void set_cache_check(const CacheCheck *check) { cache_check_ = check; }

  // Called after each verdict: true for one that lets the order go (ready, ready
  // unsynced), false for one that needs a look at the screen, a dropped scan included.
  void set_feedback(std::function<void(bool good)> feedback) { feedback_ = std::move(feedback); }

  // One line of input (no newline) to one JSON object (no newline).
  std::string handle_line(std::string_view line);
  // A scan from a scanner reader: the verdict, saying which device it came from.
  std::string handle_scan_event(const drivers::ScanEvent &event);
  // A scanner arrived, left, dropped a scan or cannot be used.
  std::string handle_notice(const drivers::DeviceNotice &notice);

  // Reads lines until end of input; malformed input never stops the loop.
  void run(std::FILE *in, std::FILE *out);
  // The same over a file descriptor, with scans from `events.queue` answered as they come.
  void run(int in_fd, std::FILE *out, const HeadlessEvents &events);

 private:
  std::string handle_scan(std::string_view line, const drivers::ScanEvent *event);
  void write_answer(std::FILE *out, const std::string &answer) const;
  void serve_queue(drivers::ScanQueue &queue, std::FILE *out);
  std::string handle_command(std::string_view line);

  PickupService &service_;
  HeadlessOptions options_;
  const CacheCheck *cache_check_ = nullptr;
  std::function<void(bool)> feedback_;
};

}  // namespace comptoir
