// The kiosk's keyboard-wedge assembler with exact timings: a scanner's burst against a
// person's typing, mixed, cut short, stalled, flooding, and edited with Backspace.
#include "drivers/wedge_assembler.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace comptoir::drivers;
using namespace std::chrono_literals;
using Clock = WedgeAssembler::Clock;
using std::chrono::milliseconds;

std::string token_131() {
  static constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string t = "ZA1";
  std::uint32_t x = 7;
  while (t.size() < 131) {
    x = x * 1103515245u + 12345u;
    t += kSymbols[(x >> 16) % kSymbols.size()];
  }
  return t;
}

// Drives the assembler as the kiosk's event loop does: before each event, tick() at every
// deadline that has passed, then the event at its time.
struct Keyboard {
  explicit Keyboard(WedgeOptions options = {}) : w(options) {}

  WedgeAssembler w;
  Clock::time_point t = Clock::time_point{} + 1000s;
  std::vector<WedgeOutput> out;

  void take(std::vector<WedgeOutput> v) {
    for (auto &o : v) out.push_back(std::move(o));
  }
  void advance(milliseconds dt) {
    const auto to = t + dt;
    while (auto due = w.deadline()) {
      if (*due > to) break;
      take(w.tick(*due));
    }
    t = to;
  }
  // The first character `first` after the previous event, then one every `per_key`.
  void type(std::string_view text, milliseconds per_key, milliseconds first) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      advance(i == 0 ? first : per_key);
      take(w.text(text.substr(i, 1), t));
    }
  }
  void type(std::string_view text, milliseconds per_key) { type(text, per_key, per_key); }
  void enter(milliseconds after) {
    advance(after);
    take(w.enter(t));
  }
  void backspace(milliseconds after) {
    advance(after);
    take(w.backspace(t));
  }

  std::vector<std::string> scans() const {
    std::vector<std::string> v;
    for (const auto &o : out) {
      if (const auto *s = std::get_if<ScanEvent>(&o)) v.push_back(s->text);
    }
    return v;
  }
  std::vector<std::string> typed() const {
    std::vector<std::string> v;
    for (const auto &o : out) {
      if (const auto *s = std::get_if<TypedCode>(&o)) v.push_back(s->text);
    }
    return v;
  }
  std::vector<DeviceNotice> notices() const {
    std::vector<DeviceNotice> v;
    for (const auto &o : out) {
      if (const auto *s = std::get_if<DeviceNotice>(&o)) v.push_back(*s);
    }
    return v;
  }
};

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("a 131-character token at 1 ms a key and Enter is one scan") {
  const std::string token = token_131();
  Keyboard k;
  k.type(token, 1ms);
  k.enter(1ms);
  REQUIRE(k.out.size() == 1);
  const auto &scan = std::get<ScanEvent>(k.out[0]);
  CHECK(scan.text == token);
  CHECK(scan.source == Source::keyboard);
  CHECK(scan.device_id == "keyboard");
  CHECK(k.w.field().empty());
  CHECK_FALSE(k.w.deadline().has_value());
  k.advance(1s);
  CHECK(k.out.size() == 1);
}

TEST_CASE("a person typing K7QM9X2D4R1 at 120 ms a key and Enter is a typed code") {
  Keyboard k;
  k.type("K7Q", 120ms);
  // Each character shows in the field once key_gap has passed.
  CHECK(k.w.field() == "K7");
  k.advance(30ms);
  CHECK(k.w.field() == "K7Q");
  k.type("M9X2D4R1", 120ms, 90ms);
  k.enter(120ms);
  CHECK(k.scans().empty());
  CHECK(k.typed() == Strings{"K7QM9X2D4R1"});
  CHECK(k.w.field().empty());
}

TEST_CASE("a scan right after a person typed 3 characters is not glued to them") {
  const std::string token = token_131();
  for (const auto pause : {milliseconds(40), milliseconds(400)}) {
    CAPTURE(pause.count());
    Keyboard k;
    k.type("K7Q", 120ms);
    k.type(token, 1ms, pause);
    k.enter(2ms);
    CHECK(k.scans() == Strings{token});
    CHECK(k.w.field() == "K7Q");  // the person's characters wait in the field
    CHECK(k.typed().empty());
    k.type("M9", 150ms, 900ms);
    k.enter(150ms);
    CHECK(k.typed() == Strings{"K7QM9"});
    CHECK(k.scans() == Strings{token});
  }
}

TEST_CASE("a burst with no Enter ends as a scan after the quiet gap") {
  const std::string token = token_131();
  Keyboard k;
  k.type(token, 1ms);
  k.advance(99ms);
  CHECK(k.out.empty());  // an Enter could still come
  k.advance(1ms);
  CHECK(k.scans() == Strings{token});
  // A person's Enter a moment later, with an empty field, is nothing.
  k.enter(400ms);
  CHECK(k.out.size() == 1);
  // A scanner with no suffix scanning twice: two scans.
  k.type("K7QM9X2D4R1", 2ms, 800ms);
  k.advance(200ms);
  CHECK(k.scans() == Strings{token, "K7QM9X2D4R1"});
  CHECK(k.typed().empty());
}

TEST_CASE("a stalled frame inside a scan and a late Enter keep it one scan") {
  const std::string token = token_131();
  Keyboard k;
  k.type(token.substr(0, 40), 1ms);
  k.type(token.substr(40), 1ms, 70ms);  // the UI thread was busy for 70 ms
  k.enter(60ms);
  CHECK(k.scans() == Strings{token});
  CHECK(k.typed().empty());
  CHECK(k.w.field().empty());
}

TEST_CASE("a scan's Enter later than the gap does not submit what a person typed") {
  const std::string token = token_131();
  Keyboard k;
  k.type("K7Q", 120ms);
  k.type(token, 1ms, 600ms);
  // The scanner's Enter comes 250 ms after its last key (a slow scanner, a stalled frame):
  // the gap has ended the scan, and the Enter is the scan's, not the person's.
  k.enter(250ms);
  CHECK(k.scans() == Strings{token});
  CHECK(k.typed().empty());
  CHECK(k.w.field() == "K7Q");
  // Later, the person's own Enter submits the field.
  k.enter(900ms);
  CHECK(k.typed() == Strings{"K7Q"});
}

TEST_CASE("fewer than min_scan_chars fast keys are typing, six or more are a scan") {
  Keyboard k;
  k.type("abcde", 5ms, 0ms);
  k.enter(5ms);
  CHECK(k.scans().empty());
  CHECK(k.typed() == Strings{"abcde"});
  k.type("abcdef", 5ms, 1s);
  k.enter(5ms);
  CHECK(k.scans() == Strings{"abcdef"});
  CHECK(k.typed() == Strings{"abcde"});
}

TEST_CASE("a person's quick pairs and rolled Enter stay typing") {
  // Rolled pairs 25 ms apart, 150 ms between pairs, Enter 20 ms after the last key.
  Keyboard k;
  k.type("K7", 25ms, 0ms);
  k.type("QM", 25ms, 150ms);
  k.type("9X", 25ms, 150ms);
  k.enter(20ms);
  CHECK(k.scans().empty());
  CHECK(k.typed() == Strings{"K7QM9X"});
}

TEST_CASE("Backspace and Escape edit the field, a character at a time") {
  Keyboard k;
  k.type("K7QX", 150ms);
  k.backspace(150ms);
  CHECK(k.w.field() == "K7Q");
  k.type("M", 150ms);
  k.enter(150ms);
  CHECK(k.typed() == Strings{"K7QM"});

  // A character of several bytes goes whole.
  k.type("Zoé", 150ms, 1s);
  k.backspace(150ms);
  CHECK(k.w.field() == "Zo");
  // Backspace right after a key (inside key_gap) still removes that key.
  k.type("x", 150ms);
  k.backspace(10ms);
  CHECK(k.w.field() == "Zo");
  k.take(k.w.escape(k.t + 150ms));
  CHECK(k.w.field().empty());
  k.enter(300ms);
  CHECK(k.typed() == Strings{"K7QM"});
  CHECK(k.scans().empty());
}

TEST_CASE("a 10 kB flood is dropped once as too_long, and scanning goes on") {
  Keyboard k;
  k.type(std::string(10 * 1024, 'A'), 1ms);
  k.enter(1ms);
  CHECK(k.scans().empty());
  CHECK(k.typed().empty());
  CHECK(k.w.field().empty());
  const auto notices = k.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].kind == NoticeKind::scan_dropped);
  CHECK(notices[0].reason == "too_long");
  CHECK(notices[0].device_id == "keyboard");
  CHECK(notices[0].detail.size() < 300);
  // A flood with no Enter at all ends when the keys stop.
  k.type(std::string(10 * 1024, 'B'), 1ms, 1s);
  k.type("K7QM9X2D4R1", 1ms, 500ms);
  k.enter(1ms);
  CHECK(k.notices().size() == 2);
  CHECK(k.scans() == Strings{"K7QM9X2D4R1"});
}

TEST_CASE("a Tab suffix ends a scan, a person's Tab does nothing") {
  Keyboard k;
  k.type("K7QM9X2D4R1", 2ms);
  k.advance(2ms);
  k.take(k.w.tab(k.t));
  CHECK(k.scans() == Strings{"K7QM9X2D4R1"});
  k.type("AB", 150ms, 1s);
  k.advance(150ms);
  k.take(k.w.tab(k.t));
  CHECK(k.w.field() == "AB");
  CHECK(k.scans().size() == 1);
}

TEST_CASE("the field is bounded, and clear_field forgets it") {
  Keyboard k;
  k.type(std::string(300, 'x'), 120ms);
  k.advance(1s);
  CHECK(k.w.field().size() == WedgeOptions{}.max_field_bytes);
  CHECK(k.out.empty());
  k.w.clear_field();
  k.enter(100ms);
  CHECK(k.typed().empty());
}

TEST_CASE("several characters in one text event count as typed at once") {
  // An input method committing a word: typing, as long as it is shorter than a scan.
  Keyboard k;
  k.advance(100ms);
  k.take(k.w.text("K7Q", k.t));
  k.enter(200ms);
  CHECK(k.typed() == Strings{"K7Q"});
  CHECK(k.scans().empty());
}

TEST_CASE("set_field: the keypad's edits and the keyboard's typing share one field") {
  Keyboard k;
  k.type("K7", 150ms);
  k.advance(150ms);
  // The keypad added "Q" and took nothing away: the keyboard goes on from "K7Q".
  k.w.set_field("K7Q");
  k.type("M", 150ms);
  k.backspace(150ms);
  k.backspace(150ms);
  CHECK(k.w.field() == "K7");
  k.w.set_field("K7QM9X2D4R1");
  k.enter(150ms);
  CHECK(k.typed() == Strings{"K7QM9X2D4R1"});
  CHECK(k.w.field().empty());

  // Bounded as typing is, and never cutting a character in two.
  k.w.set_field(std::string(WedgeOptions{}.max_field_bytes - 1, 'x') + "é");
  CHECK(k.w.field() == std::string(WedgeOptions{}.max_field_bytes - 1, 'x'));
  k.w.set_field("");
  CHECK(k.w.field().empty());

  // A scanner's burst under way when the keypad sets the field stays a scan, and the field
  // keeps what the keypad set.
  k.type("Zo", 150ms, 1s);
  k.advance(150ms);
  k.type("C-104217", 1ms, 200ms);
  k.w.set_field("AB");
  k.enter(1ms);
  CHECK(k.scans() == Strings{"C-104217"});
  CHECK(k.w.field() == "AB");
}

TEST_CASE("in_burst: true while a burst's keys come, false once it is settled") {
  Keyboard k;
  CHECK_FALSE(k.w.in_burst());
  // A scanner's burst: in a burst until its Enter, then not.
  k.type("C-104217", 1ms, 1s);
  CHECK(k.w.in_burst());
  k.enter(1ms);
  CHECK_FALSE(k.w.in_burst());
  CHECK(k.scans() == Strings{"C-104217"});
  // A person's key: in a burst for key_gap, then in the field and settled.
  k.type("K", 150ms);
  CHECK(k.w.in_burst());
  k.advance(WedgeOptions{}.key_gap + 1ms);
  CHECK_FALSE(k.w.in_burst());
  CHECK(k.w.field() == "K");
  // A scan with no Enter: in a burst until its quiet gap ends it.
  k.type("C-104218", 1ms, 1s);
  k.advance(WedgeOptions{}.scan_gap - 10ms);
  CHECK(k.w.in_burst());
  k.advance(20ms);
  CHECK_FALSE(k.w.in_burst());
  CHECK(k.scans() == Strings{"C-104217", "C-104218"});
}
