// The appliance's offline demo: the demo region (firmware-host/sync/demo_region.hpp: three
// stands, one served by this appliance, their products, orders in every state so every
// verdict can be tried) written into the cache as a complete pull would leave it.
// Deterministic for a seed.
#pragma once

#include <cstdint>

#include "db/database.hpp"
#include "db/result.hpp"
#include "sync/demo_region.hpp"

namespace comptoir::provisioning {

using DemoCode = sync::DemoCode;
using DemoOptions = sync::DemoOptions;
// create_demo's region keeps no orders (they are in the cache); its codes are the ones to
// try, each with the verdict this appliance gives it.
using DemoRegion = sync::DemoRegion;

// The demo portal's signing key for a seed (what create_demo trusts as key id 1).
using sync::demo_portal_key;

// Fills an empty cache in one transaction, sets this appliance's stand and trusts the
// demo portal's key.
Result<DemoRegion> create_demo(db::Database &db, const DemoOptions &options);

}  // namespace comptoir::provisioning
