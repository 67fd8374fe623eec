// parse_scan: what a scanned or typed line is, before any lookup; bounded whatever comes in.
#include "codes/scanned_code.hpp"

#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>
#include <variant>

#include "codes/short_code.hpp"

namespace comptoir::test {
namespace {

// The NotACode reason, or "" when the text is some kind of code.
std::string not_a_code(std::string_view text) {
  const codes::ScannedCode code = codes::parse_scan(text);
  const auto *n = std::get_if<codes::NotACode>(&code);
  return n ? n->reason : std::string();
}

const std::set<std::string> kReasons = {"empty",           "too_long",    "control_characters",
                                        "product_barcode", "web_address", "unrecognised"};

}  // namespace

TEST_CASE("product barcodes (EAN-13, EAN-8, UPC-A, GTIN-14) are not pickup codes") {
  CHECK(not_a_code("3017620422003") == "product_barcode");  // a jar of hazelnut spread
  CHECK(not_a_code("96385074") == "product_barcode");
  CHECK(not_a_code("036000291452") == "product_barcode");
  CHECK(not_a_code("00012345600012") == "product_barcode");
  CHECK(not_a_code(" 3017620422003\r\n") == "product_barcode");
  // A wrong GTIN check digit is no product barcode.
  CHECK(not_a_code("3017620422004") != "product_barcode");
}

TEST_CASE("web addresses are not pickup codes") {
  CHECK(not_a_code("https://example.org/commande/42") == "web_address");
  CHECK(not_a_code("http://portail.example/c/C-104217") == "web_address");
  CHECK(not_a_code("www.example.org") == "web_address");
}

TEST_CASE("order numbers are recognised, upper-cased and trimmed") {
  for (const char *text : {"C-104217", "c-104217", "  C-104217\t", "C-104217\r\n"}) {
    CAPTURE(text);
    const codes::ScannedCode code = codes::parse_scan(text);
    REQUIRE(std::holds_alternative<codes::OrderNumberScan>(code));
    CHECK(std::get<codes::OrderNumberScan>(code).number == "C-104217");
  }
  const codes::ScannedCode hash = codes::parse_scan("cmd#2026/0042");
  REQUIRE(std::holds_alternative<codes::OrderNumberScan>(hash));
  CHECK(std::get<codes::OrderNumberScan>(hash).number == "CMD#2026/0042");
}

TEST_CASE("short codes are recognised in any spelling, a wrong check symbol is a typo") {
  const std::uint64_t v = 987654321012345;
  const std::string code = codes::format_short_code(v);
  for (const std::string &text : {code, "  " + code + "\r\n"}) {
    const codes::ScannedCode scan = codes::parse_scan(text);
    REQUIRE(std::holds_alternative<codes::ShortCodeScan>(scan));
    CHECK(std::get<codes::ShortCodeScan>(scan).value == v);
  }
  std::string typo = code;
  typo.back() = typo.back() == '0' ? '1' : '0';
  const codes::ScannedCode mistyped = codes::parse_scan(typo);
  REQUIRE(std::holds_alternative<codes::MistypedShortCode>(mistyped));
  std::string cleaned;
  for (char c : typo) {
    if (c != '-') cleaned += c;
  }
  CHECK(std::get<codes::MistypedShortCode>(mistyped).cleaned == cleaned);
}

TEST_CASE("empty, control characters and over-long lines are refused with their reason") {
  CHECK(not_a_code("") == "empty");
  CHECK(not_a_code("   ") == "empty");
  CHECK(not_a_code("\r\n") == "empty");
  CHECK(not_a_code(" \t ") == "empty");

  CHECK(not_a_code("\x01"
                   "C-104217") == "control_characters");
  CHECK(not_a_code("C-104217\x7f") == "control_characters");
  CHECK(not_a_code("C-10\t4217") == "control_characters");
  CHECK(not_a_code("\x1b[31mC-104217") == "control_characters");
  CHECK(not_a_code(std::string("C-104\0"
                               "217",
                               9)) == "control_characters");

  CHECK(not_a_code(std::string(codes::kMaxScanBytes + 1, 'A')) == "too_long");
  CHECK(not_a_code(std::string(codes::kMaxScanBytes, 'A')) == "unrecognised");
  CHECK(not_a_code(std::string(10 * 1024, '7')) == "too_long");
  CHECK(not_a_code(std::string(10 * 1024, ' ')) == "too_long");
  CHECK(not_a_code(std::string(10 * 1024, '\0')) == "too_long");

  CHECK(not_a_code("bonjour") == "unrecognised");
  CHECK(not_a_code("{\"order\":1}") == "unrecognised");
}

TEST_CASE("scan_key: one key per code whatever the spelling, distinct keys otherwise") {
  const std::string a = codes::format_short_code(42424242);
  const std::string b = codes::format_short_code(42424243);
  std::string a_lower;
  for (char c : a) a_lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  CHECK(codes::scan_key(codes::parse_scan(a)) == codes::scan_key(codes::parse_scan(a_lower)));
  CHECK(codes::scan_key(codes::parse_scan(a)) != codes::scan_key(codes::parse_scan(b)));
  CHECK(codes::scan_key(codes::parse_scan("C-1")) == codes::scan_key(codes::parse_scan("c-1")));
  CHECK(codes::scan_key(codes::parse_scan("C-1")) != codes::scan_key(codes::parse_scan("C-2")));
  CHECK(codes::scan_key(codes::parse_scan("C-1")) != codes::scan_key(codes::parse_scan(a)));
}

TEST_CASE("random bytes and near-codes never crash the parser and are classified coherently") {
  std::mt19937_64 rng(0xC0FFEE);
  const std::string near = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcxyzILOU*~$=- C#/.";
  for (int i = 0; i < 6000; ++i) {
    std::string text;
    if (i % 2 == 0) {
      text.resize(rng() % 700);
      for (char &c : text) c = static_cast<char>(rng() & 0xff);
    } else {
      text.resize(rng() % 40);
      for (char &c : text) c = near[rng() % near.size()];
    }
    const codes::ScannedCode code = codes::parse_scan(text);
    CHECK_FALSE(codes::scan_key(code).empty());
    if (const auto *n = std::get_if<codes::NotACode>(&code)) {
      CHECK(kReasons.count(n->reason) == 1);
      if (text.size() > codes::kMaxScanBytes) CHECK(n->reason == "too_long");
    } else if (const auto *s = std::get_if<codes::ShortCodeScan>(&code)) {
      CHECK(s->value <= codes::kShortCodeMax);
      CHECK(codes::read_short_code(codes::format_short_code(s->value)).value == s->value);
    } else if (const auto *o = std::get_if<codes::OrderNumberScan>(&code)) {
      CHECK_FALSE(o->number.empty());
      CHECK(o->number.size() <= 32);
      CHECK(o->number.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos);
    } else {
      CHECK(std::holds_alternative<codes::MistypedShortCode>(code));
    }
  }
}

}  // namespace comptoir::test
