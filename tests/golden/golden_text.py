"""The %.17g golden text that data.py and datasets.py write: one entry a line,
    <name> <ndim> <d0> ... <dn-1> <v0> <v1> ...
into <name>.txt beside the script that imports this."""
import os

import numpy as np


class GoldenText:
    def __init__(self, script, txt_name):
        self.path = os.path.join(os.path.dirname(os.path.abspath(script)), txt_name)
        self.lines = []

    def emit(self, name, values):
        a = np.asarray(values, dtype=np.float64)
        if a.ndim == 0:
            a = a.reshape(1)
        dims = " ".join(str(d) for d in a.shape)
        vals = " ".join("%.17g" % v for v in a.ravel())
        self.lines.append("%s %d %s %s" % (name, a.ndim, dims, vals))

    def write(self):
        with open(self.path, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        print("wrote %d entries to %s" % (len(self.lines), self.path))


def layer_case(put, data, name, module, x, dtype, seed=None):
    """A layer's golden entries layer.<name>.*: its parameters, x, the
    output's gradient gy (drawn with data), y, x's and the parameters'
    gradients and its buffers after the forward, as tg_check_layer reads
    them. The generator is seeded before the forward when seed is given."""
    import torch

    module = module.to(dtype)
    x = x.detach().to(dtype).clone().requires_grad_(True)
    for pname, p in module.named_parameters():
        put(f"layer.{name}.param.{pname}", p)
    if seed is not None:
        torch.manual_seed(seed)
    y = module(x)
    gy = data(*y.shape).to(dtype)
    (y * gy).sum().backward()
    put(f"layer.{name}.x", x)
    put(f"layer.{name}.gy", gy)
    put(f"layer.{name}.y", y)
    put(f"layer.{name}.gx", x.grad)
    for pname, p in module.named_parameters():
        put(f"layer.{name}.grad.{pname}", p.grad)
    for bname, b in module.named_buffers():
        put(f"layer.{name}.buffer.{bname}", b)
