"""Golden values for tests/test_dataloader.c and tests/test_scalers.c, made by
PyTorch 1.13 (DataLoader shuffling, random_split) and scikit-learn 1.2
(StandardScaler, MinMaxScaler).

Run with Debian's interpreter (it has both):  /usr/bin/python3 data.py
Writes data.txt beside this file: one entry a line,
    <name> <ndim> <d0> ... <dn-1> <v0> <v1> ...   (values with %.17g)
"""
import numpy as np
import sklearn
import torch
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from torch.utils.data import DataLoader, TensorDataset, random_split

from golden_text import GoldenText

assert torch.__version__.startswith("1.13"), torch.__version__
assert sklearn.__version__.startswith("1.2"), sklearn.__version__

golden = GoldenText(__file__, "data.txt")
emit = golden.emit


def epoch_order(loader):
    """The sample order of one pass, read from the X values (= indices)."""
    return torch.cat([x for x, _ in loader]).tolist()


def after(name):
    """The global generator's next values: proves how much a step consumed."""
    emit(name + "_after", torch.rand(4, dtype=torch.float64))


# ---- the raw draws the loader is built on ---------------------------------------
for seed in (0, 42, 1234):
    torch.manual_seed(seed)
    # the base seed each DataLoader iterator draws: random64() % 2**63
    emit("int64_random_%d" % seed,
         [torch.empty((), dtype=torch.int64).random_().item() for _ in range(3)])
    g = torch.Generator()
    g.manual_seed(2**62 + 12345 * seed + 7)  # only the low 32 bits seed mt19937
    emit("private_randperm_%d" % seed,
         torch.cat([torch.randperm(13, generator=g), torch.randperm(40, generator=g)]))

# ---- shuffled epochs ---------------------------------------------------------------
for seed, n, batch in ((0, 10, 4), (42, 37, 8), (1234, 100, 16)):
    data = TensorDataset(torch.arange(n), torch.arange(n) * 10)
    loader = DataLoader(data, batch_size=batch, shuffle=True)
    torch.manual_seed(seed)
    name = "shuffle_s%d_n%d_b%d" % (seed, n, batch)
    emit(name, [epoch_order(loader) for _ in range(3)])
    after(name)

# The lecture's pattern: peek at one batch and count batches, then train, with
# an unshuffled validation pass after every epoch. Every iterator draws a base
# seed, so each of these steps moves the global generator.
torch.manual_seed(7)
train = DataLoader(TensorDataset(torch.arange(23), torch.arange(23)), batch_size=5,
                   shuffle=True)
val = DataLoader(TensorDataset(torch.arange(6), torch.arange(6)), batch_size=4)
peek = next(iter(train))[0]
total = len(iter(train))
orders = []
for epoch in range(2):
    orders.append(epoch_order(train))
    epoch_order(val)
emit("lecture_peek", peek)
emit("lecture_total", total)
emit("lecture_orders", orders)
after("lecture")

# Breaking out after the first batch still consumed both draws.
torch.manual_seed(3)
loader = DataLoader(TensorDataset(torch.arange(9), torch.arange(9)), batch_size=2,
                    shuffle=True, drop_last=True)
for x, _ in loader:
    emit("break_first", x)
    break
emit("drop_last_epoch", epoch_order(loader))
after("break")

# The lecture's moons pipeline end to end: split, scale on the training rows,
# float tensors, a shuffled loader; the first batch after manual_seed(0).
X, y = make_moons(n_samples=10000, noise=0.3, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=.2, random_state=13)
sc = StandardScaler()
sc.fit(X_train)
x_train_tensor = torch.as_tensor(sc.transform(X_train)).float()
y_train_tensor = torch.as_tensor(y_train.reshape(-1, 1)).float()
train_loader = DataLoader(dataset=TensorDataset(x_train_tensor, y_train_tensor),
                          batch_size=16, shuffle=True)
torch.manual_seed(0)
X_batch, Y_batch = next(iter(train_loader))
emit("moons_first_X", X_batch)
emit("moons_first_Y", Y_batch)
emit("moons_batches", len(train_loader))

# ---- random_split --------------------------------------------------------------------
for name, n, lengths, seed in (("counts", 10, [3, 7], 0),
                               ("fractions", 30, [0.3, 0.3, 0.4], 42),
                               ("remainder", 11, [0.5, 0.5], 5),
                               ("three", 7, [2, 0, 5], 9)):
    torch.manual_seed(seed)
    parts = random_split(TensorDataset(torch.arange(n)), lengths)
    for i, part in enumerate(parts):
        emit("split_%s_%d" % (name, i), list(part.indices) or [-1])
    after("split_" + name)

# ---- scalers -----------------------------------------------------------------------------
rs = np.random.RandomState(0)
X = rs.normal(size=(20, 4)) * [1.0, 10.0, 0.001, 1.0] + [0.0, 5.0, -3.0, 0.0]
X[:, 3] = 2.5  # a constant feature
X_val = rs.normal(size=(7, 4)) * 3
emit("X", X)
emit("X_val", X_val)


def emit_scaler(name, scaler, attrs):
    emit(name + "_fit_transform", scaler.fit_transform(X))
    emit(name + "_transform", scaler.transform(X_val))
    emit(name + "_inverse", scaler.inverse_transform(X_val))
    for attr in attrs:
        emit(name + "_" + attr, getattr(scaler, attr))


emit_scaler("std", StandardScaler(), ["mean_", "var_", "scale_"])
emit_scaler("std_nomean", StandardScaler(with_mean=False), ["scale_"])
emit_scaler("std_nostd", StandardScaler(with_std=False), ["mean_"])
emit_scaler("std_none", StandardScaler(with_mean=False, with_std=False), [])
emit_scaler("minmax", MinMaxScaler(), ["data_min_", "data_max_", "scale_", "min_"])
emit_scaler("minmax_pm1", MinMaxScaler(feature_range=(-1, 1)), ["scale_", "min_"])

# float32 input: scikit-learn keeps the dtype
emit("std_f32", StandardScaler().fit(X.astype(np.float32)).transform(
    X_val.astype(np.float32)))

# A feature whose values differ by rounding noise only counts as constant.
near = np.full((5, 1), 0.1) + np.array([[0.0], [1e-17], [0.0], [2e-17], [0.0]])
emit("near_constant", near)
emit("near_constant_scale", StandardScaler().fit(near).scale_)

# Lecture 6, Quiz 3: X = [-2, 0.7, 3] as a single feature.
quiz = np.array([[-2.0], [0.7], [3.0]])
emit("quiz3_standard", StandardScaler().fit_transform(quiz))
emit("quiz3_minmax", MinMaxScaler().fit_transform(quiz))

golden.write()
