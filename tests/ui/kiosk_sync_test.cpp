// The kiosk after a sync round (the agent's thread wakes the loop, which calls
// sync_round_done): the banner's link, events waiting and conflicts are read again, and
// the idle timeout does not restart, since nobody touched the screen.
#include <doctest/doctest.h>

#include "db/sync_store.hpp"
#include "kiosk_fixture.hpp"

namespace comptoir::test {
namespace {
using K = ui::Action::Kind;
using ui::Screen;
}  // namespace

TEST_CASE("a sync round refreshes the banner's sync state without counting as a touch") {
  ui::KioskOptions options;
  options.idle_timeout_ms = 60'000;
  KioskFixture f(options);
  CHECK(f.st().status.link == SyncLink::not_enrolled);
  CHECK(f.st().status.sync_error.empty());

  f.press(K::go_today);
  f.wait_ms(50'000);
  // What an agent's round leaves behind: a portal, the link, an error.
  const std::int64_t attempt_ms = f.now();
  REQUIRE(f.database->set_setting(db::kSettingPortalUrl, "https://portal.example.org").ok());
  db::SyncStore store(f.database->connection());
  REQUIRE(store.set_state(db::sync_key::kLink, "offline").ok());
  REQUIRE(store.set_state(db::sync_key::kLastError, "stalled").ok());
  REQUIRE(store.set_state(db::sync_key::kLastAttemptMs, std::to_string(attempt_ms)).ok());
  CHECK(f.st().status.link == SyncLink::not_enrolled);  // not read again by itself yet
  const auto revision = f.kiosk->revision();
  f.kiosk->sync_round_done();
  CHECK(f.kiosk->revision() > revision);
  CHECK(f.st().status.link == SyncLink::offline);
  CHECK(f.st().status.sync_error == "stalled");
  REQUIRE(f.st().status.last_attempt_ms);
  CHECK(*f.st().status.last_attempt_ms == attempt_ms);
  CHECK(f.st().screen == Screen::today);
  // Not a touch: the screen still goes back to scan 60 s after the last press.
  f.wait_ms(10'000);
  CHECK(f.st().screen == Screen::scan);
}

}  // namespace comptoir::test
