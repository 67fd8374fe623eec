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
  enum class Purpose {
    read,  // the readers the config switches on
    list,  // every reader, so that candidates() also shows what the config leaves off
  };
  explicit Scanners(const ScannersConfig &config, Purpose purpose = Purpose::read);
  ~Scanners();
  Scanners(const Scanners &) = delete;
  Scanners &operator=(const Scanners &) = delete;

  // Starts every reader that is on; scans and notices go to `sink` until stop().
  void start(drivers::ScanSink &sink);
  void stop();
  // Readers switched on (by default: evdev and USB, finding scanners by themselves).
  std::size_t reader_count() const;
  // What every reader finds now, used or skipped and why.
  std::vector<drivers::DeviceCandidate> candidates();

 private:
  struct Entry {
    std::unique_ptr<drivers::Reader> reader;
    // Empty when the config switches it on; else why it is off and how to switch it on.
    std::string off_why;
    std::string off_fix;
  };
  std::vector<Entry> readers_;
  bool started_ = false;
};

// `comptoir --list-devices --format json`: one JSON object a line per candidate.
std::string device_list_json(const std::vector<drivers::DeviceCandidate> &candidates);
// `comptoir --list-devices`: one block per candidate, for the technician.
std::string format_device_list(const std::vector<drivers::DeviceCandidate> &candidates, Lang lang);

}  // namespace comptoir
