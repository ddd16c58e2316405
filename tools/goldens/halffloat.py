#!/usr/bin/env python3
"""Bit-exact goldens for the 16-bit float conversions (HalfFloat / NDArray.to).

float32/float64 -> float16 against NumPy, -> bfloat16 against ml_dtypes, and the
reverse conversions. Source bit patterns are hex strings in args["src_bits"]
(JSON numbers cannot carry NaN payloads); expected 16-bit results use "bits",
expected float32 results of the reverse conversions are hex in args["expected_bits"].
"""
import json, os
import numpy as np
import ml_dtypes

BF16 = ml_dtypes.bfloat16
rng = np.random.default_rng(99)

def f32_bits_list():
    special = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fa00000, 0x7fffffff, 0xffffffff,
               0x7f802000, 0x7fc02000, 0x7f810000, 0xff812345,      # NaNs with payloads and signs
               0x7f800000, 0xff800000, 0x00000000, 0x80000000,       # inf, zeros
               0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000,       # f32 max / min normal
               0x00000001, 0x807fffff, 0x00400000, 0x00010000, 0x00018000, 0x00008000,  # f32 subnormals
               0x7f7f8000, 0x7f7f7fff, 0x7f7f8001, 0x7f7e8000,       # bf16 overflow / ties at the top
               0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff,       # bf16 ties around 1
               0x3f801000, 0x3f803000, 0x3f801001, 0x3f800fff,       # f16 ties around 1
               ]
    vals = [65504.0, 65519.996, 65520.0, 65536.0, 1e10, -1e10, 6.1035156e-05, 6.097555e-05,
            5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 8.940697e-08, 1e-10, -1e-10, 3.0517578e-05,
            4.5776367e-05, 0.1, 1/3, -2.5, 1.0, -1.0, 3.3895314e38, 1.1754942e-38]
    special += [int(np.array(v, np.float32).view(np.uint32)) for v in vals]
    rand = rng.integers(0, 2**32, 2000, dtype=np.uint64).astype(np.uint32).tolist()
    # values concentrated in the float16 range
    near = (rng.standard_normal(1500) * np.exp(rng.uniform(-20, 12, 1500))).astype(np.float32).view(np.uint32).tolist()
    return special + rand + near

def f64_bits_list():
    special = [0x7ff8000000000000, 0xfff8000000000000, 0x7ff0000000000001, 0x7ff4000000000000, 0xfff0000020000000,
               0x7ff0000000000000, 0xfff0000000000000, 0, 0x8000000000000000, 0x7fefffffffffffff, 0x0000000000000001]
    vals = [65504.0, 65519.99999, 65520.0, 1e300, -1e300, 5.960464477539063e-08, 2.9802322387695312e-08,
            2.9802322387695315e-08, 1 + 2**-11, 1 + 2**-11 + 2**-40, 1 + 3 * 2**-11, 1 + 2**-8, 1 + 2**-8 + 2**-40,
            1 + 3 * 2**-8, 1 - 2**-9 - 2**-40, 3.3961775292304744e38, 3.4028235677973366e38, 1e-40, 1e-45, 0.1, -1/3]
    special += [int(np.array(v, np.float64).view(np.uint64)) for v in vals]
    rand = rng.integers(0, 2**63, 1000, dtype=np.uint64).tolist()
    rand = [r | (2**63 if i % 2 else 0) for i, r in enumerate(rand)]
    near = (rng.standard_normal(1500) * np.exp(rng.uniform(-20, 12, 1500))).astype(np.float64).view(np.uint64).tolist()
    return special + rand + near

cases = []
def add(name, op, src_hex, out):
    cases.append({"name": name, "op": op, "args": {"src_bits": src_hex}, "inputs": [], "outputs": [out]})

b32 = np.array(f32_bits_list(), dtype=np.uint32)
x32 = b32.view(np.float32)
with np.errstate(all="ignore"):
    add("f32->f16", "f32_to_f16", [f"{v:08x}" for v in b32.tolist()],
        {"dtype": "float16", "shape": [len(b32)], "bits": x32.astype(np.float16).view(np.uint16).tolist()})
    add("f32->bf16", "f32_to_bf16", [f"{v:08x}" for v in b32.tolist()],
        {"dtype": "bfloat16", "shape": [len(b32)], "bits": x32.astype(BF16).view(np.uint16).tolist()})
    b64 = np.array(f64_bits_list(), dtype=np.uint64)
    x64 = b64.view(np.float64)
    add("f64->f16", "f64_to_f16", [f"{v:016x}" for v in b64.tolist()],
        {"dtype": "float16", "shape": [len(b64)], "bits": x64.astype(np.float16).view(np.uint16).tolist()})
    add("f64->bf16", "f64_to_bf16", [f"{v:016x}" for v in b64.tolist()],
        {"dtype": "bfloat16", "shape": [len(b64)], "bits": x64.astype(BF16).view(np.uint16).tolist()})
    # reverse: every 13th pattern plus all specials (exact conversions)
    h = sorted(set(range(0, 65536, 13)) | {0x7c00, 0xfc00, 0x7e00, 0xfe00, 0x7c01, 0xfd55, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x8000, 0x0000})
    h = np.array(h, dtype=np.uint16)
    for name, src_dtype in [("f16->f32", np.float16), ("bf16->f32", BF16)]:
        f = h.view(src_dtype).astype(np.float32).view(np.uint32)
        cases.append({"name": name, "op": name.replace("->", "_to_").replace("f16", "f16").replace("bf16", "bf16"),
                      "args": {"src_bits16": h.tolist(), "expected_bits": [f"{v:08x}" for v in f.tolist()]}, "inputs": [], "outputs": []})

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "Tests", "KoanTensorTests", "Fixtures", "halffloat.json")
with open(path, "w") as fh:
    json.dump({"cases": cases}, fh, separators=(",", ":"))
print(f"{len(cases)} cases, {os.path.getsize(path)} bytes -> {os.path.normpath(path)}")
