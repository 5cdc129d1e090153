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

echo "== fuzz targets, in the background (scripts/fuzz.sh, log: target/fuzz.log)"
scripts/fuzz.sh "${FUZZ_SECONDS:-20}" >target/fuzz.log 2>&1 &
fuzz_pid=$!

echo "== C ABI: C, C++, Go"
# A debug build reuses what cargo test just compiled (a release build would
# add minutes on a fresh machine); `scripts/test-ffi.sh` alone builds release.
PROFILE="${PROFILE:-debug}" bash scripts/test-ffi.sh
echo "== fuzz targets"
wait "$fuzz_pid" || { cat target/fuzz.log; exit 1; }
sed -n '/^target /,$p' target/fuzz.log
echo "== all tests passed"
