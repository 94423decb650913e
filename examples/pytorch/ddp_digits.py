"""The PyTorch twin of examples/ddp_digits.c: the digits MLP of Home Task 3
trained with DistributedDataParallel on the gloo backend, one process per
rank (torch.multiprocessing), batch 32 per rank.

    /usr/bin/python3 examples/pytorch/ddp_digits.py [--world-size N] [--epochs N]
                                                    [--seed S] [--out DIR]

Rank 0 writes DIR/losses.txt (epoch, step, the loss averaged over the ranks)
and prints the same summary line as the C program.
"""
import argparse
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

BATCH_SIZE = 32


def load():
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(digits["data"], digits["target"],
                                                        test_size=.2, random_state=13)
    sc = StandardScaler().fit(X_train)
    train = TensorDataset(torch.as_tensor(sc.transform(X_train)).float(),
                          torch.as_tensor(y_train))
    test = TensorDataset(torch.as_tensor(sc.transform(X_test)).float(),
                         torch.as_tensor(y_test))
    return train, test


def test_accuracy(model, test):
    model.eval()
    loader = DataLoader(test, batch_size=BATCH_SIZE,
                        sampler=DistributedSampler(test, shuffle=False))
    counts = torch.zeros(2, dtype=torch.float64)  # right, seen
    with torch.no_grad():
        for X, Y in loader:
            counts[0] += (model(X).argmax(dim=1) == Y).sum().item()
            counts[1] += len(Y)
    dist.all_reduce(counts)  # the global count
    return (counts[0] / counts[1]).item()


def run(rank, world_size, port, args):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.set_num_threads(1)
    started = time.time()
    torch.manual_seed(args.seed)
    train, test = load()
    model = DDP(nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                              nn.Linear(64, 10)))
    optimizer = optim.Adam(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    sampler = DistributedSampler(train, shuffle=True, seed=args.seed)
    loader = DataLoader(train, batch_size=BATCH_SIZE, sampler=sampler)
    losses = open(os.path.join(args.out, "losses.txt"), "w") if rank == 0 else None
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        total, steps = 0.0, 0
        for X, Y in loader:
            loss = loss_fn(model(X), Y)
            loss.backward()  # gradients averaged over the ranks in here
            optimizer.step()
            optimizer.zero_grad()
            mean = loss.detach().clone()
            dist.all_reduce(mean)
            mean = mean.item() / world_size
            if losses:
                losses.write("%d %d %.8f\n" % (epoch, steps, mean))
            total += mean
            steps += 1
        loss_value, acc = total / steps, test_accuracy(model, test)
        if rank == 0:
            print(f"epoch {epoch:3d}  loss={loss_value:.4f}  test_acc={acc:.4f}", flush=True)
    if rank == 0:
        losses.close()
        print(f"ddp_digits: world_size={world_size} epochs={args.epochs} "
              f"final_loss={loss_value:.4f} test_acc={acc:.4f} "
              f"seconds={time.time() - started:.1f}", flush=True)
    dist.destroy_process_group()
    # A spawned rank sometimes never finishes exiting (gloo's threads, seen
    # with torch 1.13 on a loaded machine); its work is done and flushed.
    sys.stdout.flush()
    os._exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--world-size", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/ddp_digits_pytorch")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    mp.spawn(run, args=(args.world_size, free_port(), args), nprocs=args.world_size)


if __name__ == "__main__":
    main()
