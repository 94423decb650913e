"""Twin of bench/mlp2048.c: one step of a 784-2048-2048-10 MLP, batch 512,
Adam, CrossEntropyLoss, on Fashion-MNIST-shaped random float32 input."""
import torch
import torch.nn as nn
import torch.optim as optim

import common
from train import mlp

BATCH = 512


def step():
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    loss.item()


args = common.parse()
torch.manual_seed(0)
model = mlp([784, 2048, 2048, 10], relu=True, sigmoid=False)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(BATCH, 784)
y = torch.randint(0, 10, (BATCH,))
common.report("mlp2048_step", args.threads, common.time_median(step, args.reps))
