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

echo "== MSRV (rust-version in Cargo.toml)"
bash scripts/check-msrv.sh

echo "== cargo doc (as docs.rs builds it: all features, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --all-features --no-deps
# docs.rs uses nightly with --cfg docsrs (the feature badges); check that
# configuration too with the installed compiler
RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-D warnings --cfg docsrs" cargo doc --all-features --no-deps

echo "== cargo test --all-features"
scripts/with-keyring.sh cargo test --all-features

echo "== C ABI: C, C++, Go"
# A debug build reuses what cargo test just compiled (a release build would
# add minutes on a fresh machine); `scripts/test-ffi.sh` alone builds release.
PROFILE="${PROFILE:-debug}" bash scripts/test-ffi.sh

echo "== Python package: pytest"
# Debug build with all features: reuses the library cargo test just built.
PROFILE=debug bash scripts/build-python.sh
# The type hints the package ships (py.typed) are checked strictly.
target/python-venv/bin/python -m mypy --strict --ignore-missing-imports --cache-dir target/mypy-cache python/oauthkit
# From the repository root, so the installed wheel is imported (not python/).
# pytest exits non-zero on failures and with 5 when it collected nothing.
target/python-venv/bin/python -m pytest python/tests
echo "== all tests passed"
