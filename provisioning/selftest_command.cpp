// `comptoir-provision selftest`: see provisioning/commands.hpp and runtime/self_test.hpp.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "runtime/clock.hpp"
#include "runtime/messages.hpp"
#include "runtime/self_test.hpp"
#include "sync/wire.hpp"

namespace comptoir::provisioning {
namespace {

int usage_error(std::FILE *err, const std::string &message) {
  std::fprintf(err, "comptoir-provision: selftest: %s\n\nUsage:%s", message.c_str(),
               provisioning_commands_usage().c_str());
  return 2;
}

}  // namespace

int run_selftest_command(const std::vector<std::string> &args, std::FILE *out, std::FILE *err) {
  SelfTestOptions options;
  std::optional<Lang> lang;
  bool json = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string &a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(("Usage:" + provisioning_commands_usage()).c_str(), out);
      return 0;
    } else if (a == "--data" && has_value) {
      options.data_dir = args[++i];
    } else if (a == "--config" && has_value) {
      options.config_path = args[++i];
      options.config_explicit = true;
    } else if (a == "--format" && has_value) {
      const std::string &f = args[++i];
      if (f != "json" && f != "text") return usage_error(err, "--format takes text or json");
      json = f == "json";
    } else if (a == "--lang" && has_value) {
      lang = lang_from_string(args[++i]);
      if (!lang) return usage_error(err, "--lang takes fr or en");
    } else if (a == "--offline") {
      options.offline = true;
    } else if (a == "--bandwidth-bytes" && has_value) {
      const std::string &v = args[++i];
      std::size_t n = 0;
      const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < 1024 ||
          n > wire::kMaxPingBytes) {
        return usage_error(err, "--bandwidth-bytes takes a number from 1024 to " +
                                    std::to_string(wire::kMaxPingBytes));
      }
      options.bandwidth_bytes = n;
    } else {
      return usage_error(err, "unknown or incomplete option: " + a);
    }
  }
  const SystemClock clock;
  const std::vector<CheckResult> checks = run_self_test(options, clock);
  const std::string text =
      json ? self_test_json(checks, lang) + "\n" : format_self_test(checks, lang);
  std::fputs(text.c_str(), out);
  std::fflush(out);
  return self_test_passed(checks) ? 0 : 1;
}

std::string provisioning_commands_usage() {
  return "\n"
         "       comptoir-provision bundle apply FILE [--portal-key KEY|FINGERPRINT] [--data DIR]\n"
         "                [--config FILE] [--lang fr|en]\n"
         "       comptoir-provision selftest [--data DIR] [--config FILE] [--format text|json]\n"
         "                [--lang fr|en] [--offline] [--bandwidth-bytes N]\n"
         "       comptoir-provision reset [--data DIR] [--config FILE] [--yes] [--keep-config]\n"
         "                [--force-discard-unsynced] [--lang fr|en]\n"
         "\n"
         "  bundle apply  provision from an offline bundle made by `comptoir-portal bundle\n"
         "              create` (config, key ring, orders), signed by the portal: trusted when\n"
         "              signed by the pinned portal key, else by --portal-key (the 64 hex key or\n"
         "              the fingerprint `comptoir-portal identity` prints). The enrolment\n"
         "              completes by itself when the appliance first reaches its portal\n"
         "  selftest    check the appliance and print a checklist ([ OK ], [WARN], [FAIL], with\n"
         "              what to do): config, data directory, database integrity, identity,\n"
         "              pinned portal key, free disk, scanners, clock, portal (reachable, its\n"
         "              identity, bandwidth) and sync. Read-only: it runs beside the kiosk.\n"
         "              Exit 0 when nothing failed, 1 otherwise\n"
         "  --offline   skip the portal's checks (shown as skipped)\n"
         "  --bandwidth-bytes N  bytes downloaded to measure the bandwidth (default 262144)\n"
         "  reset       factory reset: remove the database, the device's key and the demo files\n"
         "              from the data directory, and the portal's key, ca_file and insecure from\n"
         "              the config's [sync] (unless --keep-config). Refused while the appliance\n"
         "              runs, or while handovers wait to be sent (unless\n"
         "              --force-discard-unsynced); asks to type RESET unless --yes. The files\n"
         "              are removed, not shredded\n";
}

}  // namespace comptoir::provisioning
