#!/usr/bin/env bash
# Installs what scripts/test-ffi.sh needs to build and check the C, C++ and
# Go bindings: a C/C++ compiler, CMake, pkg-config, valgrind and GoogleTest
# (Debian's libgtest-dev ships the built libraries and CMake config).
# Idempotent and non-interactive; runs `apt-get update` only when something
# is missing. Go is expected at /usr/local/go/bin/go (or on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
apt_install build-essential cmake pkg-config valgrind libgtest-dev
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
    apt_install golang-go
fi
