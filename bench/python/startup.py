"""Time to `import kiln` and create a SparkContext (issue 14's figure),
measured inside a fresh interpreter each run, so the interpreter's own
start-up is not counted.

    PYTHONPATH=build/python /usr/bin/python3 bench/python/startup.py [RUNS]
"""
import os
import statistics
import subprocess
import sys

CHILD = r"""
import time
t0 = time.perf_counter()
import kiln
sc = kiln.SparkContext("local[2]", "startup")
t1 = time.perf_counter()
sc.parallelize([1, 2, 3]).map(lambda x: x * 2).collect()
t2 = time.perf_counter()
sc.stop()
print("%.6f %.6f" % (t1 - t0, t2 - t1))
"""


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    ctx, first = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CHILD], check=True, capture_output=True,
                             text=True, env=os.environ).stdout.split()
        ctx.append(float(out[0]) * 1e3)
        first.append(float(out[1]) * 1e3)
    print("import kiln + SparkContext: median %.1f ms (min %.1f, max %.1f) over %d runs"
          % (statistics.median(ctx), min(ctx), max(ctx), runs))
    print("first job with a lambda (cloudpickle's import, a worker started): median %.1f ms"
          % statistics.median(first))


if __name__ == "__main__":
    main()
