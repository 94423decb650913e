"""Workload 1, twin of bench/moons.c: one moons epoch with validation."""
import torch
import torch.optim as optim
from sklearn.datasets import make_moons

import common
from train import Task, mlp

args = common.parse()
torch.manual_seed(0)
X, y = make_moons(n_samples=10000, noise=0.3, random_state=0)
task = Task(X, y, 16, bce=True, validate=True)
task.model = mlp([2, 1000, 1], relu=False, sigmoid=True)
task.optimizer = optim.SGD(task.model.parameters(), lr=0.1)
common.report("moons_epoch", args.threads, common.time_median(task.epoch, args.reps))
