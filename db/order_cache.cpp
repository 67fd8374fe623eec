#include "db/order_cache.hpp"

#include <array>
#include <string>

#include "db/text_fold.hpp"

namespace comptoir::db {
namespace {

// The order columns, in the order read_order_columns reads them. Both the single-order
// queries and the list queries are built from this one list.
constexpr std::array<std::string_view, 13> kOrderColumns = {"id",
                                                            "number",
                                                            "stand_id",
                                                            "customer",
                                                            "status",
                                                            "pickup_from",
                                                            "pickup_until",
                                                            "paid_cents",
                                                            "due_cents",
                                                            "short_code",
                                                            "collected_at_ms",
                                                            "collected_device",
                                                            "collected_staff"};

// "SELECT p.id, p.number, ... " with `prefix` as p.
std::string select_order_columns(std::string_view prefix) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < kOrderColumns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += prefix;
    sql += kOrderColumns[i];
  }
  sql += ' ';
  return sql;
}

std::string order_query(std::string_view where) {
  return select_order_columns("") + "FROM orders " + std::string(where);
}

// The order columns of `o`, then its line count (column kOrderColumns.size()): what
// list() reads.
std::string list_columns() {
  std::string sql = select_order_columns("o.");
  sql.pop_back();
  sql += ", (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id) ";
  return sql;
}

// comptoir_search_rank(number, customer, number_key, text_key): db::search_rank.
void search_rank_function(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (argc != 4) {
    sqlite3_result_error(ctx, "comptoir_search_rank takes 4 arguments", -1);
    return;
  }
  const auto text = [&](int i) -> std::string_view {
    const auto *p = reinterpret_cast<const char *>(sqlite3_value_text(argv[i]));
    if (p == nullptr) return {};
    return {p, static_cast<std::size_t>(sqlite3_value_bytes(argv[i]))};
  };
  sqlite3_result_int(ctx, search_rank(text(0), text(1), text(2), text(3)));
}

// Registered on the connection before the search statement is prepared. Not used in the
// schema (no index or view names it), so other programs can still open the file.
sqlite3 *with_search_function(Connection &conn) {
  sqlite3_create_function_v2(conn.handle(), "comptoir_search_rank", 4,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                             search_rank_function, nullptr, nullptr, nullptr);
  return conn.handle();
}

Order read_order_columns(const Statement &s) {
  Order o;
  o.id = s.int64(0);
  o.number = s.text(1);
  o.stand_id = s.int64(2);
  o.customer = s.text(3);
  o.status = static_cast<OrderStatus>(s.integer(4));
  o.pickup_from = s.int64(5);
  o.pickup_until = s.int64(6);
  o.paid_cents = s.int64(7);
  o.due_cents = s.int64(8);
  o.short_code = s.int64(9);
  if (!s.is_null(10)) o.collected_at_ms = s.int64(10);
  o.collected_device = s.text(11);
  o.collected_staff = s.text(12);
  return o;
}

}  // namespace

OrderCache::OrderCache(Connection &conn)
    : conn_(conn),
      by_code_(conn.prepare(order_query("WHERE short_code = ?"))),
      by_number_(conn.prepare(order_query("WHERE number = ?"))),
      by_id_(conn.prepare(order_query("WHERE id = ?"))),
      lines_(conn.prepare(
          "SELECT l.line_no, l.product_id, l.quantity_milli, l.price_cents, p.name, p.unit, "
          "p.variable_weight FROM order_lines l JOIN products p ON p.id = l.product_id "
          "WHERE l.order_id = ? ORDER BY l.line_no")),
      stand_(conn.prepare("SELECT id, name, place FROM stands WHERE id = ?")),
      put_stand_(conn.prepare(
          "INSERT INTO stands(id, name, place) VALUES(?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
          "name = excluded.name, place = excluded.place")),
      put_product_(conn.prepare(
          "INSERT INTO products(id, stand_id, name, unit, variable_weight) VALUES(?, ?, ?, ?, ?) "
          "ON CONFLICT(id) DO UPDATE SET stand_id = excluded.stand_id, name = excluded.name, "
          "unit = excluded.unit, variable_weight = excluded.variable_weight")),
      put_order_(conn.prepare(
          "INSERT INTO orders(id, number, stand_id, customer, status, pickup_from, pickup_until, "
          "paid_cents, due_cents, short_code, collected_at_ms, collected_device, collected_staff) "
          "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
          "number = excluded.number, stand_id = excluded.stand_id, customer = excluded.customer, "
          "status = excluded.status, pickup_from = excluded.pickup_from, "
          "pickup_until = excluded.pickup_until, paid_cents = excluded.paid_cents, "
          "due_cents = excluded.due_cents, short_code = excluded.short_code, "
          "collected_at_ms = excluded.collected_at_ms, "
          "collected_device = excluded.collected_device, "
          "collected_staff = excluded.collected_staff")),
      delete_lines_(conn.prepare("DELETE FROM order_lines WHERE order_id = ?")),
      put_line_(conn.prepare(
          "INSERT INTO order_lines(order_id, line_no, product_id, quantity_milli, price_cents) "
          "VALUES(?, ?, ?, ?, ?)")),
      count_(conn.prepare(
          "WITH collected AS (SELECT DISTINCT e.order_id FROM handover_events e "
          "WHERE e.kind IN ('full', 'partial') AND NOT EXISTS (SELECT 1 FROM handover_events u "
          "WHERE u.kind = 'undo' AND u.undoes = e.uuid)) "
          "SELECT o.status, o.id IN collected AS here, COUNT(*) FROM orders o "
          "WHERE o.stand_id = ? GROUP BY 1, 2 ORDER BY 1, 2")),
      search_(with_search_function(conn),
              list_columns() +
                  ", comptoir_search_rank(o.number, o.customer, ?2, ?3) AS rank "
                  "FROM orders o WHERE o.stand_id = ?1 AND rank > 0 "
                  "ORDER BY rank, o.pickup_from, o.id LIMIT ?4"),
      in_window_(conn.prepare(in_window_sql())),
      sync_state_(conn.prepare("SELECT value FROM sync_state WHERE key = ?")) {}

Result<std::optional<Order>> OrderCache::find(Statement &s) {
  StatementScope scope(s);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Order>();
  if (rc != SQLITE_ROW) return conn_.error();
  Order o = read_order_columns(s);

  StatementScope lines_scope(lines_);
  lines_.bind(1, o.id);
  int lrc;
  while ((lrc = lines_.step()) == SQLITE_ROW) {
    OrderLine l;
    l.line_no = lines_.integer(0);
    l.product_id = lines_.int64(1);
    l.quantity_milli = lines_.int64(2);
    l.price_cents = lines_.int64(3);
    l.product = lines_.text(4);
    l.unit = lines_.text(5);
    l.variable_weight = lines_.int64(6) != 0;
    o.lines.push_back(std::move(l));
  }
  if (lrc != SQLITE_DONE) return conn_.error();
  return std::optional<Order>(std::move(o));
}

Result<std::optional<Order>> OrderCache::find_by_short_code(std::int64_t short_code) {
  by_code_.bind(1, short_code);
  return find(by_code_);
}

Result<std::optional<Order>> OrderCache::find_by_number(std::string_view number) {
  by_number_.bind(1, number);
  return find(by_number_);
}

Result<std::optional<Order>> OrderCache::find_by_id(std::int64_t id) {
  by_id_.bind(1, id);
  return find(by_id_);
}

Result<std::optional<Stand>> OrderCache::stand(std::int64_t id) {
  StatementScope scope(stand_);
  stand_.bind(1, id);
  const int rc = stand_.step();
  if (rc == SQLITE_DONE) return std::optional<Stand>();
  if (rc != SQLITE_ROW) return conn_.error();
  return std::optional<Stand>(Stand{stand_.int64(0), stand_.text(1), stand_.text(2)});
}

Result<void> OrderCache::put_stand(const Stand &stand) {
  put_stand_.bind(1, stand.id).bind(2, stand.name).bind(3, stand.place);
  return put_stand_.run();
}

Result<void> OrderCache::put_product(const Product &p) {
  put_product_.bind(1, p.id).bind(2, p.stand_id).bind(3, p.name).bind(4, p.unit);
  put_product_.bind(5, p.variable_weight ? 1 : 0);
  return put_product_.run();
}

// Callers wrap many put_order calls in one Transaction; one call is atomic on its own
// only through SQLite's autocommit of each statement, so sync must use a transaction.
Result<void> OrderCache::put_order(const Order &o) {
  put_order_.bind(1, o.id).bind(2, o.number).bind(3, o.stand_id).bind(4, o.customer);
  put_order_.bind(5, static_cast<int>(o.status)).bind(6, o.pickup_from).bind(7, o.pickup_until);
  put_order_.bind(8, o.paid_cents).bind(9, o.due_cents).bind(10, o.short_code);
  put_order_.bind(11, o.collected_at_ms);
  if (o.collected_at_ms) {
    put_order_.bind(12, o.collected_device).bind(13, o.collected_staff);
  }
  if (auto r = put_order_.run(); !r) return r;
  delete_lines_.bind(1, o.id);
  if (auto r = delete_lines_.run(); !r) return r;
  for (const OrderLine &l : o.lines) {
    put_line_.bind(1, o.id).bind(2, l.line_no).bind(3, l.product_id).bind(4, l.quantity_milli);
    put_line_.bind(5, l.price_cents);
    if (auto r = put_line_.run(); !r) return r;
  }
  return {};
}

Result<std::vector<StatusCount>> OrderCache::count_by_status(std::int64_t stand_id) {
  StatementScope scope(count_);
  count_.bind(1, stand_id);
  std::vector<StatusCount> out;
  int rc;
  while ((rc = count_.step()) == SQLITE_ROW) {
    out.push_back(
        {static_cast<OrderStatus>(count_.integer(0)), count_.int64(1) != 0, count_.int64(2)});
  }
  if (rc != SQLITE_DONE) return conn_.error();
  return out;
}

Result<std::vector<ListedOrder>> OrderCache::list(Statement &s) {
  StatementScope scope(s);
  std::vector<ListedOrder> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const auto lines = s.int64(static_cast<int>(kOrderColumns.size()));
    out.push_back({read_order_columns(s), static_cast<std::size_t>(lines)});
  }
  if (rc != SQLITE_DONE) return conn_.error();
  return out;
}

Result<std::vector<ListedOrder>> OrderCache::search(std::int64_t stand_id, std::string_view query,
                                                    std::size_t limit) {
  const std::string number_key = fold_number(query);
  const std::string text_key = fold_text(query);
  if (limit == 0 || (number_key.empty() && text_key.empty())) return std::vector<ListedOrder>();
  search_.bind(1, stand_id).bind(2, number_key).bind(3, text_key);
  search_.bind(4, static_cast<std::int64_t>(limit));
  return list(search_);
}

// orders_by_stand_until (v4) bounds the scan to windows not over before the day.
std::string OrderCache::in_window_sql() {
  return list_columns() +
         "FROM orders o WHERE o.stand_id = ?1 AND o.pickup_until >= ?2 AND o.pickup_from < ?3 "
         "ORDER BY o.pickup_from, o.id";
}

Result<std::vector<ListedOrder>> OrderCache::in_window(std::int64_t stand_id, std::int64_t from_s,
                                                       std::int64_t until_s) {
  in_window_.bind(1, stand_id).bind(2, from_s).bind(3, until_s);
  return list(in_window_);
}

Result<std::optional<std::string>> OrderCache::sync_state(std::string_view key) {
  StatementScope scope(sync_state_);
  sync_state_.bind(1, key);
  const int rc = sync_state_.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return conn_.error();
  return std::optional<std::string>(sync_state_.text(0));
}

}  // namespace comptoir::db
