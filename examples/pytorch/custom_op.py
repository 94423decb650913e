"""A new differentiable op from user code in PyTorch 1.13: the twin of
examples/custom_op.c. swish(x) = x * sigmoid(x) as a torch.autograd.Function
with a hand-written backward; compared with the composed op, gradchecked
(first and second order, plus the variant that saves the forward's sigmoid
and so fails gradgradcheck), used in a tiny model trained with --epochs
full-batch Adam steps on make_moons, and its tape printed.
"""
import argparse
import os
import time

import torch
import torch.nn as nn
from sklearn.datasets import make_moons
from torch.autograd.gradcheck import GradcheckError


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


def swish_grad(g, x, s):
    return g * (s + x * (s * (1 - s)))


class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return swish_grad(grad_output, x, torch.sigmoid(x))


class SwishSaved(torch.autograd.Function):
    """Saves sigmoid(x), computed while the tape is off: a constant to the
    second derivative, so gradgradcheck fails."""

    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return swish_grad(grad_output, x, s)


def compare_with_composed():
    x = torch.linspace(-4, 4, 9, dtype=torch.float64, requires_grad=True)
    fused = Swish.apply(x)
    composed = x * torch.sigmoid(x)
    g_fused, = torch.autograd.grad(fused.sum(), x)
    g_composed, = torch.autograd.grad(composed.sum(), x)
    print("x = torch.linspace(-4, 4, 9); Swish.apply(x):")
    print(fused)
    print("its gradient (hand-written backward):")
    print(g_fused)
    max_diff = max((fused - composed).abs().max().item(),
                   (g_fused - g_composed).abs().max().item())
    print(f"max |fused - composed x * sigmoid(x)| over values and gradients = {max_diff:.3g}\n")
    return max_diff


def report_check(what, check, fn, x):
    try:
        ok, report = check(fn, (x,)), ""
    except GradcheckError as e:
        ok, report = False, str(e).splitlines()[0]
    print(f"  {what:<50} {'passed' if ok else 'FAILED: ' + report}")
    return ok


def run_gradchecks():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    gc, ggc = torch.autograd.gradcheck, torch.autograd.gradgradcheck
    print("gradcheck on a random 3x4 float64 input:")
    return (report_check("gradcheck(Swish.apply)", gc, Swish.apply, x),
            report_check("gradgradcheck(Swish.apply)", ggc, Swish.apply, x),
            report_check("gradcheck(SwishSaved.apply)", gc, SwishSaved.apply, x),
            report_check("gradgradcheck(SwishSaved.apply) (expected to fail)", ggc,
                         SwishSaved.apply, x))


class SwishLayer(nn.Module):
    def forward(self, x):
        return Swish.apply(x)


def train_model(args):
    X, y = make_moons(n_samples=200, noise=0.2, random_state=args.seed)
    X = torch.as_tensor(X).float()
    y = torch.as_tensor(y).float().reshape(-1, 1)

    torch.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(2, 8), SwishLayer(), nn.Linear(8, 1))
    print(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.BCEWithLogitsLoss()
    first_loss, output = 0.0, None
    for epoch in range(args.epochs):
        optimizer.zero_grad(set_to_none=True)
        output = model(X)
        loss = loss_fn(output, y)
        loss.backward()
        optimizer.step()
        if epoch == 0:
            first_loss = loss.item()
        if epoch % 40 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch:3d}  loss {loss.item():.6f}")
    with torch.no_grad():
        logits = model(X)
    final_loss = loss_fn(logits, y).item()
    accuracy = ((logits > 0).float() == y).double().mean().item()
    print(f"after {args.epochs} steps: loss {final_loss:.6f}, train accuracy {accuracy:.3f}\n")
    if output is not None:
        print("the tape of model(X), its grad_fn chain (the loss adds BCEWithLogits' ops):")
        print_graph(output.grad_fn)
        print()
    return first_loss, final_loss, accuracy


def print_graph(fn, depth=0):
    if fn is None:
        return
    name = type(fn).__name__
    if name == "AccumulateGrad":
        name = f"leaf {tuple(fn.variable.shape)} (accumulates into .grad)"
    print("  " * depth + name)
    for child, _ in fn.next_functions:
        print_graph(child, depth + 1)


def main():
    args = parse_args("custom_op", 200)
    start = time.time()
    max_diff = compare_with_composed()
    checks = run_gradchecks()
    print()
    first_loss, loss, accuracy = train_model(args)
    print(f"custom_op: gradcheck={int(checks[0])} gradgradcheck={int(checks[1])} "
          f"saved_gradcheck={int(checks[2])} saved_gradgradcheck={int(checks[3])} "
          f"max_diff={max_diff:.3g} first_loss={first_loss:.6f} loss={loss:.6f} "
          f"train_acc={accuracy:.3f} epochs={args.epochs} seconds={time.time() - start:.2f}")


if __name__ == "__main__":
    main()
