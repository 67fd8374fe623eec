// The screens' words: gettext catalogs (ui/po/*.po, compiled to .mo at build time).
// Message ids are English; French is the appliance's first language. glibc's gettext
// chooses the catalog from $LANGUAGE, which it honours under the C.UTF-8 locale that every
// Debian system has, so the kiosk needs no generated locales. $LANGUAGE is set once, to
// French; English is the ids themselves, so the language can switch while the kiosk runs
// (the technician screen) without touching the environment.
#pragma once

#include <initializer_list>
#include <string>

#include "runtime/messages.hpp"

namespace comptoir::ui {

// Where the catalogs are: $COMPTOIR_LOCALEDIR, else <exe dir>/../share/locale (the build
// tree and the installed package alike). Returns false, with `why`, when the French
// catalog cannot be found (the screens then speak English). Sets $LANGUAGE: call it before
// any thread starts.
bool init_i18n(std::string *why = nullptr);
// The language tr() and trn() answer in. Touches no environment: safe with threads.
void set_language(Lang lang);
Lang language();
// set_language: cheap enough for every frame (the view builders call it, so what they
// return follows the kiosk's language).
void use_language(Lang lang);

// A translated message id: in English `msgid` itself, in French dgettext (`msgid` itself
// when the catalog does not have it).
const char *tr(const char *msgid);
// Plural forms (dngettext in French): "%d pickup today" / "%d pickups today".
const char *trn(const char *singular, const char *plural, unsigned long n);

// `pattern` with each "%s" or "%d" replaced by the next of `args` ("%%" is '%'): the
// catalog's c-format checks (msgfmt --check) keep a translation's placeholders in step with
// its msgid, and a pattern with too few arguments keeps its extra placeholders as text.
std::string subst(const char *pattern, std::initializer_list<std::string> args);

}  // namespace comptoir::ui
