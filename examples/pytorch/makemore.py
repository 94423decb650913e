"""Character-level language models of English words (makemore), the PyTorch
twin of examples/makemore.c: the same word list, split, initial weights,
batches and samples, so both print the same losses (within float32 rounding):

    /usr/bin/python3 examples/pytorch/makemore.py [--model all|bigram|mlp|lstm|transformer]
        [--steps N] [--seed S] [--out DIR] [--threads T] [--words FILE]
"""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from torch.utils.tensorboard import SummaryWriter
except ImportError:  # needs the tensorboard package
    SummaryWriter = None

BATCH_SIZE, EVAL_BATCH, N_SAMPLES, LEARNING_RATE = 32, 32, 10, 5e-3
MODELS = ["bigram", "mlp", "lstm", "transformer"]


class Bigram(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(vocab, vocab))

    def forward(self, idx):
        return self.logits[idx]


class MLP(nn.Module):
    """Bengio et al. 2003: the embeddings of the last 3 characters."""
    CONTEXT, EMBD, HIDDEN = 3, 16, 128

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.wte = nn.Embedding(vocab + 1, self.EMBD)  # + the blank token
        self.hidden = nn.Linear(self.CONTEXT * self.EMBD, self.HIDDEN)
        self.out = nn.Linear(self.HIDDEN, vocab)

    def forward(self, idx):
        embs = []
        for _ in range(self.CONTEXT):
            embs.append(self.wte(idx))
            idx = torch.roll(idx, 1, 1)
            idx[:, 0] = self.vocab
        return self.out(torch.tanh(self.hidden(torch.cat(embs, -1))))


class LSTMLM(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, 16)
        self.lstm = nn.LSTM(16, 64, batch_first=True)
        self.head = nn.Linear(64, vocab)

    def forward(self, idx):
        return self.head(self.lstm(self.wte(idx))[0])


class Transformer(nn.Module):
    EMBD, HEADS, LAYERS = 32, 4, 2

    def __init__(self, vocab, block_size):
        super().__init__()
        E = self.EMBD
        self.wte = nn.Embedding(vocab, E)
        self.wpe = nn.Embedding(block_size, E)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(E, self.HEADS, 4 * E, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True)
            for _ in range(self.LAYERS)])
        self.ln_f = nn.LayerNorm(E)
        self.head = nn.Linear(E, vocab, bias=False)

    def forward(self, idx):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        mask = torch.zeros(T, T).masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1),
                                             float("-inf"))
        for layer in self.layers:
            x = layer(x, src_mask=mask)
        return self.head(self.ln_f(x))


def model_new(name, vocab, block_size):
    return {"bigram": lambda: Bigram(vocab), "mlp": lambda: MLP(vocab),
            "lstm": lambda: LSTMLM(vocab),
            "transformer": lambda: Transformer(vocab, block_size)}[name]()


def load_words(path):
    """The lines that are one lowercase a-z word (tg_words_load's filter)."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    words = []
    for line in lines:
        line = line.rstrip(b"\r")
        if line and all(97 <= c <= 122 for c in line):
            words.append(line.decode())
    return words


def encode(words, stoi, block_size):
    """makemore's CharDataset: x = 0 then the word; y = the word, 0, then -1."""
    X = torch.zeros(len(words), block_size, dtype=torch.long)
    Y = torch.full((len(words), block_size), -1, dtype=torch.long)
    for i, w in enumerate(words):
        ix = torch.tensor([stoi[c] for c in w], dtype=torch.long)
        X[i, 1:1 + len(w)] = ix
        Y[i, :len(w)] = ix
        Y[i, len(w)] = 0
    return X, Y


def loss_of(model, X, Y):
    logits = model(X)
    return F.cross_entropy(logits.view(-1, logits.size(-1)), Y.view(-1), ignore_index=-1)


@torch.no_grad()
def split_loss(model, X, Y):
    total, count = 0.0, 0.0
    for start in range(0, len(X), EVAL_BATCH):
        x, y = X[start:start + EVAL_BATCH], Y[start:start + EVAL_BATCH]
        targets = float((y != -1).sum())
        total += loss_of(model, x, y).item() * targets
        count += targets
    return total / count


def train(name, model, Xtr, Ytr, Xva, Yva, steps, writer):
    opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.99),
                            eps=1e-8, weight_decay=0.01)
    eval_every = steps // 10 if steps >= 10 else 1
    final_val = split_loss(model, Xva, Yva)
    for step in range(1, steps + 1):
        ix = torch.randint(0, len(Xtr), (BATCH_SIZE,))
        loss = loss_of(model, Xtr[ix], Ytr[ix])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if writer:
            writer.add_scalar(f"{name}/train_loss", loss.item(), step)
        if step <= 5:
            print(f"{name} step {step} train_loss={loss.item():.6f}")
        if step % eval_every == 0 or step == steps:
            final_val = split_loss(model, Xva, Yva)
            if writer:
                writer.add_scalar(f"{name}/val_loss", final_val, step)
            print(f"{name} step {step} val_loss={final_val:.6f}")
    return final_val


@torch.no_grad()
def samples(model, itos, block_size):
    out = []
    for _ in range(N_SAMPLES):
        ctx = [0]
        while len(ctx) < block_size:
            logits = model(torch.tensor([ctx]))[:, -1, :]
            nxt = torch.multinomial(F.softmax(logits, -1), num_samples=1).item()
            if nxt == 0:
                break
            ctx.append(nxt)
        out.append("".join(itos[i] for i in ctx[1:]))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="all", choices=["all"] + MODELS)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/makemore_pytorch")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--words", default="/usr/share/dict/american-english")
    args = p.parse_args()
    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    words = load_words(args.words)
    rp = torch.randperm(len(words)).tolist()
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    train_words = [words[i] for i in rp[:n1]]
    val_words = [words[i] for i in rp[n1:n2]]
    chars = sorted(set("".join(words)))
    stoi = {c: i + 1 for i, c in enumerate(chars)}
    itos = {i: c for c, i in stoi.items()}
    vocab, block_size = len(chars) + 1, max(len(w) for w in words) + 1
    print(f"makemore: {len(words)} words (train {len(train_words)}, val {len(val_words)}, "
          f"test {len(words) - n2}), vocabulary {vocab}, block_size {block_size}")
    Xtr, Ytr = encode(train_words, stoi, block_size)
    Xva, Yva = encode(val_words, stoi, block_size)

    writer = SummaryWriter(os.path.join(args.out, "tb")) if SummaryWriter else None
    finals = {}
    for name in MODELS:
        if args.model not in ("all", name):
            continue
        torch.manual_seed(args.seed)  # each model starts from the seed
        model = model_new(name, vocab, block_size)
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")
        finals[name] = train(name, model, Xtr, Ytr, Xva, Yva, args.steps, writer)
        print(f"{name} samples: " + " ".join(samples(model, itos, block_size)))
    if writer:
        writer.close()
    pairs = " ".join(f"{name}_val_loss={v:.6f}" for name, v in finals.items())
    print(f"makemore: {pairs} steps={args.steps} seconds={time.time() - started:.1f}")


if __name__ == "__main__":
    main()
