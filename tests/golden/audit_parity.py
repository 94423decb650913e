"""Golden values for the audit's PyTorch parity cases (run with
/usr/bin/python3: Debian's PyTorch 1.13).

The cases the other golden files leave out: type promotion across bool,
int64, float32 and float64 (ops, scalars, comparisons, where); reductions
with negative dims, dim lists and keepdim; empty (0-size) dims; NaN and
infinity through max/min/argmax/sort/topk/clamp/maximum/logsumexp/softmax;
non-contiguous (transposed, stepped, expanded) inputs to every op family;
integer edge cases (pow, division, round half to even, cumsum of bool).
For each case: the inputs, their dtypes, the output and its dtype, and
(for floating inputs when the output is floating) the gradient of
sum(y * w), w a ramp from -1 to 1. tests/test_audit_parity.c runs the same
cases. Writes tests/golden/audit_parity.txt (golden_text.py's format)."""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_text import GoldenText  # noqa: E402

DTYPES = {torch.bool: 0, torch.int64: 1, torch.float32: 2, torch.float64: 3}
nan, inf = math.nan, math.inf
gen = torch.Generator().manual_seed(2026)


def f32(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(torch.float32)


def f64(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def i64(*values):
    return torch.tensor(values, dtype=torch.int64)


def tf(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


B = torch.tensor([[True, False, True], [False, False, True]])
I = torch.tensor([[3, -2, 0], [7, 5, -4]])
NANS = tf([[1.0, nan, 3.0, -1.0], [2.0, 2.0, -inf, 0.5], [nan, nan, 1.0, inf]])

# name: (inputs, function of the input list)
CASES = {
    # promotion: bool < int64 < float32 < float64, as PyTorch's result_type
    "add_int_f32": ([I, f32(2, 3)], lambda x: x[0] + x[1]),
    "add_bool_int": ([B, I], lambda x: x[0] + x[1]),
    "mul_bool_f64": ([B, f64(3)], lambda x: x[0] * x[1]),
    "add_f32_f64": ([f32(2, 3), f64(1, 3)], lambda x: x[0] + x[1]),
    "div_int_int": ([I, i64(2, -3, 4)], lambda x: x[0] / x[1]),
    "sub_int_scalar_float": ([I], lambda x: x[0] - 1.5),
    "mul_int_scalar_int": ([I], lambda x: x[0] * 3),
    "pow_int_scalar": ([I], lambda x: x[0] ** 2),
    "maximum_int_f32": ([I, f32(3)], lambda x: torch.maximum(x[0], x[1])),
    "where_int_f64": ([B, I, f64(2, 3)], lambda x: torch.where(x[0], x[1], x[2])),
    "eq_int_f32": ([I, tf([3.0, -2.5, 0.0])], lambda x: (x[0] == x[1])),
    "lt_bool_int": ([B, i64(1, 0, 2)], lambda x: x[0] < x[1]),
    "sum_bool": ([B], lambda x: x[0].sum(dim=1)),
    "cumsum_bool": ([B], lambda x: torch.cumsum(x[0], dim=-1)),
    "cumsum_int": ([I], lambda x: torch.cumsum(x[0], dim=0)),
    "exp_int": ([I], lambda x: torch.exp(x[0])),
    "abs_int": ([I], lambda x: torch.abs(x[0])),
    "clamp_int": ([I], lambda x: torch.clamp(x[0], -1, 4)),
    "clamp_int_fraction": ([I], lambda x: torch.clamp(x[0], -1.5, 2.5)),
    "add_int_huge_scalar": ([I], lambda x: x[0] + 1e20),
    "mul_int_inf": ([I], lambda x: x[0] * math.inf),
    "pow_int_huge": ([i64(1, 1, 1)], lambda x: x[0] ** 1e20),
    "max_int_dim": ([I], lambda x: x[0].max(dim=-1).values),
    "argmax_int": ([I], lambda x: torch.argmax(x[0], dim=0)),
    "to_int_truncates": ([tf([-2.7, -0.5, 0.5, 2.9])], lambda x: x[0].to(torch.int64)),
    "to_bool": ([tf([0.0, -0.0, 0.1, nan])], lambda x: x[0].to(torch.bool)),
    # reductions: negative dims, lists, keepdim
    "sum_neg_keep": ([f32(2, 3, 4)], lambda x: x[0].sum(dim=(-1, 0), keepdim=True)),
    "mean_neg": ([f64(2, 3, 4)], lambda x: x[0].mean(dim=(-2,))),
    "var_list_keep": ([f64(2, 3, 4)], lambda x: x[0].var(dim=(0, 2), keepdim=True)),
    "std_pop_neg": ([f32(3, 5)], lambda x: x[0].std(dim=-1, unbiased=False)),
    "logsumexp_list": ([f64(2, 3, 4)], lambda x: torch.logsumexp(x[0], dim=(-1, -3))),
    "max_neg_keep": ([f32(3, 4)], lambda x: x[0].max(dim=-2, keepdim=True).values),
    "min_neg": ([f64(3, 4)], lambda x: x[0].min(dim=-1).values),
    "argmin_keep": ([f32(3, 4)], lambda x: torch.argmin(x[0], dim=-1, keepdim=True)),
    "softmax_neg3": ([f64(2, 3, 4)], lambda x: torch.softmax(x[0], dim=-3)),
    "log_softmax_0": ([f32(3, 4)], lambda x: torch.log_softmax(x[0], dim=0)),
    "cumsum_neg": ([f64(3, 4)], lambda x: torch.cumsum(x[0], dim=-2)),
    "var_single": ([f64(1, 3)], lambda x: x[0].var(dim=0)),
    # empty dims
    "sum_empty": ([torch.zeros(0, 3)], lambda x: x[0].sum(dim=0)),
    "mean_empty": ([torch.zeros(0, 3)], lambda x: x[0].mean(dim=0)),
    "logsumexp_empty": ([torch.zeros(0, 3, dtype=torch.float64)],
                        lambda x: torch.logsumexp(x[0], dim=0)),
    "max_empty_other": ([torch.zeros(0, 3)], lambda x: x[0].max(dim=1).values),
    "matmul_empty_inner": ([torch.zeros(2, 0), torch.zeros(0, 3)], lambda x: x[0] @ x[1]),
    "cat_with_empty": ([torch.zeros(0, 3), f32(2, 3)], lambda x: torch.cat([x[0], x[1]], 0)),
    "broadcast_empty": ([torch.zeros(0, 1, 3), f32(4, 1)], lambda x: x[0] + x[1]),
    # NaN and infinity
    "max_nan": ([NANS], lambda x: x[0].max(dim=1).values),
    "argmax_nan": ([NANS], lambda x: torch.argmax(x[0], dim=1)),
    "min_nan_dim0": ([NANS], lambda x: x[0].min(dim=0).values),
    "max_all_nan": ([NANS], lambda x: x[0].max()),
    "sort_nan": ([NANS], lambda x: torch.sort(x[0], dim=1).values),
    "sort_nan_desc": ([NANS], lambda x: torch.sort(x[0], dim=1, descending=True).values),
    "argsort_nan": ([NANS], lambda x: torch.argsort(x[0], dim=1)),
    "topk_nan": ([NANS[:, [0, 1, 3]]], lambda x: torch.topk(x[0], 2, dim=1).values),
    "leaky_relu_nan": ([NANS], lambda x: torch.nn.functional.leaky_relu(x[0], 0.1)),
    "minimum_nan": ([NANS, tf([0.0, 1.0, nan, 2.0])], lambda x: torch.minimum(x[0], x[1])),
    "clamp_nan": ([NANS], lambda x: torch.clamp(x[0], -0.5, 2.0)),
    "maximum_nan": ([NANS, tf([0.0, 1.0, nan, 2.0])], lambda x: torch.maximum(x[0], x[1])),
    "relu_nan": ([NANS], lambda x: torch.relu(x[0])),
    "logsumexp_inf": ([tf([[-inf, -inf], [inf, 1.0], [-inf, 2.0]])],
                      lambda x: torch.logsumexp(x[0], dim=1)),
    "softmax_masked_row": ([tf([[-inf, 0.0, 1.0], [-inf, -inf, 5.0]])],
                           lambda x: torch.softmax(x[0], dim=1)),
    "log_softmax_masked": ([tf([[-inf, 0.0, 1.0]])], lambda x: torch.log_softmax(x[0], dim=1)),
    "sigmoid_inf": ([tf([-inf, -100.0, 0.0, 100.0, inf])], lambda x: torch.sigmoid(x[0])),
    "tanh_big": ([tf([-30.0, -1e-8, 20.0])], lambda x: torch.tanh(x[0])),
    "log1p_small": ([f64(1) * 0 + tf([1e-12, -1e-12, 1e-5], torch.float64)],
                    lambda x: torch.log1p(x[0])),
    # gradients at kinks and boundaries
    "clamp_boundary": ([tf([-0.5, 1.0, 0.2, -2.0, 3.0], torch.float64)],
                       lambda x: torch.clamp(x[0], -0.5, 1.0)),
    "hardtanh_boundary": ([tf([-0.5, 1.0, 0.2, -2.0, 3.0], torch.float64)],
                          lambda x: torch.nn.functional.hardtanh(x[0], -0.5, 1.0)),
    "relu_at_zero": ([tf([0.0, -0.0, 1.0], torch.float64)], lambda x: torch.relu(x[0])),
    "leaky_relu_at_zero": ([tf([0.0, -1.0, 1.0], torch.float64)],
                           lambda x: torch.nn.functional.leaky_relu(x[0], 0.2)),
    "elu_at_zero": ([tf([0.0, -1.0, 1.0], torch.float64)],
                    lambda x: torch.nn.functional.elu(x[0], 0.7)),
    "abs_at_zero": ([tf([0.0, -1.0, 1.0], torch.float64)], lambda x: torch.abs(x[0])),
    "sqrt_at_zero": ([tf([0.0, 4.0], torch.float64)], lambda x: torch.sqrt(x[0])),
    "max_dim_ties": ([tf([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], torch.float64)],
                     lambda x: x[0].max(dim=1).values),
    "max_all_ties": ([tf([[1.0, 3.0, 3.0], [3.0, 2.0, 0.0]], torch.float64)],
                     lambda x: x[0].max()),
    "sort_ties_grad": ([tf([[1.0, 3.0, 3.0, 0.0]], torch.float64)],
                       lambda x: torch.sort(x[0], dim=1).values),
    "std_constant": ([tf([[2.0, 2.0, 2.0]], torch.float64)], lambda x: x[0].std(dim=1)),
    "pow_zero_base_grad": ([tf([0.0, 0.0, 2.0], torch.float64), tf([2.0, 0.5, 3.0], torch.float64)],
                           lambda x: torch.pow(x[0], x[1])),
    "log_at_zero": ([tf([0.0, 1.0], torch.float64)], lambda x: torch.log(x[0])),
    # non-contiguous inputs to each op family
    "add_transposed": ([f32(4, 3), f32(3, 4)], lambda x: x[0].t() + x[1]),
    "mul_stepped": ([f64(3, 8)], lambda x: x[0][:, 1::3] * x[0][:, ::3]),
    "exp_expanded": ([f32(3, 1)], lambda x: torch.exp(x[0].expand(3, 4))),
    "sum_transposed": ([f32(5, 4)], lambda x: x[0].t().sum(dim=1)),
    "max_stepped": ([f64(4, 7)], lambda x: x[0][::2, 1::2].max(dim=0).values),
    "softmax_transposed": ([f32(4, 3)], lambda x: torch.softmax(x[0].t(), dim=-1)),
    "matmul_transposed": ([f32(4, 3), f32(5, 4)], lambda x: x[0].t() @ x[1].t()),
    "matmul_expanded": ([f64(1, 3, 4), f64(4, 2)], lambda x: x[0].expand(2, 3, 4) @ x[1]),
    "cumsum_stepped": ([f64(6, 3)], lambda x: torch.cumsum(x[0][::2], dim=0)),
    "sort_transposed": ([f32(4, 3)], lambda x: torch.sort(x[0].t(), dim=1).values),
    "gather_transposed": ([f64(4, 3)],
                          lambda x: torch.gather(x[0].t(), 1, i64([0, 3], [1, 1], [2, 0]))),
    "index_select_stepped": ([f32(3, 8)],
                             lambda x: torch.index_select(x[0][:, ::2], 1, i64(3, 0, 3))),
    "where_expanded": ([f64(1, 4), f64(3, 1)],
                       lambda x: torch.where(x[0] > 0, x[0].expand(3, 4), x[1])),
    "cat_transposed": ([f32(2, 3), f32(4, 3)], lambda x: torch.cat([x[0].t(), x[1].t()], 1)),
    "linear_transposed": ([f32(3, 5), f32(4, 3), f32(4)],
                          lambda x: torch.nn.functional.linear(x[0].t(), x[1].t().t(), x[2])),
    "var_stepped": ([f64(4, 9)], lambda x: x[0][:, ::2].var(dim=1)),
    "logsumexp_transposed": ([f32(3, 4)], lambda x: torch.logsumexp(x[0].t(), dim=0)),
    "cross_entropy_transposed": ([f32(3, 4), i64(0, 2, 1, 2)],
                                 lambda x: torch.nn.functional.cross_entropy(x[0].t(), x[1])),
    "mse_expanded": ([f32(1, 3), f32(4, 3)],
                     lambda x: torch.nn.functional.mse_loss(x[0].expand(4, 3), x[1])),
    # integer and rounding edge cases
    "pow_zero_zero": ([tf([0.0, 0.0, 2.0], torch.float64), tf([0.0, -1.0, 0.0], torch.float64)],
                      lambda x: torch.pow(x[0], x[1])),
    "pow_negative_base": ([tf([-2.0, -8.0, -0.5], torch.float64)],
                          lambda x: torch.pow(x[0], 3.0)),
    "round_half_even": ([tf([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999])], lambda x: torch.round(x[0])),
    "floor_ceil_neg": ([tf([-1.5, -0.2, 0.2, 1.5])], lambda x: torch.floor(x[0]) + torch.ceil(x[0])),
    "div_by_zero": ([tf([1.0, -1.0, 0.0]), tf([0.0, 0.0, 0.0])], lambda x: x[0] / x[1]),
    "int_div_by_zero": ([i64(1, -1, 0), i64(0, 0, 0)], lambda x: x[0] / x[1]),
    "one_hot": ([i64(2, 0, 1)], lambda x: torch.nn.functional.one_hot(x[0], 4)),
    "arange_int_frac": ([], lambda x: torch.arange(0, 5, 1.5, dtype=torch.int64)),
    "linspace_int": ([], lambda x: torch.linspace(-1, 1, 5, dtype=torch.int64)),
}


def emit_cases(out, cases):
    """Each case's inputs, output and gradients of sum(y * w) into out, as
    tests/parity_runner.c reads them (audit2_nn.py writes its cases so too)."""
    for name, (inputs, fn) in cases.items():
        xs = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
        out.emit(f"{name}.dtypes", [DTYPES[x.dtype] for x in xs] or [-1])
        for i, x in enumerate(xs):
            out.emit(f"{name}.x{i}", x.detach().to(torch.float64))
        y = fn(xs)
        out.emit(f"{name}.ydtype", [DTYPES[y.dtype]])
        out.emit(f"{name}.yndim", [y.dim()])
        out.emit(f"{name}.y", y.detach().to(torch.float64))
        if y.is_floating_point() and y.requires_grad and y.numel() > 0:
            w = torch.linspace(-1, 1, y.numel(), dtype=y.dtype).reshape(y.shape)
            (y * w).sum().backward()
            for i, x in enumerate(xs):
                if x.requires_grad:
                    g = x.grad if x.grad is not None else torch.zeros_like(x)
                    out.emit(f"{name}.g{i}", g.to(torch.float64))


def main():
    out = GoldenText(__file__, "audit_parity.txt")
    emit_cases(out, CASES)
    out.write()


if __name__ == "__main__":
    main()
