// Sentences for errors counter staff and technicians meet: what to do next, in French with
// no English detail inside it.
#include "runtime/messages.hpp"

#include <doctest/doctest.h>

#include <string>

#include "db/database.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

TEST_CASE("disk_full tells counter staff what they can do: not hand over, call the technician") {
  const Error e = make_error("disk_full", "database or disk is full");
  const std::string fr = error_message(e, Lang::fr);
  const std::string en = error_message(e, Lang::en);
  CHECK(fr.find("rien n'a été enregistré") != std::string::npos);
  CHECK(fr.find("Ne remettez pas la commande") != std::string::npos);
  CHECK(fr.find("papier") != std::string::npos);
  CHECK(fr.find("appelez le technicien") != std::string::npos);
  CHECK(fr.find("Libérez") == std::string::npos);
  CHECK(en.find("nothing was recorded") != std::string::npos);
  CHECK(en.find("Do not hand the order over") != std::string::npos);
  CHECK(en.find("paper") != std::string::npos);
  CHECK(en.find("call the technician") != std::string::npos);
  CHECK(en.find("Free some space") == std::string::npos);
  for (const std::string *m : {&fr, &en}) CHECK(m->find(e.detail) == std::string::npos);
}

TEST_CASE("database_missing names the file, with no English inside the French sentence") {
  TempDir dir;
  const std::string path = dir.file(db::Database::kFileName);
  auto r = db::Database::open(path, {.create = false});
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.error().code == "database_missing");
  const std::string fr = error_message(r.error(), Lang::fr);
  const std::string en = error_message(r.error(), Lang::en);
  CHECK(fr.starts_with("Aucune base Comptoir ici (" + path + ")"));
  CHECK(en.starts_with("No Comptoir database here (" + path + ")"));
  CHECK(fr.find("no such file") == std::string::npos);
  CHECK(fr.find("comptoir-provision demo --data DOSSIER") != std::string::npos);
  CHECK(en.find("comptoir-provision demo --data DIR") != std::string::npos);
}

// Every error a sync round or an enrolment can end with (sync/http_client.hpp,
// sync_agent.hpp, enrolment.hpp, wire.hpp).
const char *const kSyncCodes[] = {"offline",
                                  "stalled",
                                  "tls_untrusted",
                                  "insecure_url",
                                  "bad_url",
                                  "transfer_failed",
                                  "response_too_large",
                                  "portal_refused",
                                  "portal_error",
                                  "portal_invalid",
                                  "page_inconsistent",
                                  "clock_skew",
                                  "not_enrolled",
                                  "already_enrolled",
                                  "bad_code",
                                  "code_used",
                                  "code_expired",
                                  "stand_not_enrolled",
                                  "credentials_unreadable",
                                  "wire_invalid",
                                  "aborted",
                                  "gzip_invalid"};

TEST_CASE("every sync and enrolment error has its own sentence in French and English") {
  const std::string generic_fr = error_message(make_error("no_such_code", "x"), Lang::fr);
  const std::string generic_en = error_message(make_error("no_such_code", "x"), Lang::en);
  for (const char *code : kSyncCodes) {
    CAPTURE(code);
    // libcurl's or the portal's English detail is for the log, never in the sentence.
    const Error e = make_error(code, "SSL certificate problem: unable to get local issuer");
    const std::string fr = error_message(e, Lang::fr);
    const std::string en = error_message(e, Lang::en);
    CHECK(fr != en);
    CHECK(fr.find("Erreur d'enregistrement") == std::string::npos);
    CHECK(en.find("Storage error") == std::string::npos);
    CHECK(fr.find("SSL") == std::string::npos);
    CHECK(en.find("SSL") == std::string::npos);
    CHECK(fr.ends_with("."));
    CHECK(en.ends_with("."));
    // A sentence and what to do next: there is a colon or a second sentence.
    CHECK((fr.find(" : ") != std::string::npos || fr.find(". ") != std::string::npos));
    CHECK((en.find(": ") != std::string::npos || en.find(". ") != std::string::npos));
    CHECK(fr != generic_fr);
    CHECK(en != generic_en);
  }
  // What a person must do, said plainly where only a person can fix it.
  for (const char *code : {"tls_untrusted", "portal_refused", "clock_skew"}) {
    CAPTURE(code);
    CHECK(error_message(make_error(code, ""), Lang::fr).find("technicien") != std::string::npos);
    CHECK(error_message(make_error(code, ""), Lang::en).find("technician") != std::string::npos);
  }
  for (const char *code : {"code_used", "code_expired", "bad_code"}) {
    CAPTURE(code);
    CHECK(error_message(make_error(code, ""), Lang::fr).find("administrateur du portail") !=
          std::string::npos);
    CHECK(error_message(make_error(code, ""), Lang::en).find("portal's admin") !=
          std::string::npos);
  }
  // Nothing is lost when the link fails: staff hear it first.
  for (const char *code : {"offline", "stalled", "transfer_failed", "portal_error"}) {
    CAPTURE(code);
    const std::string fr = error_message(make_error(code, ""), Lang::fr);
    CHECK((fr.find("rien n'est perdu") != std::string::npos ||
           fr.find("restent enregistrées") != std::string::npos));
  }
}

TEST_CASE("the network errors read right for comptoir enrol, and stay as they were elsewhere") {
  // Met by `comptoir enrol`: nothing is kept "here", nothing retries by itself.
  const char *const enrol_codes[] = {"offline",        "stalled",       "transfer_failed",
                                     "gzip_invalid",   "tls_untrusted", "response_too_large",
                                     "portal_invalid", "wire_invalid",  "portal_error",
                                     "portal_refused"};
  for (const char *code : enrol_codes) {
    CAPTURE(code);
    const Error e = make_error(code, "SSL certificate problem: unable to get local issuer");
    const std::string fr = error_message(e, Lang::fr, ErrorContext::enrolment);
    const std::string en = error_message(e, Lang::en, ErrorContext::enrolment);
    // Different from what the running appliance says about the same code...
    CHECK(fr != error_message(e, Lang::fr));
    CHECK(en != error_message(e, Lang::en));
    // ...about the enrolment: nothing changed, no handover kept, no retry by itself.
    CHECK(fr.find("rien n'a été changé") != std::string::npos);
    CHECK(en.find("nothing was changed") != std::string::npos);
    for (const char *wrong : {"remises", "rien n'est perdu", "tout seul", "synchro"}) {
      CHECK(fr.find(wrong) == std::string::npos);
    }
    for (const char *wrong : {"andovers", "nothing is lost", "by itself", "sync is"}) {
      CHECK(en.find(wrong) == std::string::npos);
    }
    CHECK(fr.find("SSL") == std::string::npos);
    CHECK(en.find("SSL") == std::string::npos);
    CHECK(fr.ends_with("."));
    CHECK(en.ends_with("."));
  }
  // What the enrolling person can do about a certificate: --ca-file, a command option.
  CHECK(error_message(make_error("tls_untrusted", ""), Lang::fr, ErrorContext::enrolment)
            .find("--ca-file") != std::string::npos);
  CHECK(error_message(make_error("tls_untrusted", ""), Lang::en, ErrorContext::enrolment)
            .find("--ca-file") != std::string::npos);
  // The kiosk's and headless' sentences are unchanged (the default context).
  CHECK(error_message(make_error("offline", ""), Lang::fr) ==
        error_message(make_error("offline", ""), Lang::fr, ErrorContext::appliance));
  CHECK(error_message(make_error("offline", ""), Lang::fr).find("restent enregistrées ici") !=
        std::string::npos);
  CHECK(error_message(make_error("tls_untrusted", ""), Lang::en).find("stay recorded here") !=
        std::string::npos);
  // The enrolment's own codes and the neutral ones read the same in both contexts.
  for (const char *code : {"bad_code", "code_used", "code_expired", "already_enrolled",
                           "stand_not_enrolled", "insecure_url", "bad_url", "disk_full"}) {
    CAPTURE(code);
    for (const Lang lang : {Lang::fr, Lang::en}) {
      CHECK(error_message(make_error(code, "x"), lang, ErrorContext::enrolment) ==
            error_message(make_error(code, "x"), lang));
    }
  }
}

TEST_CASE("sync errors sort into the banner's troubles, and only some need the technician") {
  CHECK(sync_trouble("") == SyncTrouble::none);
  CHECK(sync_trouble("aborted") == SyncTrouble::none);
  CHECK(sync_trouble("offline") == SyncTrouble::offline);
  CHECK(sync_trouble("stalled") == SyncTrouble::unreachable);
  CHECK(sync_trouble("transfer_failed") == SyncTrouble::unreachable);
  CHECK(sync_trouble("portal_error") == SyncTrouble::portal_down);
  for (const char *c :
       {"portal_invalid", "wire_invalid", "page_inconsistent", "response_too_large"}) {
    CHECK(sync_trouble(c) == SyncTrouble::bad_answer);
  }
  CHECK(sync_trouble("tls_untrusted") == SyncTrouble::certificate);
  CHECK(sync_trouble("bad_url") == SyncTrouble::address);
  CHECK(sync_trouble("insecure_url") == SyncTrouble::address);
  CHECK(sync_trouble("portal_refused") == SyncTrouble::device_refused);
  CHECK(sync_trouble("clock_skew") == SyncTrouble::clock);
  CHECK(sync_trouble("credentials_unreadable") == SyncTrouble::credentials);
  CHECK(sync_trouble("disk_full") == SyncTrouble::other);
  int technician = 0;
  for (const char *code : kSyncCodes) technician += needs_technician(sync_trouble(code)) ? 1 : 0;
  CHECK(technician == 6);  // tls_untrusted, insecure_url, bad_url, portal_refused, clock, key
  CHECK_FALSE(needs_technician(SyncTrouble::offline));
  CHECK_FALSE(needs_technician(SyncTrouble::bad_answer));
}

TEST_CASE("the sync line for :status: the link, what waits, the age, what to review") {
  constexpr std::int64_t now = 1'760'000'000'000;
  DeskStatus s;
  s.link = SyncLink::offline;
  s.sync_error = "offline";
  s.events_waiting = 5;
  s.conflicts = 2;
  s.last_sync_ms = now - 2 * 3'600'000;
  CHECK(sync_status_message(s, now, Lang::fr) ==
        "hors ligne · 5 remises en attente · dernière synchro il y a 2 h · 2 à vérifier");
  CHECK(sync_status_message(s, now, Lang::en) ==
        "offline · 5 handovers waiting · last sync 2 h ago · 2 to review");
  s = DeskStatus{};
  s.link = SyncLink::online;
  s.last_sync_ms = now - 3 * 60'000 - 59'999;
  CHECK(sync_status_message(s, now, Lang::fr) == "en ligne · synchronisé il y a 3 min");
  CHECK(sync_status_message(s, now, Lang::en) == "online · synced 3 min ago");
  // A sync "in the future" (the clock was set back) is just now, not a negative age.
  s.last_sync_ms = now + 3'600'000;
  CHECK(sync_status_message(s, now, Lang::fr) == "en ligne · synchronisé à l'instant");
  s.last_sync_ms = now - 47 * 3'600'000;
  CHECK(sync_status_message(s, now, Lang::en) == "online · synced 47 h ago");
  s.last_sync_ms = now - 48 * 3'600'000;
  CHECK(sync_status_message(s, now, Lang::en) == "online · synced 2 days ago");
  s.events_waiting = 1;
  CHECK(sync_status_message(s, now, Lang::fr) ==
        "en ligne · 1 remise en attente · synchronisé il y a 2 jours");
  s = DeskStatus{};
  CHECK(sync_status_message(s, now, Lang::fr) == "non relié à un portail");
  CHECK(sync_status_message(s, now, Lang::en) == "not linked to a portal");
}

}  // namespace
}  // namespace comptoir::test
