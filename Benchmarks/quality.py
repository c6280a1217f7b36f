"""Label efficiency of features on the NDSB dev set (121 classes): a logistic-regression probe and kNN
(k = 20, cosine, weights exp(sim / 0.07) summed per class, as plankterm's kNN head) trained on 10 or 50 labels per
class, tested on every other image, over 5 seeds. Prints one JSON line per feature set and a Markdown table.

  python Benchmarks/quality.py --raw ../shared/data/ndsb-planktonset/png \
      --npy random=/tmp/q/random --npy plankterm=/tmp/q/plankterm --npy pytorch=/tmp/q/torch

--raw NAME=DIR or DIR: raw pixels at 16×16 (luma, light-on-dark, padded, area-resized), from class folders.
--npy NAME=DIR: a `plankterm export --format npy` folder (embeddings.npy + index.csv with labels).
A class gets min(n, size // 2) training labels so that every class keeps test images.
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def raw_features(root, side=16):
    feats, labels = [], []
    for cls in sorted(os.listdir(root)):
        folder = os.path.join(root, cls)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            with Image.open(os.path.join(folder, name)) as im:
                g = np.asarray(im.convert("L"), dtype=np.uint8)
            border = np.concatenate([g[0], g[-1], g[1:-1, 0], g[1:-1, -1]])
            bg = int(np.sort(border)[(len(border) + 1) // 2 - 1])
            if bg > 127:
                g, bg = 255 - g, 255 - bg
            h, w = g.shape
            s = max(h, w)
            sq = np.full((s, s), bg, np.uint8)
            sq[(s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = g
            feats.append(np.asarray(Image.fromarray(sq).resize((side, side), Image.Resampling.BOX), np.float32).ravel() / 255)
            labels.append(cls)
    return np.stack(feats), np.array(labels)


def npy_features(folder):
    x = np.load(os.path.join(folder, "embeddings.npy"))
    with open(os.path.join(folder, "index.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    labels = np.array([r["label"] for r in rows])
    # rows in one order (class, file name) whoever wrote the folder, so that every feature set gets the
    # same label draws for a seed
    order = np.argsort(np.array([r["label"] + "/" + os.path.basename(r["path"]) for r in rows]), kind="stable")
    x, labels = x[order], labels[order]
    keep = labels != ""
    return x[keep], labels[keep]


def split(labels, n, rng):
    train = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        take = min(n, len(idx) // 2)
        train += list(rng.choice(idx, take, replace=False))
    mask = np.zeros(len(labels), bool)
    mask[train] = True
    return mask


def scores(truth, pred):
    classes = np.unique(truth)
    recall = [np.mean(pred[truth == c] == c) for c in classes]
    return float(np.mean(pred == truth)), float(np.mean(recall))


def knn(xtr, ytr, xte, k=20, temperature=0.07):
    a = xtr / np.maximum(np.linalg.norm(xtr, axis=1, keepdims=True), 1e-12)
    b = xte / np.maximum(np.linalg.norm(xte, axis=1, keepdims=True), 1e-12)
    classes, yi = np.unique(ytr, return_inverse=True)
    preds = []
    for start in range(0, len(b), 2048):
        sim = b[start:start + 2048] @ a.T
        top = np.argpartition(-sim, min(k, sim.shape[1] - 1), axis=1)[:, :k]
        votes = np.zeros((sim.shape[0], len(classes)))
        w = np.exp(np.take_along_axis(sim, top, 1) / temperature)
        np.add.at(votes, (np.arange(sim.shape[0])[:, None], yi[top]), w)
        preds.append(classes[votes.argmax(1)])
    return np.concatenate(preds)


def probe(xtr, ytr, xte):
    scaler = StandardScaler().fit(xtr)
    model = LogisticRegression(max_iter=2000, C=1.0)
    model.fit(scaler.transform(xtr), ytr)
    return model.predict(scaler.transform(xte))


def leave_one_out_knn(x, y, k=20, temperature=0.07, block=1024):
    """Every image classified by the kNN vote of all the others (cosine, k = 20, exp(sim / 0.07))."""
    z = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    z = z.astype(np.float32)
    classes, yi = np.unique(y, return_inverse=True)
    pred = np.empty(len(y), dtype=int)
    for start in range(0, len(y), block):
        sims = z[start:start + block] @ z.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        weights = np.exp(np.take_along_axis(sims, top, axis=1) / temperature)
        votes = np.zeros((sims.shape[0], len(classes)))
        np.add.at(votes, (rows[:, None].repeat(k, 1), yi[top]), weights)
        pred[start:start + block] = votes.argmax(1)
    return scores(y, classes[pred])


def evaluate(name, x, y, seeds, budgets):
    result = {"features": name, "images": int(len(y)), "dimension": int(x.shape[1]), "classes": int(len(np.unique(y)))}
    acc, bal = leave_one_out_knn(x, y)
    result["knn_leave_one_out"] = {"accuracy": round(float(acc), 4), "balanced_accuracy": round(float(bal), 4)}
    for n in budgets:
        for method, fn in (("knn", lambda a, b, c: knn(a, b, c)), ("probe", probe)):
            accs, bals = [], []
            for seed in seeds:
                mask = split(y, n, np.random.default_rng(seed))
                pred = fn(x[mask], y[mask], x[~mask])
                acc, bal = scores(y[~mask], pred)
                accs.append(acc)
                bals.append(bal)
            result[f"{method}_{n}"] = {"accuracy": [round(float(np.mean(accs)), 4), round(float(np.std(accs)), 4)],
                                       "balanced_accuracy": [round(float(np.mean(bals)), 4), round(float(np.std(bals)), 4)]}
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", action="append", default=[])
    parser.add_argument("--npy", action="append", default=[])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    seeds, budgets = list(range(args.seeds)), (10, 50)
    results = []
    for spec in args.raw:
        name, _, path = spec.rpartition("=")
        x, y = raw_features(path)
        results.append(evaluate(name or "raw pixels 16×16", x, y, seeds, budgets))
        print(json.dumps(results[-1]), flush=True)
    for spec in args.npy:
        name, _, path = spec.partition("=")
        x, y = npy_features(path)
        results.append(evaluate(name, x, y, seeds, budgets))
        print(json.dumps(results[-1]), flush=True)
    print("\n| features | leave-one-out kNN bal. acc |")
    print("|---|---|")
    for r in results:
        print(f"| {r['features']} | {r['knn_leave_one_out']['balanced_accuracy']:.3f} |")
    print("\n| features | kNN 10/class bal. acc | kNN 10 acc | probe 10/class bal. acc | probe 10 acc | kNN 50/class bal. acc | kNN 50 acc | probe 50/class bal. acc | probe 50 acc |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        cells = []
        for n in budgets:
            for m in ("knn", "probe"):
                for metric in ("balanced_accuracy", "accuracy"):
                    mean, std = r[f"{m}_{n}"][metric]
                    cells.append(f"{mean:.3f} ± {std:.3f}")
        print(f"| {r['features']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
