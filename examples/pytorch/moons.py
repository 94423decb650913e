"""Binary classification of the two moons (lecture 6's main notebook), the
PyTorch twin of examples/moons.c. Same data, same seed, same order of random
draws, so both print (nearly) the same numbers:

    /usr/bin/python3 examples/pytorch/moons.py [--epochs N] [--seed S] [--out DIR] [--resume]
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import make_moons
from sklearn.metrics import (accuracy_score, confusion_matrix, precision_recall_curve,
                             roc_auc_score, roc_curve)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Dataset

try:
    from torchsummary import summary
except ImportError:  # torch-summary is not installed here
    summary = None
try:
    from torch.utils.tensorboard import SummaryWriter
except ImportError:  # needs the tensorboard package
    SummaryWriter = None


class MoonsDataSet(Dataset):
    def __init__(self, x_tensor, y_tensor):
        super().__init__()
        self.X = x_tensor
        self.Y = y_tensor

    def __getitem__(self, index):
        return (self.X[index], self.Y[index])

    def __len__(self):
        return len(self.X)


class SimpleClassificationNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linearLayer1 = nn.Linear(2, 1000)
        self.linearLayer2 = nn.Linear(1000, 1)
        self.sigmoidLayer = nn.Sigmoid()

    def forward(self, x):
        u = self.linearLayer1(x)
        z = self.linearLayer2(u)
        return self.sigmoidLayer(z)


def validate(model, val_loader, loss_fn):
    model.eval()
    all_Y_val_epoch = np.array([]).reshape(0, 1)
    all_Yhat_val_epoch = np.array([]).reshape(0, 1)
    all_val_losses_epoch = np.array([])
    with torch.no_grad():
        for X_val, Y_val in val_loader:
            y_hat = model(X_val)
            loss = loss_fn(y_hat, Y_val)
            all_Y_val_epoch = np.vstack((all_Y_val_epoch, Y_val.numpy()))
            all_Yhat_val_epoch = np.vstack((all_Yhat_val_epoch, y_hat.numpy()))
            all_val_losses_epoch = np.append(all_val_losses_epoch, loss.item())
    return all_Y_val_epoch, all_Yhat_val_epoch, all_val_losses_epoch.mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/moons_pytorch")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)  # where examples/moons.c calls tg_manual_seed

    # Getting a toy dataset from scikit learn library
    X, y = make_moons(n_samples=10000, noise=0.3, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=.2, random_state=13)
    sc = StandardScaler()
    sc.fit(X_train)  # note only from training data
    X_train = sc.transform(X_train)
    X_val = sc.transform(X_val)

    # Builds tensors from numpy arrays
    x_train_tensor = torch.as_tensor(X_train).float()
    y_train_tensor = torch.as_tensor(y_train.reshape(-1, 1)).float()
    x_val_tensor = torch.as_tensor(X_val).float()
    y_val_tensor = torch.as_tensor(y_val.reshape(-1, 1)).float()
    # Builds dataset containing ALL data points
    train_dataset = MoonsDataSet(x_train_tensor, y_train_tensor)
    val_dataset = MoonsDataSet(x_val_tensor, y_val_tensor)
    # Builds a loader of each set
    train_loader = DataLoader(dataset=train_dataset, batch_size=16, shuffle=True)
    val_loader = DataLoader(dataset=val_dataset, batch_size=16)
    test_batch = next(iter(train_loader))
    total_batches_one_epoch = len(iter(train_loader))
    print(f"test_batch: X_train {tuple(test_batch[0].shape)}, Y_train {tuple(test_batch[1].shape)}; "
          f"{total_batches_one_epoch} batches per epoch")

    model = SimpleClassificationNet()
    stateDict = model.state_dict()
    print("stateDict: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in stateDict.items()))
    print(model)
    if summary is not None:
        summary(model, (1, 2))
    else:
        torch.rand(1, 2)  # what summary(model, (1, 2)) draws, keeping the generator in step

    lr = 0.1
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.BCELoss()
    tboardWriter = SummaryWriter(os.path.join(args.out, "tb")) if SummaryWriter else None
    best_path = os.path.join(args.out, "best.pth")

    # batch wise training loop
    epochs = args.epochs
    train_losses, val_losses, train_accs, val_accs = [], [], [], []
    best_accuracy = 0
    start_epoch = 0
    if args.resume:
        # loading best model
        checkpoint = torch.load(best_path)
        model.load_state_dict(checkpoint['model_state_dict'])
        optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
        start_epoch = checkpoint['epoch']
        train_losses, val_losses = checkpoint['loss'], checkpoint['val_loss']
        train_accs, val_accs = checkpoint['accuracy'], checkpoint['val_accuracy']
        best_accuracy = max(val_accs)
        print(f"resumed from {best_path} at epoch {start_epoch} (best val_acc {best_accuracy:.4f})")
    for epoch in range(start_epoch, epochs):  # epochs loop
        all_Y_train_epoch = np.array([]).reshape(0, 1)
        all_Yhat_train_epoch = np.array([]).reshape(0, 1)
        all_train_losses_epoch = np.array([])
        for X_train, Y_train in train_loader:  # batch wise training on train set
            model.train()
            y_hat = model(X_train)
            loss = loss_fn(y_hat, Y_train)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            # store metrics for all batches of current epoch
            all_Y_train_epoch = np.vstack((all_Y_train_epoch, Y_train.detach().cpu().numpy()))
            all_Yhat_train_epoch = np.vstack((all_Yhat_train_epoch, y_hat.detach().cpu().numpy()))
            all_train_losses_epoch = np.append(all_train_losses_epoch, loss.item())
        # computing metrics for current epoch
        train_losses.append(all_train_losses_epoch.mean())  # mean loss for all batches
        preidctions = (all_Yhat_train_epoch >= 0.5)  # from probabilities to predictions
        acTrain = accuracy_score(all_Y_train_epoch, preidctions)
        all_Y_val_epoch, all_Yhat_val_epoch, val_loss = validate(model, val_loader, loss_fn)
        val_losses.append(val_loss)
        acVal = accuracy_score(all_Y_val_epoch, all_Yhat_val_epoch >= 0.5)
        train_accs.append(acTrain)
        val_accs.append(acVal)
        if tboardWriter:
            tboardWriter.add_scalar("Loss/train", train_losses[epoch], epoch)
            tboardWriter.add_scalar("Loss/val", val_losses[epoch], epoch)
            tboardWriter.add_scalar("accuracy/train", acTrain, epoch)
            tboardWriter.add_scalar("accuracy/val", acVal, epoch)
        saved = acVal > best_accuracy
        if saved:
            best_accuracy = acVal
            torch.save({'epoch': epoch + 1,
                        'model_state_dict': model.state_dict(),
                        'optimizer_state_dict': optimizer.state_dict(),
                        'loss': train_losses, 'val_loss': val_losses,
                        'accuracy': train_accs, 'val_accuracy': val_accs}, best_path)
        print(f"epoch {epoch + 1:3d}/{epochs}  train_loss={train_losses[epoch]:.6f} "
              f"val_loss={val_losses[epoch]:.6f} train_acc={acTrain:.4f} val_acc={acVal:.4f}"
              f"{'  (best, saved)' if saved else ''}")
    # loading best model: the metrics below are the best epoch's
    best_epoch, best_train_loss = 0, float("nan")
    if os.path.exists(best_path) and (args.resume or best_accuracy > 0):
        checkpoint = torch.load(best_path)
        model.load_state_dict(checkpoint['model_state_dict'])
        optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
        best_epoch = checkpoint['epoch']
        best_train_loss = checkpoint['loss'][-1]
    all_Y_val_epoch, all_Yhat_val_epoch, val_loss = validate(model, val_loader, loss_fn)
    acVal = accuracy_score(all_Y_val_epoch, all_Yhat_val_epoch >= 0.5)
    print(f"best model: epoch {best_epoch} of {len(train_losses)}")

    cm50 = confusion_matrix(all_Y_val_epoch, all_Yhat_val_epoch >= 0.5)
    TN, FP, FN, TP = cm50.ravel()
    TPR = TP / (TP + FN)
    FPR = FP / (FP + TN)
    precision = TP / (TP + FP)
    recall = TP / (TP + FN)
    Accuracy = (TP + TN) / (TP + TN + FP + FN)
    print(f"confusion matrix at 0.5: TN={TN} FP={FP} FN={FN} TP={TP}")
    print(f"TPR={TPR:.4f} FPR={FPR:.4f} precision={precision:.4f} recall={recall:.4f} "
          f"accuracy={Accuracy:.4f}")

    fpr, tpr, rocthresholds = roc_curve(all_Y_val_epoch, all_Yhat_val_epoch)
    precision, recall, prThreshold = precision_recall_curve(all_Y_val_epoch, all_Yhat_val_epoch)
    auc = roc_auc_score(all_Y_val_epoch, all_Yhat_val_epoch)
    if tboardWriter:
        tboardWriter.add_pr_curve("pr_curve/val", all_Y_val_epoch.ravel(),
                                  all_Yhat_val_epoch.ravel(), best_epoch)
        tboardWriter.close()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.figure(figsize=(10, 4.2))
        plt.subplot(1, 2, 1)
        plt.plot(fpr, tpr, color='purple')
        plt.title('ROC Curve' + ' auc=' + str("{:.2f}".format(auc)))
        plt.ylabel('TPR')  # the slide swaps these two labels
        plt.xlabel('FPR')
        plt.subplot(1, 2, 2)
        plt.plot(recall, precision, color='red')
        plt.title('Precision-Recall Curve')
        plt.ylabel('Precision')
        plt.xlabel('Recall')
        plt.savefig(os.path.join(args.out, "roc_pr.png"))

        # decision boundary of the best model over the validation data
        (x0, y0), (x1, y1) = X_val.min(axis=0) - 0.3, X_val.max(axis=0) + 0.3
        gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        with torch.no_grad():
            grid = torch.as_tensor(np.c_[gx.ravel(), gy.ravel()]).float()
            probs = model(grid).numpy().reshape(gx.shape)
        plt.figure(figsize=(6, 6.4))
        plt.contourf(gx, gy, probs, levels=20, cmap="RdBu_r", alpha=0.5)
        plt.contour(gx, gy, probs, levels=[0.5], colors="k")
        plt.scatter(X_val[:, 0], X_val[:, 1], c=y_val, cmap="tab10", vmin=0, vmax=9, s=8)
        plt.title("Decision boundary on the validation data")
        plt.xlabel("x1 (standardized)")
        plt.ylabel("x2 (standardized)")
        plt.gca().set_aspect("equal")
        plt.savefig(os.path.join(args.out, "decision_boundary.png"))

        # loss and accuracy per epoch
        plt.figure(figsize=(10, 4.2))
        epoch_axis = np.arange(1, len(train_losses) + 1)
        for k, (title, train, val) in enumerate((("BCE loss", train_losses, val_losses),
                                                 ("accuracy", train_accs, val_accs))):
            plt.subplot(1, 2, k + 1)
            plt.plot(epoch_axis, train, label="train")
            plt.plot(epoch_axis, val, label="val")
            if k == 1 and best_epoch:
                plt.scatter([best_epoch], [val[best_epoch - 1]], color="red", zorder=3,
                            label="best (saved)")
            plt.title(title)
            plt.xlabel("epoch")
            plt.grid(True)
            plt.legend()
        plt.savefig(os.path.join(args.out, "curves.png"))
    except ImportError:
        pass
    print(f"moons: val_acc={acVal:.4f} val_auc={auc:.4f} "
          f"train_loss={best_train_loss:.6f} val_loss={val_loss:.6f} best_epoch={best_epoch} "
          f"epochs={len(train_losses)} seconds={time.time() - started:.1f}")


if __name__ == "__main__":
    main()
