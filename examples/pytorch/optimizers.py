"""Other optimizers (lecture 6), the PyTorch twin of examples/optimizers.c.

1. SGD, SGD with momentum 0.9, RMSprop and Adam train the same network
   (4 -> 50 -> 100 -> 3, the Iris model) on the same batches: the generator
   is re-seeded before each, so the initial weights and the shuffles match.
2. The same four optimizers walk an ill-conditioned quadratic bowl
   f(w) = 0.5 * (A * w1^2 + B * w2^2), B >> A: plain SGD jitters along the
   steep w2 direction and crawls along the shallow w1 direction.

    /usr/bin/python3 examples/pytorch/optimizers.py [--epochs N] [--seed S] [--out DIR]
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

A, B = 0.2, 20.0  # curvatures of the shallow (w1) and the steep (w2) direction
START = (-4.5, 1.5)
PATH_STEPS = 50

# name, summary key, constructor, lr for the network, lr for the bowl.
# PyTorch's momentum is m = beta * m + g (dampening 0), not the slide's
# m = beta * m + (1 - beta) * g: at the same lr its steady steps are
# 1 / (1 - beta) = 10 times the slide's, which is much of why momentum pulls
# ahead of plain SGD at SGD's lr on the network. On the bowl, SGD's lr is
# already at the steep direction's limit (lr * B < 2), so momentum gets a
# smaller one.
OPTIMIZERS = [
    ("SGD", "sgd", lambda p, lr: optim.SGD(p, lr=lr), 0.1, 0.09),
    ("SGD+momentum 0.9", "momentum", lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9), 0.1, 0.02),
    ("RMSprop", "rmsprop", lambda p, lr: optim.RMSprop(p, lr=lr), 0.001, 0.05),
    ("Adam", "adam", lambda p, lr: optim.Adam(p, lr=lr), 0.001, 0.3),
]


def iris_tensors():
    iris = load_iris()
    X_train, _, y_train, _ = train_test_split(iris["data"], iris["target"], test_size=.2,
                                              random_state=13)
    X_train = StandardScaler().fit(X_train).transform(X_train)
    return torch.as_tensor(X_train).float(), torch.as_tensor(y_train)


def train_network(make, lr, dataset, epochs, seed):
    torch.manual_seed(seed)  # same init, same shuffles for every optimizer
    loader = DataLoader(dataset, batch_size=10, shuffle=True)
    model = nn.Sequential(nn.Linear(4, 50), nn.ReLU(), nn.Linear(50, 100), nn.ReLU(),
                          nn.Linear(100, 3))
    optimizer = make(model.parameters(), lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        for X, Y in loader:
            loss = loss_fn(model(X), Y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
    return losses


def bowl(w):
    return 0.5 * (A * w[0] ** 2 + B * w[1] ** 2)


def walk(make, lr):
    w = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = make([w], lr)
    path = [w.detach().numpy().copy()]
    for _ in range(PATH_STEPS):
        loss = bowl(w)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        path.append(w.detach().numpy().copy())
    return np.array(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/optimizers_pytorch")
    args = parser.parse_args()
    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    dataset = TensorDataset(*iris_tensors())
    per_epoch = len(DataLoader(dataset, batch_size=10))

    curves, paths, summary = {}, {}, []
    for name, key, make, lr_net, lr_bowl in OPTIMIZERS:
        curves[name] = train_network(make, lr_net, dataset, args.epochs, args.seed)
        paths[name] = walk(make, lr_bowl)
        last = np.mean(curves[name][-per_epoch:])
        f_end = bowl(paths[name][-1])
        print(f"{name:<17} lr={lr_net:<6g} first loss {curves[name][0]:.6f}  last epoch "
              f"{last:.6f} | bowl lr={lr_bowl:<5g} f after {PATH_STEPS} steps {f_end:.3g}")
        summary.append(f"{key}={last:.4f}")
        summary.append(f"f_{key}={f_end:.3g}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(9, 4.8))
        for (name, losses), color in zip(curves.items(), ["C0", "C1", "C2", "C3"]):
            ax.plot(losses, color=color, linewidth=1, alpha=0.3)
            h = per_epoch // 2  # mean over one epoch around each point
            smooth = [np.mean(losses[max(0, i - h):i + h + 1]) for i in range(len(losses))]
            ax.plot(smooth, color=color, label=name)
        ax.set_xlabel("iteration"); ax.set_ylabel("cross-entropy loss"); ax.legend()
        fig.savefig(os.path.join(args.out, "optimizers_loss.png"))
        fig, ax = plt.subplots(figsize=(9, 4.2))
        w1, w2 = np.meshgrid(np.linspace(-5, 5, 201), np.linspace(-2, 2, 81))
        ax.contour(w1, w2, bowl((w1, w2)), levels=[0.05, 0.2, 0.5, 1, 2, 5, 10, 20, 40], colors="0.75")
        for name, p in paths.items():
            ax.plot(p[:, 0], p[:, 1], marker=".", label=name)
        ax.set_aspect("equal"); ax.legend()
        fig.savefig(os.path.join(args.out, "optimizers_paths.png"))
    except ImportError:
        pass
    print(f"optimizers: {' '.join(summary)} epochs={args.epochs} "
          f"seconds={time.time() - started:.1f}")


if __name__ == "__main__":
    main()
