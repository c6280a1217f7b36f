"""What storing the embeddings smaller costs on the NDSB dev set: the full pooled features (e.g. EfficientNet-Lite0's
1,280 dimensions, float32) against float16, and against PCA to fewer dimensions (fitted on a random sample of the
project's images, as `plankterm embed` does, rows L2-normalised again), with quality.py's measures: leave-one-out
kNN, and kNN and a logistic probe with 10 and 50 labels a class over 5 seeds. One JSON line per variant, then the
tables.

  python Benchmarks/storage.py FULL_NPY_FOLDER [--stored NAME=NPY_FOLDER ...] [--variants full,f16,pca256,...]

FULL_NPY_FOLDER: `plankterm export --format npy` of a project embedded at full dimension (`embed --dimensions full`).
--stored: further export folders to score beside them (e.g. the same project after `plankterm embed --dimensions 512`),
so that plankterm's own PCA is measured, not only this mirror of it.
Variants: full, f16 (full, rounded to float16), pcaN (N dimensions, sample of 8,192), pcaN@S (sample of S images),
pcaNw (whitened), pcaN-f16.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality  # noqa: E402


def normalised(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def pca(x, keep, sample, whiten=False, seed=0):
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(x), min(sample, len(x)), replace=False)
    s = x[rows].astype(np.float64)
    mean = s.mean(0)
    cov = (s - mean).T @ (s - mean) / max(len(s) - 1, 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:keep]
    w = vectors[:, order]
    z = (x.astype(np.float64) - mean) @ w
    if whiten:
        z = z / np.sqrt(np.maximum(values[order], 1e-12))
    explained = float(values[order].sum() / values.sum())
    return normalised(z).astype(np.float32), explained


def variant(name, x):
    if name == "full":
        return x, None
    if name == "f16":
        return normalised(x.astype(np.float16).astype(np.float32)), None
    assert name.startswith("pca"), name
    spec = name[3:]
    f16 = spec.endswith("-f16")
    spec = spec.removesuffix("-f16")
    whiten = spec.endswith("w")
    spec = spec.removesuffix("w")
    keep, _, sample = spec.partition("@")
    z, explained = pca(x, int(keep), int(sample or 8192), whiten)
    if f16:
        z = normalised(z.astype(np.float16).astype(np.float32))
    return z, explained


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("full")
    parser.add_argument("--stored", action="append", default=[])
    parser.add_argument("--variants", default="full,f16,pca128,pca256,pca512,pca256w,pca256@2048,pca256-f16")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    x, y = quality.npy_features(args.full)
    seeds, budgets = list(range(args.seeds)), (10, 50)
    results = []
    for name in [v for v in args.variants.split(",") if v]:
        z, explained = variant(name, x)
        r = quality.evaluate(name, z, y, seeds, budgets)
        r["bytes_per_image"] = int(z.shape[1] * (2 if ("f16" in name) else 4))
        if explained is not None:
            r["variance_kept"] = round(explained, 4)
        results.append(r)
        print(json.dumps(results[-1]), flush=True)
    for spec in args.stored:
        label, _, folder = spec.partition("=")
        z, yz = quality.npy_features(folder)
        r = quality.evaluate(label, z, yz, seeds, budgets)
        r["bytes_per_image"] = int(z.shape[1] * 4)
        results.append(r)
        print(json.dumps(results[-1]), flush=True)
    print("\n| stored as | bytes/image | variance kept | LOO kNN | kNN 10 | probe 10 | kNN 50 | probe 50 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        cells = [f"{r[f'{m}_{n}']['balanced_accuracy'][0]:.3f} ± {r[f'{m}_{n}']['balanced_accuracy'][1]:.3f}"
                 for n in budgets for m in ("knn", "probe")]
        kept = f"{r['variance_kept']:.3f}" if "variance_kept" in r else "—"
        print(f"| {r['features']} | {r['bytes_per_image']} | {kept} | {r['knn_leave_one_out']['balanced_accuracy']:.3f} | "
              + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
