// The signed token's test vectors (docs/pickup-codes.md), checked byte by byte against the
// documented layout, and the guarantee that no single change to a token still verifies.
#include <doctest/doctest.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "codes/keyboard_layouts.hpp"
#include "codes/pickup_token.hpp"
#include "codes/scanned_code.hpp"
#include "codes/short_code.hpp"

namespace comptoir::test {
namespace {

using codes::TokenFields;

codes::KeyPair vector_key() {
  std::array<unsigned char, 32> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<unsigned char>(i);
  return codes::key_pair_from_seed(seed);
}

codes::KeyRing ring_for(const codes::KeyPair &key, std::uint16_t key_id) {
  codes::KeyRing ring;
  ring.keys.push_back({key_id, key.public_key, 0, std::numeric_limits<std::int64_t>::max()});
  return ring;
}

struct Vector {
  TokenFields fields;
  const char *token;
};

// Seed 00 01 02 ... 1f; valid day 20423 is 2025-12-01.
const std::array<Vector, 3> kVectors = {{
    {{1, 100042, 1, 20423, codes::kFlagPrepaid},
     "ZA104002000000RDJG000002KY704SZ54N6DY7TEH47E20JDB8H24TAAHZN0B3NFQSPV05PJ17RQ05BTZ0KDYPNJ"
     "QBV4KXP0SKAPP7QAPN02202NH9EC5C15J0QTZDZ4DR4"},
    {{1, 100043, 2, 20423, 0},
     "ZA104002000000RDJR000004KY701ZEMYA8G7X2K8A5H51E09PBNMXQ412CHGC3P89BHXF5FQBEPFXWJ67WHZC7F"
     "B457KF1FRQP8FJNQQ8WTY18Y5M00DVG3BV9EM3DY381"},
    {{65535, (std::uint64_t{1} << 48) - 1, 0xFFFFFFFFu, 65535, codes::kFlagPrepaid},
     "ZA107ZZZZZZZZZZZZZZZZZZZZZZ060QBXT9CSBYY328SS22AMWRPCYSQR6XH2T5X6G4ZDMR4FHHRCM1VHFPF821A"
     "SNKBR9YNHS27V66FXTFNT0RRRZRS3G3A9DNWANHEX83"},
}};

}  // namespace

TEST_CASE("token test vectors: fixed key and fields give the exact token") {
  const codes::KeyPair key = vector_key();
  CHECK(codes::to_hex(key.public_key.data(), key.public_key.size()) ==
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  for (const Vector &v : kVectors) {
    CAPTURE(v.token);
    const std::string token = codes::sign_token(v.fields, key.secret_key);
    CHECK(token == v.token);
    CHECK(token.size() == codes::kTokenChars);
    CHECK(token.size() <= 140);
    const codes::TokenRead read = codes::read_token(v.token, ring_for(key, v.fields.key_id), 0);
    CHECK(read.status == codes::TokenStatus::ok);
    CHECK(read.fields == v.fields);
  }
}

TEST_CASE("token test vectors decode to the documented bytes and a signature libsodium accepts") {
  const codes::KeyPair key = vector_key();
  const Vector &v = kVectors[0];
  const std::string_view text = v.token;
  REQUIRE(text.substr(0, 3) == "ZA1");
  const auto bytes = codes::base32_decode(text.substr(3));
  REQUIRE(bytes.has_value());
  REQUIRE(bytes->size() == 80);
  // version 1, key 1, order 100042 (0x0186CA), stand 1, day 20423 (0x4FC7), prepaid.
  const std::array<unsigned char, 16> payload = {0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x86,
                                                 0xCA, 0x00, 0x00, 0x00, 0x01, 0x4F, 0xC7, 0x01};
  CHECK(std::memcmp(bytes->data(), payload.data(), payload.size()) == 0);
  // Checked here with libsodium directly, not through read_token.
  const std::string domain = "comptoir-pickup-token-v1";
  std::vector<unsigned char> message(domain.begin(), domain.end());
  message.insert(message.end(), payload.begin(), payload.end());
  REQUIRE(sodium_init() >= 0);
  CHECK(crypto_sign_verify_detached(bytes->data() + 16, message.data(), message.size(),
                                    key.public_key.data()) == 0);
}

TEST_CASE("short code test vectors") {
  CHECK(codes::format_short_code(0) == "0000-0000-000");
  CHECK(codes::format_short_code((std::uint64_t{1} << 50) - 1) == "ZZZZ-ZZZZ-ZZX");
  const codes::ShortCodeRead read = codes::read_short_code("zzzz zzzz zzx");
  CHECK(read.status == codes::ShortCodeStatus::ok);
  CHECK(read.value == (std::uint64_t{1} << 50) - 1);
}

TEST_CASE("every single-bit flip of a genuine token is refused") {
  const codes::KeyPair key = vector_key();
  const codes::KeyRing ring = ring_for(key, 1);
  const auto bytes = codes::base32_decode(std::string_view(kVectors[0].token).substr(3));
  REQUIRE(bytes.has_value());
  int refused = 0;
  for (std::size_t bit = 0; bit < bytes->size() * 8; ++bit) {
    std::vector<unsigned char> flipped = *bytes;
    flipped[bit / 8] = static_cast<unsigned char>(flipped[bit / 8] ^ (0x80 >> (bit % 8)));
    const std::string token = "ZA1" + codes::base32_encode(flipped.data(), flipped.size());
    const codes::TokenRead read = codes::read_token(token, ring, 0);
    CAPTURE(bit);
    CHECK(read.status != codes::TokenStatus::ok);
    if (read.status != codes::TokenStatus::ok) ++refused;
  }
  CHECK(refused == 640);
}

TEST_CASE("every single-symbol substitution of a genuine token is refused, read as typed or not") {
  const codes::KeyPair key = vector_key();
  const codes::KeyRing ring = ring_for(key, 1);
  const std::string genuine = kVectors[0].token;
  constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  int tried = 0;
  for (std::size_t pos = 3; pos < genuine.size(); ++pos) {
    for (char c : kSymbols) {
      if (c == genuine[pos]) continue;
      std::string changed = genuine;
      changed[pos] = c;
      ++tried;
      // Through the whole parser: no keyboard-layout reading may turn it back into a
      // genuine token either.
      const codes::ScannedCode scan = codes::parse_scan(changed, ring, 0);
      const auto *token = std::get_if<codes::SignedTokenScan>(&scan);
      const bool genuine_read = token != nullptr && token->status == codes::TokenStatus::ok;
      if (genuine_read) {
        FAIL_CHECK("position " << pos << " symbol " << c << " still verifies");
      }
    }
  }
  CHECK(tried == 128 * 31);
}

TEST_CASE("a token typed through any mismatched layout pair reads as genuine, the pair named") {
  const codes::KeyPair key = vector_key();
  const codes::KeyRing ring = ring_for(key, 1);
  for (const Vector &v : kVectors) {
    if (v.fields.key_id != 1) continue;
    for (const char *scanner : {"us", "uk", "fr", "de"}) {
      for (const char *host : {"us", "uk", "fr", "de"}) {
        if (std::string_view(scanner) == host) continue;
        const std::string typed = *codes::type_through(v.token, scanner, host);
        CAPTURE(scanner);
        CAPTURE(host);
        CAPTURE(typed);
        const codes::ScannedCode scan = codes::parse_scan(typed, ring, 0);
        const auto *token = std::get_if<codes::SignedTokenScan>(&scan);
        REQUIRE(token != nullptr);
        CHECK(token->status == codes::TokenStatus::ok);
        CHECK(token->fields == v.fields);
        if (typed == v.token) {
          CHECK(token->layout.empty());
        } else {
          // Pairs that mangle alike (de>us and us>de swap the same letters) share a reading:
          // the first in the order of layout_readings is named.
          CHECK_FALSE(token->layout.empty());
          const auto sep = token->layout.find('>');
          REQUIRE(sep != std::string::npos);
          CHECK(codes::type_through(v.token, token->layout.substr(0, sep),
                                    token->layout.substr(sep + 1)) == typed);
        }
      }
    }
  }
}

}  // namespace comptoir::test
