#include "drivers/usb_hid_reader.hpp"

#include <libusb.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "drivers/hid_reports.hpp"
#include "drivers/scan_assembler.hpp"

namespace comptoir::drivers {
namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint8_t kClassHid = 0x03;
constexpr std::uint8_t kSubclassBoot = 0x01;
constexpr std::uint8_t kProtocolKeyboard = 0x01;
constexpr std::uint8_t kDescriptorHid = 0x21;
constexpr std::uint8_t kDescriptorReport = 0x22;
constexpr std::size_t kMaxReportDescriptor = 4096;
// bmRequestType of GET_DESCRIPTOR to an interface: device to host, standard, interface.
constexpr std::uint8_t kGetInterfaceDescriptor = 0x81;
// HID class request SET_PROTOCOL: host to device, class, interface; wValue 0 is the boot
// protocol (HID 1.11, 7.2.6).
constexpr std::uint8_t kSetInterfaceClassRequest = 0x21;
constexpr std::uint8_t kHidSetProtocol = 0x0B;
constexpr std::uint16_t kBootProtocol = 0;
constexpr unsigned kControlTimeoutMs = 500;
// A transfer failing this many times in a row (stall, babble, I/O error) gives the device up
// with io_error; a rescan picks it up again if it is still there.
constexpr int kMaxErrorsInRow = 16;

std::string hex4(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(v));
  return buf;
}

std::string udev_rule(std::uint16_t vendor, std::uint16_t product) {
  return "add a udev rule, e.g. /etc/udev/rules.d/70-comptoir-scanner.rules: SUBSYSTEM==\"usb\", "
         "ATTRS{idVendor}==\"" +
         hex4(vendor) + "\", ATTRS{idProduct}==\"" + hex4(product) +
         "\", MODE=\"0660\", GROUP=\"comptoir\"; then `udevadm control --reload` and replug "
         "the scanner";
}

// The config table that names the device, one key a line as TOML wants it (keys of
// [[scanners.usb]]: vendor, product, mode, layout, quiet_gap_ms).
std::string config_line(std::uint16_t vendor, std::uint16_t product, const char *mode) {
  return std::string("to read it as a scanner, add to the config:\n[[scanners.usb]]\nvendor = \"") +
         hex4(vendor) + "\"\nproduct = \"" + hex4(product) + "\"\nmode = \"" + mode + "\"";
}

// "1-2.4": the bus and the port numbers, the name sysfs gives the device too.
std::string bus_path_of(libusb_device *dev) {
  std::array<std::uint8_t, 8> ports{};
  const int n = libusb_get_port_numbers(dev, ports.data(), static_cast<int>(ports.size()));
  std::string path = std::to_string(libusb_get_bus_number(dev));
  if (n <= 0) return path + "-0";
  for (int i = 0; i < n; ++i) {
    path += i == 0 ? '-' : '.';
    path += std::to_string(ports[static_cast<std::size_t>(i)]);
  }
  return path;
}

std::string node_path_of(libusb_device *dev) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/dev/bus/usb/%03u/%03u",
                static_cast<unsigned>(libusb_get_bus_number(dev)),
                static_cast<unsigned>(libusb_get_device_address(dev)));
  return buf;
}

// The report descriptor as the kernel's HID driver read it, from sysfs: no USB traffic, no
// permission needed, and available while usbhid is bound (before any detach).
std::optional<std::vector<std::uint8_t>> report_descriptor_from_sysfs(const std::string &bus_path,
                                                                      int config, int iface) {
  namespace fs = std::filesystem;
  const std::string name = bus_path + ":" + std::to_string(config) + "." + std::to_string(iface);
  std::error_code ec;
  for (const fs::path &dir : {fs::path("/sys/bus/usb/devices") / name,
                              fs::path("/sys/bus/usb/devices") / bus_path / name}) {
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path file = it->path() / "report_descriptor";
      std::ifstream in(file, std::ios::binary);
      if (!in) continue;
      std::vector<std::uint8_t> bytes;
      char c;
      while (bytes.size() < kMaxReportDescriptor && in.get(c))
        bytes.push_back(static_cast<std::uint8_t>(c));
      if (!bytes.empty()) return bytes;
    }
    ec.clear();
  }
  return std::nullopt;
}

// The HID class descriptor in the interface's extra bytes gives the report descriptor length.
std::size_t report_descriptor_length(const libusb_interface_descriptor &alt) {
  const unsigned char *p = alt.extra;
  int left = alt.extra_length;
  while (p != nullptr && left >= 2) {
    const int len = p[0];
    if (len < 2 || len > left) break;
    if (p[1] == kDescriptorHid && len >= 9) {
      for (int i = 6; i + 2 < len; i += 3)
        if (p[i] == kDescriptorReport) return static_cast<std::size_t>(p[i + 1] | (p[i + 2] << 8));
    }
    p += len;
    left -= len;
  }
  return 0;
}

// GET_DESCRIPTOR(Report) on an open device, for when sysfs has none (no kernel driver bound).
std::optional<std::vector<std::uint8_t>> report_descriptor_from_device(libusb_device_handle *handle,
                                                                       int iface,
                                                                       std::size_t length) {
  if (length == 0 || length > kMaxReportDescriptor) length = kMaxReportDescriptor;
  std::vector<std::uint8_t> bytes(length, 0);
  const int n = libusb_control_transfer(
      handle, kGetInterfaceDescriptor, LIBUSB_REQUEST_GET_DESCRIPTOR,
      static_cast<std::uint16_t>(kDescriptorReport << 8), static_cast<std::uint16_t>(iface),
      bytes.data(), static_cast<std::uint16_t>(bytes.size()), kControlTimeoutMs);
  if (n <= 0) return std::nullopt;
  bytes.resize(static_cast<std::size_t>(n));
  return bytes;
}

struct HidInterface {
  int number = 0;
  std::uint8_t subclass = 0;  // 1: supports the boot protocol
  std::uint8_t protocol = 0;
  std::uint8_t endpoint = 0;  // interrupt IN
  int packet_size = 0;
  std::size_t report_descriptor_length = 0;
  std::optional<ReportDescriptorInfo> report;  // when a report descriptor could be read
  bool keyboard() const {
    return protocol == kProtocolKeyboard ||
           (report && report->keyboard && !report->barcode_scanner);
  }
  bool hid_pos() const { return report && report->barcode_scanner; }
};

// What the reader makes of one USB device: read it or not, why, and how.
struct Assessment {
  std::uint16_t vendor = 0;
  std::uint16_t product = 0;
  std::string bus_path;
  std::string device_id;
  std::string node;
  std::vector<HidInterface> interfaces;  // empty: not a HID device
  const UsbDeviceConfig *config = nullptr;
  bool use = false;
  UsbHidMode mode = UsbHidMode::boot;  // resolved: boot or hid_pos
  std::size_t chosen = 0;              // index in interfaces
  std::string why;
  std::string fix;
};

Assessment assess(libusb_device *dev, const UsbHidReaderOptions &options) {
  Assessment a;
  libusb_device_descriptor desc{};
  if (libusb_get_device_descriptor(dev, &desc) != 0) return a;
  a.vendor = desc.idVendor;
  a.product = desc.idProduct;
  a.bus_path = bus_path_of(dev);
  a.device_id = "usb:" + hex4(a.vendor) + ":" + hex4(a.product) + ":" + a.bus_path;
  a.node = node_path_of(dev);

  libusb_config_descriptor *config = nullptr;
  if (libusb_get_active_config_descriptor(dev, &config) != 0 &&
      libusb_get_config_descriptor(dev, 0, &config) != 0)
    return a;
  for (int i = 0; i < config->bNumInterfaces; ++i) {
    const libusb_interface &itf = config->interface[i];
    if (itf.num_altsetting < 1) continue;
    const libusb_interface_descriptor &alt = itf.altsetting[0];
    if (alt.bInterfaceClass != kClassHid) continue;
    HidInterface h;
    h.number = alt.bInterfaceNumber;
    h.subclass = alt.bInterfaceSubClass;
    h.protocol = alt.bInterfaceProtocol;
    for (int e = 0; e < alt.bNumEndpoints; ++e) {
      const libusb_endpoint_descriptor &ep = alt.endpoint[e];
      if ((ep.bEndpointAddress & LIBUSB_ENDPOINT_IN) != 0 &&
          (ep.bmAttributes & 0x03) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
        h.endpoint = ep.bEndpointAddress;
        h.packet_size = ep.wMaxPacketSize & 0x7FF;
        break;
      }
    }
    if (h.endpoint == 0 || h.packet_size == 0) continue;
    h.report_descriptor_length = report_descriptor_length(alt);
    if (auto bytes =
            report_descriptor_from_sysfs(a.bus_path, config->bConfigurationValue, h.number))
      h.report = describe_report_descriptor(*bytes);
    a.interfaces.push_back(h);
  }
  libusb_free_config_descriptor(config);
  if (a.interfaces.empty()) return a;

  for (const UsbDeviceConfig &c : options.devices) {
    if (c.vendor_id == a.vendor && c.product_id == a.product &&
        (c.bus_path.empty() || c.bus_path == a.bus_path)) {
      a.config = &c;
      break;
    }
  }
  auto find = [&a](auto pred) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < a.interfaces.size(); ++i)
      if (pred(a.interfaces[i])) return i;
    return std::nullopt;
  };
  const auto pos = find([](const HidInterface &h) { return h.hid_pos(); });
  const auto keyboard = find([](const HidInterface &h) { return h.keyboard(); });

  if (a.config != nullptr) {
    a.use = true;
    UsbHidMode mode = a.config->mode;
    if (mode == UsbHidMode::automatic) {
      // No descriptor to go by: a boot keyboard says so in its interface; otherwise a
      // report bigger than a keyboard's is taken for HID-POS.
      if (pos)
        mode = UsbHidMode::hid_pos;
      else if (keyboard || a.interfaces[0].packet_size <= 8)
        mode = UsbHidMode::boot;
      else
        mode = UsbHidMode::hid_pos;
    }
    a.mode = mode;
    if (mode == UsbHidMode::hid_pos) {
      const auto other = find([](const HidInterface &h) { return !h.keyboard(); });
      a.chosen = pos.value_or(other.value_or(0));
      a.why = "configured (HID-POS)";
    } else {
      a.chosen = keyboard.value_or(0);
      a.why =
          std::string("configured (boot keyboard, layout ") + layout_name(a.config->layout) + ")";
    }
    return a;
  }
  if (pos) {
    a.chosen = *pos;
    a.mode = UsbHidMode::hid_pos;
    if (options.auto_detect) {
      a.use = true;
      a.why = "a HID-POS scanner (usage page 0x8C), found by auto-detection";
    } else {
      a.why = "a HID-POS scanner, but auto-detection is off";
      a.fix = config_line(a.vendor, a.product, "hid-pos");
    }
    return a;
  }
  if (keyboard) {
    a.why = "a keyboard, not configured: use evdev or configure it";
    a.fix = config_line(a.vendor, a.product, "boot");
    return a;
  }
  const bool known = std::all_of(a.interfaces.begin(), a.interfaces.end(),
                                 [](const HidInterface &h) { return h.report.has_value(); });
  a.why = known ? "a HID device that is neither a keyboard nor a HID-POS scanner"
                : "a HID device whose report descriptor could not be read, not configured";
  a.fix = config_line(a.vendor, a.product, "auto");
  return a;
}

}  // namespace

std::optional<UsbHidMode> usb_hid_mode_from_name(std::string_view name) {
  if (name == "boot") return UsbHidMode::boot;
  if (name == "hid-pos") return UsbHidMode::hid_pos;
  if (name == "auto") return UsbHidMode::automatic;
  return std::nullopt;
}

const char *usb_hid_mode_name(UsbHidMode mode) {
  switch (mode) {
    case UsbHidMode::boot:
      return "boot";
    case UsbHidMode::hid_pos:
      return "hid-pos";
    case UsbHidMode::automatic:
      return "auto";
  }
  return "auto";
}

// ---- The engine: the libusb context, its event thread and the devices it reads ------------

struct UsbHidReader::Engine {
  struct Device {
    Engine *engine = nullptr;
    libusb_device *dev = nullptr;  // referenced while open
    libusb_device_handle *handle = nullptr;
    std::string id;
    std::uint16_t vendor = 0;
    std::uint16_t product = 0;
    int iface = 0;
    std::uint8_t endpoint = 0;  // interrupt IN
    bool claimed = false;
    bool detached_kernel = false;
    Source source = Source::usb_boot_keyboard;
    std::string layout;
    std::optional<BootKeyboardDecoder> boot;
    std::optional<HidPosAssembler> pos;
    libusb_transfer *transfer = nullptr;
    std::vector<std::uint8_t> buffer;
    bool in_flight = false;
    // The endpoint stalled: cleared (synchronous) and resubmitted by the event loop once
    // libusb_handle_events has returned, never from inside the transfer callback.
    bool needs_clear_halt = false;
    bool gone = false;  // left (NO_DEVICE) or gave up: closed at the next turn of the loop
    int errors_in_row = 0;
  };

  UsbHidReaderOptions options;
  ScanSink *sink = nullptr;
  libusb_context *ctx = nullptr;
  // Set by stop() from another thread, which then calls libusb_interrupt_event_handler: that
  // makes the event thread's libusb_handle_events_timeout_completed return (the interruption
  // stays pending if the thread is not in it yet), and the loop reads this flag. It is not
  // handed to libusb as its "completed" int, which libusb reads as a plain int.
  std::atomic<bool> stop_requested{false};
  bool has_hotplug = false;
  libusb_hotplug_callback_handle hotplug_handle{};
  std::vector<libusb_device *> arrived;  // hotplug arrivals (referenced), opened after events
  bool rescan_now = true;
  Steady::time_point next_rescan{};
  std::vector<std::unique_ptr<Device>> devices;
  // Device ids already reported unusable, with the reason: said once until it changes.
  std::map<std::string, std::string> unusable;
  // Devices given up for failing transfers, by bus and address: not opened again until they
  // are replugged (a new address), so a broken device does not come and go every second.
  std::set<std::pair<int, int>> given_up;

  explicit Engine(UsbHidReaderOptions o) : options(std::move(o)) {
    if (options.rescan_interval <= 0ms || options.rescan_interval > 1000ms)
      options.rescan_interval = 1000ms;
  }

  void say(NoticeKind kind, const std::string &id, std::string reason, std::string detail,
           std::string fix = {}) {
    DeviceNotice n;
    n.kind = kind;
    n.device_id = id;
    n.reason = std::move(reason);
    n.detail = std::move(detail);
    n.fix = std::move(fix);
    n.time = std::chrono::system_clock::now();
    sink->notice(std::move(n));
  }

  void unusable_once(const std::string &id, const std::string &reason, std::string detail,
                     std::string fix) {
    auto [it, inserted] = unusable.emplace(id, reason);
    if (!inserted && it->second == reason) return;
    it->second = reason;
    say(NoticeKind::device_unusable, id, reason, std::move(detail), std::move(fix));
  }

  void emit_scan(Device &d, std::string text, std::string symbology) {
    ScanEvent e;
    e.source = d.source;
    e.device_id = d.id;
    e.text = std::move(text);
    e.layout = d.layout;
    e.symbology = std::move(symbology);
    e.time = std::chrono::system_clock::now();
    sink->scan(std::move(e));
  }

  void emit(Device &d, const ScanAssembler::Completed &c, const std::string &symbology) {
    if (c.ok) {
      emit_scan(d, c.text, symbology);
      return;
    }
    std::string detail = "a scan from " + d.id + " was dropped (" + c.reason + ")";
    if (c.reason == "too_long")
      detail += ": more than " + std::to_string(options.max_scan_bytes) +
                " bytes with no end (a stuck key or a scanner in a loop); reading goes on";
    else if (c.reason == "cable_pulled")
      detail += ": the device left in the middle of a scan; scan again once it is back";
    else if (c.reason == "no_terminator" && d.pos)
      detail += ": the scanner announced more data (continued) that never came";
    else if (c.reason == "no_terminator")
      detail += ": the scan never ended (no Enter); is the scanner set to send a suffix?";
    say(NoticeKind::scan_dropped, d.id, c.reason, std::move(detail));
  }

  // ---- transfers ----

  static void LIBUSB_CALL on_transfer(libusb_transfer *t) {
    auto *d = static_cast<Device *>(t->user_data);
    d->in_flight = false;
    d->engine->transfer_done(*d, *t);
  }

  bool submit(Device &d) {
    const int r = libusb_submit_transfer(d.transfer);
    if (r == 0) {
      d.in_flight = true;
      return true;
    }
    lost(d, r == LIBUSB_ERROR_NO_DEVICE ? "cable_pulled" : "io_error");
    return false;
  }

  bool stopping() const { return stop_requested.load(); }

  // Runs inside libusb_handle_events (the transfer callback): only asynchronous libusb calls
  // here (submit, cancel). A synchronous one (control transfer, clear halt, claim, release,
  // kernel driver) blocks the event thread on the device, and a sync transfer waits for the
  // event handling this very thread is doing: it never completes, and stop() hangs with it.
  void transfer_done(Device &d, libusb_transfer &t) {
    if (stopping() || d.gone) return;
    switch (t.status) {
      case LIBUSB_TRANSFER_COMPLETED: {
        d.errors_in_row = 0;
        const std::span<const std::uint8_t> report(t.buffer,
                                                   static_cast<std::size_t>(t.actual_length));
        const auto now = Steady::now();
        if (d.boot) {
          std::vector<ScanAssembler::Completed> out;
          d.boot->feed(report, now, out);
          for (const auto &c : out) emit(d, c, {});
        } else if (d.pos) {
          std::vector<HidPosAssembler::Completed> out;
          d.pos->feed(report, now, out);
          for (const auto &c : out) emit(d, c.scan, c.symbology);
        }
        submit(d);
        return;
      }
      case LIBUSB_TRANSFER_NO_DEVICE:
        lost(d, "cable_pulled");
        return;
      case LIBUSB_TRANSFER_CANCELLED:
        return;
      case LIBUSB_TRANSFER_TIMED_OUT:  // no timeout is set; resubmit if one ever fires
      case LIBUSB_TRANSFER_ERROR:
      case LIBUSB_TRANSFER_STALL:
      case LIBUSB_TRANSFER_OVERFLOW:
        if (++d.errors_in_row >= kMaxErrorsInRow) {
          lost(d, "io_error");
          return;
        }
        if (t.status == LIBUSB_TRANSFER_STALL) {
          d.needs_clear_halt = true;  // clear_stalls(), after libusb_handle_events returns
          return;
        }
        submit(d);
        return;
    }
  }

  // Out of libusb's event handling: clears the halt of each stalled endpoint (synchronous,
  // allowed here) and resubmits its transfer. The scan under way is kept.
  void clear_stalls() {
    for (auto &d : devices) {
      if (!d->needs_clear_halt) continue;
      d->needs_clear_halt = false;
      if (d->gone || d->in_flight) continue;
      const int r = libusb_clear_halt(d->handle, d->endpoint);
      if (r == LIBUSB_ERROR_NO_DEVICE) {
        lost(*d, "cable_pulled");
        continue;
      }
      // Any other failure: the resubmitted transfer tells whether the endpoint works again,
      // and errors_in_row bounds the retries.
      submit(*d);
    }
  }

  // The device left or failed: the partial scan is dropped, the device closed next turn.
  void lost(Device &d, const std::string &reason) {
    if (d.gone) return;
    d.gone = true;
    std::optional<ScanAssembler::Completed> dropped;
    if (d.boot) dropped = d.boot->abort(reason);
    if (d.pos) {
      if (auto c = d.pos->abort(reason)) dropped = std::move(c->scan);
    }
    if (dropped) emit(d, *dropped, {});
    if (reason == "cable_pulled") {
      say(NoticeKind::device_removed, d.id, {}, d.id + " left (cable pulled or device reset)");
    } else {
      given_up.emplace(libusb_get_bus_number(d.dev), libusb_get_device_address(d.dev));
      say(NoticeKind::device_removed, d.id, reason,
          d.id + " stopped answering (" + reason + "); replug it to read it again");
    }
  }

  // ---- opening and closing ----

  void open(libusb_device *dev) {
    if (stopping()) return;
    const std::uint8_t bus = libusb_get_bus_number(dev);
    const std::uint8_t address = libusb_get_device_address(dev);
    for (const auto &d : devices)
      if (libusb_get_bus_number(d->dev) == bus && libusb_get_device_address(d->dev) == address)
        return;  // already read
    if (given_up.count({bus, address})) return;
    Assessment a = assess(dev, options);
    if (a.interfaces.empty() || !a.use) return;
    const HidInterface &h = a.interfaces[a.chosen];

    auto d = std::make_unique<Device>();
    d->engine = this;
    d->id = a.device_id;
    d->vendor = a.vendor;
    d->product = a.product;
    d->iface = h.number;
    d->endpoint = h.endpoint;
    const int r = libusb_open(dev, &d->handle);
    if (r != 0) {
      if (r == LIBUSB_ERROR_ACCESS)
        unusable_once(a.device_id, "no_permission",
                      "no permission to open " + a.node + " (" + a.device_id + ")",
                      udev_rule(a.vendor, a.product));
      else if (r != LIBUSB_ERROR_NO_DEVICE)
        unusable_once(a.device_id, "io_error",
                      std::string("cannot open ") + a.node + ": " + libusb_strerror(r),
                      "replug the scanner; if it persists, try another port or cable");
      return;
    }
    d->dev = libusb_ref_device(dev);

    // The config said "auto" and sysfs had no descriptor: ask the device itself.
    if (a.config != nullptr && a.config->mode == UsbHidMode::automatic && !h.report) {
      if (auto bytes =
              report_descriptor_from_device(d->handle, h.number, h.report_descriptor_length)) {
        const ReportDescriptorInfo info = describe_report_descriptor(*bytes);
        if (info.barcode_scanner) a.mode = UsbHidMode::hid_pos;
        if (info.keyboard && !info.barcode_scanner) a.mode = UsbHidMode::boot;
      }
    }
    // Detach only when a kernel driver holds the interface: libusb's auto-detach is not
    // available everywhere (and fails under umockdev).
    if (libusb_kernel_driver_active(d->handle, h.number) == 1) {
      const int dr = libusb_detach_kernel_driver(d->handle, h.number);
      if (dr == 0) d->detached_kernel = true;
    }
    const int cr = libusb_claim_interface(d->handle, h.number);
    if (cr != 0) {
      const bool busy = cr == LIBUSB_ERROR_BUSY;
      unusable_once(
          a.device_id, busy ? "busy" : (cr == LIBUSB_ERROR_ACCESS ? "no_permission" : "io_error"),
          std::string("cannot claim interface ") + std::to_string(h.number) + " of " + a.device_id +
              ": " + libusb_strerror(cr),
          busy ? "another program reads this scanner; stop it" : udev_rule(a.vendor, a.product));
      close(*d);
      return;
    }
    d->claimed = true;

    // A boot-subclass interface starts in the report protocol, where it may send report IDs
    // and layouts of its own: ask for the boot protocol its 8-byte reports are read in. This
    // runs on the event thread outside libusb's event handling (open() is called from the
    // loop, never from a callback), before the first interrupt transfer. Some scanners stall
    // the request: then their reports are read as they come, and the device_added notice
    // says so.
    std::string protocol_note;
    if (a.mode == UsbHidMode::boot && h.subclass == kSubclassBoot) {
      const int pr = libusb_control_transfer(d->handle, kSetInterfaceClassRequest, kHidSetProtocol,
                                             kBootProtocol, static_cast<std::uint16_t>(h.number),
                                             nullptr, 0, kControlTimeoutMs);
      if (pr == LIBUSB_ERROR_NO_DEVICE) {
        close(*d);
        return;
      }
      if (pr < 0)
        protocol_note = std::string("; it refused SET_PROTOCOL(boot) (") + libusb_strerror(pr) +
                        "), its reports are read as they come";
    }

    AssemblerOptions ao;
    ao.max_bytes = options.max_scan_bytes;
    // The quiet gap is a boot-mode setting (a keyboard-wedge scanner with no suffix): a
    // HID-POS scan ends on its last report, and a pause between "continued" reports must not
    // end it half-way (HidPosAssembler ignores a gap too).
    if (a.config != nullptr && a.mode == UsbHidMode::boot) ao.quiet_gap = a.config->quiet_gap;
    if (a.mode == UsbHidMode::hid_pos) {
      d->source = Source::usb_hid_pos;
      std::uint8_t report_id = kHidPosScannedDataReportId;
      if (h.report && h.report->uses_report_ids && h.report->scanned_data_report_id != 0)
        report_id = h.report->scanned_data_report_id;
      else if (h.report && !h.report->uses_report_ids)
        report_id = 0;
      d->pos.emplace(ao, report_id);
    } else {
      const Layout layout = a.config != nullptr ? a.config->layout : Layout::us;
      d->source = Source::usb_boot_keyboard;
      d->layout = layout_name(layout);
      d->boot.emplace(layout, ao);
    }
    d->buffer.assign(static_cast<std::size_t>(h.packet_size), 0);
    d->transfer = libusb_alloc_transfer(0);
    if (d->transfer == nullptr) {
      close(*d);
      return;
    }
    libusb_fill_interrupt_transfer(d->transfer, d->handle, h.endpoint, d->buffer.data(),
                                   h.packet_size, &Engine::on_transfer, d.get(), 0);
    unusable.erase(a.device_id);
    Device &ref = *d;
    devices.push_back(std::move(d));
    say(NoticeKind::device_added, ref.id, {},
        ref.id + " is read as " +
            (ref.source == Source::usb_hid_pos ? std::string("a HID-POS scanner")
                                               : "a boot-keyboard scanner, layout " + ref.layout) +
            " (" + a.why + ")" + protocol_note);
    if (!submit(ref)) return;
  }

  // Releases the interface, gives the kernel driver back, closes. The transfer is no longer
  // in flight (completed, failed or cancelled and reaped).
  void close(Device &d) {
    if (d.handle != nullptr) {
      if (d.claimed) libusb_release_interface(d.handle, d.iface);
      if (d.detached_kernel) libusb_attach_kernel_driver(d.handle, d.iface);
      libusb_close(d.handle);
      d.handle = nullptr;
    }
    if (d.transfer != nullptr) {
      libusb_free_transfer(d.transfer);
      d.transfer = nullptr;
    }
    if (d.dev != nullptr) {
      libusb_unref_device(d.dev);
      d.dev = nullptr;
    }
  }

  void close_gone() {
    for (auto it = devices.begin(); it != devices.end();) {
      Device &d = **it;
      if (d.gone && !d.in_flight) {
        close(d);
        it = devices.erase(it);
      } else {
        ++it;
      }
    }
  }

  void rescan() {
    libusb_device **list = nullptr;
    const ssize_t n = libusb_get_device_list(ctx, &list);
    if (n < 0) return;
    std::set<std::pair<int, int>> present;
    for (ssize_t i = 0; i < n; ++i)
      present.emplace(libusb_get_bus_number(list[i]), libusb_get_device_address(list[i]));
    std::erase_if(given_up, [&present](const auto &where) { return !present.count(where); });
    // Gone without a word (no hotplug, no transfer error yet).
    for (auto &d : devices)
      if (!d->gone &&
          !present.count({libusb_get_bus_number(d->dev), libusb_get_device_address(d->dev)})) {
        lost(*d, "cable_pulled");
        if (d->in_flight) libusb_cancel_transfer(d->transfer);
      }
    for (ssize_t i = 0; i < n; ++i) open(list[i]);
    libusb_free_device_list(list, 1);
  }

  // Inside libusb_handle_events too: queues arrivals, marks departures, cancels (async).
  static int LIBUSB_CALL on_hotplug(libusb_context *, libusb_device *dev,
                                    libusb_hotplug_event event, void *user) {
    auto *e = static_cast<Engine *>(user);
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
      e->arrived.push_back(libusb_ref_device(dev));
    } else {
      for (auto &d : e->devices)
        if (d->dev == dev && !d->gone) {
          e->lost(*d, "cable_pulled");
          if (d->in_flight) libusb_cancel_transfer(d->transfer);
        }
    }
    return 0;
  }

  // ---- the event thread ----

  void run() {
    if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) != 0) {
      // Arrivals are only queued in the callback and opened after libusb_handle_events,
      // not from inside libusb's hotplug dispatch.
      const int r = libusb_hotplug_register_callback(
          ctx,
          static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                            LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
          LIBUSB_HOTPLUG_NO_FLAGS, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
          LIBUSB_HOTPLUG_MATCH_ANY, &Engine::on_hotplug, this, &hotplug_handle);
      has_hotplug = r == 0;
    }
    while (!stopping()) {
      const auto now = Steady::now();
      if (rescan_now || now >= next_rescan) {
        rescan_now = false;
        next_rescan = now + options.rescan_interval;
        rescan();
      }
      for (libusb_device *dev : std::exchange(arrived, {})) {
        open(dev);
        libusb_unref_device(dev);
      }
      close_gone();
      tick_assemblers(Steady::now());

      auto wake = next_rescan;
      for (const auto &d : devices) {
        std::optional<Steady::time_point> due;
        if (d->boot) due = d->boot->deadline();
        if (d->pos) due = d->pos->deadline();
        if (due && *due < wake) wake = *due;
      }
      auto wait = std::chrono::duration_cast<std::chrono::microseconds>(wake - Steady::now());
      wait = std::clamp<std::chrono::microseconds>(wait, 0us, 250ms);
      timeval tv{static_cast<time_t>(wait.count() / 1000000),
                 static_cast<suseconds_t>(wait.count() % 1000000)};
      // No "completed" int: stop() interrupts the event handler and the loop condition
      // reads stop_requested.
      libusb_handle_events_timeout_completed(ctx, &tv, nullptr);
      if (!stopping()) clear_stalls();
    }
    shutdown();
  }

  void tick_assemblers(Steady::time_point now) {
    for (auto &d : devices) {
      if (d->gone) continue;
      if (d->boot) {
        if (auto c = d->boot->tick(now)) emit(*d, *c, {});
      } else if (d->pos) {
        if (auto c = d->pos->tick(now)) emit(*d, c->scan, c->symbology);
      }
    }
  }

  void shutdown() {
    if (has_hotplug) libusb_hotplug_deregister_callback(ctx, hotplug_handle);
    has_hotplug = false;
    for (libusb_device *dev : std::exchange(arrived, {})) libusb_unref_device(dev);
    for (auto &d : devices)
      if (d->in_flight) libusb_cancel_transfer(d->transfer);
    // Reap the cancellations (bounded: a wedged device must not hang stop()).
    const auto deadline = Steady::now() + 1s;
    auto flying = [this] {
      return std::any_of(devices.begin(), devices.end(),
                         [](const auto &d) { return d->in_flight; });
    };
    while (flying() && Steady::now() < deadline) {
      timeval tv{0, 50000};
      libusb_handle_events_timeout_completed(ctx, &tv, nullptr);
    }
    for (auto &d : devices) {
      if (d->in_flight) {
        d->transfer = nullptr;  // still owned by libusb; leaked rather than freed in flight
      }
      close(*d);  // a partial scan is dropped silently: the appliance is stopping
    }
    devices.clear();
  }
};

// ---- UsbHidReader ---------------------------------------------------------------------------

UsbHidReader::UsbHidReader(UsbHidReaderOptions options) : options_(std::move(options)) {}

UsbHidReader::~UsbHidReader() {
  stop();
}

void UsbHidReader::start(ScanSink &sink) {
  if (engine_) return;
  auto engine = std::make_unique<Engine>(options_);
  engine->sink = &sink;
  const int r = libusb_init(&engine->ctx);
  if (r != 0) {
    DeviceNotice n;
    n.kind = NoticeKind::device_unusable;
    n.device_id = "usb";
    n.reason = "io_error";
    n.detail = std::string("libusb cannot start: ") + libusb_strerror(r);
    n.fix = "check that /dev/bus/usb exists (usbfs) on this system";
    n.time = std::chrono::system_clock::now();
    sink.notice(std::move(n));
    return;
  }
  engine_ = std::move(engine);
  thread_ = std::thread([e = engine_.get()] { e->run(); });
}

void UsbHidReader::stop() {
  if (!engine_) return;
  // The flag first, then the wake-up: the event thread sees the flag on its way out of
  // libusb_handle_events_timeout_completed (see Engine::stop_requested).
  engine_->stop_requested.store(true);
  libusb_interrupt_event_handler(engine_->ctx);
  if (thread_.joinable()) thread_.join();
  libusb_exit(engine_->ctx);
  engine_.reset();
}

std::vector<DeviceCandidate> UsbHidReader::candidates() {
  std::vector<DeviceCandidate> found;
  libusb_context *ctx = nullptr;
  if (libusb_init(&ctx) != 0) return found;
  libusb_device **list = nullptr;
  const ssize_t n = libusb_get_device_list(ctx, &list);
  for (ssize_t i = 0; i < n; ++i) {
    const Assessment a = assess(list[i], options_);
    if (a.interfaces.empty()) continue;
    DeviceCandidate c;
    c.reader = "usb";
    c.device_id = a.device_id;
    c.name = "HID " + hex4(a.vendor) + ":" + hex4(a.product);
    c.path = a.node;
    c.used = a.use;
    c.why = a.why;
    c.fix = a.fix;
    if (a.use && a.mode == UsbHidMode::boot)
      c.layout = layout_name(a.config != nullptr ? a.config->layout : Layout::us);
    if (a.use && ::access(a.node.c_str(), R_OK | W_OK) != 0 && errno == EACCES) {
      c.used = false;
      c.why = "no permission to open " + a.node + " (" + a.why + ")";
      c.fix = udev_rule(a.vendor, a.product);
    }
    found.push_back(std::move(c));
  }
  if (n >= 0) libusb_free_device_list(list, 1);
  libusb_exit(ctx);
  return found;
}

}  // namespace comptoir::drivers
