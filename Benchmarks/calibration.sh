#!/usr/bin/env bash
# Issue 15's calibration benchmarks on the NDSB dev set, embedded with the shipped default encoder (ImageNet
# EfficientNet-Lite0, 1,280-d features stored on 512 whitened principal axes: what `plankterm embed P` does without options), with `plankterm bench calibration`:
#   (a) 20 random 10-class subsets × 30 labels a class, the rest of those classes scored;
#   (b) all 121 classes at 5, 10 and 20 labels a class (5 label draws each), default head;
#   (c) every head (linear, knn, mlp) at 20 labels a class, 5 draws: shown balanced accuracy vs before the
#       prior correction (and vs the correction to the scored images' true mix).
# Prints one JSON line per draw (also kept under $WORK) and a summary per case.
#   Benchmarks/calibration.sh [WORK]        (WORK default /tmp/plankterm-calibration; BIN= to reuse a binary)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/tmp/plankterm-calibration}"
export PATH="/opt/swift/usr/bin:$PATH"
data="$here/../shared/data/ndsb-planktonset"
if [ -z "${BIN:-}" ]; then
  "$here/Scripts/setup.sh"
  (cd "$here" && swift build -c release --product plankterm >/dev/null)
  BIN="$(cd "$here" && swift build -c release --show-bin-path)/plankterm"
fi
mkdir -p "$work"
# A project embedded with another encoder (the earlier ResNet, 256-d) is made again: every number depends on it.
# (EfficientNet's 1,280 features, stored as they are or, the default for 13,018 images, on 512 principal axes.)
if ! grep -qsE '"(dimension|encoderDimension)" *: *1280' "$work"/project/embeddings/*.json; then
  rm -rf "$work/project"
  "$BIN" init "$work/project" --images "$data/png" --folder-labels off >/dev/null
  "$BIN" embed "$work/project" >/dev/null
fi
bench() {  # NAME ARGS...
  local name="$1"; shift
  "$BIN" bench calibration "$work/project" --truth "$data/labels.csv" "$@" > "$work/$name.jsonl"
  python3 "$here/Benchmarks/calibration_summary.py" "$name" "$work/$name.jsonl"
}
bench "10 classes, 30 labels" --classes 10 --per-class 30 --draws 20
for n in 5 10 20; do bench "121 classes, $n labels" --per-class "$n" --draws 5; done
for h in knn mlp; do bench "$h, 121 classes, 20 labels" --per-class 20 --draws 5 --head "$h"; done
