#!/usr/bin/env bash
# shellcheck disable=SC2015 # ok and warn only print, so 'check && ok || fail' is if/else throughout
# Proves a built PostgreSQL client layer tree is usable on AWS Lambda (Amazon Linux 2023).
#
#   verify.sh [LAYER_DIR]        (default: the build/ directory next to this script)
#
# Environment:
#   MAX_GLIBC=2.34        newest glibc symbol version allowed (AL2023 ships glibc 2.34)
#   MAX_BYTES=262144000   Lambda's unzipped limit (250 MiB) for function + all layers
#   CHROOT_TEST=auto      auto: run the chroot test when root; 1: require it; 0: skip
#   QEMU_SYSROOT          for a layer of another architecture (arm64 on an x86_64 host): the
#                         target glibc qemu-user runs it on (default /usr/aarch64-linux-gnu,
#                         Debian's libc6-arm64-cross). Every check below then runs the layer's
#                         programs under `qemu-aarch64 -L QEMU_SYSROOT`, and the target's
#                         dynamic loader (`ld-linux-aarch64.so.1 --list`) stands in for ldd.
#
# Checks (any failure -> exit 1):
#   1. layout: bin/ + postgresql/<major>/bin/ hold pg_dump, pg_restore, pg_dumpall, psql as real ELF
#      files (no symlinks anywhere); bin/ is the newest major.
#   2. every binary runs --version under `env -i LD_LIBRARY_PATH=<layer>/lib`.
#   3. ldd of every binary and bundled library: nothing "not found", and every non-glibc
#      library resolves inside <layer>/lib (not silently from the build host).
#   4. every file carries DT_RPATH: with Lambda's search order (system dirs before
#      /opt/lib) and with no LD_LIBRARY_PATH at all (`env -i`), every binary of every
#      major runs and the layer's own libraries win.
#   5. no binary/library needs a GLIBC_ symbol version newer than MAX_GLIBC, nor
#      GLIBC_PRIVATE (newest version printed per binary).
#   6. SSL: libpq has libssl NEEDED, libssl is bundled, and each major's psql accepts
#      sslmode=require (a libpq without SSL rejects it: "SSL support is not compiled in").
#      Compression, per major: pg_dump has libz NEEDED (16+: also libzstd and liblz4, all
#      bundled) and accepts -Z 6 (15) / --compress=gzip:1, lz4:1, zstd:1 (16+): the
#      compression spec is checked before connecting, so a probe against a closed port
#      tells "accepted" (connection refused) from "not supported by this build".
#   7. size (du -sb) <= MAX_BYTES; per major and lib/ printed.
#   8. chroot: only glibc + the layer at /opt, every binary still runs (catches anything
#      ldd cannot see on a host that happens to have the same libraries installed).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAYER="${1:-$HERE/build}"
MAX_GLIBC="${MAX_GLIBC:-2.34}"
MAX_BYTES="${MAX_BYTES:-262144000}"
CHROOT_TEST="${CHROOT_TEST:-auto}"
TOOLS=(pg_dump pg_restore pg_dumpall psql)
GLIBC_SONAME_RE='^(ld-linux[^ ]*|ld64\.so[^ ]*|libc\.so\.[0-9]+|libm\.so\.[0-9]+|libmvec\.so\.[0-9]+|libpthread\.so\.[0-9]+|libdl\.so\.[0-9]+|librt\.so\.[0-9]+|libresolv\.so\.[0-9]+|libutil\.so\.[0-9]+|libanl\.so\.[0-9]+|libnss_[a-z0-9_]+\.so\.[0-9]+|libBrokenLocale\.so\.[0-9]+|libthread_db\.so\.[0-9]+|libc_malloc_debug\.so\.[0-9]+)$'

FAILS=0
ok()   { echo "  ok   $*"; }
warn() { echo "  WARN $*"; }
fail() { echo "  FAIL $*"; FAILS=$((FAILS + 1)); }
section() { echo; echo "== $*"; }

[ -d "$LAYER" ] || { echo "verify: layer dir '$LAYER' not found (build it: make -C $HERE local)" >&2; exit 2; }
LAYER="$(cd "$LAYER" && pwd)"
for tool in readelf ldd du; do
  command -v "$tool" >/dev/null || { echo "verify: '$tool' missing (install binutils / libc-bin)" >&2; exit 2; }
done
echo "layer: $LAYER"

# A layer built for another architecture runs under qemu-user: QEMU is empty for a native one.
QEMU=""; LDSO=""
layer_machine="$(readelf -h "$LAYER/bin/pg_dump" 2>/dev/null | awk -F: '/Machine/{gsub(/^ +/,"",$2); print $2}')"
if [ "$layer_machine" = AArch64 ] && [ "$(uname -m)" != aarch64 ]; then
  QEMU="$(command -v qemu-aarch64)" || { echo "verify: arm64 layer: qemu-aarch64 missing (apt-get install qemu-user)" >&2; exit 2; }
  QEMU_SYSROOT="${QEMU_SYSROOT:-/usr/aarch64-linux-gnu}"; LDSO=ld-linux-aarch64.so.1
  [ -f "$QEMU_SYSROOT/lib/$LDSO" ] || { echo "verify: $QEMU_SYSROOT/lib/$LDSO missing (apt-get install libc6-arm64-cross)" >&2; exit 2; }
  echo "arm64 layer on $(uname -m): every program runs under $QEMU -L $QEMU_SYSROOT ($("$QEMU" --version | head -n1))"
fi
# xenv VAR=VALUE... PROGRAM ARGS...: `env -i VAR=VALUE... PROGRAM ARGS...`; a target program runs
# under qemu, and the variables are given to it (-E), not to the host's qemu.
xenv() {
  if [ -z "$QEMU" ]; then env -i "$@"; return; fi
  local e=()
  while [[ "${1:-}" == *=* ]]; do e+=(-E "$1"); shift; done
  env -i "$QEMU" -L "$QEMU_SYSROOT" "${e[@]}" "$@"
}
# xldd LD_LIBRARY_PATH FILE: ldd's listing of FILE (empty LD_LIBRARY_PATH: none set).
xldd() {
  local vars=(); [ -n "$1" ] && vars=(LD_LIBRARY_PATH="$1")
  if [ -z "$QEMU" ]; then env -i "${vars[@]}" ldd "$2"; return; fi
  # ldd prints the loader itself without '=>'; the loader's own listing names it with its path.
  xenv "${vars[@]}" "$QEMU_SYSROOT/lib/$LDSO" --list "$2" | awk '!($1 ~ /^\// && $2 == "=>")'
  return "${PIPESTATUS[0]}"
}
[ -f "$LAYER/postgresql/build-info.txt" ] && sed 's/^/  | /' "$LAYER/postgresql/build-info.txt" | grep -Ev '^  \| (  [a-z/0-9]+/[a-z_.0-9]+: GLIBC_|glibc needed)'

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# ------------------------------------------------------------------ 1. layout
section "1. layout"
MAJORS=()
for d in "$LAYER"/postgresql/*/; do
  m="$(basename "$d")"; [[ "$m" =~ ^[0-9]+$ ]] && MAJORS+=("$m")
done
if [ "${#MAJORS[@]}" -gt 0 ]; then mapfile -t MAJORS < <(printf '%s\n' "${MAJORS[@]}" | sort -n); fi
if [ "${#MAJORS[@]}" -eq 0 ]; then fail "no postgresql/<major>/bin directories"; NEWEST=""; else NEWEST="${MAJORS[-1]}"; fi
BINS=()
for dir in "$LAYER/bin" $(for m in "${MAJORS[@]}"; do echo "$LAYER/postgresql/$m/bin"; done); do
  for t in "${TOOLS[@]}"; do
    f="$dir/$t"
    if [ -L "$f" ]; then fail "${f#"$LAYER"/} is a symlink (must be a real file)"
    elif [ ! -f "$f" ]; then fail "${f#"$LAYER"/} missing"
    elif [ ! -x "$f" ]; then fail "${f#"$LAYER"/} not executable"
    elif ! is_elf "$f"; then fail "${f#"$LAYER"/} is not an ELF binary (wrapper script?)"
    else BINS+=("$f"); fi
  done
done
links="$(find "$LAYER" -type l)"
[ -z "$links" ] && ok "no symlinks in the layer" || fail "symlinks in the layer: $links"
[ -d "$LAYER/lib" ] || fail "lib/ missing"
LIBS=()
for f in "$LAYER"/lib/*; do [ -f "$f" ] && LIBS+=("$f"); done
ok "${#BINS[@]} binaries, ${#LIBS[@]} libraries, majors: ${MAJORS[*]:-none}"
arches="$(for f in "${BINS[@]}" "${LIBS[@]}"; do readelf -h "$f" | awk -F: '/Machine/{gsub(/^ +/,"",$2); print $2}'; done | sort -u)"
if [ "$(wc -l <<<"$arches")" -eq 1 ]; then ok "architecture: $arches"; else fail "mixed architectures: $arches"; fi

# ------------------------------------------------------ 2. --version, clean env
section "2. --version under env -i LD_LIBRARY_PATH=<layer>/lib"
declare -A VERSION=()
for f in "${BINS[@]}"; do
  if out="$(xenv LD_LIBRARY_PATH="$LAYER/lib" "$f" --version 2>&1)"; then
    ok "${f#"$LAYER"/}: $out"; VERSION[$f]="$out"
  else
    fail "${f#"$LAYER"/} --version: $out"
  fi
done
if [ -n "$NEWEST" ]; then
  for t in "${TOOLS[@]}"; do
    a="${VERSION[$LAYER/bin/$t]:-}"; b="${VERSION[$LAYER/postgresql/$NEWEST/bin/$t]:-}"
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "bin/$t ($a) is not the newest major's $t ($b)"
  done
  for m in "${MAJORS[@]}"; do
    v="${VERSION[$LAYER/postgresql/$m/bin/pg_dump]:-}"
    [[ "$v" =~ \)\ ${m}[.] ]] || fail "postgresql/$m/bin/pg_dump reports '$v', not major $m"
  done
fi

# ---------------------------------------------------------- 3. ldd, in-layer
# check_ldd LABEL LD_LIBRARY_PATH FILE...: every non-glibc lib found, inside the layer.
check_ldd() {
  local label="$1" llp="$2"; shift 2
  local f out bad n=0
  for f in "$@"; do
    out="$(xldd "$llp" "$f" 2>&1)"
    if grep -q 'not found' <<<"$out"; then
      fail "$label: ${f#"$LAYER"/}: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ' | paste -sd,)"; n=$((n+1)); continue
    fi
    bad="$(awk '/=>/{print $1, $3}' <<<"$out" | while read -r so path; do
             [[ "$so" =~ $GLIBC_SONAME_RE ]] && continue
             case "$(readlink -f "$path")" in "$LAYER"/lib/*) ;; *) echo "$so=>$path";; esac
           done)"
    if [ -n "$bad" ]; then fail "$label: ${f#"$LAYER"/} loads from outside the layer: $(paste -sd' ' <<<"$bad")"; n=$((n+1)); fi
  done
  [ "$n" -eq 0 ] && ok "$label: $# files, all libraries resolve inside $LAYER/lib"
  return "$n"
}
section "3. ldd$([ -n "$QEMU" ] && echo " ($LDSO --list under qemu)") under env -i LD_LIBRARY_PATH=<layer>/lib"
check_ldd "layer lib path" "$LAYER/lib" "${BINS[@]}" "${LIBS[@]}"
needed_outside="$(for f in "${BINS[@]}" "${LIBS[@]}"; do readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done | sort -u \
  | while read -r so; do [[ "$so" =~ $GLIBC_SONAME_RE ]] || [ -f "$LAYER/lib/$so" ] || echo "$so"; done)"
[ -z "$needed_outside" ] && ok "every NEEDED soname is glibc or bundled" || fail "NEEDED but not bundled: $needed_outside"
echo "  glibc sonames relied on: $(for f in "${BINS[@]}" "${LIBS[@]}"; do readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done | sort -u | grep -E "$GLIBC_SONAME_RE" | paste -sd' ')"

# ----------------------------------------------- 4. Lambda order / no env (RPATH)
section "4. RPATH: Lambda's search order and cleared environments"
SYS_DIRS="/lib64:/usr/lib64:/lib:/usr/lib"
for d in /lib/*-linux-gnu /usr/lib/*-linux-gnu; do [ -d "$d" ] && SYS_DIRS="$SYS_DIRS:$d"; done
norpath="$(for f in "${BINS[@]}" "${LIBS[@]}"; do readelf -d "$f" | grep -qE '\((RPATH|RUNPATH)\)' || echo "${f#"$LAYER"/}"; done)"
runpath="$(for f in "${BINS[@]}" "${LIBS[@]}"; do readelf -d "$f" | grep -q '(RUNPATH)' && echo "${f#"$LAYER"/}"; done)"
if [ -z "$norpath" ] && [ -z "$runpath" ]; then
  ok "all binaries and libraries carry DT_RPATH (searched before LD_LIBRARY_PATH)"
else
  # shellcheck disable=SC2116,SC2086 # echo unquoted joins the two newline-separated lists into one line
  fail "no DT_RPATH on: $(echo $norpath $runpath) — on Lambda, /lib64:/usr/lib64 come before /opt/lib, so Amazon Linux copies of these libraries would be mixed with the layer's (the build sets RPATH with patchelf)"
fi
check_ldd "Lambda order (LD_LIBRARY_PATH=$SYS_DIRS:<layer>/lib)" "$SYS_DIRS:$LAYER/lib" "${BINS[@]}" "${LIBS[@]}"
check_ldd "no LD_LIBRARY_PATH (env -i)" "" "${BINS[@]}" "${LIBS[@]}"
n=0
for f in "${BINS[@]}"; do
  out="$(xenv "$f" --version 2>&1)" || { fail "${f#"$LAYER"/} --version fails with an empty environment: $out"; n=$((n+1)); }
done
[ "$n" -eq 0 ] && ok "all ${#BINS[@]} binaries (every major) run --version under env -i (no LD_LIBRARY_PATH)"

# --------------------------------------------------------------- 5. glibc
section "5. glibc symbol versions (max allowed GLIBC_$MAX_GLIBC)"
ver_gt() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1)" = "$1" ]; }
maxv="0"; maxf=""
declare -A GLIBC_OF=()
for f in "${BINS[@]}" "${LIBS[@]}"; do
  # .gnu.version_r (what the file needs), not what it defines.
  vers="$(readelf -V --wide "$f" 2>/dev/null | awk '/\.gnu\.version_r/{r=1} /\.gnu\.version_d/{r=0} r' \
          | grep -oE 'Name: GLIBC_[0-9A-Z_.]+' | sed 's/Name: GLIBC_//' | sort -uV)"
  if grep -qx PRIVATE <<<"$vers"; then fail "${f#"$LAYER"/} needs GLIBC_PRIVATE (tied to one glibc build)"; fi
  top="$(grep -v PRIVATE <<<"$vers" | tail -n1)"
  [ -z "$top" ] && continue
  if ver_gt "$top" "$MAX_GLIBC"; then
    syms="$(readelf --dyn-syms --wide "$f" | grep -oE "[A-Za-z0-9_]+@GLIBC_$top" | sort -u | head -5 | paste -sd' ')"
    fail "${f#"$LAYER"/} needs GLIBC_$top > $MAX_GLIBC ($syms)"
  fi
  if ver_gt "$top" "$maxv"; then maxv="$top"; maxf="${f#"$LAYER"/}"; fi
  GLIBC_OF["${f#"$LAYER"/}"]="$top"
done
for f in "${BINS[@]}"; do
  [[ "$f" == "$LAYER"/postgresql/* ]] || continue
  printf '  %-34s GLIBC_%s\n' "${f#"$LAYER"/}" "${GLIBC_OF[${f#"$LAYER"/}]:-none}"
done
echo "  lib/: $(for f in "${LIBS[@]}"; do printf '%s=GLIBC_%s ' "$(basename "$f")" "${GLIBC_OF[${f#"$LAYER"/}]:-none}"; done)"
if ver_gt "$maxv" "$MAX_GLIBC"; then fail "newest glibc version required: GLIBC_$maxv ($maxf)"
else ok "newest glibc version required: GLIBC_$maxv (by $maxf) <= $MAX_GLIBC"; fi

# ------------------------------------------------------------------ 6. SSL
section "6. SSL and compression support"
LIBPQ=("$LAYER"/lib/libpq.so*)
if [ ! -f "${LIBPQ[0]}" ]; then fail "libpq not bundled in lib/"
else
  for f in "${LIBPQ[@]}"; do
    ssl="$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(libssl[^]]*\)\]/\1/p')"
    if [ -z "$ssl" ]; then fail "${f#"$LAYER"/} does not link libssl"
    elif [ ! -f "$LAYER/lib/$ssl" ]; then fail "${f#"$LAYER"/} needs $ssl, not bundled"
    else ok "${f#"$LAYER"/} NEEDED $ssl (bundled; $(strings "$LAYER"/lib/libcrypto.so* 2>/dev/null | grep -E '^OpenSSL [0-9]' | head -n1))"; fi
  done
fi
for m in "${MAJORS[@]}"; do
  # Port 1 on localhost: refused at once. Without SSL, libpq rejects sslmode=require
  # before connecting.
  out="$(xenv LD_LIBRARY_PATH="$LAYER/lib" "$LAYER/postgresql/$m/bin/psql" \
          "host=127.0.0.1 port=1 sslmode=require connect_timeout=3 user=x dbname=x" -c 'select 1' 2>&1)"
  if grep -qi 'not compiled in\|invalid sslmode' <<<"$out"; then fail "PG $m psql: $out"
  elif grep -qi 'connection refused\|could not connect\|connection to server' <<<"$out"; then ok "PG $m psql accepts sslmode=require (probe: $(head -n1 <<<"$out" | cut -c1-90)...)"
  else warn "PG $m psql sslmode probe gave unexpected output: $out"; fi
done

# Compression: libraries linked and bundled, and each method accepted by pg_dump.
for m in "${MAJORS[@]}"; do
  pd="$LAYER/postgresql/$m/bin/pg_dump"
  needed="$(readelf -d "$pd" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
  if [ "$m" -ge 16 ]; then want_libs="libz libzstd liblz4"; specs="gzip:1 lz4:1 zstd:1"
  else want_libs="libz"; specs="6"; fi
  missing=""
  for l in $want_libs; do
    so="$(grep -E "^$l\.so" <<<"$needed" | head -n1)"
    if [ -z "$so" ] || [ ! -f "$LAYER/lib/$so" ]; then missing="$missing $l"; fi
  done
  [ -z "$missing" ] && ok "PG $m pg_dump links $(grep -E '^(libz|libzstd|liblz4)\.so' <<<"$needed" | paste -sd' ') (bundled)" \
    || fail "PG $m pg_dump: not linked or not bundled:$missing"
  for spec in $specs; do
    out="$(xenv "$pd" --compress="$spec" "host=127.0.0.1 port=1 connect_timeout=3 user=x dbname=x" 2>&1)"
    if grep -qi 'compress\|not support\|invalid' <<<"$out"; then fail "PG $m pg_dump --compress=$spec rejected: $out"
    elif grep -qi 'connection refused\|could not connect\|connection to server' <<<"$out"; then ok "PG $m pg_dump --compress=$spec accepted"
    else warn "PG $m pg_dump --compress=$spec probe gave unexpected output: $out"; fi
  done
done

# ------------------------------------------------------------------ 7. size
section "7. size"
bytes="$(du -sb "$LAYER" | cut -f1)"
echo "  unzipped: $bytes bytes ($((bytes / 1024 / 1024)) MiB); limit $MAX_BYTES (function + all layers)"
for d in "$LAYER"/postgresql/*/ "$LAYER/lib/" "$LAYER/bin/"; do echo "    $(du -sb "$d" | cut -f1) bytes  ${d#"$LAYER"/}"; done
if command -v zip >/dev/null; then
  z="$(mktemp -u /tmp/pg-layer-XXXXXX.zip)"; (cd "$LAYER" && zip -qr -9 "$z" .) && echo "  zipped (zip -9): $(stat -c %s "$z") bytes"; rm -f "$z"
fi
[ "$bytes" -le "$MAX_BYTES" ] && ok "within the limit" || fail "layer is $bytes bytes > $MAX_BYTES"

# ---------------------------------------------------------------- 8. chroot
section "8. chroot: only glibc + the layer at /opt"
if [ "$CHROOT_TEST" = 0 ]; then warn "skipped (CHROOT_TEST=0)"
elif [ "$(id -u)" != 0 ] || ! command -v chroot >/dev/null; then
  [ "$CHROOT_TEST" = 1 ] && fail "chroot test needs root" || warn "skipped (needs root)"
else
  CHROOT="$(command -v chroot)"
  root="$(mktemp -d /tmp/pg-layer-chroot.XXXXXX)"
  # glibc's own files, located through the host's resolution of the layer binaries (a target
  # glibc file is under QEMU_SYSROOT).
  host_file() { if [ -n "$QEMU" ] && [ -e "$QEMU_SYSROOT$1" ]; then echo "$QEMU_SYSROOT$1"; else echo "$1"; fi; }
  for p in $(for f in "${BINS[@]}"; do xldd "$LAYER/lib" "$f" 2>/dev/null; done \
             | awk '/=>/{print $1, $3}' | while read -r so path; do
                 [[ "$so" =~ $GLIBC_SONAME_RE ]] && echo "$path"; done | sort -u); do
    mkdir -p "$root$(dirname "$p")"; cp -L "$(host_file "$p")" "$root$p"
  done
  interp="$(readelf -l "$LAYER/bin/psql" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')"
  mkdir -p "$root$(dirname "$interp")" "$root/tmp" "$root/etc"; cp -L "$(host_file "$interp")" "$root$interp"
  # A target layer runs on the host's qemu-user, copied in with its own (host) libraries.
  IN_CHROOT=()
  if [ -n "$QEMU" ]; then
    for p in "$QEMU" $(ldd "$QEMU" | awk '/=>/{print $3} /^\t\//{print $1}'); do
      mkdir -p "$root$(dirname "$p")"; cp -L "$p" "$root$p"
    done
    IN_CHROOT=("$QEMU")
  fi
  cp -a "$LAYER" "$root/opt"
  chmod 1777 "$root/tmp"
  echo "  chroot contents outside /opt: $(cd "$root" && find . -type f ! -path './opt/*' | sort | paste -sd' ')"
  # $ORIGIN of the main program is found through /proc/self/exe (present on Lambda).
  mkdir -p "$root/proc"
  procmounted=0
  if mount -t proc proc "$root/proc" 2>/dev/null; then
    procmounted=1; trap 'umount "$root/proc" 2>/dev/null' EXIT
  fi
  n=0
  for f in "${BINS[@]}"; do
    rel="/opt/${f#"$LAYER"/}"
    out="$(env -i LD_LIBRARY_PATH=/opt/lib "$CHROOT" "$root" "${IN_CHROOT[@]}" "$rel" --version 2>&1)" || { fail "chroot $rel --version: $out"; n=$((n+1)); }
    if [ -z "$norpath" ] && [ -z "$runpath" ] && [ "$procmounted" = 1 ]; then
      out="$(env -i "$CHROOT" "$root" "${IN_CHROOT[@]}" "$rel" --version 2>&1)" || { fail "chroot (no LD_LIBRARY_PATH) $rel --version: $out"; n=$((n+1)); }
    fi
  done
  out="$(env -i LD_LIBRARY_PATH=/opt/lib "$CHROOT" "$root" "${IN_CHROOT[@]}" /opt/bin/psql "host=127.0.0.1 port=1 sslmode=require connect_timeout=3 user=x dbname=x" -c 'select 1' 2>&1)"
  grep -qi 'not compiled in' <<<"$out" && { fail "chroot psql sslmode=require: $out"; n=$((n+1)); }
  [ "$n" -eq 0 ] && ok "all ${#BINS[@]} binaries run in the chroot (with LD_LIBRARY_PATH=/opt/lib$( [ -z "$norpath$runpath" ] && [ "$procmounted" = 1 ] && echo ' and with an empty environment'))"
  [ "$procmounted" = 0 ] && [ -z "$norpath$runpath" ] && warn "could not mount /proc in the chroot: empty-environment run (RPATH \$ORIGIN) not tested there"
  if [ "$procmounted" = 0 ] || umount "$root/proc"; then rm -rf "$root"; trap - EXIT
  else warn "could not unmount $root/proc; left $root in place"; fi
fi

# ---------------------------------------------------------------- RDS CA bundle
section "certs/rds-ca.pem (Amazon RDS root certificates for sslmode=verify-full)"
if [ -f "$LAYER/certs/rds-ca.pem" ]; then
  ncerts="$(grep -c 'BEGIN CERTIFICATE' "$LAYER/certs/rds-ca.pem")"
  if command -v openssl >/dev/null; then
    parsed="$(openssl crl2pkcs7 -nocrl -certfile "$LAYER/certs/rds-ca.pem" 2>/dev/null | openssl pkcs7 -print_certs -noout 2>/dev/null | grep -c '^subject=' || true)"
    [ "$parsed" = "$ncerts" ] && [ "$ncerts" -gt 0 ] && ok "$ncerts certificates, all parse" \
      || fail "certs/rds-ca.pem: $ncerts PEM blocks but openssl parsed ${parsed:-0}"
  else
    [ "$ncerts" -gt 0 ] && ok "$ncerts certificates (openssl missing: not parsed)" || fail "certs/rds-ca.pem is empty"
  fi
else
  warn "no certs/rds-ca.pem: verify-full needs sslrootcert=<absolute path> of a CA file shipped otherwise"
fi

# ---------------------------------------------------------------- summary
section "summary"
for m in "${MAJORS[@]}"; do echo "  major $m: ${VERSION[$LAYER/postgresql/$m/bin/pg_dump]:-?}"; done
echo "  bin/ = major ${NEWEST:-?}; size $bytes bytes; max glibc needed GLIBC_$maxv"
if [ "$FAILS" -gt 0 ]; then echo "VERIFY FAILED: $FAILS problem(s)"; exit 1; fi
echo "VERIFY OK"
