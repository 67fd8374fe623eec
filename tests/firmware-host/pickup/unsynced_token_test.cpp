// Signed tokens at the counter: a genuine token whose order is not synced yet is handed
// over under its id; keyboard mix-ups are repaired and named.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "codes/scanned_code.hpp"
#include "codes/short_code.hpp"
#include "headless/headless_session.hpp"
#include "tests/firmware-host/service_fixture.hpp"
#include "tests/support/layout_mangler.hpp"

namespace comptoir::test {
namespace {

const provisioning::DemoCode &demo_entry(const ServiceFixture &f, std::string_view verdict,
                                         bool token) {
  for (const auto &c : f.region.codes) {
    if (c.expected_verdict == verdict && (c.code.size() > 100) == token) return c;
  }
  FAIL("no demo entry " << std::string(verdict));
  return f.region.codes.front();
}

std::string us_on_fr(std::string_view text) {
  return *typed_through_layouts(text, "us", "fr");
}

}  // namespace

TEST_CASE("a genuine token of an order not synced yet is handed over as #ID, then collected") {
  ServiceFixture f;
  const auto &entry = demo_entry(f, "ready_unsynced", true);
  auto first = f.service->scan(entry.code);
  REQUIRE(first.ok());
  CHECK(first->kind == VerdictKind::ready_unsynced);
  REQUIRE(first->order.has_value());
  CHECK(first->order->number == entry.order_number);
  CHECK_FALSE(first->order->in_cache);
  CHECK(first->order->prepaid);
  CHECK(first->order->lines.empty());

  auto handed = f.service->hand_over(entry.order_number, {}, "Léa");
  REQUIRE(handed.ok());
  CHECK(handed->event_id == first->scan_id);
  CHECK(handed->order_id == first->order->id);
  CHECK(f.outbox() == 1);

  f.service->reset_double_read_filter();
  auto again = f.service->scan(entry.code);
  REQUIRE(again.ok());
  CHECK(again->kind == VerdictKind::already_collected);

  // Undo, then a refusal with a reason: both are events of that order id.
  REQUIRE(f.service->undo_last("Léa").ok());
  auto refused = f.service->refuse(entry.order_number, "client absent", "Léa");
  REQUIRE(refused.ok());
  CHECK(refused->order_number == entry.order_number);
  CHECK(f.outbox() == 3);
}

TEST_CASE("#ID of an order never scanned and not cached is order_not_found") {
  ServiceFixture f;
  auto r = f.service->hand_over("#987654", {}, "Léa");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "order_not_found");
}

TEST_CASE("a token typed through a French keyboard is read, and the answer names the layout") {
  ServiceFixture f;
  HeadlessSession session(*f.service, HeadlessOptions{Lang::fr, false, "Léa"});
  const auto &entry = demo_entry(f, "ready", true);
  const nlohmann::json j = nlohmann::json::parse(session.handle_line(us_on_fr(entry.code)));
  CHECK(j["verdict"] == "ready");
  CHECK(j["order_number"] == entry.order_number);
  CHECK(j["layout"] == "us>fr");
  CHECK(j["layout_message"].get<std::string>().find("Réglez le lecteur sur FR") !=
        std::string::npos);
}

TEST_CASE("short codes typed through mismatched layouts are repaired and named") {
  // A code with digits, A, Q, Z, W, M and Y: every layout pair changes it.
  const std::uint64_t value = 0x2A5F3C9E71B4ULL & codes::kShortCodeMax;
  const std::string code = codes::format_short_code(value);
  CAPTURE(code);
  const codes::ScannedCode as_typed = codes::parse_scan(code);
  REQUIRE(std::holds_alternative<codes::ShortCodeScan>(as_typed));
  CHECK(std::get<codes::ShortCodeScan>(as_typed).layout.empty());

  const codes::ScannedCode mangled = codes::parse_scan(us_on_fr(code));
  REQUIRE(std::holds_alternative<codes::ShortCodeScan>(mangled));
  CHECK(std::get<codes::ShortCodeScan>(mangled).value == value);
  CHECK(std::get<codes::ShortCodeScan>(mangled).layout == "us>fr");
}

}  // namespace comptoir::test
