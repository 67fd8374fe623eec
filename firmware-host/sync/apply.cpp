// A page of changes into the cache: checked against the page and the cache first, then
// written in one transaction with its cursor, so a pull cut anywhere resumes from the last
// page applied and never leaves half a page behind.
#include "sync/apply.hpp"

#include <string>
#include <unordered_map>

#include "db/order_cache.hpp"
#include "db/sync_store.hpp"
#include "sync/convert.hpp"

namespace comptoir::sync {
namespace {

// Memoised "is it in the page, else in the cache?", so a page of a thousand orders of the
// same products asks the cache once per product.
class References {
 public:
  References(db::SyncStore &store, const wire::ChangesPage &page) : store_(store) {
    for (const wire::Stand &s : page.stands) stands_.emplace(s.id, true);
    for (const wire::Product &p : page.products) products_.emplace(p.id, true);
  }

  Result<bool> stand(std::int64_t id) { return known(stands_, id, &db::SyncStore::stand_exists); }
  Result<bool> product(std::int64_t id) {
    return known(products_, id, &db::SyncStore::product_exists);
  }

 private:
  using Lookup = Result<bool> (db::SyncStore::*)(std::int64_t);
  Result<bool> known(std::unordered_map<std::int64_t, bool> &seen, std::int64_t id, Lookup lookup) {
    if (auto it = seen.find(id); it != seen.end()) return it->second;
    auto found = (store_.*lookup)(id);
    if (!found) return found.error();
    seen.emplace(id, *found);
    return *found;
  }

  db::SyncStore &store_;
  std::unordered_map<std::int64_t, bool> stands_;
  std::unordered_map<std::int64_t, bool> products_;
};

Error inconsistent(std::string detail) {
  return make_error("page_inconsistent", std::move(detail));
}

// Every stand a product or an order names, and every product a line names, is in the page
// or already in the cache. The parser checked each value; only the cache can say this.
Result<void> check_references(db::SyncStore &store, const wire::ChangesPage &page) {
  References refs(store, page);
  for (std::size_t i = 0; i < page.products.size(); ++i) {
    const wire::Product &p = page.products[i];
    auto known = refs.stand(p.stand_id);
    if (!known) return known.error();
    if (!*known) {
      return inconsistent("products[" + std::to_string(i) + "] (product " + std::to_string(p.id) +
                          ") names stand " + std::to_string(p.stand_id) +
                          ", which is neither in the page nor in the cache");
    }
  }
  for (std::size_t i = 0; i < page.orders.size(); ++i) {
    const wire::Order &o = page.orders[i];
    auto known = refs.stand(o.stand_id);
    if (!known) return known.error();
    if (!*known) {
      return inconsistent("orders[" + std::to_string(i) + "] (order " + std::to_string(o.id) +
                          ") names stand " + std::to_string(o.stand_id) +
                          ", which is neither in the page nor in the cache");
    }
    for (std::size_t j = 0; j < o.lines.size(); ++j) {
      auto product = refs.product(o.lines[j].product_id);
      if (!product) return product.error();
      if (!*product) {
        return inconsistent("orders[" + std::to_string(i) + "].lines[" + std::to_string(j) +
                            "] (order " + std::to_string(o.id) + ") names product " +
                            std::to_string(o.lines[j].product_id) +
                            ", which is neither in the page nor in the cache");
      }
    }
  }
  return {};
}

// A write refused by a constraint means the page contradicts the cache (an order number
// the portal gave to two orders, a short code repeated inside one order...): the portal's
// data, not our disk. Everything else (disk_full, database_error) passes through.
Error write_error(const Error &e, std::string_view what) {
  if (e.code == "constraint_unique" || e.code == "constraint") {
    return inconsistent(std::string(what) + ": " + e.detail);
  }
  return make_error(e.code, std::string(what) + ": " + e.detail);
}

}  // namespace

namespace {

// The writes of a page whose references were checked, inside the caller's transaction.
Result<ApplyReport> write_page(db::Connection &conn, const wire::ChangesPage &page,
                               std::int64_t now_ms) {
  db::SyncStore store(conn);
  db::OrderCache cache(conn);
  ApplyReport report;
  for (const wire::Stand &s : page.stands) {
    if (auto r = cache.put_stand(to_db(s)); !r) {
      return write_error(r.error(), "stand " + std::to_string(s.id));
    }
    ++report.stands;
  }
  for (const wire::Product &p : page.products) {
    if (auto r = cache.put_product(to_db(p)); !r) {
      return write_error(r.error(), "product " + std::to_string(p.id));
    }
    ++report.products;
  }
  for (const wire::Order &o : page.orders) {
    const std::string what = "order " + std::to_string(o.id) + " (" + o.number + ")";
    // A short code the portal re-issued: the order that held it gives it up first, or the
    // unique index would refuse the page.
    if (auto r = store.release_short_code(o.short_code, o.id); !r) {
      return write_error(r.error(), what);
    }
    if (auto r = cache.put_order(to_db(o)); !r) return write_error(r.error(), what);
    ++report.orders;
    if (o.status == wire::OrderStatus::cancelled) ++report.cancelled;
  }
  if (page.keys) {
    std::vector<db::StoredKey> keys;
    keys.reserve(page.keys->size());
    for (const codes::PortalKey &k : *page.keys) keys.push_back(to_db(k));
    if (auto r = store.replace_keys(keys); !r) return write_error(r.error(), "key ring");
    report.keys_replaced = true;
  }
  if (auto r = store.set_state(db::sync_key::kCursor, page.cursor); !r) {
    return write_error(r.error(), "cursor");
  }
  if (!page.more) {
    if (auto r = store.set_state(db::sync_key::kLastPullMs, std::to_string(now_ms)); !r) {
      return write_error(r.error(), "last_pull_ms");
    }
  }
  return report;
}

}  // namespace

Result<ApplyReport> apply_page(db::Connection &conn, const wire::ChangesPage &page,
                               std::int64_t now_ms) {
  db::SyncStore store(conn);
  // Read before the write lock: a page refused here costs the counter nothing.
  if (auto r = check_references(store, page); !r) return r.error();
  db::Transaction tx(conn);
  if (!tx.began()) return tx.begin_error();
  auto report = write_page(conn, page, now_ms);
  if (!report) return report.error();
  if (auto r = tx.commit(); !r) return r.error();
  return report;
}

Result<ApplyReport> apply_page_in_transaction(db::Connection &conn, const wire::ChangesPage &page,
                                              std::int64_t now_ms) {
  db::SyncStore store(conn);
  if (auto r = check_references(store, page); !r) return r.error();
  return write_page(conn, page, now_ms);
}

}  // namespace comptoir::sync
