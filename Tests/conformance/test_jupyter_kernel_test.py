"""jupyter_kernel_test's generic protocol checks, with Koan samples.

jupyter_kernel_test 0.7 validates every reply and IOPub message against its
msgspec_v5 schemas. The kernel under test is the kernelspec ``koan`` installed by
conftest.py from $KOAN_BIN (the session fixture runs before setUpClass).

``code_page_something`` is ``%help print``: as IPython's ``?``, ``%help`` sends its text
as a ``page`` payload in the execute reply.
"""
from __future__ import annotations

import jupyter_kernel_test as jkt

import conftest


class KoanKernelTests(jkt.KernelTests):
    kernel_name = conftest.KERNEL_NAME
    language_name = "koan"
    file_extension = ".koan"

    # test_execute_stdout / test_execute_stderr
    code_hello_world = 'print("hello, world")'
    code_stderr = 'print("oops", to: &standardError)'

    # test_completion: "matches" (when given) must equal the reply's set exactly, so only
    # prefixes with a single possible builtin carry it; "pri" is checked for a valid reply
    # here and for `print` among the matches in test_protocol.py.
    completion_samples = [
        {"text": "pri"},
        {"text": "clearOutp", "matches": {"clearOutput"}},
        {"text": "readLi", "matches": {"readLine"}},
    ]

    # test_is_complete
    complete_code_samples = ["1", 'print("hello, world")', "let x = 1"]
    incomplete_code_samples = ["func f() {", "let a = [1,"]
    invalid_code_samples = ["let = 1"]

    # test_error: exactly one IOPub output (the error) and status "error".
    code_generate_error = "undefinedName"

    # test_execute_result (and test_history, which re-executes these codes in order).
    code_execute_result = [
        {"code": "1 + 1", "result": "2"},
        {"code": '"a" + "b"', "result": '"ab"'},
        {"code": "1 + 0.5", "result": "1.5"},
        {"code": "3 > 2", "result": "true"},
        {"code": "[1, 2, 3]", "result": "[1, 2, 3]"},
    ]

    # test_display_data
    code_display_data = [
        {"code": "display(42)", "mime": "text/plain"},
        {"code": 'display(HTML("<b>hi</b>"))', "mime": "text/html"},
        {"code": 'display(HTML("<b>hi</b>"))', "mime": "text/plain"},
    ]

    # test_history: a glob matching exactly one distinct input among the samples above
    # ("unique" expects one entry, "n=3" expects three of the repeated executions).
    code_history_pattern = "1 + 1"
    supported_history_operations = ("tail", "range", "search")

    # test_inspect
    code_inspect_sample = "print"

    # test_pager
    code_page_something = "%help print"

    # test_clear_output
    code_clear_output = "clearOutput()"
