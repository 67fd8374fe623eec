#!/bin/sh
# Every message id the screens use has a French translation: xgettext collects the ids of
# tr("...") and trn("...", "...", n) from the C++ sources under SOURCE_DIR, and msgcmp checks
# that PO_FILE translates each of them (untranslated and fuzzy entries count as missing).
# Prints the missing ids and fails when there are any.
#   check_catalog.sh SOURCE_DIR PO_FILE WORK_DIR
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 SOURCE_DIR PO_FILE WORK_DIR" >&2
  exit 2
fi
src=$1 po=$2 work=$3
mkdir -p "$work"
find "$src" -type f \( -name '*.cpp' -o -name '*.hpp' \) | LC_ALL=C sort >"$work/sources"
if [ ! -s "$work/sources" ]; then
  echo "no C++ sources under $src" >&2
  exit 1
fi
rm -f "$work/ids.pot"
xgettext --language=C++ --from-code=UTF-8 --keyword= --keyword=tr --keyword=trn:1,2 \
  --package-name=comptoir --files-from="$work/sources" --output="$work/ids.pot"
# xgettext writes nothing when it finds no id: then there is nothing to translate.
[ -f "$work/ids.pot" ] || { echo "no message ids under $src"; exit 0; }
echo "$(grep -c '^msgid "' "$work/ids.pot") ids (header included) in $src"
if msgcmp "$po" "$work/ids.pot"; then
  echo "$po translates every id"
  exit 0
fi
# Say which ids, not only where they are used.
msgmerge --quiet --no-fuzzy-matching --output-file="$work/merged.po" "$po" "$work/ids.pot"
echo "ids with no French translation in $po:" >&2
msgattrib --untranslated --no-obsolete --no-location --no-wrap "$work/merged.po" |
  grep -E '^msgid(_plural)? "' | grep -v '^msgid ""$' >&2 || true
exit 1
