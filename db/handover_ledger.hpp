// The append-only ledger of handover events and the outbox of events the portal has not
// acknowledged yet. An event and its outbox row are committed together, durably.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "db/records.hpp"
#include "db/result.hpp"
#include "db/sqlite.hpp"

namespace comptoir::db {

std::string_view to_string(EventKind kind);
std::optional<EventKind> event_kind_from_string(std::string_view text);

// The event in the current row of a statement selecting the ledger's columns in this order:
// seq, uuid, order_id, kind, lines_handed, lines_missing, reason, undoes, staff, device,
// wall_ms, mono_ns. An unknown kind reads as full: callers that must not guess (the outbox
// sent to the portal) check column 3 with event_kind_from_string first.
HandoverEvent event_from_row(const Statement &s);

class HandoverLedger {
 public:
  explicit HandoverLedger(Connection &conn);

  // Appends the event and its outbox row in one transaction; on success the event is on
  // disk. Returns the event's seq. Error codes: duplicate_event (that uuid is already in
  // the ledger), disk_full, database_error.
  Result<std::int64_t> append(const HandoverEvent &event);

  // Every event for one order, oldest first.
  Result<std::vector<HandoverEvent>> events_for_order(std::int64_t order_id);
  // The newest full or partial handover made on this device, unless it is already undone
  // (then nothing: an undo never reaches further back).
  Result<std::optional<HandoverEvent>> last_handover(std::string_view device);
  Result<std::int64_t> outbox_size();

  // Full and partial handovers with from_ms <= wall_ms < until_ms that no undo cancels,
  // oldest first (the day's pickups).
  Result<std::vector<HandoverEvent>> handovers_between(std::int64_t from_ms, std::int64_t until_ms);
  // The statement handovers_between runs (?1 from, ?2 until), for tests of its plan.
  static std::string between_sql();
  // Every event for the orders of one stand whose pickup window overlaps
  // [from_s, until_s), by order id then seq: the day's report in one query.
  Result<std::vector<HandoverEvent>> events_for_window(std::int64_t stand_id, std::int64_t from_s,
                                                       std::int64_t until_s);

 private:
  Result<std::vector<HandoverEvent>> read_events(Statement &s);

  Connection &conn_;
  Statement insert_event_, insert_outbox_, by_order_, last_handover_, is_undone_, outbox_size_,
      between_, for_window_;
};

}  // namespace comptoir::db
