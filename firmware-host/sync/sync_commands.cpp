// `sync --once` and `enrol`: argument parsing, the data directory's lock, one round with
// a report for a person (text) or a script (JSON); and the agent for long-running processes.
#include "sync/sync_commands.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "db/database.hpp"
#include "db/handover_ledger.hpp"
#include "db/sync_store.hpp"
#include "runtime/config.hpp"
#include "runtime/config_writer.hpp"
#include "runtime/messages.hpp"
#include "runtime/service_user.hpp"
#include "sync/enrolment.hpp"
#include "sync/pending_enrolment.hpp"

namespace comptoir::sync {
namespace {

std::string tr(Lang lang, std::string fr, std::string en) {
  return lang == Lang::fr ? std::move(fr) : std::move(en);
}

struct Common {
  std::optional<std::string> data_dir;
  std::optional<std::string> config_path;
  std::optional<Lang> lang;
  bool json = false;
};

struct Opened {
  Config config;
  Lang lang = Lang::fr;
  std::string data_dir;
};

// The config (an explicit --config must exist), the language and the data directory, as the
// appliance's modes find them. The config's warnings (unknown keys) go to `err`.
Result<Opened> open_config(const Common &common, std::FILE *err, const std::string &program) {
  auto config = load_config(common.config_path.value_or(default_config_path()),
                            common.config_path.has_value());
  if (!config) return config.error();
  for (const std::string &warning : config->warnings) {
    std::fprintf(err, "%s: config: %s\n", program.c_str(), warning.c_str());
  }
  Opened o;
  o.config = std::move(*config);
  o.lang = common.lang.value_or(o.config.lang ? lang_from_string(*o.config.lang).value_or(Lang::fr)
                                              : Lang::fr);
  o.data_dir = common.data_dir ? *common.data_dir : o.config.data_dir.value_or(default_data_dir());
  return o;
}

std::string dump(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One error line: JSON for scripts, the sentence for a person.
int fail(std::FILE *out, std::FILE *err, bool json, const std::string &program, const Error &e,
         Lang lang, int status, ErrorContext context = ErrorContext::appliance) {
  const std::string message = error_message(e, lang, context);
  std::fprintf(err, "%s: %s\n", program.c_str(), message.c_str());
  // The technician running the command gets the specifics too (which file, which mode,
  // what the portal or curl said), unless the sentence already holds them.
  if (!e.detail.empty() && message.find(e.detail) == std::string::npos) {
    std::fprintf(err, "%s: (%s)\n", program.c_str(), e.detail.c_str());
  }
  if (json) {
    std::fprintf(
        out, "%s\n",
        dump({{"ok", false}, {"error", e.code}, {"message", message}, {"detail", e.detail}})
            .c_str());
  }
  return status;
}

// French digit groups ("12 345") or English ones ("12,345").
std::string count(std::uint64_t n, Lang lang) {
  std::string digits = std::to_string(n);
  std::string out;
  const char *sep = lang == Lang::fr ? "\u202f" : ",";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += sep;
    out += digits[i];
  }
  return out;
}

struct AfterRound {
  std::string link;  // sync_state "link": online, offline, unknown
  std::int64_t waiting = 0;
  std::int64_t conflicts = 0;
};

AfterRound read_after(db::Database &db) {
  AfterRound a;
  db::SyncStore store(db.connection());
  if (auto link = store.state(db::sync_key::kLink); link && *link) a.link = **link;
  if (a.link.empty()) a.link = "unknown";
  if (auto c = store.conflict_count(); c) a.conflicts = *c;
  if (auto w = db::HandoverLedger(db.connection()).outbox_size(); w) a.waiting = *w;
  return a;
}

nlohmann::json report_json(const SyncReport &r, const AfterRound &a, Lang lang) {
  nlohmann::json j = {{"ok", r.ok},
                      {"complete", r.complete},
                      {"pushed", r.pushed},
                      {"duplicates", r.duplicates},
                      {"conflicts", r.conflicts},
                      {"pages", r.pages},
                      {"orders", r.orders},
                      {"bytes_sent", r.bytes_sent},
                      {"bytes_received", r.bytes_received},
                      {"duration_ms", r.duration_ms},
                      {"link", a.link},
                      {"events_waiting", a.waiting},
                      {"conflicts_to_review", a.conflicts}};
  if (!r.ok) {
    j["error"] = r.error.code;
    j["message"] = error_message(r.error, lang);
    j["detail"] = r.error.detail;
  }
  return j;
}

void print_report(std::FILE *out, const SyncReport &r, const AfterRound &a, Lang lang) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(r.duration_ms) / 1000.0);
  std::string sec = seconds;
  if (lang == Lang::fr) {
    for (char &c : sec) c = c == '.' ? ',' : c;
  }
  const std::string link = a.link == "online"    ? tr(lang, "en ligne", "online")
                           : a.link == "offline" ? tr(lang, "hors ligne", "offline")
                                                 : tr(lang, "inconnu", "unknown");
  std::string head;
  if (r.ok) {
    head =
        tr(lang, "Synchronisation terminée en " + sec + " s.", "Sync complete in " + sec + " s.");
  } else {
    head = tr(lang, "Synchronisation interrompue après " + sec + " s : ",
              "Sync stopped after " + sec + " s: ") +
           error_message(r.error, lang);
  }
  std::fprintf(out, "%s\n", head.c_str());
  std::fprintf(out, "  %s\n",
               tr(lang,
                  "envoyés : " + count(r.pushed, lang) + " événement(s), dont " +
                      count(r.duplicates, lang) + " déjà reçu(s) par le portail ; " +
                      count(r.conflicts, lang) + " signalé(s) en conflit",
                  "sent: " + count(r.pushed, lang) + " event(s), " + count(r.duplicates, lang) +
                      " of which the portal had already; " + count(r.conflicts, lang) +
                      " flagged as conflicts")
                   .c_str());
  std::fprintf(out, "  %s\n",
               tr(lang,
                  "reçus : " + count(r.pages, lang) + " page(s), " + count(r.orders, lang) +
                      " commande(s)" + (r.complete ? "" : " (incomplet)"),
                  "received: " + count(r.pages, lang) + " page(s), " + count(r.orders, lang) +
                      " order(s)" + (r.complete ? "" : " (incomplete)"))
                   .c_str());
  std::fprintf(out, "  %s\n",
               tr(lang,
                  "octets sur le réseau : " + count(r.bytes_sent, lang) + " envoyés, " +
                      count(r.bytes_received, lang) + " reçus",
                  "bytes on the wire: " + count(r.bytes_sent, lang) + " sent, " +
                      count(r.bytes_received, lang) + " received")
                   .c_str());
  std::fprintf(
      out, "  %s\n",
      tr(lang,
         "lien : " + link +
             " ; événements en attente : " + count(static_cast<std::uint64_t>(a.waiting), lang) +
             " ; conflits à examiner : " + count(static_cast<std::uint64_t>(a.conflicts), lang),
         "link: " + link +
             "; events waiting: " + count(static_cast<std::uint64_t>(a.waiting), lang) +
             "; conflicts to review: " + count(static_cast<std::uint64_t>(a.conflicts), lang))
          .c_str());
}

// The data directory's lock: taken by a running kiosk or headless process, whose agent
// syncs; a second writer is never opened beside it.
Result<std::unique_ptr<DataDirLock>> lock_for_command(const std::string &data_dir, Lang lang,
                                                      const std::string &what) {
  auto lock = DataDirLock::acquire(data_dir);
  if (!lock && lock.error().code == "data_dir_locked") {
    return make_error(
        "appliance_running",
        tr(lang,
           "Comptoir tourne déjà sur " + data_dir +
               " (écran ou mode sans écran) et se synchronise tout seul ; son état est dans le "
               "bandeau ou « :status ». Pour " +
               what + ", arrêtez-le d'abord.",
           "Comptoir is running on " + data_dir +
               " (the kiosk or headless) and syncs by itself; its state is in the banner or "
               "\":status\". To " +
               what + ", stop it first."));
  }
  return lock;
}

// What `enrol` may create in a data directory, noted before it does, so that a refused
// enrolment takes away what it made, and only that: the directories make_dirs creates, the
// lock file, the database and its side files, the key file.
class EnrolLeftovers {
 public:
  // Before the lock: the directories and the lock file.
  explicit EnrolLeftovers(const std::string &data_dir) : data_dir_(data_dir) {
    // The same prefixes DataDirLock's make_dirs walks, outermost first.
    std::size_t pos = 0;
    while (pos != std::string::npos) {
      pos = data_dir.find('/', pos + 1);
      const std::string prefix = data_dir.substr(0, pos);
      if (!prefix.empty() && !exists(prefix)) dirs_.push_back(prefix);
    }
    note("comptoir.lock");
  }
  // Under the lock, so no other process can be making them meanwhile.
  void note_files() {
    const std::string db = db::Database::kFileName;
    for (const std::string &name :
         {db, db + "-wal", db + "-shm", db + "-journal", std::string(kDeviceKeyFile),
          std::string(kDeviceKeyFile) + ".tmp"}) {
      note(name);
    }
  }
  // The files, while the lock is still held (a process that opened the lock file before it
  // goes then finds it locked, not free), the database closed.
  void remove_files() const {
    for (const std::string &f : files_) ::unlink(f.c_str());
  }
  // Then the directories, innermost first; rmdir leaves one that is not empty.
  void remove_dirs() const {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) ::rmdir(it->c_str());
  }

 private:
  static bool exists(const std::string &path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  }
  void note(const std::string &name) {
    const std::string path = data_dir_ + "/" + name;
    if (!exists(path)) files_.push_back(path);
  }
  std::string data_dir_;
  std::vector<std::string> dirs_;
  std::vector<std::string> files_;
};

// The first sync's progress: on a terminal one line redrawn, a bar when the portal says how
// many orders remain; otherwise (a log, a pipe) a line per page, at most one a second.
class ProgressLine {
 public:
  ProgressLine(std::FILE *out, Lang lang, bool tty) : out_(out), lang_(lang), tty_(tty) {}
  void operator()(const SyncProgress &p) {
    const auto now = std::chrono::steady_clock::now();
    if (!tty_ && last_ && now - *last_ < std::chrono::seconds(1)) return;
    last_ = now;
    std::string text;
    if (p.phase == SyncProgress::Phase::push) {
      text = tr(lang_, "envoyés : " + count(p.pushed, lang_) + " événement(s)",
                "sent: " + count(p.pushed, lang_) + " event(s)");
    } else {
      const std::string orders = tr(lang_, " commandes", " orders");
      if (p.remaining) {
        const std::uint64_t total = p.orders + static_cast<std::uint64_t>(*p.remaining);
        constexpr std::size_t kWidth = 20;
        const std::size_t filled = total == 0 ? kWidth : kWidth * p.orders / total;
        text = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
               count(p.orders, lang_) + " / " + count(total, lang_) + orders;
      } else {
        text = count(p.orders, lang_) + orders;
      }
      text += tr(lang_, " (page ", " (page ") + count(p.pages, lang_) + ")";
    }
    if (tty_) {
      std::fprintf(out_, "\r%s\033[K", text.c_str());
      drawn_ = true;
    } else {
      std::fprintf(out_, "%s %s\n", tr(lang_, "Synchronisation :", "Sync:").c_str(), text.c_str());
    }
    std::fflush(out_);
  }
  // Ends the redrawn line, before the report.
  void finish() {
    if (drawn_) std::fprintf(out_, "\n");
    drawn_ = false;
  }

 private:
  std::FILE *out_;
  Lang lang_;
  bool tty_;
  bool drawn_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_;
};

int sync_once(const std::vector<std::string> &args, const std::string &program, std::FILE *out,
              std::FILE *err);
int enrol_command(const std::vector<std::string> &args, const std::string &program, std::FILE *out,
                  std::FILE *err);

int usage_error(std::FILE *err, const std::string &program, const std::string &message,
                const std::string &command = {}) {
  std::fprintf(err, "%s: %s\n\nUsage: %s", program.c_str(), message.c_str(),
               sync_commands_usage(program, command).c_str());
  return kSyncExitUsage;
}

// Options every command takes; false when `a` is none of them. `i` moves past a value.
bool common_option(const std::vector<std::string> &args, std::size_t &i, Common &c,
                   std::string *bad) {
  const std::string &a = args[i];
  const bool has_value = i + 1 < args.size();
  if (a == "--data" && has_value) {
    c.data_dir = args[++i];
  } else if (a == "--config" && has_value) {
    c.config_path = args[++i];
  } else if (a == "--lang" && has_value) {
    c.lang = lang_from_string(args[++i]);
    if (!c.lang) *bad = "--lang takes fr or en";
  } else if (a == "--format" && has_value) {
    const std::string &f = args[++i];
    if (f != "json" && f != "text") *bad = "--format takes json or text";
    c.json = f == "json";
  } else {
    return false;
  }
  return true;
}

int sync_once(const std::vector<std::string> &args, const std::string &program, std::FILE *out,
              std::FILE *err) {
  Common common;
  bool once = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string bad;
    if (args[i] == "--once") {
      once = true;
    } else if (!common_option(args, i, common, &bad)) {
      return usage_error(err, program, "unknown or incomplete option: " + args[i], "sync");
    }
    if (!bad.empty()) return usage_error(err, program, bad, args[0]);
  }
  if (!once) {
    return usage_error(err, program,
                       "sync runs one round: add --once (the kiosk and --headless sync by "
                       "themselves)");
  }
  auto opened = open_config(common, err, program);
  if (!opened) return fail(out, err, common.json, program, opened.error(), Lang::fr, 1);
  const Lang lang = opened->lang;
  const std::string &data_dir = opened->data_dir;
  const Error not_enrolled = make_error(
      "not_enrolled",
      tr(lang,
         "Cet appareil n'est inscrit auprès d'aucun portail : inscrivez-le avec « " + program +
             " enrol --portal URL --code CODE » (le code vient de l'administrateur du portail).",
         "This appliance is not enrolled with a portal: enrol it with \"" + program +
             " enrol --portal URL --code CODE\" (the code comes from the portal's admin)."));
  auto lock = lock_for_command(data_dir, lang, tr(lang, "synchroniser à la main", "sync by hand"));
  if (!lock) {
    if (lock.error().code == "appliance_running") {
      std::fprintf(err, "%s: %s\n", program.c_str(), lock.error().detail.c_str());
      if (common.json) {
        std::fprintf(
            out, "%s\n",
            dump({{"ok", false}, {"error", lock.error().code}, {"message", lock.error().detail}})
                .c_str());
      }
      return kSyncExitFailed;
    }
    return fail(out, err, common.json, program, lock.error(), lang, kSyncExitFailed);
  }
  const std::string db_path = data_dir + "/" + db::Database::kFileName;
  struct stat st {};
  if (::stat(db_path.c_str(), &st) != 0) {
    std::fprintf(err, "%s: %s\n", program.c_str(), not_enrolled.detail.c_str());
    if (common.json) {
      std::fprintf(
          out, "%s\n",
          dump({{"ok", false}, {"error", "not_enrolled"}, {"message", not_enrolled.detail}})
              .c_str());
    }
    return kSyncExitNotEnrolled;
  }
  db::OpenOptions open_options;
  open_options.create = false;
  auto database = db::Database::open(db_path, open_options);
  if (!database) return fail(out, err, common.json, program, database.error(), lang, 1);
  db::Database &db = **database;
  auto url = db.setting(db::kSettingPortalUrl);
  if (!url) return fail(out, err, common.json, program, url.error(), lang, 1);
  auto credentials = load_credentials(data_dir, url->value_or(""));
  if (!credentials) return fail(out, err, common.json, program, credentials.error(), lang, 1);
  SystemClock clock;
  // An offline bundle's enrolment still pending: this round finishes it first.
  auto pending = make_pending_agent(db, data_dir, opened->config.sync, clock, nullptr);
  if (!pending) return fail(out, err, common.json, program, pending.error(), lang, 1);
  if (!*credentials && !*pending) {
    std::fprintf(err, "%s: %s\n", program.c_str(), not_enrolled.detail.c_str());
    if (common.json) {
      std::fprintf(
          out, "%s\n",
          dump({{"ok", false}, {"error", "not_enrolled"}, {"message", not_enrolled.detail}})
              .c_str());
    }
    return kSyncExitNotEnrolled;
  }
  const std::string portal = *credentials ? (*credentials)->portal_url : url->value_or("");
  // Asked for by hand: run even when [sync] enabled = false.
  auto agent =
      *pending ? std::move(pending)
               : SyncAgent::create(db_path, std::move(**credentials), opened->config.sync, clock);
  if (!agent) return fail(out, err, common.json, program, agent.error(), lang, 1);
  const SyncReport report = (*agent)->sync_once();
  agent->reset();
  const AfterRound after = read_after(db);
  if (common.json) {
    nlohmann::json j = report_json(report, after, lang);
    j["type"] = "sync";
    j["portal"] = portal;
    std::fprintf(out, "%s\n", dump(j).c_str());
  } else {
    std::fprintf(out, "%s\n", portal.c_str());
    print_report(out, report, after, lang);
  }
  return report.ok ? kSyncExitOk : kSyncExitFailed;
}

int enrol_command(const std::vector<std::string> &args, const std::string &program, std::FILE *out,
                  std::FILE *err) {
  Common common;
  EnrolOptions options;
  bool insecure = false;
  std::optional<std::string> ca_file;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string bad;
    const std::string &a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--portal" && has_value) {
      options.portal_url = args[++i];
    } else if (a == "--code" && has_value) {
      options.code = args[++i];
    } else if (a == "--name" && has_value) {
      options.name = args[++i];
    } else if (a == "--stand" && has_value) {
      const std::string &v = args[++i];
      std::int64_t id = 0;
      if (std::from_chars(v.data(), v.data() + v.size(), id).ec != std::errc() || id <= 0) {
        return usage_error(err, program, "--stand takes a stand id (a positive number)", "enrol");
      }
      options.stand = id;
    } else if (a == "--insecure") {
      insecure = true;
    } else if (a == "--ca-file" && has_value) {
      // Absolute: the note about [sync] must name a path that works from anywhere.
      std::error_code ec;
      const auto absolute = std::filesystem::absolute(args[++i], ec);
      ca_file = ec ? args[i] : absolute.string();
    } else if (a == "--force") {
      options.force = true;
    } else if (!common_option(args, i, common, &bad)) {
      return usage_error(err, program, "unknown or incomplete option: " + a, "enrol");
    }
    if (!bad.empty()) return usage_error(err, program, bad, args[0]);
  }
  if (options.code.empty()) {
    return usage_error(err, program,
                       "enrol needs --code CODE (and --portal URL unless the code is the "
                       "enrolment QR's URL)");
  }
  auto opened = open_config(common, err, program);
  if (!opened) return fail(out, err, common.json, program, opened.error(), Lang::fr, 1);
  const Lang lang = opened->lang;
  options.settings = opened->config.sync;
  if (insecure) options.settings.insecure = true;
  if (ca_file) options.settings.ca_file = *ca_file;
  // A refused enrolment leaves the data directory as it was. An address or a code that
  // cannot be right is refused before anything is touched.
  if (auto target = check_enrol_options(options); !target) {
    return fail(out, err, common.json, program, target.error(), lang, kSyncExitFailed,
                ErrorContext::enrolment);
  }
  const std::string &data_dir = opened->data_dir;
  // A directory that is not Comptoir's own (a home, /) is refused before the code is spent.
  if (auto dedicated = check_data_dir_dedicated(data_dir, service_owner()); !dedicated) {
    return fail(out, err, common.json, program, dedicated.error(), lang, kSyncExitFailed,
                ErrorContext::enrolment);
  }
  EnrolLeftovers leftovers(data_dir);
  std::unique_ptr<DataDirLock> lock;
  std::unique_ptr<db::Database> database;
  auto refused = [&](const Error &error) {
    database.reset();
    leftovers.remove_files();
    lock.reset();
    leftovers.remove_dirs();
    return fail(out, err, common.json, program, error, lang, kSyncExitFailed,
                ErrorContext::enrolment);
  };
  auto locked = lock_for_command(data_dir, lang, tr(lang, "l'inscrire", "enrol it"));
  if (!locked) {
    if (locked.error().code == "appliance_running") {
      leftovers.remove_dirs();  // none made: the directory is in use
      std::fprintf(err, "%s: %s\n", program.c_str(), locked.error().detail.c_str());
      return kSyncExitFailed;
    }
    return refused(locked.error());
  }
  lock = std::move(*locked);
  leftovers.note_files();
  const std::string db_path = data_dir + "/" + db::Database::kFileName;
  struct stat st {};
  const bool had_database = ::stat(db_path.c_str(), &st) == 0;
  SystemClock clock;
  Result<EnrolResult> enrolled = make_error("not_run", "");
  if (had_database) {
    auto opened_db = db::Database::open(db_path);
    if (!opened_db) return refused(opened_db.error());
    database = std::move(*opened_db);
    enrolled = enrol(*database, data_dir, options, clock);
  } else {
    // No database, so no enrolment to keep: the portal is asked before the database is
    // created (refusals are the common case: a wrong address, no network, a used code).
    auto grant = request_enrolment(options);
    if (!grant) return refused(grant.error());
    if (auto pinned = check_portal_key(nullptr, options, *grant); !pinned) {
      return refused(pinned.error());
    }
    auto opened_db = db::Database::open(db_path);
    if (!opened_db) return refused(opened_db.error());
    database = std::move(*opened_db);
    enrolled = write_enrolment(*database, data_dir, *grant, clock);
  }
  if (!enrolled) return refused(enrolled.error());
  db::Database &db = *database;
  const EnrolResult &e = *enrolled;

  // The config the running appliance reads: the portal's identity key pinned, and the link
  // settings given on this command line. Enrolled either way: a config that cannot be
  // written is said at the end, with the lines to add by hand (exit 1).
  const std::string config_path = common.config_path.value_or(default_config_path());
  std::vector<ConfigEdit> edits;
  if (!e.portal_key.empty()) edits.push_back({"sync", "portal_key", toml_string(e.portal_key)});
  if (ca_file) edits.push_back({"sync", "ca_file", toml_string(*ca_file)});
  if (insecure) edits.push_back({"sync", "insecure", "true"});
  const std::optional<ServiceOwner> owner = service_owner();
  std::optional<Error> config_error;
  if (!edits.empty()) {
    auto written = update_config_file(config_path, edits);
    if (written && owner) written = secure_config_file(config_path, *owner);
    if (!written) config_error = written.error();
  }

  // Said before the first round, whose progress follows.
  if (!common.json) {
    std::fprintf(out, "%s\n",
                 tr(lang,
                    "Inscrit auprès de « " + e.portal_name + " » (" + e.credentials.portal_url +
                        ") sous le nom " + e.credentials.device_id +
                        " ; point de retrait servi : " + e.stand.name + " (n° " +
                        std::to_string(e.stand.id) + ")" +
                        (e.stand.place.empty() ? "" : ", " + e.stand.place) +
                        ". Clés du portail : " + std::to_string(e.keys) + ".",
                    "Enrolled with \"" + e.portal_name + "\" (" + e.credentials.portal_url +
                        ") as " + e.credentials.device_id + "; stand served: " + e.stand.name +
                        " (#" + std::to_string(e.stand.id) + ")" +
                        (e.stand.place.empty() ? "" : ", " + e.stand.place) +
                        ". Portal keys: " + std::to_string(e.keys) + ".")
                     .c_str());
    if (!edits.empty() && !config_error) {
      std::string keys;
      for (const ConfigEdit &edit : edits) keys += (keys.empty() ? "" : ", ") + edit.key;
      std::fprintf(out, "%s\n",
                   tr(lang, "Configuration écrite : " + config_path + " ([sync] " + keys + ").",
                      "Config written: " + config_path + " ([sync] " + keys + ").")
                       .c_str());
    }
  }

  // The first round at once: the cache fills while the technician is still there.
  SyncReport report;
  auto agent = SyncAgent::create(db_path, e.credentials, options.settings, clock);
  if (agent) {
    ProgressLine progress(out, lang, ::isatty(::fileno(out)) == 1);
    report = common.json ? (*agent)->sync_once()
                         : (*agent)->sync_once([&](const SyncProgress &p) { progress(p); });
    progress.finish();
    agent->reset();
  } else {
    report.error = agent.error();
  }
  const AfterRound after = read_after(db);
  // What the service needs of the data directory: its own, and nobody else's.
  if (auto secured = secure_data_dir(data_dir, owner); !secured && !config_error) {
    config_error = secured.error();
  }
  std::string lines;  // what to add by hand when the config could not be written
  for (const ConfigEdit &edit : edits) lines += "  " + edit.key + " = " + edit.value + "\n";
  std::string config_problem;
  if (config_error) {
    const bool about_config = config_error->code.rfind("config_", 0) == 0;
    config_problem =
        about_config
            ? tr(lang,
                 "Inscrit, mais la configuration n'a pas pu être écrite : " + config_error->detail +
                     ". Ajoutez ces lignes à la section [sync] de " + config_path + " :\n" + lines,
                 "Enrolled, but the config could not be written: " + config_error->detail +
                     ". Add these lines to the [sync] table of " + config_path + ":\n" + lines)
            : tr(lang,
                 "Inscrit, mais le dossier de données n'a pas pu être protégé : " +
                     config_error->detail + ". Le service ne pourra peut-être pas le lire.",
                 "Enrolled, but the data directory could not be secured: " + config_error->detail +
                     ". The service may not be able to read it.");
  }
  if (common.json) {
    nlohmann::json j = {
        {"type", "enrol"},
        {"ok", !config_error},
        {"enrolled", true},
        {"portal", e.credentials.portal_url},
        {"portal_name", e.portal_name},
        {"portal_key", e.portal_key},
        {"device_id", e.credentials.device_id},
        {"stand", {{"id", e.stand.id}, {"name", e.stand.name}, {"place", e.stand.place}}},
        {"stands", e.stands},
        {"keys", e.keys},
        {"config", {{"path", config_path}, {"written", !edits.empty() && !config_error}}},
        {"sync", report_json(report, after, lang)}};
    if (config_error) {
      j["error"] = config_error->code;
      j["message"] = config_problem;
      j["detail"] = config_error->detail;
    }
    std::fprintf(out, "%s\n", dump(j).c_str());
  } else {
    print_report(out, report, after, lang);
    if (!report.ok) {
      std::fprintf(out, "%s\n",
                   tr(lang,
                      "L'inscription est faite ; l'appareil réessaiera la synchronisation tout "
                      "seul une fois en service.",
                      "The enrolment is done; the appliance will retry the sync by itself once "
                      "running.")
                       .c_str());
    }
  }
  if (config_error) {
    std::fprintf(err, "%s: %s", program.c_str(), config_problem.c_str());
    if (config_problem.back() != '\n') std::fprintf(err, "\n");
    return kSyncExitFailed;
  }
  return kSyncExitOk;
}

}  // namespace

std::string sync_commands_usage(const std::string &program, const std::string &command) {
  const bool sync = command != "enrol";
  const bool enrol = command != "sync";
  std::string u;
  if (sync) {
    u +=
        program + " sync --once [--data DIR] [--config FILE] [--format json|text] [--lang fr|en]\n";
  }
  if (enrol) {
    u += (u.empty() ? "" : "       ") + program +
         " enrol --portal URL --code CODE [--stand ID] [--name NAME] [--insecure]\n"
         "                [--ca-file FILE] [--force] [--data DIR] [--config FILE]\n"
         "                [--format json|text] [--lang fr|en]\n";
  }
  u += "\n";
  if (sync) {
    u += "  sync --once      one round with the portal now (send the handovers waiting, fetch\n"
         "                   the changes), then a report; exit 0 done, 1 failed, 4 not enrolled.\n"
         "                   A running kiosk or --headless syncs by itself: stop it first.\n";
  }
  if (enrol) {
    u += "  enrol            enrol this appliance with a portal using a one-time code from its\n"
         "                   admin (--code may also be the enrolment QR's URL), then sync once;\n"
         "                   exit 0 enrolled (the first round's outcome is in the report);\n"
         "                   pins the portal's key and writes [sync] portal_key (and ca_file,\n"
         "                   insecure when given) into the config; exit 1 when that fails\n"
         "  --stand ID       serve this stand among those the code enrols (default: the first)\n"
         "  --name NAME      how the portal's admin sees this appliance (default: host name)\n"
         "  --insecure       allow plain http:// to a portal other than this machine\n"
         "  --ca-file FILE   trust the portal's certificate from this CA (a private CA)\n"
         "  --force          enrol again over an existing enrolment (a new key)\n";
  }
  u += "  --data DIR       data directory (default: [appliance] data_dir in the config, else\n"
       "                   $XDG_STATE_HOME/comptoir)\n"
       "  --config FILE    configuration ([sync] settings; default: $COMPTOIR_CONFIG, else\n"
       "                   /etc/comptoir/comptoir.toml)\n"
       "  --format F       text (default) or json\n";
  return u;
}

int run_sync_command(const std::vector<std::string> &args, const std::string &program,
                     std::FILE *out, std::FILE *err) {
  if (args.empty()) return usage_error(err, program, "no command");
  for (const auto &a : args) {
    if (a == "--help" || a == "-h") {
      std::fprintf(out, "Usage: %s", sync_commands_usage(program, args[0]).c_str());
      return kSyncExitOk;
    }
  }
  if (args[0] == "sync") return sync_once(args, program, out, err);
  if (args[0] == "enrol") return enrol_command(args, program, out, err);
  return usage_error(err, program, "unknown command: " + args[0]);
}

Result<std::unique_ptr<SyncAgent>> make_appliance_agent(Appliance &appliance,
                                                        const SyncSettings &settings,
                                                        const Clock &clock, std::string *why) {
  auto url = appliance.db->setting(db::kSettingPortalUrl);
  if (!url) return url.error();
  // Enrolled but no agent: sync_state says so, or the banner would keep a previous run's
  // "online" while nothing syncs. Best effort: the counter works on either way.
  const bool enrolled = url->has_value() && !(*url)->empty();
  auto no_agent = [&](const Error &e) {
    if (!enrolled) return;
    db::SyncStore store(appliance.db->connection());
    db::Transaction tx(appliance.db->connection());
    if (!tx.began()) return;
    for (const auto &[key, value] : {std::pair{db::sync_key::kLink, std::string("offline")},
                                     std::pair{db::sync_key::kLastError, e.code},
                                     std::pair{db::sync_key::kLastErrorDetail, e.detail}}) {
      if (!store.set_state(key, value)) return;
    }
    (void)tx.commit();
  };
  auto credentials = load_credentials(appliance.data_dir, url->value_or(""));
  if (!credentials) {
    no_agent(credentials.error());
    return credentials.error();
  }
  // Not enrolled: the appliance works alone (the offline demo), nothing worth a log line;
  // unless an offline bundle's enrolment is pending: it finishes when the portal is reached.
  if (!*credentials) {
    if (!settings.enabled) return std::unique_ptr<SyncAgent>();
    return make_pending_agent(*appliance.db, appliance.data_dir, settings, clock, why);
  }
  if (!settings.enabled) {
    if (why) *why = "[sync] enabled = false in the config: no sync with " + **url;
    no_agent(make_error("sync_disabled", "[sync] enabled = false in the config"));
    return std::unique_ptr<SyncAgent>();
  }
  if (why) {
    *why = "syncing with " + (*credentials)->portal_url + " as " + (*credentials)->device_id +
           ", every " + std::to_string(settings.interval_s) + " s";
  }
  auto agent = SyncAgent::create(appliance.db->path(), std::move(**credentials), settings, clock);
  if (!agent) no_agent(agent.error());
  return agent;
}

}  // namespace comptoir::sync
