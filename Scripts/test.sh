#!/usr/bin/env bash
# Runs every test: installs what is missing (apt packages, a Python venv with CPU PyTorch for the
# parity oracle), then `swift test`. Tests that need ../shared/data skip
# themselves (saying so) when it is absent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/Scripts/setup.sh"
# Test oracles (PyTorch parity): a venv with CPU torch; without it those tests say they were skipped.
if python="$("$here/Scripts/python-env.sh")"; then
  export PLANKTERM_PYTHON="$python"
else
  echo "test: could not set up the Python venv; the PyTorch parity test will be skipped" >&2
fi
cd "$here"
swift build --build-tests
swift test --skip-build "$@"
