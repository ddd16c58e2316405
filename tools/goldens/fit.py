#!/usr/bin/env python3
"""Goldens for KoanTrain's fit loop: writes Tests/KoanTrainTests/Fixtures/fit.json.

A 64→32→10 MLP (Linear, ReLU, Linear; torch default init from manual_seed) trained with
plain PyTorch loops on the first 96 digits (features / 16, in file order, no shuffling):

  * "sgd_clip": SGD(lr=0.1), batch 32, clip_grad_norm_(1.0), 3 steps. Per step: the loss
    and the total gradient norm before clipping; the parameters after the last step.
    Koan must match it with batchSize 32, and with batchSize 8 + accumulate 4 (four
    micro-batches whose losses are weighted 1/4 equal one batch of 32).
  * "adamw_cosine": AdamW(lr=0.01, weight_decay=0.01, biases not decayed as Koan's default),
    cross-entropy with label_smoothing 0.1, batch 16, 6 steps, lr = base * cosine-with-warmup
    (warmup 2, total 6; Hugging Face's formula, see optim.py). Per-step losses and final parameters.

Run: python3 tools/goldens/fit.py   (torch CPU, numpy)
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "Tests", "KoanTrainTests", "Fixtures", "fit.json")

digits = np.load(os.path.join(ROOT, "Sources", "KoanData", "Resources", "digits.npz"))
X = torch.tensor(digits["images"][:96].astype(np.float32) / 16.0)
Y = torch.tensor(digits["target"][:96].astype(np.int64))


def T(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        return {"dtype": "int64", "shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"dtype": "float32", "shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def params(m):
    return {k: T(v) for k, v in m.state_dict().items()}


cases = {"features": T(X), "labels": T(Y)}

# SGD + clipping, batch 32
m = model()
cases["initial"] = params(m)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
losses, norms = [], []
for s in range(3):
    xb, yb = X[s * 32:(s + 1) * 32], Y[s * 32:(s + 1) * 32]
    opt.zero_grad()
    loss = F.cross_entropy(m(xb), yb)
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0, foreach=False)))
    losses.append(float(loss.detach()))
    opt.step()
cases["sgd_clip"] = {"losses": losses, "norms": norms, "final": params(m)}

# AdamW + cosine with warmup + label smoothing, batch 16
m = model()
decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in m.named_parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=0.01, foreach=False)
warmup, total = 2, 6
losses, lrs = [], []
for s in range(6):
    factor = s / max(1, warmup) if s < warmup else \
        0.5 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, total - warmup))))
    for g in opt.param_groups:
        g["lr"] = 0.01 * factor
    xb, yb = X[s * 16:(s + 1) * 16], Y[s * 16:(s + 1) * 16]
    opt.zero_grad()
    loss = F.cross_entropy(m(xb), yb, label_smoothing=0.1)
    loss.backward()
    losses.append(float(loss.detach()))
    lrs.append(0.01 * factor)
    opt.step()
cases["adamw_cosine"] = {"losses": losses, "lrs": lrs, "final": params(m)}

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(cases, f)
print("wrote", OUT)
