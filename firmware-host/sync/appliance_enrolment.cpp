#include "sync/appliance_enrolment.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "db/order_cache.hpp"
#include "db/sync_store.hpp"
#include "runtime/appliance.hpp"
#include "runtime/config.hpp"
#include "runtime/config_writer.hpp"
#include "sync/sync_agent.hpp"

namespace comptoir::sync {
namespace {

// Whether this process may write the config file: the file itself, or its directory when it
// does not exist yet (access(2) also says no on a read-only mount, as ProtectSystem=full
// makes /etc for the kiosk's service).
bool config_writable(const std::string &path) {
  if (::access(path.c_str(), W_OK) == 0) return true;
  if (errno != ENOENT) return false;
  // A path, not a std::string assigned ".": GCC 12 at -O3 warns of a false overlap there.
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return ::access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
}

}  // namespace

std::optional<EnrolmentFacts> enrolment_facts(db::Database &db, const std::string &data_dir,
                                              bool agent_running) {
  auto text = [&db](const char *key) {
    auto v = db.setting(key);
    return v && *v ? **v : std::string();
  };
  const std::string url = text(db::kSettingPortalUrl);
  bool enrolled = false;
  if (!url.empty()) {
    auto credentials = load_credentials(data_dir, url);
    enrolled = !credentials || *credentials;
  }
  const bool pending = !enrolled && (agent_running || !text(db::kSettingPendingEnrolCode).empty());
  if (!enrolled && !pending) return std::nullopt;
  EnrolmentFacts facts;
  facts.portal_url = url;
  facts.pending = pending;
  facts.portal_name = text(db::kSettingPortalName);
  facts.device_id = text(kSettingDevice);
  const std::string stand = text(kSettingStand);
  std::from_chars(stand.data(), stand.data() + stand.size(), facts.stand_id);
  db::OrderCache cache(db.connection());
  if (auto s = cache.stand(facts.stand_id); s && *s) facts.stand_name = (*s)->name;
  return facts;
}

Result<EnrolmentFacts> finish_enrolment(db::Database &db, const std::string &data_dir,
                                        const EnrolGrant &grant, const SyncSettings &settings,
                                        const std::string &config_path, const Clock &clock,
                                        Lang lang,
                                        std::optional<ConfigNotWritten> *config_warning) {
  if (config_warning) config_warning->reset();
  EnrolOptions checks;
  checks.settings = settings;
  if (auto r = check_not_enrolled(db, data_dir, checks); !r) return r.error();
  if (auto r = check_portal_key(&db, checks, grant); !r) return r.error();
  // The portal's identity key is pinned in the database by write_enrolment, in its
  // transaction; the config file follows below.
  auto written = write_enrolment(db, data_dir, grant, clock);
  if (!written) return written.error();
  EnrolmentFacts facts;
  facts.portal_url = written->credentials.portal_url;
  facts.portal_name = written->portal_name;
  facts.stand_id = written->stand.id;
  facts.stand_name = written->stand.name;
  facts.device_id = written->credentials.device_id;
  if (const std::string &hex = written->portal_key; !hex.empty()) {
    const std::string config = config_path.empty() ? default_config_path() : config_path;
    if (!config_writable(config)) {
      // The packaged kiosk (user comptoir, /etc read-only) never can: the database's pin is
      // what bundles are checked against first, so there is nothing to warn about.
      std::fprintf(stderr,
                   "comptoir: enrolment: portal key pinned in the database (%s is not "
                   "writable by this user: left as is)\n",
                   config.c_str());
    } else if (auto r = update_config_file(config, {{"sync", "portal_key", toml_string(hex)}});
               !r) {
      // The database holds the pin, which is what bundles are checked against first.
      std::fprintf(stderr, "comptoir: enrolment: [sync] portal_key not written: %s (%s)\n",
                   error_message(r.error(), lang).c_str(), r.error().detail.c_str());
      if (config_warning) *config_warning = ConfigNotWritten{config, r.error()};
    }
  } else {
    std::fprintf(stderr, "comptoir: enrolment: the portal sent no identity key to pin\n");
  }
  std::fprintf(stderr, "comptoir: enrolled with %s as %s, stand %lld\n", facts.portal_url.c_str(),
               facts.device_id.c_str(), static_cast<long long>(facts.stand_id));
  return facts;
}

}  // namespace comptoir::sync
