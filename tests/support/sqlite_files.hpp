// Raw access to SQLite files for tests that must build or damage a database the way the
// outside world would: straight through the SQLite C API or the bytes on disk, not
// through db::Database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::test {

// Runs SQL on its own read-write connection (creating the file if needed), closed before returning
// (being the last connection, SQLite then checkpoints and removes the -wal and -shm files). Throws
// std::runtime_error on failure.
void exec_sql(const std::string &db_path, std::string_view sql);
// The first column of the first row of a query, on its own connection.
std::int64_t query_int(const std::string &db_path, std::string_view sql);

struct TablePages {
  int page_size = 0;
  std::vector<std::int64_t> pages;  // b-tree pages of the table itself (not its indexes)
};
// From the dbstat virtual table; throws if the table has no pages.
TablePages table_pages(const std::string &db_path, std::string_view table);

// Overwrites one page with pseudo-random bytes from `seed`.
void corrupt_page(const std::string &db_path, int page_size, std::int64_t page_no,
                  std::uint64_t seed);

// "-wal", "-shm" or "-journal" next to a database file.
bool sidecar_exists(const std::string &db_path, std::string_view suffix);

}  // namespace comptoir::test
