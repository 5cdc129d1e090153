#!/usr/bin/env bash
# Builds every fuzz target in fuzz/ (cargo-fuzz: libFuzzer, AddressSanitizer,
# debug assertions and overflow checks) and runs each for SECONDS (default
# 20), FUZZ_JOBS targets at a time (default 2). Fails when any target
# crashes; the crashing input is copied to fuzz/regressions/TARGET/ (commit
# it: tests/misc/fuzz_regressions.rs replays it in every `cargo test`) and
# printed in base64. Prints executions and executions/s per target.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Stable Rust runs cargo-fuzz with RUSTC_BOOTSTRAP=1. New inputs found go
# to fuzz/work/ (not committed); fuzz/corpus/ holds the committed seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

seconds="${1:-20}"
shift || true
jobs="${FUZZ_JOBS:-2}"
# FUZZ_BUILD_FLAGS: extra `cargo fuzz build` flags (e.g. `-O` for a long
# run without debug assertions)
read -r -a build_flags <<<"${FUZZ_BUILD_FLAGS:-}"
# FUZZ_ARGS: extra libFuzzer flags for every target
read -r -a fuzz_args <<<"${FUZZ_ARGS:-}"
bash scripts/setup-fuzz.sh >/dev/null

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

work=fuzz/work
rm -rf "$work/logs" "$work/artifacts"
mkdir -p "$work/logs"

start=$(date +%s)
echo "== fuzz: building ${#targets[@]} targets"
if ! cargo fuzz build "${build_flags[@]}" >"$work/logs/build.log" 2>&1; then
  tail -n 60 "$work/logs/build.log"
  exit 1
fi
built=$(date +%s)
echo "   built in $((built - start)) s"


run_one() {
  local t="$1"
  local dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  # The first corpus directory receives new inputs; the committed seeds
  # are only read.
  cargo fuzz run "$t" "$work/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t/" "${dict[@]}" "${fuzz_args[@]}" >"$work/logs/$t.log" 2>&1
}

pids=()
names=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 0.2; done
  run_one "$t" &
  pids+=($!)
  names+=("$t")
done

failed=()
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    failed+=("${names[$i]}")
  fi
done

printf '%-18s %12s %10s %8s\n' target execs "execs/s" corpus
for t in "${targets[@]}"; do
  log="$work/logs/$t.log"
  execs=$(grep -a -o 'stat::number_of_executed_units:[[:space:]]*[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -a -o 'stat::average_exec_per_sec:[[:space:]]*[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(ls "$work/corpus/$t" | wc -l)
  printf '%-18s %12s %10s %8s\n' "$t" "$execs" "$rate" "$corpus"
done
echo "   total $(($(date +%s) - start)) s (${seconds} s per target, ${jobs} at a time)"

if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo "== fuzz target $t FAILED; its log ends:"
    tail -n 40 "$work/logs/$t.log"
    mkdir -p "fuzz/regressions/$t"
    for a in "$work/artifacts/$t"/*; do
      [ -f "$a" ] || continue
      cp "$a" "fuzz/regressions/$t/"
      echo "-- input saved as fuzz/regressions/$t/$(basename "$a"); commit it. base64:"
      base64 -w0 "$a"
      echo
    done
  done
  exit 1
fi
echo "== fuzz: no crashes"
