// The appliance's self-test (`comptoir-provision selftest`): a checklist of what a technician
// must see right before leaving a counter: the config, the data directory, the database, the
// identity and the pinned portal key, free disk, scanners, the clock, the portal (reachable,
// its identity, the bandwidth) and the sync. Each check is a value: facts are gathered at the
// edges (files, SQLite, statvfs, HTTP) and judged by pure functions, so the judgments are
// testable on their own and the kiosk's technician screen can reuse them (judge_disk).
//
// Read-only: it never takes the data directory's lock (a running kiosk or headless keeps
// serving), never creates the database, never writes a setting.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/clock.hpp"
#include "runtime/messages.hpp"

namespace comptoir {

enum class CheckStatus { ok, warn, fail, skipped, info };
// "ok", "warn", "fail", "skipped", "info" (the JSON's status).
std::string_view to_string(CheckStatus status);

// A sentence in both languages.
struct BiText {
  std::string fr;
  std::string en;
  const std::string &in(Lang lang) const { return lang == Lang::fr ? fr : en; }
  bool empty() const { return fr.empty() && en.empty(); }
};

struct CheckResult {
  std::string id;  // config, appliance, data_dir, database, identity, portal_key, disk,
                   // scanners, clock, portal, portal_identity, bandwidth, sync
  CheckStatus status = CheckStatus::ok;
  BiText name;
  BiText detail;  // what was found
  BiText fix;     // what to do; empty when OK
};

// Thresholds.
inline constexpr std::uint64_t kDiskFailBytes = 50ull * 1024 * 1024;
inline constexpr std::uint64_t kDiskWarnBytes = 500ull * 1024 * 1024;
inline constexpr std::int64_t kClockWarnMs = 60'000;         // 1 min
inline constexpr std::int64_t kClockFailMs = 5 * 60'000;     // the portal refuses beyond 5 min
inline constexpr std::int64_t kSyncStaleMs = 24 * 3600'000;  // 24 h
inline constexpr int kSaneYear = 2025;
inline constexpr double kBandwidthWarnBytesPerS = 2000;  // 2 kB/s
// docs/sync.md: a first pull costs ~38 bytes per order on the wire (gzip); rounded up.
inline constexpr double kPullBytesPerOrder = 40;
inline constexpr std::size_t kDefaultBandwidthBytes = 256 * 1024;

// ---- facts (I/O) and their judgments (pure) ------------------------------------------------

struct ConfigFacts {
  std::string path;
  bool exists = false;
  std::optional<Error> error;  // config_unreadable, config_invalid
  std::vector<std::string> warnings;
};
CheckResult judge_config(const ConfigFacts &facts);

// Whether a kiosk or headless process holds DIR/comptoir.lock, found without taking it (from
// /proc/locks; where that cannot be read, a shared try-lock released at once).
bool data_dir_lock_held(const std::string &data_dir);
CheckResult judge_running(bool running, const std::string &data_dir);

struct DataDirFacts {
  std::string path;
  bool exists = false;
  bool is_dir = false;
  bool writable = false;  // access(W_OK) for us
  unsigned mode = 0;      // permission bits
  uid_t owner = 0;
  bool as_root = false;
  std::optional<uid_t> service_uid;  // the user `comptoir`, when it exists
};
DataDirFacts inspect_data_dir(const std::string &dir);
CheckResult judge_data_dir(const DataDirFacts &facts);

struct DatabaseFacts {
  std::string path;
  bool exists = false;
  std::optional<Error> error;  // could not open or read it
  int reach_errno = 0;         // stat or open failed with it (EACCES: not allowed to look)
  bool as_root = false;
  int schema_version = 0;
  int latest_version = 0;
  std::optional<Error> integrity;  // check_whole_cache's failure
  std::int64_t orders = 0;
  std::int64_t outbox = 0;
  std::optional<std::int64_t> oldest_waiting_ms;  // wall time of the oldest outbox event
  std::int64_t conflicts = 0;                     // not reviewed
  // Settings and sync_state (absent: empty).
  std::string device_id, stand_id, portal_url, portal_name, portal_key, pending_enrol_code;
  std::optional<std::int64_t> last_pull_ms, last_push_ms;
  std::string link, last_error, last_error_detail;
};
// Opens the database without creating it, read-only (query_only), checks it whole and reads
// its counts, settings and sync state.
DatabaseFacts inspect_database(const std::string &db_path);
CheckResult judge_database(const DatabaseFacts &facts);

struct IdentityFacts {
  std::string key_path;
  bool key_exists = false;
  unsigned key_mode = 0;
  uid_t key_owner = 0;
  bool as_root = false;
  std::optional<uid_t> service_uid;
  std::optional<Error> key_error;  // load_credentials refused it
  std::string key_device_id;       // from the key file
  std::string db_device_id;
  std::string portal_url;  // empty: never enrolled
  bool pending_enrolment = false;
  bool database_exists = false;
  bool denied = false;  // not root, and the database could not be looked at (EACCES)
};
IdentityFacts inspect_identity(const std::string &data_dir, const DatabaseFacts &db);
CheckResult judge_identity(const IdentityFacts &facts, const std::string &data_dir);

// OK when one pin is there (the database's is what bundles are checked against first; the
// kiosk, not root, does not write the config file) or both agree; fail when they differ.
CheckResult judge_portal_key(const std::string &db_key, const std::string &config_key,
                             const std::string &config_path, bool enrolled);

// free_bytes: nullopt when statvfs failed.
CheckResult judge_disk(std::optional<std::uint64_t> free_bytes, const std::string &dir);

struct ConfiguredDevice {
  std::string what;  // "evdev /dev/input/by-id/…", "usb 0c2e:0b61", "camera /dev/video0"
  bool present = false;
};
// A scanner's device node as stat saw it, and how its reader opens it.
struct DeviceNode {
  std::string path;  // /dev/input/event5, /dev/bus/usb/001/004, /dev/ttyACM0, /dev/video0
  uid_t owner = 0;
  gid_t group = 0;
  unsigned mode = 0;   // permission bits
  bool write = false;  // opened read-write (usb, serial, camera); evdev is only read
};
// The service user `comptoir`: its uid and every group it is in (getgrouplist: the primary
// one included).
struct ServiceUser {
  uid_t uid = 0;
  std::vector<gid_t> groups;
};
std::optional<ServiceUser> find_service_user();
// Whether `user` may open `node` as its reader does: the owner's bits when it owns it, else
// the group's when it is in its group, else the others' (root is not asked about).
bool service_can_open(const DeviceNode &node, const ServiceUser &user);

// used: candidates read; found: every candidate; configured: devices the config names;
// denied: nodes read here (as root) that the service user could not open (a fail: the
// kiosk, run as comptoir, would not read them).
CheckResult judge_scanners(std::size_t used, std::size_t found,
                           const std::vector<ConfiguredDevice> &configured,
                           const std::vector<std::string> &used_names,
                           const std::vector<DeviceNode> &denied = {});

// offset_ms: portal minus appliance, when the portal was asked.
CheckResult judge_clock(std::int64_t now_ms, std::optional<std::int64_t> offset_ms, bool offline);

CheckResult judge_bandwidth(std::uint64_t bytes, double seconds, std::int64_t orders_here);

struct SyncFacts {
  bool enrolled = false;
  std::int64_t now_ms = 0;
  std::optional<std::int64_t> last_pull_ms;
  std::string link, last_error, last_error_detail;
  std::int64_t outbox = 0;
  std::optional<std::int64_t> oldest_waiting_ms;
  std::int64_t conflicts = 0;
};
CheckResult judge_sync(const SyncFacts &facts);

// ---- the whole run ----------------------------------------------------------------------

struct SelfTestOptions {
  std::string data_dir;
  std::string config_path;
  bool config_explicit = false;  // --config: it must exist
  bool offline = false;          // skip the portal checks
  std::size_t bandwidth_bytes = kDefaultBandwidthBytes;
};

std::vector<CheckResult> run_self_test(const SelfTestOptions &options, const Clock &clock);

// No check failed.
bool self_test_passed(const std::vector<CheckResult> &checks);
// One line a check ("[ OK ] name: detail"), the fix under anything not OK, then a summary.
// lang nullopt: French then English.
std::string format_self_test(const std::vector<CheckResult> &checks, std::optional<Lang> lang);
// {"ok":bool,"checks":[{"id","status","name","detail","fix"}]}; lang nullopt: the French
// texts, with the English ones in "en": {name, detail, fix}.
std::string self_test_json(const std::vector<CheckResult> &checks, std::optional<Lang> lang);

}  // namespace comptoir
