// What the end-to-end suites share: the real binaries' paths, a demo data directory made by
// the real comptoir-provision, and the JSON lines comptoir answers with.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef COMPTOIR_BIN_DIR
#error "COMPTOIR_BIN_DIR must name the directory holding comptoir and comptoir-provision"
#endif

namespace comptoir::test {

inline std::string bin(const char *name) {
  return std::string(COMPTOIR_BIN_DIR) + "/" + name;
}

// A data directory provisioned with the demo region, and its demo-codes.json.
struct DemoDir {
  TempDir tmp;
  std::string data = tmp.file("data");
  std::string db_path = data + "/" + db::Database::kFileName;
  nlohmann::json codes;

  DemoDir() {
    const RunResult r = run({bin("comptoir-provision"), "demo", "--data", data, "--quiet"});
    INFO(r.err);
    REQUIRE(r.status.exited);
    REQUIRE(r.status.code == 0);
    codes = nlohmann::json::parse(read_file(data + "/demo-codes.json"));
    REQUIRE(codes.is_array());
    REQUIRE(codes.size() >= 200);
  }

  // Demo entries expected to get `verdict` (orders only, each order once).
  std::vector<nlohmann::json> orders_with(std::string_view verdict) const {
    std::vector<nlohmann::json> out;
    std::set<std::string> seen;
    for (const nlohmann::json &c : codes) {
      const std::string number = c["order_number"].get<std::string>();
      if (c["expected_verdict"] == verdict && !number.empty() && seen.insert(number).second) {
        out.push_back(c);
      }
    }
    return out;
  }

  RunResult headless(std::string_view input, std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv = {bin("comptoir"), "--headless", "--data", data};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, input);
  }
};

inline std::vector<nlohmann::json> json_lines(const std::string &out) {
  std::vector<nlohmann::json> lines;
  for (const std::string &line : split_lines(out)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

inline void require_exit(const RunResult &r, int code) {
  INFO("stderr: " << r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == code);
}

}  // namespace comptoir::test
