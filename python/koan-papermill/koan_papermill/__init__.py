"""Papermill parameters for the Koan kernel.

papermill looks a parameter translator up by kernel name (then language) in
``papermill.translators.papermill_translators``, and has no entry-point group for
translators. It does load the entry points of the group ``papermill.engine`` when
``papermill.engines`` is imported, which every papermill run (CLI or API) does. This
package registers one there, named ``koan``: loading it imports this module, which
registers the translator below for the kernel ``koan`` and the language ``koan``. The
engine it names is papermill's own default (``NBClientEngine``), so ``--engine koan``
behaves as the default engine.

Install it next to papermill: ``pip install ./python/koan-papermill`` (from the Koan
repository). Then ``papermill nb.ipynb out.ipynb -p epochs 3`` injects ``let epochs = 3``
after the cell tagged ``parameters``.
"""
from __future__ import annotations

import math

from papermill.engines import NBClientEngine
from papermill.translators import Translator, papermill_translators

__all__ = ["KoanTranslator", "KoanEngine"]


class KoanTranslator(Translator):
    """Renders papermill parameters as Koan (Swift-syntax) literals."""

    @classmethod
    def translate_escaped_str(cls, str_val):
        out = []
        for ch in str(str_val):
            if ch == "\\":
                out.append("\\\\")
            elif ch == '"':
                out.append('\\"')
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\t":
                out.append("\\t")
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:
                out.append(f"\\u{{{ord(ch):x}}}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'

    @classmethod
    def translate_none(cls, val):
        return "nil"

    @classmethod
    def translate_bool(cls, val):
        return "true" if val else "false"

    @classmethod
    def translate_float(cls, val):
        if math.isnan(val):
            return "Double.nan"
        if math.isinf(val):
            return "Double.infinity" if val > 0 else "-Double.infinity"
        return repr(float(val))

    @classmethod
    def translate_list(cls, val):
        return "[" + ", ".join(cls.translate(v) for v in val) + "]"

    @classmethod
    def translate_dict(cls, val):
        if not val:
            return "[:]"
        return "[" + ", ".join(f"{cls.translate_str(k)}: {cls.translate(v)}"
                               for k, v in val.items()) + "]"

    @classmethod
    def comment(cls, cmt_str):
        return f"// {cmt_str}".strip()

    @classmethod
    def assign(cls, name, str_val):
        return f"let {name} = {str_val}"


class KoanEngine(NBClientEngine):
    """papermill's default engine under the name ``koan`` (the entry point that makes
    papermill import this module)."""


for _name in ("koan",):
    papermill_translators.register(_name, KoanTranslator)
