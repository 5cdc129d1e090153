#!/usr/bin/env bash
# Installs what scripts/fuzz.sh needs: cargo-fuzz (libFuzzer driver, built
# from crates.io, about 2 minutes) and a C/C++ compiler for libFuzzer itself.
# Idempotent and non-interactive: skips what is installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export PATH="$HOME/.cargo/bin:$PATH"
apt_install build-essential
if cargo fuzz --version >/dev/null 2>&1; then
  exit 0
fi
echo "installing cargo-fuzz 0.13"
cargo install --locked cargo-fuzz --version '^0.13'
