// Wire values to the cache's records and back (firmware-host only: the portal never sees
// db/). Pure.
#pragma once

#include "db/key_store.hpp"
#include "db/records.hpp"
#include "sync/wire.hpp"

namespace comptoir::sync {

db::Stand to_db(const wire::Stand &stand);
db::Product to_db(const wire::Product &product);
db::Order to_db(const wire::Order &order);  // lines without product names (filled on read)
db::StoredKey to_db(const codes::PortalKey &key);
db::EventKind to_db(wire::EventKind kind);

wire::Event to_wire(const db::HandoverEvent &event);  // the device field stays behind
wire::EventKind to_wire(db::EventKind kind);

}  // namespace comptoir::sync
