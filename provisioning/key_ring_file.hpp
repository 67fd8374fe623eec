// Files of portal keys, as `comptoir-code` reads and writes them (JSON):
//   key file (secret, mode 0600): {"key_id":1,"public_key":"hex","secret_key":"hex",
//                                  "valid_from":"YYYY-MM-DD","valid_until":"YYYY-MM-DD"}
//   key ring (public):            {"keys":[{"key_id":1,"public_key":"hex",
//                                  "valid_from":"YYYY-MM-DD","valid_until":"YYYY-MM-DD"}]}
// A ring may also be a single entry, a bare array of entries, or a key file (its public
// part is used). Validity dates are UTC days, both ends included; an entry without them is
// valid at any time (the demo region's key file has none).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "codes/pickup_token.hpp"
#include "db/result.hpp"

namespace comptoir::provisioning {

// "YYYY-MM-DD" (UTC) as days since 1970-01-01, from 1970-01-01 to 9999-12-31. `what` names
// the value in the error ("--valid-until").
Result<std::int64_t> parse_date(std::string_view text, std::string_view what);
std::string format_date(std::int64_t day);
std::int64_t today_utc();

struct SigningKey {
  std::uint16_t key_id = 0;
  codes::KeyPair pair;
  std::optional<std::int64_t> valid_from_day;   // days since 1970-01-01
  std::optional<std::int64_t> valid_until_day;  // valid through that day
};

// The key as the appliance's ring holds it (Unix seconds, unbounded without dates).
codes::PortalKey portal_key(const SigningKey &key);

nlohmann::ordered_json key_file_json(const SigningKey &key);    // with the secret key
nlohmann::ordered_json ring_entry_json(const SigningKey &key);  // without

// Errors name the file and say what to do, in one sentence.
Result<SigningKey> read_key_file(const std::string &path);
Result<codes::KeyRing> read_key_ring(const std::string &path);

}  // namespace comptoir::provisioning
