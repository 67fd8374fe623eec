// A Kiosk over the real PickupService and a real demo cache (ServiceFixture), with a host
// that records what the kiosk asked of the machine (tones, PIN checks, languages) and
// answers with what the test set up. The French catalog comes from the build tree. The
// wall clock can be set back or forward without the monotonic one moving.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/firmware-host/service_fixture.hpp"
#include "ui/i18n.hpp"
#include "ui/kiosk.hpp"
#include "ui/view_models.hpp"

namespace comptoir::test {

// init_i18n on the catalog this build compiled, every time: a case that pointed gettext
// elsewhere (i18n_test) must not decide the next case's words, whatever the order.
inline void use_build_catalog() {
  ::setenv("COMPTOIR_LOCALEDIR", COMPTOIR_TEST_LOCALEDIR, 1);
  std::string why;
  REQUIRE_MESSAGE(ui::init_i18n(&why), "init_i18n: " << why);
}

// The fixture's ManualClock, with a wall clock that can be set back or forward by itself,
// as NTP or a technician does.
class SkewedClock final : public Clock {
 public:
  explicit SkewedClock(const ManualClock &base) : base_(base) {}
  std::int64_t wall_ms() const override { return base_.wall_ms() + skew_ms_; }
  std::int64_t mono_ns() const override { return base_.mono_ns(); }
  void set_wall_by_ms(std::int64_t ms) { skew_ms_ += ms; }
  void reset_wall() { skew_ms_ = 0; }  // back in step with the ManualClock

 private:
  const ManualClock &base_;
  std::int64_t skew_ms_ = 0;
};

class RecordingHost final : public ui::KioskHost {
 public:
  std::vector<bool> tones;  // feedback(good), in order
  std::vector<drivers::DeviceCandidate> found;
  std::vector<ui::SelfTestItem> checks;
  std::optional<std::string> pin = "1234";  // nullopt: none set
  std::vector<std::string> pins_tried;
  std::vector<Lang> languages;
  int device_lists = 0;

  void feedback(bool good) override { tones.push_back(good); }
  std::vector<drivers::DeviceCandidate> devices() override {
    ++device_lists;
    return found;
  }
  std::vector<ui::SelfTestItem> self_test() override { return checks; }
  Result<bool> check_pin(std::string_view tried) override {
    pins_tried.emplace_back(tried);
    if (!pin) return make_error("no_pin", "no technician PIN set: comptoir-provision set-pin");
    return tried == *pin;
  }
  void language_changed(Lang lang) override { languages.push_back(lang); }
  // Enrolment (kiosk_enrol_test.cpp): the portal this appliance is enrolled with, and the
  // enrolments asked for (request number, QR code's text), answered by the test.
  std::optional<ui::EnrolledFacts> enrolled;
  std::vector<std::pair<std::uint64_t, std::string>> enrolments;
  std::optional<ui::EnrolledFacts> enrolment() override { return enrolled; }
  void enrol(std::uint64_t request, const std::string &qr) override {
    enrolments.emplace_back(request, qr);
  }
};

struct KioskFixture : ServiceFixture {
  RecordingHost host;
  SkewedClock skewed{clock};  // the kiosk's and the core's clock
  std::unique_ptr<ui::Kiosk> kiosk;

  explicit KioskFixture(ui::KioskOptions options = {}, std::int64_t orders = 40)
      : ServiceFixture(orders) {
    use_build_catalog();
    service =
        std::make_unique<PickupService>(*database, skewed, Identity{region.local_stand, kDevice});
    if (options.staff.empty()) options.staff = "Martin";
    if (options.data_dir.empty()) options.data_dir = dir.path().string();
    options.version = "0.1.0-test";
    kiosk = std::make_unique<ui::Kiosk>(*service, host, skewed, options);
  }

  const ui::KioskState &st() const { return kiosk->state(); }
  std::int64_t now() const { return skewed.wall_ms(); }

  void press(ui::Action::Kind kind, std::string text = {}, int line = 0) {
    ui::Action a;
    a.kind = kind;
    a.text = std::move(text);
    a.line = line;
    kiosk->act(a);
  }

  // The buttons the screen shows now (verdict, order, scan's undo bar, technician).
  std::vector<ui::Button> buttons() const {
    switch (st().screen) {
      case ui::Screen::verdict: {
        ui::VerdictView v = ui::verdict_view(*kiosk, now());
        v.buttons.insert(v.buttons.end(), v.refuse_reasons.begin(), v.refuse_reasons.end());
        return v.buttons;
      }
      case ui::Screen::order: {
        ui::OrderView v = ui::order_view(*kiosk, now());
        v.buttons.insert(v.buttons.end(), v.refuse_reasons.begin(), v.refuse_reasons.end());
        return v.buttons;
      }
      case ui::Screen::scan: {
        const ui::ScanView v = ui::scan_view(st(), now());
        if (v.undo) return {v.undo->undo};
        return {};
      }
      case ui::Screen::technician:
        return ui::technician_view(*kiosk, now()).buttons;
      default:
        return {};
    }
  }
  // The button of this kind on screen now (the nth: refusal reasons), or nullopt.
  std::optional<ui::Button> button(ui::Action::Kind kind, int nth = 0) const {
    for (const ui::Button &b : buttons()) {
      if (b.action.kind == kind && nth-- == 0) return b;
    }
    return std::nullopt;
  }
  // A tap on that button, as the draw code reports it (enabled or not: a tap racing the
  // screen's change); the button is required to be there.
  ui::Action tap(ui::Action::Kind kind, int nth = 0) {
    const auto b = button(kind, nth);
    REQUIRE_MESSAGE(b.has_value(), "no button " << static_cast<int>(kind) << " on screen "
                                                << ui::to_string(st().screen));
    const ui::Action a = b->action;
    kiosk->act(a);
    return a;
  }
  // Remis; Refuser then a reason (typed, when not one of the buttons'), as on screen.
  void hand_over() { tap(ui::Action::Kind::hand_over); }
  void refuse(std::string reason) {
    if (!st().refusing) tap(ui::Action::Kind::start_refuse);
    ui::Action a = tap_action(ui::Action::Kind::refuse);
    a.text = std::move(reason);
    kiosk->act(a);
  }
  // The action a button would send, without sending it.
  ui::Action tap_action(ui::Action::Kind kind, int nth = 0) const {
    const auto b = button(kind, nth);
    REQUIRE(b.has_value());
    return b->action;
  }

  // Time passes on both clocks, and the kiosk is driven as the app drives it: sleep for
  // next_wait_ms(), then tick() when it says a tick is due.
  void wait_ms(std::int64_t ms) {
    std::int64_t left = ms;
    for (int guard = 0; guard < 100'000; ++guard) {
      const auto wait = kiosk->next_wait_ms();
      if (!wait || *wait > left) break;
      clock.advance_ms(*wait);
      left -= *wait;
      tick_if_due();
    }
    clock.advance_ms(left);
    tick_if_due();
  }
  void tick_if_due() {
    const auto wait = kiosk->next_wait_ms();
    if (wait && *wait <= 0) kiosk->tick();
  }

  // Past the scanner double-read window, so the same code reads as a new scan.
  void after_double_read_window() { clock.advance_ms(ScanDebouncer::kWindowNs / 1'000'000 + 1); }

  // A demo code with this expected verdict (orders or not).
  const provisioning::DemoCode &any_code(std::string_view verdict, int nth = 0) {
    for (const auto &c : region.codes) {
      if (c.expected_verdict == verdict && nth-- == 0) return c;
    }
    FAIL("no demo code with verdict " << std::string(verdict));
    return region.codes.front();
  }

  // The short code of an order, by number.
  std::string code_of(const std::string &number) {
    for (const auto &c : region.codes) {
      if (c.order_number == number && c.code.find('-') != std::string::npos) return c.code;
    }
    FAIL("no short code for " << number);
    return {};
  }
};

}  // namespace comptoir::test
