#!/usr/bin/env bash
# Benchmarks (not part of the test suite): the product against pg_dump / pg_restore alone and against the pipe a
# user would build (pg_dump | boto3, boto3 | pg_restore), on one embedded PostgreSQL 15 and one moto, on seeded
# data of realistic entropy. Prints Markdown tables of medians and ratios, then which requirements are met.
#
#   BENCH_SIZES=250,1000    database sizes, MB of pg_database_size (seeded with generate_series)
#   BENCH_DATA=realistic    their content: realistic (compresses about 4:1) or random (incompressible bytea: the
#                           archive about as large as the database, for peak memory at multi-GB archives)
#   BENCH_RUNS=3            repetitions; medians are reported
#   BENCH_ONLY=...          some of: fixed,compression,pipe,rss,list,download,tables,shapes (default: all, in that order)
#   BENCH_SHAPES=big,tables,mix,wide  the "shapes" part's databases: one big indexed table (BENCH_BIG_ROWS=2000000),
#                           many small tables (the BENCH_TABLE_* below), the realistic mix (BENCH_MIX_MB=500), a wide
#                           table of large text/bytea/jsonb (BENCH_WIDE_ROWS=30000); each against the same-compression
#                           pipe and the tool alone, with peak memory
#   BENCH_TABLE_SCHEMAS=40, BENCH_TABLES_PER_SCHEMA=50, BENCH_TABLE_ROWS=3: the "tables" database (many small tables)
#   BENCH_COMPRESSIONS=...  the BACKUP_COMPRESSION settings compared (default zstd:1,zstd:3,zstd:6,lz4:1,gzip:1,gzip:6,none)
#   BENCH_FIXED_MB=5        data of the fixed-cost database; BENCH_LIST_BACKUPS=2000; BENCH_WORKER_MEMORY_MB=2048
#   BENCH_PG_DATA=dir       the PostgreSQL server's data directory (default: a new one under /dev/shm, tmpfs; empty:
#                           the embedded server's own, under /tmp)
#   BENCH_PG_RTT_US=0       microseconds added to every round trip between the clients (product, tools, pipe) and
#                           the server, by a proxy in the benchmark's JVM: Lambda and RDS are a network apart, loopback
#                           is not (0: loopback)
#   BENCH_ASSETS_ROOT=dir   take moto (.venv) and the layer from another checkout (e.g. when running from a clone);
#                           default: this checkout, installed/built as the test suite does
#
# Builds with `mvn package` of the reactor (no install: nothing in ~/.m2 changes) and runs from target/.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit
check_toolchain
ASSETS="${BENCH_ASSETS_ROOT:-$ROOT}"
if [ "$ASSETS" = "$ROOT" ]; then
  ensure_venv
  ensure_layer
else
  # shellcheck disable=SC2015 # the message is for either check failing
  [ -x "$ASSETS/.venv/bin/moto_server" ] && [ -x "$ASSETS/.venv/bin/python" ] \
    || { echo "no moto in $ASSETS/.venv (run scripts/test.sh there)" >&2; exit 1; }
  [ -x "$ASSETS/layers/postgresql-client/build/bin/pg_dump" ] \
    || { echo "no layer in $ASSETS/layers/postgresql-client/build" >&2; exit 1; }
fi
build=(-B -q -ntp -Pbench package dependency:build-classpath -DskipTests -pl benchmarks -am
       -Dmdep.outputFile=target/classpath.txt)
log="$(mktemp)"
# offline first (everything is in ~/.m2 after the test suite ran), then online; quiet unless it fails
if ! mvn -o "${build[@]}" >"$log" 2>&1 && ! mvn "${build[@]}" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
# the server's data directory on tmpfs: on this project's VM (ext4 on /), creating a file within minutes of deleting
# many spends kernel time in ext4's recently_deleted() (perf), so a restore of 2,000 tables after dropped databases
# took 2-3x the server CPU of the same restore on a fresh filesystem, whichever mode it was (docs/benchmarks.md)
if [ -z "${BENCH_PG_DATA+set}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  BENCH_PG_DATA="/dev/shm/pgbackup-bench-pgdata-$$"
fi
export BENCH_PG_DATA="${BENCH_PG_DATA:-}"
# moto reads a whole object to answer a part-numbered GET; the benchmark's reads only the part, as S3 does
export MOTO_SERVER_SCRIPT="$ROOT/benchmarks/moto_server_parts.py"
status=0
java -Drepo.root="$ASSETS" -Dbench.pipe="$ROOT/benchmarks/pipe.py" \
  -Daws.region=us-east-1 -Daws.accessKeyId=test -Daws.secretAccessKey=test \
  -cp "$ROOT/benchmarks/target/classes:$(cat "$ROOT/benchmarks/target/classpath.txt")" dev.pgbackup.bench.Benchmark \
  || status=$?
case "$BENCH_PG_DATA" in /dev/shm/pgbackup-bench-pgdata-*) rm -rf "$BENCH_PG_DATA" ;; esac
exit "$status"
