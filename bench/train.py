#!/usr/bin/env python3
"""Training benchmark: Koan's `fit` (called from Swift, and from a Koan cell) against the
standard PyTorch eager training loop, same models, data, batch size and optimizer.

    swift build -c release --scratch-path .build-release --product koan-bench
    .venv/bin/python bench/train.py [--bench-bin .build-release/release/koan-bench] [--quick] [--json out.json]

Every (workload, implementation) pair runs in its own process, so its peak RSS (VmHWM) is
what that training run costs, including the torch import on the PyTorch side and the
interpreter on the Koan-cell side. Prints samples/s of each side, the ratio
Koan / PyTorch (above 1 means Koan is faster), the final-epoch training loss of each side
and the peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from workers import finish, run_json, status_kib

REPO = Path(__file__).resolve().parent.parent
DIGITS = REPO / "Sources" / "KoanData" / "Resources" / "digits.npz"

# name, what it is, optimizer, learning rate, epochs (full, --quick), speed target (× PyTorch)
WORKLOADS = [
    ("mlp", "MLP 64-128-10, digits/16, SGD 0.1", "sgd", 0.1, (20, 5), 3.0),
    ("cnn", "CNN() 1x8x8 [16,32], digits/16, Adam 1e-3", "adam", 1e-3, (10, 3), 1.5),
    ("vgg", "CNN 3x32x32 [32,64], 1797 random, SGD 0.01", "sgd", 0.01, (2, 1), 1.5),
]
TARGET_RSS = 0.3  # Koan peak RSS ≤ 0.3 × PyTorch's
BATCH = 64


def torch_worker(workload: str, epochs: int, threads: int, batch: int, optimizer: str, lr: float) -> dict:
    """The PyTorch side of one workload, in this (fresh) process: the plain eager loop
    (zero_grad, forward, loss, backward, step) over a list of pre-built batches, reshuffled
    every epoch as Koan's fit does (no DataLoader)."""
    import numpy as np
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with np.load(DIGITS) as z:
        x = torch.from_numpy(z["images"].astype(np.float32) / 16)
        y = torch.from_numpy(z["target"].astype(np.int64))
    n = x.shape[0]
    if workload == "mlp":
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    else:
        if workload == "cnn":
            x = x.reshape(n, 1, 8, 8)
            channels, size, widths = 1, 8, [16, 32]
        else:
            x = torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(1))
            channels, size, widths = 3, 32, [32, 64]
        layers: list[nn.Module] = []
        c = channels
        for w in widths:  # Koan's CNN: per width two Conv3x3(pad 1) + ReLU, then MaxPool2
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c = w
        side = size >> len(widths)
        model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * side * side, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr) if optimizer == "sgd" else torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    model.train()
    loss_sum = 0.0
    correct = 0
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        xs, ys = x[perm].split(batch), y[perm].split(batch)
        loss_sum, correct = 0.0, 0
        for xb, yb in zip(xs, ys):
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            # What Koan's fit records each step: the loss and the number right.
            loss_sum += loss.item() * len(yb)
            correct += int((out.argmax(1) == yb).sum())
    wall = time.perf_counter() - start
    return {"workload": workload, "via": "torch", "epochs": epochs, "threads": threads, "batch": batch,
            "samples": n * epochs, "seconds": wall, "samples_per_second": n * epochs / wall,
            "final_loss": loss_sum / n, "final_accuracy": correct / n, "vmhwm_kib": status_kib("VmHWM"),
            "torch": torch.__version__}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench-bin", default=str(REPO / ".build-release" / "release" / "koan-bench"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer epochs")
    ap.add_argument("--only", help="comma-separated workloads (mlp, cnn, vgg)")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    ap.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--optimizer", help=argparse.SUPPRESS)
    ap.add_argument("--lr", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.torch_worker:
        print(json.dumps(torch_worker(args.torch_worker, args.epochs, args.threads, BATCH, args.optimizer, args.lr)))
        return 0
    if not os.path.exists(args.bench_bin):
        sys.exit(f"{args.bench_bin} not found: swift build -c release --scratch-path .build-release --product koan-bench")

    chosen = set(args.only.split(",")) if args.only else None
    results = []
    rows = []
    notes: list[str] = []
    for name, what, optimizer, lr, (full, quick), target in WORKLOADS:
        if chosen and name not in chosen:
            continue
        epochs = quick if args.quick else full
        common = ["--workload", name, "--epochs", str(epochs), "--threads", str(args.threads),
                  "--batch", str(BATCH), "--optimizer", optimizer, "--lr", str(lr)]
        swift = run_json([args.bench_bin, "train", "--via", "swift"] + common)
        cell = run_json([args.bench_bin, "train", "--via", "cell"] + common, notes)
        torch = run_json([sys.executable, __file__, "--torch-worker", name, "--epochs", str(epochs),
                          "--threads", str(args.threads), "--optimizer", optimizer, "--lr", str(lr)])
        results += [r for r in (swift, cell, torch) if r]
        rows.append((name, what, epochs, target, swift, cell, torch))

    torch_version = results[-1].get("torch", "?") if results else "?"
    print(f"torch {torch_version}, threads {args.threads} (both sides), batch {BATCH}, cpus {os.cpu_count()}")
    header = (f"{'workload':<5} {'epochs':>6} {'koan-swift':>11} {'koan-cell':>11} {'torch':>11}"
              f" {'koan/torch':>10} {'target':>7} {'':4}  {'loss koan':>9} {'loss torch':>10}")
    print("\nsamples/s (ratio = koan-swift samples/s ÷ torch samples/s; above 1: Koan faster)")
    print(header)
    print("-" * len(header))
    for name, what, epochs, target, swift, cell, torch in rows:
        ratio = swift["samples_per_second"] / torch["samples_per_second"]
        verdict = "ok" if ratio >= target else "MISS"
        cell_sps = f"{cell['samples_per_second']:,.0f}" if cell else "n/a"
        print(f"{name:<5} {epochs:>6} {swift['samples_per_second']:>11,.0f} {cell_sps:>11}"
              f" {torch['samples_per_second']:>11,.0f} {ratio:>9.2f}× {'≥' + str(target):>7} {verdict:<4}"
              f"  {swift['final_loss']:>9.4f} {torch['final_loss']:>10.4f}")
    header = (f"{'workload':<5} {'koan-swift':>11} {'koan-cell':>11} {'torch':>11} {'swift/torch':>11}"
              f" {'cell/torch':>10} {'target':>7}")
    print("\npeak RSS (VmHWM of a separate process per workload, MiB; torch includes `import torch`)")
    print(header)
    print("-" * len(header))
    for name, what, epochs, target, swift, cell, torch in rows:
        sw, tr = swift["vmhwm_kib"] / 1024, torch["vmhwm_kib"] / 1024
        ce = cell["vmhwm_kib"] / 1024 if cell else None
        checked = ce if ce is not None else sw  # the cell process when there is one
        verdict = "ok" if checked <= TARGET_RSS * tr else "MISS"
        ce_text, ce_ratio = (f"{ce:.1f}", f"{ce / tr:.2f}×") if ce is not None else ("n/a", "n/a")
        print(f"{name:<5} {sw:>11.1f} {ce_text:>11} {tr:>11.1f} {sw / tr:>10.2f}×"
              f" {ce_ratio:>10} {'≤' + str(TARGET_RSS):>7} {verdict}")
    print()
    for name, what, *_ in rows:
        print(f"{name}: {what}, batch {BATCH}, shuffled every epoch")
    print("loss = mean training loss of the last epoch; the RSS target is checked on the cell column (swift when n/a).")
    finish(notes, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
