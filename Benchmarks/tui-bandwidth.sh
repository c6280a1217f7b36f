#!/usr/bin/env bash
# Bandwidth and latency of the labeling screen under a pty, on a large project (see README "Benchmarks").
#   Benchmarks/tui-bandwidth.sh [COUNT] [WORK]
# 1. Builds (once; kept in WORK) a project of COUNT images (default 100,000): copies of the dev-set PNGs,
#    each made distinct by bytes after its end, named <class>-<source>__<n>.png; synthetic embeddings
#    (`plankterm bench synthetic-embeddings`: copies of one source are look-alikes); the k = 32 graph;
#    20 labels per class; a kNN model, so every image has a prediction and the queue is margin.
# 2. Runs Benchmarks/tui_pty.py at 80×24: 256 colours (TERM=xterm-256color) and truecolour
#    (TERM=xterm-direct): startup, full redraw (Ctrl-L), 100 × 'a' (accept and advance). The project's
#    config.toml turns background jobs off for these (idle) runs.
# 3. Busy: the same 256-colour run while the screen's own job thread trains a linear head on the project
#    (`plankterm train --queue` first), to compare key-to-screen times with the idle run.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-100000}"; WORK="${2:-/tmp/plankterm-tui-bench-$COUNT}"
SRC="../shared/data/ndsb-planktonset/png"
[ -d "$SRC" ] || { echo "tui-bandwidth: $SRC is missing (the dev set)"; exit 1; }
Scripts/setup.sh >/dev/null
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product plankterm >/dev/null
BIN="$PWD/.build/release/plankterm"
PROJECT="$WORK/project"
if [ ! -f "$PROJECT/.ready" ]; then
  rm -rf "$WORK"; mkdir -p "$WORK/images"
  python3 - "$SRC" "$WORK" "$COUNT" <<'EOF'
import os, sys
src, work, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sources = sorted((c, f) for c in os.listdir(src) for f in os.listdir(os.path.join(src, c)) if f.endswith(".png"))
labels, per_class = [], {}
for n in range(count):
    c, f = sources[n % len(sources)]
    name = f"{c}-{f[:-4]}__{n:06d}.png"
    with open(os.path.join(src, c, f), "rb") as i, open(os.path.join(work, "images", name), "wb") as o:
        o.write(i.read() + b"plankterm-bench %d" % n)
    if per_class.get(c, 0) < 20:
        per_class[c] = per_class.get(c, 0) + 1
        labels.append(f"{name}\t{c}\n")
open(os.path.join(work, "labels.tsv"), "w").writelines(labels)
EOF
  /usr/bin/time -f "init: %e s" "$BIN" init "$PROJECT" --images "$WORK/images" | tail -3
  "$BIN" bench synthetic-embeddings "$PROJECT"
  /usr/bin/time -f "graph: %e s" "$BIN" neighbors "$PROJECT"
  "$BIN" label "$PROJECT" --stdin --annotator bench-setup < "$WORK/labels.tsv" | tail -1
  "$BIN" train "$PROJECT" --head knn | tail -2
  touch "$PROJECT/.ready"
fi
printf 'jobs = false\ntrain_every = 0\n' > "$PROJECT/config.toml"
echo "== 256 colours, idle"
python3 Benchmarks/tui_pty.py "$BIN" "$PROJECT" --term xterm-256color --color 256
echo "== truecolour, idle"
python3 Benchmarks/tui_pty.py "$BIN" "$PROJECT" --term xterm-direct --color truecolor
printf 'jobs = true\ntrain_every = 0\n' > "$PROJECT/config.toml"
"$BIN" train "$PROJECT" --head linear --queue
echo "== 256 colours, while the screen trains a linear head"
python3 Benchmarks/tui_pty.py "$BIN" "$PROJECT" --term xterm-256color --color 256
rm -f "$PROJECT/config.toml"
sqlite3 "$PROJECT/plankterm.sqlite" "SELECT 'job ' || id || ': ' || state || ' ' || message || ' ' || IFNULL(error, '') FROM job ORDER BY id DESC LIMIT 1" 2>/dev/null || true
