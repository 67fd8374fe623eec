// What comptoir-provision demo leaves for people and scripts: the JSON list of codes, the
// same list as tab-separated lines for the shell (scripts/demo), and the demo portal key.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {

TEST_CASE("demo-codes.tsv lists the codes of demo-codes.json in columns a shell can split") {
  TempDir tmp;
  const std::string data = tmp.file("data");
  const RunResult r = run(
      {std::string(COMPTOIR_BIN_DIR) + "/comptoir-provision", "demo", "--data", data, "--quiet"});
  INFO(r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == 0);
  const nlohmann::json codes = nlohmann::json::parse(read_file(data + "/demo-codes.json"));
  const std::vector<std::string> lines = split_lines(read_file(data + "/demo-codes.tsv"));
  REQUIRE(lines.size() == codes.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    CAPTURE(lines[i]);
    // code, expected verdict, order number: the shell's `read` folds empty fields, so the
    // only column that can be empty is the last.
    const auto tab1 = lines[i].find('\t');
    REQUIRE(tab1 != std::string::npos);
    const auto tab2 = lines[i].find('\t', tab1 + 1);
    REQUIRE(tab2 != std::string::npos);
    CHECK(lines[i].substr(0, tab1) == codes[i]["code"].get<std::string>());
    const std::string verdict = lines[i].substr(tab1 + 1, tab2 - tab1 - 1);
    CHECK_FALSE(verdict.empty());
    CHECK(verdict == codes[i]["expected_verdict"].get<std::string>());
    CHECK(lines[i].substr(tab2 + 1) == codes[i]["order_number"].get<std::string>());
  }
  // The demo portal's key, for comptoir-code sign: readable JSON with the key id.
  const nlohmann::json key = nlohmann::json::parse(read_file(data + "/demo-portal-key.json"));
  CHECK(key["key_id"] == 1);
  CHECK(key["secret_key"].get<std::string>().size() == 128);
}

}  // namespace comptoir::test
