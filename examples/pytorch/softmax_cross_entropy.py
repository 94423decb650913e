"""The lecture's softmax and cross-entropy slides in PyTorch 1.13: the twin
of examples/softmax_cross_entropy.c (same output, line by line).

1. softmax as a layer and as a function, with each row's sum;
2. CrossEntropyLoss on logits == LogSoftmax + NLLLoss on the
   torch.manual_seed(11) dummy batch;
3. the "Activation + Loss" summary table on a small example.
The slide fixes the seed, so --seed and --epochs are accepted and ignored.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


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


def softmax_snippet():
    dummy_logits_for_batch = torch.tensor([[21, -5, 0.5], [7, 8, -10]])  # shape (2,3)
    softmaxLayer = nn.Softmax(dim=-1)
    layer_yhat = softmaxLayer(dummy_logits_for_batch)
    print("softmax as a layer, nn.Softmax(dim=-1):")
    print(layer_yhat)
    layer_sums = torch.sum(layer_yhat, dim=1)
    print("sum of each row:")
    print(layer_sums)

    fn_yhat = F.softmax(dummy_logits_for_batch, dim=-1)
    fn_sums = torch.sum(fn_yhat, dim=1)
    print("softmax as a function, F.softmax(dim=-1):")
    print(fn_yhat)
    print("sum of each row:")
    print(fn_sums)
    print(f"layer and function differ by {(layer_yhat - fn_yhat).abs().max().item():.3g}\n")
    return max((layer_sums - 1).abs().max().item(), (fn_sums - 1).abs().max().item())


def cross_entropy_snippet(Z, Y, out):
    print("dummy_batch_of_logits_Z = torch.randn((5, 3)) after torch.manual_seed(11):")
    print(Z)
    print("dummy_labels_Y:")
    print(Y)

    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(Z, Y)
    print("option-1, CrossEntropyLoss on logits:")
    print(loss)
    out["ce"] = loss.item()

    logSoftmaxLayer = nn.LogSoftmax(dim=-1)
    log_batch_Yhat = logSoftmaxLayer(Z)
    loss_fn = nn.NLLLoss()
    loss = loss_fn(log_batch_Yhat, Y)
    print("option-2, LogSoftmax + NLLLoss:")
    print(loss)
    out["nll"] = loss.item()


def summary_table(Z, Y, out):
    z = Z[:, 0]
    t = (Y == 1).float()
    sigmoidLayer = nn.Sigmoid()
    out["bce"] = nn.BCELoss()(sigmoidLayer(z), t).item()
    out["bce_logits"] = nn.BCEWithLogitsLoss()(z, t).item()
    out["ce_on_probs"] = nn.CrossEntropyLoss()(F.softmax(Z, dim=-1), Y).item()

    print("\nSummary (Activation + Loss), binary on Z[:, 0] with target (Y == 1):")
    print(f"  {'task':<27} {'activation + loss':<29} loss")
    print(f"  {'Binary Classification':<27} {'Sigmoid + BCELoss':<29} {out['bce']:.6f}")
    print(f"  {'':<27} {'logits + BCEWithLogitsLoss':<29} {out['bce_logits']:.6f}")
    print(f"  {'Multiclass Classification':<27} {'LogSoftmax + NLLLoss':<29} {out['nll']:.6f}")
    print(f"  {'':<27} {'logits + CrossEntropyLoss':<29} {out['ce']:.6f}")
    print(f"  {'':<27} {'Softmax + CrossEntropyLoss':<29} {out['ce_on_probs']:.6f}"
          "  <- wrong pair: softmax applied twice")


def main():
    parse_args("softmax_cross_entropy")
    row_sum_error = softmax_snippet()

    torch.manual_seed(11)
    Z = torch.randn((5, 3))
    Y = torch.tensor([0, 0, 1, 2, 1])

    losses = {}
    cross_entropy_snippet(Z, Y, losses)
    summary_table(Z, Y, losses)
    max_diff = max(abs(losses["ce"] - losses["nll"]), abs(losses["bce"] - losses["bce_logits"]))
    print(f"softmax_cross_entropy: ce={losses['ce']:.8g} nll={losses['nll']:.8g} "
          f"bce={losses['bce']:.8g} bce_logits={losses['bce_logits']:.8g} max_diff={max_diff:.3g} "
          f"ce_on_probs={losses['ce_on_probs']:.8g} row_sum_error={row_sum_error:.3g}")


if __name__ == "__main__":
    main()
