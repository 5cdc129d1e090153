#!/usr/bin/env bash
# Runs the README's C commands exactly as printed (the ```sh block after the
# "CI runs this block as printed" comment), in a fresh shell: an empty
# environment but PATH and the Rust toolchain's homes, a throwaway HOME, the
# repository root as the working directory. PROFILE (default release-capi,
# as a user gets) is passed through so CI can build the debug library.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
block="$(awk '/CI runs this block as printed/ {found=1} found && /^```sh$/ {inside=1; next} inside && /^```$/ {exit} inside {print}' README.md)"
[ -n "$block" ] || { echo "FAIL readme C: no marked block in README.md" >&2; exit 1; }
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
echo "-- README C commands (HOME=$home):"
printf '%s\n' "$block"
out="$home/output.txt"
env -i PATH="$PATH" HOME="$home" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" \
    RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" \
    ${PROFILE:+PROFILE="$PROFILE"} bash -euo pipefail -c "$block" >"$out" 2>&1 || {
    cat "$out"
    echo "FAIL readme C: the commands failed as printed" >&2
    exit 1
}
grep -q "signed in" "$out" || { cat "$out"; echo "FAIL readme C: the example did not sign in" >&2; exit 1; }
echo "PASS readme C: built, installed under \$HOME/.local, compiled the example, signed in"
