"""toPandas / createDataFrame(pandas): every supported type with nulls,
empty frames, and the columnar path's output against collect()."""
import datetime

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def spark():
    from kiln.sql import SparkSession
    s = SparkSession.builder.master("local[2]").appName("pytest-pandas").getOrCreate()
    yield s
    s.stop()


def test_roundtrip_all_types(spark):
    df = spark.sql(
        "SELECT * FROM VALUES "
        "(CAST(1 AS TINYINT), CAST(2 AS SMALLINT), 3, CAST(4 AS BIGINT), CAST(1.5 AS FLOAT), "
        " 2.25D, true, 'ü', X'0102', DATE'2020-02-29', TIMESTAMP'2021-01-02 03:04:05.123456'),"
        "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
        "(CAST(-1 AS TINYINT), CAST(-2 AS SMALLINT), -3, CAST(-4 AS BIGINT), CAST(-1 AS FLOAT),"
        " -0.5D, false, '', X'', DATE'1969-12-31', TIMESTAMP'1960-01-01 00:00:00') "
        "AS t(a, b, c, d, e, f, g, h, i, j, k)")
    pdf = df.toPandas()
    assert list(pdf.columns) == list("abcdefghijk")
    assert pdf["d"].dtype == np.float64 and np.isnan(pdf["d"][1]) and pdf["d"][2] == -4
    assert pdf["g"].tolist() == [True, None, False]
    assert pdf["h"].tolist() == ["ü", None, ""]
    assert pdf["i"].tolist() == [b"\x01\x02", None, b""]
    assert pdf["j"].tolist() == [datetime.date(2020, 2, 29), None, datetime.date(1969, 12, 31)]
    assert pdf["k"].dtype == "datetime64[ns]" and pd.isna(pdf["k"][1])
    assert pdf["k"][0] == pd.Timestamp("2021-01-02 03:04:05.123456")
    back = spark.createDataFrame(pdf)
    want = [tuple(r) for r in df.collect()]
    got = [tuple(r) for r in back.collect()]
    # ints with nulls came back as doubles (pandas has no null ints)
    for g, w in zip(got, want):
        assert [None if v is None else (float(v) if isinstance(v, int) and
                                         not isinstance(v, bool) else v) for v in w[:6]] == \
            [None if v is None else float(v) for v in g[:6]]
        assert g[6:] == w[6:]


def test_no_nulls_keeps_dtypes(spark):
    pdf = pd.DataFrame({"i8": np.array([1, 2], dtype=np.int8),
                        "i32": np.array([3, 4], dtype=np.int32),
                        "i64": [5, 6], "f": [0.5, 1.5], "b": [True, False], "s": ["x", "y"],
                        "t": pd.to_datetime(["2020-01-01", "2020-01-02 00:00:01"])})
    df = spark.createDataFrame(pdf)
    assert df.dtypes == [("i8", "tinyint"), ("i32", "int"), ("i64", "bigint"), ("f", "double"),
                         ("b", "boolean"), ("s", "string"), ("t", "timestamp")]
    out = df.toPandas()
    assert [str(t) for t in out.dtypes] == ["int8", "int32", "int64", "float64", "bool",
                                            "object", "datetime64[ns]"]
    pd.testing.assert_frame_equal(out, pdf)


def test_large_and_matches_collect(spark):
    n = 50000
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    s = np.array(["k%d" % (i % 97) if i % 13 else None for i in range(n)], dtype=object)
    pdf = pd.DataFrame({"id": np.arange(n), "x": x, "s": s})
    df = spark.createDataFrame(pdf, schema=["id", "x", "s"])
    assert df.count() == n
    assert df.filter("x IS NULL").count() == int(np.isnan(x).sum())
    agg = df.groupBy("s").count().toPandas().set_index("s")["count"].sort_index()
    want = pd.Series(s).fillna("__none").value_counts()
    assert agg.rename(index={None: "__none"}).sort_index().tolist() == \
        want.sort_index().tolist()
    back = df.orderBy("id").toPandas()
    np.testing.assert_array_equal(back["id"].to_numpy(), np.arange(n))
    np.testing.assert_array_equal(np.isnan(back["x"].to_numpy()), np.isnan(x))
    assert back["s"].tolist() == list(s)


def test_empty_and_schema(spark):
    pdf = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype=object)})
    df = spark.createDataFrame(pdf)
    assert df.count() == 0 and len(df.toPandas()) == 0
    df = spark.createDataFrame(pd.DataFrame({"a": [1, 2]}), "a INT")
    assert df.dtypes == [("a", "int")]
    nested = spark.sql("SELECT array(1, 2) AS a, named_struct('x', 1) AS s, 1.50BD AS d")
    p = nested.toPandas()
    assert p["a"][0] == [1, 2] and p["s"][0].x == 1 and str(p["d"][0]) == "1.50"
