// `comptoir-provision`: puts an appliance into service. For now: `demo`, a demo region.
#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "codes/pickup_token.hpp"
#include "demo_data.hpp"
#include "runtime/appliance.hpp"
#include "runtime/clock.hpp"
#include "runtime/messages.hpp"

namespace {

constexpr const char *kUsage =
    "Usage: comptoir-provision demo [--data DIR] [--orders N] [--seed N] [--quiet]\n"
    "\n"
    "  demo        create a demo region (3 stands, orders in every state) in an empty\n"
    "              data directory, print codes to try and write DIR/demo-codes.json\n"
    "              (and .tsv), and the demo portal's signing key DIR/demo-portal-key.json\n"
    "  --orders N  number of orders (default 240, at least 20)\n";

int usage_error(const std::string &message) {
  std::fprintf(stderr, "comptoir-provision: %s\n\n%s", message.c_str(), kUsage);
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
  if (!quiet) {
    std::printf(
        "Demo region created in %s: %lld orders, this appliance serves "
        "\"La Ferme du Bois Joli\" (stand 1).\n",
        data_dir.c_str(), static_cast<long long>(options.orders));
    if (!region->codes.empty()) {
      print_table(region->codes);
      std::printf("\nEvery code, with its expected verdict: %s/demo-codes.json\n",
                  data_dir.c_str());
    }
  }
  return 0;
}

}  // namespace

int run(int argc, char **argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::string_view(argv[1]) == "demo") return demo(argc, argv);
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
