"""fit from a Jupyter client: one live display updated in place, interrupts that keep the
model and the Run, and a resumed run that finishes.

The display: the first bundle is a display_data with a transient display_id; every later
one is an update_display_data with the same id (at most about four a second); no stream
output. An interrupt (SIGINT) stops fit within a second, the cell ends Interrupted, `run`
is bound with stopReason "interrupted at step N", and run.resume() completes the run.
"""
from __future__ import annotations

import re

import signal
import time

import pytest

from conftest import TIMEOUT, Run, execute_ok, iopub_until_idle, shell_reply, start_kernel, stop_kernel

SETUP = """
let digits = Dataset.digits().normalized()
let (train, test) = digits.split(0.8, seed: 42)
"""


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_kernel()
    execute_ok(kc, SETUP)
    yield km, kc
    stop_kernel(km, kc)


def test_fit_shows_one_display_updated_in_place(kernel):
    km, kc = kernel
    t0 = time.monotonic()
    run = execute_ok(kc, "let mlp = MLP(input: 64, hidden: [64], output: 10)\n"
                         "let run = mlp.fit(train, epochs: 8, batchSize: 16, validation: test)", timeout=120)
    elapsed = time.monotonic() - t0
    shown = run.of_type("display_data")
    updates = run.of_type("update_display_data")
    assert len(shown) == 1, [m["msg_type"] for m in run.iopub]
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert display_id
    assert updates, "no update_display_data: the display never moved"
    assert {u["content"]["transient"]["display_id"] for u in updates} == {display_id}
    assert len(updates) <= 4 * elapsed + 2, f"{len(updates)} updates in {elapsed:.1f} s"
    assert not run.of_type("stream"), "fit printed lines instead of updating its display"
    final = updates[-1]["content"]["data"]
    assert "text/html" in final and "<progress" in final["text/html"] and "<svg" in final["text/html"]
    assert "100%" in final["text/plain"] and "done in" in final["text/plain"], final["text/plain"]
    assert execute_ok(kc, "run.stopReason").result == '"completed"'
    assert execute_ok(kc, "run.epochCount").result == "8"


def test_interrupt_during_fit_keeps_model_and_run_then_resume(kernel):
    km, kc = kernel
    execute_ok(kc, "let big = MLP(input: 64, hidden: [256, 256], output: 10, seed: 1)")
    msg_id = kc.execute("let long = big.fit(train, epochs: 100, batchSize: 16, optimizer: .sgd(lr: 0.01))")
    # Wait for the first progress display, then a moment of training.
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "display_data":
            break
    time.sleep(1.0)
    t0 = time.monotonic()
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=5)
    assert time.monotonic() - t0 < 1.5, "fit did not stop within a second"
    iopub = iopub_until_idle(kc, msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted", reply["content"]
    assert km.is_alive()
    updates = [m for m in iopub if m["msg_type"] == "update_display_data"]
    assert updates and "interrupted at step" in updates[-1]["content"]["data"]["text/plain"]

    reason = execute_ok(kc, "long.stopReason").result
    assert reason.startswith('"interrupted at step '), reason
    steps = int(execute_ok(kc, "long.stepCount").result)
    assert steps > 0 and reason == f'"interrupted at step {steps}"'
    # The model holds finite weights of the last finished step, and the workspace is intact.
    assert execute_ok(kc, "big.evaluate(test)[\"loss\"]! < 10").result == "true"
    assert execute_ok(kc, "digits.count").result == "1797"
    # resume() finishes the interrupted run from the next step; a new fit continues too.
    execute_ok(kc, "long.resume()", timeout=300)
    assert execute_ok(kc, "long.stopReason").result == '"completed"'
    assert execute_ok(kc, "long.epochCount").result == "100"
    assert execute_ok(kc, "big.fit(train, steps: 3).stepCount").result == "3"


def test_generate_streams_into_one_display(kernel):
    km, kc = kernel
    execute_ok(kc, 'let tok = Tokenizer.bytes()\n'
                   'let lm = GPT(vocab: 256, context: 64, dim: 32, heads: 2, layers: 1, seed: 3)')
    run = execute_ok(kc, 'lm.generate("Once upon", tokens: 200, tokenizer: tok, temperature: 0)', timeout=120)
    shown = run.of_type("display_data")
    updates = run.of_type("update_display_data")
    assert len(shown) == 1
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert all(u["content"]["transient"]["display_id"] == display_id for u in updates)
    # While it runs the display shows the text so far; it ends as one status line, so the
    # text shows once: as the cell's result (a Swift string literal).
    frames = [m["content"]["data"]["text/plain"] for m in shown + updates]
    assert frames[0].startswith("Once upon")
    assert re.fullmatch(r"generated 200 tokens in [0-9.]+s( · [0-9,]+ tokens/s)?", frames[-1]), frames[-1]
    assert run.result.startswith('"Once upon')


def test_kernel_killed_mid_save_leaves_previous_checkpoint_loadable(tmp_path):
    """SIGKILL the kernel while it rewrites a checkpoint over and over: the file on disk is
    always a complete checkpoint (the previous one or a new one), never a torn write."""
    path = tmp_path / "model.safetensors"
    km, kc = start_kernel()
    try:
        execute_ok(kc, f'let small = MLP(input: 4, hidden: [3], output: 2, seed: 1)\nsave(small, "{path}")')
        # About 40 MB per save, so the kill lands inside a write.
        execute_ok(kc, "let big = MLP(input: 2048, hidden: [2048, 2048], output: 10, seed: 2)")
        msg_id = kc.execute(f'for _ in 0..<1000 {{ save(big, "{path}") }}')
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
                break
        time.sleep(1.5)
        km.signal_kernel(signal.SIGKILL)   # no cleanup runs in the kernel
        for _ in range(100):
            if not km.is_alive():
                break
            time.sleep(0.05)
        assert not km.is_alive()
    finally:
        kc.stop_channels()
        km.cleanup_resources()
    km2, kc2 = start_kernel()
    try:
        run = execute_ok(kc2, f'let again = load("{path}")\nagain.parameterCount')
        assert run.result in ("23", str(2048 * 2048 + 2048 + 2048 * 2048 + 2048 + 2048 * 10 + 10)), run.result
    finally:
        stop_kernel(km2, kc2)
