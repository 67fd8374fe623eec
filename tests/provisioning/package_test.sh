#!/usr/bin/env bash
# The checks run their commands through bash -c '...' _ ARGS: single quotes on purpose.
# shellcheck disable=SC2016
# The appliance's .deb, end to end (ctest package/deb): scripts/package builds it in
# BUILD_DIR (a Release build of its own, incremental after the first run), then:
#   - its control fields (name, version, architecture, Depends from shlibdeps, Recommends cage)
#     and its contents (the programs, units, udev rules, sysusers/tmpfiles, example config,
#     catalog; no test or benchmark program);
#   - the units: systemd-analyze verify, and the paths they expect match what the package
#     and the programs use (/usr/bin/comptoir, /var/lib/comptoir, /etc/comptoir, the user);
#     no wait for network-online.target, no ConfigurationDirectory=, and the kiosk leaves
#     /run/user (cage's Wayland socket) visible and writable;
#   - the udev rules: each line well formed, group comptoir for each scanner node type;
#   - an install into a throwaway root with dpkg --root and the maintainer scripts run there
#     (DPKG_ROOT): the user, the directories and their modes, the configuration written; the
#     installed programs run; a reinstall keeps an edited configuration; a purge removes the
#     data and the whole of /etc/comptoir (a file a technician put there too).
# The tools it needs are those scripts/test installs (scripts/lib.sh COMPTOIR_BUILD_PACKAGES):
# one missing is a failure that says which package to install; nothing is installed here
# (scripts/package runs with COMPTOIR_PACKAGE_NO_INSTALL=1).
# usage: package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

src=${1:?usage: package_test.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: package_test.sh SOURCE_DIR BUILD_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/comptoir-package-test.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

failures=0
ok() { printf 'ok - %s\n' "$*"; }
fail() {
  printf 'not ok - %s\n' "$*"
  failures=$((failures + 1))
}
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
# The sanitizers of the test tree must not reach the Release programs.
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# The tools, each with the Debian package that has it. A missing one fails the test: a skipped
# check would pass with the .deb never built nor verified.
missing=()
for tool in cmake:cmake ninja:ninja-build dpkg-deb:dpkg dpkg-query:dpkg \
  dpkg-shlibdeps:dpkg-dev file:file systemd-analyze:systemd systemd-sysusers:systemd \
  systemd-tmpfiles:systemd; do
  if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
    fail "${tool%%:*} not found: install the package ${tool##*:} (sudo apt-get install ${tool##*:}; scripts/test installs it)"
    missing+=("${tool##*:}")
  fi
done
if ((${#missing[@]} > 0)); then
  printf 'Install them, then run the test again:\n  sudo apt-get install -y --no-install-recommends %s\n' \
    "$(printf '%s\n' "${missing[@]}" | sort -u | paste -sd ' ')"
  exit 1
fi

t0=$SECONDS
deb=$(COMPTOIR_PACKAGE_NO_INSTALL=1 "$src/scripts/package" --build-dir "$build" \
  2>"$work/package.log" | tail -n 1) || {
  tail -n 40 "$work/package.log"
  echo "not ok - scripts/package failed (above)"
  exit 1
}
ok "scripts/package built $(basename -- "$deb") ($(du -h -- "$deb" | cut -f1), $((SECONDS - t0)) s)"

# ---- control fields --------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
check "Package is comptoir" test "$(field Package)" = comptoir
version=$(sed -n 's/^project(comptoir VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
check "Version is the project's ($version)" test "$(field Version)" = "$version"
check "Architecture is dpkg's ($(dpkg --print-architecture))" \
  test "$(field Architecture)" = "$(dpkg --print-architecture)"
depends=$(field Depends)
for pkg in libc6 libsqlite3-0 libsodium23 libsystemd0 libsdl2-2.0-0 libcurl4 fonts-dejavu-core systemd; do
  check "Depends names $pkg" grep -q "\b$pkg\b" <<<"$depends"
done
check "Recommends cage" grep -qw cage <<<"$(field Recommends)"
check "Maintainer and Description are set" test -n "$(field Maintainer)" -a -n "$(field Description)"
dpkg-deb --info "$deb" >"$work/info"
for script in postinst prerm postrm; do
  check "control has an executable $script" grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script " "$work/info"
done

# ---- contents ---------------------------------------------------------------------------
dpkg-deb --contents "$deb" >"$work/contents"
has() { grep -Eq "^$1 +root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" "$work/contents"; }
for prog in comptoir comptoir-provision comptoir-code comptoir-scan comptoir-portal; do
  check "usr/bin/$prog, 0755 root" has '-rwxr-xr-x' "usr/bin/$prog"
done
for file in usr/lib/systemd/system/comptoir-kiosk.service \
  usr/lib/systemd/system/comptoir-headless.service \
  usr/lib/udev/rules.d/60-comptoir-scanners.rules \
  usr/lib/sysusers.d/comptoir.conf usr/lib/tmpfiles.d/comptoir.conf \
  usr/share/comptoir/comptoir.toml.example \
  usr/share/locale/fr/LC_MESSAGES/comptoir.mo \
  usr/share/doc/comptoir/README.md; do
  check "$file, 0644 root" has '-rw-r--r--' "$file"
done
check "no test, benchmark or fuzz program" \
  bash -c '! grep -Eq "comptoir_tests|comptoir-bench|fuzz|wedge_probe" "$1"' _ "$work/contents"
check "nothing in /etc (no conffile: the config is written by postinst)" \
  bash -c '! grep -Eq " \./etc/" "$1"' _ "$work/contents"

# ---- unit files -------------------------------------------------------------------------
x=$work/extract
dpkg-deb -x "$deb" "$x"
units=$x/usr/lib/systemd/system
key() { sed -n "s/^$2=//p" "$units/$1"; }
for unit in comptoir-kiosk.service comptoir-headless.service; do
  check "$unit: Type=notify, WatchdogSec=30, Restart=always" test \
    "$(key $unit Type) $(key $unit WatchdogSec) $(key $unit Restart)" = "notify 30 always"
  check "$unit: User=comptoir, StateDirectory=comptoir" test \
    "$(key $unit User) $(key $unit StateDirectory)" = "comptoir comptoir"
  # systemd would make a missing /etc/comptoir root:root 0750, unreadable by comptoir:
  # tmpfiles and postinst make it root:comptoir.
  check "$unit: no ConfigurationDirectory= (tmpfiles makes /etc/comptoir root:comptoir)" \
    bash -c '! grep -Eq "^ConfigurationDirectory(Mode)?=" "$1"' _ "$units/$unit"
  # The counter works offline: no wait for a network that may never come.
  check "$unit: After=network.target, no network-online.target" bash -c \
    'grep -Eq "^After=(.* )?network\.target( |\$)" "$1" && ! grep -Eq "^[^#]*network-online" "$1"' \
    _ "$units/$unit"
  check "$unit: no PrivateDevices= nor DeviceAllow= (the scanners are device nodes)" \
    bash -c '! grep -Eq "^(PrivateDevices|DeviceAllow|DevicePolicy)=" "$1"' _ "$units/$unit"
  check "$unit: logs to the journal" test \
    "$(key $unit StandardOutput) $(key $unit StandardError)" = "journal journal"
done
kiosk_exec=$(key comptoir-kiosk.service ExecStart)
check "kiosk runs comptoir under cage, WATCHDOG_PID dropped" \
  test "$kiosk_exec" = "/usr/bin/cage -- /usr/bin/env -u WATCHDOG_PID /usr/bin/comptoir"
check "kiosk: NotifyAccess=all (comptoir is cage's child), a seat on tty1" test \
  "$(key comptoir-kiosk.service NotifyAccess) $(key comptoir-kiosk.service PAMName) $(key comptoir-kiosk.service TTYPath)" = \
  "all login /dev/tty1"
# cage's Wayland socket is in $XDG_RUNTIME_DIR, /run/user/UID: nothing may hide it or make it
# read-only. ProtectHome= (yes, read-only, tmpfs: all of them reach /run/user),
# ProtectSystem=strict (/run read-only), a path setting naming /run or /run/user, a
# TemporaryFileSystem= over either. Prints what hides it; fails when something does.
keeps_run_user() {
  awk -F= '
    /^ProtectHome=/ && $2 !~ /^(no|false|0)$/ { print; bad = 1 }
    /^ProtectSystem=strict$/ { print; bad = 1 }
    /^(InaccessiblePaths|ReadOnlyPaths|TemporaryFileSystem)=/ {
      n = split($2, paths, " ")
      for (i = 1; i <= n; i++) {
        p = paths[i]; sub(/^[-+]+/, "", p); sub(/:.*$/, "", p); sub(/\/+$/, "", p)
        if (p == "/run" || p == "/run/user" || p ~ /^\/run\/user\// || p == "/var/run" || p == "") {
          print; bad = 1
        }
      }
    }
    END { exit bad }' "$1"
}
# The check catches what it is for (a unit as it was with ProtectHome=yes).
printf '[Service]\nProtectSystem=full\nProtectHome=yes\n' >"$work/hides1.service"
printf '[Service]\nInaccessiblePaths=-/home -/run/user\n' >"$work/hides2.service"
printf '[Service]\nTemporaryFileSystem=/run:ro\n' >"$work/hides3.service"
refused() { ! keeps_run_user "$1" >/dev/null; }
for bad in hides1 hides2 hides3; do
  check "the /run/user check refuses $(tail -n 1 "$work/$bad.service")" refused "$work/$bad.service"
done
check "kiosk: /run/user (cage's Wayland socket) neither hidden nor read-only" \
  keeps_run_user "$units/comptoir-kiosk.service"
check "headless conflicts with the kiosk" grep -qx 'Conflicts=comptoir-kiosk.service' \
  "$units/comptoir-headless.service"
check "headless runs comptoir --headless" \
  bash -c '[[ "$1" == "/usr/bin/comptoir --headless"* ]]' _ "$(key comptoir-headless.service ExecStart)"

# ---- udev rules -------------------------------------------------------------------------
rules=$x/usr/lib/udev/rules.d/60-comptoir-scanners.rules
pair='[A-Z_]+(\{[A-Za-z_]+\})?(==|!=|=|\+=|:=)"[^"]*"'
check "udev rules: every line is KEY==\"value\" pairs" \
  bash -c '! grep -Ev "^(#.*)?\$" "$1" | grep -Evq "^$2(, *$2)*\$"' _ "$rules" "$pair"
for node in 'SUBSYSTEM=="usb"' 'SUBSYSTEM=="hidraw"' 'SUBSYSTEM=="input"' 'SUBSYSTEM=="tty"'; do
  check "udev rules: $node nodes of the scanner vendors to group comptoir" \
    grep -Eq "^$node.*ATTRS?\{idVendor\}==\"0c2e\|05e0\|05f9\|1eab[^\"]*\".*GROUP=\"comptoir\", MODE=\"0660\"" "$rules"
done
check "udev rules: the GOTO has its LABEL" grep -q '^LABEL="comptoir_scanners_end"' "$rules"

# ---- install into a throwaway root --------------------------------------------------------
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
dpkg_root=(dpkg --root="$root" --force-not-root --force-depends --force-script-chrootless
  --log=/dev/null --no-triggers)
if "${dpkg_root[@]}" -i "$deb" >"$work/install.log" 2>&1; then
  ok "dpkg --root installs it, maintainer scripts included"
else
  cat "$work/install.log"
  fail "dpkg --root installs it, maintainer scripts included"
fi
check "dpkg says installed" bash -c \
  '[[ "$(dpkg-query --admindir="$1/var/lib/dpkg" -W -f="\${Status}" comptoir)" == "install ok installed" ]]' _ "$root"
uid=$(awk -F: '$1 == "comptoir" { print $3 }' "$root/etc/passwd" 2>/dev/null || true)
gid=$(awk -F: '$1 == "comptoir" { print $3 }' "$root/etc/group" 2>/dev/null || true)
check "postinst made the system user comptoir (uid $uid < 1000, nologin)" bash -c \
  '[[ -n "$1" && "$1" -lt 1000 ]] && grep -q "^comptoir:x:$1:$2:.*:/var/lib/comptoir:/usr/sbin/nologin\$" "$3"' \
  _ "$uid" "$gid" "$root/etc/passwd"
for group in input dialout video audio; do
  check "comptoir is in group $group" grep -Eq "^$group:[^:]*:[0-9]+:(.*,)?comptoir(,.*)?\$" "$root/etc/group"
done
mode() { stat -c '%a %u:%g' "$1" 2>/dev/null || echo missing; }
check "/var/lib/comptoir is 0700 comptoir:comptoir" test "$(mode "$root/var/lib/comptoir")" = "700 $uid:$gid"
check "/etc/comptoir is 0750 root:comptoir" test "$(mode "$root/etc/comptoir")" = "750 0:$gid"
conf=$root/etc/comptoir/comptoir.toml
check "/etc/comptoir/comptoir.toml is 0640 root:comptoir" test "$(mode "$conf")" = "640 0:$gid"
check "the config is the example, data_dir = /var/lib/comptoir" bash -c \
  'cmp -s "$1" "$2" && grep -qx "data_dir = \"/var/lib/comptoir\"" "$1"' _ "$conf" \
  "$root/usr/share/comptoir/comptoir.toml.example"

# The paths the units expect are those of the package and the programs.
check "ExecStart's programs are in the package" test -x "$root/usr/bin/comptoir"
check "comptoir's default config is in ConfigurationDirectory= (/etc/comptoir)" \
  bash -c '"$1" --help | grep -q "/etc/comptoir/comptoir.toml"' _ "$root/usr/bin/comptoir"
check "tmpfiles, the config's data_dir and StateDirectory= agree on /var/lib/comptoir" \
  grep -q '^d /var/lib/comptoir 0700 comptoir comptoir' "$root/usr/lib/tmpfiles.d/comptoir.conf"
check "the French catalog is where comptoir looks from /usr/bin (../share/locale)" \
  test -f "$root/usr/bin/../share/locale/fr/LC_MESSAGES/comptoir.mo"

# The installed programs run with the system's libraries.
check "comptoir --version says $version" \
  bash -c '[[ "$("$1" --version)" == "comptoir $2" ]]' _ "$root/usr/bin/comptoir" "$version"
for prog in comptoir-provision comptoir-code comptoir-scan comptoir-portal; do
  check "$prog --help runs" bash -c '"$1" --help >/dev/null 2>&1' _ "$root/usr/bin/$prog"
done
check "comptoir reads the installed config without a warning" bash -c \
  '"$1" --list-devices --config "$2" --format json >/dev/null 2>"$3" && ! grep -q "config" "$3"' \
  _ "$root/usr/bin/comptoir" "$conf" "$work/list.err"

# systemd's own check of the units, under the throwaway root. cage is only recommended:
# a stand-in makes its path exist there.
if command -v systemd-analyze >/dev/null 2>&1; then
  printf '#!/bin/sh\nexec "$@"\n' >"$root/usr/bin/cage"
  chmod 0755 "$root/usr/bin/cage"
  for unit in comptoir-kiosk.service comptoir-headless.service; do
    if systemd-analyze verify --man=no --recursive-errors=no --root="$root" \
      "/usr/lib/systemd/system/$unit" >"$work/verify.log" 2>&1 &&
      ! grep -q "$unit" "$work/verify.log"; then
      ok "systemd-analyze verify $unit"
    else
      cat "$work/verify.log"
      fail "systemd-analyze verify $unit"
    fi
  done
  rm -f "$root/usr/bin/cage"
else
  fail "systemd-analyze not found: install the package systemd (scripts/test installs it)"
fi

# A reinstall (an upgrade) keeps the configuration enrolment edited.
printf '\n[sync]\n# edited by enrolment\n' >>"$conf"
"${dpkg_root[@]}" -i "$deb" >"$work/reinstall.log" 2>&1 || {
  cat "$work/reinstall.log"
  fail "a reinstall succeeds"
}
check "a reinstall keeps the edited configuration" grep -q '^# edited by enrolment$' "$conf"

# Purge: the data and the whole configuration directory go with the package, a file a
# technician put there included.
: >"$root/var/lib/comptoir/comptoir.db"
printf 'a CA\n' >"$root/etc/comptoir/portal-ca.pem"
if "${dpkg_root[@]}" --purge comptoir >"$work/purge.log" 2>&1; then
  ok "dpkg --root --purge removes it"
else
  cat "$work/purge.log"
  fail "dpkg --root --purge removes it"
fi
check "purge removed /var/lib/comptoir" test ! -e "$root/var/lib/comptoir"
check "purge removed /etc/comptoir, the CA file put there included" test ! -e "$root/etc/comptoir"
check "purge removed the programs" test ! -e "$root/usr/bin/comptoir"

printf '%d failure(s) in %d s\n' "$failures" "$((SECONDS - t0))"
((failures == 0))
