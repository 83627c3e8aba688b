"""Python values through kiln's values and its encoding, both ways."""
import math
import random

import _kiln


def _random_value(rng, depth=0):
    kinds = ["none", "bool", "int", "big", "float", "str", "bytes", "dict"]
    if depth < 3:
        kinds += ["tuple", "list"]
    k = rng.choice(kinds)
    if k == "none":
        return None
    if k == "bool":
        return rng.random() < 0.5
    if k == "int":
        return rng.choice([0, -1, 1, 2**63 - 1, -2**63, rng.randint(-10**9, 10**9)])
    if k == "big":
        return rng.choice([2**63, -2**63 - 1, 10**30])
    if k == "float":
        return rng.choice([0.0, -0.0, 1.5, float("inf"), -float("inf"), rng.random()])
    if k == "str":
        return "".join(rng.choice(["a", "é", "中", " ", "\x00", "😀"]) for _ in range(rng.randint(0, 8)))
    if k == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 8)))
    if k == "dict":
        return {"k": rng.randint(0, 3), 1: [1, 2]}
    items = [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return tuple(items) if k == "tuple" else items


def test_random_values_round_trip():
    rng = random.Random(7)
    for _ in range(3000):
        v = _random_value(rng)
        # repr: True is not 1, -0.0 is not 0.0, a tuple is not a list.
        assert repr(_kiln.roundtrip(v)) == repr(v)
        a, b = _kiln.wire_roundtrip(v)
        assert repr(a) == repr(v) and repr(b) == repr(v)


def test_nan_and_surrogates():
    assert math.isnan(_kiln.roundtrip(float("nan")))
    s = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert _kiln.roundtrip(s) == s
    assert _kiln.wire_roundtrip(s) == (s, s)


def test_numpy_vectors():
    np = __import__("numpy")
    v = np.array([1.0, -2.5, 3.0])
    back = _kiln.roundtrip(v)
    assert isinstance(back, np.ndarray) and back.dtype == np.float64 and list(back) == list(v)
    a, b = _kiln.wire_roundtrip(v)
    assert list(a) == list(v) and list(b) == list(v)
    assert _kiln.roundtrip(np.float64(2.5)) == 2.5
