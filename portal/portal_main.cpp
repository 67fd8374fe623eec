// `comptoir-portal`: the reference regional portal. `serve` runs the sync protocol's server;
// the other commands are its admin's (stands, products, orders and their codes, enrolment
// codes, keys, devices, the event log) and `demo`. They may run while `serve` does: the
// database is one SQLite file in WAL mode. docs/portal.md describes every command.
//
// Exit status: 0 done, 1 refused (the message says what is wrong and what to do next),
// 2 usage (an unknown command or option, a missing or malformed flag).
#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "codes/short_code.hpp"
#include "portal/import.hpp"
#include "portal/qr_png.hpp"
#include "portal/server.hpp"
#include "portal/store.hpp"
#include "sync/bundle.hpp"
#include "sync/demo_region.hpp"

namespace {

using comptoir::Error;
using comptoir::Result;
namespace portal = comptoir::portal;
namespace wire = comptoir::wire;

constexpr const char *kUsage =
    "Usage: comptoir-portal COMMAND --data DIR [options]\n"
    "\n"
    "  init --name NAME                    create an empty portal in DIR\n"
    "  serve --listen HOST:PORT [--tls-cert FILE --tls-key FILE] [--insecure] [--threads N]\n"
    "                                      serve the sync protocol (port 0: any free port);\n"
    "                                      plain http only on loopback unless --insecure\n"
    "  stand add --id N --name NAME [--place PLACE]\n"
    "  product add --id N --stand N --name NAME --unit UNIT [--variable-weight]\n"
    "  order add --stand N --customer NAME --line PRODUCT:QTY_MILLI:PRICE_CENTS [--line ...]\n"
    "            [--id N] [--number TEXT] [--status ready|pending] [--from TIME] [--until TIME]\n"
    "            [--paid CENTS] [--due CENTS] [--code CODE] [--png FILE]\n"
    "  order import FILE                   a JSON array of orders or a CSV file (all or none)\n"
    "  order cancel NUMBER [--refund]\n"
    "  order code NUMBER [--png FILE]      the short code, the signed token, a QR of the token\n"
    "  enrol --stand N[,M...] [--url BASE] [--png FILE]\n"
    "                                      a one-time enrolment code for an appliance (24 h)\n"
    "  identity                            the portal's identity key and its fingerprint\n"
    "  bundle create --stand N[,M...] --out FILE [--url BASE] [--days D] [--config FILE.toml]\n"
    "                [--name LABEL]        an offline bundle for an appliance with no network\n"
    "                                      (signed; valid D days, default 14, at most 90)\n"
    "  keys rotate | keys list\n"
    "  devices list | devices revoke ID\n"
    "  conflicts [--limit N]               handovers flagged for review, newest first\n"
    "  events [--order NUMBER] [--limit N] the event log, newest first\n"
    "  demo [--orders N] [--seed S] [--codes FILE]\n"
    "                                      a new portal holding a demo region (500 orders)\n"
    "\n"
    "  --data DIR defaults to $COMPTOIR_PORTAL_DATA. TIME is Unix seconds or ISO 8601\n"
    "  (2026-05-02T18:00:00Z). See docs/portal.md.\n";

constexpr const char *kDemoName = "Portail de démonstration";
constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8088";

// ---- command line ----------------------------------------------------------------------

struct UsageError {
  std::string message;
};

// Options of one command: --name VALUE pairs, repeated ones kept in order, flags, and the
// positional arguments.
class Args {
 public:
  Args(int argc, char **argv, int first, const std::vector<std::string> &valued,
       const std::vector<std::string> &flags) {
    for (int i = first; i < argc; ++i) {
      const std::string a = argv[i];
      if (a.rfind("--", 0) == 0) {
        if (std::find(flags.begin(), flags.end(), a) != flags.end()) {
          flags_.push_back(a);
        } else if (std::find(valued.begin(), valued.end(), a) != valued.end()) {
          if (i + 1 >= argc) throw UsageError{a + " needs a value"};
          values_[a].push_back(argv[++i]);
        } else {
          throw UsageError{"unknown option " + a};
        }
      } else {
        positional_.push_back(a);
      }
    }
  }

  std::optional<std::string> get(const std::string &name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    if (it->second.size() > 1) throw UsageError{name + " is given twice"};
    return it->second.front();
  }
  std::string need(const std::string &name) const {
    auto v = get(name);
    if (!v) throw UsageError{"missing " + name};
    return *v;
  }
  std::vector<std::string> all(const std::string &name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }
  bool flag(const std::string &name) const {
    return std::find(flags_.begin(), flags_.end(), name) != flags_.end();
  }
  std::int64_t number(const std::string &name, std::optional<std::int64_t> fallback,
                      std::int64_t min = 0) const {
    auto v = get(name);
    if (!v) {
      if (fallback) return *fallback;
      throw UsageError{"missing " + name};
    }
    auto n = portal::parse_int(*v);
    if (!n || *n < min) {
      throw UsageError{name + " takes a whole number" +
                       (min > 0 ? " >= " + std::to_string(min) : std::string())};
    }
    return *n;
  }
  const std::vector<std::string> &positional() const { return positional_; }
  std::string one_positional(const std::string &what) const {
    if (positional_.size() != 1) throw UsageError{"give exactly one " + what};
    return positional_.front();
  }
  void no_positional() const {
    if (!positional_.empty()) throw UsageError{"unexpected argument " + positional_.front()};
  }
  std::string data_dir() const {
    if (auto v = get("--data")) return *v;
    if (const char *env = std::getenv("COMPTOIR_PORTAL_DATA"); env != nullptr && *env != '\0') {
      return env;
    }
    throw UsageError{"missing --data DIR (or set COMPTOIR_PORTAL_DATA)"};
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> flags_;
  std::vector<std::string> positional_;
};

std::vector<std::string> with_data(std::vector<std::string> names) {
  names.push_back("--data");
  return names;
}

// ---- output ------------------------------------------------------------------------------

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_time_s(std::int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(seconds);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string format_time_ms(std::int64_t ms) {
  return format_time_s(ms / 1000);
}

// What went wrong and what to do next, for each error the store and the files can give.
std::string explain(const Error &e, const std::string &data_dir) {
  const std::string &d = e.detail;
  if (e.code == "not_a_portal") {
    return d + ".\nCreate a portal there with `comptoir-portal init --data " + data_dir +
           " --name NAME` (or `comptoir-portal demo --data " + data_dir +
           "`), or give the --data of an existing one.";
  }
  if (e.code == "portal_exists") {
    return d + ".\nChoose an empty directory for a new portal, or use the one that is there.";
  }
  if (e.code == "newer_schema") return d + ".\nUse the comptoir-portal that made it.";
  if (e.code == "disk_full") {
    return "the disk is full (" + d +
           ").\nNothing was changed: free some space on the disk "
           "holding " +
           data_dir + " (or the file named) and run the command again.";
  }
  if (e.code == "database_corrupt") {
    return d + ".\nThe portal's database is damaged: restore " + data_dir +
           "/portal.db from a backup.";
  }
  if (e.code == "invalid")
    return d + ".\nNothing was changed: correct it and run the command again.";
  if (e.code == "unknown_stand") {
    return d +
           ".\nNothing was changed: add the stand first with `comptoir-portal stand add --id N "
           "--name NAME`, or correct the stand's number.";
  }
  if (e.code == "unknown_product") {
    return d +
           ".\nNothing was changed: add the product first with `comptoir-portal product add`, "
           "or correct the line.";
  }
  if (e.code == "stand_exists" || e.code == "product_exists") {
    return d + ".\nNothing was changed: choose another --id.";
  }
  if (e.code == "order_exists") {
    return d +
           ".\nNothing was changed: choose another id, number or code (or leave them out: the "
           "portal then picks free ones).";
  }
  if (e.code == "unknown_order") {
    return d + ".\nCheck the order's number (as `order add` or `order import` printed it).";
  }
  if (e.code == "order_collected") {
    return d +
           ": a collected order cannot be cancelled.\nSee what happened with "
           "`comptoir-portal events --order NUMBER`.";
  }
  if (e.code == "order_cancelled") return d + ": nothing to do.";
  if (e.code == "unknown_device") {
    return d + ".\nSee the enrolled devices with `comptoir-portal devices list`.";
  }
  if (e.code == "no_signing_key") {
    return d + ".\nMake a new key with `comptoir-portal keys rotate --data " + data_dir + "`.";
  }
  if (e.code == "key_ids_exhausted") return d + ".\nStart a new portal.";
  if (e.code == "qr_failed" || e.code == "file_error") {
    return d + ".\nChoose another file name (in a directory you may write to).";
  }
  if (e.code == "database_error" &&
      (d.find("locked") != std::string::npos || d.find("busy") != std::string::npos)) {
    return d + ".\nAnother program holds the portal's database for long: try again in a moment.";
  }
  return e.code + ": " + d + ".";
}

int refuse(const Error &e, const std::string &data_dir) {
  std::fprintf(stderr, "comptoir-portal: %s\n", explain(e, data_dir).c_str());
  return 1;
}

int refuse(const std::string &message) {
  std::fprintf(stderr, "comptoir-portal: %s\n", message.c_str());
  return 1;
}

Result<std::unique_ptr<portal::Store>> open_store(const std::string &dir) {
  return portal::Store::open(dir);
}

std::vector<std::int64_t> parse_stand_list(const std::string &text) {
  std::vector<std::int64_t> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    auto n = portal::parse_int(part);
    if (!n || *n <= 0) throw UsageError{"--stand takes stand numbers separated by commas"};
    out.push_back(*n);
  }
  if (out.empty()) throw UsageError{"--stand takes stand numbers separated by commas"};
  return out;
}

std::string read_whole_file(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return {};
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<void> write_text_file(const std::string &path, const std::string &text) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return comptoir::make_error("file_error",
                                "cannot create " + path + ": " + std::strerror(errno));
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int e = errno;
  if (std::fclose(f) != 0 || !written) {
    const int err = written ? errno : e;
    std::remove(path.c_str());
    return comptoir::make_error(err == ENOSPC ? "disk_full" : "file_error",
                                "cannot write " + path + ": " + std::strerror(err));
  }
  return {};
}

void print_code(const portal::OrderCode &c) {
  std::printf("number %s\nid %lld\ncode %s\ntoken %s\n", c.number.c_str(),
              static_cast<long long>(c.order_id), c.short_code.c_str(), c.token.c_str());
}

// ---- commands ----------------------------------------------------------------------------

int cmd_init(int argc, char **argv) {
  Args a(argc, argv, 2, with_data({"--name"}), {});
  a.no_positional();
  const std::string dir = a.data_dir();
  auto store = portal::Store::create(dir, a.need("--name"), now_ms());
  if (!store) return refuse(store.error(), dir);
  std::printf("portal \"%s\" created in %s\n", a.need("--name").c_str(), dir.c_str());
  std::printf("next: add stands (comptoir-portal stand add), products, orders; then serve.\n");
  return 0;
}

// "HOST:PORT", "[::1]:PORT".
bool parse_listen(const std::string &text, std::string &host, int &port) {
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto p = portal::parse_int(port_text);
  if (!p || *p < 0 || *p > 65535 || host.empty()) return false;
  port = static_cast<int>(*p);
  return true;
}

int cmd_serve(int argc, char **argv) {
  Args a(argc, argv, 2, with_data({"--listen", "--tls-cert", "--tls-key", "--threads"}),
         {"--insecure"});
  a.no_positional();
  const std::string dir = a.data_dir();
  portal::ServerOptions options;
  if (!parse_listen(a.need("--listen"), options.host, options.port)) {
    throw UsageError{"--listen takes HOST:PORT (127.0.0.1:8088, [::1]:8088, 0.0.0.0:0)"};
  }
  options.tls_cert = a.get("--tls-cert").value_or("");
  options.tls_key = a.get("--tls-key").value_or("");
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    throw UsageError{"--tls-cert and --tls-key go together"};
  }
  options.threads = static_cast<std::size_t>(
      a.number("--threads", static_cast<std::int64_t>(portal::kDefaultThreads), 1));
  if (options.tls_cert.empty() && !portal::is_loopback_host(options.host) &&
      !a.flag("--insecure")) {
    return refuse("refusing plain http on " + options.host +
                  ": the appliances would send their handovers in clear.\nGive --tls-cert FILE "
                  "--tls-key FILE, listen on 127.0.0.1 behind a TLS proxy, or add --insecure on "
                  "a network you trust.");
  }
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);

  // The stop signals go to a sigwait loop, not a handler: blocked before any thread starts,
  // so every thread inherits the mask and only this loop receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = portal::Server::start(**store, options);
  if (!server) {
    return refuse(server.error().detail +
                  ".\nChoose another --listen address or port, or check the TLS files.");
  }
  std::printf("listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);
  auto name = (*store)->portal_name();
  std::fprintf(stderr, "comptoir-portal: serving \"%s\" from %s (%zu threads)\n",
               name ? name->c_str() : "?", dir.c_str(), options.threads);
  int signal_number = 0;
  while ((*server)->running()) {
    const timespec second{1, 0};
    const int s = sigtimedwait(&stop_signals, nullptr, &second);
    if (s > 0) {
      signal_number = s;
      break;
    }
  }
  (*server)->stop();
  if (signal_number == 0) return refuse("the server stopped by itself; see the log above.");
  std::fprintf(stderr, "comptoir-portal: stopped (%s)\n",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  return 0;
}

int cmd_stand(int argc, char **argv) {
  if (argc < 3 || std::string_view(argv[2]) != "add") throw UsageError{"stand add ..."};
  Args a(argc, argv, 3, with_data({"--id", "--name", "--place"}), {});
  a.no_positional();
  const std::string dir = a.data_dir();
  wire::Stand stand{a.number("--id", std::nullopt, 1), a.need("--name"),
                    a.get("--place").value_or("")};
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  if (auto r = (*store)->add_stand(stand); !r) return refuse(r.error(), dir);
  std::printf("stand %lld added: %s\n", static_cast<long long>(stand.id), stand.name.c_str());
  return 0;
}

int cmd_product(int argc, char **argv) {
  if (argc < 3 || std::string_view(argv[2]) != "add") throw UsageError{"product add ..."};
  Args a(argc, argv, 3, with_data({"--id", "--stand", "--name", "--unit"}), {"--variable-weight"});
  a.no_positional();
  const std::string dir = a.data_dir();
  wire::Product product{a.number("--id", std::nullopt, 1), a.number("--stand", std::nullopt, 1),
                        a.need("--name"), a.need("--unit"), a.flag("--variable-weight")};
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  if (auto r = (*store)->add_product(product); !r) return refuse(r.error(), dir);
  std::printf("product %lld added to stand %lld: %s\n", static_cast<long long>(product.id),
              static_cast<long long>(product.stand_id), product.name.c_str());
  return 0;
}

int order_add(int argc, char **argv) {
  Args a(argc, argv, 3,
         with_data({"--id", "--number", "--stand", "--customer", "--status", "--from", "--until",
                    "--paid", "--due", "--code", "--line", "--png"}),
         {});
  a.no_positional();
  const std::string dir = a.data_dir();
  const std::int64_t now = now_ms();
  portal::NewOrder o;
  o.order.id = a.number("--id", 0, 0);
  o.order.number = a.get("--number").value_or("");
  o.order.stand_id = a.number("--stand", std::nullopt, 1);
  o.order.customer = a.need("--customer");
  const std::string status = a.get("--status").value_or("ready");
  if (status == "ready") {
    o.order.status = wire::OrderStatus::ready;
  } else if (status == "pending") {
    o.order.status = wire::OrderStatus::pending;
  } else {
    throw UsageError{"--status is ready or pending"};
  }
  auto time_flag = [&](const std::string &name, std::int64_t fallback) {
    const auto v = a.get(name);
    if (!v) return fallback;
    const auto t = portal::parse_time(*v);
    if (!t)
      throw UsageError{name + " takes Unix seconds or an ISO 8601 time (2026-05-02T18:00:00Z)"};
    return *t;
  };
  // By default: from now, for a week.
  o.order.pickup_from = time_flag("--from", now / 1000);
  o.order.pickup_until = time_flag("--until", o.order.pickup_from + 7 * 24 * 3600);
  o.order.paid_cents = a.number("--paid", 0, 0);
  o.order.due_cents = a.number("--due", 0, 0);
  if (auto code = a.get("--code")) {
    o.short_code = portal::parse_short_code(*code);
    if (!o.short_code)
      throw UsageError{"--code takes a short code (10 symbols, or 11 with the check)"};
  }
  const auto lines = a.all("--line");
  if (lines.empty()) throw UsageError{"missing --line PRODUCT:QTY_MILLI:PRICE_CENTS"};
  for (const auto &spec : lines) {
    auto line = portal::parse_line_spec(spec, static_cast<int>(o.order.lines.size()) + 1);
    if (!line) throw UsageError{"--line " + line.error().detail};
    o.order.lines.push_back(*line);
  }
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  auto code = (*store)->add_order(o, now);
  if (!code) return refuse(code.error(), dir);
  print_code(*code);
  if (auto png = a.get("--png")) {
    if (auto r = portal::write_qr_png(code->token, *png); !r) return refuse(r.error(), dir);
  }
  return 0;
}

int order_import(int argc, char **argv) {
  Args a(argc, argv, 3, with_data({}), {});
  const std::string file = a.one_positional("FILE to import");
  const std::string dir = a.data_dir();
  std::string error;
  const std::string text = read_whole_file(file, error);
  if (!error.empty()) return refuse(error + ".\nGive the path of a JSON or CSV file of orders.");
  auto parsed = portal::parse_orders_file(text);
  if (!parsed) {
    return refuse(file + ": " + parsed.error().detail +
                  ".\nNothing was imported: correct the file and run the import again (see "
                  "docs/portal.md for the formats).");
  }
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  auto codes = (*store)->import_orders(parsed->orders, now_ms(), parsed->labels);
  if (!codes) {
    Error e = codes.error();
    e.detail = file + ": " + e.detail;
    std::fprintf(stderr, "comptoir-portal: %s\nNothing was imported.\n", explain(e, dir).c_str());
    return 1;
  }
  for (const auto &c : *codes) {
    std::printf("%s\t%s\t%s\n", c.number.c_str(), c.short_code.c_str(), c.token.c_str());
  }
  std::fprintf(stderr, "comptoir-portal: %zu orders imported\n", codes->size());
  return 0;
}

int order_cancel(int argc, char **argv) {
  Args a(argc, argv, 3, with_data({}), {"--refund"});
  const std::string number = a.one_positional("order NUMBER");
  const std::string dir = a.data_dir();
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  auto order = (*store)->cancel_order(number, a.flag("--refund"), now_ms());
  if (!order) return refuse(order.error(), dir);
  std::printf("order %s cancelled%s; the appliances learn it at their next sync\n",
              order->number.c_str(), a.flag("--refund") ? " and refunded" : "");
  return 0;
}

int order_code(int argc, char **argv) {
  Args a(argc, argv, 3, with_data({"--png"}), {});
  const std::string number = a.one_positional("order NUMBER");
  const std::string dir = a.data_dir();
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  auto code = (*store)->order_code(number, now_ms());
  if (!code) return refuse(code.error(), dir);
  print_code(*code);
  if (auto png = a.get("--png")) {
    if (auto r = portal::write_qr_png(code->token, *png); !r) return refuse(r.error(), dir);
  }
  return 0;
}

int cmd_order(int argc, char **argv) {
  const std::string_view sub = argc >= 3 ? argv[2] : "";
  if (sub == "add") return order_add(argc, argv);
  if (sub == "import") return order_import(argc, argv);
  if (sub == "cancel") return order_cancel(argc, argv);
  if (sub == "code") return order_code(argc, argv);
  throw UsageError{"order add|import|cancel|code ..."};
}

// The portal's address as the appliances reach it: --url, else the default.
std::string portal_url_flag(const Args &a) {
  std::string base = a.get("--url").value_or(std::string(kDefaultUrl));
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) {
    throw UsageError{
        "--url takes the portal's address as the appliances reach it "
        "(https://portal.example.org)"};
  }
  return base;
}

int cmd_enrol(int argc, char **argv) {
  Args a(argc, argv, 2, with_data({"--stand", "--url", "--png"}), {});
  a.no_positional();
  const std::string dir = a.data_dir();
  const auto stands = parse_stand_list(a.need("--stand"));
  const std::string base = portal_url_flag(a);
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  const std::int64_t now = now_ms();
  auto code = (*store)->make_enrolment_code(stands, now);
  if (!code) return refuse(code.error(), dir);
  const std::string qr = base + std::string(wire::kApiPrefix) + "/enrol?code=" + *code;
  std::string stand_text;
  for (auto s : stands) stand_text += (stand_text.empty() ? "" : ",") + std::to_string(s);
  std::printf("code %s\nqr %s\nstands %s\nexpires %s\n",
              portal::format_enrolment_code(*code).c_str(), qr.c_str(), stand_text.c_str(),
              format_time_ms(now + portal::kEnrolmentCodeLifetimeMs).c_str());
  if (auto png = a.get("--png")) {
    if (auto r = portal::write_qr_png(qr, *png); !r) return refuse(r.error(), dir);
  }
  std::fprintf(stderr,
               "comptoir-portal: on the appliance: comptoir enrol --portal %s --code %s "
               "(works once, for 24 hours)\n",
               base.c_str(), portal::format_enrolment_code(*code).c_str());
  return 0;
}

int cmd_identity(int argc, char **argv) {
  Args a(argc, argv, 2, with_data({}), {});
  a.no_positional();
  const std::string dir = a.data_dir();
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  const auto &key = (*store)->identity().public_key;
  std::printf("key %s\nfingerprint %s\n", comptoir::codes::to_hex(key.data(), key.size()).c_str(),
              comptoir::sync::bundle_fingerprint(key).c_str());
  std::fprintf(stderr,
               "comptoir-portal: give the fingerprint to the technicians: an appliance checks "
               "offline bundles against it (comptoir-provision bundle apply --portal-key)\n");
  return 0;
}

// FILE written whole or not at all: a temporary file beside it (mode 0600), synced, then
// renamed over it.
Result<void> write_file_atomically(const std::string &path, const std::string &bytes) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return comptoir::make_error(errno == ENOSPC ? "disk_full" : "file_error",
                                "cannot create " + path + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  int err = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return comptoir::make_error(err == ENOSPC ? "disk_full" : "file_error",
                                "cannot write " + path + ": " + std::strerror(err));
  }
  return {};
}

int bundle_create(int argc, char **argv) {
  Args a(argc, argv, 3, with_data({"--stand", "--out", "--url", "--days", "--config", "--name"}),
         {});
  a.no_positional();
  const std::string dir = a.data_dir();
  const auto stands = parse_stand_list(a.need("--stand"));
  const std::string out = a.need("--out");
  const std::string url = portal_url_flag(a);
  const std::int64_t days = a.number("--days", comptoir::sync::kDefaultBundleDays, 1);
  if (days > comptoir::sync::kMaxBundleDays) {
    throw UsageError{"--days takes 1 to " + std::to_string(comptoir::sync::kMaxBundleDays)};
  }
  std::string config;
  if (auto path = a.get("--config")) {
    std::string error;
    config = read_whole_file(*path, error);
    if (!error.empty()) return refuse(error + ".\nGive the path of a comptoir.toml to ship.");
    if (config.size() > 64 * 1024) {
      return refuse(*path + " is " + std::to_string(config.size()) +
                    " bytes, over the 64 KiB a bundle may carry.\nNothing was written: ship a "
                    "shorter comptoir.toml (only the settings that differ from the defaults).");
    }
  }
  const std::string label = a.get("--name").value_or("");
  // The destination must be writable before any enrolment code is made for it.
  {
    const std::string probe = out + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return refuse("cannot write " + out + ": " + std::strerror(errno) +
                    ".\nNothing was made: give an --out in a directory you may write to (a USB "
                    "stick's mount point, or your home).");
    }
    ::close(fd);
    ::unlink(probe.c_str());
  }
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  const std::int64_t now = now_ms();
  comptoir::sync::Bundle b;
  std::array<unsigned char, 16> id{};
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) {
    return refuse("the system's random generator failed; try again.");
  }
  b.bundle_id = comptoir::codes::to_hex(id.data(), id.size());
  auto name = (*store)->portal_name();
  if (!name) return refuse(name.error(), dir);
  b.portal_name = *name;
  b.portal_url = url;
  b.portal_key = (*store)->identity().public_key;
  b.created_ms = now;
  b.expires_ms = now + days * 24 * 3600 * 1000;
  b.stand_id = stands.front();
  b.config_toml = std::move(config);
  auto snapshot = (*store)->snapshot(stands, now);
  if (!snapshot) return refuse(snapshot.error(), dir);
  b.snapshot = std::move(*snapshot);
  // The code last: nothing above may fail after it exists.
  auto code = (*store)->make_enrolment_code(stands, now, b.expires_ms);
  if (!code) return refuse(code.error(), dir);
  b.enrol_code = *code;
  auto bytes = comptoir::sync::write_bundle(b, (*store)->identity());
  if (!bytes) {
    return refuse("the bundle cannot be made: " + bytes.error().detail +
                  ".\nCorrect it (the stand's data or the --config file) and run the command "
                  "again.");
  }
  if (auto r = write_file_atomically(out, *bytes); !r) {
    return refuse(r.error().detail +
                  ".\nThe enrolment code it held is unused and expires with it; give another "
                  "--out and run the command again.");
  }
  std::size_t served = 0;
  for (const auto &o : b.snapshot.orders) {
    if (std::find(stands.begin(), stands.end(), o.stand_id) != stands.end()) ++served;
  }
  std::string stand_text;
  for (auto s : stands) stand_text += (stand_text.empty() ? "" : ",") + std::to_string(s);
  std::printf("bundle %s\n", out.c_str());
  if (!label.empty()) std::printf("name %s\n", label.c_str());
  std::printf("orders %zu (%zu of stand %s, %zu stubs of other stands)\n", b.snapshot.orders.size(),
              served, stand_text.c_str(), b.snapshot.orders.size() - served);
  std::printf("stand %s\nexpires %s\nfingerprint %s\nurl %s\n", stand_text.c_str(),
              format_time_ms(b.expires_ms).c_str(),
              comptoir::sync::bundle_fingerprint(b.portal_key).c_str(), url.c_str());
  std::fprintf(stderr,
               "comptoir-portal: on the appliance: comptoir-provision bundle apply %s "
               "--portal-key %s\n(the fingerprint: read it to the technician by another channel "
               "than the USB stick)\n",
               out.c_str(), comptoir::sync::bundle_fingerprint(b.portal_key).c_str());
  return 0;
}

int cmd_bundle(int argc, char **argv) {
  const std::string_view sub = argc >= 3 ? argv[2] : "";
  if (sub == "create") return bundle_create(argc, argv);
  throw UsageError{"bundle create --stand N --out FILE ..."};
}

int cmd_keys(int argc, char **argv) {
  const std::string_view sub = argc >= 3 ? argv[2] : "";
  if (sub != "rotate" && sub != "list") throw UsageError{"keys rotate|list"};
  Args a(argc, argv, 3, with_data({}), {});
  a.no_positional();
  const std::string dir = a.data_dir();
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  const std::int64_t now = now_ms();
  if (sub == "rotate") {
    auto key = (*store)->rotate_keys(now);
    if (!key) return refuse(key.error(), dir);
    std::printf("key %u signs new codes from now; the appliances get it at their next sync\n",
                static_cast<unsigned>(key->key_id));
  }
  auto keys = (*store)->keys(now);
  if (!keys) return refuse(keys.error(), dir);
  for (const auto &k : *keys) {
    std::printf("key %u%s\tvalid %s .. %s\t%lld orders\t%s\n", static_cast<unsigned>(k.key.key_id),
                k.signing ? " (signing)" : "", format_time_s(k.key.valid_from_s).c_str(),
                format_time_s(k.key.valid_until_s).c_str(), static_cast<long long>(k.orders_signed),
                comptoir::codes::to_hex(k.key.public_key.data(), k.key.public_key.size()).c_str());
  }
  return 0;
}

int cmd_devices(int argc, char **argv) {
  const std::string_view sub = argc >= 3 ? argv[2] : "";
  if (sub != "list" && sub != "revoke") throw UsageError{"devices list|revoke ID"};
  Args a(argc, argv, 3, with_data({}), {});
  const std::string dir = a.data_dir();
  if (sub == "revoke") {
    const std::string id = a.one_positional("device ID");
    auto store = open_store(dir);
    if (!store) return refuse(store.error(), dir);
    if (auto r = (*store)->revoke_device(id, now_ms()); !r) return refuse(r.error(), dir);
    std::printf("device %s revoked: its requests are refused from now on\n", id.c_str());
    return 0;
  }
  a.no_positional();
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  auto devices = (*store)->devices();
  if (!devices) return refuse(devices.error(), dir);
  for (const auto &d : *devices) {
    std::string stands;
    // Strings are appended, not built as "literal" + string: GCC 12 -O3 reports a false
    // -Wrestrict on the latter.
    for (auto s : d.stands) {
      if (!stands.empty()) stands += ',';
      stands += std::to_string(s);
    }
    std::string seen = "never synced";
    if (d.last_seen_ms > 0) {
      seen.assign("last seen ");
      seen += format_time_ms(d.last_seen_ms);
    }
    std::string state = "active";
    if (d.revoked()) {
      state.assign("revoked ");
      state += format_time_ms(*d.revoked_ms);
    }
    std::printf("%s\t%s\tstands %s\tenrolled %s\t%s\t%s\n", d.id.c_str(), d.name.c_str(),
                stands.c_str(), format_time_ms(d.enrolled_ms).c_str(), seen.c_str(), state.c_str());
  }
  if (devices->empty()) std::fprintf(stderr, "comptoir-portal: no device enrolled yet\n");
  return 0;
}

void print_events(const std::vector<portal::StoredEvent> &events) {
  for (const auto &e : events) {
    std::string conflicts;
    for (auto c : e.conflicts) {
      if (!conflicts.empty()) conflicts += ',';
      conflicts += wire::to_string(c);
    }
    std::string order = e.order_number;
    if (order.empty()) {
      order.assign(1, '#');
      order += std::to_string(e.event.order_id);
    }
    std::string what(wire::to_string(e.event.kind));
    if (!e.event.reason.empty()) {
      what += " (";
      what += e.event.reason;
      what += ')';
    }
    if (!e.event.undoes.empty()) {
      what += " of ";
      what += e.event.undoes;
    }
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", format_time_ms(e.event.wall_ms).c_str(),
                e.device_id.c_str(), order.c_str(), what.c_str(),
                e.event.staff.empty() ? "-" : e.event.staff.c_str(),
                conflicts.empty() ? "ok" : conflicts.c_str(), e.event.uuid.c_str());
  }
}

int cmd_events(int argc, char **argv, bool conflicts_only) {
  Args a(argc, argv, 2, with_data({"--order", "--limit"}), {});
  a.no_positional();
  const std::string dir = a.data_dir();
  const auto limit = static_cast<std::size_t>(a.number("--limit", 1000, 1));
  auto store = open_store(dir);
  if (!store) return refuse(store.error(), dir);
  std::optional<std::int64_t> order_id;
  if (auto number = a.get("--order")) {
    auto order = (*store)->find_order(*number);
    if (!order) return refuse(order.error(), dir);
    order_id = order->id;
  }
  auto events = (*store)->events(order_id, conflicts_only, limit);
  if (!events) return refuse(events.error(), dir);
  print_events(*events);
  if (events->empty()) {
    std::fprintf(stderr, "comptoir-portal: %s\n",
                 conflicts_only ? "no conflict to review" : "no event yet");
  }
  return 0;
}

int cmd_demo(int argc, char **argv) {
  Args a(argc, argv, 2, with_data({"--orders", "--seed", "--codes"}), {});
  a.no_positional();
  const std::string dir = a.data_dir();
  comptoir::sync::DemoOptions options;
  options.orders = a.number("--orders", 500, 20);
  options.seed = static_cast<std::uint64_t>(a.number("--seed", 2026, 0));
  const std::int64_t now = now_ms();
  options.now_s = now / 1000;
  const std::string codes_path = a.get("--codes").value_or(dir + "/demo-codes.tsv");
  auto region = comptoir::sync::make_demo_region(options);
  if (!region) return refuse(region.error().detail);
  if (struct stat st{}; ::stat((dir + "/" + std::string(portal::kDbFileName)).c_str(), &st) == 0) {
    return refuse(Error{"portal_exists", dir + " already holds a portal"}, dir);
  }
  std::error_code mkdir_error;
  std::filesystem::create_directories(dir, mkdir_error);
  if (mkdir_error) {
    return refuse("cannot create the directory " + dir + ": " + mkdir_error.message() +
                  ".\nChoose another --data.");
  }
  // The codes first: a file that cannot be written (a full disk) leaves no portal behind.
  // The same format as comptoir-provision demo's demo-codes.tsv: what an appliance serving
  // stand 1 must answer to each code once it has synced the whole region.
  std::string tsv;
  for (const auto &c : region->codes) {
    tsv += c.code + '\t' + c.expected_verdict + '\t' + c.order_number + '\n';
  }
  if (!region->codes.empty()) {
    if (auto r = write_text_file(codes_path, tsv); !r) return refuse(r.error(), dir);
  }
  auto made = [&]() -> Result<portal::DemoSummary> {
    auto store = portal::Store::create(dir, kDemoName, now);
    if (!store) return store.error();
    auto stored = (*store)->store_demo(*region, now);
    if (!stored) {
      // No half-made demo: the next attempt needs the directory as it was.
      const std::string db = (*store)->path();
      store->reset();
      for (const char *suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
    }
    return stored;
  }();
  if (!made) {
    if (!region->codes.empty()) std::remove(codes_path.c_str());
    return refuse(made.error(), dir);
  }
  const portal::DemoSummary *summary = &*made;
  std::map<std::string, int> by_status;
  for (const auto &o : region->orders) ++by_status[std::string(wire::to_string(o.status))];
  std::printf("demo portal \"%s\" in %s: %zu stands, %zu products, %zu orders (", kDemoName,
              dir.c_str(), summary->stands, summary->products, summary->orders);
  bool first = true;
  for (const auto &[status, n] : by_status) {
    std::printf("%s%d %s", first ? "" : ", ", n, status.c_str());
    first = false;
  }
  std::printf(")\n");
  if (!region->codes.empty()) {
    std::printf("codes to try on an appliance serving stand %lld: %s\n",
                static_cast<long long>(region->local_stand), codes_path.c_str());
  }
  std::printf(
      "next: comptoir-portal serve --data %s --listen 127.0.0.1:8088\n"
      "      comptoir-portal enrol --data %s --stand %lld\n",
      dir.c_str(), dir.c_str(), static_cast<long long>(region->local_stand));
  return 0;
}

int dispatch(int argc, char **argv) {
  const std::string_view command = argv[1];
  if (command == "init") return cmd_init(argc, argv);
  if (command == "serve") return cmd_serve(argc, argv);
  if (command == "stand") return cmd_stand(argc, argv);
  if (command == "product") return cmd_product(argc, argv);
  if (command == "order") return cmd_order(argc, argv);
  if (command == "enrol") return cmd_enrol(argc, argv);
  if (command == "keys") return cmd_keys(argc, argv);
  if (command == "identity") return cmd_identity(argc, argv);
  if (command == "bundle") return cmd_bundle(argc, argv);
  if (command == "devices") return cmd_devices(argc, argv);
  if (command == "conflicts") return cmd_events(argc, argv, true);
  if (command == "events") return cmd_events(argc, argv, false);
  if (command == "demo") return cmd_demo(argc, argv);
  throw UsageError{"unknown command " + std::string(command)};
}

}  // namespace

int main(int argc, char **argv) {
  // A client that hangs up mid-answer must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    return dispatch(argc, argv);
  } catch (const UsageError &e) {
    std::fprintf(stderr, "comptoir-portal: %s\n\n%s", e.message.c_str(), kUsage);
    return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "comptoir-portal: unexpected error: %s\n", e.what());
    return 1;
  }
}
