"""The 20 most frequent words of a text file and the time taken: the
Python twin of examples/wordcount_top.c (quickstart.sh runs both).

    PYTHONPATH=build/python /usr/bin/python3 python/examples/wordcount_top.py FILE [--master M]
"""
import argparse
import operator
import time

from kiln import SparkContext


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--master", default="local[*]")
    args = ap.parse_args()
    start = time.perf_counter()
    with SparkContext(args.master, "wordcount_top") as sc:
        counts = (sc.textFile(args.file)
                  .flatMap(lambda line: line.lower().split())
                  .map(lambda w: (w, 1))
                  .reduceByKey(operator.add))
        counts.cache()
        top = counts.takeOrdered(20, key=lambda kv: (-kv[1], kv[0]))
        distinct, total = counts.count(), counts.values().sum()
    for word, n in top:
        print("%8d  %s" % (n, word))
    print("%d distinct words, %d total words, %.3f seconds"
          % (distinct, total, time.perf_counter() - start))


if __name__ == "__main__":
    main()
