# Shared by the scripts: repository root, the project virtualenv, the PostgreSQL client layer.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
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
}

# moto (S3/SSM emulator) and aws-sam-cli in .venv, reinstalled only when requirements change
ensure_venv() {
  local stamp="$VENV/.requirements.sha"
  local want; want="$(sha256sum "$ROOT/requirements-dev.txt" | cut -d' ' -f1)"
  if [ ! -x "$VENV/bin/moto_server" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "Installing moto and aws-sam-cli into .venv"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
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
  bash "$ROOT/layers/postgresql-client/verify.sh" "$ROOT/layers/postgresql-client/build" >/tmp/pgbackup-layer-verify.log 2>&1 \
    || { cat /tmp/pgbackup-layer-verify.log >&2; echo "layer verification failed" >&2; exit 1; }
}
