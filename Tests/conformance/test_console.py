"""Terminal frontends, driven through a pseudo-terminal with pexpect.

- ``jupyter console --kernel koan --simple-prompt``: one line per cell (the simple
  prompt reads with ``input()`` and does not support multi-line input at all).
- ``jupyter console --kernel koan`` (full prompt_toolkit UI, TERM=xterm): multi-line
  input typed line by line; Enter asks the kernel's is_complete whether to run.
- ``koan repl``: prompt ``koan> ``, continuation ``...> ``, EOF exits 0.
"""
from __future__ import annotations

import os
import re
import sys

import pexpect
import pytest

from conftest import KERNEL_NAME, koan_bin

TIMEOUT = 30
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env(term: str) -> dict:
    env = dict(os.environ, TERM=term, PYTHONUNBUFFERED="1")
    env.pop("JUPYTER_CONSOLE_TEST", None)
    return env


def _spawn(cmd: str, args: list[str], term: str = "dumb") -> pexpect.spawn:
    child = pexpect.spawn(cmd, args, env=_env(term), encoding="utf-8", timeout=TIMEOUT,
                          dimensions=(40, 200))
    if os.environ.get("KOAN_TEST_VERBOSE"):
        child.logfile_read = sys.stdout
    return child


def _console(*args: str, term: str = "dumb") -> pexpect.spawn:
    """``jupyter console --kernel koan --no-confirm-exit args…`` of this interpreter's
    environment (make test: the project's .venv), never a ``jupyter`` first on PATH."""
    return _spawn(sys.executable, ["-m", "jupyter_console", "--kernel", KERNEL_NAME,
                                   "--no-confirm-exit", *args], term)


def _finish(child: pexpect.spawn) -> None:
    if child.isalive():
        child.terminate(force=True)
    child.close()


# --------------------------------------------------------------------------- jupyter console

def test_jupyter_console_simple_prompt():
    child = _console("--simple-prompt")
    try:
        child.expect(r"In \[1\]: ")
        child.sendline("1 + 1")
        child.expect(r"Out\[1\]: 2\r?\n")
        child.expect(r"In \[2\]: ")
        child.sendline('print("hi")')
        child.expect(r"\r\nhi\r?\n")
        child.expect(r"In \[3\]: ")
        child.sendline("let fromConsole = 40")
        child.expect(r"In \[4\]: ")
        child.sendline("fromConsole + 2")
        child.expect(r"Out\[4\]: 42\r?\n")
        child.expect(r"In \[5\]: ")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)
    finally:
        _finish(child)


def test_jupyter_console_multiline_func():
    """Full UI: `func` typed line by line; the kernel's is_complete keeps the cell open."""
    child = _console(term="xterm")
    prompt = r"In \[(?:\x1b\[[0-9;]*m)*{n}(?:\x1b\[[0-9;]*m)*\]: "
    try:
        child.expect(prompt.format(n=1))
        # Each Enter on an unfinished block must give a continuation line ("...: "),
        # which only happens when the kernel answers is_complete with "incomplete".
        child.send("func twice(_ x: Int) -> Int {\r")
        child.expect(r"\.\.\.(?:\x1b\[[0-9;]*m)*: ")
        child.send("return x * 2\r")
        child.expect(r"\.\.\.(?:\x1b\[[0-9;]*m)*: ")
        child.send("}\r")  # complete now: Enter submits the cell
        child.expect(prompt.format(n=2))
        child.send("twice(21)\r")
        child.expect(r"42\s*\r?\n")
        child.expect(prompt.format(n=3))
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)
    finally:
        _finish(child)


# --------------------------------------------------------------------------- koan repl

def _repl() -> pexpect.spawn:
    child = _spawn(str(koan_bin()), ["repl"])
    child.expect_exact("koan> ")
    return child


def test_koan_repl_session():
    child = _repl()
    try:
        child.sendline("let a = 20")
        child.expect_exact("koan> ")
        assert ANSI.sub("", child.before).strip() == "let a = 20", repr(child.before)
        child.sendline("a + 22")
        child.expect(r"\r\n42\r\n")
        child.expect_exact("koan> ")
        child.sendline("for i in 1...3 {")
        child.expect_exact("...> ")
        child.sendline("print(i * 10)")
        child.expect_exact("...> ")
        child.sendline("}")
        child.expect(r"\r\n10\r\n20\r\n30\r\n")
        child.expect_exact("koan> ")
        child.sendline('"a" + "b"')
        child.expect(r'\r\n"ab"\r\n')
        child.expect_exact("koan> ")
        child.sendline("undefinedName")
        child.expect(r"error: .*\r\n")
        child.expect_exact("koan> ")
        child.sendline("a")  # the error kept the workspace
        child.expect(r"\r\n20\r\n")
        child.expect_exact("koan> ")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)
    finally:
        _finish(child)


def test_koan_repl_figure_is_written_as_png():
    """A figure shows its description and the path of a PNG file holding the picture."""
    child = _repl()
    try:
        child.sendline("plot([1.0, 2.0, 4.0])")
        child.expect(r"line chart \(1 series, 3 points; x 0…2, y 1…4\)\r\n\[figure: (\S+\.png)\]\r\n")
        path = child.match.group(1)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        os.remove(path)
        child.expect_exact("koan> ")
    finally:
        _finish(child)


def test_koan_repl_progress_line_updates_in_place():
    """updateDisplay of a one-line display rewrites that line on a terminal (cursor up, clear line)."""
    child = _repl()
    try:
        child.sendline('display("step 1", id: "p"); for i in 2...3 { updateDisplay("step \\(i)", id: "p") }')
        child.expect_exact("koan> ")
        out = child.before
        assert '"step 1"\r\n\x1b[1A\r\x1b[2K"step 2"\r\n\x1b[1A\r\x1b[2K"step 3"\r\n' in out, repr(out)
    finally:
        _finish(child)


def test_koan_repl_quit_command():
    child = _repl()
    try:
        child.sendline(":quit")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        _finish(child)


def test_koan_repl_ctrl_c_stops_loop():
    child = _repl()
    try:
        child.sendline("var spins = 0")
        child.expect_exact("koan> ")
        child.sendline("while true { spins += 1 }")
        with pytest.raises(pexpect.TIMEOUT):
            child.expect_exact("koan> ", timeout=1)
        child.sendintr()
        child.expect_exact("koan> ", timeout=10)
        child.sendline("spins > 0")
        child.expect(r"\r\ntrue\r\n")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        _finish(child)
