#!/usr/bin/python3
"""Each lecture example and its PyTorch twin print the same summary line.

Usage: /usr/bin/python3 example_parity.py BUILD_DIR

Runs build/examples/<name> and examples/pytorch/<name>.py with the same
arguments and compares every key=value of their summary lines (all but the
timing), numbers within 1e-6 + 1e-5 * |value|. This is the proof that a
tensorgrad script gives the numbers PyTorch and scikit-learn give: same data,
same initial weights, same batch order, same updates.

fashion_mnist is held to 2e-3 (absolute and relative): its float32
convolutions sum in another order than ATen's (im2col and GEMM against
oneDNN), and Adam turns the last-bit differences of tiny gradients into
full-size steps, so one epoch ends a few 1e-5 apart, and an accuracy may
differ by one image of the 1000.
Prints "N passed, N failed" and exits non-zero on any failure.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from interop_safetensors import Checks  # noqa: E402

RUNS = [  # (example, arguments): short runs, every one deterministic
    ("quiz3", []),
    ("softmax_cross_entropy", []),
    ("logistic_regression", ["--epochs", "20"]),
    ("moons", ["--epochs", "2"]),
    ("iris", ["--epochs", "3"]),
    ("optimizers", ["--epochs", "2"]),
    ("digits", ["--epochs", "2"]),
    ("custom_op", ["--epochs", "20"]),
    ("fashion_mnist", ["--epochs", "1", "--subset", "1000"]),
]
TOLERANCE = {"fashion_mnist": 2e-3}  # (see above); the others 1e-5
IGNORED = {"seconds"}
FASHION_ROOT = "/usr/share/datasets/fashion-mnist"


def summary(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    last = out.strip().splitlines()[-1]
    name, _, pairs = last.partition(": ")
    values = {}
    for pair in pairs.split():
        key, _, value = pair.partition("=")
        if key not in IGNORED:
            values[key] = float(value)
    return name, values


def main():
    build = sys.argv[1]
    check = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in RUNS:
            if name == "fashion_mnist" and not os.path.isdir(FASHION_ROOT):
                print(f"fashion_mnist: skipped, {FASHION_ROOT} is absent "
                      "(apt-get install dataset-fashion-mnist)")
                continue
            c_name, c_values = summary([os.path.join(build, "examples", name), *args,
                                        "--out", os.path.join(tmp, "c_" + name)])
            py_name, py_values = summary(["/usr/bin/python3",
                                          os.path.join(ROOT, "examples", "pytorch", name + ".py"),
                                          *args, "--out", os.path.join(tmp, "py_" + name)])
            check(c_name == py_name == name and c_values.keys() == py_values.keys(),
                         f"{name}: both summaries have the same keys")
            tol = TOLERANCE.get(name)
            for key, c in c_values.items():
                p = py_values.get(key, float("nan"))
                check(abs(c - p) <= (tol + tol * abs(p) if tol else 1e-6 + 1e-5 * abs(p)),
                             f"{name}: {key} = {c} (tensorgrad) vs {p} (PyTorch)")
    return check.report()


if __name__ == "__main__":
    sys.exit(main())
