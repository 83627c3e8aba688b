"""The pyspark compatibility package (python/compat/pyspark): PySpark-style
scripts run unchanged in subprocesses with PYTHONPATH=build/python:
python/compat, saying once on stderr that this is kiln; pyspark.X modules
are kiln.X; and it refuses to load where it would shadow a real PySpark."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

COMPAT = os.path.join(ROOT, "python", "compat")
BANNER = "pyspark: this is kiln %s's compatibility package, not Apache Spark"


def kiln_path():
    import _kiln
    return os.path.dirname(os.path.abspath(_kiln.__file__))


def run(script, path=None, timeout=120):
    """script (dedented) run by this interpreter with PYTHONPATH path
    (default kiln, then the compat package); the CompletedProcess."""
    env = dict(os.environ)
    env.pop("KILN_PYSPARK_QUIET", None)
    env["PYTHONPATH"] = os.pathsep.join(path or [kiln_path(), COMPAT])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def banner():
    import kiln
    return BANNER % kiln.__version__


RDD_SCRIPT = """
    import operator
    from pyspark import SparkConf, SparkContext, StorageLevel, TaskContext
    from pyspark.rdd import RDD
    from pyspark.broadcast import Broadcast
    from pyspark.accumulators import Accumulator

    conf = SparkConf().setMaster("%s").setAppName("compat")
    sc = SparkContext(conf=conf)
    text = ["to be or not to be", "that is the question", "", "ünïcode to be"]
    stop = sc.broadcast({"the", "is"})
    blank = sc.accumulator(0)

    def words(line):
        if not line:
            blank.add(1)
        return [w for w in line.split() if w not in stop.value]

    rdd = sc.parallelize(text, 3).flatMap(words).persist(StorageLevel.MEMORY_AND_DISK)
    counts = rdd.map(lambda w: (w, 1)).reduceByKey(operator.add).sortByKey().collect()
    parts = sc.parallelize(range(6), 3).mapPartitions(
        lambda it: [TaskContext.get().partitionId()]).collect()
    print(counts)
    print(parts, blank.value, isinstance(rdd, RDD), isinstance(stop, Broadcast),
          isinstance(blank, Accumulator))
    sc.stop()
"""


@pytest.mark.parametrize("master", ["local[2]", "local-cluster[2,1,512]"])
def test_rdd_script_unchanged(master):
    r = run(RDD_SCRIPT % master)
    assert r.returncode == 0, r.stderr
    words = [w for line in ["to be or not to be", "that is the question", "", "ünïcode to be"]
             for w in line.split() if w not in {"the", "is"}]
    want = sorted((w, words.count(w)) for w in set(words))
    lines = r.stdout.splitlines()
    assert lines[0] == repr(want)
    assert lines[1] == "[0, 1, 2] 1 True True True"
    # Said once, executors and workers included.
    assert r.stderr.count(banner()) == 1, r.stderr


def test_modules_are_kilns():
    r = run("""
        import pyspark, pyspark.context, pyspark.conf, pyspark.rdd, pyspark.storagelevel
        import pyspark.broadcast, pyspark.accumulators, pyspark.taskcontext
        import kiln
        from pyspark.files import SparkFiles
        assert pyspark.SparkContext is kiln.SparkContext
        assert pyspark.context.SparkContext is kiln.SparkContext
        assert pyspark.rdd.RDD is kiln.RDD
        assert pyspark.storagelevel.StorageLevel is kiln.StorageLevel
        assert pyspark.conf.SparkConf is kiln.SparkConf
        assert pyspark.__version__ == kiln.__version__ and pyspark.__kiln__
        assert pyspark.SparkFiles is SparkFiles
        try:
            import pyspark.nosuch
        except ImportError as e:
            print("missing:", e)
        """)
    assert r.returncode == 0, r.stderr
    assert "missing: No module named 'pyspark.nosuch'" in r.stdout
    assert "kiln.nosuch" in r.stdout


def test_sql_script_unchanged():
    r = run("""
        from pyspark.sql import SparkSession, Row
        from pyspark.sql import functions as F
        from pyspark.sql.types import StructType, StructField, StringType, LongType
        from pyspark.sql.window import Window
        import pyspark.sql.functions
        spark = SparkSession.builder.master("local[2]").appName("compat").getOrCreate()
        df = spark.createDataFrame([Row(k="a", v=1), Row(k="b", v=2), Row(k="a", v=3)])
        out = df.groupBy("k").agg(F.sum("v").alias("s")).orderBy("k").collect()
        print([(r["k"], r["s"]) for r in out])
        w = Window.partitionBy("k").orderBy("v")
        ranks = df.withColumn("r", F.row_number().over(w)).orderBy("k", "v").collect()
        print([r["r"] for r in ranks])
        print(pyspark.sql.functions.col is F.col)
        spark.stop()
        """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["[('a', 4), ('b', 2)]", "[1, 2, 1]", "True"]
    assert r.stderr.count(banner()) == 1


ML_SCRIPT = """
    import json, random
    from pyspark.sql import SparkSession
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.linalg import Vectors
    from pyspark.mllib.regression import LabeledPoint
    import kiln.ml.regression, kiln.ml.linalg
    spark = SparkSession.builder.master("%s").appName("compat-ml").getOrCreate()
    rng = random.Random(4)
    data = []
    for _ in range(300):
        a, b = rng.uniform(-1, 1), rng.uniform(-1, 1)
        data.append((a, b, 3 * a - 2 * b + 0.5 + rng.gauss(0, 0.1)))
    df = spark.createDataFrame(data, ["a", "b", "y"])
    train, test = df.randomSplit([0.75, 0.25], seed=1)
    pipe = Pipeline(stages=[VectorAssembler(inputCols=["a", "b"], outputCol="features"),
                            LinearRegression(labelCol="y")])
    model = pipe.fit(train)
    rmse = RegressionEvaluator(labelCol="y", metricName="rmse").evaluate(model.transform(test))
    lr = model.stages[-1]
    print(json.dumps({"train": [list(r) for r in train.collect()],
                      "test": [list(r) for r in test.collect()], "rmse": rmse,
                      "coefficients": lr.coefficients.toArray().tolist(),
                      "intercept": lr.intercept}))
    print(LinearRegression is kiln.ml.regression.LinearRegression,
          Vectors is kiln.ml.linalg.Vectors, LabeledPoint(1.0, [2.0]).label)
    spark.stop()
"""


@pytest.mark.parametrize("master", ["local[2]", "local-cluster[2,1,512]"])
def test_ml_script_unchanged(master):
    """A pyspark.ml pipeline (assembler, linear regression, evaluator on a
    random split) gives numpy's least squares on the rows it trained on and
    the RMSE of those coefficients on the rows it held out."""
    import numpy as np
    r = run(ML_SCRIPT % master)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    got = json.loads(lines[0])
    assert lines[1] == "True True 1.0"
    train, test = np.array(got["train"]), np.array(got["test"])
    assert len(train) + len(test) == 300 and 150 < len(train) < 280
    A = np.hstack([train[:, :2], np.ones((len(train), 1))])
    w = np.linalg.lstsq(A, train[:, 2], rcond=None)[0]
    assert np.allclose(got["coefficients"], w[:2], rtol=1e-6, atol=1e-9)
    assert abs(got["intercept"] - w[2]) < 1e-6
    pred = test[:, :2] @ np.array(got["coefficients"]) + got["intercept"]
    assert abs(got["rmse"] - float(np.sqrt(np.mean((pred - test[:, 2]) ** 2)))) < 1e-9
    assert r.stderr.count(banner()) == 1


def fake_pyspark(tmp_path, name="real"):
    """A directory holding a package named pyspark (a stand-in for Apache's)."""
    d = tmp_path / name
    (d / "pyspark").mkdir(parents=True)
    (d / "pyspark" / "__init__.py").write_text("print('the real pyspark')\n")
    return str(d)


def test_refuses_to_shadow_a_real_pyspark(tmp_path):
    """The real-world conflict: python/compat on PYTHONPATH comes before
    site-packages, where pip put Apache's PySpark; kiln's would win
    silently, so it refuses, naming the other one."""
    real = fake_pyspark(tmp_path)
    r = run("import pyspark", path=[kiln_path(), COMPAT, real])
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert os.path.join(real, "pyspark", "__init__.py") in r.stderr
    assert "will not shadow" in r.stderr
    assert banner() not in r.stderr
    # The same with the other one appended to sys.path at run time (a .pth, site-packages).
    r = run("import sys; sys.path.append(%r); import pyspark" % real)
    assert r.returncode != 0 and "will not shadow" in r.stderr


def test_a_real_pyspark_first_is_left_alone(tmp_path):
    """The other order: Python imports the first pyspark on sys.path, so the
    real one loads and kiln's never runs (nothing to refuse)."""
    real = fake_pyspark(tmp_path)
    r = run("import pyspark; print(getattr(pyspark, '__kiln__', False))",
            path=[kiln_path(), real, COMPAT])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["the real pyspark", "False"]
    assert banner() not in r.stderr


def test_a_directory_named_pyspark_is_no_conflict(tmp_path):
    """A bare directory named pyspark (no __init__.py, e.g. a checkout's
    data) is not a PySpark."""
    (tmp_path / "other" / "pyspark").mkdir(parents=True)
    r = run("import pyspark; print(pyspark.__kiln__)",
            path=[kiln_path(), COMPAT, str(tmp_path / "other")])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"
