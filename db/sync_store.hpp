// What the sync agent keeps in the cache besides orders: the outbox read in batches and
// emptied on acknowledgement, the conflicts the portal flagged, the agent's state
// (sync_state), and the purge of customer names. Schema v5 adds sync_conflicts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/key_store.hpp"
#include "db/records.hpp"
#include "db/result.hpp"
#include "db/sqlite.hpp"

namespace comptoir::db {

// sync_state keys (values are text).
namespace sync_key {
inline constexpr const char *kCursor = "cursor";            // the next pull starts here
inline constexpr const char *kLastPullMs = "last_pull_ms";  // last complete pull
inline constexpr const char *kLastPushMs = "last_push_ms";  // last push acknowledged
inline constexpr const char *kLastAttemptMs = "last_attempt_ms";
inline constexpr const char *kLink = "link";             // "online" / "offline"
inline constexpr const char *kLastError = "last_error";  // error code; "" when fine
inline constexpr const char *kLastErrorDetail = "last_error_detail";
inline constexpr const char *kClockOffsetMs = "clock_offset_ms";  // portal minus appliance
}  // namespace sync_key

// settings keys written at enrolment (with runtime's stand_id and device_id).
inline constexpr const char *kSettingPortalUrl = "portal_url";
inline constexpr const char *kSettingPortalName = "portal_name";
// The portal's identity key pinned at enrolment or by the first bundle (64 hex): bundles
// must be signed by it.
inline constexpr const char *kSettingPortalKey = "portal_key";
// An offline bundle applied before the appliance ever reached its portal: the one-time code
// the agent sends when it first can, and the bundle's id and creation time (a bundle older
// than the last one applied is refused).
inline constexpr const char *kSettingPendingEnrolCode = "pending_enrol_code";
inline constexpr const char *kSettingBundleId = "bundle_id";
inline constexpr const char *kSettingBundleCreatedMs = "bundle_created_ms";

struct Acknowledgement {
  std::string event_uuid;
  std::string conflicts;  // comma-separated conflict names; empty: none
};

struct SyncConflict {
  std::string event_uuid;
  std::int64_t order_id = 0;
  std::string conflicts;  // comma-separated
  std::int64_t reported_ms = 0;
};

class SyncStore {
 public:
  explicit SyncStore(Connection &conn);

  // The oldest events still in the outbox, at most `limit`, oldest first.
  Result<std::vector<HandoverEvent>> outbox_batch(std::size_t limit);
  // Counts an attempt on these events (attempts + 1, last_attempt_ms = now_ms).
  Result<void> mark_attempt(const std::vector<std::int64_t> &event_seqs, std::int64_t now_ms);
  // In one transaction: removes the outbox rows of the acknowledged events and records
  // those with conflicts in sync_conflicts (kept until reviewed; a duplicate ack changes
  // nothing). Unknown uuids are ignored. Returns how many outbox rows went.
  Result<std::int64_t> acknowledge(const std::vector<Acknowledgement> &acks, std::int64_t now_ms);

  // Conflicts nobody has reviewed yet: their count, and the newest first.
  Result<std::int64_t> conflict_count();
  Result<std::vector<SyncConflict>> conflicts(std::size_t limit);  // newest first
  // A person has looked at it: it leaves the count (the row stays). Error code
  // conflict_not_found for a uuid with no unreviewed conflict.
  Result<void> mark_reviewed(std::string_view event_uuid, std::int64_t now_ms);

  // Replaces the whole key ring (inside the caller's transaction).
  Result<void> replace_keys(const std::vector<StoredKey> &keys);
  Result<bool> product_exists(std::int64_t product_id);
  Result<bool> stand_exists(std::int64_t stand_id);
  // The portal re-issued `short_code` to order `new_owner`: any other order holding it gives
  // it up (its short_code becomes minus its id, which no scan reads) until the portal sends
  // that order again with its new code. Short codes are unique in the cache. Inside the
  // caller's transaction.
  Result<void> release_short_code(std::int64_t short_code, std::int64_t new_owner);

  Result<std::optional<std::string>> state(std::string_view key);
  Result<void> set_state(std::string_view key, std::string_view value);

  // Empties the customer name of orders collected before `collected_before_ms`: by the
  // portal's collected_at_ms, or by a full or partial handover in the ledger not undone.
  // Returns how many orders changed. One transaction. Its cost follows the orders that still
  // have a name, not the ledger: at 100,000 orders, a few ms once most names are purged
  // (figures in docs/cache.md).
  Result<std::int64_t> purge_customer_names(std::int64_t collected_before_ms);
  // The same with two clocks: the portal's collected_at_ms against portal_before_ms (the
  // portal's time), the ledger's wall_ms against ledger_before_ms (this appliance's).
  Result<std::int64_t> purge_customer_names(std::int64_t portal_before_ms,
                                            std::int64_t ledger_before_ms);
  // The statements purge_customer_names runs (?1 the cut-off), for tests of their plans.
  static std::string purge_by_portal_sql();
  static std::string purge_by_ledger_sql();

 private:
  Connection &conn_;
  Statement event_of_uuid_, delete_outbox_, insert_conflict_, attempt_, state_, set_state_,
      product_exists_, stand_exists_, release_code_;
};

}  // namespace comptoir::db
