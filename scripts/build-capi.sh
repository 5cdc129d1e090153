#!/usr/bin/env bash
# Builds the C libraries of oauthkit and installs everything a C, C++, Go or
# Swift project needs under one prefix:
#
#   scripts/build-capi.sh [--prefix DIR] [--features a,b] [--profile NAME] [--glibc 2.17]
#
#   DIR/include/oauthkit.h, oauthkit.hpp
#   DIR/lib/liboauthkit.so.X.Y.Z   (SONAME liboauthkit.so.X, X = ABI major)
#   DIR/lib/liboauthkit.so.X -> liboauthkit.so.X.Y.Z, liboauthkit.so -> liboauthkit.so.X
#   DIR/lib/liboauthkit.a
#   DIR/lib/pkgconfig/oauthkit.pc, oauthkit-static.pc
#   DIR/lib/cmake/oauthkit/oauthkitConfig.cmake, oauthkitConfigVersion.cmake
#
# --prefix   default target/dist
# --features cargo features besides `capi` (e.g. dev-provider,sqlite);
#            default none. Also read from $FEATURES.
# --profile  release-capi (default: release + LTO + codegen-units=1),
#            release, or debug. Also read from $PROFILE.
# --glibc    link against this glibc version's symbols (Linux), so the
#            library loads on any system with that glibc or later, however
#            new the build machine: built with cargo-zigbuild (zig as the
#            linker; scripts/release.sh installs both), libdbus compiled in
#            (feature vendored-dbus) when `keyring` is on, no packed
#            relocations. Also read from $OAK_GLIBC. Default: the build
#            machine's glibc, with the system linker.
#
# The library is built with
#   cargo rustc --lib --crate-type cdylib,staticlib --features capi,... \
#     --profile P -- -C link-arg=-Wl,-soname,liboauthkit.so.X --print native-static-libs
# so Rust dependents of the crate, which build only the rlib, never pay for
# it. CARGO_TARGET_DIR is honoured.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

prefix="$root/target/dist"
features="${FEATURES:-}"
profile="${PROFILE:-release-capi}"
glibc="${OAK_GLIBC:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --features) features="$2"; shift 2 ;;
        --features=*) features="${1#--features=}"; shift ;;
        --profile) profile="$2"; shift 2 ;;
        --profile=*) profile="${1#--profile=}"; shift ;;
        --glibc) glibc="$2"; shift 2 ;;
        --glibc=*) glibc="${1#--glibc=}"; shift ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
        *) echo "build-capi.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$profile" in
    debug|dev) cargo_profile=dev; out_dir=debug ;;
    release|release-capi) cargo_profile="$profile"; out_dir="$profile" ;;
    *) echo "build-capi.sh: --profile must be release-capi, release or debug" >&2; exit 2 ;;
esac
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
out="$target_dir/$out_dir"
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo_build=(cargo rustc)
if [ -n "$glibc" ]; then
    case "$host" in
        *-linux-gnu) ;;
        *) echo "build-capi.sh: --glibc is for Linux glibc targets, not $host" >&2; exit 2 ;;
    esac
    case "$glibc" in
        2.[0-9]*) ;;
        *) echo "build-capi.sh: --glibc takes a version such as 2.17, not '$glibc'" >&2; exit 2 ;;
    esac
    command -v cargo-zigbuild >/dev/null || {
        echo "build-capi.sh: --glibc $glibc needs cargo-zigbuild and zig on PATH" >&2
        echo "  (cargo install --locked cargo-zigbuild; pip install ziglang; scripts/release.sh sets both up)" >&2
        exit 1
    }
    # the system libdbus needs a newer glibc than the one asked for
    case ",$features," in *,keyring,*|*,cli,*) features="$features,vendored-dbus" ;; esac
    cargo_build=(cargo-zigbuild rustc --target "$host.$glibc")
    out="$target_dir/$host/$out_dir"
fi

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
major="${version%%.*}"

# relr_supported: the system linker packs relative relocations and the C
# library (glibc 2.36 or later) loads them.
relr_supported() {
    local glibc
    glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | sed -n 's/^glibc //p')"
    [ -n "$glibc" ] || return 1
    [ "$(printf '%s\n2.36\n' "$glibc" | sort -V | head -n1)" = 2.36 ] || return 1
    cc -shared -fPIC -Wl,--fatal-warnings -Wl,-z,pack-relative-relocs -o /dev/null -x c /dev/null 2>/dev/null
}

case "$(uname -s)" in
    Darwin)
        real="liboauthkit.$version.dylib"; soname="liboauthkit.$major.dylib"; link="liboauthkit.dylib"
        built="liboauthkit.dylib"
        soname_arg="-Wl,-install_name,@rpath/$soname" ;;
    *)
        real="liboauthkit.so.$version"; soname="liboauthkit.so.$major"; link="liboauthkit.so"
        built="liboauthkit.so"
        soname_arg="-Wl,-soname,$soname" ;;
esac

# Size (docs/capi.md, "Size"), for the profile release-capi:
# - aws-lc's C code without unwind tables: nothing unwinds through it (it
#   never calls back into Rust or the application), ~80 KB less.
# - packed relative relocations (DT_RELR), ~160 KB less, where the linker
#   has them and the C library is at least glibc 2.36 (which loads them):
#   a library built on such a system needs glibc 2.36 to load. OAK_RELR=0
#   turns them off to build for older systems on a newer one.
link_args=(-C "link-arg=$soname_arg")
if [ "$cargo_profile" = release-capi ]; then
    triple="$(rustc -vV | sed -n 's/^host: //p' | tr '-' '_')"
    nounwind="-fno-asynchronous-unwind-tables -fno-unwind-tables"
    cflags_var="CFLAGS_$triple"
    export "$cflags_var=${!cflags_var:+${!cflags_var} }$nounwind"
    if [ "$(uname -s)" = Linux ] && [ -z "$glibc" ] && [ "${OAK_RELR:-1}" != 0 ] && relr_supported; then
        link_args+=(-C "link-arg=-Wl,-z,pack-relative-relocs")
    fi
fi

# progress on stderr, so that a long first build never looks stuck
say() { echo "build-capi: $*" >&2; }
say "building liboauthkit $version (profile $profile, features capi${features:+,$features}${glibc:+, for glibc $glibc with zig}) in $out"
say "a first build compiles every dependency (aws-lc's C included): several minutes; cargo shows each crate"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"${cargo_build[@]}" --lib --crate-type cdylib,staticlib --profile "$cargo_profile" \
    --features "capi${features:+,$features}" \
    -- "${link_args[@]}" --print native-static-libs 2>&1 | tee "$log" >&2 || {
    echo "FAIL build-capi: cargo rustc failed" >&2
    exit 1
}
# rustc prints the system libraries the static library needs only when it
# links; keep them for the next (cached) run.
cache="$out/oauthkit.native-static-libs"
native="$(sed -n 's/^note: native-static-libs: //p' "$log" | tail -n1)"
if [ -n "$native" ]; then
    printf '%s\n' "$native" >"$cache"
elif [ -f "$cache" ]; then
    native="$(cat "$cache")"
else
    native="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
fi
abi="$(sed -n 's/^#define OAK_ABI_VERSION \([0-9]*\)/\1/p' include/oauthkit.h)"

say "built $out/$built and $out/liboauthkit.a; installing under $prefix"
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/oauthkit"
install -m 0644 include/oauthkit.h "$prefix/include/oauthkit.h"
install -m 0644 ffi/cpp/oauthkit.hpp "$prefix/include/oauthkit.hpp"
rm -f "$prefix/lib/$link" "$prefix/lib/$soname" "$prefix/lib/$real"
install -m 0755 "$out/$built" "$prefix/lib/$real"
ln -s "$real" "$prefix/lib/$soname"
ln -s "$soname" "$prefix/lib/$link"
install -m 0644 "$out/liboauthkit.a" "$prefix/lib/liboauthkit.a"

subst() {
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" -e "s|@VERSION_MAJOR@|$major|g" \
        -e "s|@ABI_VERSION@|$abi|g" -e "s|@NATIVE_LIBS@|$native|g" \
        -e "s|@NATIVE_LIBS_CMAKE@|$(echo "$native" | tr ' ' ';')|g" \
        -e "s|@SHARED_FILE@|$real|g" -e "s|@SHARED_SONAME@|$soname|g" "$1" >"$2"
}
subst ffi/pkgconfig/oauthkit.pc.in "$prefix/lib/pkgconfig/oauthkit.pc"
subst ffi/pkgconfig/oauthkit-static.pc.in "$prefix/lib/pkgconfig/oauthkit-static.pc"
subst ffi/cmake/oauthkitConfig.cmake.in "$prefix/lib/cmake/oauthkit/oauthkitConfig.cmake"
subst ffi/cmake/oauthkitConfigVersion.cmake.in "$prefix/lib/cmake/oauthkit/oauthkitConfigVersion.cmake"
echo "installed oauthkit $version (ABI $abi, SONAME $soname, profile $profile${features:+, features $features}${glibc:+, glibc $glibc or later}) to $prefix"
echo "  header:     $prefix/include/oauthkit.h (C), oauthkit.hpp (C++)"
echo "  libraries:  $prefix/lib/$real, $prefix/lib/liboauthkit.a"
echo "  pkg-config: PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs oauthkit"
echo "  CMake:      -DCMAKE_PREFIX_PATH=$prefix, find_package(oauthkit)"
# A program finds the shared library at run time only where the loader
# looks: the system's directories (after ldconfig) or the program's rpath.
case ":$(ldconfig -v 2>/dev/null | sed -n 's/^\([^\t:][^:]*\):.*/\1/p' | tr '\n' ':'):" in
    *":$prefix/lib:"*) echo "  run time:   $prefix/lib is on the loader's path (run ldconfig after installing there)" ;;
    *) echo "  run time:   $prefix/lib is not on the loader's path: link programs with -Wl,-rpath,$prefix/lib (or set LD_LIBRARY_PATH)" ;;
esac
