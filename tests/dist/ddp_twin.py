#!/usr/bin/python3
"""examples/ddp_digits (2 MPI ranks) and its PyTorch twin (DDP on gloo, 2
processes) give the same loss at every step and the same summary.

Usage: /usr/bin/python3 ddp_twin.py MPIEXEC BUILD_DIR
Same seed, data, initial weights, per-rank batches (DistributedSampler) and
Adam updates: the per-step losses, averaged over the ranks, agree within
float32 rounding (1e-5), as do the final loss and the test accuracy.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCHS = "2"
TOL = 1e-5


def summary(out):
    line = out.strip().splitlines()[-1]
    assert line.startswith("ddp_digits: "), line
    return {k: float(v) for k, v in (p.split("=") for p in line.split()[1:]) if k != "seconds"}


def losses(path):
    with open(path) as f:
        return [tuple(map(float, line.split())) for line in f]


def main():
    mpiexec, build = sys.argv[1], sys.argv[2]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    with tempfile.TemporaryDirectory() as tmp:
        c_out = subprocess.run(
            [mpiexec, "-np", "2", "--oversubscribe",
             os.path.join(build, "examples", "ddp_digits"), "--epochs", EPOCHS,
             "--out", os.path.join(tmp, "c")],
            check=True, capture_output=True, text=True, env=env, timeout=300).stdout
        py_out = subprocess.run(
            ["/usr/bin/python3", os.path.join(ROOT, "examples", "pytorch", "ddp_digits.py"),
             "--world-size", "2", "--epochs", EPOCHS, "--out", os.path.join(tmp, "py")],
            check=True, capture_output=True, text=True, timeout=300).stdout
        c, py = losses(os.path.join(tmp, "c", "losses.txt")), losses(
            os.path.join(tmp, "py", "losses.txt"))
        failed = 0
        if len(c) != len(py):
            print(f"FAIL: {len(c)} steps in C, {len(py)} in PyTorch")
            failed += 1
        worst = max(abs(a[2] - b[2]) for a, b in zip(c, py))
        for a, b in zip(c, py):
            if a[:2] != b[:2] or abs(a[2] - b[2]) > TOL:
                print(f"FAIL: epoch {a[0]:.0f} step {a[1]:.0f}: C {a[2]:.8f}, PyTorch {b[2]:.8f}")
                failed += 1
        cs, ps = summary(c_out), summary(py_out)
        for key in ps:
            if abs(cs.get(key, float("nan")) - ps[key]) > TOL:
                print(f"FAIL: summary {key}: C {cs.get(key)}, PyTorch {ps[key]}")
                failed += 1
        print(f"{len(c)} steps compared, largest loss difference {worst:.2e}; "
              f"summary {cs}; {failed} failed")
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
