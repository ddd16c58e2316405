"""Regenerates Sources/KoanData/Resources/digits.npz from scikit-learn's bundled copy.

Transformation (exact, lossless): read sklearn/datasets/data/digits.csv.gz (1797 rows of
65 comma-separated integers: 64 pixel values 0..16 in row-major 8x8 order, then the digit
label 0..9), cast to uint8, and save with numpy.savez_compressed as two arrays:
  images: uint8 (1797, 64)   the pixel values
  target: uint8 (1797,)      the digit
Row order is the file's (and load_digits') order.
"""
import gzip, os
import numpy as np
import sklearn

src = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "digits.csv.gz")
data = np.loadtxt(gzip.open(src), delimiter=",", dtype=np.int64)
assert data.shape == (1797, 65) and data.min() >= 0 and data[:, :64].max() <= 16 and data[:, 64].max() <= 9
out = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "KoanData", "Resources", "digits.npz")
np.savez_compressed(out, images=data[:, :64].astype(np.uint8), target=data[:, 64].astype(np.uint8))
print("wrote", os.path.normpath(out), os.path.getsize(out), "bytes")
