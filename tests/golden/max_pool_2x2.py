"""Golden values for tests/test_max_pool_2x2.c, made with PyTorch 1.13.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/max_pool_2x2.py
Writes tests/golden/max_pool_2x2.txt (see golden_text.py for the format).

MaxPool2d(2) (2x2 windows, stride 2), the pooling with its own vector
paths (nn/max_pool_2x2.c), on inputs made to hit every rule those paths
must keep: ties (small integers, +0 beside -0: the first of the window's
order wins), NaNs (one or several in a window: the last wins), -inf
windows, +inf, and row widths that fill whole vectors, leave tails of
every length and drop an odd last column or row.

Entries case<i>.{x, gy, y, indices, gx}, float32-representable values,
for float32 and float64 alike; case.count.
"""
import math

import golden_text
import torch
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), torch.__version__
out = golden_text.GoldenText(__file__, "max_pool_2x2.txt")
gen = torch.Generator().manual_seed(1414)


def put(name, t):
    out.emit(name, torch.as_tensor(t).detach().to(torch.float64).numpy())


def hostile(*shape):
    """Small integers (many ties), signed zeros, NaNs, infinities."""
    x = torch.randint(-2, 3, shape, generator=gen).to(torch.float64)
    u = torch.rand(shape, generator=gen)
    x[u < 0.25] = 0.0
    x[(u >= 0.25) & (u < 0.35)] = -0.0
    x[(u >= 0.35) & (u < 0.42)] = math.nan
    x[(u >= 0.42) & (u < 0.46)] = -math.inf
    x[(u >= 0.46) & (u < 0.48)] = math.inf
    return x


def gaussian(*shape):
    return torch.randn(shape, generator=gen).to(torch.float32).to(torch.float64)


cases = []


def case(x):
    name = "case%d" % len(cases)
    cases.append(name)
    x = x.clone().requires_grad_(True)
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    gy = gaussian(*y.shape)
    gy[0].view(-1)[::3] = -0.0  # ATen's zero-filled gradient makes these +0
    y.backward(gy)
    put(name + ".x", x)
    put(name + ".gy", gy)
    put(name + ".y", y)
    put(name + ".indices", indices)
    put(name + ".gx", x.grad)


case(hostile(2, 3, 6, 70))  # 35 windows a row: whole vectors and tails
case(hostile(3, 2, 7, 9))  # odd height and width: the last row and column dropped
case(hostile(1, 4, 5, 2))  # one window a row
for w in range(2, 36):  # every tail length of 16- and 8-wide vectors
    case(hostile(1, 1, 2, w))
case(gaussian(1, 6, 28, 28))  # LeNet's first pooling
case(gaussian(1, 16, 10, 10))  # and its second
x = torch.full((1, 2, 4, 34), -math.inf, dtype=torch.float64)  # all -inf windows
x[0, 1, 1::2, ::3] = math.nan
case(x)
put("case.count", [len(cases)])
out.write()
