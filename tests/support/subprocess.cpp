#include "tests/support/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

extern char **environ;

namespace comptoir::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string &what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) fail("fcntl");
}

void close_fd(int &fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

ExitStatus decode(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw)) {
    s.exited = true;
    s.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
  }
  return s;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

}  // namespace

Subprocess::Subprocess(const std::vector<std::string> &argv) {
  if (argv.empty()) throw std::runtime_error("Subprocess: empty argv");
  // A write to a child that has exited must fail with EPIPE, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);

  int in[2], out[2], err[2];
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears O_CLOEXEC on the copies; every other pipe end closes on exec.
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);

  std::vector<char *> args;
  args.reserve(argv.size() + 1);
  for (const std::string &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);

  const int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    close_fd(in_);
    close_fd(out_);
    close_fd(err_fd_);
    pid_ = -1;
    errno = rc;
    fail("posix_spawn " + argv[0]);
  }
  set_nonblocking(in_);
  set_nonblocking(out_);
  set_nonblocking(err_fd_);
}

Subprocess::~Subprocess() {
  close_fd(in_);
  close_fd(out_);
  close_fd(err_fd_);
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
  }
}

bool Subprocess::pump(Clock::time_point deadline) {
  std::array<pollfd, 3> fds{};
  nfds_t n = 0;
  const bool want_write = in_ >= 0 && !pending_in_.empty();
  if (want_write) fds[n++] = {in_, POLLOUT, 0};
  if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  if (n == 0) return false;
  const int timeout = remaining_ms(deadline);
  const int ready = ::poll(fds.data(), n, timeout);
  if (ready < 0) {
    if (errno == EINTR) return true;
    fail("poll");
  }
  if (ready == 0) return Clock::now() < deadline;

  for (nfds_t i = 0; i < n; ++i) {
    const pollfd &p = fds[i];
    if (p.revents == 0) continue;
    if (p.fd == in_) {
      const ssize_t w = ::write(in_, pending_in_.data(), pending_in_.size());
      if (w > 0) {
        pending_in_.erase(0, static_cast<std::size_t>(w));
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        // EPIPE: the child closed its stdin (or exited); what is left cannot be delivered.
        pending_in_.clear();
        close_fd(in_);
      }
      continue;
    }
    std::array<char, 65536> buf{};
    int &fd = p.fd == out_ ? out_ : err_fd_;
    std::string &sink = p.fd == out_ ? out_buf_ : err_;
    const ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r > 0) {
      sink.append(buf.data(), static_cast<std::size_t>(r));
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(fd);
    }
  }
  return true;
}

bool Subprocess::write(std::string_view data, milliseconds timeout) {
  if (in_ < 0) return false;
  pending_in_.append(data);
  const auto deadline = Clock::now() + timeout;
  while (!pending_in_.empty() && in_ >= 0) {
    if (!pump(deadline)) break;
  }
  return pending_in_.empty() && in_ >= 0;
}

void Subprocess::close_stdin() {
  close_fd(in_);
  pending_in_.clear();
}

std::optional<std::string> Subprocess::read_line(milliseconds timeout) {
  timed_out_ = false;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto nl = out_buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    if (out_ < 0) {
      if (out_buf_.empty()) return std::nullopt;
      return std::exchange(out_buf_, std::string());
    }
    if (Clock::now() >= deadline || !pump(deadline)) {
      if (out_ >= 0) {
        timed_out_ = true;
        return std::nullopt;
      }
    }
  }
}

std::string Subprocess::read_to_end(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (out_ >= 0 || err_fd_ >= 0) {
    if (Clock::now() >= deadline) {
      kill(SIGKILL);
      throw std::runtime_error("child " + std::to_string(pid_) +
                               " did not close its output in time");
    }
    pump(deadline);
  }
  return std::exchange(out_buf_, std::string());
}

ExitStatus Subprocess::wait(milliseconds timeout) {
  if (reaped_) return status_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int raw = 0;
    const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = decode(raw);
      return status_;
    }
    if (r < 0 && errno != EINTR) fail("waitpid");
    if (Clock::now() >= deadline) {
      kill(SIGKILL);
      throw std::runtime_error("child " + std::to_string(pid_) + " did not exit in time");
    }
    // Keep draining output: a child blocked on a full pipe would never exit.
    if (out_ >= 0 || err_fd_ >= 0) {
      pump(std::min(deadline, Clock::now() + milliseconds(20)));
    } else {
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
}

void Subprocess::kill(int signal) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal);
}

RunResult run(const std::vector<std::string> &argv, std::string_view input, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Subprocess child(argv);
  if (!input.empty()) child.write(input, timeout);
  child.close_stdin();
  const auto left = [&] {
    return std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
  };
  RunResult result;
  result.out = child.read_to_end(left());
  result.err = child.stderr_text();
  result.status = child.wait(std::max(left(), milliseconds(1)));
  return result;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace comptoir::test
