#include "provisioning/key_ring_file.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace comptoir::provisioning {
namespace {

using nlohmann::json;

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::size_t kMaxFileBytes = 1 << 20;  // a ring of thousands of keys is under 200 kB
constexpr std::string_view kRemedy = "fix it, or make a new key with `comptoir-code keygen`";

Error bad(std::string detail) {
  return make_error("bad_input", std::move(detail));
}

Result<std::string> read_text_file(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return bad(path + " is a folder: give the key file (or key ring) inside it.");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return bad("cannot read " + path + " (" + std::strerror(errno) +
               "): check the file name, or make a key with `comptoir-code keygen --out FILE`.");
  }
  // Read at most one byte past the limit, so /dev/zero or a wrong multi-gigabyte file is
  // refused rather than read whole.
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return bad("cannot read " + path + " (I/O error): check the disk and try again.");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    return bad(path +
               " is over 1 MB, too large for a key file or a key ring: check the file name.");
  }
  return text;
}

Result<json> read_json_file(const std::string &path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  try {
    return json::parse(*text);
  } catch (const json::parse_error &e) {
    return bad(path + " is not valid JSON (error at byte " + std::to_string(e.byte) +
               "): " + std::string(kRemedy) + ".");
  }
}

Result<std::uint16_t> key_id_of(const json &entry, const std::string &where) {
  const auto it = entry.find("key_id");
  if (it == entry.end()) {
    return bad(where + " has no \"key_id\": add it (a number from 0 to 65535), or " +
               std::string(kRemedy) + ".");
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
      it->get<std::int64_t>() > std::numeric_limits<std::uint16_t>::max()) {
    return bad("the \"key_id\" of " + where +
               " is not a number from 0 to 65535: " + std::string(kRemedy) + ".");
  }
  return static_cast<std::uint16_t>(it->get<std::int64_t>());
}

// The field as exactly `bytes` bytes of hex; nullopt when the field is absent.
Result<std::optional<std::vector<unsigned char>>> hex_field(const json &entry, const char *field,
                                                            std::size_t bytes,
                                                            const std::string &where) {
  const auto it = entry.find(field);
  if (it == entry.end()) return std::optional<std::vector<unsigned char>>{};
  std::optional<std::vector<unsigned char>> value;
  if (it->is_string()) value = codes::from_hex(it->get<std::string>());
  if (!value || value->size() != bytes) {
    return bad("the \"" + std::string(field) + "\" of " + where + " is not " +
               std::to_string(bytes * 2) + " hex digits: copy it again from the output of " +
               "`comptoir-code keygen`.");
  }
  return value;
}

Result<std::optional<std::int64_t>> date_field(const json &entry, const char *field,
                                               const std::string &where) {
  const auto it = entry.find(field);
  if (it == entry.end()) return std::optional<std::int64_t>{};
  const std::string what = "the \"" + std::string(field) + "\" of " + where;
  if (!it->is_string()) return bad(what + " is not a date: write it as \"YYYY-MM-DD\".");
  auto day = parse_date(it->get<std::string>(), what);
  if (!day) return day.error();
  return std::optional<std::int64_t>{*day};
}

// The parts every entry shares: key id, public key (or the public half of the secret key),
// validity. `secret` is filled when the entry holds a secret key.
Result<SigningKey> read_entry(const json &entry, const std::string &where, bool need_secret) {
  if (!entry.is_object()) {
    return bad(where + " is not a JSON object with \"key_id\" and \"public_key\": " +
               std::string(kRemedy) + ".");
  }
  SigningKey key;
  auto key_id = key_id_of(entry, where);
  if (!key_id) return key_id.error();
  key.key_id = *key_id;

  auto secret = hex_field(entry, "secret_key", key.pair.secret_key.size(), where);
  if (!secret) return secret.error();
  auto public_key = hex_field(entry, "public_key", key.pair.public_key.size(), where);
  if (!public_key) return public_key.error();
  if (need_secret && !*secret) {
    return bad(where + " holds no \"secret_key\": signing needs the key file written by " +
               "`comptoir-code keygen --out FILE`, not a key ring.");
  }
  if (*secret) {
    // libsodium's secret key is seed || public key: derive both again from the seed, so a
    // damaged file is caught here rather than by every appliance refusing its tokens.
    std::array<unsigned char, 32> seed{};
    std::copy_n((*secret)->begin(), seed.size(), seed.begin());
    key.pair = codes::key_pair_from_seed(seed);
    if (!std::equal(key.pair.secret_key.begin(), key.pair.secret_key.end(), (*secret)->begin())) {
      return bad("the \"secret_key\" of " + where + " is damaged (its two halves do not " +
                 "match): restore the file from a backup, or make a new key with " +
                 "`comptoir-code keygen`.");
    }
    if (*public_key && !std::equal(key.pair.public_key.begin(), key.pair.public_key.end(),
                                   (*public_key)->begin())) {
      return bad("the \"public_key\" of " + where + " does not belong to its \"secret_key\": " +
                 "restore the file from a backup, or make a new key with `comptoir-code keygen`.");
    }
  } else if (*public_key) {
    std::copy((*public_key)->begin(), (*public_key)->end(), key.pair.public_key.begin());
  } else {
    return bad(where + " has no \"public_key\": copy the key-ring entry printed by " +
               "`comptoir-code keygen`.");
  }

  auto from = date_field(entry, "valid_from", where);
  if (!from) return from.error();
  auto until = date_field(entry, "valid_until", where);
  if (!until) return until.error();
  key.valid_from_day = *from;
  key.valid_until_day = *until;
  if (*from && *until && **from > **until) {
    return bad("the \"valid_from\" of " + where +
               " is after its \"valid_until\": " + "swap them, or correct the dates.");
  }
  return key;
}

}  // namespace

Result<std::int64_t> parse_date(std::string_view text, std::string_view what) {
  const auto fail = [&] {
    return bad(std::string(what) + " (\"" + std::string(text.substr(0, 40)) +
               "\") is not a date: write it as YYYY-MM-DD, for example 2025-06-30.");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return fail();
  int digits[10] = {};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (text[i] < '0' || text[i] > '9') return fail();
    digits[i] = text[i] - '0';
  }
  const int y = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  const auto m = static_cast<unsigned>(digits[5] * 10 + digits[6]);
  const auto d = static_cast<unsigned>(digits[8] * 10 + digits[9]);
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return fail();
  const std::int64_t day = std::chrono::sys_days(ymd).time_since_epoch().count();
  if (day < 0) {
    return bad(std::string(what) + " (" + std::string(text) +
               ") is before 1970-01-01: give a later date.");
  }
  return day;
}

std::string format_date(std::int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days(day)}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

std::int64_t today_utc() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return today.time_since_epoch().count();
}

codes::PortalKey portal_key(const SigningKey &key) {
  codes::PortalKey k;
  k.key_id = key.key_id;
  k.public_key = key.pair.public_key;
  k.valid_from_s = key.valid_from_day ? *key.valid_from_day * kSecondsPerDay
                                      : std::numeric_limits<std::int64_t>::min();
  k.valid_until_s = key.valid_until_day ? (*key.valid_until_day + 1) * kSecondsPerDay - 1
                                        : std::numeric_limits<std::int64_t>::max();
  return k;
}

nlohmann::ordered_json ring_entry_json(const SigningKey &key) {
  nlohmann::ordered_json j;
  j["key_id"] = key.key_id;
  j["public_key"] = codes::to_hex(key.pair.public_key.data(), key.pair.public_key.size());
  if (key.valid_from_day) j["valid_from"] = format_date(*key.valid_from_day);
  if (key.valid_until_day) j["valid_until"] = format_date(*key.valid_until_day);
  return j;
}

nlohmann::ordered_json key_file_json(const SigningKey &key) {
  nlohmann::ordered_json j;
  j["key_id"] = key.key_id;
  j["public_key"] = codes::to_hex(key.pair.public_key.data(), key.pair.public_key.size());
  j["secret_key"] = codes::to_hex(key.pair.secret_key.data(), key.pair.secret_key.size());
  if (key.valid_from_day) j["valid_from"] = format_date(*key.valid_from_day);
  if (key.valid_until_day) j["valid_until"] = format_date(*key.valid_until_day);
  return j;
}

Result<SigningKey> read_key_file(const std::string &path) {
  auto j = read_json_file(path);
  if (!j) return j.error();
  return read_entry(*j, path, true);
}

Result<codes::KeyRing> read_key_ring(const std::string &path) {
  auto j = read_json_file(path);
  if (!j) return j.error();
  const json *entries = &*j;
  if (j->is_object() && j->contains("keys")) {
    entries = &j->at("keys");
    if (!entries->is_array()) {
      return bad("\"keys\" in " + path + " is not a list: write it as \"keys\": [ ... ].");
    }
  }
  codes::KeyRing ring;
  const auto add = [&](const json &entry, const std::string &where) -> Result<void> {
    auto key = read_entry(entry, where, false);
    if (!key) return key.error();
    if (ring.find(key->key_id) != nullptr) {
      return bad("key " + std::to_string(key->key_id) + " appears twice in " + path +
                 ": keep only the right one.");
    }
    ring.keys.push_back(portal_key(*key));
    return {};
  };
  if (entries->is_array()) {
    for (std::size_t i = 0; i < entries->size(); ++i) {
      auto added = add((*entries)[i], "entry " + std::to_string(i + 1) + " of " + path);
      if (!added) return added.error();
    }
  } else {
    auto added = add(*entries, path);
    if (!added) return added.error();
  }
  return ring;
}

}  // namespace comptoir::provisioning
