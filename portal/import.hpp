// Orders from files and flags for `comptoir-portal order import` and `order add`: a JSON
// array of orders or a CSV file with a header, both described in docs/portal.md. Pure: the
// file's text in, orders out, or an error naming the row (or array index) and the field.
// The store then checks what needs the database (stands, products, unique ids) and adds
// them all or none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/result.hpp"
#include "portal/store.hpp"
#include "sync/wire.hpp"

namespace comptoir::portal {

struct ImportedOrders {
  std::vector<NewOrder> orders;
  std::vector<std::string> labels;  // "row 4" or "orders[3]", one per order
};

// JSON when the first character that is not a space is '[' or '{', CSV otherwise.
// Errors: code "invalid", the detail names the place ("row 4, until: ...").
Result<ImportedOrders> parse_orders_file(std::string_view text);
Result<ImportedOrders> parse_orders_json(std::string_view text);
Result<ImportedOrders> parse_orders_csv(std::string_view text);

// The CSV header the import knows (any column order; id, number, status, paid, due and code
// may be left out). Time values are checked; everything else by the store (wire::validate).
inline constexpr std::string_view kCsvHeader =
    "id,number,stand,customer,status,from,until,paid,due,code,lines";

// "PRODUCT_ID:QUANTITY_MILLI:PRICE_CENTS", numbered line_no.
Result<wire::OrderLine> parse_line_spec(std::string_view text, int line_no);
// Several of them separated by spaces or ';' (the CSV's lines column).
Result<std::vector<wire::OrderLine>> parse_line_specs(std::string_view text);

// Unix seconds ("1767261600"), or ISO 8601: "2026-05-02T18:00:00Z", "2026-05-02T20:00+02:00",
// "2026-05-02" (midnight UTC). nullopt otherwise.
std::optional<std::int64_t> parse_time(std::string_view text);
// The order's short code as the admin may give it: its 10 symbols, or 11 with the check
// symbol, with or without dashes. nullopt when it is not one.
std::optional<std::uint64_t> parse_short_code(std::string_view text);

// Integer text, the whole of it; nullopt otherwise.
std::optional<std::int64_t> parse_int(std::string_view text);

}  // namespace comptoir::portal
