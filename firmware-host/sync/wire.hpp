// The wire contract between the appliance and a regional portal (docs/protocol.md): the
// values each request and response carries, their JSON, and their validation. Shared by
// the appliance's sync agent and the reference portal (portal/), which include nothing
// else of the appliance but the pickup-code codec. Pure: no I/O, no database.
//
// Parsing validates everything before returning: a value that comes back is complete and
// within its limits, so applying it cannot fail half-way on the data itself. Errors are
// code "wire_invalid" with a detail naming the field ("orders[3].paid: must be 0 to
// 100000000", "orders[3].lines[1]: quantity must be 1 to 100000000"). Integers only (a
// float, a bool or a string where a number is due is refused); text is UTF-8 without
// control characters; unknown fields are ignored and optional ones may be absent or null.
// Bodies nested deeper than 64 levels, or holding far more JSON values than their kind can
// legitimately need, are refused before any value is built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes/pickup_token.hpp"
#include "db/result.hpp"

namespace comptoir::wire {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kApiPrefix = "/api/v1";
// Limits every side enforces (docs/protocol.md, "Limits").
inline constexpr std::size_t kMaxPageOrders = 1000;
inline constexpr std::size_t kDefaultPageOrders = 500;
inline constexpr std::size_t kMaxPushEvents = 500;
inline constexpr std::size_t kDefaultPushEvents = 200;
inline constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;  // decompressed
inline constexpr std::size_t kMaxLinesPerOrder = 200;
inline constexpr std::size_t kMaxTextBytes = 200;  // names, places, reasons, staff
inline constexpr std::size_t kMaxCursorBytes = 64;
inline constexpr std::int64_t kMaxAmountCents = 100'000'000;    // 1 M€
inline constexpr std::int64_t kMaxQuantityMilli = 100'000'000;  // 100,000 units

struct Stand {
  std::int64_t id = 0;  // > 0
  std::string name;     // not empty
  std::string place;
  bool operator==(const Stand &) const = default;
};

struct Product {
  std::int64_t id = 0;  // > 0
  std::int64_t stand_id = 0;
  std::string name;  // not empty
  std::string unit;  // not empty: "pièce", "kg", "botte", "L"...
  bool variable_weight = false;
  bool operator==(const Product &) const = default;
};

struct OrderLine {
  int line_no = 0;  // 1..kMaxLinesPerOrder, unique in the order
  std::int64_t product_id = 0;
  std::int64_t quantity_milli = 0;  // > 0
  std::int64_t price_cents = 0;     // >= 0
  bool operator==(const OrderLine &) const = default;
};

enum class OrderStatus { pending, ready, collected, cancelled };
std::string_view to_string(OrderStatus status);
std::optional<OrderStatus> order_status_from_string(std::string_view text);

// An order as the portal sends it: always whole (its current state, every line), so
// applying it is an upsert. Orders of stands the device does not serve come as stubs:
// customer empty, no lines, amounts 0 (enough for a "wrong stand" verdict, nothing more).
struct Order {
  std::int64_t id = 0;  // > 0, < 2^48 (it goes into signed tokens)
  std::string number;   // not empty, unique per portal
  std::int64_t stand_id = 0;
  std::string customer;  // display name only
  OrderStatus status = OrderStatus::pending;
  std::int64_t pickup_from = 0;  // Unix seconds, <= pickup_until
  std::int64_t pickup_until = 0;
  std::int64_t paid_cents = 0;
  std::int64_t due_cents = 0;
  std::int64_t short_code = 0;                  // 0 .. codes::kShortCodeMax; sent as its 10 symbols
  std::optional<std::int64_t> collected_at_ms;  // when status is collected, if known
  std::string collected_device;
  std::string collected_staff;
  std::vector<OrderLine> lines;
  bool operator==(const Order &) const = default;
};

// One page of changes since a cursor (GET /api/v1/changes).
struct ChangesPage {
  std::string cursor;  // where the next page starts; not empty
  bool more = false;   // another page follows at once; false: the device is up to date
  std::int64_t portal_time_ms = 0;
  std::vector<Stand> stands;
  std::vector<Product> products;
  std::vector<Order> orders;
  // The whole key ring when it changed since the cursor; nullopt when it did not.
  std::optional<std::vector<codes::PortalKey>> keys;
  // Orders still to come after this page (0 when more is false), for a progress bar; nullopt
  // when the portal does not say. Never trusted beyond display.
  std::optional<std::int64_t> remaining;
  bool operator==(const ChangesPage &) const = default;
};

enum class EventKind { full, partial, refused, undo };
std::string_view to_string(EventKind kind);
std::optional<EventKind> event_kind_from_string(std::string_view text);

// A handover event as the appliance recorded it (the device is the authenticated one).
struct Event {
  std::string uuid;  // RFC 9562 text form, lower case
  std::int64_t order_id = 0;
  EventKind kind = EventKind::full;
  std::vector<int> lines_handed;
  std::vector<int> lines_missing;
  std::string reason;  // refused: not empty
  std::string undoes;  // undo: the uuid it undoes; empty otherwise
  std::string staff;
  std::int64_t wall_ms = 0;  // the appliance's clock when it was recorded
  bool operator==(const Event &) const = default;
};

struct PushRequest {
  std::vector<Event> events;  // 1..kMaxPushEvents, uuids unique
  bool operator==(const PushRequest &) const = default;
};

// Why the portal flags a handover for a person to review. It stores the event anyway.
enum class Conflict { cancelled, refunded, collected_elsewhere, unknown_order, other_stand };
std::string_view to_string(Conflict conflict);
std::optional<Conflict> conflict_from_string(std::string_view text);

struct EventAck {
  std::string uuid;
  bool duplicate = false;  // the portal had it already (a retry): nothing changed
  std::vector<Conflict> conflicts;
  bool operator==(const EventAck &) const = default;
};

struct PushResponse {
  std::vector<EventAck> acks;  // one per event stored, in any order
  std::int64_t portal_time_ms = 0;
  bool operator==(const PushResponse &) const = default;
};

struct EnrolRequest {
  std::string code;  // the one-time enrolment code, as typed or scanned; 1..64 bytes
  codes::PublicKey device_key{};
  std::string name;  // a label for the portal's admin (host name)
  bool operator==(const EnrolRequest &) const = default;
};

struct EnrolResponse {
  std::string device_id;  // [a-z0-9-], 1..64
  std::string portal_name;
  std::vector<Stand> stands;  // at least one: the stands this device serves
  std::vector<codes::PortalKey> keys;
  std::int64_t portal_time_ms = 0;
  // The portal's identity key (Ed25519 public key, 64 lowercase hex): it signs offline
  // bundles. The appliance pins it at enrolment (docs/protocol.md, "Enrolment").
  codes::PublicKey portal_key{};
  bool operator==(const EnrolResponse &) const = default;
};

// GET /api/v1/ping: no authentication, nothing personal. For the self-test: the portal is
// reachable, its clock, and (with GET /api/v1/ping/download?bytes=N, N random bytes of
// application/octet-stream, N at most kMaxPingBytes) the bandwidth.
inline constexpr std::size_t kMaxPingBytes = 1024 * 1024;
struct PingResponse {
  std::string portal_name;
  std::int64_t portal_time_ms = 0;
  int protocol = kProtocolVersion;
  codes::PublicKey portal_key{};  // the identity key, as in EnrolResponse
  bool operator==(const PingResponse &) const = default;
};

// Every non-2xx answer: {"error":"code","message":"a sentence"}; portal_time_ms with
// clock_skew.
struct ErrorBody {
  std::string error;    // [a-z0-9_], 1..64
  std::string message;  // at most 2000 bytes
  std::optional<std::int64_t> portal_time_ms;
  bool operator==(const ErrorBody &) const = default;
};

std::string to_json(const ChangesPage &page);
std::string to_json(const PushRequest &request);
std::string to_json(const PushResponse &response);
std::string to_json(const EnrolRequest &request);
std::string to_json(const EnrolResponse &response);
std::string to_json(const ErrorBody &body);
std::string to_json(const PingResponse &response);

Result<ChangesPage> parse_changes_page(std::string_view json);
Result<PushRequest> parse_push_request(std::string_view json);
Result<PushResponse> parse_push_response(std::string_view json);
Result<EnrolRequest> parse_enrol_request(std::string_view json);
Result<EnrolResponse> parse_enrol_response(std::string_view json);
Result<ErrorBody> parse_error_body(std::string_view json);
Result<PingResponse> parse_ping_response(std::string_view json);

// Checks of single values, for the portal's admin commands and imports (the same rules the
// parsers apply). Error code wire_invalid, detail prefixed with `where`.
Result<void> validate(const Stand &stand, std::string_view where);
Result<void> validate(const Product &product, std::string_view where);
Result<void> validate(const Order &order, std::string_view where);
Result<void> validate(const Event &event, std::string_view where);

// Any text made acceptable where the wire wants text (reasons and staff names typed at the
// counter, a portal's imports): bytes that are not UTF-8 and control characters become
// spaces, and it is cut at a character boundary to at most max_bytes.
std::string clean_text(std::string_view text, std::size_t max_bytes = kMaxTextBytes);

}  // namespace comptoir::wire
