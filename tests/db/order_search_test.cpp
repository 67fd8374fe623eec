// Folding and the list queries behind the kiosk's search and day report: accents, case and
// dashes fold away; the search keeps to one stand and ranks number prefixes first; the
// window query keeps to orders whose pickup window overlaps; the day's handovers leave out
// undone ones and refusals; the v4 indexes are used.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "db/handover_ledger.hpp"
#include "db/order_cache.hpp"
#include "db/text_fold.hpp"
#include "tests/db/db_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

TEST_CASE("fold_text folds case, French accents and ligatures, and separators") {
  CHECK(db::fold_text("Hélène R.") == "helene r");
  CHECK(db::fold_text("ÉLOÏSE") == "eloise");
  CHECK(db::fold_text("àâäçéèêëîïôöùûüÿ") == "aaaceeeeiioouuuy");
  CHECK(db::fold_text("ÀÂÇÉÈÊËÎÏÔÖÙÛÜ") == "aaceeeeiioouuu");
  CHECK(db::fold_text("Œufs fermiers") == "oeufs fermiers");
  CHECK(db::fold_text("cœur") == "coeur");
  CHECK(db::fold_text("Lætitia Æ") == "laetitia ae");
  CHECK(db::fold_text("Jean-Pierre  L.") == "jean pierre l");
  CHECK(db::fold_text("l’Aubrac d'Aveyron") == "l aubrac d aveyron");
  CHECK(db::fold_text("  ") == "");
  // Characters it does not know pass through unchanged, and broken UTF-8 does not crash.
  CHECK(db::fold_text("Zoë €5 ×") == "zoe €5 ×");
  CHECK(db::fold_text(std::string("a\xc3", 2)) == std::string("a\xc3", 2));
  CHECK(db::fold_text(std::string("\xe2\x80", 2)) == std::string("\xe2\x80", 2));
}

TEST_CASE("fold_text drops combining accents: decomposed text folds like composed text") {
  // "Hélène" as NFD: e + U+0301, e + U+0300.
  const std::string decomposed = "He\xCC\x81le\xCC\x80ne";
  CHECK(db::fold_text(decomposed) == "helene");
  CHECK(db::fold_text(decomposed) == db::fold_text("Hélène"));
  // c + cedilla U+0327, o + diaeresis U+0308, several marks on one letter (U+0323 U+0302).
  CHECK(db::fold_text("Franc\xCC\xA7ois") == "francois");
  CHECK(db::fold_text("Zo\xCC\x88"
                      "e") == "zoe");
  CHECK(db::fold_text("e\xCC\xA3\xCC\x82") == "e");
  // Both ends of the block, and marks around separators.
  CHECK(db::fold_text("a\xCC\x80"
                      "b\xCD\xAF") == "ab");
  CHECK(db::fold_text("Jean-\xCC\x81Luc") == "jean luc");
  CHECK(db::fold_text("\xCC\x81") == "");
}

TEST_CASE("fold_text: no-break spaces and Unicode dashes separate words") {
  CHECK(db::fold_text("Jean\xC2\xA0Pierre") == "jean pierre");  // U+00A0
  CHECK(db::fold_text("C\xE2\x80\xAF"
                      "104") == "c 104");                           // U+202F
  CHECK(db::fold_text("Jean\xE2\x80\x90Pierre") == "jean pierre");  // U+2010 hyphen
  CHECK(db::fold_text("Jean\xE2\x80\x91Pierre") == "jean pierre");  // U+2011
  CHECK(db::fold_text("a\xE2\x80\x92"
                      "b\xE2\x80\x93"
                      "c") == "a b c");                           // U+2012 U+2013
  CHECK(db::fold_text("a \xE2\x80\x94 b\xE2\x80\x95") == "a b");  // U+2014 U+2015
  CHECK(db::fold_text("\xC2\xA0 Zoé \xE2\x80\xAF") == "zoe");
  // Just outside the ranges: passed through.
  CHECK(db::fold_text("a\xE2\x80\x8F"
                      "b") ==
        "a\xE2\x80\x8F"
        "b");  // U+200F
  CHECK(db::fold_text("a\xE2\x80\x96"
                      "b") ==
        "a\xE2\x80\x96"
        "b");  // U+2016
  CHECK(db::fold_number("C\xE2\x80\x91"
                        "104\xC2\xA0"
                        "217") == "c104217");
}

TEST_CASE("fold_text folds Latin Extended-A letters") {
  CHECK(db::fold_text("Łukasz Żółć") == "lukasz zolc");
  CHECK(db::fold_text("ŠŤASTNÝ Dvořák") == "stastny dvorak");
  CHECK(db::fold_text("Erdős Ő ű") == "erdos o u");
  CHECK(db::fold_text("Kateřina Ňůěď") == "katerina nued");
  CHECK(db::fold_text("Ăşı İĞ") == "asi ig");
  CHECK(db::fold_text("Đorđe Ħ Ŧ ĸ ŀ Ĳ ſ") == "dorde h t k l ij s");
  CHECK(db::fold_text("ĀāŽž") == "aazz");  // U+0100, U+0101, U+017D, U+017E
  // Every letter of the block folds to ASCII, upper and lower case alike.
  for (char32_t cp = 0x0100; cp <= 0x017f; ++cp) {
    std::string utf8;
    utf8 += static_cast<char>(0xc0 | (cp >> 6));
    utf8 += static_cast<char>(0x80 | (cp & 0x3f));
    CAPTURE(static_cast<unsigned>(cp));
    const std::string folded = db::fold_text(utf8);
    CHECK_FALSE(folded.empty());
    for (char c : folded) CHECK((c >= 'a' && c <= 'z'));
  }
  // Just past the block (U+0180 ƀ): passed through.
  CHECK(db::fold_text("\xC6\x80") == "\xC6\x80");
}

TEST_CASE("fold_number keeps letters and digits only") {
  CHECK(db::fold_number("C-104217") == "c104217");
  CHECK(db::fold_number(" c 104-217 ") == "c104217");
  CHECK(db::fold_number("--") == "");
}

TEST_CASE("search_rank: number prefix 1, contained 2, nothing 0") {
  CHECK(db::search_rank("C-104217", "Marie D.", "c104", "c104") == 1);
  CHECK(db::search_rank("C-104217", "Marie D.", "104", "104") == 1);  // letter prefix dropped
  CHECK(db::search_rank("C-104217", "Marie D.", "4217", "4217") == 2);
  CHECK(db::search_rank("C-104217", "Hélène R.", "helene", "helene") == 2);
  CHECK(db::search_rank("C-104217", "Hélène R.", "helena", "helena") == 0);
  CHECK(db::search_rank("C-104217", "Hélène R.", "", "") == 0);
  // A customer whose name holds the text, not the number key: still found.
  CHECK(db::search_rank("C-1", "Jean-Pierre L.", "jeanpierre", "jean pierre") == 2);
}

// EXPLAIN QUERY PLAN of `sql` (unbound parameters are fine): its detail lines, joined.
std::string query_plan(db::Database &d, const std::string &sql) {
  db::Statement plan = d.connection().prepare("EXPLAIN QUERY PLAN " + sql);
  REQUIRE(plan.valid());
  std::string details;
  int rc;
  while ((rc = plan.step()) == SQLITE_ROW) details += plan.text(3) + "\n";
  REQUIRE(rc == SQLITE_DONE);
  INFO(details);
  CHECK_FALSE(details.empty());
  return details;
}

struct ListFixture {
  TempDir dir;
  std::unique_ptr<db::Database> d = open_db(dir.file("comptoir.db"));
  db::OrderCache cache{d->connection()};
  db::HandoverLedger ledger{d->connection()};

  ListFixture() { put_catalogue(cache); }

  void put(db::Order o) { REQUIRE(cache.put_order(o).ok()); }

  std::vector<std::string> search(std::string_view q, std::size_t limit = 20,
                                  std::int64_t stand = 1) {
    auto r = cache.search(stand, q, limit);
    INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
    REQUIRE(r.ok());
    std::vector<std::string> numbers;
    for (const auto &l : *r) numbers.push_back(l.order.number);
    return numbers;
  }
};

db::Order order(std::int64_t id, std::string number, std::string customer, std::int64_t from,
                std::int64_t stand = 1) {
  db::Order o = make_order(id, stand);
  o.number = std::move(number);
  o.customer = std::move(customer);
  o.pickup_from = from;
  o.pickup_until = from + 3600;
  return o;
}

TEST_CASE("order cache search: folded, one stand, number prefixes first, then pickup time") {
  ListFixture f;
  f.put(order(1, "C-104217", "Marie D.", 5000));
  f.put(order(2, "C-200104", "Hélène R.", 1000));
  f.put(order(3, "C-104999", "Œuf Martin", 9000));
  f.put(order(4, "C-300000", "HELENE Dupuis", 3000));
  f.put(order(5, "B-104000", "Hélène Autre-Stand", 100, 2));

  CHECK(f.search("helene") == std::vector<std::string>{"C-200104", "C-300000"});
  CHECK(f.search("HÉLÈNE") == std::vector<std::string>{"C-200104", "C-300000"});
  CHECK(f.search("oeuf") == std::vector<std::string>{"C-104999"});
  CHECK(f.search("Œuf") == std::vector<std::string>{"C-104999"});
  // Numbers starting with 104 (after their letter) first, by time; then the one holding it.
  CHECK(f.search("104") == std::vector<std::string>{"C-104217", "C-104999", "C-200104"});
  CHECK(f.search("c104") == std::vector<std::string>{"C-104217", "C-104999"});
  CHECK(f.search("c-104 2") == std::vector<std::string>{"C-104217"});
  CHECK(f.search("104", 2) == std::vector<std::string>{"C-104217", "C-104999"});
  CHECK(f.search("104", 0).empty());
  CHECK(f.search("nobody").empty());
  // The other stand's order is found only when searching that stand.
  CHECK(f.search("autre").empty());
  CHECK(f.search("autre", 20, 2) == std::vector<std::string>{"B-104000"});

  // Decomposed accents, no-break spaces and Latin Extended-A names in the cache or the
  // query fold the same way.
  f.put(order(6, "C-600000", "He\xCC\x81le\xCC\x80ne\xC2\xA0Łukasiewicz", 4000));
  for (std::string_view q : {"helene luk", "Hélène Łuk", "HE\xCC\x81LE\xCC\x80NE", "lukasiewicz"}) {
    CAPTURE(q);
    const auto found = f.search(q);
    CHECK(std::find(found.begin(), found.end(), "C-600000") != found.end());
  }
  CHECK(f.search("Dvořák").empty());
  f.put(order(7, "C-700000", "Antonín Dvořák", 4500));
  CHECK(f.search("dvorak") == std::vector<std::string>{"C-700000"});
  CHECK(f.search("c\xE2\x80\x91"
                 "700") == std::vector<std::string>{"C-700000"});

  auto listed = f.cache.search(1, "marie", 5);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().line_count == 3);
  CHECK(listed->front().order.lines.empty());
  CHECK(listed->front().order.customer == "Marie D.");
}

TEST_CASE("order cache in_window: windows overlapping from..until, by pickup time") {
  ListFixture f;
  f.put(order(1, "C-1", "a", 1000));  // 1000..4600
  f.put(order(2, "C-2", "b", 5000));  // 5000..8600
  f.put(order(3, "C-3", "c", 9000));  // 9000..12600
  f.put(order(4, "C-4", "d", 6000, 2));
  db::Order long_one = order(5, "C-5", "e", 0);
  long_one.pickup_until = 20000;
  f.put(long_one);

  auto r = f.cache.in_window(1, 4600, 9000);
  REQUIRE(r.ok());
  std::vector<std::string> numbers;
  for (const auto &l : *r) numbers.push_back(l.order.number);
  // C-1 ends exactly at the start (still overlaps), C-3 starts exactly at the end (does not).
  CHECK(numbers == std::vector<std::string>{"C-5", "C-1", "C-2"});

  // The statement in_window runs, not a look-alike: it reads orders through the v4 index.
  const std::string details = query_plan(*f.d, db::OrderCache::in_window_sql());
  CHECK(details.find("SEARCH o USING INDEX orders_by_stand_until") != std::string::npos);
  CHECK(details.find("SCAN o") == std::string::npos);
}

TEST_CASE("ledger: the day's handovers leave out undone ones, refusals and other days") {
  ListFixture f;
  for (std::int64_t id : {1, 2, 3, 4}) f.put(order(id, "C-" + std::to_string(id), "x", 1000));
  REQUIRE(f.ledger.append(make_event("a", 1, db::EventKind::full, "c", 10'000)).ok());
  REQUIRE(f.ledger.append(make_event("b", 2, db::EventKind::partial, "c", 20'000)).ok());
  REQUIRE(f.ledger.append(make_event("c", 3, db::EventKind::full, "c", 30'000)).ok());
  db::HandoverEvent undo = make_event("u", 3, db::EventKind::undo, "c", 31'000);
  undo.undoes = "c";
  REQUIRE(f.ledger.append(undo).ok());
  REQUIRE(f.ledger.append(make_event("r", 4, db::EventKind::refused, "c", 40'000)).ok());
  REQUIRE(f.ledger.append(make_event("late", 4, db::EventKind::full, "c", 50'000)).ok());

  auto day = f.ledger.handovers_between(10'000, 50'000);
  REQUIRE(day.ok());
  REQUIRE(day->size() == 2);
  CHECK((*day)[0].uuid == "a");
  CHECK((*day)[1].uuid == "b");
  auto all = f.ledger.handovers_between(0, 60'000);
  REQUIRE(all.ok());
  CHECK(all->size() == 3);

  // The statement handovers_between runs reads the day's events through the v4 index.
  const std::string details = query_plan(*f.d, db::HandoverLedger::between_sql());
  CHECK(details.find("USING INDEX handover_events_by_wall") != std::string::npos);

  auto window = f.ledger.events_for_window(1, 0, 100'000);
  REQUIRE(window.ok());
  REQUIRE(window->size() == 6);
  CHECK((*window)[0].order_id == 1);
  CHECK((*window)[3].kind == db::EventKind::undo);
  CHECK((*window)[5].uuid == "late");
  auto other = f.ledger.events_for_window(2, 0, 100'000);
  REQUIRE(other.ok());
  CHECK(other->empty());
}

TEST_CASE("order cache sync_state reads the sync agent's values") {
  ListFixture f;
  auto none = f.cache.sync_state("last_pull_ms");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(f.d->connection()
              .exec("INSERT INTO sync_state(key, value) VALUES('last_pull_ms', '1760000000000')")
              .ok());
  auto some = f.cache.sync_state("last_pull_ms");
  REQUIRE(some.ok());
  REQUIRE(some->has_value());
  CHECK(**some == "1760000000000");
}

}  // namespace
}  // namespace comptoir::test
