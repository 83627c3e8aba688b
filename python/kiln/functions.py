"""Python functions on their way to tasks: pickled with cloudpickle into
the env kiln hands to the extension's trampolines, or recognised as one
of kiln's C functions where that gives Python's result exactly."""
import operator

import _kiln

# cloudpickle (which imports typing) and dis are imported on first use:
# `import kiln` and a context stay fast.

__all__ = ["env_of", "reduce_spec", "PicklingError"]


class PicklingError(TypeError):
    """A function cannot travel to executors; the message names what in it
    cannot be pickled."""


def _cloudpickle():
    import cloudpickle
    return cloudpickle


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
            _cloudpickle().dumps(value)
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
        return _cloudpickle().dumps(f)
    except Exception as e:
        culprits = [c for c in (_culprit(g) for g in what) if c]
        names = ", ".join(_describe(g) for g in what)
        hint = (": it refers to %s, which cannot be pickled" % culprits[0]) if culprits else ""
        raise PicklingError("could not serialize the function %s to send it to the executors%s "
                            "(%s: %s)" % (names, hint, type(e).__name__, e)) from e


def env_of(f, what=None, keyed=False, combine_add=False):
    """The env (bytes) for the callable f (a function or a tuple of them);
    keyed: its outputs are pairs for a shuffle; combine_add: the shuffle
    adds values, so a worker may add up int values of equal keys first."""
    flags = (_kiln.ENV_KEYED if keyed else 0) | (_kiln.ENV_COMBINE_ADD if combine_add else 0)
    return _kiln.env(dumps(f, what or [f]), flags)


_ADD_CODE = None


def _is_add_lambda(f):
    """Whether f is `lambda a, b: a + b` (or with other names), by its
    bytecode: LOAD_FAST a; LOAD_FAST b; BINARY_OP +; RETURN_VALUE."""
    code = getattr(f, "__code__", None)
    if code is None or code.co_argcount != 2 or getattr(f, "__closure__", None) or f.__defaults__:
        return False
    import dis
    ops = [(i.opname, i.argrepr) for i in dis.get_instructions(code)
           if i.opname not in ("RESUME", "NOP")]
    a, b = code.co_varnames[:2]
    return ops in ([("LOAD_FAST", a), ("LOAD_FAST", b), ("BINARY_OP", "+"), ("RETURN_VALUE", "")],
                   [("LOAD_FAST", a), ("LOAD_FAST", b), ("BINARY_ADD", ""), ("RETURN_VALUE", "")])


def reduce_spec(f):
    """What the extension takes for a reduce function f: ("add", env) when f
    adds, ("max", env) / ("min", env) for the built-ins (kiln does ints and
    floats in C and calls f for anything else), else the env of f."""
    env = env_of(f)
    if f is operator.add or f is operator.iadd or _is_add_lambda(f):
        return ("add", env)
    if f is max or f is min:
        return (f.__name__, env)  # in C for ints and floats, else f
    return env


def _ops(f):
    code = getattr(f, "__code__", None)
    if code is None or getattr(f, "__closure__", None) or f.__defaults__:
        return None, None
    import dis
    ops = [(i.opname, i.argval) for i in dis.get_instructions(code)
           if i.opname not in ("RESUME", "NOP", "PRECALL")]
    return code, ops


def _is_split_lambda(f):
    """`lambda s: s.split()`: LOAD_FAST s; LOAD_METHOD split; CALL 0; RETURN_VALUE."""
    code, ops = _ops(f)
    if code is None or code.co_argcount != 1:
        return False
    s = code.co_varnames[0]
    return ops == [("LOAD_FAST", s), ("LOAD_METHOD", "split"), ("CALL", 0), ("RETURN_VALUE", None)]


def _is_pair_one_lambda(f):
    """`lambda w: (w, 1)`: LOAD_FAST w; LOAD_CONST (w's pair is built at run
    time) ... as 3.11 compiles it: LOAD_FAST w; LOAD_CONST 1; BUILD_TUPLE 2;
    RETURN_VALUE."""
    code, ops = _ops(f)
    if code is None or code.co_argcount != 1:
        return False
    w = code.co_varnames[0]
    return (len(ops) == 4 and ops[0] == ("LOAD_FAST", w) and ops[1][0] == "LOAD_CONST"
            and type(ops[1][1]) is int and ops[1][1] == 1 and ops[2] == ("BUILD_TUPLE", 2)
            and ops[3][0] == "RETURN_VALUE")


def c_stage(kind, f):
    """kiln's C version of one pipeline stage with Python's exact results, as
    (method of _kiln.RDD, function spec, name for toDebugString), or None."""
    if kind == "flatMap" and (f is str.split or _is_split_lambda(f)):
        return ("flat_map_c", ("split", env_of(f)), "str.split in C")
    if kind == "map" and f is len:
        return ("map_c", ("len", env_of(f)), "len in C")
    if kind == "map" and _is_pair_one_lambda(f):
        return ("map_c", "pair_one", "(x, 1) in C")
    return None


def c_chain(stages):
    """The C versions of every stage, or None when one has none."""
    out = []
    for st in stages:
        c = c_stage(*st) if st else None
        if c is None:
            return None
        out.append(c)
    return out
