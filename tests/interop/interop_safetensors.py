#!/usr/bin/python3
"""safetensors interop with PyTorch 1.13 (Debian's python3-torch).

Usage: /usr/bin/python3 interop_safetensors.py PATH/TO/interop_safetensors

1. The C program writes its reference tensors; this script parses the file
   (Debian ships no python3-safetensors, so the header is read here with
   struct + json, following the format's rules) and compares every tensor
   with the same reference built in torch.
2. This script writes the reference with a writer following the reference
   implementation's layout (dtype alignment rank descending, then name;
   compact JSON; __metadata__ first; space padding), and the C program must
   load it and find the same values.
3. Both files must be byte-identical.
Prints "N passed, N failed" and exits non-zero on any failure.
"""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch

DTYPES = {  # name: (torch dtype, rank in the reference implementation's enum)
    "BOOL": (torch.bool, 0), "U8": (torch.uint8, 1), "I8": (torch.int8, 2),
    "I16": (torch.int16, 5), "F16": (torch.float16, 7), "BF16": (torch.bfloat16, 8),
    "I32": (torch.int32, 9), "F32": (torch.float32, 11), "F64": (torch.float64, 12),
    "I64": (torch.int64, 13),
}

SPECS = [  # must match specs[] in interop_safetensors.c
    ("linear.weight", "F32", [3, 4]), ("linear.bias", "F32", [3]),
    ("double", "F64", [2, 1, 3]), ("half", "F16", [5]), ("brain", "BF16", [5]),
    ("steps", "I64", []), ("labels", "I64", [6]), ("i32", "I32", [4]),
    ("i16", "I16", [4]), ("i8", "I8", [4]), ("u8", "U8", [4]),
    ("mask", "BOOL", [5]), ("empty", "F32", [0, 3]),
]


def value(i):
    return (i * 7 % 11) - 5 + 0.25 * (i % 4)


def reference(dtype_name, shape):
    n = math.prod(shape)
    vals = [value(i) for i in range(n)]
    if dtype_name == "U8":
        vals = [int(v + 5) for v in vals]
    elif dtype_name == "BOOL":
        vals = [v > 0 for v in vals]
    elif dtype_name.startswith("I"):
        vals = [math.floor(v) for v in vals]
    return torch.tensor(vals, dtype=DTYPES[dtype_name][0]).reshape(shape)


def tensor_bytes(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)
    return t.contiguous().numpy().tobytes()


def load(path):
    """Parses a safetensors file into ({name: tensor}, metadata)."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{name}: gap or overlap"
        dtype = DTYPES[info["dtype"]][0]
        chunk = bytearray(data[begin:stop])
        flat = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
        end = stop
    assert end == len(data), "trailing bytes"
    return tensors, meta


def save(path, tensors, meta):
    order = sorted(tensors, key=lambda k: (-DTYPES[tensors[k][0]][1], k))
    header, blobs, offset = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name in order:
        dtype_name, t = tensors[name]
        blob = tensor_bytes(t)
        header[name] = {"dtype": dtype_name, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class Checks:
    """Prints "ok   what" or "FAIL what" for every check, then the tally."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        self.passed, self.failed = self.passed + ok, self.failed + (not ok)

    def report(self):
        """Prints "N passed, N failed"; returns the exit code."""
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def main():
    program = sys.argv[1]
    check = Checks()

    with tempfile.TemporaryDirectory() as tmp:
        from_c = os.path.join(tmp, "from_c.safetensors")
        from_py = os.path.join(tmp, "from_py.safetensors")
        run = subprocess.run([program, "write", from_c], capture_output=True, text=True)
        check(run.returncode == 0, "C writes the reference " + run.stderr.strip())
        tensors, meta = load(from_c)
        check(meta == {"format": "pt"}, "metadata format=pt")
        check(sorted(tensors) == sorted(s[0] for s in SPECS), "tensor names")
        for name, dtype_name, shape in SPECS:
            got, want = tensors.get(name), reference(dtype_name, shape)
            check(got is not None and got.dtype == want.dtype and
                  list(got.shape) == shape and torch.equal(got, want),
                  f"{name} ({dtype_name} {shape}) loads in torch with the right values")

        save(from_py, {n: (d, reference(d, s)) for n, d, s in SPECS}, {"format": "pt"})
        run = subprocess.run([program, "check", from_py], capture_output=True, text=True)
        check(run.returncode == 0, "C loads the file torch wrote " + run.stderr.strip())
        check(open(from_c, "rb").read() == open(from_py, "rb").read(),
              "both files are byte-identical")
    return check.report()


if __name__ == "__main__":
    sys.exit(main())
