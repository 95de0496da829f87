#!/usr/bin/env bash
# Refreshes the pool path and sha256 of sources.lock lines from their suites' signed source indexes.
#
#   refresh-lock.sh [MAJOR...]     every major of the lock when none is given
#
# A bump (by hand or a Renovate pull request) changes only a line's source-package version; the line's
# pool path (which names the upstream version) and sha256 then no longer match it and the build refuses
# the tarball. This asks apt, against the line's archive and suites, where that version's `*.orig.tar.*`
# is and what its SHA-256 is, and rewrites the two fields. apt checks the suite's index signature for
# keyring `debian` (Debian archive keyring) as the build does; `trusted` lines have no signature check,
# so review their change as you would a new pin. The tarball itself is not downloaded: the next build
# fetches it and checks it against the new pin.
#
# Environment: PG_SOURCES_LOCK (default: sources.lock beside this script), PG_LAYER_CACHE (apt state).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCK="${PG_SOURCES_LOCK:-$HERE/sources.lock}"
CACHE="${PG_LAYER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgbackup-layer}"

die() { echo "refresh-lock: $*" >&2; exit 1; }
command -v apt-get >/dev/null || die "needs apt-get (Debian/Ubuntu)"

# The `*.orig.tar.*` of postgresql-MAJOR=VERSION in ARCHIVE's SUITES: "<url> <sha256>".
orig_tarball() {
  local m="$1" ver="$2" archive="$3" suites="$4" keyring="$5" apt="$CACHE/apt-refresh/$1" signed s
  mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/empty"
  case "$keyring" in
    debian)  signed="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg" ;;
    trusted) signed="trusted=yes" ;;
    *)       die "unknown keyring '$keyring' for PG $m" ;;
  esac
  : >"$apt/sources.list"
  for s in ${suites//,/ }; do echo "deb-src [$signed] $archive $s main" >>"$apt/sources.list"; done
  local opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o "Dir::Etc::PreferencesParts=$apt/empty" -o Dir::Etc::Preferences=/dev/null
              -o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache"
              -o Dir::State::status=/dev/null -o APT::Sandbox::User="$(id -un)")
  apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; die "apt-get update failed for PG $m"; }
  # --print-uris lines: 'URL' FILE SIZE SHA256:HEX (ForceHash: apt would print the strongest, e.g. SHA512)
  apt-get "${opts[@]}" -o Acquire::ForceHash=SHA256 source --print-uris --tar-only "postgresql-$m=$ver" 2>"$apt/source.log" \
    | awk '$2 ~ /\.orig\.tar\./ { gsub("\x27", "", $1); sub("^SHA256:", "", $4); print $1, $4 }' \
    | grep . || { cat "$apt/source.log" >&2; die "postgresql-$m=$ver is not in $archive $suites"; }
}

refresh() { # MAJOR
  local m="$1" line ver archive suites keyring pool sha url newsha newpool
  line="$(awk -v m="$m" '!/^[[:space:]]*(#|$)/ && $1 == m' "$LOCK")"
  [ -n "$line" ] || die "PG $m is not in $LOCK"
  read -r _ ver archive suites keyring pool sha <<<"$line"
  read -r url newsha <<<"$(orig_tarball "$m" "$ver" "$archive" "$suites" "$keyring")"
  [[ "$newsha" =~ ^[0-9a-f]{64}$ ]] || die "PG $m: no SHA-256 for $url"
  newpool="${url#"${archive%/}"/}"
  [ "$newpool" != "$url" ] || die "PG $m: $url is not under $archive"
  if [ "$newpool $newsha" = "$pool $sha" ]; then
    echo "PG $m $ver: unchanged"
    return 0
  fi
  # Only that line's two fields change; its spacing and every other line stay as they are.
  awk -v m="$m" -v op="$pool" -v np="$newpool" -v os="$sha" -v ns="$newsha" '
    !/^[[:space:]]*(#|$)/ && $1 == m { i = index($0, op); $0 = substr($0, 1, i - 1) np substr($0, i + length(op))
                                       i = index($0, os); $0 = substr($0, 1, i - 1) ns substr($0, i + length(os)) }
    { print }' "$LOCK" >"$LOCK.tmp"
  mv -f "$LOCK.tmp" "$LOCK"
  echo "PG $m $ver: $newpool $newsha"
}

[ -f "$LOCK" ] || die "$LOCK not found"
majors=("$@")
[ "${#majors[@]}" -gt 0 ] || read -r -a majors <<<"$(awk '!/^[[:space:]]*(#|$)/ {printf "%s ", $1}' "$LOCK")"
for m in "${majors[@]}"; do refresh "$m"; done
