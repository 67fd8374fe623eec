// `comptoir-code`: the pickup-code tools, for the portal's operators and for technicians:
// make a portal signing key, sign a token (and draw its QR code), read a token as an
// appliance would (keyboard-layout mix-ups repaired), make short typed codes.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "codes/pickup_token.hpp"
#include "codes/scanned_code.hpp"
#include "codes/short_code.hpp"
#include "drivers/qr_image.hpp"
#include "provisioning/key_ring_file.hpp"

namespace {

using comptoir::Error;
using comptoir::Result;
using nlohmann::ordered_json;
namespace codes = comptoir::codes;
namespace prov = comptoir::provisioning;

constexpr const char *kUsage =
    "Usage:\n"
    "  comptoir-code keygen --out FILE [--key-id N] [--valid-from YYYY-MM-DD]\n"
    "                       [--valid-until YYYY-MM-DD]\n"
    "  comptoir-code sign --key FILE --order ID --stand ID --valid-until YYYY-MM-DD\n"
    "                     [--prepaid] [--png OUT.png]\n"
    "  comptoir-code verify --keys RING.json [--now YYYY-MM-DD] [TOKEN]\n"
    "  comptoir-code short [--count N]\n"
    "\n"
    "  keygen  make a portal signing key: FILE gets the secret key (mode 0600, never\n"
    "          overwritten) and the key-ring entry for appliances is printed (key id 1\n"
    "          and two years from today unless told otherwise)\n"
    "  sign    print a signed pickup token; with --png also write it as a QR code\n"
    "  verify  read TOKEN (or standard input) as an appliance would, keyboard-layout\n"
    "          mix-ups repaired, and print what it holds as JSON; exit status 0 when\n"
    "          the token is genuine, 1 when not. RING.json: {\"keys\": [entries printed\n"
    "          by keygen]}, one such entry, or a key file. --now: the day to check\n"
    "          key validity and expiry on (default today)\n"
    "  short   print N new short typed codes (default 1)\n"
    "\n"
    "Dates are UTC days. Exit status 2: bad arguments or files; the message says what to do.\n";

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kDefaultKeyDays = 2 * 365;
constexpr std::size_t kMaxStdinBytes = 64 * 1024;  // far over any scan (parse_scan caps at 512)

Error bad(std::string detail) {
  return comptoir::make_error("bad_input", std::move(detail));
}

int fail(const std::string &message) {
  std::fprintf(stderr, "comptoir-code: %s\n", message.c_str());
  return 2;
}

// The options after the command word: --name VALUE, bare --flags, and positional words.
struct Options {
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> flags;
  std::vector<std::string> words;

  const std::string *value(std::string_view name) const {
    const auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  }
  bool flag(std::string_view name) const { return flags.contains(name); }
};

Result<Options> parse_options(int argc, char **argv, std::string_view command,
                              const std::set<std::string_view> &with_value,
                              const std::set<std::string_view> &without_value,
                              std::size_t max_words) {
  Options options;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--")) {
      if (with_value.contains(a)) {
        if (i + 1 >= argc) return bad(std::string(a) + " needs a value: see comptoir-code --help.");
        if (!options.values.emplace(std::string(a), argv[++i]).second) {
          return bad(std::string(a) + " is given twice: keep one.");
        }
      } else if (without_value.contains(a)) {
        options.flags.emplace(a);
      } else {
        return bad("`" + std::string(command) + "` has no option " + std::string(a) +
                   ": see comptoir-code --help.");
      }
    } else if (options.words.size() < max_words) {
      options.words.emplace_back(a);
    } else {
      return bad("unexpected argument \"" + std::string(a.substr(0, 40)) + "\" for `" +
                 std::string(command) + "`: see comptoir-code --help.");
    }
  }
  return options;
}

Result<std::uint64_t> parse_number(const std::string &text, std::string_view what,
                                   std::uint64_t max, std::string_view range) {
  std::uint64_t value = 0;
  const char *end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return bad(std::string(what) + " \"" + text.substr(0, 40) + "\" is not a whole number: give " +
               std::string(range) + ".");
  }
  if (ec == std::errc::result_out_of_range || value > max) {
    return bad(std::string(what) + " " + text.substr(0, 40) + " is too large: give " +
               std::string(range) + ".");
  }
  return value;
}

Result<std::int64_t> date_option(const Options &options, std::string_view name) {
  return prov::parse_date(*options.value(name), name);
}

// Creates `path` with mode 0600 and writes `content`; never replaces an existing file.
Result<void> write_secret_file(const std::string &path, const std::string &content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return bad(path + " already exists: keygen never replaces a key, so choose another file " +
                 "name (or move the old key away first).");
    }
    return bad("cannot create " + path + " (" + std::strerror(errno) +
               "): check that its folder exists and is writable.");
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const int saved_errno = errno;
  const bool ok = done == content.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return bad("cannot write " + path + " (" + std::strerror(saved_errno) +
               "): check the free disk space and try again.");
  }
  return {};
}

int keygen(int argc, char **argv) {
  auto options = parse_options(argc, argv, "keygen",
                               {"--out", "--key-id", "--valid-from", "--valid-until"}, {}, 0);
  if (!options) return fail(options.error().detail);
  const std::string *out = options->value("--out");
  if (out == nullptr) return fail("keygen needs --out FILE, the file to keep the secret key in.");

  prov::SigningKey key;
  key.key_id = 1;
  if (const std::string *id = options->value("--key-id")) {
    auto n = parse_number(*id, "--key-id", std::numeric_limits<std::uint16_t>::max(),
                          "a number from 0 to 65535");
    if (!n) return fail(n.error().detail);
    key.key_id = static_cast<std::uint16_t>(*n);
  }
  std::int64_t from = prov::today_utc();
  if (options->value("--valid-from") != nullptr) {
    auto day = date_option(*options, "--valid-from");
    if (!day) return fail(day.error().detail);
    from = *day;
  }
  std::int64_t until = from + kDefaultKeyDays;
  if (options->value("--valid-until") != nullptr) {
    auto day = date_option(*options, "--valid-until");
    if (!day) return fail(day.error().detail);
    until = *day;
  }
  if (until < from) {
    return fail("--valid-until (" + prov::format_date(until) + ") is before the key's first day (" +
                prov::format_date(from) + "): give a later date.");
  }
  key.valid_from_day = from;
  key.valid_until_day = until;
  key.pair = codes::generate_key_pair();

  auto written = write_secret_file(*out, prov::key_file_json(key).dump(1) + '\n');
  if (!written) return fail(written.error().detail);
  std::printf("%s\n", prov::ring_entry_json(key).dump().c_str());
  std::fprintf(stderr,
               "comptoir-code: secret key %u written to %s; the line above is its key-ring "
               "entry for the appliances.\n",
               static_cast<unsigned>(key.key_id), out->c_str());
  return 0;
}

int sign(int argc, char **argv) {
  auto options =
      parse_options(argc, argv, "sign", {"--key", "--order", "--stand", "--valid-until", "--png"},
                    {"--prepaid"}, 0);
  if (!options) return fail(options.error().detail);
  for (const char *required : {"--key", "--order", "--stand", "--valid-until"}) {
    if (options->value(required) == nullptr) {
      return fail(std::string("sign needs ") + required + ": see comptoir-code --help.");
    }
  }
  auto key = prov::read_key_file(*options->value("--key"));
  if (!key) return fail(key.error().detail);
  auto order = parse_number(*options->value("--order"), "--order", codes::kMaxOrderId,
                            "an order id from 0 to 281474976710655 (48 bits)");
  if (!order) return fail(order.error().detail);
  auto stand =
      parse_number(*options->value("--stand"), "--stand", std::numeric_limits<std::uint32_t>::max(),
                   "a stand id from 0 to 4294967295 (32 bits)");
  if (!stand) return fail(stand.error().detail);
  auto until = date_option(*options, "--valid-until");
  if (!until) return fail(until.error().detail);
  if (*until > std::numeric_limits<std::uint16_t>::max()) {
    return fail("--valid-until " + prov::format_date(*until) + " is after " +
                prov::format_date(std::numeric_limits<std::uint16_t>::max()) +
                ", the last day a token can hold: give an earlier date.");
  }

  codes::TokenFields fields;
  fields.key_id = key->key_id;
  fields.order_id = *order;
  fields.stand_id = static_cast<std::uint32_t>(*stand);
  fields.valid_until_day = static_cast<std::uint16_t>(*until);
  fields.flags = options->flag("--prepaid") ? codes::kFlagPrepaid : 0;
  const std::string token = codes::sign_token(fields, key->pair.secret_key);
  if (token.empty()) return fail("the token could not be signed: check --order.");
  if (key->valid_until_day && *key->valid_until_day < *until) {
    std::fprintf(stderr,
                 "comptoir-code: warning: key %u is valid only until %s; appliances will refuse "
                 "this token after that day.\n",
                 static_cast<unsigned>(key->key_id),
                 prov::format_date(*key->valid_until_day).c_str());
  }

  if (const std::string *png = options->value("--png")) {
    const auto image = comptoir::drivers::write_qr_png(token, *png);
    if (!image.ok) return fail(image.error + " Check the --png file name.");
    std::fprintf(stderr,
                 "comptoir-code: %s: QR version %d, error correction M, %d×%d modules, %d×%d "
                 "pixels.\n",
                 png->c_str(), image.version, image.modules, image.modules, image.pixels,
                 image.pixels);
  }
  std::printf("%s\n", token.c_str());
  return 0;
}

// The JSON `verify` prints for one scan.
struct ScanJson {
  std::int64_t now_s;
  ordered_json operator()(const codes::SignedTokenScan &t) const {
    ordered_json j;
    j["kind"] = "signed_token";
    j["status"] = std::string(codes::to_string(t.status));
    // The fields are decoded past `bad_version`; past `unknown_key` they are signed.
    const bool decoded =
        t.status == codes::TokenStatus::ok || t.status == codes::TokenStatus::unknown_key ||
        t.status == codes::TokenStatus::key_not_valid || t.status == codes::TokenStatus::forged;
    if (decoded) {
      j["key_id"] = t.fields.key_id;
      j["order_id"] = t.fields.order_id;
      j["stand_id"] = t.fields.stand_id;
      j["valid_until"] = prov::format_date(t.fields.valid_until_day);
      j["prepaid"] = t.fields.prepaid();
      j["expired"] = now_s / kSecondsPerDay > t.fields.valid_until_day;
    }
    if (!t.layout.empty()) j["layout"] = t.layout;
    return j;
  }
  ordered_json operator()(const codes::ShortCodeScan &s) const {
    ordered_json j{{"kind", "short_code"},
                   {"status", "not_a_token"},
                   {"short_code", codes::format_short_code(s.value)}};
    if (!s.layout.empty()) j["layout"] = s.layout;
    return j;
  }
  ordered_json operator()(const codes::MistypedShortCode &m) const {
    return {{"kind", "mistyped_short_code"}, {"status", "not_a_token"}, {"cleaned", m.cleaned}};
  }
  ordered_json operator()(const codes::OrderNumberScan &o) const {
    return {{"kind", "order_number"}, {"status", "not_a_token"}, {"order_number", o.number}};
  }
  ordered_json operator()(const codes::NotACode &n) const {
    return {{"kind", "not_a_code"}, {"status", "not_a_token"}, {"reason", n.reason}};
  }
};

int verify(int argc, char **argv) {
  auto options = parse_options(argc, argv, "verify", {"--keys", "--now"}, {}, 1);
  if (!options) return fail(options.error().detail);
  const std::string *ring_path = options->value("--keys");
  if (ring_path == nullptr) {
    return fail(
        "verify needs --keys RING.json, the portal's public keys: see comptoir-code --help.");
  }
  auto ring = prov::read_key_ring(*ring_path);
  if (!ring) return fail(ring.error().detail);
  std::int64_t now_s = static_cast<std::int64_t>(std::time(nullptr));
  if (options->value("--now") != nullptr) {
    auto day = date_option(*options, "--now");
    if (!day) return fail(day.error().detail);
    now_s = *day * kSecondsPerDay + kSecondsPerDay / 2;  // noon UTC
  }

  std::string text;
  if (!options->words.empty()) {
    text = options->words.front();
  } else {
    if (::isatty(STDIN_FILENO) == 1) {
      return fail("give the token to verify as an argument, or on standard input.");
    }
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0 && text.size() < kMaxStdinBytes) {
      text.append(buffer, n);
    }
    if (std::ferror(stdin))
      return fail("could not read standard input: give the token as an argument.");
    if (text.ends_with('\n')) text.pop_back();
    if (text.ends_with('\r')) text.pop_back();
  }

  const codes::ScannedCode code = codes::parse_scan(text, *ring, now_s);
  const ordered_json j = std::visit(ScanJson{now_s}, code);
  std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  const auto *token = std::get_if<codes::SignedTokenScan>(&code);
  return token != nullptr && token->status == codes::TokenStatus::ok ? 0 : 1;
}

int short_codes(int argc, char **argv) {
  auto options = parse_options(argc, argv, "short", {"--count"}, {}, 0);
  if (!options) return fail(options.error().detail);
  std::uint64_t count = 1;
  if (const std::string *n = options->value("--count")) {
    auto parsed = parse_number(*n, "--count", 1000, "a count from 1 to 1000");
    if (!parsed) return fail(parsed.error().detail);
    if (*parsed == 0) return fail("--count 0 makes no code: give a count from 1 to 1000.");
    count = *parsed;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t value = 0;
    randombytes_buf(&value, sizeof value);
    std::printf("%s\n", codes::format_short_code(value & codes::kShortCodeMax).c_str());
  }
  return 0;
}

int run(int argc, char **argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h" || (i == 1 && a == "help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  if (sodium_init() < 0) return fail("libsodium could not be initialised.");
  if (command == "keygen") return keygen(argc, argv);
  if (command == "sign") return sign(argc, argv);
  if (command == "verify") return verify(argc, argv);
  if (command == "short") return short_codes(argc, argv);
  return fail("unknown command \"" + std::string(command.substr(0, 40)) +
              "\": use keygen, sign, verify or short (see comptoir-code --help).");
}

}  // namespace

// Errors are values inside; this only keeps an unexpected exception (a JSON value of a type
// no check expected, out of memory) from ending the process without a word.
int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const nlohmann::json::exception &e) {
    return fail(std::string("a JSON file could not be read (") + e.what() +
                "): fix it, or make a new key with `comptoir-code keygen`.");
  } catch (const std::exception &e) {
    return fail(std::string("unexpected error: ") + e.what() + '.');
  }
}
