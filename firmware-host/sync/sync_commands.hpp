// The sync commands a person or a script runs: `sync --once` (one round, then a report) and
// `enrol` (a one-time code becomes this appliance's identity, then a first round). Shared by
// `comptoir` (ui/comptoir_main.cpp) and `comptoir-provision`; and the agent the kiosk and
// headless processes run.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/result.hpp"
#include "runtime/appliance.hpp"
#include "runtime/clock.hpp"
#include "sync/sync_agent.hpp"

namespace comptoir::sync {

// Exit statuses of run_sync_command.
inline constexpr int kSyncExitOk = 0;           // the round completed; enrolled
inline constexpr int kSyncExitFailed = 1;       // the round or the enrolment failed (said why)
inline constexpr int kSyncExitUsage = 2;        // wrong usage
inline constexpr int kSyncExitNotEnrolled = 4;  // sync: this appliance has no portal yet

// The usage of `command` ("sync" or "enrol"; empty: both), to follow "Usage: ".
std::string sync_commands_usage(const std::string &program, const std::string &command = {});

// args[0] is "sync" or "enrol", then its options:
//   sync --once [--data DIR] [--config FILE] [--format json|text] [--lang fr|en]
//   enrol --portal URL --code CODE [--stand ID] [--name NAME] [--insecure] [--ca-file FILE]
//         [--force] [--data DIR] [--config FILE] [--format json|text] [--lang fr|en]
// (--code may be the enrolment QR's URL, which holds the portal's.) The report goes to out,
// problems to err. While a kiosk or headless process holds the data directory, `sync` says
// the appliance is running and syncs by itself (exit 1): one writer per data directory.
// `enrol` exits 0 once enrolled, even when the first round then failed (the report says so;
// the appliance retries by itself).
int run_sync_command(const std::vector<std::string> &args, const std::string &program,
                     std::FILE *out, std::FILE *err);

// The agent of a long-running process (kiosk, headless) on an open appliance: nullptr when
// [sync] enabled = false or the appliance is not enrolled. `why` gets a line for the log
// (syncing with whom, or switched off), left empty when not enrolled.
// Errors: credentials_unreadable, database errors. Not started.
Result<std::unique_ptr<SyncAgent>> make_appliance_agent(Appliance &appliance,
                                                        const SyncSettings &settings,
                                                        const Clock &clock, std::string *why);

}  // namespace comptoir::sync
