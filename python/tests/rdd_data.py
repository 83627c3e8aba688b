"""Random data for the RDD tests: records with None, unicode, big ints,
floats, nested tuples, lists and dicts, and (key, value) pairs with skewed
keys; partition counts from one to more than the records."""
import random

WORDS = ["a", "b", "é", "", "long word", "日本", "x" * 40, "\U0001F600"]
SLICES = [1, 3, 40]


def scalar(rng):
    """A random value: None, bool, int (big ones too), float, str or bytes."""
    r = rng.random()
    if r < 0.1:
        return None
    if r < 0.15:
        return rng.random() < 0.5
    if r < 0.45:
        return rng.randint(-1000, 1000)
    if r < 0.5:
        return rng.choice([2**63, -2**64 - 7, 2**100])
    if r < 0.65:
        return rng.uniform(-1e6, 1e6)
    if r < 0.9:
        return rng.choice(WORDS)
    return rng.choice(WORDS).encode()


def value(rng, depth=0):
    """A random value that may nest tuples, lists and dicts."""
    r = rng.random()
    if depth < 2 and r < 0.1:
        return tuple(value(rng, depth + 1) for _ in range(rng.randint(0, 3)))
    if depth < 2 and r < 0.2:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2 and r < 0.25:
        return {rng.choice(WORDS): value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return scalar(rng)


def key(rng):
    """A key kiln hashes: None, int, str, float or a tuple of them, skewed:
    a third of the records share one key."""
    r = rng.random()
    if r < 0.33:
        return "hot"
    if r < 0.4:
        return None
    if r < 0.6:
        return rng.randint(-20, 20)
    if r < 0.7:
        return (rng.choice(WORDS), rng.randint(0, 3))
    if r < 0.75:
        return rng.choice([0.5, -1.25, 1e300])
    return rng.choice(WORDS)


def values(seed, n):
    rng = random.Random(seed)
    return [value(rng) for _ in range(n)]


def pairs(seed, n, val=None):
    """n (key, value) pairs; val(rng) makes the values (nested ones if None)."""
    rng = random.Random(seed)
    return [(key(rng), (val or value)(rng)) for _ in range(n)]


def ints(seed, n, lo=-1000, hi=1000):
    rng = random.Random(seed)
    return [rng.randint(lo, hi) for _ in range(n)]


def floats(seed, n):
    rng = random.Random(seed)
    return [rng.uniform(-1e3, 1e3) for _ in range(n)]


def canon(x):
    """A sortable stand-in for any value (for comparing multisets)."""
    return repr(x)


def same_items(a, b):
    """Whether a and b hold the same records, in any order."""
    return sorted(a, key=canon) == sorted(b, key=canon)


def sizes():
    """(n, slices) cases: empty, one record, small, more slices than records."""
    return [(0, 1), (0, 3), (1, 1), (1, 3), (7, 40), (300, 1), (300, 3)]
