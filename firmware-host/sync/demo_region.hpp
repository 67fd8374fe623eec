// A demo region as a portal holds it: three stands, their products, orders in every state
// so every verdict can be tried, the portal's signing key, and the codes to try with the
// verdict each must get on an appliance serving `local_stand` that has synced the region.
// Pure and deterministic for a seed. The appliance's offline demo (comptoir-provision demo)
// applies it to the cache as a pull would; the reference portal (comptoir-portal demo)
// stores it and serves it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "sync/wire.hpp"

namespace comptoir::sync {

struct DemoCode {
  std::string code;          // what to type or scan
  std::string order_number;  // empty when the code matches no order; "#ID" for tokens of
                             // orders the portal does not have (placed after the sync)
  std::string expected_verdict;
  std::string customer;
};

struct DemoOptions {
  std::int64_t orders = 240;  // orders in the region; at least 20
  std::uint64_t seed = 2026;
  std::int64_t now_s = 0;  // pickup windows are placed around this time
};

struct DemoRegion {
  std::int64_t local_stand = 1;
  std::uint16_t key_id = 1;
  codes::KeyPair portal_key;       // key id 1, made from the seed
  codes::PortalKey portal_public;  // its ring entry (valid from now-30 d to now+365 d)
  std::vector<wire::Stand> stands;
  std::vector<wire::Product> products;
  std::vector<wire::Order> orders;  // whole orders, every stand
  // Only when orders <= 10,000: every local order's short code, tokens for the first forty,
  // then unknown and mistyped codes, non-codes, tokens of orders not synced, forged and
  // foreign tokens, and reads mangled by a keyboard layout.
  std::vector<DemoCode> codes;
};

// The demo portal's signing key for a seed.
codes::KeyPair demo_portal_key(std::uint64_t seed);

// Error code usage when options.orders < 20.
Result<DemoRegion> make_demo_region(const DemoOptions &options);

// The same region handed out as it is made, for regions too big to hold (the benchmarks'
// million orders): `begin` once with the stands, products and key filled in, before any
// order; then `order` for every order, in id order. The region returned keeps no orders
// (its codes as above). An error from either callback stops the generation and is returned.
struct DemoSink {
  std::function<Result<void>(const DemoRegion &region)> begin;
  std::function<Result<void>(const wire::Order &order)> order;
};
Result<DemoRegion> make_demo_region(const DemoOptions &options, const DemoSink &sink);

}  // namespace comptoir::sync
