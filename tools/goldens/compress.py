"""Compression goldens for KoanCompress: dynamic int8 quantization, pruning, distillation loss.

Writes Tests/KoanCompressTests/Fixtures/compress/:

  quantize.safetensors, prune.safetensors, distill.safetensors, cases.json

All tensors are float32 unless marked; int8 and int64 as marked. Seeded (torch.manual_seed per
section), so the output only changes when the script does. Every file is checked to load with
safetensors.numpy.load_file.

quantize.safetensors: torch.ao.quantization.quantize_dynamic(model, {nn.Linear:
per_channel_dynamic_qconfig}, dtype=torch.qint8) with torch.backends.quantized.engine =
"fbgemm" (the "x86" engine, torch's default on x86, gives bit-identical outputs; checked). The module is DynamicQuantizedLinear, whose
forward is torch.ops.quantized.linear_dynamic(x, packed, reduce_range=True).

  Single-Linear cases <c> in lin, pos, zero_row, rank3:
    <c>.weight        [out, in]  the float weight
    <c>.bias          [out]      (not for zero_row, which has bias=False)
    <c>.x             input; <c>.x_q int64, same shape: x quantized to quint8 as the kernel does
    <c>.w_int8        int8 [out, in]  quantized weight int_repr()
    <c>.w_scale       [out]      q_per_channel_scales() (torch stores float64; the value is a float32)
    <c>.w_zero_point  int64 [out]  q_per_channel_zero_points(), all 0 (asserted)
    <c>.x_scale       [1]        activation scale as float32 (the kernel uses float(scale));
                                 the float64 value is in cases.json
    <c>.x_zero_point  int64 [1]
    <c>.y             the quantized module's output
    <c>.y_fp32        the float Linear's output, evaluated in float64 and rounded to float32
                      (torch's float32 sgemm result varies by ~1e-6 with the thread count)
  lin:      Linear(64, 48), row i of the default-init weight multiplied by linspace(0.25, 4, 48)[i];
            x [5, 64] randn.
  pos:      Linear(32, 16), x [4, 32] = randn.abs() + 0.1 (all positive: min is taken as 0, zp 0).
  zero_row: Linear(32, 16, bias=False), weight row 5 all zeros (its scale is eps); x [4, 32] randn.
  rank3:    Linear(64, 48), x [2, 3, 64] randn (min/max over the whole tensor; y [2, 3, 48]).
  mlp:      Sequential(Linear(64, 128), ReLU, Linear(128, 10)) quantized as a whole; x [7, 64].
    mlp.0.weight [128, 64], mlp.0.bias [128], mlp.2.weight [10, 128], mlp.2.bias [10],
    mlp.0.w_int8 int8 [128, 64], mlp.0.w_scale [128], mlp.2.w_int8 int8 [10, 128],
    mlp.2.w_scale [10], mlp.x [7, 64], mlp.y [7, 10] (quantized), mlp.y_fp32 [7, 10].
    Each Linear quantizes its own input dynamically (layer 2 sees ReLU output, min 0 → zp 0).

  Weight rule (PerChannelMinMaxObserver, qint8, per_channel_symmetric, quant_min -128,
  quant_max 127, eps = float32 eps = 2**-23; verified bit-exact against torch on every row):
    m      = max(-min(min(row), 0), max(max(row), 0))            float32
    scale  = max(m / 127.5f, eps)             a correctly rounded float32 division (NOT m * (1/127.5))
    inv    = 1.0f / scale                     float32
    q      = clamp(rint(float32(w * inv)), -128, 127)   rint = round half to even; zero point 0
  The float32 product matters: the row's max-|w| element often lands exactly on ±127.5, so
  +127.5 → 128 → clamped to 127 but -127.5 → -128. round(w / scale), in float64 or as a float32
  division, differs from torch on a few of those row extremes (float64: counted per case in
  cases.json, "naive_weight_mismatches"; all are -127 vs -128).

  Activation rule (ATen quant_utils::ChooseQuantizationParams(min, max, 0, 255,
  preserve_sparsity=false, force_scale_power_of_two=false, reduce_range=true); equal to
  torch._choose_qparams_per_tensor(x, reduce_range=True), asserted):
    qmin, qmax = 0 / 2, 255 / 2 = 0, 127    (integer halving for reduce_range)
    mn = min(min(x), 0), mx = max(max(x), 0)                      float32 min/max of all of x
    scale = (double(mx) - double(mn)) / 127                        float64
    if float(scale) == 0 or isinf(1 / float(scale)): scale = 0.1
    if scale < 6.1e-5f: (min/max rescaled; scale = 6.1e-5f — not hit by these cases)
    zp_min = qmin - mn / scale;  zp_max = qmax - mx / scale        float64
    e_min = |qmin| - |mn / scale|;  e_max = |qmax| - |mx / scale|  (note: minus, as in ATen)
    zp0 = zp_min if e_min < e_max else zp_max
    zp = qmin if zp0 < qmin, qmax if zp0 > qmax, else rint(zp0)   (round half even)
  (in practice: zp = rint(-mn / scale) when mn < 0, and 0 when mn = 0.)
  Kernel (fbgemm PackAWithQuantRowOffset + ReQuantizeForFloat<OUT_CHANNEL>), with sa = float(scale):
    inv = 1.0f / sa;  xq = clamp(rint(fma(x, inv, zp)), 0, 255)        (fbgemm's LEGACY quantize;
        zp + rint(float32(x * inv)) gives the same xq here: no ties)
    acc[i, j] = sum_k xq[i, k] * w_int8[j, k]          int32
    raw = acc - zp * colsum_j,  colsum_j = sum_k w_int8[j, k]
    y   = raw * sa * w_scale[j] + bias[j]
  Reproduced in float64 (sa and w_scale as their float32 values) the error vs torch's y is at
  most 2.7e-7 absolute, 2.4e-6 relative (each case's in cases.json; asserted <= 1e-5 relative).
  Bit-exact in float32 on the generating machine (AVX2/AVX-512 fbgemm):
    y = fma(float(raw), float32(sa * w_scale[j]), bias[j])
  (no bias: the float32 product float(raw) * float32(sa * w_scale[j])); cases.json "bitwise_f32"
  records it per case, and "chain_bitwise_f32" for mlp rebuilt from the recipes alone.

prune.safetensors: torch.nn.utils.prune on nn.Linear weights, randn (no ties, asserted). <c>.weight
is the weight before pruning (weight_orig), <c>.mask the float32 0/1 weight_mask.
  l1_50:       [48, 64], l1_unstructured(amount=0.5)  → l1_50.weight, l1_50.mask;
               l1_50.removed = the weight after prune.remove (= weight_orig * mask).
  l1_30:       [10, 7], l1_unstructured(amount=0.3) → round(0.3 * 70) = 21 pruned; l1_30.weight, .mask
  l1_int:      l1_unstructured(amount=13) (int: exactly 13 pruned) on l1_30.weight → l1_int.mask
  l1_round:    [2, 5], l1_round.weight; l1_round25.mask = amount 0.25 (2.5 → round → 2 pruned),
               l1_round75.mask = amount 0.75 (7.5 → 8 pruned): Python's round-half-even.
  ln_dim0:     [10, 12], ln_structured(amount=0.3, n=2, dim=0): round(0.3*10) = 3 rows with the
               smallest L2 norm zeroed; ln_dim0.weight, .mask
  ln_dim1_l1:  [6, 12], ln_structured(amount=0.25, n=1, dim=1): round(3.0) = 3 columns with the
               smallest L1 norm; ln_dim1_l1.weight, .mask
  global:      Linear(8, 16), Linear(16, 8), Linear(8, 4) (weights [16, 8], [8, 16], [4, 8])
               pruned together, global_unstructured(L1Unstructured, amount=0.5): the
               round(0.5 * 288) = 144 smallest |w| over all three; global.<i>.weight, global.<i>.mask
  iter:        [8, 8], l1_unstructured(0.5) twice; the second applies to the 32 unpruned entries
               (PruningContainer): 32 + 16 = 48 pruned; iter.weight, iter.mask (final)
  iter_struct: [8, 8], ln_structured(0.25, n=2, dim=0) (2 rows) then l1_unstructured(0.5) on the
               48 remaining entries (24 more): 40 pruned; iter_struct.weight, iter_struct.mask
  Rule (checked against torch with NumPy): k = amount if int, else round(amount * n) (n = number
  of entries, or of channels along dim for ln_structured); unstructured zeroes the k smallest |w|
  among the entries still unpruned; structured zeroes the k channels with the smallest Ln norm
  (over all other dims). Counts are in cases.json.

distill.safetensors: loss = alpha * T^2 * KL + (1 - alpha) * cross_entropy(s, labels),
KL = F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction="batchmean")
(DistilBERT's recipe), computed in float32 (checked against float64 to 1e-6).
  s [8, 5] student logits, t [8, 5] teacher logits, labels int64 [8];
  loss_<case> [1], grad_<case> [8, 5] = d loss / d s, for cases (cases.json has T, alpha, loss):
  T2_a05 (T=2, alpha=0.5), T4_a09 (T=4, alpha=0.9), T1_a0 (T=1, alpha=0: pure cross-entropy).

Run: python3 tools/goldens/compress.py   (torch CPU build with fbgemm, numpy, safetensors)
"""
import copy
import json
import os
import sys
import warnings

# This folder has safetensors.py and tokenizers.py: drop it from the import path so that the
# real packages are imported.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch.nn.utils.prune as prune  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

# torch.ao.quantization and quantized tensor creation warn that they are deprecated.
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.ao\..*")
warnings.filterwarnings("ignore", message=r".*quantize_per_(tensor|channel).*")
from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic  # noqa: E402

OUT = os.path.join(_HERE, "..", "..", "Tests", "KoanCompressTests", "Fixtures", "compress")
ENGINE = "fbgemm"
F32_EPS = float(np.finfo(np.float32).eps)
SMALL_SCALE_THRESHOLD = float(np.float32(6.1e-5))
REL_TOL = 1e-5

f32 = np.float32


def npy(t):
    return np.ascontiguousarray(t.detach().cpu().numpy())


# ---------------------------------------------------------------- quantization


def act_qparams(x):
    """ATen quant_utils::ChooseQuantizationParams(min, max, 0, 255, reduce_range=True)."""
    qmin, qmax = 0 // 2, 255 // 2
    mn = min(float(x.min()), 0.0)
    mx = max(float(x.max()), 0.0)
    scale = (mx - mn) / (qmax - qmin)
    if f32(scale) == 0 or np.isinf(f32(1) / f32(scale)):
        scale = 0.1
    assert scale >= SMALL_SCALE_THRESHOLD, "small-scale branch not reproduced"
    zp_min = qmin - mn / scale
    zp_max = qmax - mx / scale
    e_min = abs(qmin) - abs(mn / scale)
    e_max = abs(qmax) - abs(mx / scale)
    zp0 = zp_min if e_min < e_max else zp_max
    zp = qmin if zp0 < qmin else qmax if zp0 > qmax else int(np.rint(zp0))
    return scale, zp


def weight_qparams(w):
    """PerChannelMinMaxObserver(qint8, per_channel_symmetric) + quantize_per_channel."""
    m = np.maximum(-np.minimum(w.min(1), f32(0)), np.maximum(w.max(1), f32(0))).astype(f32)
    scale = np.maximum((m / f32(127.5)).astype(f32), f32(F32_EPS)).astype(f32)
    inv = (f32(1) / scale).astype(f32)
    q = np.clip(np.rint((w * inv[:, None]).astype(f32)), -128, 127).astype(np.int8)
    naive = np.clip(np.rint(w.astype(np.float64) / scale[:, None].astype(np.float64)), -128, 127)
    return scale, q, int((naive != q).sum())


def fma32(a, b, c):
    """float32 fma via float64 (the float32 product is exact in float64)."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(f32)


def reproduce(x, w_int8, w_scale, bias, scale, zp):
    """The fbgemm dynamic Linear from the qparams: (x_q, y float64, y float32 bit-exact recipe)."""
    x2 = x.reshape(-1, x.shape[-1]).astype(f32)
    sa = f32(scale)
    inv = f32(1) / sa
    xq = np.clip(np.rint(fma32(x2, inv, zp)), 0, 255).astype(np.int64)
    xq_alt = np.clip(np.rint((x2 * inv).astype(f32)) + zp, 0, 255).astype(np.int64)
    assert np.array_equal(xq, xq_alt), "activation quantization hit a tie"
    wi = w_int8.astype(np.int64)
    acc = xq @ wi.T
    raw = acc - zp * wi.sum(1)[None, :]
    b64 = np.zeros(wi.shape[0]) if bias is None else bias.astype(np.float64)
    y64 = raw.astype(np.float64) * np.float64(sa) * w_scale.astype(np.float64)[None, :] + b64
    mult = (sa * w_scale.astype(f32)).astype(f32)
    if bias is None:
        y32 = (raw.astype(f32) * mult[None, :]).astype(f32)
    else:
        y32 = fma32(raw.astype(f32), mult[None, :], bias.astype(f32))
    out_shape = x.shape[:-1] + (wi.shape[0],)
    return xq.reshape(x.shape), y64.reshape(out_shape), y32.reshape(out_shape)


def float_output(model, x):
    """The float model's output, in float64 (so independent of sgemm's blocking), as float32."""
    with torch.no_grad():
        y = copy.deepcopy(model).double()(x.double()).float()
        assert torch.allclose(y, model(x), rtol=1e-5, atol=1e-6)
    return npy(y)


def quantize(model):
    torch.backends.quantized.engine = ENGINE
    return quantize_dynamic(model, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def check_layer(name, lin, qlin, x, info):
    """Checks torch's quantized weight and output against the recipes; returns the tensors."""
    W = qlin.weight()
    assert W.qscheme() == torch.per_channel_affine and W.dtype == torch.qint8
    w = npy(lin.weight).astype(f32)
    w_int8 = npy(W.int_repr())
    w_scale = npy(W.q_per_channel_scales())
    w_zp = npy(W.q_per_channel_zero_points()).astype(np.int64)
    assert (w_zp == 0).all(), f"{name}: weight zero points must be 0"
    assert np.array_equal(w_scale.astype(f32).astype(np.float64), w_scale), f"{name}: scale not a float32"
    my_scale, my_q, naive = weight_qparams(w)
    assert np.array_equal(my_scale, w_scale.astype(f32)), f"{name}: weight scale rule"
    assert np.array_equal(my_q, w_int8), f"{name}: weight int8 rule"
    xt = x.detach()
    scale, zp = act_qparams(npy(xt))
    t_scale, t_zp = torch._choose_qparams_per_tensor(xt, True)
    assert (scale, zp) == (t_scale, t_zp), f"{name}: activation qparams {scale, zp} vs torch {t_scale, t_zp}"
    with torch.no_grad():
        y = npy(qlin(xt))
    bias = None if lin.bias is None else npy(lin.bias)
    xq, y64, y32 = reproduce(npy(xt), w_int8, w_scale, bias, scale, zp)
    tq = npy(torch.quantize_per_tensor(xt, scale, zp, torch.quint8).int_repr()).astype(np.int64)
    assert np.array_equal(xq, tq), f"{name}: x_q differs from torch.quantize_per_tensor"
    err = np.abs(y64 - y.astype(np.float64))
    rel = float((err / np.maximum(np.abs(y64), 1e-3)).max())
    assert (err <= REL_TOL * np.abs(y64) + 1e-6).all(), f"{name}: float64 reproduction off by {err.max()}"
    info.update({
        "x_scale": scale, "x_zero_point": zp, "x_scale_f32": float(f32(scale)),
        "x_min": float(xt.min()), "x_max": float(xt.max()),
        "x_q_min": int(xq.min()), "x_q_max": int(xq.max()),
        "max_abs_err_f64": float(err.max()), "max_rel_err_f64": rel,
        "bitwise_f32": bool(np.array_equal(y32, y)),
        "naive_weight_mismatches": naive,
        "weight_at_minus_128": int((w_int8 == -128).sum()), "weight_at_127": int((w_int8 == 127).sum()),
    })
    tensors = {"w_int8": w_int8, "w_scale": w_scale.astype(f32), "w_zero_point": w_zp,
               "x_scale": np.array([scale], f32), "x_zero_point": np.array([zp], np.int64),
               "x_q": xq}
    return tensors, y


def write_quantize():
    torch.manual_seed(0)
    tensors, cases = {}, {}

    def linear_case(name, lin, x):
        info = {"in": lin.in_features, "out": lin.out_features, "bias": lin.bias is not None,
                "x_shape": list(x.shape)}
        q = quantize(nn.Sequential(lin))
        qt, y = check_layer(name, lin, q[0], x, info)
        # the x86 engine must give the same output
        torch.backends.quantized.engine = "x86"
        q86 = quantize_dynamic(nn.Sequential(lin), {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
        with torch.no_grad():
            assert np.array_equal(npy(q86(x)), y), f"{name}: x86 engine differs from fbgemm"
        torch.backends.quantized.engine = ENGINE
        tensors[f"{name}.weight"] = npy(lin.weight)
        if lin.bias is not None:
            tensors[f"{name}.bias"] = npy(lin.bias)
        tensors[f"{name}.x"] = npy(x)
        for k, v in qt.items():
            tensors[f"{name}.{k}"] = v
        tensors[f"{name}.y"] = y
        with torch.no_grad():
            tensors[f"{name}.y_fp32"] = float_output(lin, x)
        cases[name] = info

    lin = nn.Linear(64, 48)
    with torch.no_grad():
        lin.weight.mul_(torch.linspace(0.25, 4.0, 48)[:, None])
    linear_case("lin", lin, torch.randn(5, 64))

    linear_case("pos", nn.Linear(32, 16), torch.randn(4, 32).abs() + 0.1)

    lin = nn.Linear(32, 16, bias=False)
    with torch.no_grad():
        lin.weight[5].zero_()
    linear_case("zero_row", lin, torch.randn(4, 32))
    assert tensors["zero_row.w_scale"][5] == f32(F32_EPS) and not tensors["zero_row.w_int8"][5].any()

    linear_case("rank3", nn.Linear(64, 48), torch.randn(2, 3, 64))

    mlp = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    x = torch.randn(7, 64)
    q = quantize(mlp)
    assert isinstance(q[1], nn.ReLU)
    info = {"layers": [{}, {}], "x_shape": list(x.shape)}
    with torch.no_grad():
        h = torch.relu(q[0](x))
        y = npy(q(x))
        y_fp32 = float_output(mlp, x)
    t0, y0 = check_layer("mlp.0", mlp[0], q[0], x, info["layers"][0])
    t2, y2 = check_layer("mlp.2", mlp[2], q[2], h, info["layers"][1])
    assert np.array_equal(y2, y)
    # the whole chain from the recipes alone (float64, and the float32 bit-exact recipe)
    xs = npy(x)
    _, h64, h32 = reproduce(xs, t0["w_int8"], t0["w_scale"], npy(mlp[0].bias), *act_qparams(xs))
    h64, h32 = np.maximum(h64, 0), np.maximum(h32, 0)
    _, y64, _ = reproduce(h64.astype(f32), t2["w_int8"], t2["w_scale"], npy(mlp[2].bias), *act_qparams(h64.astype(f32)))
    _, _, y32 = reproduce(h32, t2["w_int8"], t2["w_scale"], npy(mlp[2].bias), *act_qparams(h32))
    info["chain_max_abs_err_f64"] = float(np.abs(y64 - y).max())
    info["chain_bitwise_f32"] = bool(np.array_equal(y32, y))
    for i, lin, t in ((0, mlp[0], t0), (2, mlp[2], t2)):
        tensors[f"mlp.{i}.weight"] = npy(lin.weight)
        tensors[f"mlp.{i}.bias"] = npy(lin.bias)
        tensors[f"mlp.{i}.w_int8"] = t["w_int8"]
        tensors[f"mlp.{i}.w_scale"] = t["w_scale"]
    tensors["mlp.x"] = xs
    tensors["mlp.y"] = y
    tensors["mlp.y_fp32"] = y_fp32
    cases["mlp"] = info

    ob = per_channel_dynamic_qconfig.weight()
    meta = {
        "engine": ENGINE,
        "op": "torch.ops.quantized.linear_dynamic(x, packed, reduce_range=True)",
        "weight_observer": {"class": type(ob).__name__, "dtype": "qint8", "qscheme": str(ob.qscheme),
                            "quant_min": ob.quant_min, "quant_max": ob.quant_max, "eps": float(ob.eps),
                            "scale": "float32: max(m / 127.5f, eps), m = max(-min(row, 0), max(row, 0))",
                            "quantize": "clamp(rint(float32(w * (1.0f / scale))), -128, 127), half to even"},
        "activation": {"dtype": "quint8", "reduce_range": True, "qmin": 0, "qmax": 127,
                       "min_max_include_zero": True, "scale_math": "float64, used as float32",
                       "small_scale_threshold": SMALL_SCALE_THRESHOLD, "zero_scale_fallback": 0.1,
                       "quantize": "clamp(rint(fma(x, 1.0f / float(scale), zp)), 0, 255)"},
        "output": "y = (acc - zp * colsum(w_int8)) * float(x_scale) * w_scale + bias",
        "cases": cases,
    }
    return tensors, meta


# ---------------------------------------------------------------- pruning


def assert_no_ties(v):
    v = np.abs(np.asarray(v)).reshape(-1)
    assert len(np.unique(v)) == v.size, "ties"


def np_unstructured(w, amount, mask=None):
    mask = np.ones_like(w) if mask is None else mask.copy()
    live = np.flatnonzero(mask.reshape(-1) == 1)
    k = amount if isinstance(amount, int) else round(amount * live.size)
    order = live[np.argsort(np.abs(w.reshape(-1)[live]), kind="stable")]
    flat = mask.reshape(-1)
    flat[order[:k]] = 0
    return flat.reshape(w.shape)


def np_structured(w, amount, n, dim):
    other = tuple(d for d in range(w.ndim) if d != dim)
    norms = (np.abs(w.astype(np.float64)) ** n).sum(axis=other) ** (1.0 / n)
    assert_no_ties(norms)
    k = amount if isinstance(amount, int) else round(amount * w.shape[dim])
    mask = np.ones_like(w)
    idx = [slice(None)] * w.ndim
    idx[dim] = np.argsort(norms)[:k]
    mask[tuple(idx)] = 0
    return mask


def write_prune():
    torch.manual_seed(1)
    tensors, cases = {}, {}

    def linear(out_f, in_f):
        lin = nn.Linear(in_f, out_f, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(out_f, in_f))
        assert_no_ties(npy(lin.weight))
        return lin

    def record(name, lin, expected, info, weight=True):
        w, mask = npy(lin.weight_orig), npy(lin.weight_mask)
        assert mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}
        assert np.array_equal(mask, expected), f"{name}: mask differs from the NumPy rule"
        assert np.array_equal(npy(lin.weight), w * mask)
        if weight:
            tensors[f"{name}.weight"] = w
        tensors[f"{name}.mask"] = mask
        info.update({"shape": list(w.shape), "numel": int(w.size), "pruned": int((mask == 0).sum())})
        cases[name] = info

    lin = linear(48, 64)
    w = npy(lin.weight)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    record("l1_50", lin, np_unstructured(w, 0.5), {"method": "l1_unstructured", "amount": 0.5})
    prune.remove(lin, "weight")
    tensors["l1_50.removed"] = npy(lin.weight)
    assert np.array_equal(tensors["l1_50.removed"], tensors["l1_50.weight"] * tensors["l1_50.mask"])

    lin = linear(10, 7)
    w = npy(lin.weight)
    prune.l1_unstructured(lin, "weight", amount=0.3)
    record("l1_30", lin, np_unstructured(w, 0.3),
           {"method": "l1_unstructured", "amount": 0.3, "amount_times_n": 0.3 * 70})
    lin = nn.Linear(7, 10, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(w))
    prune.l1_unstructured(lin, "weight", amount=13)
    record("l1_int", lin, np_unstructured(w, 13),
           {"method": "l1_unstructured", "amount": 13, "weight": "l1_30.weight"}, weight=False)

    lin0 = linear(2, 5)
    w = npy(lin0.weight)
    tensors["l1_round.weight"] = w
    for tag, amount in (("l1_round25", 0.25), ("l1_round75", 0.75)):
        lin = nn.Linear(5, 2, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
        prune.l1_unstructured(lin, "weight", amount=amount)
        record(tag, lin, np_unstructured(w, amount),
               {"method": "l1_unstructured", "amount": amount, "amount_times_n": amount * 10,
                "python_round": round(amount * 10), "weight": "l1_round.weight"}, weight=False)

    lin = linear(10, 12)
    w = npy(lin.weight)
    prune.ln_structured(lin, "weight", amount=0.3, n=2, dim=0)
    record("ln_dim0", lin, np_structured(w, 0.3, 2, 0),
           {"method": "ln_structured", "amount": 0.3, "n": 2, "dim": 0, "channels_pruned": round(0.3 * 10)})

    lin = linear(6, 12)
    w = npy(lin.weight)
    prune.ln_structured(lin, "weight", amount=0.25, n=1, dim=1)
    record("ln_dim1_l1", lin, np_structured(w, 0.25, 1, 1),
           {"method": "ln_structured", "amount": 0.25, "n": 1, "dim": 1, "channels_pruned": round(0.25 * 12)})

    layers = [linear(16, 8), linear(8, 16), linear(4, 8)]
    ws = [npy(m.weight) for m in layers]
    flat = np.concatenate([v.reshape(-1) for v in ws])
    assert_no_ties(flat)
    gmask = np_unstructured(flat, 0.5)
    prune.global_unstructured([(m, "weight") for m in layers], pruning_method=prune.L1Unstructured, amount=0.5)
    offset = 0
    for i, (m, v) in enumerate(zip(layers, ws)):
        record(f"global.{i}", m, gmask[offset:offset + v.size].reshape(v.shape),
               {"method": "global_unstructured(L1Unstructured)", "amount": 0.5, "total_numel": int(flat.size)})
        offset += v.size
    assert sum(cases[f"global.{i}"]["pruned"] for i in range(3)) == round(0.5 * flat.size)

    lin = linear(8, 8)
    w = npy(lin.weight)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    record("iter", lin, np_unstructured(w, 0.5, np_unstructured(w, 0.5)),
           {"method": "l1_unstructured(0.5) then l1_unstructured(0.5)", "pruned_first": 32})

    lin = linear(8, 8)
    w = npy(lin.weight)
    prune.ln_structured(lin, "weight", amount=0.25, n=2, dim=0)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    record("iter_struct", lin, np_unstructured(w, 0.5, np_structured(w, 0.25, 2, 0)),
           {"method": "ln_structured(0.25, n=2, dim=0) then l1_unstructured(0.5)", "pruned_first": 16})
    return tensors, cases


# ---------------------------------------------------------------- distillation


def distill_loss(s, t, labels, T, alpha):
    kl = F.kl_div(F.log_softmax(s / T, dim=-1), F.softmax(t / T, dim=-1), reduction="batchmean")
    return alpha * T * T * kl + (1 - alpha) * F.cross_entropy(s, labels)


def write_distill():
    torch.manual_seed(2)
    s = (torch.randn(8, 5) * 2).requires_grad_(True)
    t = torch.randn(8, 5) * 2
    labels = torch.randint(0, 5, (8,))
    tensors = {"s": npy(s), "t": npy(t), "labels": npy(labels).astype(np.int64)}
    cases = {}
    for name, T, alpha in (("T2_a05", 2.0, 0.5), ("T4_a09", 4.0, 0.9), ("T1_a0", 1.0, 0.0)):
        loss = distill_loss(s, t, labels, T, alpha)
        (grad,) = torch.autograd.grad(loss, s)
        s64 = s.detach().double().requires_grad_(True)
        loss64 = distill_loss(s64, t.double(), labels, T, alpha)
        (grad64,) = torch.autograd.grad(loss64, s64)
        assert abs(loss.item() - loss64.item()) < 1e-6 and (grad.double() - grad64).abs().max() < 1e-6
        tensors[f"loss_{name}"] = npy(loss.reshape(1))
        tensors[f"grad_{name}"] = npy(grad)
        cases[name] = {"T": T, "alpha": alpha, "loss": loss.item(), "loss_f64": loss64.item()}
    # alpha = 0 is exactly cross-entropy
    assert torch.equal(F.cross_entropy(s, labels).reshape(1), torch.from_numpy(tensors["loss_T1_a0"]))
    return tensors, cases


def save(name, tensors):
    path = os.path.join(OUT, name)
    tensors = {k: np.ascontiguousarray(v) for k, v in sorted(tensors.items())}
    for k, v in tensors.items():
        assert v.dtype in (np.float32, np.int8, np.int64), (k, v.dtype)
    # one metadata key: safetensors writes __metadata__ from a hash map, in no fixed order
    save_file(tensors, path, metadata={"generator": f"tools/goldens/compress.py, torch {torch.__version__}"})
    os.chmod(path, 0o644)  # safetensors creates the file 0600
    back = load_file(path)
    assert back.keys() == tensors.keys() and all(np.array_equal(back[k], v) and back[k].dtype == v.dtype
                                                for k, v in tensors.items())
    print(f"{path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")
    for k, v in tensors.items():
        print(f"  {k:24s} {str(v.dtype):8s} {list(v.shape)}")


def main():
    os.makedirs(OUT, exist_ok=True)
    qt, qmeta = write_quantize()
    pt, pmeta = write_prune()
    dt, dmeta = write_distill()
    save("quantize.safetensors", qt)
    save("prune.safetensors", pt)
    save("distill.safetensors", dt)
    cases = {"generator": "tools/goldens/compress.py", "torch": torch.__version__,
             "quantize": qmeta, "prune": pmeta, "distill": dmeta}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print(json.dumps(qmeta["cases"], indent=1))


if __name__ == "__main__":
    main()
