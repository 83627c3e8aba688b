"""Sensor hourly aggregates from CSV with DataFrames: the room-climate
readings (IoT room-climate datasets, locations A, B and C: CSV without a
header, ", "-separated) grouped by location, sensor node and hour, with the
readings' count and the average, minimum and maximum temperature and the
average relative humidity.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/sensor_hourly.py \\
        ../shared/data/iot-room-climate [--master local[2]] [--json]

Written against PySpark's DataFrame API (kiln.sql). The hour is the Unix
time of its start (UTC), so the answer does not depend on a time zone.
"""
import argparse
import json
import os

COLUMNS = ["eid", "abs_ms", "rel_s", "node", "temp", "rel_h", "l1", "l2", "occupants",
           "activity", "door", "window"]
LOCATIONS = ["A", "B", "C"]


def readings(spark, data_dir):
    """Every location's readings, with a location column."""
    from kiln.sql import functions as F
    from kiln.sql.types import DoubleType, LongType, StructField, StructType
    schema = StructType([StructField(c, LongType() if c in ("eid", "abs_ms", "node")
                                     else DoubleType()) for c in COLUMNS])
    out = None
    for loc in LOCATIONS:
        path = os.path.join(data_dir, "datasets-location_" + loc)
        df = (spark.read.csv(path, schema=schema, ignoreLeadingWhiteSpace=True)
              .withColumn("location", F.lit(loc)))
        out = df if out is None else out.unionByName(df)
    return out


def hourly(spark, data_dir):
    """The hourly aggregates, ordered by location, node and hour."""
    from kiln.sql import functions as F
    df = readings(spark, data_dir).withColumn(
        "hour", (F.floor(F.col("abs_ms") / 3600000) * 3600).cast("long"))
    return (df.groupBy("location", "node", "hour")
            .agg(F.count("*").alias("readings"), F.avg("temp").alias("avg_temp"),
                 F.min("temp").alias("min_temp"), F.max("temp").alias("max_temp"),
                 F.avg("rel_h").alias("avg_rel_h"))
            .orderBy("location", "node", "hour"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="the iot-room-climate directory")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--json", action="store_true", help="print every group as JSON")
    args = ap.parse_args()
    from kiln.sql import SparkSession
    spark = SparkSession.builder.master(args.master).appName("sensor-hourly").getOrCreate()
    try:
        result = hourly(spark, args.data)
        if args.json:
            print(json.dumps([list(r) for r in result.collect()]))
        else:
            result.show(20)
            print("%d groups" % result.count())
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
