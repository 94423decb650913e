"""Workload 6, twin of bench/backward_chain.c: backward through 100,000
ops (only the backward is timed)."""
import statistics
import time

import torch

import common

CHAIN = 100000


def one_backward():
    y = x
    for _ in range(CHAIN):
        y = y * 1.0000001
    loss = y.sum()
    start = time.perf_counter()
    loss.backward()
    seconds = time.perf_counter() - start
    x.grad = None
    return seconds


args = common.parse()
x = torch.ones(16, requires_grad=True)
one_backward()  # warm-up
times = [one_backward() for _ in range(args.reps)]
common.report("backward_chain_100k", args.threads, statistics.median(times))
