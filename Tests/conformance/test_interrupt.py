"""Interrupts stop the running cell and keep the kernel and its workspace.

- interrupt_mode "signal" (the installed kernelspec; jupyter_client's default):
  KernelManager.interrupt_kernel sends SIGINT to the kernel's process group.
- interrupt_mode "message": a copy of the kernelspec ("koan-message-interrupt");
  KernelManager.interrupt_kernel sends interrupt_request on control.
"""
from __future__ import annotations

import time
from queue import Empty

import pytest

from conftest import (
    TIMEOUT,
    Run,
    control_reply,
    drain,
    execute_ok,
    iopub_until_idle,
    make_kernelspec_variant,
    shell_reply,
    start_kernel,
    stop_kernel,
)

REPLY_WITHIN = 5.0  # seconds from the interrupt to the execute_reply


def wait_until_running(kc, msg_id, timeout=TIMEOUT):
    """Waits for the execute_input of msg_id (the cell has started), plus a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
            time.sleep(0.5)
            return
    raise AssertionError("the cell never started")


def interrupt_and_check(km, kc, interrupt):
    """Runs an endless loop, interrupts it with interrupt(), checks reply and workspace."""
    execute_ok(kc, "var n = 0")
    msg_id = kc.execute("while true { n += 1 }")
    wait_until_running(kc, msg_id)
    with pytest.raises(Empty):  # still running: no reply yet
        kc.get_shell_msg(timeout=0.2)
    t0 = time.monotonic()
    interrupt()
    reply = shell_reply(kc, msg_id, timeout=REPLY_WITHIN)
    elapsed = time.monotonic() - t0
    assert elapsed < REPLY_WITHIN
    c = reply["content"]
    assert c["status"] == "error", c
    assert c["ename"] == "Interrupted", c
    assert c["evalue"] == "interrupted", c
    run = Run(msg_id, reply, iopub_until_idle(kc, msg_id))
    assert [m["content"]["ename"] for m in run.of_type("error")] == ["Interrupted"]
    assert km.is_alive(), "the interrupt killed the kernel"
    assert execute_ok(kc, "n > 0").result == "true"
    assert execute_ok(kc, "earlier + 1").result == "42"


# --------------------------------------------------------------------------- signal

@pytest.fixture(scope="module")
def signal_kernel():
    km, kc = start_kernel()
    assert km.kernel_spec.interrupt_mode == "signal"
    execute_ok(kc, "let earlier = 41")
    yield km, kc
    stop_kernel(km, kc)


def test_sigint_stops_loop_and_keeps_state(signal_kernel):
    km, kc = signal_kernel
    interrupt_and_check(km, kc, km.interrupt_kernel)


def test_sigint_twice(signal_kernel):
    """The cancellation flag is reset: a second run can be interrupted again."""
    km, kc = signal_kernel
    interrupt_and_check(km, kc, km.interrupt_kernel)
    interrupt_and_check(km, kc, km.interrupt_kernel)


def test_sigint_while_idle_does_not_poison_next_cell(signal_kernel):
    km, kc = signal_kernel
    drain(kc, timeout=0.05)
    km.interrupt_kernel()
    time.sleep(0.3)
    assert km.is_alive()
    run = execute_ok(kc, "var k = 0\nwhile k < 1000 { k += 1 }\nk")
    assert run.result == "1000"


def test_control_and_heartbeat_answer_while_busy(signal_kernel):
    km, kc = signal_kernel
    execute_ok(kc, "var busy = 0")
    msg_id = kc.execute("while true { busy += 1 }")
    wait_until_running(kc, msg_id)
    try:
        info = kc.session.msg("kernel_info_request", {})
        kc.control_channel.send(info)
        reply = control_reply(kc, info["header"]["msg_id"], timeout=2)
        assert reply["content"]["implementation"] == "koan"
        assert kc.hb_channel.is_beating()
    finally:
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id, timeout=REPLY_WITHIN)
        iopub_until_idle(kc, msg_id)
    assert reply["content"]["ename"] == "Interrupted"


def test_sigint_ends_wait_for_input(signal_kernel):
    km, kc = signal_kernel
    drain(kc, timeout=0.05)
    msg_id = kc.execute('readLine(prompt: "never answered: ")', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    assert req["content"]["prompt"] == "never answered: "
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=REPLY_WITHIN)
    iopub_until_idle(kc, msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted", reply["content"]
    assert execute_ok(kc, "earlier").result == "41"


# --------------------------------------------------------------------------- message

@pytest.fixture(scope="module")
def message_kernel():
    name = make_kernelspec_variant("koan-message-interrupt", interrupt_mode="message")
    km, kc = start_kernel(name)
    assert km.kernel_spec.interrupt_mode == "message"
    execute_ok(kc, "let earlier = 41")
    yield km, kc
    stop_kernel(km, kc)


def test_interrupt_request_via_kernel_manager(message_kernel):
    km, kc = message_kernel
    interrupt_and_check(km, kc, km.interrupt_kernel)


def test_interrupt_request_reply(message_kernel):
    km, kc = message_kernel
    replies = []

    def interrupt():
        msg = kc.session.msg("interrupt_request", {})
        kc.control_channel.send(msg)
        replies.append(control_reply(kc, msg["header"]["msg_id"], timeout=REPLY_WITHIN))

    interrupt_and_check(km, kc, interrupt)
    assert replies[0]["content"]["status"] == "ok", replies[0]
