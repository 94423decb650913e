"""Iris Flowers Classification (lecture 6), the PyTorch twin of examples/iris.c.

Runs the lecture's notebook three times: with the SGD slide (lr 0.1), with
the "PyTorch for Adam" slide (Adam, lr 0.1, unstable here) and with Adam at
the slide's alpha = 0.001; prints the same lines
and the same summary as the C program:

    /usr/bin/python3 examples/pytorch/iris.py [--epochs N] [--seed S] [--out DIR]
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_iris
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Dataset

try:
    from torchsummary import summary
except ImportError:  # torch-summary is not installed here
    summary = None


class IRISDataset(Dataset):
    def __init__(self, x_tensor, y_tensor):
        super().__init__()
        self.X = x_tensor
        self.Y = y_tensor

    def __getitem__(self, index):
        return (self.X[index], self.Y[index])

    def __len__(self):
        return len(self.X)


class SimpleMultiClassificationNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linearLayer1 = nn.Linear(4, 50)  # hidden layer
        self.linearLayer2 = nn.Linear(50, 100)  # hidden layer
        self.relu = nn.ReLU()
        self.linearLayer3 = nn.Linear(100, 3)  # output layer: one logit per class

    def forward(self, x):
        u = self.linearLayer1(x)
        v = self.relu(u)
        w = self.linearLayer2(v)
        m = self.relu(w)
        z = self.linearLayer3(m)
        return z


def cm_line(cm):
    width = len(str(cm.max()))
    return "[" + " ".join("[" + " ".join(f"{v:>{width}}" for v in row) + "]" for row in cm) + "]"


def train(name, make_optimizer, train_dataset, val_dataset, epochs, seed, verbose):
    torch.manual_seed(seed)
    train_loader = DataLoader(dataset=train_dataset, batch_size=10, shuffle=True)
    val_loader = DataLoader(dataset=val_dataset, batch_size=10)
    test_batch = next(iter(train_loader))
    total_batches_one_epoch = len(iter(train_loader))
    model = SimpleMultiClassificationNet()
    if verbose:
        print(f"test_batch: X {tuple(test_batch[0].shape)} Y {tuple(test_batch[1].shape)}, "
              f"{total_batches_one_epoch} batches per epoch")
        print(model)
        if summary is not None:
            summary(model, (10, 4))
        else:  # draw what summary(model, (10, 4)) draws, keeping the generator in step
            torch.rand(10, 4)
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()

    train_losses, val_losses = [], []
    print(f"--- {name} ---")
    for epoch in range(epochs):
        all_Y_train_epoch, all_Yhat_train_epoch, all_train_losses_epoch = [], [], []
        model.train()
        for X_train, Y_train in train_loader:
            logits = model(X_train)
            loss = loss_fn(logits, Y_train)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            y_hat = F.softmax(logits, dim=-1).detach().numpy().argmax(axis=1)
            all_Y_train_epoch.append(Y_train.numpy())
            all_Yhat_train_epoch.append(y_hat)
            all_train_losses_epoch.append(loss.item())
        train_losses.append(np.mean(all_train_losses_epoch))
        Y_tr, Yhat_tr = np.concatenate(all_Y_train_epoch), np.concatenate(all_Yhat_train_epoch)
        acTrain = accuracy_score(Y_tr, Yhat_tr)
        cmTrain = confusion_matrix(Y_tr, Yhat_tr)

        model.eval()
        all_Y_val, all_Yhat_val, all_val_losses = [], [], []
        with torch.no_grad():
            for X_val, Y_val in val_loader:
                logits = model(X_val)
                all_val_losses.append(loss_fn(logits, Y_val).item())
                all_Y_val.append(Y_val.numpy())
                all_Yhat_val.append(F.softmax(logits, dim=-1).numpy().argmax(axis=1))
        val_losses.append(np.mean(all_val_losses))
        Y_v, Yhat_v = np.concatenate(all_Y_val), np.concatenate(all_Yhat_val)
        acVal = accuracy_score(Y_v, Yhat_v)
        if (epoch + 1) % 10 == 0 or epoch == 0 or epoch == epochs - 1:
            print(f"epoch={epoch:3d}, {cm_line(cmTrain)}  loss={train_losses[-1]:.4f} "
                  f"acc={acTrain:.3f} val_loss={val_losses[-1]:.4f} val_acc={acVal:.3f}")
    return train_losses, val_losses, Y_v, Yhat_v, acVal


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/iris_pytorch")
    args = parser.parse_args()
    started = time.time()
    os.makedirs(args.out, exist_ok=True)

    iris = load_iris()
    X = iris["data"]
    y = iris["target"]
    names = iris["target_names"]
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=.2, random_state=13)
    sc = StandardScaler()
    sc.fit(X_train)  # note only from training data
    X_train = sc.transform(X_train)
    X_val = sc.transform(X_val)
    x_train_tensor = torch.as_tensor(X_train).float()
    # The slide has y_train.reshape(-1, 1)).float(), which CrossEntropyLoss
    # rejects ("0D or 1D target tensor expected, multi-target not supported"):
    # it wants int64 class indices of shape (N).
    y_train_tensor = torch.as_tensor(y_train).long()
    x_val_tensor = torch.as_tensor(X_val).float()
    y_val_tensor = torch.as_tensor(y_val).long()
    train_dataset = IRISDataset(x_train_tensor, y_train_tensor)
    val_dataset = IRISDataset(x_val_tensor, y_val_tensor)

    lr = 0.1
    runs = {}
    runs["SGD lr=0.1"] = train("SGD lr=0.1", lambda p: optim.SGD(p, lr=lr), train_dataset,
                               val_dataset, args.epochs, args.seed, True)
    runs["Adam lr=0.1"] = train(
        "Adam lr=0.1", lambda p: optim.Adam(p, lr=lr, betas=(0.9, 0.999), eps=1e-08),
        train_dataset, val_dataset, args.epochs, args.seed, False)
    # Adam with the slide's own step size alpha = 0.001, which is stable
    runs["Adam lr=0.001"] = train(
        "Adam lr=0.001", lambda p: optim.Adam(p, lr=0.001, betas=(0.9, 0.999), eps=1e-08),
        train_dataset, val_dataset, args.epochs, args.seed, False)
    for name, (_, _, Y_v, Yhat_v, _) in runs.items():
        print(f"{name} validation report:")
        print(classification_report(Y_v, Yhat_v, target_names=names, digits=3))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.metrics import ConfusionMatrixDisplay
        fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.4))
        for ax, (name, (_, _, Y_v, Yhat_v, acc)) in zip(axes, runs.items()):
            ConfusionMatrixDisplay(confusion_matrix(Y_v, Yhat_v), display_labels=names).plot(
                ax=ax, cmap="Blues", colorbar=False)
            ax.set_title(f"{name}: validation, accuracy {acc:.3f}")
        fig.savefig(os.path.join(args.out, "iris_confusion.png"))
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for (name, (tl, vl, *_)), color in zip(runs.items(), ["C0", "C1", "C2"]):
            ax.plot(tl, color=color, label=f"{name} train")
            ax.plot(vl, color=color, linestyle="--", label=f"{name} val")
        ax.set_xlabel("epoch"); ax.set_ylabel("cross-entropy loss"); ax.legend()
        fig.savefig(os.path.join(args.out, "iris_loss.png"))
    except ImportError:
        pass
    acc = [r[4] for r in runs.values()]
    print(f"iris: val_acc_sgd={acc[0]:.3f} val_acc_adam={acc[1]:.3f} "
          f"val_acc_adam_lr1e-3={acc[2]:.3f} epochs={args.epochs} "
          f"seconds={time.time() - started:.1f}")


if __name__ == "__main__":
    main()
