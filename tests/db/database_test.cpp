// Opening the cache: migration, reopening, and refusal of what is not ours, too new or
// damaged, always leaving a refused file exactly as it was.
#include "db/database.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "db/handover_ledger.hpp"
#include "db/schema.hpp"
#include "db/sync_store.hpp"
#include "tests/db/db_fixture.hpp"
#include "tests/support/sqlite_files.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

constexpr const char *kAllTables[] = {"settings",    "stands",          "products", "orders",
                                      "order_lines", "handover_events", "outbox",   "sync_state",
                                      "portal_keys", "sync_conflicts"};

std::string pragma_text(db::Database &d, const std::string &pragma) {
  db::Statement s = d.connection().prepare("PRAGMA " + pragma);
  REQUIRE(s.valid());
  REQUIRE(s.step() == SQLITE_ROW);
  return s.text(0);
}

std::int64_t scalar(db::Database &d, const std::string &sql) {
  db::Statement s = d.connection().prepare(sql);
  REQUIRE(s.valid());
  REQUIRE(s.step() == SQLITE_ROW);
  return s.int64(0);
}

std::string schema_text(db::Database &d) {
  db::Statement s = d.connection().prepare(
      "SELECT group_concat(type || ' ' || name || ' ' || ifnull(sql, ''), '\n') FROM "
      "(SELECT * FROM sqlite_master ORDER BY type, name)");
  REQUIRE(s.valid());
  REQUIRE(s.step() == SQLITE_ROW);
  return s.text(0);
}

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char &c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// A refused open must leave the file byte for byte as it was, and create nothing beside it.
void require_refused_untouched(const std::string &path, db::OpenOptions options,
                               const std::string &expected_code) {
  const std::string before = read_file(path);
  const bool had_wal = sidecar_exists(path, "-wal");
  const bool had_shm = sidecar_exists(path, "-shm");
  {
    auto r = db::Database::open(path, options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == expected_code);
    CHECK(r.error().detail.find(path) != std::string::npos);  // says which file
  }
  CHECK(read_file(path) == before);
  CHECK(sidecar_exists(path, "-wal") == had_wal);
  CHECK(sidecar_exists(path, "-shm") == had_shm);
  CHECK_FALSE(sidecar_exists(path, "-journal"));
}

void require_refused_by_every_open(const std::string &path, const std::string &expected_code) {
  for (const bool create : {true, false}) {
    for (const db::IntegrityCheck check :
         {db::IntegrityCheck::irreplaceable, db::IntegrityCheck::everything}) {
      CAPTURE(create);
      CAPTURE(static_cast<int>(check));
      require_refused_untouched(path, db::OpenOptions{create, check}, expected_code);
    }
  }
}

// A real Comptoir cache with enough rows for every table to span several pages, closed.
std::string build_real_cache(const TempDir &dir, int orders, int events) {
  std::string path = dir.file("comptoir.db");
  {
    auto d = open_db(path);
    fill_orders(*d, orders);
    db::HandoverLedger ledger(d->connection());
    for (int i = 0; i < events; ++i) {
      db::HandoverEvent e =
          make_event("event-" + std::to_string(i), 1000 + i % orders, db::EventKind::refused);
      e.reason = std::string(200, static_cast<char>('a' + i % 26));  // fill pages quickly
      REQUIRE(ledger.append(e).ok());
    }
    REQUIRE(d->set_setting("stand_id", "1").ok());
  }
  REQUIRE_FALSE(sidecar_exists(path, "-wal"));  // closed cleanly: everything is in the file
  return path;
}

}  // namespace

TEST_CASE("open creates a missing file at the latest schema") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  REQUIRE_FALSE(file_exists(path));
  auto d = open_db(path);

  REQUIRE(db::latest_schema_version() >= 1);
  CHECK(d->schema_version() == db::latest_schema_version());
  CHECK(scalar(*d, "PRAGMA user_version") == db::latest_schema_version());
  CHECK(scalar(*d, "PRAGMA application_id") == db::kApplicationId);
  for (const char *table : kAllTables) {
    CAPTURE(table);
    CHECK(scalar(*d, std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                 "name = '") +
                         table + "'") == 1);
  }
  // Durability and integrity settings of the issue: WAL, fsync'd commits, foreign keys.
  CHECK(pragma_text(*d, "journal_mode") == "wal");
  CHECK(scalar(*d, "PRAGMA synchronous") == 2);  // FULL
  CHECK(scalar(*d, "PRAGMA foreign_keys") == 1);
  CHECK(d->path() == path);
}

TEST_CASE("open migrates an empty zero-byte file") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  write_file(path, "");
  auto d = open_db(path);
  CHECK(d->schema_version() == db::latest_schema_version());
  CHECK(scalar(*d, "PRAGMA application_id") == db::kApplicationId);
  CHECK(scalar(*d, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'handover_events'") == 1);
}

TEST_CASE("open migrates every older schema version to the latest, keeping the data") {
  for (int from = 1; from < db::latest_schema_version(); ++from) {
    CAPTURE(from);
    TempDir dir;
    const std::string path = dir.file("comptoir.db");
    // A cache as an older Comptoir left it: its migrations only, then some data.
    std::string sql;
    for (int i = 0; i < from; ++i) sql += std::string(db::migrations()[i]) + ";\n";
    sql += "PRAGMA user_version = " + std::to_string(from) + ";";
    sql += "PRAGMA application_id = " + std::to_string(db::kApplicationId) + ";";
    sql +=
        "INSERT INTO settings(key, value) VALUES('stand_id', '1');"
        "INSERT INTO handover_events(uuid, order_id, kind, device, wall_ms, mono_ns) "
        "VALUES('old-event', 1000, 'full', 'caisse-1', 1, 1);"
        "INSERT INTO outbox(event_seq) VALUES(1);";
    exec_sql(path, sql);

    auto d = open_db(path);
    CHECK(d->schema_version() == db::latest_schema_version());
    CHECK(scalar(*d, "PRAGMA user_version") == db::latest_schema_version());
    CHECK(scalar(*d, "SELECT COUNT(*) FROM handover_events WHERE uuid = 'old-event'") == 1);
    CHECK(scalar(*d, "SELECT COUNT(*) FROM outbox") == 1);
    auto stand = d->setting("stand_id");
    REQUIRE(stand.ok());
    CHECK(stand->value_or("") == "1");
    // The same schema as a cache created at the latest version.
    TempDir fresh_dir;
    auto fresh = open_db(fresh_dir.file("comptoir.db"));
    CHECK(schema_text(*d) == schema_text(*fresh));
  }
}

TEST_CASE("a real version 4 cache migrates to 5: sync_conflicts, and the purge's index") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  // A cache as the version 4 program left it: orders with names, a collection reported by
  // the portal, handovers waiting in the outbox.
  std::string sql;
  for (int i = 0; i < 4; ++i) sql += std::string(db::migrations()[i]) + ";\n";
  sql += "PRAGMA user_version = 4; PRAGMA application_id = " + std::to_string(db::kApplicationId) +
         ";";
  exec_sql(path, sql);
  {
    // Its data written through the cache's API on a plain connection (no migration).
    auto raw = db::Connection::open(path, SQLITE_OPEN_READWRITE);
    REQUIRE(raw.ok());
    REQUIRE(raw->exec("PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=ON").ok());
    db::OrderCache cache(*raw);
    put_catalogue(cache);
    db::Order collected = make_order(1000, 1, db::OrderStatus::collected);
    collected.collected_at_ms = 5'000;
    REQUIRE(cache.put_order(collected).ok());
    REQUIRE(cache.put_order(make_order(1001)).ok());
    db::HandoverLedger ledger(*raw);
    REQUIRE(
        ledger.append(make_event("v4-event", 1001, db::EventKind::full, "caisse-1", 6'000)).ok());
  }
  REQUIRE(query_int(path, "PRAGMA user_version") == 4);

  auto d = open_db(path);
  CHECK(d->schema_version() == 5);
  CHECK(scalar(*d, "PRAGMA user_version") == db::latest_schema_version());
  CHECK(scalar(*d, "SELECT COUNT(*) FROM orders") == 2);
  CHECK(scalar(*d, "SELECT COUNT(*) FROM outbox") == 1);
  // The new table is empty, checked at every open with the other irreplaceable ones.
  CHECK(scalar(*d, "SELECT COUNT(*) FROM sync_conflicts") == 0);
  bool listed = false;
  for (std::string_view t : db::irreplaceable_tables()) listed = listed || t == "sync_conflicts";
  CHECK(listed);
  // The index was built over the existing named orders: both are in it.
  CHECK(scalar(*d,
               "SELECT COUNT(*) FROM orders INDEXED BY orders_named_by_collection "
               "WHERE customer <> ''") == 2);

  // And the migrated cache works for the sync: an acknowledgement with a conflict, then
  // the purge of the two names (one by the portal's time, one by the ledger).
  db::SyncStore store(d->connection());
  auto removed = store.acknowledge({{"v4-event", "cancelled"}}, 7'000);
  REQUIRE(removed.ok());
  CHECK(*removed == 1);
  auto conflicts = store.conflict_count();
  REQUIRE(conflicts.ok());
  CHECK(*conflicts == 1);
  auto purged = store.purge_customer_names(10'000);
  REQUIRE(purged.ok());
  CHECK(*purged == 2);
  // Same schema as a cache created at version 5.
  TempDir fresh_dir;
  auto fresh = open_db(fresh_dir.file("comptoir.db"));
  CHECK(schema_text(*d) == schema_text(*fresh));
}

TEST_CASE("open without create refuses a missing file and creates nothing") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  auto r = db::Database::open(path, {.create = false});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "database_missing");
  CHECK_FALSE(file_exists(path));
  CHECK_FALSE(sidecar_exists(path, "-wal"));
}

TEST_CASE("reopening a migrated cache is idempotent") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  std::string schema;
  {
    auto d = open_db(path);
    fill_orders(*d, 3);
    REQUIRE(d->set_setting("stand_id", "1").ok());
    schema = schema_text(*d);
  }
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    auto d = open_db(path);
    CHECK(d->schema_version() == db::latest_schema_version());
    CHECK(scalar(*d, "PRAGMA user_version") == db::latest_schema_version());
    CHECK(scalar(*d, "PRAGMA application_id") == db::kApplicationId);
    CHECK(schema_text(*d) == schema);
    auto stand = d->setting("stand_id");
    REQUIRE(stand.ok());
    REQUIRE(stand->has_value());
    CHECK(**stand == "1");
    CHECK(scalar(*d, "SELECT COUNT(*) FROM orders") == 3);
    CHECK(scalar(*d, "SELECT COUNT(*) FROM order_lines") == 9);
  }
  // Everything checked, too.
  auto d = open_db(path, {.create = true, .check = db::IntegrityCheck::everything});
  CHECK(d->schema_version() == db::latest_schema_version());
  d.reset();
  CHECK(db::Database::check_everything(path).ok());
}

TEST_CASE("settings read back, overwrite and survive a reopen") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  {
    auto d = open_db(path);
    auto missing = d->setting("device_id");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());
    REQUIRE(d->set_setting("device_id", "caisse-1").ok());
    REQUIRE(d->set_setting("device_id", "caisse-2").ok());
  }
  auto d = open_db(path);
  auto got = d->setting("device_id");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(**got == "caisse-2");
}

TEST_CASE("a garbage file is refused as corrupt and left untouched") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");

  SUBCASE("random bytes") {
    write_file(path, random_bytes(64 * 1024, 1));
  }
  SUBCASE("a short text file") {
    write_file(path, "hello, this is not a database\n");
  }
  SUBCASE("a SQLite header followed by garbage") {
    std::string bytes = random_bytes(16 * 4096, 2);
    bytes.replace(0, 16, std::string("SQLite format 3\0", 16));
    write_file(path, bytes);
  }
  require_refused_by_every_open(path, "database_corrupt");

  const std::string before = read_file(path);
  auto check = db::Database::check_everything(path);
  REQUIRE_FALSE(check.ok());
  CHECK(check.error().code == "database_corrupt");
  CHECK(read_file(path) == before);
}

TEST_CASE("a cache with a damaged page in an irreplaceable table is refused at open") {
  for (std::string_view table : db::irreplaceable_tables()) {
    CAPTURE(table);
    TempDir dir;
    const std::string path = build_real_cache(dir, 50, 120);
    const TablePages pages = table_pages(path, table);
    const std::int64_t victim = pages.pages[pages.pages.size() / 2];
    corrupt_page(path, pages.page_size, victim, 42);
    REQUIRE_FALSE(sidecar_exists(path, "-wal"));

    require_refused_by_every_open(path, "database_corrupt");
    const std::string before = read_file(path);
    auto check = db::Database::check_everything(path);
    REQUIRE_FALSE(check.ok());
    CHECK(check.error().code == "database_corrupt");
    CHECK(read_file(path) == before);
  }
}

TEST_CASE("a ledger page overwritten in the middle of a large ledger is refused at open") {
  TempDir dir;
  const std::string path = build_real_cache(dir, 200, 600);
  const TablePages pages = table_pages(path, "handover_events");
  REQUIRE(pages.pages.size() >= 10);
  // Several pages in the middle of the ledger, one at a time.
  const std::string pristine = read_file(path);
  for (std::size_t k :
       {pages.pages.size() / 3, pages.pages.size() / 2, 2 * pages.pages.size() / 3}) {
    CAPTURE(pages.pages[k]);
    write_file(path, pristine);
    corrupt_page(path, pages.page_size, pages.pages[k], 7 + k);
    require_refused_untouched(path, {}, "database_corrupt");
  }
}

TEST_CASE("a damaged orders page passes the quick open but not the full check") {
  TempDir dir;
  const std::string path = build_real_cache(dir, 400, 10);
  const TablePages pages = table_pages(path, "orders");
  REQUIRE(pages.pages.size() >= 5);
  corrupt_page(path, pages.page_size, pages.pages[pages.pages.size() / 2], 99);
  const std::string before = read_file(path);

  // The order cache can be pulled again: the quick open leaves it to check_everything.
  {
    auto d = db::Database::open(path);
    REQUIRE(d.ok());
  }
  CHECK(read_file(path) == before);
  CHECK_FALSE(sidecar_exists(path, "-wal"));

  SUBCASE("check_everything reports it and changes nothing") {
    auto check = db::Database::check_everything(path);
    REQUIRE_FALSE(check.ok());
    CHECK(check.error().code == "database_corrupt");
    CHECK(read_file(path) == before);
    CHECK_FALSE(sidecar_exists(path, "-wal"));
    CHECK_FALSE(sidecar_exists(path, "-shm"));
  }
  SUBCASE("open with IntegrityCheck::everything refuses it") {
    require_refused_untouched(path, {.create = true, .check = db::IntegrityCheck::everything},
                              "database_corrupt");
  }
}

TEST_CASE("check_everything accepts a sound cache, even while it is open") {
  TempDir dir;
  const std::string path = build_real_cache(dir, 100, 50);
  CHECK(db::Database::check_everything(path).ok());
  auto d = open_db(path);
  fill_orders(*d, 120);  // the writer keeps working
  CHECK(db::Database::check_everything(path).ok());
}

TEST_CASE("a schema newer than this program is refused as database_too_new, untouched") {
  TempDir dir;
  const std::string path = build_real_cache(dir, 5, 5);
  exec_sql(path, "PRAGMA user_version = " + std::to_string(db::latest_schema_version() + 1));
  REQUIRE(query_int(path, "PRAGMA user_version") == db::latest_schema_version() + 1);
  REQUIRE_FALSE(sidecar_exists(path, "-wal"));
  require_refused_by_every_open(path, "database_too_new");
  // The message says which versions, so the technician knows to update.
  auto r = db::Database::open(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().detail.find(std::to_string(db::latest_schema_version() + 1)) !=
        std::string::npos);
}

TEST_CASE("a refused database with a leftover -wal keeps its file and its -wal as they were") {
  // After a power cut a WAL database has a -wal beside it; refusing it must not fold that
  // -wal into the file (SQLite checkpoints when the last connection closes).
  for (const std::string &code :
       {std::string("database_too_new"), std::string("database_not_ours")}) {
    CAPTURE(code);
    TempDir dir;
    const std::string path = dir.file("comptoir.db");
    {
      auto d = open_db(path);
      fill_orders(*d, 5);
    }
    sqlite3 *raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    const std::string sql =
        code == "database_too_new"
            ? "PRAGMA user_version = " + std::to_string(db::latest_schema_version() + 1)
            : std::string("PRAGMA application_id = 1179208773");
    REQUIRE(sqlite3_exec(raw,
                         "PRAGMA journal_mode=WAL; CREATE TABLE late(x); INSERT INTO late "
                         "VALUES(1);",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);  // no checkpoint: the -wal stays, as after a crash
    REQUIRE(sidecar_exists(path, "-wal"));
    const std::string file_before = read_file(path);
    const std::string wal_before = read_file(path + "-wal");
    REQUIRE_FALSE(wal_before.empty());

    auto r = db::Database::open(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == code);
    CHECK(read_file(path) == file_before);
    REQUIRE(sidecar_exists(path, "-wal"));
    CHECK(read_file(path + "-wal") == wal_before);
  }
}

TEST_CASE("a SQLite database of another program is refused as database_not_ours, untouched") {
  TempDir dir;
  const std::string path = dir.file("comptoir.db");
  SUBCASE("another application_id") {
    exec_sql(path,
             "PRAGMA application_id = 1179208773;"  // 'FIRE'
             "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
             "INSERT INTO notes(body) VALUES('ne pas effacer');");
  }
  SUBCASE("another application_id and no tables") {
    exec_sql(path, "PRAGMA application_id = 7;");
  }
  SUBCASE("no application_id nor user_version, but tables of its own") {
    // Most programs set neither: their tables must not be mistaken for an empty file.
    exec_sql(path,
             "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
             "INSERT INTO notes(body) VALUES('ne pas effacer');");
  }
  SUBCASE("no application_id but a schema version within ours") {
    exec_sql(path,
             "PRAGMA user_version = 1;"
             "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT);");
  }
  SUBCASE("no application_id and a schema version above ours") {
    // Not ours rather than too new: updating Comptoir would not help.
    exec_sql(path, "PRAGMA user_version = " + std::to_string(db::latest_schema_version() + 5) +
                       "; CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT);");
  }
  SUBCASE("another application_id and a schema version") {
    exec_sql(path, "PRAGMA application_id = 99; PRAGMA user_version = 1; CREATE TABLE t(x);");
  }
  require_refused_by_every_open(path, "database_not_ours");
}

}  // namespace comptoir::test
