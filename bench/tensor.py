#!/usr/bin/env python3
"""Tensor engine benchmark: Koan (from Swift and from a cell) against OpenBLAS called
directly, NumPy and PyTorch (CPU, if installed), all in one invocation.

    swift build -c release --scratch-path .build-release --product koan-bench
    .venv/bin/python bench/tensor.py [--bench-bin .build-release/release/koan-bench] [--quick] [--json out.json]

Prints a table of medians and ratios (koan time / anchor time: below 1 means Koan is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    import torch
except ImportError:  # PyTorch is optional: its columns are left out.
    torch = None


def median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def python_side(sizes, counts, threads_list):
    out = []
    for threads in threads_list:
        if torch is not None:
            torch.set_num_threads(threads)
        for n in sizes:
            reps = max(3, min(200, int(2e10 / (2 * n ** 3))))
            a = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
            b = np.random.default_rng(2).standard_normal((n, n), dtype=np.float32)
            # NumPy's own OpenBLAS uses every core; it is compared in the all-cores rows.
            if threads == (os.cpu_count() or 1):
                out.append(("sgemm", n, threads, "numpy", median_time(lambda: a @ b, reps)))
            if torch is not None:
                ta, tb = torch.from_numpy(a), torch.from_numpy(b)
                out.append(("sgemm", n, threads, "torch", median_time(lambda: ta @ tb, reps)))
    threads = os.cpu_count() or 1
    if torch is not None:
        torch.set_num_threads(threads)
    for count in counts:
        reps = max(5, min(2000, 20_000_000 // count))
        x = np.random.default_rng(3).standard_normal(count, dtype=np.float32)
        y = np.random.default_rng(4).standard_normal(count, dtype=np.float32)
        out.append(("add", count, threads, "numpy", median_time(lambda: x + y, reps)))
        out.append(("mul", count, threads, "numpy", median_time(lambda: x * y, reps)))
        out.append(("sum", count, threads, "numpy", median_time(lambda: x.sum(), reps)))
        if torch is not None:
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            out.append(("add", count, threads, "torch", median_time(lambda: tx + ty, reps)))
            out.append(("mul", count, threads, "torch", median_time(lambda: tx * ty, reps)))
            out.append(("gelu", count, threads, "torch", median_time(lambda: torch.nn.functional.gelu(tx), reps)))
            out.append(("sum", count, threads, "torch", median_time(lambda: tx.sum(), reps)))
    if torch is not None:
        for name, n, c, h, o in [("conv-digits", 64, 1, 8, 16), ("conv-32x32x64", 32, 64, 32, 64)]:
            x = torch.randn(n, c, h, h)
            w = torch.randn(o, c, 3, 3)
            out.append((name, n, threads, "torch", median_time(lambda: torch.nn.functional.conv2d(x, w, padding=1), 10)))
        s1, s2 = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([4.0, 3.0, 2.0, 1.0])
        loops = 100_000

        def adds():
            for _ in range(loops):
                s1 + s2

        def empty():
            for _ in range(loops):
                s1

        per = max(0.0, median_time(adds, 5) - median_time(empty, 5)) / loops
        out.append(("small-add-overhead", 4, threads, "torch", per))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-bin", default=".build-release/release/koan-bench")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.path.exists(args.bench_bin):
        sys.exit(f"{args.bench_bin} not found: swift build -c release --scratch-path .build-release --product koan-bench")
    cmd = [args.bench_bin] + (["--quick"] if args.quick else [])
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    if "error" in out:
        sys.exit(f"koan-bench failed: {out['error']}")
    swift = out["results"]
    rows = [(r["workload"], r["size"], r["threads"], r["impl"], r["seconds"]) for r in swift]
    sizes = [64, 256, 512] if args.quick else [64, 128, 256, 512, 1024, 2048]
    counts = [1_000, 1_000_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    rows += python_side(sizes, counts, [1, 2])

    table = {}
    for w, size, threads, impl, sec in rows:
        table.setdefault((w, size, threads), {})[impl] = sec
    impls = ["openblas", "koan-swift", "koan-cell", "numpy", "torch"]
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, cpus {os.cpu_count()}")
    header = f"{'workload':<20}{'size':>9}{'thr':>4}" + "".join(f"{i:>12}" for i in impls) + "   ratios (koan-swift / anchor)"
    print(header)
    print("-" * len(header))
    for (w, size, threads), cols in table.items():
        cells = "".join(f"{fmt(cols.get(i)):>12}" for i in impls)
        ratios = []
        k = cols.get("koan-swift") or cols.get("koan-cell")
        for anchor in ["openblas", "numpy", "torch"]:
            if k and cols.get(anchor):
                ratios.append(f"{anchor} {k / cols[anchor]:.2f}x")
        if w == "sgemm" and cols.get("koan-cell") and cols.get("openblas"):
            ratios.append(f"cell/openblas {cols['koan-cell'] / cols['openblas']:.2f}x")
        if w == "sgemm" and cols.get("koan-swift"):
            gflops = 2 * size ** 3 / cols["koan-swift"] / 1e9
            ratios.append(f"{gflops:.0f} GFLOP/s")
        print(f"{w:<20}{size:>9}{threads:>4}{cells}   {', '.join(ratios)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([dict(zip(["workload", "size", "threads", "impl", "seconds"], r)) for r in rows], f, indent=1)


def fmt(sec):
    if sec is None:
        return "-"
    if sec >= 1e-3:
        return f"{sec * 1e3:.3f}ms"
    return f"{sec * 1e6:.2f}us"


if __name__ == "__main__":
    main()
