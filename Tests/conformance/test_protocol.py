"""Koan's kernel against the Jupyter messaging spec, through jupyter_client directly.

One kernel serves the whole module (fixture ``kernel``); tests that end the process
(shutdown) start their own.
"""
from __future__ import annotations

import re
import time
import uuid
from queue import Empty

import pytest
from jupyter_kernel_test.msgspec_v5 import validate_message

from conftest import (
    TIMEOUT,
    Run,
    control_reply,
    drain,
    execute,
    execute_ok,
    iopub_until_idle,
    shell_reply,
    start_kernel,
    stop_kernel,
)


@pytest.fixture()
def kc(kernel):
    km, kc = kernel
    drain(kc, timeout=0.05)
    return kc


# --------------------------------------------------------------------------- kernel_info

def test_kernel_info_fields_and_status(kc):
    msg_id = kc.kernel_info()
    reply = shell_reply(kc, msg_id)
    validate_message(reply, "kernel_info_reply", msg_id)
    c = reply["content"]
    assert c["status"] == "ok"
    assert c["implementation"] == "koan"
    assert isinstance(c.get("implementation_version"), str) and c["implementation_version"]
    major, minor = (int(x) for x in re.match(r"(\d+)\.(\d+)", c["protocol_version"]).groups())
    assert (major, minor) >= (5, 3), c["protocol_version"]
    hv = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", reply["header"]["version"]).groups())
    assert hv >= (5, 3), reply["header"]["version"]

    li = c["language_info"]
    assert li["name"] == "koan"
    assert li["mimetype"] == "text/x-koan"
    assert li["file_extension"] == ".koan"
    assert li["pygments_lexer"] == "swift"
    cm = li["codemirror_mode"]
    assert cm == "swift" or (isinstance(cm, dict) and cm.get("name") == "swift"), cm
    assert isinstance(li.get("version"), str)

    assert isinstance(c["banner"], str) and c["banner"].strip()
    links = c["help_links"]
    assert isinstance(links, list) and links, "help_links should list at least one link"
    for link in links:
        assert set(link) >= {"text", "url"} and link["url"].startswith("http"), link

    # busy ... idle around the request, both parented to it.
    msgs = iopub_until_idle(kc, msg_id)
    states = [m["content"]["execution_state"] for m in msgs if m["msg_type"] == "status"]
    assert states[0] == "busy" and states[-1] == "idle", states
    for m in msgs:
        validate_message(m)


def test_kernel_info_on_control(kc):
    msg = kc.session.msg("kernel_info_request", {})
    kc.control_channel.send(msg)
    reply = control_reply(kc, msg["header"]["msg_id"])
    validate_message(reply, "kernel_info_reply", msg["header"]["msg_id"])
    assert reply["content"]["implementation"] == "koan"


# --------------------------------------------------------------------------- execute

def test_execute_input_precedes_output_and_counts_match(kc):
    run = execute_ok(kc, 'print("first")\n1 + 1')
    for m in run.iopub:
        validate_message(m)
    types = run.types
    assert types[0] == "status" and run.iopub[0]["content"]["execution_state"] == "busy", types
    assert types[-1] == "status" and run.iopub[-1]["content"]["execution_state"] == "idle", types
    assert types.count("execute_input") == 1, types
    i_input = types.index("execute_input")
    i_stream = types.index("stream")
    i_result = types.index("execute_result")
    assert i_input < i_stream < i_result, types

    count = run.content["execution_count"]
    assert run.of_type("execute_input")[0]["content"]["execution_count"] == count
    assert run.of_type("execute_input")[0]["content"]["code"] == 'print("first")\n1 + 1'
    assert run.of_type("execute_result")[0]["content"]["execution_count"] == count
    assert run.stream() == "first\n"
    assert run.result == "2"


def test_execution_count_rules(kc):
    c1 = execute_ok(kc, "1 + 1").content["execution_count"]
    c2 = execute_ok(kc, "2 + 2").content["execution_count"]
    assert c2 == c1 + 1

    silent = execute_ok(kc, "3 + 3", silent=True)
    assert "execute_input" not in silent.types, silent.types
    assert "execute_result" not in silent.types, silent.types

    no_hist = execute_ok(kc, "4 + 4", store_history=False)
    assert no_hist.result == "8"

    c3 = execute_ok(kc, "5 + 5").content["execution_count"]
    assert c3 == c2 + 1, "silent / store_history=false requests must not increment execution_count"


def test_silent_still_runs(kc):
    execute_ok(kc, "var silentSide = 1")
    execute_ok(kc, "silentSide = 7", silent=True)
    assert execute_ok(kc, "silentSide").result == "7"


def test_binding_kinds_and_result_rules(kc):
    assert execute_ok(kc, "let pbound = 1").result is None
    assert execute_ok(kc, '"a" + "b"').result == '"ab"'
    assert execute_ok(kc, "pbound + 41").result == "42"


def test_user_expressions(kc):
    run = execute_ok(kc, "let ue = 21",
                     user_expressions={"good": "ue * 2", "bad": "undefinedName"})
    validate_message(run.reply, "execute_reply", run.msg_id)
    ue = run.content["user_expressions"]
    assert set(ue) == {"good", "bad"}, ue
    assert ue["good"]["status"] == "ok", ue["good"]
    assert ue["good"]["data"]["text/plain"] == "42", ue["good"]
    assert isinstance(ue["good"].get("metadata"), dict), ue["good"]
    assert ue["bad"]["status"] == "error", ue["bad"]
    assert ue["bad"]["ename"] == "NameError", ue["bad"]
    assert isinstance(ue["bad"]["evalue"], str) and isinstance(ue["bad"]["traceback"], list)


# --------------------------------------------------------------------------- errors

def test_name_error(kc):
    run = execute(kc, "undefinedName")
    validate_message(run.reply, "execute_reply", run.msg_id)
    assert run.status == "error"
    assert run.content["ename"] == "NameError"
    assert "undefinedName" in run.content["evalue"]
    errs = run.of_type("error")
    assert len(errs) == 1
    assert errs[0]["content"]["ename"] == "NameError"
    assert errs[0]["content"]["traceback"] == run.content["traceback"]
    count = run.content["execution_count"]
    tb = "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", line) for line in run.content["traceback"])
    assert re.search(r"^error: ", tb, re.M), tb
    assert re.search(rf"^\s*--> cell\[{count}\]:1:1\b", tb, re.M), tb


def test_type_error_keeps_workspace(kc):
    execute_ok(kc, "let beforeError = 5")
    run = execute(kc, 'let y: Int = "a"')
    assert run.status == "error"
    assert run.content["ename"] == "TypeError"
    tb = "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", line) for line in run.content["traceback"])
    assert "error: " in tb and re.search(r"--> cell\[\d+\]:1:\d+", tb), tb
    assert execute_ok(kc, "beforeError").result == "5"


def test_stop_on_error_aborts_queued_execute(kc):
    # Deterministic queueing: the first cell blocks in readLine until we answer, so the
    # requests below are surely waiting in the kernel's shell queue when it then fails.
    # (a runtime error: a name error would be found before the cell runs at all)
    first = kc.execute('let gate = readLine(prompt: "go? ")\n[1, 2][gate.count + 5]',
                       allow_stdin=True)
    assert kc.get_stdin_msg(timeout=10)["content"]["prompt"] == "go? "
    second = kc.execute('print("SHOULD NOT RUN")')
    info = kc.kernel_info()          # not an execute: answered normally, not aborted
    third = kc.execute("var ranAnyway = 1")
    time.sleep(0.5)                  # let them cross the socket
    kc.input("x")
    r1 = shell_reply(kc, first)
    assert r1["content"]["status"] == "error", r1["content"]
    r2 = shell_reply(kc, second)
    assert r2["content"]["status"] == "aborted", r2["content"]
    assert shell_reply(kc, info)["content"]["status"] == "ok"
    r3 = shell_reply(kc, third)
    assert r3["content"]["status"] == "aborted", r3["content"]
    out1 = iopub_until_idle(kc, first)
    assert any(m["msg_type"] == "error" for m in out1)
    out2 = iopub_until_idle(kc, second)   # aborted requests still get busy/idle
    assert not any(m["msg_type"] in ("stream", "execute_input") for m in out2), out2
    iopub_until_idle(kc, third)
    # Aborting is over: the next request runs, and the aborted ones never ran.
    assert execute_ok(kc, "1 + 1").result == "2"
    assert execute(kc, "ranAnyway").content["ename"] == "NameError"


def test_stop_on_error_back_to_back(kc):
    """The usual client pattern: two executes sent without waiting, the first failing
    after a short computation (long enough for the second to arrive; the error must be a
    runtime one: an unknown name is reported before the cell runs at all)."""
    first = kc.execute("var spin = 0\nwhile spin < 100000 { spin += 1 }\n[1, 2][spin]")
    second = kc.execute('print("SHOULD NOT RUN")')
    r1 = shell_reply(kc, first)
    r2 = shell_reply(kc, second)
    assert r1["content"]["status"] == "error", r1["content"]
    assert r2["content"]["status"] == "aborted", r2["content"]
    iopub_until_idle(kc, first)
    out2 = iopub_until_idle(kc, second)
    assert not any(m["msg_type"] == "stream" for m in out2), out2
    assert execute_ok(kc, "1 + 1").result == "2"


def test_stop_on_error_false_does_not_abort(kc):
    first = kc.execute("undefinedName", stop_on_error=False)
    second = kc.execute("20 + 22")
    r1 = shell_reply(kc, first)
    r2 = shell_reply(kc, second)
    assert r1["content"]["status"] == "error"
    assert r2["content"]["status"] == "ok", r2["content"]
    iopub_until_idle(kc, first)
    assert Run(second, r2, iopub_until_idle(kc, second)).result == "42"


def test_request_after_error_reply_and_idle_is_not_aborted(kc):
    """Only requests queued *before* the error reply are aborted: a client that waited for
    the failed cell's reply and idle (as nbclient and jupyter console do) then sends the
    next cell must see it run. Repeated, because a late abort is a race."""
    for i in range(10):
        failed = execute(kc, "undefinedName")
        assert failed.status == "error"
        run = execute(kc, f"{i} + 1")
        assert run.status == "ok", f"round {i}: the next cell was {run.content}"
        assert run.result == str(i + 1)


# --------------------------------------------------------------------------- rich output

def test_display_data_and_html(kc):
    run = execute_ok(kc, "display(42)")
    d = run.of_type("display_data")
    assert len(d) == 1 and d[0]["content"]["data"]["text/plain"] == "42", run.iopub
    run = execute_ok(kc, 'display(HTML("<b>hi</b>"))')
    d = run.of_type("display_data")
    assert len(d) == 1, run.iopub
    validate_message(d[0])
    assert d[0]["content"]["data"]["text/html"] == "<b>hi</b>"
    assert "text/plain" in d[0]["content"]["data"]


def test_clear_output_wait(kc):
    run = execute_ok(kc, "clearOutput()")
    assert [m["content"]["wait"] for m in run.of_type("clear_output")] == [False]
    run = execute_ok(kc, "clearOutput(wait: true)")
    assert [m["content"]["wait"] for m in run.of_type("clear_output")] == [True]


def test_stderr_stream(kc):
    run = execute_ok(kc, 'print("oops", to: &standardError)')
    assert run.stream("stderr") == "oops\n"
    assert run.stream("stdout") == ""


# --------------------------------------------------------------------------- magics

def test_magic_who_and_workspace(kc):
    execute_ok(kc, "let magicProbe = 123")
    who = execute_ok(kc, "%who")
    assert "magicProbe" in who.all_text(), who
    ws = execute_ok(kc, "%workspace")
    assert "magicProbe" in ws.all_text(), ws


def test_magic_time(kc):
    run = execute_ok(kc, "%time 1 + 1")
    text = run.all_text()
    assert "2" in text, run
    assert re.search(r"\d(\.\d+)?\s*(ns|µs|us|ms|s)\b", text), run


# --------------------------------------------------------------------------- stdin

def test_input_request_round_trip(kc):
    msg_id = kc.execute('let answer = readLine(prompt: "name? ")\nanswer', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=10)
    # (not msgspec_v5.validate_message: its input_request schema wants a *number* for
    # "password", while the spec and ipykernel use a boolean)
    assert req["msg_type"] == "input_request"
    assert req["parent_header"]["msg_id"] == msg_id
    assert req["content"]["prompt"] == "name? "
    assert req["content"]["password"] is False
    kc.input("Ada")
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert Run(msg_id, reply, iopub_until_idle(kc, msg_id)).result == '"Ada"'


def test_input_without_stdin_fails_fast(kc):
    t0 = time.monotonic()
    run = execute(kc, 'readLine(prompt: "name? ")', timeout=10, allow_stdin=False)
    assert time.monotonic() - t0 < 10
    assert run.status == "error"
    assert run.content["ename"] == "StdinError", run.content
    with pytest.raises(Empty):
        kc.get_stdin_msg(timeout=0.3)


# --------------------------------------------------------------------------- comms

def test_comm_info(kc):
    msg_id = kc.comm_info()
    reply = shell_reply(kc, msg_id)
    validate_message(reply, "comm_info_reply", msg_id)
    assert reply["content"]["comms"] == {}
    msg_id = kc.comm_info(target_name="jupyter.widget")
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok" and reply["content"]["comms"] == {}


def test_comm_open_unknown_target_is_closed(kc):
    comm_id = uuid.uuid4().hex
    msg = kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "no.such.target", "data": {}})
    kc.shell_channel.send(msg)
    msgs = iopub_until_idle(kc, msg["header"]["msg_id"])
    closes = [m for m in msgs if m["msg_type"] == "comm_close"]
    assert len(closes) == 1, [m["msg_type"] for m in msgs]
    assert closes[0]["content"]["comm_id"] == comm_id
    # The kernel is still fine.
    assert execute_ok(kc, "1 + 1").result == "2"


# --------------------------------------------------------------------------- history

def _history(kc, **kw):
    msg_id = kc.history(**kw)
    reply = shell_reply(kc, msg_id)
    validate_message(reply, "history_reply", msg_id)
    assert reply["content"]["status"] == "ok"
    return reply["content"]["history"]


def test_history_tail_range_search(kc):
    codes = ["let hx = 11", "hx + 1", '"histMarker"']
    counts = [execute_ok(kc, c).content["execution_count"] for c in codes]
    execute_ok(kc, '"notRecorded"', store_history=False)
    execute_ok(kc, '"silentNotRecorded"', silent=True)

    tail = _history(kc, hist_access_type="tail", n=3, output=False, raw=True)
    assert [h[2] for h in tail] == codes, tail
    assert [h[1] for h in tail] == counts, tail
    session = tail[0][0]

    tail_out = _history(kc, hist_access_type="tail", n=2, output=True, raw=True)
    assert tail_out[0][2][0] == "hx + 1" and tail_out[0][2][1] == "12", tail_out
    assert tail_out[1][2][1] == '"histMarker"', tail_out

    rng = _history(kc, hist_access_type="range", session=session, start=counts[0],
                   stop=counts[0] + 2, output=False, raw=True)
    assert [(h[1], h[2]) for h in rng] == list(zip(counts[:2], codes[:2])), rng

    found = _history(kc, hist_access_type="search", pattern="*hx*", output=False, raw=True)
    assert [h[2] for h in found][-2:] == ["let hx = 11", "hx + 1"], found
    found = _history(kc, hist_access_type="search", pattern="*Marker*", output=False, raw=True)
    assert [h[2] for h in found] == ['"histMarker"'], found
    assert _history(kc, hist_access_type="search", pattern="*notRecorded*",
                    output=False, raw=True) == []


# --------------------------------------------------------------------------- complete / inspect / is_complete

def _complete(kc, code, cursor_pos=None):
    msg_id = kc.complete(code, cursor_pos)
    reply = shell_reply(kc, msg_id)
    validate_message(reply, "complete_reply", msg_id)
    return reply["content"]


def test_complete_builtin(kc):
    c = _complete(kc, "pri")
    assert "print" in c["matches"], c
    assert (c["cursor_start"], c["cursor_end"]) == (0, 3), c


def test_complete_counts_code_points(kc):
    # é is one code point; 😀 is one code point but two UTF-16 units; "e\u0301" is two
    # code points but one grapheme: only code-point counting gives these offsets.
    code = 'let é = 1\nlet s = "😀e\u0301"\npri'
    c = _complete(kc, code, len(code))
    assert "print" in c["matches"], c
    assert (c["cursor_start"], c["cursor_end"]) == (len(code) - 3, len(code)), c


def test_complete_cursor_in_the_middle(kc):
    code = 'pri\nlet s = "😀"'
    c = _complete(kc, code, 3)
    assert "print" in c["matches"], c
    assert (c["cursor_start"], c["cursor_end"]) == (0, 3), c


def test_complete_user_binding(kc):
    execute_ok(kc, "let completionTarget = 1")
    c = _complete(kc, "completionTar")
    assert c["matches"] == ["completionTarget"], c


def test_inspect_builtin(kc):
    msg_id = kc.inspect("print", 5)
    reply = shell_reply(kc, msg_id)
    validate_message(reply, "inspect_reply", msg_id)
    c = reply["content"]
    assert c["found"] is True
    assert "print(" in c["data"]["text/plain"], c


def test_inspect_unknown(kc):
    msg_id = kc.inspect("noSuchThingAnywhere", 5)
    reply = shell_reply(kc, msg_id)
    validate_message(reply, "inspect_reply", msg_id)
    assert reply["content"]["found"] is False


def _is_complete(kc, code):
    msg_id = kc.is_complete(code)
    reply = shell_reply(kc, msg_id)
    validate_message(reply, "is_complete_reply", msg_id)
    return reply["content"]


@pytest.mark.parametrize("code", ["1", 'print("hello, world")', "let x = 1",
                                  "func f() {\n    return\n}"])
def test_is_complete_complete(kc, code):
    assert _is_complete(kc, code)["status"] == "complete"


def test_is_complete_incomplete_has_indent(kc):
    c = _is_complete(kc, "func f() {")
    assert c["status"] == "incomplete", c
    assert isinstance(c.get("indent"), str) and c["indent"] and not c["indent"].strip(), c
    c = _is_complete(kc, "let a = [1,")
    assert c["status"] == "incomplete", c
    assert isinstance(c.get("indent"), str) and not c["indent"].strip(), c


def test_is_complete_invalid(kc):
    assert _is_complete(kc, "let = 1")["status"] == "invalid"


# --------------------------------------------------------------------------- shutdown

def test_shutdown_without_restart_exits():
    km, kc = start_kernel()
    try:
        assert execute_ok(kc, "1 + 1").result == "2"
        msg_id = kc.shutdown(restart=False)
        reply = control_reply(kc, msg_id, timeout=10)
        validate_message(reply, "shutdown_reply", msg_id)
        assert reply["content"]["status"] == "ok"
        assert reply["content"]["restart"] is False
        deadline = time.monotonic() + 10
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not km.is_alive(), "kernel process still running 10 s after shutdown_reply"
        code = km.provisioner.process.poll() if km.provisioner else None
        assert code == 0, f"kernel exited with {code} after a clean shutdown"
    finally:
        stop_kernel(km, kc)
