#!/usr/bin/env bash
# Fault injection: damage each file of a small project, run every command that reads project state, and
# record what happens.
#   Benchmarks/fault-injection.sh [--bin PATH] [--out TABLE.md] [--work /tmp/fi-NAME] [--timeout S] [--quick]
#                                 [--only REGEX]
# --quick runs status, train, queue, eval, abundance and both exports for every damage and the other
# commands only for 'random'; --only damages only the files whose path matches REGEX (grep -E).
#
# 1. Builds a small project from the dev images (8 classes: 10 images each in DIR/<class>/, labelled by
#    folder, and 5 each in DIR/unlabelled/<class>/, unlabelled): init, embed, train (linear), pretrain one
#    epoch (project encoder + checkpoint), embed again, train again. Keeps it as the pristine project, and
#    a second "live" copy taken while 'plankterm label --stdin' holds the database open right after an
#    acknowledged label (so plankterm.sqlite-wal and -shm exist and the WAL holds that label).
# 2. For every file of the project (found by listing it) and each damage — deleted, truncated to half,
#    zero-length, random bytes of the same length, wrong header (first 16 bytes := de ad be ef ×4) —
#    restores the pristine project, damages the one file, runs one command (each command on a fresh copy),
#    under a timeout (60 s, --timeout): status, import, embed, neighbors, neighbors IMAGE, train, queue, eval --truth,
#    abundance, export csv, export npy, report, models, train --queue + worker, label --stdin; for the
#    cache, encoder and database files also train --finetune + worker, and for the cache, checkpoint and
#    database pretrain --resume. For the files of older models/encoders and for the -shm (and for every
#    file with --quick), the commands other than status, train, queue, eval, abundance and the exports run
#    only for the 'random' damage.
# 3. Records exit code / signal, the first line of stderr, whether the expert labels (the non-predicted
#    annotation history and current labels, read with sqlite3 from a copy) changed, whether an
#    acknowledged label was lost, whether a new current model differs from the one the same command
#    makes on the pristine project (garbage model), and whether a successful command's output differs
#    from its output on the pristine project. Commands are first run twice on the pristine project
#    (damage "none", the control rows) to learn which outputs are deterministic.
# 4. Prints a markdown table (and writes it to --out) with a summary; exits 1 when a signal, a label loss
#    or a garbage model occurred.
# Environment: PLANKTERM_BIN (default binary), FI_DATA (the class folders, default
# /work/shared/data/ndsb-planktonset/png).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN_SRC=${PLANKTERM_BIN:-$HERE/../.build/debug/plankterm}
OUT_MD=""
WORK=/tmp/fi-run
TO=60
QUICK=0
ONLY=.
DATA=${FI_DATA:-/work/shared/data/ndsb-planktonset/png}
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN_SRC=$2; shift 2 ;;
    --out) OUT_MD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --timeout) TO=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --only) ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$WORK" in /tmp/fi-*) ;; *) echo "--work must be a /tmp/fi-* folder" >&2; exit 2 ;; esac
[ -x "$BIN_SRC" ] || { echo "no plankterm binary at $BIN_SRC (build it, or give --bin / PLANKTERM_BIN)" >&2; exit 2; }
for tool in sqlite3 python3 timeout sha256sum; do
  command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
PY="python3 $HERE/fault_injection.py"
T0=$EPOCHREALTIME

rm -rf "$WORK"; mkdir -p "$WORK/bin" "$WORK/blobs"
# A private copy of the binary (and its resource bundles), so a rebuild in the tree cannot change it mid-run.
cp "$BIN_SRC" "$WORK/bin/plankterm"
for r in "$(dirname "$BIN_SRC")"/*.resources; do [ -e "$r" ] && cp -a "$r" "$WORK/bin/"; done
BIN=$WORK/bin/plankterm
export SWIFT_BACKTRACE=enable=no   # a trap prints its one 'Fatal error' line and dies at once
export USER=fault-injection
ulimit -c 0

# ---------------------------------------------------------------- 1. the project
IMAGES=$WORK/images; TRUTH=$WORK/truth.csv
mkdir -p "$IMAGES/unlabelled"
echo "path,label" > "$TRUTH"
for c in $(ls "$DATA" | awk 'NR % 15 == 1' | head -8); do
  mkdir -p "$IMAGES/$c" "$IMAGES/unlabelled/$c"
  n=0
  for f in $(ls "$DATA/$c" | grep '\.png$' | head -15); do
    if [ $n -lt 10 ]; then d=$c; else d=unlabelled/$c; fi
    cp "$DATA/$c/$f" "$IMAGES/$d/$f"; echo "$d/$f,$c" >> "$TRUTH"
    n=$((n + 1))
  done
done
LABEL_IMG=$(grep '^unlabelled/' "$TRUTH" | sed -n 1p | cut -d, -f1)   # 'label --stdin' labels this one
LABEL_CLASS=$(grep '^unlabelled/' "$TRUTH" | sed -n 1p | cut -d, -f2)
LIVE_IMG=$(grep '^unlabelled/' "$TRUTH" | sed -n 2p | cut -d, -f1)    # the label held only by the WAL
LIVE_CLASS=$(grep '^unlabelled/' "$TRUTH" | sed -n 2p | cut -d, -f2)

P0=$WORK/pristine; PL=$WORK/pristine-live; W=$WORK/W
step() { "$@" >> "$WORK/setup.log" 2>&1 || { echo "setup step failed: $*" >&2; tail -5 "$WORK/setup.log" >&2; exit 2; }; }
echo "building the project in $P0 with $(($(grep -c . "$TRUTH") - 1)) images ..." >&2
step "$BIN" init "$P0" --images "$IMAGES" --folder-labels on
step "$BIN" embed "$P0"
step "$BIN" train "$P0" --head linear
step "$BIN" pretrain "$P0" --epochs 1 --batch 32
step "$BIN" embed "$P0"
step "$BIN" train "$P0" --head linear

# The live copy: taken while 'label --stdin' holds the database open after acknowledging one label.
cp -a "$P0" "$WORK/live-src"; mkfifo "$WORK/fifo"
"$BIN" label "$WORK/live-src" --stdin < "$WORK/fifo" > "$WORK/live.out" 2>&1 &
LIVE_PID=$!
exec 3> "$WORK/fifo"
printf '%s\t%s\n' "$LIVE_IMG" "$LIVE_CLASS" >&3
for _ in $(seq 300); do grep -q '^ok ' "$WORK/live.out" && break; sleep 0.1; done
cp -a "$WORK/live-src" "$PL"
exec 3>&-
wait $LIVE_PID
LIVE=1
[ -e "$PL/plankterm.sqlite-wal" ] || { echo "warning: no -wal in the live copy; skipping the WAL cases" >&2; LIVE=0; }

# ---------------------------------------------------------------- helpers
SNAPQ="SELECT 'A|'||i.path||'|'||coalesce(c.name,'-')||'|'||a.status||'|'||a.annotator||'|'||a.time||'|'||a.source
  FROM annotation a JOIN image i ON i.id=a.imageId LEFT JOIN class c ON c.id=a.classId
  WHERE a.status!='predicted' ORDER BY a.id;
SELECT 'C|'||i.path||'|'||c.name||'|'||l.status FROM currentLabel l JOIN image i ON i.id=l.imageId
  JOIN class c ON c.id=l.classId WHERE l.status!='predicted' ORDER BY i.path;
SELECT 'M|'||m.id||'|'||coalesce(json_extract(m.parameters,'\$.encoder'),'')||'|'||
  coalesce(json_extract(m.metrics,'\$.outOfFoldAfter.accuracy'),'')
  FROM meta k JOIN model m ON m.id=k.value WHERE k.key='currentModel';"
# snap PROJECT OUT: the expert labels and current model, read from a copy (sqlite3 would checkpoint or
# reset the original's WAL); first line READABLE, UNREADABLE: why, or ABSENT.
snap() {
  local t=$WORK/snapdb
  rm -rf "$t"; mkdir -p "$t"
  if [ ! -e "$1/plankterm.sqlite" ]; then echo ABSENT > "$2"; return; fi
  cp "$1/plankterm.sqlite" "$t/db"
  [ -e "$1/plankterm.sqlite-wal" ] && cp "$1/plankterm.sqlite-wal" "$t/db-wal"
  if sqlite3 -batch -bail "$t/db" "$SNAPQ" > "$t/out" 2> "$t/err" && [ ! -s "$t/err" ]; then
    { echo READABLE; cat "$t/out"; } > "$2"
  else
    echo "UNREADABLE: $(head -1 "$t/err")" > "$2"
  fi
}
labels_of() { grep -E '^[AC]\|' "$1" | { if [ -n "${2:-}" ]; then grep -v -F "|$2|"; else cat; fi; } | sort; }
model_of() { grep '^M|' "$1" | head -1; }
readable() { [ "$(head -1 "$1")" = READABLE ]; }
sha() { if [ -e "$1" ]; then sha256sum < "$1" | cut -c1-16; else echo absent; fi; }
norm() {
  sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+Z?/TIME/g; s/[0-9]+(\.[0-9]+)? ?(s|ms)\b/T/g;
          s/[0-9.]+ img\/s//g; s/ETA [0-9:]+//g; s/clf-[0-9a-f]{12}/clf-ID/g' "$1"
}

CMD_NAMES=(status import embed neighbors "neighbors IMAGE" train queue eval abundance "export csv"
           "export npy" report models "train --queue + worker" "label --stdin"
           "train --finetune + worker" "pretrain --resume")
CMD_LINES=('"$BIN" status "$W"'
           '"$BIN" import "$W"'
           '"$BIN" embed "$W"'
           '"$BIN" neighbors "$W"'
           '"$BIN" neighbors "$W" "$LABEL_IMG"'
           '"$BIN" train "$W"'
           '"$BIN" queue "$W"'
           '"$BIN" eval "$W" --truth "$TRUTH"'
           '"$BIN" abundance "$W"'
           '"$BIN" export "$W" --format csv --out "$OUTD/labels.csv"'
           '"$BIN" export "$W" --format npy --out "$OUTD/npy"'
           '"$BIN" report "$W"'
           '"$BIN" models "$W"'
           '"$BIN" train "$W" --queue && "$BIN" worker "$W"'
           '"$BIN" label "$W" --stdin < "$WORK/label-line"'
           '"$BIN" train "$W" --finetune --epochs 1 && "$BIN" worker "$W"'
           '"$BIN" pretrain "$W" --resume --epochs 1 --batch 32')
MODEL_CMDS=" 5 13 15 "          # indices of the commands that install a classifier
ALWAYS=" 0 5 6 7 8 9 10 "       # status train queue eval abundance exports: every damage of every file; the
                                # others only with 'random' for the files of older models and encoders, the
                                # -shm, and everything with --quick
printf '%s\t%s\n' "$LABEL_IMG" "$LABEL_CLASS" > "$WORK/label-line"
OUTD=$WORK/out
export BIN W OUTD TRUTH LABEL_IMG WORK

declare -A CTRL_OUT CTRL_OUT_DET CTRL_PROBS CTRL_PROBS_DET CTRL_OOF
snap "$P0" "$WORK/pristine.snap"; snap "$PL" "$WORK/pristine-live.snap"
RESULTS=$WORK/results.tsv; : > "$RESULTS"

# run_case STATE FILE DAMAGE CMD_INDEX
run_case() {
  local state=$1 file=$2 dmg=$3 i=$4 src=$P0 psnap=$WORK/pristine.snap
  [ "$state" = live ] && { src=$PL; psnap=$WORK/pristine-live.snap; }
  rm -rf "$W" "$OUTD"; cp -a "$src" "$W"; mkdir -p "$OUTD"
  case "$dmg" in
    none) ;;
    deleted) rm -f "$W/$file" ;;
    *) cp "$WORK/blobs/$(echo "$file" | tr / _).$dmg" "$W/$file" ;;
  esac
  snap "$W" "$WORK/pre.snap"
  local t1=$EPOCHREALTIME
  timeout -k 5 "$TO" bash -c "${CMD_LINES[$i]}" > "$OUTD/stdout" 2> "$OUTD/stderr" < /dev/null
  local rc=$?
  local secs; secs=$(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  snap "$W" "$WORK/post.snap"
  local first; first=$(grep -v '^[[:space:]]*$' "$OUTD/stderr" | head -1 | tr '\t' ' ' | cut -c1-110)
  local out1=""  # what a failure without a stderr line printed instead
  [ "$rc" != 0 ] && [ -z "$first" ] && out1=$(grep -v '^[[:space:]]*$' "$OUTD/stdout" | tail -1 | tr '\t' ' ' | cut -c1-110)

  # expert labels: did the command change them? (the image 'label --stdin' labels is left out for it)
  local skip="" labels=same ack="" dloss=""
  [ "$i" = 14 ] && skip=$LABEL_IMG
  if readable "$WORK/pre.snap"; then
    dloss=$(comm -23 <(labels_of "$psnap") <(labels_of "$WORK/pre.snap") | grep -c '^A|')
    if readable "$WORK/post.snap"; then
      labels_of "$WORK/pre.snap" "$skip" > "$WORK/pre.labels"; labels_of "$WORK/post.snap" "$skip" > "$WORK/post.labels"
      if ! cmp -s "$WORK/pre.labels" "$WORK/post.labels"; then
        local lost gained changed
        lost=$(comm -23 "$WORK/pre.labels" "$WORK/post.labels" | grep -c '^A|')
        gained=$(comm -13 "$WORK/pre.labels" "$WORK/post.labels" | grep -c '^A|')
        changed=$(comm -3 <(grep '^C|' "$WORK/pre.labels") <(grep '^C|' "$WORK/post.labels") | cut -d'|' -f2 | sort -u | wc -l)
        labels="$lost history rows lost, $gained added, $changed current labels differ"
      fi
    else
      labels="database unreadable after the command: $(head -1 "$WORK/post.snap" | cut -c1-60)"
    fi
  elif readable "$WORK/post.snap"; then
    labels="a new database with $(labels_of "$WORK/post.snap" | grep -c '^C|') current labels replaced the damaged one"
  fi
  if [ "$i" = 14 ] && grep -q '^ok ' "$OUTD/stdout"; then
    grep -q -F "C|$LABEL_IMG|$LABEL_CLASS|validated" "$WORK/post.snap" || ack=lost
  fi

  # models: a new current model that differs from the one this command makes on the pristine project
  local model="" oof="" ref="" probs=""
  if [[ "$MODEL_CMDS" == *" $i "* ]] && readable "$WORK/post.snap"; then
    local pre_m post_m
    pre_m=$(model_of "$WORK/pre.snap" | cut -d'|' -f2); post_m=$(model_of "$WORK/post.snap" | cut -d'|' -f2)
    oof=$(model_of "$WORK/post.snap" | cut -d'|' -f4)
    if [ -n "$post_m" ] && [ "$post_m" != "$pre_m" ]; then
      probs=$(sha "$W/models/$post_m.probs.f32")
      local key="$state $i"
      if [ "$dmg" != none ]; then
        ref=${CTRL_OOF[$key]:-}
        local differs=0
        if [ "${CTRL_PROBS_DET[$key]:-0}" = 1 ]; then [ "$probs" != "${CTRL_PROBS[$key]}" ] && differs=1
        else [ "$oof" != "$ref" ] && differs=1; fi
        if [ $differs = 1 ]; then
          if [ "${dloss:-0}" -gt 0 ]; then model=surviving-labels; else model=garbage; fi
        else model=same-as-pristine; fi
      fi
    fi
  fi

  # output of a successful command against the pristine project's (where that is deterministic)
  local sig; sig=$({ norm "$OUTD/stdout"; for f in labels.csv npy/embeddings.npy npy/index.csv; do
      [ -e "$OUTD/$f" ] && sha "$OUTD/$f"; done; } | sha256sum | cut -c1-16)
  local output=""
  if [ "$dmg" = none ]; then
    local key="$state $i"
    if [ -z "${CTRL_OUT[$key]:-}" ]; then
      CTRL_OUT[$key]=$sig; CTRL_OUT_DET[$key]=1; CTRL_PROBS[$key]=$probs; CTRL_PROBS_DET[$key]=1; CTRL_OOF[$key]=$oof
      if [ "$state" = live ]; then  # run once; deterministic where the pristine project's output is
        CTRL_OUT_DET[$key]=${CTRL_OUT_DET["rest $i"]:-0}; CTRL_PROBS_DET[$key]=${CTRL_PROBS_DET["rest $i"]:-0}
      fi
      return  # the first control run is not recorded
    fi
    [ "${CTRL_OUT[$key]}" != "$sig" ] && CTRL_OUT_DET[$key]=0
    [ "${CTRL_PROBS[$key]}" != "$probs" ] && CTRL_PROBS_DET[$key]=0
  elif [ "$rc" = 0 ] && [ "${CTRL_OUT_DET["$state $i"]:-0}" = 1 ]; then
    [ "$sig" != "${CTRL_OUT["$state $i"]}" ] && output=differs
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$state" "$file" "$dmg" "${CMD_NAMES[$i]}" \
    "$rc" "$secs" "$first" "$labels" "$ack" "$model" "$oof" "$ref" "$output" "$dloss" "$out1" >> "$RESULTS"
  echo "  $state $file $dmg ${CMD_NAMES[$i]}: rc $rc ${first:0:70}" >&2
}

CUR_CLF=$(model_of "$WORK/pristine.snap" | cut -d'|' -f2); CUR_ENC=$(model_of "$WORK/pristine.snap" | cut -d'|' -f3)
wants() {  # wants FILE DAMAGE CMD_INDEX: whether this command runs for this case
  local file=$1 dmg=$2 i=$3 reduced=$QUICK
  case "$i" in  # fine-tune and pretrain --resume: only for the files they read
    15) case "$file" in cache/*|models/encoder-*|plankterm.sqlite|"(none)") ;; *) return 1 ;; esac ;;
    16) case "$file" in cache/*|models/pretrain-checkpoint*|plankterm.sqlite|"(none)") ;; *) return 1 ;; esac ;;
  esac
  case "$file" in
    embeddings/*|neighbors/*|models/clf-*) [[ "$file" == *"$CUR_CLF"* || "$file" == *"$CUR_ENC"* ]] || reduced=1 ;;
    *-shm) reduced=1 ;;
  esac
  [ "$reduced" = 1 ] && [[ "$ALWAYS" != *" $i "* ]] && [ "$dmg" != random ] && [ "$dmg" != none ] && return 1
  return 0
}

# ---------------------------------------------------------------- 2. controls, then the damages
echo "control runs (pristine project, twice) ..." >&2
for state in rest live; do
  [ "$state" = live ] && [ "$LIVE" = 0 ] && continue
  for rep in 1 2; do
    [ "$state" = live ] && [ $rep = 2 ] && continue
    for i in "${!CMD_NAMES[@]}"; do
      if [ "$state" = live ]; then wants plankterm.sqlite-wal none "$i" || continue
      else wants "(none)" none "$i" || continue; fi
      run_case "$state" "(none)" none "$i"
    done
  done
done

(cd "$P0" && find . -type f | sort | xargs sha256sum) > "$WORK/pristine.before"
FILES=$(cd "$P0" && find . -type f | sed 's|^\./||' | sort | grep -E -- "$ONLY")
LIVE_FILES=""
[ "$LIVE" = 1 ] && LIVE_FILES=$(cd "$PL" && ls plankterm.sqlite-wal plankterm.sqlite-shm 2>/dev/null | grep -E -- "$ONLY")
DAMAGES="deleted truncated zero random header"
for state in rest live; do
  if [ "$state" = rest ]; then list=$FILES; src=$P0; else list=$LIVE_FILES; src=$PL; fi
  for file in $list; do
    for dmg in $DAMAGES; do
      [ "$dmg" != deleted ] && $PY damage "$src/$file" "$dmg" "$WORK/blobs/$(echo "$file" | tr / _).$dmg"
      echo "$state $file $dmg" >&2
      for i in "${!CMD_NAMES[@]}"; do
        wants "$file" "$dmg" "$i" || continue
        run_case "$state" "$file" "$dmg" "$i"
      done
    done
  done
done

# The pristine copies must not have been touched by any run.
(cd "$P0" && find . -type f | sort | xargs sha256sum) > "$WORK/pristine.after"
cmp -s "$WORK/pristine.before" "$WORK/pristine.after" || echo "warning: the pristine project changed during the run" >&2
echo "dataset: $(($(grep -c . "$TRUTH") - 1)) images, files damaged: $(echo $FILES $LIVE_FILES | wc -w)" >&2

# ---------------------------------------------------------------- 3. the table
RUNTIME=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
$PY table "$RESULTS" "${OUT_MD:-$WORK/table.md}" "$RUNTIME"
status=$?
echo "results: $RESULTS; table: ${OUT_MD:-$WORK/table.md}; runtime ${RUNTIME} s" >&2
rm -rf "$W" "$OUTD" "$WORK/snapdb"
exit $status
