#!/bin/sh
# Data-parallel scaling of the GEMM-bound MLP step (bench/ddp_gemm.c) at 1, 2
# and 4 processes, beside PyTorch DDP on gloo (bench/pytorch/ddp_gemm.py):
#   ./bench/ddp.sh BUILD_DIR
# Weak scaling: every process trains on its own batch of 256 with one BLAS
# thread, so with enough cores the step time would stay flat. Efficiency is
# t_step(1) / t_step(N); "compute" is the same step without communication
# (no_sync). 4 processes on a 2-core machine are oversubscribed (2 per core).
# Environment: TG_BENCH_REPS (5), TG_BENCH_PROCS ("1 2 4"), TG_BENCH_PYTHON.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
here=$(cd "$(dirname "$0")" && pwd)
reps=${TG_BENCH_REPS:-5}
procs=${TG_BENCH_PROCS:-"1 2 4"}
python=${TG_BENCH_PYTHON:-/usr/bin/python3}
program=$build/bench/bench_ddp_gemm
if [ ! -x "$program" ]; then
  echo "ddp.sh: $program is missing: it is built when CMake finds MPI" \
    "(scripts/install-deps.sh libopenmpi-dev openmpi-bin)" >&2
  exit 1
fi
cores=$(nproc) # before OMP_NUM_THREADS, which nproc obeys
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 \
  OMP_NUM_THREADS=1
twins=yes
"$python" -c "import torch.distributed" 2>/dev/null || twins=no

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores, load average $(cut -d' ' -f1 /proc/loadavg)"
for n in $procs; do
  echo "running $n process(es)" >&2
  mpirun -np "$n" --oversubscribe "$program" --reps "$reps" | grep '^DDP ' >>"$results"
  if [ $twins = yes ]; then
    (cd "$here/pytorch" && "$python" ddp_gemm.py --world-size "$n" --reps "$reps") |
      grep '^DDP ' >>"$results"
  fi
done
# DDP <impl> <N> <step s> <compute s> <gradient bytes> <buckets>
awk '
  { impl[NR] = $2; n[NR] = $3; step[NR] = $4; comp[NR] = $5; bytes = $6
    if ($3 == 1) base[$2] = $4 }
  END {
    printf "gradients: %.2f MB of float32 per step\n\n", bytes / 1e6
    print "| library | processes | step ms | compute ms (no_sync) | communication ms | samples/s | efficiency |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= NR; i++)
      printf "| %s | %d | %.1f | %.1f | %.1f | %.0f | %.0f%% |\n", impl[i], n[i],
             step[i] * 1e3, comp[i] * 1e3, (step[i] - comp[i]) * 1e3,
             256 * n[i] / step[i], 100 * base[impl[i]] / step[i]
  }' "$results"
