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

#include "codes/pickup_token.hpp"
#include "db/sync_store.hpp"
#include "headless/text_view.hpp"
#include "runtime/uuid.hpp"
#include "tests/firmware-host/service_fixture.hpp"
#include "tests/support/layout_mangler.hpp"
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

// The nth demo token (ZA1...) of an order expected to get `verdict`.
const provisioning::DemoCode &demo_token(const ServiceFixture &f, std::string_view verdict,
                                         int nth = 0) {
  for (const auto &c : f.region.codes) {
    if (c.code.starts_with("ZA1") && c.expected_verdict == verdict && nth-- == 0) return c;
  }
  FAIL("no demo token with verdict " << std::string(verdict));
  return f.region.codes.front();
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
  // The demo cache has no portal: the appliance works alone, nothing is late.
  CHECK(str(s, "link") == "not_enrolled");
  CHECK(s["last_sync_ms"].is_null());
  CHECK(s["last_attempt_ms"].is_null());
  CHECK(s["conflicts"] == 0);
  CHECK(str(s, "sync_error").empty());
  CHECK_FALSE(s.contains("sync_error_message"));
  CHECK(str(s, "sync_message") == "Non relié à un portail · 2 remises en attente");
  CHECK(str(s, "message").ends_with(" annulées. Non relié à un portail · 2 remises en attente."));
  CHECK(str(answer(f.en, ":status"), "message")
            .ends_with(" cancelled. Not linked to a portal · 2 handovers waiting."));
}

TEST_CASE(":status reports the link as the sync agent left it, in French and English") {
  SessionFixture f;
  answer(f.fr, ":handover " + f.code("ready").order_number);
  answer(f.fr, ":handover " + f.code("ready", 1).order_number);
  const std::int64_t now = f.clock.wall_ms();
  const std::int64_t pulled = now - 2 * 3'600'000 - 5'000, tried = now - 60'000;
  REQUIRE(f.database->set_setting(db::kSettingPortalUrl, "https://portail.example.org").ok());
  db::SyncStore store(f.database->connection());
  auto state = [&](const char *key, const std::string &value) {
    REQUIRE(store.set_state(key, value).ok());
  };
  state(db::sync_key::kLink, "offline");
  state(db::sync_key::kLastError, "offline");
  state(db::sync_key::kLastPullMs, std::to_string(pulled));
  state(db::sync_key::kLastAttemptMs, std::to_string(tried));
  // Two handovers the portal flagged: cancelled meanwhile, collected at another device.
  auto flagged = [&](const char *uuid, std::int64_t order, const char *why) {
    db::Statement st = f.database->connection().prepare(
        "INSERT INTO sync_conflicts(event_uuid, order_id, conflicts, reported_ms) "
        "VALUES (?, ?, ?, ?)");
    REQUIRE(st.valid());
    st.bind(1, uuid);
    st.bind(2, order);
    st.bind(3, why);
    st.bind(4, now);
    REQUIRE(st.step() == SQLITE_DONE);
  };
  flagged("019a8f5e-0000-7000-8000-000000000001", 100001, "cancelled");
  flagged("019a8f5e-0000-7000-8000-000000000002", 100002, "collected_elsewhere");

  json s = answer(f.fr, ":status");
  CHECK(str(s, "link") == "offline");
  CHECK(s["last_sync_ms"] == pulled);
  CHECK(s["last_attempt_ms"] == tried);
  CHECK(s["conflicts"] == 2);
  CHECK(s["events_waiting"] == 2);
  CHECK(str(s, "sync_error") == "offline");
  CHECK(str(s, "sync_message") ==
        "Hors ligne · 2 remises en attente · dernière synchro il y a 2 h · 2 à vérifier");
  CHECK(
      str(s, "message")
          .ends_with(
              ". Hors ligne · 2 remises en attente · dernière synchro il y a 2 h · 2 à vérifier."));
  CHECK(str(s, "sync_error_message") == error_message(make_error("offline", ""), Lang::fr));
  CHECK(has(str(s, "sync_error_message"), "restent enregistrées"));
  json en = answer(f.en, ":status");
  CHECK(str(en, "sync_message") ==
        "Offline · 2 handovers waiting · last sync 2 h ago · 2 to review");
  CHECK(has(str(en, "sync_error_message"), "stay recorded"));

  // Back online, pulled 3 minutes ago.
  state(db::sync_key::kLink, "online");
  state(db::sync_key::kLastError, "");
  state(db::sync_key::kLastPullMs, std::to_string(now - 3 * 60'000));
  s = answer(f.fr, ":status");
  CHECK(str(s, "link") == "online");
  CHECK(str(s, "sync_message") ==
        "En ligne · 2 remises en attente · synchronisé il y a 3 min · 2 à vérifier");
  CHECK_FALSE(s.contains("sync_error_message"));
  CHECK(str(answer(f.en, ":status"), "sync_message") ==
        "Online · 2 handovers waiting · synced 3 min ago · 2 to review");

  // The portal's certificate refused: only the technician can fix that.
  state(db::sync_key::kLink, "offline");
  state(db::sync_key::kLastError, "tls_untrusted");
  s = answer(f.fr, ":status");
  CHECK(str(s, "sync_message")
            .starts_with("Certificat du portail refusé : appelez le technicien · 2 remises"));
  CHECK(has(str(s, "message"), ". Certificat du portail refusé : appelez le technicien · "));
  CHECK(has(str(s, "sync_error_message"), "Appelez le technicien"));
  CHECK(str(answer(f.en, ":status"), "sync_message")
            .starts_with("Portal's certificate refused: call the technician · "));
}

TEST_CASE("status_json for every link state, with the sync's age from the time given") {
  // sync_message is the line as a sentence of its own: capitalised, no full stop.
  constexpr std::int64_t now = 1'760'000'000'000;
  const Identity id{3, "caisse-2"};
  DeskStatus s;
  auto line = [&](Lang lang) { return status_json(s, id, now, lang)["sync_message"]; };
  // not_enrolled: no age, whatever is left in the state.
  s.last_sync_ms = now - 5 * 86'400'000LL;
  s.sync_error = "offline";
  CHECK(line(Lang::fr) == "Non relié à un portail");
  CHECK(line(Lang::en) == "Not linked to a portal");
  CHECK(status_json(s, id, now, Lang::fr)["link"] == "not_enrolled");
  CHECK_FALSE(status_json(s, id, now, Lang::fr).contains("sync_error_message"));
  // unknown: enrolled, no round yet.
  s = DeskStatus{};
  s.link = SyncLink::unknown;
  CHECK(line(Lang::fr) == "Jamais synchronisé");
  CHECK(line(Lang::en) == "Never synced");
  CHECK(status_json(s, id, now, Lang::fr)["message"] ==
        "0 à retirer, 0 en préparation, 0 retirées, 0 annulées. Jamais synchronisé.");
  s.last_sync_ms = now - 90 * 60'000;
  CHECK(line(Lang::fr) == "Dernière synchro il y a 1 h");
  CHECK(line(Lang::en) == "Last sync 1 h ago");
  // online
  s.link = SyncLink::online;
  s.last_sync_ms = now - 20'000;
  CHECK(line(Lang::fr) == "En ligne · synchronisé à l'instant");
  CHECK(line(Lang::en) == "Online · synced just now");
  s.events_waiting = 1;
  s.conflicts = 1;
  s.last_sync_ms = now - 3 * 86'400'000LL;
  CHECK(line(Lang::fr) ==
        "En ligne · 1 remise en attente · synchronisé il y a 3 jours · 1 à "
        "vérifier");
  CHECK(line(Lang::en) == "Online · 1 handover waiting · synced 3 days ago · 1 to review");
  CHECK(status_json(s, id, now, Lang::en)["link"] == "online");
  // offline
  s.link = SyncLink::offline;
  s.sync_error = "stalled";
  s.last_sync_ms.reset();
  s.last_attempt_ms = now - 1000;
  s.events_waiting = 5;
  s.conflicts = 0;
  const json j = status_json(s, id, now, Lang::fr);
  CHECK(j["link"] == "offline");
  CHECK(j["last_sync_ms"].is_null());
  CHECK(j["last_attempt_ms"] == now - 1000);
  CHECK(j["stand_id"] == 3);
  CHECK(j["device"] == "caisse-2");
  CHECK(j["sync_message"] == "Portail injoignable · 5 remises en attente · jamais synchronisé");
  CHECK(j["sync_error_message"] == error_message(make_error("stalled", ""), Lang::fr));
  CHECK(line(Lang::en) == "Portal unreachable · 5 handovers waiting · never synced");
  // A failure of the appliance's own during a round: a sync sentence, not the counter's.
  s.link = SyncLink::online;
  s.sync_error = "disk_full";
  const std::string own = status_json(s, id, now, Lang::fr)["sync_error_message"];
  CHECK(has(own, "La dernière synchro a échoué (disk_full)"));
  CHECK_FALSE(has(own, "Ne remettez pas"));
  CHECK(line(Lang::fr) == "Synchro en échec · 5 remises en attente · jamais synchronisé");
}

TEST_CASE("the text view of :status shows the sync's trouble on a line of its own") {
  constexpr std::int64_t now = 1'760'000'000'000;
  DeskStatus s;
  s.link = SyncLink::offline;
  s.sync_error = "tls_untrusted";
  s.last_sync_ms = now - 2 * 3'600'000;
  const std::string fr =
      render_text(status_json(s, Identity{1, "c"}, now, Lang::fr), Lang::fr, false);
  CHECK(fr.starts_with("ÉTAT  0 à retirer"));
  CHECK(has(fr,
            "Certificat du portail refusé : appelez le technicien · dernière synchro il y "
            "a 2 h."));
  CHECK(has(fr, "\n  ! " + error_message(make_error("tls_untrusted", ""), Lang::fr)));
  const std::string coloured =
      render_text(status_json(s, Identity{1, "c"}, now, Lang::en), Lang::en, true);
  CHECK(coloured.starts_with("\x1b[1;33mSTATUS\x1b[0m"));
  s.sync_error.clear();
  s.link = SyncLink::online;
  s.last_sync_ms = now;
  const std::string calm =
      render_text(status_json(s, Identity{1, "c"}, now, Lang::en), Lang::en, true);
  CHECK(calm.starts_with("\x1b[1mSTATUS\x1b[0m"));
  CHECK(calm.find('\n') == std::string::npos);
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

TEST_CASE("a token typed through an AZERTY host is read, and the answer tells the technician") {
  ServiceFixture f;
  HeadlessSession session(*f.service, HeadlessOptions{});  // French by default
  const auto &entry = demo_token(f, "ready");
  const std::string typed = *typed_through_layouts(entry.code, "us", "fr");
  REQUIRE(typed.starts_with("WQ&"));
  const json j = answer(session, typed);
  CHECK(str(j, "verdict") == "ready");
  CHECK(str(j, "order_number") == entry.order_number);
  CHECK(str(j, "layout") == "us>fr");
  const std::string message = str(j, "layout_message");
  CHECK(has(message, "le lecteur tape en US"));
  CHECK(has(message, "le poste lit en FR"));
  CHECK(has(message, "Réglez le lecteur sur FR"));
  CHECK(has(str(j, "message"), "prête"));

  // In English; and a French scanner on a US host is named the other way round.
  SessionFixture g;
  const auto &other = demo_token(g, "ready", 1);
  const json en = answer(g.en, *typed_through_layouts(other.code, "fr", "us"));
  CHECK(str(en, "verdict") == "ready");
  CHECK(str(en, "order_number") == other.order_number);
  CHECK(str(en, "layout") == "fr>us");
  CHECK(str(en, "layout_message") ==
        "Read despite a keyboard mix-up: the scanner types FR, the host reads US. Set the "
        "scanner to US.");

  // Read as typed: no layout in the answer.
  const json plain = answer(g.fr, demo_token(g, "ready", 2).code);
  CHECK(str(plain, "verdict") == "ready");
  CHECK_FALSE(plain.contains("layout"));
  CHECK_FALSE(plain.contains("layout_message"));
}

TEST_CASE("a short code typed through a German host is read, the layout named") {
  SessionFixture f;
  const auto &c = f.code("ready");
  REQUIRE(c.code.find('-') != std::string::npos);
  const json j = answer(f.fr, *typed_through_layouts(c.code, "us", "de"));
  CHECK(str(j, "verdict") == "ready");
  CHECK(str(j, "order_number") == c.order_number);
  CHECK(str(j, "layout") == "us>de");
  CHECK(has(str(j, "layout_message"), "Réglez le lecteur sur DE"));
}

TEST_CASE("tokens in headless answers: forged, unknown key, ready_unsynced and #ID handover") {
  SessionFixture f;
  std::string forged, foreign;
  for (const auto &c : f.region.codes) {
    if (c.expected_verdict == "forged") forged = c.code;
    if (c.expected_verdict == "unknown_key") foreign = c.code;
  }
  const json fj = answer(f.fr, forged);
  CHECK(str(fj, "verdict") == "forged");
  CHECK(fj["order_number"].is_null());
  CHECK(has(str(fj, "message"), "Ne remettez rien"));
  const json kj = answer(f.en, foreign);
  CHECK(str(kj, "verdict") == "unknown_key");
  CHECK(str(kj, "detail") == "unknown_key");

  const json u = answer(f.fr, demo_token(f, "ready_unsynced").code);
  CHECK(str(u, "verdict") == "ready_unsynced");
  CHECK(str(u, "order_number") == "#900001");
  CHECK(u["order_id"] == 900001);
  CHECK(u["contents_known"] == false);
  CHECK(u["prepaid"] == true);
  CHECK(u["lines"].empty());
  CHECK(has(str(u, "message"), "Code authentique, commande #900001 payée"));
  const json r = answer(f.fr, ":handover #900001");
  CHECK(r["ok"] == true);
  CHECK(str(r, "order_number") == "#900001");
  CHECK(str(r, "event_id") == str(u, "scan_id"));
  const json again = answer(f.fr, demo_token(f, "ready_unsynced").code);
  CHECK(str(again, "verdict") == "already_collected");
  CHECK(again["collected"]["here"] == true);
}

TEST_CASE("--auto-handover hands over a prepaid ready_unsynced token, not an unpaid one") {
  ServiceFixture f;
  HeadlessSession session(*f.service, HeadlessOptions{Lang::fr, true, "borne"});
  const json prepaid = answer(session, demo_token(f, "ready_unsynced").code);
  CHECK(str(prepaid, "verdict") == "ready_unsynced");
  CHECK(prepaid["handed_over"] == true);
  REQUIRE(prepaid.contains("handover"));
  CHECK(prepaid["handover"]["ok"] == true);
  CHECK(str(prepaid["handover"], "order_number") == "#900001");
  CHECK(str(prepaid["handover"], "event_id") == str(prepaid, "scan_id"));
  CHECK(has(str(prepaid, "message"), "remise"));
  CHECK(f.events() == 1);
  REQUIRE(f.ledger_for(900001).size() == 1);
  CHECK(f.ledger_for(900001)[0].staff == "borne");

  // Without the prepaid flag the customer may owe something: a person decides.
  const auto today = static_cast<std::uint16_t>(f.clock.wall_ms() / 1000 / 86400);
  const std::string unpaid =
      codes::sign_token({f.region.key_id, 900100, 1, static_cast<std::uint16_t>(today + 1), 0},
                        f.region.portal_key.secret_key);
  const json u = answer(session, unpaid);
  CHECK(str(u, "verdict") == "ready_unsynced");
  CHECK(u["prepaid"] == false);
  CHECK_FALSE(u.contains("handed_over"));
  CHECK_FALSE(u.contains("handover"));
  CHECK(f.ledger_for(900100).empty());

  // Nor an unsynced token of another stand.
  const json elsewhere = answer(session, demo_token(f, "wrong_stand").code);
  CHECK(str(elsewhere, "verdict") == "wrong_stand");
  CHECK_FALSE(elsewhere.contains("handover"));

  // A prepaid token typed through a French layout is handed over too.
  const json mangled =
      answer(session, *typed_through_layouts(demo_token(f, "ready_unsynced", 1).code, "us", "fr"));
  CHECK(str(mangled, "verdict") == "ready_unsynced");
  CHECK(str(mangled, "layout") == "us>fr");
  CHECK(mangled["handed_over"] == true);
  CHECK(f.events() == 2);
}

}  // namespace comptoir::test
