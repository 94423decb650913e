"""Golden values for tests/test_nn*.c and tests/test_losses.c, made with PyTorch 1.13.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/nn.py
Writes tests/golden/nn.txt, one entry a line: <name> <ndim> <d0> .. <dn-1> <v0> <v1> ...

Sections:
  init.*    seeded default initialisation and torch.nn.init, bit for bit
  layer.*   forward values and input/parameter gradients of every layer
  loss<i>.* every loss, reduction and option; loss<i>.spec says which
"""
import math
import os

import golden_text
import torch
import torch.nn as nn
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), torch.__version__
lines = []


def put(name, t):
    t = torch.as_tensor(t).detach()
    flat = t.reshape(-1).tolist()
    if t.dtype in (torch.float32, torch.float64):
        text = " ".join(repr(float(v)) for v in flat)
    else:
        text = " ".join(str(int(v)) for v in flat)
    dims = " ".join(str(d) for d in t.shape)
    lines.append(f"{name} {t.dim()} {dims} {text}".replace("  ", " ").rstrip())


# ---- init -------------------------------------------------------------------

torch.manual_seed(0)
lin = nn.Linear(2, 1000)
put("init.linear_2_1000.weight", lin.weight)
put("init.linear_2_1000.bias", lin.bias)


class SimpleClassificationNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linearLayer1 = nn.Linear(2, 1000)
        self.linearLayer2 = nn.Linear(1000, 1)
        self.sigmoidLayer = nn.Sigmoid()

    def forward(self, x):
        u = self.linearLayer1(x)
        z = self.linearLayer2(u)
        return self.sigmoidLayer(z)


class SimpleMultiClassificationNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linearLayer1 = nn.Linear(4, 50)
        self.linearLayer2 = nn.Linear(50, 100)
        self.relu = nn.ReLU()
        self.linearLayer3 = nn.Linear(100, 3)

    def forward(self, x):
        u = self.linearLayer1(x)
        v = self.relu(u)
        w = self.linearLayer2(v)
        m = self.relu(w)
        return self.linearLayer3(m)


torch.manual_seed(42)
net = SimpleClassificationNet()
for name, p in net.named_parameters():
    put(f"init.simple.{name}", p)
x = torch.linspace(-2, 2, 10).reshape(5, 2)
put("net.simple.x", x)
put("net.simple.y", net(x))

torch.manual_seed(7)
multi = SimpleMultiClassificationNet()
for name, p in multi.named_parameters():
    put(f"init.multi.{name}", p)
x = torch.linspace(-1, 1, 12).reshape(3, 4)
target = torch.tensor([0, 2, 1])
loss = F.cross_entropy(multi(x), target)
loss.backward()
put("net.multi.x", x)
put("net.multi.loss", loss)
for name, p in multi.named_parameters():
    put(f"net.multi.grad.{name}", p.grad)

torch.manual_seed(3)
conv = nn.Conv2d(3, 4, 3)
put("init.conv.weight", conv.weight)
put("init.conv.bias", conv.bias)

torch.manual_seed(5)
put("init.uniform", nn.init.uniform_(torch.empty(3, 4), -2, 3))
put("init.normal", nn.init.normal_(torch.empty(5, 7), 1, 2))
put("init.xavier_uniform", nn.init.xavier_uniform_(torch.empty(6, 5), gain=1.5))
put("init.xavier_normal", nn.init.xavier_normal_(torch.empty(4, 6)))
put("init.kaiming_uniform", nn.init.kaiming_uniform_(torch.empty(4, 3, 2, 2), a=0.1, mode="fan_out"))
put("init.kaiming_normal", nn.init.kaiming_normal_(torch.empty(20, 10), nonlinearity="relu"))
put("init.kaiming_normal_f64", nn.init.kaiming_normal_(torch.empty(3, 5, dtype=torch.float64)))
put("init.gains", torch.tensor([nn.init.calculate_gain(n) for n in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu")]
                               + [nn.init.calculate_gain("leaky_relu"), nn.init.calculate_gain("leaky_relu", 0.2)],
                               dtype=torch.float64))

# ---- layers -------------------------------------------------------------------

gen = torch.Generator().manual_seed(1234)


def data(*shape):
    """float32-representable values, so float32 and float64 runs share inputs"""
    return torch.randn(tuple(shape), generator=gen).to(torch.float64)


def layer_case(name, module, x, dtype=torch.float64, seed=None):
    golden_text.layer_case(put, data, name, module, x, dtype, seed)


for dtype, suffix in ((torch.float64, ""), (torch.float32, "_f32")):
    layer_case("linear" + suffix, nn.Linear(4, 5), data(3, 4), dtype)
    layer_case("linear3d" + suffix, nn.Linear(3, 2), data(2, 4, 3), dtype)
    layer_case("conv" + suffix, nn.Conv2d(3, 4, 3, stride=2, padding=1), data(2, 3, 5, 5), dtype)
    layer_case("bn2d" + suffix, nn.BatchNorm2d(3), data(4, 3, 2, 3) * 2 + 1, dtype)
layer_case("conv_nobias", nn.Conv2d(2, 3, 2, bias=False), data(1, 2, 4, 3))
layer_case("relu", nn.ReLU(), data(3, 4))
layer_case("leaky_relu", nn.LeakyReLU(0.2), data(3, 4))
layer_case("sigmoid", nn.Sigmoid(), data(3, 4))
layer_case("tanh", nn.Tanh(), data(3, 4))
layer_case("silu", nn.SiLU(), data(3, 4) * 3)
layer_case("softplus", nn.Softplus(), data(3, 4) * 3)
layer_case("softplus_beta", nn.Softplus(beta=2, threshold=1.5), data(3, 4) * 3)
layer_case("elu", nn.ELU(alpha=0.5), data(3, 4) * 3)
layer_case("hardtanh", nn.Hardtanh(-0.5, 0.75), data(3, 4) * 2)
layer_case("softmax", nn.Softmax(dim=1), data(3, 4))
layer_case("log_softmax", nn.LogSoftmax(dim=0), data(3, 4))
layer_case("flatten", nn.Flatten(), data(2, 3, 2, 2))
layer_case("identity", nn.Identity(), data(2, 3))
layer_case("dropout", nn.Dropout(0.3), data(4, 5), seed=11)
layer_case("dropout_f32", nn.Dropout(0.3), data(40), torch.float32, seed=12)
layer_case("maxpool", nn.MaxPool2d(2), data(2, 3, 4, 4))
layer_case("maxpool_pad", nn.MaxPool2d(3, stride=2, padding=1), data(1, 2, 5, 5))
layer_case("bn1d", nn.BatchNorm1d(3), data(6, 3))
layer_case("bn1d_3d", nn.BatchNorm1d(3, momentum=0.3, eps=1e-3), data(4, 3, 5))
layer_case("bn1d_noaffine", nn.BatchNorm1d(3, affine=False), data(5, 3))
bn = nn.BatchNorm2d(3).double()
for i in range(2):  # two training batches move the running statistics first
    batch = data(4, 3, 2, 2)
    put(f"layer.bn2d_eval.batch{i}", batch)
    bn(batch)
bn.eval()
layer_case("bn2d_eval", bn, data(2, 3, 2, 2))
seq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
layer_case("sequential", seq, data(5, 3))

# ---- losses --------------------------------------------------------------------

KIND = {"mse": 0, "l1": 1, "bce": 2, "bce_logits": 3, "nll": 4, "ce": 5}
RED = {"mean": 0, "sum": 1, "none": 2}
case = [0]


def loss_case(kind, x, y, reduction, dtype=torch.float64, weight=None, pos_weight=None,
              ignore_index=-100, label_smoothing=0.0, target_grad=False):
    i = case[0]
    case[0] += 1
    x = x.detach().to(dtype).clone().requires_grad_(True)  # cases share inputs: fresh leaves
    if y.is_floating_point():
        y = y.detach().to(dtype).clone().requires_grad_(target_grad)
    w = None if weight is None else weight.to(dtype)
    pw = None if pos_weight is None else pos_weight.to(dtype)
    if kind == "mse":
        out = F.mse_loss(x, y, reduction=reduction)
    elif kind == "l1":
        out = F.l1_loss(x, y, reduction=reduction)
    elif kind == "bce":
        out = F.binary_cross_entropy(x, y, weight=w, reduction=reduction)
    elif kind == "bce_logits":
        out = F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction=reduction)
    elif kind == "nll":
        out = F.nll_loss(x, y, weight=w, ignore_index=ignore_index, reduction=reduction)
    else:
        out = F.cross_entropy(x, y, weight=w, ignore_index=ignore_index, reduction=reduction,
                              label_smoothing=label_smoothing)
    gy = data(*out.shape).to(dtype)
    (out * gy).sum().backward()
    # kind, reduction, float32?, has weight, has pos_weight, ignore_index, smoothing, target grad
    put(f"loss{i}.spec", torch.tensor([KIND[kind], RED[reduction], dtype == torch.float32,
                                       w is not None, pw is not None, ignore_index,
                                       label_smoothing, target_grad], dtype=torch.float64))
    put(f"loss{i}.x", x)
    put(f"loss{i}.y", y)
    if w is not None:
        put(f"loss{i}.weight", w)
    if pw is not None:
        put(f"loss{i}.pos_weight", pw)
    put(f"loss{i}.gy", gy)
    put(f"loss{i}.out", out)
    put(f"loss{i}.gx", x.grad)
    if target_grad:
        put(f"loss{i}.gt", y.grad)


for red in ("mean", "sum", "none"):
    for dtype in (torch.float64, torch.float32):
        loss_case("mse", data(4, 3), data(4, 3), red, dtype, target_grad=True)
        loss_case("l1", data(4, 3), data(4, 3), red, dtype, target_grad=True)
        probs = torch.sigmoid(data(4, 3))
        loss_case("bce", probs, torch.rand(4, 3, generator=gen), red, dtype, target_grad=True)
        loss_case("bce", probs, torch.rand(4, 3, generator=gen), red, dtype,
                  weight=torch.rand(3, generator=gen) + 0.5)
        logits = data(4, 3) * 3
        soft = torch.rand(4, 3, generator=gen)
        loss_case("bce_logits", logits, soft, red, dtype, target_grad=True)
        loss_case("bce_logits", logits, soft, red, dtype, weight=torch.rand(4, 1, generator=gen))
        loss_case("bce_logits", logits, soft, red, dtype, pos_weight=torch.tensor([0.5, 2.0, 3.0]),
                  target_grad=True)
        loss_case("bce_logits", logits, soft, red, dtype, weight=torch.rand(3, generator=gen),
                  pos_weight=torch.tensor([1.5, 0.2, 4.0]))
        logp = F.log_softmax(data(6, 4), 1)
        t = torch.tensor([0, 3, 1, 3, 2, 1])
        cw = torch.tensor([0.3, 1.0, 2.0, 0.7])
        loss_case("nll", logp, t, red, dtype)
        loss_case("nll", logp, t, red, dtype, weight=cw)
        loss_case("nll", logp, t, red, dtype, weight=cw, ignore_index=3)
        loss_case("nll", F.log_softmax(data(2, 4, 3), 1), torch.tensor([[0, 3, 1], [2, 2, 0]]), red, dtype,
                  weight=cw)
        loss_case("nll", F.log_softmax(data(4), 0), torch.tensor(2), red, dtype)
        z = data(6, 4)
        loss_case("ce", z, t, red, dtype)
        loss_case("ce", z, t, red, dtype, weight=cw)
        loss_case("ce", z, t, red, dtype, ignore_index=1)
        loss_case("ce", z, t, red, dtype, label_smoothing=0.15)
        loss_case("ce", z, t, red, dtype, weight=cw, ignore_index=3, label_smoothing=0.2)
        loss_case("ce", z, t, red, dtype, ignore_index=3, label_smoothing=0.2)
        q = torch.softmax(data(6, 4), 1)
        loss_case("ce", z, q, red, dtype, target_grad=True)
        loss_case("ce", z, q, red, dtype, weight=cw, label_smoothing=0.1)
        loss_case("ce", data(2, 4, 3), torch.tensor([[0, 3, 1], [2, -100, 0]]), red, dtype, weight=cw,
                  label_smoothing=0.05)
        loss_case("ce", data(4), torch.tensor(1), red, dtype)

# BCE's clamped logs: probabilities of exactly 0 and 1
loss_case("bce", torch.tensor([0.0, 1.0, 0.5, 1e-50]), torch.tensor([1.0, 0.0, 0.25, 1.0]), "sum")

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn.txt")
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} entries to {path}")
