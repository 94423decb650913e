"""Bit-exact golden float32 sums of PyTorch 1.13's CPU kernel (ATen's
cascade_sum: vectorised row sums, cascaded column sums) for
tests/test_aten_bits.c, on inputs both sides generate from an integer hash
(every value an exact float32), so the file holds only the sums.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/sum_bits.py
Writes tests/golden/sum_bits.txt. ATen's lanes follow the CPU capability
PyTorch picks (AVX2 here: 8 floats); its sums of everything split across
its threads past 32768 elements, so it runs on one thread.

Entries: rows.<r>x<c> (x.sum(-1)), cols.<r>x<c> (x.sum(0)), all.<n> (x.sum())
and mean.<r>x<c> (x.mean(-1)) of the tensor data(r * c).view(r, c).
"""
import golden_text
import numpy as np
import torch

assert torch.__version__.startswith("1.13"), torch.__version__
assert "CPU capability usage: AVX2" in torch.__config__.show(), "goldens assume the AVX2 kernels"
torch.set_num_threads(1)
out = golden_text.GoldenText(__file__, "sum_bits.txt")


def data(n):
    """x[i]: a 24-bit integer from a hash of i, times 2^(i % 7 - 20)."""
    h = np.arange(n, dtype=np.uint64) * np.uint64(2654435761) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(15)
    h = h * np.uint64(2246822519) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(13)
    m = (h >> np.uint64(8)).astype(np.float64) - 2.0**23
    e = (np.arange(n) % 7).astype(np.float64) - 20.0
    return torch.from_numpy(m * 2.0**e).to(torch.float32)


for c in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 39, 40, 63, 64, 65, 127, 128,
          129, 255, 256, 257, 511, 512, 513, 1000, 2047, 2048, 2049, 4100, 65536, 70001]:
    r = 3 if c < 10000 else 1
    x = data(r * c).view(r, c)
    out.emit(f"rows.{r}x{c}", x.sum(-1))
    out.emit(f"mean.{r}x{c}", x.mean(-1))
for r, c in [(3, 5), (17, 7), (100, 33), (1000, 10), (5000, 3), (64, 130)]:
    out.emit(f"cols.{r}x{c}", data(r * c).view(r, c).sum(0))
for n in [1, 6, 8, 100, 1000, 32768, 40000, 300001]:
    out.emit(f"all.{n}", data(n).sum())
out.write()
