// `comptoir-code`, the real binary: keygen → sign → verify round-trips; a changed symbol is
// forged, a key missing from the ring is unknown_key, a token typed through a French
// keyboard is repaired; --png writes a QR code that reads back; bad input gets one sentence
// and exit status 2.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "codes/short_code.hpp"
#include "tests/drivers/qr_read.hpp"
#include "tests/support/layout_mangler.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef COMPTOIR_BIN_DIR
#error "COMPTOIR_BIN_DIR must name the directory holding comptoir-code"
#endif

namespace comptoir::test {
namespace {

using nlohmann::json;

std::string tool() {
  return std::string(COMPTOIR_BIN_DIR) + "/comptoir-code";
}

RunResult code(std::vector<std::string> args, std::string_view input = {}) {
  args.insert(args.begin(), tool());
  return run(args, input);
}

std::string typed_us_on_fr(std::string_view text) {
  return *typed_through_layouts(text, "us", "fr");
}

// A portal key made by `keygen`, its ring entry, and a ring file holding it.
struct Portal {
  TempDir dir;
  std::string key_file = dir.file("portal-key.json");
  std::string ring_file = dir.file("ring.json");
  json entry;

  explicit Portal(const std::string &key_id = "7") {
    const RunResult r = code({"keygen", "--out", key_file, "--key-id", key_id, "--valid-from",
                              "2026-01-01", "--valid-until", "2027-12-31"});
    INFO(r.err);
    REQUIRE(r.status.exited);
    REQUIRE(r.status.code == 0);
    const auto lines = split_lines(r.out);
    REQUIRE(lines.size() == 1);
    entry = json::parse(lines[0]);
    write_file(ring_file, json{{"keys", json::array({entry})}}.dump());
  }

  std::string sign(const std::vector<std::string> &extra = {}) const {
    std::vector<std::string> args = {"sign",    "--key", key_file,        "--order",   "123456789",
                                     "--stand", "42",    "--valid-until", "2026-06-30"};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult r = code(args);
    INFO(r.err);
    REQUIRE(r.status.exited);
    REQUIRE(r.status.code == 0);
    const auto lines = split_lines(r.out);
    REQUIRE(lines.size() == 1);
    return lines[0];
  }
};

struct Verified {
  int exit_code = -1;
  json out;
};

Verified verify(const std::string &ring, const std::string &token, std::string_view now,
                bool on_stdin = false) {
  std::vector<std::string> args = {"verify", "--keys", ring, "--now", std::string(now)};
  if (!on_stdin) args.push_back(token);
  const RunResult r = code(args, on_stdin ? token + "\n" : std::string());
  INFO(r.err);
  REQUIRE(r.status.exited);
  const auto lines = split_lines(r.out);
  REQUIRE(lines.size() == 1);
  return {r.status.code, json::parse(lines[0])};
}

TEST_CASE("keygen writes a 0600 key file and prints its key-ring entry") {
  Portal portal;
  CHECK(portal.entry["key_id"] == 7);
  CHECK(portal.entry["public_key"].get<std::string>().size() == 64);
  CHECK(portal.entry["valid_from"] == "2026-01-01");
  CHECK(portal.entry["valid_until"] == "2027-12-31");
  CHECK_FALSE(portal.entry.contains("secret_key"));

  struct stat st {};
  REQUIRE(::stat(portal.key_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const json key = json::parse(read_file(portal.key_file));
  CHECK(key["key_id"] == 7);
  CHECK(key["public_key"] == portal.entry["public_key"]);
  CHECK(key["secret_key"].get<std::string>().size() == 128);
  CHECK(key["valid_until"] == "2027-12-31");

  SUBCASE("and never replaces an existing key") {
    const std::string before = read_file(portal.key_file);
    const RunResult r = code({"keygen", "--out", portal.key_file});
    CHECK(r.status.code == 2);
    CHECK(r.err.find("already exists") != std::string::npos);
    CHECK(read_file(portal.key_file) == before);
  }
}

TEST_CASE("sign then verify round-trips the fields") {
  Portal portal;
  const std::string token = portal.sign({"--prepaid"});
  CHECK(token.size() == codes::kTokenChars);
  CHECK(token.starts_with("ZA1"));

  const Verified v = verify(portal.ring_file, token, "2026-03-01");
  CHECK(v.exit_code == 0);
  CHECK(v.out["kind"] == "signed_token");
  CHECK(v.out["status"] == "ok");
  CHECK(v.out["key_id"] == 7);
  CHECK(v.out["order_id"] == 123456789);
  CHECK(v.out["stand_id"] == 42);
  CHECK(v.out["valid_until"] == "2026-06-30");
  CHECK(v.out["prepaid"] == true);
  CHECK(v.out["expired"] == false);
  CHECK_FALSE(v.out.contains("layout"));

  SUBCASE("from standard input") {
    const Verified s = verify(portal.ring_file, token, "2026-03-01", true);
    CHECK(s.exit_code == 0);
    CHECK(s.out == v.out);
  }
  SUBCASE("with the key file or a single entry as the ring") {
    CHECK(verify(portal.key_file, token, "2026-03-01").out == v.out);
    const std::string single = portal.dir.file("entry.json");
    write_file(single, portal.entry.dump());
    CHECK(verify(single, token, "2026-03-01").out == v.out);
  }
  SUBCASE("not prepaid") {
    const Verified n = verify(portal.ring_file, portal.sign(), "2026-03-01");
    CHECK(n.exit_code == 0);
    CHECK(n.out["prepaid"] == false);
  }
  SUBCASE("past its day the token is still genuine, and says it has expired") {
    const Verified late = verify(portal.ring_file, token, "2026-07-01");
    CHECK(late.out["status"] == "ok");
    CHECK(late.out["expired"] == true);
  }
  SUBCASE("outside the key's validity") {
    const Verified early = verify(portal.ring_file, token, "2025-12-31");
    CHECK(early.exit_code == 1);
    CHECK(early.out["status"] == "key_not_valid");
  }
}

TEST_CASE("a changed symbol is forged, a key missing from the ring is unknown_key") {
  Portal portal;
  const std::string token = portal.sign();

  std::string flipped = token;
  const std::size_t at = 100;  // inside the signature
  flipped[at] = flipped[at] == 'B' ? 'C' : 'B';
  const Verified forged = verify(portal.ring_file, flipped, "2026-03-01");
  CHECK(forged.exit_code == 1);
  CHECK(forged.out["status"] == "forged");

  Portal other("8");
  const Verified unknown = verify(other.ring_file, token, "2026-03-01");
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.out["status"] == "unknown_key");
  CHECK(unknown.out["key_id"] == 7);

  const Verified not_token = verify(portal.ring_file, "4006381333931", "2026-03-01");
  CHECK(not_token.exit_code == 1);
  CHECK(not_token.out["kind"] == "not_a_code");
  CHECK(not_token.out["reason"] == "product_barcode");
}

TEST_CASE("a token typed through a French keyboard is repaired and names the layout") {
  Portal portal;
  const std::string token = portal.sign();
  const std::string mangled = typed_us_on_fr(token);
  REQUIRE(mangled != token);
  const Verified v = verify(portal.ring_file, mangled, "2026-03-01");
  CHECK(v.exit_code == 0);
  CHECK(v.out["status"] == "ok");
  CHECK(v.out["order_id"] == 123456789);
  CHECK(v.out["layout"] == "us>fr");
}

TEST_CASE("sign --png writes a QR code that reads back as the token") {
  Portal portal;
  const std::string png = portal.dir.file("token.png");
  const std::string token = portal.sign({"--png", png});
  const std::string bytes = read_file(png);
  REQUIRE(bytes.size() > 8);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  const QrRead read = read_qr_png(png);
  INFO(read.error);
  REQUIRE(read.ok);
  CHECK(read.text == token);
  CHECK(read.ec_level == "M");
}

TEST_CASE("short prints new valid short codes") {
  const RunResult r = code({"short", "--count", "20"});
  INFO(r.err);
  REQUIRE(r.status.code == 0);
  const auto lines = split_lines(r.out);
  REQUIRE(lines.size() == 20);
  std::set<std::string> distinct(lines.begin(), lines.end());
  CHECK(distinct.size() == 20);
  for (const std::string &line : lines) {
    CHECK(line.size() == 13);  // K7QM-9X2D-F3A
    CHECK(codes::read_short_code(line).status == codes::ShortCodeStatus::ok);
  }
}

TEST_CASE("bad input gets one sentence on stderr and exit status 2") {
  Portal portal;
  const std::string bad_json = portal.dir.file("bad.json");
  write_file(bad_json, "{\"keys\": [");
  const std::string bad_hex = portal.dir.file("bad-hex.json");
  write_file(bad_hex, R"({"keys":[{"key_id":1,"public_key":"not hex"}]})");
  const std::string wrong_type = portal.dir.file("wrong-type.json");
  write_file(wrong_type, R"({"keys":[{"key_id":"one","public_key":[]}]})");
  const std::string token = portal.sign();
  const std::string missing = portal.dir.file("missing.json");

  const std::vector<std::vector<std::string>> cases = {
      {"verify", "--keys", missing, token},
      {"verify", "--keys", bad_json, token},
      {"verify", "--keys", bad_hex, token},
      {"verify", "--keys", wrong_type, token},
      {"verify", "--keys", portal.ring_file, "--now", "2026-02-30", token},
      {"sign", "--key", missing, "--order", "1", "--stand", "1", "--valid-until", "2026-06-30"},
      {"sign", "--key", portal.ring_file, "--order", "1", "--stand", "1", "--valid-until",
       "2026-06-30"},
      {"sign", "--key", portal.key_file, "--order", "281474976710656", "--stand", "1",
       "--valid-until", "2026-06-30"},
      {"sign", "--key", portal.key_file, "--order", "12x", "--stand", "1", "--valid-until",
       "2026-06-30"},
      {"sign", "--key", portal.key_file, "--order", "1", "--stand", "4294967296", "--valid-until",
       "2026-06-30"},
      {"sign", "--key", portal.key_file, "--order", "1", "--stand", "1", "--valid-until",
       "30/06/2026"},
      {"sign", "--key", portal.key_file, "--order", "1", "--stand", "1", "--valid-until",
       "2026-06-30", "--png", portal.dir.file("no-such-folder/t.png")},
      {"sign", "--key", portal.key_file, "--order", "1"},
      {"keygen"},
      {"keygen", "--out", portal.dir.file("k2.json"), "--key-id", "65536"},
      {"keygen", "--out", portal.dir.file("k3.json"), "--valid-from", "2026-13-01"},
      {"short", "--count", "many"},
      {"verify", "--keys"},
      {"frobnicate"},
  };
  for (const auto &args : cases) {
    std::string shown;
    for (const auto &a : args) shown += a.substr(0, 30) + ' ';
    CAPTURE(shown);
    const RunResult r = code(args);
    CAPTURE(r.err);
    CHECK(r.status.exited);
    CHECK(r.status.code == 2);
    CHECK(r.out.empty());
    CHECK(split_lines(r.err).size() == 1);
    CHECK(r.err.starts_with("comptoir-code: "));
  }
  CHECK_FALSE(file_exists(portal.dir.file("k2.json")));
  CHECK_FALSE(file_exists(portal.dir.file("k3.json")));
}

}  // namespace
}  // namespace comptoir::test
