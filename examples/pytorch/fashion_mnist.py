"""The PyTorch twin of examples/fashion_mnist.c: a CNN on Fashion-MNIST.

Two conv-BN-ReLU-pool blocks, dropout and a linear head, trained with AdamW
and OneCycleLR on 55000 images (5000 held out for validation, the best epoch
checkpointed), tested on the 10000 test images.

torchvision is not a Debian package, so this script reads the IDX files
itself and writes torchvision 0.14's FashionMNIST, RandomHorizontalFlip,
ToTensor and Normalize out as they run on tensors (the same random draws in
the same order); the same seed gives tensorgrad the same split, weights,
batches and flips.

    /usr/bin/python3 examples/pytorch/fashion_mnist.py [--epochs N] [--seed S]
        [--out DIR] [--threads T] [--subset N] [--data DIR]
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset, Subset

BATCH_SIZE, EVAL_BATCH = 128, 100
MEAN, STD = 0.2860, 0.3530
MAX_LR, WEIGHT_DECAY, DROPOUT = 3e-3, 1e-2, 0.3
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + ".gz" if opener is gzip.open else path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * d:8 + 4 * d], "big") for d in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class FashionMNIST(Dataset):
    def __init__(self, root, train, transform):
        split = "train" if train else "t10k"
        self.images = read_idx(os.path.join(root, f"{split}-images-idx3-ubyte"))
        self.labels = read_idx(os.path.join(root, f"{split}-labels-idx1-ubyte"))
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = torch.from_numpy(self.images[i].astype(np.float32))[None]  # raw 0..255
        return self.transform(img), int(self.labels[i])


def random_horizontal_flip(img):  # RandomHorizontalFlip(0.5)
    return img.flip(-1) if torch.rand(1) < 0.5 else img


def to_tensor_normalize(img):  # ToTensor(), Normalize((MEAN,), (STD,))
    img = img.div(255)
    return img.sub(torch.tensor([MEAN])[:, None, None]).div(torch.tensor([STD])[:, None, None])


def first(ds, n):
    return Subset(ds, range(n)) if 0 < n < len(ds) else ds


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(DROPOUT), nn.Linear(64 * 7 * 7, 10))


def evaluate(model, loader):
    model.eval()
    loss_sum, right, preds, labels = 0.0, 0, [], []
    with torch.no_grad():
        for X, Y in loader:
            logits = model(X)
            loss_sum += nn.functional.cross_entropy(logits, Y).item() * len(Y)
            pred = logits.argmax(dim=1)
            right += int((pred == Y).sum())
            preds.append(pred)
            labels.append(Y)
    n = sum(len(y) for y in labels)
    return loss_sum / n, right / n, torch.cat(preds).numpy(), torch.cat(labels).numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/fashion_mnist_pytorch")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--subset", type=int, default=0)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    augmented = first(FashionMNIST(args.data, True, lambda x: to_tensor_normalize(
        random_horizontal_flip(x))), args.subset)
    plain = first(FashionMNIST(args.data, True, to_tensor_normalize), args.subset)
    n = len(plain)
    n_val = n // 12
    perm = torch.randperm(n).tolist()
    train_set = Subset(augmented, perm[:n - n_val])
    val_set = Subset(plain, perm[n - n_val:])
    test_set = first(FashionMNIST(args.data, False, to_tensor_normalize), args.subset)

    model = cnn()
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=EVAL_BATCH)
    test_loader = DataLoader(test_set, batch_size=EVAL_BATCH)
    opt = optim.AdamW(model.parameters(), weight_decay=WEIGHT_DECAY)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=MAX_LR,
                                          total_steps=len(train_loader) * max(args.epochs, 1))
    print(f"FashionMNIST: {len(train_set)} training, {len(val_set)} validation, "
          f"{len(test_set)} test images")
    loss_fn = nn.CrossEntropyLoss()
    best_acc, best_epoch, train_loss, val_loss, val_acc = -1, -1, float("nan"), 0, 0
    best_path = os.path.join(args.out, "best.pt")
    for epoch in range(args.epochs):
        model.train()
        losses = []
        for X, Y in train_loader:
            loss = loss_fn(model(X), Y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        train_loss = float(np.mean(losses))
        val_loss, val_acc, _, _ = evaluate(model, val_loader)
        mark = ""
        if val_acc > best_acc:
            best_acc, best_epoch, mark = val_acc, epoch, "  (best)"
            torch.save(model.state_dict(), best_path)
        print(f"epoch {epoch:2d}  train_loss={train_loss:.4f}  val_loss={val_loss:.4f}  "
              f"val_acc={val_acc:.4f}{mark}")
    if best_epoch >= 0:
        model.load_state_dict(torch.load(best_path))
    test_loss, test_acc, y_pred, y_true = evaluate(model, test_loader)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
        fig, ax = plt.subplots(figsize=(8, 8))
        ConfusionMatrixDisplay(confusion_matrix(y_true, y_pred, labels=range(10)),
                               display_labels=CLASSES).plot(ax=ax, cmap="Blues",
                                                            colorbar=False,
                                                            xticks_rotation=45)
        ax.set_title(f"Fashion-MNIST test set: accuracy {test_acc:.4f}")
        fig.savefig(os.path.join(args.out, "fashion_confusion.png"))
    except ImportError:
        pass
    print(f"fashion_mnist: train_loss={train_loss:.6f} val_loss={val_loss:.6f} "
          f"val_acc={val_acc:.6f} best_val_acc={best_acc:.6f} best_epoch={best_epoch} "
          f"test_loss={test_loss:.6f} test_acc={test_acc:.6f} epochs={args.epochs} "
          f"seconds={time.time() - started:.1f}")


if __name__ == "__main__":
    main()
