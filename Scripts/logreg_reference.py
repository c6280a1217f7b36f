#!/usr/bin/env python3
"""Reference numbers for plankterm's logistic regression test (Tests/LearningTests).

Builds the same small problem as the Swift test (deterministic formulas, no RNG): 60 samples, 4
features, 3 classes of unequal size, sample i has features x_ij = sin(1.3 i + 0.7 j) + 0.5 [j == y_i],
class y_i = 0 for i < 30, 1 for 30 <= i < 48, 2 otherwise. Fits scikit-learn's LogisticRegression
(lbfgs, multinomial, C = 0.5, class_weight='balanced') to tight tolerance and prints coef_ and
intercept_ as Swift array literals.

Usage: python Scripts/logreg_reference.py   (needs numpy and scikit-learn; e.g. /tmp/bench-venv)
"""
import math

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

n, d = 60, 4
y = np.array([0 if i < 30 else (1 if i < 48 else 2) for i in range(n)])
X = np.array([[math.sin(1.3 * i + 0.7 * j) + (0.5 if j == y[i] else 0.0) for j in range(d)] for i in range(n)])
clf = LogisticRegression(C=0.5, class_weight="balanced", tol=1e-12, max_iter=100000).fit(X, y)
print(f"// scikit-learn {sklearn.__version__}, numpy {np.__version__}")
print("let coef: [Double] = [" + ", ".join(f"{v:.10f}" for v in clf.coef_.ravel()) + "]")
print("let intercept: [Double] = [" + ", ".join(f"{v:.10f}" for v in clf.intercept_) + "]")
print("let probabilitiesOfFirstRow: [Double] = [" + ", ".join(f"{v:.10f}" for v in clf.predict_proba(X[:1])[0]) + "]")
