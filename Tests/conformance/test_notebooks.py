"""Every notebook in notebooks/ executes cleanly with nbclient on the koan kernel.

Executed copies (``*.out.ipynb``, ``notebooks/out/``) are not inputs and are skipped.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import KERNEL_NAME, REPO

NOTEBOOK_DIR = REPO / "notebooks"
CELL_TIMEOUT = 300


def notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb")
                  if not p.name.endswith(".out.ipynb") and not p.name.startswith("."))


def untracked() -> set[str] | None:
    """Files in the repository that git neither tracks nor ignores (None outside a git checkout)."""
    try:
        out = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=all"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {line[3:] for line in out.splitlines() if line.startswith("?? ")}


UNTRACKED_BEFORE = untracked()


def test_there_are_notebooks():
    assert notebooks(), f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebook_executes(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL_NAME, \
        f"{path.name}: kernelspec name should be {KERNEL_NAME!r}"
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=CELL_TIMEOUT,
                            startup_timeout=60, allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    try:
        client.execute()
    except CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell failed:\n{e}", pytrace=False)
    # Cells tagged `raises-exception` show a mistake on purpose; they must fail, the others must not.
    def expected_to_fail(cell):
        return "raises-exception" in cell.get("metadata", {}).get("tags", [])
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    errors = [i for i, c in code_cells if not expected_to_fail(c)
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert not errors, f"{path.name}: error outputs in cells {errors}"
    silent = [i for i, c in code_cells if expected_to_fail(c)
              and not any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert not silent, f"{path.name}: cells {silent} are tagged raises-exception but did not fail"
    # The kernel reported its language, and every code cell ran.
    assert nb.metadata.get("language_info", {}).get("name") == "koan"
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(isinstance(n, int) for n in counts), counts
    assert counts == sorted(counts) and len(set(counts)) == len(counts), counts


def test_notebooks_write_only_into_out():
    """Executing the notebooks (above, in this module) leaves no file that git neither tracks
    nor ignores: what they write goes to notebooks/out/, which is ignored."""
    if UNTRACKED_BEFORE is None:
        pytest.skip("not a git checkout")
    left = sorted(untracked() - UNTRACKED_BEFORE)
    assert not left, f"executing the notebooks left untracked files: {left}"
