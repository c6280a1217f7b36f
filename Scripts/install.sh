#!/usr/bin/env bash
# Builds plankterm in release mode and installs it under PREFIX (default: $HOME/.local):
#   Scripts/install.sh [PREFIX]
#
#   PREFIX/bin/plankterm                                   the binary
#   PREFIX/bin/plankterm_*.resources/, GRDB_GRDB.resources/ its SwiftPM resource bundles (the shipped encoder,
#                                                          the themes): Bundle.module looks beside the binary
#   PREFIX/share/plankterm/demo/                           the demo images (images/, labels.csv, README.md)
#   PREFIX/share/doc/plankterm/                            LICENSE, NOTICE
#   PREFIX/share/man/man1/plankterm.1                      the manual (swift-argument-parser's generate-manual)
#   PREFIX/share/bash-completion/completions/plankterm     shell completions
#   PREFIX/share/zsh/site-functions/_plankterm
#   PREFIX/share/fish/vendor_completions.d/plankterm.fish
#
# Installs the missing apt packages first (Scripts/setup.sh). Safe to run again: each run replaces what the
# previous one installed. The binary links the Swift runtime of the toolchain it was built with (RUNPATH
# /opt/swift/usr/lib/swift/linux), so keep that toolchain installed.
# Environment: PLANKTERM_BUILD_LOCK (the file `swift build` waits on, default /tmp/plankterm-build.lock),
# PLANKTERM_BUILD_NICE (the build's niceness, default 5).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${1-$HOME/.local}"
[ -n "$prefix" ] || { echo "install: PREFIX is empty" >&2; exit 2; }
[ "$prefix" != "/" ] || { echo "install: refusing PREFIX '/'; give e.g. /usr/local or \$HOME/.local" >&2; exit 2; }
case "$prefix" in
  *$'\n'*) echo "install: PREFIX has a newline in it" >&2; exit 2 ;;
esac
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
lock="${PLANKTERM_BUILD_LOCK:-/tmp/plankterm-build.lock}"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

# MARK: build
"$root/Scripts/setup.sh"
cd "$root"
niceness="${PLANKTERM_BUILD_NICE:-5}"
locked() { if command -v flock >/dev/null; then flock "$lock" nice -n "$niceness" "$@"; else nice -n "$niceness" "$@"; fi; }
mkdir -p "$root/.build"
echo "install: building plankterm (release)…" >&2
start=$(date +%s)
if ! locked swift build -c release --product plankterm >"$root/.build/install-build.log" 2>&1; then
  grep -vE '^\[[0-9]+/[0-9]+\]' "$root/.build/install-build.log" >&2
  echo "error: the release build failed (log: .build/install-build.log)" >&2
  exit 1
fi
echo "install: built in $(($(date +%s) - start)) s" >&2
bindir="$(swift build -c release --show-bin-path)"
[ -x "$bindir/plankterm" ] || { echo "error: no $bindir/plankterm after the build" >&2; exit 1; }

# The manual: swift-argument-parser's GenerateManual command plugin runs `plankterm --experimental-dump-help`
# and writes .build/plugins/GenerateManual/outputs/plankterm/plankterm.1. Dated by the last commit, so a
# rerun on the same commit writes the same page.
date_arg=()
if day="$(git -C "$root" log -1 --format=%cs 2>/dev/null)" && [ -n "$day" ]; then date_arg=(--date "$day"); fi
stamp="$(mktemp)"
trap 'rm -f "$stamp"' EXIT
echo "install: generating the manual…" >&2
if ! locked swift package plugin generate-manual --configuration release "${date_arg[@]}" \
  >"$root/.build/install-manual.log" 2>&1; then
  grep -vE '^\[[0-9]+/[0-9]+\]' "$root/.build/install-manual.log" >&2
  echo "error: generate-manual failed (log: .build/install-manual.log)" >&2
  exit 1
fi
manual="$(find "$root/.build/plugins" -name plankterm.1 -newer "$stamp" -print -quit)"
[ -n "$manual" ] || { echo "error: generate-manual wrote no plankterm.1 (log: .build/install-manual.log)" >&2; exit 1; }

# MARK: install
installed=()
put() { # put MODE SOURCE DEST: one file, replaced atomically (a running plankterm keeps its old inode)
  mkdir -p "$(dirname "$3")"
  install -m "$1" "$2" "$3.new.$$"
  mv -f "$3.new.$$" "$3"
  installed+=("$3")
}
tree() { # tree SOURCE_DIR DEST_DIR: a folder, replacing the one installed before
  rm -rf "$2.new.$$"
  mkdir -p "$(dirname "$2")"
  cp -R "$1" "$2.new.$$"
  chmod -R u+rwX,go+rX,go-w "$2.new.$$"
  rm -rf "$2"
  mv "$2.new.$$" "$2"
  installed+=("$2/")
}

put 755 "$bindir/plankterm" "$prefix/bin/plankterm"
for bundle in "$bindir"/*.resources; do
  [ -d "$bundle" ] && tree "$bundle" "$prefix/bin/$(basename "$bundle")"
done
staging="$(mktemp -d)"
trap 'rm -f "$stamp"; rm -rf "$staging"' EXIT
mkdir -p "$staging/demo"
cp -R "$root/Demo/images" "$staging/demo/images"
cp "$root/Demo/labels.csv" "$root/Demo/README.md" "$staging/demo/"
tree "$staging/demo" "$prefix/share/plankterm/demo"
put 644 "$root/LICENSE" "$prefix/share/doc/plankterm/LICENSE"
put 644 "$root/NOTICE" "$prefix/share/doc/plankterm/NOTICE"
# generate-manual keeps the blank lines of a command's discussion; in mdoc a paragraph break is .Pp.
sed 's/^$/.Pp/' "$manual" >"$staging/plankterm.1"
put 644 "$staging/plankterm.1" "$prefix/share/man/man1/plankterm.1"
for shell in bash zsh fish; do
  "$prefix/bin/plankterm" --generate-completion-script "$shell" >"$staging/completion.$shell"
done
put 644 "$staging/completion.bash" "$prefix/share/bash-completion/completions/plankterm"
put 644 "$staging/completion.zsh" "$prefix/share/zsh/site-functions/_plankterm"
put 644 "$staging/completion.fish" "$prefix/share/fish/vendor_completions.d/plankterm.fish"

# MARK: check and report
version="$(cd / && "$prefix/bin/plankterm" --version)"
(cd / && "$prefix/bin/plankterm" --help >/dev/null)
echo "installed plankterm $version under $prefix:"
printf '  %s\n' "${installed[@]}"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo
     echo "$prefix/bin is not on PATH; add to ~/.bashrc (or ~/.zshrc):"
     echo "  export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
echo
echo "zsh completions: add to ~/.zshrc, before compinit:"
echo "  fpath=(\"$prefix/share/zsh/site-functions\" \$fpath)"
echo "bash and fish completions load by themselves where $prefix/share is one of their data folders"
echo "(~/.local/share, or a folder of XDG_DATA_DIRS); elsewhere add to ~/.bashrc:"
echo "  source \"$prefix/share/bash-completion/completions/plankterm\""
echo "manual: man plankterm (with $prefix/bin on PATH), or man -l $prefix/share/man/man1/plankterm.1"
echo "try it: plankterm demo --images $prefix/share/plankterm/demo/images --project ~/plankterm-demo"
