#!/usr/bin/env bash
# Benchmarks (not part of the test suite): backup and restore through the product vs pg_dump /
# pg_restore alone, same database, same run. BENCH_ROWS (default 100000 ~ 100 MB) and BENCH_RUNS (3).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
check_toolchain
ensure_venv
ensure_layer
mvn -B -q -ntp -Pbench install -DskipTests -pl benchmarks -am
mvn -B -q -ntp -Pbench dependency:build-classpath -pl benchmarks -Dmdep.outputFile="$ROOT/benchmarks/target/classpath.txt"
exec java -Drepo.root="$ROOT" -Daws.region=us-east-1 -Daws.accessKeyId=test -Daws.secretAccessKey=test \
  -cp "$ROOT/benchmarks/target/classes:$(cat "$ROOT/benchmarks/target/classpath.txt")" dev.pgbackup.bench.Benchmark
