// The kiosk window; see kiosk_app.hpp. The loop sleeps in SDL_WaitEvent until something
// happens (a key, a tap, a scanner's wake-up, a deadline), lets the Kiosk change, and draws
// a frame only when the state's revision moved or ImGui needs to see a tap settle.
#include "ui/kiosk_app.hpp"

#include <SDL.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "drivers/scan_queue.hpp"
#include "drivers/tone_player.hpp"
#include "imgui_impl_sdl.h"
#include "imgui_impl_sdlrenderer.h"
#include "pickup/pickup_service.hpp"
#include "runtime/appliance.hpp"
#include "runtime/cache_check.hpp"
#include "runtime/clock.hpp"
#include "runtime/scanners.hpp"
#include "runtime/service_notify.hpp"
#include "runtime/technician_pin.hpp"
#include "sync/appliance_enrolment.hpp"
#include "sync/enrolment.hpp"
#include "sync/sync_commands.hpp"
#include "ui/draw/kiosk_screen.hpp"
#include "ui/fonts.hpp"
#include "ui/i18n.hpp"
#include "ui/kiosk.hpp"
#include "ui/sdl_wedge_input.hpp"
#include "ui/state_file.hpp"
#include "ui/theme.hpp"

namespace comptoir::ui {

void FramePacer::owed(bool owed, std::int64_t now_ms) {
  if (!owed) {
    owing_ = false;
  } else if (!owing_) {
    owing_ = true;
    owed_since_ = now_ms;
  }
}

bool FramePacer::draw_now(bool in_burst, std::int64_t now_ms) const {
  if (!owing_) return false;
  return !in_burst || now_ms - owed_since_ >= kMaxHoldMs;
}

int FramePacer::wait_limit_ms(std::int64_t now_ms) const {
  if (!owing_) return -1;
  return static_cast<int>(
      std::clamp<std::int64_t>(owed_since_ + kMaxHoldMs - now_ms, 0, kMaxHoldMs));
}

void MouseButtons::press(int button) {
  if (button < 0 || button > 2) return;
  down_[button] = true;
  pressed_[button] = true;
}

void MouseButtons::release(int button) {
  if (button < 0 || button > 2) return;
  down_[button] = false;
}

bool MouseButtons::frame(bool (&down)[3]) {
  bool release_owed = false;
  for (int i = 0; i < 3; ++i) {
    down[i] = down_[i] || pressed_[i];
    release_owed = release_owed || (pressed_[i] && !down_[i]);
    pressed_[i] = false;
  }
  return release_owed;
}

namespace {

// Without a wake event (SDL_RegisterEvents failed) the loop wakes this often to serve the
// scanners' queue, the damaged-cache alert and the self-test's result.
constexpr int kPollWithoutWakeMs = 50;

// Set once a wake-up could not be posted: from then on the loop also wakes every
// kPollWithoutWakeMs, as without a wake event.
std::atomic<bool> g_wake_lost{false};

// Posts the loop's wake event from another thread. A wake-up that cannot be posted (SDL's
// queue full) is logged; what it announced is not lost, since the loop serves the queue
// on every pass, and a full queue wakes it anyway.
void post_wake(Uint32 event, const char *what) {
  SDL_Event e{};
  e.type = event;
  if (SDL_PushEvent(&e) <= 0) {
    g_wake_lost.store(true);
    std::fprintf(stderr,
                 "comptoir: the window was not woken for %s (%s): served on its next pass, and "
                 "looked for every %d ms from now on\n",
                 what, SDL_GetError(), kPollWithoutWakeMs);
  }
}

// A damaged order cache, found by the check's thread, for the UI thread: kept until taken,
// and announced with the wake event once there is one.
class DamagedCache {
 public:
  void found(const Error &error) {
    Uint32 event = 0;
    {
      std::lock_guard lock(mutex_);
      error_ = error;
      event = event_;
    }
    if (event != 0) post_wake(event, "a damaged cache");
  }
  void wake_with(Uint32 event) {
    bool pending = false;
    {
      std::lock_guard lock(mutex_);
      event_ = event;
      pending = error_.has_value();
    }
    if (pending) post_wake(event, "a damaged cache");
  }
  std::optional<Error> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(error_, std::nullopt);
  }

 private:
  std::mutex mutex_;
  std::optional<Error> error_;
  Uint32 event_ = 0;
};

constexpr std::uint64_t kLowDiskBytes = 50ull * 1024 * 1024;

std::int64_t mono_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t mono_ms() {
  return mono_ns() / 1'000'000;
}

// SIGTERM, SIGINT and SIGHUP end the kiosk with status 0, at any moment from the first line
// of run_kiosk on. The handler raises a flag, which start-up checks between its steps and
// the loop on every pass, and writes to a pipe, from which a small thread pushes SDL_QUIT:
// SDL's own handlers only flag the quit for the next time events are pumped, which a loop
// asleep in SDL_WaitEvent would not reach until the next X event.
int g_signal_pipe = -1;
volatile sig_atomic_t g_stop_signal = 0;

extern "C" void on_quit_signal(int signal) {
  const int saved = errno;
  g_stop_signal = signal;
  const char byte = 's';
  [[maybe_unused]] const auto n = ::write(g_signal_pipe, &byte, 1);
  errno = saved;
}

class QuitSignals {
 public:
  // Installs the handlers; no thread yet (see forward()).
  QuitSignals() {
    g_stop_signal = 0;
    if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
      fds_[0] = fds_[1] = -1;
    }
    g_signal_pipe = fds_[1];
    struct sigaction sa {};
    sa.sa_handler = on_quit_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, &old_term_);
    ::sigaction(SIGINT, &sa, &old_int_);
    // The terminal closing ends the kiosk like SIGTERM, as it ends the headless mode.
    ::sigaction(SIGHUP, &sa, &old_hup_);
  }
  // Starts the thread that turns a signal into SDL_QUIT. Not in the constructor: init_i18n
  // sets $LANGUAGE, which is only safe while no other thread runs.
  void forward() {
    if (fds_[0] < 0 || thread_.joinable()) return;
    thread_ = std::thread([fd = fds_[0]] {
      pollfd p{fd, POLLIN, 0};
      while (true) {
        if (::poll(&p, 1, -1) < 0 && errno != EINTR) return;
        char byte = 0;
        const auto n = ::read(fd, &byte, 1);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0 || byte == 'x') return;
        // Before SDL_Init there is no queue to push to: the flag does the work then.
        SDL_Event quit{};
        quit.type = SDL_QUIT;
        SDL_PushEvent(&quit);
      }
    });
  }
  // A stop signal arrived.
  bool fired() const { return g_stop_signal != 0; }
  ~QuitSignals() {
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGHUP, &old_hup_, nullptr);
    if (fds_[0] < 0) return;
    if (thread_.joinable()) {
      const char byte = 'x';
      [[maybe_unused]] const auto n = ::write(fds_[1], &byte, 1);
      thread_.join();
    }
    g_signal_pipe = -1;
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  QuitSignals(const QuitSignals &) = delete;
  QuitSignals &operator=(const QuitSignals &) = delete;

 private:
  int fds_[2] = {-1, -1};
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
  struct sigaction old_hup_ {};
  std::thread thread_;
};

// The French catalog the screens use, for its characters (the fonts' glyphs): where
// init_i18n looks for it.
std::string french_catalog_path() {
  std::filesystem::path dir;
  if (const char *env = std::getenv("COMPTOIR_LOCALEDIR"); env != nullptr && *env != '\0') {
    dir = env;
  } else {
    std::error_code ec;
    dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / ".." / "share" /
          "locale";
  }
  std::error_code ec;
  const auto mo = dir / "fr" / "LC_MESSAGES" / "comptoir.mo";
  const auto canonical = std::filesystem::weakly_canonical(mo, ec);
  return (ec ? mo : canonical).string();
}

// The enrolment as firmware-host reads or writes it, as the technician screen shows it.
EnrolledFacts enrolled_facts(const sync::EnrolmentFacts &f) {
  EnrolledFacts facts;
  facts.portal_url = f.portal_url;
  facts.portal_name = f.portal_name;
  facts.stand_id = f.stand_id;
  facts.stand_name = f.stand_name;
  facts.device_id = f.device_id;
  facts.pending = f.pending;
  return facts;
}

// The machine around the kiosk: tones, devices, self-test, PIN, language. The devices are
// the running readers' (nothing when the kiosk runs with --no-scanners); the self-test's
// full check of the cache runs on a thread of its own, and its result comes back to the UI
// thread through the wake event.
class AppHost final : public KioskHost {
 public:
  AppHost(const KioskArgs &args, db::Database &db, std::string db_path, Scanners *scanners,
          drivers::TonePlayer *tones, std::string sound_state, bool catalog_ok,
          std::string catalog_state)
      : args_(args),
        db_(db),
        db_path_(std::move(db_path)),
        scanners_(scanners),
        tones_(tones),
        sound_state_(std::move(sound_state)),
        catalog_ok_(catalog_ok),
        catalog_state_(std::move(catalog_state)) {}
  ~AppHost() override {
    if (check_thread_.joinable()) check_thread_.join();
    // An enrolment abandoned or still asking the portal: its HTTP timeouts bound the wait.
    for (std::thread &t : enrol_threads_) t.join();
  }
  AppHost(const AppHost &) = delete;
  AppHost &operator=(const AppHost &) = delete;

  void set_fonts(const Fonts &fonts) { body_px_ = static_cast<int>(fonts.sizes.body); }
  // How the check's thread wakes the loop when its result is ready.
  void set_wake(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
  }
  // The cache check of a self-test has finished: the loop runs the self-test again, which
  // now reports it (self_test() takes the result), then calls drop_check_result().
  bool check_finished() {
    std::lock_guard lock(mutex_);
    return check_result_.has_value();
  }
  // A result nobody took (the technician locked the screen meanwhile) is not shown later.
  void drop_check_result() {
    std::lock_guard lock(mutex_);
    check_result_.reset();
  }

  void feedback(bool good) override {
    if (tones_) tones_->play(good ? drivers::Tone::good : drivers::Tone::bad);
  }

  std::vector<drivers::DeviceCandidate> devices() override {
    // What the running readers read and skip, as they see it now.
    if (scanners_ != nullptr && scanners_->reader_count() > 0) return scanners_->candidates();
    // Every reader off in the config: each device and why it is not read.
    Scanners list(args_.config.scanners, Scanners::Purpose::list);
    if (scanners_ != nullptr) return list.candidates();
    // --no-scanners: what is plugged in, none of it read.
    std::vector<drivers::DeviceCandidate> found = list.candidates();
    const std::string kOff =
        tr("the readers are off: the kiosk was started with --no-scanners (scans come from the "
           "window's keyboard only)");
    const std::string kFix = tr("start comptoir without --no-scanners");
    for (drivers::DeviceCandidate &d : found) {
      d.used = false;
      d.why = kOff;
      d.fix = kFix;
    }
    if (found.empty()) {
      drivers::DeviceCandidate off;
      off.name = tr("Scanner readers");
      off.why = kOff;
      off.fix = kFix;
      found.push_back(std::move(off));
    }
    return found;
  }

  std::vector<SelfTestItem> self_test() override {
    std::vector<SelfTestItem> items;
    const Lang lang = language();
    {
      SelfTestItem it{tr("Database"), false, {}};
      std::optional<Result<void>> checked;
      {
        std::lock_guard lock(mutex_);
        checked = std::exchange(check_result_, std::nullopt);
        if (!checked && !check_running_) start_check();
      }
      if (!checked) {
        // A 1,000,000-order cache takes ~400 ms to check: the screen does not freeze for it.
        it.detail = tr("checking…");
      } else {
        it.ok = checked->ok();
        it.detail = it.ok ? subst(tr("%s: checked, no damage found"), {db_path_})
                          : error_message(checked->error(), lang);
      }
      items.push_back(std::move(it));
    }
    {
      SelfTestItem it{tr("Disk space"), false, {}};
      struct statvfs fs {};
      if (::statvfs(args_.data_dir.c_str(), &fs) == 0) {
        const std::uint64_t free_bytes =
            static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
        it.ok = free_bytes >= kLowDiskBytes;
        it.detail = subst(tr("%s MB free in %s"),
                          {std::to_string(free_bytes / (1024 * 1024)), args_.data_dir});
        if (!it.ok) {
          it.detail += " — ";
          it.detail += tr("under 50 MB handovers may fail to be recorded: free some space");
        }
      } else {
        it.detail = subst(tr("cannot read the free space of %s"), {args_.data_dir});
      }
      items.push_back(std::move(it));
    }
    {
      SelfTestItem it{tr("Scanners"), false, {}};
      if (scanners_ == nullptr) {
        // Asked for: the window's keyboard (a scanner in keyboard mode) still reads codes.
        it.ok = true;
        it.detail = tr("Readers off (--no-scanners): codes come from the window's keyboard only");
      } else {
        const std::size_t readers = scanners_->reader_count();
        std::size_t used = 0;
        for (const auto &c : scanners_->candidates()) used += c.used ? 1 : 0;
        it.ok = used > 0;
        it.detail = subst(trn("%d scanner driver running", "%d scanner drivers running", readers),
                          {std::to_string(readers)});
        it.detail += " — ";
        it.detail += used > 0 ? subst(trn("%d scanner read", "%d scanners read", used),
                                      {std::to_string(used)})
                              : std::string(tr("No scanner found: plug one in (codes can still "
                                               "be typed on the screen)"));
      }
      items.push_back(std::move(it));
    }
    items.push_back(SelfTestItem{tr("French catalog"), catalog_ok_, catalog_state_});
    items.push_back(
        SelfTestItem{tr("Fonts"), body_px_ > 0,
                     subst(tr("DejaVu Sans, text at %d px"), {std::to_string(body_px_)})});
    items.push_back(SelfTestItem{tr("Sound"), tones_ != nullptr || !sound_wanted(), sound_state_});
    return items;
  }

  Result<bool> check_pin(std::string_view pin) override { return check_technician_pin(db_, pin); }

  void language_changed(Lang lang) override { set_language(lang); }

  // Enrolled when the data directory holds the credentials (as check_not_enrolled says; a
  // key file that cannot be read counts: it is not overwritten from a screen either).
  // Pending when an offline bundle left its code (or a sync agent already runs without
  // credentials): its agent finishes the enrolment when it reaches the portal, so the screen
  // must not offer another one.
  std::optional<EnrolledFacts> enrolment() override {
    auto facts = sync::enrolment_facts(db_, args_.data_dir, agent_running_);
    if (!facts) return std::nullopt;
    return enrolled_facts(*facts);
  }

  // request_enrolment on a thread of its own (it makes a key pair and asks the portal); its
  // answer is handed to the UI thread with the wake event (take_enrol_answer).
  void enrol(std::uint64_t request, const std::string &qr) override {
    sync::EnrolOptions options;
    options.code = qr;
    options.settings = args_.config.sync;
    // What can be refused here is refused before the code is sent (and used up).
    if (auto refused = refuse_locally(options); !refused) {
      std::function<void()> wake;
      {
        std::lock_guard lock(mutex_);
        enrol_answers_.push_back(EnrolAnswer{request, refused.error()});
        wake = wake_;
      }
      if (wake) wake();
      return;
    }
    std::lock_guard lock(mutex_);
    enrol_threads_.emplace_back([this, request, options = std::move(options)] {
      EnrolAnswer answer{request, sync::request_enrolment(options)};
      std::function<void()> wake;
      {
        std::lock_guard inner(mutex_);
        enrol_answers_.push_back(std::move(answer));
        wake = wake_;
      }
      if (wake) wake();
    });
  }
  struct EnrolAnswer {
    std::uint64_t request = 0;
    Result<sync::EnrolGrant> grant;
  };
  std::optional<EnrolAnswer> take_enrol_answer() {
    std::lock_guard lock(mutex_);
    if (enrol_answers_.empty()) return std::nullopt;
    EnrolAnswer answer = std::move(enrol_answers_.front());
    enrol_answers_.pop_front();
    return answer;
  }

  bool sound_wanted() const { return args_.config.sound && args_.sound; }

  // A sync agent runs (enrolled, or finishing a bundle's enrolment). UI thread.
  void set_agent_running(bool running) { agent_running_ = running; }

 private:
  // The refusals that need no portal: a bundle's enrolment pending, already enrolled, a QR
  // code that holds no usable URL or code. UI thread (db_ is its connection).
  Result<void> refuse_locally(const sync::EnrolOptions &options) {
    if (auto facts = enrolment(); facts && facts->pending) {
      return make_error("enrolment_pending", facts->portal_url);
    }
    if (auto r = sync::check_not_enrolled(db_, args_.data_dir, options); !r) return r.error();
    if (auto r = sync::check_enrol_options(options); !r) return r.error();
    return {};
  }

  // With mutex_ held.
  void start_check() {
    if (check_thread_.joinable()) check_thread_.join();  // the last one has finished
    check_running_ = true;
    check_thread_ = std::thread([this] {
      Result<void> r = check_whole_cache(db_path_);
      std::function<void()> wake;
      {
        std::lock_guard lock(mutex_);
        check_result_ = std::move(r);
        check_running_ = false;
        wake = wake_;
      }
      if (wake) wake();
    });
  }

  const KioskArgs &args_;
  db::Database &db_;  // the PIN's settings
  std::string db_path_;
  Scanners *scanners_;  // the running readers; null with --no-scanners
  drivers::TonePlayer *tones_;
  std::string sound_state_;
  bool catalog_ok_;
  std::string catalog_state_;
  int body_px_ = 0;

  std::mutex mutex_;
  std::function<void()> wake_;
  bool check_running_ = false;
  std::optional<Result<void>> check_result_;
  std::thread check_thread_;
  std::vector<std::thread> enrol_threads_;
  std::deque<EnrolAnswer> enrol_answers_;
  bool agent_running_ = false;  // UI thread only
};

// Why there is no display, from the environment, in French and English.
struct NoDisplayReason {
  std::string fr;
  std::string en;
};

NoDisplayReason no_display_reason(const char *sdl_error) {
  std::string set;
  for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY"}) {
    const char *value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    if (!set.empty()) set += ", ";
    set += std::string(name) + "=" + value;
  }
  NoDisplayReason r;
  if (set.empty()) {
    r.fr = "DISPLAY et WAYLAND_DISPLAY ne sont pas définis";
    r.en = "DISPLAY and WAYLAND_DISPLAY are not set";
  } else {
    r.fr = set + " est défini mais injoignable";
    r.en = set + " is set but cannot be reached";
  }
  if (sdl_error != nullptr && *sdl_error != '\0') {
    r.fr += std::string(" (SDL : ") + sdl_error + ")";
    r.en += std::string(" (SDL: ") + sdl_error + ")";
  }
  return r;
}

int no_display(const char *sdl_error) {
  const NoDisplayReason why = no_display_reason(sdl_error);
  std::fprintf(stderr,
               "comptoir: pas d'écran disponible : %s.\n"
               "  Pour servir sans écran : comptoir --headless (les codes arrivent par les "
               "lecteurs et l'entrée standard).\n"
               "comptoir: no display available: %s.\n"
               "  To serve without a screen: comptoir --headless (codes come from the "
               "scanners and stdin).\n",
               why.fr.c_str(), why.en.c_str());
  return kExitNoDisplay;
}

// The window, the renderer and ImGui, made and unmade together.
struct Window {
  SDL_Window *window = nullptr;
  SDL_Renderer *renderer = nullptr;
  bool imgui = false;
  bool platform = false;
  bool backend = false;
  ~Window() {
    if (backend) ImGui_ImplSDLRenderer_Shutdown();
    if (platform) ImGui_ImplSDL2_Shutdown();
    if (imgui) ImGui::DestroyContext();
    if (renderer) SDL_DestroyRenderer(renderer);
    if (window) SDL_DestroyWindow(window);
  }
};

struct SdlVideo {
  bool on = false;
  ~SdlVideo() {
    if (on) SDL_Quit();
  }
};

// SDL's mouse buttons as MouseButtons counts them; -1 for the others.
int button_index(Uint8 button) {
  switch (button) {
    case SDL_BUTTON_LEFT:
      return 0;
    case SDL_BUTTON_RIGHT:
      return 1;
    case SDL_BUTTON_MIDDLE:
      return 2;
    default:
      return -1;
  }
}

}  // namespace

// Under AddressSanitizer (the Debug builds' COMPTOIR_SANITIZE): libdbus, which SDL's video
// subsystem opens for the screen saver and input methods, keeps a buffer to the end; it is
// not ours to free. The function is only read by LeakSanitizer.
extern "C" const char *__lsan_default_suppressions() {
  return "leak:libdbus-1.so\n";
}

int run_kiosk(const KioskArgs &args) {
  g_wake_lost.store(false);
  // First thing: a stop signal from here on ends the kiosk with status 0, whatever step of
  // start-up it arrives in (a service manager stopping a kiosk that is still starting).
  QuitSignals quit_signals;
  // init_i18n sets $LANGUAGE, which is only safe before any thread starts (SDL's, the
  // scanners', the signals').
  std::string catalog_why;
  const bool catalog_ok = init_i18n(&catalog_why);
  quit_signals.forward();
  if (!catalog_ok) std::fprintf(stderr, "comptoir: %s\n", catalog_why.c_str());
  set_language(args.lang);
  for (const std::string &warning : args.config.warnings) {
    std::fprintf(stderr, "comptoir: config: %s\n", warning.c_str());
  }
  if (quit_signals.fired()) return kExitOk;
  // SDL is asked first: with no display nothing else is opened, and the data directory
  // stays free for a headless run.
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  SDL_SetHint(SDL_HINT_RENDER_VSYNC, "0");
  if (args.renderer == "software") {
    // The software renderer draws into the window's shared-memory image: the whole kiosk
    // measured 24 MB of RSS at 800×480 (38 MB at 1920×1080) where a GL context under Mesa
    // llvmpipe makes it 111 MB (134 MB), and it drew the frames faster there too.
    SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
  }
  SdlVideo sdl;
  // Video only: never the joystick or game controller subsystems (they poll devices).
  if (SDL_Init(SDL_INIT_VIDEO) != 0) {
    if (quit_signals.fired()) return kExitOk;
    return no_display(SDL_GetError());
  }
  sdl.on = true;
  if (quit_signals.fired()) return kExitOk;
  // With no X11 or Wayland display SDL falls back to its offscreen driver, a window nobody
  // sees: that is "no display" too, unless asked for by name (SDL_VIDEODRIVER).
  const char *driver = SDL_GetCurrentVideoDriver();
  const char *asked = std::getenv("SDL_VIDEODRIVER");
  if (driver != nullptr &&
      (std::strcmp(driver, "offscreen") == 0 || std::strcmp(driver, "dummy") == 0) &&
      (asked == nullptr || std::strstr(asked, driver) == nullptr)) {
    return no_display(nullptr);
  }
  SDL_DisplayMode desktop{};
  if (SDL_GetNumVideoDisplays() < 1 || SDL_GetDesktopDisplayMode(0, &desktop) != 0) {
    return no_display(SDL_GetError());
  }

  auto appliance = open_appliance(args.data_dir, args.stand);
  // A data directory that serves no stand yet (a box not enrolled): the kiosk starts on an
  // empty cache, and its technician screen enrols it (the portal's enrolment QR code).
  bool no_stand = false;
  if (!appliance && appliance.error().code == "no_stand" && !args.stand) {
    appliance = open_appliance(args.data_dir, std::int64_t{0});
    no_stand = appliance.ok();
  }
  if (!appliance) {
    std::fprintf(stderr, "comptoir: %s\n", error_message(appliance.error(), args.lang).c_str());
    return kExitFailed;
  }
  if (quit_signals.fired()) return kExitOk;
  SystemClock clock;
  // The core; replaced by one for the new stand and device once enrolled from the screen.
  auto service_owner = std::make_unique<PickupService>(
      *appliance->db, clock, Identity{appliance->stand_id, appliance->device_id});
  PickupService *service = service_owner.get();
  const std::string db_path = appliance->db->path();
  // The check runs on its own thread: a damaged cache is logged there and handed to the
  // UI thread through the wake event, which shows it on every screen.
  DamagedCache damaged_cache;
  CacheCheck check(db_path, [lang = args.lang, &damaged_cache](const Error &e) {
    const Error damaged = make_error("cache_damaged", e.detail);
    std::fprintf(stderr, "comptoir: %s\n", error_message(damaged, lang).c_str());
    damaged_cache.found(damaged);
  });

  // Tones as in the headless mode: only with a sound card (or a driver asked for).
  std::unique_ptr<drivers::TonePlayer> tones;
  std::string sound_state;
  const bool audio_possible = ::access("/dev/snd", F_OK) == 0 || std::getenv("SDL_AUDIODRIVER");
  if (!(args.config.sound && args.sound)) {
    sound_state = tr("Switched off (--no-sound or sound = false in the config)");
  } else if (!audio_possible) {
    sound_state = tr("No sound card: verdicts are shown without tones");
  } else {
    tones = std::make_unique<drivers::TonePlayer>();
    if (tones->available()) {
      sound_state = subst(tr("Tones through %s"), {tones->driver()});
    } else {
      std::fprintf(stderr, "comptoir: %s\n", tones->reason().c_str());
      sound_state = tones->reason();
      tones.reset();
    }
  }
  if (quit_signals.fired()) return kExitOk;

  // The window: full screen on the first display, or --windowed.
  FontStore font_store;  // outlives ImGui, which draws with its atlas to the end
  Window win;
  const bool windowed = args.window_w && args.window_h;
  const int req_w = windowed ? *args.window_w : desktop.w;
  const int req_h = windowed ? *args.window_h : desktop.h;
  Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_RESIZABLE;
  if (!windowed) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  win.window = SDL_CreateWindow("Comptoir", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, req_w,
                                req_h, flags);
  if (!win.window) return no_display(SDL_GetError());
  if (quit_signals.fired()) return kExitOk;
  Uint32 render_flags = 0;
  if (args.renderer == "software") render_flags = SDL_RENDERER_SOFTWARE;
  if (args.renderer == "accelerated") render_flags = SDL_RENDERER_ACCELERATED;
  win.renderer = SDL_CreateRenderer(win.window, -1, render_flags);
  if (!win.renderer && render_flags != SDL_RENDERER_SOFTWARE) {
    std::fprintf(stderr, "comptoir: no %s renderer (%s): using the software renderer\n",
                 args.renderer.c_str(), SDL_GetError());
    win.renderer = SDL_CreateRenderer(win.window, -1, SDL_RENDERER_SOFTWARE);
  }
  if (!win.renderer) {
    std::fprintf(stderr, "comptoir: cannot draw in the window: %s\n", SDL_GetError());
    return kExitFailed;
  }
  if (quit_signals.fired()) return kExitOk;

  IMGUI_CHECKVERSION();
  // The store's atlas, not one of ImGui's: a font rebuild swaps atlases (FontStore).
  ImGui::CreateContext(font_store.atlas());
  win.imgui = true;
  ImGuiIO &io = ImGui::GetIO();
  io.IniFilename = nullptr;  // nothing to remember between runs, nothing to write
  io.LogFilename = nullptr;
  io.ConfigInputTextCursorBlink = false;
  win.platform = ImGui_ImplSDL2_InitForSDLRenderer(win.window);
  win.backend = ImGui_ImplSDLRenderer_Init(win.renderer);
  if (!win.platform || !win.backend) {
    std::fprintf(stderr, "comptoir: Dear ImGui could not start on this window\n");
    return kExitFailed;
  }

  // The scanners' readers, made now so the technician's screen lists what they read;
  // started once the loop can serve them. Their queue outlives them (they push to the end).
  drivers::ScanQueue queue;
  std::unique_ptr<Scanners> scanners;
  if (args.scanners) scanners = std::make_unique<Scanners>(args.config.scanners);
  AppHost host(args, *appliance->db, db_path, scanners.get(), tones.get(), sound_state, catalog_ok,
               catalog_ok ? french_catalog_path() : catalog_why);

  // Fonts for the window's size, rebuilt when it changes: into a new atlas, swapped in only
  // once built and uploaded, so a failure keeps the fonts in use.
  const std::string catalog = catalog_text(french_catalog_path());
  int font_w = 0;
  int font_h = 0;
  const FontStore::Upload upload = [&io](ImFontAtlas &atlas) {
    ImGui_ImplSDLRenderer_DestroyFontsTexture();
    io.Fonts = &atlas;
    if (!ImGui_ImplSDLRenderer_CreateFontsTexture()) return false;
    atlas.ClearTexData();  // the texture has them; the CPU copies are megabytes
    return true;
  };
  auto build_fonts = [&](int w, int h) -> bool {
    // Tried once per size, whatever the outcome: a failure is not retried on every frame.
    font_w = w;
    font_h = h;
    const FontSizes sizes = font_sizes_for(w, h);
    const Fonts &current = font_store.fonts();
    if (current.body && sizes.body == current.sizes.body && sizes.huge == current.sizes.huge) {
      apply_theme(current, w, h);  // same fonts; the layout still follows the window
      return true;
    }
    std::string why;
    if (!font_store.rebuild(FontFiles{}, sizes, catalog, upload, &why)) {
      std::fprintf(stderr, "comptoir: %s%s\n", why.c_str(),
                   font_store.fonts().body ? " (the fonts of the previous size are kept)" : "");
      if (!font_store.fonts().body) return false;
    }
    apply_theme(font_store.fonts(), w, h);
    host.set_fonts(font_store.fonts());
    return true;
  };
  int win_w = 0;
  int win_h = 0;
  SDL_GetWindowSize(win.window, &win_w, &win_h);
  if (!build_fonts(win_w, win_h)) return kExitFailed;
  if (quit_signals.fired()) return kExitOk;

  KioskOptions options;
  options.lang = args.lang;
  options.staff = args.staff;
  options.verdict_timeout_ms = std::int64_t{args.config.kiosk.verdict_seconds} * 1000;
  options.version = args.version;
  options.data_dir = appliance->data_dir;
  options.config_path = args.config.path;
  options.no_stand = no_stand;
  Kiosk kiosk(*service, host, clock, options);
  if (quit_signals.fired()) return kExitOk;

  // Scanners, the cache check and the self-test wake the loop with a user event; what they
  // hand over is taken on the UI thread, on every pass (a wake-up lost costs a delay, never
  // a scan). Without a wake event the loop wakes every kPollWithoutWakeMs instead.
  const Uint32 wake_event = SDL_RegisterEvents(1);
  const bool have_wake = wake_event != static_cast<Uint32>(-1);
  if (have_wake) {
    queue.set_wake([wake_event] { post_wake(wake_event, "a scan"); });
    damaged_cache.wake_with(wake_event);
    host.set_wake([wake_event] { post_wake(wake_event, "the technician screen"); });
  } else {
    std::fprintf(stderr,
                 "comptoir: no wake event (%s): the window looks for scans every %d ms instead\n",
                 SDL_GetError(), kPollWithoutWakeMs);
  }
  if (scanners && scanners->reader_count() > 0) scanners->start(queue);

  // The sync agent, when enrolled: rounds on its own thread and connection; after each one
  // it wakes the loop, which reads the banner's status again (serve). A handover brings its
  // next round forward. Stopped before the cache closes, whatever ends the loop.
  std::atomic<bool> sync_round{false};
  std::unique_ptr<sync::SyncAgent> agent_owner;
  sync::SyncAgent *sync_agent = nullptr;
  // At start-up, and once enrolled from the technician screen.
  auto start_sync = [&] {
    std::string sync_why;
    auto agent = sync::make_appliance_agent(*appliance, args.config.sync, clock, &sync_why);
    if (!agent) {
      // No sync, the counter works on: the reason and its specifics (the file, its mode).
      std::fprintf(stderr, "comptoir: %s (%s)\n", error_message(agent.error(), args.lang).c_str(),
                   agent.error().detail.c_str());
      return;
    }
    if (!sync_why.empty()) std::fprintf(stderr, "comptoir: sync: %s\n", sync_why.c_str());
    agent_owner = std::move(*agent);
    sync_agent = agent_owner.get();
    host.set_agent_running(sync_agent != nullptr);
    if (sync_agent == nullptr) return;
    PickupService *core = service;
    core->set_on_event([a = sync_agent] { a->notify(); });
    sync_agent->start([a = sync_agent, core, &sync_round, have_wake, wake_event] {
      if (a->last_report().keys_replaced) core->keys_changed();
      sync_round.store(true);
      if (have_wake) post_wake(wake_event, "a sync round");
    });
  };
  start_sync();

  // The portal's yes to an enrolment from the technician screen, written here on the UI
  // thread, whose connection the core uses: the identity, settings, stands and keys
  // (write_enrolment), the portal's identity key pinned (database, then the config file
  // when this process may write it), a core for the new stand and device, and the agent,
  // whose first round pulls the orders. Checked first as `comptoir enrol` does: not enrolled
  // meanwhile, and the portal the one pinned here (database, else [sync] portal_key).
  auto finish_enrolment = [&](const sync::EnrolGrant &grant) -> Result<EnrolledFacts> {
    if (sync_agent != nullptr) {
      auto now = host.enrolment();
      return make_error(now && now->pending ? "enrolment_pending" : "already_enrolled",
                        appliance->data_dir);
    }
    std::optional<sync::ConfigNotWritten> config_warning;
    auto written =
        sync::finish_enrolment(*appliance->db, appliance->data_dir, grant, args.config.sync,
                               args.config.path, clock, args.lang, &config_warning);
    if (!written) return written.error();
    EnrolledFacts facts = enrolled_facts(*written);
    if (config_warning) {
      facts.warning = subst(tr("The portal's key is kept in the database; the configuration "
                               "file %s could not be updated (%s)."),
                            {config_warning->config_path, config_warning->error.code});
    }
    appliance->stand_id = facts.stand_id;
    appliance->device_id = facts.device_id;
    auto fresh = std::make_unique<PickupService>(
        *appliance->db, clock, Identity{appliance->stand_id, appliance->device_id});
    kiosk.use_service(*fresh);
    service_owner = std::move(fresh);
    service = service_owner.get();
    start_sync();
    return facts;
  };

  SdlWedgeInput wedge;
  std::vector<drivers::WedgeOutput> wedge_out;
  std::vector<Action> actions;
  FrameFacts facts;
  FramePacer pacer;
  MouseButtons buttons;
  std::uint64_t shown_revision = 0;  // the revision on screen
  int extra_frames = 0;              // frames still owed to ImGui (a tap settling)
  bool release_owed = false;         // the next frame shows a release: draw it before more events
  bool running = true;
  ImVec2 mouse(-FLT_MAX, -FLT_MAX);  // no pointer seen yet
  const bool stats = std::getenv("COMPTOIR_FRAME_STATS") != nullptr;
  std::vector<std::int64_t> frame_ns;

  // What the keyboard produced: scans, typed codes, notices; then the field, kept one
  // between the physical keyboard and the on-screen keypad.
  std::int64_t input_ns = 0;  // when the scan or code now being answered was taken
  std::vector<std::int64_t> input_to_frame_ns;
  auto take_wedge = [&](const std::string &field_before) {
    bool typed = false;
    for (auto &o : wedge_out) {
      if (input_ns == 0 && !std::holds_alternative<drivers::DeviceNotice>(o)) input_ns = mono_ns();
      if (auto *scan = std::get_if<drivers::ScanEvent>(&o)) {
        kiosk.scan(scan->text, drivers::source_name(scan->source));
      } else if (auto *code = std::get_if<drivers::TypedCode>(&o)) {
        kiosk.typed(code->text);
        typed = true;
      } else if (auto *notice = std::get_if<drivers::DeviceNotice>(&o)) {
        kiosk.notice(*notice);
      }
    }
    wedge_out.clear();
    if (!typed && wedge.field() != field_before) {
      Action edit;
      edit.kind = Action::Kind::field_text;
      edit.text = wedge.field();
      kiosk.act(edit);
    }
  };
  auto sync_field = [&] {
    if (kiosk.state().field != wedge.field()) wedge.set_field(kiosk.state().field);
  };

  // What other threads handed over: the damaged cache, the readers' scans and notices, the
  // self-test's cache check. On every pass, whether or not the wake event came.
  auto serve = [&] {
    if (auto damaged = damaged_cache.take()) kiosk.alert(*damaged);
    if (sync_round.exchange(false)) kiosk.sync_round_done();
    while (auto answer = host.take_enrol_answer()) {
      // Abandoned (Cancel) or superseded: nothing is written.
      if (!kiosk.awaits_enrolment(answer->request)) continue;
      if (!answer->grant) {
        kiosk.enrol_done(answer->request, answer->grant.error());
      } else {
        kiosk.enrol_done(answer->request, finish_enrolment(*answer->grant));
      }
    }
    while (auto item = queue.pop()) {
      if (auto *scan = std::get_if<drivers::ScanEvent>(&*item)) {
        if (input_ns == 0) input_ns = mono_ns();
        kiosk.scan(scan->text, drivers::source_name(scan->source));
      } else if (auto *notice = std::get_if<drivers::DeviceNotice>(&*item)) {
        kiosk.notice(*notice);
      }
    }
    if (host.check_finished()) {
      // The self-test again, which now reports the check (when still unlocked).
      Action again;
      again.kind = Action::Kind::run_self_test;
      kiosk.act(again);
      host.drop_check_result();
    }
    sync_field();
  };

  // Handles one event; true when the loop should stop taking events for now (a release, so
  // that ImGui sees it in a frame of its own).
  auto handle = [&](const SDL_Event &ev) -> bool {
    if (ev.type == SDL_QUIT) {
      running = false;
      return true;
    }
    if (have_wake && ev.type == wake_event) return false;  // served after the events
    const std::string before = wedge.field();
    if (wedge.handle(ev, wedge_out)) {
      take_wedge(before);
      sync_field();
      return false;
    }
    switch (ev.type) {
      case SDL_WINDOWEVENT:
        ImGui_ImplSDL2_ProcessEvent(&ev);
        if (ev.window.event == SDL_WINDOWEVENT_CLOSE) running = false;
        if (ev.window.event == SDL_WINDOWEVENT_LEAVE) mouse = ImVec2(-FLT_MAX, -FLT_MAX);
        extra_frames = std::max(extra_frames, 1);  // exposed, resized, shown, focus
        return false;
      case SDL_MOUSEMOTION:
      case SDL_MOUSEBUTTONDOWN:
      case SDL_MOUSEBUTTONUP:
      case SDL_MOUSEWHEEL:
        if (ev.type == SDL_MOUSEMOTION) {
          mouse = ImVec2(static_cast<float>(ev.motion.x), static_cast<float>(ev.motion.y));
        } else if (ev.type != SDL_MOUSEWHEEL) {
          mouse = ImVec2(static_cast<float>(ev.button.x), static_cast<float>(ev.button.y));
        }
        ImGui_ImplSDL2_ProcessEvent(&ev);
        if (ev.type == SDL_MOUSEBUTTONDOWN) buttons.press(button_index(ev.button.button));
        if (ev.type == SDL_MOUSEBUTTONUP) buttons.release(button_index(ev.button.button));
        // ImGui reads the buttons at the frame: a press shows on one frame, its release
        // (the click) on the next.
        extra_frames = std::max(extra_frames, 2);
        return ev.type == SDL_MOUSEBUTTONUP;
      case SDL_FINGERUP:
        // A touch screen's tap (SDL sends its mouse events too): its end is a release.
        ImGui_ImplSDL2_ProcessEvent(&ev);
        extra_frames = std::max(extra_frames, 1);
        return true;
      case SDL_RENDER_TARGETS_RESET:
      case SDL_RENDER_DEVICE_RESET:
        extra_frames = std::max(extra_frames, 1);
        return false;
      default:
        // Other keys, key releases, the rest of touch: ImGui may keep their state, but
        // nothing on screen depends on them, so no frame.
        ImGui_ImplSDL2_ProcessEvent(&ev);
        return false;
    }
  };

  auto draw_frame = [&] {
    int w = 0;
    int h = 0;
    SDL_GetWindowSize(win.window, &w, &h);
    if (w != font_w || h != font_h) build_fonts(w, h);
    const std::int64_t start = mono_ns();
    const std::uint64_t revision = kiosk.revision();
    ImGui_ImplSDLRenderer_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    // The pointer where the last mouse (or touch) event put it, in window coordinates. The
    // 1.86 backend computes it from the global pointer and the window's position, which
    // SDL can have stale (a window moved with no window manager), and then every tap
    // misses. The buttons as the events taken so far say (MouseButtons).
    io.MousePos = mouse;
    bool down[3] = {false, false, false};
    release_owed = buttons.frame(down);
    for (int i = 0; i < 3; ++i) io.MouseDown[i] = down[i];
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("##kiosk", nullptr,
                 // No background: the renderer's clear paints it, and a full-window quad
                 // through the software renderer's triangle path costs more than all the
                 // rest of the frame at 1920×1080.
                 ImGuiWindowFlags_NoBackground | ImGuiWindowFlags_NoDecoration |
                     ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollWithMouse);
    draw::draw_kiosk(kiosk, clock.wall_ms(), actions);
    ImGui::End();
    ImGui::Render();
    const ImVec4 bg = ImGui::ColorConvertU32ToFloat4(theme().background);
    SDL_SetRenderDrawColor(win.renderer, static_cast<Uint8>(bg.x * 255),
                           static_cast<Uint8>(bg.y * 255), static_cast<Uint8>(bg.z * 255), 255);
    SDL_RenderClear(win.renderer);
    ImGui_ImplSDLRenderer_RenderDrawData(ImGui::GetDrawData());
    SDL_RenderPresent(win.renderer);
    const std::int64_t done = mono_ns();
    ++facts.frames;
    facts.frame_mono_ns = done;
    facts.window_w = w;
    facts.window_h = h;
    if (stats) frame_ns.push_back(done - start);
    if (stats && input_ns != 0) input_to_frame_ns.push_back(done - input_ns);
    input_ns = 0;
    if (facts.first_frame_mono_ns == 0 && kiosk.state().screen == Screen::scan) {
      facts.first_frame_mono_ns = done;
    }
    if (revision != shown_revision) {
      shown_revision = revision;
      // A new screen: one more frame lets ImGui settle what it measures on the first
      // (scroll regions' content, the hovered button).
      extra_frames = std::max(extra_frames, 1);
      if (!args.state_file.empty()) {
        std::string why;
        if (!write_state_file(args.state_file, state_json(kiosk, facts), &why)) {
          std::fprintf(stderr, "comptoir: %s\n", why.c_str());
        }
      }
    } else if (extra_frames > 0) {
      --extra_frames;
    }
    if (release_owed) extra_frames = std::max(extra_frames, 1);
    // The buttons pressed in this frame.
    for (const Action &a : actions) kiosk.act(a);
    if (!actions.empty()) sync_field();
    actions.clear();
  };

  std::fprintf(stderr, "comptoir: kiosk window %dx%d, %s renderer\n", win_w, win_h, [&] {
    SDL_RendererInfo info{};
    return SDL_GetRendererInfo(win.renderer, &info) == 0 ? info.name : "unknown";
  }());

  // Under systemd (service_notify.hpp): ready now that the window is up and the readers
  // started; the loop pings the watchdog and refreshes the status line (it wakes for them).
  ServiceNotify notify;
  auto status_line = [&service, &appliance, &args] {
    auto st = service->status();
    return st ? service_status_line(*st, appliance->stand_id, args.lang) : std::string();
  };
  if (notify.active()) notify.ready(status_line(), ServiceNotify::now_ms());

  while (running) {
    if (quit_signals.fired()) break;
    const std::int64_t now = mono_ms();
    pacer.owed(kiosk.revision() != shown_revision || extra_frames > 0, now);
    // A release taken last pass is shown before any more events are.
    if (!release_owed) {
      // No frame in the middle of a keyboard burst (FramePacer), for at most kMaxHoldMs.
      int timeout = -1;  // nothing timed: sleep until an event
      if (pacer.draw_now(wedge.in_burst(), now)) {
        timeout = 0;
      } else {
        auto at_most = [&timeout](std::int64_t ms) {
          if (ms < 0) return;
          const int limit = static_cast<int>(std::min<std::int64_t>(ms, 3'600'000));
          timeout = timeout < 0 ? limit : std::min(timeout, limit);
        };
        // In a burst: the assembler's deadline ends it, or the held frame's limit comes.
        at_most(wedge.wait_ms(SDL_GetTicks()));
        at_most(pacer.wait_limit_ms(now));
        if (const auto wait = kiosk.next_wait_ms()) at_most(std::max<std::int64_t>(*wait, 0));
        if (!have_wake || g_wake_lost.load()) at_most(kPollWithoutWakeMs);
        at_most(notify.wait_ms(now));
      }
      SDL_Event ev;
      int got = 0;
      if (timeout < 0) {
        got = SDL_WaitEvent(&ev);
      } else if (timeout == 0) {
        got = SDL_PollEvent(&ev);
      } else {
        got = SDL_WaitEventTimeout(&ev, timeout);
      }
      while (got && running) {
        if (handle(ev)) break;
        got = SDL_PollEvent(&ev);
      }
      if (!running) break;
    }
    serve();
    if (notify.active()) {
      const std::int64_t at = ServiceNotify::now_ms();
      notify.ping_if_due(at);
      if (notify.status_due(at)) notify.status(status_line(), at);
    }
    // Deadlines: a person's characters into the field, a scan with no Enter, the kiosk's
    // timeouts and countdowns.
    const std::string before = wedge.field();
    wedge.tick(SDL_GetTicks(), wedge_out);
    take_wedge(before);
    if (const auto wait = kiosk.next_wait_ms(); wait && *wait <= 0) {
      kiosk.tick();
    }
    sync_field();
    const std::int64_t after = mono_ms();
    pacer.owed(kiosk.revision() != shown_revision || extra_frames > 0, after);
    if (release_owed || pacer.draw_now(wedge.in_burst(), after)) {
      draw_frame();
      pacer.drawn();
    }
  }

  notify.stopping();
  if (scanners) scanners->stop();
  // A transfer in progress is abandoned at once (not waited for); the cache closes after.
  if (sync_agent != nullptr) sync_agent->stop();
  // COMPTOIR_FRAME_STATS: how long frames took to draw and present, and from a scan (or a
  // typed code) taken off the event queue to the frame that shows its answer.
  auto report = [](const char *what, std::vector<std::int64_t> v) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
      return static_cast<double>(v[i]) / 1e6;
    };
    std::fprintf(stderr, "comptoir: %s: %zu, ms p50 %.2f p99 %.2f max %.2f\n", what, v.size(),
                 at(0.5), at(0.99), at(1.0));
  };
  if (stats) {
    report("frames (draw + present)", frame_ns);
    report("scan to presented frame", input_to_frame_ns);
  }
  return kExitOk;
}

}  // namespace comptoir::ui
