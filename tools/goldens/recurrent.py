#!/usr/bin/env python3
"""Writes Tests/KoanNNTests/Fixtures/recurrent.json: PyTorch goldens for RNN/LSTM/GRU.

Each case: {"name", "kind": "rnn_tanh" | "rnn_relu" | "lstm" | "gru", "layers", "batch",
            "steps", "input_size", "hidden_size", "with_state": bool,
            "params": {torch name: T}, "x": T, "h0": T?, "c0": T?,
            "output": T, "h_n": T, "c_n": T?,
            "w_out": T, "w_h": T, "w_c": T?,          # weights of the scalar loss
            "grads": {"x": T, "h0": T?, "c0": T?, torch param name: T}}
T = {"shape": [...], "data": [...]} (float32 values).
loss = sum(output * w_out) + sum(h_n * w_h) (+ sum(c_n * w_c) for LSTM), so every output
of the layer takes part in the gradient. Modules are batch_first, in eval mode (no dropout).
The Koan module gets torch's parameters via update(parameters:) and must agree to float32
rounding. Run: python3 tools/goldens/recurrent.py  (torch CPU)
"""
import json, os
import torch
import torch.nn as nn

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanNNTests", "Fixtures", "recurrent.json")


def T(t):
    t = t.detach().contiguous().float()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


cases = []


def case(kind, layers, with_state, B=3, S=5, I=4, H=6, bias=True):
    if kind == "lstm":
        m = nn.LSTM(I, H, num_layers=layers, batch_first=True, bias=bias)
    elif kind == "gru":
        m = nn.GRU(I, H, num_layers=layers, batch_first=True, bias=bias)
    else:
        m = nn.RNN(I, H, num_layers=layers, batch_first=True, bias=bias,
                   nonlinearity="tanh" if kind == "rnn_tanh" else "relu")
    m.eval()
    x = torch.randn(B, S, I, requires_grad=True)
    h0 = torch.randn(layers, B, H, requires_grad=True) if with_state else None
    c0 = torch.randn(layers, B, H, requires_grad=True) if with_state and kind == "lstm" else None
    if kind == "lstm":
        out, (hn, cn) = m(x, (h0, c0)) if with_state else m(x)
    else:
        out, hn = m(x, h0) if with_state else m(x)
        cn = None
    w_out = torch.randn_like(out)
    w_h = torch.randn_like(hn)
    loss = (out * w_out).sum() + (hn * w_h).sum()
    w_c = None
    if cn is not None:
        w_c = torch.randn_like(cn)
        loss = loss + (cn * w_c).sum()
    loss.backward()
    name = f"{kind}_l{layers}_{'state' if with_state else 'nostate'}" + ("" if bias else "_nobias")
    c = {"name": name, "kind": kind, "layers": layers, "batch": B, "steps": S, "input_size": I,
         "hidden_size": H, "bias": bias, "with_state": with_state,
         "params": {k: T(v) for k, v in m.named_parameters()},
         "x": T(x), "output": T(out), "h_n": T(hn), "w_out": T(w_out), "w_h": T(w_h),
         "grads": {"x": T(x.grad), **{k: T(v.grad) for k, v in m.named_parameters()}}}
    if with_state:
        c["h0"] = T(h0)
        c["grads"]["h0"] = T(h0.grad)
    if cn is not None:
        c["c_n"] = T(cn)
        c["w_c"] = T(w_c)
        if with_state:
            c["c0"] = T(c0)
            c["grads"]["c0"] = T(c0.grad)
    cases.append(c)


for kind in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
    for layers in [1, 2]:
        for with_state in [False, True]:
            case(kind, layers, with_state)
for kind in ["lstm", "gru"]:
    case(kind, 2, True, bias=False)
case("lstm", 1, False, B=1, S=1, I=3, H=2)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {OUT}")
