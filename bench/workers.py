"""What the benches share: each workload runs in its own process (so its peak RSS is its
own) and prints one JSON line, which `run_json` reads; cells run as a notebook with
`koan run` (`run_cells`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def status_kib(field: str) -> int:
    """A size field of /proc/self/status in KiB: "VmHWM" (peak resident set) or "VmRSS"."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_json(cmd: list[str], notes: list[str] | None = None, cwd: str | Path | None = None) -> dict | None:
    """The last JSON line a run prints. A failed run stops the script, or with `notes` is
    noted there and gives None (its columns print as n/a)."""
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    out = json.loads(lines[-1]) if lines else {"error": f"exit {p.returncode}: {p.stdout[-400:]}{p.stderr[-400:]}"}
    if "error" in out:
        shown = " ".join(Path(x).name if i == 0 else x for i, x in enumerate(cmd[:8]))
        if notes is None:
            raise SystemExit(f"{shown} failed: {out['error']}")
        notes.append(f"{shown} ... failed: {str(out['error']).splitlines()[0][:200]}")
        return None
    return out


def finish(notes: list[str], results, json_path: str | None) -> None:
    """Prints the notes of failed runs and writes the raw results when asked (--json)."""
    for note in notes:
        print("note:", note)
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=1)


def run_cells(koan_bin: str, cells: list[str], name: str, cwd: str | Path,
              env_extra: dict[str, str] | None = None) -> tuple[list[str], list[str], float]:
    """Runs `cells` as one notebook with `koan run`: (each cell's stream text, errors, wall
    seconds). The project's environment is passed on (VIRTUAL_ENV) for pretrained models."""
    env = dict(os.environ, **(env_extra or {}))
    if "VIRTUAL_ENV" not in env and sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                    for c in cells],
          "metadata": {"kernelspec": {"name": "koan", "display_name": "Koan", "language": "koan"}},
          "nbformat": 4, "nbformat_minor": 5}
    with tempfile.TemporaryDirectory(prefix=f"koan-{name}-") as tmp:
        work = Path(tmp)
        (work / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
        start = time.perf_counter()
        p = subprocess.run([koan_bin, "run", str(work / f"{name}.ipynb"), "-o", str(work / "out.ipynb")],
                           capture_output=True, text=True, env=env, cwd=cwd)
        wall = time.perf_counter() - start
        out = json.loads((work / "out.ipynb").read_text()) if (work / "out.ipynb").exists() else {"cells": []}
    texts, errors = [], []
    for i, c in enumerate(out["cells"]):
        text = ""
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                text += "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
            elif o.get("output_type") == "error":
                errors.append(f"cell {i}: {o.get('ename', '')}: {o.get('evalue', '')}".strip())
        texts.append(text)
    if p.returncode != 0 and not errors:
        errors.append(f"koan run exit {p.returncode}: {(p.stdout + p.stderr)[-400:]}")
    return texts, errors, wall
