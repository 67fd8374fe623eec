// Headless mode with scanner readers: scans from the reader queue are answered like stdin
// lines and say which device they came from; device notices become "device" lines with a
// message for staff and the fix for the technician; the session ends on stdin's end or on
// its stop fd, answering what was already read; feedback follows every verdict.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "drivers/scan_queue.hpp"
#include "headless/headless_session.hpp"
#include "tests/firmware-host/service_fixture.hpp"

namespace comptoir::test {
namespace {

using nlohmann::json;

// Runs the session over a pipe for stdin and a memory stream for stdout.
struct PipedRun {
  int in[2] = {-1, -1};
  int stop[2] = {-1, -1};
  char *out_buf = nullptr;
  std::size_t out_size = 0;
  FILE *out = nullptr;

  PipedRun() {
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(stop) == 0);
    out = open_memstream(&out_buf, &out_size);
    REQUIRE(out != nullptr);
  }
  ~PipedRun() {
    for (int fd : {in[0], in[1], stop[0], stop[1]}) {
      if (fd >= 0) ::close(fd);
    }
    std::free(out_buf);
  }
  void write_stdin(const std::string &text) const {
    REQUIRE(::write(in[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void close_stdin() {
    ::close(in[1]);
    in[1] = -1;
  }
  std::vector<json> lines() {
    std::fclose(out);
    out = nullptr;
    std::vector<json> result;
    std::string text(out_buf, out_size);
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      result.push_back(json::parse(text.substr(start, nl - start)));
    }
    return result;
  }
};

drivers::ScanEvent scan_from(const std::string &text) {
  drivers::ScanEvent e;
  e.source = drivers::Source::usb_boot_keyboard;
  e.device_id = "usb:0c2e:0b61:1-2";
  e.text = text;
  e.layout = "us";
  e.time = std::chrono::system_clock::now();
  return e;
}

}  // namespace

TEST_CASE("a scan from a reader is answered with its device, and a notice tells staff what to do") {
  ServiceFixture f;
  HeadlessSession session(*f.service, HeadlessOptions{});
  std::vector<bool> tones;
  session.set_feedback([&](bool good) { tones.push_back(good); });
  drivers::ScanQueue queue;
  PipedRun run;

  queue.scan(scan_from(f.code("ready").code));
  drivers::DeviceNotice pulled;
  pulled.kind = drivers::NoticeKind::scan_dropped;
  pulled.device_id = "usb:0c2e:0b61:1-2";
  pulled.reason = "cable_pulled";
  pulled.detail = "device gone in the middle of a scan (12 characters dropped)";
  queue.notice(pulled);
  run.write_stdin(f.code("cancelled").code + "\n");
  run.close_stdin();

  session.run(run.in[0], run.out, HeadlessEvents{&queue, -1, true, {}, {}});
  const std::vector<json> lines = run.lines();
  REQUIRE(lines.size() == 3);
  // Scanner input is served first when both are waiting.
  CHECK(lines[0]["verdict"] == "ready");
  CHECK(lines[0]["source"] == "usb-boot-keyboard");
  CHECK(lines[0]["device"] == "usb:0c2e:0b61:1-2");
  CHECK(lines[0]["scanner_layout"] == "us");
  CHECK(lines[1]["type"] == "device");
  CHECK(lines[1]["event"] == "scan_dropped");
  CHECK(lines[1]["reason"] == "cable_pulled");
  CHECK(lines[1]["message"].get<std::string>().find("rebranchez") != std::string::npos);
  CHECK(lines[2]["verdict"] == "cancelled");
  CHECK_FALSE(lines[2].contains("source"));  // typed on stdin
  CHECK(tones == std::vector<bool>{true, false, false});
}

TEST_CASE(
    "with stdin not ending the session, scans keep coming until the stop fd, and the last ones are "
    "answered") {
  ServiceFixture f;
  HeadlessSession session(*f.service, HeadlessOptions{});
  drivers::ScanQueue queue;
  PipedRun run;
  run.close_stdin();  // as /dev/null under systemd

  std::thread reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    queue.scan(scan_from(f.code("ready").code));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    queue.scan(scan_from("4006381333931"));  // a product barcode
    REQUIRE(::write(run.stop[1], "x", 1) == 1);
  });
  // A reader pushes a last scan while it is being stopped: it is still answered.
  bool stopped = false;
  const auto stop_readers = [&] {
    queue.scan(scan_from(f.code("not_ready").code));
    stopped = true;
  };
  session.run(run.in[0], run.out, HeadlessEvents{&queue, run.stop[0], false, stop_readers, {}});
  reader.join();
  const std::vector<json> lines = run.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["verdict"] == "ready");
  CHECK(lines[1]["verdict"] == "not_a_pickup_code");
  CHECK(lines[1]["detail"] == "product_barcode");
  CHECK(stopped);
  CHECK(lines[2]["verdict"] == "not_ready");
  CHECK(queue.size() == 0);
}

TEST_CASE("a device that cannot be opened says so in both languages, with the fix") {
  ServiceFixture f;
  HeadlessSession fr(*f.service, HeadlessOptions{});
  HeadlessOptions english;
  english.lang = Lang::en;
  HeadlessSession en(*f.service, english);
  drivers::DeviceNotice n;
  n.kind = drivers::NoticeKind::device_unusable;
  n.device_id = "evdev:/dev/input/event5";
  n.reason = "no_permission";
  n.fix = "add a udev rule: SUBSYSTEM==\"input\", GROUP=\"comptoir\"";
  const json a = json::parse(fr.handle_notice(n));
  const json b = json::parse(en.handle_notice(n));
  CHECK(a["event"] == "device_unusable");
  CHECK(a["message"].get<std::string>().find("droits") != std::string::npos);
  CHECK(b["message"].get<std::string>().find("permission") != std::string::npos);
  CHECK(a["fix"] == n.fix);
}

TEST_CASE("a flood of scans is bounded by the queue, and the overflow is said once") {
  drivers::ScanQueue queue(8);
  for (int i = 0; i < 100; ++i) queue.scan(scan_from("C-" + std::to_string(i)));
  CHECK(queue.size() == 8);
  int scans = 0, full = 0;
  while (auto item = queue.pop()) {
    if (std::holds_alternative<drivers::ScanEvent>(*item)) ++scans;
    if (const auto *n = std::get_if<drivers::DeviceNotice>(&*item))
      full += n->reason == "queue_full";
  }
  CHECK(scans == 7);
  CHECK(full == 1);
  // Emptied, the queue takes scans again and its fd is no longer readable.
  char buf[8];
  CHECK(::read(queue.wait_fd(), buf, sizeof buf) < 0);
  queue.scan(scan_from("C-1"));
  CHECK(queue.size() == 1);
}

}  // namespace comptoir::test
