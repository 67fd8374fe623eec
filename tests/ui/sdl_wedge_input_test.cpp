// The SDL adapter for the kiosk's keyboard: SDL_Event structs built by hand (no window),
// then, end to end, a real SDL window under Xvfb typed into by xdotool at a scanner's
// speed and at a person's.
#include "ui/sdl_wedge_input.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/kiosk_harness.hpp"
#include "tests/e2e/xvfb_check.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace comptoir::drivers;
using comptoir::ui::SdlWedgeInput;

std::string token_131() {
  static constexpr std::string_view kSymbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string t = "ZA1";
  std::uint32_t x = 99;
  while (t.size() < 131) {
    x = x * 1103515245u + 12345u;
    t += kSymbols[(x >> 16) % kSymbols.size()];
  }
  return t;
}

SDL_Event text_event(std::string_view text, std::uint32_t ms) {
  SDL_Event e;
  std::memset(&e, 0, sizeof e);
  e.type = SDL_TEXTINPUT;
  e.text.timestamp = ms;
  REQUIRE(text.size() < sizeof e.text.text);
  std::memcpy(e.text.text, text.data(), text.size());
  return e;
}

SDL_Event key_event(SDL_Keycode sym, std::uint32_t ms, bool down = true, std::uint8_t repeat = 0) {
  SDL_Event e;
  std::memset(&e, 0, sizeof e);
  e.type = down ? SDL_KEYDOWN : SDL_KEYUP;
  e.key.timestamp = ms;
  e.key.state = down ? SDL_PRESSED : SDL_RELEASED;
  e.key.repeat = repeat;
  e.key.keysym.sym = sym;
  return e;
}

struct Outputs {
  std::vector<WedgeOutput> all;
  std::vector<std::string> scans() const {
    std::vector<std::string> v;
    for (const auto &o : all) {
      if (const auto *s = std::get_if<ScanEvent>(&o)) v.push_back(s->text);
    }
    return v;
  }
  std::vector<std::string> typed() const {
    std::vector<std::string> v;
    for (const auto &o : all) {
      if (const auto *s = std::get_if<TypedCode>(&o)) v.push_back(s->text);
    }
    return v;
  }
};

using Strings = std::vector<std::string>;

// What a scanner's burst looks like to SDL: text events 1 ms apart, then Enter.
void scanner_types(SdlWedgeInput &in, Outputs &out, std::string_view text, std::uint32_t &ms,
                   SDL_Keycode enter = SDLK_RETURN) {
  for (const char c : text) CHECK(in.handle(text_event(std::string_view(&c, 1), ++ms), out.all));
  CHECK(in.handle(key_event(enter, ++ms), out.all));
  CHECK_FALSE(in.handle(key_event(enter, ++ms, false), out.all));  // key up: not ours
}

}  // namespace

TEST_CASE("text events 1 ms apart and SDLK_RETURN are one scan, stamped with the time") {
  const auto before = std::chrono::system_clock::now();
  SdlWedgeInput in;
  Outputs out;
  std::uint32_t ms = 5000;
  const std::string token = token_131();
  scanner_types(in, out, token, ms);
  REQUIRE(out.all.size() == 1);
  const auto &scan = std::get<ScanEvent>(out.all[0]);
  CHECK(scan.text == token);
  CHECK(scan.source == Source::keyboard);
  CHECK(scan.device_id == "keyboard");
  CHECK(scan.time >= before);
  CHECK(in.field().empty());
}

TEST_CASE("keypad Enter ends a scan too, and a held Enter submits once") {
  SdlWedgeInput in;
  Outputs out;
  std::uint32_t ms = 100;
  scanner_types(in, out, "K7QM9X2D4R1", ms, SDLK_KP_ENTER);
  CHECK(out.scans() == Strings{"K7QM9X2D4R1"});
  for (const char c : std::string_view("ABC")) {
    ms += 150;
    in.handle(text_event(std::string_view(&c, 1), ms), out.all);
  }
  ms += 150;
  CHECK(in.handle(key_event(SDLK_RETURN, ms, true, 1), out.all));  // a repeat: ignored
  CHECK(out.typed().empty());
  CHECK(in.handle(key_event(SDLK_RETURN, ms + 10), out.all));
  CHECK(out.typed() == Strings{"ABC"});
}

TEST_CASE("a person's keys fill the field as the deadline passes, Backspace and Escape edit it") {
  SdlWedgeInput in;
  Outputs out;
  std::uint32_t ms = 1000;
  CHECK(in.wait_ms(ms) == -1);
  in.handle(text_event("K", ms), out.all);
  CHECK(in.field().empty());
  const int wait = in.wait_ms(ms + 10);
  CHECK(wait == 20);  // key_gap 30 ms after the key
  in.tick(ms + 30, out.all);
  CHECK(in.field() == "K");
  CHECK(in.wait_ms(ms + 30) == -1);
  in.handle(text_event("X", ms += 150), out.all);
  CHECK(in.handle(key_event(SDLK_BACKSPACE, ms += 150), out.all));
  CHECK(in.field() == "K");
  CHECK(in.handle(key_event(SDLK_ESCAPE, ms += 150), out.all));
  CHECK(in.field().empty());
  CHECK_FALSE(in.handle(key_event(SDLK_LSHIFT, ms += 10), out.all));
  SDL_Event click;
  std::memset(&click, 0, sizeof click);
  click.type = SDL_MOUSEBUTTONDOWN;
  CHECK_FALSE(in.handle(click, out.all));
  CHECK(out.all.empty());
}

TEST_CASE("a scanner with no suffix: its burst ends as a scan on tick after the quiet gap") {
  SdlWedgeInput in;
  Outputs out;
  std::uint32_t ms = 1000;
  for (const char c : std::string_view("K7QM9X2D4R1")) {
    in.handle(text_event(std::string_view(&c, 1), ++ms), out.all);
  }
  const int wait = in.wait_ms(ms);
  CHECK(wait == 100);
  in.tick(ms + 99, out.all);
  CHECK(out.all.empty());
  in.tick(ms + 100, out.all);
  CHECK(out.scans() == Strings{"K7QM9X2D4R1"});
}

TEST_CASE("a burst across SDL's 32-bit millisecond wrap is still one scan") {
  SdlWedgeInput in;
  Outputs out;
  std::uint32_t ms = 0xFFFFFFFFu - 20;
  scanner_types(in, out, "ZA1K7QM9X2D4R1ZA1K7QM9X2D4R1", ms);  // ms wraps to small values
  CHECK(out.scans() == Strings{"ZA1K7QM9X2D4R1ZA1K7QM9X2D4R1"});
  CHECK(ms < 100);
}

// ---- end to end: a real window under Xvfb, typed into by xdotool ----

namespace {

using comptoir::test::Subprocess;
using namespace std::chrono_literals;

struct Probe {
  explicit Probe(const std::string &display)
      : process({"/usr/bin/env", "DISPLAY=" + display, "SDL_VIDEODRIVER=x11",
                 // X11's and SDL's own allocations live until exit by design.
                 "ASAN_OPTIONS=detect_leaks=0", COMPTOIR_WEDGE_PROBE}) {
    for (;;) {
      const auto line = process.read_line(15s);
      REQUIRE_MESSAGE(line.has_value(), "the probe never said ready: " << process.stderr_text());
      if (line->rfind("ready", 0) == 0) {
        focused = *line == "ready";
        break;
      }
    }
  }
  ~Probe() { process.kill(SIGTERM); }

  // Lines until one starting with `prefix`, or nullopt after `timeout`. Others are kept.
  std::optional<std::string> next(std::string_view prefix, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      const auto line = process.read_line(left);
      if (!line) return std::nullopt;
      lines.push_back(*line);
      if (line->rfind(prefix, 0) == 0) return line->substr(prefix.size());
    }
  }
  std::size_t count(std::string_view prefix) const {
    std::size_t n = 0;
    for (const auto &l : lines) n += l.rfind(prefix, 0) == 0;
    return n;
  }

  Subprocess process;
  bool focused = false;
  std::vector<std::string> lines;
};

void xdotool(const std::string &display, std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/env", "DISPLAY=" + display, "xdotool"});
  const auto r = comptoir::test::run(args, {}, 30s);
  REQUIRE_MESSAGE(r.status.exited, "xdotool did not finish: " << r.err);
  REQUIRE_MESSAGE(r.status.code == 0, "xdotool failed: " << r.err);
}

}  // namespace

TEST_CASE("end to end under Xvfb: xdotool at a scanner's speed is one scan, at a person's typing" *
          doctest::skip(comptoir::test::x_tests_skipped()) *
          doctest::description("needs Xvfb and xdotool: apt-get install xvfb xdotool")) {
  // COMPTOIR_SKIP_X_TESTS=1 skips the test on purpose; otherwise a missing Xvfb or xdotool
  // fails it, naming the package (scripts/test installs them): a skip would count as a pass.
  const std::string missing =
      comptoir::test::missing_packages({{"Xvfb", "xvfb"}, {"xdotool", "xdotool"}});
  REQUIRE_MESSAGE(missing.empty(),
                  "missing: apt-get install " << missing << " (or COMPTOIR_SKIP_X_TESTS=1)");
  // Xvfb (tests/e2e/kiosk_harness) on the first free display.
  comptoir::test::TempDir dir;
  const auto x = comptoir::test::start_xvfb({640, 480}, dir);
  const std::string &display = x->display();
  Probe probe(display);
  if (!probe.focused) {
    // No window manager gives focus: ask for it the way a session would.
    xdotool(display,
            {"search", "--sync", "--name", "comptoir-wedge-probe", "windowfocus", "--sync"});
  }

  // A scanner: 1 ms a key (Shift included for capitals), Enter straight after. "--args 1"
  // ends type's arguments so the same xdotool goes on with "key Return".
  const std::string token = token_131();
  xdotool(display, {"type", "--delay", "1", "--args", "1", token, "key", "Return"});
  const auto scan = probe.next("scan\t", 15s);
  REQUIRE_MESSAGE(scan.has_value(), "no scan; the probe said: " << probe.process.stderr_text());
  CHECK(*scan == token);

  // A person. xdotool's --delay N sleeps N/2 after each press and N/2 after each release,
  // so --delay 240 puts the key presses 120 ms apart; Enter a moment after the last one.
  xdotool(display, {"type", "--delay", "240", "--args", "1", "K7QM9X2D4R1", "sleep", "0.15", "key",
                    "Return"});
  const auto typed = probe.next("typed\t", 15s);
  REQUIRE(typed.has_value());
  CHECK(*typed == "K7QM9X2D4R1");
  // Nothing else came: exactly one scan, and no typing leaked out of the scan.
  CHECK_FALSE(probe.next("scan\t", 500ms).has_value());
  CHECK(probe.count("scan\t") == 1);
  CHECK(probe.count("typed\t") == 1);
  CHECK(probe.count("notice\t") == 0);

  // The pace SDL saw, from the probe's "key\tMS\tTEXT" lines: the test typed what it meant to.
  std::vector<long> at;
  for (const auto &l : probe.lines) {
    if (l.rfind("key\t", 0) == 0) at.push_back(std::stol(l.substr(4)));
  }
  REQUIRE(at.size() == token.size() + 11);
  const double scanner_ms = static_cast<double>(at[token.size() - 1] - at[0]) / 130.0;
  const double person_ms = static_cast<double>(at.back() - at[token.size()]) / 10;
  MESSAGE("SDL timestamps: " << scanner_ms << " ms a key for the scan, " << person_ms
                             << " ms a key for the person");
  CHECK(scanner_ms < 5);
  CHECK(person_ms > 100);
}
