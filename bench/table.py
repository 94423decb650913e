"""Prints bench/run.sh's table from its collected RESULT lines:
    <framework> <workload> <threads> <seconds> <peak_rss_kb> <gflops or ->
Medians over rounds; ratio = PyTorch time / tensorgrad time; the last
column says whether issue 7's target for the row is met."""
import statistics
import sys
from collections import defaultdict

# workload -> (what it is, the target as a predicate on the row)
ROWS = {
    "moons_epoch": "moons epoch (2-1000-1, BCE, SGD, b16, +val)",
    "iris_epoch": "Iris epoch (4-50-100-3, CE, Adam, b10)",
    "digits_epoch": "digits epoch (64-128-64-10, CE, Adam, b32)",
    "gemm_mlp_step": "GEMM MLP step (784-1024-1024-10, b256)",
    "sgemm_same_shapes": "  raw cblas_sgemm, same 8 products",
    "mlp2048_step": "MLP step (784-2048-2048-10, b512, Adam)",
    "sgemm_mlp2048_shapes": "  raw cblas_sgemm, same 8 products",
    "lenet_b64_step": "LeNet-5 step (b64, SGD momentum, CE)",
    "lenet_b256_step": "LeNet-5 step (b256, SGD momentum, CE)",
    "fashion_cnn_b128_step": "Fashion-MNIST CNN step (b128, BN, AdamW)",
    "add_16x16_recorded": "c = a + b 16x16, recorded",
    "add_16x16_no_grad": "c = a + b 16x16, no_grad",
    "backward_chain_100k": "backward of a 100k-op chain",
    "standard_scaler_1M": "StandardScaler.fit_transform 1M x 16",
    "train_test_split_1M": "train_test_split 1M x 16",
    "roc_auc_score_1M": "roc_auc_score 1M",
    "average_precision_1M": "average_precision_score 1M",
    "accuracy_score_1M": "accuracy_score 1M",
    "dataloader_100k_b256": "DataLoader pass, 100k x 16, b256, shuffled",
    "standard_scaler_10M": "StandardScaler.fit_transform 10M x 16",
    "train_test_split_10M": "train_test_split 10M x 16",
    "roc_auc_score_10M": "roc_auc_score 10M",
    "average_precision_10M": "average_precision_score 10M",
    "accuracy_score_10M": "accuracy_score 10M",
    "dataloader_1M_b256": "DataLoader pass, 1M x 16, b256, shuffled",
    "lstm_step": "LSTM LM step (hidden 64, b32 x 23)",
    "transformer_step": "transformer block step (d64, b32 x 23)",
}
MIN_RATIO = {"moons_epoch": 20, "iris_epoch": 20, "digits_epoch": 8, "gemm_mlp_step": 1,
             "standard_scaler_1M": 1, "train_test_split_1M": 1, "roc_auc_score_1M": 1,
             "average_precision_1M": 1, "accuracy_score_1M": 1, "dataloader_100k_b256": 1,
             "standard_scaler_10M": 1, "train_test_split_10M": 1, "roc_auc_score_10M": 1,
             "average_precision_10M": 1, "accuracy_score_10M": 1, "dataloader_1M_b256": 1,
             "mlp2048_step": 1.5, "lenet_b64_step": 1.5, "lenet_b256_step": 1.5,
             "fashion_cnn_b128_step": 1.5, "lstm_step": 1.5, "transformer_step": 1.5}


def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.3g} us"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_mb(kb):
    return "-" if kb is None else f"{kb / 1024:.0f} MB"


def main(path):
    runs = defaultdict(list)  # (framework, workload, threads) -> [(s, rss, gflops)]
    with open(path) as f:
        for line in f:
            fw, w, t, s, rss, g = line.split()
            runs[fw, w, int(t)].append((float(s), int(rss), None if g == "-" else float(g)))

    def median(fw, w, t, i):
        vals = [r[i] for r in runs.get((fw, w, t), []) if r[i] is not None]
        return statistics.median(vals) if vals else None

    threads = sorted({k[2] for k in runs})
    head = (f"{'workload':44} {'thr':>3} {'tensorgrad':>10} {'PyTorch':>10} {'ratio':>7} "
            f"{'GFLOP/s tg':>10} {'GFLOP/s pt':>10} {'RSS tg':>7} {'RSS pt':>7}  target")
    print(head)
    print("-" * len(head))
    raw = {}
    for t in threads:
        for w, label in ROWS.items():
            tg = median("tensorgrad", w, t, 0)
            if tg is None:
                continue
            pt = median("pytorch", w, t, 0)
            ratio = pt / tg if pt else None
            g_tg, g_pt = median("tensorgrad", w, t, 2), median("pytorch", w, t, 2)
            if w == "sgemm_same_shapes":
                raw[t] = g_tg
            verdict = ""
            if w in MIN_RATIO and ratio:
                verdict = f">= {MIN_RATIO[w]}x: " + ("met" if ratio >= MIN_RATIO[w] else "NOT met")
            if w == "add_16x16_recorded":
                verdict = "<= 0.5 us: " + ("met" if tg <= 0.5e-6 else "NOT met")
            if w == "moons_epoch" and median("pytorch", w, t, 1):
                share = median("tensorgrad", w, t, 1) / median("pytorch", w, t, 1)
                verdict += f"; RSS 1/{1 / share:.0f} (<= 1/10: {'met' if share <= 0.1 else 'NOT met'})"
            print(f"{label:44} {t:>3} {fmt_time(tg):>10} {fmt_time(pt):>10} "
                  f"{(f'{ratio:.2f}x' if ratio else '-'):>7} "
                  f"{(f'{g_tg:.1f}' if g_tg else '-'):>10} {(f'{g_pt:.1f}' if g_pt else '-'):>10} "
                  f"{fmt_mb(median('tensorgrad', w, t, 1)):>7} "
                  f"{fmt_mb(median('pytorch', w, t, 1)):>7}  {verdict}")
    for t in threads:
        g = median("tensorgrad", "gemm_mlp_step", t, 2)
        if g and raw.get(t):
            share = g / raw[t]
            print(f"GEMM MLP at {t} thread(s): {100 * share:.0f}% of raw sgemm's GFLOP/s "
                  f"(>= 85%: {'met' if share >= 0.85 else 'NOT met'})")
    for t in threads:  # the MLP 2048 step beside its products alone (bench/README's roofline)
        step, raw_t = median("tensorgrad", "mlp2048_step", t, 0), median("tensorgrad", "sgemm_mlp2048_shapes", t, 0)
        pt = median("pytorch", "mlp2048_step", t, 0)
        if step and raw_t and pt:
            print(f"MLP 2048 at {t} thread(s): {100 * raw_t / step:.0f}% of the step is raw sgemm's time; "
                  f"a step costing its products alone would be {pt / raw_t:.2f}x PyTorch")


if __name__ == "__main__":
    main(sys.argv[1])
