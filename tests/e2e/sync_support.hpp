// What the sync end-to-end tests share: a reference portal (its admin commands, its server
// in a thread that keeps reading its output), an appliance's data directory driven through
// the real `comptoir` (enrol, sync --once, --headless), read-only looks into both SQLite
// files, and a private CA made with the openssl command.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {

std::string sync_bin(const char *name);

// ---- SQLite, read only --------------------------------------------------------------------

using Row = std::vector<std::string>;  // every column as text; NULL as "NULL"
// A query on its own read-only connection (busy timeout 5 s): the portal and the appliance
// may be writing at the same time. Throws std::runtime_error on failure.
std::vector<Row> query_ro(const std::string &db_path, std::string_view sql);
std::int64_t int_ro(const std::string &db_path, std::string_view sql);
std::set<std::string> column_set_ro(const std::string &db_path, std::string_view sql);

// Polls `done` every `every` until it holds or `timeout` passed; returns its last answer.
bool wait_for(const std::function<bool()> &done, std::chrono::milliseconds timeout,
              std::chrono::milliseconds every = std::chrono::milliseconds(50));

double seconds_since(std::chrono::steady_clock::time_point start);

// ---- the portal ---------------------------------------------------------------------------

struct AddedOrder {
  std::string number;
  std::int64_t id = 0;
  std::string code;   // the short code with its check symbol, formatted
  std::string token;  // the signed token
};

// A line of a pickup-code TSV written by `comptoir-portal demo --codes FILE`.
struct DemoCodeLine {
  std::string code;
  std::string verdict;
  std::string number;
};

class Portal {
 public:
  explicit Portal(std::string dir) : dir_(std::move(dir)) {}
  const std::string &dir() const { return dir_; }
  std::string db() const { return dir_ + "/portal.db"; }

  // comptoir-portal ARGS --data DIR.
  RunResult admin(std::vector<std::string> args,
                  std::chrono::milliseconds timeout = kDefaultTimeout) const;
  // The same, REQUIREd to exit 0; its stdout.
  std::string admin_ok(std::vector<std::string> args) const;

  // `demo --orders N --codes FILE`: the codes and their expected verdicts.
  std::vector<DemoCodeLine> demo(int orders) const;
  // A one-time enrolment code for these stands ("K7QM-9X2D-F3A4").
  std::string enrol_code(std::int64_t stand) const;
  AddedOrder add_order(std::int64_t stand, const std::string &customer,
                       const std::vector<std::string> &lines) const;
  void cancel(const std::string &number, bool refund = false) const;

  std::set<std::string> event_uuids() const;
  std::int64_t event_count() const;

 private:
  std::string dir_;
};

// `comptoir-portal serve --listen 127.0.0.1:0` with a thread of its own that reads its
// output all along (a server logging into a pipe nobody reads would block on a full pipe).
class PortalServer {
 public:
  explicit PortalServer(const Portal &portal, std::vector<std::string> extra = {});
  ~PortalServer();
  PortalServer(const PortalServer &) = delete;
  PortalServer &operator=(const PortalServer &) = delete;

  bool listening() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  const std::string &url() const { return url_; }
  std::string output() const;  // its stdout and stderr so far, for failure messages
  // SIGTERM and wait: the exit status (0 expected).
  ExitStatus stop();

 private:
  void run(std::vector<std::string> argv);

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool started_ = false;  // the first line came (or the process ended)
  std::atomic<bool> stopping_{false};
  std::uint16_t port_ = 0;
  std::string url_;
  std::string first_line_;
  std::string log_;  // stdout after the first line
  std::string err_;  // stderr (the request log), copied as it grows
  std::optional<ExitStatus> status_;
  std::thread thread_;
};

// ---- the appliance ------------------------------------------------------------------------

class Appliance {
 public:
  // DIR/data is the data directory, DIR/comptoir.toml its config with `sync_toml` as the
  // body of its [sync] table.
  explicit Appliance(const std::filesystem::path &dir, const std::string &sync_toml = "");
  const std::string &data() const { return data_; }
  const std::string &db() const { return db_; }
  const std::string &config() const { return config_; }
  void write_config(const std::string &sync_toml) const;

  // comptoir enrol --portal URL --code CODE --data DIR --config FILE --format json EXTRA.
  RunResult enrol(const std::string &url, const std::string &code,
                  std::vector<std::string> extra = {}) const;
  // comptoir sync --once ... --format json, with the report parsed (null when stdout held no
  // JSON line).
  struct SyncRun {
    RunResult run;
    nlohmann::json report;
    double seconds = 0;
  };
  SyncRun sync_once(std::chrono::milliseconds timeout = std::chrono::milliseconds(60'000)) const;
  // The same, with `during` run on this thread once the round has started (to break the
  // link at a chosen moment).
  SyncRun sync_once_while(
      const std::function<void()> &during,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(60'000)) const;
  std::vector<std::string> sync_argv() const;
  std::vector<std::string> headless_argv(std::vector<std::string> extra = {}) const;
  // A headless session fed `input`, its answers parsed.
  std::vector<nlohmann::json> headless(const std::string &input,
                                       std::vector<std::string> extra = {}) const;

  std::vector<std::string> ledger_uuids() const;  // in ledger order
  std::int64_t outbox() const;
  std::optional<std::string> state(const std::string &key) const;

 private:
  std::string data_;
  std::string db_;
  std::string config_;
};

// Orders of a stand, their status and lines, as text rows to compare: id, number, status
// name, window, amounts, short code; and every line.
struct OrderRows {
  std::vector<Row> orders;
  std::vector<Row> lines;
  bool operator==(const OrderRows &) const = default;
};
OrderRows appliance_orders(const std::string &db, std::int64_t stand);
// The first rows that differ, for a failure message ("" when equal).
std::string first_difference(const OrderRows &a, const OrderRows &b);
OrderRows portal_orders(const std::string &db, std::int64_t stand);
std::set<std::int64_t> appliance_order_ids(const std::string &db);
std::set<std::int64_t> portal_order_ids(const std::string &db);

// Everything in the appliance's cache a pull may change (orders, lines, stands, products,
// keys, cursor, last complete pull), to show an answer changed nothing.
std::vector<Row> cache_snapshot(const std::string &db);

// Orders of the stand a scan now would call ready (status ready, paid, in their window),
// from the appliance's cache.
std::vector<std::string> ready_numbers(const std::string &db, std::int64_t stand);

// ---- TLS ----------------------------------------------------------------------------------

// A CA, a server certificate for 127.0.0.1 and localhost, and one for another name, all
// made with the openssl command in `dir`.
struct TestCa {
  std::string ca_cert;
  std::string server_cert, server_key;  // subjectAltName IP:127.0.0.1, DNS:localhost
  std::string other_cert, other_key;    // subjectAltName DNS:portal.example.org
};
TestCa make_test_ca(const std::filesystem::path &dir);

}  // namespace comptoir::test
