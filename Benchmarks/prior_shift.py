#!/usr/bin/env python3
"""Abundance under prior shift (issue 15): classify-and-count, adjusted count (ACC) and EM on shifted samples,
and the coverage of their 95 % intervals, with the real plankterm binary.

An embedded dev project (Benchmarks/calibration.sh makes one; --project) is copied once per label draw. Each
draw labels 20 images a class (fewer where a class is small; 'plankterm label --stdin'), and puts
--per-draw disjoint samples among the other images in an imported metadata column 'sample': each sample has
one dominant class (of those with 200 images) at a share drawn in [0.3, 0.8] and the rest drawn from the
other classes with Dirichlet(1) weights, N = min(300, 180 / share) images. Then 'plankterm train' and
'plankterm abundance --by sample --json'. Per sample: sum over classes of |estimate - truth| for CC, ACC
and EM; coverage: the share of (sample, class) pairs whose truth lies in the 95 % interval (all classes and
the dominant class apart).

Usage: python Benchmarks/prior_shift.py --project DEV_PROJECT [--bin .build/release/plankterm] [--draws 5]
       [--per-draw 10] [--head linear] [--seed 0]
"""
import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data", "ndsb-planktonset")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", ".build", "release", "plankterm"))
    ap.add_argument("--project", required=True, help="an embedded project of ndsb-planktonset/png")
    ap.add_argument("--head", default="linear")
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--per-draw", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dump", help="also write every (sample, class) row with its truth here (JSON lines)")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(DATA, "labels.csv"))))
    by = {}
    for r in rows:
        by.setdefault(r["label"], []).append(r["png"][len("png/"):])
    rng = random.Random(a.seed)
    full = sorted(c for c in by if len(by[c]) >= 200)
    run = lambda *args, **kw: subprocess.run([a.bin, *args], check=True, capture_output=True, text=True, **kw)
    # The project must start without labels (Benchmarks/calibration.sh makes it with --folder-labels off): labels
    # from the class folders would train on the samples' own truth, and classify-and-count would look exact.
    labelled = re.search(r"labels\s+(\d+) validated", run("status", a.project).stdout)
    if not labelled or labelled.group(1) != "0":
        sys.exit(f"{a.project}: has validated labels already (make it with 'plankterm init --folder-labels off')")
    results = []
    dump = open(a.dump, "w") if a.dump else None
    for d in range(a.draws):
        work = tempfile.mkdtemp(prefix="plankterm-shift-")
        project = os.path.join(work, "project")
        shutil.copytree(a.project, project, symlinks=True)
        pool, train_lines = {}, []
        for c in sorted(by):
            files = by[c][:]
            rng.shuffle(files)
            n = 20 if len(files) > 40 else max(1, len(files) // 2)
            train_lines += [f"{f}\t{c}" for f in files[:n]]
            pool[c] = files[n:]
        meta, truths = [], []
        for s, x in enumerate(rng.sample(full, a.per_draw)):
            share = rng.uniform(0.3, 0.8)
            size = min(300, int(180 / share))
            dom = min(len(pool[x]), round(share * size))
            truth = {x: dom}
            take = [pool[x].pop() for _ in range(dom)]
            others = [c for c in sorted(pool) if c != x and pool[c]]
            weights = [rng.expovariate(1) for _ in others]
            while len(take) < size and others:
                c = rng.choices(others, weights)[0]
                if not pool[c]:
                    i = others.index(c); others.pop(i); weights.pop(i); continue
                take.append(pool[c].pop()); truth[c] = truth.get(c, 0) + 1
            meta += [(f, f"s{d}-{s}") for f in take]
            truths.append((f"s{d}-{s}", x, truth))
        run("label", project, "--stdin", input="\n".join(train_lines) + "\n")
        csvpath = os.path.join(work, "samples.csv")
        with open(csvpath, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["path", "label", "sample"])
            w.writerows([(p, "", s) for p, s in meta])
        run("import", project, "--labels", csvpath)
        report = json.loads(run("train", project, "--head", a.head, "--json").stdout)
        ab = json.loads(run("abundance", project, "--by", "sample", "--all", "--json", "--seed", str(d)).stdout)
        groups = {g["name"]: g for g in ab["groups"]}
        for name, x, truth in truths:
            g = groups[name]
            err = {"cc": 0.0, "acc": 0.0, "em": 0.0}
            cover = {"acc": [0, 0], "em": [0, 0]}
            present = {"acc": [0, 0], "em": [0, 0]}
            dom_cover = {}
            for cl in g["classes"]:
                t = truth.get(cl["name"], 0)
                if a.dump:
                    dump.write(json.dumps({"sample": name, "dominant": cl["name"] == x, "truth": t, **cl}) + "\n")
                err["cc"] += abs(cl["classify_and_count"] - t)
                err["acc"] += abs(cl["adjusted"] - t)
                err["em"] += abs(cl["corrected"] - t)
                for key, lo, hi in (("acc", "adjusted_lower", "adjusted_upper"), ("em", "lower", "upper")):
                    inside = cl[lo] <= t <= cl[hi]
                    cover[key][0] += inside; cover[key][1] += 1
                    if t > 0:
                        present[key][0] += inside; present[key][1] += 1
                    if cl["name"] == x:
                        dom_cover[key] = inside
            dom = next(cl for cl in g["classes"] if cl["name"] == x)
            results.append({"sample": name, "dominant": x, "images": g["images"], "share": round(truth[x] / g["images"], 3),
                            "model": report["model_id"], "prior": report.get("prior_correction"),
                            "errors": {k: round(v, 1) for k, v in err.items()},
                            "coverage": {k: v[0] / v[1] for k, v in cover.items()},
                            "present": {k: v for k, v in present.items()}, "dominant_covered": dom_cover,
                            "dominant": {"truth": truth[x], "cc": dom["classify_and_count"], "acc": round(dom["adjusted"], 1),
                                         "acc_interval": [dom["adjusted_lower"], dom["adjusted_upper"]],
                                         "em": round(dom["corrected"], 1), "em_interval": [dom["lower"], dom["upper"]]}})
            print(json.dumps(results[-1]), flush=True)
        shutil.rmtree(work)
    if dump:
        dump.close()
    n = len(results)
    summary = {"bench": "prior_shift", "head": a.head, "samples": n,
               "mean_abs_count_error": {k: round(sum(r["errors"][k] for r in results) / n, 1) for k in ("cc", "acc", "em")},
               "coverage_all_classes": {k: round(sum(r["coverage"][k] for r in results) / n, 3) for k in ("acc", "em")},
               "coverage_present_classes": {k: round(sum(r["present"][k][0] for r in results) / max(1, sum(r["present"][k][1] for r in results)), 3) for k in ("acc", "em")},
               "coverage_dominant_class": {k: round(sum(bool(r["dominant_covered"].get(k)) for r in results) / n, 3) for k in ("acc", "em")}}
    print(json.dumps(summary))


if __name__ == "__main__":
    sys.exit(main())
