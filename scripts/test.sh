#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (project-local), builds the
# PostgreSQL client layer (x86_64; arm64 cross-compiled and proven under qemu-user), runs unit and
# integration tests (real PostgreSQL, real pg_dump/pg_restore, moto S3/SSM over HTTP; every AWS call
# they record evaluated against template.yaml's IAM), then checks the SAM template (validate --lint,
# build without a container).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

check_toolchain
log "Documentation: every relative link of README.md and docs/ resolves"
"$ROOT/scripts/check-links.sh"
ensure_venv
ensure_iam_tools
ensure_shellcheck
log "Shell scripts: shellcheck"
check_scripts
ensure_faketime
ensure_layer
ensure_cli
log "Layer verified: $(tail -3 "$TOOL_LOGS/layer-verify.log" | tr '\n' ' ')"
arm64_t0=$SECONDS
ensure_layer_arm64
log "arm64 layer verified under qemu-user in $((SECONDS - arm64_t0)) s: $(tail -1 "$TOOL_LOGS/layer-arm64-verify.log");\
 $(tail -1 "$TOOL_LOGS/layer-arm64-live.log")"

log "CLI unit tests (cli/: tokens, options, exit codes, passkey, against a fake API)"
cli_unit_tests() { (cd "$ROOT/cli" && PYTHONPATH=src .venv/bin/python -m unittest discover -s tests -t . -q); }
cli_unit_tests

log "Unit and integration tests (mvn verify)"
mvn -B -ntp verify

# IamEvaluationIT skips when nothing was recorded (a run of tests that call nothing): the whole suite's must have
# judged the calls of every module's integration tests, and found none the template refuses
report="$ROOT/local/target/iam/evaluation.txt"
# shellcheck disable=SC2015 # the report is shown when either grep fails
grep -q 'modules \[functions/backup, functions/list, functions/restore, local\]' "$report" 2>/dev/null \
  && grep -q '; 0 denied or not judged' "$report" \
  || { cat "$report" >&2 2>/dev/null; echo "the IAM evaluation did not judge every module's calls" >&2; exit 1; }
log "IAM: $(sed -n 2p "$report")"

# No test may depend on today's date: the unit tests (*Test, in-memory, seconds) again with the wall clock a year
# ahead and a year back (offline: nothing to download, and no certificate checked against a moved clock).
for offset in '+400 days' '-400 days'; do
  log "Unit tests with the clock moved $offset"
  with_clock_moved "$offset" mvn -B -ntp -o -q test -Dsurefire.printSummary=true \
    || { echo "unit tests failed with the clock moved $offset: a test depends on today's date" >&2; exit 1; }
  with_clock_moved "$offset" bash -c "$(declare -f cli_unit_tests); ROOT='$ROOT' cli_unit_tests" \
    || { echo "CLI unit tests failed with the clock moved $offset" >&2; exit 1; }
done

log "SAM template: validate --lint"
"$VENV/bin/sam" validate --lint --region us-east-1

log "SAM build (no container): every function and the layer"
"$VENV/bin/sam" build --language-extensions --region us-east-1 --build-dir "$ROOT/.aws-sam/build" >"$TOOL_LOGS/sam-build.log" 2>&1 \
  || { tail -50 "$TOOL_LOGS/sam-build.log" >&2; echo "sam build failed" >&2; exit 1; }
tail -5 "$TOOL_LOGS/sam-build.log"
for fn in BackupApiFunction BackupWorkerFunction BackupWorkerManagedFunction ListBackupsFunction JobStatusFunction \
    RetentionPreviewFunction RestoreApiFunction RestoreWorkerFunction RestoreWorkerManagedFunction RestoreDrillFunction; do
  ls "$ROOT/.aws-sam/build/$fn/lib/"*-lambda.jar >/dev/null
done
for layer in PostgresClientLayer PostgresClientLayerArm64; do
  bash "$ROOT/layers/postgresql-client/verify.sh" "$ROOT/.aws-sam/build/$layer" >/dev/null
done

log "Local run, end to end: the README's curl workflow against two local environments"
SKIP_BUILD=1 "$ROOT/scripts/e2e-local.sh"

log "All checks passed"
