// The shape every scanner reader has, so the runtime can start, stop and list them alike.
// A reader owns its thread (or its share of one) and its devices; it reports through a
// ScanSink and never throws out of start(), stop() or candidates(). Includes nothing of ours.
#pragma once

#include <string>
#include <vector>

#include "drivers/scan_event.hpp"

namespace comptoir::drivers {

// One device a reader found, for `comptoir --list-devices` and the technician screen.
struct DeviceCandidate {
  std::string reader;     // "evdev", "usb", "serial", "camera"
  std::string device_id;  // as in ScanEvent::device_id
  std::string name;       // what the device calls itself ("Honeywell 1250g", "HID 0c2e:0b61")
  std::string path;       // /dev/input/event5, /dev/bus/usb/001/004, /dev/ttyACM0, /dev/video0
  bool used = false;      // read (or to be read) by this reader
  // Why it is used ("configured", "name looks like a scanner") or skipped ("a keyboard, not
  // a scanner", "no permission to open /dev/input/event5"), in English for the technician.
  std::string why;
  // When skipped for a reason a person can fix: what to do (a udev rule, a config line).
  std::string fix;
  std::string layout;  // key-code readers: the layout it is decoded with
};

class Reader {
 public:
  virtual ~Reader() = default;
  // Starts reading in the reader's own thread; scans and notices go to `sink`, which must
  // outlive stop(). Devices that cannot be opened are reported as device_unusable notices,
  // not as a failure: a scanner plugged in later is picked up then.
  virtual void start(ScanSink &sink) = 0;
  // Stops and joins; gives grabbed devices back (kernel driver reattached, grab released).
  // Idempotent.
  virtual void stop() = 0;
  // What it finds now, used or skipped and why. Callable without start(); opens nothing
  // for longer than it takes to ask.
  virtual std::vector<DeviceCandidate> candidates() = 0;
};

}  // namespace comptoir::drivers
