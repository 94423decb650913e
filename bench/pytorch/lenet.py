"""Twin of bench/lenet.c: LeNet-5 training steps (SGD momentum 0.9) on
1x28x28 random input at batch 64 and 256, and the fashion_mnist example's
CNN (AdamW, weight decay 1e-2, training mode) at batch 128;
CrossEntropyLoss throughout."""
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


def fashion_cnn():  # examples/pytorch/fashion_mnist.py's cnn()
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 10))


def sgd_momentum(model):
    return optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def adamw(model):
    return optim.AdamW(model.parameters(), weight_decay=1e-2)


def run(workload, model_fn, optimizer_fn, batch, args):
    torch.manual_seed(0)
    model = model_fn()
    optimizer = optimizer_fn(model)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    s = BatchStep(model, optimizer, x, y)
    common.report(workload, args.threads, common.time_median(lambda: s.steps(1), args.reps))


args = common.parse()
run("lenet_b64_step", lenet, sgd_momentum, 64, args)
run("lenet_b256_step", lenet, sgd_momentum, 256, args)
run("fashion_cnn_b128_step", fashion_cnn, adamw, 128, args)
