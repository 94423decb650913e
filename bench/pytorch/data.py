"""Twin of bench/data.c: the data path at scale with scikit-learn 1.2 and
PyTorch's DataLoader, the same sizes (N from $TG_BENCH_DATA_N, default
10^6), one RESULT line per family."""
import os

import numpy as np
import torch
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

from common import parse, report, time_median

FEATURES, BATCH = 16, 256
N = int(os.environ.get("TG_BENCH_DATA_N", 1_000_000))
LOADER_N = N // 10


def size_name(n):
    """1M, 10M, 100k: the row names of bench/data.c"""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def main():
    a = parse()
    torch.manual_seed(0)
    X = torch.randn(N, FEATURES, dtype=torch.float64).numpy()
    y = torch.randint(0, 2, (N,)).numpy()
    X32 = torch.from_numpy(X[:LOADER_N]).float()
    scores = X[:, 0].copy()
    predicted = (scores > 0).astype(np.int64)

    def loader_pass():
        for _ in DataLoader(TensorDataset(X32), batch_size=BATCH, shuffle=True):
            pass

    n = size_name(N)
    rows = [
        (f"standard_scaler_{n}", lambda: StandardScaler().fit_transform(X)),
        (f"train_test_split_{n}", lambda: train_test_split(X, y, test_size=0.2, random_state=42)),
        (f"roc_auc_score_{n}", lambda: roc_auc_score(y, scores)),
        (f"average_precision_{n}", lambda: average_precision_score(y, scores)),
        (f"accuracy_score_{n}", lambda: accuracy_score(y, predicted)),
        (f"dataloader_{size_name(LOADER_N)}_b256", loader_pass),
    ]
    for name, fn in rows:
        report(name, a.threads, time_median(fn, a.reps))


if __name__ == "__main__":
    main()
