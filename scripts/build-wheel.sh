#!/usr/bin/env bash
# Builds the oauthkit Python wheel; the one place that knows the wheel's
# cargo features and how the package is put together:
#
#   scripts/build-wheel.sh --python PY --out DIR [--strip-debug]
#
#   1. builds liboauthkit.so with scripts/build-capi.sh (prefix
#      $CARGO_TARGET_DIR/python-capi, default target/python-capi)
#   2. copies it and include/oauthkit.h into python/oauthkit/ (git-ignored);
#      --strip-debug drops the debug information from the copy
#   3. `PY -m pip wheel` of ./python into DIR: oauthkit-<version>-py3-none-
#      linux_<arch>.whl, the library bundled (the tag is py3-none: cffi's
#      ABI mode does not depend on the Python version). PY needs setuptools
#      and wheel. scripts/release.sh repairs it into a manylinux wheel.
#
# Prints the wheel's path on stdout (progress on stderr).
# Environment:
#   PROFILE         debug|release|release-capi (default release)
#   WHEEL_FEATURES  cargo features besides capi (default below): what a
#                   desktop user needs (the default store's key in the OS
#                   keyring: keyring; SQLite files: sqlite) and what the
#                   Python API wraps and its tests use (the dev provider for
#                   offline sign-ins, Redis stores, deploy mode and the
#                   server stores: dev-provider, redis, capi-server)
#   OAUTHKIT_LIB    use this liboauthkit.so instead of building one
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"

DEFAULT_WHEEL_FEATURES="keyring,sqlite,dev-provider,redis,capi-server"
python=""
out=""
strip_debug=0
while [ $# -gt 0 ]; do
    case "$1" in
        --python) python="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --strip-debug) strip_debug=1; shift ;;
        --print-features) echo "${WHEEL_FEATURES-$DEFAULT_WHEEL_FEATURES}"; exit 0 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "build-wheel.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$python" ] && [ -n "$out" ] || { echo "build-wheel.sh: --python PY and --out DIR are required" >&2; exit 2; }
# paths as given, from the caller's directory
case "$python" in */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;; esac
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
profile="${PROFILE:-release}"
features="${WHEEL_FEATURES-$DEFAULT_WHEEL_FEATURES}"
say() { echo "build-wheel: $*" >&2; }

if [ -n "${OAUTHKIT_LIB:-}" ]; then
    so="$OAUTHKIT_LIB"
    say "using the library $so (OAUTHKIT_LIB)"
else
    prefix="$target_dir/python-capi"
    say "building liboauthkit.so for the wheel (profile $profile, features capi,$features)"
    FEATURES="$features" scripts/build-capi.sh --prefix "$prefix" --profile "$profile" >&2
    so="$prefix/lib/liboauthkit.so"
fi
[ -s "$so" ] || { echo "build-wheel: no shared library at $so" >&2; exit 1; }

mkdir -p python/oauthkit/_lib
if [ "$strip_debug" = 1 ]; then
    strip --strip-debug -o python/oauthkit/_lib/liboauthkit.so "$so"
else
    cp "$so" python/oauthkit/_lib/liboauthkit.so
fi
cp include/oauthkit.h python/oauthkit/oauthkit.h
rm -rf python/build python/*.egg-info
rm -f "$out"/oauthkit-*.whl
say "building the wheel into $out"
"$python" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$out" ./python >&2
rm -rf python/build python/*.egg-info
ls "$out"/oauthkit-*.whl
