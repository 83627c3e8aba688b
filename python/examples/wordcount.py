"""Word count, PySpark style: the lines of a text file split into words,
counted, written as `word<TAB>count` part files.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/wordcount.py INPUT OUTDIR [--master M]

With --lambdas the words are split and paired by functions kiln does not
recognise (a list comprehension, a lambda with a default argument), so
every record goes through Python (the benchmark against Dask).
"""
import argparse
import operator

from kiln import SparkContext


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--lambdas", action="store_true",
                    help="split and pair with functions that run in Python")
    args = ap.parse_args()
    with SparkContext(args.master, "wordcount") as sc:
        lines = sc.textFile(args.input)
        if args.lambdas:
            words = lines.flatMap(lambda line: [w for w in line.split()])
            pairs = words.map(lambda w, one=1: (w, one))
        else:
            pairs = lines.flatMap(lambda line: line.split()).map(lambda w: (w, 1))
        counts = pairs.reduceByKey(operator.add)
        counts.map(lambda kv: "%s\t%d" % kv).saveAsTextFile(args.output)


if __name__ == "__main__":
    main()
