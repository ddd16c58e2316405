#!/usr/bin/env python3
"""Goldens for Area 2 (matmul, conv2d, pooling, fused kernels) -> Tests/KoanTensorTests/Fixtures/nn.json.

PyTorch (CPU) is the reference for the network kernels (forward and autograd backward);
NumPy for matmul. Inputs are fixed by seeds. A non-contiguous input is written transposed
(`args["views"][i] = [a, b]`): the test swaps axes a and b back with a strided view, so the
kernel sees a non-contiguous tensor with the same logical values as the reference.

Run: python3 tools/goldens/nn.py
"""
import json
import math
import os

import numpy as np
import torch

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "KoanTensorTests", "Fixtures", "nn.json")


def enc(a):
    if isinstance(a, torch.Tensor):
        if a.dtype == torch.bfloat16:
            bits = a.contiguous().view(torch.int16).numpy().astype(np.uint16)
            return {"dtype": "bfloat16", "shape": list(a.shape), "bits": [int(b) for b in bits.reshape(-1)]}
        a = a.detach().numpy()
    a = np.asarray(a)
    name = {np.float32: "float32", np.float64: "float64", np.float16: "float16", np.int8: "int8",
            np.int32: "int32", np.int64: "int64", np.bool_: "bool"}[a.dtype.type]
    if a.dtype == np.float16:
        return {"dtype": name, "shape": list(a.shape), "bits": [int(b) for b in a.reshape(-1).view(np.uint16)]}

    def v(x):
        if a.dtype.kind == "f":
            x = float(x)
            if math.isnan(x):
                return "nan"
            if math.isinf(x):
                return "inf" if x > 0 else "-inf"
            return x
        if a.dtype.kind == "b":
            return int(bool(x))
        return int(x)

    return {"dtype": name, "shape": list(a.shape), "data": [v(x) for x in a.reshape(-1)]}


cases = []


def add(name, op, args, inputs, outputs, views=None):
    """`views[i] = (a, b)` stores input i transposed on axes a, b (the test swaps them back)."""
    stored = []
    vs = []
    for i, x in enumerate(inputs):
        view = views[i] if views and i < len(views) else None
        if view is not None and x is not None:
            x = (torch.as_tensor(x) if not isinstance(x, torch.Tensor) else x).transpose(*view).contiguous()
        stored.append(x)
        vs.append(list(view) if view is not None else None)
    a = dict(args)
    a["views"] = vs
    cases.append({"name": name, "op": op, "args": a,
                  "inputs": [enc(x) for x in stored], "outputs": [enc(y) for y in outputs]})


rng = np.random.default_rng(1234)


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# ---- matmul (NumPy reference) ----
def mm(name, a, b, views=None):
    add(name, "matmul", {}, [a, b], [np.matmul(a, b)], views)


mm("matmul/2d", randn(4, 3), randn(3, 5))
mm("matmul/2d_f64", randn(4, 3, dtype=np.float64), randn(3, 5, dtype=np.float64))
mm("matmul/1d_2d", randn(3), randn(3, 5))
mm("matmul/2d_1d", randn(4, 3), randn(3))
mm("matmul/1d_1d", randn(7), randn(7))
mm("matmul/batch_broadcast", randn(2, 1, 3, 4), randn(5, 4, 2))
mm("matmul/batch_shared_b", randn(2, 3, 4, 6), randn(6, 5))
mm("matmul/batch_1d_right", randn(2, 3, 4), randn(4))
mm("matmul/batch_1d_left", randn(4), randn(2, 4, 3))
mm("matmul/transposed_a", randn(5, 6), randn(6, 4), views=[(0, 1), None])   # stored as (6, 5)
mm("matmul/transposed_b", randn(4, 6), randn(7, 6).T.copy(), views=[None, (0, 1)])
mm("matmul/transposed_both_batched", randn(3, 4, 5), randn(3, 5, 2), views=[(1, 2), (1, 2)])
mm("matmul/size1", randn(1, 3), randn(3, 1))
mm("matmul/empty_k", randn(2, 0), randn(0, 3))
mm("matmul/empty_m", randn(0, 3), randn(3, 2))
mm("matmul/int64", rng.integers(-5, 5, (3, 4)).astype(np.int64), rng.integers(-5, 5, (4, 2)).astype(np.int64))
mm("matmul/int32_int64", rng.integers(-5, 5, (2, 3, 4)).astype(np.int32), rng.integers(-5, 5, (4, 2)).astype(np.int64))
mm("matmul/int8", rng.integers(-5, 5, (3, 4)).astype(np.int8), rng.integers(-5, 5, (4, 2)).astype(np.int8))
ai, bf = rng.integers(-5, 5, (3, 4)).astype(np.int32), randn(4, 2)
add("matmul/int_float", "matmul", {}, [ai, bf], [ai.astype(np.float32) @ bf])   # torch promotion: float32
a16, b16 = randn(5, 8).astype(np.float16), randn(8, 3).astype(np.float16)
add("matmul/float16", "matmul", {}, [a16, b16],
    [(a16.astype(np.float32) @ b16.astype(np.float32)).astype(np.float16)])
abf, bbf = torch.randn(5, 8, dtype=torch.float32).bfloat16(), torch.randn(8, 3).bfloat16()
add("matmul/bfloat16", "matmul", {}, [abf, bbf], [(abf.float() @ bbf.float()).bfloat16()])


# ---- conv2d (torch forward + autograd backward) ----
def conv(name, n, c, h, w, o, kh, kw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True,
         dtype=torch.float32, views=None, unbatched=False):
    g = torch.Generator().manual_seed(len(cases) + 7)
    xs = (c, h, w) if unbatched else (n, c, h, w)
    x = torch.randn(*xs, generator=g, dtype=dtype, requires_grad=True)
    wt = torch.randn(o, c // groups, kh, kw, generator=g, dtype=dtype, requires_grad=True)
    b = torch.randn(o, generator=g, dtype=dtype, requires_grad=True) if bias else None
    y = torch.nn.functional.conv2d(x, wt, b, stride, padding, dilation, groups)
    dy = torch.randn(*y.shape, generator=g, dtype=dtype)
    y.backward(dy)
    outs = [y, x.grad, wt.grad] + ([b.grad] if bias else [])
    add(name, "conv2d", {"stride": list(stride), "padding": list(padding), "dilation": list(dilation),
                         "groups": groups, "hasBias": bias},
        [x.detach(), wt.detach(), b.detach() if bias else torch.zeros(0, dtype=dtype), dy], outs, views)


conv("conv2d/basic", 2, 3, 7, 6, 4, 3, 3)
conv("conv2d/pad_stride", 2, 3, 9, 8, 5, 3, 3, stride=(2, 2), padding=(1, 1))
conv("conv2d/asym", 1, 2, 10, 7, 3, 3, 2, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
conv("conv2d/dilation", 2, 2, 9, 9, 3, 3, 3, padding=(2, 2), dilation=(2, 2))
conv("conv2d/groups", 2, 4, 6, 6, 6, 3, 3, padding=(1, 1), groups=2)
conv("conv2d/depthwise", 2, 3, 5, 5, 3, 3, 3, padding=(1, 1), groups=3, bias=False)
conv("conv2d/pointwise", 3, 4, 5, 5, 6, 1, 1)
conv("conv2d/pointwise_big", 1, 8, 40, 40, 4, 1, 1, bias=False)
conv("conv2d/big_plane", 2, 2, 36, 36, 3, 3, 3, padding=(1, 1))
conv("conv2d/stride_big_pad", 1, 1, 4, 4, 2, 3, 3, stride=(3, 3), padding=(2, 2))
conv("conv2d/kernel_equals_input", 2, 3, 3, 3, 2, 3, 3)
conv("conv2d/f64", 2, 3, 6, 5, 2, 3, 3, padding=(1, 1), dtype=torch.float64)
conv("conv2d/unbatched", 1, 2, 5, 5, 3, 3, 3, unbatched=True)
conv("conv2d/noncontiguous_input", 2, 3, 6, 5, 2, 3, 3, padding=(1, 1), views=[(2, 3), None, None, None])


# ---- pooling ----
def pool(name, shape, kernel, stride=None, padding=(0, 0), dtype=torch.float32, views=None, nan=False, ties=False):
    g = torch.Generator().manual_seed(len(cases) + 11)
    x0 = torch.randn(*shape, generator=g, dtype=dtype)
    if ties:
        x0 = torch.round(x0)
    if nan:
        x0.view(-1)[3] = float("nan")
    x = x0.clone().requires_grad_(True)
    y, idx = torch.nn.functional.max_pool2d(x, kernel, stride, padding, return_indices=True)
    dy = torch.randn(*y.shape, generator=g, dtype=dtype)
    y.backward(dy)
    args = {"kernel": list(kernel), "stride": list(stride) if stride else None, "padding": list(padding)}
    add(name.replace("pool", "maxpool"), "maxPool2d", args, [x0, dy], [y, idx, x.grad], views)
    xa = x0.clone().requires_grad_(True)
    ya = torch.nn.functional.avg_pool2d(xa, kernel, stride, padding)
    dya = torch.randn(*ya.shape, generator=g, dtype=dtype)
    ya.backward(dya)
    add(name.replace("pool", "avgpool"), "avgPool2d", args, [x0, dya], [ya, xa.grad], views)


pool("pool/2x2", (2, 3, 6, 6), (2, 2))
pool("pool/3x3_s2_p1", (2, 2, 7, 8), (3, 3), (2, 2), (1, 1))
pool("pool/overlap", (1, 2, 5, 5), (3, 2), (1, 1), (1, 1), ties=True)
pool("pool/unbatched", (3, 5, 4), (2, 2), (1, 2))
pool("pool/f64", (1, 2, 6, 5), (2, 3), (2, 2), (1, 1), dtype=torch.float64)
pool("pool/nan", (1, 1, 4, 4), (2, 2), nan=True)
pool("pool/noncontiguous", (2, 3, 6, 5), (2, 2), (2, 1), views=[(2, 3), None])


# ---- fused kernels ----
def fused(name, op, x, fn, args, views=None, dtype=torch.float32):
    g = torch.Generator().manual_seed(len(cases) + 13)
    xt = torch.as_tensor(x).to(dtype).clone().requires_grad_(True)
    y = fn(xt)
    dy = torch.randn(*y.shape, generator=g, dtype=dtype)
    y.backward(dy)
    add(name, op, args, [xt.detach(), dy], [y, xt.grad], views)


for dt, tag in [(torch.float32, ""), (torch.float64, "_f64")]:
    for axis, shape in [(-1, (4, 7)), (0, (5, 3)), (1, (2, 6, 3)), (2, (2, 3, 4)), (-1, (9,)), (1, (2, 1, 5))]:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(axis + 10 * len(shape)), dtype=dt) * 3
        fused(f"softmax/axis{axis}_{len(shape)}d{tag}", "softmax", x, lambda t: torch.softmax(t, axis), {"axis": axis}, dtype=dt)
        fused(f"logSoftmax/axis{axis}_{len(shape)}d{tag}", "logSoftmax", x, lambda t: torch.log_softmax(t, axis), {"axis": axis}, dtype=dt)
x = torch.randn(6, 5, generator=torch.Generator().manual_seed(3)) * 4
fused("softmax/transposed_axis-1", "softmax", x, lambda t: torch.softmax(t, -1), {"axis": -1}, views=[(0, 1), None])
fused("logSoftmax/transposed_axis0", "logSoftmax", x, lambda t: torch.log_softmax(t, 0), {"axis": 0}, views=[(0, 1), None])
big = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1e4, -999.0]])
fused("softmax/large", "softmax", big, lambda t: torch.softmax(t, -1), {"axis": -1})
fused("logSoftmax/large", "logSoftmax", big, lambda t: torch.log_softmax(t, -1), {"axis": -1})
fused("softmax/neg_inf", "softmax", torch.tensor([[0.0, float("-inf"), 1.0]]), lambda t: torch.softmax(t, -1), {"axis": -1})
fused("softmax/empty", "softmax", torch.zeros(0, 4), lambda t: torch.softmax(t, -1), {"axis": -1})

for dt, tag in [(torch.float32, ""), (torch.float64, "_f64")]:
    for approx in ["none", "tanh"]:
        x = torch.linspace(-6, 6, 37, dtype=dt).reshape(37)
        fused(f"gelu/{approx}{tag}", "gelu", x, lambda t: torch.nn.functional.gelu(t, approximate=approx),
              {"approximate": approx == "tanh"}, dtype=dt)
    x = torch.linspace(-12, 12, 41, dtype=dt)
    fused(f"silu/{tag or 'f32'}", "silu", x, torch.nn.functional.silu, {}, dtype=dt)
x = torch.randn(5, 4, generator=torch.Generator().manual_seed(5))
fused("gelu/transposed", "gelu", x, lambda t: torch.nn.functional.gelu(t), {"approximate": False}, views=[(0, 1), None])
fused("silu/transposed", "silu", x, torch.nn.functional.silu, {}, views=[(0, 1), None])


def layer_norm(name, shape, ncount_dims, affine=(True, True), dtype=torch.float32, eps=1e-5, views=None):
    g = torch.Generator().manual_seed(len(cases) + 17)
    x = (torch.randn(*shape, generator=g, dtype=dtype) * 2 + 1).requires_grad_(True)
    nshape = list(shape[len(shape) - ncount_dims:])
    w = torch.randn(*nshape, generator=g, dtype=dtype).requires_grad_(True) if affine[0] else None
    b = torch.randn(*nshape, generator=g, dtype=dtype).requires_grad_(True) if affine[1] else None
    y, mean, rstd = torch.native_layer_norm(x, nshape, w, b, eps)
    dy = torch.randn(*y.shape, generator=g, dtype=dtype)
    y.backward(dy)
    empty = torch.zeros(0, dtype=dtype)
    outs = [y, mean, rstd, x.grad,
            w.grad if w is not None else empty,
            b.grad if b is not None else dy.reshape(-1, int(np.prod(nshape))).sum(0).reshape(nshape)]
    add(name, "layerNorm", {"normalizedCount": int(np.prod(nshape)), "eps": eps,
                            "hasWeight": affine[0], "hasBias": affine[1]},
        [x.detach(), w.detach() if w is not None else empty, b.detach() if b is not None else empty, dy], outs, views)


layer_norm("layerNorm/last", (4, 6), 1)
layer_norm("layerNorm/3d_two_dims", (2, 3, 4), 2)
layer_norm("layerNorm/no_affine", (3, 5), 1, affine=(False, False))
layer_norm("layerNorm/weight_only", (3, 5), 1, affine=(True, False))
layer_norm("layerNorm/f64", (3, 8), 1, dtype=torch.float64, eps=1e-6)
layer_norm("layerNorm/transposed", (5, 4), 1, views=[(0, 1), None, None, None])


def cross_entropy(name, logits, targets, dtype=torch.float32):
    z = torch.as_tensor(logits, dtype=dtype)
    t = torch.as_tensor(targets, dtype=torch.int64)
    flat = z.reshape(-1, z.shape[-1])
    loss = torch.nn.functional.cross_entropy(flat, t.reshape(-1))
    add(name, "crossEntropy", {}, [z, t], [loss.to(torch.float64), torch.softmax(z, -1)])


g = torch.Generator().manual_seed(99)
cross_entropy("crossEntropy/basic", torch.randn(6, 5, generator=g) * 3, [0, 4, 2, 2, 1, 3])
cross_entropy("crossEntropy/3d", torch.randn(2, 3, 4, generator=g), [[0, 1, 2], [3, 3, 0]])
cross_entropy("crossEntropy/large", [[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]], [1, 2])
cross_entropy("crossEntropy/f64", torch.randn(4, 3, generator=g, dtype=torch.float64), [2, 0, 1, 1], dtype=torch.float64)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)}")
