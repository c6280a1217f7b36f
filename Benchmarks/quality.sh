#!/usr/bin/env bash
# Quality of the features on the NDSB dev set (121 classes): logistic-regression probe and kNN with 10 and
# 50 labels per class over 5 seeds, for (a) raw pixels 16×16, (b) a randomly initialised encoder, (c) the
# encoder shipped with plankterm, (d) an encoder trained by Scripts/simclr_torch.py with the same recipe.
#   Benchmarks/quality.sh [TORCH_WEIGHTS]
# (d) is included when TORCH_WEIGHTS (a safetensors file from `Scripts/simclr_torch.py train`) is given.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
torch_weights="${1:-}"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/Scripts/setup.sh"
python="$("$here/Scripts/python-env.sh")"
"$python" -c "import sklearn" 2>/dev/null || "$(dirname "$python")/pip" install -q scikit-learn
(cd "$here" && swift build -c release --product plankterm >/dev/null)
bin="$(cd "$here" && swift build -c release --show-bin-path)/plankterm"
ndsb="$here/../shared/data/ndsb-planktonset/png"
work="${QUALITY_WORK:-/tmp/plankterm-quality}"
rm -rf "$work"; mkdir -p "$work"
"$bin" init "$work/project" --images "$ndsb" >/dev/null
"$python" "$here/Scripts/simclr_torch.py" init --out "$work/random.safetensors" --seed 0
specs=()
embed_as() {  # NAME WEIGHTS
  "$bin" embed "$work/project" --weights "$2" >/dev/null
  id="$("$bin" embed "$work/project" --weights "$2" | sed -n "s/^model \([0-9a-f]*\) .*/\1/p")"
  "$bin" export "$work/project" --format npy --model "$id" --status any --out "$work/$1" --force >/dev/null
  specs+=(--npy "$1=$work/$1")
}
embed_as "random encoder" "$work/random.safetensors"
embed_as "plankterm (shipped)" "$here/Sources/Project/Resources/default-encoder.safetensors"
if [ -n "$torch_weights" ]; then embed_as "PyTorch, same recipe" "$torch_weights"; fi
"$python" "$here/Benchmarks/quality.py" --raw "raw pixels 16×16=$ndsb" "${specs[@]}"
