"""The examples' own figures beside matplotlib's drawing of the same data.

Usage: /usr/bin/python3 docs/plots/example_pairs.py BUILD [EXAMPLE...]

Runs each example (a few epochs) with TENSORGRAD_FIGURE_JSON=1, which makes
tg_figure_save write "<figure>.png.json" beside each picture: the data,
styles, labels and settings the program gave the figure. This script draws
that description again with matplotlib (Debian's python3-matplotlib) at the
same pixel size and writes docs/plots/pairs/examples/<figure>.tensorgrad.png
(the example's own file) and <figure>.matplotlib.png; a figure whose name
does not start with its example's gets the example's name in front.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap, to_rgb  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pairs", "examples")
EXAMPLES = {  # the arguments of a short run
    "moons": ["--epochs", "20"],
    "iris": ["--epochs", "30"],
    "logistic_regression": ["--epochs", "30"],
    "digits": ["--epochs", "3"],
    "optimizers": ["--epochs", "2"],
    "makemore": ["--steps", "200"],
    "fashion_mnist": ["--epochs", "1", "--subset", "2000"],
}
TAB10 = plt.get_cmap("tab10").colors
PT = 0.72  # points per pixel at 100 dpi: tensorgrad's widths are pixels there


def mix(a, b, t):
    return tuple((1 - t) * x + t * y for x, y in zip(a, b))


def probability_cmap():
    """plot/items.c's probability tint: white at p=0.5, stronger with confidence."""
    colors = []
    for p in np.linspace(0, 1, 256):
        confidence = min(abs(p - 0.5) * 2, 1)
        colors.append(mix((1, 1, 1), TAB10[1 if p >= 0.5 else 0], 0.12 + 0.38 * confidence))
    return ListedColormap(colors)


def grid_of(item):
    return np.array(item["grid"], dtype=float).reshape(item["ny"], item["nx"])


def draw_item(ax, item, fig_px):
    """Draws one recorded item; returns the mappable a colour bar would show."""
    kind, color = item["kind"], item["color"]
    label = item["label"]
    x = np.array(item.get("x", []), dtype=float)
    y = np.array(item.get("y", []), dtype=float)
    if kind == "line":
        ax.plot(x, y, color=color, lw=item["line_width"] * PT, ls="--" if item["dashed"] else "-",
                marker="o" if item["marker_size"] > 0 else None,
                ms=2 * item["marker_size"] * PT, label=label)
    elif kind == "scatter":
        colors = [TAB10[c % 10] for c in item["classes"]] if "classes" in item else color
        ax.scatter(x, y, c=colors, s=(2 * item["marker_size"] * PT) ** 2, edgecolors="white",
                   linewidths=0.5, label=label, zorder=3)
    elif kind == "bar":
        ax.bar(x, y, width=item["bar_width"], color=color, label=label)
    elif kind == "fill_probability":
        xmin, xmax, ymin, ymax = item["extent"]
        gx, gy = np.linspace(xmin, xmax, item["nx"]), np.linspace(ymin, ymax, item["ny"])
        mappable = ax.contourf(gx, gy, grid_of(item), levels=np.linspace(0, 1, 41),
                               cmap=probability_cmap(), vmin=0, vmax=1)
        ax.contour(gx, gy, grid_of(item), levels=[0.5], colors="#333333", linewidths=1.5 * PT)
        return mappable
    elif kind == "fill_classes":
        classes = np.array(item["classes"]).reshape(item["ny"], item["nx"])
        rgb = np.array([[mix((1, 1, 1), TAB10[c % 10], 0.3) for c in row] for row in classes])
        ax.imshow(rgb, origin="lower", extent=item["extent"], aspect="auto")
    elif kind == "contour":
        xmin, xmax, ymin, ymax = item["extent"]
        gx, gy = np.linspace(xmin, xmax, item["nx"]), np.linspace(ymin, ymax, item["ny"])
        style = {"colors": color} if color else {"cmap": "viridis"}
        mappable = ax.contour(gx, gy, grid_of(item), levels=item["levels"],
                              linewidths=item["line_width"] * PT, **style)
        return mappable if not color else None
    elif kind == "confusion":
        counts = grid_of(item)
        mappable = ax.imshow(counts, cmap="Blues")
        for (j, i), v in np.ndenumerate(counts):
            ink = "white" if v > (counts.max() + counts.min()) / 2 else "black"
            ax.text(i, j, f"{v:.0f}", ha="center", va="center", color=ink)
        ax.set_xticks(range(item["nx"]), item["names"])
        ax.set_yticks(range(item["ny"]), item["names"])
        return mappable
    elif kind == "image":
        same = item["vmin"] == item["vmax"]
        return ax.imshow(grid_of(item), cmap=item["cmap"], interpolation="nearest",
                         vmin=None if same else item["vmin"], vmax=None if same else item["vmax"])
    return None


def draw_axes(fig, ax, spec):
    mappable = None
    for item in spec["items"]:
        mappable = draw_item(ax, item, fig) or mappable
    if spec["title"]:
        ax.set_title(spec["title"], fontweight="bold")
    if spec["axis_off"]:
        ax.axis("off")
        return
    ax.set_xlabel(spec["xlabel"] or "")
    ax.set_ylabel(spec["ylabel"] or "")
    if spec["xlog"]:
        ax.set_xscale("log")
    if spec["ylog"]:
        ax.set_yscale("log")
    if spec["xlim"]:
        ax.set_xlim(*spec["xlim"])
    if spec["ylim"]:
        ax.set_ylim(*spec["ylim"])
    if spec["grid"]:
        ax.grid(True, color="#dddddd")
        ax.set_axisbelow(True)
    if spec["equal_aspect"]:
        ax.set_aspect("equal", adjustable="box")
    if spec["colorbar"] and mappable is not None:
        fig.colorbar(mappable, ax=ax, label=spec["colorbar_label"] or "", fraction=0.046,
                     pad=0.04)
    if sum(1 for item in spec["items"] if item["label"]) >= 2:
        ax.legend(loc="best")


def replay(description, out):
    d = json.load(open(description))
    fig, axes = plt.subplots(d["rows"], d["cols"], squeeze=False,
                             figsize=(d["width"] / d["dpi"], d["height"] / d["dpi"]), dpi=d["dpi"])
    for ax, spec in zip(axes.flat, d["axes"]):
        draw_axes(fig, ax, spec)
    if d["title"]:
        fig.suptitle(d["title"], fontweight="bold")
    fig.tight_layout()
    fig.savefig(out, dpi=d["dpi"])
    plt.close(fig)


def main():
    build = sys.argv[1]
    names = sys.argv[2:] or list(EXAMPLES)
    os.makedirs(HERE, exist_ok=True)
    env = dict(os.environ, TENSORGRAD_FIGURE_JSON="1")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            out = os.path.join(tmp, name)
            run = subprocess.run([os.path.join(build, "examples", name), *EXAMPLES[name],
                                  "--out", out], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            if run.returncode != 0:
                print(f"{name}: skipped ({run.stderr.strip().splitlines()[-1:]})")
                continue
            for description in sorted(glob.glob(os.path.join(out, "*.png.json"))):
                stem = os.path.basename(description)[: -len(".png.json")]
                prefixed = stem.startswith(name.split("_")[0] + "_")
                pair = os.path.join(HERE, stem if prefixed else f"{name}_{stem}")
                shutil.copy(description[: -len(".json")], pair + ".tensorgrad.png")
                replay(description, pair + ".matplotlib.png")
                print(f"wrote {pair}.tensorgrad.png and .matplotlib.png")


if __name__ == "__main__":
    main()
