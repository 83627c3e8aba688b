"""kiln.mllib: PySpark's RDD-based pyspark.mllib names (LabeledPoint, MLUtils,
LinearRegressionWithSGD, LogisticRegressionWithLBFGS, NaiveBayes, KMeans,
metrics) on kiln's ML library; python/README.md, section kiln.ml."""
