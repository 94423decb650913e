"""Workload 5, twin of bench/op_overhead.c: c = a + b on 16x16 float32,
recorded (a requires grad) and under no_grad."""
import torch

import common

OPS_PER_CALL = 100000


def ops():
    for _ in range(OPS_PER_CALL):
        c = a + b  # noqa: F841 (dropped by the next iteration, as in C)


def ops_no_grad():
    with torch.no_grad():
        ops()


args = common.parse()
torch.manual_seed(0)
a = torch.randn(16, 16, requires_grad=True)
b = torch.randn(16, 16)
common.report("add_16x16_recorded", args.threads, common.time_median(ops, args.reps) / OPS_PER_CALL)
common.report("add_16x16_no_grad", args.threads,
              common.time_median(ops_no_grad, args.reps) / OPS_PER_CALL)
