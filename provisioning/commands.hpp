// The commands of `comptoir-provision` beyond demo, set-pin and enrol: each takes its
// arguments (args[0] is the command's name), writes its report to `out` and its problems to
// `err`, and returns the process's exit status (0 done or healthy, 1 failed, 2 wrong usage).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace comptoir::provisioning {

// bundle apply FILE [--portal-key KEY|FINGERPRINT] [--data DIR] [--config FILE] [--lang fr|en]
int run_bundle_command(const std::vector<std::string> &args, std::FILE *out, std::FILE *err);

// selftest [--data DIR] [--config FILE] [--format text|json] [--lang fr|en] [--offline]
int run_selftest_command(const std::vector<std::string> &args, std::FILE *out, std::FILE *err);

// reset [--data DIR] [--config FILE] [--yes] [--lang fr|en]
int run_reset_command(const std::vector<std::string> &args, std::FILE *out, std::FILE *err);

// The usage lines of these commands, for comptoir-provision's usage.
std::string provisioning_commands_usage();

}  // namespace comptoir::provisioning
