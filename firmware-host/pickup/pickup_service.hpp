// The counter: a scan becomes a Verdict; staff actions become ledger events. The only
// place where the core touches the cache for pickups.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes/pickup_token.hpp"
#include "db/database.hpp"
#include "db/handover_ledger.hpp"
#include "db/key_store.hpp"
#include "db/order_cache.hpp"
#include "db/sync_store.hpp"
#include "pickup/desk.hpp"
#include "pickup/scan_debouncer.hpp"
#include "pickup/validate.hpp"
#include "pickup/verdict.hpp"
#include "runtime/clock.hpp"

namespace comptoir {

struct Identity {
  std::int64_t stand_id = 0;
  std::string device_id;
};

class PickupService {
 public:
  static constexpr std::int64_t kUndoWindowMs = 2 * 60 * 1000;
  // Typed codes can be guessed: 5 failures within a minute pause them for 30 s.
  static constexpr std::size_t kTypedFailuresAllowed = 5;
  static constexpr std::int64_t kTypedFailureWindowNs = 60'000'000'000;
  static constexpr std::int64_t kTypedPauseNs = 30'000'000'000;

  PickupService(db::Database &db, const Clock &clock, Identity identity, Policy policy = {});

  // The service's time, for what is said about it (the sync's age in :status).
  const Clock &clock() const { return clock_; }

  // Errors only when the cache cannot be read; every input gets a Verdict otherwise.
  Result<Verdict> scan(std::string_view text);

  // Reads the portal's keys from the cache again (after a sync changed them).
  Result<void> reload_keys();
  // The sync agent replaced the key ring (on its own thread and connection): the next scan
  // reads the keys again. Safe from any thread.
  void keys_changed() { keys_stale_.store(true); }
  // Runs on the caller's thread after each event recorded (handover, refusal, undo): the
  // sync agent's notify(), so the event reaches the portal within seconds when online.
  void set_on_event(std::function<void()> on_event) { on_event_ = std::move(on_event); }

  // Error codes: order_not_found, not_collectable (detail: the verdict), bad_line,
  // all_lines_missing, duplicate_event, disk_full, database_error.
  Result<HandoverReceipt> hand_over(std::string_view order_number,
                                    const std::vector<int> &missing_lines, std::string_view staff);
  // Error codes: order_not_found, reason_required, and the write errors.
  Result<HandoverReceipt> refuse(std::string_view order_number, std::string_view reason,
                                 std::string_view staff);
  // Undoes this device's last handover if it is under 2 minutes old.
  // Error codes: nothing_to_undo, undo_too_late, and the write errors.
  Result<HandoverReceipt> undo_last(std::string_view staff);
  // Undoes the handover `event_id` only if it is still this device's last handover, not
  // undone and under 2 minutes old: an undo button always takes back what it names.
  // Error codes: nothing_to_undo (it is not the last handover any more, or is undone),
  // undo_too_late, and the write errors.
  Result<HandoverReceipt> undo(std::string_view event_id, std::string_view staff);

  // After a deliberate staff action the next read of the same code is a new scan, not a
  // scanner's double read (an automatic handover does not count: the double read must
  // still not say already_collected).
  void reset_double_read_filter();

  // The verdict an order would get if scanned now (no debouncing, no scan id). "#ID" names
  // an order by its id: one not synced yet is known from a token scanned earlier.
  Result<Verdict> check_order(std::string_view order_number);
  Result<DeskStatus> status();

  // Orders of this stand whose number or customer name contains `query` (case- and
  // accent-insensitive: "helene" finds "Hélène", "104" finds "C-104217"), numbers that start
  // with it first, then by pickup time; at most `limit`. A query under 2 characters finds
  // nothing. Error codes: database_error.
  Result<std::vector<OrderListItem>> search(std::string_view query, std::size_t limit = 20);
  // The stand's day (local time, the clock's day): orders whose pickup window touches it,
  // sorted into pending, collected and problems, and this appliance's handovers per hour.
  // A handover of an order known from its token only (not synced yet) counts in per_hour
  // and in status().collected_today, but is in no list: there is no order row to list.
  // The sync issue reconciles them when the portal sends the order.
  Result<DayReport> today();

  const Identity &identity() const { return identity_; }

 private:
  Result<OrderFacts> facts_for(const db::Order &order, bool in_cache);
  // A list row for an order of this stand, from its ledger events (oldest first).
  OrderListItem list_item(const db::ListedOrder &listed, std::vector<db::HandoverEvent> events,
                          const ScanContext &context) const;
  void remember_unsynced(const codes::TokenFields &token);
  bool typed_entry_paused(std::int64_t mono_ns) const;
  void count_typed_failure(std::int64_t mono_ns);
  Result<std::optional<OrderFacts>> lookup(const codes::ScannedCode &code);
  ScanContext context() const;
  std::string event_id_for(std::int64_t order_id);
  Result<HandoverReceipt> record(const db::HandoverEvent &event, std::string order_number);
  // undo_last (no event named) and undo (only that event).
  Result<HandoverReceipt> undo_handover(std::optional<std::string_view> event_id,
                                        std::string_view staff);

  db::OrderCache cache_;
  db::HandoverLedger ledger_;
  db::KeyStore key_store_;
  // status() reads the portal setting and the sync agent's state and conflicts.
  db::Database &database_;
  db::SyncStore sync_store_;
  codes::KeyRing keys_;
  const Clock &clock_;
  Identity identity_;
  Policy policy_;
  ScanDebouncer debouncer_;
  Verdict last_verdict_;
  // The scan id of the last scan, kept for the first event recorded on its order.
  std::string scan_id_;
  std::int64_t scan_order_id_ = 0;
  // Genuine tokens whose orders are not cached yet, newest last (bounded).
  std::vector<codes::TokenFields> unsynced_;
  std::vector<std::int64_t> typed_failures_;  // monotonic ns, within the window
  std::int64_t typed_paused_until_ns_ = 0;
  std::function<void()> on_event_;
  std::atomic<bool> keys_stale_{false};
};

}  // namespace comptoir
