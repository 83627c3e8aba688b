"""Python functions on their way to tasks: pickled with cloudpickle into
the env kiln hands to the extension's trampolines, or recognised as one
of kiln's C functions where that gives Python's result exactly."""
import dis
import operator

import cloudpickle

import _kiln

__all__ = ["env_of", "reduce_spec", "PicklingError"]


class PicklingError(TypeError):
    """A function cannot travel to executors; the message names what in it
    cannot be pickled."""


def _culprit(f):
    """The first closure variable or global of f that does not pickle, as
    'name (type)', or None."""
    code = getattr(f, "__code__", None)
    if code is None:
        return None
    found = []
    cells = getattr(f, "__closure__", None) or ()
    for name, cell in zip(code.co_freevars, cells):
        try:
            found.append((name, cell.cell_contents))
        except ValueError:
            pass
    glb = getattr(f, "__globals__", {})
    for name in code.co_names:
        if name in glb:
            found.append((name, glb[name]))
    for name, value in found:
        if callable(value) and hasattr(value, "__code__"):
            inner = _culprit(value)
            if inner:
                return "%s -> %s" % (name, inner)
            continue
        try:
            cloudpickle.dumps(value)
        except Exception:
            return "%s (%s)" % (name, type(value).__name__)
    return None


def _describe(f):
    code = getattr(f, "__code__", None)
    name = getattr(f, "__qualname__", None) or repr(f)
    if code is not None:
        return "%s (%s:%d)" % (name, code.co_filename, code.co_firstlineno)
    return name


def dumps(f, what):
    """cloudpickle bytes of f (what: the functions' list, for the message)."""
    try:
        return cloudpickle.dumps(f)
    except Exception as e:
        culprits = [c for c in (_culprit(g) for g in what) if c]
        names = ", ".join(_describe(g) for g in what)
        hint = (": it refers to %s, which cannot be pickled" % culprits[0]) if culprits else ""
        raise PicklingError("could not serialize the function %s to send it to the executors%s "
                            "(%s: %s)" % (names, hint, type(e).__name__, e)) from e


def env_of(f, what=None, keyed=False):
    """The env (bytes) for the callable f (a function or a tuple of them)."""
    return _kiln.env(dumps(f, what or [f]), _kiln.ENV_KEYED if keyed else 0)


_ADD_CODE = None


def _is_add_lambda(f):
    """Whether f is `lambda a, b: a + b` (or with other names), by its
    bytecode: LOAD_FAST a; LOAD_FAST b; BINARY_OP +; RETURN_VALUE."""
    code = getattr(f, "__code__", None)
    if code is None or code.co_argcount != 2 or getattr(f, "__closure__", None) or f.__defaults__:
        return False
    ops = [(i.opname, i.argrepr) for i in dis.get_instructions(code) if i.opname not in ("RESUME", "NOP")]
    a, b = code.co_varnames[:2]
    return ops in ([("LOAD_FAST", a), ("LOAD_FAST", b), ("BINARY_OP", "+"), ("RETURN_VALUE", "")],
                   [("LOAD_FAST", a), ("LOAD_FAST", b), ("BINARY_ADD", ""), ("RETURN_VALUE", "")])


def reduce_spec(f):
    """What the extension takes for a reduce function f: ("add", env) when f
    adds (kiln adds ints and floats in C and calls f for anything else),
    else the env of f."""
    env = env_of(f)
    if f is operator.add or f is operator.iadd or _is_add_lambda(f):
        return ("add", env)
    return env
