#!/usr/bin/env bash
# Builds the oauthkit Python package from a fresh clone and installs it into
# target/python-venv (made by scripts/setup-python.sh):
#   1. scripts/build-wheel.sh builds liboauthkit.so, copies it and
#      include/oauthkit.h into python/oauthkit/ and builds a wheel into
#      $CARGO_TARGET_DIR/python-dist/ (default target/python-dist;
#      py3-none-<platform>, the library bundled)
#   2. installs the wheel into the venv
# Environment: PROFILE (debug|release|release-capi, default release),
# FEATURES (cargo features besides capi; default: the wheel's features,
# which scripts/build-wheel.sh keeps: `scripts/build-wheel.sh --print-features`),
# OAUTHKIT_LIB (use this liboauthkit.so instead of building one).
# Prints the wheel's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
export PROFILE="${PROFILE:-release}"
venv="$root/target/python-venv"
dist="$target_dir/python-dist"
# FEATURES, when set (even empty), chooses the library's features
if [ -n "${FEATURES+x}" ]; then export WHEEL_FEATURES="$FEATURES"; fi

bash scripts/setup-python.sh >&2
rm -rf "$dist"
wheel="$(scripts/build-wheel.sh --python "$venv/bin/python" --out "$dist")"
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel" >&2
echo "$wheel"
