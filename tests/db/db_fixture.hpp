// Hand-built cache contents for the db suites: stands, products, orders with lines and
// ledger events, written through the db/ API only.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "db/database.hpp"
#include "db/handover_ledger.hpp"
#include "db/order_cache.hpp"
#include "db/records.hpp"

namespace comptoir::test {

inline std::unique_ptr<db::Database> open_db(const std::string &path,
                                             db::OpenOptions options = {}) {
  auto r = db::Database::open(path, options);
  INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
  REQUIRE(r.ok());
  return std::move(r).value();
}

// Stands 1 and 2; products 10 (pièce), 11 (kg, variable weight), 12 (botte) of stand 1
// and 20 of stand 2.
inline void put_catalogue(db::OrderCache &cache) {
  REQUIRE(cache.put_stand({1, "La Ferme du Bois Joli", "Saint-Affrique"}).ok());
  REQUIRE(cache.put_stand({2, "Boulangerie Marchand", "Millau, 12 rue Droite"}).ok());
  REQUIRE(cache.put_product({10, 1, "Œufs fermiers", "pièce", false}).ok());
  REQUIRE(cache.put_product({11, 1, "Tomme de brebis", "kg", true}).ok());
  REQUIRE(cache.put_product({12, 1, "Botte de radis", "botte", false}).ok());
  REQUIRE(cache.put_product({20, 2, "Pain au levain", "pièce", false}).ok());
}

inline db::Order make_order(std::int64_t id, std::int64_t stand_id = 1,
                            db::OrderStatus status = db::OrderStatus::ready) {
  db::Order o;
  o.id = id;
  o.number = "C-" + std::to_string(id);
  o.stand_id = stand_id;
  o.customer = "Hélène R.";
  o.status = status;
  o.pickup_from = 1'760'000'000;
  o.pickup_until = 1'760'000'000 + 6 * 3600;
  o.paid_cents = 1234;
  o.short_code = id * 7919 + 13;  // distinct per order
  const std::int64_t product = stand_id == 1 ? 10 : 20;
  o.lines.push_back({1, product, 2000, 780, {}, {}, false});
  if (stand_id == 1) {
    o.lines.push_back({2, 11, 455, 1115, {}, {}, false});
    o.lines.push_back({3, 12, 1000, 180, {}, {}, false});
  }
  return o;
}

// `orders` orders of stand 1 (ids 1000...), in one transaction.
inline void fill_orders(db::Database &database, int orders) {
  db::OrderCache cache(database.connection());
  db::Transaction tx(database.connection());
  REQUIRE(tx.began());
  put_catalogue(cache);
  for (int i = 0; i < orders; ++i) REQUIRE(cache.put_order(make_order(1000 + i)).ok());
  REQUIRE(tx.commit().ok());
}

inline db::HandoverEvent make_event(std::string uuid, std::int64_t order_id,
                                    db::EventKind kind = db::EventKind::full,
                                    std::string device = "caisse-1", std::int64_t wall_ms = 1'000) {
  db::HandoverEvent e;
  e.uuid = std::move(uuid);
  e.order_id = order_id;
  e.kind = kind;
  e.lines_handed = {1, 2, 3};
  e.staff = "Élodie";
  e.device = std::move(device);
  e.wall_ms = wall_ms;
  e.mono_ns = wall_ms * 1'000'000;
  return e;
}

}  // namespace comptoir::test
