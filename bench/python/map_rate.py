"""Records per second of a Python map with a lambda (issue 14's figure):
sc.range(N).map(lambda x: x + 1).count() under each master given, with
the rate per core (records / wall seconds / cores).

    PYTHONPATH=build/python /usr/bin/python3 bench/python/map_rate.py [N] [MASTER...]
"""
import sys
import time

import kiln


def measure(master, n, runs=3):
    with kiln.SparkContext(master, "map_rate") as sc:
        cores = sc.defaultParallelism
        r = sc.range(0, n, 1, cores * 2)
        r.map(lambda x: x).count()  # workers started, functions cached
        best = None
        for _ in range(runs):
            t = time.perf_counter()
            assert r.map(lambda x: x + 1).count() == n
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        return cores, best


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000_000
    masters = sys.argv[2:] or ["local[1]", "local[2]"]
    print("%-12s %6s %10s %14s %14s" % ("master", "cores", "best s", "M records/s", "M rec/s/core"))
    for m in masters:
        cores, dt = measure(m, n)
        rate = n / dt / 1e6
        print("%-12s %6d %10.3f %14.2f %14.2f" % (m, cores, dt, rate, rate / cores))


if __name__ == "__main__":
    main()
