"""The lecture's training loop for the epoch benchmarks, the twin of
bench/train.c: scaled float32 data split as the notebooks do, an MLP, a
loader, and one epoch (train over every batch, then validate under no_grad)."""
import torch
import torch.nn as nn
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset


class Task:
    def __init__(self, X, y, batch_size, bce, validate):
        X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=.2, random_state=13)
        sc = StandardScaler()
        sc.fit(X_train)  # note only from training data
        xt = torch.as_tensor(sc.transform(X_train)).float()
        xv = torch.as_tensor(sc.transform(X_val)).float()
        if bce:
            yt = torch.as_tensor(y_train.reshape(-1, 1)).float()
            yv = torch.as_tensor(y_val.reshape(-1, 1)).float()
        else:
            yt, yv = torch.as_tensor(y_train), torch.as_tensor(y_val)
        self.train = DataLoader(TensorDataset(xt, yt), batch_size=batch_size, shuffle=True)
        self.val = DataLoader(TensorDataset(xv, yv), batch_size=batch_size) if validate else None
        self.loss_fn = nn.BCELoss() if bce else nn.CrossEntropyLoss()
        self.model = None
        self.optimizer = None

    def epoch(self):
        total = 0.0
        for X, Y in self.train:
            self.model.train()
            loss = self.loss_fn(self.model(X), Y)
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad()
            total += loss.item()
        if self.val is None:
            return
        self.model.eval()
        with torch.no_grad():
            for X, Y in self.val:
                total += self.loss_fn(self.model(X), Y).item()


def mlp(sizes, relu, sigmoid):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if relu and i + 2 < len(sizes):
            layers.append(nn.ReLU())
    if sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


class BatchStep:
    """Twin of train.c's batch_step: a model trained over and over on one
    fixed batch with CrossEntropyLoss; steps(n) is batch_steps."""

    def __init__(self, model, optimizer, x, y):
        self.model, self.optimizer, self.x, self.y = model, optimizer, x, y
        self.loss_fn = nn.CrossEntropyLoss()

    def steps(self, n):
        for _ in range(n):
            loss = self.loss_fn(self.model(self.x), self.y)
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad()
            loss.item()


def batch_step_mlp(sizes, batch):
    """Twin of batch_step_mlp: ReLU MLP, Adam, randn input, random classes."""
    torch.manual_seed(0)
    model = mlp(sizes, relu=True, sigmoid=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, sizes[0])
    y = torch.randint(0, sizes[-1], (batch,))
    return BatchStep(model, optimizer, x, y)
