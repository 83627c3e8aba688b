"""Word count with DataFrames, PySpark style: the lines of a text file
split on whitespace, exploded into words, grouped and counted, written as
`word<TAB>count` text files. Runs in kiln's columnar engine without
entering Python per row.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/wordcount_df.py INPUT OUTDIR [--master M]
"""
import argparse

from kiln.sql import SparkSession
from kiln.sql import functions as F


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--master", default="local[*]")
    args = ap.parse_args()
    spark = SparkSession.builder.master(args.master).appName("wordcount_df").getOrCreate()
    words = (spark.read.text(args.input)
             .select(F.explode(F.split(F.col("value"), r"\s+")).alias("word"))
             .where(F.col("word") != ""))
    counts = words.groupBy("word").count()
    (counts.select(F.concat_ws("\t", F.col("word"), F.col("count").cast("string")))
     .write.text(args.output))
    spark.stop()


if __name__ == "__main__":
    main()
