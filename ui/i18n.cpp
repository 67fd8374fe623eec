// gettext for the screens (i18n.hpp). $LANGUAGE=fr, which glibc honours under C.UTF-8
// (present on every Debian system, unlike fr_FR.UTF-8), is set once at start; English needs
// no catalog, since the ids are English. So switching language is a variable of our own:
// setenv while other threads may read the environment (SDL's, the scanners') is undefined
// behaviour in glibc.
#include "ui/i18n.hpp"

#include <libintl.h>
#include <locale.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <system_error>

// glibc's catalog generation counter: bumping it drops gettext's cache of translations, as
// the gettext manual advises after changing $LANGUAGE in a running program (the tests call
// init_i18n again on another folder).
extern "C" int _nl_msg_cat_cntr;

namespace comptoir::ui {
namespace {

constexpr const char *kDomain = "comptoir";

// Read by every tr(); atomic so a view built off the UI thread (none today) stays defined.
std::atomic<Lang> g_lang{Lang::fr};

std::filesystem::path exe_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

}  // namespace

bool init_i18n(std::string *why) {
  // The characters of every catalog are UTF-8; C.UTF-8 keeps numbers and times as the
  // messages format them themselves (a comma or a dot by language, not by locale).
  const bool utf8 = ::setlocale(LC_ALL, "C.UTF-8") != nullptr;
  std::filesystem::path dir;
  if (const char *env = ::getenv("COMPTOIR_LOCALEDIR"); env != nullptr && *env != '\0') {
    dir = env;
  } else {
    dir = exe_dir() / ".." / "share" / "locale";
  }
  std::error_code ec;
  dir = std::filesystem::weakly_canonical(dir, ec);
  ::bindtextdomain(kDomain, dir.c_str());
  ::bind_textdomain_codeset(kDomain, "UTF-8");
  // The only setenv: before any thread starts (the app calls this first thing).
  ::setenv("LANGUAGE", "fr", 1);
  ++_nl_msg_cat_cntr;
  const auto mo = dir / "fr" / "LC_MESSAGES" / "comptoir.mo";
  if (!std::filesystem::is_regular_file(mo, ec)) {
    if (why != nullptr) {
      *why = "no French catalog at " + mo.string() +
             " (set COMPTOIR_LOCALEDIR to the folder holding fr/LC_MESSAGES/comptoir.mo)";
    }
    return false;
  }
  if (!utf8) {
    if (why != nullptr) *why = "the C.UTF-8 locale is missing: gettext ignores $LANGUAGE";
    return false;
  }
  return true;
}

void set_language(Lang lang) {
  g_lang.store(lang, std::memory_order_relaxed);
}

Lang language() {
  return g_lang.load(std::memory_order_relaxed);
}

void use_language(Lang lang) {
  set_language(lang);
}

const char *tr(const char *msgid) {
  if (language() == Lang::en) return msgid;
  return ::dgettext(kDomain, msgid);
}

const char *trn(const char *singular, const char *plural, unsigned long n) {
  // English's rule, as gettext applies it with no catalog: one is singular.
  if (language() == Lang::en) return n == 1 ? singular : plural;
  return ::dngettext(kDomain, singular, plural, n);
}

std::string subst(const char *pattern, std::initializer_list<std::string> args) {
  std::string out;
  auto arg = args.begin();
  for (const char *p = pattern; *p != '\0'; ++p) {
    if (p[0] == '%' && p[1] == '%') {
      out += '%';
      ++p;
    } else if (p[0] == '%' && (p[1] == 's' || p[1] == 'd') && arg != args.end()) {
      out += *arg++;
      ++p;
    } else {
      out += *p;
    }
  }
  return out;
}

}  // namespace comptoir::ui
