// comptoir-bench-sync: the sync's figures (issue 6), on the real reference portal
// (comptoir-portal serve) and the real `comptoir sync --once`, both found next to this
// program; slow links are made by the tests' fault proxy (tests/support/fault_proxy: this
// machine has no netem). One JSON object per line on stdout, {"bench":"sync","name":...},
// notes on stderr:
//   pull_bytes_per_order      bytes on the wire, both ways, headers included (the proxy's
//                             counters), of a fresh enrolment's complete first pull of the
//                             portal's demo region (1,000 orders, 1-5 lines each), divided by
//                             the orders pulled; median of 3 runs (target <= 100). Beside it:
//                             the body-only bytes (the agent's own count), the stubs (orders
//                             of other stands), and the same pull by a device that serves
//                             every stand (all orders whole) with the cost of a whole order
//                             and of a stub worked out from the two.
//   push_bytes_per_event      1,000 handovers made with PickupService::hand_over on ready
//                             orders, pushed by one `sync --once` round: bytes up on the wire
//                             / events (the round's pull requests included); median of 3
//                             rounds (target <= 150)
//   sync_1000_orders_s        wall time of `comptoir sync --once` (spawn to exit) making a
//                             fresh enrolment's first complete pull of the 1,000 orders
//                             through the proxy at 4,000 B/s each way (32 kbit/s) and 300 ms
//                             each way (600 ms round trip); median of 3 runs (target <= 40).
//                             baseline: the same pull straight to the portal on loopback.
//   portal_pull_orders_per_s  orders a second the portal serves on loopback: a whole region of
//                             10,000 orders pulled page by page (limit 500, then 1000) by an
//                             in-process client (libcurl, signed requests, gzip), timing the
//                             requests only; p50 of 5 runs per page size.
// Exit 1 when a figure could not be measured (a round that failed or did not complete, a
// count that does not add up).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/stats.hpp"
#include "db/database.hpp"
#include "db/sqlite.hpp"
#include "pickup/pickup_service.hpp"
#include "runtime/appliance.hpp"
#include "runtime/clock.hpp"
#include "sync/device_auth.hpp"
#include "sync/enrolment.hpp"
#include "sync/http_client.hpp"
#include "sync/sync_agent.hpp"
#include "sync/wire.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

extern char **environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using comptoir::Error;
using comptoir::bench::error_text;
using comptoir::bench::fail;
using comptoir::bench::rounded;
using comptoir::test::FaultProxy;

constexpr comptoir::bench::Note note{"comptoir-bench-sync"};

constexpr int kRuns = 3;
constexpr std::int64_t kPullOrders = 1000;  // the pull figures' region
// The push figure's region: 45 % of the demo's orders are ready orders of the local stand,
// so 10,000 orders hold the 3 x 1,000 handovers; the portal's throughput is measured on it.
constexpr std::int64_t kBigOrders = 10'000;
constexpr std::int64_t kHandovers = 1000;
constexpr int kThroughputRuns = 5;
constexpr std::int64_t kLocalStand = 1;    // the demo region's local stand
constexpr std::uint64_t kSlowRate = 4000;  // bytes/s each way: 32 kbit/s
constexpr auto kSlowOneWay = 300ms;        // 600 ms round trip
constexpr auto kSyncTimeout = 180'000ms;   // one `sync --once`, the slow link included

void emit(const ordered_json &figure) {
  ordered_json line;
  line["bench"] = "sync";
  for (auto it = figure.begin(); it != figure.end(); ++it) line[it.key()] = it.value();
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

std::string machine_load() {
  return "load average " + comptoir::bench::load_average();
}

double median(const std::vector<double> &values) {
  return comptoir::bench::summarize(values).median;
}

std::string join(const std::vector<double> &values, int decimals) {
  std::string out;
  for (const double v : values) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (!out.empty()) out += ", ";
    out += buf;
  }
  return out;
}

json rounded_list(const std::vector<double> &values, int decimals) {
  json list = json::array();
  for (const double v : values) list.push_back(rounded(v, decimals));
  return list;
}

std::string read_text(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// --- processes ----------------------------------------------------------------------------

struct Programs {
  fs::path portal;
  fs::path comptoir;
};

Programs find_programs() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) fail("cannot read /proc/self/exe: " + ec.message());
  Programs p{self.parent_path() / "comptoir-portal", self.parent_path() / "comptoir"};
  for (const fs::path &exe : {p.portal, p.comptoir}) {
    if (::access(exe.c_str(), X_OK) != 0) fail(exe.string() + " is missing: build it first");
  }
  return p;
}

// A program run to completion; its status must be 0.
std::string run_ok(const std::vector<std::string> &argv,
                   std::chrono::milliseconds timeout = 60'000ms) {
  const auto r = comptoir::test::run(argv, {}, timeout);
  if (!r.status.exited || r.status.code != 0) {
    std::string cmd;
    for (const auto &a : argv) {
      if (!cmd.empty()) cmd += ' ';
      cmd += a;
    }
    fail(cmd + ": exit " + std::to_string(r.status.exited ? r.status.code : -r.status.signal) +
         "\n" + r.err + r.out);
  }
  return r.out;
}

// The portal's server: stdout and stderr to files (it logs every request; a pipe nobody
// reads would fill and stop it), SIGTERM then SIGKILL when destroyed.
class Server {
 public:
  Server(const std::vector<std::string> &argv, const fs::path &out, const fs::path &err)
      : out_(out), err_(err) {
    std::vector<std::string> argv_text = argv;
    std::vector<char *> args;
    for (std::string &a : argv_text) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const comptoir::bench::DefaultSigpipe attr;
    const int rc = ::posix_spawn(&pid_, args[0], &actions, attr.get(), args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      fail("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
  }
  ~Server() { stop(); }
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  // The first stdout line starting with `prefix`, polled until `timeout`.
  std::string wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout) {
    const auto deadline = Steady::now() + timeout;
    while (Steady::now() < deadline) {
      std::istringstream lines(read_text(out_));
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) == 0) return line;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        fail("the portal exited (status " + std::to_string(status) + "): " + read_text(err_));
      }
      std::this_thread::sleep_for(10ms);
    }
    fail("the portal printed no \"" + std::string(prefix) + "\" line in time: " + read_text(err_));
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = Steady::now() + 5s;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (Steady::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  fs::path out_, err_;
};

// --- the portal ---------------------------------------------------------------------------

class Portal {
 public:
  Portal(const Programs &programs, const fs::path &dir, std::int64_t orders)
      : exe_(programs.portal.string()), dir_(dir) {
    const auto t0 = Steady::now();
    run_ok({exe_, "demo", "--data", dir_.string(), "--orders", std::to_string(orders)}, 300'000ms);
    note("portal demo region of " + std::to_string(orders) + " orders made in " +
         std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0).count()) +
         " ms");
    server_ = std::make_unique<Server>(
        std::vector<std::string>{exe_, "serve", "--data", dir_.string(), "--listen", "127.0.0.1:0"},
        dir_ / "serve.out", dir_ / "serve.err");
    const std::string line = server_->wait_for_line("listening on ", 20s);
    static const std::regex url_re(R"(listening on (http://[^:\s]+:([0-9]+)))");
    std::smatch m;
    if (!std::regex_search(line, m, url_re)) fail("unexpected portal line: " + line);
    url_ = m[1].str();
    port_ = static_cast<std::uint16_t>(std::stoi(m[2].str()));
  }

  const std::string &url() const { return url_; }
  std::uint16_t port() const { return port_; }

  // A one-time enrolment code for these stands (the admin command, while serve runs).
  std::string enrolment_code(const std::vector<std::int64_t> &stands) const {
    std::string list;
    // Appends, not `"," + text`: GCC 12's -O3 -Wrestrict false positive on that.
    for (const std::int64_t s : stands) {
      if (!list.empty()) list += ',';
      list += std::to_string(s);
    }
    const std::string out = run_ok({exe_, "enrol", "--data", dir_.string(), "--stand", list});
    static const std::regex code_re(R"(\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b)");
    std::smatch m;
    if (!std::regex_search(out, m, code_re)) fail("no enrolment code in: " + out);
    return m[0].str();
  }

 private:
  std::string exe_;
  fs::path dir_;
  std::unique_ptr<Server> server_;
  std::string url_;
  std::uint16_t port_ = 0;
};

// --- the appliance ------------------------------------------------------------------------

struct Appliance {
  fs::path dir;
  fs::path config;  // an empty config file: no system config read, [sync] defaults
};

// A fresh data directory enrolled with `portal_url` (in-process, as `comptoir enrol` does,
// but without the first round it runs at once: that round is what is measured).
Appliance enrol_appliance(const fs::path &dir, const std::string &portal_url,
                          const std::string &code) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  Appliance a{dir, dir / "comptoir.toml"};
  std::ofstream(a.config).flush();
  auto lock = comptoir::DataDirLock::acquire(dir.string());
  if (!lock) fail("cannot lock " + dir.string() + ": " + error_text(lock.error()));
  auto db = comptoir::db::Database::open((dir / comptoir::db::Database::kFileName).string());
  if (!db) fail("cannot make a cache in " + dir.string() + ": " + error_text(db.error()));
  comptoir::sync::EnrolOptions options;
  options.portal_url = portal_url;
  options.code = code;
  options.name = "bench-" + dir.filename().string();
  comptoir::SystemClock clock;
  auto enrolled = comptoir::sync::enrol(**db, dir.string(), options, clock);
  if (!enrolled) fail("enrolment failed: " + error_text(enrolled.error()));
  return a;
}

struct Round {
  double wall_s = 0;                   // spawn to exit
  json report;                         // the --format json report
  comptoir::test::ProxyCounters wire;  // through the proxy, when there is one
};

// `comptoir sync --once` on the appliance; the round must succeed and complete.
Round sync_round(const Programs &programs, const Appliance &a, FaultProxy *proxy) {
  if (proxy != nullptr) proxy->reset_counters();
  const std::vector<std::string> argv{
      programs.comptoir.string(), "sync",     "--once", "--data", a.dir.string(), "--config",
      a.config.string(),          "--format", "json"};
  const auto t0 = Steady::now();
  const auto r = comptoir::test::run(argv, {}, kSyncTimeout);
  Round round;
  round.wall_s = std::chrono::duration<double>(Steady::now() - t0).count();
  if (proxy != nullptr) round.wire = proxy->counters();
  const auto lines = comptoir::test::split_lines(r.out);
  if (!lines.empty()) round.report = json::parse(lines.back(), nullptr, false);
  if (!r.status.exited || r.status.code != 0 || !round.report.is_object() ||
      !round.report.value("ok", false) || !round.report.value("complete", false)) {
    fail("sync --once failed (exit " +
         std::to_string(r.status.exited ? r.status.code : -r.status.signal) + "): " + r.out +
         r.err);
  }
  return round;
}

std::int64_t report_int(const Round &r, const char *key) {
  return r.report.value(key, std::int64_t{-1});
}

struct CacheCounts {
  std::int64_t orders = 0, stubs = 0, lines = 0;
};

CacheCounts count_cache(const Appliance &a) {
  auto conn = comptoir::db::Connection::open((a.dir / comptoir::db::Database::kFileName).string(),
                                             SQLITE_OPEN_READONLY);
  if (!conn) fail("cannot read the cache: " + error_text(conn.error()));
  comptoir::db::Statement s = conn->prepare(
      "SELECT (SELECT count(*) FROM orders), "
      "(SELECT count(*) FROM orders WHERE stand_id <> ?1), "
      "(SELECT count(*) FROM order_lines)");
  s.bind(1, kLocalStand);
  if (!s.valid() || s.step() != SQLITE_ROW) fail("cannot count the cache: " + conn->last_error());
  CacheCounts c{s.int64(0), s.int64(1), s.int64(2)};
  s.reset();
  return c;
}

// --- a pull without the agent -------------------------------------------------------------

// The portal's changes read by an in-process client (libcurl through the appliance's
// HttpClient, requests signed as the agent signs them), nothing applied: what the portal
// serves, apart from what the appliance does with it.
class DirectPuller {
 public:
  DirectPuller(Portal &portal, const fs::path &dir, const std::vector<std::int64_t> &stands)
      : url_(portal.url()) {
    const Appliance a = enrol_appliance(dir, url_, portal.enrolment_code(stands));
    auto credentials = comptoir::sync::load_credentials(a.dir.string(), url_);
    if (!credentials || !*credentials) fail("no credentials after enrolment in " + dir.string());
    credentials_ = std::move(**credentials);
    comptoir::sync::HttpOptions options;
    options.base_url = url_;
    auto client = comptoir::sync::HttpClient::create(options);
    if (!client) fail("cannot make an HTTP client: " + error_text(client.error()));
    client_ = std::move(*client);
  }

  struct Pull {
    std::int64_t orders = 0, pages = 0;
    double seconds = 0;            // the requests alone
    std::uint64_t json_bytes = 0;  // bodies decompressed
    std::uint64_t gzip_bytes = 0;  // bodies as they came (headers excluded)
  };

  // The whole region from the empty cursor, `limit` orders a page.
  Pull pull_all(std::size_t limit) {
    Pull p;
    std::string cursor;
    for (;;) {
      const std::string target =
          "/api/v1/changes?cursor=" + cursor + "&limit=" + std::to_string(limit);
      comptoir::sync::HttpRequest req;
      req.target = target;
      req.headers.emplace_back(
          "Authorization",
          comptoir::wire::sign_request(credentials_.key.secret_key, credentials_.device_id, "GET",
                                       target, clock_.wall_ms(), ""));
      const auto t0 = Steady::now();
      auto resp = client_->send(req);
      p.seconds += std::chrono::duration<double>(Steady::now() - t0).count();
      if (!resp) fail("GET " + target + ": " + error_text(resp.error()));
      if (resp->status != 200) {
        fail("GET " + target + ": HTTP " + std::to_string(resp->status) + " " + resp->body);
      }
      // Read back outside the timing: what the portal served, not the client's checks.
      auto page = comptoir::wire::parse_changes_page(resp->body);
      if (!page) fail("GET " + target + ": " + error_text(page.error()));
      p.orders += static_cast<std::int64_t>(page->orders.size());
      p.json_bytes += resp->body.size();
      p.gzip_bytes += resp->bytes_received;
      ++p.pages;
      cursor = page->cursor;
      if (!page->more) break;
      if (p.pages > 1000) fail("the pull does not end");
    }
    return p;
  }

 private:
  std::string url_;
  comptoir::sync::Credentials credentials_;
  std::unique_ptr<comptoir::sync::HttpClient> client_;
  comptoir::SystemClock clock_;
};

// --- pull_bytes_per_order -----------------------------------------------------------------

struct PullRuns {
  std::vector<double> wire_per_order, body_per_order, wall_s, duration_s;
  std::vector<double> wire_up, wire_down;
  CacheCounts counts;
  std::int64_t pages = 0;
};

enum class Link { loopback, slow };

// kRuns fresh enrolments (for `stands`), each making its first complete pull; through the
// proxy when there is one (counters), else straight to the portal. A slow link is the
// proxy's 32 kbit/s and 600 ms round trip, for the pull only.
PullRuns pull_runs(const Programs &programs, Portal &portal, FaultProxy *proxy,
                   const std::vector<std::int64_t> &stands, const fs::path &root,
                   const std::string &label, Link link = Link::loopback) {
  if (link == Link::slow && proxy == nullptr) fail("a slow link needs the proxy");
  PullRuns runs;
  for (int i = 0; i < kRuns; ++i) {
    const std::string code = portal.enrolment_code(stands);
    if (proxy != nullptr) {  // enrol on a clean link; the limits are for the pull
      proxy->set_latency(0ms);
      proxy->set_rate(0);
    }
    const Appliance a = enrol_appliance(root / (label + "-" + std::to_string(i)),
                                        proxy != nullptr ? proxy->url() : portal.url(), code);
    if (link == Link::slow) {
      proxy->set_latency(kSlowOneWay);
      proxy->set_rate(kSlowRate);
    }
    const Round r = sync_round(programs, a, proxy);
    if (proxy != nullptr) {
      proxy->set_latency(0ms);
      proxy->set_rate(0);
    }
    const CacheCounts c = count_cache(a);
    const std::int64_t pulled = report_int(r, "orders");
    if (pulled != kPullOrders || c.orders != kPullOrders) {
      fail(label + ": the pull brought " + std::to_string(pulled) + " orders (" +
           std::to_string(c.orders) + " in the cache), not " + std::to_string(kPullOrders));
    }
    const double n = static_cast<double>(pulled);
    if (proxy != nullptr) {
      runs.wire_up.push_back(static_cast<double>(r.wire.bytes_up));
      runs.wire_down.push_back(static_cast<double>(r.wire.bytes_down));
      runs.wire_per_order.push_back(static_cast<double>(r.wire.bytes_up + r.wire.bytes_down) / n);
    }
    runs.body_per_order.push_back(
        static_cast<double>(report_int(r, "bytes_sent") + report_int(r, "bytes_received")) / n);
    runs.wall_s.push_back(r.wall_s);
    runs.duration_s.push_back(static_cast<double>(report_int(r, "duration_ms")) / 1000.0);
    runs.counts = c;
    runs.pages = report_int(r, "pages");
  }
  return runs;
}

void bench_pull(const Programs &programs, Portal &portal, FaultProxy &proxy, const fs::path &root) {
  // The device of the local stand: the other stands' orders come as stubs.
  const PullRuns mixed = pull_runs(programs, portal, &proxy, {kLocalStand}, root, "pull");
  // A device serving every stand: all 1,000 orders whole.
  const PullRuns whole = pull_runs(programs, portal, &proxy, {1, 2, 3}, root, "pull-all");
  // The same region either way: the device serving every stand holds more lines.
  if (whole.counts.orders != mixed.counts.orders || whole.counts.lines <= mixed.counts.lines) {
    fail("the all-stands pull holds " + std::to_string(whole.counts.lines) +
         " lines, the local stand's " + std::to_string(mixed.counts.lines) +
         ": the other stands' orders did not come whole");
  }
  const double n = static_cast<double>(kPullOrders);
  const double stubs = static_cast<double>(mixed.counts.stubs);
  const double local = n - stubs;
  // bytes(mixed) = local * whole_order + stubs * stub + fixed; bytes(all whole) =
  // n * whole_order + fixed'. With the fixed costs (headers, stands, products, keys) folded
  // into the per-order figures, a whole order costs bytes(all whole) / n and a stub what is
  // left of bytes(mixed) after the local orders.
  const double per_whole = median(whole.wire_per_order);
  const double per_stub =
      stubs > 0 ? (median(mixed.wire_per_order) * n - per_whole * local) / stubs : 0;
  // The same pages uncompressed: what gzip saves, and what a pull would cost without it.
  DirectPuller direct(portal, root / "pull-json", {kLocalStand});
  const DirectPuller::Pull json_pull = direct.pull_all(comptoir::wire::kDefaultPageOrders);
  note("pull_bytes_per_order runs (wire, both ways, headers included): " +
       join(mixed.wire_per_order, 1) + " B; body only: " + join(mixed.body_per_order, 1) +
       " B; up " + join(mixed.wire_up, 0) + " B, down " + join(mixed.wire_down, 0) + " B, " +
       std::to_string(mixed.pages) + " pages");
  note("the same region pulled by a device serving every stand (all orders whole): " +
       join(whole.wire_per_order, 1) + " B/order on the wire, " + join(whole.body_per_order, 1) +
       " B body only");
  note("the local stand's pull uncompressed: " +
       std::to_string(json_pull.json_bytes / static_cast<std::uint64_t>(kPullOrders)) +
       " B of JSON an order; gzip makes it " +
       std::to_string(json_pull.gzip_bytes / static_cast<std::uint64_t>(kPullOrders)) + " B");
  ordered_json j;
  j["name"] = "pull_bytes_per_order";
  j["value"] = rounded(median(mixed.wire_per_order), 1);
  j["unit"] = "B";
  j["target"] = 100;
  j["runs"] = rounded_list(mixed.wire_per_order, 1);
  j["body_only"] = rounded(median(mixed.body_per_order), 1);
  j["orders"] = kPullOrders;
  j["stubs"] = mixed.counts.stubs;
  j["lines_per_whole_order"] =
      rounded(static_cast<double>(mixed.counts.lines) / std::max(local, 1.0), 2);
  j["pages"] = mixed.pages;
  j["bytes_up"] = median(mixed.wire_up);
  j["bytes_down"] = median(mixed.wire_down);
  j["all_whole_per_order"] = rounded(per_whole, 1);
  j["all_whole_body_only"] = rounded(median(whole.body_per_order), 1);
  j["stub_per_order"] = rounded(per_stub, 1);
  j["json_per_order"] = rounded(static_cast<double>(json_pull.json_bytes) / n, 1);
  emit(j);
}

// --- sync_1000_orders_s -------------------------------------------------------------------

void bench_slow_pull(const Programs &programs, Portal &portal, FaultProxy &proxy,
                     const fs::path &root) {
  const PullRuns base = pull_runs(programs, portal, nullptr, {kLocalStand}, root, "loopback");
  note("sync_1000_orders_s baseline runs (loopback, no proxy): " + join(base.wall_s, 3) +
       " s; the agent's own round: " + join(base.duration_s, 3) + " s");
  note("sync_1000_orders_s: 3 pulls at 32 kbit/s, 600 ms round trip (" + machine_load() + ")");
  const PullRuns slow =
      pull_runs(programs, portal, &proxy, {kLocalStand}, root, "slow", Link::slow);
  note("sync_1000_orders_s runs: " + join(slow.wall_s, 2) + " s (spawn to exit); the agent's own " +
       "round: " + join(slow.duration_s, 2) + " s; wire bytes " + join(slow.wire_per_order, 1) +
       " B/order");
  ordered_json j;
  j["name"] = "sync_1000_orders_s";
  j["value"] = rounded(median(slow.wall_s), 2);
  j["unit"] = "s";
  j["target"] = 40;
  j["baseline"] = rounded(median(base.wall_s), 3);
  j["runs"] = rounded_list(slow.wall_s, 2);
  j["round_s"] = rounded(median(slow.duration_s), 2);
  j["baseline_runs"] = rounded_list(base.wall_s, 3);
  j["orders"] = kPullOrders;
  j["pages"] = slow.pages;
  j["wire_bytes"] = median(slow.wire_up) + median(slow.wire_down);
  j["link"] = "4000 B/s each way, 300 ms each way";
  j["client"] = "comptoir sync --once process";
  emit(j);
}

// --- push_bytes_per_event -----------------------------------------------------------------

// Hands over `count` ready orders of the local stand that have not been handed over yet,
// as a person at the counter would: PickupService::hand_over, every line, a staff name.
void hand_over_ready(const Appliance &a, std::int64_t count) {
  auto appliance = comptoir::open_appliance(a.dir.string());
  if (!appliance) fail("cannot open the appliance: " + error_text(appliance.error()));
  std::vector<std::string> numbers;
  {
    comptoir::db::Statement s = appliance->db->connection().prepare(
        "SELECT number FROM orders o WHERE stand_id = ?1 AND due_cents = 0 AND NOT EXISTS "
        "(SELECT 1 FROM handover_events e WHERE e.order_id = o.id) ORDER BY id");
    s.bind(1, appliance->stand_id);
    while (s.step() == SQLITE_ROW) numbers.push_back(s.text(0));
    s.reset();
  }
  comptoir::SystemClock clock;
  comptoir::PickupService service(*appliance->db, clock,
                                  {appliance->stand_id, appliance->device_id});
  std::int64_t made = 0;
  for (const std::string &number : numbers) {
    if (made == count) break;
    auto r = service.hand_over(number, {}, "Élodie");
    if (r) {
      ++made;
    } else if (r.error().code != "not_collectable") {
      fail("hand_over " + number + ": " + error_text(r.error()));
    }
  }
  if (made != count) {
    fail("only " + std::to_string(made) + " ready orders to hand over, not " +
         std::to_string(count));
  }
}

void bench_push(const Programs &programs, Portal &portal, FaultProxy &proxy, const fs::path &root) {
  const Appliance a =
      enrol_appliance(root / "push", proxy.url(), portal.enrolment_code({kLocalStand}));
  const Round first = sync_round(programs, a, &proxy);
  if (report_int(first, "orders") != kBigOrders) {
    fail("the push region's first pull brought " + std::to_string(report_int(first, "orders")) +
         " orders, not " + std::to_string(kBigOrders));
  }
  // What a round costs up with nothing to push: its pull requests alone.
  const Round idle = sync_round(programs, a, &proxy);
  std::vector<double> per_event, body_per_event;
  std::int64_t pages = 0;
  for (int i = 0; i < kRuns; ++i) {
    hand_over_ready(a, kHandovers);
    const Round r = sync_round(programs, a, &proxy);
    if (report_int(r, "pushed") != kHandovers || report_int(r, "duplicates") != 0 ||
        report_int(r, "events_waiting") != 0) {
      fail("the push round acknowledged " + std::to_string(report_int(r, "pushed")) + " events (" +
           std::to_string(report_int(r, "duplicates")) + " duplicates, " +
           std::to_string(report_int(r, "events_waiting")) + " still waiting), not " +
           std::to_string(kHandovers));
    }
    per_event.push_back(static_cast<double>(r.wire.bytes_up) / static_cast<double>(kHandovers));
    body_per_event.push_back(static_cast<double>(report_int(r, "bytes_sent")) /
                             static_cast<double>(kHandovers));
    pages = report_int(r, "pages");
  }
  note("push_bytes_per_event runs (bytes up on the wire / events, headers and the round's " +
       std::string("pull requests included): ") + join(per_event, 1) +
       " B; body only: " + join(body_per_event, 1) + " B; a round with nothing to push sends " +
       std::to_string(idle.wire.bytes_up) + " B up (" + std::to_string(report_int(idle, "pages")) +
       " page request)");
  ordered_json j;
  j["name"] = "push_bytes_per_event";
  j["value"] = rounded(median(per_event), 1);
  j["unit"] = "B";
  j["target"] = 150;
  j["runs"] = rounded_list(per_event, 1);
  j["body_only"] = rounded(median(body_per_event), 1);
  j["events"] = kHandovers;
  j["batches"] = static_cast<std::int64_t>(
      (kHandovers + static_cast<std::int64_t>(comptoir::wire::kDefaultPushEvents) - 1) /
      static_cast<std::int64_t>(comptoir::wire::kDefaultPushEvents));
  j["pull_pages_in_round"] = pages;
  j["idle_round_bytes_up"] = idle.wire.bytes_up;
  emit(j);
}

// --- portal_pull_orders_per_s -------------------------------------------------------------

void bench_portal_throughput(Portal &portal, const fs::path &root) {
  DirectPuller puller(portal, root / "throughput", {kLocalStand});
  for (const std::size_t limit : {std::size_t{500}, std::size_t{1000}}) {
    std::vector<double> rates;
    DirectPuller::Pull p;
    for (int run = 0; run < kThroughputRuns; ++run) {
      p = puller.pull_all(limit);
      if (p.orders != kBigOrders) {
        fail("a whole pull gave " + std::to_string(p.orders) + " orders, not " +
             std::to_string(kBigOrders));
      }
      rates.push_back(static_cast<double>(p.orders) / p.seconds);
    }
    const auto s = comptoir::bench::summarize(rates);
    note("portal_pull_orders_per_s limit " + std::to_string(limit) + " runs: " + join(rates, 0) +
         " orders/s (" + machine_load() + ")");
    ordered_json j;
    j["name"] = "portal_pull_orders_per_s";
    j["value"] = std::round(s.p50);
    j["unit"] = "orders/s";
    j["p50"] = std::round(s.p50);
    j["min"] = std::round(s.min);
    j["max"] = std::round(s.max);
    j["runs"] = rounded_list(rates, 0);
    j["limit"] = limit;
    j["pages"] = p.pages;
    j["orders"] = kBigOrders;
    emit(j);
  }
}

void run() {
  const Programs programs = find_programs();
  comptoir::test::TempDir scratch;
  note("start; " + machine_load());

  {
    Portal portal(programs, scratch.path() / "portal-1000", kPullOrders);
    auto proxy = FaultProxy::start(portal.port());
    if (!proxy) fail("cannot start the proxy: " + error_text(proxy.error()));
    bench_pull(programs, portal, **proxy, scratch.path());
    bench_slow_pull(programs, portal, **proxy, scratch.path());
  }
  {
    Portal portal(programs, scratch.path() / "portal-10000", kBigOrders);
    bench_portal_throughput(portal, scratch.path());
    auto proxy = FaultProxy::start(portal.port());
    if (!proxy) fail("cannot start the proxy: " + error_text(proxy.error()));
    bench_push(programs, portal, **proxy, scratch.path());
  }
  note("done; " + machine_load());
}

constexpr const char *kUsage =
    "Usage: comptoir-bench-sync\n"
    "\n"
    "Measures the sync between `comptoir` and `comptoir-portal` (next to this program) on\n"
    "loopback and through a proxy at 32 kbit/s; prints one JSON object per line.\n";

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "comptoir-bench-sync: unknown option: %s\n\n%s", argv[i], kUsage);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  try {
    run();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "comptoir-bench-sync: FAILED: %s\n", e.what());
    return 1;
  }
  return 0;
}
