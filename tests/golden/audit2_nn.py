"""Golden values for the second audit's nn parity cases (run with
/usr/bin/python3: Debian's PyTorch 1.13).

The module options the other golden files leave out or meet only one at a
time: convolutions with groups, dilation, stride and padding together
(uneven pairs, 'same' with even kernels and dilation, depthwise with a
channel multiplier, 1-d); pooling with ceil_mode, padding and dilation
together (windows that start in the padding, the avg divisor of clipped
windows, divisor_override), adaptive pools at sizes that do not divide
(overlapping windows, output larger than input); every loss with weight,
ignore_index, label_smoothing, pos_weight and each reduction together,
including the edge cases (every target ignored, probabilities at 0 and 1,
huge logits); embeddings with negative padding_idx and repeated indices.
Same format as audit_parity.py; tests/test_audit2_nn.c runs the cases.
Writes tests/golden/audit2_nn.txt."""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audit_parity  # noqa: E402
from audit_parity import emit_cases, f32, f64, i64  # noqa: E402
from golden_text import GoldenText  # noqa: E402

# f32 and f64 draw from audit_parity's generator, seeded afresh for these cases
audit_parity.gen.manual_seed(2027)
gen = audit_parity.gen


def tf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype)


def sdpa(q, k, v, attn_mask=None, is_causal=False):
    """F.scaled_dot_product_attention of PyTorch 2.0 (1.13 has none): a bool
    mask is True where a query may attend; a row that may attend nowhere is
    NaN, as softmax over nothing but -inf."""
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    if is_causal:
        attn_mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
    if attn_mask is not None and attn_mask.dtype == torch.bool:
        scores = scores.masked_fill(~attn_mask, float("-inf"))
    elif attn_mask is not None:
        scores = scores + attn_mask
    return torch.softmax(scores, dim=-1) @ v


# class weights (C = 3, 4), per-row weights and a pos_weight of 2: constants
W3 = torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64)
W4 = torch.tensor([0.2, 1.0, 3.0, 0.5], dtype=torch.float64)
ROWS3 = torch.tensor([[1.0], [0.0], [2.0]], dtype=torch.float64)
TWO = torch.tensor([2.0], dtype=torch.float64)


def probs(*shape):
    return torch.softmax(f64(*shape), dim=1)


CASES = {
    # ---- convolutions: every option at once
    "conv2d_all": ([f64(2, 4, 9, 8), f64(6, 2, 3, 2), f64(6)],
                   lambda x: F.conv2d(x[0], x[1], x[2], stride=(2, 3), padding=(1, 2),
                                      dilation=(2, 1), groups=2)),
    "conv2d_same_even": ([f64(1, 2, 7, 6), f64(3, 2, 4, 2), f64(3)],
                         lambda x: F.conv2d(x[0], x[1], x[2], padding="same",
                                            dilation=(2, 3))),
    "conv2d_same_groups": ([f32(2, 4, 5, 5), f32(4, 1, 2, 3), None],
                           lambda x: F.conv2d(x[0], x[1], None, padding="same", groups=4)),
    "conv2d_depthwise_mult": ([f64(2, 3, 6, 7), f64(6, 1, 3, 3), f64(6)],
                              lambda x: F.conv2d(x[0], x[1], x[2], stride=2, padding=1,
                                                 groups=3)),
    "conv2d_out_one": ([f64(2, 2, 5, 4), f64(3, 2, 5, 4), None],
                       lambda x: F.conv2d(x[0], x[1])),
    "conv2d_pad_wider": ([f64(1, 1, 2, 2), f64(2, 1, 3, 3), f64(2)],
                         lambda x: F.conv2d(x[0], x[1], x[2], padding=3, stride=2)),
    "conv2d_unbatched_f32": ([f32(3, 6, 5), f32(4, 3, 2, 2), f32(4)],
                             lambda x: F.conv2d(x[0], x[1], x[2], stride=(1, 2), dilation=2)),
    "conv1d_all": ([f64(2, 6, 11), f64(9, 2, 3), f64(9)],
                   lambda x: F.conv1d(x[0], x[1], x[2], stride=2, padding=3, dilation=2,
                                      groups=3)),
    "conv1d_same_even": ([f64(2, 2, 9), f64(3, 2, 4), f64(3)],
                         lambda x: F.conv1d(x[0], x[1], x[2], padding="same", dilation=3)),
    "conv1d_unbatched": ([f32(4, 7), f32(2, 2, 3), None],
                         lambda x: F.conv1d(x[0], x[1], None, groups=2, stride=3)),
    # ---- pooling: options together
    "max_pool2d_all": ([f64(2, 2, 7, 8)],
                       lambda x: F.max_pool2d(x[0], 3, stride=2, padding=1, dilation=2,
                                              ceil_mode=True)),
    "max_pool2d_ceil_pad": ([f64(1, 2, 5, 6)],
                            lambda x: F.max_pool2d(x[0], (2, 3), stride=(2, 2), padding=(1, 1),
                                                   ceil_mode=True)),
    "max_pool2d_ceil_indices": ([f64(1, 1, 5, 5)],
                                lambda x: F.max_pool2d(x[0], 2, stride=2, ceil_mode=True,
                                                       return_indices=True)[1]),
    "max_pool1d_all": ([f64(2, 3, 10)],
                       lambda x: F.max_pool1d(x[0], 3, stride=3, padding=1, dilation=2,
                                              ceil_mode=True)),
    "max_pool1d_indices": ([f64(1, 2, 9)],
                           lambda x: F.max_pool1d(x[0], 4, stride=3, padding=2, ceil_mode=True,
                                                  return_indices=True)[1]),
    "avg_pool2d_ceil_pad": ([f64(1, 2, 5, 6)],
                            lambda x: F.avg_pool2d(x[0], 3, stride=2, padding=1,
                                                   ceil_mode=True)),
    "avg_pool2d_ceil_pad_exclude": ([f64(1, 2, 5, 6)],
                                    lambda x: F.avg_pool2d(x[0], 3, stride=2, padding=1,
                                                           ceil_mode=True,
                                                           count_include_pad=False)),
    "avg_pool2d_ceil_nopad": ([f64(2, 1, 6, 7)],
                              lambda x: F.avg_pool2d(x[0], (3, 2), stride=(2, 3),
                                                     ceil_mode=True)),
    "avg_pool2d_divisor": ([f32(1, 3, 7, 5)],
                           lambda x: F.avg_pool2d(x[0], 3, stride=2, padding=1, ceil_mode=True,
                                                  divisor_override=4)),
    "adaptive_avg_odd": ([f64(2, 2, 5, 7)], lambda x: F.adaptive_avg_pool2d(x[0], (3, 4))),
    "adaptive_avg_grow": ([f64(1, 2, 3, 2)], lambda x: F.adaptive_avg_pool2d(x[0], (5, 3))),
    "adaptive_max_odd": ([f64(2, 1, 7, 5)], lambda x: F.adaptive_max_pool2d(x[0], (3, 2))),
    "adaptive_max_grow": ([f64(1, 2, 2, 3)], lambda x: F.adaptive_max_pool2d(x[0], (3, 5))),
    "adaptive_max_indices": ([f64(1, 2, 7, 5)],
                             lambda x: F.adaptive_max_pool2d(x[0], (3, 2),
                                                             return_indices=True)[1]),
    # ---- losses: options together (weights are constants, as in a model)
    "ce_weight_smooth": ([f64(5, 4), i64(0, 3, 1, 1, 2)],
                         lambda x: F.cross_entropy(x[0], x[1], weight=W4, label_smoothing=0.3)),
    "ce_weight_smooth_ignore": ([f64(5, 4), i64(0, 3, -100, 1, 2)],
                                lambda x: F.cross_entropy(x[0], x[1], weight=W4,
                                                          label_smoothing=0.2)),
    "ce_weight_smooth_sum": ([f64(5, 4), i64(0, 3, 2, 1, 2)],
                             lambda x: F.cross_entropy(x[0], x[1], weight=W4,
                                                       label_smoothing=0.2, reduction="sum",
                                                       ignore_index=2)),
    "ce_weight_smooth_none": ([f64(5, 4), i64(0, 3, 2, 1, 2)],
                              lambda x: F.cross_entropy(x[0], x[1], weight=W4,
                                                        label_smoothing=0.2, reduction="none",
                                                        ignore_index=1)),
    "ce_spatial_weight_ignore": ([f64(2, 3, 2, 3),
                                  torch.tensor([[[0, 1, 2], [2, 5, 0]], [[1, 1, 5], [0, 2, 2]]])],
                                 lambda x: F.cross_entropy(x[0], x[1], weight=W3, ignore_index=5,
                                                           label_smoothing=0.1)),
    "ce_probs_weight_smooth": ([f64(4, 3), probs(4, 3)],
                               lambda x: F.cross_entropy(x[0], x[1].detach(), weight=W3,
                                                         label_smoothing=0.25)),
    "ce_probs_none": ([f32(3, 4), probs(3, 4).to(torch.float32)],
                      lambda x: F.cross_entropy(x[0], x[1].detach(), reduction="none")),
    "ce_probs_target_grad": ([f64(3, 4), probs(3, 4)],
                             lambda x: F.cross_entropy(x[0], x[1], weight=W4,
                                                       label_smoothing=0.1, reduction="sum")),
    "ce_unbatched_probs": ([f64(4), probs(1, 4)[0]],
                           lambda x: F.cross_entropy(x[0], x[1], label_smoothing=0.2)),
    "ce_unbatched_smooth": ([f64(4), torch.tensor(2)],
                            lambda x: F.cross_entropy(x[0], x[1], weight=W4,
                                                      label_smoothing=0.4)),
    "ce_all_ignored": ([f64(3, 4), i64(-100, -100, -100)], lambda x: F.cross_entropy(x[0], x[1])),
    "ce_all_ignored_smooth": ([f64(3, 4), i64(-100, -100, -100)],
                              lambda x: F.cross_entropy(x[0], x[1], label_smoothing=0.1)),
    "ce_huge_logits": ([tf([[1e4, -1e4, 0.0], [-1e300, 0.0, 1e300]]), i64(1, 0)],
                       lambda x: F.cross_entropy(x[0], x[1], reduction="none")),
    "nll_weight_ignore_mean": ([f64(4, 3), i64(2, 0, 1, 0)],
                               lambda x: F.nll_loss(x[0], x[1], weight=W3, ignore_index=0)),
    "nll_all_ignored": ([f64(3, 4), i64(1, 1, 1)],
                        lambda x: F.nll_loss(x[0], x[1], ignore_index=1)),
    "nll_spatial_sum": ([f64(2, 3, 4), torch.tensor([[0, 2, 1, 2], [1, 1, 0, 2]])],
                        lambda x: F.nll_loss(x[0], x[1], weight=W3, reduction="sum")),
    "bce_logits_pos_weight": ([f64(3, 4), torch.rand(3, 4, generator=gen, dtype=torch.float64)],
                              lambda x: F.binary_cross_entropy_with_logits(
                                  x[0], x[1], weight=ROWS3, pos_weight=W4)),
    "bce_logits_pos_weight_none": ([f32(2, 3), torch.rand(2, 3, generator=gen)],
                                   lambda x: F.binary_cross_entropy_with_logits(
                                       x[0], x[1], pos_weight=W3.float(), reduction="none")),
    "bce_logits_huge": ([tf([-1000.0, -50.0, 0.0, 50.0, 1000.0]),
                         tf([1.0, 0.0, 0.5, 1.0, 0.0])],
                        lambda x: F.binary_cross_entropy_with_logits(x[0], x[1], pos_weight=TWO,
                                                                     reduction="sum")),
    "bce_edges": ([tf([0.0, 1.0, 1e-50, 0.5, 1.0])],
                  lambda x: F.binary_cross_entropy(x[0], tf([0.0, 1.0, 1.0, 0.3, 0.0]),
                                                   reduction="none")),
    "bce_weight_broadcast": ([torch.rand(3, 2, generator=gen, dtype=torch.float64)],
                             lambda x: F.binary_cross_entropy(
                                 x[0], tf([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                                 weight=tf([0.5, 3.0]), reduction="sum")),
    "mse_none": ([f64(2, 3), f64(2, 3)], lambda x: F.mse_loss(x[0], x[1], reduction="none")),
    "l1_sum_at_zero": ([tf([1.0, 2.0, -1.0]), tf([1.0, 0.0, -1.0])],
                       lambda x: F.l1_loss(x[0], x[1], reduction="sum")),
    # ---- embeddings
    "embedding_neg_padding": ([torch.tensor([[0, 4, 4], [1, 3, 0]]), f64(5, 3)],
                              lambda x: F.embedding(x[0], x[1], padding_idx=-1)),
    "embedding_repeats": ([torch.tensor([2, 2, 0, 2]), f32(4, 2)],
                          lambda x: F.embedding(x[0], x[1])),
    # ---- normalisation and attention
    "group_norm_one_group": ([f64(2, 6, 3), f64(6), f64(6)],
                             lambda x: F.group_norm(x[0], 1, x[1], x[2], eps=1e-3)),
    "group_norm_per_channel": ([f32(3, 4, 2, 2)], lambda x: F.group_norm(x[0], 4)),
    "layer_norm_two_dims": ([f64(2, 3, 4), f64(3, 4), f64(3, 4)],
                            lambda x: F.layer_norm(x[0], (3, 4), x[1], x[2], eps=1e-2)),
    "layer_norm_constant_row": ([tf([[1.0, 1.0, 1.0], [0.0, 2.0, 4.0]])],
                                lambda x: F.layer_norm(x[0], (3,))),
    "batch_norm_train_f64": ([f64(4, 3, 2), f64(3), f64(3)],
                             lambda x: F.batch_norm(x[0], None, None, x[1], x[2], training=True,
                                                    eps=1e-3)),
    "batch_norm_eval_stats": ([f64(4, 3)],
                              lambda x: F.batch_norm(x[0], tf([0.5, -1.0, 2.0]),
                                                     tf([1.5, 0.25, 4.0]), training=False)),
    "sdpa_bool_mask": ([f64(2, 3, 4), f64(2, 5, 4), f64(2, 5, 2)],
                       lambda x: sdpa(
                           x[0], x[1], x[2],
                           attn_mask=torch.tensor([[True, False, True, True, False],
                                                   [False, False, False, False, True],
                                                   [True, True, True, True, True]]))),
    "sdpa_float_mask_causal_shape": ([f32(1, 4, 3), f32(1, 4, 3), f32(1, 4, 3)],
                                     lambda x: sdpa(
                                         x[0], x[1], x[2], is_causal=True)),
    "sdpa_float_mask": ([f64(3, 4), f64(2, 4), f64(2, 3)],
                        lambda x: sdpa(
                            x[0], x[1], x[2],
                            attn_mask=tf([[0.0, -1.0], [2.0, 0.5], [-3.0, 0.0]]))),

}


def main():
    out = GoldenText(__file__, "audit2_nn.txt")
    cases = {}
    for name, (inputs, fn) in CASES.items():
        cases[name] = ([x for x in inputs if x is not None], fn)
    emit_cases(out, cases)
    out.write()


if __name__ == "__main__":
    main()
