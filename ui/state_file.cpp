// The state file; see state_file.hpp.
#include "ui/state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "pickup/desk.hpp"

namespace comptoir::ui {

std::string state_json(const Kiosk &kiosk, const FrameFacts &frame) {
  const KioskState &s = kiosk.state();
  const bool verdict_shown =
      (s.screen == Screen::verdict || s.screen == Screen::order) && s.verdict.has_value();
  nlohmann::json j;
  j["pid"] = static_cast<std::int64_t>(::getpid());
  j["revision"] = kiosk.revision();
  j["screen"] = std::string(to_string(s.screen));
  j["lang"] = s.lang == Lang::fr ? "fr" : "en";
  j["verdict"] = verdict_shown ? std::string(to_string(s.verdict->kind)) : std::string();
  j["order"] = verdict_shown && s.verdict->order ? s.verdict->order->number : std::string();
  j["repeat"] = verdict_shown && (s.verdict->repeat || s.repeat_seen);
  j["queued"] = s.queued.size();
  // Remis held back for a moment after a queued verdict replaced the one handed over.
  j["hand_over_held"] = s.hand_over_held;
  j["scans"] = s.scans;
  // The PIN being typed is nobody's business.
  j["field"] = s.screen == Screen::technician_pin ? std::string() : s.field;
  // Its length only (bytes), so the tests see the PIN's digits arrive.
  j["field_length"] = s.field.size();
  // The search's results: how many, and the first one's order number ("" when none).
  j["results"] = s.results.size();
  j["first_result"] = s.results.empty() ? std::string() : s.results.front().number;
  j["error"] = s.error_code;
  j["notice"] = s.notice;
  // The session's lasting problem (the order cache found damaged), as the header shows it.
  j["alert"] = s.alert;
  if (s.receipt) {
    j["receipt"] = {{"kind", std::string(handover_kind_name(s.receipt->kind))},
                    {"order", s.receipt->order_number}};
  } else {
    j["receipt"] = nullptr;
  }
  j["unlocked"] = s.unlocked;
  // The technician's self-test as last reported (empty before it is run).
  j["self_test"] = nlohmann::json::array();
  for (const SelfTestItem &item : s.self_test) {
    j["self_test"].push_back({{"name", item.name}, {"ok", item.ok}, {"detail", item.detail}});
  }
  // The enrolment from the technician screen: its phase and, refused, the error's code; the
  // portal this appliance is enrolled with ("" when none).
  j["enrolment"] = {{"phase", std::string(to_string(s.enrolment.phase))},
                    {"error", s.enrolment.error ? s.enrolment.error->code : std::string()},
                    {"host", s.enrolment.host}};
  j["portal"] = s.enrolled ? s.enrolled->portal_url : std::string();
  j["no_stand"] = s.no_stand;
  j["verdict_detail"] = verdict_shown ? s.verdict->detail : std::string();
  j["window"] = {frame.window_w, frame.window_h};
  j["frames"] = frame.frames;
  j["frame_mono_ns"] = frame.frame_mono_ns;
  j["first_frame_mono_ns"] = frame.first_frame_mono_ns;
  j["status"] = {{"events_waiting", s.status.events_waiting},
                 {"collected_today", s.status.collected_today}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool write_state_file(const std::string &path, const std::string &text, std::string *why) {
  // No fsync: the file is for readers that poll it while the kiosk runs, not for a restart;
  // rename keeps them from ever reading half of it.
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (why) *why = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::string data = text;
  data.push_back('\n');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (why) *why = "cannot write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (why) *why = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace comptoir::ui
