#!/usr/bin/env bash
# The public Rust API only changes deliberately: lists it from rustdoc's JSON
# output (all features) and compares it with the released baseline in
# docs/api/rust-public-api.txt (scripts/rust-api.py). A removed or changed
# item fails unless Cargo.toml's version is a new semver-major one and
# CHANGELOG.md has a "### Breaking" section under [Unreleased]; additions
# pass. Costs one rustdoc run of this crate: the dependencies' metadata is
# the one `cargo doc` already built.
#   scripts/check-rust-api.sh                 check
#   scripts/check-rust-api.sh --bless         write the baseline from this tree (at a release)
#   scripts/check-rust-api.sh --bless-from REV  write it from the release's commit REV (after a
#                                             change of this script or of the toolchain)
#   scripts/check-rust-api.sh --bless-names   check, and write docs/api/public-names.txt from this tree
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target="$(cd "${CARGO_TARGET_DIR:-target}" 2>/dev/null && pwd || echo "$root/target")"
baseline=docs/api/rust-public-api.txt
# rustdoc_json DIR: the JSON of the crate in DIR, in $target/doc
rustdoc_json() {
    (cd "$1" && CARGO_TARGET_DIR="$target" RUSTDOC="$root/scripts/rustdoc-json.sh" \
        cargo rustdoc --quiet --lib --all-features -- -Z unstable-options --output-format json)
}
json="$target/doc/oauthkit.json"
case "${1:-}" in
    --bless)
        rustdoc_json "$root"
        version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
        python3 scripts/rust-api.py list "$json" "$version" >"$baseline"
        echo "wrote $baseline ($(grep -vc '^#' "$baseline") items, version $version)"
        exit 0 ;;
    --bless-from)
        rev="${2:?--bless-from needs a commit}"
        tree="$(mktemp -d)"
        trap 'git worktree remove --force "$tree" >/dev/null 2>&1; rm -rf "$tree"' EXIT
        git worktree add --quiet --detach "$tree" "$rev"
        rustdoc_json "$tree"
        version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$tree/Cargo.toml" | head -n1)"
        python3 scripts/rust-api.py list "$json" "$version" >"$baseline"
        echo "wrote $baseline from $rev ($(grep -vc '^#' "$baseline") items, version $version)"
        exit 0 ;;
esac
rustdoc_json "$root"
python3 scripts/rust-api.py self-test "$json"
python3 scripts/rust-api.py check "$json" "$baseline" Cargo.toml CHANGELOG.md
# The public tree's names (structs, enums and traits outside `unversioned`)
# are listed in docs/api/public-names.txt: adding or removing one is a
# choice made in the same commit (docs/ARCHITECTURE.md, "What is public").
names=docs/api/public-names.txt
now="$(python3 scripts/rust-api.py list "$json" 0 | awk '$2=="struct"||$2=="enum"||$2=="trait"{print $1}' \
    | grep -v '::unversioned::' | grep -vE '::.*::.*::' | LC_ALL=C sort -u)"
if [ "${1:-}" = --bless-names ]; then
    printf '%s\n' "$now" >"$names"
    echo "wrote $names ($(grep -c . "$names") names)"
elif ! diff -u "$names" <(printf '%s\n' "$now") >/dev/null; then
    echo "FAIL public names: the public tree differs from $names (+ added, - removed):"
    diff -u "$names" <(printf '%s\n' "$now") | grep -E '^[-+]oauthkit' | sed 's/^/  /'
    echo "  if the change is meant: scripts/check-rust-api.sh --bless-names, and say why in docs/ARCHITECTURE.md"
    exit 1
else
    echo "PASS public names: $(grep -c . "$names") structs, enums and traits outside unversioned, as $names lists"
fi
