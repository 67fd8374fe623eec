// The serial reader: scanners in CDC-ACM (USB "virtual COM port") or RS-232 mode, read
// through termios as raw bytes. One thread polls every open port plus a stop eventfd; bytes
// go through a ScanAssembler per port (terminator, or quiet gap for scanners sending none).
// A port that goes away (cable pulled) drops its partial scan and is retried until it comes
// back; a port that opens and fails at once, again and again (a half-unplugged CDC-ACM
// device, a flaky adapter), is said unstable once and retried with a growing wait (up to
// 5 s), not announced at every try. A port that cannot be opened for lack of permission says
// how to fix it. Ports not named in the config are opened only when their /dev/serial/by-id
// name looks like a scanner: a serial port is as likely a modem or a console cable. Includes
// nothing of ours but drivers/ headers.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "drivers/reader.hpp"

namespace comptoir::drivers {

// What ends a scan on the wire. cr, lf and crlf all end a scan on CR or on LF (an empty scan
// is nothing), so a scanner sending CRLF gives one scan whichever of the three is set, and a
// scanner set to CR still works when the config says LF. none: a quiet gap ends the scan.
enum class SerialTerminator : unsigned char { cr, lf, crlf, tab, none };

std::optional<SerialTerminator> serial_terminator_from_name(std::string_view name);
const char *serial_terminator_name(SerialTerminator terminator);

struct SerialPortConfig {
  // /dev/ttyACM0, or better a stable /dev/serial/by-id/usb-…-if00 link (the same across
  // replugs and reboots, where ttyACM numbers follow plug order). A symlink is opened
  // through, and reopened through, so re-pointing it works.
  std::string path;
  // CDC-ACM ignores it (USB carries the bytes at full speed); RS-232 scanners need the
  // one they are set to: 9600 by factory default, 115200 often.
  unsigned baud = 9600;
  SerialTerminator terminator = SerialTerminator::cr;
  // With terminator none: a scan ends this long after its last byte. 50 ms is ~48 byte
  // times at 9600 baud and far longer than USB's 1 ms frames, and far shorter than the
  // time between two scans.
  std::chrono::milliseconds quiet_gap{50};
  std::string name;  // for the technician ("counter scanner"); empty: the path
};

struct SerialReaderOptions {
  std::vector<SerialPortConfig> ports;
  // Also read /dev/serial/by-id entries whose name looks like a scanner (with the default
  // SerialPortConfig). /dev/ttyACM* and /dev/ttyUSB* nodes are listed as candidates but
  // never opened unless configured.
  bool auto_detect = true;
  std::size_t max_scan_bytes = 4096;
  // How often a missing or failed port is tried again. At most 1 s, so a scanner plugged
  // back in is read again within 2 s.
  std::chrono::milliseconds retry_interval{500};
  // Where to look (tests point these at a temporary directory).
  std::string by_id_dir = "/dev/serial/by-id";
  std::string dev_dir = "/dev";
};

// Whether a /dev/serial/by-id name ("usb-Honeywell_Imaging___Mobility_1900-if00") names
// a barcode scanner by its maker or its words.
bool serial_name_looks_like_scanner(std::string_view by_id_name);

class SerialReader final : public Reader {
 public:
  explicit SerialReader(SerialReaderOptions options);
  ~SerialReader() override;
  SerialReader(const SerialReader &) = delete;
  SerialReader &operator=(const SerialReader &) = delete;

  void start(ScanSink &sink) override;
  void stop() override;
  std::vector<DeviceCandidate> candidates() override;

  // Implementation, in serial_reader.cpp.
  struct Engine;

 private:
  SerialReaderOptions options_;
  std::unique_ptr<Engine> engine_;
  std::thread thread_;
};

}  // namespace comptoir::drivers
