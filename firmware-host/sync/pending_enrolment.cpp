// An offline bundle's enrolment, finished by the agent when the portal is first reached.
#include "sync/pending_enrolment.hpp"

#include <algorithm>
#include <charconv>

#include "db/sync_store.hpp"
#include "runtime/appliance.hpp"
#include "sync/bundle.hpp"
#include "sync/device_auth.hpp"
#include "sync/enrolment.hpp"

namespace comptoir::sync {
namespace {

// The portal's no to the code itself: sending it again would get the same answer.
bool code_refused(const std::string &code) {
  return code == "bad_code" || code == "code_used" || code == "code_expired" ||
         code == "stand_not_enrolled" || code == "portal_foreign";
}

// The portal answered (as opposed to a network error or a local fault).
bool portal_answered(const std::string &code) {
  return code_refused(code) || code == "portal_error" || code == "portal_refused" ||
         code == "portal_invalid";
}

// The code and its key pair go together: a new code is sent with a new key.
Result<void> clear_code(db::Database &db) {
  if (auto w = db.set_setting(kSettingPendingEnrolKey, ""); !w) return w.error();
  return db.set_setting(db::kSettingPendingEnrolCode, "");
}

// The pending enrolment's key pair: the one kept, else a new one, stored before it is ever
// sent (a pair the portal may have recorded must never be lost).
Result<codes::KeyPair> pending_key_pair(db::Database &db) {
  auto stored = db.setting(kSettingPendingEnrolKey);
  if (!stored) return stored.error();
  codes::KeyPair pair;
  if (*stored && !(*stored)->empty()) {
    const auto bytes = codes::from_hex(**stored);
    if (bytes && bytes->size() == pair.secret_key.size()) {
      // libsodium's secret key is the seed followed by the public key.
      std::copy(bytes->begin(), bytes->end(), pair.secret_key.begin());
      std::copy(bytes->end() - static_cast<std::ptrdiff_t>(pair.public_key.size()), bytes->end(),
                pair.public_key.begin());
      return pair;
    }
  }
  if (!wire::sodium_ready()) {  // generate_key_pair would throw
    return make_error("crypto_unavailable",
                      "libsodium could not be initialised: no device key can be made");
  }
  pair = codes::generate_key_pair();
  if (auto w = db.set_setting(kSettingPendingEnrolKey,
                              codes::to_hex(pair.secret_key.data(), pair.secret_key.size()));
      !w) {
    return w.error();
  }
  return pair;
}

std::string fingerprint_of(const std::string &hex) {
  const auto key = parse_public_key_hex(hex);
  return key ? bundle_fingerprint(*key) : hex;
}

}  // namespace

Result<std::optional<std::string>> pending_enrol_code(db::Database &db,
                                                      const std::string &data_dir) {
  auto code = db.setting(db::kSettingPendingEnrolCode);
  if (!code) return code.error();
  if (!*code || (*code)->empty()) return std::optional<std::string>();
  auto url = db.setting(db::kSettingPortalUrl);
  if (!url) return url.error();
  if (!*url || (*url)->empty()) return std::optional<std::string>();
  auto credentials = load_credentials(data_dir, **url);
  if (!credentials) return credentials.error();
  if (*credentials) return std::optional<std::string>();  // enrolled already
  return *code;
}

Result<void> check_pending_portal_key(db::Database &db, const EnrolOptions &options,
                                      const EnrolGrant &grant) {
  EnrolOptions strict = options;
  strict.force = false;  // the pin is never passed over here
  auto checked = check_portal_key(&db, strict, grant);
  if (checked) return {};
  if (checked.error().code != "portal_key_mismatch") return checked.error();
  auto pinned = db.setting(db::kSettingPortalKey);
  if (!pinned) return pinned.error();
  const std::string pin = *pinned && !(*pinned)->empty() ? **pinned : options.settings.portal_key;
  const std::string answered = portal_key_hex(grant);
  return make_error(
      "portal_foreign",
      "the portal at " + grant.portal + " answered with " +
          (answered.empty() ? std::string("no identity key")
                            : "identity key " + bundle_fingerprint(grant.answer.portal_key)) +
          ", not the key that signed the bundle (" + fingerprint_of(pin) +
          "); nothing was written");
}

Result<Credentials> finish_pending_enrolment(db::Database &db, const std::string &data_dir,
                                             const SyncSettings &settings, const Clock &clock,
                                             bool *reached, const std::atomic<bool> *abort) {
  if (reached) *reached = false;
  auto code = pending_enrol_code(db, data_dir);
  if (!code) return code.error();
  if (!*code) {
    return make_error("not_enrolled",
                      "no enrolment is pending here: enrol this appliance with "
                      "comptoir-provision enrol --portal URL --code CODE");
  }
  auto url = db.setting(db::kSettingPortalUrl);
  if (!url) return url.error();
  auto stand = db.setting(kSettingStand);
  if (!stand) return stand.error();

  EnrolOptions options;
  options.portal_url = url->value_or("");
  options.code = **code;
  options.settings = settings;
  options.abort = abort;
  std::int64_t stand_id = 0;
  if (*stand &&
      std::from_chars((*stand)->data(), (*stand)->data() + (*stand)->size(), stand_id).ec ==
          std::errc()) {
    options.stand = stand_id;
  }
  auto key = pending_key_pair(db);
  if (!key) return key.error();
  options.key = *key;
  auto refused = [&](const Error &e) -> Error {
    if (auto c = clear_code(db); !c) return c.error();
    return make_error(e.code,
                      "the portal refused the enrolment code of the offline bundle (" + e.detail +
                          "); it will not be sent again. The counter goes on with the bundle's "
                          "orders but cannot sync: enrol it with comptoir-provision enrol "
                          "--portal " +
                          options.portal_url +
                          " --code CODE (a new code from the portal's admin), or apply a new "
                          "bundle");
  };
  auto grant = request_enrolment(options);
  if (!grant) {
    if (reached) *reached = portal_answered(grant.error().code);
    if (code_refused(grant.error().code)) return refused(grant.error());
    return grant.error();
  }
  if (reached) *reached = true;
  // The portal at that address must be the one that signed the bundle: a missing key or
  // another one is refused before anything is written, so the pin stays.
  if (auto checked = check_pending_portal_key(db, options, *grant); !checked) {
    if (code_refused(checked.error().code)) return refused(checked.error());
    return checked.error();
  }
  // The bundle's snapshot came with the cursor of a device enrolled for its stands: the
  // first pull goes on from there rather than from the start.
  db::SyncStore store(db.connection());
  auto cursor = store.state(db::sync_key::kCursor);
  if (!cursor) return cursor.error();
  auto written = write_enrolment(db, data_dir, *grant, clock);
  if (!written) return written.error();
  {
    db::Transaction tx(db.connection());
    if (!tx.began()) return tx.begin_error();
    if (auto c = clear_code(db); !c) return c.error();
    if (options.stand && written->stand.id == *options.stand && *cursor) {
      if (auto w = store.set_state(db::sync_key::kCursor, **cursor); !w) return w.error();
    }
    if (auto c = tx.commit(); !c) return c.error();
  }
  return written->credentials;
}

Result<std::unique_ptr<SyncAgent>> make_pending_agent(db::Database &db, const std::string &data_dir,
                                                      const SyncSettings &settings,
                                                      const Clock &clock, std::string *why) {
  auto code = pending_enrol_code(db, data_dir);
  if (!code) return code.error();
  if (!*code) return std::unique_ptr<SyncAgent>();
  auto url = db.setting(db::kSettingPortalUrl);
  if (!url) return url.error();
  Credentials pending;  // no device id: the agent enrols first
  pending.portal_url = url->value_or("");
  auto agent = SyncAgent::create(db.path(), pending, settings, clock);
  if (!agent) return agent.error();
  if (why) {
    *why = "enrolment pending with " + pending.portal_url +
           " (offline bundle): it finishes when the portal is reached, then syncs every " +
           std::to_string(settings.interval_s) + " s";
  }
  // The agent's thread gets a connection of its own, opened when first needed.
  struct State {
    std::string db_path;
    std::string data_dir;
    SyncSettings settings;
    std::unique_ptr<db::Database> db;
    std::optional<Error> refused;
  };
  auto state = std::make_shared<State>();
  state->db_path = db.path();
  state->data_dir = data_dir;
  state->settings = settings;
  (*agent)->set_finish_enrolment(
      [state, &clock](bool *reached, const std::atomic<bool> *abort) -> Result<Credentials> {
        if (reached) *reached = false;
        if (state->refused) return *state->refused;  // not sent again
        if (!state->db) {
          db::OpenOptions options;
          options.create = false;
          auto opened = db::Database::open(state->db_path, options);
          if (!opened) return opened.error();
          state->db = std::move(*opened);
        }
        auto done = finish_pending_enrolment(*state->db, state->data_dir, state->settings, clock,
                                             reached, abort);
        if (done) {
          state->db.reset();
        } else if (code_refused(done.error().code)) {
          state->refused = done.error();
        }
        return done;
      });
  return agent;
}

}  // namespace comptoir::sync
