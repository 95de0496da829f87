#!/usr/bin/env bash
# The product on localhost, on embedded defaults: builds what it needs, starts moto (S3 + SSM) and an
# embedded PostgreSQL with demo data, and serves the HTTP API on http://localhost:${PORT:-3000} through
# the real Lambda handlers (workers run asynchronously in process). Ctrl-C stops everything it started.
#
# Variables (all optional): PORT (3000), APP_NAME (pharmatracker), ENVIRONMENT (staging),
# BUCKET_NAME (<app>-backups), JWT_SECRET, RESTORE_PASSKEY (printed defaults), DATABASE_URL (an existing
# server instead of the embedded one), AWS_ENDPOINT_URL (a running moto/LocalStack instead of starting
# moto), MOTO_PORT (5050), PG_PORT (random), DEMO_ROWS (2000), SKIP_BUILD=1, and every function variable
# of the Configuration table (docs/configuration.md) (WAIT_BUDGET_SECONDS, RETENTION_COUNT, RESTORE_MODE, ...).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  check_toolchain
  ensure_venv
  ensure_layer
  log "Building the functions and the local runner (mvn package -DskipTests)"
  mvn -B -q -ntp package -DskipTests -pl local -am
fi
[ -f "$ROOT/local/target/local.jar" ] || { echo "local/target/local.jar missing: run without SKIP_BUILD=1" >&2; exit 1; }

exec java -XX:TieredStopAtLevel=1 -Drepo.root="$ROOT" \
  -cp "$ROOT/local/target/local.jar:$ROOT/local/target/lib/*" dev.pgbackup.local.LocalRun
