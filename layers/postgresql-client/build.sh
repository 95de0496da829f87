#!/usr/bin/env bash
# Builds the PostgreSQL client Lambda layer tree into OUT_DIR.
#
#   build.sh OUT_DIR
#
# Environment:
#   PG_MAJORS   space-separated majors to bundle (default "15"); the newest one is
#               also copied to bin/.
#   PG_TOOLS    binaries to ship per major (default "pg_dump pg_restore psql").
#   CACHE_DIR   where downloaded .deb files are kept (default: ./.cache next to this
#               script if writable, else $TMPDIR/pg-layer-cache).
#   PATCHELF    auto (default): set RPATH if patchelf is present or installable;
#               yes: fail if it cannot; no: never.
#
# Recipe is chosen from /etc/os-release:
#   Amazon Linux  -> dnf packages postgresqlNN (sam build --use-container)
#   Debian/Ubuntu -> apt-get download + dpkg-deb -x (nothing is installed, except
#                    patchelf if missing and PATCHELF != no)
#
# Output layout (contract relied on by the Java code):
#   bin/{pg_dump,pg_restore,psql}                 newest bundled major (real files)
#   postgresql/<major>/bin/{pg_dump,pg_restore,psql}
#   lib/                                          every non-glibc shared library needed
#   postgresql/build-info.txt                     source packages and versions
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${1:?usage: build.sh OUT_DIR}"
PG_MAJORS="${PG_MAJORS:-15}"
PG_TOOLS="${PG_TOOLS:-pg_dump pg_restore psql}"
PATCHELF="${PATCHELF:-auto}"
OS_RELEASE="${OS_RELEASE_FILE:-/etc/os-release}"   # override only to test recipe selection

log() { echo "[pg-layer] $*" >&2; }
die() { echo "[pg-layer] ERROR: $*" >&2; exit 1; }

# Sonames provided by glibc itself: always present on the Lambda OS, never bundled.
GLIBC_SONAME_RE='^(ld-linux[^ ]*|ld64\.so[^ ]*|libc\.so\.[0-9]+|libm\.so\.[0-9]+|libmvec\.so\.[0-9]+|libpthread\.so\.[0-9]+|libdl\.so\.[0-9]+|librt\.so\.[0-9]+|libresolv\.so\.[0-9]+|libutil\.so\.[0-9]+|libanl\.so\.[0-9]+|libnss_[a-z0-9_]+\.so\.[0-9]+|libBrokenLocale\.so\.[0-9]+|libthread_db\.so\.[0-9]+|libc_malloc_debug\.so\.[0-9]+)$'

# Majors sorted ascending (numeric); the last one is the newest.
read -r -a MAJORS <<<"$(tr ' ' '\n' <<<"$PG_MAJORS" | grep -v '^$' | sort -n -u | tr '\n' ' ')"
[ "${#MAJORS[@]}" -gt 0 ] || die "PG_MAJORS is empty"
for m in "${MAJORS[@]}"; do [[ "$m" =~ ^[0-9]+$ ]] || die "bad major '$m' in PG_MAJORS"; done
NEWEST="${MAJORS[-1]}"

if [ -z "${CACHE_DIR:-}" ]; then
  if mkdir -p "$HERE/.cache" 2>/dev/null && [ -w "$HERE/.cache" ]; then
    CACHE_DIR="$HERE/.cache"
  else
    CACHE_DIR="${TMPDIR:-/tmp}/pg-layer-cache"
  fi
fi
mkdir -p "$CACHE_DIR"

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/pg-layer-stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
# $STAGE/root       extracted packages (Debian recipe)
# $STAGE/bin/<M>/   the binaries of major M, as found in the packages
# $STAGE/lib/       resolved shared libraries (soname -> real file)
mkdir -p "$STAGE/root" "$STAGE/lib"
INFO="$STAGE/build-info.txt"
: >"$INFO"

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# copy_tools MAJOR FILE... : copy the real (ELF) binaries of one major into the stage.
copy_tool() { # major tool src
  local m="$1" t="$2" src="$3"
  [ -e "$src" ] || die "PG $m: $t not found at $src"
  is_elf "$src" || die "PG $m: $src is not an ELF binary (a wrapper script?)"
  mkdir -p "$STAGE/bin/$m"
  cp -L "$src" "$STAGE/bin/$m/$t"
  chmod 0755 "$STAGE/bin/$m/$t"
}

# resolve_libs ALLOW_OUTSIDE LIBPATH FILE... : copy every non-glibc library that ldd
# reports for FILE (transitively) into $STAGE/lib. With ALLOW_OUTSIDE=0 every library
# must come from $STAGE/root (Debian recipe: never pick up the build host's libraries).
resolve_libs() {
  local allow_outside="$1" libpath="$2"; shift 2
  local f out line soname path
  for f in "$@"; do
    out="$(env -i LD_LIBRARY_PATH="$libpath" ldd "$f" 2>&1)" || die "ldd failed on $f: $out"
    if grep -q 'not found' <<<"$out"; then
      die "unresolved libraries for $f:"$'\n'"$(grep 'not found' <<<"$out")"
    fi
    while read -r line; do
      [[ "$line" == *"=>"* ]] || continue
      soname="$(awk '{print $1}' <<<"$line")"
      path="$(awk '{print $3}' <<<"$line")"
      [[ "$soname" =~ $GLIBC_SONAME_RE ]] && continue
      [ -e "$path" ] || die "ldd reported $soname => $path for $f, which does not exist"
      if [ "$allow_outside" = 0 ] && [[ "$(readlink -f "$path")" != "$STAGE/root/"* ]]; then
        die "$soname (needed by $f) resolved to the build host's $path, not to a downloaded package; add its package"
      fi
      cp -L "$path" "$STAGE/lib/$soname"   # later (newer) majors overwrite: libpq is backwards compatible
      echo "$soname $(readlink -f "$path")" >>"$STAGE/resolved.txt"
      chmod 0644 "$STAGE/lib/$soname"
    done <<<"$out"
  done
}

# --------------------------------------------------------------------- Debian recipe
deb_build() {
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "apt-get/dpkg-deb missing"
  local arch; arch="$(dpkg --print-architecture)"
  local debs="$CACHE_DIR/debs"; mkdir -p "$debs"
  local aptopts=(-o APT::Sandbox::User=root -q)
  # Docker-style images disable apt's binary cache (Dir::Cache::pkgcache ""), which
  # makes every apt-cache call re-parse all indexes (~1 s); keep one in our cache dir
  # (apt rebuilds it by itself whenever the indexes or dpkg status change).
  mkdir -p "$CACHE_DIR/apt"
  aptc() { apt-cache -o Dir::Cache::pkgcache="$CACHE_DIR/apt/pkgcache.bin" \
                     -o Dir::Cache::srcpkgcache="$CACHE_DIR/apt/srcpkgcache.bin" "$@"; }

  # apt-cache takes ~1 s per call here, so it is called in batches.
  # meta PKG...: "name version arch sha256" of each package's candidate version.
  meta() {
    aptc show --no-all-versions "$@" 2>/dev/null | awk '
      /^Package: /{p=$2} /^Version: /{v=$2} /^Architecture: /{a=$2} /^SHA256: /{h=$2}
      /^$/{ if (p!="") print p, v, a, h; p=v=a=h="" }
      END{ if (p!="") print p, v, a, h }'
  }

  # Packages to start from; make sure the indexes know them (a fresh container may
  # have no lists yet).
  local roots=() m
  for m in "${MAJORS[@]}"; do roots+=("postgresql-client-$m"); done
  roots+=("libpq5")
  if ! meta "postgresql-client-$NEWEST" | grep -q . && [ "$(id -u)" = 0 ]; then
    log "package indexes do not know postgresql-client-$NEWEST; running apt-get update"
    apt-get "${aptopts[@]}" update >&2 || true
  fi
  local known; known="$(meta "${roots[@]}" | awk '{print $1}')"
  for m in "${MAJORS[@]}"; do
    grep -qx "postgresql-client-$m" <<<"$known" || die "postgresql-client-$m is not available from the configured apt sources ($(. "$OS_RELEASE"; echo "$PRETTY_NAME")). Debian 12 provides only 15; newer Debian suites' builds need glibc > 2.34, so they cannot run on Lambda's Amazon Linux 2023. Build other majors with 'sam build --use-container' (Amazon Linux recipe)."
  done

  # Walk the Depends/Pre-Depends graph (breadth first, one apt-cache call per level),
  # following library packages only (lib*, zlib1g): glibc (libc6*) and non-library
  # packages (postgresql-client-common, perl...) are not needed, since only the
  # binaries and what ldd reports for them are shipped.
  local -A seen=()
  local frontier=("${roots[@]}") next d pkg
  while [ "${#frontier[@]}" -gt 0 ]; do
    for pkg in "${frontier[@]}"; do seen[$pkg]=1; done
    next=()
    for d in $(aptc depends --no-recommends --no-suggests --no-conflicts --no-breaks \
                 --no-replaces --no-enhances "${frontier[@]}" 2>/dev/null \
               | sed -nE 's/^ +\|?(Pre)?Depends: ([^ <>]+).*/\2/p' | sed 's/:any$//' | sort -u); do
      [[ "$d" =~ ^(lib|zlib1g) ]] || continue
      [[ "$d" =~ ^libc6($|-) ]] && continue
      [ -n "${seen[$d]:-}" ] && continue
      next+=("$d")
    done
    frontier=("${next[@]}")
  done

  # Download (cached by exact version; hashes checked against the index).
  # apt-get download names files NAME_VERSION_ARCH.deb with ':' (epoch) as %3a.
  local want=() name ver a sha file
  declare -A debfile=() debver=()
  while read -r name ver a sha; do
    file="$debs/${name}_${ver//:/%3a}_${a}.deb"
    debfile[$name]="$file"
    debver[$name]="$ver"
    if [ -f "$file" ] && [ "$(sha256sum "$file" | awk '{print $1}')" = "$sha" ]; then
      continue
    fi
    rm -f "$file"
    want+=("$name=$ver")
  done < <(meta "${!seen[@]}" | sort)
  if [ "${#want[@]}" -gt 0 ]; then
    log "downloading ${#want[@]} packages into $debs"
    (cd "$debs" && apt-get "${aptopts[@]}" download "${want[@]}" >&2) || die "apt-get download failed"
  else
    log "all ${#debfile[@]} packages already cached in $debs"
  fi

  # Extract (never installed).
  for name in "${!debfile[@]}"; do
    [ -f "${debfile[$name]}" ] || die "expected ${debfile[$name]} after apt-get download"
    dpkg-deb -x "${debfile[$name]}" "$STAGE/root"
  done

  # The real binaries (/usr/bin/pg_dump is Debian's perl wrapper: not shipped).
  local t
  for m in "${MAJORS[@]}"; do
    for t in $PG_TOOLS; do copy_tool "$m" "$t" "$STAGE/root/usr/lib/postgresql/$m/bin/$t"; done
  done

  # Library search path = every directory of the extracted packages holding a .so.
  local libpath
  libpath="$(find "$STAGE/root" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | paste -sd:)"
  resolve_libs 0 "$libpath" "$STAGE"/bin/*/*

  # Provenance: which downloaded package each shipped file comes from.
  local shipped
  shipped="$( { for m in "${MAJORS[@]}"; do for t in $PG_TOOLS; do echo "/usr/lib/postgresql/$m/bin/$t"; done; done
               awk '{print $2}' "$STAGE/resolved.txt" | sed "s|^$STAGE/root||"; } | sort -u)"
  for name in $(printf '%s\n' "${!debfile[@]}" | sort); do
    if grep -qxF -f <(echo "$shipped") <(dpkg-deb -c "${debfile[$name]}" | awk '{print substr($6,2)}'); then
      echo "deb $name ${debver[$name]} (shipped)" >>"$INFO"
    else
      echo "deb $name ${debver[$name]} (dependency only, nothing shipped)" >>"$INFO"
    fi
  done
  {
    . "$OS_RELEASE"
    echo "source: $PRETTY_NAME packages (apt-get download + dpkg-deb -x), arch $arch"
  } >>"$INFO"
}

# -------------------------------------------------------------- Amazon Linux recipe
al_build() {
  local DNF DNFOPTS=()
  if command -v dnf >/dev/null; then DNF=dnf; DNFOPTS=(-q --setopt=install_weak_deps=False)
  elif command -v microdnf >/dev/null; then DNF=microdnf
  else die "neither dnf nor microdnf found"; fi
  # ldd (glibc-common) and readelf (binutils, used by verify.sh) are in SAM's build
  # images; install them if this image lacks them.
  command -v ldd >/dev/null || $SUDO $DNF install -y "${DNFOPTS[@]}" glibc-common >&2 || true
  command -v readelf >/dev/null || $SUDO $DNF install -y "${DNFOPTS[@]}" binutils >&2 || true
  command -v ldd >/dev/null || die "ldd not found"
  local m pkg t c src installed_here
  for m in "${MAJORS[@]}"; do
    pkg="postgresql$m"
    installed_here=0
    if ! rpm -q "$pkg" >/dev/null 2>&1; then
      log "dnf install $pkg"
      $SUDO $DNF install -y "${DNFOPTS[@]}" "$pkg" >&2 \
        || die "dnf install $pkg failed (is PG $m packaged for $(. "$OS_RELEASE"; echo "$PRETTY_NAME")? try: dnf list 'postgresql*')"
      installed_here=1
    fi
    for t in $PG_TOOLS; do
      src=""
      for c in $(rpm -ql "$pkg" | grep -E "/bin/$t\$" || true); do
        [ -f "$c" ] && is_elf "$c" && { src="$c"; break; }
      done
      [ -n "$src" ] || die "$pkg does not contain an ELF $t binary (rpm -ql $pkg)"
      copy_tool "$m" "$t" "$src"
    done
    # Libraries come from the (Amazon Linux) system itself, so they may live anywhere.
    resolve_libs 1 "" "$STAGE/bin/$m"/*
    echo "rpm $(rpm -q "$pkg")" >>"$INFO"
    awk '{print $2}' "$STAGE/resolved.txt" | sort -u | xargs -r rpm -qf 2>/dev/null | sed 's/^/rpm /' >>"$INFO" || true
    # Majors may conflict with each other (same /usr/bin paths): remove what we added.
    if [ "$installed_here" = 1 ]; then
      $SUDO $DNF remove -y "${DNFOPTS[@]}" "$pkg" >&2 || log "warning: could not remove $pkg"
    fi
  done
  sort -u -o "$INFO" "$INFO"
  {
    . "$OS_RELEASE"
    echo "source: $PRETTY_NAME packages (dnf), arch $(uname -m)"
  } >>"$INFO"
}

# ------------------------------------------------------------------------- main
. "$OS_RELEASE"
case " ${ID:-} ${ID_LIKE:-} " in
  *" amzn "*)               log "Amazon Linux recipe, majors: ${MAJORS[*]}"; al_build ;;
  *" debian "*|*" ubuntu "*) log "Debian recipe, majors: ${MAJORS[*]}"; deb_build ;;
  *) die "unsupported build OS '${ID:-?}': use Amazon Linux (sam build --use-container) or Debian/Ubuntu" ;;
esac

# Optional RPATH: binaries look in the layer's lib/ first (DT_RPATH is searched before
# LD_LIBRARY_PATH, and Lambda puts /lib64:/usr/lib64 before /opt/lib), and keep working
# when a child process is started with a cleared environment.
want_patchelf() {
  [ "$PATCHELF" = no ] && return 1
  command -v patchelf >/dev/null 2>&1 && return 0
  log "patchelf not found; trying to install it"
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get install -y -q --no-install-recommends patchelf >&2 || true
  elif command -v dnf >/dev/null 2>&1; then
    $SUDO dnf install -y -q patchelf >&2 || true
  elif command -v microdnf >/dev/null 2>&1; then
    $SUDO microdnf install -y patchelf >&2 || true
  fi
  command -v patchelf >/dev/null 2>&1 && return 0
  [ "$PATCHELF" = yes ] && die "patchelf required (PATCHELF=yes) but not available"
  log "warning: patchelf unavailable: no RPATH set, libraries are found via LD_LIBRARY_PATH only"
  return 1
}

# Assemble OUT_DIR (SAM's ARTIFACTS_DIR may already exist: only replace our entries).
mkdir -p "$OUT_DIR"
rm -rf "$OUT_DIR/bin" "$OUT_DIR/lib" "$OUT_DIR/postgresql"
mkdir -p "$OUT_DIR/bin" "$OUT_DIR/lib"
cp "$STAGE"/lib/* "$OUT_DIR/lib/"
for m in "${MAJORS[@]}"; do
  mkdir -p "$OUT_DIR/postgresql/$m/bin"
  cp "$STAGE/bin/$m"/* "$OUT_DIR/postgresql/$m/bin/"
done
cp "$STAGE/bin/$NEWEST"/* "$OUT_DIR/bin/"

rpath="no"
if want_patchelf; then
  for f in "$OUT_DIR"/lib/*; do patchelf --force-rpath --set-rpath '$ORIGIN' "$f"; done
  for f in "$OUT_DIR"/bin/*; do patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$f"; done
  for f in "$OUT_DIR"/postgresql/*/bin/*; do patchelf --force-rpath --set-rpath '$ORIGIN/../../../lib' "$f"; done
  rpath="yes (DT_RPATH \$ORIGIN/../lib, \$ORIGIN/../../../lib; libs \$ORIGIN; patchelf $(patchelf --version | awk '{print $2}'))"
fi

{
  echo "majors: ${MAJORS[*]}"
  echo "newest (bin/): $NEWEST"
  echo "tools: $PG_TOOLS"
  echo "rpath: $rpath"
  cat "$INFO"
} >"$OUT_DIR/postgresql/build-info.txt"

log "layer tree written to $OUT_DIR ($(du -sh "$OUT_DIR" | cut -f1)); libs: $(ls "$OUT_DIR/lib" | wc -l)"
