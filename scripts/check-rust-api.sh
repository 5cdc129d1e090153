#!/usr/bin/env bash
# The public Rust API only changes deliberately: lists it from rustdoc's JSON
# output (all features) and compares it with the released baseline in
# docs/api/rust-public-api.txt (scripts/rust-api.py). A removed or changed
# item fails unless Cargo.toml's version is a new semver-major one and
# CHANGELOG.md has a "### Breaking" section under [Unreleased]; additions
# pass. Costs one rustdoc run of this crate: the dependencies' metadata is
# the one `cargo doc` already built.
#   scripts/check-rust-api.sh           check
#   scripts/check-rust-api.sh --bless   write the baseline (at a release only)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
RUSTDOC="$PWD/scripts/rustdoc-json.sh" cargo rustdoc --quiet --lib --all-features -- \
    -Z unstable-options --output-format json
json="$target/doc/oauthkit.json"
baseline=docs/api/rust-public-api.txt
if [ "${1:-}" = "--bless" ]; then
    version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
    python3 scripts/rust-api.py list "$json" "$version" >"$baseline"
    echo "wrote $baseline ($(grep -vc '^#' "$baseline") items, version $version)"
    exit 0
fi
python3 scripts/rust-api.py self-test "$json"
python3 scripts/rust-api.py check "$json" "$baseline" Cargo.toml CHANGELOG.md
