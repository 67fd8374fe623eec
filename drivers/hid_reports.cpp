#include "drivers/hid_reports.hpp"

#include <algorithm>
#include <utility>

namespace comptoir::drivers {
namespace {

constexpr std::uint8_t kFirstModifier = 0xE0;

bool is_phantom(std::span<const std::uint8_t> keys) {
  // ErrorRollOver, POSTFail, ErrorUndefined fill every key slot.
  return !keys.empty() && std::all_of(keys.begin(), keys.end(), [](std::uint8_t usage) {
    return usage >= kUsageErrorRollOver && usage <= 0x03;
  });
}

bool holds(std::span<const std::uint8_t> keys, std::uint8_t usage) {
  return std::find(keys.begin(), keys.end(), usage) != keys.end();
}

}  // namespace

// ---- BootReportDiffer --------------------------------------------------------------------

BootReportDiffer::Changes BootReportDiffer::next(std::span<const std::uint8_t> report) {
  Changes changes;
  if (report.size() < 3) return changes;
  std::array<std::uint8_t, kBootReportSize> current{};
  std::copy_n(report.begin(), std::min(report.size(), kBootReportSize), current.begin());
  const std::span<const std::uint8_t> keys(current.data() + 2, kBootReportSize - 2);
  if (is_phantom(keys)) return changes;

  const std::span<const std::uint8_t> before(previous_.data() + 2, kBootReportSize - 2);
  auto add = [&changes](bool pressed, std::uint8_t usage) {
    changes.items[changes.size++] = KeyChange{pressed, usage};
  };
  // Slot 0 marks "no key"; a usage listed twice in one report counts once.
  auto first_in = [](std::span<const std::uint8_t> slots, std::size_t i) {
    return slots[i] != 0 && std::find(slots.begin(), slots.begin() + static_cast<long>(i),
                                      slots[i]) == slots.begin() + static_cast<long>(i);
  };
  for (std::size_t i = 0; i < before.size(); ++i)
    if (first_in(before, i) && !holds(keys, before[i])) add(false, before[i]);
  const std::uint8_t mods_before = previous_[0];
  const std::uint8_t mods_now = current[0];
  for (unsigned bit = 0; bit < 8; ++bit)
    if ((mods_before & (1u << bit)) != 0 && (mods_now & (1u << bit)) == 0)
      add(false, static_cast<std::uint8_t>(kFirstModifier + bit));
  for (unsigned bit = 0; bit < 8; ++bit)
    if ((mods_before & (1u << bit)) == 0 && (mods_now & (1u << bit)) != 0)
      add(true, static_cast<std::uint8_t>(kFirstModifier + bit));
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (first_in(keys, i) && !holds(before, keys[i])) add(true, keys[i]);

  previous_ = current;
  return changes;
}

// ---- BootKeyboardDecoder -----------------------------------------------------------------

BootKeyboardDecoder::BootKeyboardDecoder(Layout layout, AssemblerOptions options)
    : keys_(layout), assembler_(options) {}

void BootKeyboardDecoder::feed(std::span<const std::uint8_t> report, Clock::time_point now,
                               std::vector<Completed> &out) {
  const auto changes = differ_.next(report);
  for (const KeyChange &change : changes.view()) {
    if (!change.pressed) {
      keys_.release(change.usage);
      continue;
    }
    KeyDecoder::Output key = keys_.press(change.usage);
    switch (key.kind) {
      case KeyDecoder::Output::Kind::none:
        break;
      case KeyDecoder::Output::Kind::text:
        for (auto &ended : assembler_.add(key.text, now)) out.push_back(std::move(ended));
        break;
      case KeyDecoder::Output::Kind::terminator:
        // A dead key still pending when Enter comes is its accent, typed before the end.
        if (!key.text.empty())
          for (auto &ended : assembler_.add(key.text, now)) out.push_back(std::move(ended));
        if (auto ended = assembler_.terminate(now)) out.push_back(std::move(*ended));
        break;
    }
  }
}

std::optional<BootKeyboardDecoder::Completed> BootKeyboardDecoder::abort(std::string_view reason) {
  differ_.reset();
  keys_.reset();
  return assembler_.abort(reason);
}

// ---- HID-POS -----------------------------------------------------------------------------

std::optional<HidPosReport> parse_hid_pos_report(std::span<const std::uint8_t> report,
                                                 std::uint8_t report_id) {
  // [ID] length, 3 AIM bytes, data, vendor symbology, reserved, flags.
  const std::size_t head = report_id != 0 ? 2 : 1;
  constexpr std::size_t kAim = 3;
  constexpr std::size_t kTail = 3;
  if (report.size() < head + kAim + kTail) return std::nullopt;
  if (report_id != 0 && report[0] != report_id) return std::nullopt;

  HidPosReport parsed;
  parsed.report_id = report_id != 0 ? report[0] : 0;
  const std::size_t capacity = report.size() - head - kAim - kTail;
  const std::size_t length = std::min<std::size_t>(report[head - 1], capacity);
  const auto aim = report.subspan(head, kAim);
  // Scanners set to send no AIM identifier leave these bytes NUL.
  if (aim[0] == ']')
    parsed.aim.assign(aim.begin(), std::find(aim.begin(), aim.end(), std::uint8_t{0}));
  const auto data = report.subspan(head + kAim, length);
  parsed.data.assign(data.begin(), data.end());
  parsed.vendor_symbology = report[report.size() - 3];
  parsed.continued = (report[report.size() - 1] & 0x01) != 0;
  return parsed;
}

std::string symbology_from_aim(std::string_view aim) {
  if (aim.size() < 2 || aim[0] != ']') return {};
  const char modifier = aim.size() >= 3 ? aim[2] : '0';
  switch (aim[1]) {
    case 'Q':
      return "QRCode";
    case 'd':
      return "DataMatrix";
    case 'z':
      return "Aztec";
    case 'L':
      return "PDF417";
    case 'U':
      return "MaxiCode";
    case 'C':
      return modifier == '1' ? "GS1-128" : "Code128";
    case 'A':
      return "Code39";
    case 'G':
      return "Code93";
    case 'F':
      return "Codabar";
    case 'I':
      return "ITF";
    case 'e':
      return "DataBar";
    case 'E':
      return modifier == '4' ? "EAN-8" : "EAN-13";
    default:
      return {};
  }
}

namespace {
// A HID-POS scan ends on the report without "continued", not on a pause: no quiet gap.
AssemblerOptions without_quiet_gap(AssemblerOptions options) {
  options.quiet_gap = std::chrono::milliseconds(0);
  return options;
}
}  // namespace

HidPosAssembler::HidPosAssembler(AssemblerOptions options, std::uint8_t report_id)
    : assembler_(without_quiet_gap(options)), report_id_(report_id) {}

void HidPosAssembler::feed(std::span<const std::uint8_t> report, Clock::time_point now,
                           std::vector<Completed> &out) {
  auto parsed = parse_hid_pos_report(report, report_id_);
  if (!parsed) return;
  auto emit = [this, &out](ScanAssembler::Completed done) {
    out.push_back(Completed{std::move(done), symbology_});
  };
  // The first report of a scan names its symbology.
  if (!assembler_.pending()) symbology_ = symbology_from_aim(parsed->aim);
  std::string_view data = parsed->data;
  if (!parsed->continued) {
    while (!data.empty() && (data.back() == '\r' || data.back() == '\n')) data.remove_suffix(1);
  }
  for (auto &ended : assembler_.add(data, now)) emit(std::move(ended));
  if (!parsed->continued) {
    if (auto ended = assembler_.terminate(now)) emit(std::move(*ended));
  }
}

std::optional<HidPosAssembler::Completed> HidPosAssembler::tick(Clock::time_point now) {
  auto ended = assembler_.tick(now);
  if (!ended) return std::nullopt;
  return Completed{std::move(*ended), symbology_};
}

std::optional<HidPosAssembler::Completed> HidPosAssembler::abort(std::string_view reason) {
  auto ended = assembler_.abort(reason);
  if (!ended) return std::nullopt;
  return Completed{std::move(*ended), symbology_};
}

// ---- Report descriptors ------------------------------------------------------------------

ReportDescriptorInfo describe_report_descriptor(std::span<const std::uint8_t> descriptor) {
  ReportDescriptorInfo info;
  constexpr std::uint32_t kScannedDataReport = 0x008C0012;
  constexpr std::size_t kMaxDepth = 32;  // deeper than any real device; bounds the stack below

  std::uint32_t usage_page = 0;
  std::uint8_t report_id = 0;
  // The first local usage since the last main item (0: none; no usage is 0 on its page 0).
  std::uint32_t usage = 0;
  // For each open collection: whether it (or one around it) is a Scanned Data Report.
  std::vector<bool> in_scanned_data;
  bool scanned_data_id_found = false;

  std::size_t at = 0;
  while (at < descriptor.size()) {
    const std::uint8_t prefix = descriptor[at];
    if (prefix == 0xFE) {  // long item: size in the next byte, skipped
      if (at + 3 > descriptor.size()) return info;
      const std::size_t size = descriptor[at + 1];
      if (at + 3 + size > descriptor.size()) return info;
      at += 3 + size;
      continue;
    }
    static constexpr std::size_t kSizes[4] = {0, 1, 2, 4};
    const std::size_t size = kSizes[prefix & 0x03];
    if (at + 1 + size > descriptor.size()) return info;
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < size; ++i)
      value |= static_cast<std::uint32_t>(descriptor[at + 1 + i]) << (8 * i);
    const unsigned type = (prefix >> 2) & 0x03;  // 0 main, 1 global, 2 local
    const unsigned tag = prefix >> 4;
    at += 1 + size;

    if (type == 1) {
      if (tag == 0x0) usage_page = value & 0xFFFF;  // Usage Page
      if (tag == 0x8) {                             // Report ID
        report_id = static_cast<std::uint8_t>(value);
        info.uses_report_ids = true;
      }
    } else if (type == 2) {
      if (tag == 0x0 && usage == 0)
        usage = size == 4 ? value : (usage_page << 16) | (value & 0xFFFF);
    } else if (type == 0) {
      if (tag == 0xA) {  // Collection
        const std::uint32_t full = usage;
        if (value == 0x01) {  // Application
          if ((full >> 16) == kUsagePageBarCodeScanner) info.barcode_scanner = true;
          if (full == 0x00010006) info.keyboard = true;
        }
        const bool outer = !in_scanned_data.empty() && in_scanned_data.back();
        if (in_scanned_data.size() < kMaxDepth)
          in_scanned_data.push_back(outer || full == kScannedDataReport);
      } else if (tag == 0xC) {  // End Collection
        if (!in_scanned_data.empty()) in_scanned_data.pop_back();
      } else if (tag == 0x8) {  // Input
        if (!scanned_data_id_found && !in_scanned_data.empty() && in_scanned_data.back()) {
          info.scanned_data_report_id = report_id;
          scanned_data_id_found = true;
        }
      }
      usage = 0;  // local items end at each main item
    }
  }
  info.parsed = true;
  return info;
}

}  // namespace comptoir::drivers
