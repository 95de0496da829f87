#!/usr/bin/env bash
# End-to-end check of a built layer against a throwaway local PostgreSQL server.
#
#   live-test.sh [LAYER_DIR]     (default: the build/ directory next to this script)
#
# Needs a PostgreSQL server installation (initdb, pg_ctl; e.g. Debian's postgresql-15)
# and openssl. Run as root (the server runs as user 'postgres'; the chroot step needs
# root) or as a normal user (server runs as that user; chroot step skipped).
#
# The server only accepts SCRAM over TLS (hostssl; plain connections are rejected, like
# RDS with rds.force_ssl=1). Every client is the layer's, run under
# `env -i LD_LIBRARY_PATH=<layer>/lib` (the layer's newest major and each bundled major):
#   TLS session, sslmode=disable rejected, verify-full against the test CA,
#   pg_dump -Fc streamed to a pipe, pg_restore --list, restore from stdin with
#   --single-transaction, parallel restore (-j 2) from a file, data compared;
#   and, as root, pg_dump | pg_restore --list inside a chroot holding only glibc + the layer.
# The server is stopped and all files removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAYER="$(cd "${1:-$HERE/build}" && pwd)"
SERVER_BIN="${SERVER_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
[ -x "$SERVER_BIN/initdb" ] || { echo "live-test: no PostgreSQL server found (set SERVER_BIN=/path/to/bin with initdb, pg_ctl)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "live-test: openssl CLI needed for the test certificate" >&2; exit 2; }

WORK="$(mktemp -d /tmp/pg-layer-live.XXXXXX)"
PORT=$(( 20000 + RANDOM % 30000 ))
PASS="layer-test-$RANDOM$RANDOM"
if [ "$(id -u)" = 0 ]; then RUNAS=(runuser -u postgres --); chown postgres "$WORK"; else RUNAS=(); fi
chmod 0755 "$WORK"
CHROOT_DIR=""
cleanup() {
  set +e
  [ -f "$WORK/data/postmaster.pid" ] && "${RUNAS[@]}" "$SERVER_BIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1
  [ -n "$CHROOT_DIR" ] && mountpoint -q "$CHROOT_DIR/proc" && umount "$CHROOT_DIR/proc"
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILS=0
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; FAILS=$((FAILS + 1)); }

echo "== server: $("$SERVER_BIN/postgres" --version) on 127.0.0.1:$PORT (hostssl + scram only)"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -keyout "$WORK/server.key" -out "$WORK/server.crt" >/dev/null 2>&1
cp "$WORK/server.crt" "$WORK/root.crt"
echo "$PASS" >"$WORK/pwfile"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/server.key" "$WORK/server.crt" "$WORK/pwfile"
chmod 0600 "$WORK/server.key"
"${RUNAS[@]}" "$SERVER_BIN/initdb" -D "$WORK/data" -U postgres --pwfile="$WORK/pwfile" \
  --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
cat >"$WORK/data/pg_hba.conf" <<EOF
hostssl all all 127.0.0.1/32 scram-sha-256
hostnossl all all 127.0.0.1/32 reject
EOF
"${RUNAS[@]}" "$SERVER_BIN/pg_ctl" -D "$WORK/data" -w -l "$WORK/server.log" start -o \
  "-c port=$PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORK -c ssl=on -c ssl_cert_file=$WORK/server.crt -c ssl_key_file=$WORK/server.key" >/dev/null

# Clients: nothing but the layer's lib dir and the connection settings in the environment.
run() { # run MAJOR_BIN_DIR TOOL ARGS...
  local d="$1" t="$2"; shift 2
  env -i LD_LIBRARY_PATH="$LAYER/lib" PGPASSWORD="$PASS" PGCONNECT_TIMEOUT=10 "$d/$t" "$@"
}
CONN="host=127.0.0.1 port=$PORT user=postgres sslmode=require"

B="$LAYER/bin"
run "$B" psql "$CONN dbname=postgres" -qAt -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE DATABASE src;
\c src
CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, payload bytea, created timestamptz DEFAULT now());
INSERT INTO items (name, payload) SELECT 'item ' || g || ' – žluťoučký 🐘', decode(md5(g::text), 'hex') FROM generate_series(1, 20000) g;
CREATE INDEX items_name ON items (name);
CREATE VIEW item_names AS SELECT id, name FROM items;
CREATE FUNCTION item_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM items';
SQL
fingerprint() { run "$B" psql "$CONN dbname=$1" -qAt -c "SELECT count(*) || ':' || md5(string_agg(id || name || encode(payload,'hex'), ',' ORDER BY id)) || ':' || item_count() FROM items"; }
SRC_FP="$(fingerprint src)"
echo "   source data: $SRC_FP"

for d in "$B" "$LAYER"/postgresql/*/bin; do
  label="${d#$LAYER/}"
  echo "== client $label: $(run "$d" pg_dump --version)"
  tls="$(run "$d" psql "$CONN dbname=postgres" -qAt -c "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)" || true
  [[ "$tls" == t\|* ]] && ok "psql session is TLS: $tls" || fail "psql TLS session: $tls"
  if out="$(run "$d" psql "host=127.0.0.1 port=$PORT user=postgres sslmode=disable dbname=postgres" -c 'select 1' 2>&1)"; then
    fail "sslmode=disable was accepted (server should reject non-TLS)"
  else ok "sslmode=disable rejected by the server (as with rds.force_ssl)"; fi
  vf="$(run "$d" psql "host=localhost port=$PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$WORK/root.crt" -qAt -c 'select 1' 2>&1)" || true
  [ "$vf" = 1 ] && ok "sslmode=verify-full with sslrootcert works (bundled OpenSSL)" || fail "verify-full: $vf"

  dump="$WORK/dump-${label//\//_}.pgdump"
  # Streamed like the backup worker: custom format to stdout, into a pipe.
  if run "$d" pg_dump "$CONN dbname=src" -Fc --no-owner --no-acl | cat >"$dump" && [ "${PIPESTATUS[0]}" = 0 ]; then
    ok "pg_dump -Fc to a pipe: $(stat -c %s "$dump") bytes, header $(head -c 5 "$dump")"
  else fail "pg_dump exited non-zero"; fi
  n="$(run "$d" pg_restore --list "$dump" | grep -c 'TABLE DATA' || true)"
  [ "$n" -ge 1 ] && ok "pg_restore --list: $(run "$d" pg_restore --list "$dump" | grep -vc '^;') entries ($n TABLE DATA)" || fail "pg_restore --list found no TABLE DATA"

  db="dst_$RANDOM"
  run "$d" psql "$CONN dbname=postgres" -qAt -c "CREATE DATABASE $db" >/dev/null
  if cat "$dump" | run "$d" pg_restore -d "$CONN dbname=$db" --no-owner --no-acl --single-transaction --exit-on-error; then
    fp="$(fingerprint "$db")"; [ "$fp" = "$SRC_FP" ] && ok "restore from stdin (--single-transaction): data identical" || fail "restored data differs: $fp"
  else fail "pg_restore from stdin failed"; fi
  db="dstj_$RANDOM"
  run "$d" psql "$CONN dbname=postgres" -qAt -c "CREATE DATABASE $db" >/dev/null
  if run "$d" pg_restore -d "$CONN dbname=$db" --no-owner --no-acl -j 2 --exit-on-error "$dump"; then
    fp="$(fingerprint "$db")"; [ "$fp" = "$SRC_FP" ] && ok "parallel restore (-j 2) from file: data identical" || fail "restored (-j) data differs: $fp"
  else fail "pg_restore -j 2 failed"; fi
done

echo "== chroot (only glibc + layer at /opt; no /etc/passwd, no HOME, no CA store)"
if [ "$(id -u)" != 0 ]; then echo "  skipped (needs root)"
else
  GLIBC_SONAME_RE='^(ld-linux[^ ]*|libc\.so\.[0-9]+|libm\.so\.[0-9]+|libpthread\.so\.[0-9]+|libdl\.so\.[0-9]+|librt\.so\.[0-9]+|libresolv\.so\.[0-9]+)$'
  CHROOT_DIR="$WORK/chroot"; mkdir -p "$CHROOT_DIR/tmp" "$CHROOT_DIR/proc"
  for p in $(env -i LD_LIBRARY_PATH="$LAYER/lib" ldd "$LAYER"/bin/* | awk '/=>/{print $1, $3}' \
             | while read -r so path; do [[ "$so" =~ $GLIBC_SONAME_RE ]] && echo "$path"; done | sort -u) \
           "$(readelf -l "$LAYER/bin/psql" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')"; do
    mkdir -p "$CHROOT_DIR$(dirname "$p")"; cp -L "$p" "$CHROOT_DIR$p"
  done
  cp -a "$LAYER" "$CHROOT_DIR/opt"
  mount -t proc proc "$CHROOT_DIR/proc" 2>/dev/null || true
  CH="$(command -v chroot)"
  if out="$(env -i LD_LIBRARY_PATH=/opt/lib PGPASSWORD="$PASS" "$CH" "$CHROOT_DIR" /opt/bin/pg_dump \
              "$CONN dbname=src" -Fc --no-owner --no-acl 2>&1 >"$WORK/chroot.pgdump")"; then
    n="$(run "$B" pg_restore --list "$WORK/chroot.pgdump" | grep -c 'TABLE DATA' || true)"
    ok "chroot pg_dump over TLS: $(stat -c %s "$WORK/chroot.pgdump") bytes, $n TABLE DATA"
  else fail "chroot pg_dump: $out"; fi
  tls="$(env -i LD_LIBRARY_PATH=/opt/lib PGPASSWORD="$PASS" "$CH" "$CHROOT_DIR" /opt/bin/psql "$CONN dbname=postgres" -qAt \
          -c "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)" || true
  [[ "$tls" == t\|* ]] && ok "chroot psql session is TLS: $tls" || fail "chroot psql: $tls"
  if out="$(env -i LD_LIBRARY_PATH=/opt/lib "$CH" "$CHROOT_DIR" /opt/bin/pg_restore --list <"$WORK/chroot.pgdump" 2>&1)"; then
    ok "chroot pg_restore --list from stdin: $(grep -vc '^;' <<<"$out") entries"
  else fail "chroot pg_restore --list: $out"; fi
fi

echo
if [ "$FAILS" -gt 0 ]; then echo "LIVE TEST FAILED: $FAILS problem(s)"; exit 1; fi
echo "LIVE TEST OK"
