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
# 3. Every image mode (issue 13), idle, 256 colours, at 80×24 and 120×40: blocks (--graphics blocks),
#    kitty and sixel as detected (tui_pty.py answers the start-up queries as that terminal, cell
#    10×20 px) and iTerm2 (--graphics iterm; 10×20 px assumed). One table of them at the end.
# 4. Busy: the 256-colour run of 2. while the screen's own job thread trains a linear head on the project
#    (`plankterm train --queue` first), to compare key-to-screen times with the idle run.
# PLANKTERM_BIN: a built binary to use instead of building one (swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-100000}"; WORK="${2:-/tmp/plankterm-tui-bench-$COUNT}"
SRC="../shared/data/ndsb-planktonset/png"
[ -d "$SRC" ] || { echo "tui-bandwidth: $SRC is missing (the dev set)"; exit 1; }
BIN="${PLANKTERM_BIN:-}"
if [ -z "$BIN" ]; then
  Scripts/setup.sh >/dev/null
  export PATH="/opt/swift/usr/bin:$PATH"
  swift build -c release --product plankterm >/dev/null
  BIN="$PWD/.build/release/plankterm"
fi
PROJECT="$WORK/project"
if [ ! -f "$PROJECT/.ready" ]; then
  rm -rf "$WORK"; mkdir -p "$WORK/images"
  SECONDS=0
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
  echo "project of $COUNT images made in $SECONDS s"
fi
printf 'jobs = false\ntrain_every = 0\n' > "$PROJECT/config.toml"
echo "== 256 colours, idle"
python3 Benchmarks/tui_pty.py "$BIN" "$PROJECT" --term xterm-256color --color 256
echo "== truecolour, idle"
python3 Benchmarks/tui_pty.py "$BIN" "$PROJECT" --term xterm-direct --color truecolor
RESULTS="$WORK/modes.jsonl"; : > "$RESULTS"
for size in 80x24 120x40; do
  for mode in blocks kitty sixel iterm; do
    case $mode in
      blocks) how=(--graphics blocks) ;;
      kitty|sixel) how=(--answer "$mode") ;;
      iterm) how=(--graphics iterm) ;;
    esac
    echo "== $mode, $size, idle"
    python3 Benchmarks/tui_pty.py "$BIN" "$PROJECT" --term xterm-256color --color 256 \
      --columns "${size%x*}" --rows "${size#*x}" "${how[@]}" | tee -a "$RESULTS"
  done
done
python3 - "$RESULTS" <<'EOF'
import json, sys
print("| mode | size | full redraw | a key: bytes (of them graphics) | a key: ms mean / median / p95 / max | startup |")
print("|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    asked = r["answer"] if r["graphics"] == "auto" else r["graphics"]
    drew = r["protocols"] or "blocks"
    mode = asked if drew == asked else f"{asked} (drew {drew})"
    print(f"| {mode} | {r['size']} | {r['full_redraw_bytes'] / 1000:.1f} KB | {r['bytes_per_key_mean'] / 1000:.1f} KB "
          f"({r['graphics_bytes_per_key_mean'] / 1000:.1f} KB) | {r['ms_per_key_mean']:.1f} / {r['ms_per_key_median']:.1f} / "
          f"{r['ms_per_key_p95']:.1f} / {r['ms_per_key_max']:.1f} | {r['startup_seconds']:.1f} s, {r['startup_bytes'] / 1000:.1f} KB |")
EOF
printf 'jobs = true\ntrain_every = 0\n' > "$PROJECT/config.toml"
"$BIN" train "$PROJECT" --head linear --queue
echo "== 256 colours, while the screen trains a linear head"
python3 Benchmarks/tui_pty.py "$BIN" "$PROJECT" --term xterm-256color --color 256
rm -f "$PROJECT/config.toml"
sqlite3 "$PROJECT/plankterm.sqlite" "SELECT 'job ' || id || ': ' || state || ' ' || message || ' ' || IFNULL(error, '') FROM job ORDER BY id DESC LIMIT 1" 2>/dev/null || true
