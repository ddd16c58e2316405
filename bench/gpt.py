#!/usr/bin/env python3
"""Language-model benchmark (issue 6): Koan's GPT trained with `fit`, generation with and
without a KV cache, and the attention kernels, against the same model in PyTorch.

    swift build -c release --scratch-path .build-release --product koan-bench
    .venv/bin/python bench/gpt.py [--bench-bin .build-release/release/koan-bench] [--threads 2] [--quick] [--json out.json]

Every (workload, implementation) pair runs in its own process, so its peak RSS (VmHWM) is
what that run costs, including `import torch` on the PyTorch side. Ratios are
Koan / PyTorch speed (above 1 means Koan is faster).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from workers import finish, run_json, status_kib

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "notebooks" / "data" / "corpus.txt"

# name: vocab, dim, layers, heads, context, batch, training steps (full, --quick), train target
CONFIGS = {
    "small": dict(vocab=256, dim=128, layers=4, heads=4, context=128, batch=16, steps=(30, 8), target=2.0),
    "medium": dict(vocab=256, dim=256, layers=6, heads=4, context=256, batch=8, steps=(10, 3), target=1.3),
}
GEN_TARGET = 2.0
PROMPT = 16
LR = 1e-3
ATTN_LENGTHS = [256, 1024, 4096]
ATTN_KERNELS = ["full", "tiled", "linear", "local"]
TARGET_RSS = 0.3
PEAK_GFLOPS = 320.0


def train_flops_per_token(c: dict, params: int) -> float:
    """6·N (N without the position table; the tied head once) + 12·layers·T·dim attention."""
    return 6 * (params - c["context"] * c["dim"]) + 12 * c["layers"] * c["context"] * c["dim"]


def build_model(c: dict):
    """The GPT-2-style model of Koan's `GPT`: learned positions, pre-LN blocks with q/k/v/out
    Linears and causal SDPA, exact-GELU 4× MLP, final LayerNorm, head tied to wte; GPT-2 init."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    dim, heads, layers = c["dim"], c["heads"], c["layers"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(dim)
            self.query, self.key, self.value, self.out = (nn.Linear(dim, dim) for _ in range(4))
            self.ln_2 = nn.LayerNorm(dim)
            self.c_fc = nn.Linear(dim, 4 * dim)
            self.c_proj = nn.Linear(4 * dim, dim)

        def attn(self, x, cache, layer):
            b, t, _ = x.shape
            split = lambda y: y.view(b, t, heads, dim // heads).transpose(1, 2)  # noqa: E731
            q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
            causal = True
            if cache is not None:
                if layer < len(cache):
                    if t > 1:
                        raise ValueError("the hand-written cache takes one token per step after the prompt")
                    pk, pv = cache[layer]
                    k, v = torch.cat([pk, k], 2), torch.cat([pv, v], 2)
                    cache[layer] = (k, v)
                    causal = False  # the one new token sees the whole cache (Koan: bottom-right causal)
                else:
                    cache.append((k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            return self.out(y.transpose(1, 2).reshape(b, t, dim))

        def forward(self, x, cache=None, layer=0):
            x = x + self.attn(self.ln_1(x), cache, layer)
            return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(c["vocab"], dim)
            self.wpe = nn.Embedding(c["context"], dim)
            self.h = nn.ModuleList(Block() for _ in range(layers))
            self.ln_f = nn.LayerNorm(dim)
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    nn.init.zeros_(p)
                elif p.dim() >= 2:
                    std = 0.02 / math.sqrt(2 * layers) if name.endswith(("out.weight", "c_proj.weight")) else 0.02
                    nn.init.normal_(p, std=std)

        def forward(self, idx, cache=None):
            offset = cache[0][0].shape[2] if cache else 0
            t = idx.shape[1]
            x = self.wte(idx) + self.wpe(torch.arange(offset, offset + t))
            for i, block in enumerate(self.h):
                x = block(x, cache, i)
            return self.ln_f(x) @ self.wte.weight.t()  # tied head

    return GPT()


def corpus_ids() -> list[int]:
    return list(CORPUS.read_text(encoding="utf-8").lstrip("\ufeff").encode("utf-8"))


def torch_worker(a) -> dict:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = {"workload": a.workload, "threads": a.threads, "impl": "torch", "torch": torch.__version__}
    if a.workload == "attention":
        b, h, t, d = 1, 4, a.length, 32
        gen = torch.Generator().manual_seed(1)
        q, k, v, g = (torch.randn(b, h, t, d, generator=gen) for _ in range(4))
        for x in (q, k, v):
            x.requires_grad_(True)
        before = status_kib("VmRSS")
        times = []
        for i in range(a.repeats + 1):  # one warm-up, as koan-bench's median()
            start = time.perf_counter()
            loss = (F.scaled_dot_product_attention(q, k, v, is_causal=True) * g).sum()
            torch.autograd.grad(loss, [q, k, v])
            if i:
                times.append(time.perf_counter() - start)
        times.sort()
        out.update(kernel="sdpa", length=t, seconds=times[len(times) // 2], rss_before_kib=before)
        out["vmhwm_kib"] = status_kib("VmHWM")
        return out
    c = CONFIGS[a.config]
    out["config"] = a.config
    ids = corpus_ids()
    model = build_model(c)
    if a.workload == "train":
        T = c["context"]
        n = (len(ids) - 1) // T  # non-overlapping next-token windows, as Dataset.nextToken
        data = torch.tensor(ids[: n * T + 1])
        x = data[: n * T].view(n, T)
        y = data[1: n * T + 1].view(n, T)
        decay = [p for p in model.parameters() if p.dim() >= 2]  # Koan's AdamW: no decay on biases/norms
        rest = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay}, {"params": rest, "weight_decay": 0.0}], lr=LR, weight_decay=0.01)
        gen = torch.Generator().manual_seed(0)
        model.train()
        losses = []
        steps = 0
        start = time.perf_counter()
        while steps < a.steps:
            perm = torch.randperm(n, generator=gen)
            for xb, yb in zip(x[perm].split(c["batch"]), y[perm].split(c["batch"])):
                if steps == a.steps:
                    break
                opt.zero_grad()
                logits = model(xb)
                loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), yb.reshape(-1))
                loss.backward()
                opt.step()
                losses.append(loss.item())  # what fit records each step: loss and number right
                int((logits.argmax(-1) == yb).sum())
                steps += 1
        wall = time.perf_counter() - start
        params = sum(p.numel() for p in model.parameters())
        tokens = steps * c["batch"] * T  # every window batch is full: 1358 // 16, 679 // 8 whole batches suffice
        flops = train_flops_per_token(c, params) * tokens
        out.update(steps=steps, tokens=tokens, seconds=wall, tokens_per_second=tokens / wall, gflops=flops / 1e9,
                   gflop_per_second=flops / wall / 1e9, parameters=params, windows=n,
                   first_loss=losses[0], final_loss=losses[-1])
    else:
        prompt = ids[: a.prompt]
        count = min(a.tokens, c["context"] - len(prompt))
        model.eval()

        def generate(tokens: int) -> list[int]:
            seq = list(prompt)
            new = []
            with torch.no_grad():
                cache = [] if a.cache == "on" else None
                pending = seq
                for _ in range(tokens):
                    if cache is not None:
                        logits = model(torch.tensor([pending]), cache)
                    else:
                        logits = model(torch.tensor([seq[-c["context"]:]]))
                    nxt = int(logits[0, -1].argmax())
                    seq.append(nxt)
                    new.append(nxt)
                    pending = [nxt]
            return new

        generate(2)
        start = time.perf_counter()
        new = generate(count)
        wall = time.perf_counter() - start
        out.update(prompt=len(prompt), tokens=len(new), cache=a.cache == "on", seconds=wall,
                   tokens_per_second=len(new) / wall, first_tokens=new[:8])
    out["vmhwm_kib"] = status_kib("VmHWM")
    return out


def fmt(x, spec=",.0f"):
    return "n/a" if x is None else format(x, spec)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench-bin", default=str(REPO / ".build-release" / "release" / "koan-bench"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2,
                    help="runs of each training/generation process, alternating Koan and torch; the fastest counts")
    ap.add_argument("--quick", action="store_true", help="fewer training steps, attention up to T = 1024")
    ap.add_argument("--only", help="comma-separated parts: train, generate, attention")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workload", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--tokens", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--prompt", type=int, default=PROMPT, help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    ap.add_argument("--length", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=3, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.torch_worker:
        print(json.dumps(torch_worker(args)))
        return 0
    if not os.path.exists(args.bench_bin):
        sys.exit(f"{args.bench_bin} not found: swift build -c release --scratch-path .build-release --product koan-bench")
    parts = set(args.only.split(",")) if args.only else {"train", "generate", "attention"}
    th = ["--threads", str(args.threads)]
    koan = lambda extra: run_json([args.bench_bin, "gpt"] + extra + th, notes, cwd=REPO)  # noqa: E731
    torch = lambda extra: run_json([sys.executable, __file__, "--torch-worker"] + extra + th, notes, cwd=REPO)  # noqa: E731
    notes: list[str] = []
    results: list[dict] = []

    def best(runs: list[dict | None]) -> dict | None:
        """The fastest of the rounds (the least disturbed by other load), all kept in the JSON."""
        ok = [r for r in runs if r]
        results.extend(ok)
        return max(ok, key=lambda r: r["tokens_per_second"]) if ok else None

    def rounds(*cmds):
        runs = [[] for _ in cmds]
        for _ in range(args.rounds):
            for i, cmd in enumerate(cmds):
                runs[i].append(cmd())
        return [best(r) for r in runs]

    load = os.getloadavg()

    train_rows, gen_rows, attn_rows = [], [], []
    for name, c in CONFIGS.items():
        if "train" in parts:
            steps = c["steps"][1 if args.quick else 0]
            extra = ["--workload", "train", "--config", name, "--steps", str(steps)]
            k, kt, t = rounds(lambda: koan(extra + ["--lr", str(LR)]),
                              lambda: koan(extra + ["--lr", str(LR), "--attention", "tiled"]),
                              lambda: torch(extra))
            train_rows.append((name, c, steps, k, kt, t))
        if "generate" in parts:
            count = c["context"] - PROMPT
            for cache in ("on", "off"):
                extra = ["--workload", "generate", "--config", name, "--tokens", str(count), "--prompt", str(PROMPT),
                         "--cache", cache]
                k, t = rounds(lambda: koan(extra), lambda: torch(extra))
                gen_rows.append((name, cache, count, k, t))
    if "attention" in parts:
        for length in ATTN_LENGTHS[:2] if args.quick else ATTN_LENGTHS:
            reps = "7" if length <= 1024 else "2"
            row = {}
            for kernel in ATTN_KERNELS:
                row[kernel] = koan(["--workload", "attention", "--kernel", kernel, "--length", str(length), "--repeats", reps])
            row["sdpa"] = torch(["--workload", "attention", "--length", str(length), "--repeats", reps])
            attn_rows.append((length, row))
            results += [r for r in row.values() if r]

    tv = next((r["torch"] for r in results if "torch" in r), "?")
    end = os.getloadavg()
    print(f"torch {tv}, threads {args.threads} (both sides), cpus {os.cpu_count()}, best of {args.rounds} rounds; "
          f"load average {load[0]:.2f} at start, {end[0]:.2f} at end")
    if train_rows:
        print("\ntraining (fit vs eager loop, AdamW lr 1e-3; ratio = Koan tokens/s ÷ torch tokens/s)")
        h = (f"{'config':<7} {'steps':>5} {'koan tok/s':>10} {'torch tok/s':>11} {'ratio':>6} {'target':>6} {'':4}"
             f" {'koan GF/s':>9} {'torch GF/s':>10} {'koan %pk':>8} {'tiled tok/s':>11} {'ratio':>6}"
             f" {'loss koan/torch (last step)':>27}")
        print(h + "\n" + "-" * len(h))
        for name, c, steps, k, kt, t in train_rows:
            ratio = k["tokens_per_second"] / t["tokens_per_second"] if k and t else None
            tratio = kt["tokens_per_second"] / t["tokens_per_second"] if kt and t else None
            verdict = "" if ratio is None else ("ok" if ratio >= c["target"] else "MISS")
            loss = f"{k['final_loss']:.3f} / {t['final_loss']:.3f}" if k and t else "n/a"
            print(f"{name:<7} {steps:>5} {fmt(k and k['tokens_per_second']):>10} {fmt(t and t['tokens_per_second']):>11}"
                  f" {fmt(ratio, '.2f'):>5}× {'≥' + str(c['target']):>6} {verdict:<4}"
                  f" {fmt(k and k['gflop_per_second'], '.1f'):>9} {fmt(t and t['gflop_per_second'], '.1f'):>10}"
                  f" {fmt(k and 100 * k['gflop_per_second'] / PEAK_GFLOPS, '.1f'):>7}%"
                  f" {fmt(kt and kt['tokens_per_second']):>11} {fmt(tratio, '.2f'):>5}× {loss:>27}")
        print("koan = GPT's default attention (.full); tiled = the same model with attention: .tiled(block: 64)")
        print(f"FLOPs/token = 6·N + 12·layers·T·dim (N = parameters less wpe; tied head once); peak {PEAK_GFLOPS:.0f} GFLOP/s")
    if gen_rows:
        print(f"\ngeneration (greedy, prompt {PROMPT}, to the full context; tokens/s)")
        h = f"{'config':<7} {'cache':>5} {'tokens':>6} {'koan':>9} {'torch':>9} {'ratio':>6} {'target':>6}"
        print(h + "\n" + "-" * len(h))
        for name, cache, count, k, t in gen_rows:
            ratio = k["tokens_per_second"] / t["tokens_per_second"] if k and t else None
            verdict = "" if ratio is None else ("ok" if ratio >= GEN_TARGET else "MISS")
            print(f"{name:<7} {cache:>5} {count:>6} {fmt(k and k['tokens_per_second']):>9} {fmt(t and t['tokens_per_second']):>9}"
                  f" {fmt(ratio, '.2f'):>5}× {'≥' + str(GEN_TARGET):>6} {verdict}")
    if attn_rows:
        print("\nattention forward+backward, B=1 H=4 Dh=32 causal (ms; peak = VmHWM − RSS before the first call, MiB)")
        names = ATTN_KERNELS + ["sdpa"]
        h = f"{'T':>5} " + " ".join(f"{n + ' ms':>10} {n + ' MiB':>10}" for n in names)
        print(h + "\n" + "-" * len(h))
        for length, row in attn_rows:
            cells = []
            for n in names:
                r = row[n]
                if r:
                    cells.append(f"{r['seconds'] * 1e3:>10.1f} {(r['vmhwm_kib'] - r['rss_before_kib']) / 1024:>10.1f}")
                else:
                    cells.append(f"{'n/a':>10} {'n/a':>10}")
            print(f"{length:>5} " + " ".join(cells))
        print("kernels: full, tiled(block: 64), linear (elu+1, not softmax), local(window: 256); sdpa = torch reference")
    rss_rows = [(f"train {n}", k, t) for n, c, s, k, kt, t in train_rows] + \
               [(f"generate {n} cache {ca}", k, t) for n, ca, cnt, k, t in gen_rows]
    if rss_rows:
        print("\npeak RSS (VmHWM of each process, MiB; torch includes `import torch`)")
        h = f"{'workload':<24} {'koan':>8} {'torch':>8} {'koan/torch':>10} {'target':>7}"
        print(h + "\n" + "-" * len(h))
        for label, k, t in rss_rows:
            if not (k and t):
                print(f"{label:<24} {'n/a':>8}")
                continue
            kr, tr = k["vmhwm_kib"] / 1024, t["vmhwm_kib"] / 1024
            print(f"{label:<24} {kr:>8.1f} {tr:>8.1f} {kr / tr:>9.2f}× {'≤' + str(TARGET_RSS):>7} {'ok' if kr <= TARGET_RSS * tr else 'MISS'}")
    finish(notes, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
