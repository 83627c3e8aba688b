#!/usr/bin/python3
"""Writes the fixed data set of tests/unit/test_ml_evaluate.c and the values
scikit-learn computes on it.

Run with Debian's Python (the one that has scikit-learn):

    /usr/bin/python3 tests/ml/sklearn_metrics.py

It writes, next to this script:
  metrics_data.csv      200 rows: score,blabel,yhat,y,mpred,mlabel
                        (binary score and 0/1 label; regression prediction
                        and target; multiclass prediction and label in 0..3)
  metrics_expected.txt  one "name value" per line (values in repr form);
                        confusion is "confusion <16 counts, row = label>".
Both are checked in; the C test reads them and compares within 1e-9.
"""
import os

import numpy as np
import sklearn
from sklearn import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
N = 200
K = 4


def make_data():
    rng = np.random.default_rng(20240607)
    blabel = (rng.random(N) < 0.4).astype(int)
    # Scores that lean towards the label, rounded to 0.05 so many are tied,
    # with a few at exactly 0 and 1 to exercise log loss clipping.
    raw = np.clip(0.35 * blabel + rng.random(N) * 0.65, 0, 1)
    score = np.round(raw * 20) / 20
    score[:3] = [0.0, 1.0, 0.5]
    # Regression: a noisy linear target and a prediction of it.
    y = rng.normal(10.0, 3.0, N)
    yhat = 0.8 * y + 2.0 + rng.normal(0.0, 1.5, N)
    # Multiclass: right 60% of the time, otherwise any class.
    mlabel = rng.integers(0, K, N)
    mpred = np.where(rng.random(N) < 0.6, mlabel, rng.integers(0, K, N))
    return score, blabel, yhat, y, mpred, mlabel


def main():
    score, blabel, yhat, y, mpred, mlabel = make_data()
    with open(os.path.join(HERE, "metrics_data.csv"), "w") as f:
        f.write("score,blabel,yhat,y,mpred,mlabel\n")
        for row in zip(score, blabel, yhat, y, mpred, mlabel):
            f.write("%r,%d,%r,%r,%d,%d\n" % (float(row[0]), row[1], float(row[2]),
                                              float(row[3]), row[4], row[5]))
    threshold = 0.5
    bpred = (score >= threshold).astype(int)
    tn, fp, fn, tp = metrics.confusion_matrix(blabel, bpred, labels=[0, 1]).ravel()
    out = [
        ("threshold", threshold),
        ("auc_roc", metrics.roc_auc_score(blabel, score)),
        ("log_loss", metrics.log_loss(blabel, score, eps=1e-15)),
        ("accuracy", metrics.accuracy_score(blabel, bpred)),
        ("precision", metrics.precision_score(blabel, bpred, zero_division=0)),
        ("recall", metrics.recall_score(blabel, bpred, zero_division=0)),
        ("f1", metrics.f1_score(blabel, bpred, zero_division=0)),
        ("tp", tp), ("fp", fp), ("tn", tn), ("fn", fn),
        ("mse", metrics.mean_squared_error(y, yhat)),
        ("rmse", metrics.mean_squared_error(y, yhat, squared=False)),
        ("mae", metrics.mean_absolute_error(y, yhat)),
        ("r2", metrics.r2_score(y, yhat)),
        ("explained_variance", metrics.explained_variance_score(y, yhat)),
        ("m_accuracy", metrics.accuracy_score(mlabel, mpred)),
        ("m_weighted_precision",
         metrics.precision_score(mlabel, mpred, average="weighted", zero_division=0)),
        ("m_weighted_recall",
         metrics.recall_score(mlabel, mpred, average="weighted", zero_division=0)),
        ("m_weighted_f1", metrics.f1_score(mlabel, mpred, average="weighted", zero_division=0)),
    ]
    cm = metrics.confusion_matrix(mlabel, mpred, labels=list(range(K)))
    with open(os.path.join(HERE, "metrics_expected.txt"), "w") as f:
        f.write("# tests/ml/sklearn_metrics.py: scikit-learn %s on metrics_data.csv\n"
                % sklearn.__version__)
        for name, value in out:
            if isinstance(value, (int, np.integer)):
                f.write("%s %d\n" % (name, value))
            else:
                f.write("%s %r\n" % (name, float(value)))
        f.write("confusion %s\n" % " ".join(str(int(c)) for c in cm.ravel()))


if __name__ == "__main__":
    main()
