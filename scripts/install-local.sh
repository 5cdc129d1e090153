#!/usr/bin/env bash
# Builds the cdylib and the staticlib and installs them with the header, the
# C++ wrapper, pkg-config files and a CMake package config under a prefix.
#
#   scripts/install-local.sh [PREFIX]      (default: target/dist)
#
# Environment: PROFILE=release|debug (default release), FEATURES="a,b"
# (cargo features, default none), CARGO_TARGET_DIR as cargo uses it.
# Afterwards:
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs oauthkit
#   cmake -DCMAKE_PREFIX_PATH=PREFIX ...   (find_package(oauthkit))
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
prefix="${1:-$root/target/dist}"
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
profile="${PROFILE:-release}"
features="${FEATURES:-}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$profile" in
    release) profile_flag=(--release) ;;
    debug) profile_flag=() ;;
    *) echo "PROFILE must be release or debug" >&2; exit 2 ;;
esac
feature_flag=()
[ -n "$features" ] && feature_flag=(--features "$features")

# `cargo rustc` builds every crate type of [lib] (rlib, cdylib, staticlib)
# and lets us ask rustc which system libraries the staticlib needs.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo rustc --quiet --lib "${profile_flag[@]}" "${feature_flag[@]}" -- --print native-static-libs 2>&1 | tee "$log" >&2 || {
    echo "FAIL install: cargo build failed" >&2
    exit 1
}
out="$target_dir/$profile"
cache="$out/oauthkit.native-static-libs"
native="$(sed -n 's/^note: native-static-libs: //p' "$log" | tail -n1)"
if [ -n "$native" ]; then
    printf '%s\n' "$native" >"$cache"
elif [ -f "$cache" ]; then
    native="$(cat "$cache")"
else
    native="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
fi

case "$(uname -s)" in
    Darwin) shared=liboauthkit.dylib; suffix=.dylib ;;
    *) shared=liboauthkit.so; suffix=.so ;;
esac
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
abi="$(sed -n 's/^#define OAK_ABI_VERSION \([0-9]*\)/\1/p' include/oauthkit.h)"

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/oauthkit"
install -m 0644 include/oauthkit.h "$prefix/include/oauthkit.h"
install -m 0644 ffi/cpp/oauthkit.hpp "$prefix/include/oauthkit.hpp"
install -m 0755 "$out/$shared" "$prefix/lib/$shared"
install -m 0644 "$out/liboauthkit.a" "$prefix/lib/liboauthkit.a"

subst() {
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" -e "s|@ABI_VERSION@|$abi|g" \
        -e "s|@NATIVE_LIBS@|$native|g" -e "s|@NATIVE_LIBS_CMAKE@|$(echo "$native" | tr ' ' ';')|g" \
        -e "s|@SHARED_SUFFIX@|$suffix|g" "$1" >"$2"
}
subst ffi/pkgconfig/oauthkit.pc.in "$prefix/lib/pkgconfig/oauthkit.pc"
subst ffi/pkgconfig/oauthkit-static.pc.in "$prefix/lib/pkgconfig/oauthkit-static.pc"
subst ffi/cmake/oauthkitConfig.cmake.in "$prefix/lib/cmake/oauthkit/oauthkitConfig.cmake"
subst ffi/cmake/oauthkitConfigVersion.cmake.in "$prefix/lib/cmake/oauthkit/oauthkitConfigVersion.cmake"
echo "installed oauthkit $version (ABI $abi, $profile${features:+, features $features}) to $prefix"
