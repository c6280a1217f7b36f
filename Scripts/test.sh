#!/usr/bin/env bash
# Runs every test: installs what is missing, then `swift test`. Tests that need ../shared/data skip
# themselves (saying so) when it is absent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
"$here/Scripts/setup.sh"
cd "$here"
swift build --build-tests
swift test --skip-build "$@"
