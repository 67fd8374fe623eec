// The answer to a scan: what staff may do, and what they need to know to do it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir {

enum class VerdictKind {
  ready,
  payment_due,
  already_collected,
  not_ready,
  cancelled,
  wrong_stand,
  too_early,
  expired,
  unknown,
  not_a_pickup_code,
  // Signed tokens and typed codes:
  forged,          // a token whose signature does not verify
  unknown_key,     // signed with a key this appliance does not hold (or no longer trusts)
  mistyped,        // a short code whose check symbol fails
  ready_unsynced,  // a genuine token for this stand, not expired, order not synced yet
};

// The machine identifiers of the headless protocol and the tests.
std::string_view to_string(VerdictKind kind);
std::optional<VerdictKind> verdict_from_string(std::string_view text);
// Whether staff may record a handover for an order with this verdict.
bool can_hand_over(VerdictKind kind);

struct VerdictLine {
  int line_no = 0;
  std::string product;
  std::int64_t quantity_milli = 0;
  std::string unit;
  bool variable_weight = false;
  std::int64_t price_cents = 0;
};

struct OrderSummary {
  std::int64_t id = 0;
  std::string number;
  std::string customer;
  std::int64_t paid_cents = 0;
  std::int64_t due_cents = 0;
  std::int64_t pickup_from = 0;   // Unix seconds
  std::int64_t pickup_until = 0;  // Unix seconds
  std::vector<VerdictLine> lines;
  bool prepaid = false;
  bool in_cache = true;  // false for ready_unsynced: the token's facts only, no lines
};

struct Collection {
  std::int64_t wall_ms = 0;
  std::string device;
  std::string staff;
  bool partial = false;
  bool here = false;  // recorded in this appliance's ledger (else reported by the portal)
};

// A refusal recorded for an order that has not been handed over since.
struct Refusal {
  std::int64_t wall_ms = 0;
  std::string reason;
  std::string staff;
};

struct StandRef {
  std::int64_t id = 0;
  std::string name;
  std::string place;
};

struct Verdict {
  VerdictKind kind = VerdictKind::not_a_pickup_code;
  std::string scan_id;  // UUID made at scan time; the handover that follows reuses it
  bool repeat = false;  // a scanner's double read of the previous code: show, do not act
  // For unknown and not_a_pickup_code: why (e.g. "check_symbol", "product_barcode").
  std::string detail;
  // The keyboard-layout mix-up undone to read the code ("us>fr"), for the technician.
  std::string layout;
  std::optional<OrderSummary> order;
  std::optional<Collection> collected;  // already_collected
  std::optional<StandRef> collect_at;   // wrong_stand
  // An order refused earlier and not handed over since: staff see why before handing over.
  std::optional<Refusal> refused;
};

}  // namespace comptoir
