// The scanner readers the config asks for, built, started and stopped together: the evdev
// keyboard-wedge reader, the libusb HID/HID-POS reader, the serial reader and the camera.
// Both the headless mode and the kiosk read scans through one of these, and
// `comptoir --list-devices` prints what it finds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/reader.hpp"
#include "runtime/config.hpp"
#include "runtime/messages.hpp"

namespace comptoir {

class Scanners {
 public:
  explicit Scanners(const ScannersConfig &config);
  ~Scanners();
  Scanners(const Scanners &) = delete;
  Scanners &operator=(const Scanners &) = delete;

  // Starts every reader; scans and notices go to `sink` until stop().
  void start(drivers::ScanSink &sink);
  void stop();
  // Readers switched on (by default: evdev and USB, finding scanners by themselves).
  std::size_t reader_count() const { return readers_.size(); }
  // What every reader finds now, used or skipped and why.
  std::vector<drivers::DeviceCandidate> candidates();

 private:
  std::vector<std::unique_ptr<drivers::Reader>> readers_;
  bool started_ = false;
};

// `comptoir --list-devices --format json`: one JSON object a line per candidate.
std::string device_list_json(const std::vector<drivers::DeviceCandidate> &candidates);
// `comptoir --list-devices`: one block per candidate, for the technician.
std::string format_device_list(const std::vector<drivers::DeviceCandidate> &candidates, Lang lang);

}  // namespace comptoir
