// `comptoir-provision bundle apply FILE`: see provisioning/commands.hpp and
// sync/bundle_apply.hpp. Every refusal comes before anything is written: the file, its
// signature and trust, its fit with this appliance and the config it carries are checked
// first; then the cache is written in one transaction, the config file before its commit
// (and put back as it was if the commit fails).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bundle_config.hpp"
#include "commands.hpp"
#include "db/database.hpp"
#include "db/sqlite.hpp"
#include "runtime/appliance.hpp"
#include "runtime/clock.hpp"
#include "runtime/config.hpp"
#include "runtime/config_writer.hpp"
#include "runtime/messages.hpp"
#include "runtime/service_user.hpp"
#include "sync/bundle.hpp"
#include "sync/bundle_apply.hpp"

namespace comptoir::provisioning {
namespace {

constexpr const char *kProgram = "comptoir-provision";

std::string tr(Lang lang, std::string fr, std::string en) {
  return lang == Lang::fr ? std::move(fr) : std::move(en);
}

std::string dump(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int usage_error(std::FILE *err, const std::string &message) {
  std::fprintf(err, "%s: bundle: %s\n\nUsage:%s", kProgram, message.c_str(),
               provisioning_commands_usage().c_str());
  return 2;
}

// A refusal: the sentence (reason and next step), the specifics, and that nothing changed.
int refuse(std::FILE *out, std::FILE *err, bool json, const Error &e, Lang lang) {
  const std::string message = error_message(e, lang);
  std::fprintf(err, "%s: %s\n", kProgram, message.c_str());
  if (!e.detail.empty() && message.find(e.detail) == std::string::npos) {
    std::fprintf(err, "%s: (%s)\n", kProgram, e.detail.c_str());
  }
  if (json) {
    std::fprintf(out, "%s\n",
                 dump({{"ok", false},
                       {"type", "bundle"},
                       {"error", e.code},
                       {"message", message},
                       {"detail", e.detail}})
                     .c_str());
  }
  return 1;
}

// The whole file, at most sync::kMaxBundleBytes.
Result<std::string> read_bundle_file(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error("bundle_file_unreadable",
                      path + ": " + std::strerror(errno) +
                          ": check the path (is the USB stick mounted?) and that this user may "
                          "read it");
  }
  std::string data;
  char buf[65536];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return make_error("bundle_file_unreadable",
                        path + ": " + std::strerror(e) + ": copy the bundle again");
    }
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > sync::kMaxBundleBytes) {
      ::close(fd);
      return make_error("bundle_unreadable",
                        path + " is larger than " +
                            std::to_string(sync::kMaxBundleBytes / (1024 * 1024)) +
                            " MiB: not a Comptoir bundle; check the file");
    }
  }
  ::close(fd);
  return data;
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The cache did not commit after the config file was written: the file is put back (its
// bytes, mode and owner, or removed when it was new) so that the refusal's "nothing was
// changed" holds; when even that fails, the refusal says which file was left changed.
Error commit_failed(Error error, const ConfigFileBackup &backup, std::FILE *err, Lang lang) {
  if (auto restored = restore_config_file(backup); !restored) {
    std::fprintf(
        err, "%s: %s\n", kProgram,
        tr(lang,
           "ATTENTION : le fichier de configuration " + backup.path +
               " n'a pas pu être remis comme avant (" + restored.error().detail +
               ") : il contient la configuration du paquet ; remettez-le à la main.",
           "WARNING: the config file " + backup.path + " could not be put back as it was (" +
               restored.error().detail + "): it holds the bundle's config; put it back by hand.")
            .c_str());
    error.detail += (error.detail.empty() ? "" : "; ") + std::string("the config file ") +
                    backup.path + " was left changed";
  }
  return error;
}

struct Options {
  std::string file;
  std::string portal_key;
  std::optional<std::string> data_dir;
  std::optional<std::string> config_path;
  std::optional<Lang> lang;
  bool json = false;
};

}  // namespace

int run_bundle_command(const std::vector<std::string> &args, std::FILE *out, std::FILE *err) {
  Options o;
  for (const auto &a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(("Usage:" + provisioning_commands_usage()).c_str(), out);
      return 0;
    }
  }
  if (args.size() < 2 || args[1] != "apply") {
    return usage_error(err, "the command is `bundle apply FILE`");
  }
  for (std::size_t i = 2; i < args.size(); ++i) {
    const std::string &a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--portal-key" && has_value) {
      o.portal_key = args[++i];
    } else if (a == "--data" && has_value) {
      o.data_dir = args[++i];
    } else if (a == "--config" && has_value) {
      o.config_path = args[++i];
    } else if (a == "--lang" && has_value) {
      o.lang = lang_from_string(args[++i]);
      if (!o.lang) return usage_error(err, "--lang takes fr or en");
    } else if (a == "--format" && has_value) {
      const std::string &f = args[++i];
      if (f != "json" && f != "text") return usage_error(err, "--format takes text or json");
      o.json = f == "json";
    } else if (!a.empty() && a[0] != '-' && o.file.empty()) {
      o.file = a;
    } else {
      return usage_error(err, "unknown or incomplete option: " + a);
    }
  }
  if (o.file.empty()) return usage_error(err, "bundle apply needs the bundle's FILE");

  const std::string config_path = o.config_path.value_or(default_config_path());
  auto config = load_config(config_path, o.config_path.has_value());
  if (!config) return refuse(out, err, o.json, config.error(), o.lang.value_or(Lang::fr));
  for (const std::string &warning : config->warnings) {
    std::fprintf(err, "%s: config: %s\n", kProgram, warning.c_str());
  }
  const Lang lang =
      o.lang.value_or(config->lang ? lang_from_string(*config->lang).value_or(Lang::fr) : Lang::fr);
  const std::string data_dir = o.data_dir.value_or(config->data_dir.value_or(default_data_dir()));
  auto fail = [&](const Error &e) { return refuse(out, err, o.json, e, lang); };

  // A directory that is not Comptoir's own (a home, /) is refused before anything else.
  if (auto dedicated = check_data_dir_dedicated(data_dir, service_owner()); !dedicated) {
    return fail(dedicated.error());
  }
  auto file = read_bundle_file(o.file);
  if (!file) return fail(file.error());

  // An existing cache: locked first (one writer; a running counter is stopped first), and
  // its pinned key read. None: nothing is created until the bundle has been accepted.
  const std::string db_path = data_dir + "/" + db::Database::kFileName;
  std::unique_ptr<DataDirLock> lock;
  std::unique_ptr<db::Database> database;
  auto take_lock = [&]() -> Result<void> {
    auto locked = DataDirLock::acquire(data_dir);
    if (!locked && locked.error().code == "data_dir_locked") {
      return make_error(
          "appliance_running",
          tr(lang,
             "Comptoir tourne sur " + data_dir +
                 " (écran ou mode sans écran) : arrêtez le service d'abord (systemctl stop "
                 "comptoir-kiosk, ou comptoir-headless), puis appliquez le paquet ; rien n'a "
                 "été changé.",
             "Comptoir is running on " + data_dir +
                 " (the kiosk or headless): stop the service first (systemctl stop "
                 "comptoir-kiosk, or comptoir-headless), then apply the bundle; nothing was "
                 "changed."));
    }
    if (!locked) return locked.error();
    lock = std::move(*locked);
    return {};
  };
  if (exists(db_path)) {
    if (auto l = take_lock(); !l) return fail(l.error());
    db::OpenOptions open_options;
    open_options.create = false;
    auto opened = db::Database::open(db_path, open_options);
    if (!opened) return fail(opened.error());
    database = std::move(*opened);
  }
  auto state = sync::read_bundle_state(database.get(), data_dir);
  if (!state) return fail(state.error());
  auto trust = sync::make_bundle_trust(state->pinned_key, config->sync.portal_key, o.portal_key);
  if (!trust) return fail(trust.error());
  SystemClock clock;
  auto bundle = sync::read_bundle(*file, *trust, clock.wall_ms());
  if (!bundle) return fail(bundle.error());
  // [sync] insecure stays this appliance's even under a bundle's config (bundle_config.hpp).
  state->insecure = config->sync.insecure;
  if (auto fits = sync::check_bundle_fits(*bundle, *state); !fits) return fail(fits.error());

  // The config as it will be written, checked before anything is. A bundle that carries one
  // replaces the file with it (its admin's config wins), keeping what only this appliance
  // knows: data_dir, [sync] ca_file and insecure (bundle_config.hpp). Else the file here
  // stays, the key pinned in it.
  const std::string key_hex = codes::to_hex(bundle->portal_key.data(), bundle->portal_key.size());
  const std::vector<ConfigEdit> edits = {{"sync", "portal_key", toml_string(key_hex)}};
  std::optional<std::string> bundle_config;
  if (!bundle->config_toml.empty()) {
    auto text = bundle_config_text(bundle->config_toml, *config, data_dir, key_hex);
    if (!text) return fail(text.error());
    bundle_config = std::move(*text);
  }
  // The file as it is, to put back if the cache does not commit after it was written.
  auto backup = back_up_config_file(config_path);
  if (!backup) return fail(backup.error());

  if (!database) {
    if (auto l = take_lock(); !l) return fail(l.error());
    auto opened = db::Database::open(db_path);
    if (!opened) return fail(opened.error());
    database = std::move(*opened);
  }
  sync::BundleApplied applied;
  {
    db::Transaction tx(database->connection());
    if (!tx.began()) return fail(tx.begin_error());
    auto written = sync::write_bundle_in_transaction(*database, *bundle, *state);
    if (!written) return fail(written.error());
    applied = std::move(*written);
    // The config before the commit: if it cannot be written, the cache is rolled back; if
    // the commit fails after it was, the file is put back as it was.
    auto config_written = bundle_config ? replace_config_file(config_path, *bundle_config)
                                        : update_config_file(config_path, edits);
    if (!config_written) return fail(config_written.error());
    if (auto c = tx.commit(); !c) return fail(commit_failed(c.error(), *backup, err, lang));
  }
  database.reset();
  // Root provisioning for the service user: its data directory and its config.
  const auto owner = service_owner();
  if (auto s = secure_data_dir(data_dir, owner); !s) {
    std::fprintf(err, "%s: %s\n", kProgram, error_message(s.error(), lang).c_str());
  }
  if (auto s = secure_config_file(config_path, owner); !s) {
    std::fprintf(err, "%s: %s\n", kProgram, error_message(s.error(), lang).c_str());
  }

  const std::string until = format_local_time(applied.expires_ms / 1000, lang);
  if (o.json) {
    nlohmann::json j = {{"ok", true},
                        {"type", "bundle"},
                        {"bundle_id", bundle->bundle_id},
                        {"portal", applied.portal_url},
                        {"portal_name", applied.portal_name},
                        {"fingerprint", sync::bundle_fingerprint(bundle->portal_key)},
                        {"stand", {{"id", applied.stand_id}, {"name", applied.stand_name}}},
                        {"orders", applied.orders},
                        {"products", applied.products},
                        {"keys", applied.keys},
                        {"created_ms", bundle->created_ms},
                        {"expires_ms", applied.expires_ms},
                        {"enrolled", applied.enrolled},
                        {"pending_enrolment", applied.pending_enrolment},
                        {"config", config_path},
                        {"config_replaced", bundle_config.has_value()},
                        {"data_dir", data_dir}};
    std::fprintf(out, "%s\n", dump(j).c_str());
    return 0;
  }
  const std::string stand = applied.stand_name.empty()
                                ? tr(lang, "n° ", "#") + std::to_string(applied.stand_id)
                                : applied.stand_name + " (" + tr(lang, "n° ", "#") +
                                      std::to_string(applied.stand_id) + ")";
  std::fprintf(
      out, "%s\n",
      tr(lang,
         "Paquet hors ligne appliqué : portail « " + applied.portal_name + " » (" +
             applied.portal_url + "), point de retrait " + stand + ".\n  " +
             std::to_string(applied.orders) + " commande(s), " + std::to_string(applied.keys) +
             " clé(s) du portail ; valable jusqu'au " + until + ".\n  Configuration : " +
             config_path + (bundle_config ? " (celle du paquet)" : "") + ".",
         "Offline bundle applied: portal \"" + applied.portal_name + "\" (" + applied.portal_url +
             "), stand " + stand + ".\n  " + std::to_string(applied.orders) + " order(s), " +
             std::to_string(applied.keys) + " portal key(s); valid until " + until +
             ".\n  Config: " + config_path + (bundle_config ? " (the bundle's)" : "") + ".")
          .c_str());
  if (applied.pending_enrolment) {
    std::fprintf(out, "%s\n",
                 tr(lang,
                    "  L'inscription se terminera d'elle-même quand l'appareil joindra le "
                    "portail ; d'ici là, le comptoir sert les commandes du paquet.",
                    "  The enrolment will finish by itself when it reaches the portal; until "
                    "then the counter serves the bundle's orders.")
                     .c_str());
  } else if (!applied.enrolled) {
    std::fprintf(out, "%s\n",
                 tr(lang,
                    "  Le paquet ne contient pas de code d'inscription : inscrivez l'appareil "
                    "(comptoir-provision enrol) quand il aura du réseau.",
                    "  The bundle holds no enrolment code: enrol the appliance "
                    "(comptoir-provision enrol) once it has a network.")
                     .c_str());
  }
  return 0;
}

}  // namespace comptoir::provisioning
