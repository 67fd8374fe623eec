// gettext for the screens: the French catalog this build compiled is found (through
// COMPTOIR_LOCALEDIR, and next to the executable as an installed tree has it), translates,
// picks plural forms, and switching to English gives the ids back without touching the
// environment. Each case leaves gettext on the build's catalog, whatever order they run in.
#include "ui/i18n.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <string>

#include "tests/ui/kiosk_fixture.hpp"

namespace comptoir {
namespace {

TEST_CASE("the French catalog in the build tree translates, with plural forms") {
  ::setenv("COMPTOIR_LOCALEDIR", COMPTOIR_TEST_LOCALEDIR, 1);
  std::string why;
  REQUIRE_MESSAGE(ui::init_i18n(&why), why);
  ui::set_language(Lang::fr);
  CHECK(ui::language() == Lang::fr);
  CHECK(std::string(ui::tr("Scan the pickup code")) == "Scannez le code de retrait");
  CHECK(std::string(ui::tr("Already collected")) == "Déjà retirée");
  CHECK(std::string(ui::trn("%d pickup today", "%d pickups today", 1)) == "%d retrait aujourd'hui");
  CHECK(std::string(ui::trn("%d pickup today", "%d pickups today", 2)) ==
        "%d retraits aujourd'hui");
  // French counts 0 as singular.
  CHECK(std::string(ui::trn("%d item", "%d items", 0)) == "%d article");
  // An id no catalog has comes back as it is.
  CHECK(std::string(ui::tr("no such message id")) == "no such message id");
  ui::set_language(Lang::en);
  CHECK(std::string(ui::tr("Scan the pickup code")) == "Scan the pickup code");
  CHECK(std::string(ui::trn("%d item", "%d items", 0)) == "%d items");
  // And back: gettext's cache must not keep the English answer.
  ui::use_language(Lang::fr);
  CHECK(std::string(ui::tr("Scan the pickup code")) == "Scannez le code de retrait");
}

TEST_CASE("without COMPTOIR_LOCALEDIR the catalog is found next to the executable") {
  // The suite runs from <build>/tests: <exe dir>/../share/locale is the build tree's, as
  // bin/comptoir finds <prefix>/share/locale once installed.
  ::unsetenv("COMPTOIR_LOCALEDIR");
  std::string why;
  CHECK_MESSAGE(ui::init_i18n(&why), why);
  ui::set_language(Lang::fr);
  CHECK(std::string(ui::tr("Technician code")) == "Code technicien");
}

// Puts gettext back on the build's catalog when the case ends, failed or not.
struct RestoreBuildCatalog {
  RestoreBuildCatalog() = default;
  RestoreBuildCatalog(const RestoreBuildCatalog &) = delete;
  RestoreBuildCatalog &operator=(const RestoreBuildCatalog &) = delete;
  ~RestoreBuildCatalog() {
    ::setenv("COMPTOIR_LOCALEDIR", COMPTOIR_TEST_LOCALEDIR, 1);
    ui::init_i18n();
    ui::set_language(Lang::fr);
  }
};

TEST_CASE("a missing catalog says where it looked, and the screens speak English") {
  {
    RestoreBuildCatalog restore;
    test::TempDir empty;
    ::setenv("COMPTOIR_LOCALEDIR", empty.path().c_str(), 1);
    std::string why;
    CHECK_FALSE(ui::init_i18n(&why));
    CHECK(why.find(empty.path().string()) != std::string::npos);
    ui::set_language(Lang::fr);
    CHECK(std::string(ui::tr("Scan the pickup code")) == "Scan the pickup code");
  }
  // The next case (any, with --order-by=rand) finds French again.
  CHECK(std::string(ui::tr("Scan the pickup code")) == "Scannez le code de retrait");
}

TEST_CASE("switching language never touches the environment, and English needs no catalog") {
  test::use_build_catalog();
  // init_i18n set it, before any thread: the only time.
  REQUIRE(::getenv("LANGUAGE") != nullptr);
  CHECK(std::string(::getenv("LANGUAGE")) == "fr");
  ui::set_language(Lang::en);
  CHECK(std::string(::getenv("LANGUAGE")) == "fr");
  CHECK(ui::language() == Lang::en);
  // The ids are the English words; plurals by English's rule.
  CHECK(std::string(ui::tr("Already collected")) == "Already collected");
  CHECK(std::string(ui::trn("%d item", "%d items", 0)) == "%d items");
  CHECK(std::string(ui::trn("%d item", "%d items", 1)) == "%d item");
  CHECK(std::string(ui::trn("%d item", "%d items", 2)) == "%d items");
  ui::use_language(Lang::fr);
  CHECK(std::string(ui::tr("Already collected")) == "Déjà retirée");
  CHECK(std::string(ui::trn("%d item", "%d items", 0)) == "%d article");
  CHECK(std::string(ui::trn("%d item", "%d items", 2)) == "%d articles");
}

TEST_CASE("subst fills placeholders in order and keeps the rest") {
  CHECK(ui::subst("%s remise · %s pour annuler", {"C-1", "1:52"}) ==
        "C-1 remise · 1:52 pour annuler");
  CHECK(ui::subst("Code incorrect (essai %d sur %d)", {"2", "5"}) ==
        "Code incorrect (essai 2 sur 5)");
  CHECK(ui::subst("100%% sûr", {}) == "100% sûr");
  CHECK(ui::subst("%s et %s", {"un"}) == "un et %s");
}

}  // namespace
}  // namespace comptoir
