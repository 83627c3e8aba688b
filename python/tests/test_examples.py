"""The example scripts of python/examples run as a user runs them (a
subprocess with PYTHONPATH=build/python), their answers compared with a
plain-Python computation on the same files (_reference.py). Skipped when
../shared/data is absent."""
import glob
import json
import os
import subprocess
import sys

import _reference as ref
from conftest import ROOT, shared_data

EXAMPLES = os.path.join(ROOT, "python", "examples")


def example(name, *args, master="local[2]"):
    """Runs python/examples/name with args; its stdout."""
    import _kiln
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(_kiln.__file__)))
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args, "--master", master],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_wordcount(tmp_path):
    books = shared_data("gutenberg")
    out = tmp_path / "counts"
    example("wordcount.py", os.path.join(books, "*.txt"), str(out))
    got = {}
    for part in glob.glob(str(out / "part-*")):
        with open(part, encoding="utf-8", errors="surrogateescape") as f:
            for line in f.read().split("\n"):
                if line:
                    word, n = line.rsplit("\t", 1)
                    assert word not in got
                    got[word] = int(n)
    want = ref.word_counts(sorted(glob.glob(os.path.join(books, "*.txt"))), split=True)
    assert got == dict(want)


def test_movielens_top():
    ml = shared_data("movielens-100k")
    got = json.loads(example("movielens_top.py", ml, "--json", master="local-cluster[2,1,512]"))
    want = ref.movielens_top(ml)
    assert [(t, n) for t, _, n in got] == [(t, n) for t, _, n in want]
    assert all(abs(a[1] - b[1]) < 1e-12 for a, b in zip(got, want))
    # A lower bar lets more (and different) movies in.
    got = json.loads(example("movielens_top.py", ml, "--json", "--min-ratings", "1"))
    assert [t for t, _, _ in got] == [t for t, _, _ in ref.movielens_top(ml, 1)]


def test_log_analysis():
    path = shared_data("access-logs", "apache_logs")
    got, want = json.loads(example("log_analysis.py", path, "--json")), ref.log_analysis(path)
    assert abs(got.pop("size_avg") - want.pop("size_avg")) < 1e-6
    assert got == want


def test_sensor_hourly():
    root = shared_data("iot-room-climate")
    got, want = json.loads(example("sensor_hourly.py", root, "--json")), ref.sensor_hourly(root)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g[:4] == list(w[:4])
        assert all(abs(a - b) < 1e-9 for a, b in zip(g[4:], w[4:]))


def test_song_year_regression():
    path = shared_data("millionsong", "millionsong.txt")
    got = json.loads(example("song_year_regression.py", path, "--json"))
    X, y = ref.songs(path)
    assert got["rows"] == len(y) and got["train"] + got["test"] == len(y)
    best = ref.least_squares_sse(X, y)
    assert ref.least_squares_sse(X, y, got["coefficients"], got["intercept"]) <= best * 1.0001
    assert got["rmse"] < got["baseline_rmse"]


def test_ctr_logistic():
    path = shared_data("ctr-samples", "criteo_sample.txt")
    got = json.loads(example("ctr_logistic.py", path, "--json"))
    X, y = ref.clicks(path)
    reg = got["reg_param"]
    coef, intercept = ref.logistic_optimum(X, y, reg)
    best = ref.logistic_objective(X, y, coef, intercept, reg)
    assert ref.logistic_objective(X, y, got["coefficients"], got["intercept"], reg) <= best + 1e-4
    assert 0.5 < got["auc"] <= 1.0
