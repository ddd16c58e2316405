#!/usr/bin/env python3
"""Hyperparameter search benchmark (issue 15): Koan's `search` against Optuna 5.0.0, measured
in the same invocation.

    swift build -c release --scratch-path .build-release --product koan
    .venv/bin/python bench/search.py [--koan-bin .build-release/release/koan] [--only functions,digits,overhead]
                                     [--seeds 20] [--trials 50] [--digits-seeds 5] [--digits-trials 30] [--full]
                                     [--overhead-trials 50,200] [--repeats 3] [--threads 1] [--json out.json]

Parts (each prints its table as it finishes):

- `functions`: Branin (x ∈ [−5, 10], y ∈ [0, 15], minimum 0.397887) and Hartmann-6
  (x ∈ [0, 1]^6, minimum −3.32237), `--seeds` seeds (0…) × `--trials` trials. Koan:
  `search(space, trials:, strategy: .tpe | .random, seed: s)`; Optuna: `TPESampler(seed=s)`
  with its defaults (multivariate, the default for one objective in Optuna 5; 10 start-up
  trials, 24 candidates, constant liar) and `RandomSampler(seed=s)` for reference. The table
  gives the median and quartiles of the best value after the last trial, the ratio of the
  median regrets (best − minimum; below 1: Koan is closer to the minimum), the Mann-Whitney U
  p-values (two-sided, and one-sided for "Koan worse") and a bootstrap 95% interval of
  median(Koan) − median(Optuna). Goal: Koan TPE's median ≤ Optuna TPE's.
- `digits`: the MLP of the issue (`MLP(input: 64, hidden: [h], output: 10, dropout: p)`,
  `fit(train, epochs: 20, batchSize: 64, optimizer: .adamW(lr:), validation: test, seed: 0,
  trial:)`; space lr log-uniform [1e-4, 1e-1], hidden ∈ {16,
  32, 64, 128}, dropout uniform [0, 0.5]; the objective is the best epoch's validation
  loss) searched with TPE, without a pruner and with `.median`, `--digits-seeds` ×
  `--digits-trials` (`--full`: 20 × 50). Optuna: TPESampler + `MedianPruner()` (and no
  pruner) on the same space with a NumPy MLP of the same shape (PyTorch's Linear
  initialisation, ReLU, inverted dropout, mean cross-entropy, torch.optim.AdamW's update
  with weight decay 0.01 on the weight matrices only, as Koan's AdamW) on sklearn's
  `load_digits()` (the same images as `Dataset.digits()`, in the same order, unnormalised
  0…16 on both sides), batch 64 shuffled each epoch, the partial last batch kept. Both sides
  use one split: sklearn's `train_test_split(test_size=359, random_state=0)` (the sizes of
  `Dataset.digits().split(0.8, seed: 0)`), given to Koan as `digits.subset([...])`. Epochs run = the sum over trials of the epochs each trial ran (its
  intermediate values). Goals: pruning saves ≥ 40% of the epochs with the best trial's
  validation accuracy within 0.5 points of the unpruned search (median over seeds), and
  Koan's median best validation loss no worse than Optuna's (different training code: that
  row compares the whole pipeline, not the samplers alone).
- `overhead`: a trivial objective (`add(trial["x"], trial["y"])`, x, y uniform) with TPE
  over `--overhead-trials` trials (random search for reference), in memory and with
  `storage: "sqlite:///…"` on both sides (the database's schema made before timing, by a
  warm-up study in the same file). Koan: `%time` of the `search(...)` statement (its live
  display included) minus `%time` of a loop calling the objective's function as often;
  Optuna: `create_study` + `optimize` (logging at WARNING, no progress bar) minus the same
  loop in Python. Median of `--repeats` runs (seeds 0…), after a warm-up search. Goal: Koan
  ≤ 1 ms per trial (TPE, in memory).

Each Koan part is one notebook run by `koan run` (`%threads` `--threads`); Optuna runs in this
process (`OMP_NUM_THREADS`/`OPENBLAS_NUM_THREADS` = `--threads`, set before NumPy loads).
Goals are reported as MET/MISS, never asserted; numbers from a debug binary do not count.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from workers import finish, run_cells

REPO = Path(__file__).resolve().parent.parent
PARTS = ["functions", "digits", "overhead"]

BRANIN_MIN = 0.397887
HARTMANN6_MIN = -3.32237
GOAL_PRUNE_SAVED = 0.40       # fraction of epochs saved by .median
GOAL_PRUNE_POINTS = 0.5       # best validation accuracy, points
GOAL_OVERHEAD_MS = 1.0        # per trial, TPE, in memory

DIGITS_SPACE_KOAN = '["lr": .logUniform(1e-4, 1e-1), "hidden": .choice([16, 32, 64, 128]), "dropout": .uniform(0, 0.5)]'
DIGITS_HIDDEN = [16, 32, 64, 128]
DIGITS_EPOCHS, DIGITS_BATCH = 20, 64
DIGITS_TRAIN, DIGITS_TEST = 1438, 359      # Dataset.digits().split(0.8, seed: 0)

KOAN_FUNCTIONS = """\
func branin(_ x: Double, _ y: Double) -> Double {
    let pi = 3.141592653589793
    let u = y - 5.1 / (4 * pi * pi) * x * x + 5 / pi * x - 6
    return u * u + 10 * (1 - 1 / (8 * pi)) * cos(x) + 10
}
let hA: [[Double]] = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
let hP: [[Double]] = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
let hAlpha: [Double] = [1.0, 1.2, 3.0, 3.2]
func hartmann6(_ x: [Double]) -> Double {
    var total = 0.0
    for i in 0..<4 {
        var inner = 0.0
        for j in 0..<6 {
            let d = x[j] - hP[i][j] * 1e-4
            inner += hA[i][j] * d * d
        }
        total -= hAlpha[i] * exp(-inner)
    }
    return total
}"""

FUNCTIONS = {
    "branin": {"minimum": BRANIN_MIN,
               "space": '["x": .uniform(-5, 10), "y": .uniform(0, 15)]',
               "call": 'branin(trial["x"], trial["y"])'},
    "hartmann6": {"minimum": HARTMANN6_MIN,
                  "space": "[" + ", ".join(f'"x{i}": .uniform(0, 1)' for i in range(6)) + "]",
                  "call": "hartmann6([" + ", ".join(f'trial["x{i}"]' for i in range(6)) + "])"},
}


def branin(x: float, y: float) -> float:
    u = y - 5.1 / (4 * math.pi ** 2) * x * x + 5 / math.pi * x - 6
    return u * u + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
H_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(x) -> float:
    total = 0.0
    for i in range(4):
        inner = sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6))
        total -= H_ALPHA[i] * math.exp(-inner)
    return total


def add(x: float, y: float) -> float:
    return x + y


# ---- statistics ----------------------------------------------------------------------------

def quantile(xs: list[float], q: float) -> float:
    """NumPy's default (linear) quantile."""
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def median(xs: list[float]) -> float:
    return quantile(xs, 0.5)


def mann_whitney(a: list[float], b: list[float]) -> tuple[float, float, float]:
    """U of a, the two-sided p and the one-sided p for "a tends to be larger than b" (normal
    approximation with tie and continuity corrections, as scipy's mannwhitneyu(method=
    "asymptotic"))."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        r = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[k] = r
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, pooled) if g == 0)
    u1 = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return u1, 1.0, 0.5
    sf = lambda z: 0.5 * math.erfc(z / math.sqrt(2))  # noqa: E731
    greater = sf((u1 - mu - 0.5) / sigma)
    two = min(1.0, 2 * sf((abs(u1 - mu) - 0.5) / sigma))
    return u1, two, greater


def bootstrap_median_diff(a: list[float], b: list[float], resamples: int = 10000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of median(a) − median(b), each side resampled on its own."""
    import numpy as np
    rng = np.random.default_rng(seed)
    A, B = np.asarray(a), np.asarray(b)
    da = np.median(A[rng.integers(0, len(A), (resamples, len(A)))], axis=1)
    db = np.median(B[rng.integers(0, len(B), (resamples, len(B)))], axis=1)
    lo, hi = np.percentile(da - db, [2.5, 97.5])
    return float(lo), float(hi)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else "MET" if ok else "MISS"


def fmt(x, spec=".4g", none="n/a") -> str:
    return none if x is None else format(x, spec)


# ---- Koan notebooks ------------------------------------------------------------------------

def run_notebook(koan_bin: str, cells: list[str], name: str) -> tuple[list[dict], list[str], list[str], float]:
    """Runs the cells with `koan run`: (every printed JSON line in order, each cell's stream
    text, errors, wall seconds)."""
    texts, errors, wall = run_cells(koan_bin, cells, name, cwd=REPO)
    lines = [json.loads(l) for text in texts for l in text.splitlines() if l.startswith("{")]
    return lines, texts, errors, wall


WALL = re.compile(r"wall time: ([0-9.]+) (s|ms|µs)")


def wall_seconds(text: str) -> float | None:
    """The `%time` line of a cell's output, in seconds."""
    m = WALL.search(text)
    return float(m.group(1)) * {"s": 1, "ms": 1e-3, "µs": 1e-6}[m.group(2)] if m else None


# ---- Optuna --------------------------------------------------------------------------------

def optuna_module():
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def optuna_sampler(optuna, strategy: str, seed: int):
    if strategy == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def optuna_function_values(fn: str, strategy: str, seeds: int, trials: int) -> list[list[float]]:
    optuna = optuna_module()
    if fn == "branin":
        def objective(t):
            return branin(t.suggest_float("x", -5, 10), t.suggest_float("y", 0, 15))
    else:
        def objective(t):
            return hartmann6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)])
    out = []
    for s in range(seeds):
        study = optuna.create_study(sampler=optuna_sampler(optuna, strategy, s))
        study.optimize(objective, n_trials=trials)
        out.append([t.value for t in study.trials])
    return out


# ---- part 1: test functions ----------------------------------------------------------------

def functions_cells(args) -> list[str]:
    cells = [f"%threads {args.threads}", KOAN_FUNCTIONS]
    for fn, spec in FUNCTIONS.items():
        for strategy in ("tpe", "random"):
            cells.append(
                "var values: [[Double]] = []\n"
                f"for s in 0..<{args.seeds} {{\n"
                f"    let st = search({spec['space']}, trials: {args.trials}, strategy: .{strategy}, seed: s) {{ trial in {spec['call']} }}\n"
                '    values.append(st.trials.map { $0["value"] as? Double ?? 1e300 })\n'
                "}\n"
                f'print("{{\\"fn\\": \\"{fn}\\", \\"strategy\\": \\"{strategy}\\", \\"values\\": \\(values)}}")')
    return cells


def best_values(per_seed: list[list[float]]) -> list[float]:
    return [min(v for v in values if v is not None) for values in per_seed]


def part_functions(args, notes: list, results: dict) -> dict:
    lines, _, errors, wall = run_notebook(args.koan_bin, functions_cells(args), "functions")
    notes += [f"functions notebook: {e}" for e in errors]
    koan = {(l["fn"], l["strategy"]): l["values"] for l in lines}
    optuna, owall = {}, {}
    for fn in FUNCTIONS:
        for strategy in ("tpe", "random"):
            start = time.perf_counter()
            optuna[(fn, strategy)] = optuna_function_values(fn, strategy, args.seeds, args.trials)
            owall[(fn, strategy)] = time.perf_counter() - start
    print(f"\ntest functions: {args.seeds} seeds (0…{args.seeds - 1}) × {args.trials} trials; best value after the last trial "
          f"(Koan notebook {wall:.1f} s, Optuna {sum(owall.values()):.1f} s)")
    print("Koan: search(space, trials:, strategy: .tpe | .random, seed: s); .tpe = multivariate, startupTrials 10, candidates 24\n"
          "Optuna 5.0.0: TPESampler(seed=s) defaults = multivariate (the default for one objective), n_startup_trials 10, "
          "n_ei_candidates 24, constant_liar; RandomSampler(seed=s)")
    h = (f"{'function':<10} {'sampler':<7} {'Koan median [q1, q3]':>31} {'Optuna median [q1, q3]':>31} "
         f"{'regret K/O':>10} {'MWU p':>6} {'p(K worse)':>10} {'95% CI median K−O':>22} {'K ≤ O':>6}")
    print(h + "\n" + "-" * len(h))
    rows = {}
    for fn, spec in FUNCTIONS.items():
        for strategy in ("tpe", "random"):
            k = koan.get((fn, strategy))
            o = optuna[(fn, strategy)]
            ob = best_values(o)
            row = {"optuna_best": ob, "optuna_seconds": owall[(fn, strategy)]}
            qs = lambda b: f"{median(b):.5g} [{quantile(b, 0.25):.5g}, {quantile(b, 0.75):.5g}]"  # noqa: E731
            if k is None:
                print(f"{fn:<10} {strategy:<7} {'n/a':>31} {qs(ob):>31}")
                rows[f"{fn}/{strategy}"] = row
                continue
            kb = best_values(k)
            kr, orr = median(kb) - spec["minimum"], median(ob) - spec["minimum"]
            ratio = kr / orr if orr > 0 else None
            _, p2, pworse = mann_whitney(kb, ob)
            lo, hi = bootstrap_median_diff(kb, ob)
            ok = median(kb) <= median(ob) if strategy == "tpe" else None
            row.update({"koan_best": kb, "koan_median": median(kb), "optuna_median": median(ob), "regret_ratio": ratio,
                        "mwu_p_two_sided": p2, "mwu_p_koan_worse": pworse, "ci95_median_diff": [lo, hi], "met": ok})
            rows[f"{fn}/{strategy}"] = row
            print(f"{fn:<10} {strategy:<7} {qs(kb):>31} {qs(ob):>31} {fmt(ratio, '.2f'):>9}× {p2:>6.3f} {pworse:>10.3f}"
                  f" {f'[{lo:+.4f}, {hi:+.4f}]':>22} {verdict(ok) if ok is not None else 'ref':>6}")
    print(f"regret K/O = (Koan median − minimum) / (Optuna median − minimum); minima: Branin {BRANIN_MIN}, Hartmann-6 {HARTMANN6_MIN}. "
          "MWU p: Mann-Whitney U, two-sided; p(K worse): one-sided, H1 = Koan's best values tend to be larger. "
          "CI: bootstrap (10,000 resamples) of median(Koan) − median(Optuna). K ≤ O is the goal (TPE rows; random = reference).")
    tpe = [rows.get(f"{fn}/tpe", {}) for fn in FUNCTIONS]
    strict = all(r.get("met") for r in tpe) if all("met" in r for r in tpe) else None
    worse = [fn for fn, r in zip(FUNCTIONS, tpe) if r.get("mwu_p_koan_worse", 1) < 0.05]
    pvals = ", ".join(f"{fn} {r['mwu_p_koan_worse']:.3f}" for fn, r in zip(FUNCTIONS, tpe) if "mwu_p_koan_worse" in r)
    print(f"goal: Koan TPE median best ≤ Optuna TPE's on Branin and Hartmann-6 — {verdict(strict) or 'n/a'}"
          + (f"; one-sided p(Koan worse): {pvals}" if pvals else "")
          + ("" if strict is None else
             f" — significantly worse (p < 0.05) on: {', '.join(worse)}" if worse else
             "" if strict else " — not significantly worse on either: a difference of medians within the noise of "
             f"{args.seeds} seeds"))
    results["functions"] = {"seeds": args.seeds, "trials": args.trials, "koan_wall_seconds": wall, "errors": errors,
                            "koan_values": {f"{a}/{b}": v for (a, b), v in koan.items()},
                            "optuna_values": {f"{a}/{b}": v for (a, b), v in optuna.items()},
                            "rows": rows, "met": strict}
    return results["functions"]


# ---- part 2: digits MLP --------------------------------------------------------------------

def digits_split() -> tuple[list[int], list[int]]:
    """The training and test indices into load_digits() / Dataset.digits() (same order):
    sklearn's train_test_split(test_size=359, random_state=0), the sizes of
    Dataset.digits().split(0.8, seed: 0). Both sides train and validate on these."""
    import numpy as np
    from sklearn.model_selection import train_test_split
    train, test = train_test_split(np.arange(DIGITS_TRAIN + DIGITS_TEST), test_size=DIGITS_TEST, random_state=0)
    return [int(i) for i in train], [int(i) for i in test]


def digits_cells(args, seeds: int, trials: int) -> list[str]:
    train, test = digits_split()
    cells = [f"%threads {args.threads}",
             f"let digits = Dataset.digits()\nlet train = digits.subset({train})\nlet test = digits.subset({test})\n"
             'print("{\\"train\\": \\(train.count), \\"test\\": \\(test.count), \\"checksum\\": \\(test.labels.sum().item())}")']
    for s in range(seeds):
        for pruner in ("none", "median"):
            cells.append(
                "var acc: [Double] = []\n"
                f"let st = search({DIGITS_SPACE_KOAN}, trials: {trials}, pruner: .{pruner}, seed: {s}) {{ trial in\n"
                '    let m = MLP(input: 64, hidden: [trial["hidden"]], output: 10, dropout: trial["dropout"], seed: trial.number)\n'
                f'    let run = m.fit(train, epochs: {args.digits_epochs}, batchSize: {DIGITS_BATCH}, optimizer: .adamW(lr: trial["lr"]), '
                "validation: test, seed: 0, trial: trial)\n"
                '    acc.append(run.history["val_accuracy"]![run.bestEpoch! - 1])\n'
                "    return run.validationLoss\n"
                "}\n"
                'let states = st.trials.map { $0["state"] as! String }\n'
                'let values = st.trials.map { $0["value"] as? Double ?? 1e300 }\n'
                'let epochs = st.trials.map { ($0["intermediate"] as! [Int: Double]).count }\n'
                'let inter = st.trials.map { t in\n'
                '    let d = t["intermediate"] as! [Int: Double]\n'
                '    return d.keys.sorted().map { d[$0]! }\n'
                '}\n'
                'let lrs = st.trials.map { ($0["params"] as! [String: Any])["lr"] as! Double }\n'
                'let hidden = st.trials.map { ($0["params"] as! [String: Any])["hidden"] as! Int }\n'
                'let dropout = st.trials.map { ($0["params"] as! [String: Any])["dropout"] as! Double }\n'
                f'print("{{\\"seed\\": {s}, \\"pruner\\": \\"{pruner}\\", \\"states\\": \\(states), \\"values\\": \\(values), '
                '\\"epochs\\": \\(epochs), \\"intermediate\\": \\(inter), \\"accuracy\\": \\(acc), \\"lr\\": \\(lrs), \\"hidden\\": \\(hidden), '
                '\\"dropout\\": \\(dropout)}")')
    return cells


class NumpyMLP:
    """64 → hidden → 10 with ReLU and inverted dropout after the hidden layer; PyTorch's
    Linear initialisation (U(±1/√fan_in) for weights and biases); AdamW as
    torch.optim.AdamW (betas 0.9, 0.999, eps 1e-8) with weight decay 0.01 on the weights."""

    def __init__(self, np, hidden: int, dropout: float, seed: int):
        rng = np.random.default_rng(seed)
        self.np, self.dropout, self.rng = np, dropout, rng
        b1, b2 = 1 / math.sqrt(64), 1 / math.sqrt(hidden)
        f = np.float32
        self.params = [rng.uniform(-b1, b1, (64, hidden)).astype(f), rng.uniform(-b1, b1, hidden).astype(f),
                       rng.uniform(-b2, b2, (hidden, 10)).astype(f), rng.uniform(-b2, b2, 10).astype(f)]
        self.decay = [True, False, True, False]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def forward(self, x, train: bool):
        np = self.np
        w1, c1, w2, c2 = self.params
        h = x @ w1 + c1
        a = np.maximum(h, 0)
        mask = None
        if train and self.dropout > 0:
            mask = (self.rng.random(a.shape) >= self.dropout).astype(np.float32) / np.float32(1 - self.dropout)
            a = a * mask
        return h, a, mask, a @ w2 + c2

    def loss(self, logits, y):
        np = self.np
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean()), logp

    def step(self, x, y, lr: float, wd: float = 0.01):
        np = self.np
        h, a, mask, logits = self.forward(x, True)
        _, logp = self.loss(logits, y)
        g = np.exp(logp)
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        w1, c1, w2, c2 = self.params
        gw2, gc2 = a.T @ g, g.sum(axis=0)
        ga = g @ w2.T
        if mask is not None:
            ga = ga * mask
        gh = ga * (h > 0)
        grads = [x.T @ gh, gh.sum(axis=0), gw2, gc2]
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        c1_, c2_ = 1 - b1 ** self.t, 1 - b2 ** self.t
        for i, (p, gr) in enumerate(zip(self.params, grads)):
            if self.decay[i]:
                p *= np.float32(1 - lr * wd)
            self.m[i] = b1 * self.m[i] + (1 - b1) * gr
            self.v[i] = b2 * self.v[i] + (1 - b2) * gr * gr
            p -= (lr * (self.m[i] / c1_) / (np.sqrt(self.v[i] / c2_) + eps)).astype(np.float32)

    def evaluate(self, x, y) -> tuple[float, float]:
        _, _, _, logits = self.forward(x, False)
        loss, _ = self.loss(logits, y)
        return loss, float((logits.argmax(axis=1) == y).mean())


def digits_data():
    import numpy as np
    from sklearn.datasets import load_digits
    d = load_digits()
    x, y = d.data.astype(np.float32), d.target.astype(np.int64)
    train, test = digits_split()
    return x[train], y[train], x[test], y[test]


def optuna_digits(seeds: int, trials: int, epochs: int, pruned: bool) -> list[dict]:
    import numpy as np
    optuna = optuna_module()
    xtr, ytr, xte, yte = digits_data()
    out = []
    for s in range(seeds):
        acc: dict[int, float] = {}

        def objective(trial):
            lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
            hidden = trial.suggest_categorical("hidden", DIGITS_HIDDEN)
            dropout = trial.suggest_float("dropout", 0, 0.5)
            model = NumpyMLP(np, hidden, dropout, seed=trial.number)
            order = np.random.default_rng(0)
            best, best_acc = math.inf, 0.0
            for epoch in range(1, epochs + 1):
                perm = order.permutation(len(xtr))
                for i in range(0, len(perm), DIGITS_BATCH):
                    b = perm[i:i + DIGITS_BATCH]
                    model.step(xtr[b], ytr[b], lr)
                loss, a = model.evaluate(xte, yte)
                if not math.isfinite(loss):
                    loss = 1e30
                if loss < best:
                    best, best_acc = loss, a
                acc[trial.number] = best_acc
                trial.report(loss, epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return best

        pruner = optuna.pruners.MedianPruner() if pruned else optuna.pruners.NopPruner()
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=s), pruner=pruner)
        study.optimize(objective, n_trials=trials)
        out.append({"seed": s, "pruner": "median" if pruned else "none",
                    "states": [t.state.name.lower() for t in study.trials],
                    "values": [t.value if t.value is not None else 1e300 for t in study.trials],
                    "epochs": [len(t.intermediate_values) for t in study.trials],
                    "intermediate": [[t.intermediate_values[k] for k in sorted(t.intermediate_values)] for t in study.trials],
                    "accuracy": [acc[t.number] for t in study.trials],
                    "lr": [t.params["lr"] for t in study.trials], "hidden": [t.params["hidden"] for t in study.trials],
                    "dropout": [t.params["dropout"] for t in study.trials]})
    return out


def replay_median_pruner(run: dict) -> tuple[int, int, list[str]]:
    """Koan's .median decisions against Optuna's own MedianPruner on the same history: each
    of Koan's trials, in order, is replayed into an Optuna study (its intermediate values
    reported step by step, should_prune() asked after each) and then told Koan's outcome.
    Returns (trials where the first step Optuna prunes at is the step Koan pruned at, or
    neither prunes; trials; the differences)."""
    optuna = optuna_module()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=optuna.pruners.MedianPruner())
    agree, diffs = 0, []
    for i, (state, values) in enumerate(zip(run["states"], run["intermediate"])):
        t = study.ask()
        first = None
        for step, v in enumerate(values, 1):
            t.report(v, step)
            if first is None and t.should_prune():
                first = step
        koan = len(values) if state == "pruned" else None
        if first == koan:
            agree += 1
        else:
            diffs.append(f"seed {run['seed']} trial {i}: Koan {'pruned at ' + str(koan) if koan else state}, "
                         f"Optuna {'prunes at ' + str(first) if first else 'does not prune'}")
        if state == "pruned":
            study.tell(t, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(t, run["values"][i])
    return agree, len(run["states"]), diffs


def digits_summary(runs: list[dict]) -> dict:
    """Per search: the best complete trial's value (validation loss) and its accuracy at its
    best epoch, and the epochs run; over the searches: medians and totals."""
    best_loss, best_acc, epochs, pruned = [], [], 0, 0
    for r in runs:
        complete = [i for i, s in enumerate(r["states"]) if s == "complete"]
        i = min(complete, key=lambda j: r["values"][j]) if complete else None
        best_loss.append(r["values"][i] if i is not None else None)
        best_acc.append(r["accuracy"][i] if i is not None else None)
        epochs += sum(r["epochs"])
        pruned += sum(s == "pruned" for s in r["states"])
    ok = [x for x in best_loss if x is not None]
    oka = [x for x in best_acc if x is not None]
    return {"best_loss": best_loss, "best_accuracy": best_acc, "epochs": epochs, "pruned_trials": pruned,
            "trials": sum(len(r["states"]) for r in runs),
            "median_loss": median(ok) if ok else None, "median_accuracy": median(oka) if oka else None}


def part_digits(args, notes: list, results: dict) -> dict:
    seeds = 20 if args.full else args.digits_seeds
    trials = 50 if args.full else args.digits_trials
    lines, _, errors, wall = run_notebook(args.koan_bin, digits_cells(args, seeds, trials), "digits")
    notes += [f"digits notebook: {e}" for e in errors]
    sizes = next((l for l in lines if "train" in l), {})
    xtr, ytr, xte, yte = digits_data()
    if sizes and (sizes["train"], sizes["test"], sizes["checksum"]) != (len(ytr), len(yte), int(yte.sum())):
        notes.append(f"digits: Koan's subsets {sizes} differ from the NumPy side's ({len(ytr)}, {len(yte)}, {int(yte.sum())})")
    koan = {p: [l for l in lines if l.get("pruner") == p] for p in ("none", "median")}
    owall = {}
    optuna = {}
    for p in ("none", "median"):
        start = time.perf_counter()
        optuna[p] = optuna_digits(seeds, trials, args.digits_epochs, p == "median")
        owall[p] = time.perf_counter() - start
    summary = {(side, p): digits_summary(runs[p]) for side, runs in (("koan", koan), ("optuna", optuna)) for p in ("none", "median")}
    print(f"\ndigits MLP search: {seeds} seeds × {trials} trials, TPE, {args.digits_epochs} epochs, batch {DIGITS_BATCH}, AdamW; "
          f"space lr log [1e-4, 1e-1], hidden {{16, 32, 64, 128}}, dropout [0, 0.5]; objective = best-epoch validation loss "
          f"(the same {sizes.get('train', '?')}/{sizes.get('test', '?')} split on both sides; Koan notebook {wall:.1f} s; "
          f"Optuna + NumPy MLP {sum(owall.values()):.1f} s)")
    h = (f"{'side':<7} {'pruner':<7} {'trials':>6} {'pruned':>6} {'epochs run':>10} {'saved':>6} {'≥40%':>5} "
         f"{'best val loss (median)':>22} {'best-trial val acc %':>20} {'Δ points':>8} {'≤0.5':>5}")
    print(h + "\n" + "-" * len(h))
    rows = {}
    for side in ("koan", "optuna"):
        base = summary[(side, "none")]
        for p in ("none", "median"):
            s = summary[(side, p)]
            saved = 1 - s["epochs"] / base["epochs"] if p == "median" and base["epochs"] else None
            delta = (100 * (s["median_accuracy"] - base["median_accuracy"])
                     if p == "median" and s["median_accuracy"] is not None and base["median_accuracy"] is not None else None)
            ok_saved = saved >= GOAL_PRUNE_SAVED if saved is not None else None
            ok_delta = abs(delta) <= GOAL_PRUNE_POINTS if delta is not None else None
            rows[f"{side}/{p}"] = {**s, "epochs_saved": saved, "delta_points": delta, "met_saved": ok_saved, "met_points": ok_delta}
            print(f"{'Koan' if side == 'koan' else 'Optuna':<7} {p:<7} {s['trials']:>6} {s['pruned_trials']:>6} {s['epochs']:>10}"
                  f" {fmt(saved and 100 * saved, '.1f', ''):>5}{'%' if saved is not None else ' '} {verdict(ok_saved):>5}"
                  f" {fmt(s['median_loss'], '.4f'):>22} {fmt(s['median_accuracy'] and 100 * s['median_accuracy'], '.2f'):>20}"
                  f" {fmt(delta, '+.2f', ''):>8} {verdict(ok_delta):>5}")
    kl = [x for x in summary[("koan", "median")]["best_loss"] if x is not None]
    ol = [x for x in summary[("optuna", "median")]["best_loss"] if x is not None]
    kn = [x for x in summary[("koan", "none")]["best_loss"] if x is not None]
    on = [x for x in summary[("optuna", "none")]["best_loss"] if x is not None]
    cmp = {}
    for label, k, o in (("no pruner", kn, on), ("median", kl, ol)):
        if k and o:
            _, p2, pw = mann_whitney(k, o)
            cmp[label] = {"koan_median": median(k), "optuna_median": median(o), "ratio": median(k) / median(o),
                          "mwu_p_two_sided": p2, "mwu_p_koan_worse": pw, "met": median(k) <= median(o)}
            print(f"best val loss, {label}: Koan median {median(k):.4f} vs Optuna {median(o):.4f} "
                  f"(ratio {median(k) / median(o):.2f}×, MWU p {p2:.3f}, p(K worse) {pw:.3f}) — K ≤ O {verdict(median(k) <= median(o))}")
    replay = [replay_median_pruner(r) for r in koan["median"]]
    agree, total = sum(r[0] for r in replay), sum(r[1] for r in replay)
    diffs = [d for r in replay for d in r[2]]
    if total:
        print(f"Koan's .median decisions replayed through Optuna's MedianPruner (same trials, same order): "
              f"{agree}/{total} trials identical" + (f"; first differences: {'; '.join(diffs[:3])}" if diffs else ""))
    print("epochs run: sum over all seeds' trials of the epochs each ran; saved = 1 − epochs(.median) / epochs(no pruner); "
          "best-trial val acc: validation accuracy at the best epoch of the trial with the lowest objective, median over seeds; "
          "Δ points: that median with .median − without. Koan vs Optuna best values come from different training code "
          "(Koan's fit vs a NumPy MLP), so they compare whole pipelines, not samplers alone.")
    k = rows["koan/median"]
    print(f"goal: pruning saves ≥ 40% of epochs at an equal best (±{GOAL_PRUNE_POINTS} points), Koan — "
          f"{verdict(bool(k['met_saved'] and k['met_points'])) if k['met_saved'] is not None and k['met_points'] is not None else 'n/a'}"
          + ("" if seeds >= 20 and trials >= 50 else f" (run with {seeds} × {trials}; --full for the issue's 20 × 50)"))
    results["digits"] = {"seeds": seeds, "trials": trials, "epochs": args.digits_epochs, "koan_wall_seconds": wall,
                         "optuna_wall_seconds": owall, "errors": errors, "koan_split": sizes,
                         "koan_runs": koan, "optuna_runs": optuna, "rows": rows, "best_loss_comparison": cmp,
                         "pruner_replay": {"identical": agree, "trials": total, "differences": diffs}}
    return results["digits"]


# ---- part 3: per-trial overhead ------------------------------------------------------------

OVERHEAD_SPACE = '["x": .uniform(-5, 10), "y": .uniform(0, 15)]'


def overhead_configs(args) -> list[dict]:
    ns = [int(n) for n in args.overhead_trials.split(",")]
    configs = [{"strategy": "tpe", "trials": n, "storage": False} for n in ns]
    configs.append({"strategy": "random", "trials": max(ns), "storage": False})
    configs += [{"strategy": "tpe", "trials": n, "storage": True} for n in ns]
    return configs


def overhead_cells(args, configs: list[dict], db: Path) -> tuple[list[str], list[tuple[int, int, str, int]]]:
    """The cells and, for each timed cell, (config index, repeat, "search" | "loop", cell index)."""
    cells = [f"%threads {args.threads}", "func add(_ x: Double, _ y: Double) -> Double { x + y }",
             f'let warm = search({OVERHEAD_SPACE}, trials: 20, seed: 99) {{ trial in add(trial["x"], trial["y"]) }}']
    if any(c["storage"] for c in configs):
        cells.append(f'let warmStored = search({OVERHEAD_SPACE}, trials: 2, seed: 99, storage: "sqlite:///{db}", name: "warm") '
                     '{ trial in add(trial["x"], trial["y"]) }')
    timed = []
    for ci, c in enumerate(configs):
        for r in range(args.repeats):
            store = f', storage: "sqlite:///{db}", name: "c{ci}r{r}"' if c["storage"] else ""
            timed.append((ci, r, "search", len(cells)))
            cells.append(f"%time let o{ci}r{r} = search({OVERHEAD_SPACE}, trials: {c['trials']}, strategy: .{c['strategy']}, "
                         f'seed: {r}{store}) {{ trial in add(trial["x"], trial["y"]) }}')
            timed.append((ci, r, "loop", len(cells)))
            cells.append(f"%time for i in 0..<{c['trials']} {{ _ = add(1.5, 2.5) }}")
    return cells, timed


def optuna_overhead(configs: list[dict], repeats: int, db: Path) -> list[list[dict]]:
    optuna = optuna_module()
    url = f"sqlite:///{db}"

    def objective(t):
        return add(t.suggest_float("x", -5, 10), t.suggest_float("y", 0, 15))

    optuna.create_study(sampler=optuna.samplers.TPESampler(seed=99)).optimize(objective, n_trials=20)
    optuna.create_study(storage=url, study_name="warm", sampler=optuna.samplers.TPESampler(seed=99)).optimize(objective, n_trials=2)
    out = []
    for ci, c in enumerate(configs):
        reps = []
        for r in range(repeats):
            start = time.perf_counter()
            study = optuna.create_study(sampler=optuna_sampler(optuna, c["strategy"], r),
                                        storage=url if c["storage"] else None, study_name=f"c{ci}r{r}" if c["storage"] else None)
            study.optimize(objective, n_trials=c["trials"])
            search = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(c["trials"]):
                add(1.5, 2.5)
            loop = time.perf_counter() - start
            reps.append({"search_seconds": search, "loop_seconds": loop, "trials": len(study.trials)})
        out.append(reps)
    return out


def part_overhead(args, notes: list, results: dict) -> dict:
    configs = overhead_configs(args)
    with tempfile.TemporaryDirectory(prefix="koan-search-db-") as tmp:
        kdb, odb = Path(tmp) / "koan.db", Path(tmp) / "optuna.db"
        cells, timed = overhead_cells(args, configs, kdb)
        lines, texts, errors, wall = run_notebook(args.koan_bin, cells, "overhead")
        storage_error = next((e for e in errors if "storage" in e.lower() or "sqlite" in e.lower() or "not yet" in e.lower()), None)
        if storage_error:
            # Koan's storage failed: run again without the stored rows (noted, as the brief asks).
            notes.append(f"overhead: Koan's SQLite storage failed ({storage_error[:200]}); stored rows skipped")
            configs = [c for c in configs if not c["storage"]]
            cells, timed = overhead_cells(args, configs, kdb)
            lines, texts, errors, wall = run_notebook(args.koan_bin, cells, "overhead")
        notes += [f"overhead notebook: {e}" for e in errors]
        koan = [[{} for _ in range(args.repeats)] for _ in configs]
        for ci, r, kind, cell in timed:
            if cell < len(texts):
                koan[ci][r][f"{kind}_seconds"] = wall_seconds(texts[cell])
        optuna = optuna_overhead(configs, args.repeats, odb)
    print(f"\nper-trial overhead: objective add(trial[\"x\"], trial[\"y\"]) (x, y uniform); median of {args.repeats} runs "
          f"after a warm-up; (search − loop of the objective's function) / trials, in ms (Koan notebook {wall:.1f} s)")
    h = (f"{'sampler':<8} {'storage':<8} {'trials':>6} {'Koan ms/trial':>13} {'Optuna ms/trial':>15} {'K/O':>6} "
         f"{'≤1 ms':>6}  {'Koan search s':>13} {'Optuna search s':>15}")
    print(h + "\n" + "-" * len(h))
    rows = []
    for ci, c in enumerate(configs):
        def per_trial(reps):
            xs = [(x["search_seconds"] - x["loop_seconds"]) / c["trials"] for x in reps
                  if x.get("search_seconds") is not None and x.get("loop_seconds") is not None]
            return median(xs) if xs else None
        k, o = per_trial(koan[ci]), per_trial(optuna[ci])
        ks = [x["search_seconds"] for x in koan[ci] if x.get("search_seconds") is not None]
        os_ = [x["search_seconds"] for x in optuna[ci]]
        ok = k * 1e3 <= GOAL_OVERHEAD_MS if k is not None and c["strategy"] == "tpe" and not c["storage"] else None
        ratio = k / o if k is not None and o else None
        rows.append({**c, "koan_ms_per_trial": k and k * 1e3, "optuna_ms_per_trial": o and o * 1e3, "ratio": ratio,
                     "koan_runs": koan[ci], "optuna_runs": optuna[ci], "met": ok})
        print(f"{c['strategy']:<8} {'sqlite' if c['storage'] else 'memory':<8} {c['trials']:>6} {fmt(k and k * 1e3, '.3f'):>13}"
              f" {fmt(o and o * 1e3, '.3f'):>15} {fmt(ratio, '.3f'):>5}× {verdict(ok) if ok is not None else '':>6}"
              f"  {fmt(ks and median(ks), '.3f'):>13} {fmt(median(os_), '.3f'):>15}")
    print("Koan: %time of search(...) (parsing, sampling, the objective closure, the live display) minus %time of "
          "`for i in 0..<n { _ = add(1.5, 2.5) }`; Optuna: create_study + optimize minus the same loop in Python. "
          "sqlite: both on a database file whose schema a warm-up study made; each run is a new study in it. "
          "K/O below 1: Koan is faster.")
    tpe = [r for r in rows if r["strategy"] == "tpe" and not r["storage"]]
    met = all(r["met"] for r in tpe) if tpe and all(r["met"] is not None for r in tpe) else None
    print(f"goal: overhead per trial ≤ {GOAL_OVERHEAD_MS:g} ms (TPE, in memory, {', '.join(str(r['trials']) for r in tpe)} trials) — {verdict(met) or 'n/a'}")
    results["overhead"] = {"repeats": args.repeats, "koan_wall_seconds": wall, "errors": errors, "rows": rows, "met": met}
    return results["overhead"]


# ---- main ----------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--koan-bin", default=str(REPO / ".build-release" / "release" / "koan"))
    ap.add_argument("--only", help="comma-separated parts: " + ", ".join(PARTS))
    ap.add_argument("--seeds", type=int, default=20, help="test functions: seeds (default 20)")
    ap.add_argument("--trials", type=int, default=50, help="test functions: trials per search (default 50)")
    ap.add_argument("--digits-seeds", type=int, default=5, help="digits: seeds (default 5; --full 20)")
    ap.add_argument("--digits-trials", type=int, default=30, help="digits: trials per search (default 30; --full 50)")
    ap.add_argument("--digits-epochs", type=int, default=DIGITS_EPOCHS, help=f"digits: epochs per trial (default {DIGITS_EPOCHS})")
    ap.add_argument("--full", action="store_true", help="digits: the issue's 20 seeds × 50 trials")
    ap.add_argument("--overhead-trials", default="50,200", help="overhead: trials per search (default 50,200)")
    ap.add_argument("--repeats", type=int, default=3, help="overhead: runs per row, median (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="both sides (default 1)")
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    if args.only:
        parts = [p for p in PARTS if p in args.only.split(",")]
        unknown = set(args.only.split(",")) - set(PARTS)
        if unknown:
            sys.exit(f"unknown parts {', '.join(sorted(unknown))}: choose from {', '.join(PARTS)}")
    else:
        parts = PARTS
    import optuna
    import numpy
    try:
        import sklearn
        sv = sklearn.__version__
    except ImportError:
        sv = None
    print(f"search bench: parts {', '.join(parts)}; koan {args.koan_bin}; optuna {optuna.__version__}, numpy {numpy.__version__}, "
          f"scikit-learn {sv or 'not installed'}; threads {args.threads} (both sides), cpus {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    if "/debug/" in args.koan_bin:
        print(f"note: {args.koan_bin} is a debug build; only release numbers count against the goals")
    if not os.path.exists(args.koan_bin):
        sys.exit(f"{args.koan_bin} not found (swift build -c release --scratch-path .build-release --product koan)")

    notes: list[str] = []
    results: dict = {"koan_bin": args.koan_bin, "optuna": optuna.__version__, "threads": args.threads}
    for part in parts:
        if part == "functions":
            part_functions(args, notes, results)
        elif part == "digits":
            if sv is None:
                print("\ndigits: skipped, scikit-learn is not installed (pip install -r requirements-bench.txt)")
                continue
            part_digits(args, notes, results)
        else:
            part_overhead(args, notes, results)
        sys.stdout.flush()
    print()
    finish(notes, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
