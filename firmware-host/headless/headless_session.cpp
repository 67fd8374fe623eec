#include "headless/headless_session.hpp"

#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "headless/text_view.hpp"

namespace comptoir {
namespace {

using nlohmann::json;

std::string dump(const json &j, const HeadlessOptions &options) {
  if (options.format == HeadlessOptions::Format::text) {
    return render_text(j, options.lang, options.color);
  }
  // Scanned bytes may be invalid UTF-8: replace rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json order_json(const OrderSummary &o, Lang lang) {
  json lines = json::array();
  for (const VerdictLine &l : o.lines) {
    lines.push_back({{"line", l.line_no},
                     {"product", l.product},
                     {"quantity", static_cast<double>(l.quantity_milli) / 1000.0},
                     {"unit", l.unit},
                     {"variable_weight", l.variable_weight},
                     {"price_cents", l.price_cents}});
  }
  return {{"order_id", o.id},
          {"customer", o.customer},
          {"amount_due_cents", o.due_cents},
          {"amount_due", format_money(o.due_cents, lang)},
          {"paid_cents", o.paid_cents},
          {"pickup_from", iso_local_time(o.pickup_from)},
          {"pickup_until", iso_local_time(o.pickup_until)},
          {"prepaid", o.prepaid},
          {"contents_known", o.in_cache},
          {"lines", lines}};
}

json verdict_json(const Verdict &v, Lang lang) {
  json j = {{"type", "verdict"},
            {"verdict", to_string(v.kind)},
            {"order_number", v.order ? json(v.order->number) : json(nullptr)},
            {"message", verdict_message(v, lang)}};
  if (!v.scan_id.empty()) j["scan_id"] = v.scan_id;
  if (v.repeat) j["repeat"] = true;
  if (!v.detail.empty()) j["detail"] = v.detail;
  if (!v.layout.empty()) {
    j["layout"] = v.layout;
    j["layout_message"] = layout_message(v.layout, lang);
  }
  if (v.order) j.update(order_json(*v.order, lang));
  if (v.collected) {
    j["collected"] = {
        {"at", v.collected->wall_ms > 0 ? json(iso_local_time(v.collected->wall_ms / 1000))
                                        : json(nullptr)},
        {"device", v.collected->device},
        {"staff", v.collected->staff},
        {"partial", v.collected->partial},
        {"here", v.collected->here}};
  }
  if (v.collect_at) {
    j["collect_at"] = {{"stand_id", v.collect_at->id},
                       {"stand", v.collect_at->name},
                       {"place", v.collect_at->place}};
  }
  return j;
}

json receipt_json(const HandoverReceipt &r, Lang lang) {
  json j = {{"type", "handover"},
            {"ok", true},
            {"kind", db::to_string(r.kind)},
            {"event_id", r.event_id},
            {"order_number", r.order_number},
            {"lines_handed", r.lines_handed},
            {"lines_missing", r.lines_missing},
            {"message", receipt_message(r, lang)}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.undone_event.empty()) j["undoes"] = r.undone_event;
  return j;
}

json error_json(const Error &e, Lang lang) {
  json j = {
      {"type", "error"}, {"ok", false}, {"error", e.code}, {"message", error_message(e, lang)}};
  if (e.code == "not_collectable") j["verdict"] = e.detail;
  return j;
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// "2,3" -> {2, 3}; nullopt on anything else.
std::optional<std::vector<int>> parse_lines(const std::string &text) {
  std::vector<int> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    int n = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (ec != std::errc() || end != item.data() + item.size() || n <= 0) return std::nullopt;
    out.push_back(n);
    if (comma == std::string_view::npos) return out;
    rest.remove_prefix(comma + 1);
  }
  // Empty input or a trailing comma: "2," may be a line number cut short.
  return std::nullopt;
  return out;
}

std::string_view link_name(SyncLink link) {
  switch (link) {
    case SyncLink::not_enrolled:
      return "not_enrolled";
    case SyncLink::unknown:
      return "unknown";
    case SyncLink::online:
      return "online";
    case SyncLink::offline:
      return "offline";
  }
  return "unknown";
}

json optional_ms(const std::optional<std::int64_t> &ms) {
  return ms ? json(*ms) : json(nullptr);
}

}  // namespace

json status_json(const DeskStatus &s, const Identity &identity, std::int64_t now_ms, Lang lang) {
  std::string sync = sync_status_message(s, now_ms, lang);
  // The line is lower case to sit inside others; here it starts a sentence. Its words all
  // start with an ASCII letter.
  if (!sync.empty()) sync[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sync[0])));
  json j{{"type", "status"},
         {"orders",
          {{"ready", s.ready},
           {"not_ready", s.not_ready},
           {"collected", s.collected},
           {"cancelled", s.cancelled}}},
         {"events_waiting", s.events_waiting},
         {"stand_id", identity.stand_id},
         {"device", identity.device_id},
         {"link", link_name(s.link)},
         {"last_sync_ms", optional_ms(s.last_sync_ms)},
         {"last_attempt_ms", optional_ms(s.last_attempt_ms)},
         {"conflicts", s.conflicts},
         {"sync_error", s.sync_error},
         {"sync_message", sync},
         {"message", status_message(s, lang) + " " + sync + "."}};
  // What to do about it, when the last round failed (not_enrolled has nothing to do).
  const SyncTrouble trouble =
      s.link == SyncLink::not_enrolled ? SyncTrouble::none : sync_trouble(s.sync_error);
  if (trouble == SyncTrouble::other) {
    // A failure of the appliance's own (disk_full, database_error...) during a round: not
    // the counter's sentence for it, which is about a handover.
    j["sync_error_message"] =
        lang == Lang::fr
            ? "La dernière synchro a échoué (" + s.sync_error +
                  ") : rien n'est perdu, un nouvel essai part tout seul. Si cela dure, appelez "
                  "le technicien."
            : "The last sync failed (" + s.sync_error +
                  "): nothing is lost, it tries again by itself. If it lasts, call the "
                  "technician.";
  } else if (trouble != SyncTrouble::none) {
    j["sync_error_message"] = error_message(make_error(s.sync_error, ""), lang);
  }
  return j;
}

HeadlessSession::HeadlessSession(PickupService &service, HeadlessOptions options)
    : service_(service), options_(std::move(options)) {}

std::string HeadlessSession::handle_line(std::string_view line) {
  if (!line.empty() && line.front() == ':') return handle_command(line);
  return handle_scan(line, nullptr);
}

std::string HeadlessSession::handle_scan_event(const drivers::ScanEvent &event) {
  return handle_scan(event.text, &event);
}

std::string HeadlessSession::handle_notice(const drivers::DeviceNotice &notice) {
  const json j = {{"type", "device"},
                  {"event", drivers::notice_kind_name(notice.kind)},
                  {"device", notice.device_id},
                  {"reason", notice.reason},
                  {"message", device_notice_message(notice, options_.lang)},
                  {"detail", notice.detail},
                  {"fix", notice.fix}};
  if (feedback_ && notice.kind == drivers::NoticeKind::scan_dropped) feedback_(false);
  return dump(j, options_);
}

std::string HeadlessSession::handle_scan(std::string_view line, const drivers::ScanEvent *event) {
  const Lang lang = options_.lang;
  auto verdict = service_.scan(line);
  if (!verdict) {
    if (feedback_) feedback_(false);
    return dump(error_json(verdict.error(), lang), options_);
  }
  json j = verdict_json(*verdict, lang);
  if (event) {
    j["source"] = drivers::source_name(event->source);
    j["device"] = event->device_id;
    if (!event->layout.empty()) j["scanner_layout"] = event->layout;
    if (!event->symbology.empty()) j["symbology"] = event->symbology;
  }
  if (feedback_) {
    feedback_(verdict->kind == VerdictKind::ready || verdict->kind == VerdictKind::ready_unsynced);
  }
  // Without a screen, a genuine prepaid token is enough even before its order is synced.
  const bool auto_ok = verdict->kind == VerdictKind::ready ||
                       (verdict->kind == VerdictKind::ready_unsynced && verdict->order->prepaid);
  if (options_.auto_handover && !verdict->repeat && auto_ok) {
    auto receipt = service_.hand_over(verdict->order->number, {}, options_.staff);
    j["handed_over"] = receipt.ok();
    if (receipt) {
      j["handover"] = receipt_json(*receipt, lang);
      j["message"] = receipt_message(*receipt, lang);
    } else {
      j["handover"] = error_json(receipt.error(), lang);
      j["message"] = error_message(receipt.error(), lang);
      // Not recorded: the next read of this code is a new attempt, not a double read.
      service_.reset_double_read_filter();
    }
  }
  return dump(j, options_);
}

std::string HeadlessSession::handle_command(std::string_view line) {
  const Lang lang = options_.lang;
  service_.reset_double_read_filter();
  const std::vector<std::string> w = words(line.substr(1));
  const std::string name = w.empty() ? std::string() : w[0];

  if (name == "handover") {
    std::vector<int> missing;
    bool bad = w.size() != 2 && w.size() != 4;
    if (!bad && w.size() == 4) {
      auto lines = w[2] == "--missing" ? parse_lines(w[3]) : std::nullopt;
      bad = !lines;
      if (lines) missing = *lines;
    }
    if (bad) {
      return dump(error_json(make_error("usage", ":handover NUMBER [--missing 2,3]"), lang),
                  options_);
    }
    auto r = service_.hand_over(w[1], missing, options_.staff);
    if (r) return dump(receipt_json(*r, lang), options_);
    json j = error_json(r.error(), lang);
    if (r.error().code == "not_collectable") {
      // Say why, as the scan would.
      if (auto v = service_.check_order(w[1])) {
        j["message"] =
            std::string(lang == Lang::fr ? "Remise impossible. " : "Cannot hand over. ") +
            verdict_message(*v, lang);
      }
    }
    return dump(j, options_);
  }
  if (name == "refuse") {
    if (w.size() < 3)
      return dump(error_json(make_error("usage", ":refuse NUMBER REASON"), lang), options_);
    // The reason is the rest of the line, as typed.
    std::string_view rest = line.substr(1);
    for (int skip = 0; skip < 2; ++skip) {
      rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
      rest.remove_prefix(std::min(rest.find_first_of(" \t"), rest.size()));
    }
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\r')) {
      rest.remove_suffix(1);
    }
    auto r = service_.refuse(w[1], rest, options_.staff);
    return dump(r ? receipt_json(*r, lang) : error_json(r.error(), lang), options_);
  }
  if (name == "undo") {
    auto r = service_.undo_last(options_.staff);
    return dump(r ? receipt_json(*r, lang) : error_json(r.error(), lang), options_);
  }
  if (name == "status") {
    auto s = service_.status();
    if (!s) return dump(error_json(s.error(), lang), options_);
    json j = status_json(*s, service_.identity(), service_.clock().wall_ms(), lang);
    if (cache_check_) {
      j["cache_check"] = to_string(cache_check_->state());
      if (cache_check_->state() == CacheCheck::State::failed) {
        j["cache_check_message"] =
            error_message(make_error("cache_damaged", cache_check_->error().detail), lang);
      }
    }
    return dump(j, options_);
  }
  return dump(error_json(make_error("unknown_command", name), lang), options_);
}

void HeadlessSession::write_answer(std::FILE *out, const std::string &answer) const {
  std::fputs(answer.c_str(), out);
  std::fputs(options_.format == HeadlessOptions::Format::text ? "\n\n" : "\n", out);
  std::fflush(out);
}

// Bytes to lines. Bytes past kMaxLineBytes are dropped; the kept part is already too long to
// be a code, so the line still gets exactly one answer (not_a_pickup_code, too_long).
class LineSplitter {
 public:
  template <typename OnLine>
  void feed(std::string_view bytes, OnLine &&on_line) {
    for (const char c : bytes) {
      if (c == '\n') {
        emit(on_line);
      } else if (line_.size() < HeadlessSession::kMaxLineBytes) {
        line_.push_back(c);
      }
    }
  }
  // End of input: a last line without its newline still counts.
  template <typename OnLine>
  void finish(OnLine &&on_line) {
    if (!line_.empty()) emit(on_line);
  }

 private:
  template <typename OnLine>
  void emit(OnLine &on_line) {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    on_line(line_);
    line_.clear();
  }
  std::string line_;
};

void HeadlessSession::run(std::FILE *in, std::FILE *out) {
  LineSplitter splitter;
  const auto answer = [&](const std::string &line) { write_answer(out, handle_line(line)); };
  // A character at a time: a line typed at a terminal is answered when it ends.
  for (int c = std::getc(in); c != EOF; c = std::getc(in)) {
    const char ch = static_cast<char>(c);
    splitter.feed({&ch, 1}, answer);
  }
  splitter.finish(answer);
}

void HeadlessSession::run(int in_fd, std::FILE *out, const HeadlessEvents &events) {
  LineSplitter splitter;
  const auto answer = [&](const std::string &line) { write_answer(out, handle_line(line)); };
  bool stdin_open = in_fd >= 0;
  const int queue_fd = events.queue ? events.queue->wait_fd() : -1;
  for (;;) {
    // Nobody reads the answers any more (stdout closed): stop rather than serve blind.
    if (std::ferror(out)) break;
    pollfd fds[3] = {
        {stdin_open ? in_fd : -1, POLLIN, 0}, {queue_fd, POLLIN, 0}, {events.stop_fd, POLLIN, 0}};
    if (!stdin_open && queue_fd < 0 && events.stop_fd < 0) break;
    const int timeout = events.before_wait ? events.before_wait() : -1;
    if (::poll(fds, 3, timeout) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    // Scanner input first: a customer is waiting in front of the scanner.
    if (fds[1].revents != 0) {
      serve_queue(*events.queue, out);
    }
    if (fds[0].revents != 0) {
      char buf[4096];
      const ssize_t n = ::read(in_fd, buf, sizeof buf);
      if (n > 0) {
        splitter.feed({buf, static_cast<std::size_t>(n)}, answer);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        splitter.finish(answer);
        stdin_open = false;
        if (events.stdin_ends_session) break;
      }
    }
  }
  // Scans already read are answered, never lost to the end of the session.
  if (events.on_end) events.on_end();
  if (events.queue) serve_queue(*events.queue, out);
}

void HeadlessSession::serve_queue(drivers::ScanQueue &queue, std::FILE *out) {
  while (auto item = queue.pop()) {
    if (const auto *scan = std::get_if<drivers::ScanEvent>(&*item)) {
      write_answer(out, handle_scan_event(*scan));
    } else {
      write_answer(out, handle_notice(std::get<drivers::DeviceNotice>(*item)));
    }
  }
}

}  // namespace comptoir
