// The sync agent's store: outbox batches, acknowledgements (outbox rows go, flagged
// handovers are kept as conflicts), sync_state, the key ring, short codes re-issued, and
// the purge of customer names, its plans and its cost at 100,000 orders.
#include "db/sync_store.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "db/handover_ledger.hpp"
#include "db/key_store.hpp"
#include "tests/db/db_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

std::int64_t count(db::Database &d, const std::string &sql) {
  db::Statement s = d.connection().prepare(sql);
  REQUIRE(s.valid());
  REQUIRE(s.step() == SQLITE_ROW);
  return s.int64(0);
}

std::string text(db::Database &d, const std::string &sql) {
  db::Statement s = d.connection().prepare(sql);
  REQUIRE(s.valid());
  REQUIRE(s.step() == SQLITE_ROW);
  return s.text(0);
}

// EXPLAIN QUERY PLAN of `sql`: its detail lines, joined.
std::string query_plan(db::Database &d, const std::string &sql) {
  db::Statement plan = d.connection().prepare("EXPLAIN QUERY PLAN " + sql);
  REQUIRE(plan.valid());
  std::string details;
  int rc;
  while ((rc = plan.step()) == SQLITE_ROW) details += plan.text(3) + "\n";
  REQUIRE(rc == SQLITE_DONE);
  return details;
}

struct StoreFixture {
  TempDir dir;
  std::unique_ptr<db::Database> d = open_db(dir.file("comptoir.db"));
  db::OrderCache cache{d->connection()};
  db::HandoverLedger ledger{d->connection()};
  db::SyncStore store{d->connection()};

  StoreFixture() { put_catalogue(cache); }

  std::int64_t append(const db::HandoverEvent &e) {
    auto seq = ledger.append(e);
    INFO((seq ? std::string() : seq.error().code + ": " + seq.error().detail));
    REQUIRE(seq.ok());
    return *seq;
  }
  std::int64_t outbox() { return count(*d, "SELECT COUNT(*) FROM outbox"); }
  std::string customer(std::int64_t id) {
    auto o = cache.find_by_id(id);
    REQUIRE(o.ok());
    REQUIRE(o->has_value());
    return (*o)->customer;
  }
};

db::HandoverEvent event_at(std::string uuid, std::int64_t order, db::EventKind kind,
                           std::int64_t wall_ms, std::string undoes = {}) {
  db::HandoverEvent e = make_event(std::move(uuid), order, kind, "caisse-1", wall_ms);
  e.undoes = std::move(undoes);
  if (kind == db::EventKind::refused) e.reason = "Client absent";
  return e;
}

}  // namespace

TEST_CASE("sync store: outbox batches come oldest first, whole, at most the limit") {
  StoreFixture f;
  db::HandoverEvent partial = make_event("e-1", 1000, db::EventKind::partial);
  partial.lines_handed = {1, 3};
  partial.lines_missing = {2};
  const std::int64_t s1 = f.append(partial);
  const std::int64_t s2 = f.append(event_at("e-2", 1001, db::EventKind::refused, 2'000));
  const std::int64_t s3 = f.append(event_at("e-3", 1000, db::EventKind::undo, 3'000, "e-1"));

  auto two = f.store.outbox_batch(2);
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  const db::HandoverEvent &first = (*two)[0];
  CHECK(first.seq == s1);
  CHECK(first.uuid == "e-1");
  CHECK(first.order_id == 1000);
  CHECK(first.kind == db::EventKind::partial);
  CHECK(first.lines_handed == std::vector<int>{1, 3});
  CHECK(first.lines_missing == std::vector<int>{2});
  CHECK(first.staff == "Élodie");
  CHECK(first.device == "caisse-1");
  CHECK(first.wall_ms == 1'000);
  CHECK((*two)[1].seq == s2);
  CHECK((*two)[1].reason == "Client absent");

  auto all = f.store.outbox_batch(200);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[2].seq == s3);
  CHECK((*all)[2].undoes == "e-1");

  // Attempts are counted per event, with the time of the last one.
  REQUIRE(f.store.mark_attempt({s1, s2}, 5'000).ok());
  REQUIRE(f.store.mark_attempt({s1}, 6'000).ok());
  CHECK(count(*f.d, "SELECT attempts FROM outbox WHERE event_seq = " + std::to_string(s1)) == 2);
  CHECK(count(*f.d, "SELECT last_attempt_ms FROM outbox WHERE event_seq = " + std::to_string(s1)) ==
        6'000);
  CHECK(count(*f.d, "SELECT attempts FROM outbox WHERE event_seq = " + std::to_string(s2)) == 1);
  CHECK(count(*f.d, "SELECT attempts FROM outbox WHERE event_seq = " + std::to_string(s3)) == 0);

  auto none = f.store.outbox_batch(0);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("sync store: an acknowledgement empties the outbox row and keeps flagged events") {
  StoreFixture f;
  f.append(event_at("e-1", 1000, db::EventKind::full, 1'000));
  f.append(event_at("e-2", 1001, db::EventKind::full, 2'000));
  f.append(event_at("e-3", 1002, db::EventKind::refused, 3'000));
  REQUIRE(f.outbox() == 3);

  auto removed = f.store.acknowledge(
      {{"e-1", ""}, {"e-2", "cancelled,refunded"}, {"not-ours", "unknown_order"}}, 10'000);
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  CHECK(f.outbox() == 1);
  auto left = f.store.outbox_batch(10);
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK(left->front().uuid == "e-3");
  // The ledger keeps everything: it is append-only.
  CHECK(count(*f.d, "SELECT COUNT(*) FROM handover_events") == 3);

  // Only the flagged event is a conflict, with its order; the unknown uuid left nothing.
  auto n = f.store.conflict_count();
  REQUIRE(n.ok());
  CHECK(*n == 1);
  auto listed = f.store.conflicts(10);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().event_uuid == "e-2");
  CHECK(listed->front().order_id == 1001);
  CHECK(listed->front().conflicts == "cancelled,refunded");
  CHECK(listed->front().reported_ms == 10'000);

  // The same acks again (a push retried after a lost answer): nothing changes.
  auto again = f.store.acknowledge({{"e-1", ""}, {"e-2", "collected_elsewhere"}}, 20'000);
  REQUIRE(again.ok());
  CHECK(*again == 0);
  CHECK(f.outbox() == 1);
  listed = f.store.conflicts(10);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().conflicts == "cancelled,refunded");
  CHECK(listed->front().reported_ms == 10'000);
}

TEST_CASE("sync store: an acknowledgement is one transaction: a failure keeps every row") {
  StoreFixture f;
  f.append(event_at("e-1", 1000, db::EventKind::full, 1'000));
  f.append(event_at("e-2", 1001, db::EventKind::full, 2'000));
  // A write that fails after the first ack was applied: the second conflict is refused.
  REQUIRE(f.d->connection()
              .exec("CREATE TEMP TRIGGER refuse_conflict BEFORE INSERT ON main.sync_conflicts "
                    "WHEN NEW.event_uuid = 'e-2' BEGIN SELECT RAISE(ABORT, 'refused'); END")
              .ok());
  auto r = f.store.acknowledge({{"e-1", ""}, {"e-2", "cancelled"}}, 10'000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "constraint");
  CHECK(f.outbox() == 2);
  CHECK(count(*f.d, "SELECT COUNT(*) FROM sync_conflicts") == 0);

  REQUIRE(f.d->connection().exec("DROP TRIGGER temp.refuse_conflict").ok());
  auto ok = f.store.acknowledge({{"e-1", ""}, {"e-2", "cancelled"}}, 10'000);
  REQUIRE(ok.ok());
  CHECK(*ok == 2);
  CHECK(f.outbox() == 0);
}

TEST_CASE("sync store: conflicts newest first until reviewed") {
  StoreFixture f;
  for (int i = 1; i <= 4; ++i) {
    f.append(event_at("e-" + std::to_string(i), 1000 + i, db::EventKind::full, i * 1'000));
  }
  REQUIRE(f.store.acknowledge({{"e-1", "cancelled"}}, 10'000).ok());
  REQUIRE(f.store.acknowledge({{"e-2", "other_stand"}, {"e-3", ""}}, 20'000).ok());
  REQUIRE(f.store.acknowledge({{"e-4", "collected_elsewhere"}}, 30'000).ok());

  auto listed = f.store.conflicts(2);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].event_uuid == "e-4");
  CHECK((*listed)[1].event_uuid == "e-2");
  auto n = f.store.conflict_count();
  REQUIRE(n.ok());
  CHECK(*n == 3);

  REQUIRE(f.store.mark_reviewed("e-4", 40'000).ok());
  n = f.store.conflict_count();
  REQUIRE(n.ok());
  CHECK(*n == 2);
  listed = f.store.conflicts(10);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].event_uuid == "e-2");
  CHECK((*listed)[1].event_uuid == "e-1");
  // Kept, with when it was reviewed: the portal's flag is not forgotten.
  CHECK(count(*f.d, "SELECT reviewed_ms FROM sync_conflicts WHERE event_uuid = 'e-4'") == 40'000);

  auto twice = f.store.mark_reviewed("e-4", 50'000);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == "conflict_not_found");
  auto unknown = f.store.mark_reviewed("e-3", 50'000);  // acknowledged without a flag
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "conflict_not_found");

  // A later duplicate ack of a reviewed conflict does not bring it back.
  REQUIRE(f.store.acknowledge({{"e-4", "collected_elsewhere"}}, 60'000).ok());
  n = f.store.conflict_count();
  REQUIRE(n.ok());
  CHECK(*n == 2);
}

TEST_CASE("sync store: sync_state values read back and overwrite") {
  StoreFixture f;
  auto none = f.store.state(db::sync_key::kCursor);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(f.store.set_state(db::sync_key::kCursor, "s1042").ok());
  REQUIRE(f.store.set_state(db::sync_key::kLastError, "").ok());
  REQUIRE(f.store.set_state(db::sync_key::kCursor, "s2001").ok());
  auto cursor = f.store.state(db::sync_key::kCursor);
  REQUIRE(cursor.ok());
  CHECK(cursor->value_or("") == "s2001");
  auto error = f.store.state(db::sync_key::kLastError);
  REQUIRE(error.ok());
  REQUIRE(error->has_value());
  CHECK(error->value() == "");
  // The order cache reads the same table (the kiosk's "last sync").
  REQUIRE(f.store.set_state(db::sync_key::kLastPullMs, "1763900000000").ok());
  auto pulled = f.cache.sync_state("last_pull_ms");
  REQUIRE(pulled.ok());
  CHECK(pulled->value_or("") == "1763900000000");
}

TEST_CASE("sync store: the key ring is replaced whole, inside the caller's transaction") {
  StoreFixture f;
  db::KeyStore keys(f.d->connection());
  db::StoredKey k1{1, {}, 100, 200};
  k1.public_key.fill(0x11);
  db::StoredKey k2{2, {}, 150, 300};
  k2.public_key.fill(0x22);
  db::StoredKey k3{3, {}, 250, 400};
  k3.public_key.fill(0x33);
  REQUIRE(keys.put(k1).ok());
  REQUIRE(keys.put(k2).ok());

  {
    db::Transaction tx(f.d->connection());
    REQUIRE(tx.began());
    REQUIRE(f.store.replace_keys({k2, k3}).ok());
    // Not committed: rolled back with the transaction.
  }
  auto ring = keys.all();
  REQUIRE(ring.ok());
  REQUIRE(ring->size() == 2);
  CHECK((*ring)[0].key_id == 1);

  {
    db::Transaction tx(f.d->connection());
    REQUIRE(tx.began());
    REQUIRE(f.store.replace_keys({k2, k3}).ok());
    REQUIRE(tx.commit().ok());
  }
  ring = keys.all();
  REQUIRE(ring.ok());
  REQUIRE(ring->size() == 2);
  CHECK((*ring)[0].key_id == 2);
  CHECK((*ring)[1].key_id == 3);
  CHECK((*ring)[1].public_key[0] == 0x33);
  CHECK((*ring)[1].valid_until == 400);
}

TEST_CASE("sync store: products and stands the cache holds") {
  StoreFixture f;
  for (std::int64_t id : {10, 11, 12, 20}) {
    auto r = f.store.product_exists(id);
    REQUIRE(r.ok());
    CHECK(*r);
  }
  auto missing = f.store.product_exists(13);
  REQUIRE(missing.ok());
  CHECK_FALSE(*missing);
  auto stand = f.store.stand_exists(2);
  REQUIRE(stand.ok());
  CHECK(*stand);
  auto no_stand = f.store.stand_exists(3);
  REQUIRE(no_stand.ok());
  CHECK_FALSE(*no_stand);
}

TEST_CASE("sync store: a re-issued short code leaves the order that held it") {
  StoreFixture f;
  db::Order old_owner = make_order(1000);
  db::Order other = make_order(1001);
  REQUIRE(f.cache.put_order(old_owner).ok());
  REQUIRE(f.cache.put_order(other).ok());
  db::Order new_owner = make_order(1002);
  new_owner.short_code = old_owner.short_code;
  // Without the release, the unique index refuses it.
  auto refused = f.cache.put_order(new_owner);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "constraint_unique");

  REQUIRE(f.store.release_short_code(new_owner.short_code, new_owner.id).ok());
  REQUIRE(f.cache.put_order(new_owner).ok());
  auto found = f.cache.find_by_short_code(new_owner.short_code);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->id == 1002);
  // The old owner is still there, by number, with a code no scan reads.
  auto old_row = f.cache.find_by_id(1000);
  REQUIRE(old_row.ok());
  REQUIRE(old_row->has_value());
  CHECK((*old_row)->short_code == -1000);
  CHECK((*old_row)->lines.size() == 3);
  // The owner keeping its own code releases nothing; others keep theirs.
  REQUIRE(f.store.release_short_code(new_owner.short_code, new_owner.id).ok());
  CHECK(f.customer(1002) == "Hélène R.");
  auto still = f.cache.find_by_short_code(other.short_code);
  REQUIRE(still.ok());
  REQUIRE(still->has_value());
  CHECK((*still)->id == 1001);
}

TEST_CASE("sync store: customer names of orders collected before the cut-off are purged") {
  StoreFixture f;
  constexpr std::int64_t kCut = 100'000;
  auto put = [&](std::int64_t id, db::OrderStatus status, std::optional<std::int64_t> at,
                 std::string customer = "Hélène R.") {
    db::Order o = make_order(id, 1, status);
    o.collected_at_ms = at;
    o.customer = std::move(customer);
    REQUIRE(f.cache.put_order(o).ok());
  };
  using S = db::OrderStatus;
  put(1, S::collected, kCut - 1);       // portal: collected before the cut-off: purged
  put(2, S::collected, kCut);           // portal: at the cut-off: kept
  put(3, S::collected, std::nullopt);   // portal: collected, when unknown: kept
  put(4, S::ready, kCut - 50);          // a time but not collected (undone at the portal): kept
  put(5, S::ready, std::nullopt);       // here, full, before: purged
  put(6, S::ready, std::nullopt);       // here, partial, before: purged
  put(7, S::ready, std::nullopt);       // here, full, undone: kept
  put(8, S::ready, std::nullopt);       // here, refused: kept
  put(9, S::ready, std::nullopt);       // here, full, after the cut-off: kept
  put(10, S::ready, std::nullopt);      // here, undone, then handed over again before: purged
  put(11, S::cancelled, std::nullopt);  // never collected: kept
  put(12, S::collected, 5, "");         // already empty (a stub): not counted
  f.append(event_at("h5", 5, db::EventKind::full, 1'000));
  f.append(event_at("h6", 6, db::EventKind::partial, 2'000));
  f.append(event_at("h7", 7, db::EventKind::full, 3'000));
  f.append(event_at("u7", 7, db::EventKind::undo, 3'500, "h7"));
  f.append(event_at("r8", 8, db::EventKind::refused, 4'000));
  f.append(event_at("h9", 9, db::EventKind::full, kCut));
  f.append(event_at("h10a", 10, db::EventKind::full, 5'000));
  f.append(event_at("u10", 10, db::EventKind::undo, 5'100, "h10a"));
  f.append(event_at("h10b", 10, db::EventKind::full, 6'000));

  auto purged = f.store.purge_customer_names(kCut);
  REQUIRE(purged.ok());
  CHECK(*purged == 4);
  for (std::int64_t id : {1, 5, 6, 10, 12}) {
    CAPTURE(id);
    CHECK(f.customer(id).empty());
  }
  for (std::int64_t id : {2, 3, 4, 7, 8, 9, 11}) {
    CAPTURE(id);
    CHECK(f.customer(id) == "Hélène R.");
  }
  // Everything else of a purged order stays: the counter still finds and counts it.
  auto o1 = f.cache.find_by_id(1);
  REQUIRE(o1.ok());
  CHECK((*o1)->number == "C-1");
  CHECK((*o1)->lines.size() == 3);

  auto again = f.store.purge_customer_names(kCut);
  REQUIRE(again.ok());
  CHECK(*again == 0);
  auto later = f.store.purge_customer_names(kCut + 1);  // now order 2 and 9 are old enough
  REQUIRE(later.ok());
  CHECK(*later == 2);
}

TEST_CASE("sync store: the purge reads named orders through indexes, never the whole ledger") {
  StoreFixture f;
  const std::string portal = query_plan(*f.d, db::SyncStore::purge_by_portal_sql());
  INFO(portal);
  CHECK(portal.find("SEARCH orders USING INDEX orders_named_by_collection (collected_at_ms<?)") !=
        std::string::npos);
  CHECK(portal.find("SCAN") == std::string::npos);

  const std::string ledger = query_plan(*f.d, db::SyncStore::purge_by_ledger_sql());
  INFO(ledger);
  // Named orders only, each with its own events: not the whole ledger.
  CHECK(ledger.find("SCAN orders USING INDEX orders_named_by_collection") != std::string::npos);
  CHECK(ledger.find("SEARCH e USING INDEX handover_events_by_order (order_id=?)") !=
        std::string::npos);
  CHECK(ledger.find("SEARCH u USING INDEX handover_events_by_undoes") != std::string::npos);
  CHECK(ledger.find("SCAN orders\n") == std::string::npos);
  CHECK(ledger.find("SCAN e") == std::string::npos);
  CHECK(ledger.find("SCAN u") == std::string::npos);
}

TEST_CASE("sync store: purging names at 100,000 orders and 100,000 events") {
  StoreFixture f;
  constexpr int kN = 100'000;
  constexpr std::int64_t kCut = 60'000'000;  // events and collections at i * 1000 ms
  // Order i: named unless i % 50 == 0 (a stub); collected at the portal at i s when
  // i % 3 == 0. Event i: the undo of event i-1 when i % 10 == 0, else a refusal when
  // i % 7 == 0, else a partial handover when i % 11 == 0, else a full one; of order i
  // (i-1 for an undo), at i s.
  const std::string fill =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
      std::to_string(kN) +
      ") INSERT INTO orders(id, number, stand_id, customer, status, pickup_from, pickup_until, "
      "short_code, collected_at_ms) SELECT i, 'C-' || i, 1, CASE WHEN i % 50 = 0 THEN '' "
      "ELSE 'Client ' || i END, CASE WHEN i % 3 = 0 THEN 2 ELSE 1 END, 0, 0, i, "
      "CASE WHEN i % 3 = 0 THEN i * 1000 END FROM n;"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
      std::to_string(kN) +
      ") INSERT INTO handover_events(uuid, order_id, kind, undoes, device, wall_ms, mono_ns) "
      "SELECT 'e' || i, CASE WHEN i % 10 = 0 THEN i - 1 ELSE i END, CASE WHEN i % 10 = 0 "
      "THEN 'undo' WHEN i % 7 = 0 THEN 'refused' WHEN i % 11 = 0 THEN 'partial' ELSE 'full' "
      "END, CASE WHEN i % 10 = 0 THEN 'e' || (i - 1) END, 'caisse-1', i * 1000, i FROM n;";
  {
    db::Transaction tx(f.d->connection());
    REQUIRE(tx.began());
    REQUIRE(f.d->connection().exec(fill).ok());
    REQUIRE(tx.commit().ok());
  }
  REQUIRE(count(*f.d, "SELECT COUNT(*) FROM orders") == kN);
  REQUIRE(count(*f.d, "SELECT COUNT(*) FROM handover_events") == kN);

  // The same rules, written out.
  std::int64_t expected = 0;
  for (int j = 1; j <= kN; ++j) {
    if (j % 50 == 0) continue;
    const bool by_portal = j % 3 == 0 && std::int64_t{j} * 1000 < kCut;
    const bool own_handover = j % 10 != 0 && j % 7 != 0;
    const bool undone = (j + 1) % 10 == 0;
    const bool by_ledger = own_handover && !undone && std::int64_t{j} * 1000 < kCut;
    if (by_portal || by_ledger) ++expected;
  }

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto first = f.store.purge_customer_names(kCut);
  const auto t1 = Clock::now();
  REQUIRE(first.ok());
  CHECK(*first == expected);
  CHECK(count(*f.d, "SELECT COUNT(*) FROM orders WHERE customer = ''") == expected + kN / 50);
  auto second = f.store.purge_customer_names(kCut);
  const auto t2 = Clock::now();
  REQUIRE(second.ok());
  CHECK(*second == 0);

  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  MESSAGE("purge at 100,000 orders / 100,000 events: " << ms(t1 - t0) << " ms for " << *first
                                                       << " names, then " << ms(t2 - t1)
                                                       << " ms with nothing left");
  // Generous for a sanitized debug build on a busy CI machine; the release figure is in
  // docs/cache.md. A plan reading every row for every row would take minutes.
  CHECK(ms(t1 - t0) < 5000);
  CHECK(ms(t2 - t1) < 5000);
  CHECK(text(*f.d, "SELECT customer FROM orders WHERE id = 1") == "");
  CHECK(text(*f.d, "SELECT customer FROM orders WHERE id = 59999") == "Client 59999");
}

TEST_CASE("sync store: purging names again when most orders were collected long ago") {
  // A stand's history: 100,000 orders, 19 in 20 handed over here (one event each), the
  // others never collected (no-shows keep their names); the cut-off leaves the last 3,000
  // orders' handovers too recent. Once purged, the next purges read the few named orders,
  // not the 95,000 old handovers.
  StoreFixture f;
  constexpr int kN = 100'000;
  constexpr std::int64_t kCut = 97'000'000;
  const std::string fill =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
      std::to_string(kN) +
      ") INSERT INTO orders(id, number, stand_id, customer, status, pickup_from, pickup_until, "
      "short_code) SELECT i, 'C-' || i, 1, 'Client ' || i, 1, 0, 0, i FROM n;"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
      std::to_string(kN) +
      ") INSERT INTO handover_events(uuid, order_id, kind, device, wall_ms, mono_ns) "
      "SELECT 'e' || i, i, 'full', 'caisse-1', i * 1000, i FROM n WHERE i % 20 <> 0;";
  {
    db::Transaction tx(f.d->connection());
    REQUIRE(tx.began());
    REQUIRE(f.d->connection().exec(fill).ok());
    REQUIRE(tx.commit().ok());
  }
  std::int64_t expected = 0;
  for (int j = 1; j < kCut / 1000; ++j) expected += j % 20 != 0 ? 1 : 0;

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto first = f.store.purge_customer_names(kCut);
  const auto t1 = Clock::now();
  REQUIRE(first.ok());
  CHECK(*first == expected);
  auto second = f.store.purge_customer_names(kCut);
  const auto t2 = Clock::now();
  REQUIRE(second.ok());
  CHECK(*second == 0);
  CHECK(count(*f.d, "SELECT COUNT(*) FROM orders WHERE customer <> ''") == kN - expected);
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  MESSAGE("purge, 95% collected long ago: " << ms(t1 - t0) << " ms for " << *first
                                            << " names, then " << ms(t2 - t1)
                                            << " ms with nothing left");
  CHECK(ms(t1 - t0) < 5000);
  CHECK(ms(t2 - t1) < 1000);
}

TEST_CASE("sync store: an outbox event of an unknown kind fails the batch, never sent as full") {
  StoreFixture f;
  f.append(event_at("h1", 1, db::EventKind::full, 1'000));
  // Kinds are CHECK-constrained: only a damaged file (or this pragma) holds another one.
  REQUIRE(f.d->connection().exec("PRAGMA ignore_check_constraints=ON").ok());
  REQUIRE(f.d->connection()
              .exec("INSERT INTO handover_events(seq, uuid, order_id, kind, device, wall_ms, "
                    "mono_ns) VALUES(42, 'x42', 2, 'handover', 'caisse-1', 2000, 2)")
              .ok());
  REQUIRE(f.d->connection().exec("INSERT INTO outbox(event_seq) VALUES(42)").ok());
  REQUIRE(f.d->connection().exec("PRAGMA ignore_check_constraints=OFF").ok());
  auto batch = f.store.outbox_batch(10);
  REQUIRE_FALSE(batch.ok());
  CHECK(batch.error().code == "database_corrupt");
  CHECK(batch.error().detail.find("seq 42") != std::string::npos);
  CHECK(batch.error().detail.find("handover") != std::string::npos);
  // The events before it still read, the row still waits.
  auto first = f.store.outbox_batch(1);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 1);
  CHECK(first->front().uuid == "h1");
  CHECK(f.outbox() == 2);
}

TEST_CASE("sync store: the purge takes one cut-off for portal times, one for the ledger's") {
  StoreFixture f;
  // Order 1 collected at the portal at 5 000 (portal time); order 2 handed over here at 5 000.
  for (std::int64_t id : {1, 2}) {
    db::Order o = make_order(id, 1, id == 1 ? db::OrderStatus::collected : db::OrderStatus::ready);
    if (id == 1) o.collected_at_ms = 5'000;
    REQUIRE(f.cache.put_order(o).ok());
  }
  f.append(event_at("h2", 2, db::EventKind::full, 5'000));
  // The portal's clock is ahead: its cut-off passed 5 000, ours not yet.
  auto purged = f.store.purge_customer_names(6'000, 4'000);
  REQUIRE(purged.ok());
  CHECK(*purged == 1);
  CHECK(f.customer(1).empty());
  CHECK(f.customer(2) == "Hélène R.");
  purged = f.store.purge_customer_names(4'000, 6'000);
  REQUIRE(purged.ok());
  CHECK(*purged == 1);
  CHECK(f.customer(2).empty());
}

}  // namespace comptoir::test
