"""Golden fixtures for KoanTensor's safetensors reader and writer, written by the reference `safetensors` package.

    pip install safetensors numpy torch
    python3 tools/goldens/safetensors.py

Writes into Tests/KoanTensorTests/Fixtures/safetensors/:
  all_dtypes.safetensors   safetensors.torch.save_file: every Koan dtype (bf16 too), 0-d and
                           empty tensors, special values (NaN, ±inf, -0, subnormals, extreme
                           integers), non-ASCII / escaped names, and metadata
  numpy_plain.safetensors  safetensors.numpy.save_file, no metadata (Koan's writer must
                           reproduce it byte for byte)
  torch_plain.safetensors  safetensors.torch.save_file with bf16, no metadata (same)
  one_meta.safetensors     safetensors.numpy.save_file with one metadata key (same)
  unsupported.safetensors  U8, I16, U16, U32, U64 and F8_E4M3 tensors beside an F32 one
  safetensors_expected.json  for every file: tensors in header order with dtype, shape and
                           the raw bit pattern of each element as hex (bit-exact comparison),
                           plus the metadata
"""
import json
import os
import sys

# This script is called safetensors.py: keep its own folder off the import path so that
# `import safetensors` finds the package, not this file.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]

import numpy as np
import torch
from safetensors.numpy import save_file as np_save
from safetensors.torch import save_file as torch_save
from safetensors import safe_open

OUT = os.path.join(HERE, "..", "..", "Tests", "KoanTensorTests", "Fixtures", "safetensors")

rng = np.random.default_rng(20261123)

KOAN = {
    torch.float64: "float64", torch.float32: "float32", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int8: "int8", torch.bool: "bool",
}
UINT = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def bits_of(t: torch.Tensor):
    """Element bit patterns (row-major) as hex strings of the element's width."""
    t = t.contiguous()
    size = t.element_size()
    if t.dtype == torch.bool:
        raw = t.to(torch.uint8)
    else:
        raw = t.view(UINT[size])
    flat = raw.reshape(-1).numpy()
    return [format(int(v) & ((1 << (8 * size)) - 1), "0%dx" % (2 * size)) for v in flat]


def specials(dtype):
    info = torch.finfo(dtype)
    vals = [0.0, -0.0, 1.0, -1.5, float("inf"), float("-inf"), float("nan"), info.max, -info.max,
            info.tiny, info.smallest_normal / 4, 1 / 3, 65504.0 if dtype == torch.float16 else 3.0e38 if dtype != torch.float64 else 1e300]
    return torch.tensor(vals, dtype=torch.float64).to(dtype)


def all_dtypes():
    t = {}
    t["f64.matrix"] = torch.from_numpy(rng.standard_normal((3, 4)))
    t["f64.special"] = specials(torch.float64)
    t["f32.matrix"] = torch.from_numpy(rng.standard_normal((2, 3, 4)).astype(np.float32))
    t["f32.special"] = specials(torch.float32)
    t["f32.scalar"] = torch.tensor(2.5, dtype=torch.float32)
    t["f32.empty"] = torch.zeros((0, 3), dtype=torch.float32)
    t["f32.empty_middle"] = torch.zeros((2, 0, 5), dtype=torch.float32)
    t["f16.vector"] = torch.from_numpy(rng.standard_normal(17).astype(np.float16))
    t["f16.special"] = specials(torch.float16)
    t["bf16.matrix"] = torch.from_numpy(rng.standard_normal((5, 3)).astype(np.float32)).to(torch.bfloat16)
    t["bf16.special"] = specials(torch.bfloat16)
    t["bf16.scalar"] = torch.tensor(-7.0, dtype=torch.bfloat16)
    t["i64.values"] = torch.tensor([0, 1, -1, 2**63 - 1, -2**63, 123456789012345], dtype=torch.int64)
    t["i64.position_ids"] = torch.arange(12, dtype=torch.int64).reshape(1, 12)
    t["i32.values"] = torch.tensor([[0, 1, -1], [2**31 - 1, -2**31, 77]], dtype=torch.int32)
    t["i8.values"] = torch.tensor([0, 1, -1, 127, -128, 42, -42], dtype=torch.int8)
    t["i8.scalar"] = torch.tensor(-5, dtype=torch.int8)
    t["bool.mask"] = torch.from_numpy(rng.random((3, 5)) > 0.5)
    t["bool.empty"] = torch.zeros(0, dtype=torch.bool)
    t["name with \"quotes\" \\ and é, ünï, 🙂"] = torch.tensor([1.0, 2.0], dtype=torch.float32)
    t["ctrl\n\t\u0001"] = torch.tensor([3], dtype=torch.int32)
    meta = {"format": "pt", "note": "line\nbreak \"quoted\" é", "empty": ""}
    return t, meta


def plain_numpy():
    return {
        "weight": rng.standard_normal((4, 3)).astype(np.float32),
        "bias": rng.standard_normal(4).astype(np.float32),
        "ids": np.arange(6, dtype=np.int64).reshape(2, 3),
        "d": rng.standard_normal(3),
        "h": rng.standard_normal((2, 2)).astype(np.float16),
        "count": np.array(9, dtype=np.int32),
        "small": np.array([-3, 4], dtype=np.int8),
        "flags": np.array([True, False, True]),
        "empty": np.zeros((0,), dtype=np.float32),
        "B.upper": np.ones(2, dtype=np.float32),
        "é": np.zeros(1, dtype=np.float32),
    }


def plain_torch():
    return {
        "a.bf16": torch.from_numpy(rng.standard_normal(5).astype(np.float32)).to(torch.bfloat16),
        "b.f16": torch.from_numpy(rng.standard_normal(3).astype(np.float16)),
        "c.f32": torch.from_numpy(rng.standard_normal((2, 2)).astype(np.float32)),
        "z.i64": torch.tensor([5, -6], dtype=torch.int64),
        "m.bool": torch.tensor([[True], [False]]),
    }


def unsupported():
    return {
        "u8": np.array([0, 1, 255], dtype=np.uint8),
        "i16": np.array([-2, 3], dtype=np.int16),
        "u16": np.array([65535], dtype=np.uint16),
        "u32": np.array([1, 2], dtype=np.uint32),
        "u64": np.array([2**64 - 1], dtype=np.uint64),
        "ok": np.array([1.5, -2.5], dtype=np.float32),
    }


def describe(path):
    """Tensors in header order, read back through safe_open (pt) for bit patterns."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    meta = header.pop("__metadata__", None) or {}
    out = []
    with safe_open(path, framework="pt") as f:
        for name, info in header.items():
            entry = {"name": name, "stdtype": info["dtype"], "shape": info["shape"]}
            t = f.get_tensor(name)
            if t.dtype in KOAN:
                entry["dtype"] = KOAN[t.dtype]
                entry["bits"] = bits_of(t)
            out.append(entry)
    return {"tensors": out, "metadata": meta}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    t, meta = all_dtypes()
    torch_save(t, os.path.join(OUT, "all_dtypes.safetensors"), metadata=meta)
    np_save(plain_numpy(), os.path.join(OUT, "numpy_plain.safetensors"))
    torch_save(plain_torch(), os.path.join(OUT, "torch_plain.safetensors"))
    np_save({"w": np.arange(6, dtype=np.float32).reshape(3, 2), "b": np.zeros(2, np.float32)},
            os.path.join(OUT, "one_meta.safetensors"), metadata={"format": "np"})
    np_save(unsupported(), os.path.join(OUT, "unsupported.safetensors"))
    # F8_E4M3 needs torch; append it to the unsupported file via a torch round trip.
    d = {k: torch.from_numpy(v) for k, v in unsupported().items()}
    d["f8"] = torch.tensor([0.5, -1.0], dtype=torch.float32).to(torch.float8_e4m3fn)
    torch_save(d, os.path.join(OUT, "unsupported.safetensors"))

    for name in ["all_dtypes", "numpy_plain", "torch_plain", "one_meta", "unsupported"]:
        expected[name] = describe(os.path.join(OUT, name + ".safetensors"))
    for name in os.listdir(OUT):
        os.chmod(os.path.join(OUT, name), 0o644)  # safetensors creates files 0600
    with open(os.path.join(OUT, "safetensors_expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
