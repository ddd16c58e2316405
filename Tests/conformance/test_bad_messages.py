"""Hostile and broken input on the kernel's sockets: the kernel drops what it must,
answers what it can, and never dies.

We open our own DEALER sockets to the kernel's shell/control ports (address and key
from the KernelManager's connection info) and send hand-made frames. After each
attack a normal jupyter_client connection must still get kernel_info and ``1 + 1``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import zmq
from jupyter_client.session import Session

from conftest import TIMEOUT, drain, execute, execute_ok, shell_reply

DELIM = b"<IDS|MSG>"


@pytest.fixture(scope="module")
def conn(kernel):
    km, kc = kernel
    return km.get_connection_info()


@pytest.fixture(scope="module")
def session(conn):
    key = conn["key"]
    key = key.encode() if isinstance(key, str) else key
    return Session(key=key, signature_scheme=conn.get("signature_scheme", "hmac-sha256"),
                   username="attacker")


@pytest.fixture()
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def dealer(ctx, conn, channel="shell"):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(f"{conn['transport']}://{conn['ip']}:{conn[channel + '_port']}")
    return sock


def recv_all(sock, timeout: float, stop_after: int | None = None) -> list[list[bytes]]:
    """Every multipart message arriving on sock within timeout seconds
    (or the first ``stop_after`` of them)."""
    got = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (stop_after is not None and len(got) >= stop_after):
            return got
        if sock.poll(int(remaining * 1000)):
            got.append(sock.recv_multipart())


def sign(conn, *parts: bytes) -> bytes:
    key = conn["key"]
    key = key.encode() if isinstance(key, str) else key
    if not key:
        return b""
    digest = {"hmac-sha256": hashlib.sha256}[conn.get("signature_scheme", "hmac-sha256")]
    h = hmac.new(key, digestmod=digest)
    for p in parts:
        h.update(p)
    return h.hexdigest().encode()


def assert_healthy(kernel):
    km, kc = kernel
    assert km.is_alive(), "the kernel process died"
    drain(kc, timeout=0.05)
    msg_id = kc.kernel_info()
    reply = shell_reply(kc, msg_id, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    assert execute_ok(kc, "1 + 1").result == "2"
    assert km.is_alive()


def parse(session, frames):
    _, msg_list = session.feed_identities(frames, copy=True)
    return session.deserialize(msg_list, content=True, copy=True)


# ---------------------------------------------------------------------------

def test_positive_control_signed_message_is_answered(kernel, conn, session, ctx):
    """Our hand-made DEALER works, so the 'no reply' checks below mean something."""
    sock = dealer(ctx, conn)
    msg = session.msg("kernel_info_request", {})
    sock.send_multipart(session.serialize(msg))
    replies = recv_all(sock, 10, stop_after=1)
    replies += recv_all(sock, 0.3)
    assert len(replies) == 1, replies
    reply = parse(session, replies[0])
    assert reply["msg_type"] == "kernel_info_reply"
    assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]


def test_wrong_hmac_is_dropped_and_not_executed(kernel, conn, session, ctx):
    if not conn["key"]:
        pytest.fail("connection has no key: signing cannot be tested")
    sock = dealer(ctx, conn)
    msg = session.msg("execute_request", {
        "code": "let forgedBinding = 1", "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    frames = session.serialize(msg)
    assert frames[0] == DELIM
    good_sig = frames[1]
    bad_sig = (b"0" if good_sig[:1] != b"0" else b"1") + good_sig[1:]
    sock.send_multipart([DELIM, bad_sig] + frames[2:])          # one hex digit off
    sock.send_multipart([DELIM, b""] + frames[2:])              # no signature at all
    sock.send_multipart([DELIM, b"f" * 64] + frames[2:])        # nonsense
    ki = session.msg("kernel_info_request", {})
    kframes = session.serialize(ki)
    sock.send_multipart([DELIM, b"deadbeef"] + kframes[2:])
    assert recv_all(sock, 1.5) == [], "a message with a wrong HMAC was answered"
    assert_healthy(kernel)
    run = execute(kernel[1], "forgedBinding")
    assert run.status == "error" and run.content["ename"] == "NameError", \
        "a message with a wrong HMAC was executed"


def test_wrong_hmac_shutdown_on_control_is_ignored(kernel, conn, session, ctx):
    sock = dealer(ctx, conn, "control")
    msg = session.msg("shutdown_request", {"restart": False})
    frames = session.serialize(msg)
    sock.send_multipart([DELIM, b"0" * 64] + frames[2:])
    assert recv_all(sock, 1.5) == []
    assert_healthy(kernel)


@pytest.mark.parametrize("frames", [
    [b"hello", b"world"],
    [b"\x00\xff" * 10],
    [b""],
    [b"{}", b"{}", b"{}", b"{}", b"{}", b"{}"],
], ids=["two-words", "binary", "empty-frame", "json-without-delimiter"])
def test_garbage_without_delimiter(kernel, conn, ctx, frames):
    sock = dealer(ctx, conn)
    sock.send_multipart(frames)
    assert recv_all(sock, 0.5) == []
    assert_healthy(kernel)


def test_too_few_frames(kernel, conn, session, ctx):
    sock = dealer(ctx, conn)
    msg = session.msg("kernel_info_request", {})
    frames = session.serialize(msg)
    header = frames[2]
    sock.send_multipart([DELIM])
    sock.send_multipart([DELIM, sign(conn, header)])
    sock.send_multipart([DELIM, sign(conn, header), header])
    sock.send_multipart([DELIM, sign(conn, header, b"{}", b"{}"), header, b"{}", b"{}"])
    assert recv_all(sock, 0.5) == []
    assert_healthy(kernel)


@pytest.mark.parametrize("header,content", [
    (b"{not json", b"{}"),
    (b"[]", b"{}"),
    (b'"a string"', b"{}"),
    (b"\xff\xfe\x00", b"{}"),
    (None, b"{not json"),
    (None, b"[1, 2, 3]"),
    (b'{"msg_id": "x", "session": "s", "username": "u", "version": "5.3"}', b"{}"),
], ids=["header-bad-json", "header-array", "header-string", "header-not-utf8",
        "content-bad-json", "content-array", "header-without-msg_type"])
def test_malformed_json_with_valid_signature(kernel, conn, session, ctx, header, content):
    sock = dealer(ctx, conn)
    if header is None:
        header = json.dumps(session.msg_header("execute_request"), default=str).encode()
    parts = [header, b"{}", b"{}", content]
    sock.send_multipart([DELIM, sign(conn, *parts)] + parts)
    recv_all(sock, 0.5)  # an error reply is acceptable; dying is not
    assert_healthy(kernel)


def test_execute_request_with_wrong_field_types(kernel, conn, session, ctx):
    sock = dealer(ctx, conn)
    msg = session.msg("execute_request", {"code": 42, "silent": "yes"})
    sock.send_multipart(session.serialize(msg))
    recv_all(sock, 0.5)
    assert_healthy(kernel)


def test_unknown_msg_type(kernel, conn, session, ctx):
    sock = dealer(ctx, conn)
    msg = session.msg("frobnicate_request", {"x": 1})
    sock.send_multipart(session.serialize(msg))
    replies = recv_all(sock, 0.5)
    for frames in replies:  # if anything comes back, it is a well-formed, signed message
        reply = parse(session, frames)
        assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    assert_healthy(kernel)


def test_ten_megabyte_cell(kernel):
    km, kc = kernel
    payload = "x" * (10 * 1024 * 1024)
    code = f'let big = "{payload}"'
    t0 = time.monotonic()
    msg_id = kc.execute(code)
    reply = shell_reply(kc, msg_id, timeout=150)
    elapsed = time.monotonic() - t0
    assert reply["content"]["status"] in ("ok", "error"), reply["content"]
    assert km.is_alive()
    drain(kc, timeout=0.2)
    assert_healthy(kernel)
    print(f"10 MB cell answered with status {reply['content']['status']} in {elapsed:.1f}s")
