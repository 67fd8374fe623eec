// The wire contract (docs/protocol.md): every value's JSON round-trips, every validation
// rule refuses what it must and names where, garbage of every kind is refused without a
// crash, and the bytes a page or a push costs stay within the benchmark's targets.
#include "sync/wire.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "codes/short_code.hpp"
#include "sync/demo_region.hpp"

namespace comptoir::test {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1'763'900'000;

codes::PortalKey key(std::uint16_t id) {
  codes::PortalKey k;
  k.key_id = id;
  for (std::size_t i = 0; i < k.public_key.size(); ++i) {
    k.public_key[i] = static_cast<unsigned char>(i * 7 + id);
  }
  k.valid_from_s = 1'760'000'000;
  k.valid_until_s = 1'800'000'000;
  return k;
}

wire::Order ready_order() {
  wire::Order o;
  o.id = 100001;
  o.number = "C-100001";
  o.stand_id = 1;
  o.customer = "Marie D.";
  o.status = wire::OrderStatus::ready;
  o.pickup_from = 1'763'892'800;
  o.pickup_until = 1'764'065'600;
  o.paid_cents = 2150;
  o.due_cents = 0;
  o.short_code = 0x3'1234'5678'9ABC;
  o.lines = {{1, 1000, 2000, 780}, {2, 1003, 1250, 350}, {3, 1004, 1000, 1020}};
  return o;
}

wire::ChangesPage sample_page() {
  wire::ChangesPage page;
  page.cursor = "s1042";
  page.more = true;
  page.portal_time_ms = kNow * 1000;
  page.stands = {{1, "La Ferme du Bois Joli", "Marché de Saint-Affrique"},
                 {2, "Boulangerie Marchand", ""}};
  page.products = {{1000, 1, "Œufs fermiers", "pièce", false},
                   {1003, 1, "Carottes", "kg", true},
                   {1004, 1, "Tomme", "kg", true}};
  page.orders.push_back(ready_order());
  wire::Order collected = ready_order();
  collected.id = 100002;
  collected.number = "C-100002";
  collected.status = wire::OrderStatus::collected;
  collected.collected_at_ms = kNow * 1000 - 5000;
  collected.collected_device = "dev-3";
  collected.collected_staff = "Élodie";
  collected.short_code = static_cast<std::int64_t>(codes::kShortCodeMax);
  page.orders.push_back(collected);
  wire::Order stub;  // another stand's order: no customer, no lines, amounts 0
  stub.id = 100003;
  stub.number = "C-100003";
  stub.stand_id = 2;
  stub.status = wire::OrderStatus::pending;
  stub.pickup_from = stub.pickup_until = 1'763'892'800;
  page.orders.push_back(stub);
  page.keys = std::vector<codes::PortalKey>{key(1), key(2)};
  return page;
}

wire::Event event(std::string uuid, wire::EventKind kind) {
  wire::Event e;
  e.uuid = std::move(uuid);
  e.order_id = 100001;
  e.kind = kind;
  e.wall_ms = kNow * 1000;
  return e;
}

constexpr const char *kUuid1 = "019a8f5e-1c2d-7e3f-8a4b-5c6d7e8f9a0b";
constexpr const char *kUuid2 = "019a8f5f-1c2d-7e3f-9a4b-5c6d7e8f9a0b";
constexpr const char *kUuid3 = "019a8f60-1c2d-7e3f-aa4b-5c6d7e8f9a0b";
constexpr const char *kUuid4 = "019a8f61-1c2d-7e3f-ba4b-5c6d7e8f9a0b";

wire::PushRequest sample_push() {
  wire::PushRequest r;
  wire::Event full = event(kUuid1, wire::EventKind::full);
  full.lines_handed = {1, 2, 3};
  full.staff = "Élodie";
  wire::Event partial = event(kUuid2, wire::EventKind::partial);
  partial.lines_handed = {1, 3};
  partial.lines_missing = {2};
  wire::Event refused = event(kUuid3, wire::EventKind::refused);
  refused.order_id = 100004;
  refused.reason = "Client absent";
  wire::Event undo = event(kUuid4, wire::EventKind::undo);
  undo.undoes = kUuid2;
  r.events = {full, partial, refused, undo};
  return r;
}

wire::EnrolResponse sample_enrol_response() {
  wire::EnrolResponse r;
  r.device_id = "dev-7";
  r.portal_name = "Portail Sud-Aveyron";
  r.stands = {{1, "La Ferme du Bois Joli", "Marché de Saint-Affrique"}};
  r.keys = {key(1)};
  r.portal_time_ms = kNow * 1000;
  return r;
}

// The value of Crockford symbols, as the short-code codec reads them.
std::int64_t symbols_value(std::string_view symbols) {
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::int64_t value = 0;
  for (const char c : symbols) value = value * 32 + static_cast<std::int64_t>(kAlphabet.find(c));
  return value;
}

std::string error_of(const Error &e) {
  return e.code + ": " + e.detail;
}

// The parse's error, for a body that must be refused.
template <class T>
std::string refusal(const Result<T> &r) {
  if (r.ok()) return "(accepted)";
  CHECK(r.error().code == "wire_invalid");
  return r.error().detail;
}

std::string page_refusal(const json &j) {
  return refusal(wire::parse_changes_page(j.dump()));
}
std::string push_refusal(const json &j) {
  return refusal(wire::parse_push_request(j.dump()));
}

// Compact JSON has no space outside strings.
bool compact(std::string_view text) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"' && (i == 0 || text[i - 1] != '\\')) in_string = !in_string;
    if (!in_string && (text[i] == ' ' || text[i] == '\n')) return false;
  }
  return true;
}

std::string gzipped(std::string_view data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A page of demo orders (those at `picks` in the region, or the first max_orders), with
// the products they use, as a portal would serve the local stand's.
wire::ChangesPage demo_page(std::int64_t orders, std::size_t max_orders,
                            const std::vector<std::size_t> &picks = {}) {
  auto region = sync::make_demo_region({orders, 2026, kNow});
  REQUIRE(region.ok());
  wire::ChangesPage page;
  page.cursor = "s" + std::to_string(orders);
  page.portal_time_ms = kNow * 1000;
  page.stands = region->stands;
  for (std::size_t i = 0; i < region->orders.size() && page.orders.size() < max_orders; ++i) {
    if (picks.empty() || std::find(picks.begin(), picks.end(), i) != picks.end()) {
      page.orders.push_back(region->orders[i]);
    }
  }
  std::set<std::int64_t> used;
  for (const auto &o : page.orders) {
    for (const auto &l : o.lines) used.insert(l.product_id);
  }
  for (const auto &p : region->products) {
    if (used.contains(p.id)) page.products.push_back(p);
  }
  page.keys = std::vector<codes::PortalKey>{region->portal_public};
  return page;
}

}  // namespace

TEST_CASE("every wire value round-trips through compact JSON") {
  const wire::ChangesPage page = sample_page();
  const std::string page_json = wire::to_json(page);
  CHECK(compact(page_json));
  auto parsed_page = wire::parse_changes_page(page_json);
  INFO((parsed_page ? std::string() : error_of(parsed_page.error())));
  REQUIRE(parsed_page.ok());
  CHECK(*parsed_page == page);

  wire::ChangesPage no_keys = page;
  no_keys.keys.reset();
  no_keys.more = false;
  const std::string no_keys_json = wire::to_json(no_keys);
  CHECK(no_keys_json.find("\"keys\"") == std::string::npos);
  auto parsed_no_keys = wire::parse_changes_page(no_keys_json);
  REQUIRE(parsed_no_keys.ok());
  CHECK(*parsed_no_keys == no_keys);
  CHECK_FALSE(parsed_no_keys->keys.has_value());

  // An empty ring is not "no ring": every key was withdrawn.
  wire::ChangesPage empty_ring = no_keys;
  empty_ring.keys.emplace();
  auto parsed_empty_ring = wire::parse_changes_page(wire::to_json(empty_ring));
  REQUIRE(parsed_empty_ring.ok());
  REQUIRE(parsed_empty_ring->keys.has_value());
  CHECK(parsed_empty_ring->keys->empty());

  const wire::PushRequest push = sample_push();
  const std::string push_json = wire::to_json(push);
  CHECK(compact(push_json));
  auto parsed_push = wire::parse_push_request(push_json);
  INFO((parsed_push ? std::string() : error_of(parsed_push.error())));
  REQUIRE(parsed_push.ok());
  CHECK(*parsed_push == push);

  wire::PushResponse response;
  response.acks = {{kUuid1, false, {}},
                   {kUuid2, true, {wire::Conflict::cancelled, wire::Conflict::refunded}},
                   {kUuid3,
                    false,
                    {wire::Conflict::collected_elsewhere, wire::Conflict::unknown_order,
                     wire::Conflict::other_stand}}};
  response.portal_time_ms = kNow * 1000;
  auto parsed_response = wire::parse_push_response(wire::to_json(response));
  REQUIRE(parsed_response.ok());
  CHECK(*parsed_response == response);

  wire::EnrolRequest enrol;
  enrol.code = "K7QM-9X2D-F3A4";
  enrol.device_key = key(9).public_key;
  enrol.name = "caisse-1";
  auto parsed_enrol = wire::parse_enrol_request(wire::to_json(enrol));
  REQUIRE(parsed_enrol.ok());
  CHECK(*parsed_enrol == enrol);

  const wire::EnrolResponse enrolled = sample_enrol_response();
  auto parsed_enrolled = wire::parse_enrol_response(wire::to_json(enrolled));
  REQUIRE(parsed_enrolled.ok());
  CHECK(*parsed_enrolled == enrolled);

  const wire::ErrorBody skew{"clock_skew", "L'horloge de l'appareil est décalée.", kNow * 1000};
  auto parsed_skew = wire::parse_error_body(wire::to_json(skew));
  REQUIRE(parsed_skew.ok());
  CHECK(*parsed_skew == skew);
  const wire::ErrorBody plain{"busy", "Try again later.", std::nullopt};
  CHECK(wire::to_json(plain) == R"({"error":"busy","message":"Try again later."})");
  auto parsed_plain = wire::parse_error_body(wire::to_json(plain));
  REQUIRE(parsed_plain.ok());
  CHECK(*parsed_plain == plain);
}

TEST_CASE("the JSON is exactly the protocol's") {
  // Field names and shapes as docs/protocol.md shows them: lines as arrays, the short code
  // as its 10 symbols, empty event fields left out.
  wire::ChangesPage page;
  page.cursor = "s1";
  page.portal_time_ms = 5;
  wire::Order o = ready_order();
  o.lines.resize(2);
  o.short_code = symbols_value("K7QM9X2DF3");
  REQUIRE(codes::format_short_code(static_cast<std::uint64_t>(o.short_code))
              .starts_with("K7QM-9X2D-F3"));
  page.orders = {o};
  CHECK(wire::to_json(page) ==
        R"({"cursor":"s1","more":false,"portal_time_ms":5,"stands":[],"products":[],"orders":[)"
        R"({"id":100001,"number":"C-100001","stand":1,"customer":"Marie D.","status":"ready",)"
        R"("from":1763892800,"until":1764065600,"paid":2150,"due":0,"code":"K7QM9X2DF3",)"
        R"("lines":[[1,1000,2000,780],[2,1003,1250,350]]}]})");

  wire::PushRequest push;
  wire::Event partial = event(kUuid1, wire::EventKind::partial);
  partial.lines_handed = {1, 3};
  partial.lines_missing = {2};
  partial.staff = "Élodie";
  wire::Event refused = event(kUuid2, wire::EventKind::refused);
  refused.reason = "Client absent";
  wire::Event undo = event(kUuid3, wire::EventKind::undo);
  undo.undoes = kUuid1;
  push.events = {partial, refused, undo};
  CHECK(
      wire::to_json(push) ==
      std::string(R"({"events":[{"uuid":")") + kUuid1 +
          R"(","order":100001,"kind":"partial","handed":[1,3],"missing":[2],"staff":"Élodie",)"
          R"("wall_ms":1763900000000},{"uuid":")" +
          kUuid2 +
          R"(","order":100001,"kind":"refused","reason":"Client absent","wall_ms":1763900000000},)"
          R"({"uuid":")" +
          kUuid3 + R"(","order":100001,"kind":"undo","undoes":")" + kUuid1 +
          R"(","wall_ms":1763900000000}]})");

  wire::EnrolRequest enrol{"K7QM-9X2D-F3A4", {}, "caisse-1"};
  enrol.device_key[31] = 0xAB;
  CHECK(wire::to_json(enrol) == R"({"code":"K7QM-9X2D-F3A4","device_key":")" +
                                    std::string(62, '0') + R"(ab","name":"caisse-1"})");
}

TEST_CASE("the protocol document's examples parse") {
  const std::string key_hex(64, 'a');
  const std::string page = R"({"cursor": "s1042", "more": true, "portal_time_ms": 1763900000000,
 "stands": [{"id": 1, "name": "La Ferme du Bois Joli", "place": "..."}],
 "products": [{"id": 1000, "stand": 1, "name": "Œufs fermiers", "unit": "pièce",
               "variable_weight": false}],
 "orders": [{"id": 100001, "number": "C-100001", "stand": 1, "customer": "Marie D.",
             "status": "ready", "from": 1763892800, "until": 1764065600,
             "paid": 2150, "due": 0, "code": "K7QM9X2DF3",
             "lines": [[1, 1000, 2000, 780], [2, 1003, 1250, 350]]}],
 "keys": [{"key_id": 1, "public_key": ")" +
                           key_hex + R"(", "valid_from": 0, "valid_until": 0}]})";
  auto p = wire::parse_changes_page(page);
  INFO((p ? std::string() : error_of(p.error())));
  REQUIRE(p.ok());
  REQUIRE(p->orders.size() == 1);
  CHECK(p->orders[0].lines[1] == wire::OrderLine{2, 1003, 1250, 350});
  CHECK(codes::format_short_code(static_cast<std::uint64_t>(p->orders[0].short_code))
            .starts_with("K7QM-9X2D-F3"));

  auto push = wire::parse_push_request(
      std::string(R"({"events": [{"uuid": ")") + kUuid1 +
      R"(", "order": 100001, "kind": "partial", "handed": [1, 3], "missing": [2], "staff": "Élodie",
             "wall_ms": 1763900000000},
            {"uuid": ")" +
      kUuid2 +
      R"(", "order": 100004, "kind": "refused", "reason": "Client absent", "wall_ms": 1763900060000},
            {"uuid": ")" +
      kUuid3 + R"(", "order": 100001, "kind": "undo", "undoes": ")" + kUuid1 +
      R"(", "wall_ms": 1763900070000}]})");
  INFO((push ? std::string() : error_of(push.error())));
  REQUIRE(push.ok());
  CHECK(push->events.size() == 3);

  auto acks = wire::parse_push_response(
      std::string(R"({"acks": [{"uuid": ")") + kUuid1 +
      R"(", "duplicate": false, "conflicts": []},
          {"uuid": ")" +
      kUuid2 +
      R"(", "duplicate": true, "conflicts": ["cancelled"]}], "portal_time_ms": 1763900000000})");
  REQUIRE(acks.ok());
  CHECK(acks->acks[1].conflicts == std::vector<wire::Conflict>{wire::Conflict::cancelled});

  auto enrol = wire::parse_enrol_request(R"({"code": "K7QM-9X2D-F3A4", "device_key": ")" + key_hex +
                                         R"(", "name": "caisse-1"})");
  REQUIRE(enrol.ok());
  auto enrolled = wire::parse_enrol_response(
      R"({"device_id": "dev-7", "portal_name": "Portail Sud-Aveyron",
 "stands": [{"id": 1, "name": "La Ferme du Bois Joli", "place": "Marché de Saint-Affrique"}],
 "keys": [{"key_id": 1, "public_key": ")" +
      key_hex + R"(", "valid_from": 1760000000,
           "valid_until": 1800000000}],
 "portal_time_ms": 1763900000000, "portal_key": ")" +
      key_hex + R"("})");
  REQUIRE(enrolled.ok());
  auto error = wire::parse_error_body(
      R"({"error": "clock_skew", "message": "a sentence for the technician", "portal_time_ms": 0})");
  REQUIRE(error.ok());
  CHECK(error->portal_time_ms == std::optional<std::int64_t>(0));
}

TEST_CASE("unknown fields are ignored at every level, optional ones may be absent or null") {
  json j = json::parse(wire::to_json(sample_page()));
  j["future"] = {{"nested", json::array({1, 2.5, "x"})}};
  j["stands"][0]["colour"] = "green";
  j["products"][0]["organic"] = true;
  j["orders"][0]["note"] = nullptr;
  j["keys"][0]["algorithm"] = "ed25519";
  auto p = wire::parse_changes_page(j.dump());
  INFO((p ? std::string() : error_of(p.error())));
  REQUIRE(p.ok());
  CHECK(*p == sample_page());

  json o = json::parse(wire::to_json(sample_page()))["orders"][1];
  o["collected_at_ms"] = nullptr;
  o.erase("collected_device");
  json page = json::parse(wire::to_json(sample_page()));
  page["orders"] = json::array({o});
  auto q = wire::parse_changes_page(page.dump());
  REQUIRE(q.ok());
  CHECK_FALSE(q->orders[0].collected_at_ms.has_value());
  CHECK(q->orders[0].collected_device.empty());
  CHECK(q->orders[0].collected_staff == "Élodie");
}

TEST_CASE("every page rule refuses and names the path") {
  const json good = json::parse(wire::to_json(sample_page()));
  REQUIRE(page_refusal(good) == "(accepted)");
  struct Case {
    std::string expected;
    std::function<void(json &)> change;
  };
  const std::vector<Case> cases = {
      {"cursor: missing", [](json &j) { j.erase("cursor"); }},
      {"cursor: must be 1 to 64 characters of A-Z a-z 0-9 . _ : -",
       [](json &j) { j["cursor"] = ""; }},
      {"cursor: must be 1 to 64 characters of A-Z a-z 0-9 . _ : -",
       [](json &j) { j["cursor"] = std::string(65, 'a'); }},
      {"cursor: must be 1 to 64 characters of A-Z a-z 0-9 . _ : -",
       [](json &j) { j["cursor"] = "s 1"; }},
      {"cursor: must be 1 to 64 characters of A-Z a-z 0-9 . _ : -",
       [](json &j) { j["cursor"] = "s/1"; }},
      {"cursor: must be a string", [](json &j) { j["cursor"] = 5; }},
      {"more: must be true or false", [](json &j) { j["more"] = 1; }},
      {"more: missing", [](json &j) { j.erase("more"); }},
      {"portal_time_ms: must be an integer", [](json &j) { j["portal_time_ms"] = 1.5; }},
      {"portal_time_ms: must be >= 0", [](json &j) { j["portal_time_ms"] = -1; }},
      {"stands: must be an array", [](json &j) { j["stands"] = json::object(); }},
      {"orders: missing", [](json &j) { j.erase("orders"); }},
      {"stands[1]: must be an object", [](json &j) { j["stands"][1] = 2; }},
      {"stands[1].id: must be 1 to 4294967295", [](json &j) { j["stands"][1]["id"] = 0; }},
      {"stands[1].id: must be 1 to 4294967295",
       [](json &j) { j["stands"][1]["id"] = 4294967296LL; }},
      {"stands[1]: id appears twice in the list", [](json &j) { j["stands"][1]["id"] = 1; }},
      {"stands[0].name: must not be empty", [](json &j) { j["stands"][0]["name"] = ""; }},
      {"stands[0].name: longer than 200 bytes",
       [](json &j) {
         j["stands"][0]["name"] =
             std::string(67, 'x') + std::string(67, 'x') + "éééééééééééééééééééééééééééééééééé";
       }},
      {"stands[0].place: holds a control character",
       [](json &j) { j["stands"][0]["place"] = "a\nb"; }},
      {"stands[0].place: holds a control character",
       [](json &j) { j["stands"][0]["place"] = "a\u0085b"; }},
      {"products[1].id: must be > 0", [](json &j) { j["products"][1]["id"] = -3; }},
      {"products[1].stand: must be 1 to 4294967295",
       [](json &j) { j["products"][1]["stand"] = 0; }},
      {"products[1].unit: must not be empty", [](json &j) { j["products"][1]["unit"] = ""; }},
      {"products[1].variable_weight: must be true or false",
       [](json &j) { j["products"][1]["variable_weight"] = "yes"; }},
      {"products[2]: id appears twice in the list", [](json &j) { j["products"][2]["id"] = 1000; }},
      {"orders[0].id: must be 1 to 281474976710655", [](json &j) { j["orders"][0]["id"] = 0; }},
      {"orders[0].id: must be 1 to 281474976710655",
       [](json &j) { j["orders"][0]["id"] = 281474976710656LL; }},
      {"orders[0].id: must be an integer", [](json &j) { j["orders"][0]["id"] = "100001"; }},
      {"orders[0].id: must be an integer", [](json &j) { j["orders"][0]["id"] = true; }},
      {"orders[0].id: must be an integer",
       [](json &j) { j["orders"][0]["id"] = 9223372036854775808ULL; }},
      {"orders[0].id: must be an integer", [](json &j) { j["orders"][0]["id"] = 1e20; }},
      {"orders[2]: id appears twice in the list", [](json &j) { j["orders"][2]["id"] = 100001; }},
      {"orders[0].number: must not be empty", [](json &j) { j["orders"][0]["number"] = ""; }},
      {"orders[1].stand: must be 1 to 4294967295", [](json &j) { j["orders"][1]["stand"] = 0; }},
      {"orders[0].customer: missing", [](json &j) { j["orders"][0].erase("customer"); }},
      {"orders[0].status: must be pending, ready, collected or cancelled",
       [](json &j) { j["orders"][0]["status"] = "READY"; }},
      {"orders[0].from: must be >= 0", [](json &j) { j["orders"][0]["from"] = -1; }},
      {"orders[0].until: must not be before from",
       [](json &j) { j["orders"][0]["until"] = j["orders"][0]["from"].get<std::int64_t>() - 1; }},
      {"orders[0].paid: must be 0 to 100000000", [](json &j) { j["orders"][0]["paid"] = -1; }},
      {"orders[0].due: must be 0 to 100000000", [](json &j) { j["orders"][0]["due"] = 100000001; }},
      {"orders[0].code: must be the short code's 10 symbols (upper case, no check symbol, no "
       "dashes)",
       [](json &j) { j["orders"][0]["code"] = "K7QM9X2DF3A"; }},
      {"orders[0].code: must be the short code's 10 symbols (upper case, no check symbol, no "
       "dashes)",
       [](json &j) { j["orders"][0]["code"] = "K7QM-9X2DF"; }},
      {"orders[0].code: must be the short code's 10 symbols (upper case, no check symbol, no "
       "dashes)",
       [](json &j) { j["orders"][0]["code"] = "k7qm9x2df3"; }},
      {"orders[0].code: must be the short code's 10 symbols (upper case, no check symbol, no "
       "dashes)",
       [](json &j) { j["orders"][0]["code"] = "K7QM9X2DFU"; }},
      {"orders[0].code: must be the short code's 10 symbols (upper case, no check symbol, no "
       "dashes)",
       [](json &j) { j["orders"][0]["code"] = 12345; }},
      {"orders[1].collected_at_ms: must be an integer",
       [](json &j) { j["orders"][1]["collected_at_ms"] = "now"; }},
      {"orders[0].lines: missing", [](json &j) { j["orders"][0].erase("lines"); }},
      {"orders[0].lines: more than 200 lines",
       [](json &j) {
         json lines = json::array();
         for (int i = 1; i <= 201; ++i) lines.push_back({i, 1000, 1000, 100});
         j["orders"][0]["lines"] = lines;
       }},
      {"orders[0].lines[1]: must be [line_no, product_id, quantity_milli, price_cents]",
       [](json &j) {
         j["orders"][0]["lines"][1] = {2, 1003, 1250};
       }},
      {"orders[0].lines[1]: must be [line_no, product_id, quantity_milli, price_cents]",
       [](json &j) {
         j["orders"][0]["lines"][1] = {{"line_no", 2}};
       }},
      {"orders[0].lines[1]: quantity must be 1 to 100000000",
       [](json &j) { j["orders"][0]["lines"][1][2] = 0; }},
      {"orders[0].lines[1]: quantity must be 1 to 100000000",
       [](json &j) { j["orders"][0]["lines"][1][2] = 100000001; }},
      {"orders[0].lines[1]: price must be 0 to 100000000",
       [](json &j) { j["orders"][0]["lines"][1][3] = -5; }},
      {"orders[0].lines[1]: product_id must be > 0",
       [](json &j) { j["orders"][0]["lines"][1][1] = 0; }},
      {"orders[0].lines[1]: line_no must be 1 to 200",
       [](json &j) { j["orders"][0]["lines"][1][0] = 0; }},
      {"orders[0].lines[1]: line_no must be 1 to 200",
       [](json &j) { j["orders"][0]["lines"][1][0] = 4294967298LL; }},  // 2^32 + 2
      {"orders[0].lines[1]: quantity must be an integer",
       [](json &j) { j["orders"][0]["lines"][1][2] = 1.25; }},
      {"orders[0].lines[2]: line_no 1 appears twice",
       [](json &j) { j["orders"][0]["lines"][2][0] = 1; }},
      {"orders: more than 1000 orders",
       [](json &j) {
         json orders = json::array();
         for (int i = 0; i < 1001; ++i) {
           json o = j["orders"][0];
           o["id"] = 1 + i;
           orders.push_back(o);
         }
         j["orders"] = orders;
       }},
      {"keys: must be an array", [](json &j) { j["keys"] = "none"; }},
      {"keys[0].key_id: must be 0 to 65535", [](json &j) { j["keys"][0]["key_id"] = 65536; }},
      {"keys[0].key_id: must be 0 to 65535", [](json &j) { j["keys"][0]["key_id"] = -1; }},
      {"keys[1]: key_id appears twice in the list", [](json &j) { j["keys"][1]["key_id"] = 1; }},
      {"keys[0].public_key: must be 64 hex digits",
       [](json &j) { j["keys"][0]["public_key"] = std::string(62, 'a'); }},
      {"keys[0].public_key: must be 64 hex digits",
       [](json &j) { j["keys"][0]["public_key"] = std::string(63, 'a') + "g"; }},
      {"keys[0].valid_until: must not be before valid_from",
       [](json &j) { j["keys"][0]["valid_until"] = 1; }},
      {"keys[0].valid_from: must be >= 0", [](json &j) { j["keys"][0]["valid_from"] = -1; }},
  };
  for (const Case &c : cases) {
    json j = good;
    c.change(j);
    CAPTURE(c.expected);
    CHECK(page_refusal(j) == c.expected);
  }
  // JSON with bytes that are not UTF-8 is not JSON (nlohmann refuses it while parsing).
  std::string bad_utf8 = wire::to_json(sample_page());
  const auto at = bad_utf8.find("Élodie");
  REQUIRE(at != std::string::npos);
  bad_utf8[at + 1] = '\x20';  // the É's second byte gone: a lone lead byte
  CHECK(refusal(wire::parse_changes_page(bad_utf8)).starts_with("body: not JSON: "));
  // A lone surrogate in an escape is refused too.
  json j = good;
  std::string escaped = j.dump();
  const auto name_at = escaped.find("Marie D.");
  escaped.replace(name_at, 5, "\\ud800");
  CHECK(refusal(wire::parse_changes_page(escaped)).starts_with("body: not JSON: "));
}

TEST_CASE("the body's shape is checked before its fields") {
  for (const char *text : {"", " ", "null", "[]", "42", "\"page\"", "true", "not json", "{",
                           "{\"cursor\":\"s1\"", "{}garbage"}) {
    CAPTURE(text);
    const std::string why = refusal(wire::parse_changes_page(text));
    CHECK(why.starts_with("body: "));
  }
  CHECK(refusal(wire::parse_changes_page("[]")) == "body: must be an object");
  CHECK(refusal(wire::parse_changes_page("{}")) == "cursor: missing");
  CHECK(refusal(wire::parse_push_request("{}")) == "events: missing");
  CHECK(refusal(wire::parse_error_body("{}")) == "error: missing");
  CHECK(refusal(wire::parse_enrol_request("{}")) == "code: missing");
  CHECK(refusal(wire::parse_enrol_response("{}")) == "device_id: missing");
  CHECK(refusal(wire::parse_push_response("{}")) == "acks: missing");
}

TEST_CASE("every event rule refuses and names the path") {
  const json good = json::parse(wire::to_json(sample_push()));
  REQUIRE(push_refusal(good) == "(accepted)");
  struct Case {
    std::string expected;
    std::function<void(json &)> change;
  };
  const std::vector<Case> cases = {
      {"events: must hold 1 to 500 events", [](json &j) { j["events"] = json::array(); }},
      {"events: must hold 1 to 500 events",
       [](json &j) {
         json events = json::array();
         for (int i = 0; i < 501; ++i) events.push_back(j["events"][0]);
         j["events"] = events;
       }},
      {"events[1]: uuid appears twice in the list",
       [](json &j) { j["events"][1]["uuid"] = j["events"][0]["uuid"]; }},
      {"events[0].uuid: must be a lower-case RFC 9562 uuid",
       [](json &j) { j["events"][0]["uuid"] = "019A8F5E-1C2D-7E3F-8A4B-5C6D7E8F9A0B"; }},
      {"events[0].uuid: must be a lower-case RFC 9562 uuid",
       [](json &j) { j["events"][0]["uuid"] = "019a8f5e1c2d7e3f8a4b5c6d7e8f9a0b"; }},
      {"events[0].uuid: must be a lower-case RFC 9562 uuid",
       [](json &j) { j["events"][0]["uuid"] = "019a8f5e-1c2d-0e3f-8a4b-5c6d7e8f9a0b"; }},
      {"events[0].uuid: must be a lower-case RFC 9562 uuid",
       [](json &j) { j["events"][0]["uuid"] = "019a8f5e-1c2d-7e3f-ca4b-5c6d7e8f9a0b"; }},
      {"events[0].uuid: missing", [](json &j) { j["events"][0].erase("uuid"); }},
      {"events[0].order: must be 1 to 281474976710655",
       [](json &j) { j["events"][0]["order"] = 0; }},
      {"events[0].order: must be 1 to 281474976710655",
       [](json &j) { j["events"][0]["order"] = 281474976710656LL; }},
      {"events[0].kind: must be full, partial, refused or undo",
       [](json &j) { j["events"][0]["kind"] = "lost"; }},
      {"events[0].handed: must be an array", [](json &j) { j["events"][0]["handed"] = 1; }},
      {"events[0].handed[1]: must be 1 to 200", [](json &j) { j["events"][0]["handed"][1] = 0; }},
      {"events[0].handed[1]: must be 1 to 200",
       [](json &j) { j["events"][0]["handed"][1] = 4294967297LL; }},
      {"events[0].handed[1]: must be an integer",
       [](json &j) { j["events"][0]["handed"][1] = "2"; }},
      {"events[0].handed[2]: line 1 is named twice",
       [](json &j) { j["events"][0]["handed"][2] = 1; }},
      {"events[1].missing[0]: line 1 is named twice",
       [](json &j) { j["events"][1]["missing"][0] = 1; }},
      {"events[0].missing: a full handover has none",
       [](json &j) { j["events"][0]["missing"] = {4}; }},
      {"events[1].missing: a partial handover names at least one",
       [](json &j) { j["events"][1].erase("missing"); }},
      {"events[2].reason: a refusal needs one", [](json &j) { j["events"][2].erase("reason"); }},
      {"events[2].reason: a refusal needs one", [](json &j) { j["events"][2]["reason"] = ""; }},
      {"events[2].reason: longer than 200 bytes",
       [](json &j) { j["events"][2]["reason"] = std::string(201, 'r'); }},
      {"events[0].staff: holds a control character",
       [](json &j) { j["events"][0]["staff"] = "\u001b[31mred"; }},
      {"events[3].undoes: must be a lower-case RFC 9562 uuid",
       [](json &j) { j["events"][3].erase("undoes"); }},
      {"events[3].undoes: must be a lower-case RFC 9562 uuid",
       [](json &j) { j["events"][3]["undoes"] = "the last one"; }},
      {"events[3].handed: an undo names no lines", [](json &j) { j["events"][3]["handed"] = {1}; }},
      {"events[3].missing: an undo names no lines",
       [](json &j) { j["events"][3]["missing"] = {1}; }},
      {"events[0].undoes: only an undo undoes an event",
       [](json &j) { j["events"][0]["undoes"] = j["events"][1]["uuid"]; }},
      {"events[0].wall_ms: missing", [](json &j) { j["events"][0].erase("wall_ms"); }},
      {"events[0].wall_ms: must be >= 0", [](json &j) { j["events"][0]["wall_ms"] = -1; }},
      {"events[0].wall_ms: must be an integer",
       [](json &j) { j["events"][0]["wall_ms"] = 1763900000000.5; }},
  };
  for (const Case &c : cases) {
    json j = good;
    c.change(j);
    CAPTURE(c.expected);
    CHECK(push_refusal(j) == c.expected);
  }
  // The same rules through validate(), with the caller's prefix.
  wire::Event e = sample_push().events[2];
  e.reason.clear();
  auto r = wire::validate(e, "outbox[7]");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "wire_invalid");
  CHECK(r.error().detail == "outbox[7].reason: a refusal needs one");
  e.reason = std::string("caf\xC3", 4);  // cut in the middle of é
  CHECK(wire::validate(e, "").error().detail == "reason: not valid UTF-8");
  e.reason = "caf\xC0\xA9";  // an overlong encoding
  CHECK(wire::validate(e, "").error().detail == "reason: not valid UTF-8");
  e.reason = "\xED\xA0\x80";  // a UTF-16 surrogate, encoded
  CHECK(wire::validate(e, "").error().detail == "reason: not valid UTF-8");
  e.reason = "Œufs cassés 🥚";
  CHECK(wire::validate(e, "").ok());
}

TEST_CASE("enrolment, acknowledgement and error bodies are checked too") {
  const json good = json::parse(wire::to_json(sample_enrol_response()));
  const auto enrol_refusal = [](const json &j) {
    return refusal(wire::parse_enrol_response(j.dump()));
  };
  REQUIRE(enrol_refusal(good) == "(accepted)");
  json j = good;
  j["device_id"] = "Dev-7";
  CHECK(enrol_refusal(j) == "device_id: must be 1 to 64 characters of a-z 0-9 -");
  j["device_id"] = std::string(65, 'd');
  CHECK(enrol_refusal(j) == "device_id: must be 1 to 64 characters of a-z 0-9 -");
  j = good;
  j["stands"] = json::array();
  CHECK(enrol_refusal(j) == "stands: must hold at least one stand");
  j = good;
  j["keys"][0]["public_key"] = "zz";
  CHECK(enrol_refusal(j) == "keys[0].public_key: must be 64 hex digits");
  j = good;
  j.erase("portal_time_ms");
  CHECK(enrol_refusal(j) == "portal_time_ms: missing");

  json request = json::parse(wire::to_json(wire::EnrolRequest{"K7QM-9X2D-F3A4", {}, "x"}));
  request["device_key"] = std::string(64, 'G');
  CHECK(refusal(wire::parse_enrol_request(request.dump())) == "device_key: must be 64 hex digits");
  request["device_key"] = std::string(64, 'F');  // upper-case hex is hex
  CHECK(wire::parse_enrol_request(request.dump()).ok());
  request["code"] = "";
  CHECK(refusal(wire::parse_enrol_request(request.dump())) == "code: must not be empty");

  json acks = json::parse(std::string(R"({"acks":[{"uuid":")") + kUuid1 +
                          R"(","duplicate":false,"conflicts":["lost"]}],"portal_time_ms":1})");
  CHECK(refusal(wire::parse_push_response(acks.dump())) ==
        "acks[0].conflicts[0]: must be cancelled, refunded, collected_elsewhere, unknown_order "
        "or other_stand");
  acks["acks"][0]["conflicts"] = json::array();
  acks["acks"].push_back(acks["acks"][0]);
  CHECK(refusal(wire::parse_push_response(acks.dump())) ==
        "acks[1]: uuid appears twice in the list");
  acks["acks"].erase(1);
  acks["acks"][0].erase("conflicts");  // optional: none
  CHECK(wire::parse_push_response(acks.dump()).ok());
  acks["acks"][0].erase("duplicate");
  CHECK(refusal(wire::parse_push_response(acks.dump())) == "acks[0].duplicate: missing");

  CHECK(refusal(wire::parse_error_body(R"({"error":"Bad Request","message":"x"})")) ==
        "error: must be 1 to 64 characters of a-z 0-9 _");
  CHECK(refusal(wire::parse_error_body(R"({"error":"busy","portal_time_ms":"soon"})")) ==
        "portal_time_ms: must be an integer");
  auto no_message = wire::parse_error_body(R"({"error":"internal"})");
  REQUIRE(no_message.ok());
  CHECK(no_message->message.empty());
  CHECK_FALSE(no_message->portal_time_ms.has_value());
}

TEST_CASE("a real page truncated at every byte is refused, never crashes") {
  // Ready, payment due, collected (every optional field), pending, cancelled, another
  // stand's: the demo region's slots 0, 9, 11, 13, 15 and 18.
  const std::string page = wire::to_json(demo_page(20, 6, {0, 9, 11, 13, 15, 18}));
  MESSAGE("a page of " << page.size() << " bytes, truncated at each");
  REQUIRE(wire::parse_changes_page(page).ok());
  for (std::size_t n = 0; n < page.size(); ++n) {
    auto r = wire::parse_changes_page(std::string_view(page).substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "wire_invalid");
  }
  // And with bytes changed to a quote, a brace or a digit: refused, or (a digit in a
  // name) accepted as a page that round-trips like any other; never a crash.
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < page.size(); i += 5) {
    for (const char ch : {'"', '}', '9'}) {
      std::string mangled = page;
      mangled[i] = ch;
      auto r = wire::parse_changes_page(mangled);
      if (!r) continue;
      ++accepted;
      auto again = wire::parse_changes_page(wire::to_json(*r));
      REQUIRE(again.ok());
      CHECK(*again == *r);
    }
  }
  MESSAGE(accepted << " mangled pages still valid");
}

TEST_CASE("bodies built to exhaust the parser are refused quickly") {
  const auto timed = [](const std::string &body) {
    const auto start = std::chrono::steady_clock::now();
    const std::string why = refusal(wire::parse_changes_page(body));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    return std::make_pair(why, ms);
  };
  // 16 MiB of "[": no wire value nests deeper than 5 levels.
  const auto deep = timed(std::string(wire::kMaxBodyBytes, '['));
  CHECK(deep.first == "body: nested deeper than 64 levels");
  CHECK(deep.second < 2000);
  std::string objects_body;
  for (int i = 0; i < 100000; ++i) objects_body += "{\"a\":";
  const auto objects = timed(objects_body);
  CHECK(objects.first == "body: nested deeper than 64 levels");
  CHECK(objects.second < 2000);
  // Brackets inside strings are text, not nesting.
  json page = json::parse(wire::to_json(sample_page()));
  page["stands"][0]["name"] = std::string(150, '[');
  CHECK(wire::parse_changes_page(page.dump()).ok());
  // 64 levels in an unknown field are fine; 65 are not.
  const auto nested = [](int depth) {
    std::string body = R"({"cursor":"s1","more":false,"portal_time_ms":1,"stands":[],)"
                       R"("products":[],"orders":[],"x":)";
    body += std::string(static_cast<std::size_t>(depth - 1), '[') +
            std::string(static_cast<std::size_t>(depth - 1), ']') + "}";
    return body;
  };
  CHECK(wire::parse_changes_page(nested(64)).ok());
  CHECK(refusal(wire::parse_changes_page(nested(65))) == "body: nested deeper than 64 levels");
  // Over the body limit, refused before parsing.
  const auto large = timed(std::string(wire::kMaxBodyBytes + 1, ' '));
  CHECK(large.first == "body: larger than 16777216 bytes");
  CHECK(large.second < 2000);
  // Each body has a budget of JSON values far above its legitimate maximum: an enrolment
  // request (which anyone may send) of 16 MiB of "[],[],..." costs nothing to refuse.
  std::string empties = R"({"code":"K7QM-9X2D-F3A4","device_key":")" + std::string(64, 'a') +
                        R"(","name":"x","padding":[)";
  while (empties.size() < wire::kMaxBodyBytes - 8) empties += "[],";
  empties += "[]]}";
  const auto start_enrol = std::chrono::steady_clock::now();
  CHECK(refusal(wire::parse_enrol_request(empties)) == "body: more than 10000 JSON values");
  CHECK(std::chrono::steady_clock::now() - start_enrol < std::chrono::seconds(2));
  std::string small_padding = R"({"code":"K7QM-9X2D-F3A4","device_key":")" + std::string(64, 'a') +
                              R"(","name":"x","padding":[)";
  for (int i = 0; i < 9000; ++i) small_padding += "0,";
  small_padding += "0]}";
  CHECK(wire::parse_enrol_request(small_padding).ok());  // unknown, within budget: ignored
}

TEST_CASE("the largest page the limits allow is within the page's budget of values") {
  // 1000 orders of 200 lines: about 1,020,000 JSON values, 4 MB.
  wire::ChangesPage largest;
  largest.cursor = "s1";
  largest.products = {{1000, 1, "Œufs", "pièce", false}};
  for (int i = 0; i < 1000; ++i) {
    wire::Order o = ready_order();
    o.id += i;
    o.number = "C-" + std::to_string(o.id);
    o.lines.clear();
    for (int l = 1; l <= 200; ++l) o.lines.push_back({l, 1000, 1000, 100});
    largest.orders.push_back(o);
  }
  auto parsed_largest = wire::parse_changes_page(wire::to_json(largest));
  INFO((parsed_largest ? std::string() : error_of(parsed_largest.error())));
  CHECK(parsed_largest.ok());
}

TEST_CASE("a large unknown field is parsed and ignored") {
  std::string flat = R"({"cursor":"s1","more":false,"portal_time_ms":1,"stands":[],)"
                     R"("products":[],"orders":[],"x":[)";
  while (flat.size() < 256 * 1024) flat += "0,";
  flat += R"(0],"y":{"z":"1"}})";
  auto page = wire::parse_changes_page(flat);
  REQUIRE(page.ok());
  CHECK(page->cursor == "s1");
}

TEST_CASE("the demo region's orders round-trip and fit the byte budget") {
  const wire::ChangesPage page = demo_page(1000, 1000);
  for (std::size_t i = 0; i < page.orders.size(); ++i) {
    CAPTURE(i);
    const auto valid = wire::validate(page.orders[i], "orders[" + std::to_string(i) + "]");
    INFO((valid ? std::string() : error_of(valid.error())));
    CHECK(valid.ok());
  }
  const std::string text = wire::to_json(page);
  auto parsed = wire::parse_changes_page(text);
  INFO((parsed ? std::string() : error_of(parsed.error())));
  REQUIRE(parsed.ok());
  CHECK(*parsed == page);

  // Pull: a page of 500 orders of 3 lines, gzipped, under 100 bytes an order.
  wire::ChangesPage three_lines = page;
  three_lines.orders.clear();
  for (const auto &o : page.orders) {
    if (o.lines.size() == 3 && o.stand_id == 1 && three_lines.orders.size() < 500) {
      three_lines.orders.push_back(o);
    }
  }
  REQUIRE(three_lines.orders.size() >= 100);
  const std::string body = wire::to_json(three_lines);
  const double per_order =
      static_cast<double>(gzipped(body).size()) / static_cast<double>(three_lines.orders.size());
  MESSAGE("pull: " << three_lines.orders.size() << " orders of 3 lines, "
                   << body.size() / three_lines.orders.size() << " B an order raw, " << per_order
                   << " B an order gzipped");
  CHECK(per_order <= 100.0);

  // Push: a batch of 200 full handovers of 3 lines, one per event, under 150 bytes each
  // even before gzip.
  wire::PushRequest push;
  for (int i = 0; i < 200; ++i) {
    char uuid[37];
    std::snprintf(uuid, sizeof uuid, "019a8f5e-%04x-7e3f-8a4b-5c6d7e8f9a0b", i);
    wire::Event e = event(uuid, wire::EventKind::full);
    e.order_id = 100001 + i;
    e.lines_handed = {1, 2, 3};
    e.staff = "Élodie";
    e.wall_ms = kNow * 1000 + i * 61'000;
    push.events.push_back(e);
  }
  const std::string push_body = wire::to_json(push);
  REQUIRE(wire::parse_push_request(push_body).ok());
  const double per_event = static_cast<double>(push_body.size()) / 200.0;
  const double per_event_gz = static_cast<double>(gzipped(push_body).size()) / 200.0;
  MESSAGE("push: " << per_event << " B an event raw, " << per_event_gz << " B gzipped");
  CHECK(per_event <= 150.0);
}

TEST_CASE("clean_text makes any text acceptable, cut at a character boundary") {
  CHECK(wire::clean_text("Élodie") == "Élodie");
  CHECK(wire::clean_text("a\tb\nc\x7f") == "a b c ");
  CHECK(wire::clean_text("caf\xC3") == "caf ");
  CHECK(wire::clean_text("\xff\xfe") == "  ");
  const std::string long_text(199, 'x');
  CHECK(wire::clean_text(long_text + "é") == long_text);  // é would end at byte 201
  CHECK(wire::clean_text(std::string(500, 'y')).size() == 200);
  wire::Event e = event(kUuid1, wire::EventKind::refused);
  std::string accents;
  for (int i = 0; i < 80; ++i) accents += "é";
  e.reason = wire::clean_text(std::string(150, 'z') + "\x01\xC3\xA9\xE2\x82" + accents);
  CHECK(e.reason.size() <= 200);
  CHECK(wire::validate(e, "").ok());
}

}  // namespace comptoir::test
