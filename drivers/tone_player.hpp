// The good and bad tones staff hear after a scan, through SDL audio (the audio subsystem
// only: no video, no joystick, so the headless mode can use it too). Both tones are
// rendered once at start; play() hands one to the player's own thread and returns. That
// thread opens SDL's audio device for the tone and closes it 50 ms after the tone has
// ended: an open SDL 2 device has a thread that wakes for every buffer (~47 times a second
// at 48 kHz), paused or not, so between verdicts nothing of the player runs. A machine with
// no audio output gets a player that is off, with the reason, never an error for the
// caller. SDL types stay in tone_player.cpp. Includes nothing of ours.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace comptoir::drivers {

enum class Tone : std::uint8_t {
  good,  // a short rising chime: 880 Hz then 1320 Hz (a fifth up), 80 ms each
  bad,   // a low buzz: 220 Hz, square-ish (odd harmonics), 300 ms
};

struct ToneOptions {
  int sample_rate = 48000;
  float volume = 0.35f;  // peak, as a fraction of full scale
};

// The tone as mono samples in [-1, 1], with short raised-cosine fades at every start and
// end so no note clicks. Pure: the player queues these, the tests measure them.
std::vector<float> render_tone(Tone tone, int sample_rate, float volume);

class TonePlayer {
 public:
  // How long the device stays open after a tone's last sample: the output's own buffers
  // play out, and a verdict right after the last one reuses it.
  static constexpr std::chrono::milliseconds kCloseAfter{50};

  // Checks that the default audio output opens (SDL_AUDIODRIVER chooses the driver), and
  // starts the player's thread. Never throws.
  explicit TonePlayer(ToneOptions options = {});
  ~TonePlayer();
  TonePlayer(const TonePlayer &) = delete;
  TonePlayer &operator=(const TonePlayer &) = delete;

  // False when there is no audio output; reason() says why, for the log.
  bool available() const;
  // Why the player is off, or why the last tone could not be played; empty when all is well.
  std::string reason() const;
  // The SDL audio driver in use ("pulseaudio", "alsa", "disk", …); empty when unavailable.
  const std::string &driver() const { return driver_; }
  int sample_rate() const { return options_.sample_rate; }

  // Starts the tone and returns at once. A tone still sounding is cut for the new one: the
  // newest verdict is the one that counts. Does nothing when unavailable.
  void play(Tone tone);
  // Whether a tone is waiting to start or still queued.
  bool playing() const;
  // Whether SDL's audio device (and so its thread) is open: from a tone's start until
  // kCloseAfter past its end, and never between tones.
  bool device_open() const;
  // Stops and closes the output (also done by the destructor). Idempotent.
  void close();

 private:
  void run();  // the player's thread: opens, plays, pauses and closes the device
  std::uint32_t open_device(std::string &why) const;

  ToneOptions options_;
  bool audio_inited_ = false;
  std::string driver_;
  std::vector<std::int16_t> good_;
  std::vector<std::int16_t> bad_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool available_ = false;
  bool stop_ = false;
  std::optional<Tone> pending_;  // asked for, not queued yet
  std::uint32_t device_ = 0;     // SDL_AudioDeviceID while open; 0: closed
  bool closing_ = false;         // the device is being closed (its thread joined)
  std::chrono::steady_clock::time_point close_at_;
  std::string reason_;
  std::thread thread_;
};

}  // namespace comptoir::drivers
