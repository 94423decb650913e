"""The cost model of data-parallel training on N machines (bench/README.md).

One step = compute (forward + backward + update, measured: bench/ddp.sh's
one-process step) + the ring all-reduce of the gradients, bucket by bucket:
    t_allreduce(bucket) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency
(reduce-scatter then all-gather: each of the 2 (N - 1) rounds moves 1/N of
the bucket and pays one message latency). Without overlap the step is
compute + sum of the buckets; with DDP's overlap the buckets but the last
hide behind the rest of backward, bounded below by compute itself.
Efficiency = t_step(1) / t_step(N) (weak scaling, the same work per machine).

    /usr/bin/python3 bench/ddp_model.py --compute-ms 102 --buckets-mb 4.24 3.21
"""
import argparse

NETWORKS = [("10 Gb/s Ethernet", 10e9 / 8, 30e-6), ("100 Gb/s InfiniBand", 100e9 / 8, 3e-6)]
MACHINES = [2, 4, 8, 16, 64]


def allreduce(n, nbytes, bandwidth, latency):
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compute-ms", type=float, required=True)
    p.add_argument("--buckets-mb", type=float, nargs="+", required=True,
                   help="bucket sizes in MB (1e6 bytes), in the order they are reduced")
    p.add_argument("--backward-share", type=float, default=2 / 3,
                   help="the part of compute that is backward (overlap window)")
    a = p.parse_args()
    compute = a.compute_ms * 1e-3
    buckets = [mb * 1e6 for mb in a.buckets_mb]
    print(f"compute {a.compute_ms:.1f} ms, buckets {a.buckets_mb} MB "
          f"({sum(a.buckets_mb):.2f} MB)\n")
    print("| network | machines | all-reduce ms | efficiency, no overlap | efficiency, overlapped |")
    print("|---|---:|---:|---:|---:|")
    for name, bandwidth, latency in NETWORKS:
        for n in MACHINES:
            times = [allreduce(n, b, bandwidth, latency) for b in buckets]
            comm = sum(times)
            plain = compute / (compute + comm)
            # everything but the last bucket can run during the rest of backward
            hidden = min(sum(times[:-1]), a.backward_share * compute)
            overlapped = compute / (compute + comm - hidden)
            print(f"| {name} (latency {latency * 1e6:.0f} us) | {n} | {comm * 1e3:.2f} | "
                  f"{plain:.0%} | {overlapped:.0%} |")


if __name__ == "__main__":
    main()
