"""Workload 2, twin of bench/iris.c: Iris epochs (timed 20 at a time)."""
import torch
import torch.optim as optim
from sklearn.datasets import load_iris

import common
from train import Task, mlp

EPOCHS_PER_CALL = 20


def epochs():
    for _ in range(EPOCHS_PER_CALL):
        task.epoch()


args = common.parse()
torch.manual_seed(0)
X, y = load_iris(return_X_y=True)
task = Task(X, y, 10, bce=False, validate=False)
task.model = mlp([4, 50, 100, 3], relu=True, sigmoid=False)
task.optimizer = optim.Adam(task.model.parameters(), lr=1e-3)
common.report("iris_epoch", args.threads, common.time_median(epochs, args.reps) / EPOCHS_PER_CALL)
