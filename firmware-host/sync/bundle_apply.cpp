// Applying an offline bundle: trust, checks against the appliance, one transaction.
#include "sync/bundle_apply.hpp"

#include <algorithm>
#include <charconv>

#include "codes/short_code.hpp"
#include "db/handover_ledger.hpp"
#include "db/sync_store.hpp"
#include "runtime/appliance.hpp"
#include "runtime/messages.hpp"
#include "sync/apply.hpp"
#include "sync/http_client.hpp"
#include "sync/pending_enrolment.hpp"
#include "sync/sync_agent.hpp"

namespace comptoir::sync {
namespace {

std::optional<std::int64_t> parse_int(const std::optional<std::string> &text) {
  if (!text || text->empty()) return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return v;
}

// "k7qm9 x2df3-a4b8c-d1e2f" as bundle_fingerprint prints it, or nullopt. Read as read_bundle
// reads a fingerprint (codes::crockford_clean: case, dashes and spaces, I/L as 1, O as 0).
std::optional<std::string> normalise_fingerprint(const std::string &text) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const auto symbols = codes::crockford_clean(text);
  if (!symbols || symbols->size() != 20) return std::nullopt;
  // crockford_clean also passes the check symbols (*~$=U), which no fingerprint has.
  if (symbols->find_first_not_of(kAlphabet) != std::string::npos) return std::nullopt;
  return symbols->substr(0, 5) + "-" + symbols->substr(5, 5) + "-" + symbols->substr(10, 5) + "-" +
         symbols->substr(15, 5);
}

std::string when(std::int64_t ms) {
  return iso_local_time(ms / 1000);
}

}  // namespace

Result<BundleTrust> make_bundle_trust(const std::string &pinned_in_cache,
                                      const std::string &pinned_in_config,
                                      const std::string &given) {
  BundleTrust trust;
  for (const std::string *pinned : {&pinned_in_cache, &pinned_in_config}) {
    if (auto key = parse_public_key_hex(*pinned)) {
      trust.key = *key;
      return trust;
    }
  }
  if (given.empty()) return trust;
  if (auto key = parse_public_key_hex(given)) {
    trust.key = *key;
    return trust;
  }
  if (auto fingerprint = normalise_fingerprint(given)) {
    trust.fingerprint = *fingerprint;
    return trust;
  }
  return make_error("bad_portal_key",
                    "--portal-key " + given +
                        ": give the portal's key as 64 hex digits, or its fingerprint as "
                        "`comptoir-portal identity` prints it (XXXXX-XXXXX-XXXXX-XXXXX)");
}

Result<ApplianceBundleState> read_bundle_state(db::Database *db, const std::string &data_dir) {
  ApplianceBundleState s;
  if (db == nullptr) return s;
  s.has_cache = true;
  auto url = db->setting(db::kSettingPortalUrl);
  if (!url) return url.error();
  s.portal_url = url->value_or("");
  auto credentials = load_credentials(data_dir, s.portal_url);
  if (!credentials) return credentials.error();
  s.enrolled = credentials->has_value();
  auto key = db->setting(db::kSettingPortalKey);
  if (!key) return key.error();
  s.pinned_key = key->value_or("");
  auto stand = db->setting(kSettingStand);
  if (!stand) return stand.error();
  s.stand_id = parse_int(*stand);
  auto created = db->setting(db::kSettingBundleCreatedMs);
  if (!created) return created.error();
  s.bundle_created = parse_int(*created);
  db::SyncStore store(db->connection());
  auto pulled = store.state(db::sync_key::kLastPullMs);
  if (!pulled) return pulled.error();
  s.last_pull_ms = parse_int(*pulled);
  db::HandoverLedger ledger(db->connection());
  auto waiting = ledger.outbox_size();
  if (!waiting) return waiting.error();
  s.outbox = *waiting;
  return s;
}

Result<void> check_bundle_fits(const Bundle &bundle, const ApplianceBundleState &state) {
  if (state.bundle_created && bundle.created_ms <= *state.bundle_created) {
    return make_error(
        "bundle_stale",
        "this bundle was made " + when(bundle.created_ms) +
            (bundle.created_ms == *state.bundle_created
                 ? ", the same time as the bundle applied last: it is that one"
                 : ", before the bundle applied last (made " + when(*state.bundle_created) + ")") +
            "; nothing was changed; apply the newest bundle, or ask the portal's "
            "admin for a new one");
  }
  if (state.enrolled && state.last_pull_ms && bundle.created_ms < *state.last_pull_ms) {
    return make_error("bundle_stale", "this bundle was made " + when(bundle.created_ms) +
                                          ", before this appliance last synced with its "
                                          "portal (" +
                                          when(*state.last_pull_ms) +
                                          "): its orders are older than the cache's; nothing "
                                          "was changed; no bundle is needed while it can sync");
  }
  if (auto url = check_portal_url(bundle.portal_url, state.insecure); !url) {
    return make_error(url.error().code,
                      "the bundle's portal " + bundle.portal_url +
                          " would be reached over plain http:// across the network (" +
                          url.error().detail +
                          "); nothing was changed; ask the portal's admin for a bundle with an "
                          "https:// address (--url), or set [sync] insecure = true in the config "
                          "on a test network");
  }
  // Handovers waiting in the outbox belong to the portal and stand they were made for, even
  // before the enrolment is finished: a bundle for another one would send them elsewhere.
  const std::string waiting =
      std::to_string(state.outbox) + " handover(s) waiting to be sent belong to ";
  const std::string discard =
      " first (the counter sends them when it reaches the portal), or reset the appliance "
      "(comptoir-provision reset), which discards them";
  if (state.enrolled && state.portal_url != bundle.portal_url) {
    return make_error("bundle_other_portal",
                      "this appliance is enrolled with " + state.portal_url +
                          ", the bundle is for " + bundle.portal_url +
                          "; nothing was changed; ask that portal's admin for a bundle, or "
                          "reset the appliance (comptoir-provision reset) before moving it to "
                          "another portal");
  }
  if (!state.enrolled && state.outbox > 0 && !state.portal_url.empty() &&
      state.portal_url != bundle.portal_url) {
    return make_error("bundle_other_portal",
                      "the " + waiting + state.portal_url + ", the bundle is for " +
                          bundle.portal_url +
                          "; nothing was changed; apply a bundle of that portal, or let the "
                          "handovers go" +
                          discard);
  }
  if (state.enrolled && state.stand_id && *state.stand_id != bundle.stand_id) {
    return make_error("bundle_other_stand",
                      "this appliance serves stand " + std::to_string(*state.stand_id) +
                          ", the bundle is for stand " + std::to_string(bundle.stand_id) +
                          "; nothing was changed; ask the portal's admin for a bundle for stand " +
                          std::to_string(*state.stand_id));
  }
  if (!state.enrolled && state.outbox > 0 && state.stand_id && *state.stand_id != bundle.stand_id) {
    return make_error("bundle_other_stand",
                      "the " + waiting + "stand " + std::to_string(*state.stand_id) +
                          ", the bundle is for stand " + std::to_string(bundle.stand_id) +
                          "; nothing was changed; apply a bundle for stand " +
                          std::to_string(*state.stand_id) + ", or let the handovers go" + discard);
  }
  return {};
}

Result<BundleApplied> write_bundle_in_transaction(db::Database &db, const Bundle &bundle,
                                                  const ApplianceBundleState &state) {
  const wire::ChangesPage &page = bundle.snapshot;
  auto applied = apply_page_in_transaction(db.connection(), page, bundle.created_ms);
  if (!applied) return applied.error();
  BundleApplied out;
  out.portal_name = bundle.portal_name;
  out.portal_url = bundle.portal_url;
  out.stand_id = bundle.stand_id;
  const auto stand = std::find_if(page.stands.begin(), page.stands.end(),
                                  [&](const wire::Stand &st) { return st.id == bundle.stand_id; });
  if (stand != page.stands.end()) out.stand_name = stand->name;
  out.orders = applied->orders;
  out.products = applied->products;
  out.stands = applied->stands;
  out.keys = page.keys ? page.keys->size() : 0;
  out.expires_ms = bundle.expires_ms;
  out.enrolled = state.enrolled;
  out.pending_enrolment = !state.enrolled && !bundle.enrol_code.empty();
  std::vector<std::pair<std::string, std::string>> settings = {
      {db::kSettingPortalUrl, bundle.portal_url},
      {db::kSettingPortalName, bundle.portal_name},
      {db::kSettingPortalKey, codes::to_hex(bundle.portal_key.data(), bundle.portal_key.size())},
      {kSettingStand, std::to_string(bundle.stand_id)},
      {db::kSettingBundleId, bundle.bundle_id},
      {db::kSettingBundleCreatedMs, std::to_string(bundle.created_ms)}};
  // Always written: an older bundle's code never stays behind one that has none (or an
  // enrolled appliance's). The key pair kept for the previous code goes with it.
  const std::string code = out.pending_enrolment ? bundle.enrol_code : std::string();
  auto previous = db.setting(db::kSettingPendingEnrolCode);
  if (!previous) return previous.error();
  settings.emplace_back(db::kSettingPendingEnrolCode, code);
  if (previous->value_or("") != code) settings.emplace_back(kSettingPendingEnrolKey, "");
  for (const auto &[key, value] : settings) {
    if (auto w = db.set_setting(key, value); !w) return w.error();
  }
  return out;
}

}  // namespace comptoir::sync
