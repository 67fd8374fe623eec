# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Source it, do not run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Everything that talks to people goes to stderr, so a script's stdout stays machine-readable
# (scripts/bench prints JSON lines there).

# The repository root: the parent of scripts/, wherever the caller was started from.
comptoir_root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

# What a Debian 12 machine needs to build and test the appliance.
# shellcheck disable=SC2034 # used by the scripts that source this file
COMPTOIR_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libsqlite3-dev doctest-dev nlohmann-json3-dev libsodium-dev
  libzxing-dev libstb-dev libtomlplusplus-dev
  # scanners and feedback: evdev, libusb, SDL audio (and the kiosk's window)
  libevdev-dev libusb-1.0-0-dev libsdl2-dev
  # the readers' tests replay devices with no hardware; the benchmark compares with zbarimg
  umockdev libumockdev-dev zbar-tools
  # the keyboard-wedge end-to-end test: a real X server and a scanner's fast typing
  xvfb xdotool
  # the kiosk window: Dear ImGui 1.86 (its pkg-config needs stb; libstb0 at run time), DejaVu
  # fonts, gettext catalogs (msgfmt, xgettext); its e2e screenshots (ImageMagick) and the
  # kiosk benchmark's XTest typing (libx11, libxtst)
  libimgui-dev libstb0 fonts-dejavu-core gettext imagemagick libx11-dev libxtst-dev
  # libFuzzer (scripts/test's fuzz step): clang 14 and its runtime libraries
  clang-14 libclang-rt-14-dev
  # the sync agent's HTTP client: libcurl (OpenSSL) and zlib for gzip request bodies
  libcurl4-openssl-dev zlib1g-dev
  # the reference portal: cpp-httplib (a compiled library with OpenSSL and zlib); openssl
  # makes the TLS tests' CA
  libcpp-httplib-dev openssl
  # sd_notify (readiness and the watchdog under systemd)
  libsystemd-dev
  # the .deb (scripts/package, ctest package/deb): dpkg-shlibdeps and file for CPack's
  # Depends; systemd-analyze and systemd-sysusers/-tmpfiles for the install test
  dpkg-dev file systemd
)

# scripts/bench and scripts/demo share one build in build/, so neither rebuilds the other's.
# shellcheck disable=SC2034
COMPTOIR_RELEASE_CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release -DCOMPTOIR_TESTS=OFF)

say() {
  printf '==> %s\n' "$*" >&2
}

# ensure_packages PKG...: install the Debian packages that are not installed yet.
# Prints nothing and runs no apt-get when everything is there already.
ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "dpkg-query not found (not a Debian system?): make sure these are installed: $*"
    return 0
  fi

  local pkg status missing=()
  for pkg in "$@"; do
    # One status line per architecture known to dpkg; any "... installed" line will do.
    status=$(dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null) || true
    [[ "$status"$'\n' == *" installed"$'\n'* ]] || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0

  local -a sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true </dev/null >/dev/null 2>&1; then
      sudo=(sudo -n)
    elif command -v sudo >/dev/null 2>&1 && [[ -t 0 ]]; then
      sudo=(sudo) # a person at a terminal can type their password
    else
      say "missing packages: ${missing[*]}"
      printf 'Install them, then run this again:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' \
        "${missing[*]}" >&2
      exit 1
    fi
  fi

  say "installing ${missing[*]}"
  # No stdin (CI), no prompts; update first since the package lists may never have been fetched.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null >&2 ||
    { say "apt-get update failed"; exit 1; }
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" </dev/null >&2 ||
    { say "apt-get install failed for: ${missing[*]}"; exit 1; }
}

# configure_and_build BUILD_DIR [cmake args...]: configure with Ninja when the build dir is new
# or the arguments changed since last time, then build. A no-change run is only a ninja no-op.
configure_and_build() {
  local build_dir=$1
  shift
  local stamp="$build_dir/.comptoir-configure-args"
  local wanted
  wanted=$(printf '%s\n' "-S" "$comptoir_root" "-G" "Ninja" "$@")

  if [[ ! -f "$build_dir/build.ninja" || ! -f "$stamp" || "$(<"$stamp")" != "$wanted" ]]; then
    if [[ -f "$build_dir/CMakeCache.txt" ]]; then
      # Start the cache afresh so options dropped from the arguments do not linger, and a
      # build dir made with another generator does not make cmake refuse -G Ninja. Object
      # files stay: ninja rebuilds only those whose command line changed.
      say "arguments changed, reconfiguring $build_dir"
      rm -f -- "$build_dir/CMakeCache.txt" "$stamp"
    fi
    say "configuring $build_dir"
    cmake -S "$comptoir_root" -B "$build_dir" -G Ninja "$@" >&2
    # Written only after a successful configure, so a failed one is retried next time.
    printf '%s\n' "$wanted" >"$stamp"
  fi

  cmake --build "$build_dir" -j "$(nproc)" >&2
}
