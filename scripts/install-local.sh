#!/usr/bin/env bash
# Kept for existing instructions: the same as
#   scripts/build-capi.sh --prefix PREFIX
# (PROFILE and FEATURES are read from the environment as before).
#
#   scripts/install-local.sh [PREFIX]      (default: target/dist)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec "$root/scripts/build-capi.sh" --prefix "${1:-$root/target/dist}"
