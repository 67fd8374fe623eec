// The handover ledger: append-only, one outbox row per event, committed together.
#include "db/handover_ledger.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

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

struct LedgerFixture {
  TempDir dir;
  std::unique_ptr<db::Database> d = open_db(dir.file("comptoir.db"));
  db::HandoverLedger ledger{d->connection()};

  std::int64_t append(const db::HandoverEvent &e) {
    auto seq = ledger.append(e);
    INFO((seq ? std::string() : seq.error().code));
    REQUIRE(seq.ok());
    return *seq;
  }
  std::int64_t events() { return count(*d, "SELECT COUNT(*) FROM handover_events"); }
  std::int64_t outbox() {
    auto n = ledger.outbox_size();
    REQUIRE(n.ok());
    CHECK(*n == count(*d, "SELECT COUNT(*) FROM outbox"));
    return *n;
  }
};

}  // namespace

TEST_CASE("event kinds have stable names") {
  for (auto kind :
       {db::EventKind::full, db::EventKind::partial, db::EventKind::refused, db::EventKind::undo}) {
    const auto name = db::to_string(kind);
    CAPTURE(name);
    REQUIRE(db::event_kind_from_string(name).has_value());
    CHECK(*db::event_kind_from_string(name) == kind);
  }
  CHECK(db::to_string(db::EventKind::full) == "full");
  CHECK(db::to_string(db::EventKind::partial) == "partial");
  CHECK(db::to_string(db::EventKind::refused) == "refused");
  CHECK(db::to_string(db::EventKind::undo) == "undo");
  CHECK_FALSE(db::event_kind_from_string("FULL").has_value());
  CHECK_FALSE(db::event_kind_from_string("").has_value());
}

TEST_CASE("an append writes the event, every field, and exactly one outbox row") {
  LedgerFixture f;
  db::HandoverEvent e = make_event("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", 1042,
                                   db::EventKind::partial, "caisse-marche-2", 1'760'000'123'456);
  e.lines_handed = {1, 3};
  e.lines_missing = {2, 4};
  e.staff = "Loïc";
  e.mono_ns = 987'654'321'000;

  const std::int64_t seq = f.append(e);
  CHECK(seq > 0);
  CHECK(f.events() == 1);
  CHECK(f.outbox() == 1);
  CHECK(count(*f.d, "SELECT event_seq FROM outbox") == seq);
  CHECK(count(*f.d, "SELECT attempts FROM outbox") == 0);

  auto events = f.ledger.events_for_order(1042);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  const db::HandoverEvent &got = events->front();
  CHECK(got.seq == seq);
  CHECK(got.uuid == e.uuid);
  CHECK(got.order_id == 1042);
  CHECK(got.kind == db::EventKind::partial);
  CHECK(got.lines_handed == std::vector<int>{1, 3});
  CHECK(got.lines_missing == std::vector<int>{2, 4});
  CHECK(got.reason.empty());
  CHECK(got.undoes.empty());
  CHECK(got.staff == "Loïc");
  CHECK(got.device == "caisse-marche-2");
  CHECK(got.wall_ms == 1'760'000'123'456);
  CHECK(got.mono_ns == 987'654'321'000);

  // A refusal's reason and an undo's target come back as written.
  db::HandoverEvent refusal = make_event("r-1", 1042, db::EventKind::refused);
  refusal.lines_handed.clear();
  refusal.reason = "pièce d'identité absente, revient demain";
  db::HandoverEvent undo = make_event("u-1", 1042, db::EventKind::undo);
  undo.undoes = e.uuid;
  f.append(refusal);
  f.append(undo);
  CHECK(f.events() == 3);
  CHECK(f.outbox() == 3);
  events = f.ledger.events_for_order(1042);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 3);
  CHECK((*events)[1].reason == refusal.reason);
  CHECK((*events)[1].lines_handed.empty());
  CHECK((*events)[2].undoes == e.uuid);
}

TEST_CASE("every append adds one outbox row pointing at its own event") {
  LedgerFixture f;
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 25; ++i) {
    seqs.push_back(f.append(make_event("e-" + std::to_string(i), 1000 + i % 4)));
    CHECK(f.outbox() == i + 1);
    CHECK(f.events() == i + 1);
  }
  for (std::size_t i = 1; i < seqs.size(); ++i) CHECK(seqs[i] > seqs[i - 1]);
  CHECK(count(*f.d,
              "SELECT COUNT(*) FROM handover_events e JOIN outbox o ON o.event_seq = e.seq") == 25);
  // events_for_order: only that order's, oldest first.
  auto events = f.ledger.events_for_order(1001);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 6);  // i = 1, 5, 9, 13, 17, 21
  for (std::size_t i = 0; i < events->size(); ++i) {
    CHECK((*events)[i].order_id == 1001);
    CHECK((*events)[i].uuid == "e-" + std::to_string(1 + 4 * i));
  }
  auto none = f.ledger.events_for_order(99);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("a duplicate uuid is refused as duplicate_event and adds nothing") {
  LedgerFixture f;
  f.append(make_event("same-uuid", 1000));
  db::HandoverEvent again = make_event("same-uuid", 1001, db::EventKind::refused);
  again.reason = "autre";
  auto r = f.ledger.append(again);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "duplicate_event");
  CHECK(f.events() == 1);
  CHECK(f.outbox() == 1);
  auto events = f.ledger.events_for_order(1001);
  REQUIRE(events.ok());
  CHECK(events->empty());
  // The ledger still takes new events afterwards (the failed transaction was rolled back).
  f.append(make_event("next", 1001));
  CHECK(f.events() == 2);
  CHECK(f.outbox() == 2);
}

TEST_CASE("the ledger is append-only: UPDATE and DELETE fail and change nothing") {
  LedgerFixture f;
  f.append(make_event("keep-1", 1000));
  f.append(make_event("keep-2", 1001, db::EventKind::partial));
  db::Connection &c = f.d->connection();

  CHECK_FALSE(c.exec("UPDATE handover_events SET reason = 'tampered'").ok());
  CHECK_FALSE(c.exec("UPDATE handover_events SET kind = 'undo' WHERE uuid = 'keep-1'").ok());
  CHECK_FALSE(c.exec("DELETE FROM handover_events WHERE uuid = 'keep-2'").ok());
  CHECK_FALSE(c.exec("DELETE FROM handover_events").ok());
  // REPLACE deletes the row it replaces; with recursive_triggers on, that delete fires the
  // append-only trigger, even once the portal has acknowledged the event (no outbox row).
  REQUIRE(c.exec("DELETE FROM outbox").ok());
  CHECK_FALSE(c.exec("INSERT OR REPLACE INTO handover_events(uuid, order_id, kind, device, "
                     "wall_ms, mono_ns) VALUES('keep-1', 5, 'undo', 'x', 0, 0)")
                  .ok());
  CHECK_FALSE(c.exec("REPLACE INTO handover_events(seq, uuid, order_id, kind, device, wall_ms, "
                     "mono_ns) VALUES(1, 'other', 5, 'undo', 'x', 0, 0)")
                  .ok());

  CHECK(f.events() == 2);
  CHECK(count(*f.d, "SELECT COUNT(*) FROM handover_events WHERE reason <> ''") == 0);
  CHECK(count(*f.d, "SELECT COUNT(*) FROM handover_events WHERE kind = 'undo'") == 0);
  auto events = f.ledger.events_for_order(1000);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK(events->front().kind == db::EventKind::full);
}

TEST_CASE("an appended event is on disk: a new connection sees it") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  auto writer = open_db(path);
  db::HandoverLedger ledger(writer->connection());
  REQUIRE(ledger.append(make_event("durable", 1000)).ok());
  // A second connection, while the writer is still open.
  auto reader = open_db(path);
  db::HandoverLedger other(reader->connection());
  auto events = other.events_for_order(1000);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK(events->front().uuid == "durable");
  auto waiting = other.outbox_size();
  REQUIRE(waiting.ok());
  CHECK(*waiting == 1);
}

TEST_CASE("last_handover is this device's newest handover, and nothing once that is undone") {
  LedgerFixture f;
  auto last = [&](std::string_view device) {
    auto r = f.ledger.last_handover(device);
    REQUIRE(r.ok());
    return *r;
  };
  CHECK_FALSE(last("caisse-1").has_value());

  f.append(make_event("a", 1000, db::EventKind::full, "caisse-1", 1000));
  f.append(make_event("b", 1001, db::EventKind::partial, "caisse-1", 2000));
  f.append(make_event("other-device", 1002, db::EventKind::full, "caisse-2", 3000));
  db::HandoverEvent refused = make_event("r", 1003, db::EventKind::refused, "caisse-1", 4000);
  refused.reason = "absent";
  f.append(refused);
  REQUIRE(last("caisse-1").has_value());
  CHECK(last("caisse-1")->uuid == "b");  // refusals are not handovers
  CHECK(last("caisse-2")->uuid == "other-device");

  // Once the newest handover is undone, an undo never reaches back to the customer before.
  db::HandoverEvent undo_b = make_event("undo-b", 1001, db::EventKind::undo, "caisse-1", 5000);
  undo_b.undoes = "b";
  f.append(undo_b);
  CHECK_FALSE(last("caisse-1").has_value());
  CHECK(last("caisse-2")->uuid == "other-device");

  // The same order handed over again is the newest handover, and can be undone.
  f.append(make_event("b-again", 1001, db::EventKind::full, "caisse-1", 6000));
  REQUIRE(last("caisse-1").has_value());
  CHECK(last("caisse-1")->uuid == "b-again");
}

}  // namespace comptoir::test
