"""Workloads 8 and 9, twin of bench/sequence.c: one LSTM language-model step
and one transformer-block step on makemore's shapes."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import common

BATCH, STEPS, VOCAB = 32, 23, 27
args = common.parse()

torch.manual_seed(0)
emb = nn.Embedding(VOCAB, 16)
lstm = nn.LSTM(16, 64, batch_first=True)
head = nn.Linear(64, VOCAB)
params = list(emb.parameters()) + list(lstm.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params)
x = torch.randint(0, VOCAB, (BATCH, STEPS))
target = torch.randint(0, VOCAB, (BATCH, STEPS))


def lstm_step():
    logits = head(lstm(emb(x))[0])
    F.cross_entropy(logits.view(-1, VOCAB), target.view(-1)).backward()
    opt.step()
    opt.zero_grad(set_to_none=True)


common.report("lstm_step", args.threads, common.time_median(lstm_step, args.reps))

torch.manual_seed(0)
layer = nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0, activation="gelu",
                                   batch_first=True, norm_first=True)
opt2 = torch.optim.Adam(layer.parameters())
xs = torch.randn(BATCH, STEPS, 64)
ys = torch.randn(BATCH, STEPS, 64)
mask = torch.zeros(STEPS, STEPS).masked_fill(
    torch.ones(STEPS, STEPS, dtype=torch.bool).triu(1), float("-inf"))


def transformer_step():
    F.mse_loss(layer(xs, src_mask=mask), ys).backward()
    opt2.step()
    opt2.zero_grad(set_to_none=True)


common.report("transformer_step", args.threads, common.time_median(transformer_step, args.reps))
