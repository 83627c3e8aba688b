"""Plain-Python answers of the examples and notebooks (python/examples,
python/notebooks), computed from the same files without kiln, for
test_examples.py and test_notebooks.py to compare with."""
import collections
import glob
import math
import os
import re

WORD = re.compile(r"[a-z']+")
LOG_PATTERN = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)\s*(\S*)\s*" (\d{3}) (\S+)')


def _lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return re.split(r"\r\n|\n|\r", f.read())


def word_counts(paths, split=None):
    """Counter of words: lower-case [a-z']+ runs (split: str.split instead)."""
    c = collections.Counter()
    for p in paths:
        with open(p, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        c.update(text.split() if split else WORD.findall(text.lower()))
    return c


def top_words(books_dir, n=10):
    """[[word, count]] of the n most frequent words, ties by word."""
    c = word_counts(sorted(glob.glob(os.path.join(books_dir, "*.txt"))))
    return [[w, k] for w, k in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def movielens_top(ml_dir, min_ratings=100, n=10):
    """[[title, average, count]] as movielens_top.py computes them."""
    sums = collections.defaultdict(lambda: [0, 0])
    with open(os.path.join(ml_dir, "u.data")) as f:
        for line in f:
            _, movie, rating, _ = line.split("\t")
            s = sums[int(movie)]
            s[0] += int(rating)
            s[1] += 1
    titles = {}
    with open(os.path.join(ml_dir, "u.item"), encoding="latin-1") as f:
        for line in f:
            fields = line.rstrip("\n").split("|")
            titles[int(fields[0])] = fields[1]
    rows = [[titles[m], s[0] / s[1], s[1]] for m, s in sums.items()
            if s[1] >= min_ratings and m in titles]
    return sorted(rows, key=lambda t: (-t[1], t[0]))[:n]


def log_analysis(path, n=10):
    """The log lab's answers (log_analysis.py's dict)."""
    rows = []
    for line in _lines(path):
        m = LOG_PATTERN.match(line)
        if not m or not m.group(1):
            continue
        size = m.group(7)
        rows.append((m.group(1), m.group(4), int(m.group(6)),
                     None if size == "-" else int(size) if size.isdigit() else None))
    sizes = [r[3] for r in rows if r[3] is not None]
    statuses = collections.Counter(r[2] for r in rows)
    endpoints = collections.Counter(r[1] for r in rows)
    errors = collections.Counter(r[1] for r in rows if r[2] != 200)

    def top(c):
        return [[k, v] for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]
    return {"requests": len(rows), "size_min": min(sizes), "size_avg": sum(sizes) / len(sizes),
            "size_max": max(sizes), "statuses": sorted([k, v] for k, v in statuses.items()),
            "unique_hosts": len({r[0] for r in rows}), "top_endpoints": top(endpoints),
            "top_error_endpoints": top(errors), "not_found": statuses.get(404, 0)}


def sensor_hourly(root):
    """[[location, node, hour, readings, avg, min, max temp, avg rel_h]]
    ordered by location, node, hour (pandas)."""
    import pandas as pd
    frames = []
    for loc in ["A", "B", "C"]:
        for p in sorted(glob.glob(os.path.join(root, "datasets-location_" + loc, "*.csv"))):
            df = pd.read_csv(p, header=None, skipinitialspace=True)
            df = df.iloc[:, [1, 3, 4, 5]]
            df.columns = ["abs_ms", "node", "temp", "rel_h"]
            df["location"] = loc
            frames.append(df)
    df = pd.concat(frames)
    df["hour"] = (df["abs_ms"] // 3600000) * 3600
    g = df.groupby(["location", "node", "hour"]).agg(
        readings=("temp", "size"), avg_temp=("temp", "mean"), min_temp=("temp", "min"),
        max_temp=("temp", "max"), avg_rel_h=("rel_h", "mean")).reset_index()
    return g.sort_values(["location", "node", "hour"]).values.tolist()


def songs(path):
    """(X, y) of millionsong.txt: 12 features, years since the earliest."""
    import numpy as np
    a = np.loadtxt(path, delimiter=",")
    return a[:, 1:], a[:, 0] - a[:, 0].min()


def least_squares_sse(X, y, coef=None, intercept=None):
    """The sum of squared errors of (coef, intercept), or of the optimum."""
    import numpy as np
    A = np.hstack([X, np.ones((len(X), 1))])
    if coef is None:
        w = np.linalg.lstsq(A, y, rcond=None)[0]
    else:
        w = np.append(np.asarray(coef), intercept)
    r = A @ w - y
    return float(r @ r)


def clicks(path):
    """(X, y) of the Criteo sample as ctr_logistic.py builds them."""
    import numpy as np
    import pandas as pd
    df = pd.read_csv(path)
    X = np.log1p(np.maximum(df[["I%d" % i for i in range(1, 14)]].fillna(0.0).values, 0.0))
    return X.astype(float), df["label"].values.astype(float)


def logistic_objective(X, y, coef, intercept, reg):
    """Mean log-loss plus reg/2 |coef|^2 (Spark's, standardization off)."""
    import numpy as np
    z = X @ np.asarray(coef) + intercept
    loss = np.mean(np.logaddexp(0, z) - y * z)
    return float(loss + reg / 2 * np.dot(coef, coef))


def logistic_optimum(X, y, reg, iters=50):
    """(coef, intercept) minimising logistic_objective, by Newton's method."""
    import numpy as np
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    w = np.zeros(d + 1)
    P = np.eye(d + 1) * reg
    P[d, d] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(A @ w)))
        g = A.T @ (p - y) / n + P @ w
        H = (A.T * (p * (1 - p))) @ A / n + P
        w -= np.linalg.solve(H, g)
    return w[:d], float(w[d])


def auc(labels, scores):
    """Area under ROC by ranks (ties averaged)."""
    pairs = sorted(zip(scores, labels))
    ranks, i = [0.0] * len(pairs), 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(1 for _, l in pairs if l == 1)
    neg = len(pairs) - pos
    s = sum(r for r, (_, l) in zip(ranks, pairs) if l == 1)
    return (s - pos * (pos + 1) / 2) / (pos * neg) if pos and neg else math.nan
