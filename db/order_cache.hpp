// Typed reads and writes over the cached orders, their lines, stands and products.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/records.hpp"
#include "db/result.hpp"
#include "db/sqlite.hpp"

namespace comptoir::db {

struct StatusCount {
  OrderStatus status;
  bool collected_here;  // a full or partial handover, not undone, in the ledger
  std::int64_t count;
};

// An order for a list (search, the day's report): its lines are not read, only counted.
struct ListedOrder {
  Order order;  // order.lines empty
  std::size_t line_count = 0;
};

class OrderCache {
 public:
  explicit OrderCache(Connection &conn);

  Result<std::optional<Order>> find_by_short_code(std::int64_t short_code);
  Result<std::optional<Order>> find_by_number(std::string_view number);  // case-insensitive
  Result<std::optional<Order>> find_by_id(std::int64_t id);
  Result<std::optional<Stand>> stand(std::int64_t id);

  // Upserts, for the demo and the sync agent. put_order replaces the order's lines.
  Result<void> put_stand(const Stand &stand);
  Result<void> put_product(const Product &product);
  Result<void> put_order(const Order &order);

  // Orders of one stand by portal status and local collection.
  Result<std::vector<StatusCount>> count_by_status(std::int64_t stand_id);

  // Orders of one stand whose number or customer contains `query` once both are folded
  // (db/text_fold.hpp: case, accents, œ/æ; dashes and spaces ignored in numbers), numbers
  // starting with it first, then by pickup time; at most `limit`. Every order of the stand
  // is looked at (a contains-search cannot use an index): about 30 ms at 100,000 orders.
  Result<std::vector<ListedOrder>> search(std::int64_t stand_id, std::string_view query,
                                          std::size_t limit);
  // Orders of one stand whose pickup window overlaps [from_s, until_s), by pickup time.
  Result<std::vector<ListedOrder>> in_window(std::int64_t stand_id, std::int64_t from_s,
                                             std::int64_t until_s);
  // The statement in_window runs (?1 stand, ?2 from, ?3 until), for tests of its plan.
  static std::string in_window_sql();

  // A value of the sync agent's state (sync_state table), e.g. "last_pull_ms".
  Result<std::optional<std::string>> sync_state(std::string_view key);

 private:
  Result<std::optional<Order>> find(Statement &s);
  Result<std::vector<ListedOrder>> list(Statement &s);

  Connection &conn_;
  Statement by_code_, by_number_, by_id_, lines_, stand_, put_stand_, put_product_, put_order_,
      delete_lines_, put_line_, count_, search_, in_window_, sync_state_;
};

}  // namespace comptoir::db
