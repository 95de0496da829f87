# shellcheck shell=bash
# The source recipe for one PostgreSQL major (sourced by build.sh; not run on its own).
#
# Its text is part of every cache key: changing anything here rebuilds every major.
# Needs from build.sh: log, die, CACHE, LOCK, SUDO, GLIBC_SONAME_RE, OS_ID.
#
#   recipe_deps             install the build dependencies that are missing
#   recipe_key MAJOR        "<upstream version>-<hash of recipe inputs>" (cache entry name)
#   recipe_build MAJOR      -> $CACHE/build/<major>-<key>/{bin,lib,info.txt} (cached)

# The client parts only: no server, no readline (psql is used non-interactively), no ICU,
# no NLS, no Kerberos/LDAP; TLS (OpenSSL) and every compression pg_dump can use.
RECIPE_CONFIGURE=(--prefix=/opt --disable-rpath --disable-nls --without-readline --without-icu
                  --without-gssapi --without-ldap --without-pam
                  --with-openssl --with-zlib --with-lz4 --with-zstd)
RECIPE_CFLAGS="-O2"
# What pg_dump, pg_restore, pg_dumpall (src/bin/pg_dump builds it too) and psql need, in order:
# the generated headers first (errcodes.h
# & co.: building a directory alone with -j would race for them), then each directory
# (its Makefile builds libpq, src/common, src/port and src/fe_utils on demand).
RECIPE_MAKE=("src/backend generated-headers" src/interfaces/libpq src/bin/pg_dump src/bin/psql)

# Build dependencies per package manager. PG 17+ tarballs no longer ship the bison/flex
# output; perl generates headers and psql's help.
RECIPE_DEB_DEPS=(gcc libc6-dev make bison flex perl pkg-config binutils tar bzip2 xz-utils
                 libssl-dev zlib1g-dev libzstd-dev liblz4-dev patchelf)
RECIPE_RPM_DEPS=(gcc glibc-devel make bison flex perl pkgconf-pkg-config binutils tar bzip2 xz gzip
                 findutils openssl-devel zlib-devel libzstd-devel lz4-devel patchelf)
# The subset whose version changes the build output (part of the cache key).
RECIPE_DEB_KEYED=(gcc libc6-dev bison flex libssl-dev zlib1g-dev libzstd-dev liblz4-dev)
RECIPE_RPM_KEYED=(gcc glibc-devel bison flex openssl-devel zlib-devel libzstd-devel lz4-devel)

recipe_pm() { # which package manager recipe applies: deb | rpm
  case " $OS_ID " in
    *" amzn "*|*" fedora "*|*" rhel "*) echo rpm ;;
    *) echo deb ;;
  esac
}

recipe_deps() {
  local missing=() p
  if [ "$(recipe_pm)" = deb ]; then
    for p in "${RECIPE_DEB_DEPS[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || [ -n "$SUDO" ] || die "missing build dependencies: ${missing[*]} (apt-get install them, or run as root)"
    log "installing build dependencies: ${missing[*]}"
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
      || { log "apt-get install failed; running apt-get update and retrying"
           $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } \
      || die "could not install ${missing[*]}"
  else
    for p in "${RECIPE_RPM_DEPS[@]}"; do rpm -q "$p" >/dev/null 2>&1 || missing+=("$p"); done
    command -v curl >/dev/null || missing+=(curl-minimal)   # AL2023: 'curl' conflicts with curl-minimal
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || [ -n "$SUDO" ] || die "missing build dependencies: ${missing[*]} (dnf install them, or run as root)"
    log "installing build dependencies: ${missing[*]}"
    local dnf; dnf="$(command -v dnf || command -v microdnf || command -v yum)" || die "no dnf/microdnf/yum"
    $SUDO "$dnf" install -y "${missing[@]}" >&2 || die "could not install ${missing[*]}"
  fi
}

recipe_lockline() { # MAJOR -> the sources.lock line (fields normalised to single spaces)
  local l; l="$(awk -v m="$1" '!/^[[:space:]]*(#|$)/ && $1 == m {$1=$1; print}' "$LOCK")"
  [ -n "$l" ] || die "PG $1 is not in $LOCK (majors there: $(awk '!/^[[:space:]]*(#|$)/{printf "%s ", $1}' "$LOCK"))"
  [ "$(wc -l <<<"$l")" = 1 ] || die "PG $1 appears more than once in $LOCK"
  [ "$(wc -w <<<"$l")" = 7 ] || die "bad line for PG $1 in $LOCK (want 7 fields): $l"
  echo "$l"
}

# The compiler and the -dev packages the build links against (their runtime libraries are
# bundled, so a security update of e.g. libssl-dev gives a new cache key, hence a rebuild).
recipe_toolchain() {
  echo "os $OS_ID ${OS_VERSION_ID:-} $(uname -m)"
  echo "gcc $(gcc -dumpfullversion 2>/dev/null || echo none)"
  if [ "$(recipe_pm)" = deb ]; then
    dpkg-query -W -f='${Package} ${Version}\n' "${RECIPE_DEB_KEYED[@]}" 2>/dev/null || true
  else
    rpm -q "${RECIPE_RPM_KEYED[@]}" 2>/dev/null || true
  fi
}

recipe_key() { # MAJOR
  local line pool up hash
  line="$(recipe_lockline "$1")"
  pool="$(awk '{print $6}' <<<"$line")"
  up="$(basename "$pool" | sed -E 's/^[^_]+_([^_]+)\.orig\.tar\..*$/\1/')"
  hash="$( { echo "$line"; cat "${BASH_SOURCE[0]}"; recipe_toolchain; } | sha256sum | cut -c1-12)"
  echo "$up-$hash"
}

# recipe_fetch MAJOR -> path of the verified upstream tarball in $CACHE/src.
recipe_fetch() {
  local m="$1" line ver archive suites keyring pool sha file dest
  line="$(recipe_lockline "$m")"
  read -r _ ver archive suites keyring pool sha <<<"$line"
  file="$(basename "$pool")"
  dest="$CACHE/src/$file"
  mkdir -p "$CACHE/src"
  if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$sha" ]; then echo "$dest"; return 0; fi
  rm -f "$dest"
  local tmp; tmp="$(mktemp -d "$CACHE/src/.fetch-$m.XXXXXX")"
  if command -v apt-get >/dev/null && [ "${PG_FETCH:-auto}" != curl ]; then
    # apt-get source against a private sources list / state / cache: /etc/apt is not used
    # nor changed.
    local apt="$CACHE/apt/$m" signed s
    mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/empty"
    case "$keyring" in
      debian)  signed="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
               [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || die "debian-archive-keyring is not installed" ;;
      trusted) signed="trusted=yes" ;;
      *)       die "unknown keyring '$keyring' for PG $m in $LOCK" ;;
    esac
    : >"$apt/sources.list"
    for s in ${suites//,/ }; do echo "deb-src [$signed] $archive $s main" >>"$apt/sources.list"; done
    local opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o "Dir::Etc::PreferencesParts=$apt/empty" -o Dir::Etc::Preferences=/dev/null
                -o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache"
                -o Dir::State::status=/dev/null -o APT::Sandbox::User="$(id -un)")
    log "PG $m: apt-get source postgresql-$m=$ver ($archive $suites)"
    if apt-get "${opts[@]}" update >"$tmp/apt.log" 2>&1 \
       && (cd "$tmp" && apt-get "${opts[@]}" source --download-only --tar-only "postgresql-$m=$ver" >>"$tmp/apt.log" 2>&1) \
       && [ -f "$tmp/$file" ]; then
      :
    else
      log "PG $m: apt-get source failed ($(grep -E '^(E|Err|W):' "$tmp/apt.log" | tail -n 2 | paste -sd' ')); trying $archive/$pool"
      rm -f "$tmp/$file"
    fi
  fi
  if [ ! -f "$tmp/$file" ]; then
    command -v curl >/dev/null || die "curl is needed to download $archive/$pool"
    log "PG $m: curl $archive/$pool"
    curl -fsSL --retry 3 -o "$tmp/$file" "$archive/$pool" \
      || { rm -rf "$tmp"; die "PG $m: could not download $archive/$pool (neither apt-get source nor curl). If the version was superseded, bump it in $LOCK (see README.md)"; }
  fi
  local got; got="$(sha256sum "$tmp/$file" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then
    rm -rf "$tmp"
    die "PG $m: $file has sha256 $got, but $LOCK pins $sha: refused"
  fi
  mv -f "$tmp/$file" "$dest"
  rm -rf "$tmp"
  echo "$dest"
}

# Package that owns a file (provenance for build-info.txt), best effort.
recipe_owner() {
  local f="$1" p
  if [ "$(recipe_pm)" = deb ]; then
    p="$(dpkg -S "$f" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null || dpkg -S "/usr$f" 2>/dev/null)" || { echo "?"; return; }
    p="${p%%: *}"
    echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null)"
  else
    rpm -qf "$f" 2>/dev/null || echo "?"
  fi
}

recipe_build() { # MAJOR -> prints the cache entry directory
  local m="$1" key dest
  key="$(recipe_key "$m")"
  dest="$CACHE/build/$m-$key"
  if [ -f "$dest/.complete" ]; then log "PG $m: cached build $dest"; echo "$dest"; return 0; fi

  local line ver archive suites keyring pool sha tarball
  line="$(recipe_lockline "$m")"
  read -r _ ver archive suites keyring pool sha <<<"$line"
  tarball="$(recipe_fetch "$m")"

  mkdir -p "$CACHE/build"
  local tmp; tmp="$(mktemp -d "$CACHE/build/.tmp-$m.XXXXXX")"
  local src="$tmp/src" out="$tmp/out" jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  mkdir -p "$src" "$out/bin" "$out/lib"
  log "PG $m: building $(basename "$tarball") (make -j$jobs) in $tmp"
  local t0=$SECONDS
  tar -xf "$tarball" -C "$src" --strip-components=1
  (cd "$src" && CFLAGS="$RECIPE_CFLAGS" ./configure "${RECIPE_CONFIGURE[@]}" >"$tmp/configure.log" 2>&1) \
    || { tail -n 40 "$tmp/configure.log" >&2; die "PG $m: configure failed (log: $tmp/configure.log)"; }
  local step d target
  for step in "${RECIPE_MAKE[@]}"; do
    read -r d target <<<"$step"
    # shellcheck disable=SC2086 # an empty target must vanish (make's default goal), a given one is one word
    make -C "$src/$d" -j"$jobs" $target >>"$tmp/make.log" 2>&1 \
      || { tail -n 40 "$tmp/make.log" >&2; die "PG $m: make -C $step failed (log: $tmp/make.log)"; }
  done
  cp "$src/src/bin/pg_dump/pg_dump" "$src/src/bin/pg_dump/pg_restore" "$src/src/bin/pg_dump/pg_dumpall" \
     "$src/src/bin/psql/psql" "$out/bin/"
  cp -L "$src/src/interfaces/libpq/libpq.so.5" "$out/lib/"
  strip --strip-unneeded "$out"/bin/* "$out/lib/libpq.so.5"

  # Every non-glibc library the binaries need (transitively: ldd), from the build host.
  local ldd_out soname path libs=""
  ldd_out="$(env -i LD_LIBRARY_PATH="$out/lib" ldd "$out"/bin/* "$out"/lib/* 2>&1)" || die "PG $m: ldd failed: $ldd_out"
  grep -q 'not found' <<<"$ldd_out" && die "PG $m: unresolved libraries: $(grep 'not found' <<<"$ldd_out" | sort -u)"
  while read -r soname path; do
    [[ "$soname" =~ $GLIBC_SONAME_RE ]] && continue
    [ -e "$out/lib/$soname" ] && continue
    cp -L "$path" "$out/lib/$soname"; chmod 0644 "$out/lib/$soname"
    libs+="lib $soname <- $(readlink -f "$path") ($(recipe_owner "$(readlink -f "$path")"))"$'\n'
  done < <(awk '/=>/ && $3 ~ /^\// {print $1, $3}' <<<"$ldd_out" | sort -u)

  {
    echo "source: postgresql-$m $ver ($archive $suites, keyring: $keyring)"
    echo "tarball: $archive/$pool"
    echo "sha256: $sha (pinned in sources.lock, checked)"
    echo "upstream: $("$out/bin/pg_dump" --version 2>/dev/null || env LD_LIBRARY_PATH="$out/lib" "$out/bin/pg_dump" --version)"
    echo "configure: CFLAGS=$RECIPE_CFLAGS ${RECIPE_CONFIGURE[*]}"
    echo "make: $(printf '%s; ' "${RECIPE_MAKE[@]}")"
    echo "compiler: $(gcc --version | head -n1)"
  # shellcheck source=/dev/null # the build host's os-release, not a file of ours
    echo "built on: $(. "$OS_RELEASE"; echo "$PRETTY_NAME") $(uname -m), $(ldd --version 2>&1 | head -n1)"
    echo "build time: $((SECONDS - t0)) s"
    printf '%s' "$libs"
    echo "lib libpq.so.5 <- built from this tarball"
  } >"$out/info.txt"
  touch "$out/.complete"
  # Atomic publish: a concurrent build of the same key simply loses the race.
  if ! mv -T "$out" "$dest" 2>/dev/null; then
    [ -f "$dest/.complete" ] || { rm -rf "$dest"; mv -T "$out" "$dest"; }
  fi
  rm -rf "$tmp"
  log "PG $m: built in $((SECONDS - t0)) s -> $dest"
  echo "$dest"
}
