#!/usr/bin/env bash
# The crate as crates.io would get it: `cargo package --list` holds only
# what a Rust user builds (Cargo.toml's `include`), every file the build
# needs is there, then `cargo publish --dry-run` packs it and builds it
# with the default features in target/package (about 2 minutes of CPU on
# a target without the default-feature dependencies, a few seconds warm).
# NO_VERIFY=1 skips that build (list and `cargo package --no-verify` only).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

list=$(cargo package --allow-dirty --list 2>/dev/null)
unexpected=$(printf '%s\n' "$list" | grep -Ev \
  '^(src/.*\.rs|build\.rs|cbindgen\.toml|include/oauthkit\.h|README\.md|CHANGELOG\.md|LICENSE-MIT|LICENSE-APACHE|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json)$' || true)
if [ -n "$unexpected" ]; then
  echo "the package would hold files a Rust user does not need (Cargo.toml include):" >&2
  echo "$unexpected" >&2
  exit 1
fi
for needed in src/lib.rs src/bin/oauthkit/main.rs build.rs cbindgen.toml include/oauthkit.h \
  README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE Cargo.toml; do
  if ! printf '%s\n' "$list" | grep -qx "$needed"; then
    echo "the package lacks $needed" >&2
    exit 1
  fi
done
# every source file git tracks under src/ is packaged (none left out)
missing=$(comm -23 <(git ls-files 'src/*.rs' | sort) <(printf '%s\n' "$list" | grep '^src/' | sort))
if [ -n "$missing" ]; then
  echo "tracked sources missing from the package:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "package list: $(printf '%s\n' "$list" | wc -l) files, all expected"

# cargo warns that it drops the tests, benches and examples it does not
# package; those lines are expected and filtered out
if [ "${NO_VERIFY:-0}" = 1 ]; then
  cargo package --allow-dirty --no-verify 2>&1 | { grep -v '^warning: ignoring ' || true; }
else
  cargo publish --dry-run --allow-dirty 2>&1 | { grep -v '^warning: ignoring ' || true; }
fi
