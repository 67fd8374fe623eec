// The self-test's judgments (runtime/self_test), each on its own: thresholds, what a line says
// and what it tells to do; the lock seen without being taken; the text and JSON forms.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "runtime/appliance.hpp"
#include "runtime/self_test.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
// 2026-03-01 12:00:00 UTC.
constexpr std::int64_t kNow = 1'772'366'400'000;

}  // namespace

TEST_CASE("disk space fails under 50 MiB and warns under 500 MiB") {
  CHECK(judge_disk(49 * kMiB, "/d").status == CheckStatus::fail);
  CHECK(judge_disk(50 * kMiB, "/d").status == CheckStatus::warn);
  CHECK(judge_disk(499 * kMiB, "/d").status == CheckStatus::warn);
  const CheckResult ok = judge_disk(500 * kMiB, "/d");
  CHECK(ok.status == CheckStatus::ok);
  CHECK(ok.detail.en == "500 MiB free for /d");
  CHECK(ok.detail.fr == "500 Mio libres pour /d");
  const CheckResult low = judge_disk(12 * kMiB, "/d");
  CHECK(low.detail.en.find("12 MiB") != std::string::npos);
  CHECK(low.fix.en.find("under 50 MiB") != std::string::npos);
  CHECK(judge_disk(std::nullopt, "/d").status == CheckStatus::fail);
}

TEST_CASE("the clock is judged by its year and its offset to the portal") {
  CHECK(judge_clock(86'400'000, std::nullopt, true).status == CheckStatus::fail);  // 1970
  CHECK(judge_clock(86'400'000, std::nullopt, true).fix.en.find("timedatectl set-ntp true") !=
        std::string::npos);
  const CheckResult offline = judge_clock(kNow, std::nullopt, true);
  CHECK(offline.status == CheckStatus::ok);
  CHECK(offline.detail.en.find("2026-03-01") != std::string::npos);
  CHECK(offline.detail.en.find("offline") != std::string::npos);
  CHECK(judge_clock(kNow, 59'999, false).status == CheckStatus::ok);
  CHECK(judge_clock(kNow, -59'999, false).status == CheckStatus::ok);
  CHECK(judge_clock(kNow, 60'000, false).status == CheckStatus::warn);
  CHECK(judge_clock(kNow, -299'999, false).status == CheckStatus::warn);
  const CheckResult far = judge_clock(kNow, -300'000, false);
  CHECK(far.status == CheckStatus::fail);
  CHECK(far.detail.en.find("300.0 s ahead of the portal") != std::string::npos);
  CHECK(far.fix.en.find("timedatectl set-ntp true") != std::string::npos);
  CHECK(judge_clock(kNow, 2'500, false).detail.en.find("2.5 s behind") != std::string::npos);
  CHECK(judge_clock(kNow, 400, false).detail.en.find("within a second of the portal") !=
        std::string::npos);
}

TEST_CASE("the bandwidth says what it means for a first sync") {
  // 1 kB/s: 1,000 orders of ~40 bytes take ~40 s.
  const CheckResult slow = judge_bandwidth(10'000, 10.0, 0);
  CHECK(slow.status == CheckStatus::warn);
  CHECK(slow.detail.en.find("1.0 kB/s") != std::string::npos);
  CHECK(slow.detail.en.find("1,000 orders takes ~40.0 s") != std::string::npos);
  const CheckResult fast = judge_bandwidth(1'000'000, 1.0, 50'000);
  CHECK(fast.status == CheckStatus::ok);
  CHECK(fast.detail.en.find("1000.0 kB/s") != std::string::npos);
  CHECK(fast.detail.en.find("the 50000 orders here ~2.0 s") != std::string::npos);
  CHECK(judge_bandwidth(2'000, 1.0, 0).status == CheckStatus::ok);
  CHECK(judge_bandwidth(1'999, 1.0, 0).status == CheckStatus::warn);
}

TEST_CASE("the sync warns on old syncs, old handovers, errors and conflicts") {
  SyncFacts f;
  f.enrolled = true;
  f.now_ms = kNow;
  f.link = "online";
  f.last_pull_ms = kNow - 3 * 60'000;
  CHECK(judge_sync(f).status == CheckStatus::ok);
  CHECK(judge_sync(f).detail.en ==
        "online at the last try, last sync 3 min ago, 0 handovers waiting");
  CHECK(judge_sync(f).detail.en.find("last sync 3 min ago") != std::string::npos);

  SyncFacts stale = f;
  stale.last_pull_ms = kNow - kSyncStaleMs - 1;
  CHECK(judge_sync(stale).status == CheckStatus::warn);
  CHECK(judge_sync(stale).fix.en.find("over 24 h") != std::string::npos);

  SyncFacts waiting = f;
  waiting.outbox = 4;
  waiting.oldest_waiting_ms = kNow - 2 * 3600'000;
  CHECK(judge_sync(waiting).status == CheckStatus::ok);
  waiting.oldest_waiting_ms = kNow - 25 * 3600'000;
  CHECK(judge_sync(waiting).status == CheckStatus::warn);
  CHECK(judge_sync(waiting).detail.en.find("4 handovers waiting") != std::string::npos);
  CHECK(judge_sync(waiting).fix.en.find("handovers have waited for over 24 h") !=
        std::string::npos);

  SyncFacts error = f;
  error.last_error = "offline";
  CHECK(judge_sync(error).status == CheckStatus::warn);

  SyncFacts never = f;
  never.last_pull_ms.reset();
  CHECK(judge_sync(never).status == CheckStatus::warn);

  SyncFacts none;
  CHECK(judge_sync(none).status == CheckStatus::skipped);
}

TEST_CASE("the pinned portal key must be there and agree with the config") {
  const std::string a(64, 'a'), b(64, 'b');
  CHECK(judge_portal_key(a, a, "/c.toml", true).status == CheckStatus::ok);
  // Hex case does not matter.
  CHECK(judge_portal_key(a, std::string(64, 'A'), "/c.toml", true).status == CheckStatus::ok);
  const CheckResult differ = judge_portal_key(a, b, "/c.toml", true);
  CHECK(differ.status == CheckStatus::fail);
  CHECK(differ.fix.en.find("portal_key = \"" + a + "\"") != std::string::npos);
  // One pin is enough: the kiosk, run as comptoir, pins the database only.
  const CheckResult db_only = judge_portal_key(a, "", "/c.toml", true);
  CHECK(db_only.status == CheckStatus::ok);
  CHECK(db_only.detail.en.find("pinned in the database") != std::string::npos);
  CHECK(db_only.fix.empty());
  const CheckResult config_only = judge_portal_key("", b, "/c.toml", true);
  CHECK(config_only.status == CheckStatus::ok);
  CHECK(config_only.detail.en.find("pinned in /c.toml") != std::string::npos);
  CHECK(judge_portal_key("", "", "/c.toml", true).status == CheckStatus::fail);
  CHECK(judge_portal_key("", "", "/c.toml", false).status == CheckStatus::skipped);
}

TEST_CASE("scanners warn when none is read and fail on a configured device that is missing") {
  CHECK(judge_scanners(0, 3, {}, {}).status == CheckStatus::warn);
  CHECK(judge_scanners(1, 3, {{"evdev /dev/input/by-id/x", true}}, {"Honeywell"}).status ==
        CheckStatus::ok);
  const CheckResult missing = judge_scanners(1, 3, {{"serial /dev/ttyACM7", false}}, {"Honeywell"});
  CHECK(missing.status == CheckStatus::fail);
  CHECK(missing.detail.en.find("serial /dev/ttyACM7") != std::string::npos);
}

TEST_CASE("a scanner read as root that the service user cannot open fails with the udev fix") {
  // The user comptoir: uid 990, in its group 990 and in input (104).
  const ServiceUser comptoir{990, {990, 104}};
  // evdev is only read; usb, serial and camera nodes are opened read-write.
  const DeviceNode input_group{"/dev/input/event5", 0, 104, 0660, false};
  CHECK(service_can_open(input_group, comptoir));
  DeviceNode root_only{"/dev/input/event6", 0, 104, 0600, false};
  CHECK_FALSE(service_can_open(root_only, comptoir));
  // Other bits count only for users neither owner nor in the group.
  CHECK(service_can_open({"/dev/input/event7", 0, 0, 0604, false}, comptoir));
  CHECK_FALSE(service_can_open({"/dev/input/event8", 0, 104, 0604, false}, comptoir));
  // The owner's bits for its owner, even when the group's would allow more.
  CHECK_FALSE(service_can_open({"/dev/ttyACM0", 990, 990, 0460, true}, comptoir));
  // Read-write wanted: read alone is not enough.
  CHECK_FALSE(service_can_open({"/dev/bus/usb/001/004", 0, 990, 0640, true}, comptoir));
  CHECK(service_can_open({"/dev/bus/usb/001/004", 0, 990, 0660, true}, comptoir));
  CHECK_FALSE(service_can_open({"/dev/video0", 0, 44, 0660, true}, comptoir));
  CHECK(service_can_open({"/dev/video0", 0, 44, 0660, true}, ServiceUser{990, {990, 44}}));

  CHECK(judge_scanners(1, 3, {}, {"Honeywell"}, {}).status == CheckStatus::ok);
  const CheckResult denied = judge_scanners(1, 3, {}, {"Honeywell"}, {root_only});
  CHECK(denied.status == CheckStatus::fail);
  CHECK(denied.detail.en.find("/dev/input/event6 (uid 0, gid 104, 0600)") != std::string::npos);
  CHECK(denied.fix.en.find("udevadm control --reload-rules") != std::string::npos);
  CHECK(denied.fix.fr.find("61-comptoir-local.rules") != std::string::npos);
}

TEST_CASE("a database this user may not look at says to run as root, not that it is missing") {
  DatabaseFacts denied;
  denied.path = "/var/lib/comptoir/comptoir.db";
  denied.reach_errno = EACCES;
  denied.as_root = false;
  const CheckResult r = judge_database(denied);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.fix.en == "run as root (sudo comptoir-provision selftest)");
  CHECK(r.detail.en.find("not provisioned") == std::string::npos);
  // Missing for real: not provisioned (errno as inspect_database finds it).
  test::TempDir tmp;
  DatabaseFacts missing = inspect_database(tmp.file("comptoir.db"));
  CHECK_FALSE(missing.exists);
  CHECK(missing.reach_errno == ENOENT);
  missing.as_root = false;
  CHECK(judge_database(missing).detail.en.find("not provisioned") != std::string::npos);
  // Root is never denied: whatever it met is not a matter of running as root.
  DatabaseFacts root = denied;
  root.as_root = true;
  CHECK(judge_database(root).fix.en.find("sudo") == std::string::npos);

  IdentityFacts id;
  id.denied = true;
  const CheckResult identity = judge_identity(id, "/var/lib/comptoir");
  CHECK(identity.status == CheckStatus::skipped);
  CHECK(identity.fix.en.find("run as root") != std::string::npos);
}

TEST_CASE("the data directory must exist, be ours and not be world readable") {
  test::TempDir tmp;
  const std::string dir = tmp.file("data");
  CHECK(judge_data_dir(inspect_data_dir(dir)).status == CheckStatus::fail);
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  CHECK(judge_data_dir(inspect_data_dir(dir)).status == CheckStatus::ok);
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  const CheckResult open = judge_data_dir(inspect_data_dir(dir));
  CHECK(open.status == CheckStatus::warn);
  CHECK(open.fix.en == "chmod 700 " + dir);
  // Run as root with a service user: a directory it does not own fails.
  DataDirFacts f = inspect_data_dir(dir);
  f.as_root = true;
  f.service_uid = f.owner + 1;
  CHECK(judge_data_dir(f).status == CheckStatus::fail);
  CHECK(judge_data_dir(f).fix.en == "chown -R comptoir:comptoir " + dir);
}

TEST_CASE("the data directory lock is seen without being taken") {
  test::TempDir tmp;
  const std::string dir = tmp.file("data");
  CHECK_FALSE(data_dir_lock_held(dir));
  {
    auto lock = DataDirLock::acquire(dir);
    REQUIRE(lock);
    CHECK(data_dir_lock_held(dir));
    // Seeing it twice changes nothing: still held by us alone.
    CHECK(data_dir_lock_held(dir));
  }
  CHECK_FALSE(data_dir_lock_held(dir));
  // Nobody holds it: it can be taken at once (the check took nothing).
  auto again = DataDirLock::acquire(dir);
  CHECK(again);
}

TEST_CASE("the checklist prints a line a check and the fix under what is not OK") {
  const std::vector<CheckResult> checks = {judge_disk(600 * kMiB, "/d"),
                                           judge_disk(10 * kMiB, "/d")};
  const std::string en = format_self_test(checks, Lang::en);
  CHECK(en ==
        "[ OK ] Disk space: 600 MiB free for /d\n"
        "[FAIL] Disk space: 10 MiB free for /d\n"
        "       → to do: " +
            checks[1].fix.en +
            "\n"
            "\n"
            "FAILED: 1 failure(s), 0 warning(s)\n");
  const std::string both = format_self_test(checks, std::nullopt);
  CHECK(both.rfind("[ OK ] Espace disque : 600 Mio libres pour /d\n"
                   "       Disk space: 600 MiB free for /d\n",
                   0) == 0);
  CHECK(both.find("ÉCHEC") < both.find("FAILED"));
  CHECK_FALSE(self_test_passed(checks));
  CHECK(self_test_passed({checks[0]}));

  const auto j = nlohmann::json::parse(self_test_json(checks, std::nullopt));
  CHECK(j["ok"] == false);
  REQUIRE(j["checks"].size() == 2);
  CHECK(j["checks"][1]["id"] == "disk");
  CHECK(j["checks"][1]["status"] == "fail");
  CHECK(j["checks"][1]["name"] == "Espace disque");
  CHECK(j["checks"][1]["en"]["name"] == "Disk space");
  const auto en_only = nlohmann::json::parse(self_test_json(checks, Lang::en));
  CHECK(en_only["checks"][0]["detail"] == "600 MiB free for /d");
  CHECK_FALSE(en_only["checks"][0].contains("en"));
}

}  // namespace comptoir
