"""Home Task 3 (lecture 6), the PyTorch twin of examples/digits.c.

sklearn's digits (1797 8x8 images, 64 features): a multiclass MLP trained
with SGD and with Adam (the loss-vs-iteration comparison), the 10-class
confusion matrix, a grid of test digits, and then the same images through a
small CNN.

    /usr/bin/python3 examples/pytorch/digits.py [--epochs N] [--seed S] [--out DIR]
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 32
PRINT_EVERY = 5


def mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),  # 16x4x4
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 32x2x2
        nn.Flatten(), nn.Linear(128, 10))


def train(name, make_model, make_optimizer, X_train, y_train, X_test, y_test, epochs, seed):
    torch.manual_seed(seed)  # every run starts from the same generator state
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH_SIZE,
                              shuffle=True)
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        model.train()
        epoch_losses = []
        for X, Y in train_loader:
            loss = loss_fn(model(X), Y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            epoch_losses.append(loss.item())
        losses += epoch_losses
        model.eval()
        with torch.no_grad():
            y_pred = model(X_test).argmax(dim=1).numpy()
        acc = accuracy_score(y_test.numpy(), y_pred)
        if (epoch + 1) % PRINT_EVERY == 0 or epoch == 0 or epoch == epochs - 1:
            print(f"{name:<9} epoch {epoch:3d}  loss={np.mean(epoch_losses):.4f}  "
                  f"test_acc={acc:.4f}")
    return losses, y_pred, acc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/digits_pytorch")
    args = parser.parse_args()
    started = time.time()
    os.makedirs(args.out, exist_ok=True)

    digits = load_digits()
    X, y = digits["data"], digits["target"]  # (1797, 64), pixels 0..16
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=.2, random_state=13)
    sc = StandardScaler()
    sc.fit(X_train)  # note only from training data
    x_train = torch.as_tensor(sc.transform(X_train)).float()
    x_test = torch.as_tensor(sc.transform(X_test)).float()
    # the CNN sees the images themselves: 1x8x8, pixels scaled to [0, 1]
    img_train = torch.as_tensor(X_train / 16).float().reshape(-1, 1, 8, 8)
    img_test = torch.as_tensor(X_test / 16).float().reshape(-1, 1, 8, 8)
    y_train, y_test = torch.as_tensor(y_train), torch.as_tensor(y_test)

    sgd = lambda p: optim.SGD(p, lr=0.1)
    adam = lambda p: optim.Adam(p, lr=0.001)
    loss_sgd, pred_sgd, acc_sgd = train("MLP SGD", mlp, sgd, x_train, y_train, x_test, y_test,
                                        args.epochs, args.seed)
    loss_adam, pred_adam, acc_adam = train("MLP Adam", mlp, adam, x_train, y_train, x_test,
                                           y_test, args.epochs, args.seed)
    loss_cnn, pred_cnn, acc_cnn = train("CNN Adam", cnn, lambda p: optim.Adam(p, lr=0.01),
                                        img_train, y_train, img_test, y_test, args.epochs,
                                        args.seed)
    print("MLP (Adam) test confusion matrix:")
    print(confusion_matrix(y_test.numpy(), pred_adam))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.metrics import ConfusionMatrixDisplay
        per_epoch = len(loss_sgd) // max(args.epochs, 1)
        fig, ax = plt.subplots(figsize=(9, 4.8))
        for name, losses, color in [("SGD lr=0.1", loss_sgd, "C0"),
                                    ("Adam lr=0.001", loss_adam, "C1")]:
            ax.plot(losses, color=color, linewidth=1, alpha=0.3)
            h = per_epoch // 2  # mean over one epoch around each point
            smooth = [np.mean(losses[max(0, i - h):i + h + 1]) for i in range(len(losses))]
            ax.plot(smooth, color=color, label=name)
        ax.set_xlabel("iteration"); ax.set_ylabel("cross-entropy loss"); ax.legend()
        fig.savefig(os.path.join(args.out, "digits_sgd_vs_adam.png"))
        fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
        for ax, (name, pred, acc) in zip(axes, [("MLP (Adam)", pred_adam, acc_adam),
                                                ("CNN", pred_cnn, acc_cnn)]):
            ConfusionMatrixDisplay(confusion_matrix(y_test.numpy(), pred)).plot(
                ax=ax, cmap="Blues", colorbar=False)
            ax.set_title(f"{name}: test accuracy {acc:.3f}")
        fig.savefig(os.path.join(args.out, "digits_confusion.png"))
    except ImportError:
        pass
    print(f"digits: mlp_sgd_acc={acc_sgd:.4f} mlp_adam_acc={acc_adam:.4f} cnn_acc={acc_cnn:.4f} "
          f"epochs={args.epochs} seconds={time.time() - started:.1f}")


if __name__ == "__main__":
    main()
