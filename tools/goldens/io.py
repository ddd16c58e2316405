#!/usr/bin/env python3
"""Goldens for KoanTensor Area 3 (I/O and display).

Writes
  Tests/KoanTensorTests/Fixtures/io/*.npy, *.npz   files written by NumPy (and ml_dtypes)
  Tests/KoanTensorTests/Fixtures/io.json           expected contents and repr strings

Cases (GoldenFixture format):
  op "npy":        args.file = a .npy fixture; outputs[0] = the array it holds
  op "npy_error":  args.file, args.contains = a substring of the invalidFile reason
  op "npz":        args.file, args.names = member names; outputs = the members in order
  op "format":     inputs[0] = the array (args.transpose: format its reversed-axes view),
                   args.expected = the exact formatted() string, plus maxElements,
                   edgeItems, precision

The repr strings are produced by NumPy itself: np.array2string with floatmode="fixed",
separator ", ", prefix "Tensor(", suffix "," (linewidth 75 - 1), then wrapped as
"Tensor(<body>, shape: [..], dtype: <name>)"; bools lowercased. bfloat16 cases are
formatted from the exact float32 values (ml_dtypes' own repr does not follow
FloatingFormat).

Run: python3 tools/goldens/io.py   (needs numpy, ml_dtypes)
"""
import io as _io
import json
import math
import os

import ml_dtypes
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIX = os.path.join(ROOT, "Tests", "KoanTensorTests", "Fixtures")
DIR = os.path.join(FIX, "io")
os.makedirs(DIR, exist_ok=True)

KOAN = {
    np.dtype(np.float32): "float32", np.dtype(np.float64): "float64", np.dtype(np.float16): "float16",
    np.dtype(np.int8): "int8", np.dtype(np.int32): "int32", np.dtype(np.int64): "int64",
    np.dtype(np.bool_): "bool", np.dtype(ml_dtypes.bfloat16): "bfloat16",
}


def fnum(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def tensor(a, koan_dtype=None):
    a = np.array(a, order="C")  # (np.ascontiguousarray would turn 0-d into 1-d)
    name = koan_dtype or KOAN[a.dtype.newbyteorder("=")]
    t = {"dtype": name, "shape": list(a.shape)}
    if name == "bfloat16":
        t["bits"] = [int(b) for b in a.astype(ml_dtypes.bfloat16).view(np.uint16).ravel()]
    elif name in ("float32", "float64", "float16"):
        t["data"] = [fnum(x) for x in a.ravel()]
    else:
        t["data"] = [int(x) for x in a.ravel()]
    return t


cases = []


def save(name, a, **kw):
    path = os.path.join(DIR, name)
    np.save(path, a, **kw)
    return "io/" + name


def raw(name, data):
    with open(os.path.join(DIR, name), "wb") as f:
        f.write(data)
    return "io/" + name


def npy_case(file, expected, koan_dtype=None):
    cases.append({"name": "npy/" + file, "op": "npy", "args": {"file": file},
                  "inputs": [], "outputs": [tensor(expected, koan_dtype)]})


def err_case(file, contains):
    cases.append({"name": "npy_error/" + file, "op": "npy_error",
                  "args": {"file": file, "contains": contains}, "inputs": [], "outputs": []})


# ---------- every dtype, as np.save writes it ----------
floats = [0.0, -0.0, 1.5, -2.25, 3.1415927, 1e-3, 65504.0, float("nan"), float("inf"), float("-inf")]
for dt, name in [(np.float32, "f4"), (np.float64, "f8"), (np.float16, "f2")]:
    a = np.array(floats, dtype=dt).reshape(2, 5)
    npy_case(save(f"{name}.npy", a), a)
a = np.array([1e-30, 1e30, 123456789.0, -1 / 3], dtype=np.float64)
npy_case(save("f8_extreme.npy", a), a)
for dt, name in [(np.int8, "i1"), (np.int32, "i4"), (np.int64, "i8")]:
    info = np.iinfo(dt)
    a = np.array([[0, 1, -1], [info.min, info.max, 42]], dtype=dt)
    npy_case(save(f"{name}.npy", a), a)
a = np.array([[True, False, True], [False, False, True]])
npy_case(save("b1.npy", a), a)

# bfloat16: np.save writes descr '<V2' (raw void); Koan reads that as bfloat16.
bf = np.array([1.5, -2.0, 3.140625, float("nan"), float("inf"), -0.0, 1e-20, 3e38], dtype=ml_dtypes.bfloat16)
npy_case(save("bf16_v2.npy", bf), bf)
# ... and the 'bfloat16' descr Koan writes (np.load reads it when ml_dtypes is imported).
buf = _io.BytesIO()
np.save(buf, bf)
data = buf.getvalue().replace(b"'descr': '<V2',", b"'descr': 'bfloat16',").replace(b"     \n", b"\n", 1)
assert (len(data) - 16) % 64 == 0 and np.load(_io.BytesIO(data)).dtype == ml_dtypes.bfloat16
npy_case(raw("bf16_descr.npy", data), bf)

# ---------- byte order, layout, versions, special shapes ----------
for code, src in [(">f4", [1.5, -2.0, np.pi]), (">f8", [1.5, -2.0, np.pi]), (">f2", [1.5, -2.0, 0.1]),
                  (">i4", [1, -2, 2**31 - 1]), (">i8", [1, -2, 2**62]), ("<i2", [-32768, 5, 32767]),
                  (">i2", [-32768, 5, 32767]), ("|u1", [0, 7, 255]), ("<u2", [0, 7, 65535]),
                  (">u2", [0, 7, 65535]), ("<u4", [0, 7, 2**32 - 1])]:
    a = np.array(src, dtype=np.dtype(code))
    file = save(f"order_{code[0] == '>' and 'be' or 'le'}_{code[1:]}.npy", a)
    koan = {"f4": "float32", "f8": "float64", "f2": "float16", "i4": "int32", "i8": "int64",
            "i2": "int32", "u1": "int32", "u2": "int32", "u4": "int64"}[code[1:]]
    npy_case(file, a.astype(a.dtype.newbyteorder("=")), koan)

a = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5)
npy_case(save("fortran_f4.npy", a), a)
a = np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))
npy_case(save("fortran_i4_3d.npy", a), a)
a = np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3).astype(">f8"))
npy_case(save("fortran_be_f8.npy", a), a.astype(np.float64))

npy_case(save("scalar_f8.npy", np.array(3.5)), np.array(3.5))
npy_case(save("scalar_i8.npy", np.array(-7, dtype=np.int64)), np.array(-7, dtype=np.int64))
npy_case(save("empty_f4_0x3.npy", np.zeros((0, 3), np.float32)), np.zeros((0, 3), np.float32))
npy_case(save("empty_i8.npy", np.zeros((0,), np.int64)), np.zeros((0,), np.int64))
npy_case(save("ones_1x1x1.npy", np.ones((1, 1, 1), np.float16)), np.ones((1, 1, 1), np.float16))

for version in [(2, 0), (3, 0)]:
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = _io.BytesIO()
    np.lib.format.write_array(b, a, version=version)
    npy_case(raw(f"version{version[0]}.npy", b.getvalue()), a)

# ---------- unsupported / malformed ----------
err_case(save("bad_object.npy", np.array([1, "a", None], dtype=object), allow_pickle=True), "object")
err_case(save("bad_structured.npy", np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")])), "structured")
err_case(save("bad_complex.npy", np.zeros(3, dtype=np.complex64)), "complex")
err_case(save("bad_unicode.npy", np.array(["ab", "c"])), "string")
err_case(save("bad_u8.npy", np.zeros(3, dtype=np.uint64)), "uint64")
good = open(os.path.join(DIR, "f4.npy"), "rb").read()
err_case(raw("bad_magic.npy", b"\x93NUMPX" + good[6:]), "magic")
err_case(raw("bad_truncated.npy", good[:-3]), "truncated")
err_case(raw("bad_trailing.npy", good + b"\0\0\0\0"), "trailing")
err_case(raw("bad_version.npy", good[:6] + b"\x07\x00" + good[8:]), "version")
err_case(raw("bad_header.npy", good.replace(b"'fortran_order': False", b"'fortran_order': Fals_")), "header")
err_case(raw("bad_shape.npy", good.replace(b"(2, 5)", b"(2, 6)")), "truncated")
err_case(raw("bad_empty.npy", b""), "magic")

# ---------- npz ----------
members = {"weight": np.arange(6, dtype=np.float32).reshape(2, 3), "bias": np.array([0.5, -1.0]),
           "steps": np.array(7, dtype=np.int64), "mask": np.array([True, False]),
           "layer.0.half": np.array([1.5, 2.5], dtype=np.float16), "empty": np.zeros((0, 2), np.int8)}
for kind, fn in [("savez", np.savez), ("savez_compressed", np.savez_compressed)]:
    path = os.path.join(DIR, kind + ".npz")
    fn(path, **members)
    cases.append({"name": "npz/" + kind, "op": "npz", "args": {"file": "io/" + kind + ".npz", "names": list(members)},
                  "inputs": [], "outputs": [tensor(v) for v in members.values()]})
bigz = os.path.join(DIR, "savez_compressed_big.npz")
big = (np.arange(5000, dtype=np.float32) % 17).reshape(50, 100)
np.savez_compressed(bigz, big=big, ids=np.arange(3000, dtype=np.int64))
cases.append({"name": "npz/compressed_big", "op": "npz", "args": {"file": "io/savez_compressed_big.npz", "names": ["big", "ids"]},
              "inputs": [], "outputs": [tensor(big), tensor(np.arange(3000, dtype=np.int64))]})
zbytes = open(os.path.join(DIR, "savez.npz"), "rb").read()
err_case(raw("bad_zip_truncated.npz", zbytes[: len(zbytes) // 2]), "zip")
corrupt = bytearray(zbytes)
corrupt[200] ^= 0xFF  # inside the first member's data → CRC mismatch
err_case(raw("bad_zip_crc.npz", bytes(corrupt)), "CRC")


# ---------- format ----------
def koan_repr(a, koan_dtype=None, max_elements=1000, edge=3, precision=4):
    name = koan_dtype or KOAN[a.dtype]
    if a.size == 0 and a.ndim > 0:
        return f"Tensor([], shape: {list(a.shape)}, dtype: {name})"
    body = np.array2string(a, max_line_width=75, precision=precision, floatmode="fixed", separator=", ",
                           prefix="Tensor(", suffix=",", threshold=max_elements, edgeitems=edge)
    if a.dtype == np.bool_:
        body = body.replace("True", "true").replace("False", "false")
    if a.ndim == 0:
        return f"Tensor({body}, dtype: {name})"
    return f"Tensor({body}, shape: {list(a.shape)}, dtype: {name})"


def fmt_case(name, a, koan_dtype=None, transpose=False, **kw):
    shown = a.T if transpose else a
    exp = koan_repr(shown, koan_dtype, **kw)
    args = {"expected": exp, "transpose": transpose, "maxElements": kw.get("max_elements", 1000),
            "edgeItems": kw.get("edge", 3), "precision": kw.get("precision", 4)}
    stored = a.astype(np.float32) if koan_dtype == "bfloat16" else a
    t = tensor(stored, koan_dtype)
    if koan_dtype == "bfloat16":
        t = tensor(a.astype(ml_dtypes.bfloat16))
    cases.append({"name": "format/" + name, "op": "format", "args": args, "inputs": [t], "outputs": []})


rng = np.random.default_rng(3)
fmt_case("example", np.array([[1.0, -0.5, 2.25], [0.0, 3.14159265, -1.0]], dtype=np.float32))
fmt_case("scalar_f32", np.array(3.5, dtype=np.float32))
fmt_case("scalar_nan", np.array(np.nan, dtype=np.float64))
fmt_case("scalar_i64", np.array(-12, dtype=np.int64))
fmt_case("scalar_bool", np.array(True))
fmt_case("empty_0x3", np.zeros((0, 3), np.float32))
fmt_case("empty_1d_i", np.zeros((0,), np.int64))
fmt_case("ints", np.array([[1, -20, 300], [4, 5, 6]], dtype=np.int32))
fmt_case("int64_extremes", np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max], dtype=np.int64))
fmt_case("int8", np.arange(-5, 5, dtype=np.int8))
fmt_case("bools", np.array([[True, False], [False, True]]))
fmt_case("bools_all_true", np.array([True, True, True]))
fmt_case("nonfinite", np.array([1.0, np.nan, np.inf, -np.inf, -2.5], dtype=np.float32))
fmt_case("all_nan", np.array([np.nan, np.nan], dtype=np.float32))
fmt_case("nan_inf_only", np.array([np.nan, -np.inf], dtype=np.float64))
fmt_case("zeros", np.zeros((2, 2), np.float64))
fmt_case("negzero", np.array([-0.0, 1.0], np.float64))
fmt_case("sci_large", np.array([1.0, 2.5e8, -3.0], dtype=np.float64))
fmt_case("sci_small", np.array([1e-5, 0.5, -0.25], dtype=np.float32))
fmt_case("sci_ratio", np.array([0.5, 600.0], dtype=np.float64))
fmt_case("sci_ratio_no", np.array([0.5, 499.0], dtype=np.float64))
fmt_case("sci_exp3", np.array([1e-200, 1.0, 1e100, np.nan], dtype=np.float64))
fmt_case("sci_nonfinite", np.array([1e10, -np.inf, np.nan], dtype=np.float32))
fmt_case("f32_boundary_1e-4", np.array([1e-4, 0.01], dtype=np.float32))
fmt_case("f64_boundary_1e-4", np.array([1e-4, 0.01], dtype=np.float64))
fmt_case("f32_boundary_1e8", np.array([1e8, 1e6], dtype=np.float32))
fmt_case("ties_even", np.array([0.125, 0.375, -0.625, 2.5], dtype=np.float64), precision=2)
fmt_case("precision0", np.array([0.5, 1.5, -2.5, 3.0], dtype=np.float64), precision=0)
fmt_case("precision0_sci", np.array([1e9, 2.0], dtype=np.float64), precision=0)
fmt_case("precision8", np.array([np.pi, -np.e], dtype=np.float64), precision=8)
fmt_case("float16", np.array([0.1, 65504, -1.5, 2e-3], dtype=np.float16))
fmt_case("float16_small", np.array([1e-4, 1.0], dtype=np.float16))
fmt_case("bfloat16", np.array([1.5, -2.0, 3.140625, 100.0], dtype=np.float32), koan_dtype="bfloat16")
fmt_case("wrap_1d", (np.arange(40, dtype=np.float64) - 20) * 1.25)
fmt_case("wrap_1d_ints", np.arange(100, dtype=np.int64) * 1000)
fmt_case("wrap_2d", rng.standard_normal((3, 14)).astype(np.float32))
fmt_case("summary_1d", np.arange(2000, dtype=np.float32))
fmt_case("summary_2d", np.arange(40 * 50, dtype=np.int32).reshape(40, 50) - 1000)
fmt_case("summary_3d", rng.standard_normal((10, 11, 12)))
fmt_case("summary_edge1", np.arange(100, dtype=np.int64).reshape(10, 10), max_elements=10, edge=1)
fmt_case("summary_edge2_3d", np.arange(5 * 6 * 7, dtype=np.float32).reshape(5, 6, 7), max_elements=50, edge=2)
fmt_case("summary_small_axis", np.arange(2 * 600, dtype=np.int32).reshape(2, 600))
fmt_case("rank3", rng.standard_normal((2, 3, 4)).astype(np.float32))
fmt_case("rank4", np.arange(2 * 2 * 2 * 3, dtype=np.int64).reshape(2, 2, 2, 3))
fmt_case("size1_dims", np.array([[[2.5]]], dtype=np.float32))
fmt_case("transposed", np.arange(12, dtype=np.float32).reshape(3, 4) / 3, transpose=True)
fmt_case("transposed_summary", np.arange(1200, dtype=np.int64).reshape(30, 40), transpose=True)
fmt_case("mixed_magnitudes_sci", np.array([[1e-3, 1e3], [5.0, -7e5]], dtype=np.float64))
fmt_case("f16_ratio_overflow", np.array([6e-5, 60000], dtype=np.float16))
fmt_case("f32_ratio_boundary", np.array([0.001, 1.0], dtype=np.float32))
fmt_case("f64_ratio_boundary", np.array([0.001, 1.0], dtype=np.float64))
fmt_case("f32_cutoff_below_1e6", np.array([999999.0, 1000.0], dtype=np.float32))
fmt_case("f32_cutoff_1e6", np.array([1e6, 2000.0], dtype=np.float32))
fmt_case("f16_cutoff_below_1e3", np.array([999.0, 2.0], dtype=np.float16))
fmt_case("f16_cutoff_1e3", np.array([1000.0, 2.0], dtype=np.float16))
fmt_case("f64_cutoff_1e8", np.array([99999999.0, 1e5], dtype=np.float64))
fmt_case("bools_wrap", np.arange(60) % 3 == 0)
fmt_case("sci_wrap_2d", (rng.standard_normal((3, 9)) * 1e9).astype(np.float64))

# A randomised sweep: shapes, magnitudes, dtypes, summarisation and precision.
sweep = np.random.default_rng(11)
for k in range(80):
    rank = int(sweep.integers(1, 5))
    shape = tuple(int(sweep.integers(1, 9 if rank > 2 else 30)) for _ in range(rank))
    kind = ["float32", "float64", "float16", "int32", "int64", "int8", "bool"][k % 7]
    scale = 10.0 ** float(sweep.integers(-6, 10))
    if kind.startswith("float"):
        with np.errstate(over="ignore"):
            a = (sweep.standard_normal(shape) * scale).astype(kind)
        if k % 5 == 0:
            a.ravel()[sweep.integers(0, a.size)] = [np.nan, np.inf, -np.inf][k % 3]
    elif kind == "bool":
        a = sweep.random(shape) < 0.5
    else:
        hi = {"int8": 127, "int32": 2**31 - 1, "int64": 2**62}[kind]
        a = sweep.integers(-min(hi, int(scale) + 1), min(hi, int(scale) + 1), size=shape).astype(kind)
    max_elements = int(sweep.choice([10, 50, 1000]))
    edge = int(sweep.integers(1, 4))
    precision = int(sweep.integers(0, 7))
    fmt_case(f"sweep_{k}_{kind}", a, max_elements=max_elements, edge=edge, precision=precision,
             transpose=bool(k % 4 == 1))

with open(os.path.join(FIX, "io.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1)
print(f"wrote {len(cases)} cases to Fixtures/io.json and {len(os.listdir(DIR))} files to Fixtures/io/")
