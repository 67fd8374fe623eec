// Validation: a pure function of what was scanned, what the cache holds for it, this
// stand, the clock and the policy. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "codes/scanned_code.hpp"
#include "db/records.hpp"
#include "pickup/verdict.hpp"

namespace comptoir {

struct Policy {
  // A customer a little early or late still gets the order.
  std::int64_t early_grace_s = 30 * 60;
  std::int64_t late_grace_s = 12 * 3600;
};

struct ScanContext {
  std::int64_t stand_id = 0;  // the stand this appliance serves
  std::int64_t now_s = 0;     // Unix seconds
  Policy policy;
};

// What the cache knows of the order a code points to. For a genuine signed token whose
// order has not been synced yet, `order` holds only what the token says (id, stand,
// valid-until day as pickup_until, prepaid as nothing due) and in_cache is false.
struct OrderFacts {
  db::Order order;
  std::optional<StandRef> order_stand;    // the order's stand, when it is not this one
  std::vector<db::HandoverEvent> events;  // this order's ledger, oldest first
  bool in_cache = true;
};

// The facts a genuine token gives about an order the cache does not hold.
db::Order order_from_token(const codes::TokenFields &token);

// The collection the ledger records (a full or partial handover no undo cancels), else
// the one the portal reports, else nothing.
std::optional<Collection> effective_collection(const db::Order &order,
                                               const std::vector<db::HandoverEvent> &events);

// Precedence when several apply: already_collected, cancelled, wrong_stand, expired,
// too_early, not_ready, payment_due, ready. A genuine token past its valid-until day is
// expired; one whose order is not cached yet is ready_unsynced once the rules it can be
// checked against pass (collected here, stand, expiry).
Verdict validate(const codes::ScannedCode &code, const std::optional<OrderFacts> &facts,
                 const ScanContext &context);

}  // namespace comptoir
