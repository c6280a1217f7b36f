#!/usr/bin/env bash
# Makes the encoder that ships with plankterm (Sources/Project/Resources/default-encoder.safetensors):
# SimCLR on both image sets of ../shared/data (NDSB dev set + ZooScan unlabelled), no labels used.
#   Scripts/train-default-encoder.sh [EPOCHS] [WORKDIR]
# Interrupted? Run it again with the same arguments: it resumes from the last checkpoint.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
epochs="${1:-10}"
work="${2:-/tmp/plankterm-default-encoder}"
shared="$(cd "$here/../shared/data" && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
(cd "$here" && swift build -c release --product plankterm >/dev/null)
bin="$(cd "$here" && swift build -c release --show-bin-path)/plankterm"
mkdir -p "$work/images"
ln -sfn "$shared/ndsb-planktonset/png" "$work/images/ndsb"
ln -sfn "$shared/zooscan-unlabeled/png" "$work/images/zooscan"
if [ ! -f "$work/project/plankterm.sqlite" ]; then
  "$bin" init "$work/project" --images "$work/images" --folder-labels off >/dev/null
fi
resume=()
[ -f "$work/project/models/pretrain-checkpoint.safetensors" ] && resume=(--resume)
"$bin" pretrain "$work/project" --epochs "$epochs" --batch 128 --lr 0.001 --seed 0 --threads 2 "${resume[@]}"
newest="$(ls -t "$work"/project/models/encoder-*.safetensors | head -n 1)"
cp "$newest" "$here/Sources/Project/Resources/default-encoder.safetensors"
echo "default encoder: $newest → Sources/Project/Resources/default-encoder.safetensors"
