// Headless mode, one line in, one JSON object out: scans, commands, languages, and the
// automatic handover of stands without a screen.
#include "headless/headless_session.hpp"

#include <doctest/doctest.h>
#include <stdio.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/uuid.hpp"
#include "tests/firmware-host/service_fixture.hpp"
#include "tests/support/subprocess.hpp"

namespace comptoir::test {
namespace {

using nlohmann::json;

json answer(HeadlessSession &session, std::string_view line) {
  const std::string text = session.handle_line(line);
  CHECK(text.find('\n') == std::string::npos);  // one object, one line
  return json::parse(text);                     // throws (fails the test) if not JSON
}

std::string str(const json &j, const char *key) {
  REQUIRE(j.contains(key));
  REQUIRE(j[key].is_string());
  return j[key].get<std::string>();
}

bool has(const std::string &text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

struct SessionFixture : ServiceFixture {
  HeadlessSession fr{*service, HeadlessOptions{Lang::fr, false, "Léa"}};
  HeadlessSession en{*service, HeadlessOptions{Lang::en, false, "Léa"}};
};

}  // namespace

TEST_CASE("a scan answers with verdict, order_number and a French message by default") {
  SessionFixture f;
  const auto &c = f.code("ready");
  const db::Order o = f.order(c.order_number);
  const json j = answer(f.fr, c.code);
  CHECK(str(j, "type") == "verdict");
  CHECK(str(j, "verdict") == "ready");
  CHECK(str(j, "order_number") == c.order_number);
  CHECK(has(str(j, "message"), "prête"));
  CHECK(is_uuid(str(j, "scan_id")));
  CHECK(str(j, "customer") == o.customer);
  CHECK(j["order_id"] == o.id);
  CHECK(j["amount_due_cents"] == 0);
  CHECK(str(j, "amount_due") == "0,00 €");
  REQUIRE(j["lines"].is_array());
  REQUIRE(j["lines"].size() == o.lines.size());
  CHECK(j["lines"][0]["line"] == o.lines[0].line_no);
  CHECK(j["lines"][0]["product"] == o.lines[0].product);
  CHECK(j["lines"][0]["unit"] == o.lines[0].unit);
  CHECK_FALSE(j.contains("repeat"));
  CHECK_FALSE(j.contains("handover"));
}

TEST_CASE("Lang::en answers in English") {
  SessionFixture f;
  const json ready = answer(f.en, f.code("ready").code);
  CHECK(str(ready, "verdict") == "ready");
  CHECK(str(ready, "message") == "Order ready: hand it over to the customer.");
  const json due = answer(f.en, f.code("payment_due").code);
  CHECK(has(str(due, "message"), "still to pay"));
  CHECK(has(str(due, "amount_due"), "€"));
  CHECK(has(str(due, "amount_due"), "."));
  const json junk = answer(f.en, "3017620422003");
  CHECK(str(junk, "verdict") == "not_a_pickup_code");
  CHECK(str(junk, "detail") == "product_barcode");
  CHECK(junk["order_number"].is_null());
  CHECK(has(str(junk, "message"), "product barcode"));
}

TEST_CASE("every verdict has its own message in French and in English") {
  SessionFixture f;
  // A word each message must contain, French then English.
  const std::map<std::string, std::pair<std::string, std::string>> words = {
      {"ready", {"prête", "ready"}},
      {"payment_due", {"Reste à payer", "still to pay"}},
      {"already_collected", {"Déjà retirée", "Already collected"}},
      {"not_ready", {"Pas encore prête", "Not ready"}},
      {"cancelled", {"annulée", "cancelled"}},
      {"wrong_stand", {"ailleurs", "another stand"}},
      {"too_early", {"Trop tôt", "Too early"}},
      {"expired", {"Créneau de retrait dépassé", "Pickup window ended"}},
      {"unknown", {"Code", "code"}},
      {"not_a_pickup_code", {"Ce n'est pas un code de retrait", "Not a pickup code"}},
      {"mistyped", {"Code mal saisi", "Mistyped code"}},
      {"forged", {"Code falsifié", "Forged code"}},
      {"unknown_key", {"clé inconnue", "key this appliance does not know"}},
      {"ready_unsynced", {"Code authentique", "Genuine code"}}};
  std::map<std::string, int> seen;
  for (const auto &c : f.region.codes) {
    CAPTURE(c.code);
    // Failed typed codes are rate-limited (5 a minute); space them out on the test clock.
    if (c.expected_verdict == "unknown" || c.expected_verdict == "mistyped") {
      f.clock.advance_ms(61'000);
    }
    f.service->reset_double_read_filter();
    const json fr = answer(f.fr, c.code);
    f.service->reset_double_read_filter();
    const json en = answer(f.en, c.code);
    REQUIRE(words.count(c.expected_verdict) == 1);
    const auto &[fr_word, en_word] = words.at(c.expected_verdict);
    CHECK(str(fr, "verdict") == c.expected_verdict);
    CHECK(str(en, "verdict") == c.expected_verdict);
    CHECK(has(str(fr, "message"), fr_word));
    CHECK(has(str(en, "message"), en_word));
    CHECK(str(fr, "message") != str(en, "message"));
    if (c.expected_verdict == "wrong_stand") {
      CHECK(fr["collect_at"]["stand_id"] != 1);
      CHECK_FALSE(str(fr["collect_at"], "stand").empty());
      CHECK(has(str(fr, "message"), str(fr["collect_at"], "stand")));
    }
    if (c.expected_verdict == "already_collected") {
      CHECK(str(fr["collected"], "device") == "caisse-marche-2");
      CHECK(fr["collected"]["here"] == false);
    }
    ++seen[c.expected_verdict];
  }
  CHECK(seen.size() == words.size());
}

TEST_CASE(":handover hands over, and a rescan is already_collected") {
  SessionFixture f;
  const auto &c = f.code("ready");
  const json scan = answer(f.fr, c.code);
  const json r = answer(f.fr, ":handover " + c.order_number);
  CHECK(str(r, "type") == "handover");
  CHECK(r["ok"] == true);
  CHECK(str(r, "kind") == "full");
  CHECK(str(r, "event_id") == str(scan, "scan_id"));
  CHECK(str(r, "order_number") == c.order_number);
  CHECK(r["lines_handed"].size() == f.order(c.order_number).lines.size());
  CHECK(r["lines_missing"].empty());
  CHECK(has(str(r, "message"), "remise"));

  const json again = answer(f.fr, c.code);  // commands reset the double-read filter
  CHECK(str(again, "verdict") == "already_collected");
  CHECK(again["collected"]["here"] == true);
  CHECK(str(again["collected"], "staff") == "Léa");
  CHECK(has(str(again, "message"), "Déjà retirée"));

  // A second :handover is refused with the verdict that forbids it.
  const json twice = answer(f.fr, ":handover " + c.order_number);
  CHECK(str(twice, "type") == "error");
  CHECK(twice["ok"] == false);
  CHECK(str(twice, "error") == "not_collectable");
  CHECK(str(twice, "verdict") == "already_collected");
}

TEST_CASE(":handover N --missing 2 records a partial handover") {
  SessionFixture f;
  const db::Order o = f.ready_order_with_lines(3);
  const json r = answer(f.fr, ":handover " + o.number + " --missing 2,3");
  CHECK(str(r, "kind") == "partial");
  CHECK(r["lines_missing"] == json::array({2, 3}));
  CHECK(r["lines_handed"][0] == 1);
  CHECK(has(str(r, "message"), "2, 3"));

  const db::Order other = f.ready_order_with_lines(2, 1);
  const json one = answer(f.en, ":handover " + other.number + " --missing 2");
  CHECK(str(one, "kind") == "partial");
  CHECK(one["lines_missing"] == json::array({2}));
  CHECK(has(str(one, "message"), "partly handed over"));

  const db::Order third = f.ready_order_with_lines(2, 2);
  const json bad = answer(f.fr, ":handover " + third.number + " --missing 9");
  CHECK(str(bad, "error") == "bad_line");
  CHECK(f.events() == 2);
}

TEST_CASE(":refuse takes the rest of the line as the reason") {
  SessionFixture f;
  const auto &c = f.code("ready");
  const json r = answer(f.fr, ":refuse " + c.order_number + "   le client   a changé d'avis  ");
  CHECK(str(r, "type") == "handover");
  CHECK(str(r, "kind") == "refused");
  CHECK(str(r, "reason") == "le client   a changé d'avis");
  CHECK(has(str(r, "message"), "le client   a changé d'avis"));
  CHECK(str(answer(f.fr, c.code), "verdict") == "ready");

  const json no_reason = answer(f.fr, ":refuse " + c.order_number);
  CHECK(str(no_reason, "error") == "usage");
  const json blank_reason = answer(f.fr, ":refuse " + c.order_number + "    ");
  CHECK(str(blank_reason, "error") == "usage");
  CHECK(f.events() == 1);
}

TEST_CASE(":undo undoes the last handover, or says there is nothing to undo") {
  SessionFixture f;
  const json nothing = answer(f.fr, ":undo");
  CHECK(str(nothing, "error") == "nothing_to_undo");
  CHECK(has(str(nothing, "message"), "Aucune remise"));

  const auto &c = f.code("ready");
  const json handed = answer(f.fr, ":handover " + c.order_number);
  f.clock.advance_ms(30'000);
  const json undo = answer(f.fr, ":undo");
  CHECK(str(undo, "kind") == "undo");
  CHECK(str(undo, "undoes") == str(handed, "event_id"));
  CHECK(has(str(undo, "message"), "annulée"));
  CHECK(str(answer(f.fr, c.code), "verdict") == "ready");
}

TEST_CASE(":status counts orders by state and events waiting") {
  SessionFixture f;
  answer(f.fr, ":handover " + f.code("ready").order_number);
  answer(f.fr, ":refuse " + f.code("ready", 1).order_number + " absent");
  const json s = answer(f.fr, ":status");
  CHECK(str(s, "type") == "status");
  CHECK(s["events_waiting"] == 2);
  CHECK(s["stand_id"] == 1);
  CHECK(str(s, "device") == kDevice);
  auto status = f.service->status();
  REQUIRE(status.ok());
  CHECK(s["orders"]["ready"] == status->ready);
  CHECK(s["orders"]["not_ready"] == status->not_ready);
  CHECK(s["orders"]["collected"] == status->collected);
  CHECK(s["orders"]["cancelled"] == status->cancelled);
  CHECK(status->collected >= 1);
  CHECK(has(str(s, "message"), "2 en attente de synchro"));
  CHECK(has(str(answer(f.en, ":status"), "message"), "2 waiting for sync"));
}

TEST_CASE("unknown and malformed commands get an error object, and record nothing") {
  SessionFixture f;
  const std::string n = f.code("ready").order_number;
  for (const std::string &line :
       {std::string(":frobnicate"), std::string(":"), std::string(":handover_all " + n)}) {
    CAPTURE(line);
    const json j = answer(f.fr, line);
    CHECK(str(j, "type") == "error");
    CHECK(j["ok"] == false);
    CHECK(str(j, "error") == "unknown_command");
    CHECK(has(str(j, "message"), ":handover"));  // says which commands exist
  }
  for (const std::string &line :
       {std::string(":handover"), ":handover " + n + " extra", ":handover " + n + " --missing",
        ":handover " + n + " --missing x", ":handover " + n + " --missing 0",
        ":handover " + n + " --missing ,2", ":handover " + n + " --missing 2,",
        ":handover " + n + " --missing 2,,3", ":handover " + n + " --missing -1",
        ":handover " + n + " --other 2", ":handover " + n + " --missing 2 3",
        std::string(":refuse")}) {
    CAPTURE(line);
    const json j = answer(f.fr, line);
    CHECK(str(j, "type") == "error");
    CHECK(str(j, "error") == "usage");
    CHECK(has(str(j, "message"), "Utilisation"));
  }
  const json unknown_order = answer(f.en, ":handover C-999999");
  CHECK(str(unknown_order, "error") == "order_not_found");
  CHECK(has(str(unknown_order, "message"), "C-999999"));
  CHECK(f.events() == 0);
}

TEST_CASE("auto_handover hands a ready order over once and the double read is a repeat") {
  ServiceFixture f;
  HeadlessSession session(*f.service, HeadlessOptions{Lang::fr, true, "borne"});
  const auto &c = f.code("ready");
  const json first = answer(session, c.code);
  CHECK(str(first, "verdict") == "ready");
  REQUIRE(first.contains("handover"));
  CHECK(first["handover"]["ok"] == true);
  CHECK(str(first["handover"], "kind") == "full");
  CHECK(str(first["handover"], "event_id") == str(first, "scan_id"));
  CHECK(has(str(first, "message"), "remise"));
  CHECK(f.events() == 1);

  f.clock.advance_ms(400);  // the scanner reads the same code again
  const json repeat = answer(session, c.code);
  CHECK(repeat["repeat"] == true);
  CHECK(str(repeat, "verdict") == "ready");
  CHECK_FALSE(repeat.contains("handover"));
  CHECK(f.events() == 1);

  f.clock.advance_ms(3000);  // a real rescan, later
  const json later = answer(session, c.code);
  CHECK(str(later, "verdict") == "already_collected");
  CHECK_FALSE(later.contains("handover"));
  CHECK(f.events() == 1);

  // Only ready orders: an amount due needs a person.
  const json due = answer(session, f.code("payment_due").code);
  CHECK(str(due, "verdict") == "payment_due");
  CHECK_FALSE(due.contains("handover"));
  CHECK(f.events() == 1);
}

TEST_CASE("garbage gets not_a_pickup_code and valid JSON, whatever the bytes") {
  SessionFixture f;
  const std::string invalid_utf8 = "\xff\xfe\xc3(abc\x80";
  const json j = answer(f.fr, invalid_utf8);
  CHECK(str(j, "verdict") == "not_a_pickup_code");
  const json empty = answer(f.fr, "");
  CHECK(str(empty, "verdict") == "not_a_pickup_code");
  CHECK(str(empty, "detail") == "empty");
  const json nul = answer(f.fr, std::string("C-1\0"
                                            "00001",
                                            9));
  CHECK(str(nul, "detail") == "control_characters");
  const json huge = answer(f.fr, std::string(20'000, 'Z'));
  CHECK(str(huge, "detail") == "too_long");
}

TEST_CASE("run() answers each line once, the last one even without a newline") {
  SessionFixture f;
  const auto &c = f.code("ready");
  std::string input = c.code + "\n\n:status\r\n" + std::string(20'000, 'x') + "\n";
  input += std::string("\x01\x02\xff", 3) + "\n" + c.order_number;  // no final newline
  FILE *in = fmemopen(input.data(), input.size(), "r");
  REQUIRE(in != nullptr);
  char *out_buf = nullptr;
  std::size_t out_size = 0;
  FILE *out = open_memstream(&out_buf, &out_size);
  REQUIRE(out != nullptr);
  f.fr.run(in, out);
  std::fclose(in);
  std::fclose(out);
  const std::string output(out_buf, out_size);
  std::free(out_buf);

  const std::vector<std::string> lines = split_lines(output);
  REQUIRE(lines.size() == 6);
  CHECK(json::parse(lines[0])["verdict"] == "ready");
  CHECK(json::parse(lines[1])["detail"] == "empty");
  CHECK(json::parse(lines[2])["type"] == "status");
  CHECK(json::parse(lines[3])["detail"] == "too_long");
  CHECK(json::parse(lines[4])["detail"] == "control_characters");
  CHECK(json::parse(lines[5])["verdict"] == "ready");
  CHECK(json::parse(lines[5])["order_number"] == c.order_number);
}

}  // namespace comptoir::test
