#include "db/database.hpp"

#include <sys/stat.h>

#include <array>
#include <cstring>
#include <fstream>
#include <span>
#include <string_view>

#include "db/schema.hpp"

namespace comptoir::db {
namespace {

Result<std::int64_t> pragma_int(Connection &c, const std::string &path, std::string_view sql) {
  Statement s = c.prepare(sql);
  if (!s.valid()) return c.error(path);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return s.int64(0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return c.error(path);
}

// Runs PRAGMA quick_check, over one table or all of them; "ok" or the first problems.
Result<void> quick_check(Connection &c, const std::string &path, std::string_view table) {
  std::string sql = "PRAGMA quick_check";
  if (!table.empty()) {
    sql += "(\"";
    sql += table;
    sql += "\")";
  }
  Statement s = c.prepare(sql);
  if (!s.valid()) return c.error(path);
  std::string problems;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    std::string line = s.text(0);
    if (line != "ok" && problems.size() < 500) problems += line + "; ";
  }
  if (rc != SQLITE_DONE) return c.error(path);
  if (!problems.empty()) return make_error("database_corrupt", path + ": " + problems);
  return {};
}

bool file_exists(const std::string &path, off_t *size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  *size = st.st_size;
  return true;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const std::string &path, OpenOptions options) {
  off_t size = 0;
  const bool exists = file_exists(path, &size);
  if (!exists && !options.create) {
    // The path alone: the code says what is wrong, and the path reads the same in French.
    return make_error("database_missing", path);
  }
  if (exists && size > 0) {
    // Read the header ourselves: SQLite would happily treat some garbage as empty.
    std::array<char, 16> header{};
    std::ifstream in(path, std::ios::binary);
    if (!in.read(header.data(), header.size()) ||
        std::memcmp(header.data(), "SQLite format 3", 16) != 0) {
      return make_error("database_corrupt", path + ": not a SQLite database");
    }
  }

  const int flags =
      SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  auto conn = Connection::open(path, flags);
  if (!conn) return conn.error();
  std::unique_ptr<Database> db(new Database(std::move(*conn), path));
  Connection &c = db->conn_;
  // Closing the last connection checkpoints a leftover -wal (after a power cut) into the
  // file: a refused file must stay exactly as it was, so no checkpoint until it is accepted.
  // With no -wal before, closing just removes the empty -wal and -shm the checks made.
  off_t wal_size = 0;
  if (file_exists(path + "-wal", &wal_size) && wal_size > 0) {
    sqlite3_db_config(c.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  }

  // Everything up to the migrations only reads, so a refused file stays as it was.
  auto app_id = pragma_int(c, path, "PRAGMA application_id");
  if (!app_id) return app_id.error();
  if (*app_id != 0 && *app_id != kApplicationId) {
    return make_error("database_not_ours", path + ": a SQLite database of another program");
  }
  auto version = pragma_int(c, path, "PRAGMA user_version");
  if (!version) return version.error();
  // Our migrations set user_version and application_id together: a versioned file without
  // our id is another program's, whatever its version.
  if (*version > 0 && *app_id != kApplicationId) {
    return make_error("database_not_ours", path + ": a SQLite database of another program");
  }
  if (*version > latest_schema_version()) {
    return make_error("database_too_new", path + ": schema version " + std::to_string(*version) +
                                              ", this program knows up to " +
                                              std::to_string(latest_schema_version()));
  }
  if (*version == 0) {
    // Unversioned: only an empty database may be migrated, never a stranger's tables.
    auto objects = pragma_int(c, path, "SELECT COUNT(*) FROM sqlite_master");
    if (!objects) return objects.error();
    if (*objects > 0) {
      return make_error("database_not_ours", path + ": a SQLite database of another program");
    }
  }
  db->schema_version_ = static_cast<int>(*version);

  if (db->schema_version_ > 0) {
    if (options.check == IntegrityCheck::everything) {
      if (auto r = quick_check(c, path, ""); !r) return r.error();
    } else {
      Statement table_exists =
          c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
      if (!table_exists.valid()) return c.error(path);
      for (std::string_view table : irreplaceable_tables()) {
        table_exists.bind(1, table);
        const int rc = table_exists.step();
        table_exists.reset();
        if (rc == SQLITE_DONE) continue;  // an older schema: its migration creates the table
        if (rc != SQLITE_ROW) return c.error(path);
        if (auto r = quick_check(c, path, table); !r) return r.error();
      }
    }
  }

  sqlite3_db_config(c.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);

  // WAL with synchronous=FULL: a commit is on disk (fsync'd) when COMMIT returns.
  for (std::string_view pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
        // Else REPLACE deletes ledger rows without firing the append-only trigger.
        "PRAGMA recursive_triggers=ON"}) {
    Statement s = c.prepare(pragma);
    const int rc = s.valid() ? s.step() : SQLITE_ERROR;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return c.error(path);
  }
  if (auto r = db->migrate(); !r) return r.error();
  return db;
}

Result<void> Database::migrate() {
  const auto all = migrations();
  while (schema_version_ < static_cast<int>(all.size())) {
    Transaction tx(conn_);
    if (!tx.began()) return tx.begin_error();
    if (auto r = conn_.exec(all[static_cast<std::size_t>(schema_version_)]); !r) return r.error();
    const int next = schema_version_ + 1;
    if (auto r = conn_.exec("PRAGMA user_version=" + std::to_string(next) +
                            "; PRAGMA application_id=" + std::to_string(kApplicationId));
        !r) {
      return r.error();
    }
    if (auto r = tx.commit(); !r) return r.error();
    schema_version_ = next;
  }
  return {};
}

Result<void> Database::check_everything(const std::string &path) {
  // Read-write but query_only, not SQLITE_OPEN_READONLY: a read-only connection to a WAL
  // database creates its -wal and -shm files and, unable to checkpoint, leaves them behind
  // on close; a read-write connection removes them when it is the last one.
  auto conn = Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!conn) return conn.error();
  if (auto r = conn->exec("PRAGMA query_only=1"); !r) return r.error();
  return quick_check(*conn, path, "");
}

Result<std::optional<std::string>> Database::setting(const std::string &key) {
  Statement s = conn_.prepare("SELECT value FROM settings WHERE key = ?");
  s.bind(1, key);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(s.text(0));
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  return conn_.error(path_);
}

Result<void> Database::set_setting(const std::string &key, const std::string &value) {
  Statement s = conn_.prepare(
      "INSERT INTO settings(key, value) VALUES(?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  s.bind(1, key).bind(2, value);
  return s.run();
}

}  // namespace comptoir::db
