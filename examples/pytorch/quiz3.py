"""The lecture's QUIZ-3 in PyTorch 1.13 / scikit-learn 1.2: the twin of
examples/quiz3.c (same output, line by line).

X = [-2, 0.7, 3]: Y = sigmoid(X), dY/dX by autograd (Y.sum().backward() and
Y.backward(torch.ones_like(Y))) next to sigma(x) * (1 - sigma(x)); then X
as one feature, standardised (StandardScaler) and normalised (MinMaxScaler).
Nothing trains: --epochs and --seed are accepted and ignored.
"""
import argparse
import os

import torch
from sklearn.preprocessing import MinMaxScaler, StandardScaler


def parse_args(name):
    p = argparse.ArgumentParser(description=name)
    p.add_argument("--epochs", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=f"runs/{name}")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(args.threads, 1))
    torch.manual_seed(args.seed)
    return args


def values(key, t):
    return "".join(f" {key}{i}={v:.6g}" for i, v in enumerate(t.flatten().tolist()))


def main():
    parse_args("quiz3")
    X = torch.tensor([-2, 0.7, 3], requires_grad=True)

    Y = torch.sigmoid(X)
    print("Y = sigmoid(X):")
    print(Y)
    Y.sum().backward()
    grad_sum = X.grad.clone()
    print("dY/dX from Y.sum().backward():")
    print(grad_sum)

    X.grad.zero_()
    Y = torch.sigmoid(X)
    Y.backward(torch.ones_like(Y))
    print("dY/dX from Y.backward(torch.ones_like(Y)):")
    print(X.grad)

    Yd = Y.detach()
    closed = Yd * (1 - Yd)
    print("closed form Y * (1 - Y):")
    print(closed)
    max_grad_error = max((grad_sum - closed).abs().max().item(),
                         (X.grad - closed).abs().max().item())
    print(f"max |autograd - closed form| = {max_grad_error:.3g}\n")

    feature = X.detach().numpy().reshape(-1, 1)
    sc = StandardScaler()
    Z = torch.as_tensor(sc.fit_transform(feature))
    print(f"StandardScaler: mean_ = {sc.mean_[0]:.6g}, scale_ = {sc.scale_[0]:.6g} (population std)")
    print("standardised X = (X - mean) / std:")
    print(Z)

    mm = MinMaxScaler()
    N = torch.as_tensor(mm.fit_transform(feature))
    print(f"MinMaxScaler: data_min_ = {mm.data_min_[0]:.6g}, data_max_ = {mm.data_max_[0]:.6g}")
    print("normalised X = (X - min) / (max - min):")
    print(N)

    print(f"quiz3: max_grad_error={max_grad_error:.3g}" + values("y", Y) + values("dydx", X.grad)
          + values("z", Z) + values("n", N))


if __name__ == "__main__":
    main()
