# shellcheck shell=bash disable=SC2034 # sourced by e2e-local.sh: BODY, METHOD, URL, STATUS are what its fail() prints
# The pgbackup CLI (cli/) end to end, sourced by scripts/e2e-local.sh once its workflow has passed: the same three
# local runs (production with a wait budget of 0 and a pg_dump 3 s slow, staging, qa refreshed from production), the
# same moto. The CLI is installed as an operator installs it (ensure_cli: pip install ./cli into cli/.venv) and
# authenticates as an operator's machine does: AWS credentials (moto takes any), the JWT secret read from SSM, a
# 5-minute token with the caller's ARN as subject. Asserts exit codes, output and the databases themselves.

log "The pgbackup CLI against the same runs"
ensure_cli
PGB="$ROOT/cli/.venv/bin/pgbackup"
: > "$LOGS/cli-all.log"

# pgb ENV ARGS... -> CLI_RC, CLI_OUT (stdout), $LOGS/cli.err; never a passkey among the arguments
pgb() {
  local env=$1 port; shift
  case $env in production) port=$PROD_PORT ;; staging) port=$STAGING_PORT ;; qa) port=$QA_PORT ;; esac
  set +e
  env -u PGBACKUP_PASSKEY -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN \
    AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test \
    AWS_SECRET_ACCESS_KEY=test AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    PGBACKUP_API_URL="http://localhost:$port" PGBACKUP_APP=pharmatracker PGBACKUP_ENVIRONMENT="$env" \
    "${CLI_ENV[@]}" "$PGB" "$@" --poll-interval 0.2 >"$LOGS/cli.out" 2>"$LOGS/cli.err" </dev/null
  CLI_RC=$?
  set -e
  CLI_OUT=$(cat "$LOGS/cli.out"); BODY=$CLI_OUT
  METHOD=pgbackup URL="$env $*" STATUS="exit $CLI_RC"
  { echo "\$ pgbackup ($env) $* -> exit $CLI_RC"; cat "$LOGS/cli.out" "$LOGS/cli.err"; } >> "$LOGS/cli-all.log"
}
CLI_ENV=()
expect_rc() { # exit code, then field=value pairs of the --json output
  [ "$CLI_RC" = "$1" ] || { cat "$LOGS/cli.err" >&2; fail "expected exit $1"; }; shift
  for pair in "$@"; do
    local got; got=$(json "${pair%%=*}") || fail "no field ${pair%%=*}"
    [ "$got" = "${pair#*=}" ] || fail "expected ${pair%%=*}=${pair#*=}, got '$got'"
  done
  echo "  ok  pgbackup $URL -> exit $CLI_RC"
}

# list: the API's JSON as the API gives it to curl, and a table
call GET "$STAGING/backups" "$TOKEN"; API_COUNT=$(json count)
pgb staging list --json
expect_rc 0 success=true "count=$API_COUNT" "backups.$((API_COUNT - 1)).filename=$PROD_FILE"
pgb staging list --from production
expect_rc 0
if ! { grep -q "^$PROD_FILE  " "$LOGS/cli.out" && grep -q '^1 backup(s)$' "$LOGS/cli.out"; }; then
  fail "list's table: $CLI_OUT"
fi

# the gate is the SSM secret: staging's secret does not open production's API, a parameter that is not there names none
CLI_ENV=(PGBACKUP_JWT_SECRET_PARAMETER=/pharmatracker/staging/jwt-secret); pgb production list; CLI_ENV=()
expect_rc 3
grep -q 'HTTP 401: Invalid or expired token' "$LOGS/cli.err" || fail "no 401 message"
pgb production list --app nosuchapp
expect_rc 2

# a backup of production (wait budget 0: 202, then the job followed; plain progress lines, stderr is no terminal)
sql "$PROD_PG" pharmatracker_production "delete from stock_batches where id > 2000"
pgb production backup --wait --json
expect_rc 0 success=true type=BACKUP status=SUCCEEDED
CLI_FILE=$(json filename); CLI_JOB=$(json jobId)
[[ $CLI_FILE =~ $NAME_RE ]] || fail "bad backup name $CLI_FILE"
grep -q "^BACKUP $CLI_JOB RUNNING: " "$LOGS/cli.err" || fail "no progress line on stderr: $(cat "$LOGS/cli.err")"
grep -F "$CLI_FILE" "$LOGS/production.log" | grep -q '"subject":"arn:aws:' \
  || fail "the audit lines do not name the caller's ARN"
echo "      progress: $(head -1 "$LOGS/cli.err")"
pgb production status "$CLI_JOB"
expect_rc 0
grep -q "^BACKUP $CLI_JOB SUCCEEDED$" "$LOGS/cli.out" || fail "status: $CLI_OUT"
pgb production status 00000000-0000-4000-8000-000000000000
expect_rc 2
pgb production retention --json
expect_rc 0 success=true environment=production
python3 -c 'import json,sys; b=json.loads(sys.argv[1]); assert sys.argv[2] in [k["filename"] for k in b["keep"]]' \
  "$CLI_OUT" "$CLI_FILE" || fail "retention keeps no $CLI_FILE"
pgb production retention
expect_rc 0
grep -q "^Retention of 'production' (Asia/Kolkata): " "$LOGS/cli.out" || fail "retention: $CLI_OUT"

# production's backup into staging (the safety backup first), then again without one: refused (exit 6)
pgb staging restore --from production --backup-first
expect_rc 0
grep -q "^Database restored successfully from backup: $CLI_FILE$" "$LOGS/cli.out" || fail "restore: $CLI_OUT"
[ "$(sql "$STAGING_PG" pharmatracker_staging "select count(*) from stock_batches")" = 2000 ] || fail "staging not restored"
pgb staging restore "$CLI_FILE"
expect_rc 6
grep -q "HTTP 409: Safety check failed" "$LOGS/cli.err" || fail "no safety message"
CLI_ENV=(PGBACKUP_PASSKEY=not-the-passkey); pgb staging restore "$CLI_FILE" --into copy; CLI_ENV=()
expect_rc 3
grep -q "HTTP 403: Invalid restore passkey" "$LOGS/cli.err" || fail "no passkey message"
echo "  ok  staging holds production's CLI backup (2000 rows); a second restore refused; a wrong passkey refused"

# qa refreshed from production: newest production backup, qa's safety backup, the restore; then a table beside it
call GET "$QA/backups?environment=qa" "$QA_TOKEN"; QA_BACKUPS=$(json count)
pgb qa refresh --from production --wait
expect_rc 0
grep -q "^Database restored successfully from backup: $CLI_FILE$" "$LOGS/cli.out" || fail "refresh: $CLI_OUT"
[ "$(sql "$QA_PG" pharmatracker_qa "select count(*) from stock_batches")" = 2000 ] || fail "qa not refreshed"
[ "$(sql "$QA_PG" pharmatracker_qa "select value from demo_info where key = 'environment'")" = "production (sanitised)" ] \
  || fail "qa's refresh not sanitised"
call GET "$QA/backups?environment=qa" "$QA_TOKEN"
expect 200 "count=$((QA_BACKUPS + 1))"
pgb qa restore --from production --tables public.stock_batches --json
CLI_COPY=$(json database 2>/dev/null || true)
expect_rc 0 success=true "database=$CLI_COPY"
[ "$(sql "$QA_PG" "$CLI_COPY" "select count(*) from stock_batches")" = 2000 ] || fail "the CLI's copy"
echo "  ok  qa refreshed by the CLI (2000 rows, sanitised, one more safety backup); a table restored beside ($CLI_COPY)"

# production restored from its newest backup (the CLI's) after its safety backup, both 202 and followed (--wait); last,
# as its safety backup becomes production's newest
sql "$PROD_PG" pharmatracker_production "delete from stock_batches where id > 500"
pgb production restore --backup-first --wait --json
expect_rc 0 success=true type=RESTORE status=SUCCEEDED "filename=$CLI_FILE"
[ "$(sql "$PROD_PG" pharmatracker_production "select count(*) from stock_batches")" = 2000 ] || fail "production not restored"
echo "  ok  production restored by the CLI from $CLI_FILE (2000 rows back)"

# the passkey was read from SSM by every restore, and printed by none
! grep -q "$PASSKEY\|not-the-passkey" "$LOGS/cli-all.log" || fail "a passkey in the CLI's output"
echo "  ok  no passkey in any output of the CLI ($(grep -c '^\$ pgbackup' "$LOGS/cli-all.log") runs)"
