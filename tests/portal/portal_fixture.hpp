// A small real portal for the portal's tests: a fresh data directory, two stands with a
// few products each, a clock the test moves, and helpers to add orders, enrol devices and
// make handover events.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "portal/store.hpp"
#include "sync/wire.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {

struct PortalFixture {
  TempDir dir;
  std::int64_t now_ms = 1'780'000'000'000;  // 2026-05-28
  std::unique_ptr<portal::Store> store;

  explicit PortalFixture(std::int64_t start_ms = 1'780'000'000'000) : now_ms(start_ms) {
    auto created = portal::Store::create(dir.path().string(), "Portail de test", now_ms);
    REQUIRE_MESSAGE(created.ok(), created.error().detail);
    store = std::move(*created);
    must(store->add_stand({1, "La Ferme du Bois Joli", "Marché de Saint-Affrique"}));
    must(store->add_stand({2, "Les Ruchers du Causse", "Millau"}));
    must(store->add_product({1000, 1, "Œufs fermiers", "pièce", false}));
    must(store->add_product({1001, 1, "Fromage de brebis", "kg", true}));
    must(store->add_product({2000, 2, "Miel de lavande", "pot", false}));
  }

  static void must(const Result<void> &r) {
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().detail));
  }

  std::int64_t now_s() const { return now_ms / 1000; }

  // A ready order of `stand` for today and tomorrow, prepaid, two lines (one for stand 2).
  portal::NewOrder order(std::int64_t stand, std::string customer = "Marie D.") const {
    portal::NewOrder o;
    o.order.stand_id = stand;
    o.order.customer = std::move(customer);
    o.order.status = wire::OrderStatus::ready;
    o.order.pickup_from = now_s() - 3600;
    o.order.pickup_until = now_s() + 86400;
    o.order.paid_cents = 2150;
    if (stand == 1) {
      o.order.lines = {{1, 1000, 6000, 300}, {2, 1001, 1250, 1520}};
    } else {
      o.order.lines = {{1, 2000, 1000, 900}};
    }
    return o;
  }

  portal::OrderCode add(const portal::NewOrder &o) {
    auto code = store->add_order(o, now_ms);
    REQUIRE_MESSAGE(code.ok(), (code.ok() ? std::string() : code.error().detail));
    return *code;
  }

  // An enrolled device serving `stands`, its key pair in *key when given.
  portal::Device enrol(const std::vector<std::int64_t> &stands, const std::string &name = "caisse",
                       codes::KeyPair *key = nullptr) {
    const codes::KeyPair pair = codes::generate_key_pair();
    if (key != nullptr) *key = pair;
    auto code = store->make_enrolment_code(stands, now_ms);
    REQUIRE(code.ok());
    wire::EnrolRequest request{*code, pair.public_key, name};
    auto answer = store->enrol(request, now_ms);
    REQUIRE_MESSAGE(answer.ok(), (answer.ok() ? std::string() : answer.error().detail));
    auto device = store->find_device(answer->device_id);
    REQUIRE(device.ok());
    return *device;
  }
};

// A valid UUID v7 text numbered n (unique per n).
inline std::string uuid(std::uint64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "019a8f5e-0000-7000-8000-%012llx",
                static_cast<unsigned long long>(n));
  return buf;
}

inline wire::Event handover(std::uint64_t n, std::int64_t order_id, wire::EventKind kind,
                            std::int64_t wall_ms) {
  wire::Event e;
  e.uuid = uuid(n);
  e.order_id = order_id;
  e.kind = kind;
  e.wall_ms = wall_ms;
  e.staff = "Élodie";
  if (kind == wire::EventKind::partial) {
    e.lines_handed = {1};
    e.lines_missing = {2};
  } else if (kind == wire::EventKind::refused) {
    e.reason = "Client absent";
  }
  return e;
}

inline wire::Event undo_of(std::uint64_t n, const wire::Event &undone, std::int64_t wall_ms) {
  wire::Event e;
  e.uuid = uuid(n);
  e.order_id = undone.order_id;
  e.kind = wire::EventKind::undo;
  e.undoes = undone.uuid;
  e.wall_ms = wall_ms;
  return e;
}

}  // namespace comptoir::test
