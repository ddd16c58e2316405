#!/usr/bin/env python3
"""Generate KoanMetrics parity fixtures from scikit-learn and seqeval.

Usage: python3 tools/goldens/metrics.py  (writes Tests/KoanMetricsTests/Fixtures/metrics.json)

Floats are stored as repr() strings ("nan", "inf" included) so they round-trip exactly.
"""
import json, math, os, random, warnings

import numpy as np
import sklearn
import seqeval
from importlib.metadata import version
from sklearn import metrics as M
from seqeval.metrics import classification_report as seq_report
from seqeval.scheme import IOB1, IOB2, IOE1, IOE2, IOBES, BILOU

warnings.simplefilter("ignore")
rng = random.Random(20240611)

ZD = {"warn": "warn", "zero": 0, "one": 1, "nan": np.nan}
SCHEMES = {"iob1": IOB1, "iob2": IOB2, "ioe1": IOE1, "ioe2": IOE2, "iobes": IOBES, "bilou": BILOU}
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanMetricsTests", "Fixtures", "metrics.json")


def f(x):
    return repr(float(x))


def fl(xs):
    return [f(x) for x in xs]


def enc_dict(d):
    out = []
    for k, v in d.items():
        if isinstance(v, dict):
            out.append([k, enc_dict(v)])
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.append([k, {"int": int(v)}])
        else:
            out.append([k, f(v)])
    return out


def py(label):
    return int(label) if isinstance(label, (int, np.integer)) else str(label)


STRING_POOL = ["cat", "dog", "bird", "a", "B", "Zebra", "long class name here", "ünïcode", "x<y>&z",
               "é", "e\u0301", "10", "2", "spam-eggs", "the quick brown fox jumps", "Ω"]


def random_classes():
    n = rng.randint(1, 7)
    if rng.random() < 0.5:
        return "int", rng.sample(range(-3, 15), n)
    return "str", rng.sample(STRING_POOL, n)


def random_targets(classes, n):
    t_pool = rng.sample(classes, rng.randint(1, len(classes)))
    p_pool = rng.sample(classes, rng.randint(1, len(classes)))
    y_true = [rng.choice(t_pool) for _ in range(n)]
    y_pred = [rng.choice(p_pool) if rng.random() < 0.6 else t for t in y_true]
    return y_true, y_pred


def random_labels(kind, classes, present):
    r = rng.random()
    if r < 0.5:
        return None
    extra = [99, 100, -7] if kind == "int" else ["zzz", "absent", "Absent label"]
    if r < 0.65:
        return rng.sample(present, rng.randint(1, len(present)))
    if r < 0.85:
        lab = present + rng.sample(extra, rng.randint(1, 2))
        rng.shuffle(lab)
        return lab
    lab = present[:]
    rng.shuffle(lab)
    return lab


NAME_POOL = ["alpha", "b", "Gamma ray", "<tag>", "a&b", "very very long target name", "ß", "名前", "x", "support"]


def classification_cases(count):
    cases = []
    while len(cases) < count:
        kind, classes = random_classes()
        n = rng.choice([1, 2, 3, 5, 8, 13, 20, 40, 150])
        y_true, y_pred = random_targets(classes, n)
        present = sorted(set(y_true) | set(y_pred))
        labels = random_labels(kind, classes, present)
        k = len(labels) if labels is not None else len(present)
        names = [rng.choice(NAME_POOL) + ("" if rng.random() < 0.5 else str(i)) for i in range(k)] if rng.random() < 0.25 else None
        digits = rng.randint(0, 6)
        zd = rng.choice(list(ZD))
        kw = dict(labels=labels, target_names=names, digits=digits, zero_division=ZD[zd])
        text = M.classification_report(y_true, y_pred, **kw)
        dct = M.classification_report(y_true, y_pred, output_dict=True, **kw)
        cases.append({"yTrue": [py(v) for v in y_true], "yPred": [py(v) for v in y_pred],
                      "labels": None if labels is None else [py(v) for v in labels],
                      "targetNames": names, "digits": digits, "zeroDivision": zd,
                      "text": text, "dict": enc_dict(dct)})
    return cases


def multilabel_cases(count):
    cases = []
    for _ in range(count):
        rows = rng.choice([1, 2, 4, 9, 17, 40])
        cols = rng.randint(2, 6)
        density = rng.random()
        yt = [[int(rng.random() < density) for _ in range(cols)] for _ in range(rows)]
        yp = [[int(rng.random() < density) if rng.random() < 0.6 else v for v in r] for r in yt]
        names = [rng.choice(NAME_POOL) + str(i) for i in range(cols)] if rng.random() < 0.3 else None
        digits = rng.randint(0, 6)
        zd = rng.choice(list(ZD))
        kw = dict(target_names=names, digits=digits, zero_division=ZD[zd])
        text = M.classification_report(np.array(yt), np.array(yp), **kw)
        dct = M.classification_report(np.array(yt), np.array(yp), output_dict=True, **kw)
        cases.append({"yTrue": yt, "yPred": yp, "targetNames": names, "digits": digits,
                      "zeroDivision": zd, "text": text, "dict": enc_dict(dct)})
    return cases


def prf_cases(count):
    cases = []
    while len(cases) < count:
        average = rng.choice(["binary", "micro", "macro", "weighted", None])
        if average == "binary":
            kind = rng.choice(["int", "str"])
            classes = [0, 1] if kind == "int" else ["neg", "pos"]
            if rng.random() < 0.2:
                classes = classes[:1]
            pos = 1 if kind == "int" else "pos"
        else:
            kind, classes = random_classes()
            pos = None
        n = rng.choice([1, 3, 6, 12, 30, 200])
        y_true, y_pred = random_targets(classes, n)
        present = sorted(set(y_true) | set(y_pred))
        labels = None if average == "binary" else random_labels(kind, classes, present)
        zd = rng.choice(list(ZD))
        kw = dict(average=average, labels=labels, zero_division=ZD[zd])
        if pos is not None:
            kw["pos_label"] = pos
        try:
            p, r, fs, s = M.precision_recall_fscore_support(y_true, y_pred, **kw)
        except ValueError as e:
            continue
        acc = M.accuracy_score(y_true, y_pred)
        enc = (lambda v: fl(v)) if average is None else (lambda v: f(v))
        cases.append({"yTrue": [py(v) for v in y_true], "yPred": [py(v) for v in y_pred],
                      "average": average or "none", "labels": None if labels is None else [py(v) for v in labels],
                      "posLabel": None if pos is None else py(pos), "zeroDivision": zd,
                      "precision": enc(p), "recall": enc(r), "f1": enc(fs),
                      "support": None if s is None else [int(v) for v in s], "accuracy": f(acc)})
    return cases


def confusion_cases(count):
    cases = []
    while len(cases) < count:
        kind, classes = random_classes()
        n = rng.choice([1, 4, 10, 50])
        y_true, y_pred = random_targets(classes, n)
        present = sorted(set(y_true) | set(y_pred))
        labels = random_labels(kind, classes, present)
        normalize = rng.choice([None, "true", "pred", "all"])
        try:
            cm = M.confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
        except ValueError:
            continue
        out_labels = labels if labels is not None else present
        cases.append({"yTrue": [py(v) for v in y_true], "yPred": [py(v) for v in y_pred],
                      "labels": None if labels is None else [py(v) for v in labels],
                      "normalize": normalize, "outLabels": [py(v) for v in out_labels],
                      "matrix": [fl(row) for row in cm]})
    return cases


def curve_cases(count):
    cases = []
    for i in range(count):
        n = rng.choice([1, 2, 3, 5, 10, 40, 300])
        p = rng.random()
        y = [int(rng.random() < p) for _ in range(n)]
        if i % 10 == 0:
            y = [y[0]] * n  # single class
        style = rng.choice(["ties", "coarse", "fine", "ints"])
        if style == "ties":
            scores = [rng.choice([0.1, 0.2, 0.5, 0.5, 0.9]) for _ in range(n)]
        elif style == "coarse":
            scores = [round(rng.random(), 1) for _ in range(n)]
        elif style == "ints":
            scores = [float(rng.randint(-3, 3)) for _ in range(n)]
        else:
            scores = [rng.random() * 10 - 5 for _ in range(n)]
        fpr, tpr, thr = M.roc_curve(y, scores)
        pr, rc, pthr = M.precision_recall_curve(y, scores)
        case = {"yTrue": y, "scores": fl(scores),
                "roc": {"fpr": fl(fpr), "tpr": fl(tpr), "thresholds": fl(thr)},
                "pr": {"precision": fl(pr), "recall": fl(rc), "thresholds": fl(pthr)}}
        try:
            case["rocAuc"] = f(M.auc(fpr, tpr))
        except ValueError:
            case["rocAuc"] = None
        try:
            case["prAuc"] = f(M.auc(rc, pr))
        except ValueError:
            case["prAuc"] = None
        cases.append(case)
    # hand-written auc inputs
    for x, y in [([0, 1], [0, 1]), ([1, 0.5, 0], [1, 0.2, 0]), ([0, 0, 1, 1], [0, 1, 1, 0]),
                 ([0.0, 0.1, 0.3, 0.7, 1.0], [0.1, 0.5, 0.55, 0.9, 1.0])]:
        cases.append({"aucX": fl(x), "aucY": fl(y), "auc": f(M.auc(x, y))})
    return cases


TYPES = ["PER", "LOC", "ORG", "MISC"]


def spans(length):
    out, i = [], 0
    while i < length:
        if rng.random() < 0.35:
            l = rng.randint(1, min(4, length - i))
            out.append((i, l, rng.choice(TYPES)))
            i += l
        else:
            i += 1
    return out


def encode(length, sp, scheme):
    tags = ["O"] * length
    for s, l, t in sp:
        for k in range(l):
            if scheme == "iob2":
                p = "B" if k == 0 else "I"
            elif scheme == "iobes":
                p = "S" if l == 1 else ("B" if k == 0 else ("E" if k == l - 1 else "I"))
            elif scheme == "bilou":
                p = "U" if l == 1 else ("B" if k == 0 else ("L" if k == l - 1 else "I"))
            elif scheme == "ioe2":
                p = "E" if k == l - 1 else "I"
            elif scheme == "iob1":
                follows = any(s2 + l2 == s and t2 == t for s2, l2, t2 in sp)
                p = "B" if (k == 0 and follows) else "I"
            elif scheme == "ioe1":
                precedes = any(s + l == s2 and t2 == t for s2, l2, t2 in sp)
                p = "E" if (k == l - 1 and precedes) else "I"
            tags[s + k] = p + "-" + t
    return tags


def perturb(tags, scheme):
    out = tags[:]
    prefixes = {"iob2": "BI", "iobes": "BIES", "bilou": "BILU", "ioe2": "IE", "iob1": "BI", "ioe1": "IE"}[scheme]
    for i in range(len(out)):
        r = rng.random()
        if r < 0.08:
            out[i] = "O"
        elif r < 0.16:
            out[i] = rng.choice(prefixes) + "-" + rng.choice(TYPES)
        elif r < 0.22 and out[i] != "O":
            out[i] = out[i][0] + "-" + rng.choice(TYPES)
    return out


def adversarial(length):
    pool = ["O", "O", "B-PER", "I-PER", "I-LOC", "E-ORG", "S-MISC", "B-LOC", "I-ORG", "B", "I", "O",
            "I-MISC", "E-PER", "S-LOC", "B-ORG-X", "X-PER", ".", "B-", "I-PER"]
    return [rng.choice(pool) for _ in range(length)]


def seqeval_cases(count):
    cases = []
    while len(cases) < count:
        mode = rng.choice(["default", "default", "strict"])
        scheme_name = rng.choice(["iob2", "iob2", "iobes", "iobes", "bilou", "ioe2", "iob1", "ioe1"])
        nsent = rng.choice([1, 1, 2, 3, 5, 8]) if rng.random() > 0.03 else 0
        kind = rng.random()
        yt, yp = [], []
        for _ in range(nsent):
            length = rng.choice([1, 2, 4, 7, 12, 20]) if rng.random() < 0.92 else 0
            if kind < 0.15 and mode == "default":
                t = adversarial(length)
                p = adversarial(length) if rng.random() < 0.5 else perturb(t, "iobes")
            elif kind < 0.22:
                t = ["O"] * length
                p = perturb(t, scheme_name) if rng.random() < 0.5 else t[:]
            else:
                t = encode(length, spans(length), scheme_name)
                p = perturb(t, scheme_name) if rng.random() < 0.8 else encode(length, spans(length), scheme_name)
            yt.append(t)
            yp.append(p)
        if mode == "strict":
            given = rng.random()
            scheme = None if given < 0.3 else (scheme_name if given < 0.9 else rng.choice(list(SCHEMES)))
        else:
            scheme = None
        digits = rng.randint(0, 6)
        zd = rng.choice(list(ZD))
        kw = dict(digits=digits, zero_division=ZD[zd])
        if mode == "strict":
            kw.update(mode="strict", scheme=SCHEMES[scheme] if scheme else None)
        case = {"trueTags": yt, "predTags": yp, "mode": mode, "scheme": scheme, "digits": digits, "zeroDivision": zd}
        try:
            case["text"] = seq_report(yt, yp, **kw)
            case["dict"] = enc_dict(seq_report(yt, yp, output_dict=True, **kw))
        except (ValueError, TypeError, KeyError, IndexError) as e:
            case["error"] = type(e).__name__ + ": " + str(e)[:120]
        cases.append(case)
    return cases


def main():
    data = {
        "versions": {"sklearn": sklearn.__version__, "seqeval": version("seqeval"), "numpy": np.__version__},
        "classification": classification_cases(320),
        "multilabel": multilabel_cases(80),
        "prf": prf_cases(200),
        "confusion": confusion_cases(80),
        "curves": curve_cases(80),
        "seqeval": seqeval_cases(400),
    }
    with open(OUT, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
    print({k: len(v) for k, v in data.items()}, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
