// The sync agent: store-and-forward between the cache and the portal. Push first (the
// outbox, in batches, idempotent by event uuid), then pull (pages of changes from the
// saved cursor until the portal says there is no more). A thread in the kiosk and headless
// processes; sync_once() for `comptoir sync --once`. Its state lives in sync_state, so
// PickupService::status() (the banner, :status) reads it without knowing the agent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "codes/pickup_token.hpp"
#include "db/result.hpp"
#include "runtime/clock.hpp"
#include "sync/sync_settings.hpp"
#include "sync/wire.hpp"

namespace comptoir::sync {

// Who this device is to its portal: DATA/device.key (JSON, mode 0600) and the settings
// portal_url. Written by enrolment.
struct Credentials {
  std::string portal_url;
  std::string device_id;
  codes::KeyPair key;
};
inline constexpr const char *kDeviceKeyFile = "device.key";
// nullopt when the device was never enrolled. Errors: credentials_unreadable (a damaged or
// too-open file: says to enrol again).
Result<std::optional<Credentials>> load_credentials(const std::string &data_dir,
                                                    const std::string &portal_url);
Result<void> save_credentials(const std::string &data_dir, const Credentials &credentials);

struct SyncReport {
  bool ok = false;
  bool complete = false;       // the pull reached more == false
  std::size_t pushed = 0;      // events acknowledged
  std::size_t duplicates = 0;  // of which the portal had already
  std::size_t conflicts = 0;   // flagged in this round
  std::size_t pages = 0;
  std::size_t orders = 0;  // orders applied
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::int64_t duration_ms = 0;
  bool reached = false;             // an HTTP answer came (the link is up, whatever it said)
  bool keys_replaced = false;       // a page carried a new key ring (reload the service's keys)
  std::int64_t retry_after_ms = 0;  // the portal's Retry-After, when it sent one
  Error error;  // when !ok: offline, stalled, tls_untrusted, portal_refused (401/403),
                // portal_error (5xx), portal_invalid (a malformed answer), disk_full...
};

// How far a round has gone, for a progress bar (the first sync after enrolment).
struct SyncProgress {
  enum class Phase { push, pull };
  Phase phase = Phase::push;
  std::size_t pushed = 0;                 // events acknowledged so far
  std::size_t pages = 0;                  // pages of changes applied so far
  std::size_t orders = 0;                 // orders received so far
  std::optional<std::int64_t> remaining;  // orders still to come, when the portal says
};
using ProgressFn = std::function<void(const SyncProgress &)>;

// Full jitter after `failures` (>= 1) failed rounds in a row: uniform over
// [0, min(backoff_cap_s, backoff_base_s * 2^failures)] seconds, in ms.
std::int64_t backoff_delay_ms(int failures, const SyncSettings &settings, std::mt19937_64 &rng);

class SyncAgent {
 public:
  // Opens its own connection to the cache at db_path (busy timeout 5 s).
  static Result<std::unique_ptr<SyncAgent>> create(const std::string &db_path,
                                                   Credentials credentials, SyncSettings settings,
                                                   const Clock &clock);
  ~SyncAgent();  // stops the thread
  SyncAgent(const SyncAgent &) = delete;
  SyncAgent &operator=(const SyncAgent &) = delete;

  // One round now, on the calling thread (not while the thread runs).
  SyncReport sync_once();
  // The same, `progress` called on this thread after each batch pushed and each page applied.
  SyncReport sync_once(const ProgressFn &progress);

  // The background thread: a round at once, then every interval_s; after a failure, full
  // jitter backoff; notify() brings the next round forward (push_delay_ms). on_change runs
  // on the agent's thread after every round (wake the window, nothing more).
  void start(std::function<void()> on_change);
  void notify();
  // An enrolment to finish first (an offline bundle's code, sync/pending_enrolment.hpp):
  // while the agent has no device id, each round starts with it; the credentials it returns
  // are the agent's from then on, its error is the round's (`reached`: the portal answered).
  // `abort` is set by stop(): a request in progress gives up (error aborted). Set before
  // the first round.
  using FinishEnrolment =
      std::function<Result<Credentials>(bool *reached, const std::atomic<bool> *abort)>;
  void set_finish_enrolment(FinishEnrolment finish);
  // Aborts a transfer in progress (within ~100 ms) and joins; the round in progress is not
  // recorded in sync_state.
  void stop();

  SyncReport last_report() const;
  // How long the thread waits after its last round (ms): interval_s after a success, else the
  // backoff (at least Retry-After). For the tests and the log.
  std::int64_t next_delay_ms() const;

 private:
  SyncAgent(std::string db_path, Credentials credentials, SyncSettings settings,
            const Clock &clock);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace comptoir::sync
