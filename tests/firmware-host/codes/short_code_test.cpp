// The short typed code: Crockford Base32, a mod-37 check symbol, forgiving reading.
#include "codes/short_code.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace comptoir::test {
namespace {

// Crockford's check alphabet: the 32 data symbols, then * ~ $ = U.
constexpr std::string_view kCheckAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";
constexpr std::string_view kDataAlphabet = kCheckAlphabet.substr(0, 32);

// Values over the whole 50-bit range, with both ends; fixed seed.
std::vector<std::uint64_t> sample_values(std::size_t random_count) {
  std::vector<std::uint64_t> values = {
      0, 1, 31, 32, 36, 37, 1024, codes::kShortCodeMax, codes::kShortCodeMax - 1};
  std::mt19937_64 rng(20261124);
  for (std::size_t i = 0; i < random_count; ++i) values.push_back(rng() & codes::kShortCodeMax);
  return values;
}

// "K7QM-9X2D-F3A" -> "K7QM9X2DF3A"
std::string symbols_of(const std::string &formatted) {
  std::string out;
  for (char c : formatted) {
    if (c != '-') out += c;
  }
  return out;
}

codes::ShortCodeStatus status_of(std::string_view text) {
  return codes::read_short_code(text).status;
}

}  // namespace

TEST_CASE("the check symbol is the value mod 37 in Crockford's check alphabet") {
  for (std::uint64_t v = 0; v < 37; ++v) {
    CAPTURE(v);
    CHECK(codes::check_symbol(v) == kCheckAlphabet[v]);
    CHECK(codes::check_symbol(v + 37 * 1000) == kCheckAlphabet[v]);
  }
  CHECK(codes::check_symbol(codes::kShortCodeMax) == kCheckAlphabet[codes::kShortCodeMax % 37]);
}

TEST_CASE("format_short_code and read_short_code round trip over the 50-bit range") {
  for (std::uint64_t v : sample_values(2000)) {
    CAPTURE(v);
    const std::string code = codes::format_short_code(v);
    REQUIRE(code.size() == 13);
    CHECK(code[4] == '-');
    CHECK(code[9] == '-');
    const std::string symbols = symbols_of(code);
    REQUIRE(symbols.size() == 11);
    for (std::size_t i = 0; i < 10; ++i) CHECK(kDataAlphabet.find(symbols[i]) != std::string::npos);
    CHECK(symbols[10] == codes::check_symbol(v));

    const codes::ShortCodeRead read = codes::read_short_code(code);
    CHECK(read.status == codes::ShortCodeStatus::ok);
    CHECK(read.value == v);
  }
  CHECK(codes::format_short_code(0) == "0000-0000-000");
  CHECK(codes::format_short_code(1) == "0000-0000-011");
  CHECK(codes::format_short_code(codes::kShortCodeMax).substr(0, 12) == "ZZZZ-ZZZZ-ZZ");
}

TEST_CASE("reading forgives case, dashes, spaces, I and L for 1, O for 0") {
  const std::uint64_t one = 1;  // "0000-0000-011": zeros and ones to misread
  for (const char *text : {"0000-0000-011", "00000000011", "oooo-oooo-oil", "OOOO OOOO OLI",
                           "0000 - 0000 - 0 1 1", "o0O0o0O0o1l", "--00000000011--"}) {
    CAPTURE(text);
    const auto read = codes::read_short_code(text);
    CHECK(read.status == codes::ShortCodeStatus::ok);
    CHECK(read.value == one);
  }
  // Every valid code, lower-cased, without dashes, or grouped differently.
  for (std::uint64_t v : sample_values(300)) {
    CAPTURE(v);
    const std::string symbols = symbols_of(codes::format_short_code(v));
    std::string lower, spaced, ambiguous;
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      char c = symbols[i];
      lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      spaced += c;
      if (i % 3 == 2) spaced += ' ';
      ambiguous += c == '1' ? (i % 2 ? 'I' : 'l') : c == '0' ? (i % 2 ? 'O' : 'o') : c;
    }
    for (const std::string &text : {lower, spaced, ambiguous}) {
      CAPTURE(text);
      const auto read = codes::read_short_code(text);
      CHECK(read.status == codes::ShortCodeStatus::ok);
      CHECK(read.value == v);
    }
  }
  CHECK(codes::crockford_clean("k7qm-9x2d f3a").value() == "K7QM9X2DF3A");
  CHECK(codes::crockford_clean("IiLlOo").value() == "111100");
  CHECK_FALSE(codes::crockford_clean("K7QM#9X2D").has_value());
}

TEST_CASE("every single-symbol substitution of a valid code is refused") {
  // Substitutes from the whole check alphabet plus the aliases typists use.
  const std::string substitutes = std::string(kCheckAlphabet) + "ILO";
  auto canonical = [](char c) { return c == 'I' || c == 'L' ? '1' : c == 'O' ? '0' : c; };
  std::size_t tried = 0;
  for (std::uint64_t v : sample_values(300)) {
    const std::string symbols = symbols_of(codes::format_short_code(v));
    for (std::size_t pos = 0; pos < symbols.size(); ++pos) {
      for (char sub : substitutes) {
        if (canonical(sub) == symbols[pos]) continue;
        std::string typo = symbols;
        typo[pos] = sub;
        CAPTURE(v);
        CAPTURE(typo);
        const codes::ShortCodeStatus status = status_of(typo);
        // A check-only symbol (* ~ $ = U) cannot stand in the data part at all; anything
        // else is a well-formed code whose check symbol does not match.
        const bool check_only_in_data = pos < 10 && kDataAlphabet.find(sub) == std::string::npos &&
                                        sub != 'I' && sub != 'L' && sub != 'O';
        if (check_only_in_data) {
          CHECK(status == codes::ShortCodeStatus::not_short_code);
        } else {
          CHECK(status == codes::ShortCodeStatus::wrong_check);
        }
        ++tried;
      }
    }
  }
  // 37 symbols and 3 aliases, less the original's one to three spellings.
  CHECK(tried >= 309 * 11 * 37);
}

TEST_CASE("every adjacent transposition of distinct symbols is refused") {
  std::size_t tried = 0;
  for (std::uint64_t v : sample_values(3000)) {
    const std::string symbols = symbols_of(codes::format_short_code(v));
    for (std::size_t pos = 0; pos + 1 < symbols.size(); ++pos) {
      if (symbols[pos] == symbols[pos + 1]) continue;
      std::string swapped = symbols;
      std::swap(swapped[pos], swapped[pos + 1]);
      CAPTURE(v);
      CAPTURE(swapped);
      const codes::ShortCodeStatus status = status_of(swapped);
      CHECK(status != codes::ShortCodeStatus::ok);
      // Moving a check-only symbol into the data part is not even a code; otherwise the
      // check symbol catches it.
      const bool check_only_moved =
          pos == 9 && kDataAlphabet.find(symbols[10]) == std::string::npos;
      CHECK(status == (check_only_moved ? codes::ShortCodeStatus::not_short_code
                                        : codes::ShortCodeStatus::wrong_check));
      ++tried;
    }
  }
  CHECK(tried > 25'000);
}

TEST_CASE("what is not eleven symbols is not a short code") {
  const std::string good = symbols_of(codes::format_short_code(123456789));
  for (const std::string &text :
       {std::string(), std::string("-"), good.substr(0, 10), good + "0", good + good,
        std::string("K7QM-9X2D-F3A#"), std::string(40, '0'), std::string("C-104217"),
        std::string("0000\t0000\t011"), std::string("0000-0000-0U1")}) {
    CAPTURE(text);
    CHECK(status_of(text) == codes::ShortCodeStatus::not_short_code);
  }
}

}  // namespace comptoir::test
