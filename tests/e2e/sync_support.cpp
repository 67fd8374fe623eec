#include "tests/e2e/sync_support.hpp"

#include <signal.h>
#include <sqlite3.h>

#include <ctime>
#include <sstream>
#include <stdexcept>

#ifndef COMPTOIR_BIN_DIR
#error "COMPTOIR_BIN_DIR must name the directory holding comptoir and comptoir-portal"
#endif

namespace comptoir::test {

using nlohmann::json;
using std::chrono::milliseconds;

std::string sync_bin(const char *name) {
  return std::string(COMPTOIR_BIN_DIR) + "/" + name;
}

// ---- SQLite, read only --------------------------------------------------------------------

std::vector<Row> query_ro(const std::string &db_path, std::string_view sql) {
  sqlite3 *db = nullptr;
  const std::string uri = "file:" + db_path + "?mode=ro";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
      SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    throw std::runtime_error(db_path + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt *stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    throw std::runtime_error(db_path + ": " + std::string(sql) + ": " + message);
  }
  std::vector<Row> rows;
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    const int n = sqlite3_column_count(stmt);
    for (int i = 0; i < n; ++i) {
      const unsigned char *text = sqlite3_column_text(stmt, i);
      row.emplace_back(text ? reinterpret_cast<const char *>(text) : "NULL");
    }
    rows.push_back(std::move(row));
  }
  const std::string message = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  if (rc != SQLITE_DONE)
    throw std::runtime_error(db_path + ": " + std::string(sql) + ": " + message);
  return rows;
}

std::int64_t int_ro(const std::string &db_path, std::string_view sql) {
  const std::vector<Row> rows = query_ro(db_path, sql);
  if (rows.empty() || rows.front().empty()) {
    throw std::runtime_error(db_path + ": " + std::string(sql) + ": no row");
  }
  return std::stoll(rows.front().front());
}

std::set<std::string> column_set_ro(const std::string &db_path, std::string_view sql) {
  std::set<std::string> out;
  for (const Row &r : query_ro(db_path, sql)) out.insert(r.at(0));
  return out;
}

bool wait_for(const std::function<bool()> &done, milliseconds timeout, milliseconds every) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---- the portal ---------------------------------------------------------------------------

RunResult Portal::admin(std::vector<std::string> args, milliseconds timeout) const {
  std::vector<std::string> argv = {sync_bin("comptoir-portal")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--data");
  argv.push_back(dir_);
  return run(argv, {}, timeout);
}

std::string Portal::admin_ok(std::vector<std::string> args) const {
  std::string shown;
  for (const std::string &a : args) shown += a + " ";
  const RunResult r = admin(std::move(args));
  INFO("comptoir-portal " << shown << "\nstdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == 0);
  return r.out;
}

std::vector<DemoCodeLine> Portal::demo(int orders) const {
  const std::string codes = dir_ + ".codes.tsv";
  admin_ok({"demo", "--orders", std::to_string(orders), "--codes", codes});
  std::vector<DemoCodeLine> out;
  for (const std::string &line : split_lines(read_file(codes))) {
    std::istringstream in(line);
    DemoCodeLine c;
    std::getline(in, c.code, '\t');
    std::getline(in, c.verdict, '\t');
    std::getline(in, c.number, '\t');
    out.push_back(c);
  }
  REQUIRE_FALSE(out.empty());
  return out;
}

namespace {

// "key value" lines of an admin command's output.
std::map<std::string, std::string> key_values(const std::string &out) {
  std::map<std::string, std::string> kv;
  for (const std::string &line : split_lines(out)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) kv[line.substr(0, space)] = line.substr(space + 1);
  }
  return kv;
}

}  // namespace

std::string Portal::enrol_code(std::int64_t stand) const {
  const auto kv = key_values(admin_ok({"enrol", "--stand", std::to_string(stand)}));
  REQUIRE(kv.count("code") == 1);
  const std::string code = kv.at("code");
  REQUIRE(code.size() == 14);  // XXXX-XXXX-XXXX
  return code;
}

AddedOrder Portal::add_order(std::int64_t stand, const std::string &customer,
                             const std::vector<std::string> &lines) const {
  std::vector<std::string> args = {"order",      "add",   "--stand", std::to_string(stand),
                                   "--customer", customer};
  for (const std::string &l : lines) {
    args.push_back("--line");
    args.push_back(l);
  }
  const auto kv = key_values(admin_ok(args));
  REQUIRE(kv.count("number") == 1);
  REQUIRE(kv.count("id") == 1);
  REQUIRE(kv.count("code") == 1);
  REQUIRE(kv.count("token") == 1);
  return {kv.at("number"), std::stoll(kv.at("id")), kv.at("code"), kv.at("token")};
}

void Portal::cancel(const std::string &number, bool refund) const {
  std::vector<std::string> args = {"order", "cancel", number};
  if (refund) args.push_back("--refund");
  admin_ok(args);
}

std::set<std::string> Portal::event_uuids() const {
  return column_set_ro(db(), "SELECT uuid FROM events");
}

std::int64_t Portal::event_count() const {
  return int_ro(db(), "SELECT count(*) FROM events");
}

PortalServer::PortalServer(const Portal &portal, std::vector<std::string> extra) {
  std::vector<std::string> argv = {
      sync_bin("comptoir-portal"), "serve", "--data", portal.dir(), "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  thread_ = std::thread([this, argv] { run(argv); });
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, std::chrono::seconds(30), [this] { return started_; });
}

PortalServer::~PortalServer() {
  if (thread_.joinable()) stop();
}

void PortalServer::run(std::vector<std::string> argv) {
  try {
    Subprocess p(argv);
    bool first = true;
    for (;;) {
      if (stopping_.load()) {
        p.kill(SIGTERM);
        break;
      }
      auto line = p.read_line(milliseconds(100));
      std::lock_guard lock(mutex_);
      if (p.stderr_text().size() != err_.size()) err_ = p.stderr_text();
      if (!line && !p.timed_out()) break;  // stdout closed: the server ended
      if (!line) continue;
      if (first) {
        first = false;
        first_line_ = *line;
        const std::string prefix = "listening on ";
        if (line->rfind(prefix, 0) == 0) {
          url_ = line->substr(prefix.size());
          const auto colon = url_.rfind(':');
          if (colon != std::string::npos) {
            port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(colon + 1)));
          }
        }
        started_ = true;
        cv_.notify_all();
      } else {
        log_ += *line + "\n";
      }
    }
    std::string rest = p.read_to_end(std::chrono::seconds(20));
    const ExitStatus st = p.wait(std::chrono::seconds(20));
    std::lock_guard lock(mutex_);
    err_ = p.stderr_text();
    log_ += rest;
    status_ = st;
    started_ = true;
    cv_.notify_all();
  } catch (const std::exception &e) {
    std::lock_guard lock(mutex_);
    log_ += std::string("PortalServer: ") + e.what() + "\n";
    status_ = ExitStatus{};
    started_ = true;
    cv_.notify_all();
  }
}

std::string PortalServer::output() const {
  std::lock_guard lock(mutex_);
  return "first line: " + first_line_ + "\n" + log_ + err_;
}

ExitStatus PortalServer::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  port_ = 0;
  return status_.value_or(ExitStatus{});
}

// ---- the appliance ------------------------------------------------------------------------

Appliance::Appliance(const std::filesystem::path &dir, const std::string &sync_toml)
    : data_((dir / "data").string()),
      db_((dir / "data" / "comptoir.db").string()),
      config_((dir / "comptoir.toml").string()) {
  std::filesystem::create_directories(dir);
  write_config(sync_toml);
}

void Appliance::write_config(const std::string &sync_toml) const {
  write_file(config_, "[feedback]\nsound = false\n\n[sync]\n" + sync_toml + "\n");
}

RunResult Appliance::enrol(const std::string &url, const std::string &code,
                           std::vector<std::string> extra) const {
  std::vector<std::string> argv = {
      sync_bin("comptoir"), "enrol", "--portal", url,   "--code", code, "--data", data_,
      "--config",           config_, "--format", "json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv, {}, milliseconds(60'000));
}

std::vector<std::string> Appliance::sync_argv() const {
  return {sync_bin("comptoir"), "sync",  "--once",   "--data", data_,
          "--config",           config_, "--format", "json"};
}

Appliance::SyncRun Appliance::sync_once(milliseconds timeout) const {
  return sync_once_while({}, timeout);
}

Appliance::SyncRun Appliance::sync_once_while(const std::function<void()> &during,
                                              milliseconds timeout) const {
  SyncRun s;
  const auto start = std::chrono::steady_clock::now();
  Subprocess p(sync_argv());
  if (during) during();
  s.run.out = p.read_to_end(timeout);
  s.run.status = p.wait(timeout);
  s.run.err = p.stderr_text();
  s.seconds = seconds_since(start);
  for (const std::string &line : split_lines(s.run.out)) {
    if (!line.empty() && line.front() == '{') s.report = json::parse(line, nullptr, false);
  }
  return s;
}

std::vector<std::string> Appliance::headless_argv(std::vector<std::string> extra) const {
  std::vector<std::string> argv = {
      sync_bin("comptoir"), "--headless", "--data",        data_,
      "--config",           config_,      "--no-scanners", "--no-sound"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::vector<json> Appliance::headless(const std::string &input,
                                      std::vector<std::string> extra) const {
  const RunResult r = run(headless_argv(std::move(extra)), input, milliseconds(60'000));
  INFO("headless stderr: " << r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == 0);
  std::vector<json> out;
  for (const std::string &line : split_lines(r.out)) out.push_back(json::parse(line));
  return out;
}

std::vector<std::string> Appliance::ledger_uuids() const {
  std::vector<std::string> out;
  for (const Row &r : query_ro(db_, "SELECT uuid FROM handover_events ORDER BY seq")) {
    out.push_back(r.at(0));
  }
  return out;
}

std::int64_t Appliance::outbox() const {
  return int_ro(db_, "SELECT count(*) FROM outbox");
}

std::optional<std::string> Appliance::state(const std::string &key) const {
  const auto rows = query_ro(db_, "SELECT value FROM sync_state WHERE key = '" + key + "'");
  if (rows.empty()) return std::nullopt;
  return rows.front().at(0);
}

OrderRows appliance_orders(const std::string &db, std::int64_t stand) {
  const std::string s = std::to_string(stand);
  OrderRows r;
  r.orders = query_ro(db,
                      "SELECT id, number, customer, CASE status WHEN 0 THEN 'pending' WHEN 1 "
                      "THEN 'ready' WHEN 2 THEN 'collected' WHEN 3 THEN 'cancelled' END, "
                      "pickup_from, pickup_until, paid_cents, due_cents, short_code FROM orders "
                      "WHERE stand_id = " +
                          s + " ORDER BY id");
  r.lines = query_ro(db,
                     "SELECT l.order_id, l.line_no, l.product_id, l.quantity_milli, "
                     "l.price_cents FROM order_lines l JOIN orders o ON o.id = l.order_id "
                     "WHERE o.stand_id = " +
                         s + " ORDER BY 1, 2");
  return r;
}

namespace {

std::string joined(const Row &row) {
  std::string out;
  for (const std::string &v : row) out += (out.empty() ? "" : "|") + v;
  return out;
}

std::string rows_difference(const char *what, const std::vector<Row> &a,
                            const std::vector<Row> &b) {
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string x = i < a.size() ? joined(a[i]) : "(none)";
    const std::string y = i < b.size() ? joined(b[i]) : "(none)";
    if (x != y) {
      return std::string(what) + " row " + std::to_string(i) + ": " + x + " vs " + y + " (" +
             std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " rows)";
    }
  }
  return {};
}

}  // namespace

std::string first_difference(const OrderRows &a, const OrderRows &b) {
  std::string d = rows_difference("orders", a.orders, b.orders);
  if (d.empty()) d = rows_difference("lines", a.lines, b.lines);
  return d;
}

OrderRows portal_orders(const std::string &db, std::int64_t stand) {
  const std::string s = std::to_string(stand);
  OrderRows r;
  r.orders = query_ro(db,
                      "SELECT id, number, customer, status, pickup_from, pickup_until, "
                      "paid_cents, due_cents, short_code FROM orders WHERE stand_id = " +
                          s + " ORDER BY id");
  r.lines = query_ro(db,
                     "SELECT l.order_id, l.line_no, l.product_id, l.quantity_milli, "
                     "l.price_cents FROM order_lines l JOIN orders o ON o.id = l.order_id "
                     "WHERE o.stand_id = " +
                         s + " ORDER BY 1, 2");
  return r;
}

std::set<std::int64_t> appliance_order_ids(const std::string &db) {
  std::set<std::int64_t> out;
  for (const Row &r : query_ro(db, "SELECT id FROM orders")) out.insert(std::stoll(r.at(0)));
  return out;
}

std::set<std::int64_t> portal_order_ids(const std::string &db) {
  return appliance_order_ids(db);  // the same table name and column in both schemas
}

std::vector<Row> cache_snapshot(const std::string &db) {
  std::vector<Row> out;
  for (const char *sql :
       {"SELECT 'order', id, number, stand_id, customer, status, pickup_from, pickup_until, "
        "paid_cents, due_cents, short_code, collected_at_ms, collected_device, collected_staff "
        "FROM orders ORDER BY id",
        "SELECT 'line', order_id, line_no, product_id, quantity_milli, price_cents FROM "
        "order_lines ORDER BY 2, 3",
        "SELECT 'stand', id, name, place FROM stands ORDER BY id",
        "SELECT 'product', id, stand_id, name, unit, variable_weight FROM products ORDER BY id",
        "SELECT 'key', key_id, hex(public_key), valid_from, valid_until FROM portal_keys ORDER "
        "BY key_id",
        "SELECT 'state', key, value FROM sync_state WHERE key IN ('cursor', 'last_pull_ms') "
        "ORDER BY key"}) {
    for (Row &r : query_ro(db, sql)) out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> ready_numbers(const std::string &db, std::int64_t stand) {
  const std::string now = std::to_string(std::time(nullptr));
  std::vector<std::string> out;
  for (const Row &r :
       query_ro(db, "SELECT number FROM orders WHERE stand_id = " + std::to_string(stand) +
                        " AND status = 1 AND due_cents = 0 AND pickup_from <= " + now +
                        " AND pickup_until > " + now +
                        " + 3600 AND id NOT IN (SELECT order_id FROM handover_events) "
                        "ORDER BY id")) {
    out.push_back(r.at(0));
  }
  return out;
}

// ---- TLS ----------------------------------------------------------------------------------

namespace {

void openssl(const std::vector<std::string> &args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = run(argv);
  INFO("openssl " << args.front() << ": " << r.err);
  REQUIRE(r.status.exited);
  REQUIRE(r.status.code == 0);
}

void server_cert(const std::filesystem::path &dir, const std::string &name, const std::string &san,
                 const TestCa &ca, const std::string &ca_key, int serial) {
  const std::string key = (dir / (name + ".key")).string();
  const std::string csr = (dir / (name + ".csr")).string();
  const std::string ext = (dir / (name + ".ext")).string();
  write_file(ext,
             "basicConstraints = CA:FALSE\n"
             "keyUsage = critical, digitalSignature, keyEncipherment\n"
             "extendedKeyUsage = serverAuth\n"
             "subjectAltName = " +
                 san + "\n");
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           key, "-out", csr, "-subj", "/CN=" + name});
  openssl({"x509", "-req", "-in", csr, "-CA", ca.ca_cert, "-CAkey", ca_key, "-set_serial",
           std::to_string(serial), "-days", "2", "-extfile", ext, "-out",
           (dir / (name + ".pem")).string()});
}

}  // namespace

TestCa make_test_ca(const std::filesystem::path &dir) {
  std::filesystem::create_directories(dir);
  TestCa ca;
  ca.ca_cert = (dir / "ca.pem").string();
  const std::string ca_key = (dir / "ca.key").string();
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", ca_key, "-out", ca.ca_cert, "-days", "2", "-subj", "/CN=Comptoir test CA",
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"});
  server_cert(dir, "server", "IP:127.0.0.1, DNS:localhost", ca, ca_key, 2);
  server_cert(dir, "other", "DNS:portal.example.org", ca, ca_key, 3);
  ca.server_cert = (dir / "server.pem").string();
  ca.server_key = (dir / "server.key").string();
  ca.other_cert = (dir / "other.pem").string();
  ca.other_key = (dir / "other.key").string();
  return ca;
}

}  // namespace comptoir::test
