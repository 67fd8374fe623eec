// The signed pickup token (codes/pickup_token.hpp): test vectors decoded by hand and their
// signatures checked with libsodium directly, every single change refused, every reading
// status, and the Crockford Base32 codec the portal shares.
#include "codes/pickup_token.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::test {
namespace {

using codes::TokenFields;
using codes::TokenStatus;

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

// Days since 1970-01-01 (UTC): 20422 is 2025-11-30 (20422 * 86400 = 1764460800).
constexpr std::uint16_t kDay = 20422;

// key_pair_from_seed over the seed 00 01 02 ... 1f.
codes::KeyPair vector_key() {
  std::array<unsigned char, 32> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<unsigned char>(i);
  return codes::key_pair_from_seed(seed);
}

codes::KeyRing ring_of(const codes::KeyPair &key, std::uint16_t key_id, std::int64_t valid_from = 0,
                       std::int64_t valid_until = kForever) {
  codes::KeyRing ring;
  ring.keys.push_back({key_id, key.public_key, valid_from, valid_until});
  return ring;
}

struct TokenVector {
  TokenFields fields;
  // The 16 payload bytes the layout in pickup_token.hpp gives for these fields:
  // version(1) key_id(2) order_id(6) stand_id(4) valid_until_day(2) flags(1), big-endian.
  std::array<unsigned char, 16> payload;
  std::string_view token;
};

// The exact tokens sign_token gives today, checked independently below (by hand decoding
// and libsodium) and, when they were written, against a separate implementation (Python's
// `cryptography` Ed25519 and a hand-written Base32), which gave the same three strings.
// 100042 = 0x0186CA; 20422 = 0x4FC6; 2^48 - 1 = 0xFFFFFFFFFFFF.
const std::array<TokenVector, 3> kVectors = {{
    {{1, 100042, 1, kDay, codes::kFlagPrepaid},
     {0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x86, 0xCA, 0x00, 0x00, 0x00, 0x01, 0x4F, 0xC6,
      0x01},
     "ZA104002000000RDJG000002KY6066DF9AF3WM5M0SC9Y2C8VW54ENBKJ9H3TWXQQZW7P5SZJAPJFRJY035H7TADXX0"
     "G9FGFM1TCP4NWM06PJPPP2TKZXK2CW9V896DSF0E"},
    {{1, 100042, 1, kDay, 0},
     {0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x86, 0xCA, 0x00, 0x00, 0x00, 0x01, 0x4F, 0xC6,
      0x00},
     "ZA104002000000RDJG000002KY601HXBE6JSZHY2KG6KQKHANYDSCEQ1FKV1DARAKJGA26M0W234GG78E4F1AD02ZTY"
     "02J4KN243590EJTTG0P5EFQ123SXJZYWTDCCCRR2"},
    {{1, codes::kMaxOrderId, 0xFFFFFFFFu, kDay, codes::kFlagPrepaid},
     {0x01, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x4F, 0xC6,
      0x01},
     "ZA104003ZZZZZZZZZZZZZZZYKY60539840X7WEF041SH84TB99HB3577C2J14SWT1TYA7NXYESTFRRSC4DTHXH8EEEG"
     "1Y3GMRW7SAY1Y8AEKY1DM92CJANAWGQS6TK14ER8"},
}};

// Crockford Base32 decoded here, by hand and strictly (upper case, no aliases), without the
// codec under test: 5 bits a symbol, most significant first; trailing bits must be zero.
std::optional<std::vector<unsigned char>> decode_by_hand(std::string_view symbols) {
  std::vector<int> bits;
  for (char c : symbols) {
    const auto v = kAlphabet.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    for (int b = 4; b >= 0; --b) bits.push_back(static_cast<int>((v >> b) & 1));
  }
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i + 8 <= bits.size(); i += 8) {
    int byte = 0;
    for (std::size_t b = 0; b < 8; ++b) byte = byte << 1 | bits[i + b];
    bytes.push_back(static_cast<unsigned char>(byte));
  }
  for (std::size_t i = bytes.size() * 8; i < bits.size(); ++i) {
    if (bits[i] != 0) return std::nullopt;
  }
  return bytes;
}

std::string encoded_token(const std::vector<unsigned char> &bytes) {
  return std::string(codes::kTokenPrefix) + codes::base32_encode(bytes.data(), bytes.size());
}

std::vector<unsigned char> token_bytes(std::string_view token) {
  const auto bytes = codes::base32_decode(token.substr(codes::kTokenPrefix.size()));
  REQUIRE(bytes.has_value());
  REQUIRE(bytes->size() == codes::kTokenBytes);
  return *bytes;
}

TokenStatus status_of(std::string_view token, const codes::KeyRing &ring, std::int64_t now = 0) {
  return codes::read_token(token, ring, now).status;
}

// The status a change of the token's bytes must give, from the bits it changes (bit 0 is
// the most significant bit of byte 0), with a ring that holds key 1 only.
TokenStatus expected_for_changed_bits(const std::vector<int> &changed) {
  bool version = false, key_id = false;
  for (int bit : changed) {
    version = version || bit < 8;
    key_id = key_id || (bit >= 8 && bit < 24);
  }
  if (version) return TokenStatus::bad_version;
  if (key_id) return TokenStatus::unknown_key;
  return TokenStatus::forged;
}

}  // namespace

TEST_CASE("token vectors: the fixed key and fields give the exact token") {
  const codes::KeyPair key = vector_key();
  CHECK(codes::to_hex(key.public_key.data(), key.public_key.size()) ==
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  for (const TokenVector &v : kVectors) {
    CAPTURE(v.token);
    const std::string token = codes::sign_token(v.fields, key.secret_key);
    CHECK(token == v.token);
    CHECK(token.size() == codes::kTokenChars);
    const codes::TokenRead read = codes::read_token(v.token, ring_of(key, 1), 0);
    CHECK(read.status == TokenStatus::ok);
    CHECK(read.fields == v.fields);
    CHECK(read.fields.prepaid() == ((v.fields.flags & codes::kFlagPrepaid) != 0));
  }
}

TEST_CASE(
    "token vectors decoded by hand: documented payload bytes, a signature libsodium accepts") {
  const codes::KeyPair key = vector_key();
  REQUIRE(sodium_init() >= 0);
  const std::string_view domain = "comptoir-pickup-token-v1";
  for (const TokenVector &v : kVectors) {
    CAPTURE(v.token);
    REQUIRE(v.token.size() == 131);
    REQUIRE(v.token.substr(0, 3) == "ZA1");
    const auto bytes = decode_by_hand(v.token.substr(3));
    REQUIRE(bytes.has_value());
    REQUIRE(bytes->size() == 80);
    // The payload, byte by byte against the layout.
    for (std::size_t i = 0; i < 16; ++i) {
      CAPTURE(i);
      CHECK(int{(*bytes)[i]} == int{v.payload[i]});
    }
    // And the fields read back from those bytes by the same layout.
    CHECK((*bytes)[0] == 1);  // version
    CHECK(((*bytes)[1] << 8 | (*bytes)[2]) == v.fields.key_id);
    std::uint64_t order = 0;
    for (std::size_t i = 3; i < 9; ++i) order = order << 8 | (*bytes)[i];
    CHECK(order == v.fields.order_id);
    std::uint32_t stand = 0;
    for (std::size_t i = 9; i < 13; ++i) stand = stand << 8 | (*bytes)[i];
    CHECK(stand == v.fields.stand_id);
    CHECK(((*bytes)[13] << 8 | (*bytes)[14]) == v.fields.valid_until_day);
    CHECK((*bytes)[15] == v.fields.flags);

    // Ed25519 over "comptoir-pickup-token-v1" || payload, verified with libsodium directly.
    std::vector<unsigned char> message(domain.begin(), domain.end());
    message.insert(message.end(), bytes->begin(), bytes->begin() + 16);
    CHECK(crypto_sign_verify_detached(bytes->data() + 16, message.data(), message.size(),
                                      key.public_key.data()) == 0);
    // Not over the payload alone: the domain is part of what is signed.
    CHECK(crypto_sign_verify_detached(bytes->data() + 16, bytes->data(), 16,
                                      key.public_key.data()) != 0);
  }
}

TEST_CASE("every single-bit flip of a valid token is refused, each with the status it must have") {
  const codes::KeyPair key = vector_key();
  const codes::KeyRing ring = ring_of(key, 1);
  const std::vector<unsigned char> genuine = token_bytes(kVectors[0].token);
  std::map<TokenStatus, int> statuses;
  for (int bit = 0; bit < 640; ++bit) {
    std::vector<unsigned char> flipped = genuine;
    const auto byte = static_cast<std::size_t>(bit / 8);
    flipped[byte] = static_cast<unsigned char>(flipped[byte] ^ (0x80 >> (bit % 8)));
    const std::string token = encoded_token(flipped);
    REQUIRE(token.size() == codes::kTokenChars);
    const TokenStatus status = status_of(token, ring);
    CAPTURE(bit);
    CHECK(status != TokenStatus::ok);
    CHECK(codes::to_string(status) == codes::to_string(expected_for_changed_bits({bit})));
    ++statuses[status];
  }
  CHECK(statuses[TokenStatus::bad_version] == 8);
  CHECK(statuses[TokenStatus::unknown_key] == 16);
  CHECK(statuses[TokenStatus::forged] == 640 - 24);
}

TEST_CASE("every single-symbol substitution of a valid token is refused") {
  const codes::KeyPair key = vector_key();
  const codes::KeyRing ring = ring_of(key, 1);
  const std::string genuine(kVectors[0].token);
  int tried = 0;
  for (std::size_t pos = 3; pos < genuine.size(); ++pos) {
    const auto old_value = static_cast<int>(kAlphabet.find(genuine[pos]));
    for (char c : kAlphabet) {
      if (c == genuine[pos]) continue;
      std::string changed = genuine;
      changed[pos] = c;
      ++tried;
      // The bits the substitution changes: symbol (pos - 3) holds bits 5(pos-3) .. +4.
      const int diff = old_value ^ static_cast<int>(kAlphabet.find(c));
      std::vector<int> bits;
      for (int b = 0; b < 5; ++b) {
        if ((diff >> (4 - b)) & 1) bits.push_back(static_cast<int>(pos - 3) * 5 + b);
      }
      const TokenStatus status = status_of(changed, ring);
      if (status == TokenStatus::ok) FAIL_CHECK("position " << pos << " symbol " << c);
      // 128 symbols are exactly 640 bits: every substitution decodes (never malformed).
      if (codes::to_string(status) != codes::to_string(expected_for_changed_bits(bits))) {
        FAIL_CHECK("position " << pos << " symbol " << c << ": " << codes::to_string(status));
      }
    }
  }
  CHECK(tried == 128 * 31);
}

TEST_CASE("read_token: unknown key id, and a key outside its validity period") {
  const codes::KeyPair key = vector_key();
  const std::string_view token = kVectors[0].token;

  SUBCASE("no key with that id: unknown_key, the fields still decoded") {
    const codes::TokenRead read = codes::read_token(token, ring_of(key, 2), 0);
    CHECK(read.status == TokenStatus::unknown_key);
    CHECK(read.fields == kVectors[0].fields);
    CHECK(status_of(token, codes::KeyRing{}) == TokenStatus::unknown_key);
  }
  SUBCASE("the right key among others") {
    codes::KeyRing ring = ring_of(codes::generate_key_pair(), 7);
    ring.keys.push_back({1, key.public_key, 0, kForever});
    ring.keys.push_back({9, codes::generate_key_pair().public_key, 0, kForever});
    CHECK(status_of(token, ring) == TokenStatus::ok);
    REQUIRE(ring.find(9) != nullptr);
    CHECK(ring.find(9)->key_id == 9);
    CHECK(ring.find(2) == nullptr);
  }
  SUBCASE("validity: from valid_from to valid_until, both included") {
    constexpr std::int64_t from = 1'700'000'000, until = 1'800'000'000;
    const codes::KeyRing ring = ring_of(key, 1, from, until);
    const codes::TokenRead early = codes::read_token(token, ring, from - 1);
    CHECK(early.status == TokenStatus::key_not_valid);
    CHECK(early.fields == kVectors[0].fields);
    CHECK(status_of(token, ring, from) == TokenStatus::ok);
    CHECK(status_of(token, ring, until) == TokenStatus::ok);
    CHECK(status_of(token, ring, until + 1) == TokenStatus::key_not_valid);
  }
  SUBCASE("a forged token says forged, even with an expired or not yet valid key") {
    std::string forged(token);
    forged[100] = forged[100] == 'A' ? 'B' : 'A';  // in the signature
    const codes::KeyRing ring = ring_of(key, 1, 1'700'000'000, 1'800'000'000);
    CHECK(status_of(forged, ring, 1'800'000'001) == TokenStatus::forged);
    CHECK(status_of(forged, ring, 1'699'999'999) == TokenStatus::forged);
    CHECK(status_of(forged, ring, 1'750'000'000) == TokenStatus::forged);
    // Signed with another key under the same id: forged too.
    const codes::KeyPair other = codes::generate_key_pair();
    const std::string foreign = codes::sign_token(kVectors[0].fields, other.secret_key);
    CHECK(status_of(foreign, ring, 1'800'000'001) == TokenStatus::forged);
    CHECK(status_of(foreign, ring_of(other, 1)) == TokenStatus::ok);
  }
}

TEST_CASE("read_token: wrong lengths and symbols are malformed, other text is not_a_token") {
  const codes::KeyRing ring = ring_of(vector_key(), 1);
  const std::string token(kVectors[0].token);

  CHECK(status_of(token.substr(0, token.size() - 1), ring) == TokenStatus::malformed);
  CHECK(status_of(token.substr(0, 100), ring) == TokenStatus::malformed);
  CHECK(status_of(token.substr(0, 3), ring) == TokenStatus::malformed);
  CHECK(status_of(token + "0", ring) == TokenStatus::malformed);
  CHECK(status_of(token + token, ring) == TokenStatus::malformed);
  CHECK(status_of(token + " ", ring) == TokenStatus::malformed);
  CHECK(status_of(" " + token, ring) == TokenStatus::not_a_token);
  // Symbols outside Crockford's alphabet, at the right length.
  for (char bad : {'U', 'u', '*', '-', '#', ' ', '\0'}) {
    for (std::size_t pos : {std::size_t{3}, std::size_t{60}, token.size() - 1}) {
      std::string damaged = token;
      damaged[pos] = bad;
      CAPTURE(pos);
      CAPTURE(bad);
      CHECK(status_of(damaged, ring) == TokenStatus::malformed);
    }
  }
  // A two-byte character in place of one symbol: one byte too long.
  std::string accented = token;
  accented.replace(50, 1, "é");
  CHECK(status_of(accented, ring) == TokenStatus::malformed);

  for (std::string_view text :
       {"", "Z", "ZA", "AZ1", "ZB1", "C-100042", "3017620422003", "K7QM-9X2D-F3A", "hello"}) {
    CAPTURE(text);
    CHECK(status_of(text, ring) == TokenStatus::not_a_token);
    CHECK_FALSE(codes::has_token_prefix(text));
  }
  CHECK(status_of(token.substr(1), ring) == TokenStatus::not_a_token);
  CHECK(status_of("ZA2" + token.substr(3), ring) == TokenStatus::not_a_token);
  CHECK(codes::has_token_prefix("ZA1"));
  CHECK(codes::has_token_prefix("za1"));
}

TEST_CASE("read_token: a version other than 1 is bad_version, checked before the key") {
  const codes::KeyPair key = vector_key();
  const codes::KeyRing ring = ring_of(key, 1);
  for (int version : {2, 0, 255}) {
    CAPTURE(version);
    std::vector<unsigned char> bytes = token_bytes(kVectors[0].token);
    bytes[0] = static_cast<unsigned char>(version);
    CHECK(status_of(encoded_token(bytes), ring) == TokenStatus::bad_version);
    // Whatever the key id.
    bytes[2] = 0x42;
    CHECK(status_of(encoded_token(bytes), ring) == TokenStatus::bad_version);
    CHECK(status_of(encoded_token(bytes), codes::KeyRing{}) == TokenStatus::bad_version);
  }
}

TEST_CASE("read_token: Crockford reading ignores case and reads I, L as 1 and O as 0") {
  const codes::KeyRing ring = ring_of(vector_key(), 1);
  for (const TokenVector &v : kVectors) {
    std::string lower(v.token);
    for (char &c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    CAPTURE(lower);
    const codes::TokenRead read = codes::read_token(lower, ring, 0);
    CHECK(read.status == TokenStatus::ok);
    CHECK(read.fields == v.fields);

    std::string mixed(v.token);
    for (std::size_t i = 0; i < mixed.size(); i += 2) {
      if (mixed[i] >= 'A' && mixed[i] <= 'Z') mixed[i] = static_cast<char>(mixed[i] - 'A' + 'a');
    }
    CHECK(status_of(mixed, ring) == TokenStatus::ok);

    // The aliases, in the body (the prefix is a fixed text, not Base32).
    std::string aliased(v.token);
    for (std::size_t i = 3; i < aliased.size(); ++i) {
      if (aliased[i] == '1') aliased[i] = i % 2 == 0 ? 'I' : 'l';
      if (aliased[i] == '0') aliased[i] = i % 2 == 0 ? 'O' : 'o';
    }
    CHECK(status_of(aliased, ring) == TokenStatus::ok);
  }
}

TEST_CASE("sign_token: 131 characters at most 140, QR alphanumeric, order id up to 2^48 - 1") {
  static_assert(codes::kTokenChars == 131);
  static_assert(codes::kTokenChars <= 140);
  const codes::KeyPair key = vector_key();
  const codes::KeyRing ring = ring_of(key, 1);

  CHECK(codes::sign_token({1, codes::kMaxOrderId + 1, 1, kDay, 0}, key.secret_key).empty());
  CHECK(
      codes::sign_token({1, std::numeric_limits<std::uint64_t>::max(), 1, kDay, 0}, key.secret_key)
          .empty());
  const std::string max = codes::sign_token({1, codes::kMaxOrderId, 1, kDay, 0}, key.secret_key);
  CHECK(max.size() == codes::kTokenChars);

  // Random fields: always 131 characters, all in the QR alphanumeric set, and read back.
  std::mt19937_64 rng(131);
  for (int i = 0; i < 50; ++i) {
    const TokenFields f{1, rng() & codes::kMaxOrderId, static_cast<std::uint32_t>(rng()),
                        static_cast<std::uint16_t>(rng()), static_cast<std::uint8_t>(rng())};
    const std::string token = codes::sign_token(f, key.secret_key);
    CAPTURE(token);
    CHECK(token.size() == codes::kTokenChars);
    CHECK(token.starts_with("ZA1"));
    CHECK(token.find_first_not_of(kAlphabet) == std::string::npos);
    const codes::TokenRead read = codes::read_token(token, ring, 0);
    CHECK(read.status == TokenStatus::ok);
    CHECK(read.fields == f);
  }
}

TEST_CASE("base32: encode and decode round-trip on random byte strings") {
  std::mt19937_64 rng(32);
  for (std::size_t size = 0; size <= 100; ++size) {
    for (int n = 0; n < 5; ++n) {
      std::vector<unsigned char> bytes(size);
      for (auto &b : bytes) b = static_cast<unsigned char>(rng());
      const std::string text = codes::base32_encode(bytes.data(), bytes.size());
      CAPTURE(size);
      CAPTURE(text);
      CHECK(text.size() == (size * 8 + 4) / 5);
      CHECK(text.find_first_not_of(kAlphabet) == std::string::npos);
      const auto decoded = codes::base32_decode(text);
      REQUIRE(decoded.has_value());
      CHECK(*decoded == bytes);
      CHECK(decode_by_hand(text) == bytes);  // the same bits as the by-hand decoder
      std::string lower = text;
      for (char &c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      CHECK(codes::base32_decode(lower) == bytes);
    }
  }
  CHECK(codes::base32_encode(nullptr, 0).empty());
  REQUIRE(codes::base32_decode("").has_value());
  CHECK(codes::base32_decode("")->empty());
  const unsigned char ff = 0xFF;
  CHECK(codes::base32_encode(&ff, 1) == "ZW");  // 11111 111(00)
}

TEST_CASE("base32: decode rejects non-zero padding bits, a leftover symbol, and foreign symbols") {
  std::mt19937_64 rng(5);
  int checked = 0;
  for (std::size_t size = 1; size <= 40; ++size) {
    if (size * 8 % 5 == 0) continue;  // no padding bits to set
    std::vector<unsigned char> bytes(size);
    for (auto &b : bytes) b = static_cast<unsigned char>(rng());
    const std::string text = codes::base32_encode(bytes.data(), bytes.size());
    const int padding = static_cast<int>(text.size() * 5 - size * 8);
    REQUIRE(padding > 0);
    REQUIRE(padding < 5);
    const auto last = static_cast<int>(kAlphabet.find(text.back()));
    for (int bit = 0; bit < padding; ++bit) {
      std::string padded = text;
      padded.back() = kAlphabet[static_cast<std::size_t>(last | (1 << bit))];
      CAPTURE(padded);
      CHECK_FALSE(codes::base32_decode(padded).has_value());
      ++checked;
    }
  }
  CHECK(checked > 40);
  // A symbol too many: five or more bits that make no byte.
  CHECK_FALSE(codes::base32_decode("0").has_value());
  CHECK_FALSE(codes::base32_decode("00000000"
                                   "0")
                  .has_value());
  CHECK_FALSE(codes::base32_decode("ZW0").has_value());
  for (std::string_view text : {"U0", "0U", "*0", "0-", "0 ", "+="}) {
    CAPTURE(text);
    CHECK_FALSE(codes::base32_decode(text).has_value());
  }
}

TEST_CASE("hex helpers round-trip and refuse odd or foreign input") {
  const codes::KeyPair key = vector_key();
  const std::string hex = codes::to_hex(key.public_key.data(), key.public_key.size());
  const auto back = codes::from_hex(hex);
  REQUIRE(back.has_value());
  CHECK(std::equal(back->begin(), back->end(), key.public_key.begin(), key.public_key.end()));
  CHECK(codes::from_hex("ABcd") == std::vector<unsigned char>{0xAB, 0xCD});
  CHECK_FALSE(codes::from_hex("abc").has_value());
  CHECK_FALSE(codes::from_hex("zz").has_value());
}

}  // namespace comptoir::test
