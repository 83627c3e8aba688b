"""kiln.ml and kiln.mllib against scikit-learn and numpy on random data and
Spark's LIBSVM samples, under local[2] and local-cluster[2,1,512].

Tolerances are those of tests/unit/test_ml_*.c: least squares and ridge
coefficients to 1e-6 relative, lasso / elastic net to 1e-5, L2 logistic
regression to 1e-4, exact metrics (AUC, accuracy, confusion) to 1e-9."""
import math

import numpy as np
import pytest

from conftest import shared_data

sklearn = pytest.importorskip("sklearn")
from sklearn import linear_model, metrics, naive_bayes, preprocessing  # noqa: E402
from sklearn.datasets import load_svmlight_file  # noqa: E402

import kiln  # noqa: E402
from kiln.ml.classification import LogisticRegression, LogisticRegressionModel, NaiveBayes  # noqa
from kiln.ml.classification import NaiveBayesModel  # noqa: E402
from kiln.ml.clustering import KMeans, KMeansModel  # noqa: E402
from kiln.ml.evaluation import (BinaryClassificationEvaluator,  # noqa: E402
                                MulticlassClassificationEvaluator, RegressionEvaluator)
from kiln.ml.feature import MinMaxScaler, StandardScaler, VectorAssembler  # noqa: E402
from kiln.ml.linalg import DenseVector, SparseVector, Vectors  # noqa: E402
from kiln.ml.regression import LinearRegression, LinearRegressionModel  # noqa: E402
from kiln.ml.tuning import CrossValidator, ParamGridBuilder, TrainValidationSplit  # noqa
from kiln.ml import Pipeline  # noqa: E402
from kiln.mllib.regression import LabeledPoint  # noqa: E402
from kiln.mllib.util import MLUtils  # noqa: E402

MASTERS = ["local[2]", "local-cluster[2,1,512]"]


@pytest.fixture(scope="module", params=MASTERS)
def sc(request):
    ctx = kiln.SparkContext(request.param, "test_ml")
    yield ctx
    ctx.stop()


def mllib_file(name):
    return shared_data("spark-sample-data", "data", "mllib", name)


def close(got, want, rel):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    tol = rel * np.maximum(np.abs(want), 1.0)
    assert np.all(np.abs(got - want) <= tol), (got, want, np.abs(got - want).max())


def regression_data(seed, n=400, d=6, noise=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.normal(size=d)
    w = rng.normal(size=d) * 2
    y = X @ w + 1.5 + noise * rng.normal(size=n)
    return X, y


def points(sc, X, y, parts=3, sparse=False):
    def vec(row):
        if sparse:
            nz = np.nonzero(row)[0]
            return Vectors.sparse(len(row), nz.tolist(), row[nz].tolist())
        return Vectors.dense(row.tolist())
    return sc.parallelize([LabeledPoint(float(t), vec(r)) for r, t in zip(X, y)], parts)


# ---- Vectors ---------------------------------------------------------------------------


def test_vectors_round_trip_through_kiln(sc):
    sv = SparseVector(5, {3: 2.5, 0: -1.0})
    assert sv.indices.tolist() == [0, 3] and sv[3] == 2.5 and sv[1] == 0.0
    assert sv.toArray().tolist() == [-1.0, 0, 0, 2.5, 0]
    assert sv == Vectors.dense([-1.0, 0, 0, 2.5, 0])
    assert Vectors.sparse(3, [1], [4.0]).dot(Vectors.dense(1, 2, 3)) == 8.0
    with pytest.raises(ValueError):
        SparseVector(3, [2, 1], [1.0, 1.0])
    pts = [LabeledPoint(1, sv), LabeledPoint(0.5, [1.0, 2.0]), (2.0, np.arange(3.0)),
           LabeledPoint(3, SparseVector(4, [], []))]
    got = sc.parallelize(pts, 2).map(lambda p: p).collect()
    assert got[0] == pts[0] and got[1] == pts[1] and got[3] == pts[3]
    # A labeled point crosses as kiln's (label, vector): summarize reads it in C.
    from kiln.ml import _core
    import _kiln
    two = [pts[0], LabeledPoint(3, SparseVector(5, [4], [1.0]))]
    s = _kiln.ml_summarize(_core.handle(_core.points(sc.parallelize(two, 2))))
    assert s["count"] == 2 and s["num_features"] == 5 and s["label_mean"] == 2.0
    assert _core.f64(s["mean"]).tolist() == [-0.5, 0, 0, 1.25, 0.5]


def test_load_libsvm_matches_sklearn(sc):
    path = mllib_file("sample_libsvm_data.txt")
    X, y = load_svmlight_file(path, n_features=692)
    rdd = MLUtils.loadLibSVMFile(sc, path)
    got = rdd.collect()
    assert len(got) == X.shape[0] == 100
    assert all(isinstance(p.features, SparseVector) and p.features.size == 692 for p in got)
    assert np.array_equal(np.vstack([p.features.toArray() for p in got]), X.toarray())
    assert [p.label for p in got] == y.tolist()
    assert MLUtils.loadLibSVMFile(sc, path, numFeatures=1000).first().features.size == 1000


def test_load_libsvm_bad_line_names_file_and_line(sc, tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text("1 1:0.5 2:1\n0 3:x\n")
    with pytest.raises(Exception) as info:
        MLUtils.loadLibSVMFile(sc, str(p)).count()
    assert "bad.txt" in str(info.value) and ":2" in str(info.value)


def test_save_as_libsvm_round_trip(sc, tmp_path):
    path = mllib_file("sample_multiclass_classification_data.txt")
    rdd = MLUtils.loadLibSVMFile(sc, path)
    out = str(tmp_path / "out")
    MLUtils.saveAsLibSVMFile(rdd, out)
    again = MLUtils.loadLibSVMFile(sc, out, numFeatures=4)
    assert sorted(map(str, again.collect())) == sorted(map(str, rdd.collect()))


# ---- Linear regression -------------------------------------------------------------------


def test_ols_and_summary_against_sklearn(sc):
    X, y = regression_data(1)
    rdd = points(sc, X, y)
    model = LinearRegression().fit(rdd)
    ref = linear_model.LinearRegression().fit(X, y)
    close(model.coefficients.toArray(), ref.coef_, 1e-6)
    close(model.intercept, ref.intercept_, 1e-6)
    pred = ref.predict(X)
    s = model.summary
    close(s.r2, metrics.r2_score(y, pred), 1e-9)
    close(s.rootMeanSquaredError, math.sqrt(metrics.mean_squared_error(y, pred)), 1e-9)
    close(s.meanAbsoluteError, metrics.mean_absolute_error(y, pred), 1e-9)
    assert s.numInstances == len(y)
    close(model.predict(Vectors.dense(X[0].tolist())), pred[0], 1e-9)
    got = sorted((r["label"], r["prediction"]) for r in model.transform(rdd).collect())
    want = sorted(zip(y.tolist(), pred.tolist()))
    close([g[1] for g in got], [w[1] for w in want], 1e-9)


def test_sparse_sample_linear_regression(sc):
    path = mllib_file("sample_linear_regression_data.txt")
    X, y = load_svmlight_file(path)
    rdd = MLUtils.loadLibSVMFile(sc, path, minPartitions=3)
    model = LinearRegression(solver="l-bfgs", tol=1e-12, maxIter=500).fit(rdd)
    ref = linear_model.LinearRegression().fit(X.toarray(), y)
    close(model.coefficients.toArray(), ref.coef_, 1e-6)
    close(model.intercept, ref.intercept_, 1e-6)


def test_ridge_lasso_elastic_net_against_sklearn(sc):
    X, y = regression_data(2, n=300, d=5)
    n = len(y)
    rdd = points(sc, X, y, sparse=True).cache()
    ridge = LinearRegression(regParam=0.1, standardization=False, tol=1e-12,
                             maxIter=1000).fit(rdd)
    ref = linear_model.Ridge(alpha=0.1 * n, tol=1e-12).fit(X, y)
    close(ridge.coefficients.toArray(), ref.coef_, 1e-6)
    close(ridge.intercept, ref.intercept_, 1e-6)
    for enet in (1.0, 0.5):
        m = LinearRegression(regParam=0.05, elasticNetParam=enet, standardization=False,
                             tol=1e-14, maxIter=2000).fit(rdd)
        r = linear_model.ElasticNet(alpha=0.05, l1_ratio=enet, tol=1e-12,
                                    max_iter=100000).fit(X, y)
        close(m.coefficients.toArray(), r.coef_, 1e-5)
        close(m.intercept, r.intercept_, 1e-5)


def test_millionsong_csv_regression(sc):
    path = shared_data("millionsong", "millionsong.txt")
    data = np.loadtxt(path, delimiter=",")
    rdd = MLUtils.loadCSVFile(sc, path, labelColumn=0, minPartitions=4)
    first = rdd.first()
    assert first.label == data[0, 0] and np.allclose(first.features.toArray(), data[0, 1:])
    model = LinearRegression(regParam=0.0).fit(rdd)
    ref = linear_model.LinearRegression().fit(data[:, 1:], data[:, 0])
    close(model.coefficients.toArray(), ref.coef_, 1e-6)
    close(model.summary.r2, ref.score(data[:, 1:], data[:, 0]), 1e-6)


# ---- Classification -----------------------------------------------------------------------


def logistic_data(seed, n=500, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d) * 1.5
    p = 1 / (1 + np.exp(-(X @ w - 0.3)))
    y = (rng.uniform(size=n) < p).astype(float)
    return X, y


def test_logistic_against_sklearn(sc):
    X, y = logistic_data(3)
    n, reg = len(y), 0.01
    rdd = points(sc, X, y)
    model = LogisticRegression(regParam=reg, standardization=False, tol=1e-12,
                               maxIter=1000).fit(rdd)
    ref = linear_model.LogisticRegression(C=1 / (n * reg), tol=1e-12, max_iter=10000).fit(X, y)
    close(model.coefficients.toArray(), ref.coef_[0], 1e-4)
    close(model.intercept, ref.intercept_[0], 1e-4)
    prob = ref.predict_proba(X)[:, 1]
    close(model.summary.areaUnderROC, metrics.roc_auc_score(y, prob), 1e-9)
    close(model.summary.accuracy, metrics.accuracy_score(y, prob > 0.5), 1e-9)
    close(model.predictProbability(DenseVector(X[0])).toArray(), [1 - prob[0], prob[0]], 1e-4)
    rows = model.transform(rdd).collect()
    ev = BinaryClassificationEvaluator()
    close(ev.evaluate(model.transform(rdd)), metrics.roc_auc_score(y, prob), 1e-9)
    assert all(r["prediction"] == (1.0 if r["probability"][1] > 0.5 else 0.0) for r in rows)
    acc = MulticlassClassificationEvaluator(metricName="accuracy").evaluate(model.transform(rdd))
    close(acc, model.summary.accuracy, 1e-12)


def test_multinomial_iris_against_sklearn(sc):
    path = mllib_file("sample_multiclass_classification_data.txt")
    X, y = load_svmlight_file(path)
    X = X.toarray()
    n, reg = len(y), 0.01
    rdd = MLUtils.loadLibSVMFile(sc, path, minPartitions=2)
    model = LogisticRegression(regParam=reg, standardization=False, tol=1e-12,
                               maxIter=2000).fit(rdd)
    assert model.numClasses == 3 and model.coefficientMatrix.toArray().shape == (3, 4)
    ref = linear_model.LogisticRegression(C=1 / (n * reg), tol=1e-12, max_iter=100000).fit(X, y)
    probs = np.array([model.predictProbability(DenseVector(x)).toArray() for x in X])
    close(probs, ref.predict_proba(X), 1e-4)
    close(model.summary.accuracy, metrics.accuracy_score(y, ref.predict(X)), 1e-9)
    ev = MulticlassClassificationEvaluator()
    preds = model.transform(rdd)
    close(ev.evaluate(preds), metrics.f1_score(y, ref.predict(X), average="weighted"), 1e-9)


def test_naive_bayes_against_sklearn(sc):
    rng = np.random.default_rng(4)
    X = rng.poisson(2.0, size=(300, 7)).astype(float)
    y = (X[:, 0] + rng.integers(0, 3, size=300)) % 3
    rdd = points(sc, X, y, sparse=True)
    model = NaiveBayes(smoothing=1.0).fit(rdd)
    ref = naive_bayes.MultinomialNB(alpha=1.0).fit(X, y)
    close(model.pi.toArray(), ref.class_log_prior_, 1e-9)
    close(model.theta.toArray(), ref.feature_log_prob_, 1e-9)
    got = [r["prediction"] for r in model.transform(rdd).collect()]
    assert got == ref.predict(X).tolist()
    close(model.predictProbability(DenseVector(X[1])).toArray(), ref.predict_proba(X[1:2])[0],
          1e-9)


# ---- Clustering and features -------------------------------------------------------------


def test_kmeans_finds_blobs(sc):
    rng = np.random.default_rng(5)
    centers = np.array([[0, 0, 0], [10, 10, 0], [0, 10, 10], [10, 0, 10.0]])
    X = np.vstack([c + rng.normal(scale=0.5, size=(100, 3)) for c in centers])
    rdd = sc.parallelize([DenseVector(x) for x in X], 4)
    model = KMeans(k=4, seed=7, maxIter=50, tol=1e-9).fit(rdd)
    got = np.array(sorted(map(tuple, model.clusterCenters())))
    labels = np.repeat(np.arange(4), 100)
    want = np.array(sorted(tuple(X[labels == i].mean(axis=0)) for i in range(4)))
    close(got, want, 1e-9)
    cost = sum(((X[labels == i] - X[labels == i].mean(axis=0)) ** 2).sum() for i in range(4))
    close(model.summary.trainingCost, cost, 1e-9)
    close(model.computeCost(rdd), cost, 1e-9)
    preds = [r["prediction"] for r in model.transform(rdd).collect()]
    assert metrics.adjusted_rand_score(labels, preds) == 1.0
    assert sorted(model.summary.clusterSizes) == [100] * 4
    assert model.predict(centers[1]) == preds[150]


def test_scalers_against_sklearn(sc):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(200, 4)) * [1, 5, 0.1, 2] + [3, -2, 0, 7]
    X[:, 2] = 4.0  # constant
    rdd = sc.parallelize([(0.0, DenseVector(x)) for x in X], 3)
    std = StandardScaler(inputCol="features", outputCol="scaled", withMean=True).fit(rdd)
    close(std.mean.toArray(), X.mean(axis=0), 1e-12)
    close(std.std.toArray(), X.std(axis=0, ddof=1), 1e-12)
    got = np.vstack([r["scaled"].toArray() for r in std.transform(rdd).collect()])
    sd = X.std(axis=0, ddof=1)
    want = np.where(sd > 0, (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1), 0)
    close(got, want, 1e-12)
    # kiln's own C scaler gives the same values.
    import _kiln
    from kiln.ml import _core
    pts = _core.points(rdd)
    cap = _kiln.ml_scaler_fit(_core.handle(pts), "standard", True, True)
    c_rows = _core.from_handle(_kiln.ml_scaler_transform(cap, _core.handle(pts)), sc).collect()
    close(np.vstack([r[1] for r in c_rows]), want, 1e-12)
    mm = MinMaxScaler(inputCol="features", outputCol="mm").fit(rdd)
    got = np.vstack([r["mm"].toArray() for r in mm.transform(rdd).collect()])
    want = preprocessing.MinMaxScaler().fit_transform(X)
    want[:, 2] = 0.5
    close(got, want, 1e-12)


def test_pipeline_on_dict_records(sc):
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=200), rng.normal(size=200)
    y = 2 * a - 3 * b + 1
    rdd = sc.parallelize([{"a": float(x), "b": float(z), "y": float(t)}
                          for x, z, t in zip(a, b, y)], 3)
    pipe = Pipeline(stages=[VectorAssembler(inputCols=["a", "b"], outputCol="raw"),
                            StandardScaler(inputCol="raw", outputCol="features"),
                            LinearRegression(labelCol="y")])
    model = pipe.fit(rdd)
    out = model.transform(rdd).collect()
    close([r["prediction"] for r in out], [r["y"] for r in out], 1e-9)
    rmse = RegressionEvaluator(labelCol="y").evaluate(model.transform(rdd))
    assert rmse < 1e-9


# ---- Evaluation, tuning, persistence -------------------------------------------------------


def test_evaluators_against_sklearn(sc):
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, size=500).astype(float)
    score = np.round(np.clip(y * 0.3 + rng.uniform(size=500), 0, 1), 2)  # ties
    rdd = sc.parallelize([{"label": t, "rawPrediction": float(s), "prediction": float(s)}
                          for t, s in zip(y, score)], 4)
    close(BinaryClassificationEvaluator().evaluate(rdd), metrics.roc_auc_score(y, score), 1e-9)
    reg = RegressionEvaluator()
    for name, ref in (("rmse", math.sqrt(metrics.mean_squared_error(y, score))),
                      ("mse", metrics.mean_squared_error(y, score)),
                      ("mae", metrics.mean_absolute_error(y, score)),
                      ("r2", metrics.r2_score(y, score))):
        close(reg.copy({reg.metricName: name}).evaluate(rdd), ref, 1e-9)
    assert not reg.isLargerBetter() and reg.setMetricName("r2").isLargerBetter()
    from kiln.mllib.evaluation import MulticlassMetrics
    yk = rng.integers(0, 4, size=400)
    pk = np.where(rng.uniform(size=400) < 0.6, yk, rng.integers(0, 4, size=400))
    mm = MulticlassMetrics(sc.parallelize(list(zip(pk.astype(float), yk.astype(float))), 3))
    assert np.array_equal(mm.confusionMatrix().toArray(), metrics.confusion_matrix(yk, pk))
    close(mm.weightedFMeasure(), metrics.f1_score(yk, pk, average="weighted"), 1e-9)
    close(mm.precision(2), metrics.precision_score(yk, pk, labels=[2], average=None)[0], 1e-12)


def test_cross_validator_lockstep_matches_one_by_one(sc):
    X, y = regression_data(10, n=300, d=4, noise=2.0)
    rdd = points(sc, X, y, parts=4).cache()
    lr = LinearRegression(standardization=False, tol=1e-12, maxIter=500, solver="l-bfgs")
    grid = ParamGridBuilder().addGrid(lr.regParam, [0.0, 0.5, 5.0]).build()
    cv = CrossValidator(estimator=lr, estimatorParamMaps=grid, evaluator=RegressionEvaluator(),
                        numFolds=3, seed=42)
    fast = cv.fit(rdd)
    slow_cv = cv.copy()
    slow_cv._lockstep = False
    slow = slow_cv.fit(rdd)
    close(fast.avgMetrics, slow.avgMetrics, 1e-6)
    assert int(np.argmin(fast.avgMetrics)) == int(np.argmin(slow.avgMetrics))
    close(fast.bestModel.coefficients.toArray(), slow.bestModel.coefficients.toArray(), 1e-5)
    # One 3:1 split, logistic regression by AUC: lockstep and one by one agree.
    Xl, yl = logistic_data(14, n=400)
    lrdd = points(sc, Xl, yl, parts=3).cache()
    log = LogisticRegression(standardization=False, tol=1e-12, maxIter=500)
    grid = ParamGridBuilder().addGrid(log.regParam, [0.001, 0.1]).addGrid(
        log.elasticNetParam, [0.0, 0.5]).build()
    assert len(grid) == 4
    tvs = TrainValidationSplit(estimator=log, estimatorParamMaps=grid,
                               evaluator=BinaryClassificationEvaluator(), seed=3)
    fast = tvs.fit(lrdd)
    slow_tvs = tvs.copy()
    slow_tvs._lockstep = False
    slow = slow_tvs.fit(lrdd)
    close(fast.validationMetrics, slow.validationMetrics, 1e-6)
    assert fast.bestModel.numClasses == 2


def test_save_and_load(sc, tmp_path):
    X, y = logistic_data(11, n=200)
    rdd = points(sc, X, y)
    lr = LinearRegression().fit(rdd)
    lr.save(str(tmp_path / "lin"))
    again = LinearRegressionModel.load(str(tmp_path / "lin"))
    assert again.coefficients == lr.coefficients and again.intercept == lr.intercept
    with pytest.raises(IOError):
        lr.save(str(tmp_path / "lin"))
    lr.write().overwrite().save(str(tmp_path / "lin"))
    log = LogisticRegression(regParam=0.1).fit(rdd)
    log.write().save(str(tmp_path / "log"))
    log2 = LogisticRegressionModel.load(str(tmp_path / "log"))
    assert log2.coefficients == log.coefficients and log2.numClasses == 2
    nb = NaiveBayes().fit(points(sc, np.abs(X), y))
    nb.save(str(tmp_path / "nb"))
    assert NaiveBayesModel.load(str(tmp_path / "nb")).theta == nb.theta
    km = KMeans(k=3, seed=2).fit(rdd)
    km.save(str(tmp_path / "km"))
    km2 = KMeansModel.load(str(tmp_path / "km"))
    assert np.array_equal(np.vstack(km2.clusterCenters()), np.vstack(km.clusterCenters()))
    with pytest.raises(Exception) as info:
        KMeansModel.load(str(tmp_path / "lin"))
    assert "lin" in str(info.value)


def test_mllib_api(sc, tmp_path):
    from kiln.mllib.classification import LogisticRegressionWithLBFGS, NaiveBayes as NB
    from kiln.mllib.clustering import KMeans as MK, KMeansModel as MKM
    from kiln.mllib.evaluation import BinaryClassificationMetrics, RegressionMetrics
    from kiln.mllib.regression import LinearRegressionModel as LRM, LinearRegressionWithSGD
    X, y = logistic_data(12, n=400)
    rdd = points(sc, X, y)
    m = LogisticRegressionWithLBFGS.train(rdd, iterations=500, regParam=0.01, tolerance=1e-12)
    ref = linear_model.LogisticRegression(C=1 / (400 * 0.01), fit_intercept=False, tol=1e-12,
                                          max_iter=10000).fit(X, y)
    close(m.weights.toArray(), ref.coef_[0], 1e-4)
    assert m.predict(X[0]) in (0, 1)
    m.clearThreshold()
    probs = m.predict(rdd.map(lambda p: p.features)).collect()
    close(probs, ref.predict_proba(X)[:, 1], 1e-4)
    bm = BinaryClassificationMetrics(sc.parallelize(list(zip(probs, y.tolist())), 2))
    close(bm.areaUnderROC, metrics.roc_auc_score(y, probs), 1e-9)
    Xr, yr = regression_data(13, n=300, d=3, noise=0.01)
    Xr = Xr / np.abs(Xr).max()
    sgd = LinearRegressionWithSGD.train(points(sc, Xr, yr), iterations=200, step=0.5,
                                        intercept=True)
    pred = sgd.predict(sc.parallelize([DenseVector(x) for x in Xr], 2)).collect()
    rm = RegressionMetrics(sc.parallelize(list(zip(pred, yr.tolist())), 2))
    assert rm.r2 > 0.5  # SGD: close, not exact
    sgd.save(sc, str(tmp_path / "sgd"))
    assert LRM.load(sc, str(tmp_path / "sgd")).weights == sgd.weights
    nb = NB.train(points(sc, np.abs(X), y), 1.0)
    assert nb.predict(np.abs(X[0])) in (0.0, 1.0)
    km = MK.train(sc.parallelize([DenseVector(x) for x in X], 2), 2, seed=1)
    km.save(sc, str(tmp_path / "km"))
    km2 = MKM.load(sc, str(tmp_path / "km"))
    close(km2.computeCost(sc.parallelize(list(X), 2)), km.computeCost(
        sc.parallelize(list(X), 2)), 1e-12)


def test_bad_data_and_empty_input(sc):
    rdd = sc.parallelize([LabeledPoint(1.0, [1.0, float("nan")]), LabeledPoint(0.0, [1.0, 2.0])])
    with pytest.raises(Exception) as info:
        LinearRegression().fit(rdd)
    assert "nan" in str(info.value).lower() or "finite" in str(info.value).lower()
    with pytest.raises(Exception):
        LogisticRegression().fit(sc.parallelize([], 2))
    with pytest.raises(TypeError):
        LinearRegression(notAParam=1)
    lr = LinearRegression(maxIter=5)
    assert lr.getMaxIter() == 5 and lr.setRegParam(0.2).getRegParam() == 0.2
    assert lr.copy({lr.maxIter: 7}).getMaxIter() == 7 and lr.getMaxIter() == 5


@pytest.fixture(scope="module")
def spark(sc):
    from kiln.sql import SparkSession
    s = SparkSession(sc)
    yield s
    s.stop()  # and sc, as PySpark's SparkSession.stop (sc's own stop is then a no-op)


def test_dataframes_fit_transform_evaluate(sc, spark):
    X, y = logistic_data(16, n=300, d=3)
    rows = [(float(t), x.tolist(), i % 3) for i, (x, t) in enumerate(zip(X, y))]
    df = spark.createDataFrame(rows, ["label", "features", "g"])
    reg = LinearRegression().fit(df)
    ref = linear_model.LinearRegression().fit(X, y)
    close(reg.coefficients.toArray(), ref.coef_, 1e-6)
    out = reg.transform(df)
    assert out.columns == ["label", "features", "g", "prediction"]
    got = sorted(r["prediction"] for r in out.collect())
    close(got, sorted(ref.predict(X)), 1e-9)
    close(RegressionEvaluator(metricName="r2").evaluate(out), ref.score(X, y), 1e-9)
    close(reg.summary.r2, ref.score(X, y), 1e-9)
    log = LogisticRegression(regParam=0.01).fit(df)
    pred = log.transform(df)
    assert pred.columns[-3:] == ["rawPrediction", "probability", "prediction"]
    first = pred.first()
    assert abs(sum(first["probability"]) - 1) < 1e-12
    auc = BinaryClassificationEvaluator().evaluate(pred)
    close(auc, log.summary.areaUnderROC, 1e-9)
    acc = MulticlassClassificationEvaluator(metricName="accuracy").evaluate(pred)
    close(acc, log.summary.accuracy, 1e-9)
    # Columns assembled, scaled, clustered; a grid searched.
    raw = spark.createDataFrame([(float(a), float(b), float(c)) for a, b, c in X],
                                ["a", "b", "c"])
    feats = VectorAssembler(inputCols=["a", "b", "c"], outputCol="features").transform(raw)
    scaled = StandardScaler(inputCol="features", outputCol="s").fit(feats).transform(feats)
    close(np.array([r["s"] for r in scaled.collect()]).std(axis=0, ddof=1), [1, 1, 1], 1e-9)
    km = KMeans(k=2, seed=1).fit(feats)
    assert set(r["prediction"] for r in km.transform(feats).collect()) <= {0, 1}
    cv = CrossValidator(estimator=LogisticRegression(),
                        estimatorParamMaps=ParamGridBuilder().addGrid(
                            LogisticRegression().regParam, [0.01, 1.0]).build(),
                        evaluator=BinaryClassificationEvaluator(), numFolds=2, seed=5)
    fast = cv.fit(df)
    cv._lockstep = False
    close(cv.fit(df).avgMetrics, fast.avgMetrics, 1e-6)


def jobs_started(sc, fn):
    """(fn(), names of the jobs it started), from kiln's progress events."""
    import _kiln
    seen = []
    _kiln.on_progress(sc._c, lambda e: seen.append(e["name"]) if e["kind"] == "job_start"
                      else None)
    try:
        out = fn()
        _kiln.progress_drain(sc._c)
    finally:
        _kiln.on_progress(sc._c, None)
    return out, seen


def test_dataframe_transforms_are_lazy_and_chain(sc, spark):
    """transform runs no job (as Spark's); a chain of Python stages (assembler,
    scaler, model), each reading the one below through kiln's DataFrame, runs
    when an action needs it, on worker processes under local[2] and in
    executors, and gives scikit-learn's answers."""
    rng = np.random.default_rng(21)
    X = rng.normal(size=(240, 3)) * [1.0, 10.0, 0.1]
    y = (X @ [1.0, -0.2, 5.0] + rng.normal(scale=0.5, size=240) > 0).astype(float)
    raw = spark.createDataFrame([(float(t), *map(float, x)) for x, t in zip(X, y)],
                                ["label", "a", "b", "c"])
    pipe = Pipeline(stages=[VectorAssembler(inputCols=["a", "b", "c"], outputCol="raw"),
                            StandardScaler(inputCol="raw", outputCol="features"),
                            LogisticRegression(regParam=0.01, standardization=False, tol=1e-12,
                                               maxIter=1000)])
    model = pipe.fit(raw)
    out, jobs = jobs_started(sc, lambda: model.transform(raw))
    assert jobs == [], jobs
    assert out.dtypes[-3:] == [("rawPrediction", "array<double>"),
                               ("probability", "array<double>"), ("prediction", "double")]
    Z = preprocessing.StandardScaler().fit(X).transform(X) * math.sqrt(239 / 240)
    ref = linear_model.LogisticRegression(C=1 / (0.01 * 240), tol=1e-12, max_iter=10000)
    ref.fit(Z, y)
    got = {tuple(round(v, 9) for v in r["raw"]): r["probability"][1] for r in out.collect()}
    prob = [got[tuple(round(v, 9) for v in x)] for x in X]
    close(prob, ref.predict_proba(Z)[:, 1], 1e-4)
    auc, jobs = jobs_started(sc, lambda: BinaryClassificationEvaluator().evaluate(out))
    close(auc, metrics.roc_auc_score(y, prob), 1e-9)
    assert jobs
    km = KMeans(k=2, seed=3, predictionCol="cluster").fit(out)
    clusters = km.transform(out)
    assert clusters.dtypes[-1] == ("cluster", "int")  # Spark's IntegerType
    assert {r["cluster"] for r in clusters.select("cluster").collect()} == {0, 1}
    with pytest.raises(ValueError, match="Column prediction already exists"):
        km.setPredictionCol("prediction").transform(out)
    # Folds of a lazily transformed DataFrame, fitted one map at a time.
    cv = CrossValidator(estimator=LinearRegression(featuresCol="raw", labelCol="a"),
                        estimatorParamMaps=ParamGridBuilder().addGrid(
                            LinearRegression().maxIter, [50]).build(),
                        evaluator=RegressionEvaluator(labelCol="a", metricName="mae"),
                        numFolds=3, seed=9)
    assert cv.fit(out.select("a", "raw")).avgMetrics[0] < 1e-6  # a is one of the features


def test_hashed_and_one_hot_text(sc):
    import pandas as pd
    path = shared_data("ctr-samples", "criteo_sample.txt")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    numeric = list(range(1, 14))
    pts = MLUtils.loadHashedFeatures(sc, path, labelColumn=0, numericColumns=numeric,
                                     numFeatures=1 << 12, header=True, minPartitions=2).collect()
    assert len(pts) == len(raw) and [p.label for p in pts] == raw["label"].astype(float).tolist()
    # Collisions add: each point's values sum to its numbers plus one per non-empty category.
    for p, (_, row) in zip(pts, raw.iterrows()):
        nums = sum(float(row[c]) for c in raw.columns[1:14] if row[c] != "")
        cats = sum(1 for c in raw.columns[14:] if row[c] != "")
        close(p.features.values.sum(), nums + cats, 1e-9)
        assert p.features.size == 1 << 12
    from kiln.mllib.feature import OneHotTextEncoder
    train = shared_data("adult", "adult.data")
    test = shared_data("adult", "adult.test")
    cols = [1, 3, 5, 6, 7, 8, 9, 13]
    enc = OneHotTextEncoder.fit(sc, train, 14, ">50K", cols, header=False)
    df = pd.read_csv(train, header=None, skipinitialspace=True, dtype=str).dropna(how="all")
    numeric = [c for c in range(14) if c not in cols]
    assert enc.numFeatures == len(numeric) + sum(df[c].str.strip().nunique() for c in cols)
    got = enc.transform(train, minPartitions=3)
    first = got.take(2)
    assert first[0].label == 0.0 and first[0].features.values.sum() == pytest.approx(
        sum(float(df.iloc[0][c]) for c in numeric) + len(cols))
    assert got.count() == len(df)
    assert got.filter(lambda p: p.label == 1.0).count() == (df[14].str.strip() == ">50K").sum()
    tested = enc.transform(test, header=True)
    assert tested.count() == len(pd.read_csv(test, skipinitialspace=True).dropna(how="all"))
    assert tested.filter(lambda p: p.label == 1.0).count() > 0
    model = LogisticRegression(regParam=0.01, standardization=True).fit(got)
    auc = BinaryClassificationEvaluator().evaluate(model.transform(tested))
    assert auc > 0.85
