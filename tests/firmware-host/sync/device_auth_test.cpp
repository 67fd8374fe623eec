// Request signing: a signed request verifies, and any change to what it binds (method,
// target, timestamp, body) or to whose key checks it fails; malformed headers are refused.
#include "sync/device_auth.hpp"

#include <doctest/doctest.h>

#include <array>
#include <limits>
#include <string>

#include "codes/pickup_token.hpp"

namespace comptoir::test {
namespace {

constexpr std::int64_t kTs = 1'763'900'000'123;

codes::KeyPair device_key(unsigned char seed) {
  std::array<unsigned char, 32> bytes{};
  bytes.fill(seed);
  return codes::key_pair_from_seed(bytes);
}

wire::AuthHeader parsed(const std::string &value) {
  auto auth = wire::parse_authorization(value);
  REQUIRE(auth.has_value());
  return *auth;
}

std::string sig_of(const std::string &header) {
  return header.substr(header.find("sig=") + 4);
}

}  // namespace

// Checked where it can be reported (SyncAgent::create, enrolment), never thrown on the
// agent's thread.
static_assert(noexcept(wire::sodium_ready()));

TEST_CASE("libsodium is ready, and a refused signature is a value, not an exception") {
  REQUIRE(wire::sodium_ready());
  const auto key = codes::generate_key_pair();
  wire::AuthHeader bad{"dev-1", 1, std::string(10, 'x')};  // a signature of the wrong size
  CHECK_NOTHROW(CHECK_FALSE(wire::verify_request(key.public_key, bad, "GET", "/", "")));
}

TEST_CASE("the signing text binds method, target, timestamp and the body's SHA-256") {
  CHECK(wire::signing_text("GET", "/api/v1/changes?cursor=s12&limit=500", kTs, "") ==
        "comptoir-request-v1\nGET\n/api/v1/changes?cursor=s12&limit=500\n1763900000123\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(wire::signing_text("POST", "/api/v1/events", 0, "abc") ==
        "comptoir-request-v1\nPOST\n/api/v1/events\n0\n"
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("a signed request verifies, and any change fails") {
  const codes::KeyPair key = device_key(7);
  const std::string body = R"({"events":[]})";
  const std::string header =
      wire::sign_request(key.secret_key, "dev-7", "POST", "/api/v1/events", kTs, body);
  CHECK(header.starts_with("Comptoir-Ed25519 device=dev-7,ts=1763900000123,sig="));
  CHECK(sig_of(header).size() == 88);  // 64 bytes, base64 with padding
  CHECK(sig_of(header).ends_with("=="));

  const wire::AuthHeader auth = parsed(header);
  CHECK(auth.device_id == "dev-7");
  CHECK(auth.timestamp_ms == kTs);
  CHECK(auth.signature.size() == 64);
  CHECK(wire::verify_request(key.public_key, auth, "POST", "/api/v1/events", body));

  // Each thing the signature binds, changed alone.
  CHECK_FALSE(wire::verify_request(key.public_key, auth, "GET", "/api/v1/events", body));
  CHECK_FALSE(wire::verify_request(key.public_key, auth, "post", "/api/v1/events", body));
  CHECK_FALSE(wire::verify_request(key.public_key, auth, "POST", "/api/v1/events?x=1", body));
  CHECK_FALSE(wire::verify_request(key.public_key, auth, "POST", "/api/v1/event", body));
  CHECK_FALSE(wire::verify_request(key.public_key, auth, "POST", "/api/v1/events", body + " "));
  CHECK_FALSE(wire::verify_request(key.public_key, auth, "POST", "/api/v1/events", ""));
  wire::AuthHeader later = auth;
  later.timestamp_ms += 1;
  CHECK_FALSE(wire::verify_request(key.public_key, later, "POST", "/api/v1/events", body));
  // Another device: the portal checks with that device's key, which did not sign it.
  wire::AuthHeader other = auth;
  other.device_id = "dev-8";
  CHECK_FALSE(
      wire::verify_request(device_key(8).public_key, other, "POST", "/api/v1/events", body));
  // A flipped bit anywhere in the signature.
  for (std::size_t i = 0; i < auth.signature.size(); i += 9) {
    wire::AuthHeader bent = auth;
    bent.signature[i] = static_cast<char>(bent.signature[i] ^ 0x10);
    CHECK_FALSE(wire::verify_request(key.public_key, bent, "POST", "/api/v1/events", body));
  }
  wire::AuthHeader short_sig = auth;
  short_sig.signature.pop_back();
  CHECK_FALSE(wire::verify_request(key.public_key, short_sig, "POST", "/api/v1/events", body));

  // A GET has an empty body; the query is part of what is signed.
  const std::string get = wire::sign_request(key.secret_key, "dev-7", "GET",
                                             "/api/v1/changes?cursor=s12&limit=500", kTs, "");
  CHECK(wire::verify_request(key.public_key, parsed(get), "GET",
                             "/api/v1/changes?cursor=s12&limit=500", ""));
  CHECK_FALSE(wire::verify_request(key.public_key, parsed(get), "GET",
                                   "/api/v1/changes?cursor=s13&limit=500", ""));
}

TEST_CASE("Ed25519 is deterministic: the same request signs the same") {
  const codes::KeyPair key = device_key(1);
  const std::string a = wire::sign_request(key.secret_key, "d", "GET", "/t", 5, "");
  const std::string b = wire::sign_request(key.secret_key, "d", "GET", "/t", 5, "");
  CHECK(a == b);
  CHECK(a != wire::sign_request(key.secret_key, "d", "GET", "/t", 6, ""));
}

TEST_CASE("the header parser is lenient on spacing and case of the scheme only") {
  const codes::KeyPair key = device_key(3);
  const std::string header = wire::sign_request(key.secret_key, "dev-1", "GET", "/t", kTs, "");
  const std::string sig = sig_of(header);
  for (const std::string &ok :
       {header, "comptoir-ed25519 device=dev-1,ts=1763900000123,sig=" + sig,
        "  Comptoir-Ed25519   device=dev-1, ts=1763900000123 , sig=" + sig + "  ",
        "Comptoir-Ed25519 sig=" + sig + ",ts=1763900000123,device=dev-1"}) {
    CAPTURE(ok);
    auto auth = wire::parse_authorization(ok);
    REQUIRE(auth.has_value());
    CHECK(wire::verify_request(key.public_key, *auth, "GET", "/t", ""));
  }
  const std::string ts = "ts=1763900000123";
  for (const std::string &bad : {
           std::string(),
           std::string("Comptoir-Ed25519"),
           std::string("Comptoir-Ed25519 "),
           "Bearer device=dev-1," + ts + ",sig=" + sig,
           "Comptoir-Ed25519x device=dev-1," + ts + ",sig=" + sig,
           "Comptoir-Ed25519 device=dev-1," + ts,                               // no sig
           "Comptoir-Ed25519 " + ts + ",sig=" + sig,                            // no device
           "Comptoir-Ed25519 device=dev-1,sig=" + sig,                          // no ts
           "Comptoir-Ed25519 device=dev-1,device=dev-2," + ts + ",sig=" + sig,  // twice
           "Comptoir-Ed25519 device=dev-1," + ts + ",sig=" + sig + ",",         // trailing comma
           "Comptoir-Ed25519 device=dev-1," + ts + ",sig=" + sig + ",x=1",      // unknown
           "Comptoir-Ed25519 device=dev-1," + ts + ",,sig=" + sig,
           "Comptoir-Ed25519 device=Dev-1," + ts + ",sig=" + sig,  // upper case id
           "Comptoir-Ed25519 device=," + ts + ",sig=" + sig,
           "Comptoir-Ed25519 device=" + std::string(65, 'd') + "," + ts + ",sig=" + sig,
           "Comptoir-Ed25519 device=dev 1," + ts + ",sig=" + sig,
           "Comptoir-Ed25519 device=dev-1,ts=-5,sig=" + sig,
           "Comptoir-Ed25519 device=dev-1,ts=+5,sig=" + sig,
           "Comptoir-Ed25519 device=dev-1,ts=12a,sig=" + sig,
           "Comptoir-Ed25519 device=dev-1,ts=,sig=" + sig,
           "Comptoir-Ed25519 device=dev-1,ts=99999999999999999999,sig=" + sig,  // over int64
           "Comptoir-Ed25519 device=dev-1,ts=9223372036854775808,sig=" + sig,
           "Comptoir-Ed25519 device=dev-1," + ts + ",sig=" + sig.substr(0, 86),  // no padding
           "Comptoir-Ed25519 device=dev-1," + ts + ",sig=" + sig.substr(4),      // 61 bytes
           "Comptoir-Ed25519 device=dev-1," + ts + ",sig=" + sig + "AAAA",       // 67 bytes
           "Comptoir-Ed25519 device=dev-1," + ts + ",sig=" + sig.substr(0, 87) + "*",
           "Comptoir-Ed25519 device=dev-1," + ts +
               ",sig=" + std::string(sig).replace(10, 2, "-_"),  // URL-safe alphabet
           "Comptoir-Ed25519 device=dev-1," + ts + ",sig",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(wire::parse_authorization(bad).has_value());
  }
  // The largest timestamp that fits is a timestamp.
  auto max =
      wire::parse_authorization("Comptoir-Ed25519 device=d,ts=9223372036854775807,sig=" + sig);
  REQUIRE(max.has_value());
  CHECK(max->timestamp_ms == std::numeric_limits<std::int64_t>::max());
}

}  // namespace comptoir::test
