#!/usr/bin/env bash
# Checks the declared minimum Rust version (rust-version in Cargo.toml):
#  1. it is not lower than the rust-version of any dependency in the lock
#     file with every feature on (cargo metadata), so the number is true;
#  2. the crate builds with every feature on that toolchain
#     (`cargo +MSRV check --all-features --all-targets`). When rustup cannot
#     install that toolchain (no network) but the installed rustc is that
#     version, the installed one is used and the script says so; otherwise it
#     fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
msrv="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
[ -n "$msrv" ] || { echo "FAIL msrv: no rust-version in Cargo.toml"; exit 1; }

cargo metadata --format-version 1 --all-features --locked >"${TMPDIR:-/tmp}/oak-metadata.json"
python3 - "$msrv" "${TMPDIR:-/tmp}/oak-metadata.json" <<'PY'
import json, sys
msrv, path = sys.argv[1], sys.argv[2]
meta = json.load(open(path))
used = {n["id"] for n in meta["resolve"]["nodes"]}
def v(s): return tuple(int(x) for x in s.split("."))
need = [(v(p["rust_version"]), p["name"], p["version"], p["rust_version"])
        for p in meta["packages"] if p["id"] in used and p.get("rust_version")
        and not p["source"] is None]
need.sort()
top = need[-1]
print(f"highest dependency rust-version: {top[3]} ({top[1]} {top[2]}); declared: {msrv}")
if v(msrv) < top[0]:
    print(f"FAIL msrv: rust-version {msrv} is lower than {top[1]} {top[2]} needs ({top[3]})")
    sys.exit(1)
PY

installed="$(rustc --version | awk '{print $2}')"
if [ -n "${MSRV_BUILT_WITH_INSTALLED:-}" ] && { [ "${installed%.*}" = "$msrv" ] || [ "$installed" = "$msrv" ]; }; then
    # the caller (scripts/test.sh) already built every target with every
    # feature on the installed rustc, which is the declared version
    echo "PASS msrv: every target was built with the installed rustc $installed = rust-version $msrv"
    exit 0
fi
if rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1; then
    cargo +"$msrv" check --all-features --all-targets --locked
    echo "PASS msrv: builds with Rust $msrv"
elif [ "${installed%.*}" = "$msrv" ] || [ "$installed" = "$msrv" ]; then
    echo "NOTE msrv: rustup cannot install $msrv here; using the installed rustc $installed, which is that version"
    cargo check --all-features --all-targets --locked
    echo "PASS msrv: builds with Rust $installed"
else
    echo "FAIL msrv: toolchain $msrv is not installed and cannot be installed (installed: $installed)"
    exit 1
fi
