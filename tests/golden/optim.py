"""Golden values for tests/test_optim.c and tests/test_optim_schedule.c,
made with PyTorch 1.13 (single-tensor optimizer code paths, foreach=False).

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/optim.py
Writes tests/golden/optim.txt, one entry a line:
    <name> <ndim> <d0> .. <dn-1> <v0> <v1> ...

Contents:
  init.*, data.*         the MLP's initial weights and the 20 batches
  train.<cfg>.<dt>.<k>   W1, b1, W2, b2 flattened and concatenated after step k
  train.<cfg>.<dt>.<k>.lr / .norm   group lrs after the scheduler step, and
                         the total norm clip_grad_norm_ returned
  sched.<name>.lr        (steps+1) x groups: lrs after construction and after
                         every scheduler step
  clip.<dt>.*            clip_grad_norm_ / clip_grad_value_ on fixed grads
  fixed.init.<i>, fixed.grad.<k>.<i>, fixed.<cfg>.<dt>
                         parameters, the grads of step k, and the parameters
                         after those steps, for the optimizer-only check
"""
import math
import os
import warnings

import torch
import torch.nn.functional as F
from torch import optim
from torch.nn.utils import clip_grad_norm_, clip_grad_value_
from torch.optim import lr_scheduler as sched

assert torch.__version__.startswith("1.13"), torch.__version__
warnings.simplefilter("ignore")  # scheduler.step() before optimizer.step()

lines = []


def put(name, values):
    if isinstance(values, torch.Tensor):
        a = values.detach().double()
    else:  # Python floats: as_tensor would round them to float32
        a = torch.tensor(values, dtype=torch.float64)
    text = " ".join(repr(float(v)) for v in a.reshape(-1))
    dims = " ".join(str(d) for d in a.shape)
    lines.append(f"{name} {a.dim()} {dims} {text}".replace("  ", " "))


# ---- the model: 3 -> 5 -> 2, tanh, MSE, 20 fixed batches of 4 ----------------

STEPS = 20
torch.manual_seed(2024)
init = {
    "W1": torch.randn(5, 3, dtype=torch.float64) * 0.5,
    "b1": torch.randn(5, dtype=torch.float64) * 0.1,
    "W2": torch.randn(2, 5, dtype=torch.float64) * 0.5,
    "b2": torch.randn(2, dtype=torch.float64) * 0.1,
}
X = torch.randn(STEPS, 4, 3, dtype=torch.float64)
T = torch.randn(STEPS, 4, 2, dtype=torch.float64)
for name, t in init.items():
    put(f"init.{name}", t)
put("data.X", X)
put("data.T", T)


def layers(p):
    return [p[0], p[1]], [p[2], p[3]]


# Every optimizer configuration the C suite mirrors (same names, same order).
# Each maker gets the 4 parameters [W1, b1, W2, b2].
CONFIGS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1, foreach=False),
    "sgd_momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, foreach=False),
    "sgd_dampening": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3,
                                         foreach=False),
    "sgd_nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                        foreach=False),
    "sgd_weight_decay": lambda p: optim.SGD(p, lr=0.1, momentum=0.5, weight_decay=0.01,
                                            foreach=False),
    "sgd_maximize": lambda p: optim.SGD(p, lr=0.05, momentum=0.8, maximize=True,
                                        foreach=False),
    "rmsprop": lambda p: optim.RMSprop(p, foreach=False),
    "rmsprop_centered": lambda p: optim.RMSprop(p, lr=0.005, centered=True, foreach=False),
    "rmsprop_momentum": lambda p: optim.RMSprop(p, lr=0.002, momentum=0.9, foreach=False),
    "rmsprop_all": lambda p: optim.RMSprop(p, lr=0.003, alpha=0.9, eps=1e-6,
                                           weight_decay=0.01, momentum=0.5, centered=True,
                                           maximize=True, foreach=False),
    "adam": lambda p: optim.Adam(p, lr=0.01, foreach=False),
    "adam_amsgrad": lambda p: optim.Adam(p, lr=0.01, amsgrad=True, foreach=False),
    "adam_weight_decay": lambda p: optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6,
                                              weight_decay=0.05, foreach=False),
    "adam_maximize": lambda p: optim.Adam(p, lr=0.01, maximize=True, foreach=False),
    "adamw": lambda p: optim.AdamW(p, lr=0.01, foreach=False),
    "adamw_amsgrad": lambda p: optim.AdamW(p, lr=0.02, weight_decay=0.1, amsgrad=True,
                                           foreach=False),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.05, foreach=False),
    "adagrad_all": lambda p: optim.Adagrad(p, lr=0.05, lr_decay=0.01, weight_decay=0.02,
                                           initial_accumulator_value=0.1, eps=1e-8,
                                           maximize=True, foreach=False),
    "nadam": lambda p: optim.NAdam(p, lr=0.01, foreach=False),
    "nadam_all": lambda p: optim.NAdam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6,
                                       weight_decay=0.05, momentum_decay=0.01,
                                       foreach=False),
    "radam": lambda p: optim.RAdam(p, lr=0.01, foreach=False),
    "radam_all": lambda p: optim.RAdam(p, lr=0.02, betas=(0.8, 0.9), eps=1e-6,
                                       weight_decay=0.05, foreach=False),
    "sgd_groups": lambda p: optim.SGD(
        [{"params": layers(p)[0], "momentum": 0.9},
         {"params": layers(p)[1], "lr": 0.01, "momentum": 0.5, "nesterov": True}],
        lr=0.1, foreach=False),
    "adam_groups": lambda p: optim.Adam(
        [{"params": layers(p)[0]},
         {"params": layers(p)[1], "lr": 0.003, "amsgrad": True, "weight_decay": 0.1}],
        lr=0.01, foreach=False),
    # schedulers, stepped once per optimizer step
    "step_lr": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, foreach=False),
    "multi_step_lr": lambda p: optim.Adam(p, lr=0.02, foreach=False),
    "exponential_lr": lambda p: optim.RMSprop(p, lr=0.01, foreach=False),
    "cosine_lr": lambda p: optim.SGD(p, lr=0.1, momentum=0.5, foreach=False),
    "plateau": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, foreach=False),
    "one_cycle_lr": lambda p: optim.AdamW(p, lr=0.01, foreach=False),
    # clipping between backward and step
    "clip_norm": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, foreach=False),
    "clip_norm_inf": lambda p: optim.Adam(p, lr=0.01, foreach=False),
    "clip_value": lambda p: optim.SGD(p, lr=0.1, foreach=False),
}

SCHEDULERS = {
    "step_lr": lambda o: sched.StepLR(o, step_size=5, gamma=0.5),
    "multi_step_lr": lambda o: sched.MultiStepLR(o, milestones=[3, 8, 8, 15], gamma=0.5),
    "exponential_lr": lambda o: sched.ExponentialLR(o, gamma=0.9),
    "cosine_lr": lambda o: sched.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
    "plateau": lambda o: sched.ReduceLROnPlateau(o, factor=0.5, patience=1,
                                                 threshold=0.05, cooldown=1),
    "one_cycle_lr": lambda o: sched.OneCycleLR(o, max_lr=0.05, total_steps=STEPS),
}

CLIPS = {
    "clip_norm": lambda p: clip_grad_norm_(p, max_norm=0.5),
    "clip_norm_inf": lambda p: clip_grad_norm_(p, max_norm=0.1, norm_type=math.inf),
    "clip_value": lambda p: clip_grad_value_(p, clip_value=0.05),
}

DTYPES = {"f32": torch.float32, "f64": torch.float64}


def train(cfg, dt):
    dtype = DTYPES[dt]
    p = [init[n].to(dtype).clone().requires_grad_() for n in ("W1", "b1", "W2", "b2")]
    opt = CONFIGS[cfg](p)
    scheduler = SCHEDULERS[cfg](opt) if cfg in SCHEDULERS else None
    for k in range(STEPS):
        opt.zero_grad()
        x, t = X[k].to(dtype), T[k].to(dtype)
        y = F.linear(torch.tanh(F.linear(x, p[0], p[1])), p[2], p[3])
        loss = ((y - t) ** 2).mean()
        loss.backward()
        if cfg in CLIPS:
            norm = CLIPS[cfg](p)
            if norm is not None:
                put(f"train.{cfg}.{dt}.{k}.norm", norm)
        opt.step()
        if isinstance(scheduler, sched.ReduceLROnPlateau):
            scheduler.step(loss.item())
        elif scheduler is not None:
            scheduler.step()
        put(f"train.{cfg}.{dt}.{k}", torch.cat([q.detach().reshape(-1) for q in p]))
        put(f"train.{cfg}.{dt}.{k}.lr", [g["lr"] for g in opt.param_groups])


for dt in DTYPES:
    for cfg in CONFIGS:
        train(cfg, dt)

# ---- scheduler lr sequences on a two-group optimizer --------------------------

SCHED_STEPS = 30
METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.8, 0.81, 0.79, 0.795, 0.7, 0.72, 0.72,
           0.73, 0.74, 0.6, 0.61, 0.6, 0.6, 0.6, 0.5, 0.55, 0.56, 0.57, 0.58, 0.4, 0.41,
           0.42, 0.43, 0.44]
put("sched.metrics", METRICS)

LR_SEQUENCES = {
    "step": lambda o: [sched.StepLR(o, step_size=3, gamma=0.5)],
    "multi_step": lambda o: [sched.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3)],
    "exponential": lambda o: [sched.ExponentialLR(o, gamma=0.8)],
    "cosine": lambda o: [sched.CosineAnnealingLR(o, T_max=4, eta_min=0.01)],
    "cosine_zero_min": lambda o: [sched.CosineAnnealingLR(o, T_max=7)],
    "chained": lambda o: [sched.StepLR(o, step_size=4, gamma=0.5),
                          sched.ExponentialLR(o, gamma=0.9)],
    "plateau_min_rel": lambda o: [sched.ReduceLROnPlateau(o, patience=2)],
    "plateau_min_abs": lambda o: [sched.ReduceLROnPlateau(
        o, factor=0.5, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2)],
    "plateau_max_rel": lambda o: [sched.ReduceLROnPlateau(
        o, mode="max", factor=0.7, patience=0, threshold=0.01)],
    "plateau_max_abs": lambda o: [sched.ReduceLROnPlateau(
        o, mode="max", patience=1, threshold=0.02, threshold_mode="abs")],
    "plateau_min_lrs": lambda o: [sched.ReduceLROnPlateau(
        o, factor=0.5, patience=0, min_lr=[0.03, 0.001])],
    "plateau_eps": lambda o: [sched.ReduceLROnPlateau(
        o, factor=0.5, patience=0, min_lr=0.015, eps=0.004)],
    "lambda": lambda o: [sched.LambdaLR(o, lambda e: 0.95 ** e + 0.01 * (e % 4))],
    "linear": lambda o: [sched.LinearLR(o, start_factor=0.25, end_factor=0.9,
                                        total_iters=7)],
    "linear_default": lambda o: [sched.LinearLR(o)],
    "warm_restarts": lambda o: [sched.CosineAnnealingWarmRestarts(o, T_0=5, eta_min=0.001)],
    "warm_restarts_mult": lambda o: [sched.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)],
    "one_cycle_cos": lambda o: [sched.OneCycleLR(o, max_lr=0.5, total_steps=31)],
    "one_cycle_linear": lambda o: [sched.OneCycleLR(
        o, max_lr=0.3, total_steps=40, pct_start=0.25, anneal_strategy="linear",
        base_momentum=0.8, max_momentum=0.9, div_factor=10.0, final_div_factor=100.0)],
    "one_cycle_three_phase": lambda o: [sched.OneCycleLR(
        o, max_lr=0.4, total_steps=30, three_phase=True, cycle_momentum=False)],
    "sequential": lambda o: [sched.SequentialLR(o, [
        sched.LinearLR(o, start_factor=0.1, total_iters=4),
        sched.CosineAnnealingLR(o, T_max=10, eta_min=0.005),
        sched.StepLR(o, step_size=3, gamma=0.5)], milestones=[5, 17])],
    "sequential_restarts": lambda o: [sched.SequentialLR(o, [
        sched.ExponentialLR(o, gamma=0.9),
        sched.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2),
        sched.MultiStepLR(o, milestones=[0, 3, 3], gamma=0.5)], milestones=[8, 20])],
}

for name, make in LR_SEQUENCES.items():
    dummy = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = optim.SGD([{"params": [dummy[0]]}, {"params": [dummy[1]], "lr": 0.02}], lr=0.1)
    schedulers = make(opt)
    rows = [[g["lr"] for g in opt.param_groups]]
    momenta = [[g["momentum"] for g in opt.param_groups]]
    for k in range(SCHED_STEPS):
        for s in schedulers:
            if isinstance(s, sched.ReduceLROnPlateau):
                s.step(METRICS[k])
            else:
                s.step()
        rows.append([g["lr"] for g in opt.param_groups])
        momenta.append([g["momentum"] for g in opt.param_groups])
        if not isinstance(schedulers[-1], sched.ReduceLROnPlateau):
            assert schedulers[-1].get_last_lr() == rows[-1]
    put(f"sched.{name}.lr", rows)
    put(f"sched.{name}.momentum", momenta)

# ---- clipping on fixed gradients ------------------------------------------------

torch.manual_seed(7)
GRADS = [torch.randn(5, 3, dtype=torch.float64), torch.randn(5, dtype=torch.float64),
         torch.randn(2, 5, dtype=torch.float64) * 3]
for i, g in enumerate(GRADS):
    put(f"clip.grad{i}", g)
NORM_TYPES = {"1": 1.0, "2": 2.0, "3": 3.0, "0.5": 0.5, "inf": math.inf}
MAX_NORMS = {"small": 0.5, "large": 1000.0}


def clipped(dtype, fn):
    p = [torch.zeros_like(g, dtype=dtype, requires_grad=True) for g in GRADS]
    for q, g in zip(p, GRADS):
        q.grad = g.to(dtype).clone()
    result = fn(p)
    return result, torch.cat([q.grad.reshape(-1) for q in p])


for dt, dtype in DTYPES.items():
    for pname, ptype in NORM_TYPES.items():
        for mname, max_norm in MAX_NORMS.items():
            norm, grads = clipped(dtype, lambda p: clip_grad_norm_(p, max_norm, ptype))
            put(f"clip.{dt}.norm.{pname}.{mname}", norm)
            put(f"clip.{dt}.norm.{pname}.{mname}.grads", grads)
    _, grads = clipped(dtype, lambda p: clip_grad_value_(p, 0.7))
    put(f"clip.{dt}.value.grads", grads)

# ---- optimizer steps on fixed gradients ----------------------------------------
# Every configuration without a scheduler or clipping, on parameters given the
# same gradients in both libraries, so that only the optimizers' arithmetic
# differs: the C suite expects the parameters after FIXED_STEPS steps bit for
# bit. The sizes cover ATen's vectorised loops (16 floats at a time) and
# their scalar tails. Regenerate on an AVX2 CPU: ATen's add(alpha=) and
# addcmul are fused multiply-adds there (as tensorgrad's always are), but not
# in its baseline build.

FIXED_SHAPES = [(3, 13), (21,), (2, 17), (3,)]
FIXED_STEPS = 8  # RAdam rectifies from step 6 on
torch.manual_seed(11)
fixed_init = [torch.randn(shape, dtype=torch.float64) for shape in FIXED_SHAPES]
fixed_grads = [[torch.randn(shape, dtype=torch.float64) * 0.1 for shape in FIXED_SHAPES]
               for _ in range(FIXED_STEPS)]
for i, t in enumerate(fixed_init):
    put(f"fixed.init.{i}", t)
for k, grads in enumerate(fixed_grads):
    for i, g in enumerate(grads):
        put(f"fixed.grad.{k}.{i}", g)

for dt, dtype in DTYPES.items():
    for cfg in CONFIGS:
        if cfg in SCHEDULERS or cfg in CLIPS:
            continue
        p = [t.to(dtype).clone().requires_grad_() for t in fixed_init]
        opt = CONFIGS[cfg](p)
        for grads in fixed_grads:
            for q, g in zip(p, grads):
                q.grad = g.to(dtype)
            opt.step()
        put(f"fixed.{cfg}.{dt}", torch.cat([q.detach().reshape(-1) for q in p]))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.txt")
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} entries to {path}")
