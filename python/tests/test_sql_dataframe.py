"""kiln.sql DataFrames against sqlite3 / plain Python on random data with
nulls, unicode, skewed keys and empty tables, under each master."""
import datetime
import math
import random
import sqlite3

import pytest

from conftest import MASTERS


@pytest.fixture(scope="module", params=MASTERS)
def spark(request):
    from kiln.sql import SparkSession
    s = SparkSession.builder.master(request.param).appName("pytest-sql").getOrCreate()
    yield s
    s.stop()


WORDS = ["a", "b", "ü", "日本", "x y", "", None]


def rows(n, seed=1):
    r = random.Random(seed)
    out = []
    for i in range(n):
        k = 0 if r.random() < 0.5 else r.randint(1, 20)  # skewed key
        out.append((i, k if r.random() > 0.1 else None, r.choice(WORDS),
                    None if r.random() < 0.1 else round(r.uniform(-100, 100), 3)))
    return out


SCHEMA = "id BIGINT, k BIGINT, s STRING, x DOUBLE"


@pytest.fixture(scope="module")
def data(spark):
    rs = rows(500)
    df = spark.createDataFrame(rs, SCHEMA)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id INTEGER, k INTEGER, s TEXT, x REAL)")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rs)
    return df, db, rs


def same(got, want, ordered=False):
    def norm(r):
        return tuple(round(v, 6) if isinstance(v, float) else v for v in r)
    g = [norm(tuple(r)) for r in got]
    w = [norm(tuple(r)) for r in want]
    if not ordered:
        key = lambda r: tuple((v is None, str(type(v)), v if v is not None else 0) for v in r)
        g, w = sorted(g, key=key), sorted(w, key=key)
    assert g == w


def test_schema_and_repr(data):
    df, _, _ = data
    assert df.columns == ["id", "k", "s", "x"]
    assert df.dtypes == [("id", "bigint"), ("k", "bigint"), ("s", "string"), ("x", "double")]
    assert repr(df) == "DataFrame[id: bigint, k: bigint, s: string, x: double]"
    assert df.schema.simpleString() == "struct<id:bigint,k:bigint,s:string,x:double>"
    assert "<table" in df._repr_html_() and "&lt;" not in df._repr_html_()


def test_filter_select_arith(data):
    from kiln.sql import functions as F
    df, db, _ = data
    got = df.filter((F.col("x") > 0) & F.col("k").isNotNull()).select(
        "id", (F.col("x") * 2 + 1).alias("y"), (10 - F.col("k")).alias("z")).collect()
    want = db.execute("SELECT id, x*2+1, 10-k FROM t WHERE x > 0 AND k IS NOT NULL").fetchall()
    same(got, want)
    assert df.where("x IS NULL").count() == db.execute(
        "SELECT count(*) FROM t WHERE x IS NULL").fetchone()[0]


def test_group_agg(data):
    from kiln.sql import functions as F
    df, db, _ = data
    got = df.groupBy("k").agg(F.count("*").alias("n"), F.sum("x"), F.min("s"),
                              F.max("x")).collect()
    want = db.execute("SELECT k, count(*), sum(x), min(s), max(x) FROM t GROUP BY k").fetchall()
    same(got, want)
    got = df.groupBy("k").count().collect()
    same(got, db.execute("SELECT k, count(*) FROM t GROUP BY k").fetchall())
    got = df.groupBy("k").agg({"x": "avg"}).collect()
    same(got, db.execute("SELECT k, avg(x) FROM t GROUP BY k").fetchall())


def test_order_limit_distinct(data):
    from kiln.sql import functions as F
    df, db, _ = data
    got = df.orderBy(F.col("x").desc(), "id").limit(20).select("id").collect()
    want = db.execute("SELECT id FROM t ORDER BY x IS NULL, x DESC, id LIMIT 20").fetchall()
    same(got, want, ordered=True)
    got = df.orderBy("k", "id", ascending=[False, True]).select("k", "id").collect()
    want = db.execute("SELECT k, id FROM t ORDER BY k IS NULL, k DESC, id").fetchall()
    same(got, want, ordered=True)
    same(df.select("s").distinct().collect(), db.execute("SELECT DISTINCT s FROM t").fetchall())
    assert df.dropDuplicates(["k"]).count() == len({r[1] for r in data[2]})


def test_join_union(spark, data):
    from kiln.sql import functions as F
    df, db, rs = data
    dim = spark.createDataFrame([(k, "name%d" % k) for k in range(0, 15)], "k BIGINT, name STRING")
    db.execute("CREATE TABLE IF NOT EXISTS d (k INTEGER, name TEXT)")
    db.execute("DELETE FROM d")
    db.executemany("INSERT INTO d VALUES (?, ?)", [(k, "name%d" % k) for k in range(0, 15)])
    same(df.join(dim, "k").select("id", "name").collect(),
         db.execute("SELECT id, name FROM t JOIN d USING (k)").fetchall())
    same(df.join(dim, on=["k"], how="left").select("id", "name").collect(),
         db.execute("SELECT id, name FROM t LEFT JOIN d USING (k)").fetchall())
    l, r = df.alias("l"), dim.alias("r")
    same(l.join(r, F.col("l.k") == F.col("r.k"), "inner").select("l.id", "r.name").collect(),
         db.execute("SELECT t.id, d.name FROM t JOIN d ON t.k = d.k").fetchall())
    assert df.join(dim, "k", "left_anti").count() == db.execute(
        "SELECT count(*) FROM t WHERE k IS NULL OR k NOT IN (SELECT k FROM d)").fetchone()[0]
    u = df.select("id", "s").union(df.select("id", "s"))
    assert u.count() == 2 * len(rs)
    ubn = df.select("id", "s").unionByName(df.select("s", "id"))
    assert ubn.columns == ["id", "s"] and ubn.count() == 2 * len(rs)


def test_columns_ops(data):
    from kiln.sql import functions as F
    df, db, rs = data
    got = df.select("id", F.col("s").isin("a", "b").alias("i"),
                    F.col("x").between(-10, 10).alias("bt"),
                    F.col("s").like("a%").alias("lk"),
                    F.when(F.col("x") > 0, "pos").when(F.col("x") < 0, "neg")
                    .otherwise("zero").alias("sign"),
                    F.coalesce(F.col("k"), F.lit(-1)).alias("kk"),
                    F.col("id").cast("string").alias("cs"),
                    (~(F.col("id") % 2 == 0)).alias("odd")).collect()
    want = db.execute(
        "SELECT id, s IN ('a','b'), x BETWEEN -10 AND 10, s LIKE 'a%', "
        "CASE WHEN x > 0 THEN 'pos' WHEN x < 0 THEN 'neg' ELSE 'zero' END, "
        "coalesce(k, -1), CAST(id AS TEXT), NOT (id % 2 = 0) FROM t").fetchall()
    want = [tuple(bool(v) if i in (1, 2, 3, 7) and v is not None else v
                  for i, v in enumerate(r)) for r in want]
    same(got, want)
    got = df.select(F.upper("s"), F.length("s"), F.trim(F.lit("  q ")).alias("t")).collect()
    want = [(s.upper() if s is not None else None, len(s) if s is not None else None, "q")
            for _, _, s, _ in rs]
    same(got, want)
    assert df.select(F.startswith(F.col("s"), F.lit("a"))).count() == len(rs)


def test_string_date_functions(spark):
    from kiln.sql import functions as F
    df = spark.createDataFrame([("2024-03-15 10:20:30", "a-b-c"), (None, None)],
                               "ts STRING, p STRING")
    r = df.select(F.to_date("ts").alias("d"), F.year(F.to_date("ts")).alias("y"),
                  F.month(F.to_date("ts")), F.dayofmonth(F.to_date("ts")),
                  F.hour(F.to_timestamp("ts")),
                  F.date_format(F.to_date("ts"), "yyyy/MM/dd"),
                  F.split("p", "-").alias("sp"), F.regexp_extract("p", r"(\w)-(\w)", 2),
                  F.regexp_replace("p", "-", "+"), F.substring("p", 2, 3),
                  F.round(F.lit(2.567), 1)).collect()
    assert r[0] == (datetime.date(2024, 3, 15), 2024, 3, 15, 10, "2024/03/15", ["a", "b", "c"],
                    "b", "a+b+c", "-b-", 2.6)
    assert r[1][:10] == (None,) * 10
    ex = df.select(F.explode(F.split("p", "-")).alias("e")).collect()
    assert [x.e for x in ex] == ["a", "b", "c"]
    assert F.sha2 is not None and df.select(F.md5("p")).count() == 2  # by-name functions


def test_window(data):
    from kiln.sql import Window, functions as F
    df, db, rs = data
    w = Window.partitionBy("k").orderBy("id")
    got = df.select("id", F.row_number().over(w).alias("rn"), F.rank().over(w),
                    F.lag("id", 1).over(w), F.lead("id", 1, -1).over(w),
                    F.sum("id").over(w.rowsBetween(Window.unboundedPreceding, 0))).collect()
    want = db.execute("SELECT id, row_number() OVER w, rank() OVER w, lag(id) OVER w, "
                      "lead(id, 1, -1) OVER w, sum(id) OVER (PARTITION BY k ORDER BY id ROWS "
                      "BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t "
                      "WINDOW w AS (PARTITION BY k ORDER BY id)").fetchall()
    same(got, want)


def test_na_describe(data):
    from kiln.sql import functions as F
    df, db, rs = data
    filled = df.na.fill(0.0, ["x"]).fillna("?", "s")
    assert filled.filter(F.col("x").isNull() | F.col("s").isNull()).count() == 0
    assert df.dropna().count() == sum(1 for r in rs if None not in r)
    assert df.na.drop(how="all", subset=["k", "x"]).count() == sum(
        1 for r in rs if r[1] is not None or r[3] is not None)
    rep = df.na.replace("a", "A", "s").filter(F.col("s") == "A").count()
    assert rep == sum(1 for r in rs if r[2] == "a")
    d = {r.summary: r for r in df.describe("x").collect()}
    xs = [r[3] for r in rs if r[3] is not None]
    assert int(d["count"].x) == len(xs)
    assert math.isclose(float(d["mean"].x), sum(xs) / len(xs), rel_tol=1e-9)
    assert float(d["max"].x) == max(xs)


def test_rows_and_actions(spark, data, capsys):
    df, _, rs = data
    r = df.orderBy("id").first()
    assert r.id == 0 and r["s"] == rs[0][2] and r[0] == 0 and r.asDict()["x"] == rs[0][3]
    assert [tuple(x) for x in df.orderBy("id").take(3)] == rs[:3]
    assert len(df.head(4)) == 4
    df.limit(2).show()
    df.printSchema()
    out = capsys.readouterr().out
    assert "+---" in out and "root" in out and "|-- id: bigint" in out
    assert df.rdd.map(lambda row: row.id).sum() == sum(x[0] for x in rs)
    df.createOrReplaceTempView("tv")
    assert spark.sql("SELECT count(*) AS n FROM tv").first().n == len(rs)
    assert spark.table("tv").count() == len(rs)
    assert spark.range(10).count() == 10 and spark.range(2, 8, 2).collect() == [(2,), (4,), (6,)]
    c = df.cache()
    assert c.is_cached and c.count() == len(rs)
    c.unpersist()


def test_empty(spark):
    from kiln.sql import functions as F
    e = spark.createDataFrame([], "a INT, b STRING")
    assert e.count() == 0 and e.collect() == [] and e.first() is None
    assert e.groupBy("a").count().collect() == []
    assert e.agg(F.count("*")).collect()[0][0] == 0
    assert len(e.toPandas()) == 0


def test_random_split_and_sample(spark, data):
    """randomSplit: disjoint parts holding every row once, sizes near the
    normalised weights, the same parts for the same seed, every column type
    kept; sample: a subset near the fraction, repeatable."""
    from kiln.sql import functions as F
    df, _, rs = data
    df = df.withColumn("v", F.array(F.col("id"), F.col("id") * 2)) \
        .withColumn("d", F.lit(datetime.date(2020, 2, 29)))
    want = [r + ([r[0], r[0] * 2], datetime.date(2020, 2, 29)) for r in rs]
    parts = df.randomSplit([2.0, 1.0, 1.0], seed=11)
    got = [p.collect() for p in parts]
    assert [p.dtypes for p in parts] == [df.dtypes] * 3
    same([r for g in got for r in g], want)
    ids = [{r["id"] for r in g} for g in got]
    assert sum(map(len, ids)) == len(rs) == len(set().union(*ids))
    # Binomial counts: within 5 standard deviations of 250, 125, 125.
    for g, p in zip(got, [0.5, 0.25, 0.25]):
        assert abs(len(g) - p * len(rs)) < 5 * math.sqrt(len(rs) * p * (1 - p))
    assert [{r["id"] for r in p.collect()} for p in df.randomSplit([2, 1, 1], seed=11)] == ids
    assert [{r["id"] for r in p.collect()} for p in df.randomSplit([2, 1, 1], seed=12)] != ids
    # Weights are normalised: [0.2, 0.2] is a half each.
    a, b = df.randomSplit([0.2, 0.2], seed=3)
    assert a.count() + b.count() == len(rs) and abs(a.count() - 250) < 5 * math.sqrt(125)
    with pytest.raises(ValueError):
        df.randomSplit([1.0, -0.5])
    empty = spark.createDataFrame([], SCHEMA)
    assert [p.count() for p in empty.randomSplit([0.5, 0.5], seed=1)] == [0, 0]
    s1 = df.sample(0.3, seed=5)
    picked = [r["id"] for r in s1.collect()]
    assert len(set(picked)) == len(picked) and set(picked) <= {r[0] for r in rs}
    assert abs(len(picked) - 150) < 5 * math.sqrt(500 * 0.3 * 0.7)
    assert [r["id"] for r in df.sample(False, 0.3, 5).collect()] == picked
    twice = df.sample(True, 2.0, 7).collect()
    assert abs(len(twice) - 1000) < 5 * math.sqrt(1000) and len({r["id"] for r in twice}) < 500
    with pytest.raises(ValueError):
        df.sample(-0.1)


def test_analysis_exception(data):
    from kiln.sql import AnalysisException, functions as F
    df, _, _ = data
    with pytest.raises(AnalysisException, match="nope"):
        df.select("nope")
    with pytest.raises(AnalysisException, match="zz"):
        df.filter(F.col("zz") > 1)
    with pytest.raises(AnalysisException):
        df.sparkSession.sql("SELEC 1")


def test_udf(spark, data):
    from kiln.sql import functions as F
    from kiln.sql.functions import udf
    df, _, rs = data

    @udf("bigint")
    def plus1(v):
        return None if v is None else v + 1
    got = df.select("id", plus1(F.col("k")).alias("k1")).collect()
    assert sorted(tuple(r) for r in got) == sorted(
        (r[0], None if r[1] is None else r[1] + 1) for r in rs)
    shout = spark.udf.register("shout", lambda s: (s or "").upper() + "!")
    got = df.filter(F.length(shout(F.col("s"))) > 2).withColumn("u", shout("s")).collect()
    assert sorted(r.u for r in got) == sorted(
        (s or "").upper() + "!" for _, _, s, _ in rs if len((s or "").upper() + "!") > 2)
    assert all(not c.startswith("__kiln") for c in df.withColumn("u", shout("s")).columns)


def test_read_write(spark, tmp_path):
    df = spark.createDataFrame([(1, "a,b"), (2, None), (3, "ü")], "id INT, s STRING")
    df.write.mode("overwrite").option("header", True).csv(str(tmp_path / "c"))
    back = spark.read.option("header", "true").schema("id INT, s STRING").csv(str(tmp_path / "c"))
    assert sorted(tuple(r) for r in back.collect()) == [(1, "a,b"), (2, None), (3, "ü")]
    df.write.format("json").save(str(tmp_path / "j"))
    j = spark.read.format("json").load(str(tmp_path / "j"))
    assert sorted(tuple(r.asDict()[c] for c in ("id", "s")) for r in j.collect()) == \
        [(1, "a,b"), (2, None), (3, "ü")]
    from kiln.errors import KilnError
    with pytest.raises(KilnError):
        df.write.json(str(tmp_path / "j"))


def test_partition_by(spark, tmp_path):
    rs = [(i, ["a b", "x/y", None, ""][i % 4], i % 3, i * 10) for i in range(40)]
    df = spark.createDataFrame(rs, "id INT, s STRING, k INT, v BIGINT")
    df.write.partitionBy("k", "s").option("header", True).csv(str(tmp_path / "p"))
    import os
    assert sorted(d for d in os.listdir(tmp_path / "p") if d.startswith("k=")) == \
        ["k=0", "k=1", "k=2"]
    assert sorted(os.listdir(tmp_path / "p" / "k=0")) == \
        ["s=__HIVE_DEFAULT_PARTITION__", "s=a b", "s=x%2Fy"]
    back = spark.read.option("header", "true").option("inferSchema", "true").csv(
        str(tmp_path / "p"))
    want = sorted((i, v, k, s or None) for i, s, k, v in rs)
    assert sorted(tuple(r) for r in back.select("id", "v", "k", "s").collect()) == want
    # The keyword form, and dynamic overwrite of the partitions written.
    df.filter("k = 1").write.json(str(tmp_path / "q"), partitionBy=["k"])
    df.filter("k = 2").write.json(str(tmp_path / "q"), mode="overwrite", partitionBy="k",
                                  partitionOverwriteMode="dynamic")
    q = spark.read.json(str(tmp_path / "q"))
    assert sorted(r.k for r in q.select("k").distinct().collect()) == [1, 2]
