#!/usr/bin/env bash
# Builds the oauthkit Python package from a fresh clone and installs it into
# target/python-venv (made by scripts/setup-python.sh):
#   1. builds liboauthkit.so (build_shared_library below)
#   2. copies it and include/oauthkit.h into python/oauthkit/
#   3. builds a wheel into target/python-dist/ (py3-none-<platform>, the
#      library bundled) and installs it into the venv
# Environment: PROFILE (debug|release|release-capi, default release),
# FEATURES (cargo features besides capi, default dev-provider,sqlite,redis,capi-server: what
# the tests need),
# OAUTHKIT_LIB (use this liboauthkit.so instead of building one).
# Prints the wheel's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
profile="${PROFILE:-release}"
venv="$root/target/python-venv"
dist="$target_dir/python-dist"

# The one place that knows how the shared library is built; prints its path.
build_shared_library() {
    if [ -n "${OAUTHKIT_LIB:-}" ]; then
        echo "$OAUTHKIT_LIB"
        return
    fi
    # the C ABI is its own build target (the capi feature, scripts/build-capi.sh);
    # the tests need the dev provider, the SQLite store and Redis (pywry interop)
    local prefix="$target_dir/python-capi"
    FEATURES="${FEATURES-dev-provider,sqlite,redis,capi-server}" scripts/build-capi.sh \
        --prefix "$prefix" --profile "$profile" >&2
    echo "$prefix/lib/liboauthkit.so"
}

bash scripts/setup-python.sh >&2
so="$(build_shared_library)"
[ -s "$so" ] || { echo "build-python: no shared library at $so" >&2; exit 1; }
mkdir -p python/oauthkit/_lib
cp "$so" python/oauthkit/_lib/liboauthkit.so
cp include/oauthkit.h python/oauthkit/oauthkit.h
rm -rf python/build python/*.egg-info "$dist"
mkdir -p "$dist"
"$venv/bin/pip" wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$dist" ./python >&2
rm -rf python/build python/*.egg-info
wheel="$(ls "$dist"/oauthkit-*.whl)"
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel" >&2
echo "$wheel"
