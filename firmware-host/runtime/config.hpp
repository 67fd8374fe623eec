// The appliance's configuration file (TOML, /etc/comptoir/comptoir.toml by default): which
// scanner readers are on, on which devices, with which keyboard layout; the camera; sound;
// the kiosk screen; the sync with the portal.
// Parsed once at start into plain values. A missing file means the defaults; a file that
// cannot be read or says something invalid is an error naming the line and the fix; an
// unknown key is a warning (a typo must not keep a counter from opening).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/result.hpp"
#include "sync/sync_settings.hpp"

namespace comptoir {

struct EvdevScannerConfig {
  std::string path;    // /dev/input/by-id/… (stable) or an event node
  std::string layout;  // empty: [scanners] layout
  int quiet_gap_ms = 0;
};

struct UsbScannerConfig {
  std::uint16_t vendor = 0;
  std::uint16_t product = 0;
  std::string mode = "auto";  // auto, boot, hid-pos
  std::string layout;         // boot mode; empty: [scanners] layout
  int quiet_gap_ms = 0;
};

struct SerialScannerConfig {
  std::string path;
  int baud = 9600;
  std::string terminator = "cr";  // cr, lf, crlf, tab, none
  int quiet_gap_ms = 50;          // with terminator = "none"
};

struct CameraConfig {
  bool enabled = false;
  std::string device = "/dev/video0";
  int width = 640;
  int height = 480;
  int max_cpu_percent = 30;
};

struct ScannersConfig {
  // Scanners found by themselves: evdev devices named like scanners, USB HID-POS interfaces.
  bool auto_detect = true;
  std::string layout = "fr";  // what keyboard-wedge scanners type for, unless said per device
  bool evdev = true;          // each reader can be switched off as a whole
  bool usb = true;
  bool serial = true;
  int max_scan_bytes = 4096;
  std::vector<EvdevScannerConfig> evdev_devices;
  std::vector<UsbScannerConfig> usb_devices;
  std::vector<SerialScannerConfig> serial_ports;
  CameraConfig camera;
};

// The kiosk screen (ui/).
struct KioskConfig {
  // "software" (SDL's software renderer: ~13 MB RSS), "accelerated" (GPU; under Xvfb that
  // is Mesa llvmpipe, ~100 MB), or "auto" (SDL's choice). --renderer overrides it.
  std::string renderer = "software";
  int verdict_seconds = 15;  // how long a verdict stays before the scan screen returns
};

struct Config {
  std::string path;  // the file read; empty when none (defaults)
  std::optional<std::string> data_dir;
  std::optional<std::string> lang;  // "fr" or "en"
  bool sound = true;                // good and bad tones, when the appliance has audio
  ScannersConfig scanners;
  KioskConfig kiosk;
  sync::SyncSettings sync;            // [sync]: the link to the portal
  std::vector<std::string> warnings;  // unknown keys, for the log
};

// $COMPTOIR_CONFIG, else /etc/comptoir/comptoir.toml.
std::string default_config_path();

// Reads `path`. A missing file gives the defaults unless `must_exist` (an explicit
// --config). Error codes: config_unreadable, config_invalid (detail: "FILE:LINE: what").
Result<Config> load_config(const std::string &path, bool must_exist);

// Parses TOML text; `name` is what errors call it.
Result<Config> parse_config(const std::string &text, const std::string &name);

}  // namespace comptoir
