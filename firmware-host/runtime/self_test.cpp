// See self_test.hpp.
#include "runtime/self_test.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "db/database.hpp"
#include "db/schema.hpp"
#include "db/sqlite.hpp"
#include "db/sync_store.hpp"
#include "runtime/appliance.hpp"
#include "runtime/cache_check.hpp"
#include "runtime/config.hpp"
#include "runtime/scanners.hpp"
#include "sync/bundle.hpp"
#include "sync/http_client.hpp"
#include "sync/sync_agent.hpp"
#include "sync/wire.hpp"

namespace comptoir {
namespace {

BiText bi(std::string fr, std::string en) {
  return BiText{std::move(fr), std::move(en)};
}

CheckResult make(std::string id, CheckStatus status, BiText name, BiText detail, BiText fix = {}) {
  CheckResult c;
  c.id = std::move(id);
  c.status = status;
  c.name = std::move(name);
  c.detail = std::move(detail);
  c.fix = std::move(fix);
  return c;
}

std::string num(std::int64_t n) {
  return std::to_string(n);
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777u);
  return buf;
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// "12 s", "5 min", "3 h", "2 j"/"2 d".
BiText age(std::int64_t ms) {
  if (ms < 0) ms = 0;
  const std::int64_t s = ms / 1000;
  if (s < 120) return bi(num(s) + " s", num(s) + " s");
  if (s < 2 * 3600) return bi(num(s / 60) + " min", num(s / 60) + " min");
  if (s < 2 * 86400) return bi(num(s / 3600) + " h", num(s / 3600) + " h");
  return bi(num(s / 86400) + " j", num(s / 86400) + " d");
}

BiText error_text(const Error &e) {
  BiText t{error_message(e, Lang::fr), error_message(e, Lang::en)};
  if (!e.detail.empty() && t.en.find(e.detail) == std::string::npos) {
    t.fr += " (" + e.detail + ")";
    t.en += " (" + e.detail + ")";
  }
  return t;
}

std::optional<uid_t> service_uid() {
  std::array<char, 4096> buf{};
  passwd pw{};
  passwd *found = nullptr;
  if (::getpwnam_r("comptoir", &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return found->pw_uid;
}

const BiText kEnrolFix =
    bi("inscrivez l'appareil : comptoir-provision enrol --portal URL --code CODE (code donné "
       "par l'administrateur du portail), ou appliquez un paquet hors ligne : comptoir-provision "
       "bundle apply FICHIER",
       "enrol the appliance: comptoir-provision enrol --portal URL --code CODE (a code from the "
       "portal's admin), or apply an offline bundle: comptoir-provision bundle apply FILE");

BiText enrol_again_fix(const std::string &url) {
  const std::string u = url.empty() ? "URL" : url;
  return bi(
      "inscrivez l'appareil à nouveau : comptoir-provision enrol --force --portal " + u +
          " --code CODE",
      "enrol the appliance again: comptoir-provision enrol --force --portal " + u + " --code CODE");
}

std::optional<std::int64_t> to_int(const std::string &text) {
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used != text.size()) return std::nullopt;
    return static_cast<std::int64_t>(v);
  } catch (...) {
    return std::nullopt;
  }
}

std::string lower(std::string s) {
  for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string fingerprint_of(const std::string &hex) {
  auto key = sync::parse_public_key_hex(hex);
  if (!key) return hex;
  return sync::bundle_fingerprint(*key);
}

}  // namespace

std::string_view to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::ok:
      return "ok";
    case CheckStatus::warn:
      return "warn";
    case CheckStatus::fail:
      return "fail";
    case CheckStatus::skipped:
      return "skipped";
    case CheckStatus::info:
      return "info";
  }
  return "fail";
}

// ---- config -----------------------------------------------------------------------------

CheckResult judge_config(const ConfigFacts &f) {
  const BiText name = bi("Configuration", "Configuration");
  if (f.error) {
    return make("config", CheckStatus::fail, name, error_text(*f.error),
                bi("corrigez " + f.path +
                       " (la ligne indiquée), ou retirez-le pour les réglages "
                       "par défaut",
                   "correct " + f.path + " (the line named), or remove it for the defaults"));
  }
  if (!f.exists) {
    return make("config", CheckStatus::ok, name,
                bi(f.path + " absent : réglages par défaut", f.path + " absent: the defaults"));
  }
  if (!f.warnings.empty()) {
    std::string list;
    for (const std::string &w : f.warnings) list += (list.empty() ? "" : "; ") + w;
    return make("config", CheckStatus::warn, name,
                bi(f.path + " lu, avec des avertissements : " + list,
                   f.path + " read, with warnings: " + list),
                bi("corrigez ou retirez ces clés dans " + f.path + " (une faute de frappe ?)",
                   "correct or remove these keys in " + f.path + " (a typo?)"));
  }
  return make("config", CheckStatus::ok, name, bi(f.path + " lu", f.path + " read"));
}

// ---- the lock ---------------------------------------------------------------------------

bool data_dir_lock_held(const std::string &data_dir) {
  const std::string path = data_dir + "/comptoir.lock";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  std::ifstream locks("/proc/locks");
  if (locks) {
    char dev[64];
    std::snprintf(dev, sizeof dev, "%02x:%02x:%llu", ::major(st.st_dev), ::minor(st.st_dev),
                  static_cast<unsigned long long>(st.st_ino));
    std::string line;
    while (std::getline(locks, line)) {
      std::istringstream in(line);
      std::string n, type, advisory, mode, pid, where;
      in >> n >> type;
      if (type == "->") in >> type;  // a waiter: "1: -> FLOCK ..."
      in >> advisory >> mode >> pid >> where;
      if (type == "FLOCK" && where == dev) return true;
    }
    return false;
  }
  // No /proc: a shared try-lock, released at once.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

CheckResult judge_running(bool running, const std::string &data_dir) {
  const BiText name = bi("Appareil en service", "Appliance running");
  if (running) {
    return make("appliance", CheckStatus::info, name,
                bi("oui : le kiosque ou le mode sans écran utilise " + data_dir +
                       " ; ce test ne fait que lire",
                   "yes: the kiosk or headless uses " + data_dir + "; this test only reads"));
  }
  return make("appliance", CheckStatus::info, name,
              bi("non : aucun processus Comptoir n'utilise " + data_dir +
                     " (systemctl start comptoir-kiosk ou comptoir-headless pour servir)",
                 "no: no Comptoir process uses " + data_dir +
                     " (systemctl start comptoir-kiosk or comptoir-headless to serve)"));
}

// ---- data directory ---------------------------------------------------------------------

DataDirFacts inspect_data_dir(const std::string &dir) {
  DataDirFacts f;
  f.path = dir;
  f.as_root = ::geteuid() == 0;
  f.service_uid = service_uid();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return f;
  f.exists = true;
  f.is_dir = S_ISDIR(st.st_mode);
  f.mode = st.st_mode & 07777u;
  f.owner = st.st_uid;
  f.writable = ::access(dir.c_str(), W_OK | X_OK) == 0;
  return f;
}

CheckResult judge_data_dir(const DataDirFacts &f) {
  const BiText name = bi("Dossier de données", "Data directory");
  if (!f.exists) {
    return make("data_dir", CheckStatus::fail, name,
                bi(f.path + " n'existe pas", f.path + " does not exist"), kEnrolFix);
  }
  if (!f.is_dir) {
    return make("data_dir", CheckStatus::fail, name,
                bi(f.path + " n'est pas un dossier", f.path + " is not a directory"),
                bi("choisissez le bon dossier (--data, ou data_dir dans la configuration)",
                   "choose the right directory (--data, or data_dir in the config)"));
  }
  if (f.as_root && f.service_uid && f.owner != *f.service_uid) {
    return make(
        "data_dir", CheckStatus::fail, name,
        bi(f.path + " appartient à l'uid " + num(f.owner) +
               ", mais le service tourne en tant que « comptoir »",
           f.path + " is owned by uid " + num(f.owner) + ", but the service runs as \"comptoir\""),
        bi("chown -R comptoir:comptoir " + f.path, "chown -R comptoir:comptoir " + f.path));
  }
  if (!f.writable) {
    return make(
        "data_dir", CheckStatus::fail, name,
        bi(f.path + " n'est pas modifiable par cet utilisateur (mode " + octal(f.mode) + ")",
           f.path + " is not writable by this user (mode " + octal(f.mode) + ")"),
        bi("lancez le test en root (sudo comptoir-provision selftest), ou rendez le "
           "dossier à son utilisateur",
           "run the test as root (sudo comptoir-provision selftest), or give the "
           "directory back to its user"));
  }
  if ((f.mode & 007u) != 0) {
    return make("data_dir", CheckStatus::warn, name,
                bi(f.path + " est lisible par tous (mode " + octal(f.mode) +
                       ") : il contient les noms des clients et la clé de l'appareil",
                   f.path + " is readable by everyone (mode " + octal(f.mode) +
                       "): it holds customers' names and the device's key"),
                bi("chmod 700 " + f.path, "chmod 700 " + f.path));
  }
  return make(
      "data_dir", CheckStatus::ok, name,
      bi(f.path + " (mode " + octal(f.mode) + ")", f.path + " (mode " + octal(f.mode) + ")"));
}

// ---- database ---------------------------------------------------------------------------

namespace {

// A query's first column, as text rows of (key, value) or one integer.
Result<std::int64_t> query_int(db::Connection &c, const std::string &sql) {
  db::Statement s = c.prepare(sql);
  if (!s.valid()) return c.error(sql);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return s.is_null(0) ? std::int64_t{-1} : s.int64(0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return c.error(sql);
}

Result<std::map<std::string, std::string>> query_map(db::Connection &c, const std::string &sql) {
  db::Statement s = c.prepare(sql);
  if (!s.valid()) return c.error(sql);
  std::map<std::string, std::string> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out[s.text(0)] = s.text(1);
  if (rc != SQLITE_DONE) return c.error(sql);
  return out;
}

}  // namespace

DatabaseFacts inspect_database(const std::string &db_path) {
  DatabaseFacts f;
  f.path = db_path;
  f.latest_version = db::latest_schema_version();
  f.as_root = ::geteuid() == 0;
  struct stat st {};
  if (::stat(db_path.c_str(), &st) != 0) {
    f.reach_errno = errno;
    return f;
  }
  f.exists = true;
  {
    std::array<char, 16> header{};
    std::ifstream in(db_path, std::ios::binary);
    if (!in) {
      f.reach_errno = errno;
      f.error = make_error("database_open_failed", db_path + ": " + std::strerror(f.reach_errno));
      return f;
    }
    if (st.st_size > 0 && (!in.read(header.data(), header.size()) ||
                           std::memcmp(header.data(), "SQLite format 3", 16) != 0)) {
      f.error = make_error("database_corrupt", db_path + ": not a SQLite database");
      return f;
    }
  }
  // Read-write but query_only, as Database::check_everything: a read-only connection to a
  // WAL database would leave its -wal and -shm behind. Never SQLITE_OPEN_CREATE.
  auto conn = db::Connection::open(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!conn) {
    f.error = conn.error();
    return f;
  }
  sqlite3_busy_timeout(conn->handle(), 5000);
  if (auto r = conn->exec("PRAGMA query_only=1"); !r) {
    f.error = r.error();
    return f;
  }
  auto app_id = query_int(*conn, "PRAGMA application_id");
  auto version = query_int(*conn, "PRAGMA user_version");
  if (!app_id || !version) {
    f.error = !app_id ? app_id.error() : version.error();
    return f;
  }
  if (*version == 0 || *app_id != db::kApplicationId) {
    f.error = make_error("database_not_ours", db_path + ": not a Comptoir database");
    return f;
  }
  f.schema_version = static_cast<int>(*version);
  if (f.schema_version > f.latest_version) return f;
  if (auto r = check_whole_cache(db_path); !r) f.integrity = r.error();

  // What still reads of a damaged file is still worth showing; the first failure is kept
  // unless the integrity check already said why.
  auto note = [&f](const Error &e) {
    if (!f.error && !f.integrity) f.error = e;
  };
  if (auto n = query_int(*conn, "SELECT count(*) FROM orders"))
    f.orders = *n;
  else
    note(n.error());
  if (auto n = query_int(*conn, "SELECT count(*) FROM outbox"))
    f.outbox = *n;
  else
    note(n.error());
  if (f.outbox > 0) {
    auto oldest = query_int(*conn,
                            "SELECT min(e.wall_ms) FROM outbox o JOIN handover_events e "
                            "ON e.seq = o.event_seq");
    if (oldest && *oldest > 0) f.oldest_waiting_ms = *oldest;
    if (!oldest) note(oldest.error());
  }
  if (f.schema_version >= 5) {
    if (auto n = query_int(*conn, "SELECT count(*) FROM sync_conflicts WHERE reviewed_ms IS NULL"))
      f.conflicts = *n;
    else
      note(n.error());
  }
  if (auto settings = query_map(*conn, "SELECT key, value FROM settings")) {
    auto get = [&](const char *key) {
      auto it = settings->find(key);
      return it == settings->end() ? std::string() : it->second;
    };
    f.device_id = get(kSettingDevice);
    f.stand_id = get(kSettingStand);
    f.portal_url = get(db::kSettingPortalUrl);
    f.portal_name = get(db::kSettingPortalName);
    f.portal_key = get(db::kSettingPortalKey);
    f.pending_enrol_code = get(db::kSettingPendingEnrolCode);
  } else {
    note(settings.error());
  }
  if (auto state = query_map(*conn, "SELECT key, value FROM sync_state")) {
    auto get = [&](const char *key) {
      auto it = state->find(key);
      return it == state->end() ? std::string() : it->second;
    };
    f.last_pull_ms = to_int(get(db::sync_key::kLastPullMs));
    f.last_push_ms = to_int(get(db::sync_key::kLastPushMs));
    f.link = get(db::sync_key::kLink);
    f.last_error = get(db::sync_key::kLastError);
    f.last_error_detail = get(db::sync_key::kLastErrorDetail);
  } else {
    note(state.error());
  }
  return f;
}

CheckResult judge_database(const DatabaseFacts &f) {
  const BiText name = bi("Base de données", "Database");
  if (f.reach_errno == EACCES && !f.as_root) {
    // The data directory is the service user's (0700): not a missing database.
    return make("database", CheckStatus::fail, name,
                bi(f.path + " : accès refusé à cet utilisateur",
                   f.path + ": permission denied to this user"),
                bi("lancez le test en root (sudo comptoir-provision selftest)",
                   "run as root (sudo comptoir-provision selftest)"));
  }
  if (!f.exists) {
    return make("database", CheckStatus::fail, name,
                bi(f.path + " absente : l'appareil n'est pas provisionné",
                   f.path + " missing: the appliance is not provisioned"),
                kEnrolFix);
  }
  const BiText put_aside = bi(
      "arrêtez les services (systemctl stop comptoir-kiosk comptoir-headless), mettez " + f.path +
          " de côté sans l'effacer (les remises non envoyées y sont), puis inscrivez "
          "l'appareil à nouveau (comptoir-provision enrol --force …) et appelez le support",
      "stop the services (systemctl stop comptoir-kiosk comptoir-headless), move " + f.path +
          " aside without deleting it (handovers not yet sent are in it), then enrol the "
          "appliance again (comptoir-provision enrol --force …) and call support");
  if (f.error && !f.integrity) {
    return make("database", CheckStatus::fail, name, error_text(*f.error), put_aside);
  }
  if (f.schema_version > f.latest_version) {
    return make("database", CheckStatus::fail, name,
                bi("schéma v" + num(f.schema_version) + ", ce Comptoir connaît jusqu'à la v" +
                       num(f.latest_version),
                   "schema v" + num(f.schema_version) + ", this Comptoir knows up to v" +
                       num(f.latest_version)),
                bi("mettez Comptoir à jour (apt upgrade comptoir)",
                   "update Comptoir (apt upgrade comptoir)"));
  }
  if (f.integrity) {
    return make("database", CheckStatus::fail, name,
                bi("contrôle d'intégrité échoué : " + f.integrity->detail,
                   "integrity check failed: " + f.integrity->detail),
                put_aside);
  }
  const BiText counts =
      bi(num(f.orders) + " commandes, " + num(f.outbox) + " remises en attente d'envoi, " +
             num(f.conflicts) + " conflits à vérifier",
         num(f.orders) + " orders, " + num(f.outbox) + " handovers waiting to be sent, " +
             num(f.conflicts) + " conflicts to review");
  if (f.schema_version < f.latest_version) {
    return make("database", CheckStatus::warn, name,
                bi("intègre, schéma v" + num(f.schema_version) + " (v" + num(f.latest_version) +
                       " attendue) ; " + counts.fr,
                   "sound, schema v" + num(f.schema_version) + " (v" + num(f.latest_version) +
                       " expected); " + counts.en),
                bi("démarrez le service une fois : il met la base à jour",
                   "start the service once: it upgrades the database"));
  }
  return make("database", CheckStatus::ok, name,
              bi("intègre, schéma v" + num(f.schema_version) + " ; " + counts.fr,
                 "sound, schema v" + num(f.schema_version) + "; " + counts.en));
}

// ---- identity ---------------------------------------------------------------------------

IdentityFacts inspect_identity(const std::string &data_dir, const DatabaseFacts &db) {
  IdentityFacts f;
  f.key_path = data_dir + "/" + sync::kDeviceKeyFile;
  f.as_root = ::geteuid() == 0;
  f.service_uid = service_uid();
  f.db_device_id = db.device_id;
  f.portal_url = db.portal_url;
  f.pending_enrolment = !db.pending_enrol_code.empty();
  f.database_exists = db.exists;
  f.denied = !f.as_root && db.reach_errno == EACCES;
  struct stat st {};
  if (::lstat(f.key_path.c_str(), &st) != 0) return f;
  f.key_exists = true;
  f.key_mode = st.st_mode & 07777u;
  f.key_owner = st.st_uid;
  // The agent's own reader: the same refusals the running appliance would meet.
  auto creds = sync::load_credentials(data_dir, db.portal_url.empty() ? "-" : db.portal_url);
  if (!creds) {
    f.key_error = creds.error();
  } else if (*creds) {
    f.key_device_id = (*creds)->device_id;
  }
  return f;
}

CheckResult judge_identity(const IdentityFacts &f, const std::string &data_dir) {
  const BiText name = bi("Identité de l'appareil", "Device identity");
  (void)data_dir;
  if (f.denied) {
    return make("identity", CheckStatus::skipped, name,
                bi("non vérifiée : la base n'est lisible qu'en root",
                   "not checked: the database can only be read as root"),
                bi("lancez le test en root (sudo comptoir-provision selftest)",
                   "run as root (sudo comptoir-provision selftest)"));
  }
  if (f.portal_url.empty() && !f.key_exists) {
    if (f.pending_enrolment) {
      return make("identity", CheckStatus::warn, name,
                  bi("inscription en attente (paquet hors ligne appliqué) : elle se termine "
                     "dès que l'appareil joint son portail",
                     "enrolment pending (an offline bundle was applied): it completes as soon "
                     "as the appliance reaches its portal"),
                  bi("branchez l'appareil au réseau une fois, puis relancez ce test",
                     "connect the appliance to the network once, then run this test again"));
    }
    return make("identity", CheckStatus::fail, name,
                bi("appareil non inscrit auprès d'un portail",
                   "the appliance is not enrolled with a portal"),
                kEnrolFix);
  }
  if (!f.key_exists) {
    if (f.pending_enrolment) {
      return make("identity", CheckStatus::warn, name,
                  bi("inscription en attente auprès de " + f.portal_url +
                         " (paquet hors ligne) : elle se termine dès que l'appareil le joint",
                     "enrolment pending with " + f.portal_url +
                         " (offline bundle): it completes as soon as the appliance reaches it"),
                  bi("branchez l'appareil au réseau une fois, puis relancez ce test",
                     "connect the appliance to the network once, then run this test again"));
    }
    return make("identity", CheckStatus::fail, name,
                bi(f.key_path + " manque (inscrit auprès de " + f.portal_url +
                       ") : l'appareil ne peut plus se synchroniser",
                   f.key_path + " is missing (enrolled with " + f.portal_url +
                       "): the appliance cannot sync any more"),
                enrol_again_fix(f.portal_url));
  }
  if ((f.key_mode & 077u) != 0) {
    return make("identity", CheckStatus::fail, name,
                bi(f.key_path + " est lisible par d'autres utilisateurs (mode " +
                       octal(f.key_mode) + ") : il contient la clé secrète de l'appareil",
                   f.key_path + " can be read by other users (mode " + octal(f.key_mode) +
                       "): it holds the device's secret key"),
                bi("chmod 600 " + f.key_path, "chmod 600 " + f.key_path));
  }
  if (f.as_root && f.service_uid && f.key_owner != *f.service_uid) {
    return make(
        "identity", CheckStatus::fail, name,
        bi(f.key_path + " appartient à l'uid " + num(f.key_owner) +
               " : le service (« comptoir ») ne peut pas le lire",
           f.key_path + " is owned by uid " + num(f.key_owner) +
               ": the service (\"comptoir\") cannot read it"),
        bi("chown comptoir:comptoir " + f.key_path, "chown comptoir:comptoir " + f.key_path));
  }
  if (f.key_error) {
    return make("identity", CheckStatus::fail, name, error_text(*f.key_error),
                enrol_again_fix(f.portal_url));
  }
  if (f.portal_url.empty()) {
    return make("identity", CheckStatus::fail, name,
                bi(f.key_path + " existe mais la base ne nomme aucun portail (inscription "
                                "interrompue)",
                   f.key_path + " exists but the database names no portal (an enrolment cut "
                                "short)"),
                enrol_again_fix(""));
  }
  if (!f.db_device_id.empty() && f.db_device_id != f.key_device_id) {
    return make("identity", CheckStatus::fail, name,
                bi(f.key_path + " est celle de l'appareil « " + f.key_device_id +
                       " », la base celle de « " + f.db_device_id + " »",
                   f.key_path + " belongs to device \"" + f.key_device_id +
                       "\", the database to \"" + f.db_device_id + "\""),
                enrol_again_fix(f.portal_url));
  }
  return make("identity", CheckStatus::ok, name,
              bi("inscrit comme « " + f.key_device_id + " » auprès de " + f.portal_url +
                     " (device.key en " + octal(f.key_mode) + ")",
                 "enrolled as \"" + f.key_device_id + "\" with " + f.portal_url +
                     " (device.key mode " + octal(f.key_mode) + ")"));
}

CheckResult judge_portal_key(const std::string &db_key, const std::string &config_key,
                             const std::string &config_path, bool enrolled) {
  const BiText name = bi("Clé du portail épinglée", "Pinned portal key");
  const std::string d = lower(db_key), c = lower(config_key);
  if (d.empty() && c.empty()) {
    if (!enrolled) {
      return make("portal_key", CheckStatus::skipped, name,
                  bi("aucune : appareil non inscrit", "none: the appliance is not enrolled"));
    }
    return make("portal_key", CheckStatus::fail, name,
                bi("aucune clé d'identité du portail n'est épinglée : ni les paquets hors ligne "
                   "ni l'identité du portail ne peuvent être vérifiés",
                   "no portal identity key is pinned: neither offline bundles nor the "
                   "portal's identity can be checked"),
                enrol_again_fix(""));
  }
  if (!d.empty() && !c.empty() && d != c) {
    return make("portal_key", CheckStatus::fail, name,
                bi("[sync] portal_key de " + config_path + " (" + fingerprint_of(c) +
                       ") diffère de la clé épinglée à l'inscription (" + fingerprint_of(d) + ")",
                   "[sync] portal_key in " + config_path + " (" + fingerprint_of(c) +
                       ") differs from the key pinned at enrolment (" + fingerprint_of(d) + ")"),
                bi("si le portail a été réinstallé, inscrivez l'appareil à nouveau ; sinon "
                   "remettez portal_key = \"" +
                       d + "\" dans [sync] de " + config_path,
                   "if the portal was reinstalled, enrol the appliance again; else put back "
                   "portal_key = \"" +
                       d + "\" in [sync] of " + config_path));
  }
  // One pin is enough: bundles are checked against the database's, else the config's (the
  // kiosk, run as comptoir, pins only the database: it cannot write the config file).
  if (d.empty()) {
    return make("portal_key", CheckStatus::ok, name,
                bi(fingerprint_of(c) + " (épinglée dans " + config_path + ")",
                   fingerprint_of(c) + " (pinned in " + config_path + ")"));
  }
  if (c.empty()) {
    return make("portal_key", CheckStatus::ok, name,
                bi(fingerprint_of(d) + " (épinglée dans la base)",
                   fingerprint_of(d) + " (pinned in the database)"));
  }
  return make("portal_key", CheckStatus::ok, name,
              bi(fingerprint_of(d) + " (base et " + config_path + ")",
                 fingerprint_of(d) + " (database and " + config_path + ")"));
}

// ---- disk -------------------------------------------------------------------------------

CheckResult judge_disk(std::optional<std::uint64_t> free_bytes, const std::string &dir) {
  const BiText name = bi("Espace disque", "Disk space");
  if (!free_bytes) {
    return make(
        "disk", CheckStatus::fail, name,
        bi("impossible de lire l'espace libre de " + dir, "cannot read the free space of " + dir),
        bi("vérifiez que " + dir + " existe et est monté",
           "check that " + dir + " exists and is mounted"));
  }
  const std::string mib = num(static_cast<std::int64_t>(*free_bytes / (1024 * 1024)));
  const BiText detail = bi(mib + " Mio libres pour " + dir, mib + " MiB free for " + dir);
  if (*free_bytes < kDiskFailBytes) {
    return make("disk", CheckStatus::fail, name, detail,
                bi("moins de 50 Mio : les remises risquent de ne plus s'enregistrer ; libérez de "
                   "la place (journalctl --vacuum-size=50M, apt clean)",
                   "under 50 MiB: handovers may fail to be recorded; free some space "
                   "(journalctl --vacuum-size=50M, apt clean)"));
  }
  if (*free_bytes < kDiskWarnBytes) {
    return make("disk", CheckStatus::warn, name, detail,
                bi("moins de 500 Mio : libérez de la place avant que le disque ne se remplisse "
                   "(journalctl --vacuum-size=50M, apt clean)",
                   "under 500 MiB: free some space before the disk fills up "
                   "(journalctl --vacuum-size=50M, apt clean)"));
  }
  return make("disk", CheckStatus::ok, name, detail);
}

// ---- scanners ---------------------------------------------------------------------------

std::optional<ServiceUser> find_service_user() {
  std::array<char, 4096> buf{};
  passwd pw{};
  passwd *found = nullptr;
  if (::getpwnam_r("comptoir", &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  ServiceUser user;
  user.uid = found->pw_uid;
  int count = 16;
  for (int attempt = 0; attempt < 4; ++attempt) {
    user.groups.assign(static_cast<std::size_t>(count), 0);
    const int wanted = count;
    if (::getgrouplist(found->pw_name, found->pw_gid, user.groups.data(), &count) >= 0) {
      user.groups.resize(static_cast<std::size_t>(count));
      return user;
    }
    if (count <= wanted) count = wanted * 4;  // a libc that does not say how many
  }
  user.groups.assign(1, found->pw_gid);  // the primary group at least
  return user;
}

bool service_can_open(const DeviceNode &node, const ServiceUser &user) {
  unsigned bits;
  if (node.owner == user.uid) {
    bits = (node.mode >> 6) & 7u;
  } else if (std::find(user.groups.begin(), user.groups.end(), node.group) != user.groups.end()) {
    bits = (node.mode >> 3) & 7u;
  } else {
    bits = node.mode & 7u;
  }
  const unsigned need = node.write ? 6u : 4u;
  return (bits & need) == need;
}

CheckResult judge_scanners(std::size_t used, std::size_t found,
                           const std::vector<ConfiguredDevice> &configured,
                           const std::vector<std::string> &used_names,
                           const std::vector<DeviceNode> &denied) {
  const BiText name = bi("Lecteurs et caméras", "Scanners and cameras");
  std::string missing;
  for (const ConfiguredDevice &d : configured) {
    if (!d.present) missing += (missing.empty() ? "" : ", ") + d.what;
  }
  if (!missing.empty()) {
    return make("scanners", CheckStatus::fail, name,
                bi("la configuration nomme un appareil absent : " + missing,
                   "the config names a device that is missing: " + missing),
                bi("branchez-le (ou corrigez son chemin dans [scanners]), puis comptoir "
                   "--list-devices",
                   "plug it in (or correct its path in [scanners]), then comptoir --list-devices"));
  }
  if (used == 0) {
    return make(
        "scanners", CheckStatus::warn, name,
        bi("aucun lecteur utilisable (" + num(static_cast<std::int64_t>(found)) +
               (found > 1 ? " périphériques vus" : " périphérique vu") +
               ") : les codes ne pourront être que tapés",
           "no scanner to read (" + num(static_cast<std::int64_t>(found)) +
               (found == 1 ? " device seen" : " devices seen") + "): codes can only be typed"),
        bi("branchez un lecteur ; comptoir --list-devices dit pourquoi un appareil est "
           "ignoré",
           "plug a scanner in; comptoir --list-devices says why a device is skipped"));
  }
  if (!denied.empty()) {
    std::string nodes;
    for (const DeviceNode &n : denied) {
      nodes += (nodes.empty() ? "" : ", ") + n.path + " (uid " + num(n.owner) + ", gid " +
               num(n.group) + ", " + octal(n.mode) + ")";
    }
    return make(
        "scanners", CheckStatus::fail, name,
        bi("lu ici en root, mais l'utilisateur comptoir du service ne peut pas l'ouvrir : " + nodes,
           "read here as root, but the service user comptoir cannot open it: " + nodes),
        bi("une règle udev doit le donner au groupe comptoir : copiez une ligne de "
           "/usr/lib/udev/rules.d/60-comptoir-scanners.rules dans "
           "/etc/udev/rules.d/61-comptoir-local.rules avec l'identifiant de son fabricant "
           "(lsusb : « ID vvvv:pppp »), puis udevadm control --reload-rules && udevadm trigger",
           "a udev rule must give it to the group comptoir: copy a line of "
           "/usr/lib/udev/rules.d/60-comptoir-scanners.rules into "
           "/etc/udev/rules.d/61-comptoir-local.rules with its vendor id (lsusb: \"ID "
           "vvvv:pppp\"), then udevadm control --reload-rules && udevadm trigger"));
  }
  std::string names;
  for (const std::string &n : used_names) names += (names.empty() ? "" : ", ") + n;
  return make("scanners", CheckStatus::ok, name,
              bi(num(static_cast<std::int64_t>(used)) + " lu(s) : " + names,
                 num(static_cast<std::int64_t>(used)) + " read: " + names));
}

// ---- clock ------------------------------------------------------------------------------

CheckResult judge_clock(std::int64_t now_ms, std::optional<std::int64_t> offset_ms, bool offline) {
  const BiText name = bi("Horloge", "Clock");
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
  const BiText ntp =
      bi("mettez l'appareil à l'heure : timedatectl set-ntp true (NTP), ou "
         "date -s en dernier recours",
         "set the appliance's time: timedatectl set-ntp true (NTP), or date -s "
         "as a last resort");
  if (tm.tm_year + 1900 < kSaneYear) {
    return make("clock", CheckStatus::fail, name,
                bi(std::string("date du système invraisemblable : ") + date,
                   std::string("the system's date is not plausible: ") + date),
                ntp);
  }
  if (!offset_ms) {
    return make("clock", CheckStatus::ok, name,
                bi(std::string(date) + (offline ? " (hors ligne : non comparée au portail)"
                                                : " (non comparée au portail)"),
                   std::string(date) + (offline ? " (offline: not compared with the portal)"
                                                : " (not compared with the portal)")));
  }
  const std::int64_t off = *offset_ms;
  const std::int64_t abs_off = off < 0 ? -off : off;
  const std::string secs = fixed1(static_cast<double>(abs_off) / 1000.0);
  const BiText detail =
      abs_off < 1000
          ? bi(std::string(date) + ", à moins d'une seconde du portail",
               std::string(date) + ", within a second of the portal")
          : bi(std::string(date) + ", " + (off >= 0 ? "en retard de " : "en avance de ") + secs +
                   " s sur le portail",
               std::string(date) + ", " + secs + " s " + (off >= 0 ? "behind" : "ahead of") +
                   " the portal");
  if (abs_off >= kClockFailMs) {
    return make("clock", CheckStatus::fail, name, detail,
                bi("au-delà de 5 min le portail refuse les requêtes ; " + ntp.fr,
                   "beyond 5 min the portal refuses requests; " + ntp.en));
  }
  if (abs_off >= kClockWarnMs) {
    return make("clock", CheckStatus::warn, name, detail,
                bi("au-delà de 5 min le portail refusera les requêtes ; " + ntp.fr,
                   "beyond 5 min the portal will refuse requests; " + ntp.en));
  }
  return make("clock", CheckStatus::ok, name, detail);
}

// ---- bandwidth and sync -----------------------------------------------------------------

CheckResult judge_bandwidth(std::uint64_t bytes, double seconds, std::int64_t orders_here) {
  const BiText name = bi("Débit", "Bandwidth");
  if (seconds < 0.001) seconds = 0.001;
  const double rate = static_cast<double>(bytes) / seconds;  // bytes per second
  const std::string kbs = fixed1(rate / 1000.0);
  const double per_1000 = 1000.0 * kPullBytesPerOrder / rate;
  std::string here_fr, here_en;
  if (orders_here > 1000) {
    const double t = static_cast<double>(orders_here) * kPullBytesPerOrder / rate;
    here_fr = ", les " + num(orders_here) + " commandes d'ici ~" + fixed1(t) + " s";
    here_en = ", the " + num(orders_here) + " orders here ~" + fixed1(t) + " s";
  }
  const std::string kib = num(static_cast<std::int64_t>(bytes / 1024));
  const std::string took =
      seconds < 1 ? num(static_cast<std::int64_t>(seconds * 1000)) + " ms" : fixed1(seconds) + " s";
  const std::string first = per_1000 < 0.1 ? "< 0.1 s" : "~" + fixed1(per_1000) + " s";
  const BiText detail =
      bi(kbs + " ko/s (" + kib + " Kio en " + took +
             ") : une première synchro de 1 000 commandes prend " + first + here_fr,
         kbs + " kB/s (" + kib + " KiB in " + took + "): a first sync of 1,000 orders takes " +
             first + here_en);
  if (rate < kBandwidthWarnBytesPerS) {
    return make("bandwidth", CheckStatus::warn, name, detail,
                bi("lien lent (sous 2 ko/s) : la synchro marche mais prend du temps ; "
                   "rapprochez l'antenne ou le routeur, ou préparez un paquet hors ligne",
                   "slow link (under 2 kB/s): sync works but takes time; move the antenna or "
                   "router, or prepare an offline bundle"));
  }
  return make("bandwidth", CheckStatus::ok, name, detail);
}

CheckResult judge_sync(const SyncFacts &f) {
  const BiText name = bi("Synchronisation", "Sync");
  if (!f.enrolled) {
    return make("sync", CheckStatus::skipped, name,
                bi("appareil non inscrit", "the appliance is not enrolled"));
  }
  std::vector<BiText> problems;
  BiText fix;
  // The agent's last word, not a new measure (the Portal line is that): said as such, so
  // "online" beside an unreachable portal reads right.
  const BiText link = f.link == "online" ? bi("en ligne au dernier essai", "online at the last try")
                      : f.link == "offline"
                          ? bi("hors ligne au dernier essai", "offline at the last try")
                      : f.link.empty() ? bi("lien inconnu", "link unknown")
                                       : bi("lien " + f.link, "link " + f.link);
  BiText last = bi("jamais synchronisé", "never synced");
  if (f.last_pull_ms) {
    const BiText a = age(f.now_ms - *f.last_pull_ms);
    last = bi("dernière synchro il y a " + a.fr, "last sync " + a.en + " ago");
    if (f.now_ms - *f.last_pull_ms > kSyncStaleMs) {
      problems.push_back(bi("dernière synchro il y a plus de 24 h", "last sync over 24 h ago"));
    }
  } else {
    problems.push_back(bi("jamais synchronisé", "never synced"));
  }
  BiText waiting = bi(num(f.outbox) + " remises en attente", num(f.outbox) + " handovers waiting");
  if (f.oldest_waiting_ms) {
    const BiText a = age(f.now_ms - *f.oldest_waiting_ms);
    waiting.fr += " (la plus ancienne depuis " + a.fr + ")";
    waiting.en += " (the oldest for " + a.en + ")";
    if (f.now_ms - *f.oldest_waiting_ms > kSyncStaleMs) {
      problems.push_back(
          bi("des remises attendent depuis plus de 24 h", "handovers have waited for over 24 h"));
    }
  }
  BiText detail = bi(link.fr + ", " + last.fr + ", " + waiting.fr,
                     link.en + ", " + last.en + ", " + waiting.en);
  if (!f.last_error.empty()) {
    const Error e{f.last_error, f.last_error_detail};
    detail.fr += " ; dernière erreur : " + error_message(e, Lang::fr);
    detail.en += "; last error: " + error_message(e, Lang::en);
    problems.push_back(bi("la dernière synchro a échoué", "the last sync failed"));
  }
  if (f.conflicts > 0) {
    detail.fr += " ; " + num(f.conflicts) + " conflits à vérifier";
    detail.en += "; " + num(f.conflicts) + " conflicts to review";
    problems.push_back(bi("des remises signalées par le portail attendent une vérification",
                          "handovers the portal flagged wait for a review"));
  }
  if (problems.empty()) return make("sync", CheckStatus::ok, name, detail);
  BiText what;
  for (const BiText &p : problems) {
    what.fr += (what.fr.empty() ? "" : " ; ") + p.fr;
    what.en += (what.en.empty() ? "" : "; ") + p.en;
  }
  fix = bi(what.fr +
               " : vérifiez le réseau et le portail (lignes Portail et Horloge), puis "
               "comptoir sync --once ; les conflits se vérifient sur le kiosque",
           what.en +
               ": check the network and the portal (the Portal and Clock lines), then comptoir "
               "sync --once; conflicts are reviewed on the kiosk");
  return make("sync", CheckStatus::warn, name, detail, fix);
}

// ---- the whole run ----------------------------------------------------------------------

namespace {

std::vector<ConfiguredDevice> configured_devices(const ScannersConfig &s,
                                                 const std::vector<drivers::DeviceCandidate> &c) {
  std::vector<ConfiguredDevice> out;
  auto exists = [](const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  };
  if (s.evdev) {
    for (const auto &d : s.evdev_devices) out.push_back({"evdev " + d.path, exists(d.path)});
  }
  if (s.serial) {
    for (const auto &d : s.serial_ports) out.push_back({"serial " + d.path, exists(d.path)});
  }
  if (s.usb) {
    for (const auto &d : s.usb_devices) {
      char id[16];
      std::snprintf(id, sizeof id, "%04x:%04x", d.vendor, d.product);
      const bool found = std::any_of(c.begin(), c.end(), [&](const drivers::DeviceCandidate &x) {
        return x.reader == "usb" && x.device_id.find(id) != std::string::npos;
      });
      out.push_back({std::string("usb ") + id, found});
    }
  }
  if (s.camera.enabled) {
    out.push_back({"camera " + s.camera.device, exists(s.camera.device)});
  }
  return out;
}

struct PortalProbe {
  CheckResult reach;
  std::optional<CheckResult> identity;
  std::optional<CheckResult> bandwidth;
  std::optional<std::int64_t> offset_ms;
};

PortalProbe probe_portal(const std::string &url, const sync::SyncSettings &settings,
                         const std::string &pinned, std::size_t bandwidth_bytes,
                         std::int64_t orders_here, const Clock &clock) {
  PortalProbe p;
  const BiText name = bi("Portail", "Portal");
  const BiText id_name = bi("Identité du portail", "Portal identity");
  sync::HttpOptions o;
  o.base_url = url;
  o.ca_file = settings.ca_file;
  o.insecure = settings.insecure;
  o.connect_timeout_s = std::min(settings.connect_timeout_s, 10);
  o.stall_seconds = std::min(settings.stall_s, 15);
  auto client = sync::HttpClient::create(o);
  auto unreachable = [&](const Error &e) {
    p.reach = make("portal", CheckStatus::fail, name,
                   bi(url + " injoignable (" + e.code + " : " + e.detail + ")",
                      url + " cannot be reached (" + e.code + ": " + e.detail + ")"),
                   bi("vérifiez le réseau (ip route, ping), l'adresse du portail et, en HTTPS, "
                      "[sync] ca_file ; les remises restent enregistrées ici en attendant",
                      "check the network (ip route, ping), the portal's address and, over "
                      "HTTPS, [sync] ca_file; handovers stay recorded here meanwhile"));
  };
  if (!client) {
    unreachable(client.error());
    return p;
  }
  const std::string prefix(wire::kApiPrefix);
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t wall0 = clock.wall_ms();
  auto answer = (*client)->send({"GET", prefix + "/ping", {}, {}});
  const auto t1 = std::chrono::steady_clock::now();
  if (!answer) {
    unreachable(answer.error());
    return p;
  }
  const std::int64_t rtt_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count();
  if (answer->status != 200) {
    p.reach = make("portal", CheckStatus::fail, name,
                   bi(url + " a répondu HTTP " + num(answer->status) + " à /ping",
                      url + " answered HTTP " + num(answer->status) + " to /ping"),
                   bi("vérifiez l'adresse du portail (un proxy ?) et que le portail est à jour",
                      "check the portal's address (a proxy?) and that the portal is up to date"));
    return p;
  }
  auto ping = wire::parse_ping_response(answer->body);
  if (!ping) {
    p.reach = make(
        "portal", CheckStatus::fail, name,
        bi(url + " a répondu, mais pas comme un portail Comptoir (" + ping.error().detail + ")",
           url + " answered, but not as a Comptoir portal (" + ping.error().detail + ")"),
        bi("vérifiez l'adresse du portail", "check the portal's address"));
    return p;
  }
  p.offset_ms = ping->portal_time_ms - (wall0 + rtt_ms / 2);
  p.reach = make("portal", CheckStatus::ok, name,
                 bi(url + " (« " + ping->portal_name + " ») répond en " + num(rtt_ms) + " ms",
                    url + " (\"" + ping->portal_name + "\") answers in " + num(rtt_ms) + " ms"));
  const std::string seen = codes::to_hex(ping->portal_key.data(), ping->portal_key.size());
  if (pinned.empty()) {
    p.identity =
        make("portal_identity", CheckStatus::warn, id_name,
             bi("le portail se présente avec " + sync::bundle_fingerprint(ping->portal_key) +
                    ", aucune clé n'est épinglée pour comparer",
                "the portal presents " + sync::bundle_fingerprint(ping->portal_key) +
                    ", no key is pinned to compare with"),
             enrol_again_fix(url));
  } else if (lower(pinned) != seen) {
    p.identity =
        make("portal_identity", CheckStatus::fail, id_name,
             bi("ce n'est pas le même portail : il se présente avec " +
                    sync::bundle_fingerprint(ping->portal_key) + ", l'appareil a épinglé " +
                    fingerprint_of(lower(pinned)),
                "not the same portal: it presents " + sync::bundle_fingerprint(ping->portal_key) +
                    ", the appliance pinned " + fingerprint_of(lower(pinned))),
             bi("vérifiez l'adresse (" + url +
                    ") : un autre serveur y répond ; si le portail a été réinstallé, inscrivez "
                    "l'appareil à nouveau (comptoir-provision enrol --force …)",
                "check the address (" + url +
                    "): another server answers there; if the portal was reinstalled, enrol the "
                    "appliance again (comptoir-provision enrol --force …)"));
  } else {
    p.identity = make("portal_identity", CheckStatus::ok, id_name,
                      bi("même clé que celle épinglée (" + fingerprint_of(seen) + ")",
                         "the same key as the one pinned (" + fingerprint_of(seen) + ")"));
  }

  const std::size_t n = std::min(bandwidth_bytes, wire::kMaxPingBytes);
  const auto b0 = std::chrono::steady_clock::now();
  auto download =
      (*client)->send({"GET", prefix + "/ping/download?bytes=" + std::to_string(n), {}, {}});
  const auto b1 = std::chrono::steady_clock::now();
  const BiText bw_name = bi("Débit", "Bandwidth");
  if (!download || download->status != 200) {
    const BiText why = !download
                           ? error_text(download.error())
                           : bi("HTTP " + num(download->status), "HTTP " + num(download->status));
    p.bandwidth = make("bandwidth", CheckStatus::warn, bw_name,
                       bi("mesure impossible : " + why.fr, "could not be measured: " + why.en),
                       bi("relancez le test ; si cela persiste, le lien coupe les transferts "
                          "longs",
                          "run the test again; if it persists, the link cuts long transfers"));
    return p;
  }
  double seconds = std::chrono::duration<double>(b1 - b0).count();
  // One round trip is latency, not bandwidth.
  seconds = std::max(seconds - static_cast<double>(rtt_ms) / 1000.0, seconds / 2);
  p.bandwidth =
      judge_bandwidth(std::max<std::uint64_t>(download->bytes_received, download->body.size()),
                      seconds, orders_here);
  return p;
}

}  // namespace

std::vector<CheckResult> run_self_test(const SelfTestOptions &options, const Clock &clock) {
  std::vector<CheckResult> checks;
  const std::int64_t now_ms = clock.wall_ms();

  ConfigFacts cf;
  cf.path = options.config_path.empty() ? default_config_path() : options.config_path;
  Config config;
  {
    struct stat st {};
    cf.exists = ::stat(cf.path.c_str(), &st) == 0;
    auto loaded = load_config(cf.path, options.config_explicit);
    if (loaded) {
      config = std::move(*loaded);
      cf.warnings = config.warnings;
    } else {
      cf.error = loaded.error();
    }
  }
  checks.push_back(judge_config(cf));
  const std::string data_dir =
      !options.data_dir.empty() ? options.data_dir : config.data_dir.value_or(default_data_dir());

  const DataDirFacts dd = inspect_data_dir(data_dir);
  checks.push_back(judge_running(dd.exists && data_dir_lock_held(data_dir), data_dir));
  checks.push_back(judge_data_dir(dd));

  const DatabaseFacts dbf = inspect_database(data_dir + "/" + db::Database::kFileName);
  checks.push_back(judge_database(dbf));

  const IdentityFacts idf = inspect_identity(data_dir, dbf);
  checks.push_back(judge_identity(idf, data_dir));
  const bool enrolled = !dbf.portal_url.empty();
  const std::string config_name = cf.path;
  checks.push_back(judge_portal_key(dbf.portal_key, config.sync.portal_key, config_name,
                                    enrolled || !dbf.pending_enrol_code.empty()));

  {
    struct statvfs fs {};
    std::optional<std::uint64_t> free_bytes;
    if (dd.exists && ::statvfs(data_dir.c_str(), &fs) == 0) {
      free_bytes =
          static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
    }
    checks.push_back(judge_disk(free_bytes, data_dir));
  }

  {
    Scanners list(config.scanners, Scanners::Purpose::list);
    const std::vector<drivers::DeviceCandidate> found = list.candidates();
    std::size_t used = 0;
    std::vector<std::string> names;
    // As root every node opens: what counts is whether the service user could.
    const std::optional<ServiceUser> service =
        ::geteuid() == 0 ? find_service_user() : std::nullopt;
    std::vector<DeviceNode> denied;
    for (const auto &c : found) {
      if (!c.used) continue;
      ++used;
      names.push_back(c.name + (c.path.empty() ? "" : " (" + c.path + ")"));
      struct stat st {};
      if (!service || c.path.rfind("/dev/", 0) != 0 || ::stat(c.path.c_str(), &st) != 0 ||
          !S_ISCHR(st.st_mode)) {
        continue;
      }
      const DeviceNode node{c.path, st.st_uid, st.st_gid, st.st_mode & 07777u, c.reader != "evdev"};
      if (!service_can_open(node, *service)) denied.push_back(node);
    }
    checks.push_back(judge_scanners(used, found.size(), configured_devices(config.scanners, found),
                                    names, denied));
  }

  std::optional<std::int64_t> offset;
  std::vector<CheckResult> network;
  const BiText skipped_fr_en = bi("ignoré (--offline)", "skipped (--offline)");
  if (options.offline) {
    network.push_back(make("portal", CheckStatus::skipped, bi("Portail", "Portal"), skipped_fr_en));
    network.push_back(make("portal_identity", CheckStatus::skipped,
                           bi("Identité du portail", "Portal identity"), skipped_fr_en));
    network.push_back(
        make("bandwidth", CheckStatus::skipped, bi("Débit", "Bandwidth"), skipped_fr_en));
  } else if (dbf.portal_url.empty()) {
    const BiText why = bi("ignoré : aucun portail connu (appareil non inscrit)",
                          "skipped: no portal known (the appliance is not enrolled)");
    network.push_back(make("portal", CheckStatus::skipped, bi("Portail", "Portal"), why));
  } else {
    const std::string pinned = !dbf.portal_key.empty() ? dbf.portal_key : config.sync.portal_key;
    PortalProbe p = probe_portal(dbf.portal_url, config.sync, pinned, options.bandwidth_bytes,
                                 dbf.orders, clock);
    offset = p.offset_ms;
    network.push_back(std::move(p.reach));
    if (p.identity) network.push_back(std::move(*p.identity));
    if (p.bandwidth) network.push_back(std::move(*p.bandwidth));
  }
  checks.push_back(judge_clock(now_ms, offset, options.offline));
  for (CheckResult &c : network) checks.push_back(std::move(c));

  SyncFacts sf;
  sf.enrolled = enrolled && dbf.exists && !dbf.error;
  sf.now_ms = now_ms;
  sf.last_pull_ms = dbf.last_pull_ms;
  sf.link = dbf.link;
  sf.last_error = dbf.last_error;
  sf.last_error_detail = dbf.last_error_detail;
  sf.outbox = dbf.outbox;
  sf.oldest_waiting_ms = dbf.oldest_waiting_ms;
  sf.conflicts = dbf.conflicts;
  checks.push_back(judge_sync(sf));
  return checks;
}

bool self_test_passed(const std::vector<CheckResult> &checks) {
  return std::none_of(checks.begin(), checks.end(),
                      [](const CheckResult &c) { return c.status == CheckStatus::fail; });
}

namespace {

const char *label(CheckStatus s) {
  switch (s) {
    case CheckStatus::ok:
      return "[ OK ]";
    case CheckStatus::warn:
      return "[WARN]";
    case CheckStatus::fail:
      return "[FAIL]";
    case CheckStatus::skipped:
      return "[SKIP]";
    case CheckStatus::info:
      return "[INFO]";
  }
  return "[FAIL]";
}

void append_lines(std::string &out, const CheckResult &c, Lang lang, bool first) {
  const std::string colon = lang == Lang::fr ? " : " : ": ";
  out += first ? std::string(label(c.status)) + " " : std::string(7, ' ');
  out += c.name.in(lang) + colon + c.detail.in(lang) + "\n";
  if (!c.fix.empty() && c.status != CheckStatus::ok) {
    out += std::string(7, ' ') + (lang == Lang::fr ? "→ à faire : " : "→ to do: ") +
           c.fix.in(lang) + "\n";
  }
}

}  // namespace

std::string format_self_test(const std::vector<CheckResult> &checks, std::optional<Lang> lang) {
  std::string out;
  std::int64_t fails = 0, warns = 0;
  for (const CheckResult &c : checks) {
    fails += c.status == CheckStatus::fail ? 1 : 0;
    warns += c.status == CheckStatus::warn ? 1 : 0;
    if (lang) {
      append_lines(out, c, *lang, true);
    } else {
      append_lines(out, c, Lang::fr, true);
      append_lines(out, c, Lang::en, false);
    }
  }
  const BiText summary =
      fails > 0 ? bi("ÉCHEC : " + num(fails) + " échec(s), " + num(warns) + " avertissement(s)",
                     "FAILED: " + num(fails) + " failure(s), " + num(warns) + " warning(s)")
                : bi("RÉUSSI : aucun échec, " + num(warns) + " avertissement(s)",
                     "PASSED: no failure, " + num(warns) + " warning(s)");
  out += "\n";
  if (!lang || *lang == Lang::fr) out += summary.fr + "\n";
  if (!lang || *lang == Lang::en) out += summary.en + "\n";
  return out;
}

std::string self_test_json(const std::vector<CheckResult> &checks, std::optional<Lang> lang) {
  const Lang main = lang.value_or(Lang::fr);
  nlohmann::json list = nlohmann::json::array();
  for (const CheckResult &c : checks) {
    nlohmann::json j = {{"id", c.id},
                        {"status", std::string(to_string(c.status))},
                        {"name", c.name.in(main)},
                        {"detail", c.detail.in(main)},
                        {"fix", c.fix.in(main)}};
    if (!lang) {
      j["en"] = {{"name", c.name.en}, {"detail", c.detail.en}, {"fix", c.fix.en}};
    }
    list.push_back(std::move(j));
  }
  const nlohmann::json out = {{"ok", self_test_passed(checks)}, {"checks", std::move(list)}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace comptoir
