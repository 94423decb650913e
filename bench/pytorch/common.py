"""What every PyTorch twin shares with bench/bench.c: the command line
(--threads N --reps R), a median timer with one warm-up call, and the
RESULT line bench/run.sh reads."""
import argparse
import resource
import statistics
import time

import torch


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    return a


def time_median(fn, reps):
    fn()  # warm-up, as bench_time does
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(workload, threads, seconds, gflops=None):
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    g = f"{gflops:.6g}" if gflops else "-"
    print(f"RESULT {workload} {threads} {seconds:.9g} {rss_kb} {g}", flush=True)
