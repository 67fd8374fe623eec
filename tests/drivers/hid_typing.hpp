// What USB scanners send, made by the tests: boot-keyboard reports typing a text through the
// us layout (written out here from the HID usage tables, independent of drivers/keymap.cpp),
// HID-POS scanned data reports, signed-token-shaped texts, and umockdev .ioctl scripts that
// replay them (records must be USBDEVFS_REAPURBNDELAY; the replay wraps at the end).
#pragma once

#include <array>
#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::test {

using Report = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kLeftShiftBit = 0x02;
inline constexpr std::uint8_t kUsageEnterKey = 0x28;

// The key (HID usage) and Shift for a character on a us keyboard; the characters of pickup
// codes and a little more.
inline std::pair<std::uint8_t, bool> us_key(char c) {
  if (c >= 'a' && c <= 'z') return {static_cast<std::uint8_t>(0x04 + (c - 'a')), false};
  if (c >= 'A' && c <= 'Z') return {static_cast<std::uint8_t>(0x04 + (c - 'A')), true};
  if (c >= '1' && c <= '9') return {static_cast<std::uint8_t>(0x1E + (c - '1')), false};
  switch (c) {
    case '0':
      return {0x27, false};
    case '-':
      return {0x2D, false};
    case '=':
      return {0x2E, false};
    case '*':
      return {0x25, true};
    case '$':
      return {0x21, true};
    case '~':
      return {0x35, true};
    case ' ':
      return {0x2C, false};
    case '/':
      return {0x38, false};
    case ':':
      return {0x33, true};
    case '.':
      return {0x37, false};
  }
  throw std::invalid_argument(std::string("no us key for '") + c + "'");
}

inline Report boot_report(std::uint8_t modifiers, std::uint8_t usage) {
  return {modifiers, 0, usage, 0, 0, 0, 0, 0};
}

// A scanner typing `text` then Enter: each key pressed (with Shift in the same report when
// needed) then every key released, as keyboard-wedge scanners do.
inline std::vector<Report> us_typing(std::string_view text, bool enter = true) {
  std::vector<Report> reports;
  for (char c : text) {
    const auto [usage, shift] = us_key(c);
    reports.push_back(boot_report(shift ? kLeftShiftBit : 0, usage));
    reports.push_back(boot_report(0, 0));
  }
  if (enter) {
    reports.push_back(boot_report(0, kUsageEnterKey));
    reports.push_back(boot_report(0, 0));
  }
  return reports;
}

// 'ZA1' and 128 Crockford Base32 symbols: the shape and length of a signed pickup token.
inline std::string token_shaped(std::uint32_t seed) {
  static constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::mt19937 rng(seed);
  std::string token = "ZA1";
  for (int i = 0; i < 128; ++i) token += kCrockford[rng() % kCrockford.size()];
  return token;
}

// HID-POS scanned data reports (64 bytes, report ID 2) carrying `data` with AIM identifier
// `aim`, 56 bytes a report, the "continued" bit set on all but the last.
inline std::vector<Report> hid_pos_reports(std::string_view data, std::string_view aim = "]Q1") {
  std::vector<Report> reports;
  std::size_t at = 0;
  do {
    const std::size_t n = std::min<std::size_t>(56, data.size() - at);
    Report r(64, 0);
    r[0] = 0x02;
    r[1] = static_cast<std::uint8_t>(n);
    for (std::size_t i = 0; i < 3 && i < aim.size(); ++i)
      r[2 + i] = static_cast<std::uint8_t>(aim[i]);
    for (std::size_t i = 0; i < n; ++i) r[5 + i] = static_cast<std::uint8_t>(data[at + i]);
    r[61] = 's';  // Honeywell's code id for QR
    at += n;
    r[63] = at < data.size() ? 1 : 0;
    reports.push_back(std::move(r));
  } while (at < data.size());
  return reports;
}

// One reaped interrupt IN transfer on endpoint 0x81, as umockdev's ioctl tree reads it:
// ret, type (1 interrupt), endpoint (129), status, flags, buffer length, actual length,
// error count, data.
inline std::string reap_line(const Report &r, std::size_t buffer_length, int status = 0) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string line = "USBDEVFS_REAPURBNDELAY 0 1 129 " + std::to_string(status) + " 0 " +
                     std::to_string(buffer_length) + " " + std::to_string(r.size()) + " 0 ";
  for (std::uint8_t b : r) {
    line += kHex[b >> 4];
    line += kHex[b & 0x0F];
  }
  return line;
}

// A whole script; `pulled` adds a reap that fails with ENODEV (-19): the cable was pulled.
inline void write_ioctl_script(const std::string &path, const std::string &dev,
                               const std::vector<Report> &reports, std::size_t buffer_length,
                               bool pulled = false) {
  std::ofstream out(path);
  out << "@DEV " << dev << "\n";
  for (const Report &r : reports) out << reap_line(r, buffer_length) << "\n";
  if (pulled) out << reap_line({}, buffer_length, -19) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace comptoir::test
