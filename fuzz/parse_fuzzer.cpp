// libFuzzer target for what a scanner or a keyboard can send the appliance: parse_scan (token
// signatures checked against a fixed test key ring, keyboard-layout mix-ups undone), and
// layout_readings and read_short_code on their own. No input may crash, leak, trip a
// sanitizer, or take more than 1 ms.
//
// Timing: every call is measured with steady_clock; a call over 1 ms is re-run 5 times and
// only the fastest of the 6 counts (a shared 2-core machine has hiccups). Built as
// comptoir-fuzz-parse-timing (COMPTOIR_FUZZ_TIMING, no sanitizers: ASan and UBSan make code
// 2-3x slower), an input still over 1 ms aborts with its length, and libFuzzer saves it. At
// exit both builds print how many inputs ran and the slowest one.
//
// With COMPTOIR_FUZZ_WRITE_SEEDS=DIR in the environment the target writes its seed corpus
// (tokens signed with its own key, short codes, their keyboard-mangled forms) into DIR and
// exits.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "codes/keyboard_layouts.hpp"
#include "codes/pickup_token.hpp"
#include "codes/scanned_code.hpp"
#include "codes/short_code.hpp"

#ifndef COMPTOIR_FUZZ_TIMING
#define COMPTOIR_FUZZ_TIMING 0
#endif
#ifndef COMPTOIR_FUZZ_BUDGET_US  // per scan; lower it by hand to see the check fire
#define COMPTOIR_FUZZ_BUDGET_US 1000
#endif

namespace {

namespace codes = comptoir::codes;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kNow = 1'780'000'000;  // 2026-05-28, UTC
constexpr std::uint16_t kKeyId = 1;
constexpr auto kBudget = std::chrono::microseconds(COMPTOIR_FUZZ_BUDGET_US);
constexpr int kReruns = 5;

const codes::KeyPair &test_key() {
  static const codes::KeyPair pair = [] {
    std::array<unsigned char, 32> seed{};
    const std::string_view text = "comptoir fuzz-parse fixed seed 1";
    std::copy_n(text.begin(), seed.size(), seed.begin());
    return codes::key_pair_from_seed(seed);
  }();
  return pair;
}

const codes::KeyRing &test_ring() {
  static const codes::KeyRing ring{
      {codes::PortalKey{kKeyId, test_key().public_key, kNow - 365 * kDay, kNow + 365 * kDay}}};
  return ring;
}

// What one input costs the appliance, and a few properties that must hold whatever it is.
void parse_once(std::string_view text) {
  const codes::ScannedCode code = codes::parse_scan(text, test_ring(), kNow);
  if (codes::scan_key(code).empty()) std::abort();
  if (const auto *token = std::get_if<codes::SignedTokenScan>(&code)) {
    // A genuine token is one our key signed: signing its fields again must verify.
    if (token->status == codes::TokenStatus::ok &&
        codes::read_token(codes::sign_token(token->fields, test_key().secret_key), test_ring(),
                          kNow)
                .status != codes::TokenStatus::ok) {
      std::abort();
    }
  }

  // The parts on their own. layout_readings leaves the length cap to its callers
  // (parse_scan's kMaxScanBytes); read_short_code caps by itself.
  const std::string_view capped = text.substr(0, codes::kMaxScanBytes);
  const std::vector<codes::LayoutReading> readings = codes::layout_readings(capped);
  if (readings.size() > 12) std::abort();
  for (std::size_t i = 0; i < readings.size(); ++i) {
    if (readings[i].text == capped || readings[i].scanner == readings[i].host) std::abort();
    if (readings[i].text.size() > 2 * capped.size()) std::abort();
    for (std::size_t j = 0; j < i; ++j) {
      if (readings[j].text == readings[i].text) std::abort();
    }
  }
  const codes::ShortCodeRead short_code = codes::read_short_code(text);
  if (short_code.status == codes::ShortCodeStatus::ok) {
    if (short_code.value > codes::kShortCodeMax) std::abort();
    if (codes::read_short_code(codes::format_short_code(short_code.value)).value !=
        short_code.value) {
      std::abort();
    }
  }
}

struct Stats {
  std::uint64_t inputs = 0;
  Clock::duration slowest{};
  std::size_t slowest_bytes = 0;
};
Stats stats;

void print_stats() {
  const std::string budget = COMPTOIR_FUZZ_TIMING
                                 ? ", budget " + std::to_string(COMPTOIR_FUZZ_BUDGET_US) + " us"
                                 : " (with sanitizers: not checked)";
  std::fprintf(stderr,
               "comptoir-fuzz-parse%s: %llu inputs executed, slowest %.1f us (an input of %zu "
               "bytes)%s\n",
               COMPTOIR_FUZZ_TIMING ? "-timing" : "", static_cast<unsigned long long>(stats.inputs),
               std::chrono::duration<double, std::micro>(stats.slowest).count(),
               stats.slowest_bytes, budget.c_str());
}

// --- The seed corpus ---------------------------------------------------------------------

// What a US-configured scanner types into a host with the French (AZERTY) or German (QWERTZ)
// layout: what layout_readings undoes.
std::string typed_us_on(std::string_view host, std::string_view text) {
  return codes::type_through(text, "us", host).value_or(std::string(text));
}

std::vector<std::pair<std::string, std::string>> seeds() {
  const auto &sk = test_key().secret_key;
  const auto today = static_cast<std::uint16_t>(kNow / kDay);
  const codes::TokenFields fields{kKeyId, 123456789, 42, static_cast<std::uint16_t>(today + 30),
                                  codes::kFlagPrepaid};
  const std::string token = codes::sign_token(fields, sk);
  codes::TokenFields other_key = fields;
  other_key.key_id = 2;
  codes::TokenFields not_prepaid = fields;
  not_prepaid.flags = 0;
  not_prepaid.order_id = codes::kMaxOrderId;
  std::string forged = token;
  forged[100] = forged[100] == 'B' ? 'C' : 'B';
  std::string lower = token;
  for (char &c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  const std::string short_code = codes::format_short_code(0x2'3456'789A'BCDEull);
  std::string mistyped = short_code;
  std::swap(mistyped[0], mistyped[1]);

  std::string garbage;
  std::uint32_t x = 0x12345678;
  for (int i = 0; i < 300; ++i) {
    x = x * 1664525u + 1013904223u;
    garbage += static_cast<char>(x >> 24);
  }

  return {
      {"token", token},
      {"token-not-prepaid", codes::sign_token(not_prepaid, sk)},
      {"token-unknown-key", codes::sign_token(other_key, sk)},
      {"token-forged", forged},
      {"token-lower-case", lower},
      {"token-truncated", token.substr(0, token.size() - 1)},
      {"token-spaces", "  " + token + " \r\n"},
      {"token-us-on-fr", typed_us_on("fr", token)},
      {"token-us-on-de", typed_us_on("de", token)},
      {"short-code", short_code},
      {"short-code-plain",
       short_code.substr(0, 4) + short_code.substr(5, 4) + short_code.substr(10)},
      {"short-code-us-on-fr", typed_us_on("fr", short_code)},
      {"short-code-us-on-de", typed_us_on("de", short_code)},
      {"short-code-mistyped", mistyped},
      {"token-in-long-line", std::string(10000, 'A') + token},
      {"binary", garbage},
  };
}

void write_seeds(const std::string &dir) {
  int written = 0;
  for (const auto &[name, content] : seeds()) {
    std::string path = dir;
    path += "/gen-";
    path += name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      std::fprintf(stderr, "comptoir-fuzz-parse: cannot write seeds into %s\n", dir.c_str());
      std::exit(1);
    }
    ++written;
  }
  std::fprintf(stderr, "comptoir-fuzz-parse: %d seeds written into %s\n", written, dir.c_str());
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *dir = std::getenv("COMPTOIR_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  test_ring();  // keys made once, outside any timed call
  std::atexit(print_stats);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  Clock::time_point start = Clock::now();
  parse_once(text);
  Clock::duration best = Clock::now() - start;
  for (int i = 0; i < kReruns && best > kBudget; ++i) {
    start = Clock::now();
    parse_once(text);
    best = std::min(best, Clock::now() - start);
  }
  ++stats.inputs;
  if (best > stats.slowest) {
    stats.slowest = best;
    stats.slowest_bytes = size;
  }
  if (COMPTOIR_FUZZ_TIMING && best > kBudget) {
    std::fprintf(stderr,
                 "comptoir-fuzz-parse-timing: an input of %zu bytes took %.1f us at best of %d "
                 "runs, over the %d us budget per scan\n",
                 size, std::chrono::duration<double, std::micro>(best).count(), kReruns + 1,
                 COMPTOIR_FUZZ_BUDGET_US);
    std::abort();
  }
  return 0;
}
