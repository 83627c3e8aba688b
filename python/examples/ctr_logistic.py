"""Click-through logistic regression with evaluation: the Criteo sample's
13 integer features (missing as 0, log-scaled) predicting the click label;
split 70/30, a LogisticRegression fitted on the training part and evaluated
on the test part (area under ROC, accuracy); a model on all rows gives the
coefficients the tests check against the optimum found by Newton's method.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/ctr_logistic.py \\
        ../shared/data/ctr-samples/criteo_sample.txt [--master local[2]] [--json]

Written against PySpark's API (kiln.sql, kiln.ml). The sample is Criteo's
(non-commercial use; read in place, never copied).
"""
import argparse
import json

INTS = ["I%d" % i for i in range(1, 14)]
REG = 0.01


def clicks(spark, path):
    """label (double) and features: log(1 + max(x, 0)) of I1..I13, 0 when missing."""
    from kiln.ml.feature import VectorAssembler
    from kiln.sql import functions as F
    raw = spark.read.csv(path, header=True, inferSchema=True)
    scaled = [F.log1p(F.greatest(F.coalesce(F.col(c).cast("double"), F.lit(0.0)), F.lit(0.0)))
              .alias(c) for c in INTS]
    df = raw.select(F.col("label").cast("double").alias("label"), *scaled)
    return VectorAssembler(inputCols=INTS, outputCol="features").transform(df)


def run(spark, path, seed=7):
    """The figures as a dict."""
    from kiln.ml.classification import LogisticRegression
    from kiln.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator
    data = clicks(spark, path).cache()
    train, test = data.randomSplit([0.7, 0.3], seed=seed)
    lr = LogisticRegression(featuresCol="features", labelCol="label", maxIter=100, regParam=REG,
                            elasticNetParam=0.0, standardization=False)
    predictions = lr.fit(train).transform(test)
    auc = BinaryClassificationEvaluator(metricName="areaUnderROC").evaluate(predictions)
    accuracy = MulticlassClassificationEvaluator(metricName="accuracy").evaluate(predictions)
    full = lr.fit(data)
    return {"rows": data.count(), "train": train.count(), "test": test.count(), "auc": auc,
            "accuracy": accuracy, "reg_param": REG,
            "coefficients": [float(c) for c in full.coefficients],
            "intercept": float(full.intercept)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="criteo_sample.txt")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args()
    from kiln.sql import SparkSession
    spark = SparkSession.builder.master(args.master).appName("ctr").getOrCreate()
    try:
        result = run(spark, args.data)
    finally:
        spark.stop()
    if args.json:
        print(json.dumps(result))
        return
    print("test AUC %.3f, accuracy %.3f" % (result["auc"], result["accuracy"]))


if __name__ == "__main__":
    main()
