"""Golden values for tensor ops from PyTorch 1.13 (run with /usr/bin/python3).

For every case: the inputs, the output, and the gradient of
sum(output * weight) with respect to each floating input, in float32 and
float64. tests/test_ops_golden.c runs the same cases and compares.
Writes tests/golden/ops.txt: `name ndim d0.. values..` per entry.
"""
import os
import torch

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.txt")


def idx(*values):
    return torch.tensor(values, dtype=torch.int64)


# name: (input shapes, (low, high), function of the input list)
CASES = {
    "add": ([(3, 4), (4,)], (-2, 2), lambda x: x[0] + x[1]),
    "sub": ([(3, 1), (1, 4)], (-2, 2), lambda x: x[0] - x[1]),
    "mul": ([(2, 3, 4), (3, 1)], (-2, 2), lambda x: x[0] * x[1]),
    "div": ([(3, 4), (3, 4)], (0.5, 2), lambda x: x[0] / x[1]),
    "pow": ([(3, 4), (4,)], (0.5, 2), lambda x: torch.pow(x[0], x[1])),
    "maximum": ([(3, 4), (3, 4)], (-2, 2), lambda x: torch.maximum(x[0], x[1])),
    "minimum": ([(3, 4), (4,)], (-2, 2), lambda x: torch.minimum(x[0], x[1])),
    "add_scalar": ([(5,)], (-2, 2), lambda x: x[0] + 2.5),
    "rsub_scalar": ([(5,)], (-2, 2), lambda x: 1.5 - x[0]),
    "mul_scalar": ([(5,)], (-2, 2), lambda x: x[0] * -3.0),
    "div_scalar": ([(5,)], (-2, 2), lambda x: x[0] / 4.0),
    "pow_scalar": ([(5,)], (0.5, 2), lambda x: x[0] ** 2.5),
    "neg": ([(3, 4)], (-2, 2), lambda x: -x[0]),
    "exp": ([(3, 4)], (-2, 2), lambda x: torch.exp(x[0])),
    "log": ([(3, 4)], (0.1, 3), lambda x: torch.log(x[0])),
    "log1p": ([(3, 4)], (-0.5, 3), lambda x: torch.log1p(x[0])),
    "sqrt": ([(3, 4)], (0.1, 3), lambda x: torch.sqrt(x[0])),
    "abs": ([(3, 4)], (-2, 2), lambda x: torch.abs(x[0])),
    "sigmoid": ([(3, 4)], (-6, 6), lambda x: torch.sigmoid(x[0])),
    "tanh": ([(3, 4)], (-3, 3), lambda x: torch.tanh(x[0])),
    "relu": ([(3, 4)], (-2, 2), lambda x: torch.relu(x[0])),
    "leaky_relu": ([(3, 4)], (-2, 2), lambda x: torch.nn.functional.leaky_relu(x[0], 0.2)),
    "clamp": ([(3, 4)], (-2, 2), lambda x: torch.clamp(x[0], -0.5, 1.0)),
    "sin": ([(3, 4)], (-4, 4), lambda x: torch.sin(x[0])),
    "cos": ([(3, 4)], (-4, 4), lambda x: torch.cos(x[0])),
    "floor": ([(3, 4)], (-3, 3), lambda x: torch.floor(x[0])),
    "ceil": ([(3, 4)], (-3, 3), lambda x: torch.ceil(x[0])),
    "round": ([(3, 4)], (-3, 3), lambda x: torch.round(x[0] * 2) / 2 + torch.round(x[0])),
    "silu": ([(3, 4)], (-4, 4), lambda x: torch.nn.functional.silu(x[0])),
    "softplus": ([(3, 4)], (-3, 3), lambda x: torch.nn.functional.softplus(x[0])),
    "softplus_beta": ([(3, 4)], (-3, 3),
                      lambda x: torch.nn.functional.softplus(x[0], beta=2, threshold=1.5)),
    "elu": ([(3, 4)], (-3, 3), lambda x: torch.nn.functional.elu(x[0], alpha=0.7)),
    "hardtanh": ([(3, 4)], (-2, 2), lambda x: torch.nn.functional.hardtanh(x[0], -0.5, 1.0)),
    "sum_all": ([(3, 4)], (-2, 2), lambda x: x[0].sum()),
    "sum_dim": ([(2, 3, 4)], (-2, 2), lambda x: x[0].sum(dim=(0, 2))),
    "sum_keepdim": ([(2, 3, 4)], (-2, 2), lambda x: x[0].sum(dim=1, keepdim=True)),
    "mean": ([(3, 4)], (-2, 2), lambda x: x[0].mean(dim=0)),
    "var": ([(3, 4)], (-2, 2), lambda x: x[0].var(dim=1)),
    "var_pop": ([(3, 4)], (-2, 2), lambda x: x[0].var(dim=1, unbiased=False)),
    "std": ([(3, 4)], (-2, 2), lambda x: x[0].std()),
    "logsumexp": ([(3, 4)], (-2, 2), lambda x: torch.logsumexp(x[0], dim=1)),
    "max_dim": ([(3, 4)], (-2, 2), lambda x: x[0].max(dim=1)[0]),
    "min_dim": ([(3, 4)], (-2, 2), lambda x: x[0].min(dim=0, keepdim=True)[0]),
    "max_all": ([(3, 4)], (-2, 2), lambda x: x[0].max()),
    "softmax": ([(3, 4)], (-3, 3), lambda x: torch.softmax(x[0], dim=-1)),
    "softmax_dim0": ([(3, 4)], (-3, 3), lambda x: torch.softmax(x[0], dim=0)),
    "log_softmax": ([(3, 4)], (-3, 3), lambda x: torch.log_softmax(x[0], dim=1)),
    "matmul_2d": ([(3, 4), (4, 5)], (-2, 2), lambda x: x[0] @ x[1]),
    "matmul_vec": ([(4,), (4, 5)], (-2, 2), lambda x: x[0] @ x[1]),
    "matmul_mv": ([(3, 4), (4,)], (-2, 2), lambda x: x[0] @ x[1]),
    "matmul_dot": ([(4,), (4,)], (-2, 2), lambda x: x[0] @ x[1]),
    "matmul_batched": ([(2, 1, 3, 4), (3, 4, 2)], (-2, 2), lambda x: x[0] @ x[1]),
    "matmul_t": ([(4, 3), (4, 5)], (-2, 2), lambda x: x[0].t() @ x[1]),
    "linear": ([(5, 3), (4, 3), (4,)], (-2, 2),
               lambda x: torch.nn.functional.linear(x[0], x[1], x[2])),
    "transpose": ([(2, 3, 4)], (-2, 2), lambda x: x[0].transpose(0, 2) * 1.0),
    "permute": ([(2, 3, 4)], (-2, 2), lambda x: x[0].permute(1, 2, 0) * 1.0),
    "reshape": ([(2, 3, 4)], (-2, 2), lambda x: x[0].reshape(4, 6)),
    "expand": ([(3, 1)], (-2, 2), lambda x: x[0].expand(2, 3, 4) * 1.0),
    "narrow": ([(3, 5)], (-2, 2), lambda x: x[0].narrow(1, 1, 3)),
    "slice_step": ([(3, 5)], (-2, 2), lambda x: x[0][:, 1:5:2]),
    "select": ([(3, 5)], (-2, 2), lambda x: x[0][1]),
    "index_select": ([(3, 4)], (-2, 2), lambda x: torch.index_select(x[0], 0, idx(2, 0, 2))),
    "gather": ([(3, 4)], (-2, 2), lambda x: torch.gather(x[0], 1, idx([0, 3], [1, 1], [2, 0]))),
    "scatter_add": ([(3, 4), (3, 2)], (-2, 2),
                    lambda x: x[0].scatter_add(1, idx([0, 3], [1, 1], [2, 0]), x[1])),
    "masked_fill": ([(3, 4)], (-2, 2), lambda x: x[0].masked_fill(x[0] > 0.5, -1.0)),
    "where": ([(3, 4), (4,)], (-2, 2), lambda x: torch.where(x[0] > 0, x[0], x[1])),
    "cat": ([(3, 2), (3, 4)], (-2, 2), lambda x: torch.cat([x[0], x[1]], dim=1)),
    "stack": ([(3, 2), (3, 2)], (-2, 2), lambda x: torch.stack([x[0], x[1]], dim=1)),
    "cumsum": ([(3, 4)], (-2, 2), lambda x: torch.cumsum(x[0], dim=1)),
    "cumsum_dim0": ([(300, 2)], (-2, 2), lambda x: torch.cumsum(x[0], dim=0)),
    "flip": ([(2, 3, 4)], (-2, 2), lambda x: torch.flip(x[0], dims=(0, 2))),
    "repeat": ([(2, 3)], (-2, 2), lambda x: x[0].repeat(2, 1, 3)),
    "tril": ([(4, 5)], (-2, 2), lambda x: torch.tril(x[0], -1)),
    "triu": ([(2, 3, 4)], (-2, 2), lambda x: torch.triu(x[0], 1)),
    "chunk": ([(5, 4)], (-2, 2),
              lambda x: torch.cat([c * (i + 1) for i, c in enumerate(x[0].chunk(3, dim=0))])),
    "split": ([(3, 7)], (-2, 2),
              lambda x: torch.cat([c * (i + 1) for i, c in enumerate(x[0].split(3, dim=1))],
                                  dim=1)),
    "bmm": ([(2, 3, 4), (2, 4, 5)], (-2, 2), lambda x: torch.bmm(x[0], x[1])),
    "sort": ([(3, 5)], (-2, 2), lambda x: torch.sort(x[0], dim=1, descending=True).values),
    "sort_idx": ([(4, 3)], (-2, 2),
                 lambda x: x[0] * 0 + torch.argsort(x[0], dim=0).to(x[0].dtype)),
    "topk": ([(4, 6)], (-2, 2), lambda x: torch.topk(x[0], 3, dim=1).values),
    "topk_smallest": ([(4, 6)], (-2, 2),
                      lambda x: torch.topk(x[0], 2, dim=0, largest=False).values),
    "chain": ([(4, 3), (3, 2)], (-2, 2),
              lambda x: torch.tanh(x[0] @ x[1]).sum(dim=1).exp().mean()),
}


def write(f, name, t):
    t = t.detach().to(torch.float64)
    dims = " ".join(str(d) for d in t.shape)
    values = " ".join(repr(float(v)) for v in t.reshape(-1).tolist())
    f.write(f"{name} {t.dim()} {dims} {values}\n".replace("  ", " "))


# Column sums in float32 whose bits must equal PyTorch's (its CPU kernel
# adds them in a cascaded order, AVX2 build): shapes covering the plain
# running sum, the cascade over many rows, and the columns past the last
# block of 32 (summed in four interleaved partials).
COLUMN_SUMS = [(16, 200), (100, 40), (600, 12), (7, 33)]


def write_column_sums(f):
    gen = torch.Generator().manual_seed(99)
    for rows, cols in COLUMN_SUMS:
        x = torch.randn(rows, cols, generator=gen) * 3 + 1
        write(f, f"colsum_{rows}x{cols}.x", x)
        write(f, f"colsum_{rows}x{cols}.sum", x.sum(dim=0))


def main():
    with open(OUT, "w") as f:
        for name, (shapes, (low, high), fn) in CASES.items():
            base = [torch.rand(s, dtype=torch.float64) * (high - low) + low for s in shapes]
            for i, x in enumerate(base):
                write(f, f"{name}.x{i}", x)
            for dtype, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
                xs = [x.to(dtype).requires_grad_(True) for x in base]
                y = fn(xs)
                w = torch.linspace(-1, 1, y.numel(), dtype=dtype).reshape(y.shape)
                (y * w).sum().backward()
                write(f, f"{name}.{tag}.y", y)
                for i, x in enumerate(xs):
                    write(f, f"{name}.{tag}.g{i}", x.grad)
        write_column_sums(f)


if __name__ == "__main__":
    main()
