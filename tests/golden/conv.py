"""Golden values for tests/test_conv.c: F.conv1d / F.conv2d over a sweep of
options, forward and every gradient, in float64 and float32, and the
initial parameters of nn.Conv1d / nn.Conv2d, with PyTorch 1.13.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/conv.py
Writes tests/golden/conv.txt (see golden_text.py for the format):
  case.<i>.params      spatial, kh, kw, sh, sw, ph, pw, dh, dw, groups,
                       padding rule (0 explicit, 1 'valid', 2 'same'), bias,
                       unbatched (conv1d: kh = sh = ph = dh = 1, ph unused)
  case.<i>.{x,w,b,g}   the inputs and the output's gradient (float64)
  case.<i>.<dtype>.{y,gx,gw,gb}   output and gradients, dtype f64 or f32
                       (f32: computed in float32 from the inputs rounded to it)
  init.conv2d.{weight,bias}, init.conv1d.weight   modules after manual_seed(0)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_text import GoldenText

assert torch.__version__.startswith("1.13"), torch.__version__
out = GoldenText(__file__, "conv.txt")
RULES = {"explicit": 0, "valid": 1, "same": 2}

# (spatial, N, C, H, W, O, (kh, kw), (sh, sw), (ph, pw), (dh, dw), groups, rule, bias)
CASES = [
    (2, 2, 3, 7, 6, 4, (3, 3), (1, 1), (0, 0), (1, 1), 1, "explicit", True),
    (2, 2, 3, 6, 7, 4, (2, 3), (2, 1), (1, 0), (1, 1), 1, "explicit", False),
    (2, 1, 2, 8, 7, 3, (3, 2), (1, 2), (0, 1), (2, 1), 1, "explicit", True),
    (2, 2, 4, 9, 8, 6, (3, 3), (2, 2), (1, 1), (2, 2), 2, "explicit", True),
    (2, 2, 3, 6, 6, 6, (3, 3), (1, 1), (1, 1), (1, 1), 3, "explicit", True),  # depthwise x2
    (2, 2, 3, 5, 5, 3, (3, 3), (1, 1), (1, 1), (1, 1), 3, "explicit", False),  # depthwise
    (2, 2, 2, 6, 7, 3, (4, 3), (1, 1), (0, 0), (1, 2), 1, "same", True),  # pad 1/2, 2/2
    (2, 1, 4, 5, 6, 4, (2, 2), (1, 1), (0, 0), (1, 1), 2, "same", False),  # pad 0/1
    (2, 2, 2, 9, 8, 3, (3, 3), (2, 2), (0, 0), (1, 1), 1, "valid", True),
    (2, 2, 5, 4, 3, 3, (1, 1), (1, 1), (0, 0), (1, 1), 1, "explicit", True),  # pointwise
    (2, 2, 4, 5, 5, 2, (1, 1), (2, 2), (1, 0), (1, 1), 2, "explicit", True),
    (1, 2, 3, 1, 9, 4, (1, 3), (1, 1), (0, 1), (1, 1), 1, "explicit", True),
    (1, 2, 4, 1, 11, 2, (1, 4), (1, 2), (0, 0), (1, 2), 2, "explicit", False),
    (1, 1, 2, 1, 8, 3, (1, 4), (1, 1), (0, 0), (1, 1), 1, "same", True),
    (1, 2, 2, 1, 7, 2, (1, 5), (1, 1), (0, 0), (1, 1), 1, "valid", True),
    (2, 0, 3, 6, 6, 2, (3, 3), (1, 1), (1, 1), (1, 1), 1, "explicit", True),  # unbatched
    (1, 0, 2, 1, 6, 3, (1, 3), (1, 1), (0, 2), (1, 1), 1, "explicit", True),  # unbatched
]


def conv(spatial, x, w, b, stride, padding, dilation, groups, rule):
    pad = rule if rule != "explicit" else padding
    if spatial == 2:
        return F.conv2d(x, w, b, stride, pad, dilation, groups)
    return F.conv1d(x, w, b, stride[1], pad if rule != "explicit" else padding[1],
                    dilation[1], groups)


def run(case, i):
    spatial, n, c, h, w_, o, k, s, p, d, groups, rule, bias = case
    torch.manual_seed(100 + i)
    batch = (n,) if n else ()
    x = torch.randn(batch + ((c, h, w_) if spatial == 2 else (c, w_)), dtype=torch.float64)
    wshape = (o, c // groups) + (k if spatial == 2 else (k[1],))
    w = torch.randn(wshape, dtype=torch.float64)
    b = torch.randn(o, dtype=torch.float64) if bias else None
    y = conv(spatial, x, w, b, s, p, d, groups, rule)
    g = torch.randn(y.shape, dtype=torch.float64)
    out.emit("case.%d.params" % i, [spatial, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1],
                                    groups, RULES[rule], int(bias), int(n == 0)])
    out.emit("case.%d.x" % i, x)
    out.emit("case.%d.w" % i, w)
    if bias:
        out.emit("case.%d.b" % i, b)
    out.emit("case.%d.g" % i, g)
    for name, dtype in (("f64", torch.float64), ("f32", torch.float32)):
        xt = x.to(dtype).detach().requires_grad_()
        wt = w.to(dtype).detach().requires_grad_()
        bt = b.to(dtype).detach().requires_grad_() if bias else None
        yt = conv(spatial, xt, wt, bt, s, p, d, groups, rule)
        yt.backward(g.to(dtype))
        out.emit("case.%d.%s.y" % (i, name), yt.detach())
        out.emit("case.%d.%s.gx" % (i, name), xt.grad)
        out.emit("case.%d.%s.gw" % (i, name), wt.grad)
        if bias:
            out.emit("case.%d.%s.gb" % (i, name), bt.grad)


for i, case in enumerate(CASES):
    run(case, i)

torch.manual_seed(0)
conv2d = nn.Conv2d(6, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
out.emit("init.conv2d.weight", conv2d.weight.detach())
out.emit("init.conv2d.bias", conv2d.bias.detach())
conv1d = nn.Conv1d(3, 6, 5, groups=3, bias=False, padding="same")
out.emit("init.conv1d.weight", conv1d.weight.detach())
out.write()
