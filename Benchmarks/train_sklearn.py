#!/usr/bin/env python3
"""What `plankterm train --head linear` does, written with scikit-learn and scipy, on the same features.

Reads a plankterm project (its SQLite database and embeddings file; read-only), builds the same
design matrix (the L2-normalised embedding plus log(width*height), standardised on the labelled
images), then times the same pipeline: 5-fold stratified out-of-fold LogisticRegression (lbfgs,
C=1, class_weight='balanced', tol=1e-4 as plankterm), temperature scaling + per-class bias (BCTS)
fitted on the out-of-fold logits with balanced weights, the final fit on all labels, and
predicting every image. Prints one JSON line with the seconds of each part.

Usage: python Benchmarks/train_sklearn.py PROJECT [--max-iter 500] [--threads 2]
"""
import argparse
import json
import sqlite3
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("project")
    ap.add_argument("--max-iter", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    from threadpoolctl import threadpool_limits
    threadpool_limits(a.threads)
    from scipy.optimize import minimize
    from scipy.special import logsumexp
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    import sklearn

    db = sqlite3.connect(f"file:{a.project}/plankterm.sqlite?mode=ro", uri=True)
    encoder, = db.execute("""SELECT modelId FROM embeddingRow GROUP BY modelId ORDER BY COUNT(*) DESC LIMIT 1""").fetchone()
    dim = json.load(open(f"{a.project}/embeddings/{encoder}.json"))["dimension"]
    emb = np.fromfile(f"{a.project}/embeddings/{encoder}.f32", dtype=np.float32).reshape(-1, dim)
    rows = db.execute("""SELECT e.row, i.width, i.height, l.classId FROM embeddingRow e JOIN image i ON i.id = e.imageId
                         LEFT JOIN currentLabel l ON l.imageId = e.imageId AND l.status = 'validated'
                         WHERE e.modelId = ? AND i.failure IS NULL AND i.missingSince IS NULL ORDER BY e.row""",
                      (encoder,)).fetchall()
    r = np.array([x[0] for x in rows])
    X = np.hstack([emb[r].astype(np.float64), np.log(np.array([x[1] * x[2] for x in rows], dtype=np.float64))[:, None]])
    labelled = np.array([i for i, x in enumerate(rows) if x[3] is not None])
    classes, y = np.unique(np.array([rows[i][3] for i in labelled]), return_inverse=True)
    K = len(classes)

    t0 = time.perf_counter()
    mu, sd = X[labelled].mean(0), X[labelled].std(0)
    sd[sd < 1e-12] = 1
    Xs = (X - mu) / sd
    XL = Xs[labelled]
    oof = np.zeros((len(labelled), K))
    iters = []
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(XL, y):
        clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=a.max_iter, tol=1e-4).fit(XL[tr], y[tr])
        iters.append(int(clf.n_iter_.max()))
        z = np.full((len(te), K), -30.0)
        z[:, clf.classes_] = clf.decision_function(XL[te])
        oof[te] = z
    t1 = time.perf_counter()
    w = len(y) / (K * np.bincount(y, minlength=K))[y]

    def objective(th):
        t, b = np.exp(th[0]), th[1:]
        zz = oof / t + b
        lse = logsumexp(zz, 1)
        p = np.exp(zz - lse[:, None])
        f = np.sum(w * (lse - zz[np.arange(len(y)), y])) / w.sum()
        g = p.copy()
        g[np.arange(len(y)), y] -= 1
        g *= (w / w.sum())[:, None]
        return f, np.concatenate([[-(g * oof / t).sum()], g.sum(0)])

    cal = minimize(objective, np.zeros(K + 1), jac=True, method="L-BFGS-B")
    t2 = time.perf_counter()
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=a.max_iter, tol=1e-4).fit(XL, y)
    iters.append(int(clf.n_iter_.max()))
    t3 = time.perf_counter()
    z = clf.decision_function(Xs) / np.exp(cal.x[0]) + cal.x[1:]
    p = np.exp(z - logsumexp(z, 1)[:, None])
    t4 = time.perf_counter()
    print(json.dumps({"bench": "train_sklearn", "images": len(rows), "labels": int(len(y)), "classes": int(K),
                      "features": int(X.shape[1]), "sklearn": sklearn.__version__, "lbfgs_iterations": iters,
                      "cv_fits_s": round(t1 - t0, 3), "calibration_s": round(t2 - t1, 3), "final_fit_s": round(t3 - t2, 3),
                      "predict_s": round(t4 - t3, 3), "total_s": round(t4 - t0, 3), "temperature": float(np.exp(cal.x[0])),
                      "mean_max_p": float(p.max(1).mean())}))


if __name__ == "__main__":
    sys.exit(main())
