"""Logistic regression on make_moons in PyTorch 1.13 / scikit-learn 1.2: the
twin of examples/logistic_regression.c (same steps, same numbers).

Plain full-batch gradient descent written as W_new = W_old - alpha * dW (no
optimizer object); autograd's dW checked against (1/N) sum (yhat - y) x; the
same model trained with BCELoss and with MSELoss, from PyTorch's initial
weights and from a bad start W = [[-2, 4]], b = 0; curves and the two losses
along one weight plotted to DIR/losses.png (if matplotlib is installed) and
logged to DIR/tb (if tensorboard is installed).
"""
import argparse
import os
import time

import torch
import torch.nn as nn
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

ALPHA = 0.1
LABELS = ["BCE", "MSE", "BCE-bad", "MSE-bad"]


def parse_args(name, default_epochs):
    p = argparse.ArgumentParser(description=name)
    p.add_argument("--epochs", type=int, default=default_epochs)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=f"runs/{name}")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(args.threads, 1))
    torch.manual_seed(args.seed)
    return args


def load_data():
    X, y = make_moons(n_samples=10000, noise=0.3, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=.2, random_state=13)
    sc = StandardScaler()
    sc.fit(X_train)  # note only from training data
    X_train = sc.transform(X_train)
    X_val = sc.transform(X_val)
    return (torch.as_tensor(X_train).float(), torch.as_tensor(y_train.reshape(-1, 1)).float(),
            torch.as_tensor(X_val).float(), torch.as_tensor(y_val.reshape(-1, 1)).float())


def logistic_regression():
    return nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())


def loss_of(mse, yhat, y):
    return nn.MSELoss()(yhat, y) if mse else nn.BCELoss()(yhat, y)


def accuracy(model, X, y):
    with torch.no_grad():
        return ((model(X) > 0.5).float() == y).double().mean().item()


def check_gradient(model, X, y):
    W, b = model[0].weight, model[0].bias
    yhat = model(X)
    nn.BCELoss()(yhat, y).backward()
    err = yhat.detach() - y
    dW = err.t() @ X / X.shape[0]
    db = err.mean(dim=0)
    print(f"one step of BCE on the {X.shape[0]} training rows, at the initial weights:")
    print("autograd W.grad:")
    print(W.grad)
    print("closed form (1/N) sum (yhat - y) x:")
    print(dW)
    print("autograd b.grad:")
    print(b.grad)
    print("closed form (1/N) sum (yhat - y):")
    print(db)
    diff = max((W.grad - dW).abs().max().item(), (b.grad - db).abs().max().item())
    print(f"max |autograd - closed form| = {diff:.3g}\n")
    model.zero_grad(set_to_none=True)
    return diff


def gradient_step(model, mse, X, y):
    loss = loss_of(mse, model(X), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= ALPHA * p.grad  # W_new = W_old - alpha * dW
    model.zero_grad(set_to_none=True)
    return loss.item()


def train(models, data, epochs, writer):
    X_train, y_train, X_val, y_val = data
    losses = [[] for _ in models]
    accs = [[] for _ in models]
    print(f"{'':5}  {'loss (own objective)':<32}validation accuracy")
    print(f"{'epoch':5} " + "".join(f" {label:>7}" for label in LABELS * 2))
    for epoch in range(epochs):
        for i, model in enumerate(models):
            losses[i].append(gradient_step(model, LABELS[i].startswith("MSE"), X_train, y_train))
            accs[i].append(accuracy(model, X_val, y_val))
        if writer:
            writer.add_scalars("loss", {LABELS[i]: losses[i][-1] for i in range(4)}, epoch)
            writer.add_scalars("val_acc", {LABELS[i]: accs[i][-1] for i in range(4)}, epoch)
        if epoch % 15 == 0 or epoch == epochs - 1:
            print(f"{epoch:5d} " + "".join(f" {l[-1]:7.4f}" for l in losses)
                  + "".join(f" {a[-1]:7.4f}" for a in accs))
    print()
    return losses, accs


def landscape(model, X, y, which, ws):
    W = model[0].weight
    kept = W[0, which].item()
    mse, bce = [], []
    with torch.no_grad():
        for w in ws:
            W[0, which] = w
            yhat = model(X)
            mse.append(loss_of(True, yhat, y).item())
            bce.append(loss_of(False, yhat, y).item())
        W[0, which] = kept
    return mse, bce


def plot(losses, accs, models, data, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.6))
    fig.suptitle("Logistic regression on make_moons: BCE vs MSE")
    colors = ["tab:blue", "tab:orange", "tab:blue", "tab:orange"]
    for i in range(4):
        style = dict(color=colors[i], linestyle="--" if i >= 2 else "-")
        axes[0, 0].plot(losses[i], label=LABELS[i], **style)
        axes[0, 1].plot(accs[i], **style)
    axes[0, 0].set(title="Training loss (each its own objective)", xlabel="epoch", ylabel="loss")
    axes[0, 0].legend()
    axes[0, 1].set(title="Validation accuracy (colours as on the left)", xlabel="epoch",
                   ylabel="accuracy", ylim=(0, 1))
    ws = [-12 + 24.0 * i / 120 for i in range(121)]
    mse, bce = landscape(models[0], data[0], data[1], 1, ws)
    axes[1, 0].plot(ws, mse, color="tab:orange")
    axes[1, 0].set_title("MSE along w2: flat far out, not convex")
    axes[1, 1].plot(ws, bce, color="tab:blue")
    axes[1, 1].set_title("BCE along w2: convex")
    for ax in axes.flat:
        ax.grid(True)
    for ax in axes[1]:
        ax.set(xlabel="w2, with w1 and b as the BCE model learned them", ylabel="loss")
    fig.tight_layout()
    path = os.path.join(out, "losses.png")
    fig.savefig(path)
    print(f"wrote {path}")


def main():
    args = parse_args("logistic_regression", 150)
    start = time.time()
    data = load_data()

    models = [logistic_regression() for _ in LABELS]
    models[1].load_state_dict(models[0].state_dict())  # the same start for both losses
    with torch.no_grad():  # the bad start: pointing away from the answer
        for model in models[2:]:
            model[0].weight.copy_(torch.tensor([[-2.0, 4.0]]))
            model[0].bias.zero_()

    dW_diff = check_gradient(models[0], data[0], data[1])
    try:
        from torch.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(os.path.join(args.out, "tb"))
    except ImportError:
        writer = None
    losses, accs = train(models, data, args.epochs, writer)
    if writer:
        writer.close()
    plot(losses, accs, models, data, args.out)

    final = [accuracy(m, data[2], data[3]) for m in models]
    print(f"logistic_regression: bce_val_acc={final[0]:.4f} mse_val_acc={final[1]:.4f} "
          f"bad_start_bce_val_acc={final[2]:.4f} bad_start_mse_val_acc={final[3]:.4f} "
          f"dW_max_diff={dW_diff:.3g} epochs={args.epochs} seconds={time.time() - start:.2f}")


if __name__ == "__main__":
    main()
