#!/usr/bin/python3
"""compare_answers.py [--null-is-nan] KILN PEER.csv KEYS - one answer of
kiln against a peer's as multisets of rows, for answers too large to hold in
Python (10M rows).

KILN is kiln's CSV output (a directory of part files without a header, or
one file); PEER.csv has one header line. Both are sorted by their first
KEYS columns as text (GNU sort, LC_ALL=C); then the rows of each key are
compared: same count, and the other columns as numbers within a relative
1e-9 or an absolute 1e-9 (empty or NULL fields must be empty on both
sides, NaN must be NaN; with --null-is-nan, a NULL of kiln's may be the
peer's NaN: Spark's corr of one row is NULL, DuckDB's NaN); rows of one
key are compared in numeric order. Prints "agree: N rows" or the first
difference and exits 1."""
import glob, itertools, math, os, subprocess, sys

NULL_IS_NAN = "--null-is-nan" in sys.argv
if NULL_IS_NAN:
    sys.argv.remove("--null-is-nan")

def sorted_rows(path, header, keys):
    """An iterator over path's rows (lists of fields), sorted by keys."""
    files = sorted(glob.glob(os.path.join(path, "part-*"))) if os.path.isdir(path) else [path]
    cat = ["tail", "-q", "-n", "+2"] if header else ["cat"]
    p1 = subprocess.Popen(cat + files, stdout=subprocess.PIPE)
    env = dict(os.environ, LC_ALL="C")
    p2 = subprocess.Popen(["sort", "-t,", "-k1,%d" % keys, "-S", "25%"], stdin=p1.stdout,
                          stdout=subprocess.PIPE, env=env, text=True)
    p1.stdout.close()
    for line in p2.stdout:
        yield line.rstrip("\n").split(",")
    p2.wait()

def value(s):
    return None if s in ("", "NULL") else float(s)

def close(u, v):
    if u is None or v is None:
        return u is v or (NULL_IS_NAN and u is None and math.isnan(v))
    if math.isnan(u) or math.isnan(v):
        return math.isnan(u) and math.isnan(v)
    return abs(u - v) <= max(1e-9, 1e-9 * abs(v))

def order(row):
    """Numbers first in their order, then empty fields."""
    return [(x is None, x or 0.0) for x in row]

def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    keys = int(sys.argv[3])
    key = lambda r: r[:keys]
    a = itertools.groupby(sorted_rows(sys.argv[1], False, keys), key)
    b = itertools.groupby(sorted_rows(sys.argv[2], True, keys), key)
    n = 0
    for (ka, ga), (kb, gb) in itertools.zip_longest(a, b, fillvalue=(None, None)):
        if ka != kb:
            print("differ: key %s (kiln) against %s (peer)" % (ka, kb))
            sys.exit(1)
        ra = sorted([[value(x) for x in r[keys:]] for r in ga], key=order)
        rb = sorted([[value(x) for x in r[keys:]] for r in gb], key=order)
        if len(ra) != len(rb) or not all(
                len(x) == len(y) and all(map(close, x, y)) for x, y in zip(ra, rb)):
            print("differ: key %s: %s (kiln) against %s (peer)" % (ka, ra, rb))
            sys.exit(1)
        n += len(ra)
    print("agree: %d rows" % n)

main()
