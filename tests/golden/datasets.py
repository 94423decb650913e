"""Golden values for tests/test_datasets.c, made by NumPy 1.24 / scikit-learn 1.2.

Run with Debian's interpreter (it has both):  /usr/bin/python3 datasets.py
Writes datasets.txt beside this file: one entry a line,
    <name> <ndim> <d0> ... <dn-1> <v0> <v1> ...   (values with %.17g)
"""
import numpy as np
import sklearn
from sklearn.datasets import (load_breast_cancer, load_digits, load_iris,
                              make_blobs, make_circles, make_classification,
                              make_moons)
from sklearn.model_selection import train_test_split

from golden_text import GoldenText

assert sklearn.__version__.startswith("1.2"), sklearn.__version__

golden = GoldenText(__file__, "datasets.txt")
emit = golden.emit


def emit_xy(name, X, y):
    emit(name + "_X", X)
    emit(name + "_y", y)


# ---- the legacy RandomState --------------------------------------------------
for seed in (0, 42, 2**32 - 1):
    emit("rng_sample_%d" % seed, np.random.RandomState(seed).random_sample(10))
rs = np.random.RandomState(0)
emit("rng_sample_700", rs.random_sample(700))  # crosses the 624-word refill
rs = np.random.RandomState(7)  # the cached second normal survives other draws
emit("rng_normal_mixed", np.concatenate(
    [rs.standard_normal(5), rs.random_sample(3), rs.standard_normal(3)]))
emit("rng_normal_1000", np.random.RandomState(8).standard_normal(1000))
emit("rng_uniform", np.random.RandomState(1).uniform(-3, 5, 6))
emit("rng_randint_small", np.random.RandomState(3).randint(0, 10, 20))
emit("rng_randint_wide", np.random.RandomState(3).randint(-5, 1000000, 8))
emit("rng_randint_64", np.random.RandomState(5).randint(0, 2**40, 6))
rs = np.random.RandomState(6)  # an empty range draws nothing
emit("rng_randint_empty", [rs.randint(7, 8), rs.randint(0, 5)])
emit("rng_permutation", np.random.RandomState(11).permutation(1000))
rs = np.random.RandomState(12)
a = np.arange(50)
rs.shuffle(a)
emit("rng_shuffle", np.concatenate([a, rs.permutation(5)]))

# ---- generators --------------------------------------------------------------
emit_xy("moons_default", *make_moons(random_state=0))
emit_xy("moons_noise", *make_moons(n_samples=1001, noise=0.1, random_state=5))
emit_xy("moons_plain", *make_moons(n_samples=7, shuffle=False))
X, y = make_moons(n_samples=10000, noise=0.3, random_state=0)  # the lecture's
emit("moons_lecture_head", X[:50])
emit("moons_lecture_tail", X[-50:])
emit("moons_lecture_sum", X.sum(axis=0))
emit("moons_lecture_sumsq", (X * X).sum(axis=0))
emit("moons_lecture_y", y)
tr, te = train_test_split(np.arange(10000), test_size=0.2, random_state=13)
emit("split_lecture_train", tr)
emit("split_lecture_test", te)

emit_xy("circles_noise", *make_circles(n_samples=200, noise=0.05, factor=0.5,
                                       random_state=3))
emit_xy("circles_plain", *make_circles(n_samples=11, shuffle=False, factor=0.3))

emit_xy("blobs_default", *make_blobs(random_state=0))
emit_xy("blobs_custom", *make_blobs(n_samples=103, n_features=3, centers=4,
                                    cluster_std=1.5, center_box=(-5.0, 20.0),
                                    random_state=2))
emit_xy("blobs_fixed", *make_blobs(n_samples=10, centers=[[0.0, 0.0], [5.0, 5.0]],
                                   cluster_std=0.5, random_state=1))

emit_xy("clf_default", *make_classification(random_state=0))
emit_xy("clf_custom", *make_classification(
    n_samples=200, n_features=8, n_informative=3, n_redundant=2, n_repeated=1,
    n_classes=3, n_clusters_per_class=1, flip_y=0.05, class_sep=2.0,
    hypercube=False, shift=None, scale=None, random_state=7))
emit_xy("clf_wide", *make_classification(
    n_samples=50, n_features=40, n_informative=35, n_redundant=0, n_classes=4,
    random_state=3))
emit_xy("clf_noshuffle", *make_classification(
    n_samples=30, n_features=5, n_informative=2, n_redundant=1, n_repeated=1,
    flip_y=0.2, shuffle=False, random_state=11))

# ---- splits --------------------------------------------------------------------
iris = load_iris()
tr, te = train_test_split(np.arange(150), test_size=0.2, random_state=13)
emit("split_iris_train", tr)
emit("split_iris_test", te)
tr, te = train_test_split(np.arange(150), test_size=0.3, random_state=1,
                          stratify=iris.target)
emit("split_iris_strat_train", tr)
emit("split_iris_strat_test", te)
labels = np.array([0] * 7 + [1] * 13 + [2] * 5 + [5] * 9)
np.random.RandomState(0).shuffle(labels)
emit("split_uneven_labels", labels)
tr, te = train_test_split(np.arange(34), test_size=0.25, random_state=4,
                          stratify=labels)
emit("split_uneven_train", tr)
emit("split_uneven_test", te)
tr, te = train_test_split(np.arange(50), test_size=10, train_size=0.5, random_state=3)
emit("split_sizes_train", tr)
emit("split_sizes_test", te)
tr, te = train_test_split(np.arange(10), test_size=3, shuffle=False)
emit("split_noshuffle_train", tr)
emit("split_noshuffle_test", te)

# ---- built-in data sets ----------------------------------------------------------
emit_xy("iris", iris.data, iris.target)
assert list(iris.feature_names) == ["sepal length (cm)", "sepal width (cm)",
                                    "petal length (cm)", "petal width (cm)"]
assert list(iris.target_names) == ["setosa", "versicolor", "virginica"]
cancer = load_breast_cancer()
emit("cancer_shape", cancer.data.shape)
emit("cancer_rows", cancer.data[[0, 1, 568]])
emit("cancer_colsum", cancer.data.sum(axis=0))
emit("cancer_y", cancer.target)
assert list(cancer.target_names) == ["malignant", "benign"]
assert cancer.feature_names[0] == "mean radius"
assert cancer.feature_names[29] == "worst fractal dimension"
digits = load_digits()
emit("digits_shape", digits.data.shape)
emit("digits_rows", digits.data[[0, 1, 1796]])
emit("digits_colsum", digits.data.sum(axis=0))
emit("digits_y", digits.target)
assert digits.feature_names[0] == "pixel_0_0" and digits.feature_names[63] == "pixel_7_7"
assert digits.feature_names[10] == "pixel_1_2"
assert list(digits.target_names) == list(range(10))
d5 = load_digits(n_class=5)
emit("digits5_shape", d5.data.shape)
emit("digits5_y", d5.target)
emit("digits5_colsum", d5.data.sum(axis=0))

golden.write()
