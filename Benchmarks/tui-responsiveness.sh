#!/usr/bin/env bash
# Key-to-screen time of the labeling screen, idle and while a training job runs (see README "Benchmarks").
#   Benchmarks/tui-responsiveness.sh PROJECT [HEAD]
# PROJECT: a project with embeddings, labels and a model (for the README's figures: the dev set with 20
# labels a class, as `Benchmarks/quality.sh` makes it). Each run works on a fresh copy of it:
#   idle: background jobs off; Benchmarks/tui_pty.py at 80×24, 256 colours, 100 × 'a';
#   busy: `plankterm train --queue --head HEAD` (default linear) first, so the screen's own job thread
#         trains (both cores) during the same 100 keypresses.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${1:?usage: Benchmarks/tui-responsiveness.sh PROJECT [HEAD]}"; HEAD="${2:-linear}"
Scripts/setup.sh >/dev/null
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product plankterm >/dev/null
BIN="$PWD/.build/release/plankterm"
WORK="$(mktemp -d /tmp/plankterm-responsiveness-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
for run in idle busy; do
  rm -rf "$WORK/project"; cp -r "$SRC" "$WORK/project"
  rm -f "$WORK/project/config.toml"
  sqlite3 "$WORK/project/plankterm.sqlite" "UPDATE job SET state = 'cancelled' WHERE state IN ('pending', 'running')"
  if [ "$run" = idle ]; then
    printf 'jobs = false\ntrain_every = 0\ntrain_idle = 0\n' > "$WORK/project/config.toml"
  else
    printf 'jobs = true\ntrain_every = 0\ntrain_idle = 0\n' > "$WORK/project/config.toml"
    "$BIN" train "$WORK/project" --head "$HEAD" --queue >/dev/null
  fi
  echo "== $run"
  python3 Benchmarks/tui_pty.py "$BIN" "$WORK/project" --term xterm-256color --color 256
  sqlite3 "$WORK/project/plankterm.sqlite" \
    "SELECT 'job ' || id || ' (' || json_extract(parameters, '$.reason') || '): ' || state || ', ' || ROUND(progress * 100) || ' % · ' || IFNULL(error, message) FROM job ORDER BY id" 2>/dev/null || true
done
