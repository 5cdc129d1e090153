#!/usr/bin/env bash
# Runs every test of oauthkit on a fresh machine: installs what the tests
# need (apt packages, npm packages, Python venvs, cargo-fuzz, a Secret
# Service), checks formatting, lints, the MSRV and the docs, then runs the
# Rust tests with all features, the fuzz targets (beside the C/C++/Go and
# Python tests, which share nothing with them), the C/C++/Go tests, the
# Python package's tests and the release artifacts, installed and tried
# from outside the repository. Each step prints the seconds since the start.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
# A test whose tool or service is missing fails here instead of being
# skipped (tests/support/src/needs.rs): CI runs every test.
export OAUTHKIT_REQUIRE_ALL=1
started=$(date +%s)
step() { echo "== [$(($(date +%s) - started)) s] $*"; }

step "setup"
for setup in scripts/setup-*.sh; do
  echo "-- $setup"
  bash "$setup"
done
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

step "no import circles between source files (scripts/check-import-cycles.py)"
python3 scripts/check-import-cycles.py

step "cargo clippy"
cargo clippy --all-targets --all-features -- -D warnings

step "MSRV (rust-version in Cargo.toml)"
# clippy just built every target with every feature on this toolchain
MSRV_BUILT_WITH_INSTALLED=1 bash scripts/check-msrv.sh

step "cargo doc (all features, warnings are errors)"
# docs.rs's own configuration (nightly, --cfg docsrs) is checked by
# `RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-D warnings --cfg docsrs" cargo doc
# --all-features --no-deps`; it recompiles every dependency, so CI leaves it out.
RUSTDOCFLAGS="-D warnings" cargo doc --all-features --no-deps

step "public Rust API against the 0.1.0 baseline (scripts/check-rust-api.sh)"
bash scripts/check-rust-api.sh

step "cargo test --all-features"
scripts/with-keyring.sh cargo test --all-features --no-fail-fast

# The fuzz targets build in fuzz/target and run beside the C ABI and Python
# tests; they start after cargo test so that its timing-bound tests
# (network timeouts, lock contention) do not share the CPU with them.
step "fuzz targets, in the background (scripts/fuzz.sh, log: target/fuzz.log)"
scripts/fuzz.sh "${FUZZ_SECONDS:-20}" >target/fuzz.log 2>&1 &
fuzz_pid=$!

step "C ABI: C, C++, Go"
# A debug build reuses what cargo test just compiled (a release build would
# add minutes on a fresh machine); `scripts/test-ffi.sh` alone builds release.
PROFILE="${PROFILE:-debug}" bash scripts/test-ffi.sh

step "Python package: pytest"
PROFILE=debug bash scripts/build-python.sh
# The type hints the package ships (py.typed) are checked strictly.
target/python-venv/bin/python -m mypy --strict --ignore-missing-imports --cache-dir target/mypy-cache python/oauthkit
# From the repository root, so the installed wheel is imported (not python/).
# pytest exits non-zero on failures and with 5 when it collected nothing.
target/python-venv/bin/python -m pytest python/tests

step "release artifacts: scripts/release.sh (debug), scripts/check-release.sh"
# Both libraries (the C tarball's, with the wheel's features, and the
# wheel's) are one build, linked by zig against glibc 2.17's symbols
# (OAK_GLIBC, scripts/build-capi.sh --glibc): a debug build of its own
# target. check-release.sh installs the tarball and the wheel outside the
# repository and builds C, C++, Go and Python programs against them.
PROFILE=debug FEATURES="$(scripts/build-wheel.sh --print-features)" scripts/release.sh --out target/release-artifacts
bash scripts/check-release.sh target/release-artifacts

step "fuzz targets"
wait "$fuzz_pid" || { cat target/fuzz.log; exit 1; }
sed -n '/^target /,$p' target/fuzz.log
step "cargo package: the file list, then cargo publish --dry-run (scripts/check-package.sh)"
# builds the packaged crate with the default features in target/package:
# about 2 minutes the first time on a target without the default-feature
# dependencies, seconds when warm
bash scripts/check-package.sh
step "the checkout is as the tests found it"
# Tests write only under temporary directories: anything new, changed or
# deleted in the work tree (ignored build output aside) is a defect.
dirty=$(git status --porcelain --untracked-files=all)
if [ -n "$dirty" ]; then
  echo "the test suite left the checkout dirty:" >&2
  echo "$dirty" >&2
  exit 1
fi
step "all tests passed"
