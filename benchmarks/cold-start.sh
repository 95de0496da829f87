#!/usr/bin/env bash
# Cold start of the API functions under the Lambda Runtime Interface Emulator (the aws-lambda-rie binary that
# aws-sam-cli ships), against a hello-world Java handler under the same emulator, JVM flags and runtime
# interface client. Each run starts a fresh emulator + JVM, invokes once (an API event without a token: the
# handler answers 401 without any network call) and reads the emulator's REPORT line. Prints medians and
# the ratio to hello world. Outside the test suite: ./benchmarks/cold-start.sh [runs] (default 5).
#
# SnapStart cannot run here (no CRaC JVM): what the emulator measures is the init SnapStart's snapshot
# replaces, and the first invoke, part of which the priming (common/Priming.java) moves into the snapshot.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-5}"
M2="${HOME}/.m2/repository/com/amazonaws"
RIC="$M2/aws-lambda-java-runtime-interface-client/2.10.1/aws-lambda-java-runtime-interface-client-2.10.1.jar"
# shellcheck disable=SC2012 # Maven's jar names are plain; ls | sort -V picks the newest version
SER="$(ls "$M2"/aws-lambda-java-serialization/*/aws-lambda-java-serialization-*.jar | sort -V | tail -1)"
# shellcheck disable=SC2012 # as above
CORE="$(ls "$M2"/aws-lambda-java-core/*/aws-lambda-java-core-*.jar | sort -V | tail -1)"
RIE="$(find "$ROOT/.venv/lib" -path '*samcli/local/rapid/aws-lambda-rie-x86_64' | head -1)"
[ -x "$RIE" ] || { echo "aws-lambda-rie not found: run ./scripts/test.sh (it installs aws-sam-cli into .venv)" >&2; exit 1; }
for f in "$RIC" "$SER" "$CORE"; do [ -f "$f" ] || { echo "missing $f: mvn -pl local verify fetches it" >&2; exit 1; }; done
for m in backup list restore; do
  jar="$m-*-api.jar"; [ "$m" = list ] && jar="$m-*-lambda.jar"
  # shellcheck disable=SC2086 # $jar is a glob on purpose (the version is part of the file name)
  ls "$ROOT"/functions/$m/target/$jar >/dev/null 2>&1 || (cd "$ROOT" && mvn -q -B package -DskipTests -pl functions/$m -am)
done

WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/hello/src" "$WORK/hello/classes"
cat > "$WORK/hello/src/Hello.java" <<'EOF'
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;

public class Hello implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        return "hello";
    }
}
EOF
javac --release 17 -cp "$CORE" -d "$WORK/hello/classes" "$WORK/hello/src/Hello.java"
(cd "$WORK/hello/classes" && jar cf "$WORK/hello.jar" Hello.class)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# one cold start: prints "<init ms> <first invoke ms> <wall ms from start to answer>"
cold_start() {
  local jar="$1" handler="$2" event="$3" port api log start
  port="$(free_port)"; api="$(free_port)"; log="$WORK/rie-$port.log"
  start=$(date +%s%N)
  env -i PATH=/usr/bin:/bin LAMBDA_TASK_ROOT="$WORK" AWS_LAMBDA_FUNCTION_NAME=cold-start AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x APP_NAME=pharmatracker ENVIRONMENT=staging BUCKET_NAME=cold-start \
    DB_URL_PARAMETER=/p/db JWT_SECRET_PARAMETER=/p/jwt RESTORE_PASSKEY_PARAMETER=/p/passkey \
    BACKUP_WORKER_FUNCTION=w RESTORE_WORKER_FUNCTION=w PG_TOOLS_DIR=/opt AWS_ENDPOINT_URL=http://127.0.0.1:9 \
    "$RIE" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api" \
    "$(command -v java)" -XX:+TieredCompilation -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx512m \
    -cp "$jar:$RIC:$SER" com.amazonaws.services.lambda.runtime.api.client.AWSLambda "$handler" >"$log" 2>&1 &
  local pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do sleep 0.02; done
  curl -s -o /dev/null -X POST "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" --data-binary "@$event"
  local end
  end=$(date +%s%N)
  for _ in $(seq 100); do grep -q 'INVOKE RTDONE' "$log" && break; sleep 0.02; done # the emulator logs after answering
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  local init dur
  init=$(grep -o 'INIT REPORT(durationMs: [0-9.]*' "$log" | head -1 | sed 's/.*: //' || true)
  dur=$(grep -o 'INVOKE RTDONE(.*duration: [0-9.]*' "$log" | head -1 | sed 's/.*duration: //' || true)
  echo "${init:-NA} ${dur:-NA} $(( (end - start) / 1000000 ))"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# the jars sam build deploys: the API functions of backup and restore get the slim -api jar (no encryption SDK)
declare -A JAR=( [hello]="$WORK/hello.jar" [BackupApiFunction]="$(ls "$ROOT"/functions/backup/target/backup-*-api.jar)"
  [ListBackupsFunction]="$(ls "$ROOT"/functions/list/target/list-*-lambda.jar)"
  [JobStatusFunction]="$(ls "$ROOT"/functions/list/target/list-*-lambda.jar)"
  [RestoreApiFunction]="$(ls "$ROOT"/functions/restore/target/restore-*-api.jar)" )
declare -A HANDLER=( [hello]=Hello [BackupApiFunction]=dev.pgbackup.backup.BackupApiHandler::handleRequest
  [ListBackupsFunction]=dev.pgbackup.list.ListBackupsHandler::handleRequest
  [JobStatusFunction]=dev.pgbackup.list.JobStatusHandler::handleRequest
  [RestoreApiFunction]=dev.pgbackup.restore.api.RestoreApiHandler::handleRequest )
# the committed events without their Authorization header: the handler answers 401 before any secret or network
for e in backup list-backups job-status restore; do
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); e["headers"].pop("authorization",None); json.dump(e,open(sys.argv[2],"w"))' \
    "$ROOT/events/$e.json" "$WORK/$e.json"
done
declare -A EVENT=( [hello]="$WORK/list-backups.json" [BackupApiFunction]="$WORK/backup.json"
  [ListBackupsFunction]="$WORK/list-backups.json" [JobStatusFunction]="$WORK/job-status.json"
  [RestoreApiFunction]="$WORK/restore.json" )

echo "Cold starts under aws-lambda-rie ($(basename "$RIE")), $RUNS runs each, load average $(cut -d' ' -f1-3 /proc/loadavg); java $(java -version 2>&1 | head -1)"
printf '| %-20s | %14s | %16s | %15s | %15s | %19s |\n' function "init ms" "first invoke ms" "start→answer ms" "init / hello" "start→answer / hello"
printf '|%s|%s|%s|%s|%s|%s|\n' "----------------------" "---------------:" "-----------------:" "----------------:" "----------------:" "---------------------:"
hello_init=""; hello_wall=""
for fn in hello BackupApiFunction ListBackupsFunction JobStatusFunction RestoreApiFunction; do
  : > "$WORK/$fn.txt"
  for _ in $(seq "$RUNS"); do cold_start "${JAR[$fn]}" "${HANDLER[$fn]}" "${EVENT[$fn]}" >> "$WORK/$fn.txt"; done
  init=$(awk '{print $1}' "$WORK/$fn.txt" | { grep -v NA || true; } | median)
  dur=$(awk '{print $2}' "$WORK/$fn.txt" | { grep -v NA || true; } | median)
  wall=$(awk '{print $3}' "$WORK/$fn.txt" | median)
  if [ "$fn" = hello ]; then hello_init="$init"; hello_wall="$wall"; fi
  ri=$(awk -v a="$init" -v b="$hello_init" 'BEGIN { if (a=="NA"||b=="NA"||b==0) print "NA"; else printf "%.2fx", a/b }')
  rw=$(awk -v a="$wall" -v b="$hello_wall" 'BEGIN { if (b==0) print "NA"; else printf "%.2fx", a/b }')
  printf '| %-20s | %14s | %16s | %15s | %15s | %19s |\n' "$fn" "$init" "$dur" "$wall" "$ri" "$rw"
done
