"""Golden values for "autograd that never lies" (issue 12), from PyTorch 1.13
(run with /usr/bin/python3). tests/test_truth.c runs the same cases.

truth.txt (numbers, `name ndim d0.. values..`):
  edge.<case>.x<i>, .y, .g<i>   gradients of y.sum() at edge points (float64)
  fwd.<case>.x<i>, .y           forward values at NaN, inf, -0, empty, ...
  inplace.<case>.y, .g<i>       in-place writes recorded on the tape
truth_text.txt (`name<TAB>text`, newlines written as \\n):
  error.<case>    the message PyTorch raises
  name.<case>     grad_fn.name() of each op's result
  print.<case>    str(tensor)
"""
import os

import torch
import torch.nn.functional as F

from golden_text import GoldenText

HERE = os.path.dirname(os.path.abspath(__file__))
out = GoldenText(__file__, "truth.txt")
text_lines = []
nan, inf = float("nan"), float("inf")
f64 = torch.float64


def emit_text(name, s):
    text_lines.append("%s\t%s" % (name, s.replace("\\", "\\\\").replace("\n", "\\n")))


def leaves(xs):
    return [torch.tensor(x, dtype=f64, requires_grad=True) for x in xs]


# ---- gradients at edge points: y = f(x...), grads of y.sum() ----
EDGE = {
    "std_const_rows": ([[[1.0, 1, 1], [1, 2, 3]]], lambda x: x.std(dim=1)),
    "std_const_all": ([[2.0, 2, 2]], lambda x: x.std()),
    "std_one": ([[[2.0]]], lambda x: x.std(dim=1)),
    "var_one": ([[[2.0]]], lambda x: x.var(dim=1)),
    "var_correction_3": ([[1.0, 2]], lambda x: torch.var(x, dim=0, correction=3)),
    "std_correction_3": ([[1.0, 2]], lambda x: torch.std(x, dim=0, correction=3)),
    "pow_base_0": ([[0.0, 0, 0, 0, 2, -1], [0.0, 2, -1, 0.5, 0, 2]], torch.pow),
    "pow_scalar_0": ([[0.0, 1]], lambda x: x**0.0),
    "pow_scalar_half": ([[0.0, 1]], lambda x: x**0.5),
    "pow_scalar_minus1": ([[0.0, 1]], lambda x: x**-1.0),
    "pow_scalar_2": ([[0.0, 1]], lambda x: x**2.0),
    "abs_0": ([[0.0, -0.0, 1]], torch.abs),
    "sqrt_0": ([[0.0, -1, 4]], torch.sqrt),
    "relu_0": ([[0.0, -1, 4]], torch.relu),
    "leaky_relu_0": ([[0.0, -1, 4]], lambda x: F.leaky_relu(x, 0.1)),
    "clamp_bounds": ([[-1.0, 1, 0, 2, -2]], lambda x: torch.clamp(x, -1, 1)),
    "clamp_min_above_max": ([[-1.0, 1, 0, 2, -2]], lambda x: torch.clamp(x, 1, -1)),
    "maximum_ties": ([[1.0, 2, 3], [1.0, 1, 4]], torch.maximum),
    "minimum_ties": ([[1.0, 2, 3], [1.0, 1, 4]], torch.minimum),
    "max_all_ties": ([[1.0, 3, 3, 2]], torch.max),
    "min_all_ties": ([[1.0, 3, 1, 2]], torch.min),
    "max_dim_ties": ([[[1.0, 3, 3, 2]]], lambda x: torch.max(x, 1)[0]),
    "min_dim_ties": ([[[1.0, 3, 1, 1]]], lambda x: torch.min(x, 1)[0]),
    "log_0": ([[0.0, 1, -1]], torch.log),
    "log1p_minus1": ([[-1.0, 0, -2]], torch.log1p),
    "div_by_0": ([[1.0, 0, -1], [0.0, 0, 0]], torch.div),
    "logsumexp_all_minus_inf": ([[-inf, -inf]], lambda x: torch.logsumexp(x, 0)),
    "logsumexp_inf": ([[inf, 1.0]], lambda x: torch.logsumexp(x, 0)),
    "softmax_minus_inf": ([[-inf, 0.0, 1]], lambda x: torch.softmax(x, 0) * torch.arange(3.0)),
    "log_softmax_minus_inf": ([[-inf, 0.0, 1]], lambda x: torch.log_softmax(x, 0)),
    "sigmoid_far": ([[-800.0, 800]], torch.sigmoid),
    "tanh_far": ([[-800.0, 800]], torch.tanh),
    "exp_far": ([[800.0, -800]], torch.exp),
    "bce_at_0_and_1": ([[0.0, 1, 0.5], [1.0, 0, 0]], lambda x, y: F.binary_cross_entropy(x, y)),
    "mse_mean": ([[0.0, 1], [0.0, 0]], lambda x, y: F.mse_loss(x, y)),
    "norm_at_0": ([[0.0, 0]], lambda x: (x * x).sum().sqrt()),
}

for name, (xs, f) in EDGE.items():
    inputs = leaves(xs)
    y = f(*inputs)
    y.sum().backward()
    for i, x in enumerate(inputs):
        out.emit("edge.%s.x%d" % (name, i), x.detach())
        out.emit("edge.%s.g%d" % (name, i), x.grad)
    out.emit("edge.%s.y" % name, y.detach())

# ---- forward edge values ----
FWD = {
    "relu_nan": ([[nan, -1.0, -0.0, 2]], torch.relu),
    "maximum_nan": ([[nan, 1.0, 2], [1.0, nan, 3]], torch.maximum),
    "minimum_nan": ([[nan, 1.0, 2], [1.0, nan, 3]], torch.minimum),
    "clamp_nan": ([[nan, -5.0, 5]], lambda x: torch.clamp(x, -1, 1)),
    "clamp_min_above_max": ([[-5.0, 0, 5]], lambda x: torch.clamp(x, 2, -2)),
    "max_all_nan": ([[1.0, nan, 3]], torch.max),
    "min_all_nan": ([[1.0, nan, 3]], torch.min),
    "max_dim_nan": ([[[1.0, nan, 3], [4.0, 5, 6]]], lambda x: torch.max(x, 1)[0]),
    "max_dim_nan_index": ([[[1.0, nan, 3], [4.0, 5, 6]]], lambda x: torch.max(x, 1)[1]),
    "argmax_nan": ([[[1.0, 3, nan, 2]]], lambda x: torch.argmax(x, 1)),
    "argmin_nan": ([[[1.0, 3, nan, 2]]], lambda x: torch.argmin(x, 1)),
    "sum_inf": ([[inf, -inf, 1]], lambda x: x.sum()),
    "mean_empty": ([[]], lambda x: x.mean()),
    "sum_empty": ([[]], lambda x: x.sum()),
    "var_correction_big": ([[1.0, 2, 4]], lambda x: torch.var(x, dim=0, correction=5)),
    "neg_zero": ([[0.0, -0.0]], torch.neg),
    "abs_neg_zero": ([[-0.0]], torch.abs),
    "sqrt_neg_zero": ([[-0.0]], torch.sqrt),
    "relu_neg_zero": ([[-0.0]], torch.relu),
    "exp_inf": ([[inf, -inf, nan]], torch.exp),
    "log_inf": ([[inf, 0.0, -0.0]], torch.log),
    "sigmoid_inf": ([[inf, -inf, nan]], torch.sigmoid),
    "tanh_inf": ([[inf, -inf]], torch.tanh),
    "softmax_inf": ([[inf, 1.0]], lambda x: torch.softmax(x, 0)),
    "softmax_all_minus_inf": ([[-inf, -inf]], lambda x: torch.softmax(x, 0)),
    "log_softmax_all_minus_inf": ([[-inf, -inf]], lambda x: torch.log_softmax(x, 0)),
    "logsumexp_empty": ([[]], lambda x: torch.logsumexp(x, 0)),
    "softmax_empty": ([[]], lambda x: torch.softmax(x, 0)),
    "maximum_signed_zero": ([[0.0, -0.0], [-0.0, 0.0]], torch.maximum),
    "minimum_signed_zero": ([[0.0, -0.0], [-0.0, 0.0]], torch.minimum),
    "max_all_signed_zero": ([[-0.0, 0.0]], torch.max),
    "min_all_signed_zero": ([[0.0, -0.0]], torch.min),
    "leaky_relu_nan": ([[nan, -2.0]], lambda x: F.leaky_relu(x, 0.5)),
}

for name, (xs, f) in FWD.items():
    inputs = [torch.tensor(x, dtype=f64) for x in xs]
    y = f(*inputs)
    for i, x in enumerate(inputs):
        out.emit("fwd.%s.x%d" % (name, i), x)
    out.emit("fwd.%s.y" % name, y.to(f64))

# ---- dtype rules (values; the dtype is checked by the C side's names) ----
i64 = torch.tensor([2, 3, -2])
out.emit("dtype.int64_pow", torch.pow(i64, torch.tensor([3, 2, 3])))
out.emit("dtype.int64_pow_scalar", i64**2)
out.emit("dtype.int64_pow_negative", torch.pow(torch.tensor([2, 1, -1, 3]), torch.tensor([-1, -1, -1, -2])))
out.emit("dtype.bool_add", torch.tensor([True, False, False]) + torch.tensor([True, True, False]))
out.emit("dtype.bool_mul", torch.tensor([True, False]) * torch.tensor([True, True]))

for name, f in {
    "int64_negative_pow_scalar": lambda: i64**-1,
    "neg_bool": lambda: -torch.tensor([True]),
    "index_select_negative": lambda: torch.index_select(torch.ones(3), 0, torch.tensor([-1])),
    "max_all_empty": lambda: torch.max(torch.ones(0)),
    "max_dim_empty": lambda: torch.max(torch.ones(2, 0), 1),
}.items():
    try:
        f()
        raise SystemExit("expected an error from " + name)
    except (RuntimeError, IndexError) as e:
        emit_text("error." + name, str(e).split("\n")[0])

# ---- in-place writes on the tape ----
def run_inplace(name, f, *xs):
    inputs = leaves(xs)
    try:
        y = f(*inputs)
        y.sum().backward()
    except RuntimeError as e:
        emit_text("error.inplace_" + name, str(e).split(" Hint:")[0])
        return
    out.emit("inplace.%s.y" % name, y.detach())
    for i, x in enumerate(inputs):
        out.emit("inplace.%s.g%d" % (name, i), x.grad if x.grad is not None else torch.zeros_like(x))
    # C++ nodes name themselves with their namespace; print(t) drops it
    emit_text("name.inplace_%s" % name, y.grad_fn.name().replace("torch::autograd::", ""))


def mul_then(f):
    def g(x, *rest):
        a = x * 1
        f(a, *rest)
        return a
    return g


def sigmoid_then_mul_(x):
    y = torch.sigmoid(x)
    y.mul_(2)
    return y


def saved_input_modified(x):
    a = x * 1
    b = a * a
    a.add_(1)
    return b


def unsaved_input_modified(x):
    a = x * 1
    b = a + 1
    a.mul_(2)
    return b + a


def add_into_constant(x):
    buf = torch.zeros(3, dtype=f64)
    buf.add_(x, alpha=2)
    return buf * buf


run_inplace("mul_", mul_then(lambda a: a.mul_(3)), [1.0, 2, 3])
run_inplace("add_", mul_then(lambda a, y: a.add_(y, alpha=-0.5)), [1.0, 2, 3], [4.0, 5, 6])
run_inplace("fill_", mul_then(lambda a: a.fill_(2)), [1.0, 2, 3])
run_inplace("zero_", mul_then(lambda a: a.zero_()), [1.0, 2, 3])
run_inplace("copy_", mul_then(lambda a, y: a.copy_(y)), [1.0, 2, 3], [5.0])
run_inplace("sigmoid_output", sigmoid_then_mul_, [1.0, 2, 3])
run_inplace("saved_input", saved_input_modified, [1.0, 2, 3])
run_inplace("unsaved_input", unsaved_input_modified, [1.0, 2, 3])
run_inplace("into_constant", add_into_constant, [1.0, 2, 3])
for name, f in {
    "leaf": lambda: torch.ones(3, requires_grad=True).mul_(2),
    "leaf_view": lambda: torch.ones(3, requires_grad=True)[0].mul_(2),
}.items():
    try:
        f()
        raise SystemExit("expected an error from " + name)
    except RuntimeError as e:
        emit_text("error.inplace_" + name, str(e))

# ---- grad_fn names ----
x = torch.rand(2, 3, dtype=f64, requires_grad=True)
w = torch.rand(4, 3, dtype=f64, requires_grad=True)
b = torch.rand(4, dtype=f64, requires_grad=True)
img = torch.rand(1, 1, 4, 4, dtype=f64, requires_grad=True)
kernel = torch.rand(2, 1, 3, 3, dtype=f64, requires_grad=True)
target = torch.rand(2, 3, dtype=f64)
labels = torch.tensor([0, 2])
NAMES = {
    "add": x + x, "sub": x - x, "mul": x * x, "div": x / x, "pow": torch.pow(x, x),
    "maximum": torch.maximum(x, x), "minimum": torch.minimum(x, x),
    "add_scalar": x + 2, "sub_scalar": x - 2, "rsub_scalar": 2 - x, "mul_scalar": x * 2,
    "div_scalar": x / 2, "pow_scalar": x**2, "neg": -x, "exp": x.exp(), "log": x.log(),
    "log1p": x.log1p(), "sqrt": x.sqrt(), "abs": x.abs(), "sigmoid": x.sigmoid(),
    "tanh": x.tanh(), "relu": x.relu(), "leaky_relu": F.leaky_relu(x, 0.1),
    "clamp": x.clamp(0.2, 0.8), "sum": x.sum(), "sum_dim": x.sum(1), "mean": x.mean(),
    "mean_dim": x.mean(1), "var": x.var(), "var_dim": x.var(1), "std": x.std(),
    "std_dim": x.std(1), "logsumexp": x.logsumexp(1), "max": x.max(1)[0],
    "min": x.min(1)[0], "max_all": x.max(), "min_all": x.min(),
    "softmax": x.softmax(1), "log_softmax": x.log_softmax(1), "view": x.view(3, 2),
    "reshape": x.reshape(6), "transpose": x.transpose(0, 1), "t": x.t(),
    "permute": x.permute(1, 0), "expand": x[:1].expand(4, 3), "squeeze": x[:1].squeeze(0),
    "squeeze_all": x[:1].squeeze(), "unsqueeze": x.unsqueeze(0), "flatten": x.flatten(),
    "narrow": x.narrow(1, 0, 2), "slice": x[:, 1:3], "select": x.select(0, 1),
    "index_select": x.index_select(1, torch.tensor([0, 2])),
    "gather": x.gather(1, torch.tensor([[0], [1]])),
    "scatter_add": x.scatter_add(1, torch.tensor([[0], [1]]), x[:, :1]),
    "masked_fill": x.masked_fill(x > 0.5, 0.0), "cat": torch.cat([x, x]),
    "stack": torch.stack([x, x]), "where": torch.where(x > 0.5, x, x),
    "clone": x.clone(), "to": x.float(), "matmul": x @ w.t(), "matmul_vec": x[0] @ x[0],
    "linear": F.linear(x, w, b), "linear_no_bias": F.linear(x, w),
    "conv2d": F.conv2d(img, kernel), "max_pool2d": F.max_pool2d(img, 2),
    "mse_loss": F.mse_loss(x, target), "l1_loss": F.l1_loss(x, target),
    "bce_loss": F.binary_cross_entropy(x.sigmoid(), target),
    "nll_loss": F.nll_loss(x, labels), "cross_entropy": F.cross_entropy(x, labels),
    "sum_to_size": x.sum_to_size(1, 3),
}
for name, t in NAMES.items():
    emit_text("name." + name, t.grad_fn.name())

# ---- printing ----
PRINTS = {
    "nan_inf": torch.tensor([1.5, nan, -inf, 2.25]),
    "neg_zero": torch.tensor([-0.0, 1.0, 2.0]),
    "neg_zero_frac": torch.tensor([-0.0, 1.5]),
    "nan_only": torch.tensor([nan, nan]),
    "inf_whole": torch.tensor([inf, 1.0, -2.0]),
    "big_and_nan": torch.tensor([1e10, nan, 1.0]),
    "empty": torch.tensor([]),
    "empty_0x3": torch.zeros(0, 3),
    "empty_int64": torch.zeros(0, dtype=torch.int64),
    "empty_2x0_f64": torch.zeros(2, 0, dtype=f64),
    "int64": torch.tensor([1, -20, 300]),
    "int64_scalar": torch.tensor(5),
    "bool": torch.tensor([True, False]),
    "wrap_suffix": (torch.arange(9, dtype=f64) * 1.5).requires_grad_().mul(1),
    "wrap_requires_grad": torch.arange(10, dtype=f64).requires_grad_(),
    "short_suffix": torch.tensor([1.0, 2.0], dtype=f64, requires_grad=True) * 2,
    "scalar_nan": torch.tensor(nan),
    "scalar_neg_zero": torch.tensor(-0.0),
    "matrix_nan": torch.tensor([[1.0, nan], [-inf, 0.25]]),
}
for name, t in PRINTS.items():
    emit_text("print." + name, str(t))
    out.emit("print.%s.values" % name, t.detach().to(f64))

# ---- float32 normal draws: PyTorch's AVX2 kernel for 16 or more ----
for seed in (0, 1, 42, 2024):
    for n in (16, 37, 1000, 4096):
        torch.manual_seed(seed)
        out.emit("random.randn.%d.%d" % (seed, n), torch.randn(n).double())
torch.manual_seed(7)
out.emit("random.normal_.7", torch.empty(3, 50).normal_(2.5, 0.5).double())
torch.manual_seed(7)
out.emit("random.randn_f64.7", torch.randn(40, dtype=f64))

out.write()
with open(os.path.join(HERE, "truth_text.txt"), "w") as f:
    f.write("\n".join(text_lines) + "\n")
print("wrote %d entries to truth_text.txt" % len(text_lines))
