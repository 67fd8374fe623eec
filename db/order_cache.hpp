// Typed reads and writes over the cached orders, their lines, stands and products.
#pragma once

#include <cstdint>
#include <optional>
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

 private:
  Result<std::optional<Order>> find(Statement &s);

  Connection &conn_;
  Statement by_code_, by_number_, by_id_, lines_, stand_, put_stand_, put_product_, put_order_,
      delete_lines_, put_line_, count_;
};

}  // namespace comptoir::db
