// Plain values stored in the local cache. Amounts are integer cents, quantities
// thousandths of a unit, times Unix seconds (pickup windows) or milliseconds (events).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comptoir::db {

struct Stand {
  std::int64_t id = 0;  // the portal's stand id
  std::string name;
  std::string place;
};

struct Product {
  std::int64_t id = 0;  // the portal's product id
  std::int64_t stand_id = 0;
  std::string name;
  std::string unit;  // "pièce", "kg", "botte", "L", ...
  bool variable_weight = false;
};

struct OrderLine {
  int line_no = 0;
  std::int64_t product_id = 0;
  std::int64_t quantity_milli = 0;
  std::int64_t price_cents = 0;
  // Filled on read from the products table.
  std::string product;
  std::string unit;
  bool variable_weight = false;
};

// Status as the portal last said. Local handovers live in the ledger, not here.
enum class OrderStatus : int { pending = 0, ready = 1, collected = 2, cancelled = 3 };

struct Order {
  std::int64_t id = 0;  // the portal's order id
  std::string number;   // human order number, e.g. "C-104217"
  std::int64_t stand_id = 0;
  std::string customer;  // display name only: no e-mail, no phone
  OrderStatus status = OrderStatus::pending;
  std::int64_t pickup_from = 0;   // Unix seconds
  std::int64_t pickup_until = 0;  // Unix seconds
  std::int64_t paid_cents = 0;
  std::int64_t due_cents = 0;
  std::int64_t short_code = 0;  // the 50-bit value of the typed code, check symbol excluded
  // When the portal reports a collection made elsewhere.
  std::optional<std::int64_t> collected_at_ms;
  std::string collected_device;
  std::string collected_staff;
  std::vector<OrderLine> lines;
};

enum class EventKind { full, partial, refused, undo };

struct HandoverEvent {
  std::int64_t seq = 0;  // local order of the ledger, set on append
  std::string uuid;      // made at scan time
  std::int64_t order_id = 0;
  EventKind kind = EventKind::full;
  std::vector<int> lines_handed;
  std::vector<int> lines_missing;
  std::string reason;  // refusals
  std::string undoes;  // uuid of the undone event, for kind == undo
  std::string staff;
  std::string device;
  std::int64_t wall_ms = 0;
  std::int64_t mono_ns = 0;
};

}  // namespace comptoir::db
