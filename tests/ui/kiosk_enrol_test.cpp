// Enrolment from the kiosk's technician screen, on the state machine over the real core
// and a recording host: the portal's enrolment QR code read anywhere else is answered like
// a code that is not an order's and enrols nothing; on the unlocked technician screen it
// asks first, then the host is asked to enrol, and its answer (enrolled, refused) is shown
// in the kiosk's language; Cancel abandons the answer; an enrolled counter is not enrolled
// again from the screen.
#include <doctest/doctest.h>

#include <string>

#include "tests/ui/kiosk_fixture.hpp"

namespace comptoir {
namespace {

using test::KioskFixture;
using ui::Action;
using ui::Enrolment;
using ui::Screen;
using K = Action::Kind;
using P = Enrolment::Phase;

const std::string kQr = "https://portal.example.org/api/v1/enrol?code=K7QM-9X2D-F3A4";

bool contains(const std::string &text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The PIN typed: the technician screen, unlocked.
void unlock(KioskFixture &f) {
  f.press(K::go_technician);
  REQUIRE(f.st().screen == Screen::technician_pin);
  f.kiosk->typed("1234");
  REQUIRE(f.st().screen == Screen::technician);
  REQUIRE(f.st().unlocked);
}

ui::EnrolledFacts market_facts() {
  ui::EnrolledFacts facts;
  facts.portal_url = "https://portal.example.org";
  facts.portal_name = "Portail du Val";
  facts.stand_id = 7;
  facts.stand_name = "Marché de Cluny";
  facts.device_id = "dev-7f3a";
  return facts;
}

// The value of the technician screen's fact `label` ("" when it is not there).
std::string fact(const ui::TechnicianView &v, const std::string &label) {
  for (const auto &[l, value] : v.facts) {
    if (l == label) return value;
  }
  return {};
}

TEST_CASE("an enrolment QR code read outside the technician screen enrols nothing") {
  KioskFixture f;
  // Scanned on the scan screen: answered like a code that is not an order's.
  f.kiosk->scan(kQr, "keyboard");
  REQUIRE(f.st().screen == Screen::verdict);
  REQUIRE(f.st().verdict);
  CHECK(f.st().verdict->kind == VerdictKind::not_a_pickup_code);
  CHECK(f.st().verdict->detail == "enrolment_code");
  CHECK(f.st().scans == 1);
  CHECK(f.host.tones == std::vector<bool>{false});
  const ui::VerdictView v = ui::verdict_view(*f.kiosk, f.now());
  CHECK(v.title == "Code d'inscription");
  CHECK(contains(v.sentence, "Ouvrez l'écran technicien pour inscrire ce comptoir"));
  CHECK(f.st().enrolment.phase == P::none);
  f.press(K::dismiss);
  CHECK(f.st().screen == Screen::scan);

  // Typed (a scanner too slow to be told from a person): the same.
  f.kiosk->typed(kQr);
  CHECK(f.st().screen == Screen::verdict);
  CHECK(f.st().verdict->detail == "enrolment_code");
  f.press(K::dismiss);

  // On the PIN screen, before the PIN: the same, and the screen is not unlocked.
  f.press(K::go_technician);
  REQUIRE(f.st().screen == Screen::technician_pin);
  f.kiosk->scan(kQr, "keyboard");
  CHECK(f.st().screen == Screen::verdict);
  CHECK(f.st().verdict->detail == "enrolment_code");
  CHECK_FALSE(f.st().unlocked);
  CHECK(f.host.pins_tried.empty());

  // In English, in English.
  f.press(K::dismiss);
  unlock(f);
  f.press(K::set_language, "en");
  f.press(K::go_scan);
  f.kiosk->scan(kQr, "keyboard");
  const ui::VerdictView en = ui::verdict_view(*f.kiosk, f.now());
  CHECK(en.title == "Enrolment code");
  CHECK(contains(en.sentence, "Open the technician screen to enrol this counter"));

  CHECK(f.host.enrolments.empty());
  CHECK(f.st().enrolment.phase == P::none);
}

TEST_CASE("on the technician screen the QR code asks first, and Enrol hands it to the host") {
  KioskFixture f;
  unlock(f);
  f.kiosk->scan(kQr, "keyboard");
  CHECK(f.st().screen == Screen::technician);
  CHECK(f.st().unlocked);
  CHECK(f.st().enrolment.phase == P::confirm);
  CHECK(f.st().enrolment.host == "portal.example.org");
  CHECK(f.host.enrolments.empty());  // nothing asked of the portal before the yes
  ui::TechnicianView v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Inscrire ce comptoir auprès de portal.example.org\u00a0?");
  REQUIRE(v.buttons.size() == 2);
  CHECK(v.buttons[0].label == "Inscrire");
  CHECK(v.buttons[0].action.kind == K::confirm_enrol);
  CHECK(v.buttons[1].label == "Annuler");
  CHECK(v.buttons[1].action.kind == K::cancel_enrol);

  // The scanner's Enter, or another Enter, confirms nothing: only the button does.
  f.kiosk->typed("");
  CHECK(f.st().enrolment.phase == P::confirm);

  f.tap(K::confirm_enrol);
  CHECK(f.st().enrolment.phase == P::running);
  REQUIRE(f.host.enrolments.size() == 1);
  const std::uint64_t request = f.host.enrolments[0].first;
  CHECK(f.host.enrolments[0].second == kQr);
  CHECK(f.kiosk->awaits_enrolment(request));
  CHECK_FALSE(f.kiosk->awaits_enrolment(request + 1));
  v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Inscription en cours…");
  CHECK(v.enrol->busy_step == 0);
  REQUIRE(v.buttons.size() == 1);
  CHECK(v.buttons[0].label == "Annuler");

  // The dots move every half second (a redraw each time), and the screen does not idle
  // out while the portal is asked.
  const auto revision = f.kiosk->revision();
  REQUIRE(f.kiosk->next_wait_ms());
  CHECK(*f.kiosk->next_wait_ms() == ui::Kiosk::kEnrolDotMs);
  f.wait_ms(ui::Kiosk::kEnrolDotMs);
  CHECK(f.kiosk->revision() > revision);
  CHECK(f.st().enrolment.dots == 1);
  f.wait_ms(2 * 60'000);
  CHECK(f.st().screen == Screen::technician);
  CHECK(f.st().enrolment.phase == P::running);
  // A second read of the QR code while it runs starts nothing more.
  f.kiosk->scan(kQr, "keyboard");
  CHECK(f.host.enrolments.size() == 1);
  CHECK(f.st().enrolment.phase == P::running);
}

TEST_CASE("the portal's yes: the counter is enrolled, with its portal and stand shown") {
  ui::KioskOptions options;
  options.no_stand = true;  // started on a data directory that served no stand
  KioskFixture f(options);
  CHECK(f.st().no_stand);
  const ui::ScanView scan = ui::scan_view(f.st(), f.now());
  CHECK(scan.prompt == "Ce comptoir n'est pas encore inscrit");
  CHECK(contains(scan.hint, "QR code d'inscription"));
  unlock(f);
  CHECK(contains(fact(ui::technician_view(*f.kiosk, f.now()), "Portail"), "pas inscrit"));
  CHECK(contains(ui::technician_view(*f.kiosk, f.now()).enrolment, "Pas inscrit"));
  f.kiosk->scan(kQr, "keyboard");
  f.tap(K::confirm_enrol);
  REQUIRE(f.host.enrolments.size() == 1);
  const std::uint64_t request = f.host.enrolments[0].first;

  // The host wrote it and hands the kiosk a core for the new stand and device.
  PickupService enrolled(*f.database, f.skewed, Identity{7, "dev-7f3a"});
  f.kiosk->use_service(enrolled);
  const auto tones = f.host.tones.size();
  f.kiosk->enrol_done(request, market_facts());
  CHECK(f.st().enrolment.phase == P::done);
  CHECK_FALSE(f.st().no_stand);
  REQUIRE(f.st().enrolled);
  CHECK(f.st().enrolled->portal_name == "Portail du Val");
  CHECK(f.host.tones.size() == tones + 1);
  CHECK(f.host.tones.back());
  // The technician screen says it in full: no notice over it.
  CHECK(f.st().notice.empty());
  ui::TechnicianView v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Comptoir inscrit\u00a0: Portail du Val, stand Marché de Cluny");
  CHECK(v.enrol->tone == ui::Tone::good);
  // An answer that comes twice is taken once.
  f.kiosk->enrol_done(request, make_error("code_used", "late"));
  CHECK(f.st().enrolment.phase == P::done);

  f.tap(K::close_enrol);
  v = ui::technician_view(*f.kiosk, f.now());
  CHECK_FALSE(v.enrol);
  CHECK(fact(v, "Point de retrait") == "#7 · Marché de Cluny");
  CHECK(fact(v, "Appareil") == "dev-7f3a");
  CHECK(fact(v, "Portail") == "Portail du Val (https://portal.example.org)");
  CHECK(v.enrolment == "Inscrit\u00a0: Portail du Val, stand #7 · Marché de Cluny");
  CHECK(v.enrolment_tone == ui::Tone::good);
  CHECK(v.buttons.size() == 4);  // self-test, Français, English, lock again
  CHECK(ui::scan_view(f.st(), f.now()).prompt == "Scannez le code de retrait");

  // Enrolled: the QR code again offers nothing destructive, and says how to re-enrol.
  f.host.enrolled = market_facts();
  f.kiosk->scan(kQr, "keyboard");
  CHECK(f.st().enrolment.phase == P::failed);
  REQUIRE(f.st().enrolment.error);
  CHECK(f.st().enrolment.error->code == "already_enrolled");
  v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Déjà inscrit");
  CHECK(contains(v.enrol->text, "déjà inscrit auprès de Portail du Val"));
  CHECK(contains(v.enrol->text, "comptoir-provision enrol --force"));
  REQUIRE(v.buttons.size() == 1);
  CHECK(v.buttons[0].action.kind == K::close_enrol);
  CHECK(f.host.enrolments.size() == 1);
}

TEST_CASE("a bundle's enrolment pending is not enrolled again from the screen") {
  KioskFixture f;
  // An offline bundle was applied: its code waits for the portal, no credentials yet.
  ui::EnrolledFacts pending = market_facts();
  pending.device_id.clear();
  pending.pending = true;
  f.host.enrolled = pending;
  unlock(f);
  ui::TechnicianView v = ui::technician_view(*f.kiosk, f.now());
  CHECK(v.enrolment ==
        "Inscription en attente depuis un paquet hors ligne\u00a0: elle se termine d'elle-même "
        "dès que le portail est joint.");
  CHECK(v.enrolment_tone == ui::Tone::warning);
  CHECK(fact(v, "Portail") == "Portail du Val (https://portal.example.org)");

  // The QR code is refused on the spot: nothing asked of the host, so the code stays unused.
  f.kiosk->scan(kQr, "keyboard");
  CHECK(f.st().enrolment.phase == P::failed);
  REQUIRE(f.st().enrolment.error);
  CHECK(f.st().enrolment.error->code == "enrolment_pending");
  CHECK(f.host.enrolments.empty());
  CHECK_FALSE(f.host.tones.back());
  v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Inscription en attente");
  CHECK(v.enrol->tone == ui::Tone::warning);
  CHECK(contains(v.enrol->text, "(https://portal.example.org)"));
  CHECK(contains(v.enrol->text, "Rien n'a été envoyé\u00a0: le code scanné n'a pas servi."));
  REQUIRE(v.buttons.size() == 1);
  CHECK(v.buttons[0].action.kind == K::close_enrol);
  f.press(K::set_language, "en");
  v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Enrolment pending");
  CHECK(contains(v.enrol->text, "it finishes by itself when the portal is reached"));
  f.tap(K::close_enrol);
  CHECK(ui::technician_view(*f.kiosk, f.now()).enrolment ==
        "Enrolment pending from a bundle: it finishes by itself when the portal is reached.");

  // A bundle applied while the question was asked: the host's own refusal says the same.
  f.press(K::set_language, "fr");
  f.host.enrolled.reset();
  f.kiosk->scan(kQr, "keyboard");
  REQUIRE(f.st().enrolment.phase == P::confirm);
  f.tap(K::confirm_enrol);
  REQUIRE(f.host.enrolments.size() == 1);
  f.host.enrolled = pending;
  f.kiosk->enrol_done(f.host.enrolments[0].first,
                      make_error("enrolment_pending", "https://portal.example.org"));
  v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Inscription en attente");
  CHECK(contains(v.enrol->text, "paquet hors ligne (https://portal.example.org)"));
}

TEST_CASE("a portal other than the one pinned is refused with its sentence") {
  KioskFixture f;
  unlock(f);
  f.kiosk->scan(kQr, "keyboard");
  f.tap(K::confirm_enrol);
  REQUIRE(f.host.enrolments.size() == 1);
  f.kiosk->enrol_done(f.host.enrolments[0].first,
                      make_error("portal_key_mismatch", "this portal (key 1234...) is not"));
  CHECK(f.st().enrolment.phase == P::failed);
  CHECK_FALSE(f.st().enrolled);
  const ui::TechnicianView v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Pas inscrit");
  CHECK(v.enrol->text ==
        error_message(make_error("portal_key_mismatch", ""), Lang::fr, ErrorContext::enrolment));
  CHECK(contains(v.enrol->text, "sa clé d'identité diffère"));
}

TEST_CASE("a refusal is shown with what to do, in the kiosk's language") {
  KioskFixture f;
  unlock(f);
  f.kiosk->scan(kQr, "keyboard");
  f.tap(K::confirm_enrol);
  REQUIRE(f.host.enrolments.size() == 1);
  f.kiosk->enrol_done(f.host.enrolments[0].first,
                      make_error("code_used", "the portal answered 409 code_used"));
  CHECK(f.st().enrolment.phase == P::failed);
  CHECK_FALSE(f.st().enrolled);
  CHECK_FALSE(f.host.tones.back());
  ui::TechnicianView v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(v.enrol->title == "Pas inscrit");
  CHECK(v.enrol->tone == ui::Tone::bad);
  CHECK(v.enrol->text ==
        error_message(make_error("code_used", ""), Lang::fr, ErrorContext::enrolment));
  CHECK(contains(v.enrol->text, "demandez-en un nouveau"));
  f.press(K::set_language, "en");
  v = ui::technician_view(*f.kiosk, f.now());
  CHECK(v.enrol->title == "Not enrolled");
  CHECK(contains(v.enrol->text, "ask the portal's admin for a new one"));
  f.tap(K::close_enrol);
  CHECK(f.st().enrolment.phase == P::none);

  // No network: the next step is the connection, then the same code again.
  f.press(K::set_language, "fr");
  f.kiosk->scan(kQr, "keyboard");
  f.tap(K::confirm_enrol);
  REQUIRE(f.host.enrolments.size() == 2);
  CHECK(f.host.enrolments[1].first != f.host.enrolments[0].first);
  f.kiosk->enrol_done(f.host.enrolments[1].first, make_error("offline", "connect refused"));
  v = ui::technician_view(*f.kiosk, f.now());
  REQUIRE(v.enrol);
  CHECK(contains(v.enrol->text, "Vérifiez la connexion"));
  CHECK(contains(v.enrol->text, "même code"));
}

TEST_CASE("Cancel: before Enrol nothing is asked, after it the answer is abandoned") {
  KioskFixture f;
  unlock(f);
  f.kiosk->scan(kQr, "keyboard");
  f.tap(K::cancel_enrol);
  CHECK(f.st().enrolment.phase == P::none);
  CHECK(f.host.enrolments.empty());
  CHECK_FALSE(ui::technician_view(*f.kiosk, f.now()).enrol);

  f.kiosk->scan(kQr, "keyboard");
  f.tap(K::confirm_enrol);
  REQUIRE(f.host.enrolments.size() == 1);
  const std::uint64_t request = f.host.enrolments[0].first;
  f.tap(K::cancel_enrol);
  CHECK(f.st().enrolment.phase == P::none);
  CHECK(contains(f.st().notice, "Inscription abandonnée\u00a0: rien n'a été écrit"));
  // The host must not write it: the kiosk no longer waits for it.
  CHECK_FALSE(f.kiosk->awaits_enrolment(request));
  const auto revision = f.kiosk->revision();
  f.kiosk->enrol_done(request, market_facts());
  CHECK(f.kiosk->revision() == revision);
  CHECK(f.st().enrolment.phase == P::none);
  CHECK_FALSE(f.st().enrolled);
}

TEST_CASE("an enrolment under way is still taken when the screen was left, and shown") {
  KioskFixture f;
  unlock(f);
  f.kiosk->scan(kQr, "keyboard");
  f.tap(K::confirm_enrol);
  REQUIRE(f.host.enrolments.size() == 1);
  f.press(K::go_scan);  // leaving the technician screen locks it
  CHECK_FALSE(f.st().unlocked);
  CHECK(f.st().enrolment.phase == P::running);
  CHECK(f.kiosk->awaits_enrolment(f.host.enrolments[0].first));
  f.kiosk->enrol_done(f.host.enrolments[0].first, market_facts());
  CHECK(f.st().screen == Screen::scan);
  // Off the technician screen, the header says it.
  CHECK(f.st().notice == "Comptoir inscrit\u00a0: Portail du Val, stand Marché de Cluny");
  CHECK_FALSE(f.st().notice_warning);
  CHECK(ui::header_view(f.st(), f.now()).notice == f.st().notice);
  // The confirmation asked before the screen was left is gone with the unlock.
  unlock(f);
  f.kiosk->scan(kQr, "keyboard");
  CHECK(f.st().enrolment.phase == P::confirm);
  f.press(K::lock);
  CHECK(f.st().enrolment.phase == P::none);
}

}  // namespace
}  // namespace comptoir
