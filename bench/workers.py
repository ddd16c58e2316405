"""What bench/train.py and bench/gpt.py share: each workload runs in its own process (so its
peak RSS is its own) and prints one JSON line, which `run_json` reads."""
from __future__ import annotations

import json
import subprocess
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
