"""Writes Tests/KoanDataTests/Fixtures/digits.json from sklearn.datasets.load_digits().

The Swift test compares Dataset.digits() against it: shape, an FNV-1a 64-bit checksum over
the pixel values (each as one byte, row-major) followed by the labels (one byte each),
per-class counts, feature sum, and a few full sample rows.
"""
import json, os
import numpy as np
from sklearn.datasets import load_digits

d = load_digits()
x = d.data.astype(np.int64)
y = d.target.astype(np.int64)
assert (d.data == x).all()

def fnv1a64(bs):
    h = 0xCBF29CE484222325
    for b in bs:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h

checksum = fnv1a64(bytes(x.astype(np.uint8).ravel().tolist()) + bytes(y.astype(np.uint8).tolist()))
rows = [0, 1, 2, 100, 1000, 1796]
fixture = {
    "shape": list(x.shape),
    "images_shape": list(d.images.shape),
    "checksum": str(checksum),
    "feature_sum": int(x.sum()),
    "class_counts": np.bincount(y, minlength=10).tolist(),
    "target_names": [int(t) for t in d.target_names],
    "samples": [{"index": i, "features": x[i].tolist(), "label": int(y[i])} for i in rows],
}
out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanDataTests", "Fixtures", "digits.json")
with open(out, "w") as f:
    json.dump(fixture, f, indent=1)
print("wrote", os.path.normpath(out), "checksum", checksum)
