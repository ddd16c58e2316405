#!/usr/bin/env python3
"""Writes Tests/KoanNNTests/Fixtures/nn_modules.json: PyTorch goldens for KoanNN.

Each case: {"name", "kind": "module" | "loss", "args": {...},
            "params": {path: T}, "buffers": {path: T}, "inputs": [T], "outputs": [T],
            "grads": [T] (loss cases: d loss / d input 0), "buffers_after": {path: T}}
T = {"dtype": "float32" | "int64", "shape": [...], "data": [...]}
Module cases copy torch's parameters into the KoanNN module with update(parameters:),
so forward results must agree to float32 rounding.
Run: python3 tools/goldens/nn_modules.py  (torch CPU)
"""
import json, os
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanNNTests", "Fixtures", "nn_modules.json")


def T(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.int64, torch.int32):
        return {"dtype": "int64", "shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"dtype": "float32", "shape": list(t.shape), "data": [float(v) for v in t.float().reshape(-1).tolist()]}


cases = []


def module_case(name, m, inputs, args=None, train=True, randomize=True):
    if randomize:
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn_like(p) * 0.5)
    m.train(train)
    params = {k: T(v) for k, v in m.named_parameters()}
    buffers = {k: T(v) for k, v in m.named_buffers()}
    with torch.no_grad():
        outs = [m(x) for x in inputs]
    c = {"name": name, "kind": "module", "args": args or {}, "params": params, "buffers": buffers,
         "inputs": [T(x) for x in inputs], "outputs": [T(o) for o in outs], "train": train}
    if any(True for _ in m.buffers()):
        c["buffers_after"] = {k: T(v) for k, v in m.named_buffers()}
    cases.append(c)


r = torch.randn
module_case("linear", nn.Linear(5, 3), [r(4, 5)], {"in": 5, "out": 3, "bias": True})
module_case("linear_nobias_rank3", nn.Linear(5, 3, bias=False), [r(2, 3, 5)], {"in": 5, "out": 3, "bias": False})
module_case("conv2d_groups", nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), [r(2, 4, 7, 7)],
            {"in": 4, "out": 6, "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "dilation": [1, 1], "groups": 2})
module_case("conv2d_dilation", nn.Conv2d(3, 4, (3, 2), stride=1, padding=(2, 1), dilation=2), [r(1, 3, 6, 5)],
            {"in": 3, "out": 4, "kernel": [3, 2], "stride": [1, 1], "padding": [2, 1], "dilation": [2, 2], "groups": 1})
module_case("maxpool_2", nn.MaxPool2d(2), [r(2, 3, 6, 6)], {"kernel": 2, "padding": 0})
module_case("maxpool_3s2p1", nn.MaxPool2d(3, stride=2, padding=1), [r(1, 2, 7, 7)], {"kernel": 3, "stride": 2, "padding": 1})
module_case("avgpool_2", nn.AvgPool2d(2), [r(2, 3, 6, 6)], {"kernel": 2, "padding": 0})
module_case("avgpool_3s2p1", nn.AvgPool2d(3, stride=2, padding=1), [r(1, 2, 7, 7)], {"kernel": 3, "stride": 2, "padding": 1})
module_case("flatten", nn.Flatten(), [r(2, 3, 2, 2)])
module_case("embedding", nn.Embedding(10, 4), [torch.tensor([[1, 0, 9], [3, 3, 7]])], {"count": 10, "dim": 4})
module_case("layernorm", nn.LayerNorm(6), [r(3, 6) * 3 + 1], {"dim": 6})
module_case("relu", nn.ReLU(), [r(3, 7)])
module_case("gelu", nn.GELU(), [r(3, 7)])
module_case("gelu_tanh", nn.GELU(approximate="tanh"), [r(3, 7)])
module_case("silu", nn.SiLU(), [r(3, 7)])
module_case("tanh", nn.Tanh(), [r(3, 7)])
module_case("sigmoid", nn.Sigmoid(), [r(3, 7)])
module_case("softmax_axis1", nn.Softmax(dim=1), [r(2, 4, 3)], {"axis": 1})
module_case("sequential", nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)), [r(4, 6)])
module_case("dropout_eval", nn.Dropout(0.3), [r(4, 5)], {"p": 0.3}, train=False)
# BatchNorm: two training steps (running stats move), then eval on a third input.
for name, bn, shape in [("batchnorm1d", nn.BatchNorm1d(5), (8, 5)), ("batchnorm1d_3d", nn.BatchNorm1d(3), (4, 3, 6)),
                        ("batchnorm2d", nn.BatchNorm2d(3), (4, 3, 5, 5))]:
    with torch.no_grad():
        for p in bn.parameters():
            p.copy_(torch.randn_like(p) * 0.5 + (1 if p.dim() == 1 and p is bn.weight else 0))
    params = {k: T(v) for k, v in bn.named_parameters()}
    buffers = {k: T(v) for k, v in bn.named_buffers()}
    xs = [r(*shape) * 2 + 0.5, r(*shape) - 1]
    bn.train()
    with torch.no_grad():
        outs = [bn(x) for x in xs]
    after = {k: T(v) for k, v in bn.named_buffers()}
    xe = r(*shape)
    bn.eval()
    with torch.no_grad():
        ye = bn(xe)
    cases.append({"name": name, "kind": "batchnorm", "args": {"features": shape[1]}, "params": params, "buffers": buffers,
                  "inputs": [T(x) for x in xs] + [T(xe)], "outputs": [T(o) for o in outs] + [T(ye)],
                  "buffers_after": after})


def loss_case(name, fn, x, *rest, args=None):
    x = x.clone().requires_grad_(True)
    y = fn(x, *rest)
    seed = torch.randn_like(y) if y.dim() > 0 else torch.ones_like(y)
    (g,) = torch.autograd.grad(y, x, seed)
    cases.append({"name": name, "kind": "loss", "args": args or {},
                  "inputs": [T(x)] + [T(t) for t in rest], "outputs": [T(y)], "seed": T(seed), "grads": [T(g)]})


logits = r(6, 5) * 2
ids = torch.tensor([0, 4, 2, 2, 1, 3])
ids_ign = torch.tensor([0, -100, 2, 4, -100, 1])
probs = torch.softmax(r(6, 5), dim=1)
for red in ["mean", "sum", "none"]:
    loss_case(f"ce_ids_{red}", lambda x, t: F.cross_entropy(x, t, reduction=red), logits, ids, args={"reduction": red})
    loss_case(f"ce_smooth_ignore_{red}", lambda x, t: F.cross_entropy(x, t, reduction=red, label_smoothing=0.2), logits, ids_ign,
              args={"reduction": red, "smoothing": 0.2})
    loss_case(f"ce_probs_smooth_{red}", lambda x, t: F.cross_entropy(x, t, reduction=red, label_smoothing=0.1), logits, probs,
              args={"reduction": red, "smoothing": 0.1})
    loss_case(f"nll_ignore_{red}", lambda x, t: F.nll_loss(x, t, reduction=red), torch.log_softmax(logits, 1), ids_ign,
              args={"reduction": red})
    a, b = r(3, 4), r(3, 4)
    loss_case(f"mse_{red}", lambda x, t: F.mse_loss(x, t, reduction=red), a, b, args={"reduction": red})
    loss_case(f"l1_{red}", lambda x, t: F.l1_loss(x, t, reduction=red), a, b, args={"reduction": red})
    p = torch.rand(3, 4) * 0.9 + 0.05
    y = torch.rand(3, 4)
    loss_case(f"bce_{red}", lambda x, t: F.binary_cross_entropy(x, t, reduction=red), p, y, args={"reduction": red})
    loss_case(f"bce_logits_{red}", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=red), r(3, 4) * 3, y,
              args={"reduction": red})
loss_case("ce_ids_rank3", lambda x, t: F.cross_entropy(x.permute(0, 2, 1), t), r(2, 3, 4), torch.tensor([[0, 3, 1], [2, 2, 0]]),
          args={"reduction": "mean"})
loss_case("ce_ignore_custom", lambda x, t: F.cross_entropy(x, t, ignore_index=2), logits, ids,
          args={"reduction": "mean", "ignore": 2})

text = json.dumps({"cases": cases}, separators=(",", ":"))
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write(text)
print(f"wrote {len(cases)} cases, {len(text)} bytes to {os.path.normpath(OUT)}")
