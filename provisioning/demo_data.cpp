// Writes the demo region into the cache: stands, products, the portal's key, every order
// and this appliance's stand, in one transaction, as a pull of the demo portal would.
#include "demo_data.hpp"

#include <string>

#include "db/key_store.hpp"
#include "db/order_cache.hpp"
#include "runtime/appliance.hpp"
#include "sync/convert.hpp"

namespace comptoir::provisioning {

Result<DemoRegion> create_demo(db::Database &database, const DemoOptions &options) {
  if (options.orders < 20) return make_error("usage", "a demo region needs at least 20 orders");
  db::OrderCache cache(database.connection());
  db::KeyStore keys(database.connection());
  db::Transaction tx(database.connection());
  if (!tx.began()) return tx.begin_error();

  // Orders are written as they are made: a million-order region is never held in memory.
  sync::DemoSink sink;
  sink.begin = [&](const DemoRegion &region) -> Result<void> {
    for (const wire::Stand &s : region.stands) {
      if (auto r = cache.put_stand(sync::to_db(s)); !r) return r;
    }
    for (const wire::Product &p : region.products) {
      if (auto r = cache.put_product(sync::to_db(p)); !r) return r;
    }
    return keys.put(sync::to_db(region.portal_public));
  };
  sink.order = [&](const wire::Order &order) { return cache.put_order(sync::to_db(order)); };
  auto region = sync::make_demo_region(options, sink);
  if (!region) return region.error();

  if (auto r = database.set_setting(kSettingStand, std::to_string(region->local_stand)); !r) {
    return r.error();
  }
  if (auto r = tx.commit(); !r) return r.error();
  return region;
}

}  // namespace comptoir::provisioning
