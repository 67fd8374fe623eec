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

}  // namespace
}  // namespace comptoir::test
