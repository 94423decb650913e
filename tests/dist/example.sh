#!/usr/bin/env bash
# examples/ddp_digits under mpirun: 2 ranks train 2 epochs and rank 0 alone
# writes the checkpoint, losses and TensorBoard; then 4 ranks resume from
# that checkpoint for a third epoch. Usage: example.sh MPIEXEC BUILD_DIR
set -euo pipefail
mpiexec=$1
program=$2/examples/ddp_digits
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
fail() { echo "FAIL: $*"; exit 1; }

first=$("$mpiexec" -np 2 --oversubscribe "$program" --epochs 2 --out "$out")
echo "$first"
summary=$(echo "$first" | tail -1)
[[ $summary == "ddp_digits: world_size=2 epochs=2 final_loss="* ]] || fail "summary: $summary"
acc=$(echo "$summary" | sed 's/.*test_acc=\([0-9.]*\).*/\1/')
awk -v a="$acc" 'BEGIN { exit !(a > 0.8) }' || fail "test accuracy $acc after 2 epochs"
[ "$(wc -l <"$out/losses.txt")" -eq 46 ] || fail "losses.txt: 2 epochs x 23 steps expected"
[ -s "$out/checkpoint.safetensors" ] || fail "no checkpoint"
[ "$(ls "$out/tensorboard" | wc -l)" -eq 1 ] || fail "one event file expected (rank 0 only)"

second=$("$mpiexec" -np 4 --oversubscribe "$program" --epochs 3 --resume --out "$out")
echo "$second"
echo "$second" | grep -q "resumed from .* after epoch 1 on 4 ranks" || fail "no resume"
echo "$second" | tail -1 | grep -q "ddp_digits: world_size=4 epochs=3" || fail "resumed summary"
[ "$(wc -l <"$out/losses.txt")" -eq 58 ] || fail "losses.txt: 46 + 12 steps at 4 ranks"
echo "ddp_digits: trained at 2 ranks, resumed at 4"
