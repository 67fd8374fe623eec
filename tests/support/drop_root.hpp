// For the tests of "no permission": root opens any device node, so a test case run as root
// makes itself nobody (uid and gid 65534) for good, in its own process (ctest runs each case
// alone), before it makes anything. Done from inside the test rather than by wrapping it in
// setpriv, so it works wherever the build is, even where nobody may not go (a clone under
// /root): the program is already loaded; read any fixture before calling this.
#pragma once

#include <grp.h>
#include <unistd.h>

namespace comptoir::test {

inline constexpr uid_t kNobody = 65534;

// True when the process is not root (any more).
inline bool drop_root() {
  if (::geteuid() != 0) return true;
  return ::setgroups(0, nullptr) == 0 && ::setresgid(kNobody, kNobody, kNobody) == 0 &&
         ::setresuid(kNobody, kNobody, kNobody) == 0 && ::geteuid() == kNobody;
}

}  // namespace comptoir::test
