#include "runtime/technician_pin.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>

namespace comptoir {
namespace {

// Modest Argon2id limits: 3 passes over 8 MiB. The kiosk must stay under 80 MB RSS on a
// cheap tablet, and a check should take a fraction of a second there; a 4-digit PIN is
// not made strong by a costly hash anyway, only by keeping the hash out of reach.
constexpr unsigned long long kOpsLimit = 3;
constexpr std::size_t kMemLimit = 8u * 1024u * 1024u;

bool valid_pin(std::string_view pin) {
  return pin.size() >= 4 && pin.size() <= 8 &&
         std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

Result<void> set_technician_pin(db::Database &db, std::string_view pin) {
  if (!valid_pin(pin)) {
    return make_error("pin_invalid", "a technician PIN is 4 to 8 digits, got " +
                                         std::to_string(pin.size()) + " characters");
  }
  if (!sodium_ready()) return make_error("pin_unusable", "libsodium could not be initialised");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, pin.data(), pin.size(), kOpsLimit, kMemLimit) != 0) {
    return make_error("pin_unusable", "out of memory while hashing the PIN");
  }
  return db.set_setting(kSettingTechnicianPin, hash);
}

Result<bool> check_technician_pin(db::Database &db, std::string_view pin) {
  auto stored = db.setting(kSettingTechnicianPin);
  if (!stored) return stored.error();
  if (!*stored || (*stored)->empty()) {
    return make_error("no_pin",
                      "no technician PIN is set: run comptoir-provision set-pin --data DIR");
  }
  if (!sodium_ready()) return make_error("pin_unusable", "libsodium could not be initialised");
  // A damaged stored hash would otherwise refuse every PIN as wrong, and the technician
  // would never learn that only set-pin can help. needs_rehash decodes the whole string
  // (algorithm, version, limits, salt, hash) and says -1 when it cannot.
  const std::string &hash = **stored;
  if (!hash.starts_with(crypto_pwhash_STRPREFIX) ||
      crypto_pwhash_str_needs_rehash(hash.c_str(), kOpsLimit, kMemLimit) == -1) {
    return make_error("pin_unusable", "the stored technician PIN hash is damaged (" +
                                          std::to_string(hash.size()) +
                                          " bytes): set it again with comptoir-provision set-pin");
  }
  // Not a PIN at all: no need to spend a hash on it.
  if (!valid_pin(pin)) return false;
  return crypto_pwhash_str_verify(hash.c_str(), pin.data(), pin.size()) == 0;
}

}  // namespace comptoir
