#!/usr/bin/env bash
# Fails when include/oauthkit.h differs from what build.rs generates from
# src/capi. Run from anywhere; needs only cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
fresh="$(mktemp "${TMPDIR:-/tmp}/oauthkit-header.XXXXXX")"
trap 'rm -f "$fresh"' EXIT

# Strict: a cbindgen failure is a build failure here, not a warning. The
# header is generated only with the `capi` feature (build.rs).
OAUTHKIT_HEADER_STRICT=1 OAUTHKIT_HEADER_OUT="$fresh" cargo build --quiet --lib --features capi
# A normal build may already have rewritten the working copy, so compare
# with the committed header when there is one.
committed="include/oauthkit.h"
if git rev-parse --verify -q HEAD >/dev/null 2>&1 && git cat-file -e HEAD:include/oauthkit.h 2>/dev/null; then
    committed="$(mktemp "${TMPDIR:-/tmp}/oauthkit-committed.XXXXXX")"
    trap 'rm -f "$fresh" "$committed"' EXIT
    git show HEAD:include/oauthkit.h >"$committed"
fi
if diff -u --label committed "$committed" --label generated "$fresh"; then
    echo "PASS header: the committed include/oauthkit.h matches what build.rs generates"
else
    echo "FAIL header: include/oauthkit.h is stale; run 'cargo build --features capi' and commit include/oauthkit.h" >&2
    exit 1
fi
