// The portal's side of provisioning: its identity key (made at init, made once for a
// portal database older than it, carried by enrolment and ping), ping and ping/download
// over loopback, `remaining` in every page, the snapshot a bundle holds, and the real
// `comptoir-portal identity` and `bundle create` (a file read_bundle accepts with the
// fingerprint `identity` prints; refusals that say what to do and write nothing).
#include <doctest/doctest.h>
#include <httplib.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "portal/server.hpp"
#include "portal/store.hpp"
#include "sync/bundle.hpp"
#include "sync/wire.hpp"
#include "tests/portal/portal_fixture.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef COMPTOIR_BIN_DIR
#error "COMPTOIR_BIN_DIR must name the directory holding comptoir-portal"
#endif

namespace comptoir::test {
namespace {

RunResult portal_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), std::string(COMPTOIR_BIN_DIR) + "/comptoir-portal");
  return run(args);
}

void require_ok(const RunResult &r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == 0);
}

std::map<std::string, std::string> fields(const std::string &out) {
  std::map<std::string, std::string> m;
  for (const auto &line : split_lines(out)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) m[line.substr(0, space)] = line.substr(space + 1);
  }
  return m;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_zero(const codes::PublicKey &k) {
  return std::all_of(k.begin(), k.end(), [](unsigned char b) { return b == 0; });
}

struct Served {
  PortalFixture f;
  std::unique_ptr<portal::Server> server;
  Served() {
    portal::ServerOptions options;
    options.now_ms = [this] { return f.now_ms; };
    options.log = [](const std::string &) {};
    auto s = portal::Server::start(*f.store, options);
    REQUIRE(s.ok());
    server = std::move(*s);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(10, 0);
    return c;
  }
};

TEST_CASE("the identity key is made at init, kept, and is not a signing key") {
  PortalFixture f;
  const codes::KeyPair id = f.store->identity();
  REQUIRE(!is_zero(id.public_key));
  // The pair is whole: it signs what its public half verifies.
  const std::string message = "comptoir";
  REQUIRE(sodium_init() >= 0);
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char *>(message.data()),
                       message.size(), id.secret_key.data());
  CHECK(crypto_sign_verify_detached(sig.data(),
                                    reinterpret_cast<const unsigned char *>(message.data()),
                                    message.size(), id.public_key.data()) == 0);
  auto keys = f.store->keys(f.now_ms);
  REQUIRE(keys.ok());
  for (const auto &k : *keys) CHECK(k.key.public_key != id.public_key);
  // Opened again (and after a key rotation): the same identity.
  REQUIRE(f.store->rotate_keys(f.now_ms).ok());
  auto again = portal::Store::open(f.dir.path().string());
  REQUIRE(again.ok());
  CHECK((*again)->identity().public_key == id.public_key);
  CHECK((*again)->identity().secret_key == id.secret_key);
}

TEST_CASE("a portal database made before identity keys gets one once when opened") {
  TempDir tmp;
  const std::string dir = tmp.file("old");
  {
    auto created = portal::Store::create(dir, "Ancien portail", 1'780'000'000'000);
    REQUIRE(created.ok());
  }
  // What a portal of the previous release holds: no identity in meta.
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open((dir + "/portal.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DELETE FROM meta WHERE key LIKE 'identity_%'", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  sqlite3_stmt *count = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM meta WHERE key LIKE 'identity_%'", -1,
                             &count, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(count) == SQLITE_ROW);
  CHECK(sqlite3_column_int(count, 0) == 0);
  sqlite3_finalize(count);
  sqlite3_close(db);

  auto first = portal::Store::open(dir);
  REQUIRE(first.ok());
  const codes::PublicKey made = (*first)->identity().public_key;
  CHECK(!is_zero(made));
  first->reset();
  auto second = portal::Store::open(dir);
  REQUIRE(second.ok());
  CHECK((*second)->identity().public_key == made);
  // And `comptoir-portal identity` prints that key.
  const auto printed = portal_cmd({"identity", "--data", dir});
  require_ok(printed);
  CHECK(fields(printed.out)["key"] == codes::to_hex(made.data(), made.size()));
  CHECK(fields(printed.out)["fingerprint"] == sync::bundle_fingerprint(made));
  // Never the secret half (its seed is the first 32 bytes).
  const std::string seed = codes::to_hex((*second)->identity().secret_key.data(), 32);
  CHECK(printed.out.find(seed) == std::string::npos);
  CHECK(printed.err.find(seed) == std::string::npos);
}

TEST_CASE("every changes page says how many orders remain after it") {
  PortalFixture f;
  for (int i = 0; i < 5; ++i) f.add(f.order(i % 2 == 0 ? 1 : 2));
  const portal::Device device = f.enrol({1});
  std::string cursor;
  std::vector<std::int64_t> remaining;
  std::size_t pulled = 0;
  for (;;) {
    auto page = f.store->changes(device, cursor, 2, f.now_ms);
    REQUIRE(page.ok());
    REQUIRE(page->remaining.has_value());
    pulled += page->orders.size();
    remaining.push_back(*page->remaining);
    CHECK(static_cast<std::size_t>(*page->remaining) == 5 - pulled);
    if (!page->more) break;
    cursor = page->cursor;
  }
  CHECK(remaining == std::vector<std::int64_t>{3, 1, 0});
  // Up to date: nothing remains, and the JSON says so.
  auto last = f.store->changes(device, cursor, 2, f.now_ms);
  REQUIRE(last.ok());
  CHECK(wire::to_json(*last).find("\"remaining\":0") != std::string::npos);
}

TEST_CASE("the snapshot is what a device enrolled for the stands pulls") {
  PortalFixture f;
  std::vector<portal::OrderCode> ours, theirs;
  for (int i = 0; i < 7; ++i) {
    (i % 3 == 0 ? theirs : ours).push_back(f.add(f.order(i % 3 == 0 ? 2 : 1)));
  }
  auto snap = f.store->snapshot({1}, f.now_ms);
  REQUIRE(snap.ok());
  CHECK(!snap->more);
  CHECK(!snap->remaining.has_value());
  REQUIRE(snap->keys.has_value());
  // The same rows as pulling page by page (small pages) with a device serving stand 1.
  const portal::Device device = f.enrol({1});
  std::string cursor;
  std::vector<wire::Order> pulled;
  for (;;) {
    auto page = f.store->changes(device, cursor, 3, f.now_ms);
    REQUIRE(page.ok());
    pulled.insert(pulled.end(), page->orders.begin(), page->orders.end());
    if (!page->more) {
      CHECK(page->cursor == snap->cursor);
      break;
    }
    cursor = page->cursor;
  }
  CHECK(snap->orders == pulled);
  for (const auto &o : snap->orders) {
    if (o.stand_id == 1) {
      CHECK(o.customer == "Marie D.");
      CHECK(o.lines.size() == 2);
    } else {
      CHECK(o.customer.empty());
      CHECK(o.lines.empty());
    }
  }
  // Products only of the stand served.
  for (const auto &p : snap->products) CHECK(p.stand_id == 1);
  CHECK(f.store->snapshot({9}, f.now_ms).error().code == "unknown_stand");
}

TEST_CASE("an enrolment code can be made to live as long as a bundle") {
  PortalFixture f;
  const std::int64_t later = f.now_ms + 10LL * 24 * 3600 * 1000;
  auto code = f.store->make_enrolment_code({1}, f.now_ms, later);
  REQUIRE(code.ok());
  const auto device_key = codes::generate_key_pair();
  // Used past the usual 24 hours, before its own expiry.
  auto answer = f.store->enrol({*code, device_key.public_key, "caisse"}, later - 1);
  REQUIRE(answer.ok());
  CHECK(answer->portal_key == f.store->identity().public_key);
  auto late = f.store->make_enrolment_code({1}, f.now_ms, f.now_ms + 1000);
  REQUIRE(late.ok());
  CHECK(f.store->enrol({*late, device_key.public_key, "caisse"}, f.now_ms + 1000).error().code ==
        "code_expired");
  CHECK(f.store->make_enrolment_code({1}, f.now_ms, f.now_ms).error().code == "invalid");
}

TEST_CASE("ping answers with the portal's name, clock and identity, unauthenticated") {
  Served s;
  auto c = s.client();
  auto res = c.Get("/api/v1/ping");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Cache-Control") == "no-store");
  auto ping = wire::parse_ping_response(res->body);
  REQUIRE(ping.ok());
  CHECK(ping->portal_name == "Portail de test");
  CHECK(ping->portal_time_ms == s.f.now_ms);
  CHECK(ping->protocol == wire::kProtocolVersion);
  CHECK(ping->portal_key == s.f.store->identity().public_key);

  // The enrolment answer carries the same key.
  auto code = s.f.store->make_enrolment_code({1}, s.f.now_ms);
  REQUIRE(code.ok());
  const auto device = codes::generate_key_pair();
  auto enrolled =
      c.Post("/api/v1/enrol", wire::to_json(wire::EnrolRequest{*code, device.public_key, "caisse"}),
             "application/json");
  REQUIRE(enrolled);
  REQUIRE(enrolled->status == 200);
  auto answer = wire::parse_enrol_response(enrolled->body);
  REQUIRE(answer.ok());
  CHECK(answer->portal_key == s.f.store->identity().public_key);
}

TEST_CASE("ping download sends N random bytes, never compressed, and refuses bad sizes") {
  Served s;
  auto c = s.client();
  httplib::Headers gzip_ok{{"Accept-Encoding", "gzip, deflate"}};
  auto res = c.Get("/api/v1/ping/download?bytes=100000", gzip_ok);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.size() == 100000);
  CHECK(res->get_header_value("Content-Type") == "application/octet-stream");
  CHECK(res->get_header_value("Cache-Control") == "no-store");
  CHECK(!res->has_header("Content-Encoding"));
  // Random: two answers differ, and no byte value dominates.
  auto again = c.Get("/api/v1/ping/download?bytes=100000");
  REQUIRE(again);
  CHECK(again->body != res->body);
  std::array<int, 256> counts{};
  for (unsigned char b : res->body) ++counts[b];
  CHECK(*std::max_element(counts.begin(), counts.end()) < 600);  // ~390 expected

  auto fallback = c.Get("/api/v1/ping/download");
  REQUIRE(fallback);
  CHECK(fallback->body.size() == 65536);
  auto most = c.Get("/api/v1/ping/download?bytes=" + std::to_string(wire::kMaxPingBytes));
  REQUIRE(most);
  CHECK(most->body.size() == wire::kMaxPingBytes);
  for (const std::string &bad :
       std::vector<std::string>{"0", "-1", "abc", "12x", std::to_string(wire::kMaxPingBytes + 1)}) {
    CAPTURE(bad);
    auto r = c.Get("/api/v1/ping/download?bytes=" + bad);
    REQUIRE(r);
    CHECK(r->status == 400);
    auto body = wire::parse_error_body(r->body);
    REQUIRE(body.ok());
    CHECK(body->error == "bad_request");
  }
}

int enrolment_codes(const std::string &dir) {
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open_v2((dir + "/portal.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt *s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM enrolment_codes", -1, &s, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  const int n = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

// A portal made through the binary: stands 1 and 2, a product each, orders of both.
struct CliPortal {
  TempDir tmp;
  std::string dir = tmp.file("portal");
  CliPortal() {
    require_ok(portal_cmd({"init", "--data", dir, "--name", "Portail Sud-Aveyron"}));
    require_ok(portal_cmd({"stand", "add", "--data", dir, "--id", "1", "--name", "La Ferme"}));
    require_ok(portal_cmd({"stand", "add", "--data", dir, "--id", "2", "--name", "Les Ruchers"}));
    require_ok(portal_cmd({"product", "add", "--data", dir, "--id", "10", "--stand", "1", "--name",
                           "Œufs", "--unit", "pièce"}));
    require_ok(portal_cmd({"product", "add", "--data", dir, "--id", "20", "--stand", "2", "--name",
                           "Miel", "--unit", "pot"}));
    require_ok(portal_cmd({"order", "add", "--data", dir, "--stand", "1", "--customer", "Marie D.",
                           "--line", "10:6000:300", "--paid", "1800"}));
    require_ok(portal_cmd({"order", "add", "--data", dir, "--stand", "1", "--customer", "Jean P.",
                           "--line", "10:12000:300"}));
    require_ok(portal_cmd({"order", "add", "--data", dir, "--stand", "2", "--customer", "Luc R.",
                           "--line", "20:1000:900"}));
  }
};

TEST_CASE(
    "comptoir-portal bundle create writes a bundle read_bundle accepts with the printed "
    "fingerprint") {
  CliPortal p;
  const auto identity = portal_cmd({"identity", "--data", p.dir});
  require_ok(identity);
  const std::string fingerprint = fields(identity.out)["fingerprint"];
  const auto key = sync::parse_public_key_hex(fields(identity.out)["key"]);
  REQUIRE(key.has_value());
  CHECK(sync::bundle_fingerprint(*key) == fingerprint);

  const std::string config = "# la caisse du marché\n[sync]\ninterval_s = 60\n";
  write_file(p.tmp.file("comptoir.toml"), config);
  const std::string out = p.tmp.file("stick/caisse.bundle");
  std::filesystem::create_directories(p.tmp.file("stick"));
  const std::int64_t before = wall_ms();
  const auto made = portal_cmd({"bundle", "create", "--data", p.dir, "--stand", "1", "--out", out,
                                "--url", "https://portal.example.org/", "--days", "30", "--config",
                                p.tmp.file("comptoir.toml"), "--name", "Caisse 1"});
  require_ok(made);
  const std::int64_t after = wall_ms();
  auto printed = fields(made.out);
  CHECK(printed["bundle"] == out);
  CHECK(printed["fingerprint"] == fingerprint);
  CHECK(printed["url"] == "https://portal.example.org");
  CHECK(printed["stand"] == "1");
  CHECK(printed["orders"].starts_with("3 (2 of stand 1, 1 stubs"));
  CHECK(!printed["expires"].empty());
  struct stat st {};
  REQUIRE(::stat(out.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // No temporary file left beside it.
  CHECK(std::distance(std::filesystem::directory_iterator(p.tmp.file("stick")),
                      std::filesystem::directory_iterator()) == 1);

  auto bundle =
      sync::read_bundle(read_file(out), sync::BundleTrust{std::nullopt, fingerprint}, wall_ms());
  REQUIRE_MESSAGE(bundle.ok(), (bundle.ok() ? std::string() : bundle.error().detail));
  CHECK(bundle->portal_name == "Portail Sud-Aveyron");
  CHECK(bundle->portal_url == "https://portal.example.org");
  CHECK(bundle->portal_key == *key);
  CHECK(bundle->stand_id == 1);
  CHECK(bundle->config_toml == config);
  CHECK(bundle->created_ms >= before);
  CHECK(bundle->created_ms <= after);
  CHECK(bundle->expires_ms == bundle->created_ms + 30LL * 24 * 3600 * 1000);
  CHECK(bundle->enrol_code.size() == 12);
  REQUIRE(bundle->snapshot.orders.size() == 3);
  for (const auto &o : bundle->snapshot.orders) {
    if (o.stand_id == 1) {
      CHECK(!o.customer.empty());
      CHECK(o.lines.size() == 1);
    } else {
      CHECK(o.customer.empty());
      CHECK(o.lines.empty());
    }
  }
  CHECK(bundle->snapshot.keys.has_value());
  // The bundle's code enrols a device for stand 1 for as long as the bundle lives (past
  // the usual 24 hours), and the portal answers with the key that signed the bundle.
  auto store = portal::Store::open(p.dir);
  REQUIRE(store.ok());
  const auto device = codes::generate_key_pair();
  auto enrolled = (*store)->enrol({bundle->enrol_code, device.public_key, "caisse"},
                                  bundle->expires_ms - 3600 * 1000);
  REQUIRE(enrolled.ok());
  CHECK(enrolled->portal_key == *key);
  REQUIRE(enrolled->stands.size() == 1);
  CHECK(enrolled->stands[0].id == 1);
}

TEST_CASE("comptoir-portal bundle create refuses saying what to do and writes nothing") {
  CliPortal p;
  const std::string out = p.tmp.file("caisse.bundle");
  auto refused = [&](std::vector<std::string> extra, int code, const std::string &mentions) {
    std::vector<std::string> args{"bundle", "create", "--data", p.dir, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = portal_cmd(args);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.status.exited);
    CHECK(r.status.code == code);
    CHECK(r.err.find(mentions) != std::string::npos);
    CHECK(!std::filesystem::exists(out));
  };
  refused({"--stand", "9"}, 1, "stand add");
  write_file(p.tmp.file("big.toml"), std::string(64 * 1024 + 1, '#'));
  refused({"--stand", "1", "--config", p.tmp.file("big.toml")}, 1, "64 KiB");
  refused({"--stand", "1", "--config", p.tmp.file("none.toml")}, 1, "comptoir.toml");
  refused({"--stand", "1", "--days", "91"}, 2, "--days");
  refused({"--stand", "1", "--url", "portal.example.org"}, 2, "--url");
  const auto r = portal_cmd({"bundle", "create", "--data", p.dir, "--stand", "1", "--out",
                             p.tmp.file("missing/dir/x.bundle")});
  REQUIRE(r.status.exited);
  CHECK(r.status.code == 1);
  CHECK(r.err.find("--out") != std::string::npos);
  // No enrolment code was made by the refusals; the bundle that works makes one.
  CHECK(enrolment_codes(p.dir) == 0);
  require_ok(portal_cmd({"bundle", "create", "--data", p.dir, "--stand", "1", "--out", out}));
  CHECK(std::filesystem::exists(out));
  CHECK(enrolment_codes(p.dir) == 1);
}

}  // namespace
}  // namespace comptoir::test
