# shellcheck shell=bash
# Cross-compiling the layer for another architecture (sourced by build.sh after recipe.sh, only
# when LAYER_ARCH is not the build host's; not run on its own).
#
# recipe.sh stays the one recipe: its text is part of every cache key, so the native build (and
# its cache) must not change for the sake of a cross build. It runs gcc, strip and ldd by name and
# `env -i ... ldd`; here those names lead to the target's tools, the libraries come from the
# target's Debian -dev packages unpacked into a sysroot in the cache, and the target's binaries
# run under qemu-user (no binfmt needed).
# Needs from build.sh: log, die, SUDO, CACHE, HERE, LAYER_ARCH, OS_ID, OS_VERSION_ID. Debian/Ubuntu hosts only.
#
#   cross_deps         install the cross toolchain and qemu-user (host packages)
#   cross_sysroot      the target's -dev packages and their libraries, unpacked in the cache
#   cross_setup        the shims on PATH, configure --host; removed again on exit
#   recipe_toolchain   (replaces recipe.sh's) the target toolchain: a cross build's cache key

case "$LAYER_ARCH" in
  arm64) CROSS_TRIPLE=aarch64-linux-gnu CROSS_DPKG_ARCH=arm64 CROSS_QEMU=qemu-aarch64
         CROSS_LDSO=ld-linux-aarch64.so.1 CROSS_MACHINE=AArch64 ;;
  *) die "no cross recipe for LAYER_ARCH=$LAYER_ARCH (arm64 only)" ;;
esac
[ "$(recipe_pm)" = deb ] || die "cross builds need a Debian/Ubuntu host (apt-get, dpkg-deb); build $LAYER_ARCH natively instead"
CROSS_SYSROOT="/usr/$CROSS_TRIPLE"   # the cross glibc: qemu-user's -L, holds the target's dynamic loader

# The target's -dev packages: the native recipe's keyed ones that are -dev packages (a -dev
# added to recipe.sh needs no edit here), without glibc's (the cross toolchain has it).
cross_dev_packages() {
  local p
  for p in "${RECIPE_DEB_KEYED[@]}"; do case "$p" in libc6-dev) ;; *-dev) echo "$p" ;; esac; done
}
CROSS_DEB_DEPS=("gcc-$CROSS_TRIPLE" "libc6-dev-$CROSS_DPKG_ARCH-cross" "binutils-$CROSS_TRIPLE" qemu-user)
CROSS_SR="$CACHE/sysroot-$CROSS_DPKG_ARCH"    # the target's -dev packages, unpacked (no multiarch install)

cross_deps() {
  local missing=() p
  for p in "${CROSS_DEB_DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || [ -n "$SUDO" ] || die "missing cross build dependencies: ${missing[*]} (apt-get install them, or run as root)"
  log "installing cross build dependencies: ${missing[*]}"
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
    || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } \
    || die "could not install ${missing[*]}"
}

# The target's libraries are unpacked into $CROSS_SR, not installed with `dpkg --add-architecture`:
# a multiarch libssl-dev:arm64 would add lines to the native recipe's dpkg-query, hence change every
# native cache key. apt-get runs on the host's sources with a private state (the target's
# architecture, nothing installed): /etc/apt and dpkg's database are neither changed nor read
# for state. The manifest (package, version, sha256) is part of the cross cache key.
cross_sysroot() {
  local apt="$CACHE/apt/sysroot-$CROSS_DPKG_ARCH" debs="$CACHE/apt/sysroot-$CROSS_DPKG_ARCH/debs" p pkgs=() deps=()
  mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$debs"
  local opts=(-q -o "APT::Architecture=$CROSS_DPKG_ARCH" -o "APT::Architectures::=$CROSS_DPKG_ARCH"
              -o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache" -o Dir::State::status=/dev/null
              -o APT::Sandbox::User="$(id -un)")
  apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || { tail -n 5 "$apt/update.log" >&2; die "apt-get update ($CROSS_DPKG_ARCH lists) failed"; }
  # Each -dev package and the libraries it depends on (not glibc: the cross toolchain's).
  for p in $(cross_dev_packages); do
    pkgs+=("$p")
    mapfile -t deps < <(apt-cache "${opts[@]}" depends --no-recommends --no-suggests --no-conflicts --no-breaks \
              --no-replaces --no-enhances "$p" | awk '$1 == "Depends:" {print $2}' | grep -E '^(lib|zlib)' \
              | grep -vE '^(libc6|libc-dev|libc6-dev)$' || true)
    pkgs+=("${deps[@]}")
  done
  rm -f "$debs"/*.deb
  (cd "$debs" && apt-get "${opts[@]}" download "${pkgs[@]}" >"$apt/download.log" 2>&1) \
    || { tail -n 5 "$apt/download.log" >&2; die "apt-get download ${pkgs[*]} ($CROSS_DPKG_ARCH) failed"; }
  local manifest; manifest="$(cd "$debs" && for d in *.deb; do
      echo "$(dpkg-deb -f "$d" Package):$(dpkg-deb -f "$d" Architecture) $(dpkg-deb -f "$d" Version) $(sha256sum "$d" | cut -c1-16)"
    done)"
  if [ "$(cat "$CROSS_SR/manifest" 2>/dev/null)" != "$manifest" ]; then
    log "unpacking the $CROSS_DPKG_ARCH sysroot: $(paste -sd' ' <<<"$manifest" | awk '{printf "%s ", $0}')"
    rm -rf "$CROSS_SR"; mkdir -p "$CROSS_SR"
    for p in "$debs"/*.deb; do dpkg-deb -x "$p" "$CROSS_SR"; done
    # Absolute symlinks (libz.so -> /lib/...) must point inside the sysroot.
    find "$CROSS_SR" -type l | while read -r p; do
      local t; t="$(readlink "$p")"; case "$t" in /*) ln -sfn "$CROSS_SR$t" "$p" ;; esac
    done
    echo "$manifest" >"$CROSS_SR/manifest"
  fi
}

recipe_toolchain() {
  echo "os $OS_ID ${OS_VERSION_ID:-} $(uname -m) -> $CROSS_TRIPLE"
  echo "gcc $("$CROSS_TRIPLE-gcc" -dumpfullversion 2>/dev/null || echo none)"
  dpkg-query -W -f='${Package} ${Version}\n' "${CROSS_DEB_DEPS[@]}" 2>/dev/null || true
  cat "$CROSS_SR/manifest" 2>/dev/null || echo "sysroot none"
  cat "$HERE/cross.sh"   # a change to how the cross build works is a new cache key too
}

# cross_shim NAME BODY: an executable NAME in the shim directory.
cross_shim() { printf '#!/usr/bin/env bash\nset -euo pipefail\n%s\n' "$2" >"$CROSS_SHIMS/$1"; chmod 0755 "$CROSS_SHIMS/$1"; }

cross_setup() {
  CROSS_SHIMS="$(mktemp -d "${TMPDIR:-/tmp}/pg-layer-cross.XXXXXX")"
  trap 'rm -rf "$CROSS_SHIMS"' EXIT
  local q="CROSS_SYSROOT=$CROSS_SYSROOT CROSS_QEMU=$CROSS_QEMU CROSS_LDSO=$CROSS_LDSO"
  local srlibs="$CROSS_SR/usr/lib/$CROSS_TRIPLE:$CROSS_SR/lib/$CROSS_TRIPLE"
  cross_shim gcc   "exec $CROSS_TRIPLE-gcc \"\$@\""
  cross_shim strip "exec $CROSS_TRIPLE-strip \"\$@\""
  # A target program under qemu; LD_LIBRARY_PATH is the target's (-E), not the host qemu's, and
  # ends with the sysroot's libraries (the target's 'system' ones, there being no multiarch install).
  cross_shim target-run "$q
llp=\"\${LD_LIBRARY_PATH:+\$LD_LIBRARY_PATH:}$srlibs\"
exec /usr/bin/env -u LD_LIBRARY_PATH \"\$(command -v \$CROSS_QEMU)\" -L \"\$CROSS_SYSROOT\" \${llp:+-E LD_LIBRARY_PATH=\"\$llp\"} \"\$@\""
  # ldd: the target's dynamic loader lists what it resolves, in ldd's format.
  cross_shim ldd "$q
case \"\${1:-}\" in --version) exec /usr/bin/ldd --version ;; esac
for f in \"\$@\"; do
  [ \$# -gt 1 ] && echo \"\$f:\"
  # ldd prints the loader itself without '=>'; the loader's own listing names it with its path.
  target-run \"\$CROSS_SYSROOT/lib/\$CROSS_LDSO\" --list \"\$f\" | awk '!(\$1 ~ /^\\// && \$2 == \"=>\")'
done"
  # env: keeps the shims on PATH through env -i, and runs a target binary under qemu.
  cross_shim env "args=()
while [ \$# -gt 0 ]; do
  case \"\$1\" in
    -i) args+=(-i \"PATH=$CROSS_SHIMS:/usr/bin:/bin\"); shift ;;
    -*|*=*) args+=(\"\$1\"); shift ;;
    *) break ;;
  esac
done
if [ \$# -gt 0 ] && [ -f \"\$1\" ] && readelf -h \"\$1\" 2>/dev/null | grep -q 'Machine:.*$CROSS_MACHINE'; then set -- target-run \"\$@\"; fi
exec /usr/bin/env \"\${args[@]}\" \"\$@\""
  export PATH="$CROSS_SHIMS:$PATH"
  # configure: cross mode; headers, libraries and pkg-config's .pc files from the sysroot.
  RECIPE_CONFIGURE+=(--host="$CROSS_TRIPLE")
  export CPPFLAGS="-I$CROSS_SR/usr/include -I$CROSS_SR/usr/include/$CROSS_TRIPLE"
  export LDFLAGS="-L$CROSS_SR/usr/lib/$CROSS_TRIPLE -L$CROSS_SR/lib/$CROSS_TRIPLE -Wl,-rpath-link,$srlibs"
  export PKG_CONFIG_LIBDIR="$CROSS_SR/usr/lib/$CROSS_TRIPLE/pkgconfig:$CROSS_SR/usr/share/pkgconfig"
  export PKG_CONFIG_SYSROOT_DIR="$CROSS_SR"
  log "cross build for $LAYER_ARCH: $("$CROSS_TRIPLE-gcc" --version | head -n1), qemu $("$CROSS_QEMU" --version | head -n1 | awk '{print $3}'), sysroot $CROSS_SYSROOT"
}
