#!/usr/bin/env bash
# Exact k-NN speed, plankterm beside faiss IndexFlatIP in the same session (see README "Benchmarks").
#   Benchmarks/knn.sh [N] [D] [DEV_PROJECT]
# 1. plankterm bench knn: N random unit vectors × D, 1,000 queries, k = 10, 2 threads (the same workload
#    as ../shared/bench/bench_knn.py), then the same workload through faiss (needs /tmp/bench-venv:
#    ../shared/bench/setup.sh).
# 2. With DEV_PROJECT: the all-image k = 32 graph of that project ('plankterm neighbors', rebuilt).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"; D="${2:-128}"; DEV="${3:-}"
swift build -c release --product plankterm >/dev/null
BIN=.build/release/plankterm
PY="${BENCH_PYTHON:-/tmp/bench-venv/bin/python}"
echo "== plankterm"; "$BIN" bench knn --n "$N" --d "$D"
echo "== faiss (../shared/bench/bench_knn.py)"
"$PY" ../shared/bench/bench_knn.py --n "$N" --d "$D" --skip hnsw,numpy | "$PY" -c '
import json,sys; d=json.load(sys.stdin); f=d["faiss_flatip"]
print(json.dumps({"faiss": f["version"], "qps_median": round(f["qps_median"]), "qps_best": round(f["qps_best"]), "single_query_ms_median": round(f["single_query_ms"]["median"],3)}))'
echo "== plankterm again (noise check)"; "$BIN" bench knn --n "$N" --d "$D"
if [ -n "$DEV" ]; then
  rm -f "$DEV"/neighbors/*.knn
  echo "== all-image k=32 graph of $DEV"; /usr/bin/time -f "%e s wall, %M KB peak RSS" "$BIN" neighbors "$DEV"
fi
