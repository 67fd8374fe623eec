// The technician PIN: 4 to 8 digits, stored only as an Argon2id hash in the settings table,
// checked right and wrong; none set is its own error, saying how to set one.
#include "runtime/technician_pin.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <string>

#include "runtime/messages.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::test {
namespace {

struct PinFixture {
  TempDir dir;
  std::unique_ptr<db::Database> db;
  PinFixture() {
    auto opened = db::Database::open(dir.file(db::Database::kFileName));
    REQUIRE(opened.ok());
    db = std::move(opened).value();
  }
  bool check(std::string_view pin) {
    auto r = check_technician_pin(*db, pin);
    INFO((r ? std::string() : r.error().code + ": " + r.error().detail));
    REQUIRE(r.ok());
    return *r;
  }
};

TEST_CASE("no technician PIN set: no_pin, and the message says how to set one") {
  PinFixture f;
  auto r = check_technician_pin(*f.db, "1234");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "no_pin");
  CHECK(r.error().detail.find("comptoir-provision set-pin --data") != std::string::npos);
  CHECK(error_message(r.error(), Lang::fr).find("comptoir-provision set-pin --data DOSSIER") !=
        std::string::npos);
  CHECK(error_message(r.error(), Lang::en).find("comptoir-provision set-pin --data DIR") !=
        std::string::npos);
}

TEST_CASE("a technician PIN is checked right and wrong") {
  PinFixture f;
  REQUIRE(set_technician_pin(*f.db, "4821").ok());
  CHECK(f.check("4821"));
  CHECK_FALSE(f.check("4822"));
  CHECK_FALSE(f.check("48210"));
  CHECK_FALSE(f.check(""));
  CHECK_FALSE(f.check("abcd"));
  // Set again: the old one no longer opens.
  REQUIRE(set_technician_pin(*f.db, "19283746").ok());
  CHECK(f.check("19283746"));
  CHECK_FALSE(f.check("4821"));
}

TEST_CASE("only a salted Argon2id hash of the PIN reaches the file") {
  PinFixture f;
  REQUIRE(set_technician_pin(*f.db, "7305").ok());
  auto stored = f.db->setting(kSettingTechnicianPin);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  const std::string hash = **stored;
  CHECK(hash.starts_with("$argon2id$"));
  CHECK(hash.find("7305") == std::string::npos);
  // The modest limits the kiosk's memory budget asks for: 8 MiB, 3 passes.
  CHECK(hash.find("m=8192,t=3") != std::string::npos);
  // Salted: the same PIN set twice is stored differently.
  REQUIRE(set_technician_pin(*f.db, "7305").ok());
  auto again = f.db->setting(kSettingTechnicianPin);
  REQUIRE(again.ok());
  CHECK(**again != hash);
  f.db.reset();  // closes the file (and checkpoints the WAL into it)
  const std::string bytes = read_file(f.dir.file(db::Database::kFileName));
  CHECK(bytes.find("$argon2id$") != std::string::npos);
  CHECK(bytes.find("7305") == std::string::npos);
}

TEST_CASE("a technician PIN must be 4 to 8 digits") {
  PinFixture f;
  for (const char *bad : {"", "123", "123456789", "12a4", "12 34", " 1234", "١٢٣٤"}) {
    CAPTURE(bad);
    auto r = set_technician_pin(*f.db, bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "pin_invalid");
  }
  const Error e = set_technician_pin(*f.db, "12").error();
  CHECK(error_message(e, Lang::fr).find("4 à 8 chiffres") != std::string::npos);
  CHECK(error_message(e, Lang::en).find("4 to 8 digits") != std::string::npos);
  // Nothing was stored by the refusals.
  auto stored = f.db->setting(kSettingTechnicianPin);
  REQUIRE(stored.ok());
  CHECK_FALSE(stored->has_value());
  REQUIRE(set_technician_pin(*f.db, "0000").ok());
  CHECK(f.check("0000"));
}

TEST_CASE("a damaged stored hash is pin_unusable, not a wrong PIN") {
  PinFixture f;
  REQUIRE(set_technician_pin(*f.db, "4821").ok());
  auto stored = f.db->setting(kSettingTechnicianPin);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  const std::string good = **stored;
  const auto params_end = good.rfind('$');  // the hash after the last '$'
  REQUIRE(params_end != std::string::npos);
  std::string bad_version = good;
  bad_version.replace(bad_version.find("v=19"), 4, "v=xx");
  for (const std::string &damaged :
       {std::string("garbage"), std::string("$argon2id$"), good.substr(0, params_end),
        good.substr(0, good.size() / 2), bad_version, "$2y$10$" + good.substr(10),
        std::string(" ") + good}) {
    CAPTURE(damaged);
    REQUIRE(f.db->set_setting(kSettingTechnicianPin, damaged).ok());
    // The right PIN, a wrong one and a non-PIN all say the hash is the problem.
    for (const char *pin : {"4821", "0000", "abc"}) {
      CAPTURE(pin);
      auto r = check_technician_pin(*f.db, pin);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == "pin_unusable");
    }
  }
  // The message says how to repair it, and the English detail stays out of the French.
  const Error e = check_technician_pin(*f.db, "4821").error();
  CHECK_FALSE(e.detail.empty());
  const std::string fr = error_message(e, Lang::fr);
  const std::string en = error_message(e, Lang::en);
  CHECK(fr.find("comptoir-provision set-pin --data DOSSIER") != std::string::npos);
  CHECK(en.find("comptoir-provision set-pin --data DIR") != std::string::npos);
  for (const std::string *m : {&fr, &en}) {
    CHECK(m->find(e.detail) == std::string::npos);
    CHECK(m->find("hash") == std::string::npos);
    CHECK(m->find("damaged") == std::string::npos);
  }
  // Set again, it works again.
  REQUIRE(set_technician_pin(*f.db, "4821").ok());
  CHECK(f.check("4821"));
  CHECK_FALSE(f.check("4822"));
}

TEST_CASE("a sound hash with other Argon2id limits is still checked") {
  PinFixture f;
  char hash[crypto_pwhash_STRBYTES];
  REQUIRE(sodium_init() >= 0);
  REQUIRE(crypto_pwhash_str(hash, "2468", 4, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_MIN) == 0);
  REQUIRE(f.db->set_setting(kSettingTechnicianPin, hash).ok());
  CHECK(f.check("2468"));
  CHECK_FALSE(f.check("2469"));
}

}  // namespace
}  // namespace comptoir::test
