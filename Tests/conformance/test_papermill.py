"""Parameterized, headless runs: papermill (with the translator of the in-repo package
``python/koan-papermill``, installed by requirements-test.txt) and `koan run`.

papermill has no entry-point group for parameter translators; the package registers one
through papermill's engine entry points (see its docstring), so the plain papermill CLI
works once it is installed: it injects ``let name = value`` lines after the cell tagged
``parameters``. `koan run` does the same by itself.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import papermill
import pytest
from click.testing import CliRunner
from papermill.cli import papermill as papermill_cli
from koan_papermill import KoanTranslator

from conftest import KERNEL_NAME, koan_bin


def test_translator_literals():
    code = KoanTranslator.codify({"a": 1, "b": 2.5, "c": "x\"y\n", "d": True, "e": None,
                                  "f": [1, "z"], "g": {"k": 1}, "h": {}})
    assert code == ("// Parameters\nlet a = 1\nlet b = 2.5\nlet c = \"x\\\"y\\n\"\n"
                    "let d = true\nlet e = nil\nlet f = [1, \"z\"]\nlet g = [\"k\": 1]\n"
                    "let h = [:]\n")


# --------------------------------------------------------------------------- notebooks

def _nb(cells, name="params"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Koan", "language": "koan"}
    nb.metadata["language_info"] = {"name": "koan", "file_extension": ".koan"}
    nb.cells = cells
    return nb


@pytest.fixture()
def param_nb(tmp_path) -> Path:
    params = nbformat.v4.new_code_cell('let answer = 1\nlet label = "default"\nlet flag = false')
    params.metadata["tags"] = ["parameters"]
    nb = _nb([
        nbformat.v4.new_markdown_cell("# A parameterized notebook"),
        params,
        nbformat.v4.new_code_cell('print("label=\\(label) flag=\\(flag)")\nanswer * 2'),
    ])
    path = tmp_path / "params.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def failing_nb(tmp_path) -> Path:
    nb = _nb([
        nbformat.v4.new_markdown_cell("fails in its third cell"),
        nbformat.v4.new_code_cell("let ok = 1"),
        nbformat.v4.new_code_cell("undefinedName + ok"),
        nbformat.v4.new_code_cell('print("after the failure")'),
    ])
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    return path


def _outputs_of(nb, needle: str):
    cells = [c for c in nb.cells if c.cell_type == "code" and needle in c.source]
    assert len(cells) == 1, [c.source for c in nb.cells]
    return cells[0].outputs


def _assert_valid_notebook_file(path: Path):
    """The written file is valid nbformat: schema-valid, and (nbformat >= 4.5) every
    cell has a unique string id — including cells the runner inserted."""
    raw = json.loads(path.read_text())
    assert raw.get("nbformat") == 4, raw.get("nbformat")
    if raw.get("nbformat_minor", 0) >= 5:
        ids = [c.get("id") for c in raw["cells"]]
        missing = [i for i, x in enumerate(ids) if not isinstance(x, str) or not x]
        assert not missing, f"{path.name}: cells {missing} have no id (required by nbformat 4.5)"
        assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids {ids}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


def _check_param_outputs(out_path: Path, label="hi", flag="true"):
    _assert_valid_notebook_file(out_path)
    nb = nbformat.read(out_path, as_version=4)
    outputs = _outputs_of(nb, "answer * 2")
    stdout = "".join(o.get("text", "") for o in outputs
                     if o.output_type == "stream" and o.name == "stdout")
    assert stdout == f"label={label} flag={flag}\n", outputs
    results = [o for o in outputs if o.output_type == "execute_result"]
    assert len(results) == 1 and results[0].data["text/plain"] == "42", outputs
    # the injected cell comes right after the parameters cell
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nb.cells[i + 1]
    assert "injected-parameters" in injected.metadata.get("tags", []), injected
    assert re.search(r"^let answer = 21$", injected.source, re.M), injected.source
    assert re.search(rf'^let label = "{label}"$', injected.source, re.M), injected.source
    return nb


def test_papermill_api(param_nb, tmp_path):
    out = tmp_path / "params.papermill.ipynb"
    papermill.execute_notebook(str(param_nb), str(out), kernel_name=KERNEL_NAME,
                               parameters={"answer": 21, "label": "hi", "flag": True},
                               progress_bar=False, start_timeout=60)
    _check_param_outputs(out)


def test_papermill_cli_with_p(param_nb, tmp_path):
    out = tmp_path / "params.cli.ipynb"
    result = CliRunner().invoke(papermill_cli, [
        str(param_nb), str(out), "-k", KERNEL_NAME, "--no-progress-bar",
        "-p", "answer", "21", "-p", "label", "hi", "-p", "flag", "True"])
    assert result.exit_code == 0, (result.output, result.exception)
    _check_param_outputs(out)


def test_papermill_command_line_out_of_the_box(tmp_path):
    """The real `papermill` executable, as a user runs it: the translator is found through
    the installed package (no registration in this process), negative numbers, floats,
    strings with quotes and lists arrive, and nothing is warned about."""
    params = nbformat.v4.new_code_cell('let epochs = 1\nlet lr = 0.1\nlet name = "x"\nlet sizes = [1]')
    params.metadata["tags"] = ["parameters"]
    nb = _nb([params, nbformat.v4.new_code_cell('print(epochs, lr, name, sizes)')])
    src, out = tmp_path / "cli.ipynb", tmp_path / "cli.out.ipynb"
    nbformat.write(nb, src)
    papermill_exe = Path(sys.executable).parent / "papermill"
    proc = subprocess.run([str(papermill_exe), str(src), str(out), "--no-progress-bar",
                           "-p", "epochs", "-3", "-p", "lr", "-1e-3", "-p", "name", 'say "hi"',
                           "-y", "sizes: [64, 128]"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr
    result = nbformat.read(out, as_version=4)
    printed = "".join(o.get("text", "") for o in result.cells[-1].outputs)
    assert printed == '-3 -0.001 say "hi" [64, 128]\n', result.cells[-1].outputs


# --------------------------------------------------------------------------- koan run

def _koan_run(*args, timeout=120):
    return subprocess.run([str(koan_bin()), "run", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def test_koan_run_with_parameters(param_nb, tmp_path):
    out = tmp_path / "params.koanrun.ipynb"
    proc = _koan_run(param_nb, "-o", out, "-p", "answer", "21", "-p", "label", "hi",
                     "-p", "flag", "true")
    assert proc.returncode == 0, proc.stderr
    nb = _check_param_outputs(out)
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assert re.search(r"^let flag = true$", nb.cells[i + 1].source, re.M), nb.cells[i + 1].source
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == [1, 2, 3], counts


def test_koan_run_without_parameters_keeps_defaults(param_nb, tmp_path):
    out = tmp_path / "params.defaults.ipynb"
    proc = _koan_run(param_nb, "-o", out)
    assert proc.returncode == 0, proc.stderr
    _assert_valid_notebook_file(out)
    nb = nbformat.read(out, as_version=4)
    outputs = _outputs_of(nb, "answer * 2")
    assert [o.data["text/plain"] for o in outputs if o.output_type == "execute_result"] == ["2"]
    assert "label=default flag=false\n" in "".join(o.get("text", "") for o in outputs)


def test_koan_run_string_parameter_that_looks_like_code(param_nb, tmp_path):
    out = tmp_path / "params.str.ipynb"
    proc = _koan_run(param_nb, "-o", out, "-p", "answer", "21", "-p", "label", 'a "b" \\ c',
                     "-p", "flag", "false")
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(out, as_version=4)
    outputs = _outputs_of(nb, "answer * 2")
    assert 'label=a "b" \\ c flag=false\n' == "".join(
        o.get("text", "") for o in outputs if o.output_type == "stream"), outputs


def test_koan_run_failing_notebook(failing_nb, tmp_path):
    out = tmp_path / "failing.out.ipynb"
    proc = _koan_run(failing_nb, "-o", out)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    # The failing cell is the third cell (second code cell, execution count 2).
    assert re.search(r"\bcell 3\b", text) or "cell[2]" in text, text
    assert "NameError" in text, text
    if out.exists():
        nb = nbformat.read(out, as_version=4)
        assert nb.cells[3].outputs == [], "cells after the failing one must not run"
        assert any(o.output_type == "error" for o in nb.cells[2].outputs), nb.cells[2].outputs


def test_koan_run_takes_negative_parameters(param_nb, tmp_path):
    out = tmp_path / "params.negative.ipynb"
    proc = _koan_run(param_nb, "-o", out, "-p", "answer", "-21", "-p", "label", "-x")
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(out, as_version=4)
    outputs = _outputs_of(nb, "answer * 2")
    assert [o.data["text/plain"] for o in outputs if o.output_type == "execute_result"] == ["-42"]


def test_koan_run_missing_or_broken_notebook_is_one_line(tmp_path):
    proc = _koan_run(tmp_path / "missing.ipynb")
    assert proc.returncode == 1
    assert proc.stderr == f"error: no such notebook: {tmp_path / 'missing.ipynb'}\n", proc.stderr
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    proc = _koan_run(broken)
    assert proc.returncode == 1
    assert proc.stderr == f"error: cannot read {broken} as a notebook: it is not valid JSON\n", proc.stderr


def test_nbconvert_failure_names_the_error(tmp_path):
    """`jupyter nbconvert --execute` prints only the traceback of a failing cell: its last
    line names the error, as IPython's do."""
    nb = _nb([nbformat.v4.new_code_cell('let y: Int = "a"')])
    path = tmp_path / "fails.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                           "--output", str(tmp_path / "fails.out.ipynb"), str(path)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode != 0
    assert "error: cannot convert value of type 'String' to specified type 'Int'" in proc.stderr, proc.stderr
    assert "TypeError: cannot convert value of type 'String' to specified type 'Int'" in proc.stderr, proc.stderr
