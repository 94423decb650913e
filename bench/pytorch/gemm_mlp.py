"""Workload 4, twin of bench/gemm_mlp.c: steps of a 784-1024-1024-10 MLP,
batch 256, with their GFLOP/s counted over the same eight products."""
import common
from train import batch_step_mlp

BATCH, STEPS_PER_CALL = 256, 5
PRODUCTS = [(BATCH, 1024, 784), (BATCH, 1024, 1024), (BATCH, 10, 1024), (10, 1024, BATCH),
            (BATCH, 1024, 10), (1024, 1024, BATCH), (BATCH, 1024, 1024), (1024, 784, BATCH)]
FLOPS = sum(2.0 * m * n * k for m, n, k in PRODUCTS)


args = common.parse()
s = batch_step_mlp([784, 1024, 1024, 10], BATCH)
t = common.time_median(lambda: s.steps(STEPS_PER_CALL), args.reps) / STEPS_PER_CALL
common.report("gemm_mlp_step", args.threads, t, FLOPS / t * 1e-9)
