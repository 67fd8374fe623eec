// `comptoir`: the appliance's program. With no mode it opens the kiosk screen (full screen,
// or --windowed); --headless serves stdin and the scanners with no screen; --list-devices
// shows the scanners found; `sync --once` and `enrol` talk to the portal.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headless/run_headless.hpp"
#include "runtime/appliance.hpp"
#include "runtime/config.hpp"
#include "runtime/scanners.hpp"
#include "sync/sync_commands.hpp"
#include "ui/kiosk_app.hpp"

namespace {

constexpr const char *kUsage =
    "Usage: comptoir [--windowed WxH] [--state-file PATH] [--renderer software|accelerated|auto]\n"
    "                [--data DIR] [--lang fr|en] [--staff NAME] [--stand ID] [--config FILE]\n"
    "                [--no-scanners] [--no-sound]\n"
    "       comptoir --headless [--data DIR] [--lang fr|en] [--auto-handover]\n"
    "                [--staff NAME] [--stand ID] [--format json|text] [--config FILE]\n"
    "                [--no-scanners] [--no-sound]\n"
    "       comptoir --list-devices [--config FILE] [--format json|text] [--lang fr|en]\n"
    "       comptoir sync --once [--data DIR] [--config FILE] [--format json|text] [--lang fr|en]\n"
    "       comptoir enrol --portal URL --code CODE [--stand ID] [--name NAME] [--insecure]\n"
    "                [--ca-file FILE] [--force] [--data DIR] [--config FILE]\n"
    "                [--format json|text] [--lang fr|en]\n"
    "\n"
    "  (no mode)        the kiosk screen, full screen on the first display\n"
    "  --windowed WxH   the kiosk in a normal window of that size (e.g. 800x480)\n"
    "  --state-file P   keep the kiosk's state in P as JSON, rewritten after each change\n"
    "                   is shown (for tests and benchmarks)\n"
    "  --renderer R     software (default: least memory), accelerated (the GPU), or auto\n"
    "                   (SDL's choice); default: [kiosk] renderer in the config\n"
    "  --headless       read scans from stdin, one per line, and from the scanners;\n"
    "                   answer one JSON line each\n"
    "  --list-devices   show the scanners and cameras found, and why any was skipped\n"
    "  --config FILE    configuration (default: $COMPTOIR_CONFIG, else\n"
    "                   /etc/comptoir/comptoir.toml; defaults when it does not exist)\n"
    "  --no-scanners    read stdin (headless) or the window's keyboard (kiosk) only,\n"
    "                   whatever the config says\n"
    "  --no-sound       no good and bad tones, whatever the config says\n"
    "  --data DIR       data directory (default: [appliance] data_dir in the config, else\n"
    "                   $XDG_STATE_HOME/comptoir)\n"
    "  --lang fr|en     language of the messages (default: fr)\n"
    "  --auto-handover  hand every ready order over at once (stands without a screen)\n"
    "  --staff NAME     who is at the counter, recorded with each handover\n"
    "  --stand ID       serve this stand instead of the configured one\n"
    "  --format F       json: one JSON object a line (default); text: for a person\n"
    "  sync --once      one round with the portal now, then a report (text unless --format\n"
    "                   json); a running kiosk or --headless syncs by itself: stop it first\n"
    "  enrol            enrol with a portal using a one-time code from its admin (--code may\n"
    "                   be the enrolment QR's URL), then sync once; --insecure allows plain\n"
    "                   http:// to another machine, --ca-file trusts a private CA, --force\n"
    "                   enrols again over an existing enrolment\n"
    "\n"
    "Commands on stdin (headless): :handover NUMBER [--missing 2,3]  :refuse NUMBER REASON  "
    ":undo  :status\n"
    "\n"
    "Exit status: 0 done (the window closed, or SIGTERM, SIGINT or SIGHUP); 1 failed (the\n"
    "data directory, the database, the renderer...); 2 wrong usage; 3 no display for the\n"
    "kiosk window (DISPLAY / WAYLAND_DISPLAY unset or unreachable): run --headless instead.\n"
    "sync --once: 0 the round completed, 1 failed (or the appliance is running), 2 wrong usage,\n"
    "4 not enrolled. enrol: 0 enrolled (the first round's outcome is in the report), 1 failed.\n";

int usage_error(const std::string &message) {
  std::fprintf(stderr, "comptoir: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int run(int argc, char **argv) {
  // Commands: their own options, shared with comptoir-provision (sync/sync_commands).
  if (argc > 1 && (std::string_view(argv[1]) == "sync" || std::string_view(argv[1]) == "enrol")) {
    return comptoir::sync::run_sync_command(std::vector<std::string>(argv + 1, argv + argc),
                                            "comptoir", stdout, stderr);
  }
  comptoir::HeadlessArgs args;
  bool headless = false;
  bool list_devices = false;
  std::optional<std::string> data_dir;
  std::optional<std::string> config_path;
  bool lang_given = false;
  bool format_given = false;
  std::optional<int> window_w;
  std::optional<int> window_h;
  std::string state_file;
  std::optional<std::string> renderer;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("comptoir %s\n", COMPTOIR_VERSION);
      return 0;
    } else if (a == "--headless") {
      headless = true;
    } else if (a == "--list-devices") {
      list_devices = true;
    } else if (a == "--no-scanners") {
      args.scanners = false;
    } else if (a == "--no-sound") {
      args.sound = false;
    } else if (a == "--config" && has_value) {
      config_path = argv[++i];
    } else if (a == "--auto-handover") {
      args.session.auto_handover = true;
    } else if (a == "--data" && has_value) {
      data_dir = argv[++i];
    } else if (a == "--staff" && has_value) {
      args.session.staff = argv[++i];
    } else if (a == "--lang" && has_value) {
      const auto lang = comptoir::lang_from_string(argv[++i]);
      if (!lang) return usage_error("--lang takes fr or en");
      args.session.lang = *lang;
      lang_given = true;
    } else if (a == "--format" && has_value) {
      const std::string_view f = argv[++i];
      if (f != "json" && f != "text") return usage_error("--format takes json or text");
      format_given = true;
      args.session.format = f == "text" ? comptoir::HeadlessOptions::Format::text
                                        : comptoir::HeadlessOptions::Format::json;
      args.session.color = f == "text" && ::isatty(STDOUT_FILENO) == 1;
    } else if (a == "--windowed" && has_value) {
      // WxH, e.g. 800x480.
      const std::string_view v = argv[++i];
      const auto x = v.find('x');
      int w = 0;
      int h = 0;
      if (x == std::string_view::npos ||
          std::from_chars(v.data(), v.data() + x, w).ec != std::errc() ||
          std::from_chars(v.data() + x + 1, v.data() + v.size(), h).ec != std::errc() || w < 320 ||
          h < 240 || w > 16384 || h > 16384) {
        return usage_error("--windowed takes WIDTHxHEIGHT, e.g. 800x480 (at least 320x240)");
      }
      window_w = w;
      window_h = h;
    } else if (a == "--state-file" && has_value) {
      state_file = argv[++i];
    } else if (a == "--renderer" && has_value) {
      const std::string_view r = argv[++i];
      if (r != "software" && r != "accelerated" && r != "auto") {
        return usage_error("--renderer takes software, accelerated or auto");
      }
      renderer = std::string(r);
    } else if (a == "--stand" && has_value) {
      const std::string_view v = argv[++i];
      std::int64_t id = 0;
      if (std::from_chars(v.data(), v.data() + v.size(), id).ec != std::errc() || id <= 0) {
        return usage_error("--stand takes a stand id (a positive number)");
      }
      args.stand = id;
    } else {
      return usage_error("unknown or incomplete option: " + std::string(a));
    }
  }
  // The config: --config must exist; the default path may not (then the defaults).
  auto config = comptoir::load_config(config_path.value_or(comptoir::default_config_path()),
                                      config_path.has_value());
  if (!config) {
    std::fprintf(stderr, "comptoir: %s\n",
                 comptoir::error_message(config.error(), args.session.lang).c_str());
    return 1;
  }
  args.config = std::move(*config);
  if (!lang_given && args.config.lang) {
    args.session.lang = *comptoir::lang_from_string(*args.config.lang);
  }
  args.data_dir =
      data_dir ? *data_dir : args.config.data_dir.value_or(comptoir::default_data_dir());

  if (list_devices) {
    for (const std::string &warning : args.config.warnings) {
      std::fprintf(stderr, "comptoir: config: %s\n", warning.c_str());
    }
    comptoir::Scanners scanners(args.config.scanners, comptoir::Scanners::Purpose::list);
    const auto found = scanners.candidates();
    // A person reads this list unless they asked for JSON.
    if (format_given && args.session.format == comptoir::HeadlessOptions::Format::json) {
      std::fputs(comptoir::device_list_json(found).c_str(), stdout);
    } else {
      std::fputs(comptoir::format_device_list(found, args.session.lang).c_str(), stdout);
    }
    return 0;
  }
  if (!headless) {
    comptoir::ui::KioskArgs kiosk;
    kiosk.data_dir = args.data_dir;
    kiosk.stand = args.stand;
    kiosk.lang = args.session.lang;
    kiosk.staff = args.session.staff;
    kiosk.scanners = args.scanners;
    kiosk.sound = args.sound;
    kiosk.window_w = window_w;
    kiosk.window_h = window_h;
    kiosk.state_file = state_file;
    kiosk.renderer = renderer.value_or(args.config.kiosk.renderer);
    kiosk.version = COMPTOIR_VERSION;
    kiosk.config = std::move(args.config);
    return comptoir::ui::run_kiosk(kiosk);
  }
  return comptoir::run_headless(args);
}

// Errors are values inside; this only keeps an unexpected exception (out of memory) from
// ending the process without a word.
int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "comptoir: unexpected error: %s\n", e.what());
    return 1;
  }
}
