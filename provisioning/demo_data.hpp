// A demo region: three stands (one served by this appliance), their products, and
// orders in every state, so every verdict can be tried. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "db/database.hpp"
#include "db/result.hpp"

namespace comptoir::provisioning {

struct DemoCode {
  std::string code;          // what to type or scan
  std::string order_number;  // empty when the code matches no order
  std::string expected_verdict;
  std::string customer;
};

struct DemoOptions {
  std::int64_t orders = 240;  // orders in the region; at least 20
  std::uint64_t seed = 2026;
  std::int64_t now_s = 0;  // pickup windows are placed around this time
};

struct DemoRegion {
  std::int64_t local_stand = 0;
  // The demo portal's signing key (key id 1), made from the seed; its public half is in
  // the cache's key ring. comptoir-code sign uses it to make more demo tokens.
  std::uint16_t key_id = 1;
  codes::KeyPair portal_key;
  // Every order's short code; signed tokens for the first forty orders; then tokens of
  // orders not synced yet, forged and foreign tokens, mangled reads, and non-codes.
  std::vector<DemoCode> codes;
};

// The demo portal's signing key for a seed (what create_demo trusts as key id 1).
codes::KeyPair demo_portal_key(std::uint64_t seed);

// Fills an empty cache in one transaction, sets this appliance's stand and trusts the
// demo portal's key.
Result<DemoRegion> create_demo(db::Database &db, const DemoOptions &options);

}  // namespace comptoir::provisioning
