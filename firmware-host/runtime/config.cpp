#include "runtime/config.hpp"

#include <toml++/toml.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace comptoir {
namespace {

// A problem with one value: where it is and what would be right.
struct Invalid {
  std::string what;
};

std::string where(const toml::node &node, const std::string &name) {
  const auto &src = node.source();
  return name + ":" + std::to_string(src.begin.line);
}

// Reports keys of `table` not in `known` as warnings: "FILE:LINE: unknown key [scanners] leyout".
void warn_unknown(const toml::table &table, const std::set<std::string> &known,
                  const std::string &section, const std::string &name, Config &config) {
  for (const auto &[key, value] : table) {
    if (!known.count(std::string(key.str()))) {
      config.warnings.push_back(where(value, name) + ": unknown key " + section + " " +
                                std::string(key.str()) + " (ignored)");
    }
  }
}

template <typename T>
std::optional<T> get(const toml::table &table, const char *key, const char *type_name,
                     const std::string &section, const std::string &name) {
  const toml::node *node = table.get(key);
  if (!node) return std::nullopt;
  if (auto v = node->value<T>()) return *v;
  throw Invalid{where(*node, name) + ": " + section + " " + key + " must be " + type_name};
}

std::string get_string(const toml::table &t, const char *key, std::string fallback,
                       const std::string &section, const std::string &name) {
  return get<std::string>(t, key, "a string in quotes", section, name).value_or(fallback);
}

bool get_bool(const toml::table &t, const char *key, bool fallback, const std::string &section,
              const std::string &name) {
  return get<bool>(t, key, "true or false", section, name).value_or(fallback);
}

int get_int(const toml::table &t, const char *key, int fallback, int min, int max,
            const std::string &section, const std::string &name) {
  const auto v = get<std::int64_t>(t, key, "a whole number", section, name);
  if (!v) return fallback;
  if (*v < min || *v > max) {
    throw Invalid{where(*t.get(key), name) + ": " + section + " " + key + " must be between " +
                  std::to_string(min) + " and " + std::to_string(max)};
  }
  return static_cast<int>(*v);
}

void check_choice(const toml::table &t, const char *key, const std::string &value,
                  const std::set<std::string> &choices, const std::string &section,
                  const std::string &name) {
  if (choices.count(value)) return;
  std::string list;
  for (const auto &c : choices) list += (list.empty() ? "" : ", ") + c;
  const toml::node *node = t.get(key);
  throw Invalid{(node ? where(*node, name) : name) + ": " + section + " " + key + " = \"" + value +
                "\" is not one of " + list};
}

const std::set<std::string> kLayouts = {"us", "uk", "fr", "de"};

std::string layout_of(const toml::table &t, const std::string &section, const std::string &name) {
  std::string layout = get_string(t, "layout", "", section, name);
  if (!layout.empty()) check_choice(t, "layout", layout, kLayouts, section, name);
  return layout;
}

// USB ids are written as in lsusb, "0c2e", or as numbers (0x0c2e in TOML).
std::uint16_t usb_id(const toml::table &t, const char *key, const std::string &section,
                     const std::string &name) {
  const toml::node *node = t.get(key);
  const std::string bad = (node ? where(*node, name) : name) + ": " + section + " " + key +
                          " must be a USB id like \"0c2e\" (as lsusb shows it)";
  if (!node) throw Invalid{bad};
  if (auto n = node->value<std::int64_t>()) {
    if (*n < 0 || *n > 0xffff) throw Invalid{bad};
    return static_cast<std::uint16_t>(*n);
  }
  if (auto s = node->value<std::string>()) {
    std::string hex = *s;
    if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) hex = hex.substr(2);
    if (hex.empty() || hex.size() > 4) throw Invalid{bad};
    for (char c : hex) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) throw Invalid{bad};
    }
    return static_cast<std::uint16_t>(std::strtoul(hex.c_str(), nullptr, 16));
  }
  throw Invalid{bad};
}

const toml::array *array_of_tables(const toml::table &t, const char *key,
                                   const std::string &section, const std::string &name) {
  const toml::node *node = t.get(key);
  if (!node) return nullptr;
  const toml::array *array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    throw Invalid{where(*node, name) + ": " + section + "." + key + " must be written [[" +
                  section.substr(1, section.size() - 2) + "." + key + "]], one per device"};
  }
  return array;
}

void parse_scanners(const toml::table &t, const std::string &name, Config &config) {
  const std::string s = "[scanners]";
  ScannersConfig &sc = config.scanners;
  warn_unknown(t, {"auto_detect", "layout", "evdev", "usb", "serial", "max_scan_bytes", "camera"},
               s, name, config);
  sc.auto_detect = get_bool(t, "auto_detect", sc.auto_detect, s, name);
  sc.layout = get_string(t, "layout", sc.layout, s, name);
  check_choice(t, "layout", sc.layout, kLayouts, s, name);
  sc.max_scan_bytes = get_int(t, "max_scan_bytes", sc.max_scan_bytes, 256, 1 << 20, s, name);

  // [scanners] evdev = false switches the reader off; [[scanners.evdev]] lists devices.
  const auto reader_switch_or_devices = [&](const char *key, bool &enabled) -> const toml::array * {
    const toml::node *node = t.get(key);
    if (node && node->is_boolean()) {
      enabled = *node->value<bool>();
      return nullptr;
    }
    return array_of_tables(t, key, s, name);
  };

  if (const toml::array *devices = reader_switch_or_devices("evdev", sc.evdev)) {
    for (const toml::node &n : *devices) {
      const toml::table &d = *n.as_table();
      const std::string ds = "[[scanners.evdev]]";
      warn_unknown(d, {"path", "layout", "quiet_gap_ms"}, ds, name, config);
      EvdevScannerConfig e;
      e.path = get_string(d, "path", "", ds, name);
      if (e.path.empty())
        throw Invalid{where(n, name) + ": " + ds + " needs path = \"/dev/input/by-id/…\""};
      e.layout = layout_of(d, ds, name);
      e.quiet_gap_ms = get_int(d, "quiet_gap_ms", 0, 0, 2000, ds, name);
      sc.evdev_devices.push_back(std::move(e));
    }
  }
  if (const toml::array *devices = reader_switch_or_devices("usb", sc.usb)) {
    for (const toml::node &n : *devices) {
      const toml::table &d = *n.as_table();
      const std::string ds = "[[scanners.usb]]";
      warn_unknown(d, {"vendor", "product", "mode", "layout", "quiet_gap_ms"}, ds, name, config);
      UsbScannerConfig u;
      u.vendor = usb_id(d, "vendor", ds, name);
      u.product = usb_id(d, "product", ds, name);
      u.mode = get_string(d, "mode", u.mode, ds, name);
      check_choice(d, "mode", u.mode, {"auto", "boot", "hid-pos"}, ds, name);
      u.layout = layout_of(d, ds, name);
      u.quiet_gap_ms = get_int(d, "quiet_gap_ms", 0, 0, 2000, ds, name);
      sc.usb_devices.push_back(std::move(u));
    }
  }
  if (const toml::array *ports = reader_switch_or_devices("serial", sc.serial)) {
    for (const toml::node &n : *ports) {
      const toml::table &d = *n.as_table();
      const std::string ds = "[[scanners.serial]]";
      warn_unknown(d, {"path", "baud", "terminator", "quiet_gap_ms"}, ds, name, config);
      SerialScannerConfig p;
      p.path = get_string(d, "path", "", ds, name);
      if (p.path.empty())
        throw Invalid{where(n, name) + ": " + ds + " needs path = \"/dev/ttyACM0\""};
      p.baud = get_int(d, "baud", p.baud, 1200, 4000000, ds, name);
      static const std::set<std::string> kBauds = {"1200",  "2400",  "4800",   "9600",  "19200",
                                                   "38400", "57600", "115200", "230400"};
      check_choice(d, "baud", std::to_string(p.baud), kBauds, ds, name);
      p.terminator = get_string(d, "terminator", p.terminator, ds, name);
      check_choice(d, "terminator", p.terminator, {"cr", "lf", "crlf", "tab", "none"}, ds, name);
      p.quiet_gap_ms = get_int(d, "quiet_gap_ms", p.quiet_gap_ms, 5, 2000, ds, name);
      sc.serial_ports.push_back(std::move(p));
    }
  }
  if (const toml::node *node = t.get("camera")) {
    const toml::table *c = node->as_table();
    const std::string cs = "[scanners.camera]";
    if (!c) throw Invalid{where(*node, name) + ": " + cs + " must be a table"};
    warn_unknown(*c, {"enabled", "device", "width", "height", "max_cpu_percent"}, cs, name, config);
    CameraConfig &cam = sc.camera;
    cam.enabled = get_bool(*c, "enabled", cam.enabled, cs, name);
    cam.device = get_string(*c, "device", cam.device, cs, name);
    cam.width = get_int(*c, "width", cam.width, 160, 4096, cs, name);
    cam.height = get_int(*c, "height", cam.height, 120, 4096, cs, name);
    cam.max_cpu_percent = get_int(*c, "max_cpu_percent", cam.max_cpu_percent, 5, 100, cs, name);
  }
}

// [sync]: how the appliance talks to its portal (docs/protocol.md, "The appliance's
// settings"). Who the portal is comes from enrolment, not from here.
void parse_sync(const toml::table &t, const std::string &name, Config &config) {
  const std::string s = "[sync]";
  sync::SyncSettings &sync = config.sync;
  warn_unknown(t,
               {"enabled", "interval_s", "push_delay_ms", "backoff_base_s", "backoff_cap_s",
                "stall_s", "connect_timeout_s", "ca_file", "insecure", "portal_key",
                "purge_names_after_days", "page_orders", "push_batch"},
               s, name, config);
  sync.enabled = get_bool(t, "enabled", sync.enabled, s, name);
  sync.interval_s = get_int(t, "interval_s", sync.interval_s, 5, 86400, s, name);
  sync.push_delay_ms = get_int(t, "push_delay_ms", sync.push_delay_ms, 0, 600000, s, name);
  sync.backoff_base_s = get_int(t, "backoff_base_s", sync.backoff_base_s, 1, 600, s, name);
  sync.backoff_cap_s = get_int(t, "backoff_cap_s", sync.backoff_cap_s, 1, 86400, s, name);
  if (sync.backoff_cap_s < sync.backoff_base_s) {
    const toml::node *node = t.get("backoff_cap_s");
    if (!node) node = t.get("backoff_base_s");
    throw Invalid{where(*node, name) + ": " + s + " backoff_cap_s (" +
                  std::to_string(sync.backoff_cap_s) + ") must be at least backoff_base_s (" +
                  std::to_string(sync.backoff_base_s) + ")"};
  }
  sync.stall_s = get_int(t, "stall_s", sync.stall_s, 2, 3600, s, name);
  sync.connect_timeout_s = get_int(t, "connect_timeout_s", sync.connect_timeout_s, 1, 600, s, name);
  sync.ca_file = get_string(t, "ca_file", sync.ca_file, s, name);
  // The service's working directory is nobody's business: a relative path would depend on
  // how the program was started.
  if (!sync.ca_file.empty() && sync.ca_file.front() != '/') {
    throw Invalid{where(*t.get("ca_file"), name) + ": " + s + " ca_file = \"" + sync.ca_file +
                  "\" must be an absolute path, like \"/etc/comptoir/portal-ca.pem\""};
  }
  sync.insecure = get_bool(t, "insecure", sync.insecure, s, name);
  // The portal's identity key, pinned at enrolment: 64 hex, as `comptoir-portal identity`
  // prints it.
  sync.portal_key = get_string(t, "portal_key", sync.portal_key, s, name);
  if (!sync.portal_key.empty()) {
    bool hex = sync.portal_key.size() == 64;
    for (char &c : sync.portal_key) {
      hex = hex && std::isxdigit(static_cast<unsigned char>(c)) != 0;
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!hex) {
      throw Invalid{where(*t.get("portal_key"), name) + ": " + s + " portal_key = \"" +
                    sync.portal_key +
                    "\" must be the portal's identity key: 64 hexadecimal characters, as "
                    "`comptoir-portal identity` prints it on the portal"};
    }
  }
  sync.purge_names_after_days =
      get_int(t, "purge_names_after_days", sync.purge_names_after_days, 1, 3650, s, name);
  sync.page_orders =
      static_cast<std::size_t>(get_int(t, "page_orders", static_cast<int>(sync.page_orders), 1,
                                       static_cast<int>(wire::kMaxPageOrders), s, name));
  sync.push_batch =
      static_cast<std::size_t>(get_int(t, "push_batch", static_cast<int>(sync.push_batch), 1,
                                       static_cast<int>(wire::kMaxPushEvents), s, name));
}

}  // namespace

std::string default_config_path() {
  const char *env = std::getenv("COMPTOIR_CONFIG");
  if (env && *env) return env;
  return "/etc/comptoir/comptoir.toml";
}

Result<Config> parse_config(const std::string &text, const std::string &name) {
  Config config;
  config.path = name;
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error &e) {
    return make_error("config_invalid", name + ":" + std::to_string(e.source().begin.line) + ": " +
                                            std::string(e.description()));
  }
  try {
    warn_unknown(root, {"appliance", "scanners", "feedback", "kiosk", "sync"}, "", name, config);
    if (const toml::node *node = root.get("appliance")) {
      const toml::table *a = node->as_table();
      if (!a) throw Invalid{where(*node, name) + ": appliance must be a [appliance] table"};
      warn_unknown(*a, {"data_dir", "lang"}, "[appliance]", name, config);
      if (auto dir = get<std::string>(*a, "data_dir", "a string in quotes", "[appliance]", name)) {
        config.data_dir = *dir;
      }
      if (auto lang = get<std::string>(*a, "lang", "a string in quotes", "[appliance]", name)) {
        check_choice(*a, "lang", *lang, {"fr", "en"}, "[appliance]", name);
        config.lang = *lang;
      }
    }
    if (const toml::node *node = root.get("scanners")) {
      const toml::table *s = node->as_table();
      if (!s) throw Invalid{where(*node, name) + ": scanners must be a [scanners] table"};
      parse_scanners(*s, name, config);
    }
    if (const toml::node *node = root.get("feedback")) {
      const toml::table *f = node->as_table();
      if (!f) throw Invalid{where(*node, name) + ": feedback must be a [feedback] table"};
      warn_unknown(*f, {"sound"}, "[feedback]", name, config);
      config.sound = get_bool(*f, "sound", config.sound, "[feedback]", name);
    }
    if (const toml::node *node = root.get("kiosk")) {
      const toml::table *k = node->as_table();
      if (!k) throw Invalid{where(*node, name) + ": kiosk must be a [kiosk] table"};
      const std::string ks = "[kiosk]";
      warn_unknown(*k, {"renderer", "verdict_seconds"}, ks, name, config);
      KioskConfig &kiosk = config.kiosk;
      kiosk.renderer = get_string(*k, "renderer", kiosk.renderer, ks, name);
      check_choice(*k, "renderer", kiosk.renderer, {"software", "accelerated", "auto"}, ks, name);
      kiosk.verdict_seconds =
          get_int(*k, "verdict_seconds", kiosk.verdict_seconds, 3, 600, ks, name);
    }
    if (const toml::node *node = root.get("sync")) {
      const toml::table *t = node->as_table();
      if (!t) throw Invalid{where(*node, name) + ": sync must be a [sync] table"};
      parse_sync(*t, name, config);
    }
  } catch (const Invalid &e) {
    return make_error("config_invalid", e.what);
  }
  return config;
}

Result<Config> load_config(const std::string &path, bool must_exist) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    return make_error("config_unreadable", path + ": not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    // ENOTDIR: a component of the path is a file, so the config cannot exist: missing too.
    if ((err == ENOENT || err == ENOTDIR) && !must_exist) return Config{};
    return make_error("config_unreadable", path + ": " + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("config_unreadable", path + ": read error");
  return parse_config(text.str(), path);
}

}  // namespace comptoir
