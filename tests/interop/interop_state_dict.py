#!/usr/bin/python3
"""State dicts cross between tensorgrad and PyTorch 1.13 in both directions.

Usage: /usr/bin/python3 interop_state_dict.py PATH/TO/interop_state_dict

1. C seeds 0 and saves Sequential(Linear(2,3), ReLU, Linear(3,1)); PyTorch
   seeded 0 builds the same model: the file must hold exactly its weights,
   and loading the file into a torch model gives the C model's outputs.
2. PyTorch trains its model one SGD step, writes the state_dict, and C
   loads it: C's outputs must equal torch's.
Prints "N passed, N failed" and exits non-zero on any failure.
"""
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_safetensors import Checks, load, save  # noqa: E402

INPUT = torch.tensor([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5], [0.0, 0.0]])


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))


def c_outputs(program, mode, path):
    out = subprocess.run([program, mode, path], check=True, capture_output=True, text=True).stdout
    return torch.tensor([float(v) for v in out.split()])


def main():
    program = sys.argv[1]
    check = Checks()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "from_c.safetensors")
        c_out = c_outputs(program, "save", path)
        tensors, meta = load(path)
        reference = model()
        check(meta.get("format") == "pt", "metadata format is pt")
        for name, value in reference.state_dict().items():
            check(name in tensors and torch.equal(tensors[name], value),
                  f"C's seeded init equals torch's for {name}")
        loaded = model()
        loaded.load_state_dict(tensors)
        with torch.no_grad():
            check(torch.allclose(loaded(INPUT).reshape(-1), c_out, rtol=1e-6, atol=1e-7),
                  "torch model loaded from C's file computes C's outputs")

        trained = model()
        loss = trained(INPUT).pow(2).mean()
        loss.backward()
        with torch.no_grad():
            for p in trained.parameters():
                p -= 0.1 * p.grad
        path = os.path.join(tmp, "from_torch.safetensors")
        save(path, {k: ("F32", v) for k, v in trained.state_dict().items()}, {"format": "pt"})
        c_out = c_outputs(program, "load", path)
        with torch.no_grad():
            check(torch.allclose(trained(INPUT).reshape(-1), c_out, rtol=1e-6, atol=1e-7),
                  "C model loaded from torch's file computes torch's outputs")
    return check.report()


if __name__ == "__main__":
    sys.exit(main())
