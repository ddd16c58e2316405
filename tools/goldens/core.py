#!/usr/bin/env python3
"""Golden cases for KoanTensor Area 1 (core ops), computed with NumPy.

Writes Tests/KoanTensorTests/Fixtures/core.json (format: see GoldenFixture.swift).
Views are described in args ("transpose_input": the Swift test applies .transposed()
to inputs[0] before the op) so non-contiguous paths are covered.
Promotion follows KoanTensor's DType.promote (PyTorch's result_type), so expected
values are computed in a wide type and cast to the result dtype.
"""
import json, math, os
import numpy as np
import ml_dtypes

rng = np.random.default_rng(1234)
BF16 = ml_dtypes.bfloat16
NP = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "bfloat16": BF16,
      "int8": np.int8, "int32": np.int32, "int64": np.int64, "bool": np.bool_}
RANK = {"bool": 0, "int8": 1, "int32": 2, "int64": 3, "float16": 4, "bfloat16": 4, "float32": 5, "float64": 6}
FLOATS = ["float32", "float64", "float16", "bfloat16"]
INTS = ["int8", "int32", "int64"]
ALL = FLOATS + INTS + ["bool"]

def promote(a, b):
    if a == b: return a
    if {a, b} == {"float16", "bfloat16"}: return "float32"
    return a if RANK[a] >= RANK[b] else b

def dt(x):
    for k, v in NP.items():
        if x.dtype == np.dtype(v): return k
    raise ValueError(x.dtype)

def enc(x, dtype=None):
    x = np.asarray(x)
    dtype = dtype or dt(x)
    flat = x.reshape(-1)
    if dtype in FLOATS:
        data = []
        for v in flat.astype(np.float64):
            v = float(v)
            data.append("nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else v)))
    elif dtype == "bool":
        data = [int(bool(v)) for v in flat]
    else:
        data = [int(v) for v in flat]
    return {"dtype": dtype, "shape": list(x.shape), "data": data}

cases = []
def add(name, op, args, inputs, outputs):
    cases.append({"name": name, "op": op, "args": args,
                  "inputs": [enc(i) for i in inputs], "outputs": [enc(o) for o in outputs]})

def make(shape, dtype, kind="normal"):
    n = int(np.prod(shape)) if len(shape) else 1
    if dtype in FLOATS:
        if kind == "positive": v = rng.uniform(0.1, 4.0, n)
        elif kind == "unit": v = rng.uniform(-0.95, 0.95, n)
        else: v = rng.standard_normal(n) * 2
        return v.astype(np.float32).astype(NP[dtype]).reshape(shape)
    if dtype == "bool":
        return (rng.random(n) < 0.5).reshape(shape)
    lo, hi = (1, 6) if kind == "positive" else (-9, 10)
    return rng.integers(lo, hi, n).astype(NP[dtype]).reshape(shape)

def cast(v, dtype):
    with np.errstate(all="ignore"):
        if dtype == "bool": return np.asarray(v) != 0
        if dtype in INTS: return np.asarray(v).astype(np.int64).astype(NP[dtype])
        return np.asarray(v).astype(NP[dtype])

def compute_dtype(d):
    return {"float16": np.float32, "bfloat16": np.float32, "float32": np.float32, "float64": np.float64}.get(d, np.int64)

# ---------------- unary ----------------
UNARY = {
    "neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x), "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "relu": lambda x: np.where(x < 0, 0, x).astype(x.dtype),
    "sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round, "square": np.square,
    "reciprocal": lambda x: 1 / x, "log1p": np.log1p, "expm1": np.expm1,
    "erf": np.vectorize(math.erf, otypes=[np.float64]), "log2": np.log2, "exp2": np.exp2,
}
KEEP_INT = {"neg", "abs", "sign", "square", "relu", "floor", "ceil", "round"}
POS = {"log", "sqrt", "rsqrt", "log2", "log1p", "reciprocal"}

def unary_expected(op, x):
    d = dt(x)
    f = UNARY[op]
    with np.errstate(all="ignore"):
        if d in INTS or d == "bool":
            if op in KEEP_INT:
                if d == "bool": return x.copy()
                return cast(f(x.astype(np.int64)), d)
            return f(x.astype(np.float64)).astype(np.float32)
        if d in ("float16", "bfloat16"):
            return np.asarray(f(x.astype(np.float32))).astype(np.float32).astype(NP[d])
        if op == "erf":
            return f(x.astype(np.float64)).astype(NP[d])
        return np.asarray(f(x)).astype(NP[d])

for op in UNARY:
    kind = "positive" if op in POS else "normal"
    for d in ["float32", "float64", "float16", "bfloat16"]:
        x = make((3, 5), d, kind)
        add(f"unary/{op}/{d}", "unary", {"op": op}, [x], [unary_expected(op, x)])
    x = make((4, 3), "float32", kind)
    add(f"unary/{op}/transposed", "unary", {"op": op, "transpose_input": True}, [x], [unary_expected(op, x.T)])
    for d in ["int32", "int64", "int8"]:
        x = make((7,), d, kind)
        add(f"unary/{op}/{d}", "unary", {"op": op}, [x], [unary_expected(op, x)])
    x = make((0, 3), "float32")
    add(f"unary/{op}/empty", "unary", {"op": op}, [x], [unary_expected(op, x)])
    x = make((), "float64", kind)
    add(f"unary/{op}/scalar", "unary", {"op": op}, [x], [unary_expected(op, x)])
# special values and halfway rounding
sp = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e30, -1e-30], dtype=np.float32)
for op in ["exp", "sqrt", "tanh", "sigmoid", "relu", "sign", "round", "floor", "abs", "neg", "square", "erf"]:
    add(f"unary/{op}/special", "unary", {"op": op}, [sp], [unary_expected(op, sp)])
b = make((6,), "bool")
add("unary/logicalNot/bool", "unary", {"op": "logicalNot"}, [b], [~b])
i = make((6,), "int32")
add("unary/logicalNot/int32", "unary", {"op": "logicalNot"}, [i], [i == 0])
add("unary/exp/bool", "unary", {"op": "exp"}, [b], [np.exp(b.astype(np.float64)).astype(np.float32)])

# ---------------- binary ----------------
def np_binary(op, a, b):
    return {
        "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "pow": np.power,
        "maximum": np.maximum, "minimum": np.minimum, "mod": np.remainder, "floorDiv": np.floor_divide,
        "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
        "logicalAnd": np.logical_and, "logicalOr": np.logical_or, "atan2": np.arctan2}[op](a, b)

CMP = {"eq", "ne", "lt", "le", "gt", "ge"}
def binary_expected(op, a, b, p=None):
    p = p or promote(dt(a), dt(b))
    with np.errstate(all="ignore"):
        if op in ("logicalAnd", "logicalOr"):
            return np_binary(op, a != 0, b != 0)
        if op in ("div", "atan2") and p not in FLOATS:
            return np_binary(op, a.astype(np.float64), b.astype(np.float64)).astype(np.float32)
        c = compute_dtype(p)
        r = np_binary(op, a.astype(c), b.astype(c))
        if op in CMP: return r
        return cast(r, p)

BIN_SHAPES = [((3, 4), (3, 4), "same"), ((3, 4), (4,), "row"), ((2, 1, 4), (3, 1), "bcast3"),
              ((4, 1), (1, 5), "outer"), ((3, 4), (), "scalar_right"), ((), (2, 3), "scalar_left"),
              ((0, 4), (4,), "empty"), ((1,), (5,), "size1")]
for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "mod", "floorDiv", "eq", "ne", "lt", "le", "gt", "ge", "atan2"]:
    for sa, sb, tag in BIN_SHAPES:
        kb = "positive" if op in ("div", "mod", "floorDiv") else "normal"
        a = make(sa, "float32", "positive" if op == "pow" else "normal")
        b = make(sb, "float32", kb)
        if op in ("mod", "floorDiv") and b.size:
            b = b * np.where(rng.random(b.shape) < 0.5, -1, 1).astype(np.float32)
        add(f"binary/{op}/{tag}", "binary", {"op": op}, [a, b], [binary_expected(op, a, b)])
    # transposed left input
    a = make((4, 3), "float32", "positive" if op == "pow" else "normal"); b = make((4,), "float32", "positive")
    add(f"binary/{op}/transposed", "binary", {"op": op, "transpose_input": True}, [a, b], [binary_expected(op, a.T, b)])
    # dtypes
    for d in ALL:
        if d == "bool" and op in ("sub", "mod", "floorDiv", "pow"): continue
        kind = "positive" if op in ("div", "mod", "floorDiv", "pow") else "normal"
        a = make((2, 3), d, "positive" if op == "pow" else "normal")
        b = make((3,), d, kind)
        if op == "pow" and d in INTS: b = rng.integers(0, 4, 3).astype(NP[d])
        add(f"binary/{op}/{d}", "binary", {"op": op}, [a, b], [binary_expected(op, a, b)])
# mixed dtypes
for da, db in [("int32", "float32"), ("int64", "float16"), ("float16", "bfloat16"), ("int8", "int64"), ("bool", "float64"),
               ("bfloat16", "float32"), ("bool", "int32"), ("int8", "int32")]:
    for op in ["add", "mul", "div", "lt", "maximum"]:
        a = make((2, 3), da, "positive"); b = make((2, 3), db, "positive")
        add(f"binary/{op}/{da}_{db}", "binary", {"op": op}, [a, b], [binary_expected(op, a, b)])
# special values
x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 5.0, -5.0], dtype=np.float32)
X, Y = np.meshgrid(x, x)
for op in ["add", "mul", "div", "maximum", "minimum", "mod", "floorDiv", "pow", "lt", "eq", "atan2"]:
    add(f"binary/{op}/special", "binary", {"op": op}, [X, Y], [binary_expected(op, X, Y)])
xi = np.array([7, -7, 7, -7, 0, 5, -9223372036854775807 - 1], dtype=np.int64)
yi = np.array([2, 2, -2, -2, 3, 0, -1], dtype=np.int64)
for op in ["mod", "floorDiv"]:
    with np.errstate(all="ignore"):
        add(f"binary/{op}/int_signs", "binary", {"op": op}, [xi, yi], [binary_expected(op, xi, yi)])
ba, bb = make((6,), "bool"), make((6,), "bool")
for op in ["logicalAnd", "logicalOr"]:
    add(f"binary/{op}/bool", "binary", {"op": op}, [ba, bb], [binary_expected(op, ba, bb)])
    ia = make((2, 3), "int32"); add(f"binary/{op}/int_bcast", "binary", {"op": op}, [ia, bb[:3]], [binary_expected(op, ia, bb[:3])])

# scalar variants (weak scalars)
def scalar_promote(d, is_float):
    if is_float: return d if d in FLOATS else "float32"
    return "int64" if d == "bool" else d
for d in ["float32", "float16", "int32", "int64", "bool", "bfloat16", "float64"]:
    for op, s, isf, left in [("add", 1.5, True, False), ("mul", 3, False, False), ("sub", 2.0, True, True),
                             ("div", 2, False, False), ("lt", 0.5, True, False), ("pow", 2, False, False), ("maximum", 0, False, False)]:
        if d == "bool" and op in ("sub", "pow"): continue
        a = make((2, 3), d, "positive")
        p = scalar_promote(d, isf)
        sdt = p if p in FLOATS else "int64"
        sv = np.asarray(s).astype(NP[sdt] if sdt not in ("float16", "bfloat16") else NP[sdt])
        exp = binary_expected(op, sv, a, p) if left else binary_expected(op, a, sv, p)
        add(f"binary_scalar/{op}/{d}", "binary_scalar", {"op": op, "scalar": s, "scalarIsFloat": isf, "scalarOnLeft": left}, [a], [exp])

# where / clamp
c = make((3, 1), "bool"); a = make((3, 4), "float32"); b = make((4,), "int32")
add("where/bcast", "where", {}, [c, a, b], [np.where(c, a, b.astype(np.float32))])
c2 = make((2, 3), "bool"); a2 = make((2, 3), "float16"); b2 = make((), "float16")
add("where/f16", "where", {}, [c2, a2, b2], [np.where(c2, a2, b2)])
for d in ["float32", "float64", "int32", "float16"]:
    x = make((3, 4), d)
    add(f"clamp/{d}", "clamp", {"min": -1.0, "max": 2.0}, [x], [np.clip(x, NP[d](-1), NP[d](2))])
x = np.array([np.nan, -5, 5, 0.5], dtype=np.float32)
add("clamp/min_only", "clamp", {"min": 0.0}, [x], [np.where(np.isnan(x), x, np.maximum(x, 0)).astype(np.float32)])
add("clamp/max_only", "clamp", {"max": 1.0}, [x], [np.where(np.isnan(x), x, np.minimum(x, 1)).astype(np.float32)])

# ---------------- reductions ----------------
def red_expected(op, x, axes, keepdims):
    d = dt(x)
    ax = tuple(axes) if axes is not None else None
    with np.errstate(all="ignore"):
        if op in ("any", "all"):
            return getattr(np, op)(x != 0, axis=ax, keepdims=keepdims)
        if op in ("argmax", "argmin"):
            r = getattr(np, op)(x.astype(np.float64) if d in ("bfloat16",) else x, axis=None if ax is None else ax[0], keepdims=keepdims)
            return np.asarray(r).astype(np.int64)
        if d in INTS or d == "bool":
            xi = x.astype(np.int64)
            if op == "sum": return np.asarray(np.sum(xi, axis=ax, keepdims=keepdims)).astype(np.int64)
            if op == "prod": return np.asarray(np.prod(xi, axis=ax, keepdims=keepdims)).astype(np.int64)
            if op in ("max", "min"): return cast(getattr(np, op)(xi, axis=ax, keepdims=keepdims), d)
            xf = x.astype(np.float64)
            if op == "mean": return np.asarray(np.mean(xf, axis=ax, keepdims=keepdims)).astype(np.float32)
            if op == "logsumexp": return np.asarray(lse(xf, ax, keepdims)).astype(np.float32)
        xf = x.astype(np.float64)
        f = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min}.get(op)
        r = lse(xf, ax, keepdims) if op == "logsumexp" else f(xf, axis=ax, keepdims=keepdims)
        return np.asarray(r).astype(NP[d])

def lse(x, ax, keepdims):
    m = np.max(x, axis=ax, keepdims=True) if x.size else np.zeros([1] * x.ndim)
    m = np.where(np.isfinite(m), m, 0)
    r = np.log(np.sum(np.exp(x - m), axis=ax, keepdims=True)) + m
    if not keepdims:
        r = np.squeeze(r, axis=ax) if ax is not None else r.reshape(())
    return r

RED_OPS = ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "any", "all", "logsumexp"]
for op in RED_OPS:
    axes_list = [None, [0], [-1], [0, 2], [1]] if op not in ("argmax", "argmin") else [None, [0], [-1], [1]]
    for axes in axes_list:
        for keep in [False, True]:
            x = make((2, 3, 4), "float32", "positive" if op == "prod" else "normal")
            add(f"reduce/{op}/{axes}/{keep}", "reduce", {"op": op, "axes": axes, "keepdims": keep}, [x], [red_expected(op, x, axes, keep)])
    x = make((5, 3), "float32")
    add(f"reduce/{op}/transposed", "reduce", {"op": op, "axes": [0], "keepdims": False, "transpose_input": True}, [x], [red_expected(op, x.T, [0], False)])
    for d in ["float64", "float16", "bfloat16", "int32", "int64", "int8", "bool"]:
        x = make((3, 4), d, "positive" if op == "prod" else "normal")
        add(f"reduce/{op}/{d}", "reduce", {"op": op, "axes": [1], "keepdims": False}, [x], [red_expected(op, x, [1], False)])
    x = make((), "float32")
    add(f"reduce/{op}/scalar", "reduce", {"op": op, "axes": None, "keepdims": False}, [x], [red_expected(op, x, None, False)])
    if op not in ("max", "min", "argmax", "argmin"):
        x = make((0, 3), "float32")
        add(f"reduce/{op}/empty", "reduce", {"op": op, "axes": [0], "keepdims": False}, [x], [red_expected(op, x, [0], False)])
    x = make((1, 3), "float32")
    add(f"reduce/{op}/size1", "reduce", {"op": op, "axes": [0], "keepdims": True}, [x], [red_expected(op, x, [0], True)])
# NaN handling and ties
x = np.array([[1, np.nan, 3, np.nan], [2, 5, 5, 1], [np.inf, -np.inf, 0, 1]], dtype=np.float32)
for op in ["max", "min", "argmax", "argmin", "sum", "logsumexp"]:
    add(f"reduce/{op}/nan", "reduce", {"op": op, "axes": [1], "keepdims": False}, [x], [red_expected(op, x, [1], False)])
# large (blocked / column fast paths): the input is generated on both sides (args "generated"):
# x[i] = ((i * 7919) % 1000 - 500) / 128, exact in float32.
def generated(shape):
    n = int(np.prod(shape))
    return (((np.arange(n, dtype=np.int64) * 7919) % 1000 - 500) / 128.0).astype(np.float32).reshape(shape)
def add_gen(name, op, args, shape, outputs):
    args = dict(args); args["generated"] = list(shape)
    cases.append({"name": name, "op": op, "args": args, "inputs": [], "outputs": [enc(o) for o in outputs]})
x = generated((64, 300))
for op in ["sum", "mean", "max", "min", "argmax", "logsumexp"]:
    for axes in [None, [0], [1]]:
        add_gen(f"reduce/{op}/large/{axes}", "reduce", {"op": op, "axes": axes, "keepdims": False}, x.shape, [red_expected(op, x, axes, False)])
x = generated((100003,))
add_gen("reduce/sum/blocked", "reduce", {"op": "sum", "axes": None, "keepdims": False}, x.shape, [red_expected("sum", x, None, False)])
add_gen("reduce/mean/blocked", "reduce", {"op": "mean", "axes": None, "keepdims": False}, x.shape, [red_expected("mean", x, None, False)])
for corr in [0, 1]:
    for axes in [None, [0], [-1]]:
        for d in ["float32", "float64", "int32"]:
            x = make((4, 5), d)
            exp_dt = d if d in FLOATS else "float32"
            v = np.var(x.astype(np.float64), axis=None if axes is None else tuple(axes), ddof=corr, keepdims=True)
            if axes is None: v = v.reshape(())
            else: v = np.squeeze(v, axis=tuple(axes))
            add(f"variance/{d}/{axes}/{corr}", "variance", {"axes": axes, "correction": corr, "keepdims": False}, [x], [v.astype(NP[exp_dt])])
            add(f"std/{d}/{axes}/{corr}", "std", {"axes": axes, "correction": corr, "keepdims": False}, [x], [np.sqrt(v).astype(NP[exp_dt])])
x = make((3, 4), "float32")
v = np.var(x.astype(np.float64), axis=1, keepdims=True)
add("variance/keepdims", "variance", {"axes": [1], "correction": 0, "keepdims": True}, [x], [v.astype(np.float32)])
for d in ["float32", "float64", "int32", "bool", "int8"]:
    for axis in [0, 1, -1]:
        x = make((3, 4), d)
        r = np.cumsum(x.astype(np.int64) if d in INTS + ["bool"] else x, axis=axis)
        add(f"cumsum/{d}/{axis}", "cumsum", {"axis": axis}, [x], [r])
x = make((4, 3), "float32")
add("cumsum/transposed", "cumsum", {"axis": 1, "transpose_input": True}, [x], [np.cumsum(x.T, axis=1)])

# ---------------- sorting ----------------
def torch_like_argsort(x, axis, desc):
    if not desc: return np.argsort(x, axis=axis, kind="stable")
    # descending stable with NaN first: sort by (-key) stable; NaN as +inf-greatest
    key = np.where(np.isnan(x), np.inf, x) if x.dtype.kind == "f" else x
    isn = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
    xs = np.moveaxis(key, axis, -1); ns = np.moveaxis(isn, axis, -1)
    out = np.empty(xs.shape, dtype=np.int64)
    for idx in np.ndindex(xs.shape[:-1]):
        row = xs[idx]; nrow = ns[idx]
        order = sorted(range(len(row)), key=lambda i: (0 if nrow[i] else 1, -float(row[i]) if not nrow[i] else 0, i))
        out[idx] = order
    return np.moveaxis(out, -1, axis)

for d in ["float32", "float64", "int32", "int64", "float16"]:
    for axis in [-1, 0]:
        for desc in [False, True]:
            x = make((4, 5), d)
            x = np.round(x).astype(x.dtype) if d in FLOATS else x   # ties
            o = torch_like_argsort(x.astype(np.float64) if d == "float16" else x, axis, desc)
            add(f"sort/{d}/{axis}/{desc}", "sort", {"axis": axis, "descending": desc}, [x], [np.take_along_axis(x, o, axis=axis), o.astype(np.int64)])
x = np.array([3, np.nan, 1, np.inf, -np.inf, 1, np.nan, 0], dtype=np.float32)
for desc in [False, True]:
    o = torch_like_argsort(x, 0, desc)
    add(f"sort/nan/{desc}", "sort", {"axis": 0, "descending": desc}, [x], [x[o], o.astype(np.int64)])
x = make((3, 4), "float32")
o = torch_like_argsort(x.T, 1, False)
add("sort/transposed", "sort", {"axis": 1, "descending": False, "transpose_input": True}, [x], [np.take_along_axis(x.T, o, 1), o])
add("sort/empty", "sort", {"axis": -1, "descending": False}, [make((0, 3), "float32")], [np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int64)])
for largest in [True, False]:
    for axis, k in [(-1, 3), (0, 2), (-1, 0), (-1, 6)]:
        x = np.round(make((4, 6), "float32"))
        o = torch_like_argsort(x, axis, largest)
        o = np.take(o, np.arange(k), axis=axis)
        add(f"topk/{axis}/{k}/{largest}", "topk", {"k": k, "axis": axis, "largest": largest}, [x], [np.take_along_axis(x, o, axis), o])

# ---------------- shape ops ----------------
x = make((2, 3, 4), "float32")
add("reshape/infer", "reshape", {"shape": [4, -1]}, [x], [x.reshape(4, -1)])
add("reshape/transposed", "reshape", {"shape": [12, 2], "transpose_input": True}, [x], [x.T.reshape(12, 2)])
y = make((1, 1), "int32"); add("reshape/scalar", "reshape", {"shape": []}, [y], [y.reshape(())])
add("flatten/transposed", "flatten", {"transpose_input": True}, [x], [x.T.reshape(-1)])
add("permute", "permute", {"axes": [2, 0, 1]}, [x], [np.transpose(x, (2, 0, 1))])
add("transpose2", "transpose2", {"a": 0, "b": -1}, [x], [np.swapaxes(x, 0, -1)])
z = make((1, 3, 1, 2), "float64")
add("squeeze/all", "squeeze", {}, [z], [np.squeeze(z)])
add("squeeze/axis", "squeeze", {"axis": -2}, [z], [np.squeeze(z, -2)])
for ax in [0, 2, -1]:
    add(f"unsqueeze/{ax}", "unsqueeze", {"axis": ax}, [x], [np.expand_dims(x, ax)])
a, b2, c3 = make((2, 3), "float32"), make((1, 3), "int32"), make((0, 3), "float16")
add("concat/axis0", "concat", {"axis": 0}, [a, b2, c3], [np.concatenate([a, b2.astype(np.float32), c3.astype(np.float32)], 0)])
a1, a2 = make((2, 3), "int64"), make((2, 2), "int8")
add("concat/axis1", "concat", {"axis": -1}, [a1, a2], [np.concatenate([a1, a2.astype(np.int64)], 1)])
t0, t1 = make((3, 2), "float32"), make((1, 3), "float32")
add("concat/transposed", "concat", {"axis": 0, "transpose_input": True}, [t0, t1], [np.concatenate([t0.T, t1], 0)])
s0, s1 = make((2, 3), "float32"), make((2, 3), "float32")
for ax in [0, 1, 2, -1]:
    add(f"stack/{ax}", "stack", {"axis": ax}, [s0, s1], [np.stack([s0, s1], ax)])
x = make((5, 4), "float32")
add("split/sizes", "split", {"sizes": [2, 0, 3], "axis": 0}, [x], [x[:2], x[2:2], x[2:]])
add("split/size", "split_size", {"size": 3, "axis": 1}, [x], [x[:, :3], x[:, 3:]])
add("chunk/3", "chunk", {"n": 3, "axis": 0}, [x], [x[:2], x[2:4], x[4:]])
add("chunk/4_of_4", "chunk", {"n": 4, "axis": 1}, [x], [x[:, i:i + 1] for i in range(4)])
y = make((2, 3), "int32")
add("repeat/2x2", "repeat", {"reps": [2, 2]}, [y], [np.tile(y, (2, 2))])
add("repeat/lead", "repeat", {"reps": [2, 1, 3]}, [y], [np.tile(y, (2, 1, 3))])
add("repeat/transposed", "repeat", {"reps": [1, 2], "transpose_input": True}, [y], [np.tile(y.T, (1, 2))])
add("repeat/zero", "repeat", {"reps": [0, 1]}, [y], [np.tile(y, (0, 1))])
add("pad/2d", "pad", {"widths": [[1, 0], [2, 1]], "value": -1.0}, [x], [np.pad(x, ((1, 0), (2, 1)), constant_values=-1)])
add("pad/first_axis_only", "pad", {"widths": [[0, 2]], "value": 0.0}, [y], [np.pad(y, ((0, 2), (0, 0)))])
add("pad/transposed", "pad", {"widths": [[1, 1], [0, 0]], "value": 3.0, "transpose_input": True}, [x], [np.pad(x.T, ((1, 1), (0, 0)), constant_values=3)])
v = make((7, 3), "float32")
for (s, e, st) in [(1, 5, 1), (-3, 100, 1), (0, 7, 2), (6, 0, -2), (-1, -100, -1), (5, 2, 1), (-100, 3, 1), (2, 2, 1)]:
    add(f"slice/{s}:{e}:{st}", "slice", {"axis": 0, "start": s, "end": e, "step": st}, [v], [v[s:e:st]])
add("slice/axis1", "slice", {"axis": -1, "start": 1, "end": 3, "step": 1}, [v], [v[:, 1:3]])
add("slice/transposed", "slice", {"axis": 1, "start": 0, "end": 7, "step": 3, "transpose_input": True}, [v], [v.T[:, 0:7:3]])
b = make((3,), "float32")
add("broadcast/to", "broadcast", {"shape": [2, 4, 3]}, [b], [np.broadcast_to(b, (2, 4, 3))])
q = make((3, 1), "int8"); add("broadcast/size1", "broadcast", {"shape": [3, 3]}, [q], [np.broadcast_to(q, (3, 3))])

# ---------------- indexing ----------------
def item(t, **kw):
    d = {"t": t}; d.update(kw); return d
X = make((4, 5, 3), "float32")
SL = lambda s, e, st: slice(s, e, st)
basic = [
    ("int", [item("index", i=1)], (1,)),
    ("negint", [item("index", i=-1), item("index", i=2)], (-1, 2)),
    ("range", [item("range", start=1, end=None, step=2)], (slice(1, None, 2),)),
    ("revrange", [item("all"), item("range", start=None, end=None, step=-1)], (slice(None), slice(None, None, -1))),
    ("clamp", [item("range", start=-10, end=10, step=1), item("range", start=3, end=1, step=1)], (slice(-10, 10), slice(3, 1))),
    ("newaxis", [item("newAxis"), item("index", i=0), item("newAxis")], (None, 0, None)),
    ("mixed", [item("range", start=None, end=-1, step=1), item("index", i=-2), item("range", start=None, end=None, step=-2)], (slice(None, -1), -2, slice(None, None, -2))),
    ("all3", [item("all"), item("all"), item("index", i=1)], (slice(None), slice(None), 1)),
]
for name, items, idx in basic:
    add(f"index/{name}", "index", {"items": items}, [X], [X[idx]])
add("index/transposed", "index", {"items": [item("index", i=0)], "transpose_input": True}, [X], [X.T[0]])
m = X[:, :, 0] > 0
add("index/mask2d", "index", {"items": [item("mask")]}, [X, m], [X[m]])
m1 = np.array([True, False, True])
add("index/mask_last", "index", {"items": [item("all"), item("all"), item("mask")]}, [X, m1], [X[:, :, m1]])
m2 = np.array([False, True, True, False, True])
add("index/mask_mid", "index", {"items": [item("index", i=2), item("mask")]}, [X, m2], [X[2, m2]])
g = np.array([[0, -1], [2, 2]], dtype=np.int64)
add("index/gather_first", "index", {"items": [item("gather")]}, [X, g], [X[g]])
g1 = np.array([4, 0, 1], dtype=np.int32)
add("index/gather_mid", "index", {"items": [item("range", start=1, end=3, step=1), item("gather")]}, [X, g1], [X[1:3, g1]])
add("index/gather_after_newaxis", "index", {"items": [item("newAxis"), item("all"), item("all"), item("gather")]}, [X, np.array([2, 0], np.int64)], [X[None, :, :, np.array([2, 0])]])
# assign
for name, items, idx, vshape in [("row", [item("index", i=1)], (1,), (3,)), ("slice", [item("range", start=None, end=None, step=2), item("index", i=0)], (slice(None, None, 2), 0), ()),
                                 ("block", [item("range", start=1, end=3, step=1), item("range", start=None, end=None, step=-2)], (slice(1, 3), slice(None, None, -2)), (3, 3))]:
    val = make(vshape, "float64")
    Y = X.copy(); Y[idx] = val
    add(f"assign/{name}", "assign", {"items": items}, [X, val], [Y])
val = make((3,), "float32"); Y = X.copy(); Y[m] = val
add("assign/mask", "assign", {"items": [item("mask")]}, [X, val, m], [Y])
val = make((), "int32"); Y = X.copy(); Y[:, g1] = val.astype(np.float32)
add("assign/gather", "assign", {"items": [item("all"), item("gather")]}, [X, val, g1], [Y])
# gather / indexSelect / scatterAdd
src = make((3, 4), "float32")
gi = rng.integers(0, 3, (2, 4)).astype(np.int64)
add("gather/axis0", "gather", {"axis": 0}, [src, gi], [np.take_along_axis(src, gi, 0)])
gi1 = rng.integers(-4, 4, (3, 2)).astype(np.int64)
add("gather/axis1", "gather", {"axis": 1}, [src, gi1], [np.take_along_axis(src, np.where(gi1 < 0, gi1 + 4, gi1), 1)])
gi2 = rng.integers(0, 3, (4, 2)).astype(np.int64)
add("gather/transposed", "gather", {"axis": 1, "transpose_input": True}, [src, gi2], [np.take_along_axis(src.T, gi2, 1)])
emb = make((6, 3), "float32"); ids = np.array([[5, 0], [2, 2]], dtype=np.int64)
add("indexSelect/embedding", "indexSelect", {"axis": 0}, [emb, ids], [emb[ids]])
add("indexSelect/axis1", "indexSelect", {"axis": 1}, [emb, np.array([2, 0, 2], np.int32)], [emb[:, [2, 0, 2]]])
e2 = make((4, 2), "int64"); add("indexSelect/int64data", "indexSelect", {"axis": 0}, [e2, np.array([3, -4], np.int64)], [e2[[3, 0]]])
sv = make((2, 4), "float32"); out = np.zeros((3, 4), np.float32)
for i in range(2):
    for j in range(4): out[gi[i, j], j] += sv[i, j]
add("scatterAdd/gatherForm", "scatterAdd", {"shape": [3, 4], "axis": 0}, [gi, sv], [out])
gs = make((2, 2, 3), "float32"); out = np.zeros((6, 3), np.float32)
np.add.at(out, ids, gs)
add("scatterAdd/indexSelectForm", "scatterAdd", {"shape": [6, 3], "axis": 0}, [ids, gs], [out])

# ---------------- creation ----------------
for (s, e, st, d) in [(0, 5, 1, "int64"), (0, 1, 0.1, "float32"), (5, 0, -1.5, "float64"), (1, 1, 1, "float32"), (-2, 3, 2, "int32"), (0, 2.5, 0.5, "float16")]:
    add(f"arange/{s}/{e}/{st}/{d}", "arange", {"start": s, "end": e, "step": st, "dtype": d}, [], [np.arange(s, e, st, dtype=np.float64).astype(NP[d])])
for (s, e, n, d) in [(0, 1, 5, "float32"), (-1, 1, 1, "float64"), (2, -3, 7, "float64"), (0, 1, 0, "float32"), (0, 10, 4, "int32")]:
    add(f"linspace/{s}/{e}/{n}/{d}", "linspace", {"start": s, "end": e, "count": n, "dtype": d}, [], [np.linspace(s, e, n).astype(NP[d])])
for (n, mm) in [(3, None), (2, 4), (4, 2), (0, None)]:
    add(f"eye/{n}/{mm}", "eye", {"n": n, "m": mm, "dtype": "float32"}, [], [np.eye(n, mm, dtype=np.float32)])

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "Tests", "KoanTensorTests", "Fixtures", "core.json")
with open(path, "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))
print(f"{len(cases)} cases, {os.path.getsize(path)} bytes -> {os.path.normpath(path)}")
