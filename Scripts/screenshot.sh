#!/usr/bin/env bash
# Screenshots of the Label screen in a real terminal (README, "Images in the terminal"):
#   Scripts/screenshot.sh [OUT_DIR] [PROJECT]
# Runs xterm (Debian's, `-ti vt340`: it speaks sixel) under Xvfb twice on the same project and image,
# 120×40 cells, TERM=xterm-direct:
#   OUT_DIR/label-sixel.png   plankterm label PROJECT              (auto: xterm's device attributes say sixel)
#   OUT_DIR/label-blocks.png  plankterm label PROJECT --graphics blocks   (the half-block fallback)
# Each window is grabbed by its X window id (import -window), quantised to 256 colours to keep the file
# small, and the bytes plankterm wrote are kept (script -f) so the run can check which protocol it drew.
# PROJECT defaults to a demo project made from Demo/images (plankterm demo, without a terminal).
# PLANKTERM_BIN: a built binary to use (default: swift build -c release, then .build/release/plankterm).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-docs}"; PROJECT="${2:-/tmp/plankterm-screenshot/demo-project}"
for tool in Xvfb xterm import script; do
  command -v "$tool" >/dev/null || { echo "screenshot: $tool is missing (Scripts/setup.sh installs xterm xvfb x11-apps imagemagick)"; exit 1; }
done
CONVERT=/usr/bin/convert; [ -x "$CONVERT" ] || CONVERT=convert
BIN="${PLANKTERM_BIN:-}"
if [ -z "$BIN" ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
  swift build -c release --product plankterm >/dev/null
  BIN="$PWD/.build/release/plankterm"
fi
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
if [ ! -f "$PROJECT/plankterm.sqlite" ]; then
  mkdir -p "$(dirname "$PROJECT")"
  "$BIN" demo --images Demo/images --project "$PROJECT" </dev/null | tail -1
fi
mkdir -p "$OUT"
WORK="$(mktemp -d)"
XVFB=""
cleanup() { [ -n "$XVFB" ] && kill "$XVFB" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# A display of our own: Xvfb picks a free number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1600x1200x24 -nolisten tcp 3>"$WORK/display" 2>"$WORK/xvfb.log" &
XVFB=$!
for _ in $(seq 50); do [ -s "$WORK/display" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$WORK/display")"

# shot NAME ARGS…: one xterm running plankterm label PROJECT ARGS…, grabbed after SETTLE seconds.
shot() {
  local name="$1"; shift
  local log="$WORK/$name.bytes" id="$WORK/$name.window"
  # The xterm's child records its window id ($WINDOWID) and runs plankterm under script(1), which keeps
  # every byte it writes.
  xterm -ti vt340 -tn xterm-direct -geometry 120x40+0+0 -fa 'DejaVu Sans Mono' -fs 10 \
        -xrm 'XTerm*numColorRegisters: 256' -xrm 'XTerm*internalBorder: 2' -bg white -fg black \
        -e sh -c 'echo "$WINDOWID" > "$0"; exec script -q -f -c "$1" "$2"' "$id" \
        "$(printf '%q ' "$BIN" label "$PROJECT" --color truecolor --annotator screenshot "$@")" "$log" &
  local xterm=$!
  sleep "${SETTLE:-8}"
  [ -s "$id" ] || { echo "screenshot: xterm did not start ($name)"; kill "$xterm"; exit 1; }
  import -window "$(cat "$id")" "$WORK/$name.png"
  kill "$xterm" 2>/dev/null || true
  wait "$xterm" 2>/dev/null || true
  "$CONVERT" "$WORK/$name.png" -dither None -colors 256 "PNG8:$OUT/label-$name.png"
  local sixel
  sixel=$(python3 -c 'import re,sys; d=open(sys.argv[1],"rb").read(); print(len(re.findall(rb"\x1bP[0-9;]*q", d)))' "$log")
  echo "$OUT/label-$name.png: $(stat -c %s "$OUT/label-$name.png") bytes; $(stat -c %s "$log") bytes written by plankterm, $sixel sixel images"
}
shot sixel
shot blocks --graphics blocks
