// Wire values to the cache's records and back. The one place with judgement is to_wire():
// the portal refuses a push whose events break the wire's rules, and a refused batch would
// stay in the outbox forever, so what the counter recorded is made acceptable here.
#include "sync/convert.hpp"

namespace comptoir::sync {
namespace {

db::OrderStatus to_db(wire::OrderStatus status) {
  switch (status) {
    case wire::OrderStatus::pending:
      return db::OrderStatus::pending;
    case wire::OrderStatus::ready:
      return db::OrderStatus::ready;
    case wire::OrderStatus::collected:
      return db::OrderStatus::collected;
    case wire::OrderStatus::cancelled:
      return db::OrderStatus::cancelled;
  }
  return db::OrderStatus::pending;
}

}  // namespace

db::Stand to_db(const wire::Stand &stand) {
  return db::Stand{stand.id, stand.name, stand.place};
}

db::Product to_db(const wire::Product &product) {
  return db::Product{product.id, product.stand_id, product.name, product.unit,
                     product.variable_weight};
}

db::Order to_db(const wire::Order &order) {
  db::Order o;
  o.id = order.id;
  o.number = order.number;
  o.stand_id = order.stand_id;
  o.customer = order.customer;
  o.status = to_db(order.status);
  o.pickup_from = order.pickup_from;
  o.pickup_until = order.pickup_until;
  o.paid_cents = order.paid_cents;
  o.due_cents = order.due_cents;
  o.short_code = order.short_code;
  o.collected_at_ms = order.collected_at_ms;
  o.collected_device = order.collected_device;
  o.collected_staff = order.collected_staff;
  o.lines.reserve(order.lines.size());
  for (const wire::OrderLine &l : order.lines) {
    o.lines.push_back({l.line_no, l.product_id, l.quantity_milli, l.price_cents, {}, {}, false});
  }
  return o;
}

db::StoredKey to_db(const codes::PortalKey &key) {
  return db::StoredKey{key.key_id, key.public_key, key.valid_from_s, key.valid_until_s};
}

db::EventKind to_db(wire::EventKind kind) {
  switch (kind) {
    case wire::EventKind::full:
      return db::EventKind::full;
    case wire::EventKind::partial:
      return db::EventKind::partial;
    case wire::EventKind::refused:
      return db::EventKind::refused;
    case wire::EventKind::undo:
      return db::EventKind::undo;
  }
  return db::EventKind::full;
}

wire::EventKind to_wire(db::EventKind kind) {
  switch (kind) {
    case db::EventKind::full:
      return wire::EventKind::full;
    case db::EventKind::partial:
      return wire::EventKind::partial;
    case db::EventKind::refused:
      return wire::EventKind::refused;
    case db::EventKind::undo:
      return wire::EventKind::undo;
  }
  return wire::EventKind::full;
}

wire::Event to_wire(const db::HandoverEvent &event) {
  wire::Event e;
  e.uuid = event.uuid;
  e.order_id = event.order_id;
  e.kind = to_wire(event.kind);
  // The ledger's undo repeats the lines of the handover it undoes (for the screens); on the
  // wire an undo names only the event it undoes.
  if (e.kind != wire::EventKind::undo) {
    e.lines_handed = event.lines_handed;
    e.lines_missing = event.lines_missing;
  }
  if (e.kind == wire::EventKind::refused) {
    e.reason = wire::clean_text(event.reason);
    // PickupService never records a refusal without a reason; an old ledger row might.
    if (e.reason.empty()) e.reason.assign(1, '?');  // not = "?": GCC 12 -O3 -Wrestrict
  }
  if (e.kind == wire::EventKind::undo) e.undoes = event.undoes;
  e.staff = wire::clean_text(event.staff);
  e.wall_ms = event.wall_ms;
  return e;
}

}  // namespace comptoir::sync
