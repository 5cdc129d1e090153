#!/usr/bin/env bash
# Runs every test of oauthkit on a fresh machine: installs what the tests
# need (apt packages, npm packages, a Secret Service), checks formatting and
# lints, then runs the Rust tests with all features and the C/C++/Go tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

echo "== setup"
for setup in scripts/setup-*.sh; do
  echo "-- $setup"
  bash "$setup"
done
rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --all-features -- -D warnings

echo "== cargo test --all-features"
scripts/with-keyring.sh cargo test --all-features

if [ -x scripts/test-ffi.sh ]; then
  echo "== C ABI: C, C++, Go"
  scripts/test-ffi.sh
fi
echo "== all tests passed"
