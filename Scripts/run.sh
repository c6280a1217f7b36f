#!/usr/bin/env bash
# One command from a fresh Debian machine to a running plankterm:
#   Scripts/run.sh [IMAGES_DIR] [PROJECT_DIR]
# installs what is missing, builds in release mode, then 'plankterm demo': creates the project (or reuses
# it) for IMAGES_DIR (default: the NDSB dev set in ../shared/data), seeds 5 validated labels per class
# folder, embeds every image with the shipped encoder, trains a classifier, and opens the labeling screen.
# Without a terminal (CI, a pipe) it prints the project's status instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/Scripts/setup.sh"
cd "$here"
swift build -c release --product plankterm 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
bin="$(swift build -c release --show-bin-path)/plankterm"
[ -x "$bin" ] || { echo "error: the release build failed" >&2; exit 1; }
images="${1:-$here/../shared/data/ndsb-planktonset/png}"
project="${2:-$here/demo-project}"
if [ ! -d "$images" ]; then
  echo "error: $images: no such folder" >&2
  echo "hint: Scripts/run.sh IMAGES_DIR [PROJECT_DIR]" >&2
  exit 1
fi
exec "$bin" demo --images "$images" --project "$project"
