// Thin RAII over the SQLite C API: one connection, statements prepared once and reused.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/result.hpp"

namespace comptoir::db {

// The one mapping from SQLite result codes to ours: disk_full, database_corrupt,
// constraint_unique, constraint, database_error.
Error sqlite_error(int extended_code, std::string detail);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3 *db, std::string_view sql);
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;
  Statement(Statement &&other) noexcept;
  Statement &operator=(Statement &&other) noexcept;
  ~Statement();

  bool valid() const { return stmt_ != nullptr; }

  // Binds are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT).
  Statement &bind(int index, std::int64_t value);
  Statement &bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement &bind(int index, std::string_view value);
  Statement &bind(int index, const char *value) { return bind(index, std::string_view(value)); }
  Statement &bind(int index, const std::string &value) {
    return bind(index, std::string_view(value));
  }
  Statement &bind(int index, double value);
  Statement &bind_null(int index);
  template <class T>
  Statement &bind(int index, const std::optional<T> &value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // step(): SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  // Runs to completion, expecting no rows; resets afterwards.
  Result<void> run();
  void reset();

  std::int64_t int64(int column) const;
  int integer(int column) const { return static_cast<int>(int64(column)); }
  double real(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

  sqlite3_stmt *handle() const { return stmt_; }

 private:
  sqlite3_stmt *stmt_ = nullptr;
};

// Resets a statement when leaving a scope, so a reused statement never holds a read lock.
class StatementScope {
 public:
  explicit StatementScope(Statement &s) : s_(s) {}
  ~StatementScope() { s_.reset(); }
  StatementScope(const StatementScope &) = delete;
  StatementScope &operator=(const StatementScope &) = delete;

 private:
  Statement &s_;
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  Connection(Connection &&other) noexcept;
  Connection &operator=(Connection &&other) noexcept;
  ~Connection();

  // flags: SQLITE_OPEN_* as for sqlite3_open_v2.
  static Result<Connection> open(const std::string &path, int flags);

  Result<void> exec(std::string_view sql);
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  std::string last_error() const;
  int last_error_code() const;
  // The last failure as an Error, its detail prefixed with `context` (e.g. the path).
  Error error(std::string_view context = {}) const;
  sqlite3 *handle() const { return db_; }
  std::int64_t last_insert_rowid() const;
  int changes() const;

 private:
  sqlite3 *db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed.
class Transaction {
 public:
  explicit Transaction(Connection &c);
  ~Transaction();
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  bool began() const { return began_; }
  const Error &begin_error() const { return begin_error_; }
  Result<void> commit();

 private:
  Connection &c_;
  bool began_ = false;
  bool done_ = false;
  Error begin_error_;
};

}  // namespace comptoir::db
