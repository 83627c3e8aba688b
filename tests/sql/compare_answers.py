#!/usr/bin/python3
"""compare_answers.py GOT.tsv WANT.csv - a query's rows as `kiln sql` printed
them (tab-separated, NULL for null) against an answer file (comma-separated,
one header line, empty for null). Numbers agree within 0.01 (money columns
computed in floating point by the engine that made the answers) or a
relative 1e-9; everything else must be equal. Prints "ok" or the first
difference and exits 1."""
import sys, csv
from decimal import Decimal
def rows(path, sep):
    with open(path) as f:
        r = list(csv.reader(f, delimiter=sep))
    return r
got = rows(sys.argv[1], '\t')
want = rows(sys.argv[2], ',')[1:]
def num(x):
    try: return float(x)
    except: return None
if len(got) != len(want):
    print("rows %d != %d" % (len(got), len(want))); sys.exit(1)
for i,(g,w) in enumerate(zip(got,want)):
    if len(g) != len(w): print("row %d cols %d != %d: %s | %s"%(i,len(g),len(w),g,w)); sys.exit(1)
    for a,b in zip(g,w):
        if a == b: continue
        fa, fb = num(a), num(b)
        if fa is not None and fb is not None and abs(fa-fb) <= 0.01 + 1e-9*abs(fb): continue
        if a == 'NULL' and b == '': continue
        print("row %d: %s != %s (%s | %s)"%(i,a,b,g,w)); sys.exit(1)
print("ok")
