"""The log-analysis lab with DataFrames: an Apache access log (combined
format) parsed with regexp_extract into host, time, method, endpoint,
status and size, then what the lab asks: content-size statistics, the
responses by status, the unique hosts, the most requested endpoints and
the endpoints most often answered with an error.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/log_analysis.py \\
        ../shared/data/access-logs/apache_logs [--master local[2]] [--json]

Written against PySpark's DataFrame API (kiln.sql).
"""
import argparse
import json

# host ident user [time] "method endpoint protocol" status size ...
LOG_PATTERN = r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)\s*(\S*)\s*" (\d{3}) (\S+)'


def parse(spark, path):
    """The log as a DataFrame of host, timestamp, method, endpoint, protocol,
    status (int) and content_size (long, null for "-")."""
    from kiln.sql import functions as F
    raw = spark.read.text(path)
    fields = [("host", 1), ("timestamp", 2), ("method", 3), ("endpoint", 4), ("protocol", 5)]
    cols = [F.regexp_extract("value", LOG_PATTERN, i).alias(name) for name, i in fields]
    cols.append(F.regexp_extract("value", LOG_PATTERN, 6).cast("int").alias("status"))
    size = F.regexp_extract("value", LOG_PATTERN, 7)
    cols.append(F.when(size == "-", None).otherwise(size.cast("long")).alias("content_size"))
    return raw.select(*cols).filter(F.col("host") != "")


def analyse(spark, path, n=10):
    """The lab's answers as plain Python values (a dict)."""
    from kiln.sql import functions as F
    logs = parse(spark, path).cache()
    stats = logs.agg(F.count("*").alias("requests"), F.min("content_size").alias("min"),
                     F.avg("content_size").alias("avg"),
                     F.max("content_size").alias("max")).first()
    statuses = logs.groupBy("status").count().orderBy("status").collect()
    hosts = logs.select("host").distinct().count()
    endpoints = (logs.groupBy("endpoint").count()
                 .orderBy(F.desc("count"), "endpoint").limit(n).collect())
    errors = (logs.filter(F.col("status") != 200).groupBy("endpoint").count()
              .orderBy(F.desc("count"), "endpoint").limit(n).collect())
    not_found = logs.filter(F.col("status") == 404).count()
    return {"requests": stats["requests"], "size_min": stats["min"],
            "size_avg": stats["avg"], "size_max": stats["max"],
            "statuses": [[r["status"], r["count"]] for r in statuses],
            "unique_hosts": hosts,
            "top_endpoints": [[r["endpoint"], r["count"]] for r in endpoints],
            "top_error_endpoints": [[r["endpoint"], r["count"]] for r in errors],
            "not_found": not_found}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", help="an Apache access log (combined format)")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args()
    from kiln.sql import SparkSession
    spark = SparkSession.builder.master(args.master).appName("log-analysis").getOrCreate()
    try:
        result = analyse(spark, args.log)
    finally:
        spark.stop()
    if args.json:
        print(json.dumps(result))
        return
    for k, v in result.items():
        print("%s: %s" % (k, v))


if __name__ == "__main__":
    main()
