#!/usr/bin/python3
"""The adult_income example's model with scikit-learn, for tests/e2e/ml_examples.sh.

usage: sklearn_adult.py TRAIN TEST REG
One-hot encoding of the 8 categorical columns (categories fitted on TRAIN,
unseen ones ignored), the 6 numeric columns as they are; the label is
">50K" (with or without a trailing "."). kiln standardises as Spark does:
the penalty reg * |w * std|^2 / 2 on the mean log loss, std the unbiased
one of the training features; that is scikit-learn's L2 logistic regression
on X / std with C = 1 / (reg * n). Prints "auc=... accuracy=... logloss=...".
"""
import sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.preprocessing import OneHotEncoder

CATEGORICAL = [1, 3, 5, 6, 7, 8, 9, 13]
NUMERIC = [0, 2, 4, 10, 11, 12]


def read(path, skip_first):
    rows = []
    with open(path) as f:
        for i, line in enumerate(f):
            if (skip_first and i == 0) or not line.strip() or line.startswith("|"):
                continue
            rows.append([x.strip() for x in line.split(",")])
    num = np.array([[float(r[c]) for c in NUMERIC] for r in rows])
    cat = np.array([[r[c] for c in CATEGORICAL] for r in rows])
    y = np.array([1.0 if r[14].rstrip(".") == ">50K" else 0.0 for r in rows])
    return num, cat, y


def main():
    train, test, reg = sys.argv[1], sys.argv[2], float(sys.argv[3])
    ntr, ctr, ytr = read(train, False)
    nte, cte, yte = read(test, True)
    enc = OneHotEncoder(handle_unknown="ignore").fit(ctr)
    xtr = np.hstack([ntr, enc.transform(ctr).toarray()])
    xte = np.hstack([nte, enc.transform(cte).toarray()])
    sd = xtr.std(axis=0, ddof=1)
    sd[sd == 0] = 1
    m = LogisticRegression(C=1 / (reg * len(ytr)), tol=1e-10, max_iter=10000)
    m.fit(xtr / sd, ytr)
    p = m.predict_proba(xte / sd)[:, 1]
    print(f"auc={roc_auc_score(yte, p):.6f} accuracy={accuracy_score(yte, p >= 0.5):.6f} "
          f"logloss={log_loss(yte, p):.6f}")


main()
