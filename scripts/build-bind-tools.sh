#!/usr/bin/env bash
# Builds BIND 9.18's dnssec-* tools (dnssec-keyfromlabel, -signzone, -verify, -dsfromkey, -keygen, ...)
# with OpenSSL ENGINE support, so they can sign with keys in a PKCS#11 module through Debian's
# libengine-pkcs11-openssl (`-E pkcs11 -l "pkcs11:token=...;object=..."`).
#
# Why: Debian 12's bind9 is compiled against the OpenSSL 3 API level, which compiles BIND's ENGINE code
# out (it accepts -E but then fails with "no engine"). Rebuilding Debian's own bind9 source with
# OPENSSL_API_COMPAT=10100 keeps that code in.
#
# Usage: scripts/build-bind-tools.sh        prints the bin directory (the only line on stdout)
# Env:   KOFN_BIND_PREFIX   install prefix (default ~/.cache/kofn/bind-<debian version>)
#        KOFN_BIND_JOBS     make -j (default: number of CPUs)
# A second run finds the install (same version, tools working) and returns at once. A cold build
# needs the Debian mirrors, and root when build dependencies are missing (it installs them).
set -euo pipefail

log() { printf 'build-bind-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Bump when the configure flags or the installed set change, so that old caches get rebuilt.
recipe=1
tools=(dnssec-keyfromlabel dnssec-signzone dnssec-verify dnssec-dsfromkey dnssec-keygen)
jobs="${KOFN_BIND_JOBS:-$(nproc)}"

# ---------------------------------------------------------------------------------------------------
# Which version: the one of the installed bind9 libraries, so the tools have the same fixes as the
# system's BIND; else apt's candidate; else (no apt lists at all) the newest source, found below.
want="$(dpkg-query -W -f='${Version}' bind9-libs 2>/dev/null || true)"
if [ -z "$want" ]; then
  want="$(apt-cache policy bind9-libs 2>/dev/null | awk '/Candidate:/ { print $2 }')"
  [ "$want" != "(none)" ] || want=""
fi

prefix=""
stamp=""
owner=""
set_prefix() {
  # Without the epoch: a ':' in the path would split the binaries' RUNPATH. Absolute, because it
  # is configure's --prefix and gets DESTDIR prepended.
  prefix="$(realpath -m "${KOFN_BIND_PREFIX:-$HOME/.cache/kofn/bind-${want#*:}}")"
  # stamp: written last, after the checks passed; owner: marks a prefix this script may replace.
  stamp="$prefix/.kofn-bind-build"
  owner="$prefix/.kofn-bind-owner"
}

# Checks an install: our tools are there, load BIND's libraries from the prefix (bind9-libs is on the
# system too; its libraries have other sonames, "-Debian" ones, but nothing may come from there) and
# have ENGINE support. Prints the reason and returns 1 when something is off.
check_install() {
  local t out
  for t in "${tools[@]}"; do
    [ -x "$prefix/bin/$t" ] || { log "$prefix/bin/$t missing"; return 1; }
  done
  "$prefix/bin/dnssec-signzone" -V >/dev/null 2>&1 || { log "dnssec-signzone -V fails"; return 1; }
  out="$(ldd "$prefix/bin/dnssec-signzone" "$prefix/bin/dnssec-keygen" "$prefix/bin/dnssec-keyfromlabel")"
  if grep -q 'not found' <<<"$out"; then
    log "unresolved libraries: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
    return 1
  fi
  if grep -E 'lib(isc|dns|isccfg)-' <<<"$out" | grep -qv "=> $prefix/lib/"; then
    log "BIND libraries not loaded from $prefix/lib: $(grep -E 'lib(isc|dns|isccfg)-' <<<"$out" | tr -s ' \t\n' ' ')"
    return 1
  fi
  # Both builds list -E in their usage text, so test the behaviour: with ENGINE support an unknown
  # engine is rejected when the crypto library initializes; without, -E is ignored there and the run
  # only fails at key lookup. OPENSSL_CONF=/dev/null keeps a caller's engine config out of this.
  # -K: an empty directory of our own, so nothing could be written anywhere else.
  local keydir
  keydir="$(mktemp -d)"
  out="$(OPENSSL_CONF=/dev/null "$prefix/bin/dnssec-keyfromlabel" -E kofn-no-such-engine \
    -a RSASHA256 -l none -K "$keydir" example. 2>&1 || true)"
  rm -rf "$keydir"
  if [[ $out != *"could not initialize dst: no engine"* ]]; then
    log "no ENGINE support (dnssec-keyfromlabel -E said: $out)"
    return 1
  fi
}

is_cached() {
  [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "bind9 $want recipe $recipe" ] || return 1
  check_install || { log "the build in $prefix does not work any more; rebuilding"; return 1; }
}

# Before a cold build: takes a lock, so that concurrent runs for the same prefix build once (the
# waiting one then finds the build), and refuses early to replace a prefix this script did not make
# (KOFN_BIND_PREFIX could point at anything).
claim_prefix() {
  mkdir -p "$(dirname "$prefix")"
  exec 9>"$(dirname "$prefix")/.$(basename "$prefix").lock"
  flock 9
  if is_cached 2>/dev/null; then
    echo "$prefix/bin"
    exit 0
  fi
  if [ -e "$prefix" ] && [ ! -f "$owner" ] && [ -n "$(ls -A "$prefix")" ]; then
    die "$prefix exists and was not made by this script; not replacing it"
  fi
}

if [ -n "$want" ]; then
  set_prefix
  if is_cached; then
    echo "$prefix/bin"
    exit 0
  fi
  claim_prefix
fi

# ---------------------------------------------------------------------------------------------------
# Build dependencies (configure's minimum; everything optional is disabled below).
deps=(build-essential pkg-config libssl-dev libuv1-dev dpkg-dev)
missing=()
for p in "${deps[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing build dependencies (install as root): ${missing[*]}"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The system's package lists may be stale (old image); refresh them only when the install fails.
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/kofn-bind.XXXXXX")"
stage=""
cleanup() { rm -rf "$work" ${stage:+"$stage"}; }
trap cleanup EXIT
buildlog="$work/build.log"
# Runs a build step with its output in the log; shows the log's end when it fails.
run() {
  "$@" >>"$buildlog" 2>&1 || { tail -n 40 "$buildlog" >&2; die "failed: $*"; }
}

# ---------------------------------------------------------------------------------------------------
# Source: `apt-get source` with a private deb-src configuration and private lists, so /etc/apt and the
# system's package lists and caches stay untouched. It uses the same mirrors (and keyring) as the
# system's debian.sources. apt checks the downloaded files against the signed Sources index.
mkdir -p "$work/apt/sources" "$work/apt/lists/partial"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$work/apt/sources/debian.sources"
else
  # shellcheck source=/dev/null
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
  cat >"$work/apt/sources/debian.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
EOF
fi
apt_opts=(
  -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/apt/sources"
  -o Dir::State::Lists="$work/apt/lists"
  # No binary caches: they would be written to /var/cache/apt, built from our private lists.
  -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
  # Download as the caller: the sandbox user _apt may not write into our temporary directory.
  -o APT::Sandbox::User="$(id -un)"
)
log "fetching the bind9 source index"
run apt-get "${apt_opts[@]}" update

# Versions on offer, newest first (dpkg's ordering: sort -V gets "~" wrong). Only 9.18: the configure
# flags and the ENGINE code this script relies on are 9.18's.
mapfile -t offered < <(apt-cache "${apt_opts[@]}" showsrc bind9 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
sorted=()
for v in "${offered[@]}"; do
  [[ ${v#*:} == 9.18.* ]] || continue
  i=0
  while [ $i -lt ${#sorted[@]} ] && dpkg --compare-versions "${sorted[$i]}" gt "$v"; do i=$((i + 1)); done
  sorted=("${sorted[@]:0:$i}" "$v" "${sorted[@]:$i}")
done
[ ${#sorted[@]} -gt 0 ] || { tail -n 20 "$buildlog" >&2; die "no bind9 9.18 source package on the mirrors"; }
if [ -z "$want" ]; then
  want="${sorted[0]}"
  set_prefix
  claim_prefix
fi

# The wanted version first. The mirror can list a source it no longer (or does not yet) carry, e.g. a
# security update whose .dsc gives 404; then an older 9.18 does as well for these tools.
candidates=("$want")
for v in "${sorted[@]}"; do [ "$v" = "$want" ] || candidates+=("$v"); done
src_version=""
for v in "${candidates[@]}"; do
  rm -rf "$work/dl" && mkdir "$work/dl"
  if (cd "$work/dl" && apt-get "${apt_opts[@]}" source --download-only "bind9=$v" >>"$buildlog" 2>&1); then
    src_version="$v"
    break
  fi
  log "bind9 $v: source not available from the mirror, trying the next one"
done
[ -n "$src_version" ] || { tail -n 20 "$buildlog" >&2; die "could not download any bind9 source"; }
log "building bind9 $src_version (wanted: $want) into $prefix"
# Unpacks and applies Debian's patches (they touch named and the docs, not the dnssec tools).
run dpkg-source -x "$work"/dl/bind9_*.dsc "$work/src"

# ---------------------------------------------------------------------------------------------------
# Configure and build. OPENSSL_API_COMPAT=10100 sets OPENSSL_API_LEVEL below 30000, which is what
# BIND 9.18 tests to compile its ENGINE code (dst__openssl_init, ENGINE_load_private_key).
# --disable-maintainer-mode: Debian's patches change configure.ac without regenerating configure;
# without it make would try to rerun automake (a version not installed here).
# Everything optional is off: the dnssec tools need none of it, and it saves build dependencies.
cd "$work/src"
log "configure"
run ./configure --prefix="$prefix" CFLAGS="-O2 -DOPENSSL_API_COMPAT=10100" \
  --disable-maintainer-mode --disable-doh --disable-linux-caps --disable-geoip --disable-dnstap \
  --without-jemalloc --without-lmdb --without-libxml2 --without-json-c --without-gssapi \
  --without-libidn2 --without-zlib --without-maxminddb --without-cmocka --with-readline=no
# Only the libraries the dnssec tools link (libisc, libdns, libisccfg for dnssec-keygen's policies).
libs=(lib/isc lib/dns lib/isccfg)
for d in "${libs[@]}" bin/dnssec; do
  log "make $d"
  run make -j"$jobs" -C "$d"
done

# ---------------------------------------------------------------------------------------------------
# Install: into a staging directory next to the prefix, then one rename, so an interrupted build never
# leaves a half-installed prefix that looks complete. libtool links the binaries and libraries with a
# RUNPATH of $prefix/lib, so they find our libraries there without LD_LIBRARY_PATH.
mkdir -p "$(dirname "$prefix")"
stage="$(mktemp -d "$(dirname "$prefix")/.bind-stage.XXXXXX")"
for d in "${libs[@]}" bin/dnssec; do
  run make -C "$d" DESTDIR="$stage" install-exec
done
touch "$stage$owner"
rm -rf "$prefix" # ours or empty: claim_prefix checked
mv "$stage$prefix" "$prefix"
check_install || die "the built tools fail their checks"
printf 'bind9 %s recipe %s\nsource %s\n' "$want" "$recipe" "$src_version" >"$stamp"
log "done: bind9 $src_version"
echo "$prefix/bin"
