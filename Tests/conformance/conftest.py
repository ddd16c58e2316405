"""Shared set-up for Koan's Python conformance suite.

Every test runs against *this* build of the kernel, never a globally installed one:
at session start we run ``$KOAN_BIN install --prefix <tmp>`` and prepend
``<tmp>/share/jupyter`` to ``JUPYTER_PATH``, so jupyter_client, nbclient, papermill
and ``jupyter console`` (a subprocess, which inherits ``os.environ``) all find the
kernelspec ``koan`` of the binary under test.

The binary is ``$KOAN_BIN`` (default ``<repo>/.build/debug/koan``). If it does not
exist, every test fails with a message saying so (never a silent skip).

Run:  ``make conformance``, or ``.venv/bin/python -m pytest Tests/conformance -q`` from the
repository root (the interpreter of the project's environment: subprocesses use
``sys.executable``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
KERNEL_NAME = "koan"

# Generous per-message timeouts: CI tests a debug build on a 2-core machine.
TIMEOUT = 30
STARTUP_TIMEOUT = 60


def koan_bin() -> Path:
    """The kernel binary under test (absolute path)."""
    env = os.environ.get("KOAN_BIN")
    path = Path(env) if env else REPO / ".build" / "debug" / "koan"
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    return path


def skip_or_fail(reason: str) -> None:
    """A missing prerequisite: a failure under ``make test`` (KOAN_PYTHON set) or CI=true,
    where the declared environment must provide it; a skip otherwise."""
    strict = bool(os.environ.get("KOAN_PYTHON")) or os.environ.get("CI", "").lower() in ("true", "1")
    if strict:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


_state: dict[str, Any] = {}


def _install() -> Path:
    """Installs the kernelspec once per session; returns <prefix>/share/jupyter."""
    if "jupyter_dir" in _state:
        return _state["jupyter_dir"]
    binary = koan_bin()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(
            f"Koan kernel binary not found or not executable: {binary}\n"
            "Build it first (`swift build` in the repository root) or point "
            "$KOAN_BIN at a built `koan` executable.",
            pytrace=False,
        )
    prefix = Path(tempfile.mkdtemp(prefix="koan-conformance-"))
    _state["prefix"] = prefix
    proc = subprocess.run(
        [str(binary), "install", "--prefix", str(prefix)],
        capture_output=True, text=True, timeout=60,
    )
    spec = prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"
    if proc.returncode != 0 or not spec.is_file():
        pytest.fail(
            f"`{binary} install --prefix {prefix}` failed (exit {proc.returncode}); "
            f"no {spec}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}",
            pytrace=False,
        )
    jupyter_dir = prefix / "share" / "jupyter"
    old = os.environ.get("JUPYTER_PATH", "")
    os.environ["JUPYTER_PATH"] = str(jupyter_dir) + (os.pathsep + old if old else "")
    _state["jupyter_dir"] = jupyter_dir
    return jupyter_dir


def pytest_unconfigure(config: pytest.Config) -> None:
    prefix = _state.get("prefix")
    if prefix is not None:
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def koan_kernelspec() -> Path:
    """Session-wide: installs this build's kernelspec and puts it first on JUPYTER_PATH.

    Session-scoped autouse fixtures are set up before class-scoped ones, so this also
    runs before unittest ``setUpClass`` (jupyter_kernel_test starts its kernel there).
    """
    jupyter_dir = _install()
    spec = json.loads((jupyter_dir / "kernels" / KERNEL_NAME / "kernel.json").read_text())
    assert Path(spec["argv"][0]).resolve() == koan_bin().resolve(), (
        f"installed kernelspec runs {spec['argv'][0]}, not the binary under test {koan_bin()}"
    )
    return jupyter_dir


def make_kernelspec_variant(name: str, **changes: Any) -> str:
    """Writes a copy of the koan kernelspec under another name with some fields changed
    (e.g. ``interrupt_mode="message"``) and returns that name."""
    jupyter_dir = _install()
    src = jupyter_dir / "kernels" / KERNEL_NAME
    dst = jupyter_dir / "kernels" / name
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    spec = json.loads((src / "kernel.json").read_text())
    spec.update(changes)
    (dst / "kernel.json").write_text(json.dumps(spec, indent=1))
    return name


# --------------------------------------------------------------------------- kernels

def start_kernel(kernel_name: str = KERNEL_NAME):
    """Starts a kernel and a started, ready BlockingKernelClient: (km, kc)."""
    from jupyter_client.manager import start_new_kernel

    _install()
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=STARTUP_TIMEOUT)
    return km, kc


def stop_kernel(km, kc) -> None:
    try:
        kc.stop_channels()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=False)


@pytest.fixture(scope="module")
def kernel():
    """One koan kernel per test module: (km, kc)."""
    km, kc = start_kernel()
    yield km, kc
    stop_kernel(km, kc)


# --------------------------------------------------------------------------- messages

def parent_id(msg: dict) -> str | None:
    return (msg.get("parent_header") or {}).get("msg_id")


def shell_reply(kc, msg_id: str, timeout: float = TIMEOUT) -> dict:
    """The shell reply to ``msg_id`` (other replies are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no shell reply to {msg_id} within {timeout}s")
        try:
            msg = kc.get_shell_msg(timeout=remaining)
        except Empty:
            continue
        if parent_id(msg) == msg_id:
            return msg


def control_reply(kc, msg_id: str, timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no control reply to {msg_id} within {timeout}s")
        try:
            msg = kc.control_channel.get_msg(timeout=remaining)
        except Empty:
            continue
        if parent_id(msg) == msg_id:
            return msg


def iopub_until_idle(kc, msg_id: str, timeout: float = TIMEOUT) -> list[dict]:
    """All IOPub messages whose parent is ``msg_id``, up to and including its idle status."""
    msgs: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            types = [m["msg_type"] for m in msgs]
            raise AssertionError(f"no idle status for {msg_id} within {timeout}s; got {types}")
        try:
            msg = kc.get_iopub_msg(timeout=remaining)
        except Empty:
            continue
        if parent_id(msg) != msg_id:
            continue
        msgs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return msgs


def drain(kc, timeout: float = 0.2) -> None:
    """Throws away whatever is waiting on shell, iopub and stdin."""
    for get in (kc.get_shell_msg, kc.get_iopub_msg, kc.get_stdin_msg):
        while True:
            try:
                get(timeout=timeout)
            except Empty:
                break


class Run:
    """The outcome of one execute_request: reply plus its IOPub messages."""

    def __init__(self, msg_id: str, reply: dict, iopub: list[dict]):
        self.msg_id = msg_id
        self.reply = reply
        self.iopub = iopub

    @property
    def content(self) -> dict:
        return self.reply["content"]

    @property
    def status(self) -> str:
        return self.content["status"]

    def of_type(self, msg_type: str) -> list[dict]:
        return [m for m in self.iopub if m["msg_type"] == msg_type]

    def stream(self, name: str = "stdout") -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream")
                       if m["content"]["name"] == name)

    @property
    def result(self) -> str | None:
        """text/plain of the execute_result, or None."""
        results = self.of_type("execute_result")
        assert len(results) <= 1, f"more than one execute_result: {results}"
        return results[0]["content"]["data"].get("text/plain") if results else None

    @property
    def types(self) -> list[str]:
        return [m["msg_type"] for m in self.iopub]

    def all_text(self) -> str:
        """Every text/plain and stream text this request produced (for loose checks)."""
        parts = []
        for m in self.iopub:
            c = m["content"]
            if m["msg_type"] == "stream":
                parts.append(c["text"])
            elif m["msg_type"] in ("execute_result", "display_data", "update_display_data"):
                parts.append(str(c["data"].get("text/plain", "")))
        for p in self.content.get("payload", []) or []:
            parts.append(str((p.get("data") or {}).get("text/plain", "")))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"Run(status={self.status!r}, types={self.types}, reply={self.content})"


def execute(kc, code: str, timeout: float = TIMEOUT, **kwargs: Any) -> Run:
    """Executes ``code`` and waits for both its reply and its idle status."""
    msg_id = kc.execute(code, **kwargs)
    reply = shell_reply(kc, msg_id, timeout)
    iopub = iopub_until_idle(kc, msg_id, timeout)
    return Run(msg_id, reply, iopub)


def execute_ok(kc, code: str, timeout: float = TIMEOUT, **kwargs: Any) -> Run:
    run = execute(kc, code, timeout, **kwargs)
    assert run.status == "ok", f"{code!r} failed: {run.content}"
    return run
