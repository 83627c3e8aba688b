"""The notebooks of python/notebooks executed headless by nbclient with the
"kiln" kernel (kiln.kernel's kernelspec written into a temporary
JUPYTER_PATH), their result cells checked against a plain-Python answer on
the same data (_reference.py); the IPython extension (%load_ext kiln: sc,
spark, the progress line) in a notebook of its own; the kernelspec seen by
`jupyter kernelspec list`. The shared datasets missing, the data notebooks
skip."""
import importlib
import json
import os
import shutil
import subprocess
import sys

import pytest

import _reference as ref
from conftest import ROOT, SHARED_DATA, shared_data

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = os.path.join(ROOT, "python", "notebooks")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """The kiln kernelspec in a temporary prefix, found through JUPYTER_PATH;
    the kernels see the shared data as $KILN_DATA and run local[2]."""
    from kiln import kernel as kk
    prefix = tmp_path_factory.mktemp("jupyter")
    kk.install(prefix=str(prefix))
    saved = dict(os.environ)
    os.environ["JUPYTER_PATH"] = os.path.join(str(prefix), "share", "jupyter")
    os.environ["KILN_DATA"] = os.path.abspath(SHARED_DATA)
    os.environ["KILN_MASTER"] = "local[2]"
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    yield prefix
    os.environ.clear()
    os.environ.update(saved)


def execute(nb):
    """nb executed by a kiln kernel in python/notebooks (a new notebook)."""
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="kiln",
                                     resources={"metadata": {"path": NOTEBOOKS}})
    client.execute()
    return nb


def run_notebook(name):
    return execute(nbformat.read(os.path.join(NOTEBOOKS, name + ".ipynb"), as_version=4))


def text_of(cell):
    """A code cell's printed and displayed text."""
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o["text"])
        elif "data" in o and "text/plain" in o["data"]:
            out.append(o["data"]["text/plain"])
    return "".join(out)


def result_of(nb):
    """The JSON the cell tagged "result" printed."""
    for cell in nb.cells:
        if "result" in cell.get("metadata", {}).get("tags", []):
            for o in cell.outputs:
                if o.get("output_type") == "stream" and o["name"] == "stdout":
                    return json.loads(o["text"].strip().splitlines()[-1])
    raise AssertionError("no result cell output")


# ---- The kernel ----------------------------------------------------------------

def kernelspec_list(env):
    """`jupyter kernelspec list` (jupyter_client's app when Debian's
    jupyter-client tools, which provide the subcommand, are absent)."""
    if shutil.which("jupyter-kernelspec"):
        cmd = ["jupyter", "kernelspec", "list"]
    else:
        cmd = [sys.executable, "-Xfrozen_modules=off", "-m", "jupyter_client.kernelspecapp",
               "list"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=True)


def test_kernelspec_listed(kernel):
    out = kernelspec_list(dict(os.environ)).stdout
    line = [ln for ln in out.splitlines() if ln.split()[:1] == ["kiln"]]
    assert line, out
    assert line[0].split()[1] == os.path.join(str(kernel), "share", "jupyter", "kernels", "kiln")
    with open(os.path.join(line[0].split()[1], "kernel.json")) as f:
        spec = json.load(f)
    import _kiln
    assert os.path.dirname(os.path.abspath(_kiln.__file__)) in spec["env"]["PYTHONPATH"].split(
        os.pathsep)
    assert spec["argv"][0] == sys.executable


def test_kernel_install_command(tmp_path):
    """`python3 -m kiln.kernel install --user` writes into the user's data
    dir (JUPYTER_DATA_DIR here); --load-ext and --master reach kernel.json."""
    env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path / "data"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("JUPYTER_PATH", None)
    r = subprocess.run([sys.executable, "-m", "kiln.kernel", "install", "--user", "--load-ext",
                        "--master", "local[1]"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    path = tmp_path / "data" / "kernels" / "kiln"
    spec = json.loads((path / "kernel.json").read_text())
    assert "--ext=kiln" in spec["argv"]
    assert spec["env"]["KILN_MASTER"] == "local[1]"
    assert str(path) in kernelspec_list(env).stdout
    bad = subprocess.run([sys.executable, "-m", "kiln.kernel", "install", "--user",
                          "--prefix", "x"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "not allowed with" in bad.stderr


EXTENSION_CELLS = [
    "%load_ext kiln",
    "import kiln.notebook\nkiln.notebook.progress(show_after=0)\n"
    "sorted(sc.parallelize(range(1000), 4).map(lambda x: (x % 3, 1))"
    ".reduceByKey(lambda a, b: a + b).collect())",
    "try:\n    sc.parallelize([1, 0], 2).map(lambda x: 1 // x).collect()\n"
    "except ZeroDivisionError as e:\n    print('raised', type(e).__name__)",
    "print(sc.master, sc.getConf().get('kiln.ui.showConsoleProgress'), 'spark' in dir())\n"
    "first = id(sc)",
    "%unload_ext kiln",
    "sc.parallelize(range(10), 2).count()",
    "%load_ext kiln",
    "print(id(sc) == first)",
]


def test_extension(kernel):
    """%load_ext kiln defines sc (spark with kiln.sql), draws each job's
    progress line under its cell and its end; %unload_ext stops drawing."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in EXTENSION_CELLS]
    nb = execute(nb)
    c = nb.cells
    assert text_of(c[0]).strip() == "kiln %s: spark and sc defined (master local[2])" % (
        importlib.import_module("kiln").__version__)
    # The job's line, updated in place to its end: one display, HTML and text.
    lines = [o for o in c[1].outputs if o.get("output_type") == "display_data"]
    assert len(lines) == 1, c[1].outputs
    text = lines[0]["data"]["text/plain"]
    assert text.startswith("Job ") and "(collect) finished in" in text and "2 stages" in text
    assert 'class="kiln-progress"' in lines[0]["data"]["text/html"]
    assert "[(0, 334), (1, 333), (2, 333)]" in text_of(c[1])
    failed = [o for o in c[2].outputs if o.get("output_type") == "display_data"]
    assert "(collect) failed in" in failed[-1]["data"]["text/plain"]
    assert "raised ZeroDivisionError" in text_of(c[2])
    assert text_of(c[3]).split() == ["local[2]", "false", "True"]
    assert not [o for o in c[5].outputs if o.get("output_type") == "display_data"]
    assert "10" in text_of(c[5])
    assert text_of(c[7]).strip() == "True"


# ---- The notebooks -------------------------------------------------------------

def test_word_count(kernel):
    books = shared_data("gutenberg")
    assert result_of(run_notebook("word_count")) == ref.top_words(books)


def test_movielens_top_movies(kernel):
    ml = shared_data("movielens-100k")
    got, want = result_of(run_notebook("movielens_top_movies")), ref.movielens_top(ml)
    assert [(t, n) for t, _, n in got] == [(t, n) for t, _, n in want]
    assert all(abs(a[1] - b[1]) < 1e-12 for a, b in zip(got, want))


def test_log_analysis(kernel):
    path = shared_data("access-logs", "apache_logs")
    got, want = result_of(run_notebook("log_analysis")), ref.log_analysis(path)
    assert abs(got.pop("size_avg") - want.pop("size_avg")) < 1e-6
    assert got == want


def test_sensor_hourly(kernel):
    root = shared_data("iot-room-climate")
    got, want = result_of(run_notebook("sensor_hourly")), ref.sensor_hourly(root)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g[:4] == list(w[:4])
        assert all(abs(a - b) < 1e-9 for a, b in zip(g[4:], w[4:]))


def test_song_year_regression(kernel):
    path = shared_data("millionsong", "millionsong.txt")
    got = result_of(run_notebook("song_year_regression"))
    X, y = ref.songs(path)
    best = ref.least_squares_sse(X, y)
    assert ref.least_squares_sse(X, y, got["coefficients"], got["intercept"]) <= best * 1.0001
    assert got["rmse"] < got["baseline_rmse"]
    assert 0 < got["r2"] < 1


def test_ctr_logistic_regression(kernel):
    path = shared_data("ctr-samples", "criteo_sample.txt")
    got = result_of(run_notebook("ctr_logistic_regression"))
    X, y = ref.clicks(path)
    reg = got["reg_param"]
    coef, intercept = ref.logistic_optimum(X, y, reg)
    best = ref.logistic_objective(X, y, coef, intercept, reg)
    assert ref.logistic_objective(X, y, got["coefficients"], got["intercept"], reg) <= best + 1e-4
    assert 0.5 < got["auc"] <= 1.0
    assert 0 < got["accuracy"] <= 1.0
