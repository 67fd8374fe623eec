// The [sync] section of the configuration file: every SyncSettings field, its default, its
// range, and bad values refused with the file, the line and what would be right.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/config.hpp"
#include "sync/sync_settings.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

Error refused(const std::string &text) {
  auto c = parse_config(text, "comptoir.toml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == "config_invalid");
  return c.error();
}

struct Range {
  const char *key;
  int min;
  int max;
};

// The ranges docs/protocol.md gives.
const std::vector<Range> kRanges = {
    {"interval_s", 5, 86400},
    {"push_delay_ms", 0, 600000},
    {"backoff_base_s", 1, 600},
    {"backoff_cap_s", 1, 86400},
    {"stall_s", 2, 3600},
    {"connect_timeout_s", 1, 600},
    {"purge_names_after_days", 1, 3650},
    {"page_orders", 1, 1000},
    {"push_batch", 1, 500},
};

}  // namespace

TEST_CASE("sync section: the defaults are the protocol's") {
  auto c = parse_config("", "comptoir.toml");
  REQUIRE(c.ok());
  const sync::SyncSettings &s = c->sync;
  CHECK(s.enabled);
  CHECK(s.interval_s == 60);
  CHECK(s.push_delay_ms == 2000);
  CHECK(s.backoff_base_s == 2);
  CHECK(s.backoff_cap_s == 300);
  CHECK(s.stall_s == 30);
  CHECK(s.connect_timeout_s == 20);
  CHECK(s.ca_file.empty());
  CHECK_FALSE(s.insecure);
  CHECK(s.purge_names_after_days == 30);
  CHECK(s.page_orders == 500);
  CHECK(s.push_batch == 200);
  // An empty [sync] table is the defaults too.
  auto empty = parse_config("[sync]\n", "comptoir.toml");
  REQUIRE(empty.ok());
  CHECK(empty->sync.interval_s == 60);
  CHECK(empty->warnings.empty());
}

TEST_CASE("sync section: every field is read") {
  auto c = parse_config(
      "[sync]\n"
      "enabled = false\n"
      "interval_s = 120\n"
      "push_delay_ms = 500\n"
      "backoff_base_s = 3\n"
      "backoff_cap_s = 900\n"
      "stall_s = 45\n"
      "connect_timeout_s = 10\n"
      "ca_file = \"/etc/comptoir/portal-ca.pem\"\n"
      "insecure = true\n"
      "purge_names_after_days = 7\n"
      "page_orders = 1000\n"
      "push_batch = 50\n",
      "comptoir.toml");
  INFO((c ? std::string() : c.error().detail));
  REQUIRE(c.ok());
  CHECK(c->warnings.empty());
  const sync::SyncSettings &s = c->sync;
  CHECK_FALSE(s.enabled);
  CHECK(s.interval_s == 120);
  CHECK(s.push_delay_ms == 500);
  CHECK(s.backoff_base_s == 3);
  CHECK(s.backoff_cap_s == 900);
  CHECK(s.stall_s == 45);
  CHECK(s.connect_timeout_s == 10);
  CHECK(s.ca_file == "/etc/comptoir/portal-ca.pem");
  CHECK(s.insecure);
  CHECK(s.purge_names_after_days == 7);
  CHECK(s.page_orders == 1000);
  CHECK(s.push_batch == 50);
}

TEST_CASE("sync section: each number is accepted at its bounds and refused past them") {
  for (const Range &r : kRanges) {
    CAPTURE(r.key);
    // backoff_cap_s must also be at least backoff_base_s (2 by default).
    const int low = std::string(r.key) == "backoff_cap_s" ? 2 : r.min;
    for (int ok : {low, r.max}) {
      // A base raised to its maximum needs a cap at least as high.
      const std::string cap =
          std::string(r.key) == "backoff_base_s" ? "backoff_cap_s = 86400\n" : "";
      auto c =
          parse_config("[sync]\n" + cap + std::string(r.key) + " = " + std::to_string(ok) + "\n",
                       "comptoir.toml");
      INFO((c ? std::string() : c.error().detail));
      REQUIRE(c.ok());
    }
    for (int bad : {r.min - 1, r.max + 1}) {
      CAPTURE(bad);
      const Error e =
          refused("[sync]\n\n" + std::string(r.key) + " = " + std::to_string(bad) + "\n");
      CHECK(e.detail.starts_with("comptoir.toml:3: [sync] " + std::string(r.key)));
      CHECK(e.detail.find("must be between " + std::to_string(r.min) + " and " +
                          std::to_string(r.max)) != std::string::npos);
    }
  }
}

TEST_CASE("sync section: wrong types, a cap below the base, a relative CA file are refused") {
  Error e = refused("[sync]\ninterval_s = \"60\"\n");
  CHECK(e.detail.starts_with("comptoir.toml:2:"));
  CHECK(e.detail.find("whole number") != std::string::npos);
  e = refused("[sync]\nenabled = \"yes\"\n");
  CHECK(e.detail.find("[sync] enabled must be true or false") != std::string::npos);
  e = refused("[sync]\ninsecure = \"no\"\n");
  CHECK(e.detail.find("[sync] insecure must be true or false") != std::string::npos);
  e = refused("[sync]\nca_file = 3\n");
  CHECK(e.detail.find("a string in quotes") != std::string::npos);

  e = refused("[sync]\nbackoff_base_s = 30\nbackoff_cap_s = 10\n");
  CHECK(e.detail.starts_with("comptoir.toml:3:"));
  CHECK(e.detail.find("backoff_cap_s (10) must be at least backoff_base_s (30)") !=
        std::string::npos);
  // The default cap (300) below a base that was raised: the base's line is named.
  e = refused("[sync]\nbackoff_base_s = 600\n");
  CHECK(e.detail.starts_with("comptoir.toml:2:"));

  e = refused("[sync]\nca_file = \"certs/portal.pem\"\n");
  CHECK(e.detail.starts_with("comptoir.toml:2:"));
  CHECK(e.detail.find("absolute path") != std::string::npos);

  e = refused("sync = true\n");
  CHECK(e.detail.find("[sync]") != std::string::npos);
}

TEST_CASE("sync section: unknown keys are warnings with their line, the rest is read") {
  auto c = parse_config("[sync]\ninterval_s = 90\nintervall_s = 30\n", "comptoir.toml");
  REQUIRE(c.ok());
  REQUIRE(c->warnings.size() == 1);
  CHECK(c->warnings[0] == "comptoir.toml:3: unknown key [sync] intervall_s (ignored)");
  CHECK(c->sync.interval_s == 90);
}

TEST_CASE("sync section: read from a file on disk") {
  TempDir dir;
  const std::string path = dir.file("comptoir.toml");
  write_file(path, "[sync]\npurge_names_after_days = 14\nca_file = \"/srv/ca.pem\"\n");
  auto c = load_config(path, true);
  REQUIRE(c.ok());
  CHECK(c->sync.purge_names_after_days == 14);
  CHECK(c->sync.ca_file == "/srv/ca.pem");
}

}  // namespace comptoir::test
