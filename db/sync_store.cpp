// The sync agent's side of the cache: the outbox in batches, acknowledgements (the outbox
// row goes, a flagged handover goes to sync_conflicts), sync_state, the key ring, and the
// purge of customer names.
#include "db/sync_store.hpp"

#include "db/handover_ledger.hpp"

namespace comptoir::db {
namespace {

// Runs a statement that returns one row or none: true when it returned one.
Result<bool> exists(Connection &conn, Statement &s) {
  StatementScope scope(s);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn.error();
}

}  // namespace

SyncStore::SyncStore(Connection &conn)
    : conn_(conn),
      event_of_uuid_(conn.prepare("SELECT seq, order_id FROM handover_events WHERE uuid = ?")),
      delete_outbox_(conn.prepare("DELETE FROM outbox WHERE event_seq = ?")),
      // A duplicate ack (a retried push) changes nothing, a review included.
      insert_conflict_(
          conn.prepare("INSERT INTO sync_conflicts(event_uuid, order_id, conflicts, reported_ms) "
                       "VALUES(?, ?, ?, ?) ON CONFLICT(event_uuid) DO NOTHING")),
      attempt_(conn.prepare(
          "UPDATE outbox SET attempts = attempts + 1, last_attempt_ms = ? WHERE event_seq = ?")),
      state_(conn.prepare("SELECT value FROM sync_state WHERE key = ?")),
      set_state_(conn.prepare("INSERT INTO sync_state(key, value) VALUES(?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value")),
      product_exists_(conn.prepare("SELECT 1 FROM products WHERE id = ?")),
      stand_exists_(conn.prepare("SELECT 1 FROM stands WHERE id = ?")),
      release_code_(
          conn.prepare("UPDATE orders SET short_code = -id WHERE short_code = ?1 AND id <> ?2")) {}

Result<std::vector<HandoverEvent>> SyncStore::outbox_batch(std::size_t limit) {
  Statement s = conn_.prepare(
      "SELECT e.seq, e.uuid, e.order_id, e.kind, e.lines_handed, e.lines_missing, e.reason, "
      "e.undoes, e.staff, e.device, e.wall_ms, e.mono_ns FROM outbox o "
      "JOIN handover_events e ON e.seq = o.event_seq ORDER BY o.event_seq LIMIT ?");
  if (!s.valid()) return conn_.error();
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<HandoverEvent> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    // Never a guess: an unknown kind sent as a full handover would collect the order.
    if (!event_kind_from_string(s.text(3))) {
      return make_error("database_corrupt", "outbox event seq " + std::to_string(s.int64(0)) +
                                                " has an unknown kind \"" + s.text(3) +
                                                "\": it is not sent");
    }
    out.push_back(event_from_row(s));
  }
  if (rc != SQLITE_DONE) return conn_.error();
  return out;
}

Result<void> SyncStore::mark_attempt(const std::vector<std::int64_t> &event_seqs,
                                     std::int64_t now_ms) {
  Transaction tx(conn_);
  if (!tx.began()) return tx.begin_error();
  for (std::int64_t seq : event_seqs) {
    attempt_.bind(1, now_ms).bind(2, seq);
    if (auto r = attempt_.run(); !r) return r;
  }
  return tx.commit();
}

Result<std::int64_t> SyncStore::acknowledge(const std::vector<Acknowledgement> &acks,
                                            std::int64_t now_ms) {
  Transaction tx(conn_);
  if (!tx.began()) return tx.begin_error();
  std::int64_t removed = 0;
  for (const Acknowledgement &ack : acks) {
    std::int64_t seq = 0;
    std::int64_t order_id = 0;
    {
      StatementScope scope(event_of_uuid_);
      event_of_uuid_.bind(1, ack.event_uuid);
      const int rc = event_of_uuid_.step();
      if (rc == SQLITE_DONE) continue;  // not ours: a portal's mistake must not stop the rest
      if (rc != SQLITE_ROW) return conn_.error();
      seq = event_of_uuid_.int64(0);
      order_id = event_of_uuid_.int64(1);
    }
    delete_outbox_.bind(1, seq);
    if (auto r = delete_outbox_.run(); !r) return r.error();
    removed += conn_.changes();
    if (!ack.conflicts.empty()) {
      insert_conflict_.bind(1, ack.event_uuid).bind(2, order_id).bind(3, ack.conflicts);
      insert_conflict_.bind(4, now_ms);
      if (auto r = insert_conflict_.run(); !r) return r.error();
    }
  }
  if (auto r = tx.commit(); !r) return r.error();
  return removed;
}

Result<std::int64_t> SyncStore::conflict_count() {
  Statement s = conn_.prepare("SELECT COUNT(*) FROM sync_conflicts WHERE reviewed_ms IS NULL");
  if (!s.valid() || s.step() != SQLITE_ROW) return conn_.error();
  return s.int64(0);
}

Result<std::vector<SyncConflict>> SyncStore::conflicts(std::size_t limit) {
  Statement s = conn_.prepare(
      "SELECT event_uuid, order_id, conflicts, reported_ms FROM sync_conflicts "
      "WHERE reviewed_ms IS NULL ORDER BY reported_ms DESC, event_uuid DESC LIMIT ?");
  if (!s.valid()) return conn_.error();
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<SyncConflict> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back({s.text(0), s.int64(1), s.text(2), s.int64(3)});
  }
  if (rc != SQLITE_DONE) return conn_.error();
  return out;
}

Result<void> SyncStore::mark_reviewed(std::string_view event_uuid, std::int64_t now_ms) {
  Statement s = conn_.prepare(
      "UPDATE sync_conflicts SET reviewed_ms = ? WHERE event_uuid = ? AND reviewed_ms IS NULL");
  if (!s.valid()) return conn_.error();
  s.bind(1, now_ms).bind(2, event_uuid);
  if (auto r = s.run(); !r) return r;
  if (conn_.changes() == 0) {
    return make_error("conflict_not_found",
                      "no conflict to review for event " + std::string(event_uuid));
  }
  return {};
}

Result<void> SyncStore::replace_keys(const std::vector<StoredKey> &keys) {
  // The ring comes whole: a key the portal dropped must stop verifying tokens.
  if (auto r = conn_.exec("DELETE FROM portal_keys"); !r) return r;
  KeyStore store(conn_);
  for (const StoredKey &key : keys) {
    if (auto r = store.put(key); !r) return r;
  }
  return {};
}

Result<bool> SyncStore::product_exists(std::int64_t product_id) {
  product_exists_.bind(1, product_id);
  return exists(conn_, product_exists_);
}

Result<bool> SyncStore::stand_exists(std::int64_t stand_id) {
  stand_exists_.bind(1, stand_id);
  return exists(conn_, stand_exists_);
}

Result<void> SyncStore::release_short_code(std::int64_t short_code, std::int64_t new_owner) {
  release_code_.bind(1, short_code).bind(2, new_owner);
  return release_code_.run();
}

Result<std::optional<std::string>> SyncStore::state(std::string_view key) {
  StatementScope scope(state_);
  state_.bind(1, key);
  const int rc = state_.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return conn_.error();
  return std::optional<std::string>(state_.text(0));
}

Result<void> SyncStore::set_state(std::string_view key, std::string_view value) {
  set_state_.bind(1, key).bind(2, value);
  return set_state_.run();
}

// orders_named_by_collection (v5) holds only named orders, by collection time: once purged,
// an order costs nothing here.
std::string SyncStore::purge_by_portal_sql() {
  return "UPDATE orders SET customer = '' WHERE customer <> '' AND collected_at_ms < ?1 "
         "AND status = 2";  // OrderStatus::collected
}

// Reads the named orders only (orders_named_by_collection again), each checked against its
// own events (handover_events_by_order) and the undo index: its cost follows the names
// still in the cache, which the purge keeps few, not the ledger, which only grows.
std::string SyncStore::purge_by_ledger_sql() {
  return "UPDATE orders SET customer = '' WHERE customer <> '' AND EXISTS ("
         "SELECT 1 FROM handover_events e WHERE e.order_id = orders.id AND e.wall_ms < ?1 "
         "AND e.kind IN ('full', 'partial') AND NOT EXISTS (SELECT 1 FROM handover_events u "
         "WHERE u.undoes = e.uuid AND u.kind = 'undo'))";
}

Result<std::int64_t> SyncStore::purge_customer_names(std::int64_t collected_before_ms) {
  return purge_customer_names(collected_before_ms, collected_before_ms);
}

Result<std::int64_t> SyncStore::purge_customer_names(std::int64_t portal_before_ms,
                                                     std::int64_t ledger_before_ms) {
  Transaction tx(conn_);
  if (!tx.began()) return tx.begin_error();
  std::int64_t changed = 0;
  for (const auto &[sql, cut] : {std::pair{purge_by_portal_sql(), portal_before_ms},
                                 std::pair{purge_by_ledger_sql(), ledger_before_ms}}) {
    Statement s = conn_.prepare(sql);
    if (!s.valid()) return conn_.error();
    s.bind(1, cut);
    if (auto r = s.run(); !r) return r.error();
    changed += conn_.changes();
  }
  if (auto r = tx.commit(); !r) return r.error();
  return changed;
}

}  // namespace comptoir::db
