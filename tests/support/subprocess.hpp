// A child process with pipes on stdin, stdout and stderr, for end-to-end tests of the real
// binaries. Every wait has a deadline, so a hung child fails its test instead of hanging
// ctest; a child still running when its Subprocess is destroyed is killed and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::test {

using std::chrono::milliseconds;

// Generous: the binaries run under ASan on a busy 2-core machine.
inline constexpr milliseconds kDefaultTimeout{20'000};

struct ExitStatus {
  bool exited = false;  // exited normally (code is meaningful)
  int code = -1;        // exit code
  int signal = 0;       // the terminating signal when !exited
};

class Subprocess {
 public:
  // argv[0] is the program's path. Throws std::runtime_error when it cannot be started.
  explicit Subprocess(const std::vector<std::string> &argv);
  ~Subprocess();
  Subprocess(const Subprocess &) = delete;
  Subprocess &operator=(const Subprocess &) = delete;

  pid_t pid() const { return pid_; }

  // Writes all of `data` to the child's stdin, reading its output meanwhile so neither side
  // can block the other. False if the child closed its stdin or the deadline passed.
  bool write(std::string_view data, milliseconds timeout = kDefaultTimeout);
  void close_stdin();

  // The next line of stdout, without its '\n'. nullopt when stdout ended with nothing left,
  // or when no complete line arrived in time (then timed_out() is true).
  std::optional<std::string> read_line(milliseconds timeout = kDefaultTimeout);
  bool timed_out() const { return timed_out_; }

  // Reads stdout and stderr until the child closes both. Throws std::runtime_error past
  // the deadline. Returns what was left of stdout (not yet returned by read_line).
  std::string read_to_end(milliseconds timeout = kDefaultTimeout);
  // What the child wrote on stderr so far.
  const std::string &stderr_text() const { return err_; }

  // Waits for the child to end. Throws std::runtime_error (after killing it) past the deadline.
  ExitStatus wait(milliseconds timeout = kDefaultTimeout);
  void kill(int signal);

 private:
  // One poll round: writes pending input, reads available output. False once nothing is
  // left open to wait for, or the deadline has passed.
  bool pump(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  bool reaped_ = false;
  ExitStatus status_;
  int in_ = -1, out_ = -1, err_fd_ = -1;
  std::string pending_in_;
  std::string out_buf_;
  std::string err_;
  bool timed_out_ = false;
};

struct RunResult {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs a program to completion with `input` on its stdin (then closed).
RunResult run(const std::vector<std::string> &argv, std::string_view input = {},
              milliseconds timeout = kDefaultTimeout);

// Splits text into lines (a final line without '\n' counts; no empty trailing line).
std::vector<std::string> split_lines(std::string_view text);

}  // namespace comptoir::test
