"""Writes a copy of a plankterm encoder file with other input settings (same weights):
  python Benchmarks/encoder_variant.py IN OUT [--side S] [--polarity inverted|original] [--orientations 1|2|4|8]
--polarity original feeds the network the image as the instrument recorded it (plankterm's pixels have
light backgrounds inverted to dark; inputScale −255/128, inputShift 1 undoes that inside the encoder)."""
import argparse
import json

from safetensors import safe_open
from safetensors.torch import load_file, save_file

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("out")
ap.add_argument("--side", type=int)
ap.add_argument("--polarity", choices=["inverted", "original"])
ap.add_argument("--orientations", type=int, choices=[1, 2, 4, 8], help="how many orientations an embedding averages")
a = ap.parse_args()
with safe_open(a.src, framework="pt") as f:
    metadata = dict(f.metadata())
config = json.loads(metadata["plankterm.encoder"])
if a.side:
    config["side"] = a.side
if a.polarity == "original":
    config["inputScale"], config["inputShift"] = -255 / 128, 1.0
elif a.polarity == "inverted":
    config["inputScale"], config["inputShift"] = 255 / 128, -127 / 128
if a.orientations:
    config["orientations"] = a.orientations
metadata["plankterm.encoder"] = json.dumps(config, separators=(",", ":"), sort_keys=True)
save_file(load_file(a.src), a.out, metadata=metadata)
