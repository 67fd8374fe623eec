// comptoir-bench-hid: how fast USB HID reports become scans. One JSON object per line on
// stdout, notes on stderr:
//   hid_reports_per_s           boot-keyboard reports of token-shaped scans ('ZA1' + 128
//                               Crockford symbols, Enter; 264 reports a scan) through the decode
//                               path (BootReportDiffer -> KeyDecoder us -> ScanAssembler), no I/O;
//                               value = median of 7 runs
//   hid_pos_reports_per_s       the same tokens as HID-POS scanned data reports (3 a scan)
//                               through HidPosAssembler; median of 7 runs
//   hid_reports_per_s_umockdev  the real UsbHidReader (libusb, one interrupt transfer in flight)
//                               on a boot-keyboard scanner replayed by umockdev, which answers
//                               each reap at once: what the reader's event thread sustains
//                               (the replay's ioctl round trips included); median of 5 runs of
//                               8 scans (2112 reports). Measured in a child run under
//                               umockdev-wrapper; left out, with a note, when umockdev is not
//                               available.
// A real scanner sends at most 1000 reports/s (full-speed interrupt endpoint, 1 ms interval),
// so each figure is the headroom over that.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "drivers/hid_reports.hpp"
#include "tests/drivers/hid_typing.hpp"

#ifdef COMPTOIR_BENCH_UMOCKDEV
#include <umockdev.h>

#include "drivers/usb_hid_reader.hpp"
#endif

namespace {

using namespace comptoir::drivers;
using comptoir::test::Report;
using Steady = std::chrono::steady_clock;
using nlohmann::ordered_json;

constexpr int kTokens = 200;
constexpr int kRuns = 7;
constexpr long kScansTimed = 8;  // a umockdev run: about 2 s

void emit(const ordered_json &figure) {
  std::printf("%s\n", figure.dump().c_str());
  std::fflush(stdout);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

ordered_json rate_figure(const std::string &name, const std::vector<double> &rates,
                         double reports_per_scan) {
  ordered_json j;
  j["name"] = name;
  j["value"] = std::round(median(rates));
  j["unit"] = "reports/s";
  j["p50"] = std::round(median(rates));
  j["min"] = std::round(*std::min_element(rates.begin(), rates.end()));
  j["max"] = std::round(*std::max_element(rates.begin(), rates.end()));
  j["n"] = rates.size();
  j["scans_per_s"] = std::round(median(rates) / reports_per_scan);
  return j;
}

std::vector<std::string> tokens() {
  std::vector<std::string> out;
  for (int i = 0; i < kTokens; ++i) out.push_back(comptoir::test::token_shaped(1000 + i));
  return out;
}

// Returns false when a scan came out wrong: a figure for a broken decoder means nothing.
bool bench_boot_decode() {
  const auto texts = tokens();
  std::vector<Report> reports;
  for (const auto &t : texts) {
    const auto r = comptoir::test::us_typing(t);
    reports.insert(reports.end(), r.begin(), r.end());
  }
  std::vector<double> rates;
  std::vector<ScanAssembler::Completed> out;
  out.reserve(texts.size());
  for (int run = 0; run < kRuns; ++run) {
    BootKeyboardDecoder decoder(Layout::us, {});
    out.clear();
    const auto now = Steady::now();
    const auto start = Steady::now();
    for (const Report &r : reports) decoder.feed(r, now, out);
    const double s = std::chrono::duration<double>(Steady::now() - start).count();
    if (out.size() != texts.size()) return false;
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!out[i].ok || out[i].text != texts[i]) return false;
    rates.push_back(static_cast<double>(reports.size()) / s);
  }
  std::fprintf(stderr, "hid_reports_per_s: %zu reports (%d token scans) a run, %d runs\n",
               reports.size(), kTokens, kRuns);
  emit(rate_figure("hid_reports_per_s", rates,
                   static_cast<double>(reports.size()) / static_cast<double>(kTokens)));
  return true;
}

bool bench_hid_pos_decode() {
  const auto texts = tokens();
  std::vector<Report> reports;
  for (const auto &t : texts) {
    const auto r = comptoir::test::hid_pos_reports(t);
    reports.insert(reports.end(), r.begin(), r.end());
  }
  std::vector<double> rates;
  std::vector<HidPosAssembler::Completed> out;
  for (int run = 0; run < kRuns; ++run) {
    HidPosAssembler assembler({});
    out.clear();
    const auto now = Steady::now();
    const auto start = Steady::now();
    for (const Report &r : reports) assembler.feed(r, now, out);
    const double s = std::chrono::duration<double>(Steady::now() - start).count();
    if (out.size() != texts.size() || out.back().scan.text != texts.back()) return false;
    rates.push_back(static_cast<double>(reports.size()) / s);
  }
  emit(rate_figure("hid_pos_reports_per_s", rates,
                   static_cast<double>(reports.size()) / static_cast<double>(kTokens)));
  return true;
}

#ifdef COMPTOIR_BENCH_UMOCKDEV

class CountingSink final : public ScanSink {
 public:
  explicit CountingSink(std::string expected) : expected_(std::move(expected)) {}
  void scan(ScanEvent event) override {
    if (event.text == expected_)
      good.fetch_add(1);
    else
      bad.fetch_add(1);
  }
  void notice(DeviceNotice notice) override {
    if (notice.kind != NoticeKind::device_added) bad.fetch_add(1);
  }
  std::atomic<long> good{0};
  std::atomic<long> bad{0};

 private:
  std::string expected_;
};

// In the child, under umockdev-wrapper.
int bench_umockdev_replay() {
  const std::string token = comptoir::test::token_shaped(2026);
  const auto reports = comptoir::test::us_typing(token);
  const std::string dir =
      std::filesystem::temp_directory_path() / ("comptoir-bench-hid-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string script = dir + "/token.ioctl";
  comptoir::test::write_ioctl_script(script, "/dev/bus/usb/001/002", reports, 8);

  UMockdevTestbed *bed = umockdev_testbed_new();
  GError *error = nullptr;
  if (!umockdev_testbed_load_ioctl(bed, "/dev/bus/usb/001/002", script.c_str(), &error) ||
      !umockdev_testbed_add_from_file(bed, COMPTOIR_USB_FIXTURES "/boot-scanner.umockdev",
                                      &error)) {
    std::fprintf(stderr, "umockdev: %s\n", error != nullptr ? error->message : "?");
    return 1;
  }
  UsbHidReaderOptions options;
  UsbDeviceConfig device;
  device.vendor_id = 0x0c2e;
  device.product_id = 0x0b61;
  device.mode = UsbHidMode::boot;
  options.devices.push_back(device);

  std::vector<double> rates;
  int status = 0;
  for (int run = 0; run < 5; ++run) {
    CountingSink sink(token);
    UsbHidReader reader(options);
    reader.start(sink);
    // From the end of the first scan (open and claim not counted) to the end of the
    // kScansTimed-th after it: whole scans, so the figure is not rounded to a scan.
    auto wait_for = [&sink](long n) {
      const auto give_up = Steady::now() + std::chrono::seconds(10);
      while (sink.good.load() < n && Steady::now() < give_up)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      return Steady::now();
    };
    wait_for(1);
    const long first = sink.good.load();
    const auto start = Steady::now();
    const auto end = wait_for(first + kScansTimed);
    const long last = sink.good.load();
    const double s = std::chrono::duration<double>(end - start).count();
    reader.stop();
    if (first == 0 || sink.bad.load() != 0) {
      std::fprintf(stderr, "umockdev replay: %ld good scans, %ld wrong scans or notices\n",
                   sink.good.load(), sink.bad.load());
      status = 1;
      break;
    }
    rates.push_back(static_cast<double>(last - first) * static_cast<double>(reports.size()) / s);
  }
  g_object_unref(bed);
  std::filesystem::remove_all(dir);
  if (status != 0) return status;
  emit(rate_figure("hid_reports_per_s_umockdev", rates, static_cast<double>(reports.size())));
  return 0;
}

// Runs this program again under umockdev-wrapper for the replay figure.
int run_replay_child(const char *self) {
  const pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    // The preload library ahead of the sanitizer runtime, in sanitized builds.
    ::setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
    ::execlp("umockdev-wrapper", "umockdev-wrapper", self, "--umockdev-replay",
             static_cast<char *>(nullptr));
    std::fprintf(stderr, "hid_reports_per_s_umockdev: left out, umockdev-wrapper not found (%s)\n",
                 std::strerror(errno));
    ::_exit(2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) return 0;  // no umockdev: noted
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

#endif

}  // namespace

int main(int argc, char **argv) {
#ifdef COMPTOIR_BENCH_UMOCKDEV
  if (argc > 1 && std::strcmp(argv[1], "--umockdev-replay") == 0) return bench_umockdev_replay();
#endif
  (void)argc;
  if (!bench_boot_decode()) {
    std::fprintf(stderr, "hid_reports_per_s: a token scan came out wrong\n");
    return 1;
  }
  if (!bench_hid_pos_decode()) {
    std::fprintf(stderr, "hid_pos_reports_per_s: a token scan came out wrong\n");
    return 1;
  }
#ifdef COMPTOIR_BENCH_UMOCKDEV
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  return run_replay_child(ec ? argv[0] : self.c_str());
#else
  (void)argv;
  std::fprintf(stderr, "hid_reports_per_s_umockdev: left out, built without libumockdev\n");
  return 0;
#endif
}
