#!/usr/bin/env bash
# Makes /tmp/plankterm-py, a Python venv for the reference scripts and test oracles (never needed to run
# plankterm): CPU PyTorch (the local wheel in /opt/wheels when there is one), numpy, safetensors, Pillow.
# Prints the venv's python. Safe to run again.
set -euo pipefail
venv="${PLANKTERM_PY_VENV:-/tmp/plankterm-py}"
if "$venv/bin/python" -c "import torch, safetensors, numpy, PIL" 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
wheel="$(ls /opt/wheels/torch-*cpu*.whl 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -n "$wheel" ]; then
  # The CPU wheel without its CUDA-flavoured resolution, then its pure-Python dependencies.
  "${pip[@]}" --no-deps "$wheel" >&2
  "${pip[@]}" filelock typing-extensions sympy networkx jinja2 fsspec "setuptools>=77.0.3" >&2
else
  "${pip[@]}" torch >&2
fi
"${pip[@]}" numpy safetensors pillow >&2
"$venv/bin/python" -c "import torch, safetensors" >&2
echo "$venv/bin/python"
