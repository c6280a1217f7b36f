#!/usr/bin/env bash
# Learning curves of labeling strategies on the dev set, with the ground truth as the oracle.
#   Benchmarks/simulate.sh PROJECT TRUTH [STRATEGIES] [SEEDS]
# PROJECT: a project of ../shared/data/ndsb-planktonset/png (any labels in it are ignored); TRUTH: a label
# file for it (e.g. the dataset's labels.csv with the png/ prefix stripped). Runs 'plankterm simulate'
# with --start 121 --step 121 --budget 2420 for each strategy and seed, then prints the mean curve per
# strategy and how many labels each needs to reach random's final balanced accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT="$1"; TRUTH="$2"; STRATEGIES="${3:-random margin diverse}"; SEEDS="${4:-0 1 2}"
BIN="${PLANKTERM_BIN:-.build/release/plankterm}"
OUT="$PROJECT/simulations"
mkdir -p "$OUT"
for s in $STRATEGIES; do
  for seed in $SEEDS; do
    "$BIN" simulate "$PROJECT" --truth "$TRUTH" --strategy "$s" --seed "$seed" --start 121 --step 121 --budget 2420 \
      --out "$OUT/$s-seed$seed.csv" --json > "$OUT/$s-seed$seed.json"
    echo "done $s seed $seed" >&2
  done
done
python3 - "$OUT" $STRATEGIES <<'PY'
import csv, glob, sys, statistics
out, strategies = sys.argv[1], sys.argv[2:]
curves = {}
for s in strategies:
    runs = [list(csv.DictReader(open(f))) for f in sorted(glob.glob(f"{out}/{s}-seed*.csv"))]
    labels = [int(r["labels"]) for r in runs[0]]
    curves[s] = {m: [statistics.mean(float(run[i][m]) for run in runs) for i in range(len(labels))]
                 for m in ("accuracy", "balanced_accuracy", "ece")}
    curves[s]["labels"] = labels
    curves[s]["n"] = len(runs)
print("labels | " + " | ".join(f"{s} bal.acc / ECE" for s in strategies))
for i, n in enumerate(curves[strategies[0]]["labels"]):
    print(f"{n:6d} | " + " | ".join(f"{curves[s]['balanced_accuracy'][i]:.3f} / {curves[s]['ece'][i]:.3f}" for s in strategies))
if "random" in curves:
    target = curves["random"]["balanced_accuracy"][-1]
    print(f"random's final balanced accuracy: {target:.3f} at {curves['random']['labels'][-1]} labels (mean of {curves['random']['n']} seeds)")
    for s in strategies:
        reached = next((n for n, b in zip(curves[s]["labels"], curves[s]["balanced_accuracy"]) if b >= target), None)
        print(f"  {s}: reaches it at {reached if reached else 'not within the budget'} labels")
PY
