#!/usr/bin/env python3
"""Does the EM prior correction earn its place? Abundance error of classify-and-count vs EM on samples
whose class mix is strongly unbalanced (one class >= 60 %), with the real plankterm binary.

For each of the --dominant classes (default: the 5 classes with 200 images in ../shared/data/
ndsb-planktonset, chosen with --seed), builds a project (symlinks, nothing copied) with:
  train/<class>/...   20 labelled images per class (fewer where a class has fewer), labelled with
                      'plankterm label --stdin' (validated);
  sample/...          the test sample: 190 unlabelled images of the dominant class plus one unlabelled
                      image from each of up to 120 other classes (>= 60 % dominant), none of them in train/.
Then 'plankterm embed' (shipped encoder), 'plankterm train --head HEAD', 'plankterm abundance --by folder
--json', and compares the 'sample' group's estimates with the true counts: sum over classes of
|estimate - truth| for classify-and-count, the expected count and the EM-corrected count.

Usage: python Benchmarks/prior_shift.py [--bin .build/release/plankterm] [--head linear] [--runs 5] [--seed 0]
Prints a table and one JSON line.
"""
import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data", "ndsb-planktonset")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", ".build", "release", "plankterm"))
    ap.add_argument("--head", default="linear")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(DATA, "labels.csv"))))
    by = {}
    for r in rows:
        by.setdefault(r["label"], []).append(r["png"])
    rng = random.Random(a.seed)
    full = sorted(c for c in by if len(by[c]) >= 200)
    dominant = rng.sample(full, a.runs)
    results = []
    for x in dominant:
        work = tempfile.mkdtemp(prefix="plankterm-shift-")
        images = os.path.join(work, "images")
        train_lines, truth = [], {}
        for c in sorted(by):
            files = by[c][:]
            rng.shuffle(files)
            train = files[:20] if len(files) > 21 else files[:max(1, len(files) - 1)]
            rest = files[len(train):]
            for f in train:
                rel = f"train/{c}/{os.path.basename(f)}"
                os.makedirs(os.path.dirname(os.path.join(images, rel)), exist_ok=True)
                os.symlink(os.path.abspath(os.path.join(DATA, f)), os.path.join(images, rel))
                train_lines.append(f"{rel}\t{c}")
            take = rest[:190] if c == x else rest[:1]
            for f in take:
                rel = f"sample/{c}__{os.path.basename(f)}"
                os.makedirs(os.path.dirname(os.path.join(images, rel)), exist_ok=True)
                os.symlink(os.path.abspath(os.path.join(DATA, f)), os.path.join(images, rel))
                truth[c] = truth.get(c, 0) + 1
        project = os.path.join(work, "project")
        run = lambda *args, **kw: subprocess.run([a.bin, *args], check=True, capture_output=True, text=True, **kw)
        run("init", project, "--images", images, "--folder-labels", "off")
        run("label", project, "--stdin", input="\n".join(train_lines) + "\n")
        run("embed", project)
        report = json.loads(run("train", project, "--head", a.head, "--json").stdout)
        ab = json.loads(run("abundance", project, "--by", "folder", "--json").stdout)
        group = next(g for g in ab["groups"] if g["name"] == "sample")
        n = group["images"]
        err = {"classify_and_count": 0.0, "expected": 0.0, "em": 0.0}
        for cl in group["classes"]:
            t = truth.get(cl["name"], 0)
            err["classify_and_count"] += abs(cl["classify_and_count"] - t)
            err["expected"] += abs(cl["expected"] - t)
            err["em"] += abs((cl["corrected"] if cl["corrected"] is not None else float("nan")) - t)
        dom = next(cl for cl in group["classes"] if cl["name"] == x)
        results.append({"dominant": x, "share": truth[x] / n, "images": n, "model": report["model_id"],
                        "errors": {k: round(v, 1) for k, v in err.items()},
                        "dominant_truth": truth[x], "dominant_cc": dom["classify_and_count"],
                        "dominant_em": round(dom["corrected"], 1), "dominant_interval": [round(dom["lower"], 1), round(dom["upper"], 1)]})
        if not a.keep:
            shutil.rmtree(work)
    print(f"{'dominant class':40} {'share':>6} {'CC err':>8} {'E[count] err':>12} {'EM err':>8}  dominant: truth / CC / EM [95 %]")
    for r in results:
        e = r["errors"]
        print(f"{r['dominant']:40} {r['share']:6.2f} {e['classify_and_count']:8.1f} {e['expected']:12.1f} {e['em']:8.1f}  "
              f"{r['dominant_truth']} / {r['dominant_cc']:.0f} / {r['dominant_em']} {r['dominant_interval']}")
    mean = {k: round(sum(r["errors"][k] for r in results) / len(results), 1) for k in results[0]["errors"]}
    print("mean", mean)
    print(json.dumps({"bench": "prior_shift", "head": a.head, "runs": results, "mean_errors": mean}))


if __name__ == "__main__":
    sys.exit(main())
