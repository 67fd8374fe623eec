// `comptoir-provision`: puts an appliance into service: `demo`, a demo region; `set-pin`, the
// technician PIN of the kiosk's technician screen; `enrol` with a portal; `bundle apply`, an
// offline bundle; `selftest`; `reset`, a factory reset (provisioning/commands.hpp).
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes/pickup_token.hpp"
#include "commands.hpp"
#include "demo_data.hpp"
#include "runtime/appliance.hpp"
#include "runtime/clock.hpp"
#include "runtime/config.hpp"
#include "runtime/messages.hpp"
#include "runtime/service_user.hpp"
#include "runtime/technician_pin.hpp"
#include "sync/sync_commands.hpp"

namespace {

constexpr const char *kUsage =
    "Usage: comptoir-provision demo [--data DIR] [--orders N] [--seed N] [--quiet]\n"
    "       comptoir-provision set-pin [--data DIR] [--config FILE] [< file-with-the-PIN]\n"
    "       comptoir-provision enrol --portal URL --code CODE [--stand ID] [--name NAME]\n"
    "                [--insecure] [--ca-file FILE] [--force] [--data DIR] [--config FILE]\n"
    "                [--format json|text] [--lang fr|en]\n"
    "\n"
    "  demo        create a demo region (3 stands, orders in every state) in an empty\n"
    "              data directory, print codes to try and write DIR/demo-codes.json\n"
    "              (and .tsv), and the demo portal's signing key DIR/demo-portal-key.json;\n"
    "              the technician PIN is 1234\n"
    "  --orders N  number of orders (default 240, at least 20)\n"
    "  set-pin     read the technician PIN (4 to 8 digits) from the first line of stdin\n"
    "              and store its hash in the data directory's cache (made when there is\n"
    "              none yet, so the PIN can be set before enrolling); on a terminal it is\n"
    "              asked for twice and not shown. The data directory: --data, else the\n"
    "              config's data_dir (--config FILE, else /etc/comptoir/comptoir.toml)\n"
    "  enrol       enrol the appliance with its regional portal using a one-time code from\n"
    "              the portal's admin, then sync once (as `comptoir enrol`; see\n"
    "              comptoir-provision enrol --help)\n";

constexpr const char *kDemoPin = "1234";

// The synopses of every command first, then what each does: kUsage and the other commands'
// usage (provisioning/commands.hpp) are both "synopses\n\ndescriptions".
std::string usage() {
  const std::string own = kUsage;
  std::string more = comptoir::provisioning::provisioning_commands_usage();
  if (!more.empty() && more.front() == '\n') more.erase(0, 1);
  const auto own_split = own.find("\n\n");
  const auto more_split = more.find("\n\n");
  if (own_split == std::string::npos || more_split == std::string::npos) return own + more;
  return own.substr(0, own_split + 1) + more.substr(0, more_split + 1) + '\n' +
         own.substr(own_split + 2) + more.substr(more_split + 2);
}

int usage_error(const std::string &message) {
  std::fprintf(stderr, "comptoir-provision: %s\n\n%s", message.c_str(), usage().c_str());
  return 2;
}

bool parse_number(std::string_view text, std::int64_t &out) {
  return std::from_chars(text.data(), text.data() + text.size(), out).ec == std::errc() && out >= 0;
}

// printf pads by bytes; names with accents need padding by characters.
std::string pad(const std::string &text, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xc0) != 0x80 ? 1 : 0;
  return text + std::string(chars < width ? width - chars : 1, ' ');
}

void print_table(const std::vector<comptoir::provisioning::DemoCode> &codes) {
  // Two codes per verdict: enough to try each one by hand.
  std::map<std::string, int> shown;
  std::printf("\n  %s%s%s%s\n", pad("code", 17).c_str(), pad("commande", 11).c_str(),
              pad("client", 17).c_str(), "verdict attendu");
  std::size_t tokens = 0;
  for (const auto &c : codes) {
    // Signed tokens (131 characters) are for QR codes, not for typing.
    if (c.code.size() > 20) {
      ++tokens;
      continue;
    }
    if (shown[c.expected_verdict]++ >= 2) continue;
    std::printf("  %s%s%s%s\n", pad(c.code, 17).c_str(),
                pad(c.order_number.empty() ? "-" : c.order_number, 11).c_str(),
                pad(c.customer.empty() ? "-" : c.customer, 17).c_str(), c.expected_verdict.c_str());
  }
  std::printf(
      "\n  and %zu signed QR tokens (ready, ready_unsynced, forged, unknown_key, typed\n"
      "  through a French keyboard...): paste them from demo-codes.json, or make QR\n"
      "  images with: comptoir-code sign --key DIR/demo-portal-key.json ...\n",
      tokens);
}

int demo(int argc, char **argv) {
  std::string data_dir = comptoir::default_data_dir();
  comptoir::provisioning::DemoOptions options;
  bool quiet = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    std::int64_t n = 0;
    if (a == "--data" && has_value) {
      data_dir = argv[++i];
    } else if (a == "--orders" && has_value) {
      if (!parse_number(argv[++i], n) || n < 20)
        return usage_error("--orders takes a number >= 20");
      options.orders = n;
    } else if (a == "--seed" && has_value) {
      if (!parse_number(argv[++i], n)) return usage_error("--seed takes a number");
      options.seed = static_cast<std::uint64_t>(n);
    } else if (a == "--quiet") {
      quiet = true;
    } else {
      return usage_error("unknown or incomplete option: " + std::string(a));
    }
  }
  const std::string db_path = data_dir + "/" + comptoir::db::Database::kFileName;
  struct stat st {};
  if (::stat(db_path.c_str(), &st) == 0) {
    std::fprintf(stderr,
                 "comptoir-provision: %s already holds a cache; the demo needs an empty data "
                 "directory (remove it or choose another --data).\n",
                 db_path.c_str());
    return 1;
  }
  auto lock = comptoir::DataDirLock::acquire(data_dir);
  if (!lock) {
    std::fprintf(stderr, "comptoir-provision: %s\n",
                 comptoir::error_message(lock.error(), comptoir::Lang::en).c_str());
    return 1;
  }
  auto database = comptoir::db::Database::open(db_path);
  if (!database) {
    std::fprintf(stderr, "comptoir-provision: %s\n",
                 comptoir::error_message(database.error(), comptoir::Lang::en).c_str());
    return 1;
  }
  options.now_s = comptoir::SystemClock().wall_ms() / 1000;
  auto region = comptoir::provisioning::create_demo(**database, options);
  if (!region) {
    std::fprintf(stderr, "comptoir-provision: %s\n",
                 comptoir::error_message(region.error(), comptoir::Lang::en).c_str());
    return 1;
  }

  if (!region->codes.empty()) {
    nlohmann::json codes = nlohmann::json::array();
    for (const auto &c : region->codes) {
      codes.push_back({{"code", c.code},
                       {"order_number", c.order_number},
                       {"expected_verdict", c.expected_verdict}});
    }
    // The same list as tab-separated lines (code, verdict, order; the one column that can be
    // empty last, as the shell folds empty fields), for scripts: mangled codes hold quotes.
    std::string tsv;
    for (const auto &c : region->codes) {
      tsv += c.code + '\t' + c.expected_verdict + '\t' + c.order_number + '\n';
    }
    const auto &key = region->portal_key;
    const nlohmann::json key_file = {
        {"key_id", region->key_id},
        {"secret_key", comptoir::codes::to_hex(key.secret_key.data(), key.secret_key.size())},
        {"public_key", comptoir::codes::to_hex(key.public_key.data(), key.public_key.size())}};
    for (const auto &[name, content] :
         {std::pair{std::string("demo-codes.json"), codes.dump(1) + '\n'},
          std::pair{std::string("demo-codes.tsv"), tsv},
          std::pair{std::string("demo-portal-key.json"), key_file.dump(1) + '\n'}}) {
      const std::string path = data_dir + "/" + name;
      std::ofstream out(path);
      out << content;
      if (!out.flush()) {
        std::fprintf(stderr, "comptoir-provision: could not write %s (disk full?)\n", path.c_str());
        return 1;
      }
    }
  }
  if (auto r = comptoir::set_technician_pin(**database, kDemoPin); !r) {
    std::fprintf(stderr, "comptoir-provision: %s\n",
                 comptoir::error_message(r.error(), comptoir::Lang::en).c_str());
    return 1;
  }
  if (!quiet) {
    std::printf(
        "Demo region created in %s: %lld orders, this appliance serves "
        "\"La Ferme du Bois Joli\" (stand 1).\n"
        "Code PIN technicien / technician PIN: %s\n",
        data_dir.c_str(), static_cast<long long>(options.orders), kDemoPin);
    if (!region->codes.empty()) {
      print_table(region->codes);
      std::printf("\nEvery code, with its expected verdict: %s/demo-codes.json\n",
                  data_dir.c_str());
    }
  }
  return 0;
}

// The terminal as it was before echo was turned off, for the signal handler: a Ctrl-C at
// the prompt must not leave the technician's shell without echo.
termios g_saved_terminal{};
volatile std::sig_atomic_t g_echo_off = 0;

extern "C" void restore_terminal_and_die(int sig) {
  if (g_echo_off != 0) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// A line from stdin after a prompt on stderr (stdout stays the tool's answer). nullopt at
// end of input.
std::optional<std::string> ask(const char *prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) {
    std::fputc('\n', stderr);
    return std::nullopt;
  }
  return line;
}

// The PIN from a person at a terminal: typed twice, never shown. Echo is off for both
// questions (the newline still shows), before the first prompt, so nothing typed after a
// prompt is ever shown or thrown away. Error codes: pin_mismatch, pin_invalid (nothing
// typed), terminal_unusable.
comptoir::Result<std::string> pin_from_terminal() {
  if (::tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) {
    return comptoir::make_error("terminal_unusable", "cannot read the terminal's settings");
  }
  struct sigaction action {};
  action.sa_handler = restore_terminal_and_die;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &action, nullptr);
  termios quiet = g_saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  g_echo_off = 1;
  // TCSAFLUSH: anything typed before the question was shown; it is not taken as the PIN.
  if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
    g_echo_off = 0;
    return comptoir::make_error("terminal_unusable", "cannot turn the terminal's echo off");
  }
  auto first = ask("Code PIN technicien (4 à 8 chiffres) / technician PIN (4 to 8 digits): ");
  std::optional<std::string> second;
  if (first) second = ask("Encore une fois / once more: ");
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_terminal);
  g_echo_off = 0;
  if (!first || !second) return comptoir::make_error("pin_invalid", "nothing typed");
  if (*first != *second) return comptoir::make_error("pin_mismatch", "the two PINs differ");
  return std::move(*first);
}

// The PIN comes on stdin, not the command line, so it stays out of the shell history and
// of `ps`: typed at the terminal (twice, unseen) or piped in (its first line). On a fresh
// appliance the cache is made here (no stand yet: the kiosk starts on it and enrolment fills
// it), so the technician can set the PIN before enrolling at the kiosk.
int set_pin(int argc, char **argv) {
  std::optional<std::string> data_arg, config_arg;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      data_arg = argv[++i];
    } else if (a == "--config" && i + 1 < argc) {
      config_arg = argv[++i];
    } else {
      return usage_error("unknown or incomplete option: " + std::string(a));
    }
  }
  const auto fail = [](const comptoir::Error &e) {
    std::fprintf(stderr, "comptoir-provision: %s\n%s\n",
                 comptoir::error_message(e, comptoir::Lang::fr).c_str(),
                 comptoir::error_message(e, comptoir::Lang::en).c_str());
    return 1;
  };
  // The data directory as the other commands find it: --data, else the config's data_dir.
  std::string data_dir;
  if (data_arg) {
    data_dir = *data_arg;
  } else {
    auto config = comptoir::load_config(config_arg.value_or(comptoir::default_config_path()),
                                        config_arg.has_value());
    if (!config) return fail(config.error());
    data_dir = config->data_dir.value_or(comptoir::default_data_dir());
  }
  // Checked before asking, so nobody types a PIN twice to learn that.
  const auto owner = comptoir::service_owner();
  if (auto r = comptoir::check_data_dir_dedicated(data_dir, owner); !r) return fail(r.error());
  const std::string db_path = data_dir + "/" + comptoir::db::Database::kFileName;
  auto lock = comptoir::DataDirLock::acquire(data_dir);
  if (!lock) return fail(lock.error());
  // An existing cache is opened first (one made by a newer Comptoir, or not a Comptoir
  // database, is refused before the question); a new one only once the PIN is a valid one.
  struct stat st {};
  std::unique_ptr<comptoir::db::Database> database;
  if (::lstat(db_path.c_str(), &st) == 0) {
    auto opened = comptoir::db::Database::open(db_path, {.create = false});
    if (!opened) return fail(opened.error());
    database = std::move(*opened);
  }
  std::string pin;
  if (::isatty(STDIN_FILENO) != 0) {
    auto typed = pin_from_terminal();
    if (!typed) return fail(typed.error());
    pin = std::move(*typed);
  } else {
    std::getline(std::cin, pin);
  }
  if (!pin.empty() && pin.back() == '\r') pin.pop_back();
  const bool made = !database;
  if (made) {
    auto opened = comptoir::db::Database::open(db_path);
    if (!opened) return fail(opened.error());
    database = std::move(*opened);
  }
  if (auto r = comptoir::set_technician_pin(*database, pin); !r) {
    // A refused PIN leaves no new empty cache behind.
    database.reset();
    if (made) {
      for (const char *suffix : {"", "-wal", "-shm", "-journal"}) {
        ::unlink((db_path + suffix).c_str());
      }
    }
    return fail(r.error());
  }
  database.reset();
  // Root provisioning for the service user: the cache is its.
  if (auto r = comptoir::secure_data_dir(data_dir, owner); !r) return fail(r.error());
  std::printf(
      "Code PIN technicien enregistré dans %s : il ouvre l'écran technicien du kiosque.\n"
      "Technician PIN saved in %s: it opens the kiosk's technician screen.\n",
      data_dir.c_str(), data_dir.c_str());
  return 0;
}

}  // namespace

int run(int argc, char **argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fputs(usage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::string_view(argv[1]) == "demo") return demo(argc, argv);
  if (std::string_view(argv[1]) == "set-pin") return set_pin(argc, argv);
  // The same command as `comptoir enrol` (sync/sync_commands).
  if (std::string_view(argv[1]) == "enrol") {
    return comptoir::sync::run_sync_command(std::vector<std::string>(argv + 1, argv + argc),
                                            "comptoir-provision", stdout, stderr);
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args[0] == "bundle") return comptoir::provisioning::run_bundle_command(args, stdout, stderr);
  if (args[0] == "selftest") {
    return comptoir::provisioning::run_selftest_command(args, stdout, stderr);
  }
  if (args[0] == "reset") return comptoir::provisioning::run_reset_command(args, stdout, stderr);
  return usage_error("unknown command: " + std::string(argv[1]));
}

// Errors are values inside; this only keeps an unexpected exception (out of memory) from
// ending the process without a word.
int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "comptoir-provision: unexpected error: %s\n", e.what());
    return 1;
  }
}
