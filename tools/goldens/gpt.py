"""Golden values for Koan's GPT (Sources/KoanNN/GPT.swift), computed with PyTorch.

A small GPT (vocab 50, context 16, dim 32, heads 4, layers 2) with the same module names
as Koan's (wte, wpe, h.N.ln_1, h.N.attn.{query,key,value,out}, h.N.ln_2,
h.N.mlp.{c_fc,c_proj}, ln_f; LM head tied to wte), for each position encoding.
Random weights (fixed seed, larger than GPT-2's init so that every part matters) are
exported with the inputs, logits, the cross-entropy loss and a few gradients:

    Tests/KoanNNTests/Fixtures/gpt_<position>.safetensors
      param.<path>   weights (Koan loads them by path)
      tokens, labels int64 [2, 16]
      logits         [2, 16, 50]
      loss           [] cross-entropy (mean over the 32 positions)
      grad.<path>    d loss / d parameter for a few parameters

Run: python3 tools/goldens/gpt.py   (torch 2.x, safetensors)
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

VOCAB, CONTEXT, DIM, HEADS, LAYERS = 50, 16, 32, 4, 2
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanNNTests", "Fixtures")


def rope(x, base=10000.0):
    # x: [B, H, T, D]; rotate-half (GPT-NeoX) convention.
    t, d = x.shape[-2], x.shape[-1]
    inv = base ** (-torch.arange(0, d // 2, dtype=torch.float64) * 2 / d)
    ang = torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1).float()
    sin = torch.cat([ang.sin(), ang.sin()], -1).float()
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def alibi_slopes(h):
    def p2(n):
        return [2 ** (-8 * (i + 1) / n) for i in range(n)]
    n = 1
    while n * 2 <= h:
        n *= 2
    if n == h:
        return p2(n)
    return p2(n) + p2(2 * n)[0::2][: h - n]


class Attention(nn.Module):
    def __init__(self, position):
        super().__init__()
        self.query, self.key, self.value, self.out = (nn.Linear(DIM, DIM) for _ in range(4))
        self.position = position

    def forward(self, x):
        b, t, _ = x.shape
        hd = DIM // HEADS
        split = lambda y: y.view(b, t, HEADS, hd).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        if self.position == "rope":
            q, k = rope(q), rope(k)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
        if self.position == "alibi":
            slopes = torch.tensor(alibi_slopes(HEADS))[:, None, None]
            pos = torch.arange(t)
            scores = scores - (slopes * (pos[:, None] - pos[None, :]).abs()).float()
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
        y = scores.softmax(-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, t, DIM))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(DIM, 4 * DIM)
        self.c_proj = nn.Linear(4 * DIM, DIM)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, position):
        super().__init__()
        self.ln_1 = nn.LayerNorm(DIM)
        self.attn = Attention(position)
        self.ln_2 = nn.LayerNorm(DIM)
        self.mlp = MLP()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, position):
        super().__init__()
        self.position = position
        self.wte = nn.Embedding(VOCAB, DIM)
        if position == "learned":
            self.wpe = nn.Embedding(CONTEXT, DIM)
        self.h = nn.ModuleList(Block(position) for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(DIM)

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.wte(tokens)
        if self.position == "learned":
            x = x + self.wpe(torch.arange(t))
        elif self.position == "sinusoidal":
            p = torch.arange(t, dtype=torch.float64)[:, None]
            c = torch.arange(DIM)
            ang = p / (10000.0 ** ((c - c % 2).double() / DIM))[None, :]
            x = x + torch.where(c % 2 == 0, ang.sin(), ang.cos()).float()
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, position in enumerate(["learned", "rope", "sinusoidal", "alibi"]):
        torch.manual_seed(1234 + i)
        model = GPT(position)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                    p.copy_(1 + 0.2 * torch.randn_like(p))
                elif name.startswith("wte") or name.startswith("wpe"):
                    p.copy_(0.5 * torch.randn_like(p))
                else:
                    p.copy_(0.15 * torch.randn_like(p))
        tokens = torch.randint(0, VOCAB, (2, CONTEXT))
        labels = torch.randint(0, VOCAB, (2, CONTEXT))
        logits = model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), labels.reshape(-1))
        loss.backward()
        out = {f"param.{n}": p.detach().contiguous() for n, p in model.named_parameters()}
        out["tokens"] = tokens
        out["labels"] = labels
        out["logits"] = logits.detach().contiguous()
        out["loss"] = loss.detach()
        for n in ["wte.weight", "h.0.attn.query.weight", "h.1.mlp.c_fc.weight", "h.0.ln_1.bias", "ln_f.weight"]:
            out[f"grad.{n}"] = dict(model.named_parameters())[n].grad.contiguous()
        path = os.path.join(OUT, f"gpt_{position}.safetensors")
        save_file(out, path)
        print(path, "loss", loss.item())


if __name__ == "__main__":
    main()
