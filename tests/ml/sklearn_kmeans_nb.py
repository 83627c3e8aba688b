#!/usr/bin/python3
"""
tests/ml/sklearn_kmeans_nb.py - reference results of scikit-learn for the
k-means and naive Bayes tests (tests/unit/test_ml_kmeans.c, test_ml_nb.c).

Writes, next to this script:
  kmeans_data.csv   300 points of 4 features (three overlapping blobs), no header
  nb_data.csv       label (0..2) then 6 non-negative integer counts, no header
  sklearn_kmeans_nb_expected.txt
                    blocks "name rows cols" followed by rows*cols values:
                    kmeans_initial   the fixed initial centres (the first three points)
                    kmeans_centers   KMeans(n_clusters=3, init=kmeans_initial, n_init=1,
                                     algorithm="lloyd", tol=0).fit(data).cluster_centers_
                    kmeans_inertia   its inertia_ (cost to the final centres)
                    nb_class_log_prior, nb_feature_log_prob
                                     MultinomialNB(alpha=1).fit(X, y) attributes

Run with Debian's interpreter, which has scikit-learn:
    /usr/bin/python3 tests/ml/sklearn_kmeans_nb.py
The outputs are checked in; rerun only to change the data.
"""
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.naive_bayes import MultinomialNB

HERE = os.path.dirname(os.path.abspath(__file__))


def block(out, name, a):
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    out.write("%s %d %d\n" % (name, a.shape[0], a.shape[1]))
    for row in a:
        out.write(" ".join(repr(float(x)) for x in row) + "\n")


def main():
    rng = np.random.RandomState(20240611)

    # k-means: three blobs in 4-d whose tails overlap, shuffled; the first
    # three points start the iterations (so Lloyd takes several steps).
    means = np.array([[0.0, 0.0, 0.0, 0.0], [4.0, 1.0, -2.0, 3.0], [-3.0, 5.0, 2.0, -1.0]])
    pts = np.vstack([m + rng.normal(scale=1.5, size=(100, 4)) for m in means])
    pts = pts[rng.permutation(len(pts))]
    pts = np.round(pts, 6)  # short text that reads back exactly
    init = pts[:3].copy()
    km = KMeans(n_clusters=3, init=init, n_init=1, algorithm="lloyd", tol=0.0,
                max_iter=300).fit(pts)

    # Multinomial naive Bayes: 90 documents of 6 word counts, 3 classes.
    rates = np.array([[5, 1, 1, 2, 0.5, 3], [1, 4, 2, 0.2, 3, 1], [2, 2, 6, 1, 1, 0.1]])
    y = np.repeat(np.arange(3), [40, 30, 20])
    X = np.vstack([rng.poisson(rates[c]) for c in y]).astype(np.float64)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    nb = MultinomialNB(alpha=1.0).fit(X, y)

    with open(os.path.join(HERE, "kmeans_data.csv"), "w") as f:
        for row in pts:
            f.write(",".join(repr(float(x)) for x in row) + "\n")
    with open(os.path.join(HERE, "nb_data.csv"), "w") as f:
        for label, row in zip(y, X):
            f.write("%d," % label + ",".join("%d" % x for x in row) + "\n")
    with open(os.path.join(HERE, "sklearn_kmeans_nb_expected.txt"), "w") as f:
        f.write("# scikit-learn %s, numpy %s (tests/ml/sklearn_kmeans_nb.py)\n"
                % (sklearn.__version__, np.__version__))
        block(f, "kmeans_initial", init)
        block(f, "kmeans_centers", km.cluster_centers_)
        block(f, "kmeans_inertia", [km.inertia_])
        block(f, "kmeans_n_iter", [km.n_iter_])
        block(f, "nb_class_log_prior", nb.class_log_prior_)
        block(f, "nb_feature_log_prob", nb.feature_log_prob_)


if __name__ == "__main__":
    main()
