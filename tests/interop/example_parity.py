#!/usr/bin/python3
"""Each lecture example and its PyTorch twin print the same summary line.

Usage: /usr/bin/python3 example_parity.py BUILD_DIR

Runs build/examples/<name> and examples/pytorch/<name>.py with the same
arguments and compares every key=value of their summary lines (all but the
timing) and their per-step loss lines (makemore), numbers within
1e-6 + 1e-5 * |value|. This is the proof that a
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
import re
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
    ("makemore", ["--steps", "5", "--words", "{words}"]),
    ("fashion_mnist", ["--epochs", "1", "--subset", "1000"]),
]
TOLERANCE = {"fashion_mnist": 2e-3}  # (see above); the others 1e-5
IGNORED = {"seconds"}
FASHION_ROOT = "/usr/share/datasets/fashion-mnist"


def write_words(path, n=400):
    """A small word list for makemore: word-like letters from a fixed LCG."""
    state, lines = 12345, []
    for i in range(n):
        state = (state * 1664525 + 1013904223) % 2**32
        length, word = 2 + (state >> 24) % 8, ""
        for k in range(length):
            state = (state * 1664525 + 1013904223) % 2**32
            letters = "aeiouy" if k % 2 else "bcdfghjklmnprstvwz"
            word += letters[(state >> 16) % len(letters)]
        lines.append(word)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


STEP_LINE = re.compile(r"^(\w+) step (\d+) (\w+)=(\S+)$")


def summary(command):
    """The summary line's key=value pairs, plus every per-step loss line
    ("lstm step 3 train_loss=3.24": key lstm_step3_train_loss)."""
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    name, _, pairs = lines[-1].partition(": ")
    values = {}
    for line in lines:
        m = STEP_LINE.match(line)
        if m:
            values[f"{m[1]}_step{m[2]}_{m[3]}"] = float(m[4])
    for pair in pairs.split():
        key, _, value = pair.partition("=")
        if key not in IGNORED:
            values[key] = float(value)
    return name, values


def main():
    build = sys.argv[1]
    check = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        words = os.path.join(tmp, "words.txt")
        write_words(words)
        for name, args in RUNS:
            if name == "fashion_mnist" and not os.path.isdir(FASHION_ROOT):
                print(f"fashion_mnist: skipped, {FASHION_ROOT} is absent "
                      "(apt-get install dataset-fashion-mnist)")
                continue
            args = [a.format(words=words) for a in args]
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
