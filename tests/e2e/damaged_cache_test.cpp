// An order cache damaged while the ledger is sound: comptoir starts (the ledger and outbox
// were checked), serves what it can, and says the recorded handovers are safe.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "tests/support/sqlite_files.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {

TEST_CASE("a damaged order cache is reported as cache_damaged, handovers said safe") {
  TempDir tmp;
  const std::string data = tmp.file("data");
  const std::string bin = COMPTOIR_BIN_DIR;
  RunResult r = run({bin + "/comptoir-provision", "demo", "--data", data, "--quiet"});
  REQUIRE(r.status.code == 0);
  const std::string db_path = data + "/" + db::Database::kFileName;
  const TablePages orders = table_pages(db_path, "orders");
  REQUIRE(orders.pages.size() >= 2);
  for (std::size_t i = 0; i < orders.pages.size(); ++i) {
    corrupt_page(db_path, orders.page_size, orders.pages[i], 7 + i);
  }

  // Every order number of the demo, then :status once the background check is over.
  const nlohmann::json codes = nlohmann::json::parse(read_file(data + "/demo-codes.json"));
  std::string input;
  for (const auto &c : codes) {
    const std::string number = c["order_number"].get<std::string>();
    if (!number.empty() && number[0] != '#') input += number + "\n";
  }
  r = run({bin + "/comptoir", "--headless", "--data", data}, input);
  INFO(r.err);
  REQUIRE(r.status.exited);
  CHECK(r.status.code == 0);  // the ledger is sound: it starts and runs to the end of input
  int damaged = 0;
  for (const std::string &line : split_lines(r.out)) {
    const auto j = nlohmann::json::parse(line);
    if (j.value("error", "") == "cache_damaged") {
      ++damaged;
      CHECK(j["message"].get<std::string>().find("en sécurité") != std::string::npos);
      CHECK(j["message"].get<std::string>().find("Mettez-la de côté") == std::string::npos);
    }
  }
  CHECK(damaged > 0);
  // The background check says so too, on stderr, with the same advice.
  CHECK(r.err.find("Cache des commandes endommagé") != std::string::npos);
}

}  // namespace comptoir::test
