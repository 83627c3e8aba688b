#!/usr/bin/python3
"""compare_rows.py KILN.tsv PEER.csv [KEYS] - the rows kiln printed
(tab-separated, NULL for null) and a peer's CSV (one header line) as
multisets: rows are sorted, the first KEYS columns (default 2) compared as
text, the rest as numbers within a relative 1e-9 (or 1e-6 absolute).
Prints "agree: N rows" or the first difference and exits 1."""
import csv, sys

def load(path, sep, header):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=sep))
    return rows[1:] if header else rows

keys = int(sys.argv[3]) if len(sys.argv) > 3 else 2
a = sorted(load(sys.argv[1], "\t", False), key=lambda r: r[:keys])
b = sorted(load(sys.argv[2], ",", True), key=lambda r: r[:keys])
if len(a) != len(b):
    print("differ: %d rows against %d" % (len(a), len(b)))
    sys.exit(1)
for x, y in zip(a, b):
    if x[:keys] != y[:keys] or len(x) != len(y):
        print("differ: %s against %s" % (x, y))
        sys.exit(1)
    for u, v in zip(x[keys:], y[keys:]):
        fu, fv = float(u), float(v)
        if abs(fu - fv) > max(1e-6, 1e-9 * abs(fv)):
            print("differ: %s against %s" % (x, y))
            sys.exit(1)
print("agree: %d rows" % len(a))
