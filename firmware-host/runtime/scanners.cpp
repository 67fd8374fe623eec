#include "runtime/scanners.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "drivers/camera_reader.hpp"
#include "drivers/evdev_reader.hpp"
#include "drivers/keymap.hpp"
#include "drivers/serial_reader.hpp"
#include "drivers/usb_hid_reader.hpp"

namespace comptoir {
namespace {

using namespace std::chrono_literals;

// The config was validated when read, so a layout name is always one of the four.
drivers::Layout layout_or(const std::string &name, const std::string &fallback) {
  return drivers::layout_from_name(name.empty() ? fallback : name).value_or(drivers::Layout::us);
}

std::unique_ptr<drivers::Reader> evdev_reader(const ScannersConfig &c) {
  drivers::EvdevReaderOptions o;
  o.auto_detect = c.auto_detect;
  o.default_layout = layout_or("", c.layout);
  o.max_scan_bytes = static_cast<std::size_t>(c.max_scan_bytes);
  for (const EvdevScannerConfig &e : c.evdev_devices) {
    drivers::EvdevDeviceConfig d;
    d.path = e.path;
    d.layout = layout_or(e.layout, c.layout);
    d.quiet_gap = std::chrono::milliseconds(e.quiet_gap_ms);
    o.devices.push_back(std::move(d));
  }
  return std::make_unique<drivers::EvdevReader>(std::move(o));
}

std::unique_ptr<drivers::Reader> serial_reader(const ScannersConfig &c) {
  drivers::SerialReaderOptions o;
  o.auto_detect = c.auto_detect;
  o.max_scan_bytes = static_cast<std::size_t>(c.max_scan_bytes);
  for (const SerialScannerConfig &p : c.serial_ports) {
    drivers::SerialPortConfig d;
    d.path = p.path;
    d.baud = static_cast<unsigned>(p.baud);
    d.terminator =
        drivers::serial_terminator_from_name(p.terminator).value_or(drivers::SerialTerminator::cr);
    d.quiet_gap = std::chrono::milliseconds(p.quiet_gap_ms);
    o.ports.push_back(std::move(d));
  }
  return std::make_unique<drivers::SerialReader>(std::move(o));
}

std::unique_ptr<drivers::Reader> camera_reader(const CameraConfig &c) {
  drivers::CameraOptions o;
  o.device = c.device;
  o.width = c.width;
  o.height = c.height;
  o.scanner.max_cpu_share = c.max_cpu_percent / 100.0;
  return std::make_unique<drivers::CameraReader>(std::move(o));
}

std::unique_ptr<drivers::Reader> usb_reader(const ScannersConfig &c) {
  drivers::UsbHidReaderOptions o;
  o.auto_detect = c.auto_detect;
  o.max_scan_bytes = static_cast<std::size_t>(c.max_scan_bytes);
  for (const UsbScannerConfig &u : c.usb_devices) {
    drivers::UsbDeviceConfig d;
    d.vendor_id = u.vendor;
    d.product_id = u.product;
    d.mode = drivers::usb_hid_mode_from_name(u.mode).value_or(drivers::UsbHidMode::automatic);
    d.layout = layout_or(u.layout, c.layout);
    d.quiet_gap = std::chrono::milliseconds(u.quiet_gap_ms);
    o.devices.push_back(std::move(d));
  }
  return std::make_unique<drivers::UsbHidReader>(std::move(o));
}

}  // namespace

Scanners::Scanners(const ScannersConfig &c, Purpose purpose) {
  const bool list = purpose == Purpose::list;
  const auto add = [&](bool on, auto make, std::string off_why, std::string off_fix) {
    if (on) {
      readers_.push_back({make(), {}, {}});
    } else if (list) {
      readers_.push_back({make(), std::move(off_why), std::move(off_fix)});
    }
  };
  add(
      c.evdev && (c.auto_detect || !c.evdev_devices.empty()), [&] { return evdev_reader(c); },
      c.evdev ? "auto_detect is off and no [[scanners.evdev]] is configured"
              : "the evdev reader is off in the config ([scanners] evdev = false)",
      "name the scanner in the config:\n[[scanners.evdev]]\npath = \"/dev/input/by-id/...\"");
  add(
      c.usb && (c.auto_detect || !c.usb_devices.empty()), [&] { return usb_reader(c); },
      c.usb ? "auto_detect is off and no [[scanners.usb]] is configured"
            : "the USB reader is off in the config ([scanners] usb = false)",
      "name the scanner in the config:\n[[scanners.usb]]\nvendor = \"...\"\nproduct = \"...\"");
  add(
      c.serial && (c.auto_detect || !c.serial_ports.empty()), [&] { return serial_reader(c); },
      c.serial ? "auto_detect is off and no [[scanners.serial]] is configured"
               : "the serial reader is off in the config ([scanners] serial = false)",
      "name the port in the config:\n[[scanners.serial]]\npath = \"/dev/serial/by-id/...\"");
  add(
      c.camera.enabled, [&] { return camera_reader(c.camera); }, "cameras are off in the config",
      "[scanners.camera]\nenabled = true");
}

Scanners::~Scanners() {
  stop();
}

std::size_t Scanners::reader_count() const {
  std::size_t n = 0;
  for (const Entry &e : readers_) n += e.off_why.empty() ? 1 : 0;
  return n;
}

void Scanners::start(drivers::ScanSink &sink) {
  if (started_) return;
  started_ = true;
  for (Entry &e : readers_) {
    if (e.off_why.empty()) e.reader->start(sink);
  }
}

void Scanners::stop() {
  if (!started_) return;
  for (Entry &e : readers_) {
    if (e.off_why.empty()) e.reader->stop();
  }
  started_ = false;
}

std::vector<drivers::DeviceCandidate> Scanners::candidates() {
  std::vector<drivers::DeviceCandidate> all;
  for (Entry &e : readers_) {
    for (drivers::DeviceCandidate &d : e.reader->candidates()) {
      if (!e.off_why.empty() && d.used) {
        d.used = false;
        d.why = e.off_why;
        d.fix = e.off_fix;
      }
      all.push_back(std::move(d));
    }
  }
  return all;
}

std::string device_list_json(const std::vector<drivers::DeviceCandidate> &candidates) {
  std::string out;
  for (const drivers::DeviceCandidate &d : candidates) {
    const nlohmann::json j = {{"reader", d.reader}, {"device", d.device_id}, {"name", d.name},
                              {"path", d.path},     {"used", d.used},        {"why", d.why},
                              {"fix", d.fix},       {"layout", d.layout}};
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return out;
}

std::string format_device_list(const std::vector<drivers::DeviceCandidate> &candidates, Lang lang) {
  const bool fr = lang == Lang::fr;
  std::size_t used = 0;
  for (const auto &d : candidates) used += d.used ? 1 : 0;
  std::string out;
  if (candidates.empty()) {
    out = fr ? "Aucun lecteur ni caméra trouvé. Branchez le lecteur, puis relancez "
               "« comptoir --list-devices ».\n"
             : "No scanner or camera found. Plug the scanner in, then run "
               "\"comptoir --list-devices\" again.\n";
    return out;
  }
  out = fr ? std::to_string(used) + " lecteur(s) utilisé(s) sur " +
                 std::to_string(candidates.size()) + " appareil(s) trouvé(s) :\n"
           : std::to_string(used) + " of " + std::to_string(candidates.size()) +
                 " device(s) found will be read:\n";
  for (const drivers::DeviceCandidate &d : candidates) {
    out += "\n";
    out += d.used ? "  [ok]   " : "  [--]   ";
    out += d.reader + "  " + (d.name.empty() ? d.device_id : d.name) + "\n";
    if (!d.device_id.empty()) out += "         id: " + d.device_id + "\n";
    if (!d.path.empty() && d.device_id.find(d.path) == std::string::npos) {
      out += "         " + std::string(fr ? "chemin : " : "path: ") + d.path + "\n";
    }
    if (!d.layout.empty()) {
      out += "         " + std::string(fr ? "disposition : " : "layout: ") + d.layout + "\n";
    }
    if (!d.why.empty()) {
      out += "         " +
             std::string(d.used ? (fr ? "lu car : " : "read because: ")
                                : (fr ? "ignoré : " : "skipped: ")) +
             d.why + "\n";
    }
    if (!d.fix.empty()) {
      // A config snippet spans lines: each one indented under the first.
      std::string fix = d.fix;
      for (std::size_t at = 0; (at = fix.find('\n', at)) != std::string::npos; at += 12) {
        fix.replace(at, 1, "\n           ");
      }
      out += "         " + std::string(fr ? "à faire : " : "to do: ") + fix + "\n";
    }
  }
  return out;
}

}  // namespace comptoir
