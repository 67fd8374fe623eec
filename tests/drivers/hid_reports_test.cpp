// drivers/hid_reports: boot-keyboard report diffing and decoding, HID-POS reports and their
// assembly, report descriptors, and garbage that must never crash. No device: pure values.
#include "drivers/hid_reports.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/drivers/hid_typing.hpp"

namespace {

using namespace comptoir::drivers;
using comptoir::test::boot_report;
using comptoir::test::hid_pos_reports;
using comptoir::test::reap_line;
using comptoir::test::Report;
using comptoir::test::token_shaped;
using comptoir::test::us_typing;
using Clock = ScanAssembler::Clock;
using namespace std::chrono_literals;

// The HID-POS report descriptor of tests/fixtures/usb/hid-pos-scanner.umockdev: a Bar Code
// Scanner application, its Scanned Data Report (ID 2): byte count, 3 AIM bytes, 56 decoded
// data bytes, 2 vendor bytes, the Decode Data Continued bit.
const std::vector<std::uint8_t> kHidPosDescriptor = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02, 0x15, 0x00, 0x26,
    0xFF, 0x00, 0x75, 0x08, 0x95, 0x01, 0x05, 0x01, 0x09, 0x3B, 0x81, 0x02, 0x95, 0x03, 0x05,
    0x8C, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02, 0x95, 0x38, 0x09, 0xFE, 0x82, 0x02,
    0x01, 0x95, 0x02, 0x06, 0x66, 0xFF, 0x09, 0x01, 0x09, 0x02, 0x81, 0x02, 0x05, 0x8C, 0x75,
    0x01, 0x95, 0x01, 0x25, 0x01, 0x09, 0xFF, 0x81, 0x02, 0x75, 0x07, 0x81, 0x03, 0xC0, 0xC0};

// The boot keyboard descriptor of the HID specification (appendix B.1), 63 bytes.
const std::vector<std::uint8_t> kBootKeyboardDescriptor = {
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01,
    0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x05, 0x75, 0x01,
    0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02, 0x95, 0x01, 0x75, 0x03, 0x91, 0x01, 0x95, 0x06,
    0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0};

std::vector<KeyChange> diff(BootReportDiffer &differ, const Report &report) {
  const auto changes = differ.next(report);
  return {changes.view().begin(), changes.view().end()};
}

bool same(const std::vector<KeyChange> &got, const std::vector<KeyChange> &want) {
  if (got.size() != want.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i].pressed != want[i].pressed || got[i].usage != want[i].usage) return false;
  return true;
}

// Every report through a decoder at 1 ms apart; what came out.
std::vector<ScanAssembler::Completed> type(BootKeyboardDecoder &decoder,
                                           const std::vector<Report> &reports,
                                           Clock::time_point &now) {
  std::vector<ScanAssembler::Completed> out;
  for (const Report &r : reports) {
    decoder.feed(r, now, out);
    now += 1ms;
  }
  return out;
}

std::vector<HidPosAssembler::Completed> feed(HidPosAssembler &assembler,
                                             const std::vector<Report> &reports,
                                             Clock::time_point now) {
  std::vector<HidPosAssembler::Completed> out;
  for (const Report &r : reports) assembler.feed(r, now, out);
  return out;
}

}  // namespace

TEST_CASE("boot reports: a press, a Shift with its letter, releases before presses") {
  BootReportDiffer d;
  CHECK(same(diff(d, boot_report(0, 0x04)), {{true, 0x04}}));
  CHECK(same(diff(d, boot_report(0, 0)), {{false, 0x04}}));
  // Shift goes down in the same report as the letter: the modifier comes first.
  CHECK(same(diff(d, boot_report(0x02, 0x05)), {{true, 0xE1}, {true, 0x05}}));
  // Shift goes up as the next letter goes down: the release comes first.
  CHECK(same(diff(d, boot_report(0, 0x06)), {{false, 0x05}, {false, 0xE1}, {true, 0x06}}));
  // Right Alt (bit 6) is usage 0xE6.
  CHECK(same(diff(d, boot_report(0x40, 0x06)), {{true, 0xE6}}));
}

TEST_CASE("boot reports: a key held across reports is pressed once") {
  BootReportDiffer d;
  CHECK(same(diff(d, boot_report(0, 0x04)), {{true, 0x04}}));
  CHECK(diff(d, boot_report(0, 0x04)).empty());
  // A second key joins in another slot, and the first moves slot: only the new key counts.
  CHECK(same(diff(d, {0, 0, 0x05, 0x04, 0, 0, 0, 0}), {{true, 0x05}}));
  CHECK(same(diff(d, {0, 0, 0x05, 0, 0, 0, 0, 0}), {{false, 0x04}}));
}

TEST_CASE("boot reports: the same key twice in a row, with the all-released report between") {
  BootReportDiffer d;
  CHECK(same(diff(d, boot_report(0, 0x1E)), {{true, 0x1E}}));
  CHECK(same(diff(d, boot_report(0, 0)), {{false, 0x1E}}));
  CHECK(same(diff(d, boot_report(0, 0x1E)), {{true, 0x1E}}));

  BootKeyboardDecoder decoder(Layout::us, {});
  auto now = Clock::now();
  const auto out = type(decoder, us_typing("1100"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].ok);
  CHECK(out[0].text == "1100");
}

TEST_CASE("boot reports: a rollover error report is ignored, state before it kept") {
  BootReportDiffer d;
  CHECK(same(diff(d, boot_report(0, 0x04)), {{true, 0x04}}));
  CHECK(diff(d, {0, 0, 1, 1, 1, 1, 1, 1}).empty());
  // The rollover hid which keys were down; after it, the held key is still not repeated.
  CHECK(same(diff(d, {0, 0, 0x04, 0x05, 0, 0, 0, 0}), {{true, 0x05}}));

  BootKeyboardDecoder decoder(Layout::us, {});
  auto now = Clock::now();
  const auto out = type(decoder,
                        {boot_report(0, 0x04),
                         {0, 0, 1, 1, 1, 1, 1, 1},
                         {0, 0, 0x04, 0x05, 0, 0, 0, 0},
                         boot_report(0, 0),
                         boot_report(0, 0x28),
                         boot_report(0, 0)},
                        now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "ab");
}

TEST_CASE(
    "boot reports: short reports are ignored, long ones read up to 8 bytes, duplicates once") {
  BootReportDiffer d;
  CHECK(diff(d, {}).empty());
  CHECK(diff(d, {0x02, 0}).empty());
  CHECK(same(diff(d, {0, 0, 0x04, 0x04, 0, 0, 0, 0, 0x05, 0x06}), {{true, 0x04}}));
  CHECK(same(diff(d, {0, 0, 0x07}), {{false, 0x04}, {true, 0x07}}));
}

TEST_CASE("boot keyboard decoder: a token-shaped scan through the us layout, ended by Enter") {
  const std::string token = token_shaped(7);
  REQUIRE(token.size() == 131);
  BootKeyboardDecoder decoder(Layout::us, {});
  auto now = Clock::now();
  auto out = type(decoder, us_typing(token), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].ok);
  CHECK(out[0].text == token);
  CHECK_FALSE(decoder.pending());
  // Tab ends a scan too.
  auto reports = us_typing("AB12", false);
  reports.push_back(boot_report(0, 0x2B));
  reports.push_back(boot_report(0, 0));
  out = type(decoder, reports, now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "AB12");
}

TEST_CASE("boot keyboard decoder: the layout decides what a key gives (fr digits need Shift)") {
  BootKeyboardDecoder fr(Layout::fr, {});
  auto now = Clock::now();
  // Keys 1 and Q of a US keyboard: unshifted on AZERTY they give & and a.
  auto out =
      type(fr,
           {boot_report(0, 0x1E), boot_report(0, 0), boot_report(0x02, 0x1E), boot_report(0, 0),
            boot_report(0, 0x14), boot_report(0, 0), boot_report(0, 0x28), boot_report(0, 0)},
           now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "&1a");
  CHECK(fr.layout() == Layout::fr);
}

TEST_CASE("boot keyboard decoder: quiet gap, stale partial scan, abort when the cable is pulled") {
  AssemblerOptions gap;
  gap.quiet_gap = 50ms;
  BootKeyboardDecoder quiet(Layout::us, gap);
  auto now = Clock::now();
  CHECK(type(quiet, us_typing("ABC", false), now).empty());
  REQUIRE(quiet.deadline());
  CHECK_FALSE(quiet.tick(now));
  auto ended = quiet.tick(now + 60ms);
  REQUIRE(ended);
  CHECK(ended->ok);
  CHECK(ended->text == "ABC");

  BootKeyboardDecoder decoder(Layout::us, {});
  CHECK(type(decoder, us_typing("ZA1QQ", false), now).empty());
  // Pulled while Shift is down: the next scan must not start shifted.
  std::vector<ScanAssembler::Completed> out;
  decoder.feed(boot_report(0x02, 0), now, out);
  auto dropped = decoder.abort("cable_pulled");
  REQUIRE(dropped);
  CHECK_FALSE(dropped->ok);
  CHECK(dropped->reason == "cable_pulled");
  CHECK(dropped->text == "ZA1QQ");
  out = type(decoder, {boot_report(0, 0x04), boot_report(0, 0), boot_report(0, 0x28)}, now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "a");
}

TEST_CASE("boot keyboard decoder: a 10 kB flood is one too_long drop, then scans go on") {
  AssemblerOptions options;
  options.max_bytes = 4096;
  BootKeyboardDecoder decoder(Layout::us, options);
  auto now = Clock::now();
  std::vector<Report> flood;
  for (int i = 0; i < 10240; ++i) {
    flood.push_back(boot_report(0, 0x1E + static_cast<std::uint8_t>(i % 2)));
    flood.push_back(boot_report(0, 0));
  }
  auto out = type(decoder, flood, now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].ok);
  CHECK(out[0].reason == "too_long");
  CHECK(out[0].text.size() <= 64);
  // The flood ends with Enter; the next scan is whole.
  out = type(decoder, {boot_report(0, 0x28), boot_report(0, 0)}, now);
  CHECK(out.empty());
  const std::string token = token_shaped(8);
  out = type(decoder, us_typing(token), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == token);
}

TEST_CASE("hid-pos: a report's fields, the length clipped to the data area") {
  const auto reports = hid_pos_reports("4006381333931", "]E0");
  REQUIRE(reports.size() == 1);
  auto parsed = parse_hid_pos_report(reports[0]);
  REQUIRE(parsed);
  CHECK(parsed->report_id == 2);
  CHECK(parsed->aim == "]E0");
  CHECK(parsed->data == "4006381333931");
  CHECK(parsed->vendor_symbology == 's');
  CHECK_FALSE(parsed->continued);
  CHECK(symbology_from_aim(parsed->aim) == "EAN-13");

  Report lying = reports[0];
  lying[1] = 200;  // more than the 56 bytes the report holds
  parsed = parse_hid_pos_report(lying);
  REQUIRE(parsed);
  CHECK(parsed->data.size() == 56);

  Report other = reports[0];
  other[0] = 4;  // a trigger report, not scanned data
  CHECK_FALSE(parse_hid_pos_report(other));
  CHECK_FALSE(parse_hid_pos_report(Report(7, 2)));
  // Scanners with no report ID: the length comes first.
  Report no_id(reports[0].begin() + 1, reports[0].end());
  parsed = parse_hid_pos_report(no_id, 0);
  REQUIRE(parsed);
  CHECK(parsed->data == "4006381333931");
  // No AIM identifier sent.
  Report no_aim = reports[0];
  no_aim[2] = no_aim[3] = no_aim[4] = 0;
  parsed = parse_hid_pos_report(no_aim);
  REQUIRE(parsed);
  CHECK(parsed->aim.empty());
}

TEST_CASE("hid-pos: symbologies from AIM identifiers") {
  CHECK(symbology_from_aim("]Q1") == "QRCode");
  CHECK(symbology_from_aim("]C0") == "Code128");
  CHECK(symbology_from_aim("]C1") == "GS1-128");
  CHECK(symbology_from_aim("]E4") == "EAN-8");
  CHECK(symbology_from_aim("]d1") == "DataMatrix");
  CHECK(symbology_from_aim("]z0") == "Aztec");
  CHECK(symbology_from_aim("]X0").empty());
  CHECK(symbology_from_aim("Q1").empty());
  CHECK(symbology_from_aim("").empty());
}

TEST_CASE("hid-pos: a scan continued across reports is one scan, with its symbology") {
  const std::string token = token_shaped(9);
  const auto reports = hid_pos_reports(token);
  REQUIRE(reports.size() == 3);  // 56 + 56 + 19
  CHECK(reports[0][63] == 1);
  CHECK(reports[2][63] == 0);
  HidPosAssembler assembler({});
  auto out = feed(assembler, {reports[0], reports[1]}, Clock::now());
  CHECK(out.empty());
  CHECK(assembler.pending());
  out = feed(assembler, {reports[2]}, Clock::now());
  REQUIRE(out.size() == 1);
  CHECK(out[0].scan.ok);
  CHECK(out[0].scan.text == token);
  CHECK(out[0].symbology == "QRCode");

  // A CR suffix is no part of the scan; an empty scan is nothing.
  out = feed(assembler, hid_pos_reports("AB12\r\n", "]C0"), Clock::now());
  REQUIRE(out.size() == 1);
  CHECK(out[0].scan.text == "AB12");
  CHECK(out[0].symbology == "Code128");
  CHECK(feed(assembler, hid_pos_reports(""), Clock::now()).empty());
}

TEST_CASE("hid-pos: the size is bounded, a continued scan never finished goes stale") {
  AssemblerOptions options;
  options.max_bytes = 200;
  HidPosAssembler assembler(options);
  auto flood = hid_pos_reports(std::string(10240, 'X'));
  const Report last = flood.back();
  flood.pop_back();
  auto now = Clock::now();
  auto out = feed(assembler, flood, now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].scan.ok);
  CHECK(out[0].scan.reason == "too_long");
  CHECK(feed(assembler, {last}, now).empty());  // the end of the flood: nothing more
  out = feed(assembler, hid_pos_reports("NEXT"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].scan.text == "NEXT");

  HidPosAssembler stale({});
  const auto halves = hid_pos_reports(std::string(80, 'Y'));
  CHECK(feed(stale, {halves[0]}, now).empty());
  auto dropped = stale.tick(now + 3s);
  REQUIRE(dropped);
  CHECK(dropped->scan.reason == "no_terminator");
  auto pulled = HidPosAssembler({});
  CHECK(feed(pulled, {halves[0]}, now).empty());
  auto aborted = pulled.abort("cable_pulled");
  REQUIRE(aborted);
  CHECK(aborted->scan.reason == "cable_pulled");
  CHECK(aborted->scan.text == std::string(56, 'Y').substr(0, 56));
}

TEST_CASE("hid-pos: a quiet gap never ends a scan between continued reports") {
  // The reader is configured with a quiet gap for a boot-mode scanner with no suffix; the
  // same config resolving to HID-POS (mode auto) must not serve the first report alone.
  AssemblerOptions options;
  options.quiet_gap = 40ms;
  HidPosAssembler assembler(options);
  const std::string qr(100, 'Q');
  const auto reports = hid_pos_reports(qr);
  REQUIRE(reports.size() == 2);
  const auto start = Clock::now();
  CHECK(feed(assembler, {reports[0]}, start).empty());
  // A pause much longer than the gap, still short of going stale.
  const auto deadline = assembler.deadline();
  REQUIRE(deadline);
  CHECK(*deadline > start + 1s);
  CHECK_FALSE(assembler.tick(start + 500ms));
  CHECK(assembler.pending());
  const auto out = feed(assembler, {reports[1]}, start + 600ms);
  REQUIRE(out.size() == 1);
  CHECK(out[0].scan.ok);
  CHECK(out[0].scan.text == qr);
}

TEST_CASE("report descriptors: HID-POS, boot keyboard, truncated") {
  const auto pos = describe_report_descriptor(kHidPosDescriptor);
  CHECK(pos.parsed);
  CHECK(pos.barcode_scanner);
  CHECK_FALSE(pos.keyboard);
  CHECK(pos.uses_report_ids);
  CHECK(pos.scanned_data_report_id == 2);

  const auto kbd = describe_report_descriptor(kBootKeyboardDescriptor);
  CHECK(kbd.parsed);
  CHECK(kbd.keyboard);
  CHECK_FALSE(kbd.barcode_scanner);
  CHECK_FALSE(kbd.uses_report_ids);

  // Cut in the middle of a 2-byte item: what was read before still counts, parsed is false.
  const std::vector<std::uint8_t> cut(kHidPosDescriptor.begin(), kHidPosDescriptor.begin() + 16);
  const auto partial = describe_report_descriptor(cut);
  CHECK_FALSE(partial.parsed);
  CHECK(partial.barcode_scanner);
  CHECK_FALSE(describe_report_descriptor({}).barcode_scanner);
  // A long item is skipped whole.
  std::vector<std::uint8_t> with_long = {0xFE, 0x02, 0x10, 0xAA, 0xBB};
  with_long.insert(with_long.end(), kHidPosDescriptor.begin(), kHidPosDescriptor.end());
  CHECK(describe_report_descriptor(with_long).barcode_scanner);
}

TEST_CASE("garbage reports and descriptors never crash, and scans stay bounded") {
  std::mt19937 rng(4);
  AssemblerOptions options;
  options.max_bytes = 300;
  BootKeyboardDecoder boot(Layout::fr, options);
  HidPosAssembler pos(options);
  auto now = Clock::now();
  std::size_t scans = 0;
  for (int i = 0; i < 20000; ++i) {
    Report r(rng() % 70);
    for (auto &b : r) b = static_cast<std::uint8_t>(rng());
    if (!r.empty() && rng() % 2 == 0) r[0] = 2;  // often a scanned data report ID
    std::vector<ScanAssembler::Completed> a;
    std::vector<HidPosAssembler::Completed> b;
    boot.feed(r, now, a);
    pos.feed(r, now, b);
    (void)describe_report_descriptor(r);
    (void)parse_hid_pos_report(r, static_cast<std::uint8_t>(rng() % 3));
    for (const auto &c : a) {
      CHECK(c.text.size() <= options.max_bytes);
      scans += c.ok;
    }
    for (const auto &c : b) CHECK(c.scan.text.size() <= options.max_bytes);
    now += 1ms;
    if (i % 1000 == 0) {
      (void)boot.tick(now + 10s);
      (void)pos.tick(now + 10s);
    }
  }
  CHECK(scans > 0);  // random keys do hit Enter and Tab: the decoder was exercised
}

TEST_CASE("the committed HID-POS ioctl fixture is what the test generator makes") {
  std::ifstream in(std::string(COMPTOIR_USB_FIXTURES) + "/hid-pos-scanner.ioctl");
  REQUIRE(in);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#' && line[0] != '@') lines.push_back(line);
  std::vector<std::string> want;
  const std::string qr =
      "https://portail.example/retrait/ZA1Q8W2B7N0MRT5KXC9V4JH6PGY3DFSA-2026-0042-STAND-17-OK";
  for (const auto &r : hid_pos_reports("4006381333931", "]E0")) want.push_back(reap_line(r, 64));
  for (const auto &r : hid_pos_reports(qr, "]Q1")) want.push_back(reap_line(r, 64));
  CHECK(lines == want);
  // And the assembler reads it back: the EAN, then the QR text from two reports.
  HidPosAssembler assembler({});
  std::vector<HidPosAssembler::Completed> out;
  for (const auto &r : hid_pos_reports("4006381333931", "]E0"))
    assembler.feed(r, Clock::now(), out);
  for (const auto &r : hid_pos_reports(qr, "]Q1")) assembler.feed(r, Clock::now(), out);
  REQUIRE(out.size() == 2);
  CHECK(out[1].scan.text == qr);
}
