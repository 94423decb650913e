"""Twin of bench/ddp_gemm.c: the 784-1024-1024-10 MLP, batch 256 per rank,
under DistributedDataParallel on gloo, one process per rank. Rank 0 prints
    DDP pytorch <N> <step seconds> <compute seconds (no_sync)> <gradient bytes> <buckets>

    /usr/bin/python3 ddp_gemm.py --world-size N [--reps R] [--threads T]
"""
import argparse
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.optim as optim
from torch.nn.parallel import DistributedDataParallel as DDP

from common import time_median
from train import mlp

BATCH, STEPS_PER_CALL = 256, 5


def run(rank, world_size, port, args):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.set_num_threads(args.threads)
    torch.manual_seed(rank)  # each rank its own data
    model = DDP(mlp([784, 1024, 1024, 10], relu=True, sigmoid=False))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.randn(BATCH, 784), torch.randint(0, 10, (BATCH,))

    def steps():
        for _ in range(STEPS_PER_CALL):
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        dist.barrier()  # every rank's steps are in the time

    def local_steps():
        with model.no_sync():
            steps()

    t_step = time_median(steps, args.reps) / STEPS_PER_CALL
    t_compute = time_median(local_steps, args.reps) / STEPS_PER_CALL
    if rank == 0:
        n_bytes = 4 * sum(p.numel() for p in model.parameters())
        buckets = len(model.reducer._get_zeros_like_grad_buckets()) \
            if hasattr(model.reducer, "_get_zeros_like_grad_buckets") else -1
        print(f"DDP pytorch {world_size} {t_step:.9g} {t_compute:.9g} {n_bytes} {buckets}",
              flush=True)
    dist.destroy_process_group()
    # A spawned rank sometimes never finishes exiting (gloo's threads, seen
    # with torch 1.13 on a loaded machine); its work is done and flushed.
    sys.stdout.flush()
    os._exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--world-size", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(run, args=(args.world_size, port, args), nprocs=args.world_size)


if __name__ == "__main__":
    main()
