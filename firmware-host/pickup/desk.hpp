// Plain values the counter's screens and the headless protocol show: a recorded handover,
// the desk's counts and sync state, order lists for search and the day's report. No
// database here, so anything that formats them (messages, view-models) stays light.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/records.hpp"
#include "pickup/verdict.hpp"

namespace comptoir {

// What a receipt records (full, partial, refused, undo), by a name the screens can use
// without reaching into the database layer.
using HandoverKind = db::EventKind;
// Its name as the ledger and the portal spell it: "full", "partial", "refused", "undo".
std::string_view handover_kind_name(HandoverKind kind);

struct HandoverReceipt {
  db::EventKind kind = db::EventKind::full;
  std::string event_id;
  std::int64_t order_id = 0;
  std::string order_number;
  std::vector<int> lines_handed;
  std::vector<int> lines_missing;
  std::string reason;
  std::string undone_event;  // for undo
  std::int64_t wall_ms = 0;
};

// The link to the portal as the sync agent last found it (sync_state "link").
enum class SyncLink {
  not_enrolled,  // no portal: the appliance works alone (offline demo)
  unknown,       // enrolled, no round tried yet in this data directory
  online,        // the last round reached the portal (even if the portal refused something)
  offline,       // the last round could not reach it (no network, stalled, TLS refused)
};

struct DeskStatus {
  std::int64_t ready = 0;      // ready or payment due, not collected
  std::int64_t not_ready = 0;  // pending at the portal
  std::int64_t collected = 0;  // here or elsewhere
  std::int64_t cancelled = 0;
  std::int64_t events_waiting = 0;  // in the outbox, not yet acknowledged by the portal
  // Full and partial handovers recorded on this appliance today (local day), undone ones
  // excluded: the scan screen's "today's pickups".
  std::int64_t collected_today = 0;
  // When a pull from the portal last completed (sync_state "last_pull_ms"); none yet: never.
  std::optional<std::int64_t> last_sync_ms;
  SyncLink link = SyncLink::not_enrolled;
  std::optional<std::int64_t> last_attempt_ms;  // the last round, complete or not
  // Handovers the portal flagged for a person to review (cancelled, collected elsewhere...).
  std::int64_t conflicts = 0;
  // The last round's error code (offline, stalled, tls_untrusted, portal_invalid...); empty
  // when it went well.
  std::string sync_error;
};

// One order in a list (search results, the day's report).
struct OrderListItem {
  std::int64_t id = 0;
  std::string number;
  std::string customer;
  // What scanning its code now would say (ready, payment_due, already_collected,
  // not_ready, cancelled, too_early, expired).
  VerdictKind kind = VerdictKind::unknown;
  std::int64_t pickup_from = 0;   // Unix seconds
  std::int64_t pickup_until = 0;  // Unix seconds
  std::int64_t due_cents = 0;
  std::size_t line_count = 0;
  // Collected: a full or partial handover here, not undone, or the portal reports it.
  // Lists must read this, not collected_ms, which the portal may leave unknown.
  bool collected = false;
  // When that handover was made (Unix ms); empty when the portal does not say.
  std::optional<std::int64_t> collected_ms;
  bool partial = false;  // that handover left lines missing
  // For DayReport::problems: "partial", "refused", "cancelled", "no_show" (not collected,
  // and a scan would say expired: the window and the policy's late grace are over).
  std::string problem;
};

struct DayReport {
  std::int64_t day_start = 0;            // Unix seconds of local midnight
  std::vector<OrderListItem> pending;    // collectable or not ready yet, not collected
  std::vector<OrderListItem> collected;  // collected today or earlier in the window
  std::vector<OrderListItem> problems;   // partial, refused, cancelled, no-show
  // Full and partial handovers recorded here today, undone ones excluded, by local hour;
  // those of orders known from a token only (not synced yet) count here but are in no
  // list above until the sync brings their order.
  std::array<int, 24> per_hour{};
};

}  // namespace comptoir
