// What every reader hands to the core: one ScanEvent per scan, whatever the device (a
// keyboard-wedge scanner through evdev or libusb, a HID-POS scanner, a serial scanner, a
// camera, an image file), and DeviceNotices for what staff or a technician should know
// (a device arrived or left, a scan was dropped and why, a device cannot be opened and how
// to fix it). Includes nothing of ours.
#pragma once

#include <chrono>
#include <string>

namespace comptoir::drivers {

enum class Source {
  evdev,              // keyboard-wedge scanner read through /dev/input (libevdev)
  usb_boot_keyboard,  // libusb, HID boot-keyboard reports
  usb_hid_pos,        // libusb, HID-POS reports (usage page 0x8C)
  serial,             // CDC-ACM or RS-232 scanner (termios)
  camera,             // V4L2 frames decoded with ZXing
  image_file,         // an image decoded with ZXing (comptoir-scan)
  keyboard,           // SDL key events in the kiosk window (wedge assembler)
};

// "evdev", "usb-boot-keyboard", "usb-hid-pos", "serial", "camera", "image-file", "keyboard".
const char *source_name(Source source);

struct ScanEvent {
  Source source = Source::evdev;
  // Stable across restarts and replugs where the device allows it, and what the config
  // names: "evdev:/dev/input/by-id/usb-…-event-kbd", "usb:0c2e:0b61:1-2", "serial:/dev/ttyACM0",
  // "camera:/dev/video0", "file:PATH".
  std::string device_id;
  // The scan as received, terminator removed. UTF-8 for key-code readers (decoded with
  // `layout`) and ZXing; the bytes as sent for serial and HID-POS (usually ASCII; the core
  // copes with anything).
  std::string text;
  // The keyboard layout used to turn key codes into text ("us", "uk", "fr", "de"); empty
  // when the device sent characters (serial, HID-POS, camera, image).
  std::string layout;
  // The symbology when the device says so ("QRCode", "EAN-13", …); empty when unknown.
  std::string symbology;
  // When the scan ended (its terminator, its quiet gap, or the frame it was read in).
  std::chrono::system_clock::time_point time{};
};

enum class NoticeKind {
  device_added,     // a device is being read
  device_removed,   // a device left (cable pulled, camera unplugged)
  scan_dropped,     // a scan was thrown away; reason says why (cable_pulled, too_long, …)
  device_unusable,  // a candidate cannot be read; reason and fix say why and what to do
};

const char *notice_kind_name(NoticeKind kind);

struct DeviceNotice {
  NoticeKind kind = NoticeKind::device_added;
  std::string device_id;
  // A stable code for the core's messages: "cable_pulled", "too_long", "no_terminator",
  // "no_permission", "busy", "queue_full", "io_error", …; empty for added/removed.
  std::string reason;
  // For the log and the technician, in English: what happened, with the device's name.
  std::string detail;
  // What to do about it, when there is something to do (a udev rule, a config line).
  std::string fix;
  std::chrono::system_clock::time_point time{};
};

// Where readers put what they read. Called from reader threads: implementations are
// thread-safe and never block for long (ScanQueue is the one the app uses).
class ScanSink {
 public:
  virtual ~ScanSink() = default;
  virtual void scan(ScanEvent event) = 0;
  virtual void notice(DeviceNotice notice) = 0;
};

}  // namespace comptoir::drivers
