// End to end: the real `comptoir-provision` and `comptoir --headless` binaries, driven
// through pipes, on real data directories.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "db/handover_ledger.hpp"
#include "db/order_cache.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/layout_mangler.hpp"
#include "tests/support/sqlite_files.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

using nlohmann::json;

}  // namespace

TEST_CASE("every code of demo-codes.json gets its expected verdict from comptoir --headless") {
  DemoDir demo;
  std::string input;
  for (const json &c : demo.codes) input += c["code"].get<std::string>() + "\n";
  const RunResult r = demo.headless(input);
  require_exit(r, 0);
  CHECK(r.err.empty());

  const std::vector<json> lines = json_lines(r.out);
  REQUIRE(lines.size() == demo.codes.size());
  std::set<std::string> verdicts;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json &c = demo.codes[i];
    const json &j = lines[i];
    CAPTURE(c.dump());
    CHECK(j["verdict"] == c["expected_verdict"]);
    CHECK_FALSE(j.contains("repeat"));
    CHECK(j["message"].is_string());
    if (!c["order_number"].get<std::string>().empty())
      CHECK(j["order_number"] == c["order_number"]);
    verdicts.insert(j["verdict"].get<std::string>());
  }
  CHECK(verdicts.size() == 14);
}

TEST_CASE("comptoir-provision demo prints codes to try and refuses a second run") {
  TempDir tmp;
  const std::string data = tmp.file("data");
  const RunResult first = run({bin("comptoir-provision"), "demo", "--data", data});
  require_exit(first, 0);
  CHECK(first.out.find("verdict attendu") != std::string::npos);
  CHECK(first.out.find("demo-codes.json") != std::string::npos);
  CHECK(first.out.find("already_collected") != std::string::npos);

  const std::string before = read_file(data + "/comptoir.db");
  const RunResult second = run({bin("comptoir-provision"), "demo", "--data", data});
  require_exit(second, 1);
  CHECK(second.err.find("already holds a cache") != std::string::npos);
  CHECK(read_file(data + "/comptoir.db") == before);
}

TEST_CASE(":handover then a rescan gives already_collected, in this process and the next") {
  DemoDir demo;
  const std::vector<json> ready = demo.orders_with("ready");
  REQUIRE_FALSE(ready.empty());
  const json &first = ready.front();
  REQUIRE(first["order_number"] == "C-100001");
  const std::string code = first["code"].get<std::string>();

  const RunResult r = demo.headless(":handover C-100001\n" + code + "\n");
  require_exit(r, 0);
  const std::vector<json> lines = json_lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["ok"] == true);
  CHECK(lines[0]["kind"] == "full");
  CHECK(lines[0]["order_number"] == "C-100001");
  CHECK(lines[1]["verdict"] == "already_collected");
  CHECK(lines[1]["order_number"] == "C-100001");
  CHECK(lines[1]["collected"]["here"] == true);

  const RunResult later = demo.headless(code + "\n");
  require_exit(later, 0);
  const std::vector<json> again = json_lines(later.out);
  REQUIRE(again.size() == 1);
  CHECK(again[0]["verdict"] == "already_collected");
}

TEST_CASE("messages are French by default and English with --lang en") {
  DemoDir demo;
  const std::string code = demo.orders_with("ready").front()["code"].get<std::string>();
  const std::string junk = "3017620422003";

  const RunResult fr = demo.headless(code + "\n" + junk + "\n");
  require_exit(fr, 0);
  const std::vector<json> f = json_lines(fr.out);
  REQUIRE(f.size() == 2);
  CHECK(f[0]["message"].get<std::string>().find("prête") != std::string::npos);
  CHECK(f[1]["message"].get<std::string>().find("code-barres") != std::string::npos);

  const RunResult en = demo.headless(code + "\n" + junk + "\n", {"--lang", "en"});
  require_exit(en, 0);
  const std::vector<json> e = json_lines(en.out);
  REQUIRE(e.size() == 2);
  CHECK(e[0]["verdict"] == "ready");
  CHECK(e[0]["message"] == "Order ready: hand it over to the customer.");
  CHECK(e[1]["message"].get<std::string>().find("product barcode") != std::string::npos);

  const RunResult bad = demo.headless("", {"--lang", "de"});
  require_exit(bad, 2);
}

TEST_CASE("garbage lines each get one JSON line and the process exits 0 at end of input") {
  DemoDir demo;
  std::string binary;
  for (int b = 0; b < 256; ++b) {
    if (b != '\n') binary += static_cast<char>(b);
  }
  std::mt19937_64 rng(5);
  std::shuffle(binary.begin(), binary.end(), rng);
  const std::string input =
      binary + "\n" + std::string(20 * 1024, 'Q') + "\n" + "\n" + "\r\n" + ":status";
  const RunResult r = demo.headless(input);
  require_exit(r, 0);
  const std::vector<json> lines = json_lines(r.out);  // every line parses as JSON
  REQUIRE(lines.size() == 5);
  CHECK(lines[0]["verdict"] == "not_a_pickup_code");
  CHECK(lines[1]["verdict"] == "not_a_pickup_code");
  CHECK(lines[1]["detail"] == "too_long");
  CHECK(lines[2]["detail"] == "empty");
  CHECK(lines[3]["detail"] == "empty");
  CHECK(lines[4]["type"] == "status");
  CHECK(lines[4]["events_waiting"] == 0);
}

TEST_CASE("a corrupt comptoir.db stops comptoir with exit 1, a clear message, the file untouched") {
  DemoDir demo;
  SUBCASE("garbage in place of the database") {
    std::mt19937_64 rng(3);
    std::string garbage(96 * 1024, '\0');
    for (char &c : garbage) c = static_cast<char>(rng() & 0xff);
    write_file(demo.db_path, garbage);
  }
  SUBCASE("a real cache whose ledger page is overwritten") {
    const TablePages pages = table_pages(demo.db_path, "handover_events");
    corrupt_page(demo.db_path, pages.page_size, pages.pages[pages.pages.size() / 2], 11);
  }
  REQUIRE_FALSE(sidecar_exists(demo.db_path, "-wal"));
  const std::string before = read_file(demo.db_path);

  const RunResult fr = demo.headless("C-100001\n");
  require_exit(fr, 1);
  CHECK(fr.err.find("comptoir:") != std::string::npos);
  CHECK(fr.err.find("endommagée") != std::string::npos);
  const std::vector<json> lines = json_lines(fr.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["ok"] == false);
  CHECK(lines[0]["error"] == "database_corrupt");

  const RunResult en = demo.headless("", {"--lang", "en"});
  require_exit(en, 1);
  CHECK(en.err.find("Damaged database") != std::string::npos);
  CHECK(en.err.find("left untouched") != std::string::npos);

  CHECK(read_file(demo.db_path) == before);
  CHECK_FALSE(sidecar_exists(demo.db_path, "-wal"));
  CHECK_FALSE(sidecar_exists(demo.db_path, "-shm"));
}

TEST_CASE("without a stand comptoir stops with no_stand") {
  TempDir tmp;
  const RunResult r = run({bin("comptoir"), "--headless", "--data", tmp.file("empty")});
  require_exit(r, 1);
  const std::vector<json> lines = json_lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["error"] == "no_stand");
  CHECK(r.err.find("comptoir-provision demo") != std::string::npos);
  // Nothing created: the advice it gives (provision this directory) still works.
  CHECK_FALSE(std::filesystem::exists(tmp.file("empty") + "/comptoir.db"));
  const RunResult provision = run({bin("comptoir-provision"), "demo", "--data", tmp.file("empty")});
  require_exit(provision, 0);
}

TEST_CASE("a second comptoir on the same data directory stops with data_dir_locked") {
  DemoDir demo;
  Subprocess first({bin("comptoir"), "--headless", "--data", demo.data});
  REQUIRE(first.write(":status\n"));
  const auto status = first.read_line();
  REQUIRE(status.has_value());
  CHECK(json::parse(*status)["type"] == "status");  // the first one is up and holds the lock

  const RunResult second = demo.headless(":status\n");
  require_exit(second, 1);
  const std::vector<json> lines = json_lines(second.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["error"] == "data_dir_locked");
  CHECK(second.err.find(demo.data) != std::string::npos);

  // The first one is unaffected and ends normally.
  REQUIRE(first.write("C-100001\n"));
  const auto verdict = first.read_line();
  REQUIRE(verdict.has_value());
  CHECK(json::parse(*verdict)["verdict"] == "ready");
  first.close_stdin();
  first.read_to_end();
  const ExitStatus exit = first.wait();
  CHECK(exit.exited);
  CHECK(exit.code == 0);

  // Once it is gone, the directory is free again.
  require_exit(demo.headless(":status\n"), 0);
}

TEST_CASE("--auto-handover hands a ready order over once and the double read is a repeat") {
  DemoDir demo;
  const std::string code = demo.orders_with("ready").front()["code"].get<std::string>();
  const RunResult r = demo.headless(code + "\n" + code + "\n", {"--auto-handover"});
  require_exit(r, 0);
  const std::vector<json> lines = json_lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["verdict"] == "ready");
  CHECK(lines[0]["handover"]["ok"] == true);
  CHECK(lines[1]["repeat"] == true);
  CHECK(lines[1]["verdict"] == "ready");
  CHECK_FALSE(lines[1].contains("handover"));

  const RunResult later = demo.headless(code + "\n", {"--auto-handover"});
  require_exit(later, 0);
  const std::vector<json> again = json_lines(later.out);
  REQUIRE(again.size() == 1);
  CHECK(again[0]["verdict"] == "already_collected");
  CHECK_FALSE(again[0].contains("handover"));
}

TEST_CASE("SIGKILL right after a reported handover leaves it in the ledger and the outbox") {
  DemoDir demo;
  const std::vector<json> ready = demo.orders_with("ready");
  REQUIRE(ready.size() >= 5);
  std::vector<std::string> event_ids;
  for (std::size_t i = 0; i < 5; ++i) {
    const std::string number = ready[i]["order_number"].get<std::string>();
    CAPTURE(number);
    std::string event_id;
    {
      Subprocess child({bin("comptoir"), "--headless", "--data", demo.data, "--staff", "Léa"});
      REQUIRE(child.write(":handover " + number + "\n"));
      const auto line = child.read_line();
      INFO("stderr: " << child.stderr_text());
      REQUIRE(line.has_value());
      const json reply = json::parse(*line);
      REQUIRE(reply["ok"] == true);
      REQUIRE(reply["kind"] == "full");
      event_id = reply["event_id"].get<std::string>();
      child.kill(SIGKILL);  // at once: no clean shutdown, no checkpoint
      const ExitStatus exit = child.wait();
      CHECK_FALSE(exit.exited);
      CHECK(exit.signal == SIGKILL);
    }
    event_ids.push_back(event_id);

    auto opened = db::Database::open(demo.db_path);
    REQUIRE(opened.ok());
    db::OrderCache cache((*opened)->connection());
    db::HandoverLedger ledger((*opened)->connection());
    auto order = cache.find_by_number(number);
    REQUIRE(order.ok());
    REQUIRE(order->has_value());
    auto events = ledger.events_for_order((*order)->id);
    REQUIRE(events.ok());
    REQUIRE(events->size() == 1);
    const db::HandoverEvent &e = events->front();
    CHECK(e.uuid == event_id);
    CHECK(e.kind == db::EventKind::full);
    CHECK(e.staff == "Léa");
    db::Statement s =
        (*opened)->connection().prepare("SELECT COUNT(*) FROM outbox WHERE event_seq = ?");
    s.bind(1, e.seq);
    REQUIRE(s.step() == SQLITE_ROW);
    CHECK(s.int64(0) == 1);
    auto waiting = ledger.outbox_size();
    REQUIRE(waiting.ok());
    CHECK(*waiting == static_cast<std::int64_t>(i + 1));
  }
  CHECK(std::set<std::string>(event_ids.begin(), event_ids.end()).size() == 5);
  CHECK(db::Database::check_everything(demo.db_path).ok());
}

TEST_CASE("a signed token typed through an AZERTY host is read back as the right order, ready") {
  DemoDir demo;
  std::vector<json> tokens;  // genuine ready tokens, as the portal's QR codes hold them
  for (const json &c : demo.codes) {
    const std::string code = c["code"].get<std::string>();
    if (code.starts_with("ZA1") && c["expected_verdict"] == "ready") tokens.push_back(c);
  }
  REQUIRE(tokens.size() >= 4);
  // A US-configured scanner on a French host, the reverse, and a German host; a different
  // order each, so none is the scanner's double read of the one before.
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"us", "fr"}, {"fr", "us"}, {"us", "de"}};
  std::string input;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto typed = typed_through_layouts(tokens[i]["code"].get<std::string>(), pairs[i].first,
                                             pairs[i].second);
    REQUIRE(typed.has_value());
    REQUIRE(*typed != tokens[i]["code"].get<std::string>());
    input += *typed + "\n";
  }
  const RunResult r = demo.headless(input);
  require_exit(r, 0);
  CHECK(r.err.empty());
  const std::vector<json> lines = json_lines(r.out);
  REQUIRE(lines.size() == pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const json &j = lines[i];
    CAPTURE(j.dump());
    CHECK(j["verdict"] == "ready");
    CHECK(j["order_number"] == tokens[i]["order_number"]);
    CHECK(j["layout"] == pairs[i].first + ">" + pairs[i].second);
    CHECK(j["layout_message"].get<std::string>().find("Réglez le lecteur sur") !=
          std::string::npos);
  }
  CHECK(lines[0]["layout_message"].get<std::string>().find("sur FR") != std::string::npos);

  // And handed over from the mangled read, with --auto-handover.
  const std::string typed =
      *typed_through_layouts(tokens[3]["code"].get<std::string>(), "us", "fr");
  const RunResult auto_run = demo.headless(typed + "\n", {"--auto-handover"});
  require_exit(auto_run, 0);
  const std::vector<json> handed = json_lines(auto_run.out);
  REQUIRE(handed.size() == 1);
  CHECK(handed[0]["layout"] == "us>fr");
  CHECK(handed[0]["handed_over"] == true);
  CHECK(handed[0]["handover"]["order_number"] == tokens[3]["order_number"]);
}

}  // namespace comptoir::test
