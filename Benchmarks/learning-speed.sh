#!/usr/bin/env bash
# SimCLR training and embedding speed of plankterm against PyTorch CPU (../shared/bench/bench_simclr_torch.py)
# on the same architecture, batch and thread count, in one run, alternating.
#   Benchmarks/learning-speed.sh [ROUNDS] [BATCH] [ARCH] [IN_CH] [SIDE]
# ARCH: efficientnet-lite0 (the default encoder; SIDE 128, IN_CH 1 as shipped, 3 for colour) or resnet
# (the previous default: 64 px, 1 channel).
# Prints each run's JSON line, then the medians and ratios. plankterm's training figure excludes
# augmentation (random inputs), like PyTorch's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
batch="${2:-128}"
arch_name="${3:-efficientnet-lite0}"
in_ch="${4:-1}"
side="${5:-128}"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/Scripts/setup.sh"
python="$("$here/Scripts/python-env.sh")"
(cd "$here" && swift build -c release --product plankterm >/dev/null)
bin="$(cd "$here" && swift build -c release --show-bin-path)/plankterm"
torch_bench="$here/../shared/bench/bench_simclr_torch.py"
if [ "$arch_name" = resnet ]; then
  arch=(--model custom --in-ch 1 --side 64 --widths 32,64,128,256 --strides 1,2,2,2 --blocks 1 --stem-stride 2 --proj-hidden 256)
  ours=(--arch resnet --side 64)
else
  arch=(--model efficientnet-lite0 --in-ch "$in_ch" --side "$side")
  ours=(--arch efficientnet-lite0 --in-ch "$in_ch" --side "$side")
fi
out="$(mktemp)"
for r in $(seq "$rounds"); do
  "$bin" bench train "${ours[@]}" --batch "$batch" --threads 2 --steps 4 | sed 's/^/plankterm_train /' | tee -a "$out"
  "$bin" bench embed "${ours[@]}" --batch 256 --threads 2 | sed 's/^/plankterm_embed /' | tee -a "$out"
  "$python" "$torch_bench" "${arch[@]}" --batch "$batch" --threads 2 | sed 's/^/torch_nchw /' | tee -a "$out"
  "$python" "$torch_bench" "${arch[@]}" --batch "$batch" --threads 2 --channels-last | sed 's/^/torch_channels_last /' | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tag, _, body = line.partition(" ")
    rows.setdefault(tag, []).append(json.loads(body))
med = lambda xs: statistics.median(xs)
p_train = med([r["train_views_per_s"] for r in rows["plankterm_train"]])
p_embed = med([r["infer_images_per_s"] for r in rows["plankterm_embed"]])
summary = {"plankterm_train_views_per_s": round(p_train, 1), "plankterm_embed_images_per_s": round(p_embed, 1),
           "blas_core": rows["plankterm_train"][0].get("blas_core")}
for tag in ("torch_nchw", "torch_channels_last"):
    t_train = med([r["train"]["views_per_s_median"] for r in rows[tag]])
    t_embed = med([r["infer"]["images_per_s_median"] for r in rows[tag]])
    summary[f"{tag}_train_views_per_s"] = round(t_train, 1)
    summary[f"{tag}_embed_images_per_s"] = round(t_embed, 1)
    summary[f"train_ratio_vs_{tag}"] = round(p_train / t_train, 2)
    summary[f"embed_ratio_vs_{tag}"] = round(p_embed / t_embed, 2)
print(json.dumps(summary))
PY
