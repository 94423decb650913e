"""Golden values for tests/test_metrics.c, made with scikit-learn 1.2.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/metrics.py
Writes tests/golden/metrics.txt: the inputs of every case and sklearn's
results, one entry a line: <name> <ndim> <d0> .. <dn-1> <v0> <v1> ...
Text (classification reports) is stored as its byte values.
"""
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics

assert sklearn.__version__.startswith("1.2"), sklearn.__version__
warnings.simplefilter("ignore")  # zero_division="warn" and NaN curves warn

rng = np.random.default_rng(1234)
lines = []
written = {}


def put(name, values):
    a = np.asarray(values)
    if a.dtype.kind in "US":
        a = np.frombuffer(str(a).encode("utf-8"), dtype=np.uint8)
    if name in written:  # a case's inputs are shared by its curve and score parts
        assert np.array_equal(written[name], a), name
        return
    written[name] = a
    flat = a.ravel()
    if a.dtype.kind in "iub":
        text = " ".join(str(int(v)) for v in flat)
    else:
        text = " ".join(repr(float(v)) for v in flat)
    dims = " ".join(str(d) for d in a.shape)
    lines.append(f"{name} {a.ndim} {dims} {text}".replace("  ", " "))


ZD = {"warn": "warn", "0": 0, "1": 1}


def fpr_per_label(y_true, y_pred, labels, zd):
    """FPR = FP / (FP + TN) per label from sklearn's multilabel confusion matrix."""
    mcm = metrics.multilabel_confusion_matrix(y_true, y_pred, labels=labels)
    tn, fp = mcm[:, 0, 0], mcm[:, 0, 1]
    den = fp + tn
    z = 1.0 if zd == 1 else 0.0
    return np.where(den == 0, z, fp / np.where(den == 0, 1, den)), mcm


def fpr_average(y_true, y_pred, labels, average, zd, pos_label=1):
    z = 1.0 if zd == 1 else 0.0
    if average == "binary":
        labels = [pos_label]
    per, mcm = fpr_per_label(y_true, y_pred, labels, zd)
    if average == "micro":
        fp, den = mcm[:, 0, 1].sum(), (mcm[:, 0, 1] + mcm[:, 0, 0]).sum()
        return z if den == 0 else fp / den
    if average == "weighted":
        support = mcm[:, 1, 0] + mcm[:, 1, 1]
        return z if support.sum() == 0 else np.average(per, weights=support)
    return np.mean(per)


def scores_case(name, y_true, y_pred, labels=None, pos_label=1,
                averages=("binary", "micro", "macro", "weighted")):
    """Accuracy, confusion matrices, per-label and averaged scores."""
    put(f"{name}_y_true", y_true)
    put(f"{name}_y_pred", y_pred)
    put(f"{name}_accuracy", [metrics.accuracy_score(y_true, y_pred)])
    all_labels = metrics._classification.unique_labels(y_true, y_pred)
    put(f"{name}_cm_labels", all_labels)
    put(f"{name}_cm", metrics.confusion_matrix(y_true, y_pred))
    for norm in ("true", "pred", "all"):
        put(f"{name}_cm_{norm}", metrics.confusion_matrix(y_true, y_pred, normalize=norm))
    if labels is not None:
        put(f"{name}_labels", labels)
        if np.isin(labels, y_true).any():  # else sklearn (and C) refuse
            put(f"{name}_cm_explicit",
                metrics.confusion_matrix(y_true, y_pred, labels=labels))
    for zd_name, zd in ZD.items():
        for tag, lab in (("all", None), ("explicit", labels)):
            if tag == "explicit" and labels is None:
                continue
            p, r, f, s = metrics.precision_recall_fscore_support(
                y_true, y_pred, labels=lab, average=None, zero_division=zd)
            fpr, _ = fpr_per_label(y_true, y_pred, lab if lab is not None else all_labels, zd)
            put(f"{name}_{tag}_zd{zd_name}_per_class", np.stack([p, r, f, fpr]))
            put(f"{name}_{tag}_zd{zd_name}_support", s)
            for avg in averages:
                if avg == "binary" and tag == "explicit":
                    continue
                p, r, f, _ = metrics.precision_recall_fscore_support(
                    y_true, y_pred, labels=lab, average=avg, pos_label=pos_label,
                    zero_division=zd)
                fa = fpr_average(y_true, y_pred, lab if lab is not None else all_labels,
                                 avg, zd, pos_label)
                put(f"{name}_{tag}_zd{zd_name}_{avg}", [p, r, f, fa])


def report_case(name, y_true, y_pred, labels=None, target_names=None, digits=2,
                zero_division="warn"):
    text = metrics.classification_report(
        y_true, y_pred, labels=labels, target_names=target_names, digits=digits,
        zero_division=zero_division)
    put(f"{name}_report", text)


def curve_case(name, y_true, y_score, pos_label=1):
    put(f"{name}_y_true", y_true)
    put(f"{name}_y_score", y_score)
    for drop in (True, False):
        fpr, tpr, thr = metrics.roc_curve(y_true, y_score, pos_label=pos_label,
                                          drop_intermediate=drop)
        put(f"{name}_roc{int(drop)}", np.stack([fpr, tpr, thr]))
    p, r, thr = metrics.precision_recall_curve(y_true, y_score, pos_label=pos_label)
    put(f"{name}_pr_points", np.stack([p, r]))
    put(f"{name}_pr_thresholds", thr)
    put(f"{name}_ap", [metrics.average_precision_score(y_true, y_score,
                                                       pos_label=pos_label)])
    if len(np.unique(y_true)) == 2:
        put(f"{name}_auc", [metrics.roc_auc_score(y_true, y_score)])


# ---- binary cases ----
n = 200
y = rng.integers(0, 2, n)
score = np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1)
curve_case("rand", y, score)
scores_case("rand", y, (score >= 0.5).astype(np.int64))
report_case("rand", y, (score >= 0.5).astype(np.int64))
report_case("rand_names", y, (score >= 0.5).astype(np.int64),
            target_names=["negative", "positive"], digits=4)

y = rng.integers(0, 2, 120)
score = np.round(0.3 * y + rng.random(120) * 0.7, 1)  # heavy ties
curve_case("tied", y, score)
scores_case("tied", y, (score >= 0.5).astype(np.int64))

y = (rng.random(300) < 0.05).astype(np.int64)  # ~5% positives
score = np.round(0.2 * y + rng.random(300) * 0.8, 2)
curve_case("imb", y, score)
scores_case("imb", y, (score >= 0.7).astype(np.int64))
report_case("imb", y, (score >= 0.7).astype(np.int64))

# {-1, 1} labels and pos_label=-1 on the curves
y = rng.choice([-1, 1], 80)
score = rng.random(80) + 0.3 * (y == -1)
curve_case("pm", y, score, pos_label=-1)
scores_case("pm", y, np.where(score > 0.6, -1, 1), pos_label=-1)

# one class in y_true: curves are defined (with NaN rates), ROC AUC is not
score = np.round(rng.random(50), 1)
curve_case("allpos", np.ones(50, dtype=np.int64), score)
curve_case("allneg", np.zeros(50, dtype=np.int64), score)
scores_case("allneg", np.zeros(50, dtype=np.int64), (score > 0.5).astype(np.int64))
# nothing predicted positive and nothing positive: zero_division decides all
scores_case("allzero", np.zeros(20, dtype=np.int64), np.zeros(20, dtype=np.int64))

# ---- multiclass ----
n, k = 150, 4
classes = np.array([-3, 2, 5, 11])
yi = rng.integers(0, k, n)
logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[yi]
proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
y = classes[yi]
pred = classes[np.argmax(proba, axis=1)]
pred[pred == 5] = 2  # label 5 is never predicted: zero_division matters
put("multi_proba", proba)
put("multi_auc_macro", [metrics.roc_auc_score(y, proba, multi_class="ovr", average="macro")])
put("multi_auc_weighted",
    [metrics.roc_auc_score(y, proba, multi_class="ovr", average="weighted")])
scores_case("multi", y, pred, labels=np.array([11, 2, 9]),
            averages=("micro", "macro", "weighted"))
report_case("multi", y, pred)
report_case("multi_zd1", y, pred, zero_division=1, digits=3)
report_case("multi_subset", y, pred, labels=[11, 2, 9],
            target_names=["eleven", "two", "nine (absent)"])
report_case("multi_d0", y, pred, digits=0)
# weighted average over a label no sample truly has, but some predict
scores_case("nosupport", y, np.where(pred == 2, 9, pred), labels=np.array([9]),
            averages=("micro", "macro", "weighted"))

# the sklearn docstring example, a readable anchor
put("doc_y_true", np.array([0, 1, 2, 2, 2]))
put("doc_y_pred", np.array([0, 0, 2, 2, 1]))
report_case("doc", [0, 1, 2, 2, 2], [0, 0, 2, 2, 1],
            target_names=["class 0", "class 1", "class 2"])

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.txt")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} entries to {out}")
