// The reference portal's database: stands, products, orders and their signed codes, the
// signing key ring, devices and their enrolment codes, and the event log with its conflicts
// (docs/protocol.md, docs/portal.md). One SQLite file DIR/portal.db of its own schema (WAL,
// so the admin commands can run while `serve` does), mode 0600: the secret keys live in it.
//
// Every change to a stand, a product, an order or the key ring takes the next change
// sequence number; a pull page is "the next `limit` orders changed after the cursor, with
// the stands and products changed in that range, and the whole key ring while the cursor is
// older than its latest change". Times are passed in (now_ms), so tests can move the
// clock. Not thread-safe: the server guards its one Store with a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes/pickup_token.hpp"
#include "db/result.hpp"
#include "db/sqlite.hpp"
#include "sync/demo_region.hpp"
#include "sync/wire.hpp"

namespace comptoir::portal {

inline constexpr std::string_view kDbFileName = "portal.db";
inline constexpr int kSchemaVersion = 1;
inline constexpr std::int64_t kEnrolmentCodeLifetimeMs = 24LL * 3600 * 1000;
inline constexpr std::size_t kEnrolmentCodeSymbols = 12;
// A new signing key is valid for this long unless a rotation retires it earlier.
inline constexpr std::int64_t kKeyLifetimeS = 10LL * 366 * 24 * 3600;

// Error codes (Error::code) beyond SQLite's (disk_full, database_corrupt, database_error):
//   not_a_portal      the data directory holds no portal database, or another file
//   portal_exists     create() on a directory that already holds one
//   newer_schema      made by a newer comptoir-portal
//   invalid           a value breaks the protocol's limits (detail names the field)
//   stand_exists, product_exists, order_exists, unknown_stand, unknown_product,
//   unknown_order, unknown_device, order_collected (cancel of a collected order),
//   order_cancelled (already cancelled), no_signing_key, key_ids_exhausted
//   Protocol answers: not_found, code_used, code_expired, cursor_expired.
// The detail is an English sentence that names the value; portal_main turns codes into
// what to do next.

// A device enrolled with the portal.
struct Device {
  std::string id;  // "dev-7"
  codes::PublicKey public_key{};
  std::string name;
  std::vector<std::int64_t> stands;
  std::int64_t enrolled_ms = 0;
  std::optional<std::int64_t> revoked_ms;
  std::int64_t last_seen_ms = 0;  // 0: never synced
  bool revoked() const { return revoked_ms.has_value(); }
};

struct KeyInfo {
  codes::PortalKey key;
  std::int64_t orders_signed = 0;
  bool signing = false;  // the key new tokens are signed with now
};

// An order as the admin enters it. id 0: the next free id; number empty: "C-<id>";
// short_code nullopt: a random unused one.
struct NewOrder {
  wire::Order order;
  std::optional<std::uint64_t> short_code;
};

// What a customer shows at the counter for an order.
struct OrderCode {
  std::int64_t order_id = 0;
  std::string number;
  std::string short_code;  // formatted with its check symbol: "K7QM-9X2D-F3A"
  std::string token;       // the signed token for the QR code
  std::uint16_t key_id = 0;
};

struct StoredEvent {
  wire::Event event;
  std::string device_id;
  std::string order_number;  // empty when the order is unknown
  std::int64_t received_ms = 0;
  std::vector<wire::Conflict> conflicts;
};

struct DemoSummary {
  std::size_t stands = 0, products = 0, orders = 0;
};

class Store {
 public:
  // Creates DIR (when missing) and DIR/portal.db with its first signing key (random; the
  // demo replaces it with its own). Error portal_exists when DIR holds a portal.
  static Result<std::unique_ptr<Store>> create(const std::string &dir, std::string_view name,
                                               std::int64_t now_ms);
  // Opens an existing portal; error not_a_portal (detail says why) otherwise.
  static Result<std::unique_ptr<Store>> open(const std::string &dir);

  Store(const Store &) = delete;
  Store &operator=(const Store &) = delete;

  const std::string &path() const { return path_; }
  // The portal's identity key (Ed25519, separate from the signing keys): it signs offline
  // bundles, and the appliances pin its public half at enrolment (enrol and ping carry it).
  // Made by create(), and by open() once for a portal made before identity keys existed.
  // The secret half never leaves the database but to sign.
  const codes::KeyPair &identity() const { return identity_; }
  Result<std::string> portal_name();
  Result<std::int64_t> current_seq();

  // ---- admin -----------------------------------------------------------------------
  Result<void> add_stand(const wire::Stand &stand);
  Result<void> add_product(const wire::Product &product);
  Result<OrderCode> add_order(const NewOrder &order, std::int64_t now_ms);
  // All or nothing; errors name the order by its position ("orders[3]") unless the caller
  // gives labels (one per order, e.g. "row 4"). Returns one code per order, in order.
  Result<std::vector<OrderCode>> import_orders(const std::vector<NewOrder> &orders,
                                               std::int64_t now_ms,
                                               const std::vector<std::string> &labels = {});
  Result<wire::Order> find_order(std::string_view number);
  // Cancels (and marks refunded); errors unknown_order, order_collected, order_cancelled.
  Result<wire::Order> cancel_order(std::string_view number, bool refunded, std::int64_t now_ms);
  // The order's code and token: signed with the key that signed it first while that key is
  // valid (the same token again: Ed25519 is deterministic), else with the newest key.
  Result<OrderCode> order_code(std::string_view number, std::int64_t now_ms);

  // A new key (previous id + 1) valid from now; the previous one stays valid until the
  // last pickup day of the orders it signed + 1 day (at least now + 1 day).
  Result<codes::PortalKey> rotate_keys(std::int64_t now_ms);
  Result<std::vector<KeyInfo>> keys(std::int64_t now_ms);

  // A one-time enrolment code (12 symbols, unformatted) for these stands, valid 24 h, or
  // until expires_ms when given (an offline bundle's code lives as long as the bundle).
  Result<std::string> make_enrolment_code(const std::vector<std::int64_t> &stands,
                                          std::int64_t now_ms,
                                          std::optional<std::int64_t> expires_ms = std::nullopt);
  Result<std::vector<Device>> devices();
  Result<void> revoke_device(std::string_view id, std::int64_t now_ms);

  // Newest first; conflicts_only: the events a person must look at.
  Result<std::vector<StoredEvent>> events(std::optional<std::int64_t> order_id, bool conflicts_only,
                                          std::size_t limit);

  // Stores a demo region whole (its key becomes key 1) into a portal that holds nothing
  // yet (no stand, no order).
  Result<DemoSummary> store_demo(const sync::DemoRegion &region, std::int64_t now_ms);

  // ---- protocol ----------------------------------------------------------------------
  // Errors not_found (unknown code), code_used, code_expired. The same code with the same
  // device key again, while the code is valid and the device not revoked, gets the same
  // grant (same device id): the device's first answer was lost.
  Result<wire::EnrolResponse> enrol(const wire::EnrolRequest &request, std::int64_t now_ms);
  // Error unknown_device. A revoked device is returned (the caller answers 403).
  Result<Device> find_device(std::string_view id);
  // Records when a device was last heard from (devices list).
  Result<void> touch_device(std::string_view id, std::int64_t now_ms);
  // Error cursor_expired for a cursor this portal never gave. `remaining`: the orders the
  // device would still get after this page (0 on the last).
  Result<wire::ChangesPage> changes(const Device &device, std::string_view cursor,
                                    std::size_t limit, std::int64_t now_ms);
  // Everything a device enrolled for these stands would pull from the empty cursor, as one
  // page (changes() page after page, later versions of a row replacing earlier ones): an
  // offline bundle's snapshot. more false, remaining absent, the key ring present. Error
  // unknown_stand for a stand that does not exist.
  Result<wire::ChangesPage> snapshot(const std::vector<std::int64_t> &stands, std::int64_t now_ms);
  // Stores every event not seen before (by uuid) with its conflicts, in one transaction.
  Result<wire::PushResponse> push(const Device &device, const wire::PushRequest &request,
                                  std::int64_t now_ms);

 private:
  Store(db::Connection conn, std::string path);

  Result<void> load_identity(bool create_missing);

  db::Connection conn_;
  std::string path_;
  codes::KeyPair identity_{};
};

// "s<seq>" and back; nullopt when `text` is not of that form.
std::string make_cursor(std::int64_t seq);
std::optional<std::int64_t> parse_cursor(std::string_view text);

// The enrolment code cleaned (case, dashes, spaces, I/L/O folded), nullopt when it cannot
// be one; and shown as XXXX-XXXX-XXXX.
std::optional<std::string> clean_enrolment_code(std::string_view text);
std::string format_enrolment_code(std::string_view code);

}  // namespace comptoir::portal
