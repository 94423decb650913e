"""Workload 3, twin of bench/digits.c: one digits MLP epoch."""
import torch
import torch.optim as optim
from sklearn.datasets import load_digits

import common
from train import Task, mlp

args = common.parse()
torch.manual_seed(0)
X, y = load_digits(return_X_y=True)
task = Task(X, y, 32, bce=False, validate=False)
task.model = mlp([64, 128, 64, 10], relu=True, sigmoid=False)
task.optimizer = optim.Adam(task.model.parameters(), lr=1e-3)
common.report("digits_epoch", args.threads, common.time_median(task.epoch, args.reps))
