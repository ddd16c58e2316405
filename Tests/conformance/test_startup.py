"""Kernel start as frontends see it: IOPub is an XPUB socket that welcomes every
subscription (JEP 65 ``iopub_welcome``), and jupyter_client's own
``start_new_kernel`` + ``wait_for_ready`` succeed.

The raw tests start the kernel with ``KernelManager.start_kernel()`` and connect plain
pyzmq SUB sockets to its IOPub port (address and key from the connection info), so they
see exactly the frames the kernel publishes. No timing assertions: speed is measured by
``bench/kernel_latency.py``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import zmq
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, STARTUP_TIMEOUT, TIMEOUT, _install, execute_ok, shell_reply, start_kernel, stop_kernel

DELIM = b"<IDS|MSG>"


@pytest.fixture()
def started():
    """A freshly started kernel nobody has connected to yet: (km, connection info)."""
    _install()
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel()
    try:
        yield km, km.get_connection_info()
    finally:
        km.shutdown_kernel(now=True)


@pytest.fixture()
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def url(conn, channel: str) -> str:
    return f"{conn['transport']}://{conn['ip']}:{conn[channel + '_port']}"


def subscriber(ctx, conn, topic: bytes = b""):
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, topic)
    sock.connect(url(conn, "iopub"))
    return sock


def digest(conn, parts: list[bytes]) -> str:
    key = conn["key"]
    key = key.encode() if isinstance(key, str) else key
    scheme = conn.get("signature_scheme", "hmac-sha256")
    h = hmac.new(key, digestmod=getattr(hashlib, scheme.split("-", 1)[1]))
    for p in parts:
        h.update(p)
    return h.hexdigest()


def next_welcome(sock, conn, subscription: str = "",
                 timeout: float = STARTUP_TIMEOUT) -> tuple[list[bytes], dict]:
    """The next ``iopub_welcome`` for ``subscription`` on sock: (identities, message),
    every signature checked on the way. Other messages (e.g. ``status: starting``, if this
    socket was early, or the welcomes of other subscriptions) are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not sock.poll(int(remaining * 1000) + 1):
            raise AssertionError(f"no iopub_welcome within {timeout}s")
        frames = sock.recv_multipart()
        assert DELIM in frames, frames
        i = frames.index(DELIM)
        sig, header, parent, metadata, content = frames[i + 1:i + 6]
        assert hmac.compare_digest(sig.decode(), digest(conn, [header, parent, metadata, content])), \
            "bad HMAC signature on an IOPub message"
        msg = {"header": json.loads(header), "parent_header": json.loads(parent),
               "metadata": json.loads(metadata), "content": json.loads(content)}
        if msg["header"]["msg_type"] == "iopub_welcome" and msg["content"].get("subscription") == subscription:
            return frames[:i], msg


def kernel_info_ok(ctx, conn) -> None:
    """A hand-signed kernel_info_request on shell gets its reply: the kernel is alive."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(url(conn, "shell"))
    try:
        header = json.dumps({"msg_id": "probe-1", "session": "probe", "username": "test",
                             "date": "2026-01-01T00:00:00.000000Z", "msg_type": "kernel_info_request",
                             "version": "5.3"}).encode()
        parts = [header, b"{}", b"{}", b"{}"]
        sock.send_multipart([DELIM, digest(conn, parts).encode(), *parts])
        assert sock.poll(TIMEOUT * 1000), "no kernel_info_reply"
        frames = sock.recv_multipart()
        i = frames.index(DELIM)
        assert json.loads(frames[i + 2])["msg_type"] == "kernel_info_reply"
        assert json.loads(frames[i + 3])["msg_id"] == "probe-1"
    finally:
        sock.close(0)


# --------------------------------------------------------------------------- iopub_welcome

def test_sub_socket_is_welcomed(started, ctx):
    km, conn = started
    sock = subscriber(ctx, conn)
    identities, msg = next_welcome(sock, conn)
    assert identities == [], "the empty subscription's welcome has no topic frame"
    assert msg["header"]["msg_type"] == "iopub_welcome"
    assert msg["header"]["session"] and msg["header"]["msg_id"]
    assert msg["parent_header"] == {}
    assert msg["content"] == {"subscription": ""}


def test_topic_subscription_is_welcomed_on_its_topic(started, ctx):
    km, conn = started
    sock = subscriber(ctx, conn, b"kernel.")
    identities, msg = next_welcome(sock, conn, "kernel.")
    assert identities == [b"kernel."]
    assert msg["content"] == {"subscription": "kernel."}


def test_every_subscriber_is_welcomed(started, ctx):
    """A second client subscribing to the same (empty) topic is welcomed too (XPUB_VERBOSE)."""
    km, conn = started
    first = subscriber(ctx, conn)
    next_welcome(first, conn)
    second = subscriber(ctx, conn)
    identities, msg = next_welcome(second, conn)
    assert msg["content"] == {"subscription": ""}
    # The first subscriber sees that welcome as well (same topic); harmless, and signed.
    next_welcome(first, conn)


def test_junk_sent_upstream_on_iopub_is_ignored(started, ctx):
    """An XPUB socket reads whatever a peer sends it: none of it may hurt the kernel."""
    km, conn = started
    raw = ctx.socket(zmq.XSUB)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(url(conn, "iopub"))
    for frames in ([b""], [b"\x00"], [b"\x00kernel."], [b"\x02junk"], [b"\x01\xff\xfe"],
                   [b"\x01two", b"frames"], [DELIM, b"sig", b"{}", b"{}", b"{}", b"{}"], [b"\x01" * 100_000]):
        raw.send_multipart(frames)
    raw.send(b"\x01")  # and then a proper subscription: still welcomed
    identities, msg = next_welcome(raw, conn)
    assert msg["content"] == {"subscription": ""}
    kernel_info_ok(ctx, conn)
    assert km.is_alive()


# --------------------------------------------------------------------------- jupyter_client

def test_start_new_kernel_and_wait_for_ready():
    """What JupyterLab and nbclient do: start_new_kernel (wait_for_ready inside), then work."""
    km, kc = start_kernel()
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)  # a second wait on a connected client
        msg_id = kc.kernel_info()
        assert shell_reply(kc, msg_id)["content"]["implementation"] == "koan"
        assert execute_ok(kc, "1 + 1").result == "2"
    finally:
        stop_kernel(km, kc)


def test_jupyter_client_reads_the_welcome(started):
    """jupyter_client's own Session accepts the welcome (signature, header, content)."""
    km, conn = started
    kc = km.client()
    kc.start_channels(shell=False, stdin=False, hb=False, control=False)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            msg = kc.get_iopub_msg(timeout=max(0.0, deadline - time.monotonic()))
            if msg["msg_type"] == "iopub_welcome":
                break
        assert msg["content"] == {"subscription": ""}
        assert msg["parent_header"] == {}
    finally:
        kc.stop_channels()


def test_build_configuration_is_reported_and_release_where_users_run_it():
    """`koan --version` and the kernel banner name the build configuration. `make test`
    sets KOAN_EXPECT_BUILD=release: the binary it tests is the one `make run` installs,
    and users must get the release build (issue 20, item 2)."""
    import os
    import subprocess

    from conftest import koan_bin

    out = subprocess.run([str(koan_bin()), "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    version = out.stdout.strip()
    assert version.endswith(("(release build)", "(debug build)")), version
    expected = os.environ.get("KOAN_EXPECT_BUILD")
    if expected:
        assert version.endswith(f"({expected} build)"), version
    km, kc = start_kernel()
    try:
        msg_id = kc.kernel_info()
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=TIMEOUT)
        assert f"Koan {version}" in reply["content"]["banner"]
    finally:
        stop_kernel(km, kc)
