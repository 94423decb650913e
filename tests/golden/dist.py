"""Golden values for tests/dist/test_dist.c, made by PyTorch 1.13: the
indices DistributedSampler gives each rank (shuffle with seed + epoch,
padding, drop_last).

Run with Debian's interpreter:  /usr/bin/python3 dist.py
Writes dist.txt beside this file: one entry a line,
    <name> <ndim> <d0> ... <dn-1> <v0> <v1> ...   (values with %.17g)
"""
import torch
from torch.utils.data.distributed import DistributedSampler

from golden_text import GoldenText

assert torch.__version__.startswith("1.13"), torch.__version__

golden = GoldenText(__file__, "dist.txt")

# (dataset length, replicas, shuffle, seed, epoch, drop_last): even and
# uneven splits, padding longer than the data, a tail dropped
CASES = [
    (10, 2, False, 0, 0, False),
    (10, 3, False, 0, 0, False),
    (10, 3, False, 0, 0, True),
    (2, 4, False, 0, 0, False),
    (3, 4, False, 0, 0, True),
    (1437, 2, True, 0, 0, False),
    (1437, 2, True, 0, 1, False),
    (1437, 4, True, 7, 3, True),
    (100, 3, True, 42, 5, False),
]

for n, replicas, shuffle, seed, epoch, drop_last in CASES:
    for rank in range(replicas):
        s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle,
                               seed=seed, drop_last=drop_last)
        s.set_epoch(epoch)
        name = "sampler_%d_%d_%d_%d_%d_%d_rank%d" % (n, replicas, shuffle, seed, epoch,
                                                    drop_last, rank)
        golden.emit(name, torch.tensor(list(iter(s)), dtype=torch.float64))
golden.write()
