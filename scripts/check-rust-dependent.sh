#!/usr/bin/env bash
# Proves that a Rust project depending on oauthkit pays nothing for the C
# ABI: it builds a small crate in a temporary directory that depends on this
# checkout by path (with the README's dependency line), then checks that
#   - cargo produced no liboauthkit .so/.a/.dylib and never compiled cbindgen,
#   - oauthkit's rlib and the program contain no oak_ symbol,
#   - the program runs (it saves and loads a token set).
# The dependent's target directory is target/rust-dependent (kept between
# runs so a second run is quick; it holds nothing but this check's build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}/rust-dependent"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
package="$(sed -n 's/^name = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"

mkdir -p "$work/src"
cat >"$work/Cargo.toml" <<EOF
[package]
name = "oauthkit-dependent-check"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$package = { path = "$root" }

[workspace]
EOF
cat >"$work/src/main.rs" <<'EOF'
use oauthkit::{store, TokenSet, TokenStore};

fn main() -> oauthkit::Result<()> {
    let store = store::open("memory:")?;
    store.save("alice", &TokenSet::bearer("at").with_expires_in(3600))?;
    assert!(store.load("alice")?.is_some());
    // The README's default store needs the `keyring` feature, which this
    // build lacks: the error names the feature, not a keyring to start.
    let err = match store::open_default_for("dependent-check") {
        Ok(_) => panic!("the default store opened in a build without the keyring feature"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert_eq!(err.kind(), oauthkit::ErrorKind::Unsupported, "{text}");
    assert!(text.contains("--features keyring"), "{text}");
    assert!(!text.contains("Start a keyring"), "{text}");
    println!("dependent ok");
    Ok(())
}
EOF
# A fresh lock file would resolve newer versions than the project's; start
# from the project's.
cp "$root/Cargo.lock" "$work/Cargo.lock"

fail() { echo "FAIL rust dependent: $*" >&2; exit 1; }
# C libraries left by an earlier run of another configuration must not
# decide this run; cargo does not need them for an rlib-only build.
if [ -d "$target" ]; then
    find "$target" \( -name 'liboauthkit*.so*' -o -name 'liboauthkit*.a' -o -name 'liboauthkit*.dylib' \) -delete
fi
json="$work/build.json"
(cd "$work" && CARGO_TARGET_DIR="$target" cargo build --quiet --message-format=json >"$json") ||
    fail "cargo build of the dependent crate failed"

if grep -q '"name":"cbindgen"' "$json" || ls "$target"/debug/build | grep -q '^cbindgen-'; then
    fail "cbindgen was compiled for a Rust dependent"
fi
# what cargo reports for the oauthkit library target, fresh or rebuilt
kinds="$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "oauthkit":
        print(" ".join(m["target"]["crate_types"]), *m["filenames"])
' "$json")"
[ -n "$kinds" ] || fail "cargo reported no artifact for the oauthkit library"
case "$kinds" in
    *cdylib*|*staticlib*|*.so*|*.a\ *|*.a) fail "cargo built C library kinds for oauthkit: $kinds" ;;
esac
libs="$(find "$target" \( -name 'liboauthkit*.so*' -o -name 'liboauthkit*.a' -o -name 'liboauthkit*.dylib' \) -print)"
[ -z "$libs" ] || fail "C libraries were built: $libs"
rlib="$(find "$target/debug/deps" -name 'liboauthkit-*.rlib' | head -n1)"
[ -n "$rlib" ] || fail "no oauthkit rlib under $target/debug/deps"
if nm "$rlib" 2>/dev/null | grep -q ' oak_'; then
    fail "$rlib defines oak_ symbols"
fi
bin="$target/debug/oauthkit-dependent-check"
if nm "$bin" | grep -q ' oak_'; then
    fail "the dependent program contains oak_ symbols"
fi
# a throwaway HOME: the default store creates its folder before it looks
# for a key
[ "$(HOME="$work" XDG_DATA_HOME="$work/data" OAUTHKIT_STORE= OAUTHKIT_ALLOW_PLAINTEXT= "$bin")" = "dependent ok" ] ||
    fail "the dependent program did not run"
# what a dependent compiles with default features (README, "What it costs a
# small program"): every crate cargo builds for it, build scripts' included
crates="$(cd "$work" && cargo tree --quiet -e normal,build --prefix none |
    sed 's/ (\*)//' | sort -u | grep -vc '^oauthkit-dependent-check ')"
[ "$crates" -le 60 ] ||
    fail "a dependent with default features compiles $crates crates (at most 60 allowed, README "What it costs a small program"; cargo tree -e normal,build)"
echo "PASS rust dependent: $crates crates compiled with default features"
echo "PASS rust dependent: $package builds as an rlib only ($(basename "$rlib")), no C library, no cbindgen, no oak_ symbol"
