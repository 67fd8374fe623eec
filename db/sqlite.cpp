#include "db/sqlite.hpp"

#include <utility>

namespace comptoir::db {

Error sqlite_error(int extended_code, std::string detail) {
  switch (extended_code & 0xff) {
    case SQLITE_FULL:
      return make_error("disk_full", std::move(detail));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return make_error("database_corrupt", std::move(detail));
    case SQLITE_CONSTRAINT:
      if (extended_code == SQLITE_CONSTRAINT_UNIQUE ||
          extended_code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return make_error("constraint_unique", std::move(detail));
      }
      return make_error("constraint", std::move(detail));
    default:
      return make_error("database_error", std::move(detail));
  }
}

Statement::Statement(sqlite3 *db, std::string_view sql) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt_, nullptr) != SQLITE_OK) {
    stmt_ = nullptr;
  }
}

Statement::Statement(Statement &&other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement &Statement::operator=(Statement &&other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement &Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement &Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement &Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement &Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

int Statement::step() {
  return sqlite3_step(stmt_);
}

Result<void> Statement::run() {
  const int rc = step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    sqlite3 *db = sqlite3_db_handle(stmt_);
    Error e = sqlite_error(sqlite3_extended_errcode(db), sqlite3_errmsg(db));
    reset();
    return e;
  }
  reset();
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::real(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::text(int column) const {
  const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(stmt_, column));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Connection::Connection(Connection &&other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Connection &Connection::operator=(Connection &&other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Connection::~Connection() {
  sqlite3_close_v2(db_);
}

Result<Connection> Connection::open(const std::string &path, int flags) {
  Connection c;
  const int rc = sqlite3_open_v2(path.c_str(), &c.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = c.db_ ? sqlite3_errmsg(c.db_) : sqlite3_errstr(rc);
    return make_error("database_open_failed", path + ": " + detail);
  }
  sqlite3_extended_result_codes(c.db_, 1);
  sqlite3_busy_timeout(c.db_, 5000);
  return c;
}

Result<void> Connection::exec(std::string_view sql) {
  char *message = nullptr;
  const std::string copy(sql);
  const int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return sqlite_error(rc, std::move(detail));
  }
  return {};
}

std::string Connection::last_error() const {
  return db_ ? sqlite3_errmsg(db_) : "no connection";
}

int Connection::last_error_code() const {
  return db_ ? sqlite3_extended_errcode(db_) : SQLITE_MISUSE;
}

Error Connection::error(std::string_view context) const {
  std::string detail = context.empty() ? last_error() : std::string(context) + ": " + last_error();
  return sqlite_error(last_error_code(), std::move(detail));
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
  return sqlite3_changes(db_);
}

Transaction::Transaction(Connection &c) : c_(c) {
  auto r = c_.exec("BEGIN IMMEDIATE");
  began_ = r.ok();
  if (!began_) begin_error_ = r.error();
}

Transaction::~Transaction() {
  if (began_ && !done_) (void)c_.exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (!began_) return begin_error_;
  auto r = c_.exec("COMMIT");
  if (!r) {
    (void)c_.exec("ROLLBACK");
  }
  done_ = true;
  return r;
}

}  // namespace comptoir::db
