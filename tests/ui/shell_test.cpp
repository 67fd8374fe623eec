// The kiosk shell. Without a window: the fonts have a glyph for every character the screens
// can show (the French catalog, the verdicts' sentences, the customers' names), their sizes
// follow the window, a failed rebuild keeps the fonts in use, the state file says what the
// screen shows (and never the PIN being typed), the loop's frames are paced through a
// keyboard flood, and two taps in one pass stay two. With the real `comptoir`: a stop signal
// at any step of start-up ends it with status 0, and no display is status 3 with the reason.
#include <doctest/doctest.h>
#include <imgui.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/kiosk_harness.hpp"
#include "tests/e2e/xvfb_check.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/ui/kiosk_fixture.hpp"
#include "ui/fonts.hpp"
#include "ui/kiosk_app.hpp"
#include "ui/state_file.hpp"

namespace {

using comptoir::ui::Fonts;

const std::string kCatalog = std::string(COMPTOIR_TEST_LOCALEDIR) + "/fr/LC_MESSAGES/comptoir.mo";

// The code points of UTF-8 text (well-formed: it comes from our own catalog and sources).
std::vector<unsigned> code_points(const std::string &text) {
  std::vector<unsigned> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    unsigned c = n == 1 ? b : b & (0x7Fu >> n);
    for (int k = 1; k < n && i + k < text.size(); ++k) {
      c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    }
    out.push_back(c);
    i += static_cast<std::size_t>(n);
  }
  return out;
}

// The characters of `text` that `font` would draw as its fallback '?'.
std::string missing_glyphs(ImFont *font, const std::string &text) {
  std::string missing;
  for (const unsigned c : code_points(text)) {
    if (c < 0x20 || c == 0x7F) continue;  // line breaks and plural separators
    if (font->FindGlyphNoFallback(static_cast<ImWchar>(c)) == nullptr) {
      missing += "U+" + std::to_string(c) + " ";
    }
  }
  return missing;
}

// An ImGui context whose atlas holds the kiosk's fonts, built as the app builds them.
struct FontAtlas {
  FontAtlas(int w, int h, const std::string &extra) {
    ImGui::CreateContext();
    std::string why;
    ok = comptoir::ui::load_fonts(*ImGui::GetIO().Fonts, comptoir::ui::FontFiles{},
                                  comptoir::ui::font_sizes_for(w, h), extra, fonts, &why);
    INFO(why);
    REQUIRE(ok);
  }
  ~FontAtlas() { ImGui::DestroyContext(); }
  FontAtlas(const FontAtlas &) = delete;
  FontAtlas &operator=(const FontAtlas &) = delete;
  bool ok = false;
  Fonts fonts;
};

}  // namespace

TEST_CASE("the fonts draw every character of the French catalog and of the verdicts") {
  const std::string catalog = comptoir::ui::catalog_text(kCatalog);
  REQUIRE_MESSAGE(catalog.size() > 1000, kCatalog << " is missing or empty");
  // The signs the screens use whatever the catalog says.
  const std::string signs = "é è à ç ù â ê î ô û ë ï œ Œ € — – ’ « » … ✓ ✗ ● ≈ × · ←";
  FontAtlas atlas(800, 480, catalog);
  for (ImFont *font : {atlas.fonts.small, atlas.fonts.body, atlas.fonts.bold, atlas.fonts.big}) {
    CHECK_MESSAGE(missing_glyphs(font, catalog).empty(), missing_glyphs(font, catalog));
    CHECK_MESSAGE(missing_glyphs(font, signs).empty(), missing_glyphs(font, signs));
  }

  // Every verdict's sentence (runtime/messages, compiled in, not in the catalog), with an
  // order whose customer and stand have accents, and every title, in both languages.
  comptoir::Verdict v;
  v.order = comptoir::OrderSummary{};
  v.order->number = "C-104217";
  v.order->customer = "Hélène Œuvray-Müller";
  // Names from beyond Latin Extended-A: Romanian Ș (U+0218), Vietnamese ễ (U+1EC5), ǎ.
  const std::string names = "Ștefan Nguyễn · Țuțu Lǎzǎrescu · Trần Thị Ánh";
  for (ImFont *font : {atlas.fonts.small, atlas.fonts.body, atlas.fonts.bold, atlas.fonts.big}) {
    CHECK_MESSAGE(missing_glyphs(font, names).empty(), missing_glyphs(font, names));
  }
  v.order->due_cents = 1250;
  v.order->pickup_from = 1'790'000'000;
  v.order->pickup_until = 1'790'007'200;
  v.collected = comptoir::Collection{1'790'000'000'000, "comptoir-2", "Amélie", true, false};
  v.collect_at = comptoir::StandRef{2, "Fromagerie Léon", "Marché de Saint-Étienne"};
  std::string sentences;
  std::string titles;
  comptoir::test::use_build_catalog();
  for (int k = 0; k <= static_cast<int>(comptoir::VerdictKind::ready_unsynced); ++k) {
    v.kind = static_cast<comptoir::VerdictKind>(k);
    for (const comptoir::Lang lang : {comptoir::Lang::fr, comptoir::Lang::en}) {
      comptoir::ui::set_language(lang);
      sentences += comptoir::verdict_message(v, lang) + "\n";
      titles += comptoir::ui::verdict_look(v, lang).title + "\n";
    }
  }
  comptoir::ui::set_language(comptoir::Lang::fr);
  for (ImFont *font : {atlas.fonts.body, atlas.fonts.bold, atlas.fonts.big}) {
    CHECK_MESSAGE(missing_glyphs(font, sentences).empty(), missing_glyphs(font, sentences));
  }
  // The huge font has the letters and signs of titles only (each glyph is large).
  CHECK_MESSAGE(missing_glyphs(atlas.fonts.huge, titles).empty(),
                missing_glyphs(atlas.fonts.huge, titles));
}

TEST_CASE("a character beyond the built-in ranges is drawn once the catalog has it") {
  // ✈ (U+2708) is in DejaVu Sans but in none of the ranges the kiosk always adds: only a
  // catalog that uses it brings it in, which is what keeps the check above honest.
  const std::string plane = "\xE2\x9C\x88";
  {
    FontAtlas without(800, 480, "");
    CHECK_FALSE(missing_glyphs(without.fonts.body, plane).empty());
  }
  FontAtlas with(800, 480, "Vol " + plane + std::string(1, '\0') + "suivant");
  CHECK(missing_glyphs(with.fonts.body, plane).empty());
  CHECK(missing_glyphs(with.fonts.body, "Vol suivant").empty());
}

TEST_CASE("font sizes follow the window: 22 px text at 800x480, in proportion above") {
  const auto small = comptoir::ui::font_sizes_for(800, 480);
  CHECK(small.body == doctest::Approx(22.0));
  CHECK(small.small < small.body);
  CHECK(small.body < small.big);
  CHECK(small.big < small.huge);
  const auto hd = comptoir::ui::font_sizes_for(1920, 1080);
  CHECK(hd.body == doctest::Approx(1080.0 / 22).epsilon(0.05));
  CHECK(hd.huge / hd.body == doctest::Approx(small.huge / small.body).epsilon(0.05));
  // A narrow window scales by its width, so the lines laid out for 800 px still fit.
  const auto narrow = comptoir::ui::font_sizes_for(800, 1280);
  CHECK(narrow.body == doctest::Approx(small.body));
}

TEST_CASE("the state file says what the screen shows, and never the PIN") {
  comptoir::test::KioskFixture f;
  comptoir::ui::FrameFacts frame{800, 480, 3, 1'000, 500};
  auto state = nlohmann::json::parse(comptoir::ui::state_json(*f.kiosk, frame));
  CHECK(state["screen"] == "scan");
  CHECK(state["verdict"] == "");
  CHECK(state["order"] == "");
  CHECK(state["receipt"].is_null());
  CHECK(state["window"] == nlohmann::json::array({800, 480}));
  CHECK(state["frames"] == 3);
  CHECK(state["frame_mono_ns"] == 1'000);
  CHECK(state["first_frame_mono_ns"] == 500);
  CHECK(state["revision"] == f.kiosk->revision());
  CHECK(state["alert"] == "");
  CHECK(state["self_test"] == nlohmann::json::array());

  const auto &ready = f.code("ready");
  f.kiosk->scan(ready.code, "keyboard");
  state = nlohmann::json::parse(comptoir::ui::state_json(*f.kiosk, frame));
  CHECK(state["screen"] == "verdict");
  CHECK(state["verdict"] == "ready");
  CHECK(state["order"] == ready.order_number);
  CHECK(state["scans"] == 1);
  f.hand_over();
  state = nlohmann::json::parse(comptoir::ui::state_json(*f.kiosk, frame));
  CHECK(state["screen"] == "scan");
  CHECK(state["verdict"] == "");
  CHECK(state["receipt"]["kind"] == "full");
  CHECK(state["receipt"]["order"] == ready.order_number);
  CHECK(state["status"]["collected_today"] == 1);

  // The PIN pad: digits typed go into the field, which the state file leaves out.
  f.press(comptoir::ui::Action::Kind::go_technician);
  REQUIRE(f.st().screen == comptoir::ui::Screen::technician_pin);
  f.press(comptoir::ui::Action::Kind::key, "1");
  f.press(comptoir::ui::Action::Kind::key, "2");
  REQUIRE(f.st().field == "12");
  state = nlohmann::json::parse(comptoir::ui::state_json(*f.kiosk, frame));
  CHECK(state["screen"] == "technician_pin");
  CHECK(state["field"] == "");
  CHECK(state["unlocked"] == false);

  // The damaged cache's alert, as the header shows it on every screen.
  f.kiosk->alert(comptoir::make_error("cache_damaged", "database disk image is malformed"));
  state = nlohmann::json::parse(comptoir::ui::state_json(*f.kiosk, frame));
  CHECK(state["alert"] == f.st().alert);
  CHECK(state["alert"] != "");
}

TEST_CASE("the state file is replaced whole, never left half written") {
  comptoir::test::TempDir dir;
  const std::string path = dir.file("state.json");
  std::string why;
  REQUIRE(comptoir::ui::write_state_file(path, R"({"revision":1})", &why));
  CHECK(comptoir::test::read_file(path) == "{\"revision\":1}\n");
  REQUIRE(comptoir::ui::write_state_file(path, R"({"revision":2})", &why));
  CHECK(comptoir::test::read_file(path) == "{\"revision\":2}\n");
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  // A directory that does not exist: an error with the reason, nothing thrown.
  CHECK_FALSE(comptoir::ui::write_state_file(dir.file("no/such/dir/state.json"), "{}", &why));
  CHECK(why.find("cannot write") != std::string::npos);
}

TEST_CASE("a font rebuild that fails keeps the fonts in use, and their atlas can rebuild") {
  comptoir::ui::FontStore store;
  ImGui::CreateContext(store.atlas());  // as the app: the store's atlases, not ImGui's
  int uploads = 0;
  ImFontAtlas *uploaded = nullptr;
  bool texture_ok = true;
  // As the app's upload: the atlas becomes ImGui's, its pixels are made and dropped.
  const comptoir::ui::FontStore::Upload upload = [&](ImFontAtlas &atlas) {
    ++uploads;
    uploaded = &atlas;
    ImGui::GetIO().Fonts = &atlas;
    if (!texture_ok) return false;
    unsigned char *pixels = nullptr;
    int w = 0;
    int h = 0;
    atlas.GetTexDataAsRGBA32(&pixels, &w, &h);
    REQUIRE(pixels != nullptr);
    atlas.ClearTexData();
    return true;
  };
  const std::string catalog = comptoir::ui::catalog_text(kCatalog);
  std::string why;
  REQUIRE(store.rebuild(comptoir::ui::FontFiles{}, comptoir::ui::font_sizes_for(800, 480), catalog,
                        upload, &why));
  const Fonts first = store.fonts();
  ImFontAtlas *first_atlas = store.atlas();
  CHECK(uploaded == first_atlas);
  CHECK(first.body->FontSize == doctest::Approx(22));

  // A font file that cannot be read: nothing uploaded, nothing changed.
  comptoir::ui::FontFiles missing;
  missing.bold = "/nonexistent/DejaVuSans-Bold.ttf";
  CHECK_FALSE(
      store.rebuild(missing, comptoir::ui::font_sizes_for(1920, 1080), catalog, upload, &why));
  CHECK(why.find("cannot read the font") != std::string::npos);
  CHECK(uploads == 1);
  CHECK(store.atlas() == first_atlas);
  CHECK(store.fonts().body == first.body);

  // The texture cannot be made: the atlas in use is ImGui's again and uploaded again, from
  // the glyph ranges it kept (the new atlas's were made meanwhile: with ranges shared by all
  // atlases this reads freed memory, which AddressSanitizer reports).
  texture_ok = false;
  CHECK_FALSE(store.rebuild(comptoir::ui::FontFiles{}, comptoir::ui::font_sizes_for(1920, 1080),
                            catalog, upload, &why));
  CHECK(why.find("texture") != std::string::npos);
  CHECK(uploads == 3);
  CHECK(uploaded == first_atlas);
  CHECK(ImGui::GetIO().Fonts == first_atlas);
  texture_ok = true;
  CHECK(upload(*first_atlas));  // its pixels rebuilt from its own ranges
  CHECK(store.fonts().body == first.body);
  CHECK(missing_glyphs(store.fonts().body, "é Œ € ✓ Ș ễ").empty());

  // A rebuild that works swaps the atlas: the new sizes, the old atlas gone.
  REQUIRE(store.rebuild(comptoir::ui::FontFiles{}, comptoir::ui::font_sizes_for(1920, 1080),
                        catalog, upload, &why));
  CHECK(store.atlas() != first_atlas);
  CHECK(ImGui::GetIO().Fonts == store.atlas());
  CHECK(store.fonts().body->FontSize ==
        doctest::Approx(comptoir::ui::font_sizes_for(1920, 1080).body));
  ImGui::DestroyContext();
}

TEST_CASE("frames wait for a keyboard burst, but never more than 100 ms") {
  using comptoir::ui::FramePacer;
  FramePacer pacer;
  pacer.owed(false, 0);
  CHECK_FALSE(pacer.draw_now(false, 0));
  CHECK(pacer.wait_limit_ms(0) == -1);
  // Owed and no burst: now.
  pacer.owed(true, 10);
  CHECK(pacer.draw_now(false, 10));
  // Owed during a burst: held, with a limit the loop's wait respects.
  CHECK_FALSE(pacer.draw_now(true, 10));
  CHECK(pacer.wait_limit_ms(10) == 100);
  pacer.owed(true, 60);  // still owed: counted from when it became owed
  CHECK_FALSE(pacer.draw_now(true, 60));
  CHECK(pacer.wait_limit_ms(60) == 50);
  CHECK(pacer.draw_now(true, 110));
  CHECK(pacer.wait_limit_ms(110) == 0);
  pacer.drawn();
  pacer.owed(true, 112);
  CHECK_FALSE(pacer.draw_now(true, 112));

  // A flood: keys every 2 ms for 2 s, the state changing all along. Frames come at about
  // 10 a second, never more than 100 ms apart, and the loop always has something to wait
  // for (a limit, never a busy loop).
  FramePacer flood;
  std::vector<std::int64_t> frames;
  for (std::int64_t t = 0; t <= 2000; t += 2) {
    flood.owed(true, t);
    if (flood.draw_now(true, t)) {
      frames.push_back(t);
      flood.drawn();
    } else {
      CHECK(flood.wait_limit_ms(t) > 0);
    }
  }
  MESSAGE(frames.size() << " frames in a 2 s flood");
  CHECK(frames.size() >= 18);
  CHECK(frames.size() <= 21);
  for (std::size_t i = 1; i < frames.size(); ++i) CHECK(frames[i] - frames[i - 1] <= 102);
}

TEST_CASE("two taps read in one pass are two clicks, not one") {
  comptoir::ui::MouseButtons buttons;
  bool down[3] = {false, false, false};
  // Press and release of the first tap in one pass (the second tap's events still queued):
  // the frame shows the button down, and asks for the release's frame before more events.
  buttons.press(0);
  buttons.release(0);
  CHECK(buttons.frame(down));
  CHECK(down[0]);
  CHECK_FALSE(buttons.frame(down));
  CHECK_FALSE(down[0]);  // the release: ImGui's click
  // The second tap, likewise.
  buttons.press(0);
  buttons.release(0);
  CHECK(buttons.frame(down));
  CHECK(down[0]);
  CHECK_FALSE(buttons.frame(down));
  CHECK_FALSE(down[0]);
  // A finger held down over frames, then lifted.
  buttons.press(0);
  CHECK_FALSE(buttons.frame(down));
  CHECK(down[0]);
  CHECK_FALSE(buttons.frame(down));
  CHECK(down[0]);
  buttons.release(0);
  CHECK_FALSE(buttons.frame(down));
  CHECK_FALSE(down[0]);
  // Buttons beyond the three ImGui reads are ignored.
  buttons.press(7);
  CHECK_FALSE(buttons.frame(down));
  CHECK_FALSE(down[0]);
  CHECK_FALSE(down[1]);
  CHECK_FALSE(down[2]);
}

namespace {

using namespace std::chrono_literals;

std::string bin(const char *name) {
  return std::string(COMPTOIR_BIN_DIR) + "/" + name;
}

// Whether `pid` has a handler for `signal` (the SigCgt mask of /proc/PID/status).
bool catches(pid_t pid, int signal) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return (mask >> (signal - 1)) & 1u;
  }
  return false;
}

// Whether `pid` has a file open whose path ends with `name`.
bool has_open(pid_t pid, const std::string &name) {
  std::error_code ec;
  for (const auto &fd :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.size() >= name.size() &&
        target.compare(target.size() - name.size(), name.size(), name) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> kiosk_argv(const std::string &display, const std::string &data,
                                    const std::string &state) {
  return {"/usr/bin/env",
          "DISPLAY=" + display,
          "SDL_VIDEODRIVER=x11",
          "ASAN_OPTIONS=detect_leaks=0",
          bin("comptoir"),
          "--data",
          data,
          "--windowed",
          "800x480",
          "--state-file",
          state,
          "--no-sound",
          "--no-scanners"};
}

}  // namespace

TEST_CASE("a stop signal at any step of start-up ends the kiosk with status 0" *
          doctest::skip(comptoir::test::x_tests_skipped())) {
  comptoir::test::TempDir dir;
  const std::string data = dir.file("data");
  const auto made =
      comptoir::test::run({bin("comptoir-provision"), "demo", "--data", data, "--quiet"});
  REQUIRE_MESSAGE(made.status.code == 0, made.err);
  // COMPTOIR_SKIP_X_TESTS=1 skips this test on purpose; otherwise a missing Xvfb fails it,
  // naming the package (scripts/test installs it): a skip would count as a pass.
  const std::string missing = comptoir::test::missing_packages({{"Xvfb", "xvfb"}});
  REQUIRE_MESSAGE(missing.empty(),
                  "missing: apt-get install " << missing << " (or COMPTOIR_SKIP_X_TESTS=1)");
  // Xvfb (tests/e2e/kiosk_harness) on the first free display, at the kiosk's 800x480.
  const auto x = comptoir::test::start_xvfb({800, 480}, dir);
  // From the moment the handlers are in (the first thing run_kiosk does) to well past the
  // first frame (~0.5 s under AddressSanitizer): each delay lands in another step (SDL, the
  // data directory, the window, the fonts, the loop).
  int during_start = 0;
  int before_data = 0;  // the handlers were in before the data directory was opened
  for (const int delay_ms : {0, 5, 15, 30, 60, 100, 150, 250, 400, 700, 1500}) {
    for (const int signal : {SIGTERM, SIGHUP}) {
      CAPTURE(delay_ms);
      CAPTURE(signal);
      const std::string state =
          dir.file("state-" + std::to_string(delay_ms) + "-" + std::to_string(signal) + ".json");
      comptoir::test::Subprocess app(kiosk_argv(x->display(), data, state));
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      // The three handlers go in one after the other (SIGHUP last): wait for all of them.
      auto all_in = [&] {
        return catches(app.pid(), SIGTERM) && catches(app.pid(), SIGINT) &&
               catches(app.pid(), SIGHUP);
      };
      while (!all_in() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(200us);
      }
      REQUIRE(all_in());
      before_data += has_open(app.pid(), "comptoir.lock") ? 0 : 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      const bool started = std::filesystem::exists(state);  // a first frame was shown
      during_start += started ? 0 : 1;
      app.kill(signal);
      app.read_to_end(20s);
      const auto status = app.wait(20s);
      INFO("stderr: " << app.stderr_text());
      CHECK(status.exited);
      CHECK(status.code == 0);
    }
  }
  MESSAGE(during_start << " of 22 signals arrived before the first frame; the handlers were in "
                       << "before the data directory was locked " << before_data << " times");
  CHECK(during_start >= 6);
  // Seen within a fraction of a millisecond of their installation, which comes before SDL
  // connects to the display, long before the data directory is locked.
  CHECK(before_data >= 11);
}

TEST_CASE("no display: status 3, and the reason names what the environment says") {
  comptoir::test::TempDir dir;
  const std::string data = dir.file("data");
  // A display nobody serves: no X socket for it.
  int n = 77;
  while (std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(n))) ++n;
  const std::string dead = ":" + std::to_string(n);
  {
    const auto r =
        comptoir::test::run({"/usr/bin/env", "-u", "WAYLAND_DISPLAY", "-u", "SDL_VIDEODRIVER",
                             "DISPLAY=" + dead, "ASAN_OPTIONS=detect_leaks=0", bin("comptoir"),
                             "--data", data, "--no-sound", "--no-scanners"});
    INFO("stderr: " << r.err);
    CHECK(r.status.exited);
    CHECK(r.status.code == 3);
    CHECK(r.err.find("DISPLAY=" + dead + " est défini mais injoignable") != std::string::npos);
    CHECK(r.err.find("DISPLAY=" + dead + " is set but cannot be reached") != std::string::npos);
    CHECK(r.err.find("--headless") != std::string::npos);
    CHECK(r.err.find("are not set") == std::string::npos);
  }
  {
    const auto r =
        comptoir::test::run({"/usr/bin/env", "-u", "WAYLAND_DISPLAY", "-u", "DISPLAY", "-u",
                             "SDL_VIDEODRIVER", "ASAN_OPTIONS=detect_leaks=0", bin("comptoir"),
                             "--data", data, "--no-sound", "--no-scanners"});
    INFO("stderr: " << r.err);
    CHECK(r.status.exited);
    CHECK(r.status.code == 3);
    CHECK(r.err.find("DISPLAY et WAYLAND_DISPLAY ne sont pas définis") != std::string::npos);
    CHECK(r.err.find("DISPLAY and WAYLAND_DISPLAY are not set") != std::string::npos);
  }
  // Nothing was opened: the data directory was never made (a headless run can have it).
  CHECK_FALSE(std::filesystem::exists(data));
  // The usage says what 3 means, for scripts that fall back to --headless.
  const auto help = comptoir::test::run({bin("comptoir"), "--help"});
  CHECK(help.out.find("3 no display") != std::string::npos);
}

TEST_CASE("the texts the draw code joins come whole from the view-models") {
  comptoir::test::KioskFixture f;
  namespace ui = comptoir::ui;
  // The header's one-line status: the sync state, then today's count.
  const ui::HeaderView header = ui::header_view(f.st(), f.now());
  REQUIRE_FALSE(header.sync.empty());
  REQUIRE_FALSE(header.today.empty());
  CHECK(header.status == header.sync + "  ·  " + header.today);

  // The order screen's amount and summary on one line, for a screen too narrow for both.
  const auto &due = f.code("payment_due");
  f.kiosk->scan(due.code, "keyboard");
  f.press(ui::Action::Kind::open_order, due.order_number);
  REQUIRE(f.st().screen == ui::Screen::order);
  const ui::OrderView order = ui::order_view(*f.kiosk, f.now());
  REQUIRE_FALSE(order.amount_due.empty());
  CHECK(order.amount_and_summary == order.amount_due + "  ·  " + order.summary);

  // The day's chart's hour labels, and the rows' number and customer on one line.
  f.press(ui::Action::Kind::go_today);
  const ui::TodayView today = ui::today_view(f.st(), f.now());
  CHECK(today.hour_labels[8] == "8h");
  CHECK(today.hour_labels[19] == "19h");
  bool named = false;
  for (const auto *rows : {&today.pending, &today.collected, &today.problems}) {
    for (const ui::ResultRow &row : *rows) {
      if (row.customer.empty()) {
        CHECK(row.heading == row.number);
      } else {
        CHECK(row.heading == row.number + " · " + row.customer);
        named = true;
      }
    }
  }
  CHECK(named);
}
