#!/usr/bin/env bash
# One command from a fresh Debian machine to a running plankterm:
#   Scripts/run.sh [IMAGES_DIR] [PROJECT_DIR]
# installs what is missing, builds in release mode, then 'plankterm demo': creates the project (or reuses
# it) for IMAGES_DIR (default: Demo/images, the 1,204 labelled NDSB images that ship with plankterm; see
# Demo/README.md), seeds 5 validated labels per class folder, embeds every image with the shipped encoder,
# trains a classifier, and opens the labeling screen. PROJECT_DIR defaults to ./demo-project.
# Without a terminal (CI, a pipe) it prints the project's status instead.
# Environment: PLANKTERM_BUILD_LOCK (the file `swift build` waits on, default /tmp/plankterm-build.lock),
# PLANKTERM_BUILD_NICE (the build's niceness, default 5).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
lock="${PLANKTERM_BUILD_LOCK:-/tmp/plankterm-build.lock}"
"$here/Scripts/setup.sh"
cd "$here"
niceness="${PLANKTERM_BUILD_NICE:-5}"
locked() { if command -v flock >/dev/null; then flock "$lock" nice -n "$niceness" "$@"; else nice -n "$niceness" "$@"; fi; }
locked swift build -c release --product plankterm 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
bin="$(swift build -c release --show-bin-path)/plankterm"
[ -x "$bin" ] || { echo "error: the release build failed" >&2; exit 1; }
images="${1:-$here/Demo/images}"
project="${2:-$here/demo-project}"
if [ ! -d "$images" ]; then
  echo "error: $images: no such folder" >&2
  echo "hint: Scripts/run.sh IMAGES_DIR [PROJECT_DIR]" >&2
  exit 1
fi
exec "$bin" demo --images "$images" --project "$project"
