// `comptoir-provision reset`: see provisioning/commands.hpp. A factory reset removes what the
// appliance made in its data directory (by name: never a whole directory a person may have
// pointed --data at by mistake) and the portal's trust settings from the config file.
#include <dirent.h>
#include <grp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "db/database.hpp"
#include "db/sqlite.hpp"
#include "runtime/appliance.hpp"
#include "runtime/config.hpp"
#include "runtime/config_writer.hpp"
#include "runtime/messages.hpp"
#include "runtime/service_user.hpp"
#include "sync/sync_agent.hpp"

namespace comptoir::provisioning {
namespace {

// What Comptoir makes in a data directory (runtime/service_user.hpp), the lock last.
static_assert(std::string_view(kDataDirFiles.front()) == db::Database::kFileName);
static_assert(std::string_view(kDataDirFiles[4]) == sync::kDeviceKeyFile);
static_assert(std::string_view(kDataDirFiles.back()) == "comptoir.lock");

struct Say {
  std::optional<Lang> lang;
  std::FILE *to;
  void operator()(const std::string &fr, const std::string &en) const {
    if (!lang || *lang == Lang::fr) std::fprintf(to, "%s\n", fr.c_str());
    if (!lang || *lang == Lang::en) std::fprintf(to, "%s\n", en.c_str());
  }
};

int usage_error(std::FILE *err, const std::string &message) {
  std::fprintf(err, "comptoir-provision: reset: %s\n\nUsage:%s", message.c_str(),
               provisioning_commands_usage().c_str());
  return 2;
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Where a symbolic link points, as written in it.
std::string link_target(const std::string &path) {
  std::string target(4096, '\0');
  const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n < 0) return std::string("? (") + std::strerror(errno) + ")";
  target.resize(static_cast<std::size_t>(n));
  return target;
}

// Handovers still in the outbox; an error when the database cannot say.
Result<std::int64_t> waiting_handovers(const std::string &db_path) {
  auto conn = db::Connection::open(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!conn) return conn.error();
  sqlite3_busy_timeout(conn->handle(), 5000);
  if (auto r = conn->exec("PRAGMA query_only=1"); !r) return r.error();
  db::Statement s = conn->prepare("SELECT count(*) FROM outbox");
  if (!s.valid()) return conn->error(db_path);
  if (s.step() != SQLITE_ROW) return conn->error(db_path);
  return s.int64(0);
}

}  // namespace

int run_reset_command(const std::vector<std::string> &args, std::FILE *out, std::FILE *err) {
  std::optional<std::string> data_arg, config_arg;
  std::optional<Lang> lang;
  bool yes = false, keep_config = false, discard = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string &a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(("Usage:" + provisioning_commands_usage()).c_str(), out);
      return 0;
    } else if (a == "--data" && has_value) {
      data_arg = args[++i];
    } else if (a == "--config" && has_value) {
      config_arg = args[++i];
    } else if (a == "--lang" && has_value) {
      lang = lang_from_string(args[++i]);
      if (!lang) return usage_error(err, "--lang takes fr or en");
    } else if (a == "--yes") {
      yes = true;
    } else if (a == "--keep-config") {
      keep_config = true;
    } else if (a == "--force-discard-unsynced") {
      discard = true;
    } else {
      return usage_error(err, "unknown or incomplete option: " + a);
    }
  }
  const Say say{lang, out};
  const Say complain{lang, err};
  auto failed = [&](const Error &e) {
    complain("comptoir-provision: " + error_message(e, Lang::fr),
             "comptoir-provision: " + error_message(e, Lang::en));
    if (!e.detail.empty()) std::fprintf(err, "comptoir-provision: (%s)\n", e.detail.c_str());
    return 1;
  };

  const std::string config_path = config_arg.value_or(default_config_path());
  auto config = load_config(config_path, config_arg.has_value());
  if (!config && (!keep_config || !data_arg)) {
    failed(config.error());
    complain(
        "Rien n'a été effacé. Corrigez la configuration, ou relancez avec --keep-config "
        "--data DOSSIER.",
        "Nothing was removed. Correct the config, or run again with --keep-config "
        "--data DIR.");
    return 1;
  }
  const std::string data_dir = data_arg ? *data_arg : config->data_dir.value_or(default_data_dir());
  const std::string db_path = data_dir + "/" + db::Database::kFileName;

  // A directory with none of Comptoir's files is not the appliance's (a mistyped --data, or
  // a config that names another data_dir): nothing to reset there, and saying "done" would
  // leave the real one as it was.
  struct stat st {};
  const bool have_dir = ::stat(data_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  const bool any_ours =
      have_dir && std::any_of(kDataDirFiles.begin(), kDataDirFiles.end(),
                              [&](const char *name) { return exists(data_dir + "/" + name); });
  if (!any_ours) {
    const std::string where = config ? config->path : std::string();
    const std::string hint_fr = where.empty()
                                    ? std::string(" avec --data DOSSIER")
                                    : " avec --data DOSSIER, ou vérifiez data_dir dans " + where;
    const std::string hint_en = where.empty() ? std::string(" with --data DIR")
                                              : " with --data DIR, or check data_dir in " + where;
    complain("comptoir-provision: aucun fichier de Comptoir dans " + data_dir +
                 " : rien n'a été effacé. Indiquez le dossier de données de l'appareil" + hint_fr +
                 ".",
             "comptoir-provision: no Comptoir file in " + data_dir +
                 ": nothing was removed. Name the appliance's data directory" + hint_en + ".");
    return 1;
  }

  // One writer per data directory: a running kiosk or headless keeps its files open.
  std::unique_ptr<DataDirLock> lock;
  if (have_dir) {
    auto locked = DataDirLock::acquire(data_dir);
    if (!locked) {
      if (locked.error().code == "data_dir_locked") {
        complain("comptoir-provision: Comptoir est en service sur " + data_dir +
                     " : rien n'a été effacé. Arrêtez d'abord les services : systemctl stop "
                     "comptoir-kiosk comptoir-headless",
                 "comptoir-provision: Comptoir is running on " + data_dir +
                     ": nothing was removed. Stop the services first: systemctl stop "
                     "comptoir-kiosk comptoir-headless");
        return 1;
      }
      return failed(locked.error());
    }
    lock = std::move(*locked);
  }

  // Handovers not yet at the portal exist nowhere else.
  if (exists(db_path)) {
    auto waiting = waiting_handovers(db_path);
    if (!waiting && !discard) {
      failed(waiting.error());
      complain(
          "Impossible de compter les remises en attente d'envoi : rien n'a été effacé. "
          "Pour effacer quand même (et les perdre) : --force-discard-unsynced",
          "Cannot count the handovers waiting to be sent: nothing was removed. To remove "
          "anyway (and lose them): --force-discard-unsynced");
      return 1;
    }
    if (waiting && *waiting > 0 && !discard) {
      const std::string n = std::to_string(*waiting);
      complain("comptoir-provision: " + n +
                   " remise(s) attendent d'être envoyées au portail et seraient perdues : rien "
                   "n'a été effacé. Synchronisez d'abord (comptoir sync --once --data " +
                   data_dir + "), ou, pour les perdre, relancez avec --force-discard-unsynced",
               "comptoir-provision: " + n +
                   " handover(s) wait to be sent to the portal and would be lost: nothing was "
                   "removed. Sync first (comptoir sync --once --data " +
                   data_dir + "), or, to lose them, run again with --force-discard-unsynced");
      return 1;
    }
  }

  if (!yes) {
    if (::isatty(STDIN_FILENO) == 0) {
      complain(
          "comptoir-provision: reset efface les données de l'appareil : ajoutez --yes pour "
          "confirmer sans terminal. Rien n'a été effacé.",
          "comptoir-provision: reset removes the appliance's data: add --yes to confirm "
          "without a terminal. Nothing was removed.");
      return 2;
    }
    complain("Remise à zéro de " + data_dir +
                 " : la base, la clé de l'appareil et la clé du portail seront effacées.",
             "Factory reset of " + data_dir +
                 ": the database, the device's key and the portal's key will be removed.");
    if (!lang || *lang == Lang::fr) std::fputs("Tapez RESET pour confirmer", err);
    if (!lang) std::fputs(" / ", err);
    if (!lang || *lang == Lang::en) std::fputs("Type RESET to confirm", err);
    std::fputs(": ", err);
    std::fflush(err);
    char line[128] = {};
    std::string typed = std::fgets(line, sizeof line, stdin) != nullptr ? line : "";
    while (!typed.empty() && (typed.back() == '\n' || typed.back() == '\r')) typed.pop_back();
    if (typed != "RESET") {
      complain("Annulé : rien n'a été effacé.", "Cancelled: nothing was removed.");
      return 1;
    }
  }

  std::vector<std::string> removed, problems;
  if (have_dir) {
    for (const char *name : kDataDirFiles) {
      const std::string path = data_dir + "/" + name;
      struct stat entry {};
      if (::lstat(path.c_str(), &entry) != 0) continue;
      if (S_ISLNK(entry.st_mode)) {
        // Removing the link would leave what it points to (the cache, the key) where it is,
        // and say it was removed: a person decides.
        problems.push_back(
            path + " is a symbolic link to " + link_target(path) +
            ": neither was removed. Remove what it points to if it is this appliance's, then "
            "the link.");
        continue;
      }
      if (::unlink(path.c_str()) == 0) {
        removed.push_back(path);
      } else {
        problems.push_back(path + ": " + std::strerror(errno));
      }
    }
    lock.reset();
  }

  // The config: the portal's identity key and how to reach it. Only keys set are touched;
  // the rest of the file, comments included, stays.
  std::vector<std::string> config_keys;
  if (!keep_config && config && !config->path.empty()) {
    std::vector<ConfigEdit> edits;
    if (!config->sync.portal_key.empty()) edits.push_back({"sync", "portal_key", "\"\""});
    if (!config->sync.ca_file.empty()) edits.push_back({"sync", "ca_file", "\"\""});
    if (config->sync.insecure) edits.push_back({"sync", "insecure", "false"});
    if (!edits.empty()) {
      if (auto r = update_config_file(config->path, edits); !r) {
        problems.push_back(config->path + ": " + error_message(r.error(), Lang::en) + " (" +
                           r.error().detail + ")");
      } else {
        for (const ConfigEdit &e : edits) config_keys.push_back("[sync] " + e.key);
        // root:comptoir 0640, as the package installs it (the file was replaced).
        if (::geteuid() == 0) {
          if (const group *g = ::getgrnam("comptoir"); g != nullptr) {
            if (::chown(config->path.c_str(), 0, g->gr_gid) != 0) {
              problems.push_back(config->path + ": chown: " + std::strerror(errno));
            }
          }
        }
      }
    }
  }

  // What else is there: not ours by name, so left where it is.
  std::vector<std::string> left;
  if (have_dir) {
    if (DIR *d = ::opendir(data_dir.c_str()); d != nullptr) {
      while (const dirent *e = ::readdir(d)) {
        const std::string name = e->d_name;
        const bool ours = std::find(kDataDirFiles.begin(), kDataDirFiles.end(), name) !=
                          kDataDirFiles.end();  // a link reported above
        if (name != "." && name != ".." && !ours) left.push_back(name);
      }
      ::closedir(d);
    }
    std::sort(left.begin(), left.end());
  }

  for (const std::string &p : removed) say("effacé : " + p, "removed: " + p);
  for (const std::string &k : config_keys) {
    say("retiré de " + config->path + " : " + k, "removed from " + config->path + ": " + k);
  }
  if (keep_config) say("configuration gardée (--keep-config)", "config kept (--keep-config)");
  if (!left.empty()) {
    std::string list;
    for (const std::string &n : left) list += (list.empty() ? "" : ", ") + n;
    say("laissé dans " + data_dir + " (pas créé par Comptoir) : " + list,
        "left in " + data_dir + " (not made by Comptoir): " + list);
  }
  say("Les fichiers sont effacés, pas détruits : sur une carte flash, seul un effacement complet "
      "de la carte garantit qu'ils ne se relisent plus.",
      "The files are removed, not shredded: on flash storage only wiping the whole card makes "
      "sure they cannot be read back.");
  if (!problems.empty()) {
    for (const std::string &p : problems) std::fprintf(err, "comptoir-provision: %s\n", p.c_str());
    complain("Remise à zéro incomplète : voyez ci-dessus, puis relancez.",
             "Factory reset incomplete: see above, then run it again.");
    return 1;
  }
  say("Remise à zéro faite. Pour remettre l'appareil en service : comptoir-provision enrol "
      "--portal URL --code CODE",
      "Factory reset done. To put the appliance back into service: comptoir-provision enrol "
      "--portal URL --code CODE");
  return 0;
}

}  // namespace comptoir::provisioning
