// Rendering the two tones, and playing them through SDL's queued audio on a device opened
// for each tone and closed after it.
#include "drivers/tone_player.hpp"

#include <SDL.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string_view>
#include <utility>

namespace comptoir::drivers {
namespace {

constexpr double kFadeSeconds = 0.005;  // 5 ms: long enough not to click, too short to hear

// Raised-cosine gain over the first and last kFadeSeconds of a note of n samples.
double fade(std::size_t i, std::size_t n, int rate) {
  const auto fade_n = static_cast<double>(rate) * kFadeSeconds;
  const double from_start = static_cast<double>(i);
  const double to_end = static_cast<double>(n - 1 - i);
  const double edge = std::min(from_start, to_end);
  if (edge >= fade_n) return 1.0;
  return 0.5 - 0.5 * std::cos(std::numbers::pi * edge / fade_n);
}

std::size_t samples_for(double seconds, int rate) {
  return static_cast<std::size_t>(std::lround(seconds * rate));
}

// A chime note: a sine that decays to half its level, as a struck bell does.
void chime(std::vector<float> &out, double hz, double seconds, int rate, float volume) {
  const std::size_t n = samples_for(seconds, rate);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double decay = std::exp(-std::numbers::ln2 * t / seconds);
    const double s = std::sin(2 * std::numbers::pi * hz * t);
    out.push_back(static_cast<float>(volume * decay * fade(i, n, rate) * s));
  }
}

// A buzz: odd harmonics up to the 7th (a square wave, band-limited so it does not alias),
// scaled to the peak asked for.
void buzz(std::vector<float> &out, double hz, double seconds, int rate, float volume) {
  const std::size_t n = samples_for(seconds, rate);
  std::vector<double> raw(n);
  double peak = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    double s = 0;
    for (int h = 1; h <= 7; h += 2) s += std::sin(2 * std::numbers::pi * hz * h * t) / h;
    raw[i] = s;
    peak = std::max(peak, std::abs(s));
  }
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<float>(volume * fade(i, n, rate) * raw[i] / peak));
  }
}

std::vector<std::int16_t> to_s16(const std::vector<float> &samples) {
  std::vector<std::int16_t> out;
  out.reserve(samples.size());
  for (const float s : samples) {
    out.push_back(static_cast<std::int16_t>(std::lround(std::clamp(s, -1.0f, 1.0f) * 32767.0f)));
  }
  return out;
}

}  // namespace

std::vector<float> render_tone(Tone tone, int sample_rate, float volume) {
  std::vector<float> out;
  if (sample_rate <= 0) return out;
  volume = std::clamp(volume, 0.0f, 1.0f);
  if (tone == Tone::good) {
    chime(out, 880.0, 0.080, sample_rate, volume);
    chime(out, 1320.0, 0.080, sample_rate, volume);
  } else {
    buzz(out, 220.0, 0.300, sample_rate, volume);
  }
  return out;
}

TonePlayer::TonePlayer(ToneOptions options) : options_(options) {
  if (options_.sample_rate < 8000 || options_.sample_rate > 192000) options_.sample_rate = 48000;
  if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
    reason_ = std::string("no sound: SDL audio could not start (") + SDL_GetError() + ")";
    return;
  }
  audio_inited_ = true;
  const char *driver = SDL_GetCurrentAudioDriver();
  if (driver != nullptr && std::string_view(driver) == "dummy") {
    reason_ = "no sound: SDL's dummy audio driver is selected (SDL_AUDIODRIVER=dummy)";
    close();
    return;
  }
  // Opened once to know there is an output, and closed at once: it is opened again for
  // each tone.
  std::string why;
  const std::uint32_t device = open_device(why);
  if (device == 0) {
    reason_ = why;
    close();
    return;
  }
  SDL_CloseAudioDevice(device);
  driver_ = driver != nullptr ? driver : "";
  good_ = to_s16(render_tone(Tone::good, options_.sample_rate, options_.volume));
  bad_ = to_s16(render_tone(Tone::bad, options_.sample_rate, options_.volume));
  available_ = true;
  thread_ = std::thread([this] { run(); });
}

TonePlayer::~TonePlayer() {
  close();
}

std::uint32_t TonePlayer::open_device(std::string &why) const {
  SDL_AudioSpec want{};
  want.freq = options_.sample_rate;
  want.format = AUDIO_S16SYS;
  want.channels = 1;
  want.samples = 1024;  // ~21 ms at 48 kHz: latency nobody hears, few wake-ups
  SDL_AudioSpec have{};
  // No changes allowed: SDL converts to whatever the hardware wants, the buffers stay ours.
  // Opened paused.
  const SDL_AudioDeviceID device = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);
  if (device == 0) {
    why = std::string("no sound: no audio output could be opened (") + SDL_GetError() + ")";
  }
  return device;
}

void TonePlayer::play(Tone tone) {
  {
    std::lock_guard lock(mutex_);
    if (!available_) return;
    pending_ = tone;
  }
  wake_.notify_one();
}

void TonePlayer::run() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (pending_) {
      if (device_ == 0) {
        // Opening can take a few milliseconds (a sound server): play() is not kept waiting.
        lock.unlock();
        std::string why;
        const std::uint32_t device = open_device(why);
        lock.lock();
        if (device == 0) {
          reason_ = why;
          pending_.reset();
          continue;
        }
        device_ = device;
        if (stop_) break;
      }
      // The newest tone asked for, also when another came while the device opened.
      const Tone tone = *std::exchange(pending_, std::nullopt);
      const auto &buffer = tone == Tone::good ? good_ : bad_;
      SDL_ClearQueuedAudio(device_);
      if (SDL_QueueAudio(device_, buffer.data(),
                         static_cast<Uint32>(buffer.size() * sizeof(std::int16_t))) != 0) {
        reason_ = std::string("a tone could not be queued (") + SDL_GetError() + ")";
      } else {
        reason_.clear();
      }
      SDL_PauseAudioDevice(device_, 0);
      const auto length = std::chrono::microseconds(static_cast<std::int64_t>(buffer.size()) *
                                                    1'000'000 / options_.sample_rate);
      close_at_ = Clock::now() + length + kCloseAfter;
      continue;
    }
    if (device_ != 0) {
      if (Clock::now() < close_at_) {
        wake_.wait_until(lock, close_at_);
        continue;
      }
      if (SDL_GetQueuedAudioSize(device_) > 0) {
        // Started late (a busy output): the tone's end has not come yet.
        close_at_ = Clock::now() + kCloseAfter;
        continue;
      }
      // Paused, then closed: a paused SDL 2 device still runs its thread, writing silence.
      // Done here, never from SDL's audio thread; closing waits for that thread.
      const std::uint32_t device = std::exchange(device_, 0);
      closing_ = true;
      lock.unlock();
      SDL_PauseAudioDevice(device, 1);
      SDL_CloseAudioDevice(device);
      lock.lock();
      closing_ = false;
      continue;
    }
    wake_.wait(lock);
  }
  if (device_ != 0) {
    const std::uint32_t device = std::exchange(device_, 0);
    lock.unlock();
    SDL_PauseAudioDevice(device, 1);
    SDL_CloseAudioDevice(device);
  }
}

bool TonePlayer::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

std::string TonePlayer::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

bool TonePlayer::playing() const {
  std::lock_guard lock(mutex_);
  return pending_.has_value() || (device_ != 0 && SDL_GetQueuedAudioSize(device_) > 0);
}

bool TonePlayer::device_open() const {
  std::lock_guard lock(mutex_);
  return device_ != 0 || closing_;
}

void TonePlayer::close() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    pending_.reset();
    if (available_) {
      available_ = false;
      if (reason_.empty()) reason_ = "closed";
    }
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();  // the thread closes the device on its way out
  driver_.clear();
  if (audio_inited_) {
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
    audio_inited_ = false;
  }
}

}  // namespace comptoir::drivers
