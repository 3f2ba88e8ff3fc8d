#!/usr/bin/env bash
# Runs the suite again and again with a CPU-bound process beside it, as a loaded 2-core CI
# machine runs it: a test that fails one run in N shows up here, not in CI.
#
#   npm run stress                       # the whole suite 10 times, the concurrency suites 50 times
#   FULL_RUNS=3 CONCURRENCY_RUNS=20 npm run stress
#
# Prints runs, failures and wall time for each loop, keeps the log of every failed run in
# reports/stress/, and exits 1 when any run failed. It never retries a run.
set -euo pipefail
cd "$(dirname "$0")/.."

FULL_RUNS="${FULL_RUNS:-10}"
CONCURRENCY_RUNS="${CONCURRENCY_RUNS:-50}"
CONCURRENCY_SUITES=(__tests__/reliability/concurrency.test.ts __tests__/registry/concurrent-push.test.ts)
LOG_DIR=reports/stress
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log

if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
# The bundle is what the end-to-end suites run: build it once, from these sources.
npm run -s package >/dev/null

yes >/dev/null &
load_pid=$!
trap 'kill "$load_pid" 2>/dev/null || true' EXIT

failed_total=0
summary=()

# loop NAME RUNS JEST-ARGS...: runs jest RUNS times, one line per run, one summary line.
loop() {
  local name="$1" runs="$2"
  shift 2
  local failures=0 started ended i
  started=$(date +%s)
  for ((i = 1; i <= runs; i++)); do
    local log="$LOG_DIR/$name-$i.log" run_started
    run_started=$(date +%s)
    if npx jest --ci "$@" >"$log" 2>&1; then
      echo "$name run $i/$runs: passed in $(($(date +%s) - run_started)) s"
      rm -f "$log"
    else
      failures=$((failures + 1))
      echo "$name run $i/$runs: FAILED in $(($(date +%s) - run_started)) s (log: $log)"
      grep -E '^\s+● ' "$log" | sort -u | sed 's/^/    /' || true
    fi
  done
  ended=$(date +%s)
  failed_total=$((failed_total + failures))
  summary+=("$name: $runs runs, $failures failed, $((ended - started)) s wall time")
}

loop full "$FULL_RUNS"
loop concurrency "$CONCURRENCY_RUNS" "${CONCURRENCY_SUITES[@]}"

echo
echo "Stress, with one CPU-bound process (yes >/dev/null) beside every run on $(nproc) cores:"
printf '  %s\n' "${summary[@]}"
[ "$failed_total" -eq 0 ]
