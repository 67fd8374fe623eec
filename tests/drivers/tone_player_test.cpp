// The good and bad tones: rendered without clicks, and played for real through SDL's disk
// audio driver, whose output file is read back and measured (how long each tone lasts, its
// pitch from zero crossings). Between tones the device is closed: SDL's audio thread is gone
// and the output file stops growing. No audio output, or a driver that does not exist: a
// player that is off with a reason.
#include "drivers/tone_player.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace {

using namespace comptoir::drivers;
using namespace std::chrono_literals;

// Zero crossings over a stretch of samples, as a frequency: a sine crosses twice a period,
// and so does the band-limited square (its ripple never reaches zero).
double pitch(const std::vector<double> &s, std::size_t from, std::size_t to, int rate) {
  std::size_t crossings = 0;
  for (std::size_t i = from + 1; i < to; ++i) {
    if ((s[i - 1] < 0) != (s[i] < 0)) ++crossings;
  }
  const double seconds = static_cast<double>(to - from) / rate;
  return static_cast<double>(crossings) / 2.0 / seconds;
}

struct Segment {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the last loud sample
};

// Stretches of sound separated by at least 20 ms of (near) silence.
std::vector<Segment> sounds(const std::vector<double> &s, int rate, double threshold) {
  std::vector<Segment> out;
  const auto gap = static_cast<std::size_t>(rate / 50);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::abs(s[i]) < threshold) continue;
    if (!out.empty() && i - out.back().end < gap) {
      out.back().end = i + 1;
    } else {
      out.push_back({i, i + 1});
    }
  }
  return out;
}

double ms(const Segment &seg, int rate) {
  return 1000.0 * static_cast<double>(seg.end - seg.begin) / rate;
}

// SDL reads SDL_AUDIODRIVER and SDL_DISKAUDIOFILE when audio starts, so they are set
// before each player is made, and the player quits SDL audio when it closes.
struct AudioEnv {
  AudioEnv(const char *driver, const std::string &file = {}) {
    ::setenv("SDL_AUDIODRIVER", driver, 1);
    if (!file.empty()) ::setenv("SDL_DISKAUDIOFILE", file.c_str(), 1);
  }
  ~AudioEnv() {
    ::unsetenv("SDL_AUDIODRIVER");
    ::unsetenv("SDL_DISKAUDIOFILE");
  }
};

void wait_drained(const TonePlayer &player) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (player.playing() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE_FALSE(player.playing());
  std::this_thread::sleep_for(150ms);  // the last buffer leaves the device, silence follows
}

// Waits until the player has closed its device (kCloseAfter past the tone's end).
void wait_closed(const TonePlayer &player) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (player.device_open() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE_FALSE(player.device_open());
}

// SDL's audio threads in this process ("SDLAudioP2": playback on device 2), by their names.
int sdl_audio_threads() {
  int n = 0;
  for (const auto &task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("SDLAudio", 0) == 0) ++n;
  }
  return n;
}

std::vector<double> samples_of(const std::string &raw) {
  std::vector<double> samples;
  for (std::size_t i = 0; i + 1 < raw.size(); i += 2) {
    std::int16_t v;
    std::memcpy(&v, raw.data() + i, 2);
    samples.push_back(v / 32768.0);
  }
  return samples;
}

}  // namespace

TEST_CASE("rendered tones: the right lengths and pitches, and no clicks") {
  constexpr int kRate = 48000;
  const auto good = render_tone(Tone::good, kRate, 0.35f);
  const auto bad = render_tone(Tone::bad, kRate, 0.35f);
  CHECK(good.size() == 160 * kRate / 1000);
  CHECK(bad.size() == 300 * kRate / 1000);
  for (const auto *tone : {&good, &bad}) {
    float peak = 0;
    float step = 0;
    for (std::size_t i = 0; i < tone->size(); ++i) {
      peak = std::max(peak, std::abs((*tone)[i]));
      if (i > 0) step = std::max(step, std::abs((*tone)[i] - (*tone)[i - 1]));
    }
    CHECK(peak <= 0.35f + 1e-6f);
    CHECK(peak > 0.3f);
    // Starts and ends at silence, and never jumps: a click is a step near the peak.
    CHECK(std::abs(tone->front()) < 0.001f);
    CHECK(std::abs(tone->back()) < 0.001f);
    CHECK(step < 0.25f * peak);
  }
  // The step between the chime's two notes fades out and in, too.
  const std::size_t joint = 80 * kRate / 1000;
  CHECK(std::abs(good[joint - 1]) < 0.001f);
  CHECK(std::abs(good[joint]) < 0.001f);
}

TEST_CASE("good and bad tones played through SDL's disk driver: durations and pitches") {
  comptoir::test::TempDir dir;
  const std::string file = dir.file("audio.raw");
  // The disk driver starts its file afresh each time the device opens, and the player opens
  // it for each tone: so each tone is read back on its own, once its device has closed.
  std::vector<double> good_samples;
  std::vector<double> bad_samples;
  int rate = 0;
  {
    AudioEnv env("disk", file);
    TonePlayer player;
    REQUIRE_MESSAGE(player.available(), player.reason());
    CHECK(player.driver() == "disk");
    rate = player.sample_rate();
    const auto t0 = std::chrono::steady_clock::now();
    player.play(Tone::good);
    // play() only hands the tone over: it returns long before the tone has sounded.
    CHECK(std::chrono::steady_clock::now() - t0 < 20ms);
    CHECK(player.playing());
    wait_drained(player);
    wait_closed(player);
    good_samples = samples_of(comptoir::test::read_file(file));
    player.play(Tone::bad);
    wait_drained(player);
    wait_closed(player);
    bad_samples = samples_of(comptoir::test::read_file(file));
    player.close();
    CHECK_FALSE(player.available());
    player.close();  // idempotent
  }
  // The disk driver writes the device's format: what the player asked for, S16 mono.
  const auto good_segs = sounds(good_samples, rate, 0.01);
  const auto bad_segs = sounds(bad_samples, rate, 0.01);
  REQUIRE(good_segs.size() == 1);
  REQUIRE(bad_segs.size() == 1);
  const auto &good = good_segs[0];
  const auto &bad = bad_segs[0];
  MESSAGE("good " << ms(good, rate) << " ms, bad " << ms(bad, rate) << " ms");
  CHECK(ms(good, rate) == doctest::Approx(160).epsilon(0.08));
  CHECK(ms(bad, rate) == doctest::Approx(300).epsilon(0.08));
  // Measured inside each note, away from the fades.
  const std::size_t g = good.end - good.begin;
  const double first = pitch(good_samples, good.begin + g / 10, good.begin + g * 45 / 100, rate);
  const double second = pitch(good_samples, good.begin + g * 55 / 100, good.end - g / 10, rate);
  const std::size_t b = bad.end - bad.begin;
  const double buzz = pitch(bad_samples, bad.begin + b / 10, bad.end - b / 10, rate);
  MESSAGE("good: " << first << " Hz then " << second << " Hz; bad: " << buzz << " Hz");
  CHECK(first == doctest::Approx(880).epsilon(0.05));
  CHECK(second == doctest::Approx(1320).epsilon(0.05));
  CHECK(buzz == doctest::Approx(220).epsilon(0.05));
  CHECK(second > first);    // good rises
  CHECK(buzz < first / 3);  // bad is low, clearly apart from good
  CHECK(ms(bad, rate) > 1.5 * ms(good, rate));
}

TEST_CASE("between tones the audio device is closed: no SDL audio thread, nothing written") {
  comptoir::test::TempDir dir;
  const std::string file = dir.file("audio.raw");
  AudioEnv env("disk", file);
  TonePlayer player;
  REQUIRE_MESSAGE(player.available(), player.reason());
  // Before any tone: nothing open (the check at start closed what it opened).
  CHECK_FALSE(player.device_open());
  CHECK(sdl_audio_threads() == 0);
  player.play(Tone::bad);
  // While it sounds, the device and its thread run. SDL's audio thread names itself once it
  // has started, a moment after the device opened: wait for both (a loaded CI machine once
  // saw the device open and the thread not yet named).
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  bool seen_open = false;
  int threads = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    seen_open = seen_open || player.device_open();
    threads = sdl_audio_threads();
    if (seen_open && threads == 1) break;
    std::this_thread::sleep_for(1ms);
  }
  CHECK(seen_open);
  CHECK(threads == 1);
  const auto t0 = std::chrono::steady_clock::now();
  wait_closed(player);
  const auto open_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  MESSAGE("device closed " << open_ms.count() << " ms after the check began (tone: 300 ms)");
  // Closed soon after the 300 ms buzz: not left open for the next verdict.
  CHECK(open_ms < 1000ms);
  CHECK(sdl_audio_threads() == 0);
  // And nothing runs: a paused-but-open device would go on writing silence to the file.
  const auto size = std::filesystem::file_size(file);
  std::this_thread::sleep_for(300ms);
  CHECK(std::filesystem::file_size(file) == size);
  CHECK(sdl_audio_threads() == 0);
  // The next tone opens it again and plays whole.
  player.play(Tone::good);
  wait_drained(player);
  wait_closed(player);
  const auto segs = sounds(samples_of(comptoir::test::read_file(file)), player.sample_rate(), 0.01);
  REQUIRE(segs.size() == 1);
  CHECK(ms(segs[0], player.sample_rate()) == doctest::Approx(160).epsilon(0.08));
}

TEST_CASE("a new tone cuts the one still sounding") {
  comptoir::test::TempDir dir;
  const std::string file = dir.file("audio.raw");
  {
    AudioEnv env("disk", file);
    TonePlayer player;
    REQUIRE(player.available());
    player.play(Tone::bad);
    player.play(Tone::good);  // at once: the bad one is cut
    wait_drained(player);
    wait_closed(player);
  }
  const auto segs = sounds(samples_of(comptoir::test::read_file(file)), 48000, 0.01);
  REQUIRE_FALSE(segs.empty());
  // What sounded last is the good chime, whole; of the buzz at most a buffer's worth.
  CHECK(ms(segs.back(), 48000) == doctest::Approx(160).epsilon(0.08));
  double total = 0;
  for (const auto &s : segs) total += ms(s, 48000);
  CHECK(total < 160 + 60);
}

TEST_CASE("no usable audio: the player is off with a reason, and play() does nothing") {
  SUBCASE("the dummy driver") {
    AudioEnv env("dummy");
    TonePlayer player;
    CHECK_FALSE(player.available());
    CHECK(player.reason().find("dummy") != std::string::npos);
    player.play(Tone::good);
    player.play(Tone::bad);
    CHECK_FALSE(player.playing());
  }
  SUBCASE("a driver that does not exist") {
    AudioEnv env("no-such-driver");
    TonePlayer player;
    CHECK_FALSE(player.available());
    CHECK(player.reason().rfind("no sound", 0) == 0);
    CHECK(player.driver().empty());
    player.play(Tone::bad);
    player.close();
  }
  // After both, a working driver still starts: nothing was left half initialised.
  comptoir::test::TempDir dir;
  AudioEnv env("disk", dir.file("audio.raw"));
  TonePlayer player;
  CHECK(player.available());
}
