#!/usr/bin/env python3
"""Kernel latency: Koan against ipykernel, same machine, same client, one run.

Measures, for each kernel:

- **start**: ``KernelManager.start_kernel()`` until the first ``kernel_info_reply``
  (process launch, socket set-up, first answer); ``--starts`` fresh kernels, median.
- **ready**: ``jupyter_client.manager.start_new_kernel(kernel_name=...)`` until it
  returns, i.e. what JupyterLab and nbclient wait for: launch, then
  ``KernelClient.wait_for_ready`` (kernel_info reply on shell *and* one IOPub message
  within 0.2 s of it, else another kernel_info; then IOPub drained until 0.2 s of
  silence); ``--starts`` fresh kernels, median. jupyter_client's own client and sockets,
  nothing tuned.
- **round trips** (``--n`` each, after a warm-up): ``execute`` of ``1 + 1``,
  ``complete_request`` of ``pri`` and ``kernel_info_request``. One round trip is
  *request sent → reply received and ``status: idle`` seen on IOPub*, i.e. until a
  frontend knows every output has arrived.

Round trips use a lean client (raw pyzmq DEALER/SUB, HMAC via ``hmac``, JSON parsed
only as far as needed to match parents) instead of ``BlockingKernelClient``, so that
client overhead (date parsing, thread hops) does not dilute the kernel-to-kernel ratio.
Both kernels get the identical client.

Targets (docs: performance): round trip ≤ 0.2× ipykernel, start ≤ 0.1× ipykernel,
ready ≤ 0.5× ipykernel.

Usage::

    .venv/bin/python bench/kernel_latency.py                # release binary if built, else debug
    .venv/bin/python bench/kernel_latency.py --koan-bin .build/release/koan --n 500 --starts 5
    .venv/bin/python bench/kernel_latency.py --json out.json # also write the raw numbers
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import zmq
from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parents[1]
DELIM = b"<IDS|MSG>"

TARGET_ROUND_TRIP = 0.2
TARGET_START = 0.1
TARGET_READY = 0.5
START_ROW = "start → first kernel_info"
READY_ROW = "start_new_kernel → ready"


# --------------------------------------------------------------------------- lean client

class LeanClient:
    """Just enough of a Jupyter client to time round trips: shell DEALER + iopub SUB."""

    def __init__(self, info: dict, ctx: zmq.Context):
        key = info["key"]
        self.key = key.encode() if isinstance(key, str) else key
        self.session = uuid.uuid4().hex
        url = f"{info['transport']}://{info['ip']}:"
        self.shell = ctx.socket(zmq.DEALER)
        self.shell.setsockopt(zmq.LINGER, 0)
        # Retry a refused connect every 5 ms instead of libzmq's default 100 ms, so
        # "start" measures when the kernel is ready, not the client's back-off (same for both kernels).
        self.shell.setsockopt(zmq.RECONNECT_IVL, 5)
        self.shell.connect(url + str(info["shell_port"]))
        self.iopub = ctx.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.LINGER, 0)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(url + str(info["iopub_port"]))

    def close(self) -> None:
        self.shell.close(0)
        self.iopub.close(0)

    def send(self, msg_type: str, content: dict) -> str:
        msg_id = uuid.uuid4().hex
        header = json.dumps({
            "msg_id": msg_id, "session": self.session, "username": "bench",
            "date": datetime.now(timezone.utc).isoformat(), "msg_type": msg_type,
            "version": "5.3"}).encode()
        parts = [header, b"{}", b"{}", json.dumps(content).encode()]
        sig = b""
        if self.key:
            h = hmac.new(self.key, digestmod=hashlib.sha256)
            for p in parts:
                h.update(p)
            sig = h.hexdigest().encode()
        self.shell.send_multipart([DELIM, sig] + parts)
        return msg_id

    @staticmethod
    def _split(frames: list[bytes]):
        i = frames.index(DELIM)
        return frames[i + 2], frames[i + 3], frames[i + 5]  # header, parent, content

    def wait_reply(self, msg_id: str, timeout: float = 30.0) -> dict:
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or not self.shell.poll(int(left * 1000) + 1):
                raise TimeoutError(f"no reply to {msg_id}")
            header, parent, content = self._split(self.shell.recv_multipart())
            if json.loads(parent).get("msg_id") == msg_id:
                return json.loads(content)

    def wait_idle(self, msg_id: str, timeout: float = 30.0) -> None:
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or not self.iopub.poll(int(left * 1000) + 1):
                raise TimeoutError(f"no idle for {msg_id}")
            header, parent, content = self._split(self.iopub.recv_multipart())
            if b'"status"' not in header:
                continue
            if json.loads(parent).get("msg_id") == msg_id and \
                    json.loads(content).get("execution_state") == "idle":
                return

    def round_trip(self, msg_type: str, content: dict) -> float:
        t0 = time.perf_counter()
        msg_id = self.send(msg_type, content)
        reply = self.wait_reply(msg_id)
        self.wait_idle(msg_id)
        dt = time.perf_counter() - t0
        if reply.get("status") != "ok":
            raise RuntimeError(f"{msg_type} failed: {reply}")
        return dt

    def settle_iopub(self, timeout: float = 30.0) -> None:
        """Slow joiner: repeat kernel_info until our SUB socket sees IOPub traffic."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            msg_id = self.send("kernel_info_request", {})
            self.wait_reply(msg_id)
            try:
                self.wait_idle(msg_id, timeout=0.5)
                return
            except TimeoutError:
                continue
        raise TimeoutError("IOPub never connected")


# --------------------------------------------------------------------------- measurements

def execute_content(code: str) -> dict:
    return {"code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}


def time_start(kernel_name: str, starts: int, ctx: zmq.Context) -> list[float]:
    times = []
    for _ in range(starts):
        km = KernelManager(kernel_name=kernel_name)
        t0 = time.perf_counter()
        km.start_kernel()
        client = LeanClient(km.get_connection_info(), ctx)
        try:
            msg_id = client.send("kernel_info_request", {})
            client.wait_reply(msg_id, timeout=120)
            times.append(time.perf_counter() - t0)
        finally:
            client.close()
            km.shutdown_kernel(now=True)
    return times


def time_ready(kernel_name: str, starts: int) -> list[float]:
    """``start_new_kernel`` as frontends call it, until its client is ready."""
    from jupyter_client.manager import start_new_kernel
    times = []
    for _ in range(starts):
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=120)
        times.append(time.perf_counter() - t0)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return times


def time_round_trips(kernel_name: str, n: int, ctx: zmq.Context) -> dict[str, list[float]]:
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    client = LeanClient(km.get_connection_info(), ctx)
    ops = {
        "execute 1 + 1": ("execute_request", execute_content("1 + 1")),
        "complete pri": ("complete_request", {"code": "pri", "cursor_pos": 3}),
        "kernel_info": ("kernel_info_request", {}),
    }
    out: dict[str, list[float]] = {}
    try:
        client.settle_iopub()
        for name, (msg_type, content) in ops.items():
            for _ in range(max(10, n // 10)):  # warm-up (imports, jedi, first parse)
                client.round_trip(msg_type, content)
            out[name] = [client.round_trip(msg_type, content) for _ in range(n)]
    finally:
        client.close()
        km.shutdown_kernel(now=True)
    return out


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# --------------------------------------------------------------------------- main

def default_koan_bin() -> Path:
    candidates = [REPO / ".build" / "release" / "koan"]
    # `swift build -c release --scratch-path .build-release` (keeps the debug build intact)
    candidates += [REPO / ".build-release" / "release" / "koan"]
    candidates += sorted(REPO.glob(".build-release/*/release/koan"))
    for release in candidates:
        if release.exists():
            return release
    return REPO / ".build" / "debug" / "koan"


def install_koan(koan_bin: Path) -> Path:
    prefix = Path(tempfile.mkdtemp(prefix="koan-bench-"))
    subprocess.run([str(koan_bin), "install", "--prefix", str(prefix)], check=True,
                   capture_output=True, text=True)
    jupyter = prefix / "share" / "jupyter"
    old = os.environ.get("JUPYTER_PATH", "")
    os.environ["JUPYTER_PATH"] = str(jupyter) + (os.pathsep + old if old else "")
    return prefix


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--koan-bin", type=Path, default=default_koan_bin(),
                    help="koan executable (default: .build/release/koan if present, else debug)")
    ap.add_argument("--n", type=int, default=200, help="round trips per operation (default 200)")
    ap.add_argument("--starts", type=int, default=5, help="kernel starts per kernel (default 5)")
    ap.add_argument("--python-kernel", default="python3", help="the ipykernel kernelspec name")
    ap.add_argument("--json", type=Path, help="also write raw timings (seconds) here")
    args = ap.parse_args(argv)

    koan_bin = args.koan_bin.resolve()
    if not koan_bin.exists():
        print(f"koan binary not found: {koan_bin} (build it, or pass --koan-bin)", file=sys.stderr)
        return 2
    build = "release" if "/release/" in str(koan_bin) else ("debug" if "/debug/" in str(koan_bin) else "?")
    prefix = install_koan(koan_bin)
    ctx = zmq.Context()
    kernels = {"ipykernel": args.python_kernel, "koan": "koan"}
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for label, name in kernels.items():
            print(f"[{label}] {args.starts} starts ...", file=sys.stderr, flush=True)
            starts = time_start(name, args.starts, ctx)
            print(f"[{label}] {args.starts} start_new_kernel ...", file=sys.stderr, flush=True)
            ready = time_ready(name, args.starts)
            print(f"[{label}] {args.n} round trips per operation ...", file=sys.stderr, flush=True)
            trips = time_round_trips(name, args.n, ctx)
            results[label] = {START_ROW: starts, READY_ROW: ready, **trips}
    finally:
        ctx.destroy(linger=0)
        shutil.rmtree(prefix, ignore_errors=True)

    import platform
    print(f"\nKernel latency — koan {build} build ({koan_bin}), python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, n={args.n}, starts={args.starts}\n")
    header = (f"{'operation':<28} {'ipykernel med':>13} {'p90':>9} {'koan med':>10} {'p90':>9}"
              f" {'ratio':>7} {'target':>7}  ")
    print(header)
    print("-" * len(header))
    for op in results["koan"]:
        py, ko = results["ipykernel"][op], results["koan"][op]
        pm, p9, km_, k9 = (statistics.median(py) * 1e3, pct(py, 0.9) * 1e3,
                           statistics.median(ko) * 1e3, pct(ko, 0.9) * 1e3)
        ratio = km_ / pm if pm else float("inf")
        target = {START_ROW: TARGET_START, READY_ROW: TARGET_READY}.get(op, TARGET_ROUND_TRIP)
        verdict = "ok" if ratio <= target else "MISS"
        print(f"{op:<28} {pm:>10.3f} ms {p9:>6.3f} ms {km_:>7.3f} ms {k9:>6.3f} ms"
              f" {ratio:>6.3f}× {'≤' + str(target):>7}  {verdict}")
    print("\nratio = koan median / ipykernel median; round trip = request → reply + idle on IOPub;"
          "\nready = start_new_kernel() returned (includes wait_for_ready's final 0.2 s of IOPub silence).")
    if build != "release":
        print("NOTE: this is not a release build of koan; benchmark a release build for real numbers.")
    if args.json:
        args.json.write_text(json.dumps({"koan_bin": str(koan_bin), "build": build, "n": args.n,
                                         "starts": args.starts, "seconds": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
