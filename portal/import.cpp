// Reading orders from JSON and CSV files and from `order add` flags (see import.hpp).
#include "portal/import.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "codes/short_code.hpp"

namespace comptoir::portal {
namespace {

using nlohmann::json;

Error invalid(std::string detail) {
  return make_error("invalid", std::move(detail));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): no time zone, no libc.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int &out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

const char *kTimeHelp = "not a time (Unix seconds, or ISO 8601 like 2026-05-02T18:00:00Z)";

// A value from a JSON order: an integer, or (for times) a string parse_time reads.
Result<std::int64_t> json_int(const json &order, const std::string &where, const char *key,
                              std::optional<std::int64_t> fallback, bool time = false) {
  const auto it = order.find(key);
  if (it == order.end() || it->is_null()) {
    if (fallback) return *fallback;
    return invalid(where + "." + key + ": missing");
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (time && it->is_string()) {
    if (auto t = parse_time(it->get_ref<const std::string &>())) return *t;
    return invalid(where + "." + key + ": " + kTimeHelp);
  }
  return invalid(where + "." + key + ": must be an integer" + (time ? " or a time" : ""));
}

Result<std::string> json_text(const json &order, const std::string &where, const char *key,
                              bool required) {
  const auto it = order.find(key);
  if (it == order.end() || it->is_null()) {
    if (required) return invalid(where + "." + key + ": missing");
    return std::string();
  }
  if (!it->is_string()) return invalid(where + "." + key + ": must be a string");
  return it->get<std::string>();
}

Result<wire::OrderStatus> status_of(std::string_view text, const std::string &where) {
  if (text.empty()) return wire::OrderStatus::ready;
  if (text == "ready") return wire::OrderStatus::ready;
  if (text == "pending") return wire::OrderStatus::pending;
  return invalid(where + ": must be ready or pending (a new order)");
}

// Splits CSV text into rows of fields (RFC 4180: quoted fields may hold commas, quotes
// doubled, line breaks). Each row keeps the line number it starts on.
struct CsvRow {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

Result<std::vector<CsvRow>> split_csv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a spreadsheet's BOM
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false, in_quotes = false, field_started = false;
  std::size_t line = 1;
  row.line = 1;
  auto end_field = [&] {
    row.fields.push_back(quoted ? field : std::string(trim(field)));
    field.clear();
    quoted = false;
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    const bool blank = row.fields.size() == 1 && row.fields[0].empty();
    if (!blank) rows.push_back(std::move(row));
    row = CsvRow{};
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      continue;
    }
    if (ch == '"' && !field_started) {
      in_quotes = quoted = field_started = true;
      field.clear();
    } else if (ch == ',') {
      end_field();
    } else if (ch == '\n') {
      end_row();
      row.line = ++line;
    } else if (ch == '\r') {
      // CRLF: the '\n' ends the row.
    } else if (quoted) {
      if (ch != ' ' && ch != '\t') {
        return invalid("line " + std::to_string(line) + ": text after a closing quote");
      }
    } else {
      field += ch;
      if (ch != ' ' && ch != '\t') field_started = true;
    }
  }
  if (in_quotes) return invalid("line " + std::to_string(line) + ": a quote is never closed");
  end_row();
  return rows;
}

}  // namespace

std::optional<std::int64_t> parse_int(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_time(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text.find('-') == std::string_view::npos || text.front() == '-') {
    auto v = parse_int(text);
    if (!v || *v < 0) return std::nullopt;
    return v;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, mo) ||
      text[7] != '-' || !digits(text, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  std::size_t pos = 10;
  std::int64_t offset_s = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') return std::nullopt;
    if (!digits(text, pos + 1, 2, h) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, mi) || h > 23 || mi > 59) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!digits(text, pos + 1, 2, s) || s > 60) return std::nullopt;
      pos += 3;
    }
    // A time needs its zone: "local" means nothing to a server in another one.
    if (pos >= text.size()) return std::nullopt;
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      offset_s = 0;
    } else if ((text[pos] == '+' || text[pos] == '-') && pos + 6 == text.size() &&
               text[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (!digits(text, pos + 1, 2, oh) || !digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset_s = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::int64_t t = days * 86400 + h * 3600 + mi * 60 + s - offset_s;
  if (t < 0) return std::nullopt;
  return t;
}

std::optional<std::uint64_t> parse_short_code(std::string_view text) {
  auto clean = codes::crockford_clean(text);
  if (!clean) return std::nullopt;
  if (clean->size() == static_cast<std::size_t>(codes::kShortCodeSymbols)) {
    // Without its check symbol (as the protocol sends it): the symbols alone.
    constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::uint64_t value = 0;
    for (char ch : *clean) {
      const auto v = kSymbols.find(ch);
      if (v == std::string_view::npos) return std::nullopt;
      value = value * 32 + v;
    }
    return value;
  }
  const auto read = codes::read_short_code(*clean);
  if (read.status != codes::ShortCodeStatus::ok) return std::nullopt;
  return read.value;
}

Result<wire::OrderLine> parse_line_spec(std::string_view text, int line_no) {
  const std::string shown(trim(text));
  const auto first = text.find(':');
  const auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos || text.find(':', second + 1) != std::string_view::npos) {
    return invalid("line \"" + shown + "\": must be PRODUCT_ID:QUANTITY_MILLI:PRICE_CENTS");
  }
  const auto product = parse_int(text.substr(0, first));
  const auto quantity = parse_int(text.substr(first + 1, second - first - 1));
  const auto price = parse_int(text.substr(second + 1));
  if (!product || !quantity || !price) {
    return invalid("line \"" + shown + "\": the three parts must be whole numbers");
  }
  return wire::OrderLine{line_no, *product, *quantity, *price};
}

Result<std::vector<wire::OrderLine>> parse_line_specs(std::string_view text) {
  std::vector<wire::OrderLine> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find_first_of(" ;\t", pos);
    const auto part = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (!part.empty()) {
      auto line = parse_line_spec(part, static_cast<int>(out.size()) + 1);
      if (!line) return line.error();
      out.push_back(*line);
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

Result<ImportedOrders> parse_orders_json(std::string_view text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception &e) {
    return invalid(std::string("not valid JSON: ") + e.what());
  }
  if (!root.is_array()) return invalid("the JSON must be an array of orders");
  ImportedOrders out;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const json &j = root[i];
    const std::string where = "orders[" + std::to_string(i) + "]";
    if (!j.is_object()) return invalid(where + ": must be an object");
    for (const auto &item : j.items()) {
      static const std::vector<std::string> kKnown = {"id",     "number", "stand", "customer",
                                                      "status", "from",   "until", "paid",
                                                      "due",    "code",   "lines"};
      if (std::find(kKnown.begin(), kKnown.end(), item.key()) == kKnown.end()) {
        return invalid(where + "." + item.key() + ": not a field of an order");
      }
    }
    NewOrder o;
    auto id = json_int(j, where, "id", 0);
    auto stand = json_int(j, where, "stand", std::nullopt);
    auto from = json_int(j, where, "from", std::nullopt, true);
    auto until = json_int(j, where, "until", std::nullopt, true);
    auto paid = json_int(j, where, "paid", 0);
    auto due = json_int(j, where, "due", 0);
    auto number = json_text(j, where, "number", false);
    auto customer = json_text(j, where, "customer", true);
    auto status = json_text(j, where, "status", false);
    auto code = json_text(j, where, "code", false);
    for (const auto *r : {&id, &stand, &from, &until, &paid, &due}) {
      if (!*r) return r->error();
    }
    for (const auto *r : {&number, &customer, &status, &code}) {
      if (!*r) return r->error();
    }
    auto st = status_of(*status, where + ".status");
    if (!st) return st.error();
    o.order.id = *id;
    o.order.number = *number;
    o.order.stand_id = *stand;
    o.order.customer = *customer;
    o.order.status = *st;
    o.order.pickup_from = *from;
    o.order.pickup_until = *until;
    o.order.paid_cents = *paid;
    o.order.due_cents = *due;
    if (!code->empty()) {
      o.short_code = parse_short_code(*code);
      if (!o.short_code) {
        return invalid(where + ".code: not a short code (10 symbols, or 11 with the check)");
      }
    }
    const auto lines = j.find("lines");
    if (lines == j.end() || !lines->is_array() || lines->empty()) {
      return invalid(where + ".lines: must be a list of at least one line");
    }
    for (std::size_t l = 0; l < lines->size(); ++l) {
      const json &line = (*lines)[l];
      const std::string lw = where + ".lines[" + std::to_string(l) + "]";
      if (!line.is_object()) {
        return invalid(lw +
                       ": must be {\"product\":..., \"quantity_milli\":..., "
                       "\"price_cents\":...}");
      }
      auto no = json_int(line, lw, "line", static_cast<std::int64_t>(l + 1));
      auto product = json_int(line, lw, "product", std::nullopt);
      auto quantity = json_int(line, lw, "quantity_milli", std::nullopt);
      auto price = json_int(line, lw, "price_cents", std::nullopt);
      for (const auto *r : {&no, &product, &quantity, &price}) {
        if (!*r) return r->error();
      }
      if (*no < 1 || *no > static_cast<std::int64_t>(wire::kMaxLinesPerOrder)) {
        return invalid(lw + ".line: must be 1 to " + std::to_string(wire::kMaxLinesPerOrder));
      }
      o.order.lines.push_back(wire::OrderLine{static_cast<int>(*no), *product, *quantity, *price});
    }
    out.orders.push_back(std::move(o));
    out.labels.push_back(where);
  }
  if (out.orders.empty()) return invalid("the file holds no order");
  return out;
}

Result<ImportedOrders> parse_orders_csv(std::string_view text) {
  auto rows = split_csv(text);
  if (!rows) return rows.error();
  if (rows->empty())
    return invalid("the file is empty: the first row must be the header " +
                   std::string(kCsvHeader));
  static const std::vector<std::string> kColumns = {"id",     "number", "stand", "customer",
                                                    "status", "from",   "until", "paid",
                                                    "due",    "code",   "lines"};
  static const std::vector<std::string> kRequired = {"stand", "customer", "from", "until", "lines"};
  std::map<std::string, std::size_t> column;
  const CsvRow &header = rows->front();
  for (std::size_t c = 0; c < header.fields.size(); ++c) {
    std::string name = header.fields[c];
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (std::find(kColumns.begin(), kColumns.end(), name) == kColumns.end()) {
      return invalid("row 1 (the header), column " + std::to_string(c + 1) + ": \"" +
                     header.fields[c] + "\" is not a column of the import (" +
                     std::string(kCsvHeader) + ")");
    }
    if (!column.emplace(name, c).second) {
      return invalid("row 1 (the header): the column " + name + " appears twice");
    }
  }
  for (const auto &name : kRequired) {
    if (column.count(name) == 0) {
      return invalid("row 1 (the header): the column " + name + " is missing (" +
                     std::string(kCsvHeader) + ")");
    }
  }
  ImportedOrders out;
  for (std::size_t r = 1; r < rows->size(); ++r) {
    const CsvRow &row = (*rows)[r];
    // The line it starts on: what a spreadsheet or an editor shows as its number.
    const std::string where = "row " + std::to_string(row.line);
    if (row.fields.size() > header.fields.size()) {
      return invalid(where + ": " + std::to_string(row.fields.size()) + " fields, the header has " +
                     std::to_string(header.fields.size()) + " (a comma in a name needs quotes)");
    }
    auto field = [&](const std::string &name) -> std::string {
      const auto it = column.find(name);
      if (it == column.end() || it->second >= row.fields.size()) return {};
      return row.fields[it->second];
    };
    auto number_of = [&](const std::string &name, std::int64_t fallback,
                         bool required) -> Result<std::int64_t> {
      const std::string value = field(name);
      if (value.empty()) {
        if (required) return invalid(where + ", " + name + ": missing");
        return fallback;
      }
      if (auto v = parse_int(value)) return *v;
      return invalid(where + ", " + name + ": \"" + value + "\" is not a whole number");
    };
    auto time_of = [&](const std::string &name) -> Result<std::int64_t> {
      const std::string value = field(name);
      if (value.empty()) return invalid(where + ", " + name + ": missing");
      if (auto v = parse_time(value)) return *v;
      return invalid(where + ", " + name + ": \"" + value + "\" is " + kTimeHelp);
    };
    NewOrder o;
    auto id = number_of("id", 0, false);
    auto stand = number_of("stand", 0, true);
    auto paid = number_of("paid", 0, false);
    auto due = number_of("due", 0, false);
    auto from = time_of("from");
    auto until = time_of("until");
    for (const auto *res : {&id, &stand, &paid, &due, &from, &until}) {
      if (!*res) return res->error();
    }
    auto status = status_of(field("status"), where + ", status");
    if (!status) return status.error();
    o.order.id = *id;
    o.order.number = field("number");
    o.order.stand_id = *stand;
    o.order.customer = field("customer");
    if (o.order.customer.empty()) return invalid(where + ", customer: missing");
    o.order.status = *status;
    o.order.pickup_from = *from;
    o.order.pickup_until = *until;
    o.order.paid_cents = *paid;
    o.order.due_cents = *due;
    if (const std::string code = field("code"); !code.empty()) {
      o.short_code = parse_short_code(code);
      if (!o.short_code) {
        return invalid(where + ", code: \"" + code +
                       "\" is not a short code (10 symbols, or 11 with the check)");
      }
    }
    auto lines = parse_line_specs(field("lines"));
    if (!lines) return invalid(where + ", lines: " + lines.error().detail);
    if (lines->empty()) {
      return invalid(where + ", lines: missing (PRODUCT_ID:QUANTITY_MILLI:PRICE_CENTS ...)");
    }
    o.order.lines = std::move(*lines);
    out.orders.push_back(std::move(o));
    out.labels.push_back(where);
  }
  if (out.orders.empty()) return invalid("the file holds a header and no order");
  return out;
}

Result<ImportedOrders> parse_orders_file(std::string_view text) {
  std::string_view rest = text;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) {
    rest.remove_prefix(1);
  }
  if (!rest.empty() && (rest.front() == '[' || rest.front() == '{')) {
    return parse_orders_json(rest);
  }
  return parse_orders_csv(text);
}

}  // namespace comptoir::portal
