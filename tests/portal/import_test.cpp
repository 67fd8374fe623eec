// Reading orders from CSV and JSON for `comptoir-portal order import`: quoted CSV fields,
// any column order, times in Unix seconds or ISO 8601, and errors that name the row (or the
// array index) and the field.
#include "portal/import.hpp"

#include <doctest/doctest.h>

#include <string>

#include "codes/short_code.hpp"

namespace comptoir::portal {
namespace {

TEST_CASE("times: Unix seconds and ISO 8601 with a zone, nothing ambiguous") {
  CHECK(parse_time("1767261600") == 1767261600);
  CHECK(parse_time("2026-01-01T10:00:00Z") == 1767261600);
  CHECK(parse_time("2026-01-01T11:00+01:00") == 1767261600);
  CHECK(parse_time("2026-01-01T09:30:00-00:30") == 1767261600);
  CHECK(parse_time("2026-01-01") == 1767225600);
  CHECK(parse_time("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_time("2028-02-29T00:00:00Z") == 1835395200);
  for (const char *bad : {"", "tomorrow", "2026-01-01T10:00", "2026-13-01", "2026-01-01T25:00Z",
                          "-5", "2026-01-01T10:00:00+0100", "12.5"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_time(bad).has_value());
  }
}

TEST_CASE("line specs and short codes as the admin types them") {
  auto line = parse_line_spec("1000:2500:780", 3);
  REQUIRE(line.ok());
  CHECK(*line == wire::OrderLine{3, 1000, 2500, 780});
  for (const char *bad : {"1000:2500", "1000:2500:780:1", "a:b:c", "1000::780"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_line_spec(bad, 1).ok());
  }
  auto lines = parse_line_specs(" 1000:1:2; 1001:3:4  1002:5:6 ");
  REQUIRE(lines.ok());
  REQUIRE(lines->size() == 3);
  CHECK((*lines)[2] == wire::OrderLine{3, 1002, 5, 6});

  const std::string shown = codes::format_short_code(123456789);  // with its check symbol
  CHECK(parse_short_code(shown) == 123456789u);
  std::string bare = shown;
  bare.erase(std::remove(bare.begin(), bare.end(), '-'), bare.end());
  bare.pop_back();
  CHECK(parse_short_code(bare) == 123456789u);
  std::string wrong = shown;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  CHECK_FALSE(parse_short_code(wrong).has_value());
}

TEST_CASE("CSV: a header in any order, quoted names, one order a row") {
  const std::string csv =
      "\xEF\xBB\xBF"
      "customer,stand,from,until,lines,number,due\r\n"
      "\"Dupont, Marie\",1,2026-05-02T08:00:00Z,2026-05-03T18:00:00Z,1000:2000:780 1001:1250:350,"
      "C-1,0\r\n"
      "\r\n"
      "\"Le \"\"Grand\"\" Paul\",2,1767261600,1767348000,2000:1000:900,,450\n";
  auto parsed = parse_orders_file(csv);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? std::string() : parsed.error().detail));
  REQUIRE(parsed->orders.size() == 2);
  CHECK(parsed->labels == std::vector<std::string>{"row 2", "row 4"});
  const auto &a = parsed->orders[0].order;
  CHECK(a.customer == "Dupont, Marie");
  CHECK(a.stand_id == 1);
  CHECK(a.number == "C-1");
  CHECK(a.status == wire::OrderStatus::ready);
  CHECK(a.pickup_from == 1777708800);
  CHECK(a.lines.size() == 2);
  CHECK(a.id == 0);
  const auto &b = parsed->orders[1].order;
  CHECK(b.customer == "Le \"Grand\" Paul");
  CHECK(b.due_cents == 450);
  CHECK(b.number.empty());
}

TEST_CASE("CSV errors name the row and the field") {
  struct Case {
    std::string csv, mentions;
  };
  const std::string header = "stand,customer,from,until,lines\n";
  const std::string good = "1,Marie,1767261600,1767348000,1000:1:2\n";
  for (const Case &c : {
           Case{"", "empty"},
           Case{"stand,customer,from,until\n" + good, "the column lines is missing"},
           Case{"stand,customer,from,until,lines,colour\n", "\"colour\" is not a column"},
           Case{header + good + "x,Paul,1767261600,1767348000,1000:1:2\n", "row 3, stand"},
           Case{header + good + "1,Paul,demain,1767348000,1000:1:2\n", "row 3, from"},
           Case{header + good + "1,Paul,1767261600,1767348000,\n", "row 3, lines: missing"},
           Case{header + good + "1,Paul,1767261600,1767348000,1000-1-2\n", "row 3, lines"},
           Case{header + good + "1,,1767261600,1767348000,1000:1:2\n", "row 3, customer"},
           Case{header + good + "1,Paul,1767261600,1767348000,1000:1:2,extra\n", "row 3: 6 fields"},
           Case{header + "1,\"Paul,1767261600\n", "never closed"},
           Case{"stand,customer,from,until,lines,status\n1,P,1,2,1000:1:2,collected\n",
                "row 2, status"},
           Case{header, "no order"},
       }) {
    CAPTURE(c.csv);
    auto parsed = parse_orders_csv(c.csv);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "invalid");
    CHECK_MESSAGE(parsed.error().detail.find(c.mentions) != std::string::npos,
                  parsed.error().detail);
  }
}

TEST_CASE("JSON: an array of orders, errors naming the index and the field") {
  const std::string json = R"([
    {"stand": 1, "customer": "Marie D.", "from": "2026-05-02T08:00:00Z", "until": 1777881600,
     "paid": 2150, "code": "K7QM9X2DF3", "status": "pending",
     "lines": [{"product": 1000, "quantity_milli": 2000, "price_cents": 780},
               {"line": 5, "product": 1003, "quantity_milli": 1250, "price_cents": 350}]}
  ])";
  auto parsed = parse_orders_file(json);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? std::string() : parsed.error().detail));
  REQUIRE(parsed->orders.size() == 1);
  const auto &o = parsed->orders[0];
  CHECK(o.order.status == wire::OrderStatus::pending);
  CHECK(o.order.paid_cents == 2150);
  REQUIRE(o.short_code.has_value());
  CHECK(codes::format_short_code(*o.short_code).substr(0, 12) == "K7QM-9X2D-F3");
  CHECK(o.order.lines[1] == wire::OrderLine{5, 1003, 1250, 350});
  CHECK(parsed->labels.front() == "orders[0]");

  struct Case {
    std::string json, mentions;
  };
  for (const Case &c : {
           Case{"[{]", "not valid JSON"},
           Case{"{}", "array"},
           Case{"[]", "no order"},
           Case{R"([{"stand":1,"customer":"a","from":1,"until":2,"lines":[]}])", "orders[0].lines"},
           Case{R"([{"stand":1,"customer":"a","from":1,"until":2,"lines":[{"product":1}]}])",
                "orders[0].lines[0].quantity_milli: missing"},
           Case{R"([{"stand":"1","customer":"a","from":1,"until":2,"lines":[]}])",
                "orders[0].stand"},
           Case{R"([{"stand":1,"customer":"a","from":"soon","until":2,"lines":[]}])",
                "orders[0].from"},
           Case{R"([{"stand":1,"customer":"a","from":1,"until":2,"colour":"red","lines":[]}])",
                "orders[0].colour"},
           Case{R"([{"stand":1,"from":1,"until":2,"lines":[]}])", "orders[0].customer: missing"},
       }) {
    CAPTURE(c.json);
    auto r = parse_orders_file(c.json);
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.error().detail.find(c.mentions) != std::string::npos, r.error().detail);
  }
}

}  // namespace
}  // namespace comptoir::portal
