// What the kiosk's end-to-end test (tests/e2e/kiosk_e2e_test.cpp) and its benchmark
// (bench/kiosk_bench_main.cpp) share to drive the real `comptoir` window: an Xvfb of their
// own, the window SDL opened (found by its _NET_WM_PID), the --state-file watched with
// inotify, and the fields read from it. No doctest and no Xlib in this header: the benchmark
// is built without the tests, and Xlib's macros (None, Status, True...) clash with doctest's
// names. Failures are values; the callers turn them into a failed check or a failed figure.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "db/result.hpp"

namespace comptoir::test {

// A window or screen size, "WxH" as --windowed and Xvfb's -screen take it.
struct Size {
  int w = 0;
  int h = 0;
  std::string text() const { return std::to_string(w) + "x" + std::to_string(h); }
};

// The program's full path from $PATH; empty when it is not there.
std::string find_program(std::string_view program);

// The Debian packages holding the programs of `needed` ({program, package}) that are missing
// from $PATH, space-separated; "" when none is.
std::string missing_packages(
    std::initializer_list<std::pair<std::string_view, std::string_view>> needed);

// COMPTOIR_SKIP_X_TESTS=1: the tests that need an X server (Xvfb, xdotool, ImageMagick) are
// skipped on purpose; without it a missing tool fails them (scripts/test installs them).
bool x_tests_skipped();

// A process that exists and has not exited (a zombie has).
bool process_running(pid_t pid);

// A string or number field of a state-file object; "" or -1 when absent or of another type.
std::string str(const nlohmann::json &j, const char *key);
std::int64_t num(const nlohmann::json &j, const char *key);

// Xvfb on the first free display (-displayfd), one screen of `screen` at 24 bits, its output
// appended to `log`. -noreset: it keeps its keymap when the last client leaves. Stopped
// (SIGTERM, then reaped) when destroyed.
class Xvfb {
 public:
  static Result<std::unique_ptr<Xvfb>> start(const Size &screen, const std::string &log);
  ~Xvfb();
  Xvfb(const Xvfb &) = delete;
  Xvfb &operator=(const Xvfb &) = delete;

  const std::string &display() const { return display_; }
  pid_t pid() const { return pid_; }

 private:
  Xvfb(pid_t pid, std::string display) : pid_(pid), display_(std::move(display)) {}
  pid_t pid_ = -1;
  std::string display_;
};

// The viewable window whose _NET_WM_PID is `pid` (SDL sets it) on `display`, as an X window
// id (Xlib's Window); waits up to `timeout` for SDL to map it.
Result<unsigned long> wait_for_window(const std::string &display, pid_t pid,
                                      std::chrono::milliseconds timeout);

// The kiosk's --state-file, watched with inotify on its directory: the app renames PATH.tmp
// onto PATH after each frame that shows a new revision, so waiting costs no polling CPU
// beside the kiosk (the benchmark measures it). Give it a directory of its own.
class StateFile {
 public:
  static Result<std::unique_ptr<StateFile>> watch(std::string path);
  ~StateFile();
  StateFile(const StateFile &) = delete;
  StateFile &operator=(const StateFile &) = delete;

  const std::string &path() const { return path_; }
  // The newest state written; nullopt before the first frame.
  std::optional<nlohmann::json> read() const;

  struct Wait {
    std::optional<nlohmann::json> state;  // the first state `ok` held for
    std::optional<nlohmann::json> last;   // otherwise the last one read, to say what was shown
    bool exited = false;                  // `alive` said no: nothing more will be written
  };
  // Reads the state until `ok` holds, `alive` (asked between reads) says no, or `timeout`.
  Wait wait(const std::function<bool(const nlohmann::json &)> &ok,
            const std::function<bool()> &alive, std::chrono::milliseconds timeout) const;

 private:
  StateFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace comptoir::test
