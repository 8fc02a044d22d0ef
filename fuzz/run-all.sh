#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) on the stable toolchain
# (`--sanitizer none`), JOBS at a time (default 1; 2 suits a 2-core machine), and prints
# each target's exec count and outcome. Exits non-zero if any target crashed.
#
#   fuzz/run-all.sh [SECONDS] [JOBS]
#
# The committed corpus (fuzz/corpus/TARGET) is only read; new inputs go to
# $KPKI_FUZZ_WORK/corpus/TARGET (default fuzz/target/fuzz-work), logs to
# $KPKI_FUZZ_LOGS/TARGET.log (default $KPKI_FUZZ_WORK/logs), crashing inputs to
# fuzz/artifacts/TARGET/. Set KPKI_FUZZ_TARGETS="a b" to run only some targets.
set -euo pipefail
seconds="${1:-60}"
jobs="${2:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
work="${KPKI_FUZZ_WORK:-$here/target/fuzz-work}"
logs="${KPKI_FUZZ_LOGS:-$work/logs}"
mkdir -p "$logs"
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked" >&2; exit 2; }

cargo fuzz build --sanitizer none >&2
targets="${KPKI_FUZZ_TARGETS:-$(cargo fuzz list)}"

run_one() {
    local t="$1"
    mkdir -p "$work/corpus/$t" "corpus/$t"
    # -max_total_time bounds the run; exit status 0 = no crash within it.
    if cargo fuzz run --sanitizer none "$t" "$work/corpus/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$logs/$t.log" 2>&1; then
        status=ok
    else
        status="CRASH (see $logs/$t.log, fuzz/artifacts/$t/)"
    fi
    local done_line
    done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$logs/$t.log" | tail -1 || true)"
    printf '%-16s %-40s %s\n' "$t" "${done_line:-no Done line}" "$status"
}

failed=0
running=0
pids=()
for t in $targets; do
    run_one "$t" &
    pids+=($!)
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
for t in $targets; do
    grep -qE '^Done [0-9]+ runs' "$logs/$t.log" || failed=1
done
exit "$failed"
