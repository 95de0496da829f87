# shellcheck shell=bash
# Shared by the scripts: repository root, the project virtualenv, the PostgreSQL client layer.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
# Tool logs live in the clone, not /tmp: two runs on one machine must not quote each other's logs.
TOOL_LOGS="$ROOT/.local/logs"
mkdir -p "$TOOL_LOGS"
export SAM_CLI_TELEMETRY=0

log() { printf '\n==> %s\n' "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "missing '$1': $2" >&2; exit 1; }
}

check_toolchain() {
  need java "install a JDK 17+ (Debian: apt-get install openjdk-17-jdk-headless)"
  need mvn "install Maven (Debian: apt-get install maven)"
  need python3 "install Python 3.9+"
  need make "install make"
  need curl "install curl"
  need node "install Node.js 18+ (Debian: apt-get install nodejs npm)"
  need npm "install npm (Debian: apt-get install npm)"
}

# moto (S3/SSM emulator) and aws-sam-cli in .venv, reinstalled only when requirements change. requirements-dev.txt
# pins every package with its hashes (generated from requirements-dev.in: docs/dependencies.md), so pip installs
# exactly those files or nothing. The pinned pip goes first, alone: the one a venv comes with may be too old to
# install the rest in hash mode (Python 3.11's 23.x takes aws-sam-cli's boto3-stubs[...] for an unpinned package).
ensure_venv() {
  local stamp="$VENV/.requirements.sha" req="$ROOT/requirements-dev.txt"
  local want; want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -x "$VENV/bin/moto_server" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "Installing moto and aws-sam-cli into .venv"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps \
      -r <(awk '/^[^ #]/ { pin = /^pip==/ } pin' "$req")
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$req"
    echo "$want" > "$stamp"
  fi
}

# The pgbackup CLI (cli/) installed into cli/.venv as an operator installs it (pip install ./cli, non-editable, with
# cli/requirements.lock as constraints), reinstalled when its sources, pins or lock change.
CLI_VENV="$ROOT/cli/.venv"
ensure_cli() {
  local stamp="$CLI_VENV/.cli.sha" want
  want="$(cd "$ROOT/cli" && find pyproject.toml requirements.lock src/pgbackup_cli -name '*.py' -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$CLI_VENV/bin/pgbackup" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "Installing the pgbackup CLI into cli/.venv"
    python3 -m venv "$CLI_VENV"
    "$CLI_VENV/bin/pip" uninstall --quiet --yes pgbackup-cli >/dev/null 2>&1 || true  # same version, new code
    "$CLI_VENV/bin/pip" install --quiet --disable-pip-version-check -c "$ROOT/cli/requirements.lock" "$ROOT/cli"
    rm -rf "$ROOT/cli/build" "$ROOT/cli/src/"*.egg-info
    echo "$want" > "$stamp"
  fi
}

# The IAM evaluator (tools/iam: @cloud-copilot/iam-simulate, pinned by package-lock.json) in tools/iam/node_modules,
# reinstalled only when the lock changes. A test tool, like moto: nothing of it reaches a function.
ensure_iam_tools() {
  local dir="$ROOT/tools/iam" stamp="$ROOT/tools/iam/node_modules/.lock.sha" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "Installing the IAM evaluator into tools/iam/node_modules (npm ci)"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >/dev/null
    echo "$want" > "$stamp"
  fi
}

# The layer's pg_dump/pg_restore/psql, built from upstream source (layers/postgresql-client,
# cached outside the work tree): rebuilt when missing, or when the build's stamp (majors,
# versions, recipe) differs from what sources.lock and the recipe ask for now.
ensure_layer() {
  local dir="$ROOT/layers/postgresql-client" want have
  want="$(bash "$dir/build.sh" --stamp 2>/dev/null || echo "?")"
  have="$(sed -n 's/^stamp: //p' "$dir/build/postgresql/build-info.txt" 2>/dev/null || true)"
  if [ ! -x "$dir/build/bin/pg_dump" ] || [ "$want" != "$have" ]; then
    log "Building the PostgreSQL client layer (layers/postgresql-client/build; was: ${have:-none}, want: $want)"
    make -C "$dir" local
  fi
  bash "$ROOT/layers/postgresql-client/verify.sh" "$ROOT/layers/postgresql-client/build" >"$TOOL_LOGS/layer-verify.log" 2>&1 \
    || { cat "$TOOL_LOGS/layer-verify.log" >&2; echo "layer verification failed" >&2; exit 1; }
}

# The arm64 (Graviton) layer: cross-compiled into layers/postgresql-client/build-arm64 (same stamp logic, its own
# cache entries), then proven under qemu-user: verify.sh's checks, and live-test.sh's dumps and restores by the arm64
# pg_dump/pg_restore/psql against real local servers. The x86_64 tree the Java tests use is not touched.
ensure_layer_arm64() {
  local dir="$ROOT/layers/postgresql-client" want have
  want="$(LAYER_ARCH=arm64 bash "$dir/build.sh" --stamp 2>/dev/null || echo "?")"
  have="$(sed -n 's/^stamp: //p' "$dir/build-arm64/postgresql/build-info.txt" 2>/dev/null || true)"
  if [ ! -f "$dir/build-arm64/bin/pg_dump" ] || [ "$want" != "$have" ]; then
    log "Building the arm64 PostgreSQL client layer (layers/postgresql-client/build-arm64; was: ${have:-none}, want: $want)"
    make -C "$dir" local LAYER_ARCH=arm64
  fi
  bash "$dir/verify.sh" "$dir/build-arm64" >"$TOOL_LOGS/layer-arm64-verify.log" 2>&1 \
    || { cat "$TOOL_LOGS/layer-arm64-verify.log" >&2; echo "arm64 layer verification failed" >&2; exit 1; }
  bash "$dir/live-test.sh" "$dir/build-arm64" >"$TOOL_LOGS/layer-arm64-live.log" 2>&1 \
    || { cat "$TOOL_LOGS/layer-arm64-live.log" >&2; echo "arm64 layer live test failed" >&2; exit 1; }
}

# libfaketime (Debian: faketime), for the unit tests under a moved clock: a test whose fixed instant meets the
# machine's clock fails there today instead of on a later date.
ensure_faketime() {
  ensure_debian_package faketime faketime
}

# The shell linter (Debian: shellcheck), run on every script before the Maven step.
ensure_shellcheck() {
  ensure_debian_package shellcheck shellcheck
}

# Installs Debian package PACKAGE unless COMMAND is already on the PATH (apt-get, with sudo when not root).
ensure_debian_package() {
  local command="$1" package="$2"
  command -v "$command" >/dev/null 2>&1 && return 0
  local sudo=""
  # shellcheck disable=SC2015 # an assignment cannot fail: the message runs only without sudo
  if [ "$(id -u)" != 0 ]; then command -v sudo >/dev/null 2>&1 && sudo="sudo" || { echo "missing '$command' (apt-get install $package)" >&2; exit 1; }; fi
  log "Installing $package (Debian package)"
  $sudo apt-get install -y -q --no-install-recommends "$package" >/dev/null \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends "$package" >/dev/null; } \
    || { echo "could not install $package" >&2; exit 1; }
}

# Lints every shell script of the repository (*.sh, committed or new, and the CI entry point); outside a git
# checkout, every *.sh but the virtualenv's and the build outputs'.
check_scripts() {
  local listed scripts
  listed="$(cd "$ROOT" && git ls-files --cached --others --exclude-standard -- '*.sh' .ci/run 2>/dev/null)" \
    || listed="$(cd "$ROOT" && find . \( -path ./.venv -o -name target -o -name node_modules -o -path ./layers/postgresql-client/build \) -prune \
      -o -type f \( -name '*.sh' -o -path ./.ci/run \) -print)"
  mapfile -t scripts <<<"$listed"
  (cd "$ROOT" && shellcheck -x "${scripts[@]}") || { echo "shellcheck found problems in the scripts" >&2; exit 1; }
}

# Runs a command with the wall clock moved by OFFSET (e.g. '+400 days'); the monotonic clock stays real, and
# FORCE_MONOTONIC_FIX=0 keeps the JVM's timed waits (condition variables on CLOCK_MONOTONIC) from returning at
# once, which otherwise turns every idle thread into a busy loop. The PostgreSQL server keeps the real clock: under
# libfaketime its timers misfire (statement_timeout never fires, the 5-minute checkpoint timer fires at once).
with_clock_moved() {
  local offset="$1"; shift
  FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 FAKETIME_SKIP_CMDS=postgres,pg_ctl,initdb \
    faketime "$offset" "$@"
}
