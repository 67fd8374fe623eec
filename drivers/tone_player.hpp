// The good and bad tones staff hear after a scan, through SDL audio (the audio subsystem
// only: no video, no joystick, so the headless mode can use it too). Both tones are
// rendered once at start and queued with SDL_QueueAudio: play() copies a buffer and
// returns. A machine with no audio output gets a player that is off, with the reason,
// never an error for the caller. SDL types stay in tone_player.cpp. Includes nothing of
// ours.
#pragma once

#include <cstdint>
#include <string>
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
  // Opens the default audio output (SDL_AUDIODRIVER chooses the driver). Never throws.
  explicit TonePlayer(ToneOptions options = {});
  ~TonePlayer();
  TonePlayer(const TonePlayer &) = delete;
  TonePlayer &operator=(const TonePlayer &) = delete;

  // False when there is no audio output; reason() says why, for the log.
  bool available() const { return device_ != 0; }
  const std::string &reason() const { return reason_; }
  // The SDL audio driver in use ("pulseaudio", "alsa", "disk", …); empty when unavailable.
  const std::string &driver() const { return driver_; }
  int sample_rate() const { return options_.sample_rate; }

  // Starts the tone and returns at once. A tone still sounding is cut for the new one: the
  // newest verdict is the one that counts. Does nothing when unavailable.
  void play(Tone tone);
  // Whether a tone is still queued.
  bool playing() const;
  // Stops and closes the output (also done by the destructor). Idempotent.
  void close();

 private:
  ToneOptions options_;
  std::uint32_t device_ = 0;  // SDL_AudioDeviceID; 0: unavailable or closed
  bool audio_inited_ = false;
  std::string reason_;
  std::string driver_;
  std::vector<std::int16_t> good_;
  std::vector<std::int16_t> bad_;
};

}  // namespace comptoir::drivers
