"""Bit-exact golden values of PyTorch 1.13's CPU log_softmax, softmax and
cross_entropy over the last dim (ATen's vectorised lastdim kernels: SLEEF's
expf/logf, lane-ordered sums) for tests/test_aten_bits.c.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/softmax_bits.py
Writes tests/golden/softmax_bits.txt (%.17g, which every float32 and float64
value survives exactly). ATen's lane count follows the CPU capability that
PyTorch picks (torch.__config__.show(): AVX2 on the machines the goldens were
made on, 8 float / 4 double lanes); the script refuses any other.

Entries, for case <k> (rows x cols, dtype in <k>.spec):
  <k>.spec    rows, cols, float32?
  <k>.x       the logits
  <k>.g       an incoming gradient
  <k>.logp    log_softmax(x, -1)        <k>.glogp  its backward of g
  <k>.p       softmax(x, -1)            <k>.gp     its backward of g
  <k>.target  class indices (some equal to ignore_index -100)
  <k>.ce.<r>  cross_entropy(x, target, reduction=r), r = mean, sum, none
  <k>.gce.<r> its gradient for an upstream gradient of ones
"""
import golden_text
import torch
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), torch.__version__
assert "CPU capability usage: AVX2" in torch.__config__.show(), "goldens assume the AVX2 kernels"

out = golden_text.GoldenText(__file__, "softmax_bits.txt")


def emit(name, t):
    """%.9g for float32 (enough to come back exactly, and it keeps the file
    small), golden_text's %.17g otherwise."""
    if t.dtype != torch.float32:
        return out.emit(name, t)
    vals = " ".join("%.9g" % v for v in t.reshape(-1).tolist())
    dims = " ".join(str(d) for d in t.shape)
    out.lines.append(f"{name} {t.dim()} {dims} {vals}")


gen = torch.Generator().manual_seed(14)


def data(rows, cols, scale):
    return torch.randn(rows, cols, generator=gen, dtype=torch.float64) * scale


# row lengths below, at and past multiples of the lanes (8 float, 4 double)
COLS = {
    torch.float32: [1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 24, 25, 31, 33, 64, 65, 129],
    torch.float64: [1, 3, 4, 5, 8, 9, 17, 33],
}
k = 0
for dtype in (torch.float32, torch.float64):
    for cols in COLS[dtype]:
        for scale in (1.0, 8.0, 40.0)[: 3 if dtype == torch.float32 else 2]:
            rows = 5 if dtype == torch.float32 else 4
            x = (data(rows, cols, scale) + 3.0).to(dtype)
            if cols > 2 and scale == 8.0:
                x[1, cols // 2] = float("-inf")  # a class that cannot happen
            g = data(rows, cols, 1.0).to(dtype)
            target = torch.randint(0, cols, (rows,), generator=gen)
            target[2] = -100
            if cols > 2 and scale == 8.0:
                target[1] = (cols // 2 + 1) % cols
            name = f"case{k}"
            out.emit(f"{name}.spec", [rows, cols, 1 if dtype == torch.float32 else 0])
            emit(f"{name}.x", x)
            emit(f"{name}.g", g)
            out.emit(f"{name}.target", target)
            for fn, key in ((F.log_softmax, "logp"), (F.softmax, "p")):
                xr = x.clone().requires_grad_(True)
                y = fn(xr, -1)
                (gx,) = torch.autograd.grad(y, xr, g)
                emit(f"{name}.{key}", y.detach())
                emit(f"{name}.g{key}", gx)
            for r in ("mean", "sum", "none"):
                xr = x.clone().requires_grad_(True)
                loss = F.cross_entropy(xr, target, reduction=r, ignore_index=-100)
                (gx,) = torch.autograd.grad(loss, xr, torch.ones_like(loss))
                emit(f"{name}.ce.{r}", loss.detach())
                emit(f"{name}.gce.{r}", gx)
            k += 1
out.emit("cases", [k])
out.write()
