#include "db/handover_ledger.hpp"

#include <charconv>
#include <string>

namespace comptoir::db {
namespace {

constexpr std::string_view kEventColumns =
    "SELECT seq, uuid, order_id, kind, lines_handed, lines_missing, reason, undoes, staff, "
    "device, wall_ms, mono_ns FROM handover_events ";

std::string join(const std::vector<int> &lines) {
  std::string out;
  for (int n : lines) {
    if (!out.empty()) out += ',';
    out += std::to_string(n);
  }
  return out;
}

std::vector<int> split(std::string_view text) {
  std::vector<int> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    int n = 0;
    if (std::from_chars(item.data(), item.data() + item.size(), n).ec == std::errc()) {
      out.push_back(n);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::full:
      return "full";
    case EventKind::partial:
      return "partial";
    case EventKind::refused:
      return "refused";
    case EventKind::undo:
      return "undo";
  }
  return "full";
}

std::optional<EventKind> event_kind_from_string(std::string_view text) {
  for (EventKind k : {EventKind::full, EventKind::partial, EventKind::refused, EventKind::undo}) {
    if (to_string(k) == text) return k;
  }
  return std::nullopt;
}

HandoverEvent event_from_row(const Statement &s) {
  HandoverEvent e;
  e.seq = s.int64(0);
  e.uuid = s.text(1);
  e.order_id = s.int64(2);
  e.kind = event_kind_from_string(s.text(3)).value_or(EventKind::full);
  e.lines_handed = split(s.text(4));
  e.lines_missing = split(s.text(5));
  e.reason = s.text(6);
  e.undoes = s.text(7);
  e.staff = s.text(8);
  e.device = s.text(9);
  e.wall_ms = s.int64(10);
  e.mono_ns = s.int64(11);
  return e;
}

HandoverLedger::HandoverLedger(Connection &conn)
    : conn_(conn),
      insert_event_(conn.prepare(
          "INSERT INTO handover_events(uuid, order_id, kind, lines_handed, lines_missing, reason, "
          "undoes, staff, device, wall_ms, mono_ns) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")),
      insert_outbox_(conn.prepare("INSERT INTO outbox(event_seq) VALUES(?)")),
      by_order_(conn.prepare(std::string(kEventColumns) + "WHERE order_id = ? ORDER BY seq")),
      last_handover_(conn.prepare(std::string(kEventColumns) +
                                  "WHERE device = ? AND kind IN ('full', 'partial') "
                                  "ORDER BY seq DESC LIMIT 1")),
      is_undone_(conn.prepare("SELECT 1 FROM handover_events WHERE kind = 'undo' AND undoes = ?")),
      outbox_size_(conn.prepare("SELECT COUNT(*) FROM outbox")),
      between_(conn.prepare(between_sql())),
      for_window_(conn.prepare(
          "SELECT e.seq, e.uuid, e.order_id, e.kind, e.lines_handed, e.lines_missing, e.reason, "
          "e.undoes, e.staff, e.device, e.wall_ms, e.mono_ns FROM orders o "
          "JOIN handover_events e ON e.order_id = o.id WHERE o.stand_id = ?1 AND "
          "o.pickup_until >= ?2 AND o.pickup_from < ?3 ORDER BY e.order_id, e.seq")) {}

Result<std::int64_t> HandoverLedger::append(const HandoverEvent &e) {
  Transaction tx(conn_);
  if (!tx.began()) return tx.begin_error();
  insert_event_.bind(1, e.uuid).bind(2, e.order_id).bind(3, to_string(e.kind));
  insert_event_.bind(4, join(e.lines_handed)).bind(5, join(e.lines_missing)).bind(6, e.reason);
  if (e.undoes.empty()) {
    insert_event_.bind_null(7);
  } else {
    insert_event_.bind(7, e.undoes);
  }
  insert_event_.bind(8, e.staff).bind(9, e.device).bind(10, e.wall_ms).bind(11, e.mono_ns);
  if (auto r = insert_event_.run(); !r) {
    if (r.error().code == "constraint_unique") {
      return make_error("duplicate_event", "event " + e.uuid + " is already in the ledger");
    }
    return r.error();
  }
  const std::int64_t seq = conn_.last_insert_rowid();
  insert_outbox_.bind(1, seq);
  if (auto r = insert_outbox_.run(); !r) return r.error();
  if (auto r = tx.commit(); !r) return r.error();
  return seq;
}

Result<std::vector<HandoverEvent>> HandoverLedger::read_events(Statement &s) {
  StatementScope scope(s);
  std::vector<HandoverEvent> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(event_from_row(s));
  if (rc != SQLITE_DONE) return conn_.error();
  return out;
}

Result<std::vector<HandoverEvent>> HandoverLedger::events_for_order(std::int64_t order_id) {
  by_order_.bind(1, order_id);
  return read_events(by_order_);
}

Result<std::optional<HandoverEvent>> HandoverLedger::last_handover(std::string_view device) {
  last_handover_.bind(1, device);
  auto events = read_events(last_handover_);
  if (!events) return events.error();
  if (events->empty()) return std::optional<HandoverEvent>();
  // Only the newest handover can be undone: once it is, a second undo must not reach back
  // to the customer before.
  StatementScope scope(is_undone_);
  is_undone_.bind(1, events->front().uuid);
  const int rc = is_undone_.step();
  if (rc == SQLITE_ROW) return std::optional<HandoverEvent>();
  if (rc != SQLITE_DONE) return conn_.error();
  return std::optional<HandoverEvent>(std::move(events->front()));
}

Result<std::int64_t> HandoverLedger::outbox_size() {
  StatementScope scope(outbox_size_);
  if (outbox_size_.step() != SQLITE_ROW) return conn_.error();
  return outbox_size_.int64(0);
}

// handover_events_by_wall (v4) keeps this to the day's events however long the ledger.
std::string HandoverLedger::between_sql() {
  return std::string(kEventColumns) +
         "WHERE wall_ms >= ?1 AND wall_ms < ?2 AND kind IN ('full', 'partial') "
         "AND NOT EXISTS (SELECT 1 FROM handover_events u WHERE "
         "u.undoes = handover_events.uuid AND u.kind = 'undo') ORDER BY seq";
}

Result<std::vector<HandoverEvent>> HandoverLedger::handovers_between(std::int64_t from_ms,
                                                                     std::int64_t until_ms) {
  between_.bind(1, from_ms).bind(2, until_ms);
  return read_events(between_);
}

Result<std::vector<HandoverEvent>> HandoverLedger::events_for_window(std::int64_t stand_id,
                                                                     std::int64_t from_s,
                                                                     std::int64_t until_s) {
  for_window_.bind(1, stand_id).bind(2, from_s).bind(3, until_s);
  return read_events(for_window_);
}

}  // namespace comptoir::db
