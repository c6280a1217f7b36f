#!/usr/bin/env bash
# Installs the Debian packages plankterm builds against, if any is missing. Safe to run again.
set -euo pipefail
packages=(libncursesw5-dev ncurses-term libopenblas-dev libpng-dev libjpeg62-turbo-dev libsqlite3-dev zlib1g-dev sqlite3 tmux pkg-config
  libchafa-dev libglib2.0-dev chafa xterm xvfb x11-apps imagemagick)  # chafa: sixel and iTerm2 images; the rest: the xterm screenshot
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "setup: no Swift toolchain found (Swift 6.1 or newer is needed)" >&2
    exit 1
  fi
fi
