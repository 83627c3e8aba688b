"""Errors: how a failed kiln job becomes a Python exception.

When a Python function raises in a task, the task fails with the formatted
traceback, and the driver raises the *same exception type* with a message
that names the job, stage, partition and attempt followed by that
traceback (PySpark wraps it in a Py4J error instead).
"""
import builtins
import importlib
import re
import sys

__all__ = ["KilnError", "PythonException", "AnalysisException"]


class KilnError(RuntimeError):
    """A kiln job or call failed for a reason other than a Python exception."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class PythonException(KilnError):
    """A Python function failed in a task, with an exception type that cannot
    be rebuilt on the driver (its class is not importable here)."""


class AnalysisException(KilnError):
    """A DataFrame or SQL statement that does not analyse (Spark's name)."""


_TRACEBACK = "Traceback (most recent call last):"
_CAUSE = re.compile(r"attempt \d+ of \d+: (?:on executor [^:]*: )?([A-Za-z_][\w.]*): ")
_LAST_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")


def _exception_class(name):
    """The class a traceback's last line names ("ValueError",
    "mymodule.MyError", "__main__.Bad"), or None."""
    if "." not in name:
        # traceback names builtins and __main__'s classes without a module.
        cls = getattr(builtins, name, None)
        if cls is None:
            cls = getattr(sys.modules.get("__main__"), name, None)
    else:
        module, _, qual = name.rpartition(".")
        mod = sys.modules.get(module)
        if mod is None:
            try:
                mod = importlib.import_module(module)
            except Exception:
                return None
        cls = mod
        for part in qual.split("."):
            cls = getattr(cls, part, None)
    if isinstance(cls, type) and issubclass(cls, BaseException):
        return cls
    return None


def _from_kiln(code, message):
    """The exception to raise for a kiln call that failed with code and
    message (the extension module calls this)."""
    start = message.find(_TRACEBACK)
    if start >= 0:
        lines = [l for l in message[start:].rstrip().splitlines() if l and not l.startswith(" ")]
        m = _LAST_LINE.match(lines[-1]) if lines else None
        cls = _exception_class(m.group(1)) if m else None
        if cls is not None and not issubclass(cls, (SystemExit, KeyboardInterrupt)):
            try:
                exc = cls(message)
                exc.kiln_message = message
                return exc
            except Exception:
                pass
        return PythonException(message, code)
    # An exception raised without a traceback (by kiln's conversion of a
    # function's result, a key that cannot be hashed):
    # "...attempt A of F: [on executor E: ]Type: text".
    m = _CAUSE.search(message)
    cls = _exception_class(m.group(1)) if m else None
    if cls is not None and issubclass(cls, Exception):
        try:
            exc = cls(message)
            exc.kiln_message = message
            return exc
        except Exception:
            pass
    if code == -16:  # KILN_ESQL
        return AnalysisException(message, code)
    return KilnError(message, code)
