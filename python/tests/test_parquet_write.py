"""df.write.parquet (python/kiln/sql/readwriter.py): Spark's part file names
with the codec in them and _SUCCESS; the files' contents are checked
against DuckDB by the C tests (tests/unit/test_parquet_write*.c)."""
import os
import re

import pytest


@pytest.fixture(scope="module")
def spark():
    from kiln.sql import SparkSession
    s = SparkSession.builder.master("local[2]").appName("pytest-parquet").getOrCreate()
    yield s
    s.stop()


def test_write_parquet(spark, tmp_path):
    df = spark.createDataFrame([(1, "a"), (2, None), (3, "ü")], "id INT, s STRING")
    df.write.parquet(str(tmp_path / "p"))
    names = sorted(os.listdir(tmp_path / "p"))
    assert "_SUCCESS" in names
    parts = [n for n in names if n != "_SUCCESS"]
    assert parts and all(re.fullmatch(r"part-\d{5}-[0-9a-f-]{36}-c000\.snappy\.parquet", n)
                         for n in parts)
    for n in parts:
        with open(tmp_path / "p" / n, "rb") as f:
            data = f.read()
        assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    df.write.mode("overwrite").parquet(str(tmp_path / "p"), compression="zstd")
    assert all(n.endswith(".zstd.parquet") for n in os.listdir(tmp_path / "p") if n != "_SUCCESS")
    df.write.format("parquet").option("compression", "none").save(str(tmp_path / "u"))
    assert any(re.fullmatch(r"part-\d{5}-[0-9a-f-]{36}-c000\.parquet", n)
               for n in os.listdir(tmp_path / "u"))
