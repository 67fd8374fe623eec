// libFuzzer target for what a scanner device can send below the text layer: boot-keyboard
// reports through the key decoder of each layout, HID-POS scanned data reports, HID report
// descriptors, raw serial bytes, and the kiosk's keyboard-wedge assembler with arbitrary
// timings. No input may crash, leak or trip a sanitizer, and every scan that comes out must
// respect the size bound the assemblers promise.
//
// Input: byte 0 picks the path and the layout, the rest is reports (8 or 64 bytes each) or
// bytes, with the clock advanced by an amount taken from the input between them, so quiet
// gaps, stale scans and floods are all reached.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/hid_reports.hpp"
#include "drivers/keymap.hpp"
#include "drivers/scan_assembler.hpp"
#include "drivers/wedge_assembler.hpp"

namespace {

using namespace comptoir::drivers;
using Clock = ScanAssembler::Clock;

constexpr std::size_t kMaxBytes = 512;  // small, so floods are reached by short inputs

void check(bool ok) {
  if (!ok) std::abort();
}

void check_scan(const ScanAssembler::Completed &c) {
  if (c.ok) check(!c.text.empty() && c.text.size() <= kMaxBytes);
  if (!c.ok) check(!c.reason.empty());
}

AssemblerOptions options(std::uint8_t selector) {
  AssemblerOptions o;
  o.max_bytes = kMaxBytes;
  o.quiet_gap = std::chrono::milliseconds((selector & 0x40) ? 50 : 0);
  return o;
}

Layout layout_of(std::uint8_t selector) {
  return static_cast<Layout>((selector >> 2) & 3);
}

// The next chunk of `n` bytes (or what is left), and time moved on by the byte after it.
struct Cursor {
  std::span<const std::uint8_t> rest;
  Clock::time_point now{};

  bool next(std::size_t n, std::span<const std::uint8_t> &chunk) {
    if (rest.empty()) return false;
    const std::size_t take = std::min(n, rest.size());
    chunk = rest.first(take);
    rest = rest.subspan(take);
    if (!rest.empty()) {
      now += std::chrono::milliseconds(rest[0] * rest[0] / 16);  // 0 to ~4 s
      rest = rest.subspan(1);
    }
    return true;
  }
};

void boot(std::uint8_t selector, Cursor c) {
  BootKeyboardDecoder decoder(layout_of(selector), options(selector));
  std::vector<ScanAssembler::Completed> out;
  std::span<const std::uint8_t> report;
  while (c.next(8, report)) {
    if (auto late = decoder.tick(c.now)) out.push_back(*late);
    decoder.feed(report, c.now, out);
  }
  if (auto dropped = decoder.abort("cable_pulled")) out.push_back(*dropped);
  for (const auto &scan : out) check_scan(scan);
}

void hid_pos(std::uint8_t selector, Cursor c) {
  HidPosAssembler assembler(options(selector), (selector & 0x10) ? 0 : 2);
  std::vector<HidPosAssembler::Completed> out;
  std::span<const std::uint8_t> report;
  const std::size_t size = (selector & 0x20) ? 64 : 9;
  while (c.next(size, report)) {
    if (auto late = assembler.tick(c.now)) out.push_back(*late);
    assembler.feed(report, c.now, out);
  }
  for (const auto &scan : out) check_scan(scan.scan);
}

void serial(std::uint8_t selector, Cursor c) {
  ScanAssembler assembler(options(selector));
  std::span<const std::uint8_t> bytes;
  while (c.next(16, bytes)) {
    for (const std::uint8_t b : bytes) {
      if (b == '\r' || b == '\n') {
        if (auto done = assembler.terminate(c.now)) check_scan(*done);
      } else {
        const char ch = static_cast<char>(b);
        for (const auto &done : assembler.add({&ch, 1}, c.now)) check_scan(done);
      }
    }
    if (auto late = assembler.tick(c.now)) check_scan(*late);
  }
}

void wedge(Cursor c) {
  WedgeOptions o;
  o.max_scan_bytes = kMaxBytes;
  WedgeAssembler assembler(o);
  std::span<const std::uint8_t> chunk;
  std::vector<WedgeOutput> out;
  while (c.next(4, chunk)) {
    const std::string_view text(reinterpret_cast<const char *>(chunk.data()), chunk.size());
    switch (chunk[0] & 7) {
      case 0:
        out = assembler.enter(c.now);
        break;
      case 1:
        out = assembler.tab(c.now);
        break;
      case 2:
        out = assembler.backspace(c.now);
        break;
      case 3:
        out = assembler.escape(c.now);
        break;
      case 4:
        out = assembler.tick(c.now);
        break;
      default:
        out = assembler.text(text, c.now);
        break;
    }
    for (const WedgeOutput &o2 : out) {
      if (const auto *scan = std::get_if<ScanEvent>(&o2)) {
        check(!scan->text.empty() && scan->text.size() <= kMaxBytes);
      }
      if (const auto *typed = std::get_if<TypedCode>(&o2)) {
        check(typed->text.size() <= o.max_field_bytes);
      }
    }
    check(assembler.field().size() <= o.max_field_bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const Cursor cursor{std::span<const std::uint8_t>(data + 1, size - 1)};
  switch (selector & 3) {
    case 0:
      boot(selector, cursor);
      break;
    case 1:
      hid_pos(selector, cursor);
      break;
    case 2:
      serial(selector, cursor);
      break;
    default:
      describe_report_descriptor(cursor.rest);
      wedge(cursor);
      break;
  }
  return 0;
}
