#!/bin/sh
# Runs every C benchmark next to its PyTorch twin and prints the table:
#   ./bench/run.sh BUILD_DIR        (what `make bench` calls)
# The pairs alternate (C, PyTorch, C, PyTorch, ...) ROUNDS times at each
# thread count; each process reports the median of REPS timed repetitions
# after one warm-up, and the table shows the median over rounds.
# Environment: TG_BENCH_ROUNDS (5), TG_BENCH_REPS (5), TG_BENCH_THREADS
# ("1 2"), TG_BENCH_ONLY (a space-separated subset of the workloads),
# TG_BENCH_PYTHON (/usr/bin/python3, which has Debian's python3-torch), TG_ISA
# (the kernels' path: baseline, avx2 or avx512; the CPU's widest by default).
# Both processes of a t-thread pair run on the same first t CPUs (taskset):
# on a shared VM a process moved between vCPUs ran up to 40% slower, which
# made single rows swing; pinning gives both libraries the same, steady cores.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
here=$(cd "$(dirname "$0")" && pwd)
rounds=${TG_BENCH_ROUNDS:-5}
reps=${TG_BENCH_REPS:-5}
threads=${TG_BENCH_THREADS:-"1 2"}
workloads=${TG_BENCH_ONLY:-"moons iris digits gemm_mlp op_overhead backward_chain data sequence mlp2048 lenet"}
python=${TG_BENCH_PYTHON:-/usr/bin/python3}

for w in $workloads; do
  if [ ! -x "$build/bench/bench_$w" ]; then
    echo "run.sh: $build/bench/bench_$w is missing: configure with -DTG_BUILD_BENCH=ON" \
      "(the default) and build first" >&2
    exit 1
  fi
done
twins=yes
if ! "$python" -c "import torch, sklearn" 2>/dev/null; then
  echo "run.sh: $python cannot import torch and sklearn (apt-get install python3-torch" \
    "python3-sklearn); timing tensorgrad alone" >&2
  twins=no
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
# The hand-written kernels run one instruction-set path, the widest the CPU
# has unless TG_ISA (baseline, avx2, avx512) names a narrower one
# (tensor/simd.h); the benchmark itself says which.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has_flag() { case " $flags " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
first=$(echo $workloads | cut -d' ' -f1)
kernels=$("$build/bench/bench_$first" --simd-path)
echo "cpu: AVX-512F $(has_flag avx512f), AVX2 $(has_flag avx2); kernels: $kernels path${TG_ISA:+ (TG_ISA=$TG_ISA)}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# "taskset -c 0-(t-1)" when taskset exists and there are enough CPUs
cpus_for() {
  if command -v taskset >/dev/null 2>&1 && [ "$1" -le "$(nproc)" ]; then
    echo "taskset -c 0-$(($1 - 1))"
  fi
}

for t in $threads; do
  pin=$(cpus_for "$t")
  for w in $workloads; do
    printf 'running %s at %s thread(s): ' "$w" "$t" >&2
    r=0
    while [ "$r" -lt "$rounds" ]; do
      $pin "$build/bench/bench_$w" --threads "$t" --reps "$reps" |
        sed -n 's/^RESULT /tensorgrad /p' >>"$results"
      if [ "$twins" = yes ]; then
        (cd "$here/pytorch" && OMP_NUM_THREADS=$t $pin "$python" "$w.py" --threads "$t" --reps "$reps") |
          sed -n 's/^RESULT /pytorch /p' >>"$results"
      fi
      printf '.' >&2
      r=$((r + 1))
    done
    echo >&2
  done
done
"$python" "$here/table.py" "$results"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
