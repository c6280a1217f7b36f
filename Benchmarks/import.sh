#!/usr/bin/env bash
# Import speed: plankterm's full import (scan, SHA-256, decode header and pixels, store in SQLite) of a
# folder against a Python/Pillow script that only walks, opens and decodes the same files.
#   Benchmarks/import.sh [IMAGES_DIR] [ROUNDS]
# Default: the 13,018-image NDSB dev set, 5 rounds, alternating the two tools; prints every round and
# the medians. Both read from a warm page cache (one untimed warm-up pass of each first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images="${1:-$here/../shared/data/ndsb-planktonset/png}"
rounds="${2:-5}"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/Scripts/setup.sh"
venv=/tmp/plankterm-bench-venv
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -c "import PIL" 2>/dev/null || "$venv/bin/pip" install -q pillow
(cd "$here" && swift build -c release --product plankterm >/dev/null)
bin="$(cd "$here" && swift build -c release --show-bin-path)/plankterm"
work="$(mktemp -d /tmp/plankterm-bench-XXXXXX)"
trap 'rm -rf "$work"' EXIT

plankterm_once() {
  rm -rf "$work/p"
  python3 - "$bin" "$work/p" "$images" <<'PY'
import subprocess, sys, time
start = time.perf_counter()
subprocess.run([sys.argv[1], "init", sys.argv[2], "--images", sys.argv[3]], check=True, stdout=subprocess.DEVNULL)
print(round(time.perf_counter() - start, 3))
PY
}
pillow_once() {
  "$venv/bin/python" "$here/Benchmarks/pillow_decode.py" "$images" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])'
}

plankterm_once >/dev/null; pillow_once >/dev/null   # warm-up
p_times=(); q_times=()
for r in $(seq "$rounds"); do
  p=$(plankterm_once); q=$(pillow_once)
  p_times+=("$p"); q_times+=("$q")
  printf 'round %d: plankterm init %.3f s   pillow decode %.3f s\n' "$r" "$p" "$q"
done
images_count=$("$bin" status "$work/p" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["images"] + d["failed"])')
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
pm=$(median "${p_times[@]}"); qm=$(median "${q_times[@]}")
python3 - "$pm" "$qm" "$images_count" "$("$venv/bin/python" -c 'import PIL; print(PIL.__version__)')" <<'PY'
import json, sys
p, q, n, v = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(json.dumps({"benchmark": "import", "images": n, "plankterm_init_s": p, "pillow_decode_only_s": q,
                  "pillow_version": v, "ratio_pillow_over_plankterm": round(q / p, 2)}))
PY
