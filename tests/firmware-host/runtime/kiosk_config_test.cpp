// The [kiosk] section of the configuration file: renderer and verdict_seconds, their
// defaults, and bad values refused with the file and line.
#include <doctest/doctest.h>

#include <string>

#include "runtime/config.hpp"

namespace comptoir::test {
namespace {

TEST_CASE("kiosk section: defaults: software renderer, verdicts shown 15 seconds") {
  auto c = parse_config("", "comptoir.toml");
  REQUIRE(c.ok());
  CHECK(c->kiosk.renderer == "software");
  CHECK(c->kiosk.verdict_seconds == 15);
  auto other = parse_config("[feedback]\nsound = false\n", "comptoir.toml");
  REQUIRE(other.ok());
  CHECK(other->kiosk.renderer == "software");
}

TEST_CASE("kiosk section: renderer and verdict_seconds are read") {
  for (const char *renderer : {"software", "accelerated", "auto"}) {
    CAPTURE(renderer);
    auto c = parse_config(
        std::string("[kiosk]\nrenderer = \"") + renderer + "\"\nverdict_seconds = 42\n",
        "comptoir.toml");
    REQUIRE(c.ok());
    CHECK(c->kiosk.renderer == renderer);
    CHECK(c->kiosk.verdict_seconds == 42);
    CHECK(c->warnings.empty());
  }
  for (int seconds : {3, 600}) {
    auto c = parse_config("[kiosk]\nverdict_seconds = " + std::to_string(seconds) + "\n", "k.toml");
    REQUIRE(c.ok());
    CHECK(c->kiosk.verdict_seconds == seconds);
  }
}

Error refused(const std::string &text) {
  auto c = parse_config(text, "comptoir.toml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == "config_invalid");
  return c.error();
}

TEST_CASE("kiosk section: bad values are refused with the file and line") {
  Error e = refused("[appliance]\nlang = \"fr\"\n\n[kiosk]\nrenderer = \"opengl\"\n");
  CHECK(e.detail.starts_with("comptoir.toml:5:"));
  CHECK(e.detail.find("renderer") != std::string::npos);
  CHECK(e.detail.find("software") != std::string::npos);

  e = refused("[kiosk]\nverdict_seconds = 2\n");
  CHECK(e.detail.starts_with("comptoir.toml:2:"));
  CHECK(e.detail.find("between 3 and 600") != std::string::npos);
  e = refused("[kiosk]\n\nverdict_seconds = 601\n");
  CHECK(e.detail.starts_with("comptoir.toml:3:"));
  e = refused("[kiosk]\nverdict_seconds = \"15\"\n");
  CHECK(e.detail.find("whole number") != std::string::npos);
  e = refused("[kiosk]\nrenderer = 1\n");
  CHECK(e.detail.starts_with("comptoir.toml:2:"));
  e = refused("kiosk = 3\n");
  CHECK(e.detail.find("[kiosk]") != std::string::npos);
}

TEST_CASE("kiosk section: unknown keys are warnings, not errors") {
  auto c = parse_config("[kiosk]\nrendrer = \"auto\"\n", "comptoir.toml");
  REQUIRE(c.ok());
  REQUIRE(c->warnings.size() == 1);
  CHECK(c->warnings[0].find("comptoir.toml:2: unknown key [kiosk] rendrer") != std::string::npos);
  CHECK(c->kiosk.renderer == "software");
}

}  // namespace
}  // namespace comptoir::test
