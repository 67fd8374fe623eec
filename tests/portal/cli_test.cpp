// The real `comptoir-portal`: an import with a bad row changes nothing; `demo` writes 500
// orders in every state and the codes file; `enrol` prints a code that works once and a QR
// of it; `order add` and `order code` print codes whose token verifies; `serve` prints its
// address, answers while admin commands run, and exits 0 on SIGTERM; every refusal says what
// to do next (exit 1), usage errors exit 2.
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "codes/short_code.hpp"
#include "portal/store.hpp"
#include "sync/wire.hpp"
#include "tests/drivers/qr_read.hpp"
#include "tests/portal/portal_fixture.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef COMPTOIR_BIN_DIR
#error "COMPTOIR_BIN_DIR must name the directory holding comptoir-portal"
#endif

namespace comptoir::test {
namespace {

std::string binary() {
  return std::string(COMPTOIR_BIN_DIR) + "/comptoir-portal";
}

RunResult portal_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), binary());
  return run(args);
}

void require_ok(const RunResult &r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == 0);
}

void require_refused(const RunResult &r, int code, const std::string &mentions) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status.exited);
  CHECK(r.status.code == code);
  CHECK(r.err.find(mentions) != std::string::npos);
}

// The codes the binary makes are timed by the real clock.
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "key value" lines, as `order add`, `order code` and `enrol` print them.
std::map<std::string, std::string> fields(const std::string &out) {
  std::map<std::string, std::string> m;
  for (const auto &line : split_lines(out)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) m[line.substr(0, space)] = line.substr(space + 1);
  }
  return m;
}

// A portal made through the binary: stand 1 with products 1000 and 1001.
struct CliPortal {
  TempDir tmp;
  std::string dir = tmp.file("portal");

  CliPortal() {
    require_ok(portal_cmd({"init", "--data", dir, "--name", "Portail Sud-Aveyron"}));
    require_ok(portal_cmd({"stand", "add", "--data", dir, "--id", "1", "--name",
                           "La Ferme du Bois Joli", "--place", "Saint-Affrique"}));
    require_ok(portal_cmd({"product", "add", "--data", dir, "--id", "1000", "--stand", "1",
                           "--name", "Œufs", "--unit", "pièce"}));
    require_ok(portal_cmd({"product", "add", "--data", dir, "--id", "1001", "--stand", "1",
                           "--name", "Tomme", "--unit", "kg", "--variable-weight"}));
  }

  std::unique_ptr<portal::Store> open() const {
    auto store = portal::Store::open(dir);
    REQUIRE(store.ok());
    return std::move(*store);
  }
};

TEST_CASE("an import with one bad row imports nothing and names the row and the field") {
  CliPortal p;
  const std::int64_t seq = p.open()->current_seq().value();
  const std::string header = "number,stand,customer,from,until,paid,lines\n";
  const std::string good =
      "C-1,1,\"Dupont, Marie\",2026-05-02T08:00:00Z,2026-05-09T18:00:00Z,2150,1000:6000:30\n"
      "C-2,1,Paul,2026-05-02T08:00:00Z,2026-05-09T18:00:00Z,0,1000:1000:30 1001:1250:1520\n";

  // Caught by the store: a product that does not exist.
  write_file(p.tmp.file("bad-product.csv"),
             header + good + "C-3,1,Anne,2026-05-02T08:00:00Z,2026-05-09T18:00:00Z,0,4242:1:1\n");
  auto r = portal_cmd({"order", "import", "--data", p.dir, p.tmp.file("bad-product.csv")});
  require_refused(r, 1, "row 4: lines[0]: product 4242 does not exist");
  CHECK(r.err.find("Nothing was imported") != std::string::npos);
  CHECK(r.out.empty());

  // Caught while reading: a time that is none.
  write_file(p.tmp.file("bad-time.csv"),
             header + good + "C-3,1,Anne,next tuesday,2026-05-09T18:00:00Z,0,1000:1:1\n");
  r = portal_cmd({"order", "import", "--data", p.dir, p.tmp.file("bad-time.csv")});
  require_refused(r, 1, "row 4, from");

  auto store = p.open();
  CHECK(store->current_seq().value() == seq);
  CHECK(store->find_order("C-1").error().code == "unknown_order");

  write_file(p.tmp.file("good.csv"), header + good);
  r = portal_cmd({"order", "import", "--data", p.dir, p.tmp.file("good.csv")});
  require_ok(r);
  const auto lines = split_lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("C-1\t", 0) == 0);
  const auto c1 = store->find_order("C-1");
  REQUIRE(c1.ok());
  CHECK(c1->customer == "Dupont, Marie");
  CHECK(c1->paid_cents == 2150);
  CHECK(store->find_order("C-2")->lines.size() == 2);

  write_file(p.tmp.file("orders.json"),
             R"([{"number": "J-1", "stand": 1, "customer": "Léa", "from": 1777708800,
                  "until": "2026-05-09T18:00:00+02:00", "due": 450,
                  "lines": [{"product": 1001, "quantity_milli": 800, "price_cents": 1520}]}])");
  require_ok(portal_cmd({"order", "import", "--data", p.dir, p.tmp.file("orders.json")}));
  CHECK(store->find_order("J-1")->due_cents == 450);

  // The same numbers again: refused whole.
  r = portal_cmd({"order", "import", "--data", p.dir, p.tmp.file("good.csv")});
  require_refused(r, 1, "row 2: number");
  require_refused(portal_cmd({"order", "import", "--data", p.dir, p.tmp.file("none.csv")}), 1,
                  "cannot read");
}

TEST_CASE("demo writes a region of 500 orders in every state and the codes to try") {
  TempDir tmp;
  const std::string dir = tmp.file("demo"), codes_file = tmp.file("codes.tsv");
  const auto r = portal_cmd({"demo", "--data", dir, "--codes", codes_file});
  require_ok(r);
  CHECK(r.out.find("500 orders") != std::string::npos);

  auto store = portal::Store::open(dir);
  REQUIRE(store.ok());
  CHECK((*store)->portal_name().value() == "Portail de démonstration");
  const portal::Device all{"dev-x", {}, "x", {1, 2, 3}, 0, std::nullopt, 0};
  auto page = (*store)->changes(all, "", 1000, 0);
  REQUIRE(page.ok());
  CHECK_FALSE(page->more);
  REQUIRE(page->orders.size() == 500);
  std::set<wire::OrderStatus> statuses;
  std::map<std::string, std::int64_t> code_of;
  for (const auto &o : page->orders) {
    statuses.insert(o.status);
    code_of[o.number] = o.short_code;
  }
  CHECK(statuses.size() == 4);
  CHECK(page->stands.size() == 3);

  const auto lines = split_lines(read_file(codes_file));
  CHECK(lines.size() > 500);
  std::set<std::string> verdicts;
  int short_codes_checked = 0;
  for (const auto &line : lines) {
    const auto tab1 = line.find('\t');
    REQUIRE(tab1 != std::string::npos);
    const auto tab2 = line.find('\t', tab1 + 1);
    REQUIRE(tab2 != std::string::npos);
    const std::string code = line.substr(0, tab1), verdict = line.substr(tab1 + 1, tab2 - tab1 - 1),
                      number = line.substr(tab2 + 1);
    verdicts.insert(verdict);
    // A well-formed short code of a stored order is that order's code.
    const auto read = codes::read_short_code(code);
    if (read.status == codes::ShortCodeStatus::ok && code_of.count(number) == 1) {
      CHECK(static_cast<std::int64_t>(read.value) == code_of.at(number));
      ++short_codes_checked;
    }
  }
  CHECK(short_codes_checked > 100);
  for (const char *v : {"ready", "wrong_stand", "cancelled", "already_collected", "too_early",
                        "expired", "payment_due", "not_ready"}) {
    CAPTURE(v);
    CHECK(verdicts.count(v) == 1);
  }
  // Once is enough: a second demo in the same place is refused, its codes left alone.
  const std::string codes_before = read_file(codes_file);
  require_refused(portal_cmd({"demo", "--data", dir, "--codes", codes_file}), 1,
                  "already holds a portal");
  CHECK(read_file(codes_file) == codes_before);
}

TEST_CASE("enrol prints a code that works once, and its QR code") {
  CliPortal p;
  const std::string png = p.tmp.file("enrol.png");
  const auto r = portal_cmd(
      {"enrol", "--data", p.dir, "--stand", "1", "--url", "https://portail.test/", "--png", png});
  require_ok(r);
  const auto f = fields(r.out);
  const std::string code = f.at("code");
  REQUIRE(code.size() == 14);
  CHECK(code[4] == '-');
  CHECK(code[9] == '-');
  const std::string bare = code.substr(0, 4) + code.substr(5, 4) + code.substr(10, 4);
  CHECK(f.at("qr") == "https://portail.test/api/v1/enrol?code=" + bare);
  const QrRead qr = read_qr_png(png);
  REQUIRE_MESSAGE(qr.ok, qr.error);
  CHECK(qr.text == f.at("qr"));

  auto store = p.open();
  const codes::KeyPair key = codes::generate_key_pair();
  auto first = store->enrol({code, key.public_key, "caisse"}, wall_ms());
  REQUIRE_MESSAGE(first.ok(), (first.ok() ? std::string() : first.error().detail));
  CHECK(first->stands.size() == 1);
  const codes::KeyPair other = codes::generate_key_pair();
  auto second = store->enrol({code, other.public_key, "caisse"}, first->portal_time_ms);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == "code_used");

  const auto devices = portal_cmd({"devices", "list", "--data", p.dir});
  require_ok(devices);
  CHECK(devices.out.find(first->device_id + "\tcaisse\tstands 1") != std::string::npos);
  require_ok(portal_cmd({"devices", "revoke", "--data", p.dir, first->device_id}));
  CHECK(store->find_device(first->device_id)->revoked());

  require_refused(portal_cmd({"enrol", "--data", p.dir, "--stand", "9"}), 1, "stand add");
  require_refused(portal_cmd({"enrol", "--data", p.dir}), 2, "missing --stand");
  require_refused(portal_cmd({"devices", "revoke", "--data", p.dir, "dev-99"}), 1, "devices list");
}

TEST_CASE("order add and order code print codes whose token verifies, and a QR of it") {
  CliPortal p;
  auto r = portal_cmd({"order", "add", "--data", p.dir, "--stand", "1", "--customer", "Marie D.",
                       "--line", "1000:6000:30", "--line", "1001:1250:1520", "--due", "450",
                       "--until", "2030-01-01T00:00:00Z"});
  require_ok(r);
  const auto added = fields(r.out);
  CHECK(added.at("number") == "C-100001");
  CHECK(codes::read_short_code(added.at("code")).status == codes::ShortCodeStatus::ok);

  const std::string png = p.tmp.file("token.png");
  r = portal_cmd({"order", "code", "--data", p.dir, "C-100001", "--png", png});
  require_ok(r);
  const auto again = fields(r.out);
  CHECK(again.at("token") == added.at("token"));
  CHECK(again.at("code") == added.at("code"));
  const QrRead qr = read_qr_png(png);
  REQUIRE_MESSAGE(qr.ok, qr.error);
  CHECK(qr.text == added.at("token"));

  auto store = p.open();
  auto keys = store->keys(0);
  REQUIRE(keys.ok());
  const auto token = codes::read_token(added.at("token"), codes::KeyRing{{keys->front().key}},
                                       keys->front().key.valid_from_s + 3600);
  CHECK(token.status == codes::TokenStatus::ok);
  CHECK(token.fields.order_id == 100001);
  CHECK_FALSE(token.fields.prepaid());

  r = portal_cmd({"order", "cancel", "--data", p.dir, "C-100001", "--refund"});
  require_ok(r);
  CHECK(store->find_order("C-100001")->status == wire::OrderStatus::cancelled);

  require_refused(portal_cmd({"order", "code", "--data", p.dir, "C-9"}), 1,
                  "Check the order's number");
  require_refused(portal_cmd({"order", "add", "--data", p.dir, "--stand", "1", "--customer", "X"}),
                  2, "missing --line");
  require_refused(portal_cmd({"order", "add", "--data", p.dir, "--stand", "2", "--customer", "X",
                              "--line", "1000:1:1"}),
                  1, "stand add");
  require_refused(portal_cmd({"order", "add", "--data", p.dir, "--stand", "1", "--customer", "X",
                              "--line", "1000:0:1"}),
                  1, "quantity");
  TempDir elsewhere;
  require_refused(portal_cmd({"order", "code", "--data", elsewhere.path().string(), "C-1"}), 1,
                  "comptoir-portal init");
  require_refused(portal_cmd({"frobnicate"}), 2, "unknown command");
  require_refused(portal_cmd({"stand", "add", "--data", p.dir, "--id", "x", "--name", "n"}), 2,
                  "--id takes a whole number");
}

TEST_CASE("keys rotate and list, conflicts and events show what the appliances pushed") {
  CliPortal p;
  require_ok(portal_cmd({"order", "add", "--data", p.dir, "--stand", "1", "--customer", "A",
                         "--line", "1000:1000:30"}));
  auto r = portal_cmd({"keys", "rotate", "--data", p.dir});
  require_ok(r);
  CHECK(r.out.find("key 2 signs new codes") != std::string::npos);
  r = portal_cmd({"keys", "list", "--data", p.dir});
  require_ok(r);
  const auto keys = split_lines(r.out);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].find("1 orders") != std::string::npos);
  CHECK(keys[1].find("key 2 (signing)") == 0);

  auto store = p.open();
  const std::int64_t now = wall_ms();
  auto code = store->make_enrolment_code({1}, now);
  REQUIRE(code.ok());
  auto enrolled = store->enrol({*code, codes::generate_key_pair().public_key, "caisse"}, now);
  REQUIRE(enrolled.ok());
  auto device = store->find_device(enrolled->device_id);
  REQUIRE(device.ok());
  REQUIRE(store->cancel_order("C-100001", false, now).ok());
  REQUIRE(store
              ->push(*device,
                     {{handover(1, 100001, wire::EventKind::full, now),
                       handover(2, 100001, wire::EventKind::refused, now + 1)}},
                     now)
              .ok());

  r = portal_cmd({"conflicts", "--data", p.dir});
  require_ok(r);
  auto lines = split_lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("C-100001\tfull\tÉlodie\tcancelled\t" + uuid(1)) != std::string::npos);
  r = portal_cmd({"events", "--data", p.dir, "--order", "C-100001"});
  require_ok(r);
  lines = split_lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("refused (Client absent)") != std::string::npos);
}

TEST_CASE("serve prints its address, answers while admin commands run, exits 0 on SIGTERM") {
  TempDir tmp;
  const std::string dir = tmp.file("demo");
  require_ok(portal_cmd({"demo", "--data", dir, "--orders", "40"}));

  Subprocess serve({binary(), "serve", "--data", dir, "--listen", "127.0.0.1:0"});
  const auto line = serve.read_line();
  REQUIRE(line.has_value());
  const std::string prefix = "listening on http://127.0.0.1:";
  REQUIRE(line->rfind(prefix, 0) == 0);
  const int port = std::stoi(line->substr(prefix.size()));
  CHECK(port > 0);

  httplib::Client client("127.0.0.1", port);
  auto r = client.Get("/api/v1/changes");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(wire::parse_error_body(r->body)->error == "unauthenticated");

  // The admin's commands while the server holds the database.
  require_ok(portal_cmd({"order", "cancel", "--data", dir, "C-100001"}));
  auto enrol = portal_cmd({"enrol", "--data", dir, "--stand", "1"});
  require_ok(enrol);
  const codes::KeyPair key = codes::generate_key_pair();
  auto enrolled = client.Post(
      "/api/v1/enrol",
      wire::to_json(wire::EnrolRequest{fields(enrol.out).at("code"), key.public_key, "kiosque"}),
      "application/json");
  REQUIRE(enrolled);
  CHECK(enrolled->status == 200);

  serve.kill(SIGTERM);
  const ExitStatus status = serve.wait();
  INFO(serve.stderr_text());
  CHECK(status.exited);
  CHECK(status.code == 0);
  CHECK(serve.stderr_text().find("GET /api/v1/changes 401 - ") != std::string::npos);
  CHECK(serve.stderr_text().find("POST /api/v1/enrol 200 dev-1 ") != std::string::npos);

  require_refused(portal_cmd({"serve", "--data", dir, "--listen", "0.0.0.0:0"}), 1, "--insecure");
  require_refused(portal_cmd({"serve", "--data", dir, "--listen", "nowhere"}), 2, "HOST:PORT");
  require_refused(portal_cmd({"serve", "--data", tmp.file("none"), "--listen", "127.0.0.1:0"}), 1,
                  "comptoir-portal init");
}

}  // namespace
}  // namespace comptoir::test
