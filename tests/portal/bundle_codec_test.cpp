// The offline bundle codec (firmware-host/sync/bundle.hpp): a round trip, every refusal
// code (not a bundle, cut short at several points, one byte changed in the header, in the
// gzip and in the signature, another portal's key with both fingerprints named, no trust,
// expired, a clock far behind, a signed bundle whose fields break the rules), that nothing
// is inflated before the signature and the trust are checked, the fingerprint and how a
// typed one is matched, and a snapshot larger than one page.
#include <doctest/doctest.h>
#include <sodium.h>
#include <zlib.h>

#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "codes/pickup_token.hpp"
#include "sync/bundle.hpp"
#include "sync/wire.hpp"

namespace comptoir::test {
namespace {

using sync::Bundle;
using sync::BundleTrust;

constexpr std::int64_t kCreated = 1'780'000'000'000;  // 2026-05-28
constexpr std::int64_t kDay = 24LL * 3600 * 1000;

codes::KeyPair key(unsigned char seed) {
  std::array<unsigned char, 32> s{};
  s.fill(seed);
  return codes::key_pair_from_seed(s);
}

wire::Order order(std::int64_t id, std::int64_t stand, bool stub) {
  wire::Order o;
  o.id = id;
  o.number = "C-" + std::to_string(id);
  o.stand_id = stand;
  o.status = wire::OrderStatus::ready;
  o.pickup_from = kCreated / 1000 - 3600;
  o.pickup_until = kCreated / 1000 + 86400;
  o.short_code = id * 7919;
  if (!stub) {
    o.customer = "Marie D.";
    o.paid_cents = 2150;
    o.lines = {{1, 1000, 6000, 300}, {2, 1001, 1250, 1520}};
  }
  return o;
}

Bundle sample(const codes::KeyPair &portal, std::size_t orders = 3) {
  Bundle b;
  b.bundle_id = "0123456789abcdef0123456789abcdef";
  b.portal_name = "Portail Sud-Aveyron";
  b.portal_url = "https://portal.example.org/comptoir";
  b.portal_key = portal.public_key;
  b.created_ms = kCreated;
  b.expires_ms = kCreated + 14 * kDay;
  b.stand_id = 1;
  b.enrol_code = "K7QM9X2DF3A4";
  b.config_toml = "# la caisse du marché\n[sync]\ninterval_s = 60\n";
  wire::ChangesPage &s = b.snapshot;
  s.cursor = "s42";
  s.portal_time_ms = kCreated;
  s.stands = {{1, "La Ferme du Bois Joli", "Saint-Affrique"}, {2, "Les Ruchers", "Millau"}};
  s.products = {{1000, 1, "Œufs fermiers", "pièce", false}, {1001, 1, "Brebis", "kg", true}};
  for (std::size_t i = 0; i < orders; ++i) {
    const bool other = i % 3 == 2;
    s.orders.push_back(order(static_cast<std::int64_t>(i) + 1, other ? 2 : 1, other));
  }
  s.keys = std::vector<codes::PortalKey>{
      {1, key(50).public_key, kCreated / 1000 - 86400, kCreated / 1000 + 365 * 86400}};
  return b;
}

std::string written(const Bundle &b, const codes::KeyPair &k) {
  auto file = sync::write_bundle(b, k);
  REQUIRE_MESSAGE(file.ok(), (file.ok() ? std::string() : file.error().detail));
  return *file;
}

BundleTrust trust_key(const codes::KeyPair &k) {
  return BundleTrust{k.public_key, {}};
}

template <class T>
std::string code_of(const Result<T> &r) {
  return r.ok() ? std::string("(accepted)") : r.error().code;
}

std::string gunzip(std::string_view in) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 31) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  std::array<char, 65536> buf{};
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef *>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - zs.avail_out);
  }
  inflateEnd(&zs);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

std::string gzip(std::string_view in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef *>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Where the gzip starts: after the magic line and the header line.
std::size_t gzip_offset(const std::string &file) {
  const std::size_t eol = file.find('\n', sync::kBundleMagic.size());
  REQUIRE(eol != std::string::npos);
  return eol + 1;
}

// A bundle file signed properly around any payload text: what a portal with a bug (or an
// attacker holding the key) could make; the codec must still check every field.
std::string signed_gzip(const std::string &gz, const codes::KeyPair &k) {
  REQUIRE(sodium_init() >= 0);
  const std::string message = std::string(sync::kBundleMagic) + gz;
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char *>(message.data()),
                       message.size(), k.secret_key.data());
  return std::string(sync::kBundleMagic) + R"({"key":")" +
         codes::to_hex(k.public_key.data(), k.public_key.size()) + R"(","sig":")" +
         codes::to_hex(sig.data(), sig.size()) + "\"}\n" + gz;
}

std::string signed_file(const std::string &payload, const codes::KeyPair &k) {
  return signed_gzip(gzip(payload), k);
}

constexpr std::string_view kTamperedSentence =
    "damaged or modified: get a new copy from the portal";

// The payload of a good bundle as JSON, to change one field and sign it again.
nlohmann::json payload_of(const std::string &file) {
  return nlohmann::json::parse(gunzip(std::string_view(file).substr(gzip_offset(file))));
}

// The binary string of the first `bits` bits of `bytes`: an independent way to read them.
std::string bits_of(const unsigned char *bytes, std::size_t bits) {
  std::string out;
  for (std::size_t i = 0; i < bits; ++i) out += ((bytes[i / 8] >> (7 - i % 8)) & 1) ? '1' : '0';
  return out;
}

TEST_CASE("a bundle written then read gives back every field") {
  const auto portal = key(1);
  const Bundle b = sample(portal);
  const std::string file = written(b, portal);
  CHECK(file.starts_with("comptoir-bundle 1\n{\"key\":\""));
  auto back = sync::read_bundle(file, trust_key(portal), kCreated + kDay);
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.error().detail));
  CHECK(*back == b);
  // The same with the trust given as the fingerprint, typed loosely.
  std::string typed = sync::bundle_fingerprint(portal.public_key);
  for (auto &ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  typed.erase(std::remove(typed.begin(), typed.end(), '-'), typed.end());
  typed.insert(10, " ");
  auto by_fingerprint = sync::read_bundle(file, BundleTrust{std::nullopt, typed}, kCreated);
  REQUIRE(by_fingerprint.ok());
  CHECK(*by_fingerprint == b);
  // A bundle that only refreshes (no code, no config) is fine too.
  Bundle refresh = sample(portal);
  refresh.enrol_code.clear();
  refresh.config_toml.clear();
  auto r = sync::read_bundle(written(refresh, portal), trust_key(portal), kCreated);
  REQUIRE(r.ok());
  CHECK(*r == refresh);
}

TEST_CASE("the fingerprint is the first 100 bits of the key's SHA-256 in Crockford Base32") {
  REQUIRE(sodium_init() >= 0);
  const auto k = key(7);
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), k.public_key.data(), k.public_key.size());
  const std::string bits = bits_of(digest.data(), 100);
  std::string expected;
  for (std::size_t i = 0; i < 20; ++i) {
    if (i > 0 && i % 5 == 0) expected += '-';
    expected += "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[std::stoi(bits.substr(i * 5, 5), nullptr, 2)];
  }
  CHECK(sync::bundle_fingerprint(k.public_key) == expected);
  CHECK(expected.size() == 23);
  CHECK(sync::bundle_fingerprint(key(8).public_key) != expected);
  // Hex keys: 64 digits, either case; anything else is none.
  const std::string hex = codes::to_hex(k.public_key.data(), k.public_key.size());
  CHECK(sync::parse_public_key_hex(hex) == k.public_key);
  CHECK(!sync::parse_public_key_hex(hex.substr(1)).has_value());
  CHECK(!sync::parse_public_key_hex(hex.substr(2) + "zz").has_value());
}

TEST_CASE("files that are not bundles are unreadable") {
  const auto portal = key(1);
  for (const std::string &text :
       {std::string("hello"), std::string("\x89PNG\r\n\x1a\n"),
        std::string("comptoir-bundle 2\n{}\n"), std::string("{\"key\":\"00\"}"), std::string()}) {
    CAPTURE(text);
    CHECK(code_of(sync::read_bundle(text, trust_key(portal), kCreated)) == "bundle_unreadable");
  }
  auto v2 = sync::read_bundle("comptoir-bundle 2\nrest", trust_key(portal), kCreated);
  REQUIRE(!v2.ok());
  CHECK(v2.error().detail.find("comptoir-bundle 2") != std::string::npos);
}

TEST_CASE("a bundle cut short in its lines is damaged, cut inside its payload tampered") {
  const auto portal = key(1);
  const std::string file = written(sample(portal), portal);
  const std::size_t gz = gzip_offset(file);
  REQUIRE(file.size() - gz > 40);
  // Cut where it shows without the payload: the magic line, the header line, a gzip part
  // shorter than a gzip header and trailer (18 bytes).
  for (const std::size_t keep : {std::size_t{5}, sync::kBundleMagic.size(),
                                 sync::kBundleMagic.size() + 40, gz - 1, gz, gz + 10, gz + 17}) {
    CAPTURE(keep);
    auto r = sync::read_bundle(std::string_view(file).substr(0, keep), trust_key(portal), kCreated);
    CHECK(code_of(r) == "bundle_damaged");
  }
  // Cut inside the payload, or bytes after it: the signature no longer matches, and nothing
  // unsigned is inflated to tell a cut from a change; the sentence covers both.
  for (const std::size_t keep : {gz + 18, (gz + file.size()) / 2, file.size() - 1}) {
    CAPTURE(keep);
    auto r = sync::read_bundle(std::string_view(file).substr(0, keep), trust_key(portal), kCreated);
    REQUIRE(code_of(r) == "bundle_tampered");
    CHECK(r.error().detail.find(kTamperedSentence) != std::string::npos);
  }
  CHECK(code_of(sync::read_bundle(file + "x", trust_key(portal), kCreated)) == "bundle_tampered");
}

TEST_CASE("one byte changed in the header, the gzip or the signature is refused") {
  const auto portal = key(1);
  const std::string file = written(sample(portal), portal);
  const std::size_t magic = sync::kBundleMagic.size();
  const std::size_t gz = gzip_offset(file);
  auto flipped = [&](std::size_t at, char to) {
    std::string copy = file;
    REQUIRE(copy[at] != to);
    copy[at] = to;
    return sync::read_bundle(copy, trust_key(portal), kCreated);
  };
  // The magic line.
  CHECK(code_of(flipped(3, 'X')) == "bundle_unreadable");
  // The header's JSON broken.
  CHECK(code_of(flipped(magic, '[')) == "bundle_damaged");
  // A hex digit of the key (another key: the signature no longer verifies).
  const std::size_t key_at = file.find("\"key\":\"") + 7;
  CHECK(code_of(flipped(key_at, file[key_at] == 'a' ? 'b' : 'a')) == "bundle_tampered");
  // A hex digit of the signature.
  const std::size_t sig_at = file.find("\"sig\":\"") + 7 + 50;
  CHECK(code_of(flipped(sig_at, file[sig_at] == 'a' ? 'b' : 'a')) == "bundle_tampered");
  // The gzip's time stamp: it still inflates, but it is not what was signed.
  CHECK(code_of(flipped(gz + 5, static_cast<char>(file[gz + 5] ^ 0x40))) == "bundle_tampered");
  // The deflate data: the signature catches it, before anything is inflated.
  const std::size_t mid = (gz + file.size()) / 2;
  auto deflate_changed = flipped(mid, static_cast<char>(file[mid] ^ 0x01));
  REQUIRE(code_of(deflate_changed) == "bundle_tampered");
  CHECK(deflate_changed.error().detail.find(kTamperedSentence) != std::string::npos);
  // The gzip trailer's CRC.
  CHECK(code_of(flipped(file.size() - 6, static_cast<char>(file[file.size() - 6] ^ 0x10))) ==
        "bundle_tampered");
  // A bundle re-signed with its own key but compressed differently is fine: the signature
  // is over the bytes, not over some normal form of the content.
  const std::string again = signed_file(gunzip(std::string_view(file).substr(gz)), portal);
  CHECK(code_of(sync::read_bundle(again, trust_key(portal), kCreated)) == "(accepted)");
}

TEST_CASE("nothing is inflated before the signature and the trust are checked") {
  const auto ours = key(1);
  const auto theirs = key(2);
  // 64 bytes that are no gzip at all, as the payload: inflating them would say damaged.
  const std::string junk(64, '\x5a');
  // Unsigned (a signature made for other bytes): tampered, with no trust given too.
  std::string unsigned_junk = signed_gzip(gzip("{}"), ours);
  unsigned_junk.replace(gzip_offset(unsigned_junk), std::string::npos, junk);
  CHECK(code_of(sync::read_bundle(unsigned_junk, trust_key(ours), kCreated)) == "bundle_tampered");
  CHECK(code_of(sync::read_bundle(unsigned_junk, BundleTrust{}, kCreated)) == "bundle_tampered");
  // Signed by a key nobody trusts, or another portal's: refused on the key alone.
  const std::string foreign_junk = signed_gzip(junk, theirs);
  CHECK(code_of(sync::read_bundle(foreign_junk, BundleTrust{}, kCreated)) == "bundle_untrusted");
  CHECK(code_of(sync::read_bundle(foreign_junk, trust_key(ours), kCreated)) == "bundle_foreign");
  // Only the trusted portal's signed bytes are inflated: then junk, a bomb past the bound
  // or bytes after the gzip stream are damaged.
  auto ours_junk = sync::read_bundle(signed_gzip(junk, ours), trust_key(ours), kCreated);
  REQUIRE(code_of(ours_junk) == "bundle_damaged");
  CHECK(ours_junk.error().detail.find("corrupted") != std::string::npos);
  auto ours_bomb = sync::read_bundle(signed_gzip(gzip(std::string(65 * 1024 * 1024, '0')), ours),
                                     trust_key(ours), kCreated);
  REQUIRE(code_of(ours_bomb) == "bundle_damaged");
  CHECK(ours_bomb.error().detail.find("inflates to more than") != std::string::npos);
  const std::string good = written(sample(ours), ours);
  const std::string trailing =
      signed_gzip(std::string(std::string_view(good).substr(gzip_offset(good))) + "x", ours);
  auto after = sync::read_bundle(trailing, trust_key(ours), kCreated);
  REQUIRE(code_of(after) == "bundle_damaged");
  CHECK(after.error().detail.find("follow") != std::string::npos);
}

TEST_CASE("another portal's bundle is foreign and the detail names both fingerprints") {
  const auto ours = key(1);
  const auto theirs = key(2);
  Bundle b = sample(theirs);
  const std::string file = written(b, theirs);
  auto r = sync::read_bundle(file, trust_key(ours), kCreated);
  REQUIRE(code_of(r) == "bundle_foreign");
  CHECK(r.error().detail.find(sync::bundle_fingerprint(ours.public_key)) != std::string::npos);
  CHECK(r.error().detail.find(sync::bundle_fingerprint(theirs.public_key)) != std::string::npos);
  auto by_print = sync::read_bundle(
      file, BundleTrust{std::nullopt, sync::bundle_fingerprint(ours.public_key)}, kCreated);
  REQUIRE(code_of(by_print) == "bundle_foreign");
  CHECK(by_print.error().detail.find(sync::bundle_fingerprint(theirs.public_key)) !=
        std::string::npos);
  // A key in the payload other than the header's is refused even when the header's is
  // trusted: write_bundle will not make one, a hand-signed file is checked.
  nlohmann::json j = payload_of(written(sample(ours), ours));
  j["portal_key"] = codes::to_hex(theirs.public_key.data(), theirs.public_key.size());
  CHECK(code_of(sync::read_bundle(signed_file(j.dump(), ours), trust_key(ours), kCreated)) ==
        "bundle_invalid");
  CHECK(code_of(sync::write_bundle(sample(theirs), ours)) == "wire_invalid");
}

TEST_CASE("with no trusted key a bundle is untrusted, and a malformed fingerprint trusts none") {
  const auto portal = key(1);
  const std::string file = written(sample(portal), portal);
  auto none = sync::read_bundle(file, BundleTrust{}, kCreated);
  REQUIRE(code_of(none) == "bundle_untrusted");
  CHECK(none.error().detail.find(sync::bundle_fingerprint(portal.public_key)) != std::string::npos);
  CHECK(code_of(sync::read_bundle(file, BundleTrust{std::nullopt, "ABCDE-FGHJK"}, kCreated)) ==
        "bundle_untrusted");
  // Tampering is found before trust: a changed file with no trust says tampered.
  std::string copy = file;
  copy[file.find("\"sig\":\"") + 9] ^= 0x01;
  CHECK(code_of(sync::read_bundle(copy, BundleTrust{}, kCreated)) == "bundle_tampered");
}

TEST_CASE("an expired bundle, or one read by a clock far behind, is refused") {
  const auto portal = key(1);
  const Bundle b = sample(portal);
  const std::string file = written(b, portal);
  CHECK(code_of(sync::read_bundle(file, trust_key(portal), b.expires_ms)) == "(accepted)");
  CHECK(code_of(sync::read_bundle(file, trust_key(portal), b.expires_ms + 1)) == "bundle_expired");
  // A clock a little behind the portal's is tolerated; over a day behind is wrong.
  CHECK(code_of(sync::read_bundle(file, trust_key(portal), kCreated - 23 * 3600 * 1000)) ==
        "(accepted)");
  auto behind = sync::read_bundle(file, trust_key(portal), kCreated - kDay - 1);
  REQUIRE(code_of(behind) == "bundle_expired");
  CHECK(behind.error().detail.find("clock") != std::string::npos);
}

TEST_CASE("a signed bundle whose fields break the rules is invalid, naming the field") {
  const auto portal = key(1);
  const nlohmann::json good = payload_of(written(sample(portal), portal));
  auto refused = [&](auto change) {
    nlohmann::json j = good;
    change(j);
    auto r = sync::read_bundle(signed_file(j.dump(), portal), trust_key(portal), kCreated);
    return r.ok() ? std::string("(accepted)") : r.error().code + " " + r.error().detail;
  };
  CHECK(refused([](nlohmann::json &) {}) == "(accepted)");
  CHECK(refused([](nlohmann::json &j) {
          j["bundle_id"] = "XYZ";
        }).starts_with("bundle_invalid bundle_id"));
  CHECK(refused([](nlohmann::json &j) {
          j["portal_name"] = "";
        }).starts_with("bundle_invalid portal_name"));
  CHECK(refused([](nlohmann::json &j) {
          j["portal_url"] = "ftp://x";
        }).starts_with("bundle_invalid portal_url"));
  CHECK(refused([](nlohmann::json &j) {
          j["portal_url"] = "https://x/";
        }).starts_with("bundle_invalid portal_url"));
  CHECK(
      refused([](nlohmann::json &j) { j["stand_id"] = 9; }).starts_with("bundle_invalid stand_id"));
  CHECK(refused([](nlohmann::json &j) {
          j["stand_id"] = "1";
        }).starts_with("bundle_invalid stand_id: must be an integer"));
  CHECK(refused([](nlohmann::json &j) {
          j["enrol_code"] = "K7QM-9X2D-F3A4";
        }).starts_with("bundle_invalid enrol_code"));
  CHECK(refused([](nlohmann::json &j) {
          j["config_toml"] = std::string(64 * 1024 + 1, '#');
        }).starts_with("bundle_invalid config_toml"));
  CHECK(refused([](nlohmann::json &j) {
          j["expires_ms"] = j["created_ms"];
        }).starts_with("bundle_invalid expires_ms"));
  CHECK(refused([](nlohmann::json &j) {
          j["expires_ms"] = j["created_ms"].get<std::int64_t>() + 91 * kDay;
        }).starts_with("bundle_invalid expires_ms"));
  CHECK(refused([](nlohmann::json &j) { j.erase("snapshot"); }) ==
        "bundle_invalid snapshot: missing");
  CHECK(refused([](nlohmann::json &j) { j["snapshot"]["orders"][1]["paid"] = -1; }) ==
        "bundle_invalid snapshot.orders[1].paid: must be 0 to 100000000");
  CHECK(refused([](nlohmann::json &j) {
          j["snapshot"]["more"] = true;
        }).starts_with("bundle_invalid snapshot.more"));
  CHECK(refused([](nlohmann::json &j) {
          j["snapshot"]["remaining"] = 3;
        }).starts_with("bundle_invalid snapshot.remaining"));
  CHECK(refused([](nlohmann::json &j) {
          j["snapshot"].erase("keys");
        }).starts_with("bundle_invalid snapshot.keys"));
  // Not JSON at all, though signed: damaged.
  CHECK(code_of(sync::read_bundle(signed_file("{\"bundle_id\":", portal), trust_key(portal),
                                  kCreated)) == "bundle_damaged");
}

TEST_CASE("write_bundle refuses what read_bundle would") {
  const auto portal = key(1);
  auto refusal = [&](auto change) {
    Bundle b = sample(portal);
    change(b);
    auto r = sync::write_bundle(b, portal);
    return r.ok() ? std::string("(accepted)") : r.error().code + " " + r.error().detail;
  };
  CHECK(refusal([](Bundle &) {}) == "(accepted)");
  CHECK(refusal([](Bundle &b) { b.stand_id = 3; }).starts_with("wire_invalid stand_id"));
  CHECK(refusal([](Bundle &b) { b.enrol_code = "short"; }).starts_with("wire_invalid enrol_code"));
  CHECK(refusal([](Bundle &b) {
          b.config_toml.assign(64 * 1024 + 1, 'x');
        }).starts_with("wire_invalid config_toml"));
  CHECK(refusal([](Bundle &b) { b.snapshot.orders[0].lines[0].quantity_milli = 0; }) ==
        "wire_invalid snapshot.orders[0].lines[0]: quantity must be 1 to 100000000");
  CHECK(refusal([](Bundle &b) {
          b.snapshot.keys.reset();
        }).starts_with("wire_invalid snapshot.keys"));
}

TEST_CASE("a snapshot of more orders than a page holds is read whole and checked whole") {
  const auto portal = key(1);
  const Bundle big = sample(portal, 1200);
  const std::string file = written(big, portal);
  auto back = sync::read_bundle(file, trust_key(portal), kCreated);
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.error().detail));
  CHECK(back->snapshot.orders.size() == 1200);
  CHECK(*back == big);
  // An error in the second slice names the order by its place in the whole snapshot.
  nlohmann::json j = payload_of(file);
  j["snapshot"]["orders"][1100]["due"] = -5;
  auto r = sync::read_bundle(signed_file(j.dump(), portal), trust_key(portal), kCreated);
  REQUIRE(!r.ok());
  CHECK(r.error().detail == "snapshot.orders[1100].due: must be 0 to 100000000");
  // An order id twice across two slices.
  j = payload_of(file);
  j["snapshot"]["orders"][1150]["id"] = 7;
  r = sync::read_bundle(signed_file(j.dump(), portal), trust_key(portal), kCreated);
  REQUIRE(!r.ok());
  CHECK(r.error().detail == "snapshot.orders[1150].id: appears twice in the list");
}

TEST_CASE("ping answers and pages with remaining go through the wire codec") {
  wire::PingResponse ping{"Portail Sud-Aveyron", kCreated, wire::kProtocolVersion,
                          key(3).public_key};
  auto back = wire::parse_ping_response(wire::to_json(ping));
  REQUIRE(back.ok());
  CHECK(*back == ping);
  CHECK(code_of(wire::parse_ping_response(
            R"({"portal_name":"x","portal_time_ms":1,"protocol":1})")) == "wire_invalid");
  CHECK(code_of(wire::parse_ping_response(
            R"({"portal_name":"x","portal_time_ms":1,"protocol":1,"portal_key":"abc"})")) ==
        "wire_invalid");

  wire::ChangesPage page = sample(key(1)).snapshot;
  page.more = true;
  page.remaining = 1234;
  auto parsed = wire::parse_changes_page(wire::to_json(page));
  REQUIRE(parsed.ok());
  CHECK(parsed->remaining == std::optional<std::int64_t>(1234));
  page.remaining.reset();
  parsed = wire::parse_changes_page(wire::to_json(page));
  REQUIRE(parsed.ok());
  CHECK(!parsed->remaining.has_value());
  nlohmann::json j = nlohmann::json::parse(wire::to_json(page));
  j["remaining"] = -1;
  auto negative = wire::parse_changes_page(j.dump());
  REQUIRE(!negative.ok());
  CHECK(negative.error().detail == "remaining: must be >= 0");
  j["remaining"] = 2.5;
  CHECK(code_of(wire::parse_changes_page(j.dump())) == "wire_invalid");
}

}  // namespace
}  // namespace comptoir::test
