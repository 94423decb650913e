#!/usr/bin/env bash
# Runs tests/dist/dist_fault under mpirun -np 2 with rank 1 dying, raising an
# error and hanging: each time the job must fail within seconds (never hang)
# with a message naming the rank. Usage: faults.sh MPIEXEC DIST_FAULT
set -uo pipefail
mpiexec=$1
program=$2
limit=30 # seconds a faulty job may take, start-up included
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TG_DIST_TIMEOUT=3
failures=0

# run MODE EXPECT_STATUS PATTERN: status 0 or "fail"; PATTERN must be in the output
run() {
  local mode=$1 expect=$2 pattern=$3 log started elapsed status
  log=$(mktemp)
  started=$(date +%s%N)
  timeout 120 "$mpiexec" -np 2 --oversubscribe "$program" "$mode" >"$log" 2>&1
  status=$?
  elapsed=$((($(date +%s%N) - started) / 1000000)) # ms
  local ok=1
  if [ "$expect" = 0 ] && [ $status -ne 0 ]; then ok=0; fi
  if [ "$expect" = fail ] && [ $status -eq 0 ]; then ok=0; fi
  if [ $status -eq 124 ]; then ok=0; fi # timeout(1): the job hung
  if [ "$elapsed" -gt $((limit * 1000)) ]; then ok=0; fi
  grep -q -- "$pattern" "$log" || ok=0
  if [ $ok = 1 ]; then
    echo "ok   $mode: status $status after $elapsed ms"
  else
    echo "FAIL $mode: status $status after $elapsed ms, expected '$pattern' in:"
    sed 's/^/     | /' "$log"
    failures=$((failures + 1))
  fi
  rm -f "$log"
}

run ok 0 "dist_fault: 5 steps on 2 ranks"
run die fail "rank 1 with PID .* exited on signal 9"
run error fail "tensorgrad: rank 1 of 2: tg_matmul"
run hang fail "tensorgrad: rank 0 of 2: tg_ddp: all-reduce of gradient bucket: timed out after 3 s"
exit $failures
