"""Golden values for tests/test_pool_norm.c, made with PyTorch 1.13.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/pool_norm.py
Writes tests/golden/pool_norm.txt (see golden_text.py for the format).

Sections:
  pool<i>.*  F.max_pool2d/max_pool1d/avg_pool2d/adaptive_*_pool2d across
             their options: spec (what the C test calls), x, gy, y, gx,
             indices; float64 and float32 (suffix _f32)
  layer.*    BatchNorm (momentum=None, track_running_stats=False),
             GroupNorm, Dropout2d/1d: params, x, gy, y, gx, grads, buffers
"""
import math

import golden_text
import torch
import torch.nn as nn
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), torch.__version__
out = golden_text.GoldenText(__file__, "pool_norm.txt")
gen = torch.Generator().manual_seed(4321)


def data(*shape):
    """float32-representable values, so float32 and float64 runs share inputs"""
    return torch.randn(tuple(shape), generator=gen).to(torch.float64)


def put(name, t):
    out.emit(name, torch.as_tensor(t).detach().to(torch.float64).numpy())


# ---- pooling -----------------------------------------------------------------

KIND = {"max2d": 0, "max1d": 1, "avg2d": 2, "adaptive_max": 3, "adaptive_avg": 4}
n_cases = [0]


def call(kind, x, k, s, p, d, ceil, include, divisor, size):
    """PyTorch's call for a spec; 0 entries are the defaults (None)."""
    stride = None if s == (0, 0) else s
    if kind == "max2d":
        return F.max_pool2d(x, k, stride, p, d if d != (0, 0) else 1, ceil, return_indices=True)
    if kind == "max1d":
        return F.max_pool1d(x, k[0], None if s[0] == 0 else s[0], p[0], d[0] or 1, ceil,
                            return_indices=True)
    if kind == "avg2d":
        return F.avg_pool2d(x, k, stride, p, ceil, include, divisor or None), None
    output_size = tuple(v if v else None for v in size)
    if kind == "adaptive_max":
        return F.adaptive_max_pool2d(x, output_size, return_indices=True)
    return F.adaptive_avg_pool2d(x, output_size), None


def pool_case(kind, x, k=(0, 0), s=(0, 0), p=(0, 0), d=(0, 0), ceil=False, include=True,
              divisor=0, size=(0, 0), dtypes=(torch.float64, torch.float32)):
    name = "pool%d" % n_cases[0]
    n_cases[0] += 1
    put(name + ".spec", [KIND[kind], *k, *s, *p, *d, ceil, include, divisor, *size])
    for dtype in dtypes:
        suffix = "" if dtype == torch.float64 else "_f32"
        xd = x.to(dtype).clone().requires_grad_(True)
        y, indices = call(kind, xd, k, s, p, d, ceil, include, divisor, size)
        gy = data(*y.shape).to(dtype)
        (y * gy).sum().backward()
        put(name + suffix + ".x", xd)
        put(name + suffix + ".gy", gy)
        put(name + suffix + ".y", y)
        put(name + suffix + ".gx", xd.grad)
        if indices is not None:
            put(name + suffix + ".indices", indices)


# max pooling: square and rectangular windows, padding (-inf), dilation,
# ceil_mode with and without the "last window starts inside" rule, ties,
# NaN, unbatched input
pool_case("max2d", data(2, 3, 4, 4), k=(2, 2))
pool_case("max2d", data(1, 2, 5, 5), k=(3, 3), s=(2, 2), p=(1, 1))
pool_case("max2d", data(2, 2, 5, 6), k=(3, 2), s=(2, 1), p=(1, 1), d=(1, 2), ceil=True)
pool_case("max2d", data(1, 2, 5, 5), k=(2, 2), ceil=True)
pool_case("max2d", data(1, 2, 4, 7), k=(2, 2), s=(3, 3), p=(1, 1), ceil=True)
pool_case("max2d", data(1, 2, 6, 7), k=(2, 3), s=(1, 2), d=(2, 2))
pool_case("max2d", -data(1, 2, 5, 5).abs() - 1, k=(3, 3), s=(2, 2), p=(1, 1))
pool_case("max2d", data(2, 2, 4, 4).mul(0.7).round(), k=(2, 2), s=(1, 1))
pool_case("max2d", data(3, 5, 5), k=(2, 2), s=(2, 1), p=(1, 0))
nan_x = data(1, 2, 4, 4)
nan_x[0, 0, 0, 1] = nan_x[0, 0, 1, 0] = nan_x[0, 1, 3, 3] = math.nan
pool_case("max2d", nan_x, k=(2, 2), dtypes=(torch.float64,))
pool_case("max1d", data(2, 3, 9), k=(3, 0), s=(2, 0), p=(1, 0), ceil=True)
pool_case("max1d", data(3, 7), k=(2, 0), d=(2, 0))
pool_case("adaptive_max", data(2, 2, 5, 7), size=(3, 4))
pool_case("adaptive_max", data(1, 3, 4, 3), size=(6, 0))
# average pooling: count_include_pad both ways, ceil_mode windows that
# reach past the padding, divisor_override, unbatched input
pool_case("avg2d", data(2, 3, 4, 4), k=(2, 2))
pool_case("avg2d", data(1, 2, 5, 5), k=(3, 3), s=(2, 2), p=(1, 1))
pool_case("avg2d", data(1, 2, 5, 5), k=(3, 3), s=(2, 2), p=(1, 1), include=False)
pool_case("avg2d", data(1, 2, 6, 6), k=(3, 3), s=(2, 2), p=(1, 1), ceil=True)
pool_case("avg2d", data(1, 2, 6, 6), k=(3, 3), s=(2, 2), p=(1, 1), ceil=True, include=False)
pool_case("avg2d", data(2, 2, 5, 6), k=(3, 2), s=(2, 1), p=(1, 1), ceil=True)
pool_case("avg2d", data(1, 2, 4, 5), k=(2, 2), p=(1, 1), divisor=3)
pool_case("avg2d", data(3, 5, 4), k=(2, 3), s=(1, 1))
pool_case("adaptive_avg", data(2, 3, 5, 7), size=(3, 4))
pool_case("adaptive_avg", data(2, 3, 6, 6), size=(1, 1))
pool_case("adaptive_avg", data(1, 2, 5, 7), size=(7, 0))
pool_case("adaptive_avg", data(2, 9, 8), size=(3, 5))
put("pool.count", [n_cases[0]])


# ---- normalisation and dropout modules ------------------------------------------


def layer_case(name, module, x, dtype=torch.float64, seed=None):
    golden_text.layer_case(put, data, name, module, x, dtype, seed)


def randomise_affine(module):
    """weight and bias away from ones and zeros, so the affine is tested"""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(data(*p.shape))
    return module


def warmed_up(name, module, shape, batches):
    """a module after `batches` training batches (recorded as name.batch<i>)"""
    module = module.double()
    with torch.no_grad():
        for i in range(batches):
            batch = data(*shape) * 2 + 1
            put(f"layer.{name}.batch{i}", batch)
            module(batch)
    return module


for dtype, suffix in ((torch.float64, ""), (torch.float32, "_f32")):
    # momentum=None: the running statistics average batches 1..3 equally
    bn = warmed_up("bn_cma" + suffix, nn.BatchNorm1d(3, momentum=None), (6, 3), 2)
    layer_case("bn_cma" + suffix, bn, data(6, 3) * 2 + 1, dtype)
    bn = warmed_up("bn2d_cma" + suffix, nn.BatchNorm2d(2, momentum=None), (3, 2, 2, 2), 3)
    layer_case("bn2d_cma" + suffix, bn.eval(), data(2, 2, 2, 2), dtype)
    layer_case("bn_untracked" + suffix,
               randomise_affine(nn.BatchNorm2d(3, track_running_stats=False)),
               data(4, 3, 2, 3) * 2 + 1, dtype)
    layer_case("bn_untracked_eval" + suffix,
               nn.BatchNorm1d(3, momentum=None, affine=False, track_running_stats=False).eval(),
               data(4, 3, 5), dtype)
    layer_case("gn" + suffix, randomise_affine(nn.GroupNorm(2, 6)), data(3, 6, 4), dtype)
    layer_case("gn4d" + suffix, randomise_affine(nn.GroupNorm(3, 6, eps=1e-3)),
               data(2, 6, 2, 3) * 3, dtype)
    layer_case("gn_noaffine" + suffix, nn.GroupNorm(1, 3, affine=False), data(2, 3, 5), dtype)
    layer_case("dropout2d" + suffix, nn.Dropout2d(0.4), data(4, 5, 3, 3), dtype, seed=21)
    layer_case("dropout2d_3d" + suffix, nn.Dropout2d(0.5), data(3, 6, 4), dtype, seed=22)
    layer_case("dropout1d" + suffix, nn.Dropout1d(0.3), data(3, 4, 6), dtype, seed=23)
    layer_case("dropout1d_unbatched" + suffix, nn.Dropout1d(0.3), data(5, 6), dtype, seed=24)

# The one-op BatchNorm's channel loops: planes of 8 elements and more (the
# backward's sums go in ATen's eight lanes), momentum 0.1 moving tracked
# running statistics, and eval with them.
for dtype, suffix in ((torch.float64, ""), (torch.float32, "_f32")):
    layer_case("bn2d_lanes" + suffix, randomise_affine(nn.BatchNorm2d(4)),
               data(3, 4, 5, 7) * 2 + 1, dtype)
    layer_case("bn1d_lanes" + suffix, randomise_affine(nn.BatchNorm1d(3)), data(5, 3, 9), dtype)
    bn = warmed_up("bn2d_eval" + suffix, randomise_affine(nn.BatchNorm2d(3, momentum=0.2)),
                   (4, 3, 4, 5), 2)
    layer_case("bn2d_eval" + suffix, bn.eval(), data(2, 3, 4, 5), dtype)

out.write()
