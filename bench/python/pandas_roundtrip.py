"""Benchmark: a kiln DataFrame of N rows x 4 columns (bigint, double,
string, boolean) to pandas (toPandas) and back (createDataFrame(pandas)),
both column by column. Prints the times and the peak resident size.

    PYTHONPATH=build/python /usr/bin/python3 bench/python/pandas_roundtrip.py [rows]
"""
import resource
import sys
import time

from kiln.sql import SparkSession


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    spark = SparkSession.builder.master("local[2]").appName("pandas-roundtrip").getOrCreate()
    df = spark.sql("SELECT id AS i, id * 0.5D AS d, concat('row', CAST(id %% 1000 AS STRING)) AS s,"
                   " id %% 3 = 0 AS b FROM range(%d)" % n)
    t0 = time.perf_counter()
    pdf = df.toPandas()
    t1 = time.perf_counter()
    back = spark.createDataFrame(pdf)
    rows = back.count()
    t2 = time.perf_counter()
    assert len(pdf) == n and rows == n
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("rows %d: toPandas %.2f s, createDataFrame(pandas)+count %.2f s, peak RSS %.0f MB"
          % (n, t1 - t0, t2 - t1, peak))
    spark.stop()


if __name__ == "__main__":
    main()
