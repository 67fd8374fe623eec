// End to end with a scanner and no hardware: umockdev replays a USB keyboard-wedge scanner
// (tests/fixtures/usb) typing a demo pickup code, and the real `comptoir --headless` reads
// it through libusb, decodes it with the configured layout and prints the verdict, saying
// which device it came from. Also: --list-devices on the replayed device, SIGTERM ending
// a session that serves scanners, and the good tone written through SDL's disk driver.
#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/drivers/hid_typing.hpp"
#include "tests/e2e/e2e_support.hpp"

#ifndef COMPTOIR_USB_FIXTURES
#error "COMPTOIR_USB_FIXTURES must name tests/fixtures/usb"
#endif

namespace comptoir::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char *kNode = "/dev/bus/usb/001/002";

// A config that reads only the replayed scanner, in boot-keyboard mode with `layout`.
std::string write_config(const TempDir &dir, const std::string &layout) {
  const std::string path = dir.file("comptoir.toml");
  std::ofstream(path) << "[scanners]\nauto_detect = false\nevdev = false\nserial = false\n"
                         "\n[[scanners.usb]]\nvendor = \"0c2e\"\nproduct = \"0b61\"\n"
                         "mode = \"boot\"\nlayout = \""
                      << layout << "\"\n";
  return path;
}

// `comptoir ARGS` under umockdev-run, with the scanner typing `text` and Enter, over and
// over (the replay starts again at its end).
std::vector<std::string> under_umockdev(const TempDir &dir, const std::string &text,
                                        std::vector<std::string> args) {
  const std::string script = dir.file("scanner.ioctl");
  write_ioctl_script(script, kNode, us_typing(text), 8);
  // The preload library comes before the sanitizer runtime: tell ASan that is fine.
  ::setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
  std::vector<std::string> argv = {UMOCKDEV_RUN,
                                   "--device",
                                   std::string(COMPTOIR_USB_FIXTURES) + "/boot-scanner.umockdev",
                                   "--ioctl",
                                   std::string(kNode) + "=" + script,
                                   "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Reads answers until one is a verdict; the device lines before it are kept too.
std::vector<json> until_verdict(Subprocess &p) {
  std::vector<json> lines;
  while (auto line = p.read_line()) {
    lines.push_back(json::parse(*line));
    if (lines.back()["type"] == "verdict") break;
  }
  return lines;
}

}  // namespace

TEST_CASE("a replayed USB scanner typing a short code gets its verdict from comptoir --headless") {
  DemoDir demo;
  TempDir dir;
  const json ready = demo.orders_with("ready").front();
  Subprocess p(under_umockdev(
      dir, ready["code"].get<std::string>(),
      {bin("comptoir"), "--headless", "--data", demo.data, "--config", write_config(dir, "us")}));
  const std::vector<json> lines = until_verdict(p);
  INFO("stderr: " << p.stderr_text());
  REQUIRE(!lines.empty());
  REQUIRE(lines.size() >= 2);
  CHECK(lines.front()["type"] == "device");
  CHECK(lines.front()["event"] == "device_added");
  const json &v = lines.back();
  CHECK(v["verdict"] == "ready");
  CHECK(v["order_number"] == ready["order_number"]);
  CHECK(v["source"] == "usb-boot-keyboard");
  CHECK(v["device"].get<std::string>().rfind("usb:0c2e:0b61:", 0) == 0);
  CHECK(v["scanner_layout"] == "us");
  // The replay types the code again at once: a double read, answered as a repeat.
  const std::vector<json> again = until_verdict(p);
  REQUIRE(!again.empty());
  CHECK(again.back()["verdict"] == "ready");
  CHECK(again.back()["repeat"] == true);

  // stdin still open: the session goes on until SIGTERM, then ends cleanly.
  p.kill(SIGTERM);
  p.read_to_end();
  const ExitStatus status = p.wait();
  CHECK(status.exited);
  CHECK(status.code == 0);
}

TEST_CASE("a signed token from a US-set scanner read as AZERTY is repaired, with advice") {
  DemoDir demo;
  TempDir dir;
  std::string token;
  std::string order;
  for (const json &c : demo.codes) {
    if (c["expected_verdict"] == "ready" && c["code"].get<std::string>().rfind("ZA1", 0) == 0) {
      token = c["code"].get<std::string>();
      order = c["order_number"].get<std::string>();
      break;
    }
  }
  REQUIRE(token.size() == 131);
  // The scanner types for a US keyboard; the config says it types for a French one.
  Subprocess p(under_umockdev(
      dir, token,
      {bin("comptoir"), "--headless", "--data", demo.data, "--config", write_config(dir, "fr")}));
  const std::vector<json> lines = until_verdict(p);
  INFO("stderr: " << p.stderr_text());
  REQUIRE(!lines.empty());
  const json &v = lines.back();
  CHECK(v["verdict"] == "ready");
  CHECK(v["order_number"] == order);
  CHECK(v["scanner_layout"] == "fr");
  CHECK(v["layout"] == "us>fr");
  CHECK(v.contains("layout_message"));
  p.kill(SIGTERM);
  p.read_to_end();
  CHECK(p.wait().code == 0);
}

TEST_CASE("comptoir --list-devices shows the replayed scanner as read, with its layout") {
  TempDir dir;
  Subprocess p(under_umockdev(
      dir, "K7QM",
      {bin("comptoir"), "--list-devices", "--config", write_config(dir, "de"), "--lang", "en"}));
  const std::string out = p.read_to_end();
  INFO(out << p.stderr_text());
  CHECK(p.wait().code == 0);
  CHECK(out.find("[ok]") != std::string::npos);
  CHECK(out.find("usb:0c2e:0b61:") != std::string::npos);
  CHECK(out.find("layout: de") != std::string::npos);
}

TEST_CASE("with sound on, a ready scan is followed by the good tone on the audio output") {
  DemoDir demo;
  TempDir dir;
  const std::string audio = dir.file("audio.raw");
  ::setenv("SDL_AUDIODRIVER", "disk", 1);
  ::setenv("SDL_DISKAUDIOFILE", audio.c_str(), 1);
  Subprocess p({bin("comptoir"), "--headless", "--data", demo.data, "--no-scanners"});
  const std::string before_scan_bytes =
      std::to_string(std::filesystem::exists(audio) ? std::filesystem::file_size(audio) : 0);
  REQUIRE(p.write(demo.orders_with("ready").front()["code"].get<std::string>() + "\n"));
  const auto line = p.read_line();
  REQUIRE(line);
  CHECK(json::parse(*line)["verdict"] == "ready");
  // The disk driver writes in real time: wait for the 160 ms chime to be written out.
  std::this_thread::sleep_for(600ms);
  p.close_stdin();
  p.read_to_end();
  ::unsetenv("SDL_AUDIODRIVER");
  ::unsetenv("SDL_DISKAUDIOFILE");
  CHECK(p.wait().code == 0);
  REQUIRE(std::filesystem::exists(audio));
  // The sound written: signed 16-bit mono at 48 kHz, as the player opens the device. The
  // good chime is 160 ms (880 Hz then 1320 Hz); the bad buzz would be 300 ms at 220 Hz.
  std::ifstream in(audio, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::int16_t> samples;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    samples.push_back(static_cast<std::int16_t>(static_cast<unsigned char>(bytes[i]) |
                                                (static_cast<unsigned char>(bytes[i + 1]) << 8)));
  }
  std::size_t first = samples.size(), last = 0, crossings = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (samples[i] > 1000 || samples[i] < -1000) {
      first = std::min(first, i);
      last = i;
    }
    if (i > 0 && (samples[i - 1] < 0) != (samples[i] < 0)) ++crossings;
  }
  INFO("audio bytes: " << bytes.size() << ", before the scan: " << before_scan_bytes);
  REQUIRE(first < last);
  const double sounding_ms = static_cast<double>(last - first) / 48.0;
  CHECK(sounding_ms > 130);
  CHECK(sounding_ms < 200);
  // Mean frequency over the sound, from its zero crossings: ~1100 Hz for the chime (the
  // buzz would give ~220 Hz).
  const double hz = static_cast<double>(crossings) / 2.0 / (sounding_ms / 1000.0);
  CHECK(hz > 800);
  CHECK(hz < 1400);
}

}  // namespace comptoir::test
