// The cache's schema as numbered migrations (PRAGMA user_version).
#pragma once

#include <span>
#include <string_view>

namespace comptoir::db {

// 'Cmpt': marks a SQLite file as ours, so a stranger's database is never migrated.
inline constexpr int kApplicationId = 0x436d7074;

// migrations()[i] takes the schema from version i to version i + 1.
std::span<const std::string_view> migrations();
inline int latest_schema_version() {
  return static_cast<int>(migrations().size());
}

// Tables holding what cannot be pulled again from the portal: checked before the first
// scan. The order cache (orders, order_lines) is large and can be pulled again.
std::span<const std::string_view> irreplaceable_tables();

}  // namespace comptoir::db
