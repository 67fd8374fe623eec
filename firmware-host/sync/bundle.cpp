// Offline bundles (bundle.hpp, docs/protocol.md "Offline bundles"). The file is the magic
// line, a one-line JSON header {"key","sig"}, then the gzip of the payload's JSON. Reading
// checks, in this order: the magic line; the header; that the gzip part is at least as long
// as a gzip stream's header and trailer; the Ed25519 signature over magic + gzip bytes; that
// the key is the trusted one; and only then is the gzip inflated (whole, bounded: a small
// file must not inflate to gigabytes) and the payload's JSON and fields read. Nothing but
// the trusted portal can make the appliance inflate or parse anything.
// The snapshot is a ChangesPage read by wire's own parser, in slices of at most
// kMaxPageOrders orders (a snapshot holds every order, a page at most a thousand).
#include "sync/bundle.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <utility>

#include "codes/short_code.hpp"
#include "sync/gzip.hpp"

namespace comptoir::sync {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kMaxPayloadBytes = wire::kMaxBodyBytes * 4;
constexpr std::size_t kMaxHeaderBytes = 1024;
// A gzip stream's fixed header (10 bytes) and trailer (CRC-32 and size, 8 bytes): a gzip
// part shorter than this was cut short, whatever its signature says.
constexpr std::size_t kMinGzipBytes = 18;
constexpr std::size_t kMaxConfigBytes = 64 * 1024;
constexpr std::size_t kMaxUrlBytes = 2000;
constexpr std::size_t kEnrolCodeSymbols = 12;
constexpr std::size_t kFingerprintSymbols = 20;
constexpr int kMaxDepth = 64;
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

Error invalid(std::string detail) {
  return make_error("wire_invalid", std::move(detail));
}

Error damaged(std::string detail) {
  return make_error("bundle_damaged", std::move(detail));
}

std::string hex_of(const unsigned char *data, std::size_t size) {
  return codes::to_hex(data, size);
}

// ---- gzip (sync/gzip.hpp), with the bundle's error codes -------------------------------------

Result<std::string> compress_payload(std::string_view data) {
  std::string out = gzip(data, 9);
  if (out.empty()) return invalid("cannot compress the payload");
  return out;
}

// The whole gzip stream, no more than kMaxPayloadBytes of it, nothing after it.
Result<std::string> inflate_payload(std::string_view data) {
  auto out = gunzip(data, kMaxPayloadBytes, /*exact=*/true);
  if (out) return out;
  if (out.error().code == "too_large") {
    return damaged("the payload inflates to more than " + std::to_string(kMaxPayloadBytes) +
                   " bytes");
  }
  return damaged("the compressed payload: " + out.error().detail);
}

// ---- values --------------------------------------------------------------------------------

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
}

// Text as the wire wants it: UTF-8, no control characters, at most max bytes.
bool is_wire_text(std::string_view text, std::size_t max_bytes) {
  return text.size() <= max_bytes && wire::clean_text(text, max_bytes) == text;
}

bool is_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (url.size() > kMaxUrlBytes || rest.empty() || rest.front() == '/' || url.back() == '/') {
    return false;
  }
  return std::all_of(url.begin(), url.end(), [](char ch) {
    return ch > ' ' && ch < 0x7F && ch != '?' && ch != '#' && ch != '\\';
  });
}

bool is_enrol_code(std::string_view code) {
  return code.empty() ||
         (code.size() == kEnrolCodeSymbols && std::all_of(code.begin(), code.end(), [](char ch) {
            return kSymbols.find(ch) != std::string_view::npos;
          }));
}

// Every rule but the snapshot's page rules (wire's parser applies those).
Result<void> check_fields(const Bundle &b) {
  if (b.bundle_id.size() != 32 || !is_lower_hex(b.bundle_id)) {
    return invalid("bundle_id: must be 32 lower-case hex digits");
  }
  if (b.portal_name.empty() || !is_wire_text(b.portal_name, wire::kMaxTextBytes)) {
    return invalid("portal_name: must be 1 to 200 bytes of text without control characters");
  }
  if (!is_url(b.portal_url)) {
    return invalid("portal_url: must be http(s)://host[:port][/path] without a trailing slash");
  }
  if (b.created_ms < 0) return invalid("created_ms: must be >= 0");
  if (b.expires_ms <= b.created_ms) return invalid("expires_ms: must be after created_ms");
  if (b.expires_ms - b.created_ms > kMaxBundleDays * kDayMs) {
    return invalid("expires_ms: at most " + std::to_string(kMaxBundleDays) +
                   " days after created_ms");
  }
  if (!is_enrol_code(b.enrol_code)) {
    return invalid("enrol_code: must be empty or 12 Crockford Base32 symbols (upper case)");
  }
  if (b.config_toml.size() > kMaxConfigBytes) {
    return invalid("config_toml: larger than 64 KiB");
  }
  const wire::ChangesPage &s = b.snapshot;
  if (s.more) return invalid("snapshot.more: must be false (a snapshot is whole)");
  if (s.remaining) return invalid("snapshot.remaining: must be absent");
  if (!s.keys) return invalid("snapshot.keys: missing (a snapshot holds the key ring)");
  if (std::none_of(s.stands.begin(), s.stands.end(),
                   [&](const wire::Stand &st) { return st.id == b.stand_id; })) {
    return invalid("stand_id: stand " + std::to_string(b.stand_id) +
                   " is not among the snapshot's stands");
  }
  return {};
}

// wire's detail for a slice of the snapshot, as a path into the bundle: "orders[3].paid"
// of the slice starting at order 2000 becomes "snapshot.orders[2003].paid".
std::string snapshot_detail(std::string detail, std::size_t first_order) {
  if (detail.starts_with("body")) return "snapshot" + detail.substr(4);
  constexpr std::string_view kOrders = "orders[";
  if (first_order > 0 && detail.starts_with(kOrders)) {
    const std::size_t close = detail.find(']');
    std::size_t index = 0;
    const char *begin = detail.data() + kOrders.size();
    const auto [end, ec] = std::from_chars(begin, detail.data() + close, index);
    if (ec == std::errc() && end == detail.data() + close) {
      detail = std::string(kOrders) + std::to_string(index + first_order) + detail.substr(close);
    }
  }
  return "snapshot." + detail;
}

// The snapshot read by wire's ChangesPage parser: whole when it holds at most a page of
// orders, else slice by slice (the stands, products and keys with the first), its order ids
// unique across the slices.
Result<wire::ChangesPage> parse_snapshot(const json &snap) {
  if (!snap.is_object()) return invalid("snapshot: must be an object");
  const auto orders = snap.find("orders");
  if (orders == snap.end() || !orders->is_array() || orders->size() <= wire::kMaxPageOrders) {
    auto page = wire::parse_changes_page(snap.dump());
    if (!page) return invalid(snapshot_detail(page.error().detail, 0));
    return page;
  }
  json head = json::object();
  for (auto it = snap.begin(); it != snap.end(); ++it) {
    if (it.key() != "orders") head[it.key()] = it.value();
  }
  wire::ChangesPage whole;
  std::unordered_set<std::int64_t> ids;
  const std::size_t total = orders->size();
  for (std::size_t first = 0; first < total; first += wire::kMaxPageOrders) {
    json slice = head;
    if (first > 0) {
      slice["stands"] = json::array();
      slice["products"] = json::array();
      slice.erase("keys");
      slice.erase("remaining");
    }
    json list = json::array();
    const std::size_t last = std::min(total, first + wire::kMaxPageOrders);
    for (std::size_t i = first; i < last; ++i) list.push_back((*orders)[i]);
    slice["orders"] = std::move(list);
    auto page = wire::parse_changes_page(slice.dump());
    if (!page) return invalid(snapshot_detail(page.error().detail, first));
    for (std::size_t i = 0; i < page->orders.size(); ++i) {
      if (!ids.insert(page->orders[i].id).second) {
        return invalid("snapshot.orders[" + std::to_string(first + i) +
                       "].id: appears twice in the list");
      }
    }
    if (first == 0) {
      whole = std::move(*page);
    } else {
      for (auto &o : page->orders) whole.orders.push_back(std::move(o));
    }
  }
  return whole;
}

// ---- the payload's JSON ----------------------------------------------------------------

std::string payload_json(const Bundle &b) {
  ojson j{{"bundle_id", b.bundle_id},
          {"portal_name", b.portal_name},
          {"portal_url", b.portal_url},
          {"portal_key", hex_of(b.portal_key.data(), b.portal_key.size())},
          {"created_ms", b.created_ms},
          {"expires_ms", b.expires_ms},
          {"stand_id", b.stand_id},
          {"enrol_code", b.enrol_code},
          {"config_toml", b.config_toml}};
  std::string out = j.dump(-1, ' ', false, ojson::error_handler_t::replace);
  out.pop_back();  // the closing brace: the snapshot goes in as wire writes it
  out += ",\"snapshot\":";
  out += wire::to_json(b.snapshot);
  out += '}';
  return out;
}

bool get_string(const json &j, const char *key, std::string &out, std::string &problem) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    problem = std::string(key) + (it == j.end() ? ": missing" : ": must be a string");
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool get_int(const json &j, const char *key, std::int64_t &out, std::string &problem) {
  const auto it = j.find(key);
  if (it == j.end() || !(it->is_number_integer() || it->is_number_unsigned())) {
    problem = std::string(key) + (it == j.end() ? ": missing" : ": must be an integer");
    return false;
  }
  if (it->is_number_unsigned() &&
      it->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    problem = std::string(key) + ": out of range";
    return false;
  }
  out = it->get<std::int64_t>();
  return true;
}

// The payload's values, typed; bundle_damaged when it is not JSON, wire_invalid otherwise.
Result<Bundle> parse_payload(std::string_view text) {
  json j;
  try {
    // Nesting beyond kMaxDepth is refused while parsing.
    j = json::parse(text.begin(), text.end(), [](int depth, json::parse_event_t, json &) {
      if (depth > kMaxDepth) throw std::length_error("nested too deep");
      return true;
    });
  } catch (const json::exception &) {
    return damaged("the payload is not JSON");
  } catch (const std::length_error &) {
    return damaged("the payload nests deeper than " + std::to_string(kMaxDepth) + " levels");
  } catch (const std::bad_alloc &) {
    return damaged("the payload is too large to read in memory");
  }
  if (!j.is_object()) return invalid("body: must be an object");
  Bundle b;
  std::string problem, key_hex;
  if (!get_string(j, "bundle_id", b.bundle_id, problem) ||
      !get_string(j, "portal_name", b.portal_name, problem) ||
      !get_string(j, "portal_url", b.portal_url, problem) ||
      !get_string(j, "portal_key", key_hex, problem) ||
      !get_int(j, "created_ms", b.created_ms, problem) ||
      !get_int(j, "expires_ms", b.expires_ms, problem) ||
      !get_int(j, "stand_id", b.stand_id, problem) ||
      !get_string(j, "enrol_code", b.enrol_code, problem) ||
      !get_string(j, "config_toml", b.config_toml, problem)) {
    return invalid(problem);
  }
  const auto key = parse_public_key_hex(key_hex);
  if (!key) return invalid("portal_key: must be 64 hex digits");
  b.portal_key = *key;
  const auto snap = j.find("snapshot");
  if (snap == j.end()) return invalid("snapshot: missing");
  auto page = parse_snapshot(*snap);
  if (!page) return page.error();
  b.snapshot = std::move(*page);
  if (auto r = check_fields(b); !r) return r.error();
  return b;
}

// ---- the file ------------------------------------------------------------------------------

std::string header_json(const codes::PublicKey &key,
                        const std::array<unsigned char, crypto_sign_BYTES> &sig) {
  return ojson{{"key", hex_of(key.data(), key.size())}, {"sig", hex_of(sig.data(), sig.size())}}
      .dump();
}

std::string signed_message(std::string_view gz) {
  std::string message(kBundleMagic);
  message += gz;
  return message;
}

std::optional<std::string> clean_fingerprint(std::string_view text) {
  auto clean = codes::crockford_clean(text);
  if (!clean || clean->size() != kFingerprintSymbols) return std::nullopt;
  if (!std::all_of(clean->begin(), clean->end(),
                   [](char ch) { return kSymbols.find(ch) != std::string_view::npos; })) {
    return std::nullopt;
  }
  return clean;
}

}  // namespace

std::optional<codes::PublicKey> parse_public_key_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  const auto bytes = codes::from_hex(hex);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  codes::PublicKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::string bundle_fingerprint(const codes::PublicKey &key) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), key.data(), key.size());
  std::string out;
  for (std::size_t i = 0; i < kFingerprintSymbols; ++i) {
    if (i > 0 && i % 5 == 0) out += '-';
    // Bits 5i .. 5i+4 of the digest, most significant first.
    unsigned value = 0;
    for (std::size_t bit = i * 5; bit < i * 5 + 5; ++bit) {
      value = (value << 1) | ((digest[bit / 8] >> (7 - bit % 8)) & 1u);
    }
    out += kSymbols[value];
  }
  return out;
}

Result<std::string> write_bundle(const Bundle &bundle, const codes::KeyPair &portal_key) {
  if (sodium_init() < 0) return invalid("libsodium cannot start");
  if (bundle.portal_key != portal_key.public_key) {
    return invalid("portal_key: not the public half of the key that signs the bundle");
  }
  if (auto r = check_fields(bundle); !r) return r.error();
  const std::string payload = payload_json(bundle);
  if (payload.size() > kMaxPayloadBytes) {
    return invalid("body: the payload is larger than " + std::to_string(kMaxPayloadBytes) +
                   " bytes");
  }
  // Validated as read_bundle will: the snapshot through wire's parser.
  try {
    const json j = json::parse(payload);
    if (auto page = parse_snapshot(j.at("snapshot")); !page) return page.error();
  } catch (const json::exception &e) {
    return invalid(std::string("body: ") + e.what());
  }
  auto gz = compress_payload(payload);
  if (!gz) return gz.error();
  const std::string message = signed_message(*gz);
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char *>(message.data()),
                       message.size(), portal_key.secret_key.data());
  std::string file(kBundleMagic);
  file += header_json(portal_key.public_key, sig);
  file += '\n';
  file += *gz;
  if (file.size() > kMaxBundleBytes) {
    return invalid("body: the bundle is larger than " + std::to_string(kMaxBundleBytes) + " bytes");
  }
  return file;
}

Result<Bundle> read_bundle(std::string_view file, const BundleTrust &trust, std::int64_t now_ms) {
  if (sodium_init() < 0) return make_error("bundle_unreadable", "libsodium cannot start");
  // The magic line.
  if (!file.starts_with(kBundleMagic)) {
    if (!file.empty() && kBundleMagic.starts_with(file)) {
      return damaged("the file is cut short inside its first line");
    }
    constexpr std::string_view kName = "comptoir-bundle ";
    if (file.starts_with(kName)) {
      const std::string_view line = file.substr(0, std::min(file.find('\n'), std::size_t{40}));
      return make_error("bundle_unreadable", "a bundle of another format (\"" + std::string(line) +
                                                 "\"); this program reads \"comptoir-bundle 1\"");
    }
    return make_error("bundle_unreadable", "not a Comptoir bundle (no \"comptoir-bundle 1\" line)");
  }
  if (file.size() > kMaxBundleBytes) {
    return make_error("bundle_unreadable",
                      "larger than " + std::to_string(kMaxBundleBytes) + " bytes: not a bundle");
  }
  // The header line.
  const std::string_view rest = file.substr(kBundleMagic.size());
  const std::size_t eol = rest.substr(0, kMaxHeaderBytes).find('\n');
  if (eol == std::string_view::npos) return damaged("the header line is cut short or too long");
  codes::PublicKey key{};
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  {
    json header;
    try {
      header = json::parse(rest.substr(0, eol));
    } catch (const json::exception &) {
      return damaged("the header line is not JSON");
    }
    const auto k = header.is_object() ? header.find("key") : header.end();
    const auto s = header.is_object() ? header.find("sig") : header.end();
    if (k == header.end() || s == header.end() || !k->is_string() || !s->is_string()) {
      return damaged("the header line lacks its key or its signature");
    }
    const auto parsed_key = parse_public_key_hex(k->get<std::string>());
    const auto parsed_sig = s->get<std::string>().size() == 2 * crypto_sign_BYTES
                                ? codes::from_hex(s->get<std::string>())
                                : std::nullopt;
    if (!parsed_key || !parsed_sig || parsed_sig->size() != crypto_sign_BYTES) {
      return damaged("the header's key or signature is not hex of the right length");
    }
    key = *parsed_key;
    std::copy(parsed_sig->begin(), parsed_sig->end(), sig.begin());
  }
  // The gzip part: cut short when it cannot even hold a gzip header and trailer.
  const std::string_view gz = rest.substr(eol + 1);
  if (gz.empty()) return damaged("the file ends after its header: the payload is missing");
  if (gz.size() < kMinGzipBytes) {
    return damaged("the file ends " + std::to_string(gz.size()) +
                   " bytes into its payload: cut short");
  }
  // The signature, over the bytes as they are: checked before anything is inflated. A
  // change or a cut inside the payload is found here (it cannot be told from a deliberate
  // change without inflating what nobody vouched for).
  const std::string message = signed_message(gz);
  if (crypto_sign_verify_detached(sig.data(),
                                  reinterpret_cast<const unsigned char *>(message.data()),
                                  message.size(), key.data()) != 0) {
    return make_error("bundle_tampered",
                      "the signature does not match the content: the file is damaged or "
                      "modified: get a new copy from the portal");
  }
  // The trust.
  const std::string fingerprint = bundle_fingerprint(key);
  if (trust.key) {
    if (*trust.key != key) {
      return make_error("bundle_foreign", "signed by the portal key " + fingerprint +
                                              ", not by the trusted key " +
                                              bundle_fingerprint(*trust.key));
    }
  } else if (!trust.fingerprint.empty()) {
    const auto given = clean_fingerprint(trust.fingerprint);
    if (!given) {
      return make_error("bundle_untrusted", "\"" + trust.fingerprint +
                                                "\" is not a portal fingerprint "
                                                "(XXXXX-XXXXX-XXXXX-XXXXX)");
    }
    if (*given != *clean_fingerprint(fingerprint)) {
      return make_error("bundle_foreign", "signed by the portal key " + fingerprint +
                                              ", not by the trusted key " + trust.fingerprint);
    }
  } else {
    return make_error("bundle_untrusted",
                      "no portal key is trusted yet; the bundle says it is signed by " +
                          fingerprint +
                          ": compare it with the fingerprint the portal's admin gives you, never "
                          "with this file's word");
  }
  // The payload, signed by the trusted portal: inflated whole, then read.
  auto payload = inflate_payload(gz);
  if (!payload) return payload.error();
  auto bundle = parse_payload(*payload);
  if (!bundle) {
    if (bundle.error().code == "bundle_damaged") return bundle.error();
    return make_error("bundle_invalid", bundle.error().detail);
  }
  if (bundle->portal_key != key) {
    return make_error("bundle_invalid", "portal_key: not the key in the header");
  }
  if (now_ms > bundle->expires_ms) {
    return make_error("bundle_expired", "the bundle expired on its expires_ms " +
                                            std::to_string(bundle->expires_ms) + " (now " +
                                            std::to_string(now_ms) + ")");
  }
  if (now_ms < bundle->created_ms - kDayMs) {
    return make_error("bundle_expired",
                      "the bundle was made after this appliance's clock (created_ms " +
                          std::to_string(bundle->created_ms) + ", now " + std::to_string(now_ms) +
                          "): the appliance's clock is wrong; set it and try again");
  }
  return std::move(*bundle);
}

}  // namespace comptoir::sync
