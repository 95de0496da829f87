#!/usr/bin/env bash
# The README's curl workflow, end to end, against two local runs that share one moto and one bucket:
# a 'production' instance (wait budget 0, so its backup answers 202 and is polled on the job URL) and a
# 'staging' instance. Asserts status codes and bodies of: no token, backup, job status, list (all and
# filtered), restore refused by the safety check, safety backup, unknown file, wrong passkey, restore of
# staging's own backup, and the cross-environment restore (production backup into staging), then checks
# the databases themselves with psql; a scheduled backup and a restore drill fired locally; then the pgbackup CLI against
# the same runs (scripts/e2e-cli.sh). SKIP_BUILD=1 reuses the jars (scripts/test.sh runs it after mvn verify).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  check_toolchain; ensure_venv; ensure_layer; ensure_cli
  log "Building (mvn package -DskipTests)"
  mvn -B -q -ntp package -DskipTests -pl local -am
fi

LOGS="$ROOT/.local/e2e"; mkdir -p "$LOGS"
PSQL="$ROOT/layers/postgresql-client/build/bin/psql"
# three distinct free ports, probed together so that none is handed out twice
read -r PROD_PORT STAGING_PORT MOTO_PORT QA_PORT < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
PIDS=()
cleanup() {
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; wait "${PIDS[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

fail() { echo "E2E FAILED: $*" >&2; echo "--- last request: $METHOD $URL -> $STATUS $BODY" >&2; exit 1; }

start() { # name, then VAR=value pairs
  local name=$1; shift
  env "$@" SKIP_BUILD=1 "$ROOT/scripts/run-local.sh" >"$LOGS/$name.log" 2>&1 &
  PIDS+=($!)
  local pid=$! deadline=$((SECONDS + 180))
  until grep -q '^Ready on' "$LOGS/$name.log"; do
    kill -0 "$pid" 2>/dev/null || { cat "$LOGS/$name.log" >&2; fail "$name did not start"; }
    [ $SECONDS -lt $deadline ] || fail "$name not ready within 180 s"
    sleep 0.2
  done
}
token_of() { grep '^export TOKEN=' "$LOGS/$1.log" | cut -d= -f2-; }
pg_port_of() { grep -o 'psql -h 127.0.0.1 -p [0-9]*' "$LOGS/$1.log" | awk '{print $5}'; }

# call METHOD URL TOKEN [JSON] -> STATUS, BODY
call() {
  METHOD=$1 URL=$2; local token=$3 data=${4-}
  local args=(-s -o "$LOGS/body" -w '%{http_code}' -X "$METHOD" "$URL")
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' -d "$data")
  STATUS=$(curl "${args[@]}"); BODY=$(cat "$LOGS/body")
}
json() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]); exec("for k in sys.argv[2].split(\".\"):\n v = v[int(k)] if isinstance(v, list) else v[k]"); print(v if not isinstance(v,bool) else str(v).lower())' "$BODY" "$1"; }
expect() { # status, then field=value pairs
  [ "$STATUS" = "$1" ] || fail "expected HTTP $1"; shift
  for pair in "$@"; do
    local got; got=$(json "${pair%%=*}") || fail "no field ${pair%%=*}"
    [ "$got" = "${pair#*=}" ] || fail "expected ${pair%%=*}=${pair#*=}, got '$got'"
  done
  echo "  ok  $METHOD ${URL#http://localhost:*/} -> $STATUS"
}
sql() { "$PSQL" -q -h 127.0.0.1 -p "$1" -U postgres -d "$2" -Atc "$3"; }

# production's pg_dump starts 3 s late (a wrapper around the layer's), so its job is seen mid-way, with progress
SLOW_TOOLS="$LOGS/slow-tools"; rm -rf "$SLOW_TOOLS"; mkdir -p "$SLOW_TOOLS"
LAYER="$ROOT/layers/postgresql-client/build"
ln -s "$LAYER/lib" "$SLOW_TOOLS/lib"; ln -s "$LAYER/certs" "$SLOW_TOOLS/certs" 2>/dev/null || true
for dir in bin $(cd "$LAYER" && ls -d postgresql/*/bin); do
  mkdir -p "$SLOW_TOOLS/$dir"
  for tool in pg_restore pg_dumpall psql; do ln -s "$LAYER/$dir/$tool" "$SLOW_TOOLS/$dir/$tool"; done
  # shellcheck disable=SC2016 # $1 and $@ belong to the generated wrapper script, not to this one
  printf '#!/bin/bash\n[ "$1" = --version ] || sleep 3\nexec "%s" "$@"\n' "$LAYER/$dir/pg_dump" > "$SLOW_TOOLS/$dir/pg_dump"
  chmod +x "$SLOW_TOOLS/$dir/pg_dump"
done

log "Starting production (port $PROD_PORT, moto $MOTO_PORT) and staging (port $STAGING_PORT, same moto and bucket)"
start production ENVIRONMENT=production PORT="$PROD_PORT" MOTO_PORT="$MOTO_PORT" WAIT_BUDGET_SECONDS=0 DEMO_ROWS=3000 \
  PG_TOOLS_DIR="$SLOW_TOOLS"
start staging ENVIRONMENT=staging PORT="$STAGING_PORT" AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" DEMO_ROWS=1000
PROD="http://localhost:$PROD_PORT/api/setting"; STAGING="http://localhost:$STAGING_PORT/api/setting"
PROD_TOKEN=$(token_of production); TOKEN=$(token_of staging); PASSKEY=local-restore-passkey
PROD_PG=$(pg_port_of production); STAGING_PG=$(pg_port_of staging)
NAME_RE='^pharmatracker-(production|staging)-on-[0-9]{4}-[0-9]{2}-[0-9]{2}-at-[0-9]{2}-[0-9]{2}-[0-9]{2}-(AM|PM)-IST\.dump$'

log "Workflow"
call GET "$STAGING/backups" ""
expect 401 success=false
call GET "$STAGING/backups" "not-a-jwt"
expect 401 success=false

# production's backup: its wait budget is 0, so 202 and the job URL
call POST "$PROD/backup" "$PROD_TOKEN"
expect 202 success=true status=RUNNING
PROD_FILE=$(json filename); STATUS_URL=$(json statusUrl)
[[ $PROD_FILE =~ $NAME_RE ]] || fail "bad backup name $PROD_FILE"
deadline=$((SECONDS + 120)); PHASES=""
while :; do
  call GET "http://localhost:$PROD_PORT$STATUS_URL" "$PROD_TOKEN"
  [ "$STATUS" = 200 ] || fail "job status"
  [ "$(json status)" = RUNNING ] || break
  PHASE=$(json progress.phase 2>/dev/null || true)
  [ -n "$PHASE" ] && [[ "$PHASES" != *"$PHASE"* ]] && { PHASES="$PHASES${PHASES:+, }$PHASE"; echo "      RUNNING: $BODY"; }
  [ $SECONDS -lt $deadline ] || fail "backup job still RUNNING after 120 s"
  sleep 0.2
done
expect 200 success=true status=SUCCEEDED type=BACKUP "message=Database backup created successfully: $PROD_FILE"
[[ "$PHASES" == *"dumping and uploading"* ]] || fail "the running job never reported its progress (saw: '$PHASES')"
echo "  ok  the running job reported its progress ($PHASES); the finished one its timings: $(json timings)"

# staging sees every environment's backups
call GET "$STAGING/backups" "$TOKEN"
expect 200 success=true count=1 backups.0.filename="$PROD_FILE"

# restoring production's backup into staging needs a fresh staging backup first
call POST "$STAGING/restore" "$TOKEN" "{\"filename\":\"$PROD_FILE\",\"passkey\":\"$PASSKEY\"}"
expect 409 success=false "message=Safety check failed: No recent backup found from 'staging' environment within last 5 minutes. Please create a backup first (POST /api/setting/backup) and then retry restore."

# the safety backup (staging's wait budget is the default 20 s: the old synchronous 200)
call POST "$STAGING/backup" "$TOKEN"
STAGING_FILE=$(json filename 2>/dev/null || true)
expect 200 success=true "message=Database backup created successfully: $STAGING_FILE" "filename=$STAGING_FILE"
[[ $STAGING_FILE =~ $NAME_RE ]] || fail "bad backup name $STAGING_FILE"

call GET "$STAGING/backups" "$TOKEN"
expect 200 success=true count=2 backups.0.filename="$STAGING_FILE" backups.1.filename="$PROD_FILE"
call GET "$STAGING/backups?environment=production" "$TOKEN"
expect 200 success=true count=1 backups.0.filename="$PROD_FILE"

MISSING=pharmatracker-production-on-2020-01-01-at-02-00-00-AM-IST.dump
call POST "$STAGING/restore" "$TOKEN" "{\"filename\":\"$MISSING\",\"passkey\":\"$PASSKEY\"}"
expect 404 success=false "message=Backup file not found: $MISSING"
call POST "$STAGING/restore" "$TOKEN" "{\"filename\":\"$PROD_FILE\",\"passkey\":\"wrong-passkey\"}"
expect 403 success=false "message=Invalid restore passkey"
call POST "$STAGING/restore" "$TOKEN" "{\"filename\":\"../$PROD_FILE\",\"passkey\":\"$PASSKEY\"}"
expect 400 success=false

# staging's own backup back into staging
sql "$STAGING_PG" pharmatracker_staging "delete from stock_batches where id > 10"
call POST "$STAGING/restore" "$TOKEN" "{\"filename\":\"$STAGING_FILE\",\"passkey\":\"$PASSKEY\"}"
expect 200 success=true "message=Database restored successfully from backup: $STAGING_FILE"
[ "$(sql "$STAGING_PG" pharmatracker_staging "select count(*) from stock_batches")" = 1000 ] || fail "staging rows not restored"
echo "  ok  staging database restored from its own backup (1000 rows back)"

# a second restore needs a safety backup taken after the first one changed the database
call POST "$STAGING/restore" "$TOKEN" "{\"filename\":\"$PROD_FILE\",\"passkey\":\"$PASSKEY\"}"
expect 409 success=false
[[ "$(json message)" == "Safety check failed: the newest backup of 'staging' started before its last restore"* ]] \
  || fail "expected the after-last-restore safety message"
call POST "$STAGING/backup" "$TOKEN"
expect 200 success=true

# cross-environment: production's backup into staging
call POST "$STAGING/restore" "$TOKEN" "{\"filename\":\"$PROD_FILE\",\"passkey\":\"$PASSKEY\"}"
expect 200 success=true "message=Database restored successfully from backup: $PROD_FILE"
[ "$(sql "$STAGING_PG" pharmatracker_staging "select value from demo_info where key = 'environment'")" = production ] \
  || fail "staging does not hold production's data"
[ "$(sql "$STAGING_PG" pharmatracker_staging "select count(*) from stock_batches")" = 3000 ] || fail "row count after cross restore"
[ "$(sql "$PROD_PG" pharmatracker_production "select value from demo_info where key = 'environment'")" = production ] \
  || fail "production database changed"
# two restores, one kept copy (PreRestoreCopiesToKeep=1): the newest, holding staging's own data restored before
[ "$(sql "$STAGING_PG" postgres "select count(*) from pg_database where datname like 'pharmatracker_staging_pre_restore_%'")" = 1 ] \
  || fail "pre-restore copies not bounded to one"
KEPT="$(sql "$STAGING_PG" postgres "select datname from pg_database where datname like 'pharmatracker_staging_pre_restore_%'")"
[ "$(sql "$STAGING_PG" "$KEPT" "select value from demo_info where key = 'environment'")" = staging ] \
  || fail "the kept copy is not the newest (staging's own data)"
echo "  ok  staging now holds production's data (3000 rows); production untouched; 2 pre-restore copies kept"

# the scheduled backup, fired as EventBridge would (local only): a separate retention class
call POST "http://localhost:$STAGING_PORT/local/scheduled-backup" ""
expect 202 success=true
SCHEDULED_URL=$(json statusUrl)
deadline=$((SECONDS + 120))
while :; do
  call GET "http://localhost:$STAGING_PORT$SCHEDULED_URL" "$TOKEN"
  [ "$(json status 2>/dev/null)" = SUCCEEDED ] && break
  [ "$STATUS" = 404 ] || [ "$(json status)" = RUNNING ] || fail "scheduled backup job"
  [ $SECONDS -lt $deadline ] || fail "scheduled backup not done after 120 s"
  sleep 0.5
done
expect 200 success=true status=SUCCEEDED type=BACKUP
call GET "$STAGING/backups?environment=staging" "$TOKEN"
expect 200 success=true count=3

# a restore drill, fired as its schedule would (local only): the newest staging backup (the scheduled one, with
# its row counts) restored into a scratch database beside staging's, checked, dropped; staging untouched
call POST "http://localhost:$STAGING_PORT/local/restore-drill" ""
expect 202 success=true
DRILL_URL=$(json statusUrl)
deadline=$((SECONDS + 120))
while :; do
  call GET "http://localhost:$STAGING_PORT$DRILL_URL" "$TOKEN"
  [ "$STATUS" = 200 ] && [ "$(json status)" != RUNNING ] && break
  [ "$STATUS" = 404 ] || [ "$(json status)" = RUNNING ] || fail "restore drill job"
  [ $SECONDS -lt $deadline ] || fail "restore drill not done after 120 s"
  sleep 0.5
done
expect 200 success=true status=SUCCEEDED type=DRILL "filename=$(json filename)"
[[ "$(json message)" == "Restore drill passed: restored $(json filename) into a scratch database on the environment's server: "*", row counts equal, "* ]] \
  || fail "unexpected drill message: $(json message)"
[ "$(sql "$STAGING_PG" postgres "select count(*) from pg_database where datname like 'pharmatracker_staging_drill_%'")" = 0 ] \
  || fail "the drill's scratch database was left behind"
[ "$(sql "$STAGING_PG" pharmatracker_staging "select count(*) from stock_batches")" = 3000 ] || fail "staging changed by the drill"
echo "  ok  restore drill passed; scratch database dropped; staging unchanged"

# a third environment refreshed from production, as its schedule would (local only): a safety backup, then production's
# newest complete backup restored, sanitised by the run's script before the swap, analysed
log "Refresh of qa from production, and restores beside qa's database"
# guarded as docs/refresh.md "Sanitising" shows: the table-only restore below runs the same script without demo_info
cat > "$LOGS/sanitize.sql" <<'SQL'
DO $$ BEGIN
  IF to_regclass('public.demo_info') IS NOT NULL THEN
    UPDATE demo_info SET value = value || ' (sanitised)' WHERE key = 'environment';
  END IF;
END $$;
SQL
start qa ENVIRONMENT=qa PORT="$QA_PORT" AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" DEMO_ROWS=500 \
  REFRESH_SOURCE_ENVIRONMENT=production SANITIZE_SCRIPT_FILE="$LOGS/sanitize.sql"
QA="http://localhost:$QA_PORT/api/setting"; QA_TOKEN=$(token_of qa); QA_PG=$(pg_port_of qa)
call POST "http://localhost:$STAGING_PORT/local/refresh" ""
expect 409 success=false "message=Refresh is off in this run: start it with REFRESH_SOURCE_ENVIRONMENT=<environment> (e.g. production)"
call POST "http://localhost:$QA_PORT/local/refresh" ""
expect 202 success=true "message=Refresh of 'qa' from 'production' started (as EventBridge would start it)"
REFRESH_URL=$(json statusUrl)
deadline=$((SECONDS + 180))
while :; do
  call GET "http://localhost:$QA_PORT$REFRESH_URL" "$QA_TOKEN"
  [ "$STATUS" = 200 ] && [ "$(json status)" != RUNNING ] && break
  [ "$STATUS" = 404 ] || [ "$(json status)" = RUNNING ] || fail "refresh job"
  [ $SECONDS -lt $deadline ] || fail "refresh not done after 180 s"
  sleep 0.5
done
expect 200 success=true status=SUCCEEDED type=RESTORE "filename=$PROD_FILE" "message=Database restored successfully from backup: $PROD_FILE"
[[ "$(json details)" == *"sanitised by ssm:/pharmatracker/qa/sanitize-script (sha256 "* ]] || fail "no sanitising in $(json details)"
[ "$(sql "$QA_PG" pharmatracker_qa "select value from demo_info where key = 'environment'")" = "production (sanitised)" ] \
  || fail "qa does not hold production's sanitised data"
[ "$(sql "$QA_PG" pharmatracker_qa "select count(*) from pg_stat_user_tables where last_analyze is null")" = 0 ] \
  || fail "qa's tables were not analysed"
call GET "$QA/backups?environment=qa" "$QA_TOKEN"
expect 200 success=true count=1
echo "  ok  qa holds production's data, sanitised and analysed; its safety backup was taken first"
# beside qa's database: production's stock batches only, into a copy; qa's own database untouched
sql "$QA_PG" pharmatracker_qa "delete from stock_batches where id % 2 = 0"
call POST "$QA/restore" "$QA_TOKEN" "{\"filename\":\"$PROD_FILE\",\"passkey\":\"$PASSKEY\",\"tables\":[\"public.stock_batches\"]}"
COPY=$(json database 2>/dev/null || true)
expect 200 success=true "database=$COPY" "message=Database restored successfully from backup: $PROD_FILE into the new database '$COPY' beside 'pharmatracker_qa' (tables public.stock_batches)"
[ "$(sql "$QA_PG" "$COPY" "select count(*) from stock_batches")" = 3000 ] || fail "the copy's table"
[ "$(sql "$QA_PG" pharmatracker_qa "select count(*) from stock_batches")" = 1500 ] || fail "qa's database changed"
echo "  ok  the table restored beside qa's database ($COPY, 3000 rows); qa's own database untouched"

source "$ROOT/scripts/e2e-cli.sh"

log "E2E passed"
