#!/usr/bin/python3
"""Regenerates the GLM test data and scikit-learn's answers on it.

    /usr/bin/python3 tests/ml/sklearn_glm.py     # Debian's python3-sklearn

Writes tests/ml/glm_reg.csv and tests/ml/glm_cls.csv (label first, then the
features; fixed seeds) and tests/ml/glm_expected.txt, one line per fit:
    NAME intercept coef_1 ... coef_d [objective]
The objectives are scikit-learn's own scaling converted to kiln's
(1/2n squared error or 1/n log loss, plus reg * (enet |w|_1 + (1-enet)/2 |w|^2)).
"""
import os
import numpy as np
from sklearn.linear_model import LinearRegression, Ridge, Lasso, ElasticNet, LogisticRegression

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(42)
n, d = 400, 6
X = rng.normal(size=(n, d)) * np.array([1, 2, 0.5, 3, 1, 0.2])
w = np.array([1.5, -2.0, 0.0, 0.7, 0.0, 3.0])
y = X @ w + 4.0 + rng.normal(scale=0.5, size=n)
np.savetxt(os.path.join(here, "glm_reg.csv"), np.column_stack([y, X]), delimiter=",", fmt="%.17g")
Xc = rng.normal(size=(n, d))
p = 1 / (1 + np.exp(-(Xc @ np.array([1.0, -1.5, 0.5, 0, 2.0, -0.3]) - 0.4)))
yc = (rng.uniform(size=n) < p).astype(float)
np.savetxt(os.path.join(here, "glm_cls.csv"), np.column_stack([yc, Xc]), delimiter=",", fmt="%.17g")

def sq_obj(m, reg, enet):
    r = y - X @ m.coef_ - m.intercept_
    c = m.coef_
    return (r @ r) / (2 * n) + reg * (enet * np.abs(c).sum() + (1 - enet) / 2 * (c @ c))

out = []
def line(name, intercept, coef, obj=None):
    vals = [intercept] + list(coef) + ([obj] if obj is not None else [])
    out.append(name + " " + " ".join("%.17g" % v for v in vals))

m = LinearRegression().fit(X, y)
line("ols", m.intercept_, m.coef_, sq_obj(m, 0, 0))
reg = 0.1  # kiln: (1/2n)|r|^2 + reg/2 |w|^2  ==  sklearn Ridge alpha = reg * n
m = Ridge(alpha=reg * n, tol=1e-12).fit(X, y)
line("ridge", m.intercept_, m.coef_, sq_obj(m, reg, 0))
m = Lasso(alpha=reg, tol=1e-12, max_iter=100000).fit(X, y)
line("lasso", m.intercept_, m.coef_, sq_obj(m, reg, 1))
m = ElasticNet(alpha=reg, l1_ratio=0.5, tol=1e-12, max_iter=100000).fit(X, y)
line("enet", m.intercept_, m.coef_, sq_obj(m, reg, 0.5))
C = 1.0  # kiln: (1/n) sum logloss + reg/2 |w|^2  ==  sklearn C = 1 / (reg * n)
m = LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(Xc, yc)
line("logreg", m.intercept_[0], m.coef_[0])
from sklearn.metrics import roc_auc_score
out.append("logreg_auc %.17g" % roc_auc_score(yc, m.predict_proba(Xc)[:, 1]))
with open(os.path.join(here, "glm_expected.txt"), "w") as f:
    f.write("\n".join(out) + "\n")
