#include "db/schema.hpp"

#include <array>

namespace comptoir::db {
namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE stands(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  place TEXT NOT NULL DEFAULT ''
);

CREATE TABLE products(
  id INTEGER PRIMARY KEY,
  stand_id INTEGER NOT NULL REFERENCES stands(id),
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  variable_weight INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE orders(
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL COLLATE NOCASE,
  stand_id INTEGER NOT NULL REFERENCES stands(id),
  customer TEXT NOT NULL,
  status INTEGER NOT NULL CHECK(status BETWEEN 0 AND 3),
  pickup_from INTEGER NOT NULL,
  pickup_until INTEGER NOT NULL,
  paid_cents INTEGER NOT NULL DEFAULT 0,
  due_cents INTEGER NOT NULL DEFAULT 0,
  short_code INTEGER NOT NULL,
  collected_at_ms INTEGER,
  collected_device TEXT,
  collected_staff TEXT
);
CREATE UNIQUE INDEX orders_by_short_code ON orders(short_code);
CREATE UNIQUE INDEX orders_by_number ON orders(number);
CREATE INDEX orders_by_stand_status ON orders(stand_id, status);

CREATE TABLE order_lines(
  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity_milli INTEGER NOT NULL,
  price_cents INTEGER NOT NULL,
  PRIMARY KEY(order_id, line_no)
) WITHOUT ROWID;

-- No foreign key to orders: a genuine signed code may be handed over before its order
-- reaches the cache, and the ledger outlives purges of the cache.
CREATE TABLE handover_events(
  seq INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  order_id INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK(kind IN ('full', 'partial', 'refused', 'undo')),
  lines_handed TEXT NOT NULL DEFAULT '',
  lines_missing TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  undoes TEXT,
  staff TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  mono_ns INTEGER NOT NULL
);
CREATE INDEX handover_events_by_order ON handover_events(order_id, seq);
CREATE TRIGGER handover_events_no_update BEFORE UPDATE ON handover_events
BEGIN SELECT RAISE(ABORT, 'the handover ledger is append-only'); END;
CREATE TRIGGER handover_events_no_delete BEFORE DELETE ON handover_events
BEGIN SELECT RAISE(ABORT, 'the handover ledger is append-only'); END;

-- Events not yet acknowledged by the portal; a row goes only when the portal has it.
CREATE TABLE outbox(
  event_seq INTEGER PRIMARY KEY REFERENCES handover_events(seq),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt_ms INTEGER
);

CREATE TABLE sync_state(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Undo lookups ("is this handover undone?") scanned the whole ledger for each event:
// 30 s for :status with 20,000 events, 0.6 s with this index.
constexpr std::string_view kV2 = R"sql(
CREATE INDEX handover_events_by_undoes ON handover_events(undoes) WHERE undoes IS NOT NULL;
)sql";

// The portal's public signing keys: signed pickup tokens are verified offline with them.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE portal_keys(
  key_id INTEGER PRIMARY KEY CHECK(key_id BETWEEN 0 AND 65535),
  public_key BLOB NOT NULL CHECK(length(public_key) = 32),
  valid_from INTEGER NOT NULL,
  valid_until INTEGER NOT NULL
);
)sql";

// The kiosk's day report and today's pickups count: orders by stand and end of window
// (orders whose window is not over before the day), handovers by time. Without them both
// scanned the whole cache and the whole ledger.
constexpr std::string_view kV4 = R"sql(
CREATE INDEX orders_by_stand_until ON orders(stand_id, pickup_until);
CREATE INDEX handover_events_by_wall ON handover_events(wall_ms);
)sql";

// Sync with the portal. sync_conflicts: handovers the portal flagged (cancelled, collected
// elsewhere...), kept until a person has looked at them; only this appliance has them once
// the outbox row is gone, so the table is irreplaceable. orders_named_by_collection lets
// the purge of customer names find the portal's old collections without reading every
// order (a partial index: purged and stub orders, whose customer is empty, are not in it).
constexpr std::string_view kV5 = R"sql(
CREATE TABLE sync_conflicts(
  event_uuid TEXT PRIMARY KEY,
  order_id INTEGER NOT NULL,
  conflicts TEXT NOT NULL,
  reported_ms INTEGER NOT NULL,
  reviewed_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX sync_conflicts_unreviewed ON sync_conflicts(reported_ms) WHERE reviewed_ms IS NULL;
CREATE INDEX orders_named_by_collection ON orders(collected_at_ms) WHERE customer <> '';
)sql";

constexpr std::array<std::string_view, 5> kMigrations = {kV1, kV2, kV3, kV4, kV5};
// Checked by name: a table that does not exist yet (before its migration) is skipped.
constexpr std::array<std::string_view, 8> kIrreplaceable = {
    "settings", "stands",     "products",    "handover_events",
    "outbox",   "sync_state", "portal_keys", "sync_conflicts"};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}
std::span<const std::string_view> irreplaceable_tables() {
  return kIrreplaceable;
}

}  // namespace comptoir::db
