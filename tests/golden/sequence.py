"""Golden values for tests/test_sequence.c, made with PyTorch 1.13.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/sequence.py
Writes tests/golden/sequence.txt, one entry a line: <name> <ndim> <d0> .. <v0> ...

Sections:
  multinomial.*  seeded draws with and without replacement, bit for bit
  init.*         seeded initialisation of each layer (float32), bit for bit
  <case>.*       a layer in float64: parameters, inputs, output gradients
                 (g*), then outputs, final states and every gradient
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_text import GoldenText

assert torch.__version__.startswith("1.13"), torch.__version__
golden = GoldenText(__file__, "sequence.txt")


def put(name, t):
    golden.emit(name, torch.as_tensor(t).detach().double().numpy())


def params(case, m):
    for name, p in m.named_parameters():
        put(f"{case}.param.{name}", p)


def grads(case, m):
    for name, p in m.named_parameters():
        put(f"{case}.grad.{name}", p.grad)


def leaf(case, name, shape, gen, low=-1.0, high=1.0):
    t = (torch.rand(shape, dtype=torch.float64, generator=gen) * (high - low) + low)
    put(f"{case}.{name}", t)
    return t.requires_grad_()


def backward_with(case, outputs, gen):
    """sum(out_i * g_i) with random g_i stored as <case>.g<name>."""
    total = 0
    for name, out in outputs:
        g = torch.rand(out.shape, dtype=torch.float64, generator=gen) * 2 - 1
        put(f"{case}.g{name}", g)
        put(f"{case}.{name}", out)
        total = total + (out * g).sum()
    total.backward()


# ---- multinomial ---------------------------------------------------------------

probs = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.0, 1.5], [2.0, 0.5, 0.0, 0.25, 0.25, 1.0],
                      [0.3, 0.3, 0.3, 0.3, 0.3, 0.3]])
put("multinomial.probs", probs)
for dtype, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
    p = probs.to(dtype)
    for n, repl in ((1, False), (1, True), (4, False), (6, False), (50, True)):
        torch.manual_seed(5)
        put(f"multinomial.{tag}.n{n}.{'repl' if repl else 'norepl'}", torch.multinomial(p, n, repl))
    torch.manual_seed(9)
    put(f"multinomial.{tag}.1d", torch.multinomial(p[1], 3, False))
torch.manual_seed(11)
big = torch.rand(20, 27)
put("multinomial.big.probs", big)
torch.manual_seed(12)
put("multinomial.big.draws", torch.multinomial(F.softmax(big, -1), 1))
put("multinomial.big.softmax", F.softmax(big, -1))

# ---- seeded initialisation (float32, bit for bit) ---------------------------------

torch.manual_seed(0)
emb = nn.Embedding(7, 5, padding_idx=2)
put("init.embedding.weight", emb.weight)
for cls, tag, kw in ((nn.LSTM, "lstm", dict(num_layers=2, bidirectional=True)),
                     (nn.GRU, "gru", dict(num_layers=2)),
                     (nn.RNN, "rnn", dict(nonlinearity="relu", bias=False))):
    torch.manual_seed(1)
    m = cls(3, 4, **kw)
    for name, p in m.named_parameters():
        put(f"init.{tag}.{name}", p)
torch.manual_seed(2)
mha = nn.MultiheadAttention(8, 2)
for name, p in mha.named_parameters():
    put(f"init.mha.{name}", p)
torch.manual_seed(3)
enc = nn.TransformerEncoderLayer(8, 2, 16)
for name, p in enc.named_parameters():
    put(f"init.encoder.{name}", p)

# ---- embedding, layer norm, gelu (float64) ----------------------------------------

gen = torch.Generator().manual_seed(100)
torch.manual_seed(0)
emb = nn.Embedding(7, 5, padding_idx=2).double()
with torch.no_grad():
    emb.weight[2] = torch.rand(5, dtype=torch.float64, generator=gen)  # padding row not zero
params("embedding", emb)
idx = torch.tensor([[0, 2, 6], [2, 2, 1], [3, 6, 0], [5, 4, 2]])
put("embedding.idx", idx)
backward_with("embedding", [("y", emb(idx))], gen)
grads("embedding", emb)

for case, shape, affine in (("layer_norm", (4, 3, 6), (6,)), ("layer_norm2", (5, 2, 3), (2, 3))):
    ln = nn.LayerNorm(affine, eps=1e-5).double()
    with torch.no_grad():
        ln.weight.uniform_(-2, 2, generator=gen)
        ln.bias.uniform_(-1, 1, generator=gen)
    params(case, ln)
    x = leaf(case, "x", shape, gen, -3, 3)
    backward_with(case, [("y", ln(x))], gen)
    put(f"{case}.gx_out", x.grad)
    grads(case, ln)

for approx in ("none", "tanh"):
    case = f"gelu_{approx}"
    x = leaf(case, "x", (5, 7), gen, -4, 4)
    backward_with(case, [("y", F.gelu(x, approximate=approx))], gen)
    put(f"{case}.gx_out", x.grad)


# ---- recurrent layers (float64) -----------------------------------------------------

def recurrent(case, cls, kw, x_shape, with_h0, strided=False, unbatched=False):
    torch.manual_seed(21)
    m = cls(3, 4, **kw).double()
    params(case, m)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    x = leaf(case, "x", x_shape, gen)
    xin = x
    if strided:  # stored (N, L, I) for a (L, N, I) layer: a transposed view
        xin = x.transpose(0, 1)
    batch = () if unbatched else (x_shape[0] if kw.get("batch_first") or strided else x_shape[1],)
    state = (layers,) + batch + (4,)
    h0 = leaf(case, "h0", state, gen) if with_h0 else None
    is_lstm = cls is nn.LSTM
    c0 = leaf(case, "c0", state, gen) if with_h0 and is_lstm else None
    if is_lstm:
        out, (hn, cn) = m(xin, (h0, c0) if with_h0 else None)
        outs = [("y", out), ("hn", hn), ("cn", cn)]
    else:
        out, hn = m(xin, h0)
        outs = [("y", out), ("hn", hn)]
    backward_with(case, outs, gen)
    put(f"{case}.gx_out", x.grad)
    if with_h0:
        put(f"{case}.gh0_out", h0.grad)
        if is_lstm:
            put(f"{case}.gc0_out", c0.grad)
    grads(case, m)


recurrent("lstm", nn.LSTM, dict(num_layers=2, bidirectional=True), (5, 2, 3), True)
recurrent("lstm_bf", nn.LSTM, dict(batch_first=True), (2, 5, 3), False)
recurrent("lstm_strided", nn.LSTM, dict(num_layers=2), (2, 5, 3), True, strided=True)
recurrent("lstm_unbatched", nn.LSTM, dict(), (5, 3), True, unbatched=True)
recurrent("gru", nn.GRU, dict(num_layers=2, bidirectional=True, batch_first=True), (3, 4, 3), True)
recurrent("gru_strided", nn.GRU, dict(), (2, 6, 3), True, strided=True)
recurrent("rnn_tanh", nn.RNN, dict(num_layers=2), (4, 3, 3), True)
recurrent("rnn_relu", nn.RNN, dict(nonlinearity="relu", bias=False, bidirectional=True), (4, 2, 3), False)

# dropout between layers draws like F.dropout: compare the output only
torch.manual_seed(21)
m = nn.LSTM(3, 4, num_layers=3, dropout=0.5).double()
params("lstm_dropout", m)
x = leaf("lstm_dropout", "x", (4, 2, 3), gen)
torch.manual_seed(77)
put("lstm_dropout.y", m(x)[0])

# ---- attention (float64) ---------------------------------------------------------------

def sdpa_reference(q, k, v, mask=None, is_causal=False):
    out, _ = torch._C._nn._scaled_dot_product_attention(q, k, v, mask, 0.0, False, is_causal)
    return out


for case, mask_kind, causal in (("sdpa", None, False), ("sdpa_bool", "bool", False),
                                ("sdpa_float", "float", False), ("sdpa_causal", None, True)):
    q = leaf(case, "q", (2, 3, 6 if causal else 4, 5), gen)
    k = leaf(case, "k", (2, 3, 6, 5), gen)
    v = leaf(case, "v", (2, 3, 6, 7), gen)
    mask = None
    if mask_kind == "bool":
        mask = torch.rand(4, 6, generator=gen) > 0.3
        mask[:, 0] = True
        put(f"{case}.mask", mask.long())
    elif mask_kind == "float":
        mask = torch.rand(3, 4, 6, dtype=torch.float64, generator=gen) * 2 - 1
        put(f"{case}.mask", mask)
    backward_with(case, [("y", sdpa_reference(q, k, v, mask, causal))], gen)
    for n, t in (("q", q), ("k", k), ("v", v)):
        put(f"{case}.g{n}_out", t.grad)


def attention(case, batch_first, kpm, mask_kind, self_attn):
    torch.manual_seed(31)
    m = nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    with torch.no_grad():  # non-zero biases, so their gradients are tested
        m.in_proj_bias.uniform_(-0.5, 0.5, generator=gen)
        m.out_proj.bias.uniform_(-0.5, 0.5, generator=gen)
    params(case, m)
    N, L, S = 3, 4, (4 if self_attn else 5)
    shape = lambda T: (N, T, 8) if batch_first else (T, N, 8)
    q = leaf(case, "q", shape(L), gen)
    if self_attn:
        k = v = q
    else:
        k = leaf(case, "k", shape(S), gen)
        v = leaf(case, "v", shape(S), gen)
    key_padding_mask = None
    if kpm:
        key_padding_mask = torch.zeros(N, S, dtype=torch.bool)
        key_padding_mask[0, -1] = True
        key_padding_mask[2, 1:3] = True
        put(f"{case}.kpm", key_padding_mask.long())
    attn_mask = None
    if mask_kind == "bool":
        attn_mask = torch.triu(torch.ones(L, S, dtype=torch.bool), 1)
        put(f"{case}.mask", attn_mask.long())
    elif mask_kind == "float":
        attn_mask = torch.rand(L, S, dtype=torch.float64, generator=gen) - 0.5
        put(f"{case}.mask", attn_mask)
    out, w = m(q, k, v, key_padding_mask=key_padding_mask, attn_mask=attn_mask)
    backward_with(case, [("y", out), ("w", w)], gen)
    put(f"{case}.gq_out", q.grad)
    if not self_attn:
        put(f"{case}.gk_out", k.grad)
        put(f"{case}.gv_out", v.grad)
    grads(case, m)


attention("mha", False, False, None, True)
attention("mha_bf_kpm", True, True, "bool", True)
attention("mha_cross_float", False, True, "float", False)


def encoder(case, norm_first, activation):
    torch.manual_seed(41)
    m = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation,
                                   batch_first=True, norm_first=norm_first).double()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("bias") or name.startswith("norm"):
                p.uniform_(0.5, 1.5, generator=gen) if name.endswith("weight") else \
                    p.uniform_(-0.5, 0.5, generator=gen)
    params(case, m)
    x = leaf(case, "x", (2, 5, 8), gen)
    mask = torch.triu(torch.full((5, 5), float("-inf"), dtype=torch.float64), 1)
    backward_with(case, [("y", m(x, src_mask=mask))], gen)
    put(f"{case}.gx_out", x.grad)
    grads(case, m)


encoder("encoder_post_relu", False, "relu")
encoder("encoder_pre_gelu", True, "gelu")

golden.write()
