// The portal's SQLite store: schema, admin changes, and the three protocol operations.
// Every write runs in one BEGIN IMMEDIATE transaction, so the admin commands (another
// process) and the server (one connection behind a mutex) serialise on SQLite's write lock,
// and change sequence numbers become visible in the order they were taken.
#include "portal/store.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "codes/short_code.hpp"

namespace comptoir::portal {
namespace {

namespace fs = std::filesystem;

// "CmPt": tells a portal database from any other SQLite file.
constexpr std::int64_t kApplicationId = 0x436D5074;
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::int64_t kDayS = 24 * 3600;
constexpr std::int64_t kClockToleranceS = 300;  // the protocol's clock skew (5 minutes)
// How long a statement waits for another connection's write lock (an admin command).
constexpr int kBusyTimeoutMs = 10'000;
// The last-seen write gives up much sooner (Store::touch_device).
constexpr int kTouchBusyTimeoutMs = 50;

constexpr const char *kSchema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE stands (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  place TEXT NOT NULL,
  seq INTEGER NOT NULL);
CREATE INDEX stands_seq ON stands(seq);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  stand_id INTEGER NOT NULL REFERENCES stands(id),
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  variable_weight INTEGER NOT NULL,
  seq INTEGER NOT NULL);
CREATE INDEX products_seq ON products(seq);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  stand_id INTEGER NOT NULL REFERENCES stands(id),
  customer TEXT NOT NULL,
  status TEXT NOT NULL,
  pickup_from INTEGER NOT NULL,
  pickup_until INTEGER NOT NULL,
  paid_cents INTEGER NOT NULL,
  due_cents INTEGER NOT NULL,
  short_code INTEGER NOT NULL UNIQUE,
  key_id INTEGER NOT NULL,
  collected_at_ms INTEGER,
  collected_device TEXT NOT NULL DEFAULT '',
  collected_staff TEXT NOT NULL DEFAULT '',
  collected_event TEXT NOT NULL DEFAULT '',
  cancelled_ms INTEGER,
  refunded INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL UNIQUE);
CREATE TABLE order_lines (
  order_id INTEGER NOT NULL REFERENCES orders(id),
  line_no INTEGER NOT NULL,
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity_milli INTEGER NOT NULL,
  price_cents INTEGER NOT NULL,
  PRIMARY KEY (order_id, line_no)) WITHOUT ROWID;
CREATE TABLE signing_keys (
  key_id INTEGER PRIMARY KEY,
  public_key TEXT NOT NULL,
  secret_key TEXT NOT NULL,
  valid_from_s INTEGER NOT NULL,
  valid_until_s INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  name TEXT NOT NULL,
  enrolled_ms INTEGER NOT NULL,
  revoked_ms INTEGER,
  last_seen_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE device_stands (
  device_id TEXT NOT NULL REFERENCES devices(id),
  stand_id INTEGER NOT NULL REFERENCES stands(id),
  PRIMARY KEY (device_id, stand_id)) WITHOUT ROWID;
CREATE TABLE enrolment_codes (
  code_hash TEXT PRIMARY KEY,
  stands TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER,
  device_id TEXT);
CREATE TABLE events (
  uuid TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  order_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  event_json TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  conflicts TEXT NOT NULL DEFAULT '');
CREATE INDEX events_order ON events(order_id);
CREATE INDEX events_received ON events(received_ms);
)sql";

Error fail(std::string code, std::string detail) {
  return make_error(std::move(code), std::move(detail));
}

// A deferred read transaction: one snapshot for a whole page, so the change sequence and
// the rows read agree even while another process writes.
class ReadTransaction {
 public:
  explicit ReadTransaction(db::Connection &c) : c_(c) { ok_ = c_.exec("BEGIN").ok(); }
  ~ReadTransaction() {
    if (ok_) (void)c_.exec("COMMIT");
  }
  ReadTransaction(const ReadTransaction &) = delete;
  ReadTransaction &operator=(const ReadTransaction &) = delete;
  bool ok() const { return ok_; }

 private:
  db::Connection &c_;
  bool ok_ = false;
};

std::string hex(const unsigned char *data, std::size_t size) {
  return codes::to_hex(data, size);
}

template <std::size_t N>
std::optional<std::array<unsigned char, N>> from_hex_array(const std::string &text) {
  auto bytes = codes::from_hex(text);
  if (!bytes || bytes->size() != N) return std::nullopt;
  std::array<unsigned char, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return hex(digest.data(), size);
}

// The kernel's CSPRNG: codes customers and devices hold must not be guessable.
Result<std::uint64_t> random_u64() {
  std::uint64_t value = 0;
  auto *p = reinterpret_cast<unsigned char *>(&value);
  std::size_t got = 0;
  while (got < sizeof value) {
    const ssize_t n = ::getrandom(p + got, sizeof value - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("database_error", std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  return value;
}

// Lists kept in one text column, "a,b,c": stand ids of a device, conflicts of an event.
template <class T, class ToText>
std::string join_list(const std::vector<T> &items, ToText to_text) {
  std::string out;
  for (const T &item : items) {
    if (!out.empty()) out += ',';
    out += to_text(item);
  }
  return out;
}

// Items that do not parse (parse returns nullopt) are skipped.
template <class T, class Parse>
std::vector<T> split_list(std::string_view text, Parse parse) {
  std::vector<T> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (std::optional<T> item = parse(text.substr(0, comma))) out.push_back(*item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string join_ids(const std::vector<std::int64_t> &ids) {
  return join_list(ids, [](std::int64_t id) { return std::to_string(id); });
}

std::vector<std::int64_t> split_ids(std::string_view text) {
  return split_list<std::int64_t>(text, [](std::string_view part) -> std::optional<std::int64_t> {
    std::int64_t v = 0;
    if (std::from_chars(part.data(), part.data() + part.size(), v).ec != std::errc()) {
      return std::nullopt;
    }
    return v;
  });
}

std::string join_conflicts(const std::vector<wire::Conflict> &conflicts) {
  return join_list(conflicts, [](wire::Conflict c) { return std::string(wire::to_string(c)); });
}

std::vector<wire::Conflict> split_conflicts(std::string_view text) {
  return split_list<wire::Conflict>(text, wire::conflict_from_string);
}

// The event as the protocol writes it (docs/protocol.md, push), for the log.
std::string event_json(const wire::Event &e) {
  nlohmann::json j = {{"uuid", e.uuid},
                      {"order", e.order_id},
                      {"kind", std::string(wire::to_string(e.kind))},
                      {"wall_ms", e.wall_ms}};
  if (!e.lines_handed.empty()) j["handed"] = e.lines_handed;
  if (!e.lines_missing.empty()) j["missing"] = e.lines_missing;
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.undoes.empty()) j["undoes"] = e.undoes;
  if (!e.staff.empty()) j["staff"] = e.staff;
  return j.dump();
}

Result<wire::Event> parse_event_json(const std::string &json) {
  auto request = wire::parse_push_request("{\"events\":[" + json + "]}");
  if (!request) return request.error();
  return std::move(request->events.front());
}

db::Statement prep(db::Connection &c, std::string_view sql) {
  return c.prepare(sql);
}

Error prepare_error(db::Connection &c, std::string_view sql) {
  return c.error("preparing " + std::string(sql.substr(0, 60)));
}

// One query returning one integer (0 when no row).
Result<std::int64_t> scalar(db::Connection &c, std::string_view sql,
                            std::optional<std::int64_t> arg = std::nullopt) {
  db::Statement s = prep(c, sql);
  if (!s.valid()) return prepare_error(c, sql);
  if (arg) s.bind(1, *arg);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return s.int64(0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return c.error();
}

Result<std::int64_t> meta_int(db::Connection &c, std::string_view key) {
  db::Statement s = prep(c, "SELECT value FROM meta WHERE key = ?");
  if (!s.valid()) return prepare_error(c, "meta");
  s.bind(1, key);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return s.int64(0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return c.error();
}

Result<void> set_meta(db::Connection &c, std::string_view key, std::int64_t value) {
  db::Statement s = prep(c, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
  if (!s.valid()) return prepare_error(c, "meta");
  s.bind(1, key).bind(2, value);
  return s.run();
}

Result<void> set_meta(db::Connection &c, std::string_view key, std::string_view value) {
  db::Statement s = prep(c, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
  if (!s.valid()) return prepare_error(c, "meta");
  s.bind(1, key).bind(2, value);
  return s.run();
}

// Hands out change sequence numbers inside one write transaction and stores the last one
// taken when the transaction is about to commit.
class SeqCounter {
 public:
  static Result<SeqCounter> load(db::Connection &c) {
    auto v = meta_int(c, "change_seq");
    if (!v) return v.error();
    return SeqCounter(c, *v);
  }
  std::int64_t next() { return ++seq_; }
  Result<void> save() { return set_meta(c_, "change_seq", seq_); }

 private:
  SeqCounter(db::Connection &c, std::int64_t seq) : c_(c), seq_(seq) {}
  db::Connection &c_;
  std::int64_t seq_;
};

Error begin_error(const db::Transaction &t) {
  return t.begin_error();
}

struct KeyRow {
  codes::PortalKey key;
  codes::SecretKey secret{};
};

Result<std::vector<KeyRow>> load_keys(db::Connection &c) {
  constexpr std::string_view sql =
      "SELECT key_id, public_key, secret_key, valid_from_s, valid_until_s FROM signing_keys "
      "ORDER BY key_id";
  db::Statement s = prep(c, sql);
  if (!s.valid()) return prepare_error(c, sql);
  std::vector<KeyRow> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    KeyRow row;
    row.key.key_id = static_cast<std::uint16_t>(s.int64(0));
    auto pub = from_hex_array<32>(s.text(1));
    auto sec = from_hex_array<64>(s.text(2));
    if (!pub || !sec) {
      return fail("database_corrupt", "signing key " + std::to_string(row.key.key_id) +
                                          " is not stored as hex of the right length");
    }
    row.key.public_key = *pub;
    row.secret = *sec;
    row.key.valid_from_s = s.int64(3);
    row.key.valid_until_s = s.int64(4);
    out.push_back(row);
  }
  if (rc != SQLITE_DONE) return c.error();
  return out;
}

// The newest key valid now: what new tokens are signed with.
const KeyRow *signing_key(const std::vector<KeyRow> &keys, std::int64_t now_s) {
  const KeyRow *best = nullptr;
  for (const auto &k : keys) {
    if (k.key.valid_from_s <= now_s && now_s < k.key.valid_until_s) {
      if (best == nullptr || k.key.key_id > best->key.key_id) best = &k;
    }
  }
  return best;
}

Result<void> insert_key(db::Connection &c, const codes::PortalKey &key,
                        const codes::SecretKey &secret, std::int64_t now_ms) {
  db::Statement s = prep(c,
                         "INSERT INTO signing_keys(key_id, public_key, secret_key, valid_from_s, "
                         "valid_until_s, created_ms) VALUES (?, ?, ?, ?, ?, ?)");
  if (!s.valid()) return prepare_error(c, "signing_keys");
  s.bind(1, static_cast<std::int64_t>(key.key_id))
      .bind(2, hex(key.public_key.data(), key.public_key.size()))
      .bind(3, hex(secret.data(), secret.size()))
      .bind(4, key.valid_from_s)
      .bind(5, key.valid_until_s)
      .bind(6, now_ms);
  return s.run();
}

std::string make_token(const KeyRow &key, std::int64_t order_id, std::int64_t stand_id,
                       std::int64_t pickup_until_s, std::int64_t due_cents) {
  codes::TokenFields f;
  f.key_id = key.key.key_id;
  f.order_id = static_cast<std::uint64_t>(order_id);
  f.stand_id = static_cast<std::uint32_t>(stand_id);
  f.valid_until_day = static_cast<std::uint16_t>(
      std::clamp<std::int64_t>(pickup_until_s >= 0 ? pickup_until_s / kDayS : 0, 0, 0xFFFF));
  f.flags = due_cents == 0 ? codes::kFlagPrepaid : 0;
  return codes::sign_token(f, key.secret);
}

constexpr std::string_view kOrderColumns =
    "id, number, stand_id, customer, status, pickup_from, pickup_until, paid_cents, due_cents, "
    "short_code, collected_at_ms, collected_device, collected_staff, seq, key_id, refunded";

wire::Order read_order(const db::Statement &s) {
  wire::Order o;
  o.id = s.int64(0);
  o.number = s.text(1);
  o.stand_id = s.int64(2);
  o.customer = s.text(3);
  o.status = wire::order_status_from_string(s.text(4)).value_or(wire::OrderStatus::pending);
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

Result<void> load_lines(db::Connection &c, db::Statement &lines, wire::Order &order) {
  db::StatementScope scope(lines);
  lines.bind(1, order.id);
  int rc;
  while ((rc = lines.step()) == SQLITE_ROW) {
    order.lines.push_back(
        wire::OrderLine{lines.integer(0), lines.int64(1), lines.int64(2), lines.int64(3)});
  }
  if (rc != SQLITE_DONE) return c.error();
  return {};
}

constexpr std::string_view kLinesSql =
    "SELECT line_no, product_id, quantity_milli, price_cents FROM order_lines "
    "WHERE order_id = ? ORDER BY line_no";

struct OrderRowExtra {
  std::int64_t seq = 0;
  std::int64_t key_id = 0;
  bool refunded = false;
};

// Finds an order by number (or by id when number is empty).
Result<std::optional<std::pair<wire::Order, OrderRowExtra>>> load_order(db::Connection &c,
                                                                        std::string_view number,
                                                                        std::int64_t id = 0) {
  const std::string sql = "SELECT " + std::string(kOrderColumns) + " FROM orders WHERE " +
                          (number.empty() ? "id = ?" : "number = ?");
  db::Statement s = prep(c, sql);
  if (!s.valid()) return prepare_error(c, sql);
  if (number.empty()) {
    s.bind(1, id);
  } else {
    s.bind(1, number);
  }
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::pair<wire::Order, OrderRowExtra>>{};
  if (rc != SQLITE_ROW) return c.error();
  wire::Order o = read_order(s);
  OrderRowExtra extra{s.int64(13), s.int64(14), s.int64(15) != 0};
  s.reset();
  db::Statement lines = prep(c, kLinesSql);
  if (!lines.valid()) return prepare_error(c, kLinesSql);
  if (auto r = load_lines(c, lines, o); !r) return r.error();
  return std::optional<std::pair<wire::Order, OrderRowExtra>>{std::pair{std::move(o), extra}};
}

std::string unknown_order_detail(std::string_view number) {
  return "no order numbered \"" + std::string(number) + "\"";
}

Result<std::vector<wire::Stand>> load_stands_by_ids(db::Connection &c,
                                                    const std::vector<std::int64_t> &ids) {
  db::Statement s = prep(c, "SELECT id, name, place FROM stands WHERE id = ?");
  if (!s.valid()) return prepare_error(c, "stands");
  std::vector<wire::Stand> out;
  for (auto id : ids) {
    db::StatementScope scope(s);
    s.bind(1, id);
    const int rc = s.step();
    if (rc == SQLITE_ROW) {
      out.push_back(wire::Stand{s.int64(0), s.text(1), s.text(2)});
    } else if (rc != SQLITE_DONE) {
      return c.error();
    }
  }
  return out;
}

Result<std::vector<codes::PortalKey>> public_ring(db::Connection &c) {
  auto keys = load_keys(c);
  if (!keys) return keys.error();
  std::vector<codes::PortalKey> out;
  for (const auto &k : *keys) out.push_back(k.key);
  return out;
}

}  // namespace

// ---- cursors and codes -----------------------------------------------------------------

std::string make_cursor(std::int64_t seq) {
  // Appended, not "s" + ...: GCC 12 -O3 reports a false -Wrestrict on the latter.
  std::string cursor(1, 's');
  cursor += std::to_string(seq);
  return cursor;
}

std::optional<std::int64_t> parse_cursor(std::string_view text) {
  if (text.size() < 2 || text.size() > 20 || text[0] != 's') return std::nullopt;
  const std::string_view digits = text.substr(1);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // only what we gave
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<std::string> clean_enrolment_code(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  auto clean = codes::crockford_clean(text);
  if (!clean || clean->size() != kEnrolmentCodeSymbols) return std::nullopt;
  for (char ch : *clean) {
    if (kCrockford.find(ch) == std::string_view::npos) return std::nullopt;
  }
  return clean;
}

std::string format_enrolment_code(std::string_view code) {
  if (code.size() != kEnrolmentCodeSymbols) return std::string(code);
  return std::string(code.substr(0, 4)) + '-' + std::string(code.substr(4, 4)) + '-' +
         std::string(code.substr(8, 4));
}

// ---- opening ---------------------------------------------------------------------------

Store::Store(db::Connection conn, std::string path)
    : conn_(std::move(conn)), path_(std::move(path)) {}

namespace {

Result<void> configure(db::Connection &c, const std::string &path) {
  // WAL: readers (pulls) never wait for the admin's writes. synchronous FULL: an event the
  // portal acknowledged is on disk, since the appliance then deletes its copy.
  for (const char *pragma :
       {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    if (auto r = c.exec(pragma); !r) {
      return fail(r.error().code, path + ": " + pragma + ": " + r.error().detail);
    }
  }
  sqlite3_busy_timeout(c.handle(), kBusyTimeoutMs);
  return {};
}

}  // namespace

// The identity key lives in meta as two hex values. Made when missing, in a write
// transaction that re-reads first: two processes opening an old portal at once agree.
Result<void> Store::load_identity(bool create_missing) {
  auto read = [this]() -> Result<std::optional<codes::KeyPair>> {
    db::Statement s = prep(conn_,
                           "SELECT (SELECT value FROM meta WHERE key = 'identity_public'), "
                           "(SELECT value FROM meta WHERE key = 'identity_secret')");
    if (!s.valid()) return prepare_error(conn_, "meta");
    if (s.step() != SQLITE_ROW) return conn_.error();
    if (s.is_null(0) || s.is_null(1)) return std::optional<codes::KeyPair>();
    const auto pub = from_hex_array<32>(s.text(0));
    const auto sec = from_hex_array<64>(s.text(1));
    if (!pub || !sec) {
      return fail("database_corrupt", path_ + ": the portal's identity key is damaged");
    }
    return std::optional<codes::KeyPair>(codes::KeyPair{*pub, *sec});
  };
  auto found = read();
  if (!found) return found.error();
  if (!*found) {
    if (!create_missing) return fail("database_corrupt", path_ + ": no identity key");
    db::Transaction t(conn_);
    if (!t.began()) return begin_error(t);
    found = read();
    if (!found) return found.error();
    if (!*found) {
      const codes::KeyPair pair = codes::generate_key_pair();
      if (auto r = set_meta(conn_, "identity_public", hex(pair.public_key.data(), 32)); !r) {
        return r.error();
      }
      if (auto r = set_meta(conn_, "identity_secret", hex(pair.secret_key.data(), 64)); !r) {
        return r.error();
      }
      if (auto r = t.commit(); !r) return r.error();
      found = std::optional<codes::KeyPair>(pair);
    }
  }
  identity_ = **found;
  return {};
}

Result<std::unique_ptr<Store>> Store::create(const std::string &dir, std::string_view name,
                                             std::int64_t now_ms) {
  if (name.empty() || name.size() > wire::kMaxTextBytes) {
    return fail("invalid", "the portal's name must be 1 to 200 bytes");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("not_a_portal", "cannot create the directory " + dir + ": " + ec.message());
  const std::string path = (fs::path(dir) / kDbFileName).string();
  // Created by us with mode 0600 before SQLite opens it: the secret keys live in it, and
  // SQLite gives its -wal and -shm files the database file's mode.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return fail("portal_exists", path + " already exists");
    if (errno == ENOSPC) return fail("disk_full", "cannot create " + path + ": disk full");
    return fail("not_a_portal", "cannot create " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  auto remove_file = [&] {
    std::error_code ignored;
    fs::remove(path, ignored);
    fs::remove(path + "-wal", ignored);
    fs::remove(path + "-shm", ignored);
  };
  auto conn = db::Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!conn) {
    remove_file();
    return conn.error();
  }
  auto result = [&]() -> Result<std::unique_ptr<Store>> {
    if (auto r = configure(*conn, path); !r) return r.error();
    db::Transaction t(*conn);
    if (!t.began()) return t.begin_error();
    if (auto r = conn->exec(kSchema); !r) return r.error();
    if (auto r = conn->exec("PRAGMA application_id = " + std::to_string(kApplicationId)); !r) {
      return r.error();
    }
    if (auto r = conn->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion)); !r) {
      return r.error();
    }
    if (auto r = set_meta(*conn, "name", name); !r) return r.error();
    if (auto r = set_meta(*conn, "created_ms", now_ms); !r) return r.error();
    if (auto r = set_meta(*conn, "next_device", std::int64_t{1}); !r) return r.error();
    // The first signing key: change 1, so a device's first pull carries the ring.
    const codes::KeyPair pair = codes::generate_key_pair();
    codes::PortalKey key;
    key.key_id = 1;
    key.public_key = pair.public_key;
    key.valid_from_s = now_ms / 1000 - kClockToleranceS;
    key.valid_until_s = now_ms / 1000 + kKeyLifetimeS;
    if (auto r = insert_key(*conn, key, pair.secret_key, now_ms); !r) return r.error();
    if (auto r = set_meta(*conn, "ring_seq", std::int64_t{1}); !r) return r.error();
    if (auto r = set_meta(*conn, "change_seq", std::int64_t{1}); !r) return r.error();
    // The identity key: separate from the signing keys, it never rotates.
    const codes::KeyPair identity = codes::generate_key_pair();
    if (auto r = set_meta(*conn, "identity_public", hex(identity.public_key.data(), 32)); !r) {
      return r.error();
    }
    if (auto r = set_meta(*conn, "identity_secret", hex(identity.secret_key.data(), 64)); !r) {
      return r.error();
    }
    if (auto r = t.commit(); !r) return r.error();
    std::unique_ptr<Store> store(new Store(std::move(*conn), path));
    store->identity_ = identity;
    return store;
  }();
  if (!result) {
    *conn = db::Connection();  // closed before its files go
    remove_file();
  }
  return result;
}

Result<std::unique_ptr<Store>> Store::open(const std::string &dir) {
  const std::string path = (fs::path(dir) / kDbFileName).string();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail("not_a_portal", dir + " is not a directory");
  }
  if (::stat(path.c_str(), &st) != 0) {
    return fail("not_a_portal", dir + " holds no portal (no " + std::string(kDbFileName) + ")");
  }
  auto conn = db::Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!conn) return fail("not_a_portal", conn.error().detail);
  // application_id reads 0 from anything SQLite opens that is not ours; garbage fails here.
  auto app = scalar(*conn, "PRAGMA application_id");
  if (!app) return fail("not_a_portal", path + ": " + app.error().detail);
  if (*app != kApplicationId) {
    return fail("not_a_portal", path + " is not a Comptoir portal database");
  }
  auto version = scalar(*conn, "PRAGMA user_version");
  if (!version) return version.error();
  if (*version > kSchemaVersion) {
    return fail("newer_schema", path + " was made by a newer comptoir-portal (schema " +
                                    std::to_string(*version) + ", this one knows " +
                                    std::to_string(kSchemaVersion) + ")");
  }
  if (auto r = configure(*conn, path); !r) return r.error();
  std::unique_ptr<Store> store(new Store(std::move(*conn), path));
  // A portal made before identity keys existed gets one now, once.
  if (auto r = store->load_identity(true); !r) return r.error();
  return store;
}

Result<std::string> Store::portal_name() {
  db::Statement s = prep(conn_, "SELECT value FROM meta WHERE key = 'name'");
  if (!s.valid()) return prepare_error(conn_, "meta");
  const int rc = s.step();
  if (rc == SQLITE_ROW) return s.text(0);
  if (rc == SQLITE_DONE) return std::string();
  return conn_.error();
}

Result<std::int64_t> Store::current_seq() {
  return meta_int(conn_, "change_seq");
}

// ---- admin: stands, products ---------------------------------------------------------

Result<void> Store::add_stand(const wire::Stand &stand) {
  if (auto r = wire::validate(stand, "stand"); !r) return fail("invalid", r.error().detail);
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto exists = scalar(conn_, "SELECT COUNT(*) FROM stands WHERE id = ?", stand.id);
  if (!exists) return exists.error();
  if (*exists > 0) return fail("stand_exists", "stand " + std::to_string(stand.id) + " exists");
  auto seq = SeqCounter::load(conn_);
  if (!seq) return seq.error();
  db::Statement s = prep(conn_, "INSERT INTO stands(id, name, place, seq) VALUES (?, ?, ?, ?)");
  if (!s.valid()) return prepare_error(conn_, "stands");
  s.bind(1, stand.id).bind(2, stand.name).bind(3, stand.place).bind(4, seq->next());
  if (auto r = s.run(); !r) return r.error();
  if (auto r = seq->save(); !r) return r.error();
  return t.commit();
}

Result<void> Store::add_product(const wire::Product &product) {
  if (auto r = wire::validate(product, "product"); !r) return fail("invalid", r.error().detail);
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto stand = scalar(conn_, "SELECT COUNT(*) FROM stands WHERE id = ?", product.stand_id);
  if (!stand) return stand.error();
  if (*stand == 0) {
    return fail("unknown_stand", "stand " + std::to_string(product.stand_id) + " does not exist");
  }
  auto exists = scalar(conn_, "SELECT COUNT(*) FROM products WHERE id = ?", product.id);
  if (!exists) return exists.error();
  if (*exists > 0) {
    return fail("product_exists", "product " + std::to_string(product.id) + " exists");
  }
  auto seq = SeqCounter::load(conn_);
  if (!seq) return seq.error();
  db::Statement s = prep(conn_,
                         "INSERT INTO products(id, stand_id, name, unit, variable_weight, seq) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
  if (!s.valid()) return prepare_error(conn_, "products");
  s.bind(1, product.id)
      .bind(2, product.stand_id)
      .bind(3, product.name)
      .bind(4, product.unit)
      .bind(5, product.variable_weight ? 1 : 0)
      .bind(6, seq->next());
  if (auto r = s.run(); !r) return r.error();
  if (auto r = seq->save(); !r) return r.error();
  return t.commit();
}

// ---- admin: orders -------------------------------------------------------------------

Result<OrderCode> Store::add_order(const NewOrder &order, std::int64_t now_ms) {
  auto codes = import_orders({order}, now_ms, {"order"});
  if (!codes) return codes.error();
  return std::move(codes->front());
}

Result<std::vector<OrderCode>> Store::import_orders(const std::vector<NewOrder> &orders,
                                                    std::int64_t now_ms,
                                                    const std::vector<std::string> &labels) {
  if (orders.empty()) return fail("invalid", "there are no orders to add");
  auto label = [&](std::size_t i) {
    return i < labels.size() ? labels[i] : "orders[" + std::to_string(i) + "]";
  };
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto keys = load_keys(conn_);
  if (!keys) return keys.error();
  const KeyRow *key = signing_key(*keys, now_ms / 1000);
  if (key == nullptr) {
    return fail("no_signing_key", "no signing key is valid now (run `keys rotate`)");
  }
  auto seq = SeqCounter::load(conn_);
  if (!seq) return seq.error();
  auto max_id = scalar(conn_, "SELECT COALESCE(MAX(id), 100000) FROM orders");
  if (!max_id) return max_id.error();
  std::int64_t next_id = *max_id + 1;

  // Lookups prepared once for the whole batch.
  db::Statement stand_q = prep(conn_, "SELECT COUNT(*) FROM stands WHERE id = ?");
  db::Statement product_q = prep(conn_, "SELECT stand_id FROM products WHERE id = ?");
  db::Statement id_q = prep(conn_, "SELECT COUNT(*) FROM orders WHERE id = ?");
  db::Statement number_q = prep(conn_, "SELECT COUNT(*) FROM orders WHERE number = ?");
  db::Statement code_q = prep(conn_, "SELECT COUNT(*) FROM orders WHERE short_code = ?");
  db::Statement insert = prep(conn_,
                              "INSERT INTO orders(id, number, stand_id, customer, status, "
                              "pickup_from, pickup_until, paid_cents, due_cents, short_code, "
                              "key_id, created_ms, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  db::Statement insert_line = prep(conn_,
                                   "INSERT INTO order_lines(order_id, line_no, product_id, "
                                   "quantity_milli, price_cents) VALUES (?,?,?,?,?)");
  for (auto *s : {&stand_q, &product_q, &id_q, &number_q, &code_q, &insert, &insert_line}) {
    if (!s->valid()) return prepare_error(conn_, "orders");
  }
  auto count = [&](db::Statement &s, auto value) -> Result<std::int64_t> {
    db::StatementScope scope(s);
    s.bind(1, value);
    const int rc = s.step();
    if (rc == SQLITE_ROW) return s.int64(0);
    return conn_.error();
  };

  std::vector<OrderCode> out;
  out.reserve(orders.size());
  for (std::size_t i = 0; i < orders.size(); ++i) {
    wire::Order o = orders[i].order;
    const std::string where = label(i);
    if (o.id == 0) {
      while (true) {
        auto taken = count(id_q, next_id);
        if (!taken) return taken.error();
        if (*taken == 0) break;
        ++next_id;
      }
      o.id = next_id++;
    }
    if (o.number.empty()) o.number = "C-" + std::to_string(o.id);
    if (o.status != wire::OrderStatus::pending && o.status != wire::OrderStatus::ready) {
      return fail("invalid", where + ": status: a new order is pending or ready");
    }
    o.collected_at_ms.reset();
    o.collected_device.clear();
    o.collected_staff.clear();
    if (orders[i].short_code) {
      if (*orders[i].short_code > codes::kShortCodeMax) {
        return fail("invalid", where + ": code: more than 50 bits");
      }
      o.short_code = static_cast<std::int64_t>(*orders[i].short_code);
      auto taken = count(code_q, o.short_code);
      if (!taken) return taken.error();
      if (*taken > 0) {
        return fail("order_exists", where + ": code " +
                                        codes::format_short_code(*orders[i].short_code) +
                                        " is another order's");
      }
    } else {
      while (true) {
        auto r = random_u64();
        if (!r) return r.error();
        o.short_code = static_cast<std::int64_t>(*r & codes::kShortCodeMax);
        auto taken = count(code_q, o.short_code);
        if (!taken) return taken.error();
        if (*taken == 0) break;
      }
    }
    if (auto r = wire::validate(o, where); !r) return fail("invalid", r.error().detail);
    if (o.lines.empty()) return fail("invalid", where + ": lines: an order has at least one line");
    auto stand = count(stand_q, o.stand_id);
    if (!stand) return stand.error();
    if (*stand == 0) {
      return fail("unknown_stand",
                  where + ": stand: stand " + std::to_string(o.stand_id) + " does not exist");
    }
    auto id_taken = count(id_q, o.id);
    if (!id_taken) return id_taken.error();
    if (*id_taken > 0) {
      return fail("order_exists", where + ": id: order " + std::to_string(o.id) + " exists");
    }
    auto number_taken = count(number_q, o.number);
    if (!number_taken) return number_taken.error();
    if (*number_taken > 0) {
      return fail("order_exists",
                  where + ": number: an order numbered \"" + o.number + "\" exists");
    }
    for (std::size_t l = 0; l < o.lines.size(); ++l) {
      const auto &line = o.lines[l];
      db::StatementScope scope(product_q);
      product_q.bind(1, line.product_id);
      const int rc = product_q.step();
      if (rc == SQLITE_DONE) {
        return fail("unknown_product", where + ": lines[" + std::to_string(l) + "]: product " +
                                           std::to_string(line.product_id) + " does not exist");
      }
      if (rc != SQLITE_ROW) return conn_.error();
      if (product_q.int64(0) != o.stand_id) {
        return fail("unknown_product", where + ": lines[" + std::to_string(l) + "]: product " +
                                           std::to_string(line.product_id) + " is sold by stand " +
                                           std::to_string(product_q.int64(0)) + ", not by stand " +
                                           std::to_string(o.stand_id));
      }
    }
    insert.bind(1, o.id)
        .bind(2, o.number)
        .bind(3, o.stand_id)
        .bind(4, o.customer)
        .bind(5, wire::to_string(o.status))
        .bind(6, o.pickup_from)
        .bind(7, o.pickup_until)
        .bind(8, o.paid_cents)
        .bind(9, o.due_cents)
        .bind(10, o.short_code)
        .bind(11, static_cast<std::int64_t>(key->key.key_id))
        .bind(12, now_ms)
        .bind(13, seq->next());
    if (auto r = insert.run(); !r) return fail(r.error().code, where + ": " + r.error().detail);
    for (const auto &line : o.lines) {
      insert_line.bind(1, o.id)
          .bind(2, line.line_no)
          .bind(3, line.product_id)
          .bind(4, line.quantity_milli)
          .bind(5, line.price_cents);
      if (auto r = insert_line.run(); !r) {
        return fail(r.error().code, where + ": " + r.error().detail);
      }
    }
    OrderCode code;
    code.order_id = o.id;
    code.number = o.number;
    code.short_code = codes::format_short_code(static_cast<std::uint64_t>(o.short_code));
    code.token = make_token(*key, o.id, o.stand_id, o.pickup_until, o.due_cents);
    code.key_id = key->key.key_id;
    if (code.token.empty()) return fail("invalid", where + ": cannot be signed (id too big?)");
    out.push_back(std::move(code));
  }
  if (auto r = seq->save(); !r) return r.error();
  if (auto r = t.commit(); !r) return r.error();
  return out;
}

Result<wire::Order> Store::find_order(std::string_view number) {
  auto o = load_order(conn_, number);
  if (!o) return o.error();
  if (!*o) return fail("unknown_order", unknown_order_detail(number));
  return std::move((*o)->first);
}

Result<wire::Order> Store::cancel_order(std::string_view number, bool refunded,
                                        std::int64_t now_ms) {
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto found = load_order(conn_, number);
  if (!found) return found.error();
  if (!*found) return fail("unknown_order", unknown_order_detail(number));
  auto &[order, extra] = **found;
  if (order.status == wire::OrderStatus::collected) {
    return fail(
        "order_collected",
        "order " + order.number + " was collected" +
            (order.collected_device.empty() ? std::string() : " by " + order.collected_device));
  }
  if (order.status == wire::OrderStatus::cancelled && (!refunded || extra.refunded)) {
    return fail("order_cancelled", "order " + order.number + " is already cancelled" +
                                       (extra.refunded ? " and refunded" : ""));
  }
  auto seq = SeqCounter::load(conn_);
  if (!seq) return seq.error();
  db::Statement s = prep(conn_,
                         "UPDATE orders SET status = 'cancelled', cancelled_ms = "
                         "COALESCE(cancelled_ms, ?), refunded = ?, seq = ? WHERE id = ?");
  if (!s.valid()) return prepare_error(conn_, "orders");
  s.bind(1, now_ms).bind(2, refunded ? 1 : 0).bind(3, seq->next()).bind(4, order.id);
  if (auto r = s.run(); !r) return r.error();
  if (auto r = seq->save(); !r) return r.error();
  if (auto r = t.commit(); !r) return r.error();
  order.status = wire::OrderStatus::cancelled;
  return std::move(order);
}

Result<OrderCode> Store::order_code(std::string_view number, std::int64_t now_ms) {
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto found = load_order(conn_, number);
  if (!found) return found.error();
  if (!*found) return fail("unknown_order", unknown_order_detail(number));
  const auto &[order, extra] = **found;
  auto keys = load_keys(conn_);
  if (!keys) return keys.error();
  const std::int64_t now_s = now_ms / 1000;
  const KeyRow *key = nullptr;
  for (const auto &k : *keys) {
    if (k.key.key_id == extra.key_id && k.key.valid_from_s <= now_s &&
        now_s < k.key.valid_until_s) {
      key = &k;
    }
  }
  if (key == nullptr) {
    key = signing_key(*keys, now_s);
    if (key == nullptr) {
      return fail("no_signing_key", "no signing key is valid now (run `keys rotate`)");
    }
    // Re-signed with a newer key: the rotation that retires it must know.
    db::Statement s = prep(conn_, "UPDATE orders SET key_id = ? WHERE id = ?");
    if (!s.valid()) return prepare_error(conn_, "orders");
    s.bind(1, static_cast<std::int64_t>(key->key.key_id)).bind(2, order.id);
    if (auto r = s.run(); !r) return r.error();
  }
  OrderCode code;
  code.order_id = order.id;
  code.number = order.number;
  code.short_code = codes::format_short_code(static_cast<std::uint64_t>(order.short_code));
  code.token = make_token(*key, order.id, order.stand_id, order.pickup_until, order.due_cents);
  code.key_id = key->key.key_id;
  if (auto r = t.commit(); !r) return r.error();
  return code;
}

// ---- admin: keys -----------------------------------------------------------------------

Result<codes::PortalKey> Store::rotate_keys(std::int64_t now_ms) {
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto keys = load_keys(conn_);
  if (!keys) return keys.error();
  const std::int64_t now_s = now_ms / 1000;
  std::uint16_t newest = 0;
  for (const auto &k : *keys) newest = std::max(newest, k.key.key_id);
  if (newest == 0xFFFF) return fail("key_ids_exhausted", "key id 65535 is the last one");
  if (newest > 0) {
    // The previous key signs nothing new; it stays valid for the tokens it signed.
    auto last_day =
        scalar(conn_, "SELECT COALESCE(MAX(pickup_until), 0) FROM orders WHERE key_id = ?",
               std::int64_t{newest});
    if (!last_day) return last_day.error();
    const std::int64_t until = std::max(*last_day + kDayS, now_s + kDayS);
    db::Statement s = prep(conn_, "UPDATE signing_keys SET valid_until_s = ? WHERE key_id = ?");
    if (!s.valid()) return prepare_error(conn_, "signing_keys");
    s.bind(1, until).bind(2, std::int64_t{newest});
    if (auto r = s.run(); !r) return r.error();
  }
  const codes::KeyPair pair = codes::generate_key_pair();
  codes::PortalKey key;
  key.key_id = static_cast<std::uint16_t>(newest + 1);
  key.public_key = pair.public_key;
  // A few minutes back: an appliance whose clock lags accepts tokens signed just now.
  key.valid_from_s = now_s - kClockToleranceS;
  key.valid_until_s = now_s + kKeyLifetimeS;
  if (auto r = insert_key(conn_, key, pair.secret_key, now_ms); !r) return r.error();
  auto seq = SeqCounter::load(conn_);
  if (!seq) return seq.error();
  if (auto r = set_meta(conn_, "ring_seq", seq->next()); !r) return r.error();
  if (auto r = seq->save(); !r) return r.error();
  if (auto r = t.commit(); !r) return r.error();
  return key;
}

Result<std::vector<KeyInfo>> Store::keys(std::int64_t now_ms) {
  auto keys = load_keys(conn_);
  if (!keys) return keys.error();
  const KeyRow *signing = signing_key(*keys, now_ms / 1000);
  std::vector<KeyInfo> out;
  db::Statement count = prep(conn_, "SELECT COUNT(*) FROM orders WHERE key_id = ?");
  if (!count.valid()) return prepare_error(conn_, "orders");
  for (const auto &k : *keys) {
    KeyInfo info;
    info.key = k.key;
    info.signing = signing != nullptr && signing->key.key_id == k.key.key_id;
    db::StatementScope scope(count);
    count.bind(1, std::int64_t{k.key.key_id});
    if (count.step() != SQLITE_ROW) return conn_.error();
    info.orders_signed = count.int64(0);
    out.push_back(info);
  }
  return out;
}

// ---- admin: devices and enrolment ------------------------------------------------------

Result<std::string> Store::make_enrolment_code(const std::vector<std::int64_t> &stands,
                                               std::int64_t now_ms,
                                               std::optional<std::int64_t> expires_ms) {
  if (expires_ms && *expires_ms <= now_ms) {
    return fail("invalid", "an enrolment code must expire after it is made");
  }
  if (stands.empty()) return fail("invalid", "an enrolment code is for one stand or more");
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  for (auto id : stands) {
    auto n = scalar(conn_, "SELECT COUNT(*) FROM stands WHERE id = ?", id);
    if (!n) return n.error();
    if (*n == 0) return fail("unknown_stand", "stand " + std::to_string(id) + " does not exist");
  }
  // 60 random bits, 12 symbols; stored hashed: the database alone cannot enrol a device.
  auto r = random_u64();
  if (!r) return r.error();
  std::string code(kEnrolmentCodeSymbols, '0');
  std::uint64_t bits = *r;
  for (auto &ch : code) {
    ch = kCrockford[bits & 31];
    bits >>= 5;
  }
  db::Statement s = prep(conn_,
                         "INSERT INTO enrolment_codes(code_hash, stands, created_ms, expires_ms) "
                         "VALUES (?, ?, ?, ?)");
  if (!s.valid()) return prepare_error(conn_, "enrolment_codes");
  s.bind(1, sha256_hex(code))
      .bind(2, join_ids(stands))
      .bind(3, now_ms)
      .bind(4, expires_ms.value_or(now_ms + kEnrolmentCodeLifetimeMs));
  if (auto ins = s.run(); !ins) return ins.error();
  if (auto c = t.commit(); !c) return c.error();
  return code;
}

namespace {

Result<std::vector<Device>> load_devices(db::Connection &c, std::optional<std::string_view> id) {
  std::string sql =
      "SELECT id, public_key, name, enrolled_ms, revoked_ms, last_seen_ms FROM devices";
  sql += id ? " WHERE id = ?" : " ORDER BY enrolled_ms, id";
  db::Statement s = prep(c, sql);
  if (!s.valid()) return prepare_error(c, sql);
  if (id) s.bind(1, *id);
  std::vector<Device> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    Device d;
    d.id = s.text(0);
    auto key = from_hex_array<32>(s.text(1));
    if (!key) return fail("database_corrupt", "device " + d.id + ": bad public key");
    d.public_key = *key;
    d.name = s.text(2);
    d.enrolled_ms = s.int64(3);
    if (!s.is_null(4)) d.revoked_ms = s.int64(4);
    d.last_seen_ms = s.int64(5);
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) return c.error();
  s.reset();
  db::Statement st =
      prep(c, "SELECT stand_id FROM device_stands WHERE device_id = ? ORDER BY stand_id");
  if (!st.valid()) return prepare_error(c, "device_stands");
  for (auto &d : out) {
    db::StatementScope scope(st);
    st.bind(1, d.id);
    while ((rc = st.step()) == SQLITE_ROW) d.stands.push_back(st.int64(0));
    if (rc != SQLITE_DONE) return c.error();
  }
  return out;
}

}  // namespace

Result<std::vector<Device>> Store::devices() {
  return load_devices(conn_, std::nullopt);
}

Result<Device> Store::find_device(std::string_view id) {
  auto found = load_devices(conn_, id);
  if (!found) return found.error();
  if (found->empty()) return fail("unknown_device", "no device " + std::string(id));
  return std::move(found->front());
}

Result<void> Store::revoke_device(std::string_view id, std::int64_t now_ms) {
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  db::Statement s =
      prep(conn_, "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, ?) WHERE id = ?");
  if (!s.valid()) return prepare_error(conn_, "devices");
  s.bind(1, now_ms).bind(2, id);
  if (auto r = s.run(); !r) return r.error();
  if (conn_.changes() == 0) return fail("unknown_device", "no device " + std::string(id));
  return t.commit();
}

namespace {

// A busy timeout for one statement, the usual one back after it.
class ShortBusyTimeout {
 public:
  ShortBusyTimeout(db::Connection &c, int ms) : c_(c) { sqlite3_busy_timeout(c_.handle(), ms); }
  ~ShortBusyTimeout() { sqlite3_busy_timeout(c_.handle(), kBusyTimeoutMs); }
  ShortBusyTimeout(const ShortBusyTimeout &) = delete;
  ShortBusyTimeout &operator=(const ShortBusyTimeout &) = delete;

 private:
  db::Connection &c_;
};

}  // namespace

Result<void> Store::touch_device(std::string_view id, std::int64_t now_ms) {
  db::Statement s = prep(conn_, "UPDATE devices SET last_seen_ms = ? WHERE id = ?");
  if (!s.valid()) return prepare_error(conn_, "devices");
  s.bind(1, now_ms).bind(2, id);
  // The server runs this under its store lock on every request: waiting the full busy
  // timeout behind an admin import would stall every appliance for nothing. A missed
  // last-seen time is harmless (the next request writes it), so give up quickly.
  ShortBusyTimeout quick(conn_, kTouchBusyTimeoutMs);
  auto r = s.run();
  if (!r && (conn_.last_error_code() & 0xFF) == SQLITE_BUSY) return {};
  return r;
}

Result<wire::EnrolResponse> Store::enrol(const wire::EnrolRequest &request, std::int64_t now_ms) {
  const auto code = clean_enrolment_code(request.code);
  if (!code) return fail("not_found", "no such enrolment code");
  const std::string hash = sha256_hex(*code);
  // A plain read first: a wrong or guessed code must not take the write lock (it would wait
  // behind an admin import, and make everyone else wait). The code is read again inside
  // the transaction, which alone decides whether it is still unused.
  {
    db::Statement known = prep(conn_, "SELECT 1 FROM enrolment_codes WHERE code_hash = ?");
    if (!known.valid()) return prepare_error(conn_, "enrolment_codes");
    known.bind(1, hash);
    const int rc = known.step();
    if (rc == SQLITE_DONE) return fail("not_found", "no such enrolment code");
    if (rc != SQLITE_ROW) return conn_.error();
  }
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  db::Statement s = prep(conn_,
                         "SELECT c.stands, c.expires_ms, c.used_ms, c.device_id, d.public_key, "
                         "d.revoked_ms FROM enrolment_codes c LEFT JOIN devices d "
                         "ON d.id = c.device_id WHERE c.code_hash = ?");
  if (!s.valid()) return prepare_error(conn_, "enrolment_codes");
  s.bind(1, hash);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return fail("not_found", "no such enrolment code");
  if (rc != SQLITE_ROW) return conn_.error();
  const std::vector<std::int64_t> stand_ids = split_ids(s.text(0));
  const std::int64_t expires_ms = s.int64(1);
  const bool used = !s.is_null(2);
  const std::string device_key = hex(request.device_key.data(), request.device_key.size());
  // The device the code enrolled asking again with the same key, while the code is valid:
  // its first answer was lost (an appliance finishing an offline bundle's enrolment keeps
  // its key pair for that). It gets the same grant; anyone else gets code_used.
  const bool replay = used && !s.is_null(3) && !s.is_null(4) && s.text(4) == device_key &&
                      s.is_null(5) && now_ms < expires_ms;
  wire::EnrolResponse out;
  if (replay) out.device_id = s.text(3);
  s.reset();
  if (used && !replay) return fail("code_used", "this enrolment code was used already");
  if (now_ms >= expires_ms) return fail("code_expired", "this enrolment code has expired");

  if (!replay) {
    auto next = meta_int(conn_, "next_device");
    if (!next) return next.error();
    out.device_id = "dev-" + std::to_string(*next);
    if (auto r = set_meta(conn_, "next_device", *next + 1); !r) return r.error();
    db::Statement dev = prep(conn_,
                             "INSERT INTO devices(id, public_key, name, enrolled_ms) "
                             "VALUES (?, ?, ?, ?)");
    if (!dev.valid()) return prepare_error(conn_, "devices");
    dev.bind(1, out.device_id).bind(2, device_key).bind(3, request.name).bind(4, now_ms);
    if (auto r = dev.run(); !r) return r.error();
    db::Statement ds = prep(conn_, "INSERT INTO device_stands(device_id, stand_id) VALUES (?, ?)");
    if (!ds.valid()) return prepare_error(conn_, "device_stands");
    for (auto id : stand_ids) {
      ds.bind(1, out.device_id).bind(2, id);
      if (auto r = ds.run(); !r) return r.error();
    }
    db::Statement mark = prep(conn_,
                              "UPDATE enrolment_codes SET used_ms = ?, device_id = ? "
                              "WHERE code_hash = ?");
    if (!mark.valid()) return prepare_error(conn_, "enrolment_codes");
    mark.bind(1, now_ms).bind(2, out.device_id).bind(3, hash);
    if (auto r = mark.run(); !r) return r.error();
  }

  auto name = portal_name();
  if (!name) return name.error();
  out.portal_name = *name;
  auto stands = load_stands_by_ids(conn_, stand_ids);
  if (!stands) return stands.error();
  out.stands = std::move(*stands);
  auto ring = public_ring(conn_);
  if (!ring) return ring.error();
  out.keys = std::move(*ring);
  out.portal_time_ms = now_ms;
  out.portal_key = identity_.public_key;
  if (auto r = t.commit(); !r) return r.error();
  return out;
}

// ---- pull ------------------------------------------------------------------------------

Result<wire::ChangesPage> Store::changes(const Device &device, std::string_view cursor,
                                         std::size_t limit, std::int64_t now_ms) {
  limit = std::clamp<std::size_t>(limit, 1, wire::kMaxPageOrders);
  std::int64_t after = 0;
  if (!cursor.empty()) {
    const auto parsed = parse_cursor(cursor);
    if (!parsed) return fail("cursor_expired", "this portal never gave that cursor");
    after = *parsed;
  }
  ReadTransaction read(conn_);
  if (!read.ok()) return conn_.error("BEGIN");
  auto current = meta_int(conn_, "change_seq");
  if (!current) return current.error();
  if (after > *current) return fail("cursor_expired", "the cursor is ahead of this portal");
  auto ring_seq = meta_int(conn_, "ring_seq");
  if (!ring_seq) return ring_seq.error();
  const std::set<std::int64_t> served(device.stands.begin(), device.stands.end());

  wire::ChangesPage page;
  page.portal_time_ms = now_ms;
  const std::string orders_sql =
      "SELECT " + std::string(kOrderColumns) + " FROM orders WHERE seq > ? ORDER BY seq LIMIT ?";
  db::Statement orders = prep(conn_, orders_sql);
  db::Statement lines = prep(conn_, kLinesSql);
  if (!orders.valid() || !lines.valid()) return prepare_error(conn_, orders_sql);
  orders.bind(1, after).bind(2, static_cast<std::int64_t>(limit + 1));
  std::int64_t last_seq = after;
  int rc;
  while ((rc = orders.step()) == SQLITE_ROW) {
    if (page.orders.size() == limit) {
      page.more = true;
      break;
    }
    wire::Order o = read_order(orders);
    last_seq = orders.int64(13);
    if (served.count(o.stand_id) == 0) {
      // A stub: enough to send the customer to the right stand, nothing personal.
      o.customer.clear();
      o.paid_cents = 0;
      o.due_cents = 0;
      o.collected_device.clear();
      o.collected_staff.clear();
    }
    page.orders.push_back(std::move(o));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return conn_.error();
  orders.reset();
  for (auto &o : page.orders) {
    if (served.count(o.stand_id) == 0) continue;
    if (auto r = load_lines(conn_, lines, o); !r) return r.error();
  }
  const std::int64_t upto = page.more ? last_seq : *current;
  page.cursor = make_cursor(upto);
  // For the appliance's progress bar: one count over the seq index, in the same snapshot.
  if (page.more) {
    auto left = scalar(conn_, "SELECT COUNT(*) FROM orders WHERE seq > ?", upto);
    if (!left) return left.error();
    page.remaining = *left;
  } else {
    page.remaining = 0;
  }

  // Stands and products changed in (after, upto], then those the page's orders use that
  // changed after it (they would otherwise come only in a later page): a page is always
  // complete on its own. Products only of the stands this device serves.
  std::set<std::int64_t> stand_ids, product_ids;
  {
    db::Statement s =
        prep(conn_, "SELECT id, name, place FROM stands WHERE seq > ? AND seq <= ? ORDER BY seq");
    if (!s.valid()) return prepare_error(conn_, "stands");
    s.bind(1, after).bind(2, upto);
    while ((rc = s.step()) == SQLITE_ROW) {
      page.stands.push_back(wire::Stand{s.int64(0), s.text(1), s.text(2)});
      stand_ids.insert(s.int64(0));
    }
    if (rc != SQLITE_DONE) return conn_.error();
  }
  {
    db::Statement s = prep(conn_,
                           "SELECT id, stand_id, name, unit, variable_weight FROM products "
                           "WHERE seq > ? AND seq <= ? ORDER BY seq");
    if (!s.valid()) return prepare_error(conn_, "products");
    s.bind(1, after).bind(2, upto);
    while ((rc = s.step()) == SQLITE_ROW) {
      if (served.count(s.int64(1)) == 0) continue;
      page.products.push_back(
          wire::Product{s.int64(0), s.int64(1), s.text(2), s.text(3), s.int64(4) != 0});
      product_ids.insert(s.int64(0));
    }
    if (rc != SQLITE_DONE) return conn_.error();
  }
  {
    db::Statement st = prep(conn_, "SELECT id, name, place, seq FROM stands WHERE id = ?");
    db::Statement pr = prep(conn_,
                            "SELECT id, stand_id, name, unit, variable_weight, seq FROM products "
                            "WHERE id = ?");
    if (!st.valid() || !pr.valid()) return prepare_error(conn_, "stands");
    for (const auto &o : page.orders) {
      if (stand_ids.insert(o.stand_id).second) {
        db::StatementScope scope(st);
        st.bind(1, o.stand_id);
        if (st.step() == SQLITE_ROW && st.int64(3) > upto) {
          page.stands.push_back(wire::Stand{st.int64(0), st.text(1), st.text(2)});
        }
      }
      for (const auto &line : o.lines) {
        if (!product_ids.insert(line.product_id).second) continue;
        db::StatementScope scope(pr);
        pr.bind(1, line.product_id);
        if (pr.step() == SQLITE_ROW && pr.int64(5) > upto) {
          page.products.push_back(
              wire::Product{pr.int64(0), pr.int64(1), pr.text(2), pr.text(3), pr.int64(4) != 0});
        }
      }
    }
  }
  // The whole ring on every page that starts before the ring's latest change, not only on
  // the page whose range holds it: with two rotations far apart, the orders of an earlier
  // page may be signed with the first new key, and the device must hold it by then. Only
  // the latest change is recorded, so any page before it may need any key; the ring is a
  // few keys, cheap to repeat.
  if (*ring_seq > after) {
    auto ring = public_ring(conn_);
    if (!ring) return ring.error();
    page.keys = std::move(*ring);
  }
  return page;
}

Result<wire::ChangesPage> Store::snapshot(const std::vector<std::int64_t> &stands,
                                          std::int64_t now_ms) {
  if (stands.empty()) return fail("invalid", "a snapshot is for one stand or more");
  for (auto id : stands) {
    auto n = scalar(conn_, "SELECT COUNT(*) FROM stands WHERE id = ?", id);
    if (!n) return n.error();
    if (*n == 0) return fail("unknown_stand", "stand " + std::to_string(id) + " does not exist");
  }
  Device device;
  device.id = "bundle";
  device.stands = stands;
  wire::ChangesPage whole;
  std::map<std::int64_t, std::size_t> stand_at, product_at, order_at;
  // A row changed between two pages comes again in a later one: the later version wins.
  auto merge = [](auto &into, auto &index, auto &&items) {
    for (auto &item : items) {
      const auto [it, fresh] = index.emplace(item.id, into.size());
      if (fresh) {
        into.push_back(std::move(item));
      } else {
        into[it->second] = std::move(item);
      }
    }
  };
  std::string cursor;
  for (;;) {
    auto page = changes(device, cursor, wire::kMaxPageOrders, now_ms);
    if (!page) return page.error();
    merge(whole.stands, stand_at, page->stands);
    merge(whole.products, product_at, page->products);
    merge(whole.orders, order_at, page->orders);
    if (page->keys) whole.keys = std::move(page->keys);
    whole.cursor = page->cursor;
    whole.portal_time_ms = page->portal_time_ms;
    if (!page->more) break;
    cursor = page->cursor;
  }
  // A device enrolled from the empty cursor always gets the ring; so does the snapshot.
  if (!whole.keys) {
    auto ring = public_ring(conn_);
    if (!ring) return ring.error();
    whole.keys = std::move(*ring);
  }
  whole.more = false;
  whole.remaining.reset();
  return whole;
}

// ---- push ------------------------------------------------------------------------------

Result<wire::PushResponse> Store::push(const Device &device, const wire::PushRequest &request,
                                       std::int64_t now_ms) {
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto seq = SeqCounter::load(conn_);
  if (!seq) return seq.error();
  db::Statement seen = prep(conn_, "SELECT conflicts FROM events WHERE uuid = ?");
  db::Statement order_q = prep(conn_,
                               "SELECT stand_id, status, refunded, collected_device, "
                               "collected_event FROM orders WHERE id = ?");
  db::Statement insert = prep(conn_,
                              "INSERT INTO events(uuid, device_id, order_id, kind, event_json, "
                              "wall_ms, received_ms, conflicts) VALUES (?,?,?,?,?,?,?,?)");
  db::Statement collect = prep(conn_,
                               "UPDATE orders SET status = 'collected', collected_at_ms = ?, "
                               "collected_device = ?, collected_staff = ?, collected_event = ?, "
                               "seq = ? WHERE id = ?");
  db::Statement uncollect = prep(conn_,
                                 "UPDATE orders SET status = 'ready', collected_at_ms = NULL, "
                                 "collected_device = '', collected_staff = '', "
                                 "collected_event = '', seq = ? WHERE id = ?");
  for (auto *s : {&seen, &order_q, &insert, &collect, &uncollect}) {
    if (!s->valid()) return prepare_error(conn_, "events");
  }
  const std::set<std::int64_t> served(device.stands.begin(), device.stands.end());
  bool changed = false;
  wire::PushResponse out;
  out.portal_time_ms = now_ms;
  for (const auto &e : request.events) {
    wire::EventAck ack;
    ack.uuid = e.uuid;
    {
      db::StatementScope scope(seen);
      seen.bind(1, e.uuid);
      const int rc = seen.step();
      if (rc == SQLITE_ROW) {
        // A retry: acknowledged again with what was flagged the first time; nothing changes.
        ack.duplicate = true;
        ack.conflicts = split_conflicts(seen.text(0));
        out.acks.push_back(std::move(ack));
        continue;
      }
      if (rc != SQLITE_DONE) return conn_.error();
    }
    struct {
      bool found = false;
      std::int64_t stand = 0;
      std::string status, collected_device, collected_event;
      bool refunded = false;
    } order;
    {
      db::StatementScope scope(order_q);
      order_q.bind(1, e.order_id);
      const int rc = order_q.step();
      if (rc == SQLITE_ROW) {
        order.found = true;
        order.stand = order_q.int64(0);
        order.status = order_q.text(1);
        order.refunded = order_q.int64(2) != 0;
        order.collected_device = order_q.text(3);
        order.collected_event = order_q.text(4);
      } else if (rc != SQLITE_DONE) {
        return conn_.error();
      }
    }
    const bool handover = e.kind == wire::EventKind::full || e.kind == wire::EventKind::partial;
    if (!order.found) {
      ack.conflicts.push_back(wire::Conflict::unknown_order);
    } else {
      if (served.count(order.stand) == 0) ack.conflicts.push_back(wire::Conflict::other_stand);
      if (handover && order.status == "cancelled") {
        ack.conflicts.push_back(wire::Conflict::cancelled);
        if (order.refunded) ack.conflicts.push_back(wire::Conflict::refunded);
      }
      if (handover && order.status == "collected" && order.collected_device != device.id) {
        ack.conflicts.push_back(wire::Conflict::collected_elsewhere);
      }
    }
    insert.bind(1, e.uuid)
        .bind(2, device.id)
        .bind(3, e.order_id)
        .bind(4, wire::to_string(e.kind))
        .bind(5, event_json(e))
        .bind(6, e.wall_ms)
        .bind(7, now_ms)
        .bind(8, join_conflicts(ack.conflicts));
    if (auto r = insert.run(); !r) return r.error();
    if (order.found && handover && ack.conflicts.empty() && order.status != "collected") {
      collect.bind(1, e.wall_ms)
          .bind(2, device.id)
          .bind(3, e.staff)
          .bind(4, e.uuid)
          .bind(5, seq->next())
          .bind(6, e.order_id);
      if (auto r = collect.run(); !r) return r.error();
      changed = true;
    } else if (order.found && e.kind == wire::EventKind::undo && order.status == "collected" &&
               !order.collected_event.empty() && e.undoes == order.collected_event) {
      uncollect.bind(1, seq->next()).bind(2, e.order_id);
      if (auto r = uncollect.run(); !r) return r.error();
      changed = true;
    }
    out.acks.push_back(std::move(ack));
  }
  if (changed) {
    if (auto r = seq->save(); !r) return r.error();
  }
  if (auto r = t.commit(); !r) return r.error();
  return out;
}

// ---- the event log -----------------------------------------------------------------------

Result<std::vector<StoredEvent>> Store::events(std::optional<std::int64_t> order_id,
                                               bool conflicts_only, std::size_t limit) {
  std::string sql =
      "SELECT e.event_json, e.device_id, COALESCE(o.number, ''), e.received_ms, e.conflicts "
      "FROM events e LEFT JOIN orders o ON o.id = e.order_id WHERE 1";
  if (order_id) sql += " AND e.order_id = ?1";
  if (conflicts_only) sql += " AND e.conflicts <> ''";
  sql += " ORDER BY e.received_ms DESC, e.wall_ms DESC, e.rowid DESC LIMIT ?2";
  db::Statement s = prep(conn_, sql);
  if (!s.valid()) return prepare_error(conn_, sql);
  if (order_id) s.bind(1, *order_id);
  s.bind(2, static_cast<std::int64_t>(limit));
  std::vector<StoredEvent> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto event = parse_event_json(s.text(0));
    if (!event) return fail("database_corrupt", "event log: " + event.error().detail);
    StoredEvent stored;
    stored.event = std::move(*event);
    stored.device_id = s.text(1);
    stored.order_number = s.text(2);
    stored.received_ms = s.int64(3);
    stored.conflicts = split_conflicts(s.text(4));
    out.push_back(std::move(stored));
  }
  if (rc != SQLITE_DONE) return conn_.error();
  return out;
}

// ---- the demo region -------------------------------------------------------------------

Result<DemoSummary> Store::store_demo(const sync::DemoRegion &region, std::int64_t now_ms) {
  db::Transaction t(conn_);
  if (!t.began()) return begin_error(t);
  auto used = scalar(conn_, "SELECT (SELECT COUNT(*) FROM stands) + (SELECT COUNT(*) FROM orders)");
  if (!used) return used.error();
  if (*used > 0) return fail("portal_exists", "the demo needs a portal that holds nothing yet");
  auto seq = SeqCounter::load(conn_);
  if (!seq) return seq.error();

  // The demo's key replaces the random first key: the demo's tokens are signed with it.
  if (auto r = conn_.exec("DELETE FROM signing_keys"); !r) return r.error();
  codes::PortalKey key = region.portal_public;
  key.key_id = region.key_id;
  if (auto r = insert_key(conn_, key, region.portal_key.secret_key, now_ms); !r) return r.error();
  if (auto r = set_meta(conn_, "ring_seq", seq->next()); !r) return r.error();

  DemoSummary summary;
  db::Statement stand = prep(conn_, "INSERT INTO stands(id, name, place, seq) VALUES (?,?,?,?)");
  db::Statement product = prep(conn_,
                               "INSERT INTO products(id, stand_id, name, unit, variable_weight, "
                               "seq) VALUES (?,?,?,?,?,?)");
  db::Statement order = prep(conn_,
                             "INSERT INTO orders(id, number, stand_id, customer, status, "
                             "pickup_from, pickup_until, paid_cents, due_cents, short_code, "
                             "key_id, collected_at_ms, collected_device, collected_staff, "
                             "cancelled_ms, created_ms, seq) VALUES "
                             "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  db::Statement line = prep(conn_,
                            "INSERT INTO order_lines(order_id, line_no, product_id, "
                            "quantity_milli, price_cents) VALUES (?,?,?,?,?)");
  for (auto *s : {&stand, &product, &order, &line}) {
    if (!s->valid()) return prepare_error(conn_, "demo");
  }
  for (const auto &s : region.stands) {
    if (auto r = wire::validate(s, "demo stand"); !r) return fail("invalid", r.error().detail);
    stand.bind(1, s.id).bind(2, s.name).bind(3, s.place).bind(4, seq->next());
    if (auto r = stand.run(); !r) return r.error();
    ++summary.stands;
  }
  for (const auto &p : region.products) {
    if (auto r = wire::validate(p, "demo product"); !r) return fail("invalid", r.error().detail);
    product.bind(1, p.id)
        .bind(2, p.stand_id)
        .bind(3, p.name)
        .bind(4, p.unit)
        .bind(5, p.variable_weight ? 1 : 0)
        .bind(6, seq->next());
    if (auto r = product.run(); !r) return r.error();
    ++summary.products;
  }
  for (const auto &o : region.orders) {
    if (auto r = wire::validate(o, "demo order"); !r) return fail("invalid", r.error().detail);
    order.bind(1, o.id)
        .bind(2, o.number)
        .bind(3, o.stand_id)
        .bind(4, o.customer)
        .bind(5, wire::to_string(o.status))
        .bind(6, o.pickup_from)
        .bind(7, o.pickup_until)
        .bind(8, o.paid_cents)
        .bind(9, o.due_cents)
        .bind(10, o.short_code)
        .bind(11, std::int64_t{region.key_id})
        .bind(12, o.collected_at_ms)
        .bind(13, o.collected_device)
        .bind(14, o.collected_staff);
    if (o.status == wire::OrderStatus::cancelled) {
      order.bind(15, now_ms);
    } else {
      order.bind_null(15);
    }
    order.bind(16, now_ms).bind(17, seq->next());
    if (auto r = order.run(); !r) return r.error();
    for (const auto &l : o.lines) {
      line.bind(1, o.id)
          .bind(2, l.line_no)
          .bind(3, l.product_id)
          .bind(4, l.quantity_milli)
          .bind(5, l.price_cents);
      if (auto r = line.run(); !r) return r.error();
    }
    ++summary.orders;
  }
  if (auto r = seq->save(); !r) return r.error();
  if (auto r = t.commit(); !r) return r.error();
  return summary;
}

}  // namespace comptoir::portal
