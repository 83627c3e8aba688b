"""Song-year linear regression (the CS190 lab): the Million Song subset's
year predicted from 12 timbre averages. The label is shifted to years since
the earliest year, the data split 80/20, a LinearRegression fitted on the
training part and evaluated (RMSE, R^2) on the test part against the
baseline that predicts the training average; a model on all rows gives the
coefficients the tests check against least squares.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/song_year_regression.py \\
        ../shared/data/millionsong/millionsong.txt [--master local[2]] [--json]

Written against PySpark's API (kiln.sql, kiln.ml).
"""
import argparse
import json

FEATURES = ["f%d" % i for i in range(12)]


def songs(spark, path):
    """label (years since the earliest) and features (a vector)."""
    from kiln.ml.feature import VectorAssembler
    from kiln.sql import functions as F
    raw = spark.read.csv(path, inferSchema=True).toDF("year", *FEATURES)
    first = raw.agg(F.min("year")).first()[0]
    df = raw.withColumn("label", F.col("year") - F.lit(first))
    return VectorAssembler(inputCols=FEATURES, outputCol="features").transform(df), first


def run(spark, path, seed=42):
    """The lab's figures as a dict."""
    from kiln.ml.evaluation import RegressionEvaluator
    from kiln.ml.regression import LinearRegression
    from kiln.sql import functions as F
    data, first_year = songs(spark, path)
    train, test = data.randomSplit([0.8, 0.2], seed=seed)
    lr = LinearRegression(featuresCol="features", labelCol="label", maxIter=100, regParam=0.0,
                          elasticNetParam=0.0)
    model = lr.fit(train)
    predictions = model.transform(test)
    rmse = RegressionEvaluator(metricName="rmse").evaluate(predictions)
    r2 = RegressionEvaluator(metricName="r2").evaluate(predictions)
    average = train.agg(F.avg("label")).first()[0]
    baseline = RegressionEvaluator(metricName="rmse").evaluate(
        test.withColumn("prediction", F.lit(float(average))))
    full = lr.fit(data)
    return {"first_year": first_year, "rows": data.count(), "train": train.count(),
            "test": test.count(), "rmse": rmse, "r2": r2, "baseline_rmse": baseline,
            "coefficients": [float(c) for c in full.coefficients],
            "intercept": float(full.intercept)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="millionsong.txt")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args()
    from kiln.sql import SparkSession
    spark = SparkSession.builder.master(args.master).appName("song-year").getOrCreate()
    try:
        result = run(spark, args.data)
    finally:
        spark.stop()
    if args.json:
        print(json.dumps(result))
        return
    print("test RMSE %.3f (baseline %.3f), R^2 %.3f" % (result["rmse"], result["baseline_rmse"],
                                                         result["r2"]))


if __name__ == "__main__":
    main()
