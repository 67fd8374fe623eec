// The kiosk's test and benchmark harness; see kiosk_harness.hpp.
#include "tests/e2e/kiosk_harness.hpp"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

extern char **environ;

namespace comptoir::test {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

int ignore_x_errors(Display *, XErrorEvent *) {
  return 0;  // a window that vanished while the tree was walked
}

// The viewable window under `w` (or `w` itself) whose _NET_WM_PID is `pid`; 0 if none.
Window find_window(Display *dpy, Atom net_wm_pid, Window w, pid_t pid) {
  Atom type = 0;
  int format = 0;
  unsigned long items = 0;
  unsigned long after = 0;
  unsigned char *data = nullptr;
  if (XGetWindowProperty(dpy, w, net_wm_pid, 0, 1, False, XA_CARDINAL, &type, &format, &items,
                         &after, &data) == Success &&
      data != nullptr) {
    // Format 32 properties come back as longs, whatever the server's word size.
    const bool ours =
        items == 1 && format == 32 && static_cast<pid_t>(*reinterpret_cast<long *>(data)) == pid;
    XFree(data);
    XWindowAttributes attributes{};
    if (ours && XGetWindowAttributes(dpy, w, &attributes) && attributes.map_state == IsViewable) {
      return w;
    }
  }
  Window root = 0;
  Window parent = 0;
  Window *children = nullptr;
  unsigned int n = 0;
  if (!XQueryTree(dpy, w, &root, &parent, &children, &n)) return 0;
  Window found = 0;
  for (unsigned int i = 0; i < n && found == 0; ++i) {
    found = find_window(dpy, net_wm_pid, children[i], pid);
  }
  if (children != nullptr) XFree(children);
  return found;
}

}  // namespace

std::string find_program(std::string_view program) {
  const char *path = std::getenv("PATH");
  const std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate =
        std::string(dirs.substr(start, end - start)) + "/" + std::string(program);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

std::string missing_packages(
    std::initializer_list<std::pair<std::string_view, std::string_view>> needed) {
  std::vector<std::string_view> packages;
  for (const auto &[program, package] : needed) {
    if (!find_program(program).empty()) continue;
    if (std::find(packages.begin(), packages.end(), package) == packages.end()) {
      packages.push_back(package);
    }
  }
  std::string out;
  for (const std::string_view package : packages) {
    if (!out.empty()) out += ' ';
    out += package;
  }
  return out;
}

bool x_tests_skipped() {
  const char *skip = std::getenv("COMPTOIR_SKIP_X_TESTS");
  return skip != nullptr && std::string_view(skip) == "1";
}

bool process_running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  // "PID (comm) S ...": the state letter follows the last ')'.
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z' &&
         text[close + 2] != 'X';
}

std::string str(const nlohmann::json &j, const char *key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t num(const nlohmann::json &j, const char *key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : -1;
}

// ---- Xvfb --------------------------------------------------------------------------------

Result<std::unique_ptr<Xvfb>> Xvfb::start(const Size &screen, const std::string &log) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error("xvfb", std::string("pipe2: ") + std::strerror(errno));
  }
  // The write end becomes the child's fd 3; dup2 onto itself would keep it close-on-exec.
  if (fds[1] == 3) {
    const int moved = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 4);
    ::close(fds[1]);
    fds[1] = moved;
  }
  std::vector<std::string> argv = {"Xvfb", "-displayfd", "3", "-noreset",           "-nolisten",
                                   "tcp",  "-screen",    "0", screen.text() + "x24"};
  std::vector<char *> args;
  for (std::string &a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "Xvfb", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return make_error(
        "xvfb", std::string("cannot start Xvfb (apt-get install xvfb): ") + std::strerror(rc));
  }
  std::unique_ptr<Xvfb> x(new Xvfb(pid, ""));
  // It writes the display number and a newline once it listens.
  std::string number;
  pollfd p{fds[0], POLLIN, 0};
  const auto deadline = Steady::now() + 10s;
  while (number.find('\n') == std::string::npos && Steady::now() < deadline) {
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[32];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    number.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (number.find('\n') == std::string::npos) {
    return make_error("xvfb", "Xvfb did not say its display number within 10 s (see " + log + ")");
  }
  // Appended, not ":" + substr: GCC 12 warns (-Wrestrict) on that at -O2.
  x->display_ = ":";
  x->display_ += number.substr(0, number.find('\n'));
  return x;
}

Xvfb::~Xvfb() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Steady::now() + 5s;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Steady::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
}

// ---- the window --------------------------------------------------------------------------

Result<unsigned long> wait_for_window(const std::string &display, pid_t pid,
                                      std::chrono::milliseconds timeout) {
  Display *dpy = XOpenDisplay(display.c_str());
  if (dpy == nullptr) return make_error("x11", "cannot open display " + display);
  const auto previous = XSetErrorHandler(ignore_x_errors);
  const Atom net_wm_pid = XInternAtom(dpy, "_NET_WM_PID", False);
  const auto deadline = Steady::now() + timeout;
  Window found = 0;
  for (;;) {
    found = find_window(dpy, net_wm_pid, DefaultRootWindow(dpy), pid);
    if (found != 0 || Steady::now() > deadline) break;
    std::this_thread::sleep_for(25ms);
  }
  XSetErrorHandler(previous);
  XCloseDisplay(dpy);
  if (found == 0) {
    return make_error("x11", "no viewable window of pid " + std::to_string(pid) + " on " + display +
                                 " after " + std::to_string(timeout.count()) + " ms");
  }
  return static_cast<unsigned long>(found);
}

// ---- the state file ----------------------------------------------------------------------

Result<std::unique_ptr<StateFile>> StateFile::watch(std::string path) {
  const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return make_error("inotify", std::string("inotify_init1: ") + std::strerror(errno));
  const std::string dir =
      path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  if (::inotify_add_watch(fd, dir.empty() ? "." : dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    const int e = errno;
    ::close(fd);
    return make_error("inotify", "cannot watch " + dir + ": " + std::strerror(e));
  }
  return std::unique_ptr<StateFile>(new StateFile(std::move(path), fd));
}

StateFile::~StateFile() {
  ::close(fd_);
}

std::optional<nlohmann::json> StateFile::read() const {
  std::ifstream in(path_);
  if (!in) return std::nullopt;
  // Renamed into place, so never half written; an empty read is a race at worst.
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

StateFile::Wait StateFile::wait(const std::function<bool(const nlohmann::json &)> &ok,
                                const std::function<bool()> &alive,
                                std::chrono::milliseconds timeout) const {
  const auto deadline = Steady::now() + timeout;
  Wait w;
  for (;;) {
    if (auto s = read()) {
      if (ok(*s)) {
        w.state = std::move(s);
        return w;
      }
      w.last = std::move(s);
    }
    if (!alive()) {
      w.exited = true;
      return w;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now());
    if (left.count() <= 0) return w;
    pollfd p{fd_, POLLIN, 0};
    // At most 100 ms: a rename between read() and poll() is seen at the next read.
    if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) > 0) {
      char buf[4096];
      while (::read(fd_, buf, sizeof buf) > 0) {
      }
    }
  }
}

}  // namespace comptoir::test
