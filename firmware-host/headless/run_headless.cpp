#include "headless/run_headless.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "drivers/scan_queue.hpp"
#include "drivers/tone_player.hpp"
#include "runtime/appliance.hpp"
#include "runtime/cache_check.hpp"
#include "runtime/clock.hpp"
#include "runtime/scanners.hpp"
#include "runtime/service_notify.hpp"
#include "sync/sync_commands.hpp"

namespace comptoir {
namespace {

// SIGTERM, SIGINT and SIGHUP end the session through a pipe the loop polls, so the readers are
// stopped and the grabbed scanners given back before the process ends.
int g_stop_write = -1;

extern "C" void on_stop_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(g_stop_write, &byte, 1);
  errno = saved;
}

class StopSignals {
 public:
  StopSignals() {
    if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) return;
    g_stop_write = fds_[1];
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, &old_term_);
    ::sigaction(SIGINT, &sa, &old_int_);
    // The terminal closing ends the session like SIGTERM, with the scanners given back.
    ::sigaction(SIGHUP, &sa, &old_hup_);
    // Whoever reads stdout going away shows as a write error, not a death that would leave
    // a scanner detached from its kernel driver.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);
  }
  ~StopSignals() {
    if (fds_[0] < 0) return;
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGHUP, &old_hup_, nullptr);
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
    g_stop_write = -1;
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  StopSignals(const StopSignals &) = delete;
  StopSignals &operator=(const StopSignals &) = delete;
  int fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
  struct sigaction old_hup_ {};
  struct sigaction old_pipe_ {};
};

// A service's stdin is /dev/null: reading it says "end" at once, which must not end a
// session that serves scanners.
bool stdin_is_dev_null() {
  struct stat st {};
  return ::fstat(STDIN_FILENO, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
         minor(st.st_rdev) == 3;
}

}  // namespace

int run_headless(const HeadlessArgs &args) {
  const Lang lang = args.session.lang;
  for (const std::string &warning : args.config.warnings) {
    std::fprintf(stderr, "comptoir: config: %s\n", warning.c_str());
  }
  auto appliance = open_appliance(args.data_dir, args.stand);
  if (!appliance) {
    const std::string message = error_message(appliance.error(), lang);
    std::fprintf(stderr, "comptoir: %s\n", message.c_str());
    const nlohmann::json j = {
        {"type", "error"}, {"ok", false}, {"error", appliance.error().code}, {"message", message}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 1;
  }
  SystemClock clock;
  PickupService service(*appliance->db, clock, Identity{appliance->stand_id, appliance->device_id});
  HeadlessSession session(service, args.session);
  // Tones when the config wants them and the appliance has audio; silence otherwise.
  std::unique_ptr<drivers::TonePlayer> tones;
  // With no sound card (and no driver asked for by SDL_AUDIODRIVER) SDL is not even asked:
  // ALSA would fill the log with its search for one. A card that cannot be opened is logged.
  const bool audio_possible = ::access("/dev/snd", F_OK) == 0 || std::getenv("SDL_AUDIODRIVER");
  // A box with no sound card is the usual market stand: silence, and nothing to log.
  if (args.config.sound && args.sound && audio_possible) {
    tones = std::make_unique<drivers::TonePlayer>();
    if (tones->available()) {
      session.set_feedback([player = tones.get()](bool good) {
        player->play(good ? drivers::Tone::good : drivers::Tone::bad);
      });
    } else {
      std::fprintf(stderr, "comptoir: %s\n", tones->reason().c_str());
      tones.reset();
    }
  }
  // Scans are served while the large order cache is checked; the ledger was checked.
  CacheCheck check(appliance->db->path(), [lang](const Error &e) {
    const Error damaged = make_error("cache_damaged", e.detail);
    std::fprintf(stderr, "comptoir: %s\n", error_message(damaged, lang).c_str());
  });
  session.set_cache_check(&check);

  // The sync agent, when enrolled: its own thread and connection; a handover brings its
  // next round forward. Stopped before the cache closes (declared after the appliance).
  std::string sync_why;
  auto agent = sync::make_appliance_agent(*appliance, args.config.sync, clock, &sync_why);
  if (!agent) {
    // No sync, the counter works on: the reason and its specifics (the file, its mode).
    std::fprintf(stderr, "comptoir: %s (%s)\n", error_message(agent.error(), lang).c_str(),
                 agent.error().detail.c_str());
  } else if (!sync_why.empty()) {
    std::fprintf(stderr, "comptoir: sync: %s\n", sync_why.c_str());
  }
  sync::SyncAgent *sync_agent = agent ? agent->get() : nullptr;
  if (sync_agent != nullptr) {
    service.set_on_event([sync_agent] { sync_agent->notify(); });
    // :status reads sync_state itself; only the keys must be read again after a rotation.
    sync_agent->start([sync_agent, &service] {
      if (sync_agent->last_report().keys_replaced) service.keys_changed();
    });
  }

  StopSignals stop;
  drivers::ScanQueue queue;
  std::unique_ptr<Scanners> scanners;
  if (args.scanners) {
    scanners = std::make_unique<Scanners>(args.config.scanners);
    if (scanners->reader_count() > 0) scanners->start(queue);
  }
  HeadlessEvents events;
  events.queue = &queue;
  events.stop_fd = stop.fd();
  events.stdin_ends_session = !(scanners && scanners->reader_count() > 0 && stdin_is_dev_null());
  events.on_end = [&scanners] {
    if (scanners) scanners->stop();
  };
  // Under systemd (service_notify.hpp): ready now that the appliance is open and the readers
  // started; the watchdog pinged and the status line refreshed from the loop.
  ServiceNotify notify;
  if (notify.active()) {
    const std::int64_t stand = appliance->stand_id;
    auto status_line = [&service, stand, lang] {
      auto st = service.status();
      return st ? service_status_line(*st, stand, lang) : std::string();
    };
    notify.ready(status_line(), ServiceNotify::now_ms());
    events.before_wait = [&notify, status_line] {
      const std::int64_t now = ServiceNotify::now_ms();
      notify.ping_if_due(now);
      if (notify.status_due(now)) notify.status(status_line(), now);
      return notify.wait_ms(now);
    };
  }
  session.run(STDIN_FILENO, stdout, events);
  notify.stopping();
  // A transfer in progress is abandoned at once; the cache closes after.
  if (sync_agent != nullptr) sync_agent->stop();
  return 0;
}

}  // namespace comptoir
