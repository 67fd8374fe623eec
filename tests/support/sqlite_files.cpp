#include "tests/support/sqlite_files.hpp"

#include <sqlite3.h>

#include <random>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

class Raw {
 public:
  explicit Raw(const std::string &path, int flags = SQLITE_OPEN_READWRITE) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close_v2(db_);
      throw std::runtime_error(path + ": " + message);
    }
  }
  ~Raw() { sqlite3_close_v2(db_); }
  Raw(const Raw &) = delete;
  Raw &operator=(const Raw &) = delete;
  sqlite3 *get() const { return db_; }

 private:
  sqlite3 *db_ = nullptr;
};

class Query {
 public:
  Query(sqlite3 *db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      throw std::runtime_error(std::string(sql) + ": " + sqlite3_errmsg(db));
    }
  }
  ~Query() { sqlite3_finalize(stmt_); }
  Query(const Query &) = delete;
  Query &operator=(const Query &) = delete;
  bool next() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("sqlite3_step: ") + sqlite3_errmsg(db_));
  }
  std::int64_t column(int i) const { return sqlite3_column_int64(stmt_, i); }
  void bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }

 private:
  sqlite3 *db_;
  sqlite3_stmt *stmt_ = nullptr;
};

}  // namespace

void exec_sql(const std::string &db_path, std::string_view sql) {
  Raw db(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const std::string copy(sql);
  char *message = nullptr;
  if (sqlite3_exec(db.get(), copy.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error(copy + ": " + text);
  }
}

std::int64_t query_int(const std::string &db_path, std::string_view sql) {
  Raw db(db_path);
  Query q(db.get(), sql);
  if (!q.next()) throw std::runtime_error(std::string(sql) + ": no row");
  return q.column(0);
}

TablePages table_pages(const std::string &db_path, std::string_view table) {
  Raw db(db_path);
  TablePages out;
  {
    Query size(db.get(), "PRAGMA page_size");
    if (!size.next()) throw std::runtime_error("PRAGMA page_size: no row");
    out.page_size = static_cast<int>(size.column(0));
  }
  Query pages(db.get(), "SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno");
  pages.bind(1, table);
  while (pages.next()) out.pages.push_back(pages.column(0));
  if (out.pages.empty()) throw std::runtime_error(std::string(table) + ": no pages in dbstat");
  return out;
}

void corrupt_page(const std::string &db_path, int page_size, std::int64_t page_no,
                  std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string garbage(static_cast<std::size_t>(page_size), '\0');
  for (char &c : garbage) c = static_cast<char>(rng() & 0xff);
  overwrite_file(db_path,
                 static_cast<std::uint64_t>(page_no - 1) * static_cast<std::uint64_t>(page_size),
                 garbage);
}

bool sidecar_exists(const std::string &db_path, std::string_view suffix) {
  return file_exists(db_path + std::string(suffix));
}

}  // namespace comptoir::test
