// Applying what the portal sent to the cache: a whole page or nothing.
#pragma once

#include <cstdint>

#include "db/result.hpp"
#include "db/sqlite.hpp"
#include "sync/wire.hpp"

namespace comptoir::sync {

struct ApplyReport {
  std::size_t stands = 0;
  std::size_t products = 0;
  std::size_t orders = 0;
  std::size_t cancelled = 0;  // orders that arrive as cancelled
  bool keys_replaced = false;
};

// In one transaction: the stands, products and orders (upserts; an order's lines are
// replaced), the key ring when the page carries one (replaced whole), the page's cursor
// (sync_state "cursor"), and, when the page is the last (more == false), sync_state
// "last_pull_ms" = now_ms: the data counts as fresh only then. Before writing, every order
// line's product, and every product's and order's stand, must be in the page or already in
// the cache, else error page_inconsistent and nothing is written. A short code the portal
// gave to another order is taken from the order that held it (SyncStore::release_short_code).
// A write the cache's constraints refuse (an order number the portal gave to two orders...)
// is page_inconsistent too, and rolls the whole page back. Other errors: disk_full,
// database_error (nothing written either).
Result<ApplyReport> apply_page(db::Connection &conn, const wire::ChangesPage &page,
                               std::int64_t now_ms);

// The same checks and writes inside the caller's transaction (an offline bundle writes its
// snapshot and its settings in one): on an error the caller rolls back.
Result<ApplyReport> apply_page_in_transaction(db::Connection &conn, const wire::ChangesPage &page,
                                              std::int64_t now_ms);

}  // namespace comptoir::sync
