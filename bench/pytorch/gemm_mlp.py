"""Workload 4, twin of bench/gemm_mlp.c: steps of a 784-1024-1024-10 MLP,
batch 256, with their GFLOP/s counted over the same eight products."""
import torch
import torch.nn as nn
import torch.optim as optim

import common
from train import mlp

BATCH, STEPS_PER_CALL = 256, 5
PRODUCTS = [(BATCH, 1024, 784), (BATCH, 1024, 1024), (BATCH, 10, 1024), (10, 1024, BATCH),
            (BATCH, 1024, 10), (1024, 1024, BATCH), (BATCH, 1024, 1024), (1024, 784, BATCH)]
FLOPS = sum(2.0 * m * n * k for m, n, k in PRODUCTS)


def steps():
    for _ in range(STEPS_PER_CALL):
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss.item()


args = common.parse()
torch.manual_seed(0)
model = mlp([784, 1024, 1024, 10], relu=True, sigmoid=False)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(BATCH, 784)
y = torch.randint(0, 10, (BATCH,))
t = common.time_median(steps, args.reps) / STEPS_PER_CALL
common.report("gemm_mlp_step", args.threads, t, FLOPS / t * 1e-9)
