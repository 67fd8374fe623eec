// The portal's store over real SQLite files: pulls in pages with changes between them end
// with exactly what the portal holds; cursors resume; other stands' orders are stubs; the
// key ring comes with every page that starts before its latest change; enrolment codes work
// once and expire; an admin's write lock does not stall last-seen writes or unknown codes;
// pushes are idempotent and flag every conflict; an undo of the collecting event reopens
// the order.
#include "portal/store.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codes/pickup_token.hpp"
#include "codes/short_code.hpp"
#include "db/sqlite.hpp"
#include "sync/wire.hpp"
#include "tests/portal/portal_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

using wire::Conflict;
using wire::EventKind;
using wire::OrderStatus;

// Applies pages as an appliance would, checking on the way that every page is valid on the
// wire and complete on its own (each order's stand and products known by then).
struct Replica {
  std::set<std::int64_t> stands, products;
  std::map<std::int64_t, wire::Order> orders;
  std::optional<std::vector<codes::PortalKey>> keys;
  std::string cursor;
  int pages = 0;

  void apply(const wire::ChangesPage &page) {
    const auto reparsed = wire::parse_changes_page(wire::to_json(page));
    REQUIRE_MESSAGE(reparsed.ok(), (reparsed.ok() ? std::string() : reparsed.error().detail));
    for (const auto &s : page.stands) stands.insert(s.id);
    for (const auto &p : page.products) products.insert(p.id);
    for (const auto &o : page.orders) {
      CHECK(stands.count(o.stand_id) == 1);
      for (const auto &l : o.lines) CHECK(products.count(l.product_id) == 1);
      orders[o.id] = o;
    }
    if (page.keys) keys = page.keys;
    cursor = page.cursor;
    ++pages;
  }
};

std::map<std::int64_t, wire::Order> everything(portal::Store &store, const portal::Device &device,
                                               std::int64_t now_ms) {
  auto page = store.changes(device, "", wire::kMaxPageOrders, now_ms);
  REQUIRE(page.ok());
  REQUIRE_FALSE(page->more);
  std::map<std::int64_t, wire::Order> out;
  for (const auto &o : page->orders) out[o.id] = o;
  return out;
}

TEST_CASE("a new portal's database is mode 0600 and only a portal's directory opens") {
  PortalFixture f;
  struct stat st {};
  REQUIRE(::stat(f.dir.file("portal.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(f.store->portal_name().value() == "Portail de test");

  auto again = portal::Store::create(f.dir.path().string(), "Autre", f.now_ms);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "portal_exists");

  TempDir empty;
  auto none = portal::Store::open(empty.path().string());
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == "not_a_portal");
  auto missing = portal::Store::open(empty.file("nowhere"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "not_a_portal");

  write_file(empty.file("portal.db"), "not a database at all, just text");
  auto garbage = portal::Store::open(empty.path().string());
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().code == "not_a_portal");

  auto reopened = portal::Store::open(f.dir.path().string());
  REQUIRE(reopened.ok());
  CHECK((*reopened)->current_seq().value() == f.store->current_seq().value());
}

TEST_CASE("a pull in small pages, with changes between them, ends with what the portal holds") {
  PortalFixture f;
  std::vector<portal::NewOrder> batch;
  for (int i = 0; i < 230; ++i) {
    batch.push_back(f.order(i % 3 == 0 ? 2 : 1, "Client " + std::to_string(i)));
  }
  auto codes = f.store->import_orders(batch, f.now_ms);
  REQUIRE(codes.ok());
  REQUIRE(codes->size() == 230);
  const portal::Device device = f.enrol({1});
  const portal::Device other = f.enrol({1}, "caisse-2");

  Replica replica;
  bool more = true;
  std::int64_t added_late = 0, collected = 0;
  while (more) {
    auto page = f.store->changes(device, replica.cursor, 40, f.now_ms);
    REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().detail));
    CHECK(page->orders.size() <= 40);
    replica.apply(*page);
    more = page->more;
    REQUIRE(replica.pages < 100);
    f.now_ms += 1000;
    if (replica.pages == 2) {
      // An order already sent is cancelled; a new one comes in.
      REQUIRE(f.store->cancel_order((*codes)[0].number, false, f.now_ms).ok());
      added_late = f.add(f.order(1, "Arrivée tardive")).order_id;
    } else if (replica.pages == 3) {
      REQUIRE(f.store->rotate_keys(f.now_ms).ok());
      PortalFixture::must(f.store->add_stand({3, "Le Fournil", "Roquefort"}));
      PortalFixture::must(f.store->add_product({3000, 3, "Pain de campagne", "pièce", false}));
      f.add(f.order(1, "Après la rotation"));
      auto o = f.order(1);
      o.order.stand_id = 3;
      o.order.lines = {{1, 3000, 1000, 450}};
      f.add(o);
    } else if (replica.pages == 4) {
      // Another appliance hands over an order this one has already pulled.
      collected = (*codes)[1].order_id;
      wire::PushRequest push{{handover(1, collected, EventKind::full, f.now_ms)}};
      REQUIRE(f.store->push(other, push, f.now_ms).ok());
    }
  }
  CHECK(replica.pages >= 6);
  const auto expected = everything(*f.store, device, f.now_ms);
  CHECK(expected.size() == 233);
  CHECK(replica.orders == expected);
  CHECK(replica.orders.at((*codes)[0].order_id).status == OrderStatus::cancelled);
  CHECK(replica.orders.count(added_late) == 1);
  CHECK(replica.orders.at(collected).status == OrderStatus::collected);
  CHECK(replica.orders.at(collected).collected_device == other.id);
  REQUIRE(replica.keys.has_value());
  CHECK(replica.keys->size() == 2);
  CHECK(replica.stands == std::set<std::int64_t>{1, 2, 3});
  // Only the products of the stand this device serves.
  CHECK(replica.products == std::set<std::int64_t>{1000, 1001});

  // Up to date: the same cursor again, nothing in it.
  auto last = f.store->changes(device, replica.cursor, 40, f.now_ms);
  REQUIRE(last.ok());
  CHECK(last->orders.empty());
  CHECK_FALSE(last->more);
  CHECK(last->cursor == replica.cursor);
  CHECK_FALSE(last->keys.has_value());
  CHECK(last->stands.empty());
}

TEST_CASE("a cursor resumes where it was, and one the portal never gave is cursor_expired") {
  PortalFixture f;
  std::vector<portal::NewOrder> batch(120, f.order(1));
  REQUIRE(f.store->import_orders(batch, f.now_ms).ok());
  const portal::Device device = f.enrol({1});

  auto first = f.store->changes(device, "", 50, f.now_ms);
  REQUIRE(first.ok());
  CHECK(first->more);
  CHECK(first->orders.size() == 50);
  auto second = f.store->changes(device, first->cursor, 50, f.now_ms);
  auto second_again = f.store->changes(device, first->cursor, 50, f.now_ms);
  REQUIRE(second.ok());
  REQUIRE(second_again.ok());
  CHECK(*second == *second_again);
  CHECK(second->orders.front().id == first->orders.back().id + 1);
  // A pull cut after the first page starts again from its cursor: nothing lost, nothing twice.
  std::set<std::int64_t> ids;
  for (const auto &o : first->orders) ids.insert(o.id);
  std::string cursor = first->cursor;
  bool more = true;
  while (more) {
    auto page = f.store->changes(device, cursor, 50, f.now_ms);
    REQUIRE(page.ok());
    for (const auto &o : page->orders) CHECK(ids.insert(o.id).second);
    cursor = page->cursor;
    more = page->more;
  }
  CHECK(ids.size() == 120);

  const std::int64_t current = f.store->current_seq().value();
  for (const std::string &bad :
       {"s" + std::to_string(current + 1), std::string("x12"), std::string("s-1"),
        std::string("s01"), std::string("s"), std::string("12"), std::string("s1 ")}) {
    CAPTURE(bad);
    auto page = f.store->changes(device, bad, 50, f.now_ms);
    REQUIRE_FALSE(page.ok());
    CHECK(page.error().code == "cursor_expired");
  }
  CHECK(f.store->changes(device, portal::make_cursor(current), 50, f.now_ms).ok());
  CHECK(portal::parse_cursor("s0").value() == 0);
}

TEST_CASE("orders of stands the device does not serve come as stubs, its own ones whole") {
  PortalFixture f;
  const auto mine = f.add(f.order(1, "Marie D."));
  const auto theirs = f.add(f.order(2, "Paul R."));
  const portal::Device device = f.enrol({1});
  const auto seen = everything(*f.store, device, f.now_ms);
  const wire::Order &full = seen.at(mine.order_id);
  CHECK(full.customer == "Marie D.");
  CHECK(full.lines.size() == 2);
  CHECK(full.paid_cents == 2150);
  const wire::Order &stub = seen.at(theirs.order_id);
  CHECK(stub.customer.empty());
  CHECK(stub.lines.empty());
  CHECK(stub.paid_cents == 0);
  CHECK(stub.due_cents == 0);
  CHECK(stub.stand_id == 2);
  CHECK(stub.number == theirs.number);
  // The code stays: a customer at the wrong stand is told where to go.
  CHECK(codes::format_short_code(static_cast<std::uint64_t>(stub.short_code)) == theirs.short_code);

  const portal::Device both = f.enrol({1, 2});
  const auto all = everything(*f.store, both, f.now_ms);
  CHECK(all.at(theirs.order_id).customer == "Paul R.");
  CHECK(all.at(theirs.order_id).lines.size() == 1);
}

TEST_CASE("remaining counts the orders still to come, other stands' stubs among them") {
  PortalFixture f;
  for (int i = 0; i < 3; ++i) {
    f.add(f.order(1, "Marie D."));
    f.add(f.order(2, "Paul R."));
  }
  const portal::Device device = f.enrol({1});
  // Pages of two: each page's remaining is what the later pages hold, stubs included
  // (the device gets them too: the progress bar must not reach its end early).
  std::vector<std::int64_t> remaining;
  std::vector<std::size_t> sizes;
  std::string cursor;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = f.store->changes(device, cursor, 2, f.now_ms);
    REQUIRE(page.ok());
    REQUIRE(page->remaining.has_value());
    remaining.push_back(*page->remaining);
    sizes.push_back(page->orders.size());
    cursor = page->cursor;
    if (!page->more) break;
  }
  REQUIRE(sizes.size() == remaining.size());
  std::size_t total = 0;
  for (auto n : sizes) total += n;
  CHECK(total == 6);
  std::size_t seen = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    seen += sizes[i];
    CHECK(static_cast<std::size_t>(remaining[i]) == total - seen);
  }
  CHECK(remaining.back() == 0);
}

TEST_CASE("a key rotation comes with the page that holds it, old tokens stay valid") {
  PortalFixture f;
  auto long_order = f.order(1, "Longue attente");
  long_order.order.pickup_until = f.now_s() + 10 * 86400;
  const auto before = f.add(long_order);
  CHECK(before.key_id == 1);
  const portal::Device device = f.enrol({1});

  auto first = f.store->changes(device, "", 500, f.now_ms);
  REQUIRE(first.ok());
  REQUIRE(first->keys.has_value());
  CHECK(first->keys->size() == 1);

  f.now_ms += 60'000;
  auto rotated = f.store->rotate_keys(f.now_ms);
  REQUIRE(rotated.ok());
  CHECK(rotated->key_id == 2);
  CHECK(rotated->valid_from_s <= f.now_s());
  const auto after_order = f.order(1, "Après");
  const auto after = f.add(after_order);
  CHECK(after.key_id == 2);

  auto second = f.store->changes(device, first->cursor, 500, f.now_ms);
  REQUIRE(second.ok());
  REQUIRE(second->keys.has_value());
  REQUIRE(second->keys->size() == 2);
  const codes::KeyRing ring{*second->keys};
  // Key 1 stays valid through the last pickup day of what it signed, plus a day.
  CHECK(ring.find(1)->valid_until_s == long_order.order.pickup_until + 86400);
  CHECK(codes::read_token(before.token, ring, f.now_s()).status == codes::TokenStatus::ok);
  const auto read_after = codes::read_token(after.token, ring, f.now_s());
  CHECK(read_after.status == codes::TokenStatus::ok);
  CHECK(read_after.fields.key_id == 2);
  CHECK(read_after.fields.order_id == static_cast<std::uint64_t>(after.order_id));
  CHECK(read_after.fields.prepaid());

  // The old order's code is the same token again (its key is still valid).
  auto code = f.store->order_code(before.number, f.now_ms);
  REQUIRE(code.ok());
  CHECK(code->token == before.token);

  // Nothing changed since: no ring in the next page.
  auto third = f.store->changes(device, second->cursor, 500, f.now_ms);
  REQUIRE(third.ok());
  CHECK_FALSE(third->keys.has_value());

  // A key that signed nothing lasting stays valid at least one more day.
  f.now_ms += 1000;
  REQUIRE(f.store->rotate_keys(f.now_ms).ok());
  auto keys = f.store->keys(f.now_ms);
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 3);
  CHECK((*keys)[1].key.valid_until_s ==
        std::max(after_order.order.pickup_until + 86400, f.now_s() + 86400));
  CHECK((*keys)[2].signing);
  CHECK_FALSE((*keys)[1].signing);
}

TEST_CASE("with two rotations pages apart, every page's orders check with the keys held") {
  PortalFixture f;
  const portal::Device device = f.enrol({1, 2});
  // What the appliance holds after enrolment: the ring of that moment.
  std::vector<codes::PortalKey> held;
  const auto at_enrolment = f.store->keys(f.now_ms);
  REQUIRE(at_enrolment.ok());
  for (const auto &k : *at_enrolment) held.push_back(k.key);
  REQUIRE(held.size() == 1);
  std::map<std::int64_t, std::string> tokens;
  const auto pull = [&](std::string cursor, std::size_t limit, int *pages_with_keys) {
    int pages = 0;
    bool more = true;
    while (more) {
      auto page = f.store->changes(device, cursor, limit, f.now_ms);
      REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().detail));
      if (page->keys) {
        held = *page->keys;
        if (pages_with_keys != nullptr) ++*pages_with_keys;
      }
      const codes::KeyRing ring{held};
      for (const auto &o : page->orders) {
        REQUIRE(tokens.count(o.id) == 1);
        const auto read = codes::read_token(tokens.at(o.id), ring, f.now_s());
        CHECK_MESSAGE(read.status == codes::TokenStatus::ok,
                      "page " << pages << ": order " << o.id << " is signed with a key not sent");
      }
      cursor = page->cursor;
      more = page->more;
      REQUIRE(++pages < 100);
    }
    return cursor;
  };
  const auto add_many = [&](int n) {
    std::vector<portal::NewOrder> batch;
    for (int i = 0; i < n; ++i) batch.push_back(f.order(i % 2 == 0 ? 1 : 2));
    auto added = f.store->import_orders(batch, f.now_ms);
    REQUIRE(added.ok());
    for (const auto &c : *added) tokens[c.order_id] = c.token;
  };

  add_many(5);
  std::string cursor = pull("", 500, nullptr);
  f.now_ms += 60'000;
  REQUIRE(f.store->rotate_keys(f.now_ms).ok());
  add_many(120);
  f.now_ms += 60'000;
  REQUIRE(f.store->rotate_keys(f.now_ms).ok());
  add_many(7);

  // The first rotation lies in the first page, the second some pages later: orders signed
  // with key 2 come before the page that holds the latest ring change.
  int pages_with_keys = 0;
  cursor = pull(cursor, 20, &pages_with_keys);
  CHECK(pages_with_keys >= 6);
  CHECK(held.size() == 3);
  // Past the latest change, no ring any more.
  auto last = f.store->changes(device, cursor, 20, f.now_ms);
  REQUIRE(last.ok());
  CHECK_FALSE(last->keys.has_value());
  CHECK(last->orders.empty());
}

TEST_CASE("an enrolment code works once, for 24 hours, however it is typed") {
  PortalFixture f;
  auto code = f.store->make_enrolment_code({1, 2}, f.now_ms);
  REQUIRE(code.ok());
  CHECK(code->size() == 12);
  const codes::KeyPair key = codes::generate_key_pair();

  // Lower case, dashes, spaces: the same code.
  std::string typed = portal::format_enrolment_code(*code);
  for (auto &ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  typed.insert(4, " ");
  auto answer = f.store->enrol({typed, key.public_key, "caisse-1"}, f.now_ms + 1000);
  REQUIRE_MESSAGE(answer.ok(), (answer.ok() ? std::string() : answer.error().detail));
  CHECK(answer->device_id == "dev-1");
  CHECK(answer->portal_name == "Portail de test");
  REQUIRE(answer->stands.size() == 2);
  CHECK(answer->stands[0].name == "La Ferme du Bois Joli");
  CHECK(answer->keys.size() == 1);
  CHECK(answer->portal_time_ms == f.now_ms + 1000);
  CHECK(wire::parse_enrol_response(wire::to_json(*answer)).ok());
  auto device = f.store->find_device("dev-1");
  REQUIRE(device.ok());
  CHECK(device->stands == std::vector<std::int64_t>{1, 2});
  CHECK(device->public_key == key.public_key);

  // Another device with the same code: used.
  const codes::KeyPair other_key = codes::generate_key_pair();
  auto twice = f.store->enrol({*code, other_key.public_key, "caisse-2"}, f.now_ms + 2000);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == "code_used");

  auto late_code = f.store->make_enrolment_code({1}, f.now_ms);
  REQUIRE(late_code.ok());
  auto late = f.store->enrol({*late_code, key.public_key, "x"},
                             f.now_ms + portal::kEnrolmentCodeLifetimeMs);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == "code_expired");
  auto just_in_time = f.store->enrol({*late_code, key.public_key, "x"},
                                     f.now_ms + portal::kEnrolmentCodeLifetimeMs - 1);
  CHECK(just_in_time.ok());

  for (const std::string &unknown : {std::string("ZZZZ-ZZZZ-ZZZZ"), std::string("short"),
                                     std::string("K7QM-9X2D-F3A4-EXTRA"), std::string("U*U*")}) {
    auto r = f.store->enrol({unknown, key.public_key, "x"}, f.now_ms);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "not_found");
  }
  // A stand that does not exist cannot be given.
  CHECK(f.store->make_enrolment_code({9}, f.now_ms).error().code == "unknown_stand");
}

TEST_CASE("while an admin holds the write lock, last-seen and unknown codes do not wait") {
  PortalFixture f;
  const portal::Device device = f.enrol({1});
  auto code = f.store->make_enrolment_code({1}, f.now_ms);
  REQUIRE(code.ok());
  const codes::KeyPair key = codes::generate_key_pair();

  // Another process (an import) in the middle of a write transaction.
  auto admin = db::Connection::open(f.dir.file("portal.db"), SQLITE_OPEN_READWRITE);
  REQUIRE(admin.ok());
  REQUIRE(admin->exec("BEGIN IMMEDIATE").ok());
  using Clock = std::chrono::steady_clock;
  const auto ms_since = [](Clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  };

  // The full busy timeout is 10 s; these give up (or never ask) long before. 3 s leaves
  // room for a loaded machine under sanitizers.
  auto t0 = Clock::now();
  CHECK(f.store->touch_device(device.id, f.now_ms + 120'000).ok());
  CHECK(ms_since(t0) < 3000);
  CHECK(f.store->find_device(device.id).value().last_seen_ms == 0);  // skipped, not failed

  t0 = Clock::now();
  auto unknown = f.store->enrol({"ZZZZ-ZZZZ-ZZZZ", key.public_key, "x"}, f.now_ms);
  CHECK(ms_since(t0) < 3000);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "not_found");

  REQUIRE(admin->exec("ROLLBACK").ok());
  REQUIRE(f.store->touch_device(device.id, f.now_ms + 120'000).ok());
  CHECK(f.store->find_device(device.id).value().last_seen_ms == f.now_ms + 120'000);
  // A real code still enrols once the lock is free, and only once.
  CHECK(f.store->enrol({*code, key.public_key, "caisse-2"}, f.now_ms).ok());
  const codes::KeyPair other = codes::generate_key_pair();
  CHECK(f.store->enrol({*code, other.public_key, "caisse-3"}, f.now_ms).error().code ==
        "code_used");
}

TEST_CASE("the same code and device key again get the same grant, within the code's life") {
  PortalFixture f;
  auto code = f.store->make_enrolment_code({1, 2}, f.now_ms);
  REQUIRE(code.ok());
  const codes::KeyPair key = codes::generate_key_pair();
  auto first = f.store->enrol({*code, key.public_key, "caisse-1"}, f.now_ms + 1000);
  REQUIRE_MESSAGE(first.ok(), (first.ok() ? std::string() : first.error().detail));
  const auto devices_before = f.store->devices();
  REQUIRE(devices_before.ok());

  // The answer was lost: the device asks again with the same key, the code typed otherwise.
  auto again = f.store->enrol({portal::format_enrolment_code(*code), key.public_key, "renamed"},
                              f.now_ms + 60'000);
  REQUIRE_MESSAGE(again.ok(), (again.ok() ? std::string() : again.error().detail));
  CHECK(again->device_id == first->device_id);
  CHECK(again->portal_name == first->portal_name);
  CHECK(again->stands == first->stands);
  CHECK(again->keys == first->keys);
  CHECK(again->portal_key == first->portal_key);
  CHECK(again->portal_time_ms == f.now_ms + 60'000);
  // No second device, the first one unchanged.
  const auto devices_after = f.store->devices();
  REQUIRE(devices_after.ok());
  REQUIRE(devices_after->size() == devices_before->size());
  auto device = f.store->find_device(first->device_id);
  REQUIRE(device.ok());
  CHECK(device->name == "caisse-1");
  CHECK(device->public_key == key.public_key);
  CHECK(device->stands == std::vector<std::int64_t>{1, 2});

  // Another key: used. The same key once the code has expired: used too.
  const codes::KeyPair other = codes::generate_key_pair();
  auto stranger = f.store->enrol({*code, other.public_key, "x"}, f.now_ms + 2000);
  REQUIRE_FALSE(stranger.ok());
  CHECK(stranger.error().code == "code_used");
  auto late =
      f.store->enrol({*code, key.public_key, "x"}, f.now_ms + portal::kEnrolmentCodeLifetimeMs);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == "code_used");
  auto just_in_time =
      f.store->enrol({*code, key.public_key, "x"}, f.now_ms + portal::kEnrolmentCodeLifetimeMs - 1);
  CHECK(just_in_time.ok());

  // A revoked device does not come back by its code.
  REQUIRE(f.store->revoke_device(first->device_id, f.now_ms + 3000).ok());
  auto revoked = f.store->enrol({*code, key.public_key, "x"}, f.now_ms + 4000);
  REQUIRE_FALSE(revoked.ok());
  CHECK(revoked.error().code == "code_used");
}

TEST_CASE("a push is idempotent, a handover marks the order collected and shows in the pull") {
  PortalFixture f;
  const auto order = f.add(f.order(1));
  const portal::Device device = f.enrol({1});
  auto before = f.store->changes(device, "", 500, f.now_ms);
  REQUIRE(before.ok());

  const wire::Event full = handover(1, order.order_id, EventKind::full, f.now_ms - 5000);
  auto acks = f.store->push(device, {{full}}, f.now_ms);
  REQUIRE(acks.ok());
  REQUIRE(acks->acks.size() == 1);
  CHECK(acks->acks[0].uuid == full.uuid);
  CHECK_FALSE(acks->acks[0].duplicate);
  CHECK(acks->acks[0].conflicts.empty());
  CHECK(wire::parse_push_response(wire::to_json(*acks)).ok());

  auto stored = f.store->find_order(order.number);
  REQUIRE(stored.ok());
  CHECK(stored->status == OrderStatus::collected);
  CHECK(stored->collected_at_ms == full.wall_ms);
  CHECK(stored->collected_device == device.id);
  CHECK(stored->collected_staff == "Élodie");

  const std::int64_t seq = f.store->current_seq().value();
  auto again = f.store->push(device, {{full}}, f.now_ms + 1000);
  REQUIRE(again.ok());
  CHECK(again->acks[0].duplicate);
  CHECK(again->acks[0].conflicts.empty());
  CHECK(f.store->current_seq().value() == seq);
  auto log = f.store->events(std::nullopt, false, 100);
  REQUIRE(log.ok());
  REQUIRE(log->size() == 1);
  CHECK(log->front().event == full);
  CHECK(log->front().device_id == device.id);
  CHECK(log->front().order_number == order.number);

  auto after = f.store->changes(device, before->cursor, 500, f.now_ms);
  REQUIRE(after.ok());
  REQUIRE(after->orders.size() == 1);
  CHECK(after->orders[0].status == OrderStatus::collected);
  CHECK(after->orders[0].collected_at_ms == full.wall_ms);
}

TEST_CASE("the portal flags every conflict and never refuses an event") {
  PortalFixture f;
  const auto cancelled = f.add(f.order(1));
  const auto refunded = f.add(f.order(1));
  const auto twice = f.add(f.order(1));
  const auto elsewhere = f.add(f.order(2));
  REQUIRE(f.store->cancel_order(cancelled.number, false, f.now_ms).ok());
  REQUIRE(f.store->cancel_order(refunded.number, true, f.now_ms).ok());
  const portal::Device a = f.enrol({1}, "caisse-a");
  const portal::Device b = f.enrol({1}, "caisse-b");

  std::vector<wire::Event> events = {
      handover(1, cancelled.order_id, EventKind::full, f.now_ms),
      handover(2, refunded.order_id, EventKind::partial, f.now_ms),
      handover(3, twice.order_id, EventKind::full, f.now_ms),
      handover(4, 999'999, EventKind::full, f.now_ms),
      handover(5, elsewhere.order_id, EventKind::full, f.now_ms),
      handover(6, cancelled.order_id, EventKind::refused, f.now_ms),
  };
  auto acks = f.store->push(a, {events}, f.now_ms);
  REQUIRE(acks.ok());
  REQUIRE(acks->acks.size() == 6);
  using V = std::vector<Conflict>;
  CHECK(acks->acks[0].conflicts == V{Conflict::cancelled});
  CHECK(acks->acks[1].conflicts == V{Conflict::cancelled, Conflict::refunded});
  CHECK(acks->acks[2].conflicts.empty());
  CHECK(acks->acks[3].conflicts == V{Conflict::unknown_order});
  CHECK(acks->acks[4].conflicts == V{Conflict::other_stand});
  // A refusal of a cancelled order is what should happen: nothing to review.
  CHECK(acks->acks[5].conflicts.empty());

  // Flagged handovers change nothing.
  CHECK(f.store->find_order(cancelled.number)->status == OrderStatus::cancelled);
  CHECK(f.store->find_order(elsewhere.number)->status == OrderStatus::ready);

  // Another appliance hands over the same order: stored, flagged, the first one stands.
  const wire::Event late = handover(7, twice.order_id, EventKind::full, f.now_ms + 1000);
  auto from_b = f.store->push(b, {{late}}, f.now_ms + 1000);
  REQUIRE(from_b.ok());
  CHECK(from_b->acks[0].conflicts == V{Conflict::collected_elsewhere});
  CHECK(f.store->find_order(twice.number)->collected_device == a.id);
  // Its retry is acknowledged with the same flags.
  auto retry = f.store->push(b, {{late}}, f.now_ms + 2000);
  REQUIRE(retry.ok());
  CHECK(retry->acks[0].duplicate);
  CHECK(retry->acks[0].conflicts == V{Conflict::collected_elsewhere});

  auto all = f.store->events(std::nullopt, false, 100);
  REQUIRE(all.ok());
  CHECK(all->size() == 7);
  auto flagged = f.store->events(std::nullopt, true, 100);
  REQUIRE(flagged.ok());
  REQUIRE(flagged->size() == 5);
  // Newest first.
  CHECK(flagged->front().event.uuid == late.uuid);
  CHECK(flagged->front().device_id == b.id);
  auto unknown = f.store->events(999'999, false, 100);
  REQUIRE(unknown.ok());
  REQUIRE(unknown->size() == 1);
  CHECK(unknown->front().order_number.empty());
}

TEST_CASE("an undo of the collecting handover makes the order ready again, others change nothing") {
  PortalFixture f;
  const auto order = f.add(f.order(1));
  const portal::Device a = f.enrol({1}, "caisse-a");
  const portal::Device b = f.enrol({1}, "caisse-b");
  const wire::Event full = handover(1, order.order_id, EventKind::full, f.now_ms);
  REQUIRE(f.store->push(a, {{full}}, f.now_ms).ok());
  const wire::Event other = handover(2, order.order_id, EventKind::full, f.now_ms);
  REQUIRE(f.store->push(b, {{other}}, f.now_ms).ok());
  auto cursor = f.store->changes(a, "", 500, f.now_ms)->cursor;

  // Undoing the flagged handover of b: the order stays a's.
  REQUIRE(f.store->push(b, {{undo_of(3, other, f.now_ms + 10)}}, f.now_ms).ok());
  CHECK(f.store->find_order(order.number)->status == OrderStatus::collected);
  CHECK(f.store->changes(a, cursor, 500, f.now_ms)->orders.empty());

  auto undone = f.store->push(a, {{undo_of(4, full, f.now_ms + 20)}}, f.now_ms);
  REQUIRE(undone.ok());
  CHECK(undone->acks[0].conflicts.empty());
  const auto reopened = f.store->find_order(order.number);
  CHECK(reopened->status == OrderStatus::ready);
  CHECK_FALSE(reopened->collected_at_ms.has_value());
  CHECK(reopened->collected_device.empty());
  auto page = f.store->changes(a, cursor, 500, f.now_ms);
  REQUIRE(page.ok());
  REQUIRE(page->orders.size() == 1);
  CHECK(page->orders[0].status == OrderStatus::ready);

  // A handover and its undo in one batch: ready at the end, both stored.
  const auto second = f.add(f.order(1));
  const wire::Event quick = handover(5, second.order_id, EventKind::partial, f.now_ms);
  auto batch = f.store->push(a, {{quick, undo_of(6, quick, f.now_ms + 5)}}, f.now_ms);
  REQUIRE(batch.ok());
  CHECK(batch->acks.size() == 2);
  CHECK(f.store->find_order(second.number)->status == OrderStatus::ready);
}

TEST_CASE("orders are checked whole and added all or none") {
  PortalFixture f;
  auto good = f.order(1);
  auto unknown_product = f.order(1);
  unknown_product.order.lines[1].product_id = 4242;
  auto wrong_stand_product = f.order(1);
  wrong_stand_product.order.lines = {{1, 2000, 1000, 100}};
  auto no_stand = f.order(7);
  no_stand.order.lines = {{1, 1000, 1000, 100}};
  auto bad_quantity = f.order(1);
  bad_quantity.order.lines[0].quantity_milli = 0;
  auto collected = f.order(1);
  collected.order.status = OrderStatus::collected;

  struct Case {
    portal::NewOrder order;
    std::string code, mentions;
  };
  for (const Case &c :
       {Case{unknown_product, "unknown_product", "row 3: lines[1]: product 4242"},
        Case{wrong_stand_product, "unknown_product", "sold by stand 2"},
        Case{no_stand, "unknown_stand", "stand 7 does not exist"},
        Case{bad_quantity, "invalid", "row 3"}, Case{collected, "invalid", "pending or ready"}}) {
    CAPTURE(c.mentions);
    const std::int64_t seq = f.store->current_seq().value();
    auto r = f.store->import_orders({good, good, c.order}, f.now_ms, {"row 1", "row 2", "row 3"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(r.error().detail.find(c.mentions) != std::string::npos);
    CHECK(f.store->current_seq().value() == seq);
    CHECK(f.store->find_order("C-100001").error().code == "unknown_order");
  }

  auto numbered = f.order(1);
  numbered.order.id = 500;
  numbered.order.number = "W-1";
  numbered.short_code = 12345;
  const auto first = f.add(numbered);
  CHECK(first.order_id == 500);
  CHECK(first.short_code == codes::format_short_code(12345));
  auto same_id = f.order(1);
  same_id.order.id = 500;
  CHECK(f.store->add_order(same_id, f.now_ms).error().code == "order_exists");
  auto same_number = f.order(1);
  same_number.order.number = "W-1";
  CHECK(f.store->add_order(same_number, f.now_ms).error().code == "order_exists");
  auto same_code = f.order(1);
  same_code.short_code = 12345;
  CHECK(f.store->add_order(same_code, f.now_ms).error().code == "order_exists");

  // Free ids follow the highest; codes differ.
  const auto next = f.add(f.order(1));
  CHECK(next.order_id == 501);
  CHECK(next.number == "C-501");
  CHECK(next.short_code != first.short_code);
  const auto token = codes::read_token(
      next.token, codes::KeyRing{{f.store->keys(f.now_ms).value()[0].key}}, f.now_s());
  CHECK(token.status == codes::TokenStatus::ok);
  CHECK(token.fields.stand_id == 1);
  CHECK(token.fields.valid_until_day == f.order(1).order.pickup_until / 86400);
}

TEST_CASE("cancelling: a collected order cannot be, a cancelled one can still be refunded") {
  PortalFixture f;
  const auto order = f.add(f.order(1));
  const auto collected = f.add(f.order(1));
  const portal::Device device = f.enrol({1});
  REQUIRE(
      f.store
          ->push(device, {{handover(1, collected.order_id, EventKind::full, f.now_ms)}}, f.now_ms)
          .ok());
  CHECK(f.store->cancel_order(collected.number, false, f.now_ms).error().code == "order_collected");
  REQUIRE(f.store->cancel_order(order.number, false, f.now_ms).ok());
  CHECK(f.store->cancel_order(order.number, false, f.now_ms).error().code == "order_cancelled");
  REQUIRE(f.store->cancel_order(order.number, true, f.now_ms).ok());
  CHECK(f.store->cancel_order(order.number, true, f.now_ms).error().code == "order_cancelled");
  CHECK(f.store->cancel_order("C-nope", false, f.now_ms).error().code == "unknown_order");
  auto acks =
      f.store->push(device, {{handover(2, order.order_id, EventKind::full, f.now_ms)}}, f.now_ms);
  REQUIRE(acks.ok());
  CHECK(acks->acks[0].conflicts == std::vector<Conflict>{Conflict::cancelled, Conflict::refunded});
}

TEST_CASE("devices can be revoked, and the demo region is stored whole with its key") {
  PortalFixture f;
  const portal::Device device = f.enrol({1});
  CHECK_FALSE(device.revoked());
  REQUIRE(f.store->revoke_device(device.id, f.now_ms).ok());
  CHECK(f.store->find_device(device.id)->revoked());
  CHECK(f.store->revoke_device("dev-99", f.now_ms).error().code == "unknown_device");

  // The demo needs a portal that holds nothing yet.
  auto region = sync::make_demo_region({120, 7, f.now_s()});
  REQUIRE(region.ok());
  CHECK(f.store->store_demo(*region, f.now_ms).error().code == "portal_exists");
  TempDir dir;
  auto demo = portal::Store::create(dir.path().string(), "Démo", f.now_ms);
  REQUIRE(demo.ok());
  auto summary = (*demo)->store_demo(*region, f.now_ms);
  REQUIRE_MESSAGE(summary.ok(), (summary.ok() ? std::string() : summary.error().detail));
  CHECK(summary->orders == 120);
  CHECK(summary->stands == region->stands.size());
  const portal::Device all{"dev-x", {}, "x", {1, 2, 3}, 0, std::nullopt, 0};
  const auto orders = everything(**demo, all, f.now_ms);
  REQUIRE(orders.size() == 120);
  for (const auto &o : region->orders) CHECK(orders.at(o.id) == o);
  auto keys = (*demo)->keys(f.now_ms);
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  CHECK(keys->front().key.public_key == region->portal_key.public_key);
}

}  // namespace
}  // namespace comptoir::test
