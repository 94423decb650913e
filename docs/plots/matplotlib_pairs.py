"""Side-by-side pairs: tensorgrad's figure and matplotlib's of the same data.

Usage: BUILD/venv/bin/python docs/plots/matplotlib_pairs.py BUILD

tests/test_plot.c draws these figures into BUILD/test_plot_out/; this
script draws the same data with matplotlib at the same pixel size and
writes docs/plots/pairs/<name>.tensorgrad.png and <name>.matplotlib.png.
"""
import math
import os
import shutil
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pairs")


class Lcg:
    """tests/test_plot.c's reproducible uniform and normal numbers."""

    def __init__(self, seed):
        self.state = seed

    def uniform(self):
        self.state = (self.state * 1664525 + 1013904223) % 2**32
        return (self.state >> 8) / 16777216.0

    def normal(self):
        u = self.uniform() + 1e-12
        v = self.uniform()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)


def figure(width, height, cols=1):
    return plt.subplots(1, cols, figsize=(width / 100, height / 100), dpi=100)


def roc_pr():
    n, rng = 400, Lcg(11)
    label = [i % 2 for i in range(n)]
    score = [1 / (1 + math.exp(-(1.2 if y else -1.2) - 1.1 * rng.normal())) for y in label]
    fpr, tpr, precision, recall = [], [], [], []
    for k in range(n + 1):
        t = 1 - k / n
        tp = sum(y for s, y in zip(score, label) if s >= t)
        fp = sum(1 - y for s, y in zip(score, label) if s >= t)
        fpr.append(fp / (n / 2))
        tpr.append(tp / (n / 2))
        if tp + fp:
            precision.append(tp / (tp + fp))
            recall.append(tp / (n / 2))
    fig, (roc, pr) = figure(1000, 420, 2)
    roc.plot(fpr, tpr, color="tab:purple", label="MLP")
    roc.plot([0, 1], [0, 1], "--", color="tab:gray", lw=1.2, label="chance")
    roc.set(title="ROC curve", xlabel="False positive rate", ylabel="True positive rate")
    roc.legend()
    pr.plot(recall, precision, color="tab:red")
    pr.set(title="Precision-recall curve", xlabel="Recall", ylabel="Precision")
    return fig


def colorbar():
    values = np.array([[(i % 16) / 15 for i in range(16 * r, 16 * r + 16)] for r in range(16)])
    fig, ax = figure(420, 360)
    im = ax.imshow(values, cmap="viridis", vmin=-1, vmax=2)
    fig.colorbar(im, ax=ax, label="value")
    return fig


def log_axis():
    fig, ax = figure(360, 300)
    ax.plot([0, 1, 2, 3, 4, 5], [1000, 100, 10, 1, 0, -1], color="tab:red")
    ax.set_yscale("log")
    ax.set_ylabel("loss")
    return fig


def hist():
    fig, ax = figure(360, 300)
    ax.hist([0, 0, 1, 1, 1, 2], bins=3, color="tab:green")
    return fig


PAIRS = {"roc_pr": roc_pr, "colorbar": colorbar, "log_axis": log_axis, "hist": hist}


def main():
    build = sys.argv[1]
    os.makedirs(HERE, exist_ok=True)
    for name, draw in PAIRS.items():
        shutil.copy(os.path.join(build, "test_plot_out", name + ".png"),
                    os.path.join(HERE, name + ".tensorgrad.png"))
        fig = draw()
        fig.tight_layout()
        fig.savefig(os.path.join(HERE, name + ".matplotlib.png"))
        plt.close(fig)
        print("docs/plots/pairs/" + name)


if __name__ == "__main__":
    main()
