"""Twin of bench/lenet.c: LeNet-5 training steps (SGD momentum 0.9,
CrossEntropyLoss) on 1x28x28 random input at batch 64 and 256."""
import torch
import torch.nn as nn
import torch.optim as optim

import common
from train import BatchStep


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def run(workload, batch, args):
    torch.manual_seed(0)
    model = lenet()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    s = BatchStep(model, optimizer, x, y)
    common.report(workload, args.threads, common.time_median(lambda: s.steps(1), args.reps))


args = common.parse()
run("lenet_b64_step", 64, args)
run("lenet_b256_step", 256, args)
