#!/usr/bin/env python3
"""Goldens for KoanOptim: writes Tests/KoanOptimTests/Fixtures/optim.json.

References:
  * optimizers: torch.optim.SGD / Adam / AdamW (foreach=False, the single-tensor CPU path),
    5 steps on fixed parameters with fixed per-step gradients, parameters recorded after
    every step, float32 and float64.
  * schedules: torch.optim.lr_scheduler.StepLR / ExponentialLR (lr read before each step),
    and Hugging Face transformers' schedules written out in Python (transformers is not
    installed here), from transformers/optimization.py:
      _get_linear_schedule_with_warmup_lr_lambda:
          step < warmup: step / max(1, warmup)
          else:          max(0, (total - step) / max(1, total - warmup))
      _get_cosine_schedule_with_warmup_lr_lambda (num_cycles = 0.5, min_lr_rate = min_lr / base,
      as get_cosine_with_min_lr_schedule_with_warmup):
          step < warmup: step / max(1, warmup)
          progress = (step - warmup) / max(1, total - warmup)
          factor = 0.5 * (1 + cos(pi * num_cycles * 2 * progress))
          factor = factor * (1 - min_lr_rate) + min_lr_rate ;  return max(0, factor)
    (lr = base * lambda(step), as LambdaLR).
  * torch.nn.utils.clip_grad_norm_ (foreach=False).

Run: python3 tools/goldens/optim.py
"""
import json
import math
import os

import numpy as np
import torch

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanOptimTests", "Fixtures", "optim.json")

PARAM_SHAPES = [
    ("encoder.weight", [3, 4]),
    ("encoder.bias", [4]),
    ("norm.weight", [4]),
    ("head.weight", [2, 3, 2]),
    ("temperature", []),
]
STEPS = 5
SKIP = {("head.weight", 2)}  # no gradient for head.weight at step index 2 (torch: p.grad = None)


def tensor_json(t):
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "data": [float(x) for x in t.detach().reshape(-1).tolist()]}


def make_params(dtype, rng):
    return {p: torch.tensor(rng.standard_normal(s), dtype=dtype) for p, s in PARAM_SHAPES}


def make_grads(dtype, rng):
    out = []
    for k in range(STEPS):
        g = {}
        for p, s in PARAM_SHAPES:
            if (p, k) in SKIP:
                continue
            g[p] = torch.tensor(rng.standard_normal(s) * (0.5 + k), dtype=dtype)
        out.append(g)
    return out


def matches(path, prefix):
    return path == prefix or path.startswith(prefix + ".")


def adamw_decays(path, shape, no_decay, decay):
    best = None  # (length, decays)
    for pre in no_decay:
        if matches(path, pre) and (best is None or len(pre) > best[0]):
            best = (len(pre), False)
    for pre in decay:
        if matches(path, pre) and (best is None or len(pre) > best[0]):
            best = (len(pre), True)
    if best is not None:
        return best[1]
    return not (path.endswith("bias") or len(shape) <= 1)


CONFIGS = [
    {"name": "sgd_plain", "kind": "sgd", "args": {"lr": 0.1}},
    {"name": "sgd_momentum_wd", "kind": "sgd", "args": {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01}},
    {"name": "sgd_nesterov", "kind": "sgd", "args": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 0.001}},
    {"name": "sgd_groups", "kind": "sgd", "args": {"lr": 0.1, "momentum": 0.5},
     "groups": [{"prefixes": ["encoder"], "lrScale": 0.5, "weightDecay": 0.1}]},
    {"name": "adam_default", "kind": "adam", "args": {"lr": 0.01}},
    {"name": "adam_wd_amsgrad", "kind": "adam", "args": {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weightDecay": 0.05, "amsgrad": True}},
    {"name": "adam_small_beta1", "kind": "adam", "args": {"lr": 0.02, "beta1": 0.3, "beta2": 0.9}},
    {"name": "adam_lr_changes", "kind": "adam", "args": {"lr": 0.01}, "lrs": [0.01, 0.02, 0.005, 0.0, 0.01]},
    {"name": "adamw_default", "kind": "adamw", "args": {"lr": 0.01, "weightDecay": 0.1}},
    {"name": "adamw_override", "kind": "adamw", "args": {"lr": 0.01, "weightDecay": 0.2, "amsgrad": True,
                                                          "noDecay": ["head"], "decay": ["norm.weight", "temperature"]}},
]


def build_torch_optimizer(cfg, params):
    a = cfg["args"]
    kind = cfg["kind"]
    names = [p for p, _ in PARAM_SHAPES]
    if kind == "sgd":
        base = dict(lr=a["lr"], momentum=a.get("momentum", 0.0), dampening=a.get("dampening", 0.0),
                    nesterov=a.get("nesterov", False), weight_decay=a.get("weightDecay", 0.0), foreach=False)
        groups = []
        rest = list(names)
        for g in cfg.get("groups", []):
            members = [n for n in rest if any(matches(n, pre) for pre in g["prefixes"])]
            rest = [n for n in rest if n not in members]
            groups.append({"params": [params[n] for n in members], "lr": a["lr"] * g.get("lrScale", 1.0),
                           "weight_decay": g.get("weightDecay", base["weight_decay"])})
        groups.append({"params": [params[n] for n in rest]})
        return torch.optim.SGD(groups, **base)
    betas = (a.get("beta1", 0.9), a.get("beta2", 0.999))
    eps = a.get("eps", 1e-8)
    amsgrad = a.get("amsgrad", False)
    if kind == "adam":
        return torch.optim.Adam([params[n] for n in names], lr=a["lr"], betas=betas, eps=eps,
                                weight_decay=a.get("weightDecay", 0.0), amsgrad=amsgrad, foreach=False)
    wd = a.get("weightDecay", 0.01)
    shapes = dict(PARAM_SHAPES)
    dec = [n for n in names if adamw_decays(n, shapes[n], a.get("noDecay", []), a.get("decay", []))]
    nodec = [n for n in names if n not in dec]
    return torch.optim.AdamW([{"params": [params[n] for n in dec], "weight_decay": wd},
                              {"params": [params[n] for n in nodec], "weight_decay": 0.0}],
                             lr=a["lr"], betas=betas, eps=eps, amsgrad=amsgrad, foreach=False)


def optimizer_cases():
    cases = []
    for dtype in (torch.float32, torch.float64):
        rng = np.random.default_rng(1234)
        init = make_params(dtype, rng)
        grads = make_grads(dtype, rng)
        for cfg in CONFIGS:
            params = {n: t.clone().requires_grad_(True) for n, t in init.items()}
            opt = build_torch_optimizer(cfg, params)
            lrs = cfg.get("lrs")
            steps = []
            for k in range(STEPS):
                if lrs is not None:
                    for g in opt.param_groups:
                        g["lr"] = lrs[k]
                for n, p in params.items():
                    p.grad = grads[k][n].clone() if n in grads[k] else None
                opt.step()
                steps.append({n: tensor_json(p) for n, p in params.items()})
            case = dict(cfg)
            case["dtype"] = str(dtype).replace("torch.", "")
            case["steps"] = steps
            cases.append(case)
        common = {"dtype": str(dtype).replace("torch.", ""),
                  "params": [{"path": n, **tensor_json(t)} for n, t in init.items()],
                  "grads": [{n: tensor_json(g) for n, g in gs.items()} for gs in grads]}
        yield common, cases
        cases = []


def hf_linear(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def hf_cosine(step, warmup, total, min_lr_rate=0.0, num_cycles=0.5):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0.0, factor)


def torch_schedule(make, base, n):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = make(opt)
    vals = []
    for _ in range(n + 1):
        vals.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return vals


def schedule_cases():
    S = torch.optim.lr_scheduler
    out = []
    out.append({"kind": "constant", "base": 0.1, "totalSteps": 12, "values": [0.1] * 13})
    out.append({"kind": "step", "every": 3, "gamma": 0.5, "base": 0.1, "totalSteps": 12,
                "values": torch_schedule(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 0.1, 12)})
    out.append({"kind": "step", "every": 1, "gamma": 0.7, "base": 0.3, "totalSteps": 6,
                "values": torch_schedule(lambda o: S.StepLR(o, step_size=1, gamma=0.7), 0.3, 6)})
    out.append({"kind": "exponential", "gamma": 0.9, "base": 0.05, "totalSteps": 12,
                "values": torch_schedule(lambda o: S.ExponentialLR(o, gamma=0.9), 0.05, 12)})
    out.append({"kind": "linear", "warmup": 3, "total": 10, "base": 0.1, "totalSteps": 12,
                "values": [0.1 * hf_linear(s, 3, 10) for s in range(13)]})
    out.append({"kind": "linear", "warmup": 0, "total": 5, "base": 1.0, "totalSteps": 7,
                "values": [1.0 * hf_linear(s, 0, 5) for s in range(8)]})
    out.append({"kind": "cosine", "warmup": 3, "total": 10, "minLR": 0.0, "base": 0.1, "totalSteps": 10,
                "values": [0.1 * hf_cosine(s, 3, 10) for s in range(11)]})
    out.append({"kind": "cosine", "warmup": 2, "total": 8, "minLR": 0.01, "base": 0.1, "totalSteps": 8,
                "values": [0.1 * hf_cosine(s, 2, 8, min_lr_rate=0.01 / 0.1) for s in range(9)]})
    # total = nil: the schedule uses the caller's totalSteps.
    out.append({"kind": "cosine", "warmup": 0, "minLR": 0.0, "base": 2e-3, "totalSteps": 20,
                "values": [2e-3 * hf_cosine(s, 0, 20) for s in range(21)]})
    # torch's closed form agrees with HF for the cosine part with warmup 0 (CosineAnnealingLR, eta_min):
    return out


def clip_cases():
    out = []
    rng = np.random.default_rng(99)
    for dtype in (torch.float32, torch.float64):
        for max_norm, norm_type in ((1.0, 2.0), (100.0, 2.0), (0.5, float("inf")), (2.0, 1.0)):
            grads = {"a.weight": torch.tensor(rng.standard_normal((3, 4)), dtype=dtype),
                     "a.bias": torch.tensor(rng.standard_normal(4), dtype=dtype),
                     "b": torch.tensor(rng.standard_normal(()), dtype=dtype)}
            params = {n: torch.zeros_like(g, requires_grad=True) for n, g in grads.items()}
            for n in params:
                params[n].grad = grads[n].clone()
            total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm, norm_type=norm_type, foreach=False)
            out.append({"dtype": str(dtype).replace("torch.", ""), "maxNorm": max_norm,
                        "normType": "inf" if math.isinf(norm_type) else norm_type,
                        "grads": {n: tensor_json(g) for n, g in grads.items()},
                        "clipped": {n: tensor_json(p.grad) for n, p in params.items()},
                        "total": float(total)})
    return out


def main():
    blocks = []
    for common, cases in optimizer_cases():
        common["cases"] = cases
        blocks.append(common)
    doc = {"torch": torch.__version__, "optimizers": blocks, "schedules": schedule_cases(), "clip": clip_cases()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
