// Folding text for search: "Hélène" and "helene", "Œufs" and "oeufs", "C-104217" and
// "c104217" compare equal after folding. Pure functions; the order cache registers them
// as SQLite functions on its connection for the search query.
#pragma once

#include <string>
#include <string_view>

namespace comptoir::db {

// Lower case, Latin-1 and Latin Extended-A letters folded to ASCII (é è ê ë → e, ç → c,
// œ → oe, æ → ae, ß → ss, Ł → l, Š → s, ő → o...), combining accents (U+0300..U+036F,
// decomposed text) dropped; dashes (ASCII and U+2010..U+2015), apostrophes, dots, commas
// and no-break spaces (U+00A0, U+202F) read as spaces, runs of spaces collapsed, trimmed.
// Other characters pass through unchanged (valid or not).
std::string fold_text(std::string_view text);

// fold_text, then only ASCII letters and digits: "C-104 217" → "c104217".
std::string fold_number(std::string_view text);

// How `number` and `customer` match a search whose keys are fold_number(query) and
// fold_text(query): 1 when the number starts with the number key (or does once its
// letter prefix is dropped: "104" starts "C-104217"), 2 when the number or the customer
// contains its key, 0 when nothing matches. An empty key matches nothing.
int search_rank(std::string_view number, std::string_view customer, std::string_view number_key,
                std::string_view text_key);

}  // namespace comptoir::db
