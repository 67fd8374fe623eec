// The pieces every reader shares: ScanAssembler (characters to scans: terminator, quiet
// gap, stale partial scans, floods, aborts) and ScanQueue (bounded, said once per overflow,
// its fd readable exactly while it holds something).
#include "drivers/scan_assembler.hpp"

#include <doctest/doctest.h>
#include <poll.h>

#include <chrono>
#include <string>

#include "drivers/scan_queue.hpp"

namespace comptoir::test {
namespace {

using namespace std::chrono_literals;
using drivers::AssemblerOptions;
using drivers::ScanAssembler;
using Clock = ScanAssembler::Clock;

const Clock::time_point t0{};

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

}  // namespace

TEST_CASE("assembler: a terminator ends a scan, an empty scan is nothing") {
  ScanAssembler a;
  CHECK(a.add("K7QM", t0).empty());
  CHECK(a.add("-9X2D", t0 + 1ms).empty());
  auto done = a.terminate(t0 + 2ms);
  REQUIRE(done);
  CHECK(done->ok);
  CHECK(done->text == "K7QM-9X2D");
  CHECK_FALSE(a.pending());
  CHECK_FALSE(a.terminate(t0 + 3ms));  // CR then LF: the LF ends nothing
  CHECK_FALSE(a.deadline());
}

TEST_CASE("assembler: with a quiet gap, silence ends the scan at its deadline, not before") {
  AssemblerOptions o;
  o.quiet_gap = 50ms;
  ScanAssembler a(o);
  a.add("ABC", t0);
  REQUIRE(a.deadline());
  CHECK(*a.deadline() == t0 + 50ms);
  CHECK_FALSE(a.tick(t0 + 49ms));
  auto done = a.tick(t0 + 50ms);
  REQUIRE(done);
  CHECK(done->ok);
  CHECK(done->text == "ABC");
}

TEST_CASE("assembler: characters after a passed gap end the old scan before starting a new one") {
  AssemblerOptions o;
  o.quiet_gap = 50ms;
  ScanAssembler a(o);
  a.add("FIRST", t0);
  const auto ended = a.add("SECOND", t0 + 80ms);  // tick() was never called in between
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].ok);
  CHECK(ended[0].text == "FIRST");
  auto second = a.terminate(t0 + 81ms);
  REQUIRE(second);
  CHECK(second->text == "SECOND");
}

TEST_CASE("assembler: a partial scan with no terminator goes stale and is dropped, not glued") {
  ScanAssembler a;  // terminator expected, stale after 2 s
  a.add("K7QM-9", t0);
  CHECK_FALSE(a.tick(t0 + 1999ms));
  auto dropped = a.tick(t0 + 2s);
  REQUIRE(dropped);
  CHECK_FALSE(dropped->ok);
  CHECK(dropped->reason == "no_terminator");
  CHECK(dropped->text == "K7QM-9");
  a.add("C-100001", t0 + 3s);
  auto next = a.terminate(t0 + 3s + 5ms);
  REQUIRE(next);
  CHECK(next->text == "C-100001");
}

TEST_CASE(
    "assembler: a flood is one too_long drop, discarded until it stops, then reading goes on") {
  AssemblerOptions o;
  o.max_bytes = 100;
  ScanAssembler a(o);
  int drops = 0;
  for (int i = 0; i < 10'000; ++i) {
    for (const auto &c : a.add("a", t0 + std::chrono::microseconds(i * 100))) {
      CHECK_FALSE(c.ok);
      CHECK(c.reason == "too_long");
      ++drops;
    }
  }
  CHECK(drops == 1);
  // The flood's own Enter ends it silently; the next scan is whole.
  CHECK_FALSE(a.terminate(t0 + 1s + 1ms));
  a.add("C-100001", t0 + 2s);
  auto next = a.terminate(t0 + 2s + 1ms);
  REQUIRE(next);
  CHECK(next->ok);
  CHECK(next->text == "C-100001");
}

TEST_CASE("assembler: a flood with no Enter stops at its gap, and the next scan is whole") {
  AssemblerOptions o;
  o.max_bytes = 100;
  ScanAssembler a(o);
  for (int i = 0; i < 500; ++i) a.add("z", t0 + std::chrono::milliseconds(i));
  CHECK(a.pending());
  CHECK_FALSE(a.tick(t0 + 500ms + 2s));  // stopped flooding: nothing more to say
  CHECK_FALSE(a.pending());
  a.add("ZA1", t0 + 5s);
  auto next = a.terminate(t0 + 5s + 1ms);
  REQUIRE(next);
  CHECK(next->text == "ZA1");
}

TEST_CASE("assembler: abort drops a partial scan with the reason given, once") {
  ScanAssembler a;
  CHECK_FALSE(a.abort("cable_pulled"));  // nothing pending: nothing to say
  a.add("K7QM-9X", t0);
  auto dropped = a.abort("cable_pulled");
  REQUIRE(dropped);
  CHECK_FALSE(dropped->ok);
  CHECK(dropped->reason == "cable_pulled");
  CHECK(dropped->text == "K7QM-9X");
  CHECK_FALSE(a.pending());
  CHECK_FALSE(a.terminate(t0 + 1ms));  // the half scan is gone for good
}

TEST_CASE("queue: its fd is readable exactly while it holds something") {
  drivers::ScanQueue q(16);
  REQUIRE(q.wait_fd() >= 0);
  CHECK_FALSE(readable(q.wait_fd()));
  drivers::ScanEvent e;
  e.text = "C-1";
  q.scan(e);
  q.scan(e);
  CHECK(readable(q.wait_fd()));
  CHECK(q.pop());
  CHECK(readable(q.wait_fd()));
  CHECK(q.pop());
  CHECK_FALSE(readable(q.wait_fd()));
  CHECK_FALSE(q.pop());
}

TEST_CASE("queue: a second overflow is said again once the consumer has made room") {
  drivers::ScanQueue q(8);
  drivers::ScanEvent e;
  e.text = "C-1";
  for (int i = 0; i < 20; ++i) q.scan(e);
  CHECK(q.size() == 8);  // 7 scans and the notice in the last slot
  // The consumer serves 4 and never empties the queue before a new flood comes.
  for (int i = 0; i < 4; ++i) CHECK(q.pop());
  for (int i = 0; i < 20; ++i) q.scan(e);
  int full = 0, scans = 0;
  while (auto item = q.pop()) {
    if (const auto *n = std::get_if<drivers::DeviceNotice>(&*item))
      full += n->reason == "queue_full";
    scans += std::holds_alternative<drivers::ScanEvent>(*item) ? 1 : 0;
  }
  CHECK(full == 2);
  CHECK(scans == 3 + 3);
}

}  // namespace comptoir::test
