// Opening the local cache: refuse what is not ours, too new or damaged (leaving it
// untouched), then migrate and set durability. One Database per process writes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "db/result.hpp"
#include "db/sqlite.hpp"

namespace comptoir::db {

enum class IntegrityCheck {
  // Check the irreplaceable tables (ledger, outbox, settings...) before returning; the
  // large order cache is left to check_everything(), which callers run in the background.
  irreplaceable,
  // Check every table before returning.
  everything,
};

struct OpenOptions {
  bool create = true;
  IntegrityCheck check = IntegrityCheck::irreplaceable;
};

class Database {
 public:
  static constexpr const char *kFileName = "comptoir.db";

  // Error codes: database_missing, database_not_ours, database_corrupt, database_too_new,
  // database_open_failed, disk_full, database_error.
  static Result<std::unique_ptr<Database>> open(const std::string &path, OpenOptions options = {});

  // A full quick_check over its own (query_only) connection; safe to run on another thread
  // while the main connection serves scans.
  static Result<void> check_everything(const std::string &path);

  Connection &connection() { return conn_; }
  const std::string &path() const { return path_; }
  int schema_version() const { return schema_version_; }

  Result<std::optional<std::string>> setting(const std::string &key);
  Result<void> set_setting(const std::string &key, const std::string &value);

 private:
  Database(Connection conn, std::string path) : conn_(std::move(conn)), path_(std::move(path)) {}
  Result<void> migrate();

  Connection conn_;
  std::string path_;
  int schema_version_ = 0;
};

}  // namespace comptoir::db
