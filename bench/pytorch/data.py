"""Twin of bench/data.c: the data path at scale with scikit-learn 1.2 and
PyTorch's DataLoader, the same sizes, one RESULT line per family."""
import numpy as np
import torch
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

from common import parse, report, time_median

N, FEATURES, LOADER_N, BATCH = 1_000_000, 16, 100_000, 256


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

    rows = [
        ("standard_scaler_1M", lambda: StandardScaler().fit_transform(X)),
        ("train_test_split_1M", lambda: train_test_split(X, y, test_size=0.2, random_state=42)),
        ("roc_auc_score_1M", lambda: roc_auc_score(y, scores)),
        ("average_precision_1M", lambda: average_precision_score(y, scores)),
        ("accuracy_score_1M", lambda: accuracy_score(y, predicted)),
        ("dataloader_100k_b256", loader_pass),
    ]
    for name, fn in rows:
        report(name, a.threads, time_median(fn, a.reps))


if __name__ == "__main__":
    main()
