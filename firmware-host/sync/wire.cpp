// The wire values' JSON (docs/protocol.md) and their validation. Parsing goes in two steps:
// the JSON is read into the values with strict type checks (integers only, strings,
// arrays), then the values are checked against the protocol's limits by the same code
// validate() runs, so the portal's imports and the parsers can never disagree. Output is
// compact JSON (no spaces): bytes on the wire are a benchmark target.
#include "sync/wire.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "codes/short_code.hpp"

namespace comptoir::wire {
namespace {

using json = nlohmann::json;
// Output keeps the documented field order, which reads better in logs and captures.
using ojson = nlohmann::ordered_json;

constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
// No wire value nests deeper than 5; anything much deeper is an attack on the parser.
constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxDeviceIdBytes = 64;
constexpr std::size_t kMaxErrorCodeBytes = 64;
constexpr std::size_t kMaxMessageBytes = 2000;
constexpr std::size_t kMaxEnrolCodeBytes = 64;
constexpr std::size_t kMaxKeys = 1000;
// Stand ids go into signed tokens as 32 bits; order ids as 48 bits.
constexpr std::int64_t kMaxStandId = std::numeric_limits<std::uint32_t>::max();
constexpr auto kMaxOrderId = static_cast<std::int64_t>(codes::kMaxOrderId);
constexpr auto kMaxShortCode = static_cast<std::int64_t>(codes::kShortCodeMax);
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr auto kMaxLines = static_cast<std::int64_t>(kMaxLinesPerOrder);

// Where in the body a value sits, rendered only when something is wrong: a chain of
// field names and array indexes on the stack ("orders[3].lines[1]").
struct Path {
  const Path *parent = nullptr;
  std::string_view key;  // a field name; empty for an array index
  std::size_t index = 0;

  Path field(std::string_view name) const { return Path{this, name, 0}; }
  Path item(std::size_t i) const { return Path{this, {}, i}; }
  std::string str() const {
    if (parent == nullptr) return std::string(key);  // the root: the caller's prefix
    std::string out = parent->str();
    if (key.empty()) return out + '[' + std::to_string(index) + ']';
    if (!out.empty()) out += '.';
    out += key;
    return out;
  }
};

// Keeps the first problem found; every check returns false once one is found.
class Checker {
 public:
  bool fail(const Path &at, std::string_view what) {
    if (!error_) {
      std::string where = at.str();
      if (where.empty()) where = "body";
      error_ = make_error("wire_invalid", where + ": " + std::string(what));
    }
    return false;
  }
  Result<void> result() const {
    if (error_) return *error_;
    return {};
  }
  const Error &error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

std::string range_text(std::int64_t lo, std::int64_t hi) {
  if (hi == kMaxInt64) return lo == 1 ? "must be > 0" : "must be >= " + std::to_string(lo);
  return "must be " + std::to_string(lo) + " to " + std::to_string(hi);
}

bool check_range(Checker &c, const Path &at, std::int64_t value, std::int64_t lo, std::int64_t hi,
                 std::string_view name = {}) {
  if (value >= lo && value <= hi) return true;
  return c.fail(at,
                name.empty() ? range_text(lo, hi) : std::string(name) + ' ' + range_text(lo, hi));
}

// Decodes the UTF-8 sequence at s[i]: its length, or 0 when it is not valid (truncated,
// overlong, a surrogate, over U+10FFFF).
std::size_t utf8_next(std::string_view s, std::size_t i, char32_t &cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// Text on the wire: valid UTF-8, no control characters (C0, DEL, C1), at most max bytes.
bool check_text(Checker &c, const Path &at, std::string_view text, std::size_t max_bytes,
                bool required) {
  if (required && text.empty()) return c.fail(at, "must not be empty");
  if (text.size() > max_bytes) {
    return c.fail(at, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_next(text, i, cp);
    if (n == 0) return c.fail(at, "not valid UTF-8");
    if (is_control(cp)) return c.fail(at, "holds a control character");
    i += n;
  }
  return true;
}

bool is_hex_lower(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

// RFC 9562 text form, lower case: 8-4-4-4-12 hex digits, a version 1..8, the 10xx variant.
bool is_rfc_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_hex_lower(text[i])) return false;
  }
  return text[14] >= '1' && text[14] <= '8' &&
         std::string_view("89ab").find(text[19]) != std::string_view::npos;
}

bool check_uuid(Checker &c, const Path &at, std::string_view text) {
  if (is_rfc_uuid(text)) return true;
  return c.fail(at, "must be a lower-case RFC 9562 uuid");
}

bool is_cursor_char(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
         ch == '.' || ch == '_' || ch == ':' || ch == '-';
}

bool check_cursor(Checker &c, const Path &at, std::string_view cursor) {
  if (cursor.empty() || cursor.size() > kMaxCursorBytes ||
      !std::all_of(cursor.begin(), cursor.end(), is_cursor_char)) {
    return c.fail(at, "must be 1 to 64 characters of A-Z a-z 0-9 . _ : -");
  }
  return true;
}

bool check_device_id(Checker &c, const Path &at, std::string_view id) {
  const bool ok = !id.empty() && id.size() <= kMaxDeviceIdBytes &&
                  std::all_of(id.begin(), id.end(), [](char ch) {
                    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
                  });
  return ok || c.fail(at, "must be 1 to 64 characters of a-z 0-9 -");
}

bool check_error_code(Checker &c, const Path &at, std::string_view code) {
  const bool ok = !code.empty() && code.size() <= kMaxErrorCodeBytes &&
                  std::all_of(code.begin(), code.end(), [](char ch) {
                    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
                  });
  return ok || c.fail(at, "must be 1 to 64 characters of a-z 0-9 _");
}

// --- semantic checks, shared by validate() and the parsers ---------------------------------

bool check(Checker &c, const Stand &s, const Path &at) {
  return check_range(c, at.field("id"), s.id, 1, kMaxStandId) &&
         check_text(c, at.field("name"), s.name, kMaxTextBytes, true) &&
         check_text(c, at.field("place"), s.place, kMaxTextBytes, false);
}

bool check(Checker &c, const Product &p, const Path &at) {
  return check_range(c, at.field("id"), p.id, 1, kMaxInt64) &&
         check_range(c, at.field("stand"), p.stand_id, 1, kMaxStandId) &&
         check_text(c, at.field("name"), p.name, kMaxTextBytes, true) &&
         check_text(c, at.field("unit"), p.unit, kMaxTextBytes, true);
}

bool check(Checker &c, const OrderLine &l, const Path &at) {
  return check_range(c, at, l.line_no, 1, kMaxLines, "line_no") &&
         check_range(c, at, l.product_id, 1, kMaxInt64, "product_id") &&
         check_range(c, at, l.quantity_milli, 1, kMaxQuantityMilli, "quantity") &&
         check_range(c, at, l.price_cents, 0, kMaxAmountCents, "price");
}

bool check(Checker &c, const Order &o, const Path &at) {
  if (!check_range(c, at.field("id"), o.id, 1, kMaxOrderId) ||
      !check_text(c, at.field("number"), o.number, kMaxTextBytes, true) ||
      !check_range(c, at.field("stand"), o.stand_id, 1, kMaxStandId) ||
      !check_text(c, at.field("customer"), o.customer, kMaxTextBytes, false)) {
    return false;
  }
  if (to_string(o.status).empty()) return c.fail(at.field("status"), "unknown status");
  if (!check_range(c, at.field("from"), o.pickup_from, 0, kMaxInt64) ||
      !check_range(c, at.field("until"), o.pickup_until, 0, kMaxInt64)) {
    return false;
  }
  if (o.pickup_from > o.pickup_until) return c.fail(at.field("until"), "must not be before from");
  if (!check_range(c, at.field("paid"), o.paid_cents, 0, kMaxAmountCents) ||
      !check_range(c, at.field("due"), o.due_cents, 0, kMaxAmountCents) ||
      !check_range(c, at.field("code"), o.short_code, 0, kMaxShortCode)) {
    return false;
  }
  if (o.collected_at_ms &&
      !check_range(c, at.field("collected_at_ms"), *o.collected_at_ms, 0, kMaxInt64)) {
    return false;
  }
  if (!check_text(c, at.field("collected_device"), o.collected_device, kMaxTextBytes, false) ||
      !check_text(c, at.field("collected_staff"), o.collected_staff, kMaxTextBytes, false)) {
    return false;
  }
  const Path lines = at.field("lines");
  if (o.lines.size() > kMaxLinesPerOrder) {
    return c.fail(lines, "more than " + std::to_string(kMaxLinesPerOrder) + " lines");
  }
  std::array<bool, kMaxLinesPerOrder + 1> seen{};
  for (std::size_t i = 0; i < o.lines.size(); ++i) {
    const OrderLine &l = o.lines[i];
    if (!check(c, l, lines.item(i))) return false;
    auto &was = seen[static_cast<std::size_t>(l.line_no)];
    if (was)
      return c.fail(lines.item(i), "line_no " + std::to_string(l.line_no) + " appears twice");
    was = true;
  }
  return true;
}

// Line numbers an event names: each 1..kMaxLinesPerOrder, none twice; `seen` is shared by
// handed and missing, so a line cannot be both.
bool check_event_lines(Checker &c, const std::vector<int> &lines, const Path &at,
                       std::array<bool, kMaxLinesPerOrder + 1> &seen) {
  if (lines.size() > kMaxLinesPerOrder) {
    return c.fail(at, "more than " + std::to_string(kMaxLinesPerOrder) + " lines");
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!check_range(c, at.item(i), lines[i], 1, kMaxLines)) return false;
    auto &was = seen[static_cast<std::size_t>(lines[i])];
    if (was) return c.fail(at.item(i), "line " + std::to_string(lines[i]) + " is named twice");
    was = true;
  }
  return true;
}

bool check(Checker &c, const Event &e, const Path &at) {
  if (!check_uuid(c, at.field("uuid"), e.uuid) ||
      !check_range(c, at.field("order"), e.order_id, 1, kMaxOrderId)) {
    return false;
  }
  if (to_string(e.kind).empty()) return c.fail(at.field("kind"), "unknown kind");
  std::array<bool, kMaxLinesPerOrder + 1> seen{};
  if (!check_event_lines(c, e.lines_handed, at.field("handed"), seen) ||
      !check_event_lines(c, e.lines_missing, at.field("missing"), seen) ||
      !check_text(c, at.field("reason"), e.reason, kMaxTextBytes, false) ||
      !check_text(c, at.field("staff"), e.staff, kMaxTextBytes, false) ||
      !check_range(c, at.field("wall_ms"), e.wall_ms, 0, kMaxInt64)) {
    return false;
  }
  switch (e.kind) {
    case EventKind::full:
      if (!e.lines_missing.empty()) return c.fail(at.field("missing"), "a full handover has none");
      break;
    case EventKind::partial:
      if (e.lines_missing.empty()) {
        return c.fail(at.field("missing"), "a partial handover names at least one");
      }
      break;
    case EventKind::refused:
      if (e.reason.empty()) return c.fail(at.field("reason"), "a refusal needs one");
      break;
    case EventKind::undo:
      if (!e.lines_handed.empty()) return c.fail(at.field("handed"), "an undo names no lines");
      if (!e.lines_missing.empty()) return c.fail(at.field("missing"), "an undo names no lines");
      return check_uuid(c, at.field("undoes"), e.undoes);
  }
  if (!e.undoes.empty()) return c.fail(at.field("undoes"), "only an undo undoes an event");
  return true;
}

bool check(Checker &c, const codes::PortalKey &k, const Path &at) {
  if (k.valid_from_s < 0) return c.fail(at.field("valid_from"), "must be >= 0");
  if (k.valid_until_s < k.valid_from_s) {
    return c.fail(at.field("valid_until"), "must not be before valid_from");
  }
  return true;
}

bool check(Checker &c, const EventAck &ack, const Path &at) {
  return check_uuid(c, at.field("uuid"), ack.uuid);
}

// Every element checked, and the ids `id_of` gives unique in the list.
template <class T, class IdOf, class Id = std::invoke_result_t<IdOf, const T &>>
bool check_list(Checker &c, const std::vector<T> &items, const Path &at, IdOf id_of,
                std::string_view id_name) {
  std::unordered_set<Id> ids;
  ids.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!check(c, items[i], at.item(i))) return false;
    if (!ids.insert(id_of(items[i])).second) {
      return c.fail(at.item(i), std::string(id_name) + " appears twice in the list");
    }
  }
  return true;
}

bool check(Checker &c, const ChangesPage &page, const Path &at) {
  if (!check_cursor(c, at.field("cursor"), page.cursor) ||
      !check_range(c, at.field("portal_time_ms"), page.portal_time_ms, 0, kMaxInt64)) {
    return false;
  }
  if (page.orders.size() > kMaxPageOrders) {
    return c.fail(at.field("orders"), "more than " + std::to_string(kMaxPageOrders) + " orders");
  }
  if (!check_list(
          c, page.stands, at.field("stands"), [](const Stand &s) { return s.id; }, "id") ||
      !check_list(
          c, page.products, at.field("products"), [](const Product &p) { return p.id; }, "id") ||
      !check_list(
          c, page.orders, at.field("orders"), [](const Order &o) { return o.id; }, "id")) {
    return false;
  }
  if (page.remaining && !check_range(c, at.field("remaining"), *page.remaining, 0, kMaxInt64)) {
    return false;
  }
  if (page.keys) {
    if (page.keys->size() > kMaxKeys) return c.fail(at.field("keys"), "too many keys");
    return check_list(
        c, *page.keys, at.field("keys"), [](const codes::PortalKey &k) { return k.key_id; },
        "key_id");
  }
  return true;
}

bool check(Checker &c, const PushRequest &request, const Path &at) {
  const Path events = at.field("events");
  if (request.events.empty() || request.events.size() > kMaxPushEvents) {
    return c.fail(events, "must hold 1 to " + std::to_string(kMaxPushEvents) + " events");
  }
  return check_list(
      c, request.events, events, [](const Event &e) { return e.uuid; }, "uuid");
}

bool check(Checker &c, const PushResponse &response, const Path &at) {
  if (response.acks.size() > kMaxPushEvents) {
    return c.fail(at.field("acks"), "more than " + std::to_string(kMaxPushEvents) + " acks");
  }
  return check_list(
             c, response.acks, at.field("acks"), [](const EventAck &a) { return a.uuid; },
             "uuid") &&
         check_range(c, at.field("portal_time_ms"), response.portal_time_ms, 0, kMaxInt64);
}

bool check(Checker &c, const EnrolRequest &request, const Path &at) {
  return check_text(c, at.field("code"), request.code, kMaxEnrolCodeBytes, true) &&
         check_text(c, at.field("name"), request.name, kMaxTextBytes, false);
}

bool check(Checker &c, const EnrolResponse &response, const Path &at) {
  if (!check_device_id(c, at.field("device_id"), response.device_id) ||
      !check_text(c, at.field("portal_name"), response.portal_name, kMaxTextBytes, false)) {
    return false;
  }
  if (response.stands.empty()) return c.fail(at.field("stands"), "must hold at least one stand");
  if (response.keys.size() > kMaxKeys) return c.fail(at.field("keys"), "too many keys");
  return check_list(
             c, response.stands, at.field("stands"), [](const Stand &s) { return s.id; }, "id") &&
         check_list(
             c, response.keys, at.field("keys"), [](const codes::PortalKey &k) { return k.key_id; },
             "key_id") &&
         check_range(c, at.field("portal_time_ms"), response.portal_time_ms, 0, kMaxInt64);
}

bool check(Checker &c, const PingResponse &response, const Path &at) {
  return check_text(c, at.field("portal_name"), response.portal_name, kMaxTextBytes, false) &&
         check_range(c, at.field("portal_time_ms"), response.portal_time_ms, 0, kMaxInt64) &&
         check_range(c, at.field("protocol"), response.protocol, 1, 1'000'000);
}

bool check(Checker &c, const ErrorBody &body, const Path &at) {
  return check_error_code(c, at.field("error"), body.error) &&
         check_text(c, at.field("message"), body.message, kMaxMessageBytes, false) &&
         (!body.portal_time_ms ||
          check_range(c, at.field("portal_time_ms"), *body.portal_time_ms, 0, kMaxInt64));
}

// --- reading JSON into values: types only, the limits are check()'s ----------------------

// An integer that fits int64; nullopt for anything else (floats, bools, strings, 2^63...).
std::optional<std::int64_t> integer_of(const json &v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(kMaxInt64)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

bool is_absent(const json *v) {
  return v == nullptr || v->is_null();
}

// The member `key` of the object j; nullptr when it is absent (or null) and not required.
const json *member(Checker &c, const json &j, const Path &at, std::string_view key, bool required) {
  const auto it = j.find(key);
  const json *v = it == j.end() ? nullptr : &*it;
  if (is_absent(v)) {
    if (required) c.fail(at.field(key), "missing");
    return nullptr;
  }
  return v;
}

bool read_int(Checker &c, const json &j, const Path &at, std::string_view key, std::int64_t &out,
              bool required = true) {
  const json *v = member(c, j, at, key, required);
  if (v == nullptr) return !required;
  const auto n = integer_of(*v);
  if (!n) return c.fail(at.field(key), "must be an integer");
  out = *n;
  return true;
}

// An int field (line numbers): range-checked here, before it is narrowed.
bool read_small(Checker &c, const json &v, const Path &at, std::int64_t lo, std::int64_t hi,
                int &out, std::string_view name = {}) {
  const auto n = integer_of(v);
  if (!n)
    return c.fail(at,
                  name.empty() ? "must be an integer" : std::string(name) + " must be an integer");
  if (!check_range(c, at, *n, lo, hi, name)) return false;
  out = static_cast<int>(*n);
  return true;
}

bool read_string(Checker &c, const json &j, const Path &at, std::string_view key, std::string &out,
                 bool required = true) {
  const json *v = member(c, j, at, key, required);
  if (v == nullptr) return !required;
  if (!v->is_string()) return c.fail(at.field(key), "must be a string");
  out = v->get_ref<const std::string &>();
  return true;
}

bool read_bool(Checker &c, const json &j, const Path &at, std::string_view key, bool &out,
               bool required = true) {
  const json *v = member(c, j, at, key, required);
  if (v == nullptr) return !required;
  if (!v->is_boolean()) return c.fail(at.field(key), "must be true or false");
  out = v->get<bool>();
  return true;
}

bool expect_object(Checker &c, const json &j, const Path &at) {
  return j.is_object() || c.fail(at, "must be an object");
}

// The array member `key`, each element read by read_one(element, path, out element).
template <class T, class ReadOne>
bool read_array(Checker &c, const json &j, const Path &at, std::string_view key,
                std::vector<T> &out, bool required, ReadOne read_one) {
  const json *v = member(c, j, at, key, required);
  if (v == nullptr) return !required;
  const Path here = at.field(key);
  if (!v->is_array()) return c.fail(here, "must be an array");
  out.clear();
  out.reserve(v->size());
  for (std::size_t i = 0; i < v->size(); ++i) {
    T item{};
    if (!read_one((*v)[i], here.item(i), item)) return false;
    out.push_back(std::move(item));
  }
  return true;
}

bool read(Checker &c, const json &j, const Path &at, Stand &s) {
  return expect_object(c, j, at) && read_int(c, j, at, "id", s.id) &&
         read_string(c, j, at, "name", s.name) && read_string(c, j, at, "place", s.place, false);
}

bool read(Checker &c, const json &j, const Path &at, Product &p) {
  return expect_object(c, j, at) && read_int(c, j, at, "id", p.id) &&
         read_int(c, j, at, "stand", p.stand_id) && read_string(c, j, at, "name", p.name) &&
         read_string(c, j, at, "unit", p.unit) &&
         read_bool(c, j, at, "variable_weight", p.variable_weight);
}

bool read(Checker &c, const json &j, const Path &at, OrderLine &l) {
  if (!j.is_array() || j.size() != 4) {
    return c.fail(at, "must be [line_no, product_id, quantity_milli, price_cents]");
  }
  static constexpr std::array<std::string_view, 4> kNames = {"line_no", "product_id", "quantity",
                                                             "price"};
  std::array<std::int64_t, 4> v{};
  for (std::size_t k = 0; k < 4; ++k) {
    const auto n = integer_of(j[k]);
    if (!n) return c.fail(at, std::string(kNames[k]) + " must be an integer");
    v[k] = *n;
  }
  // line_no is narrowed to int: checked first, so 2^32 + 1 cannot pass as 1.
  if (!check_range(c, at, v[0], 1, kMaxLines, "line_no")) return false;
  l = OrderLine{static_cast<int>(v[0]), v[1], v[2], v[3]};
  return true;
}

bool read_short_code(Checker &c, const json &j, const Path &at, std::int64_t &out) {
  const json *v = member(c, j, at, "code", true);
  if (v == nullptr) return false;
  const Path here = at.field("code");
  const std::string_view text =
      v->is_string() ? std::string_view(v->get_ref<const std::string &>()) : std::string_view();
  std::int64_t value = 0;
  bool ok = text.size() == static_cast<std::size_t>(codes::kShortCodeSymbols);
  for (std::size_t i = 0; ok && i < text.size(); ++i) {
    const auto pos = kSymbols.find(text[i]);
    ok = pos != std::string_view::npos;
    if (ok) value = value * 32 + static_cast<std::int64_t>(pos);
  }
  if (!ok) {
    return c.fail(here,
                  "must be the short code's 10 symbols (upper case, no check symbol, no dashes)");
  }
  out = value;
  return true;
}

bool read(Checker &c, const json &j, const Path &at, Order &o) {
  if (!expect_object(c, j, at) || !read_int(c, j, at, "id", o.id) ||
      !read_string(c, j, at, "number", o.number) || !read_int(c, j, at, "stand", o.stand_id) ||
      !read_string(c, j, at, "customer", o.customer)) {
    return false;
  }
  std::string status;
  if (!read_string(c, j, at, "status", status)) return false;
  const auto parsed = order_status_from_string(status);
  if (!parsed) {
    return c.fail(at.field("status"), "must be pending, ready, collected or cancelled");
  }
  o.status = *parsed;
  if (!read_int(c, j, at, "from", o.pickup_from) || !read_int(c, j, at, "until", o.pickup_until) ||
      !read_int(c, j, at, "paid", o.paid_cents) || !read_int(c, j, at, "due", o.due_cents) ||
      !read_short_code(c, j, at, o.short_code)) {
    return false;
  }
  std::int64_t collected_at = 0;
  if (member(c, j, at, "collected_at_ms", false) != nullptr) {
    if (!read_int(c, j, at, "collected_at_ms", collected_at)) return false;
    o.collected_at_ms = collected_at;
  }
  // Refused before reading the lines one by one.
  if (const json *lines = member(c, j, at, "lines", true);
      lines != nullptr && lines->is_array() && lines->size() > kMaxLinesPerOrder) {
    return c.fail(at.field("lines"), "more than " + std::to_string(kMaxLinesPerOrder) + " lines");
  }
  return read_string(c, j, at, "collected_device", o.collected_device, false) &&
         read_string(c, j, at, "collected_staff", o.collected_staff, false) &&
         read_array(c, j, at, "lines", o.lines, true,
                    [&c](const json &v, const Path &p, OrderLine &l) { return read(c, v, p, l); });
}

bool read(Checker &c, const json &j, const Path &at, codes::PortalKey &k) {
  std::int64_t key_id = 0;
  if (!expect_object(c, j, at) || !read_int(c, j, at, "key_id", key_id)) return false;
  if (!check_range(c, at.field("key_id"), key_id, 0, std::numeric_limits<std::uint16_t>::max())) {
    return false;
  }
  k.key_id = static_cast<std::uint16_t>(key_id);
  std::string hex;
  if (!read_string(c, j, at, "public_key", hex)) return false;
  const auto bytes = hex.size() == 64 ? codes::from_hex(hex) : std::nullopt;
  if (!bytes) return c.fail(at.field("public_key"), "must be 64 hex digits");
  std::copy(bytes->begin(), bytes->end(), k.public_key.begin());
  return read_int(c, j, at, "valid_from", k.valid_from_s) &&
         read_int(c, j, at, "valid_until", k.valid_until_s);
}

bool read_line_numbers(Checker &c, const json &j, const Path &at, std::string_view key,
                       std::vector<int> &out) {
  return read_array(c, j, at, key, out, false, [&c](const json &v, const Path &p, int &n) {
    return read_small(c, v, p, 1, kMaxLines, n);
  });
}

bool read(Checker &c, const json &j, const Path &at, Event &e) {
  if (!expect_object(c, j, at) || !read_string(c, j, at, "uuid", e.uuid) ||
      !read_int(c, j, at, "order", e.order_id)) {
    return false;
  }
  std::string kind;
  if (!read_string(c, j, at, "kind", kind)) return false;
  const auto parsed = event_kind_from_string(kind);
  if (!parsed) return c.fail(at.field("kind"), "must be full, partial, refused or undo");
  e.kind = *parsed;
  return read_line_numbers(c, j, at, "handed", e.lines_handed) &&
         read_line_numbers(c, j, at, "missing", e.lines_missing) &&
         read_string(c, j, at, "reason", e.reason, false) &&
         read_string(c, j, at, "undoes", e.undoes, false) &&
         read_string(c, j, at, "staff", e.staff, false) && read_int(c, j, at, "wall_ms", e.wall_ms);
}

bool read(Checker &c, const json &j, const Path &at, EventAck &a) {
  if (!expect_object(c, j, at) || !read_string(c, j, at, "uuid", a.uuid) ||
      !read_bool(c, j, at, "duplicate", a.duplicate)) {
    return false;
  }
  return read_array(
      c, j, at, "conflicts", a.conflicts, false, [&c](const json &v, const Path &p, Conflict &out) {
        const auto parsed =
            v.is_string() ? conflict_from_string(v.get_ref<const std::string &>()) : std::nullopt;
        if (!parsed) {
          return c.fail(p,
                        "must be cancelled, refunded, collected_elsewhere, "
                        "unknown_order or other_stand");
        }
        out = *parsed;
        return true;
      });
}

template <class T>
auto reader(Checker &c) {
  return [&c](const json &v, const Path &p, T &out) { return read(c, v, p, out); };
}

bool read(Checker &c, const json &j, const Path &at, ChangesPage &page) {
  if (!expect_object(c, j, at) || !read_string(c, j, at, "cursor", page.cursor) ||
      !read_bool(c, j, at, "more", page.more) ||
      !read_int(c, j, at, "portal_time_ms", page.portal_time_ms) ||
      !read_array(c, j, at, "stands", page.stands, true, reader<Stand>(c)) ||
      !read_array(c, j, at, "products", page.products, true, reader<Product>(c))) {
    return false;
  }
  // Refused before reading a thousand orders too many.
  if (const json *orders = member(c, j, at, "orders", true);
      orders != nullptr && orders->is_array() && orders->size() > kMaxPageOrders) {
    return c.fail(at.field("orders"), "more than " + std::to_string(kMaxPageOrders) + " orders");
  }
  if (!read_array(c, j, at, "orders", page.orders, true, reader<Order>(c))) return false;
  if (member(c, j, at, "remaining", false) != nullptr) {
    std::int64_t remaining = 0;
    if (!read_int(c, j, at, "remaining", remaining)) return false;
    page.remaining = remaining;
  }
  if (member(c, j, at, "keys", false) != nullptr) {
    page.keys.emplace();
    return read_array(c, j, at, "keys", *page.keys, true, reader<codes::PortalKey>(c));
  }
  return true;
}

bool read(Checker &c, const json &j, const Path &at, PushRequest &request) {
  if (!expect_object(c, j, at)) return false;
  if (const json *events = member(c, j, at, "events", true);
      events != nullptr && events->is_array() && events->size() > kMaxPushEvents) {
    return c.fail(at.field("events"),
                  "must hold 1 to " + std::to_string(kMaxPushEvents) + " events");
  }
  return read_array(c, j, at, "events", request.events, true, reader<Event>(c));
}

bool read(Checker &c, const json &j, const Path &at, PushResponse &response) {
  return expect_object(c, j, at) &&
         read_array(c, j, at, "acks", response.acks, true, reader<EventAck>(c)) &&
         read_int(c, j, at, "portal_time_ms", response.portal_time_ms);
}

bool read(Checker &c, const json &j, const Path &at, EnrolRequest &request) {
  if (!expect_object(c, j, at) || !read_string(c, j, at, "code", request.code)) return false;
  std::string hex;
  if (!read_string(c, j, at, "device_key", hex)) return false;
  const auto bytes = hex.size() == 64 ? codes::from_hex(hex) : std::nullopt;
  if (!bytes) return c.fail(at.field("device_key"), "must be 64 hex digits");
  std::copy(bytes->begin(), bytes->end(), request.device_key.begin());
  return read_string(c, j, at, "name", request.name, false);
}

// The portal's identity key: 64 hex digits (docs/protocol.md, "The portal's identity").
bool read_public_key(Checker &c, const json &j, const Path &at, std::string_view key,
                     codes::PublicKey &out) {
  std::string hex;
  if (!read_string(c, j, at, key, hex)) return false;
  const auto bytes = hex.size() == 64 ? codes::from_hex(hex) : std::nullopt;
  if (!bytes) return c.fail(at.field(key), "must be 64 hex digits");
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return true;
}

bool read(Checker &c, const json &j, const Path &at, EnrolResponse &response) {
  return expect_object(c, j, at) && read_string(c, j, at, "device_id", response.device_id) &&
         read_string(c, j, at, "portal_name", response.portal_name, false) &&
         read_array(c, j, at, "stands", response.stands, true, reader<Stand>(c)) &&
         read_array(c, j, at, "keys", response.keys, true, reader<codes::PortalKey>(c)) &&
         read_int(c, j, at, "portal_time_ms", response.portal_time_ms) &&
         read_public_key(c, j, at, "portal_key", response.portal_key);
}

bool read(Checker &c, const json &j, const Path &at, PingResponse &response) {
  std::int64_t protocol = 0;
  if (!expect_object(c, j, at) ||
      !read_string(c, j, at, "portal_name", response.portal_name, false) ||
      !read_int(c, j, at, "portal_time_ms", response.portal_time_ms) ||
      !read_int(c, j, at, "protocol", protocol) ||
      !check_range(c, at.field("protocol"), protocol, 1, 1'000'000)) {
    return false;
  }
  response.protocol = static_cast<int>(protocol);
  return read_public_key(c, j, at, "portal_key", response.portal_key);
}

bool read(Checker &c, const json &j, const Path &at, ErrorBody &body) {
  if (!expect_object(c, j, at) || !read_string(c, j, at, "error", body.error) ||
      !read_string(c, j, at, "message", body.message, false)) {
    return false;
  }
  if (member(c, j, at, "portal_time_ms", false) != nullptr) {
    std::int64_t t = 0;
    if (!read_int(c, j, at, "portal_time_ms", t)) return false;
    body.portal_time_ms = t;
  }
  return true;
}

// nlohmann's messages start with "[json.exception.parse_error.101] ": the rest is the news.
std::string without_exception_id(const char *what) {
  std::string_view text(what);
  if (text.starts_with("[json.exception.")) {
    if (const auto end = text.find("] "); end != std::string_view::npos)
      text.remove_prefix(end + 2);
  }
  return std::string(text);
}

// A first pass over the body with nlohmann's SAX parser, which builds nothing: the syntax,
// the nesting depth and the number of values. The DOM that comes next costs 50 to 100 bytes
// a value, so a 16 MiB body of "[],[],..." or of 16 million "[" would take hundreds of MB
// before any field is looked at. No wire value nests deeper than 5; each kind of body gets a
// budget of values well over its legitimate maximum (`max_values`).
class Shape final : public json::json_sax_t {
 public:
  explicit Shape(std::size_t max_values) : max_values_(max_values) {}
  std::string problem;  // empty when the body passed

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t &) override { return value(); }
  bool string(string_t &) override { return value(); }
  bool binary(binary_t &) override { return value(); }
  bool start_object(std::size_t) override { return open(); }
  bool key(string_t &) override { return true; }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &e) override {
    problem = "not JSON: " + without_exception_id(e.what());
    return false;
  }

 private:
  bool value() {
    if (++values_ <= max_values_) return true;
    problem = "more than " + std::to_string(max_values_) + " JSON values";
    return false;
  }
  bool open() {
    if (++depth_ > kMaxDepth) {
      problem = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    return value();
  }
  bool close() {
    --depth_;
    return true;
  }
  std::size_t max_values_;
  std::size_t values_ = 0;
  std::size_t depth_ = 0;
};

// Budgets of JSON values per body, each far above what the protocol's limits allow (a page:
// 1000 orders of 200 lines is about 1,020,000 values), so only a body built to exhaust
// memory reaches them. The unauthenticated enrolment request gets the smallest.
template <class T>
constexpr std::size_t max_values() {
  if constexpr (std::is_same_v<T, ChangesPage>) return 1'500'000;
  if constexpr (std::is_same_v<T, PushRequest>) return 300'000;  // 500 events of 400 lines
  if constexpr (std::is_same_v<T, PushResponse>) return 50'000;
  if constexpr (std::is_same_v<T, EnrolResponse>) return 100'000;
  return 10'000;  // an enrolment request, an error body
}

template <class T>
Result<T> parse_value(std::string_view body) {
  if (body.size() > kMaxBodyBytes) {
    return make_error("wire_invalid",
                      "body: larger than " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  try {
    Shape shape(max_values<T>());
    if (!json::sax_parse(body.data(), body.data() + body.size(), &shape)) {
      return make_error("wire_invalid", "body: " + shape.problem);
    }
    const json j = json::parse(body.data(), body.data() + body.size());
    Checker c;
    T value{};
    const Path root;
    if (!read(c, j, root, value) || !check(c, value, root)) return c.error();
    return value;
  } catch (const json::exception &e) {
    return make_error("wire_invalid", "body: not JSON: " + without_exception_id(e.what()));
  } catch (const std::bad_alloc &) {
    return make_error("wire_invalid", "body: too large to parse in memory");
  }
}

template <class T>
Result<void> validate_value(const T &value, std::string_view where) {
  Checker c;
  check(c, value, Path{nullptr, where, 0});
  return c.result();
}

// --- writing ------------------------------------------------------------------------------

std::string short_code_symbols(std::int64_t value) {
  std::string out(static_cast<std::size_t>(codes::kShortCodeSymbols), '0');
  auto rest = static_cast<std::uint64_t>(value) & codes::kShortCodeMax;
  for (std::size_t i = out.size(); i-- > 0;) {
    out[i] = kSymbols[rest % 32];
    rest /= 32;
  }
  return out;
}

ojson to_ojson(const Stand &s) {
  return ojson{{"id", s.id}, {"name", s.name}, {"place", s.place}};
}

ojson to_ojson(const Product &p) {
  return ojson{{"id", p.id},
               {"stand", p.stand_id},
               {"name", p.name},
               {"unit", p.unit},
               {"variable_weight", p.variable_weight}};
}

ojson to_ojson(const Order &o) {
  ojson j{{"id", o.id},
          {"number", o.number},
          {"stand", o.stand_id},
          {"customer", o.customer},
          {"status", to_string(o.status)},
          {"from", o.pickup_from},
          {"until", o.pickup_until},
          {"paid", o.paid_cents},
          {"due", o.due_cents},
          {"code", short_code_symbols(o.short_code)}};
  if (o.collected_at_ms) j["collected_at_ms"] = *o.collected_at_ms;
  if (!o.collected_device.empty()) j["collected_device"] = o.collected_device;
  if (!o.collected_staff.empty()) j["collected_staff"] = o.collected_staff;
  ojson lines = ojson::array();
  for (const OrderLine &l : o.lines) {
    lines.push_back(ojson::array({l.line_no, l.product_id, l.quantity_milli, l.price_cents}));
  }
  j["lines"] = std::move(lines);
  return j;
}

ojson to_ojson(const codes::PortalKey &k) {
  return ojson{{"key_id", k.key_id},
               {"public_key", codes::to_hex(k.public_key.data(), k.public_key.size())},
               {"valid_from", k.valid_from_s},
               {"valid_until", k.valid_until_s}};
}

ojson to_ojson(const Event &e) {
  ojson j{{"uuid", e.uuid}, {"order", e.order_id}, {"kind", to_string(e.kind)}};
  if (!e.lines_handed.empty()) j["handed"] = e.lines_handed;
  if (!e.lines_missing.empty()) j["missing"] = e.lines_missing;
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.undoes.empty()) j["undoes"] = e.undoes;
  if (!e.staff.empty()) j["staff"] = e.staff;
  j["wall_ms"] = e.wall_ms;
  return j;
}

ojson to_ojson(const EventAck &a) {
  ojson conflicts = ojson::array();
  for (const Conflict k : a.conflicts) conflicts.push_back(to_string(k));
  return ojson{{"uuid", a.uuid}, {"duplicate", a.duplicate}, {"conflicts", std::move(conflicts)}};
}

template <class T>
ojson array_of(const std::vector<T> &items) {
  ojson out = ojson::array();
  for (const T &item : items) out.push_back(to_ojson(item));
  return out;
}

// Compact, and never throws: text that is not valid UTF-8 (validate() refuses it) comes out
// with U+FFFD in its place instead of an exception.
std::string dump(const ojson &j) {
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::pending:
      return "pending";
    case OrderStatus::ready:
      return "ready";
    case OrderStatus::collected:
      return "collected";
    case OrderStatus::cancelled:
      return "cancelled";
  }
  return "";
}

std::optional<OrderStatus> order_status_from_string(std::string_view text) {
  for (const OrderStatus s :
       {OrderStatus::pending, OrderStatus::ready, OrderStatus::collected, OrderStatus::cancelled}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::full:
      return "full";
    case EventKind::partial:
      return "partial";
    case EventKind::refused:
      return "refused";
    case EventKind::undo:
      return "undo";
  }
  return "";
}

std::optional<EventKind> event_kind_from_string(std::string_view text) {
  for (const EventKind k :
       {EventKind::full, EventKind::partial, EventKind::refused, EventKind::undo}) {
    if (text == to_string(k)) return k;
  }
  return std::nullopt;
}

std::string_view to_string(Conflict conflict) {
  switch (conflict) {
    case Conflict::cancelled:
      return "cancelled";
    case Conflict::refunded:
      return "refunded";
    case Conflict::collected_elsewhere:
      return "collected_elsewhere";
    case Conflict::unknown_order:
      return "unknown_order";
    case Conflict::other_stand:
      return "other_stand";
  }
  return "";
}

std::optional<Conflict> conflict_from_string(std::string_view text) {
  for (const Conflict k : {Conflict::cancelled, Conflict::refunded, Conflict::collected_elsewhere,
                           Conflict::unknown_order, Conflict::other_stand}) {
    if (text == to_string(k)) return k;
  }
  return std::nullopt;
}

std::string to_json(const ChangesPage &page) {
  ojson j{{"cursor", page.cursor},
          {"more", page.more},
          {"portal_time_ms", page.portal_time_ms},
          {"stands", array_of(page.stands)},
          {"products", array_of(page.products)},
          {"orders", array_of(page.orders)}};
  if (page.keys) j["keys"] = array_of(*page.keys);
  if (page.remaining) j["remaining"] = *page.remaining;
  return dump(j);
}

std::string to_json(const PushRequest &request) {
  return dump(ojson{{"events", array_of(request.events)}});
}

std::string to_json(const PushResponse &response) {
  return dump(
      ojson{{"acks", array_of(response.acks)}, {"portal_time_ms", response.portal_time_ms}});
}

std::string to_json(const EnrolRequest &request) {
  return dump(
      ojson{{"code", request.code},
            {"device_key", codes::to_hex(request.device_key.data(), request.device_key.size())},
            {"name", request.name}});
}

std::string to_json(const EnrolResponse &response) {
  return dump(
      ojson{{"device_id", response.device_id},
            {"portal_name", response.portal_name},
            {"stands", array_of(response.stands)},
            {"keys", array_of(response.keys)},
            {"portal_time_ms", response.portal_time_ms},
            {"portal_key", codes::to_hex(response.portal_key.data(), response.portal_key.size())}});
}

std::string to_json(const PingResponse &response) {
  return dump(
      ojson{{"portal_name", response.portal_name},
            {"portal_time_ms", response.portal_time_ms},
            {"protocol", response.protocol},
            {"portal_key", codes::to_hex(response.portal_key.data(), response.portal_key.size())}});
}

std::string to_json(const ErrorBody &body) {
  ojson j{{"error", body.error}, {"message", body.message}};
  if (body.portal_time_ms) j["portal_time_ms"] = *body.portal_time_ms;
  return dump(j);
}

Result<ChangesPage> parse_changes_page(std::string_view json) {
  return parse_value<ChangesPage>(json);
}
Result<PushRequest> parse_push_request(std::string_view json) {
  return parse_value<PushRequest>(json);
}
Result<PushResponse> parse_push_response(std::string_view json) {
  return parse_value<PushResponse>(json);
}
Result<EnrolRequest> parse_enrol_request(std::string_view json) {
  return parse_value<EnrolRequest>(json);
}
Result<EnrolResponse> parse_enrol_response(std::string_view json) {
  return parse_value<EnrolResponse>(json);
}
Result<ErrorBody> parse_error_body(std::string_view json) {
  return parse_value<ErrorBody>(json);
}
Result<PingResponse> parse_ping_response(std::string_view json) {
  return parse_value<PingResponse>(json);
}

Result<void> validate(const Stand &stand, std::string_view where) {
  return validate_value(stand, where);
}
Result<void> validate(const Product &product, std::string_view where) {
  return validate_value(product, where);
}
Result<void> validate(const Order &order, std::string_view where) {
  return validate_value(order, where);
}
Result<void> validate(const Event &event, std::string_view where) {
  return validate_value(event, where);
}

std::string clean_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_next(text, i, cp);
    // A byte that starts no valid character, or a control character, becomes a space:
    // readable, and never longer than what it replaces.
    const std::string_view piece = n == 0 || is_control(cp) ? " " : text.substr(i, n);
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += n == 0 ? 1 : n;
  }
  return out;
}

}  // namespace comptoir::wire
