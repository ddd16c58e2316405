#!/usr/bin/env python3
"""Goldens for KoanNN attention: writes Tests/KoanNNTests/Fixtures/attention.json.

Requires torch (2.15) and transformers (for LLaMA's RoPE and BLOOM's ALiBi slopes):
    pip install transformers
    python3 tools/goldens/attention.py

Format: {"cases": [{"name", "kind", "args": {...}, "arrays": {name: {"shape", "dtype", "data"}}}]}
Arrays are float32 (inputs as fed to Koan; references computed in float64 from those
float32 values, then rounded) or bool/int64.

Kinds:
- "sdpa": torch.nn.functional.scaled_dot_product_attention forward and backward.
  arrays q, k, v, grad_out, out, dq, dk, dv, and optionally mask (bool, torch
  attn_mask semantics: True = attend), bias (float attn_mask), key_padding ([B, Tk], True =
  real token; passed to torch as a [B, 1, 1, Tk] boolean mask). args: causal.
- "mha": torch.nn.MultiheadAttention(batch_first=True) with its weights split into Koan's
  query/key/value/out Linear children. arrays x, grad_out, out, dx, query.weight, ...,
  optionally key_padding ([B, T], True = real token; torch gets its negation) ; args:
  dim, heads, causal.
- "rope": transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb on q, k [B, H, T, D]
  at positions offset..offset+T-1. arrays q, k, q_rot, k_rot; args offset, base.
- "alibi": BLOOM's slopes for `heads` (transformers build_alibi_tensor at position 1).
  arrays slopes.
- "sinusoidal": numpy table PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(...).
  arrays table; args length, dim.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "KoanNNTests", "Fixtures", "attention.json")


def arr(t):
    t = t.detach().cpu()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [int(x) for x in t.flatten().tolist()]}
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(x) for x in t.flatten().tolist()]}
    return {"shape": list(t.shape), "dtype": "float32",
            "data": [float(x) for x in t.to(torch.float32).flatten().tolist()]}


cases = []


def sdpa_case(name, b, h, tq, tk, d, dv=None, causal=False, mask=None, bias=None, key_padding=None):
    dv = dv or d
    g = torch.Generator().manual_seed(len(cases) + 1)
    q = torch.randn(b, h, tq, d, generator=g)
    k = torch.randn(b, h, tk, d, generator=g)
    v = torch.randn(b, h, tk, dv, generator=g)
    go = torch.randn(b, h, tq, dv, generator=g)
    q64, k64, v64 = (x.double().requires_grad_(True) for x in (q, k, v))
    attn_mask = None
    if mask is not None:
        attn_mask = mask
    if key_padding is not None:
        kp = key_padding[:, None, None, :]
        attn_mask = kp if attn_mask is None else (attn_mask & kp)
    if bias is not None:
        fb = bias.double()
        if attn_mask is not None:
            fb = fb.masked_fill(~attn_mask, float("-inf"))
        attn_mask = fb
    out = F.scaled_dot_product_attention(q64, k64, v64, attn_mask=attn_mask, is_causal=causal)
    out.backward(go.double())
    arrays = {"q": arr(q), "k": arr(k), "v": arr(v), "grad_out": arr(go), "out": arr(out),
              "dq": arr(q64.grad), "dk": arr(k64.grad), "dv": arr(v64.grad)}
    if mask is not None:
        arrays["mask"] = arr(mask)
    if bias is not None:
        arrays["bias"] = arr(bias)
    if key_padding is not None:
        arrays["key_padding"] = arr(key_padding)
    cases.append({"name": name, "kind": "sdpa", "args": {"causal": causal}, "arrays": arrays})


sdpa_case("sdpa_plain", 2, 3, 7, 7, 8)
sdpa_case("sdpa_causal", 2, 3, 7, 7, 8, causal=True)
sdpa_case("sdpa_causal_long", 1, 2, 70, 70, 4, causal=True)
bm = torch.rand(2, 1, 6, 9, generator=torch.Generator().manual_seed(5)) > 0.4
bm[..., 0] = True  # no fully masked rows
sdpa_case("sdpa_bool_mask", 2, 2, 6, 9, 8, mask=bm)
sdpa_case("sdpa_bias", 1, 3, 5, 5, 4, bias=torch.randn(3, 5, 5, generator=torch.Generator().manual_seed(6)))
kpad = torch.tensor([[True] * 9, [True] * 6 + [False] * 3])
sdpa_case("sdpa_key_padding_dv", 2, 2, 4, 9, 8, dv=5, key_padding=kpad)

# MultiheadAttention with fixed weights.
for name, causal, pad in [("mha_plain", False, False), ("mha_padding", False, True), ("mha_causal", True, False)]:
    dim, heads, b, t = 8, 2, 2, 6
    torch.manual_seed(10 + len(cases))
    m = torch.nn.MultiheadAttention(dim, heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        m.in_proj_bias.normal_(0, 0.1)  # torch initialises biases to zero; make them count
        m.out_proj.bias.normal_(0, 0.1)
        m.in_proj_weight.copy_(m.in_proj_weight.float().double())
        m.in_proj_bias.copy_(m.in_proj_bias.float().double())
        m.out_proj.weight.copy_(m.out_proj.weight.float().double())
        m.out_proj.bias.copy_(m.out_proj.bias.float().double())
    x = torch.randn(b, t, dim).float()
    go = torch.randn(b, t, dim).float()
    x64 = x.double().requires_grad_(True)
    keep = torch.tensor([[True] * t, [True] * 4 + [False] * (t - 4)])
    attn_mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1) if causal else None   # True = hidden
    y, _ = m(x64, x64, x64, key_padding_mask=(~keep if pad else None), attn_mask=attn_mask, need_weights=False)
    y.backward(go.double())
    w, bb = m.in_proj_weight, m.in_proj_bias
    arrays = {"x": arr(x), "grad_out": arr(go), "out": arr(y), "dx": arr(x64.grad),
              "query.weight": arr(w[:dim]), "key.weight": arr(w[dim:2 * dim]), "value.weight": arr(w[2 * dim:]),
              "query.bias": arr(bb[:dim]), "key.bias": arr(bb[dim:2 * dim]), "value.bias": arr(bb[2 * dim:]),
              "out.weight": arr(m.out_proj.weight), "out.bias": arr(m.out_proj.bias)}
    if pad:
        arrays["key_padding"] = arr(keep)
    cases.append({"name": name, "kind": "mha", "args": {"dim": dim, "heads": heads, "causal": causal}, "arrays": arrays})

# RoPE (LLaMA / GPT-NeoX rotate-half) via transformers.
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

for offset in (0, 5):
    b, h, t, d = 1, 2, 6, 8
    cfg = LlamaConfig(hidden_size=h * d, num_attention_heads=h, head_dim=d, max_position_embeddings=64,
                      rope_theta=10000.0)
    rot = LlamaRotaryEmbedding(cfg)
    g = torch.Generator().manual_seed(20 + offset)
    q = torch.randn(b, h, t, d, generator=g)
    k = torch.randn(b, h, t, d, generator=g)
    pos = torch.arange(offset, offset + t)[None, :]
    cos, sin = rot(q.double(), pos)
    qr, kr = apply_rotary_pos_emb(q.double(), k.double(), cos.double(), sin.double())
    cases.append({"name": f"rope_offset{offset}", "kind": "rope", "args": {"offset": offset, "base": 10000.0},
                  "arrays": {"q": arr(q), "k": arr(k), "q_rot": arr(qr), "k_rot": arr(kr)}})

# ALiBi slopes via BLOOM's build_alibi_tensor (value at key position 1 = slope).
from transformers.models.bloom.modeling_bloom import build_alibi_tensor

for heads in (1, 4, 6, 8, 12, 16):
    alibi = build_alibi_tensor(torch.ones(1, 2, dtype=torch.int64), heads, torch.float64)  # [heads, 1, 2]
    cases.append({"name": f"alibi_{heads}", "kind": "alibi", "args": {"heads": heads},
                  "arrays": {"slopes": arr(alibi[:, 0, 1])}})

# Sinusoidal table (numpy).
for length, dim in ((10, 16), (7, 6)):
    pe = np.zeros((length, dim))
    pos = np.arange(length)[:, None]
    div = np.power(10000.0, np.arange(0, dim, 2) / dim)
    pe[:, 0::2] = np.sin(pos / div)
    pe[:, 1::2] = np.cos(pos / div)
    cases.append({"name": f"sinusoidal_{length}x{dim}", "kind": "sinusoidal", "args": {"length": length, "dim": dim},
                  "arrays": {"table": arr(torch.from_numpy(pe))}})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"generator": "tools/goldens/attention.py", "torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")
