#!/usr/bin/env bash
# Builds plankterm's libFuzzer harnesses (Fuzz/) and runs each for a while, one at a time.
#
#   Scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]      (default: 60 s each, all harnesses)
#
# Harnesses:
#   png        pt_png_decode, header only and full, 4-megapixel limit        (C, against the system libpng)
#   jpeg       pt_jpeg_decode, the same                                       (C, against the system libjpeg)
#   labelfile  LabelFile.read: CSV and EcoTaxa TSV through CSV.swift          (Swift, Fuzz/swift)
#   toml       ThemeLoading.parse and PlanktermConfig.load through TOMLKit    (Swift, Fuzz/swift)
#
# Each run starts from a copy of Fuzz/corpus/HARNESS in a scratch folder (the committed corpus never
# grows) and keeps going after a finding (libFuzzer's fork mode). It prints, per harness, the executions,
# executions per second and the findings; crash, leak, oom and timeout inputs stay in the scratch folder
# it names, with the log. Replay one with `Fuzz/.build/bin/HARNESS FILE`.
#
# Environment: FUZZ_SCRATCH (default Fuzz/.build/runs), FUZZ_NICE (niceness, default 10),
# FUZZ_RSS_MB (memory limit of one input, default 512), FUZZ_TIMEOUT (seconds for one input, default 10),
# PLANKTERM_BUILD_LOCK (the file `swift build` waits on, default /tmp/plankterm-build.lock),
# FUZZ_CODECS (the codec shim to fuzz, default Sources/CImageCodecs: e.g. an older copy, to compare).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS_PER_HARNESS must be a whole number, not '$seconds'" >&2; exit 2; }
shift $(($# > 0 ? 1 : 0))
all=(png jpeg labelfile toml)
harnesses=("$@")
((${#harnesses[@]})) || harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do
  [[ " ${all[*]} " == *" $h "* ]] || { echo "fuzz: no harness '$h' (harnesses: ${all[*]})" >&2; exit 2; }
done
scratch_root="${FUZZ_SCRATCH:-$root/Fuzz/.build/runs}"
niceness="${FUZZ_NICE:-10}"
rss_mb="${FUZZ_RSS_MB:-512}"
timeout_s="${FUZZ_TIMEOUT:-10}"
lock="${PLANKTERM_BUILD_LOCK:-/tmp/plankterm-build.lock}"
bin="$root/Fuzz/.build/bin"
mkdir -p "$bin" "$scratch_root"

# MARK: tools
[ -d /opt/swift/usr/bin ] && PATH="$PATH:/opt/swift/usr/bin"
# The codec libraries and pkg-config come with the project's own packages (Scripts/setup.sh).
"$root/Scripts/setup.sh"
command -v clang >/dev/null || { echo "fuzz: no clang (the Swift toolchain's, in /opt/swift/usr/bin, has libFuzzer)" >&2; exit 1; }

# MARK: build
wants() { [[ " ${harnesses[*]} " == *" $1 "* ]]; }
codecs="${FUZZ_CODECS:-Sources/CImageCodecs}"
codec_sources=("$codecs/png_codec.c" "$codecs/jpeg_codec.c")
for h in png jpeg; do
  wants "$h" || continue
  echo "fuzz: building $h" >&2
  # shellcheck disable=SC2046
  if ! nice -n 5 clang -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I "$codecs/include" \
    "Fuzz/c/${h}_decode_fuzzer.c" "${codec_sources[@]}" $(pkg-config --cflags --libs libpng libjpeg) \
    -o "$bin/$h" 2>"$bin/$h.build-log"; then
    cat "$bin/$h.build-log" >&2
    exit 1
  fi
done
if wants labelfile || wants toml; then
  echo "fuzz: building the Swift harnesses (waiting for $lock)" >&2
  command -v swift >/dev/null || { echo "fuzz: no swift toolchain" >&2; exit 1; }
  # Not `--sanitize=fuzzer --sanitize=address`: SwiftPM keeps its sanitizers in a set, and the compiler
  # keeps only the last -sanitize= it is given, so each build got either coverage or ASan, by chance.
  # --sanitize=fuzzer makes SwiftPM compile executables with -parse-as-library (libFuzzer's main runs);
  # the -X flags then give every Swift, C and C++ file both. (gold's "Cannot export local symbol
  # '__asan_…'" warnings are harmless and left out.)
  if ! flock "$lock" nice -n 5 swift build --package-path Fuzz/swift --scratch-path Fuzz/.build/swift \
    -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address \
    -Xcxx -fsanitize=address --disable-dead-strip >"$bin/swift.build-log" 2>&1; then
    grep -v "Cannot export local symbol" "$bin/swift.build-log" >&2
    exit 1
  fi
  for h in labelfile toml; do
    wants "$h" && cp "Fuzz/.build/swift/release/fuzz-$h" "$bin/$h"
  done
fi
for h in "${harnesses[@]}"; do
  # Without coverage counters libFuzzer runs blind (and fork mode keeps no seed at all).
  [[ "$(readelf -S "$bin/$h")" == *__sancov_cntrs* ]] || { echo "fuzz: $bin/$h has no coverage instrumentation" >&2; exit 1; }
done

# MARK: run
export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"
# Swift's own crash backtracer would wait on the crashed process (and hang fork mode); libFuzzer and ASan
# print the stack instead.
export SWIFT_BACKTRACE="enable=no"
stamp="$(date +%Y%m%d-%H%M%S)"
# One input's report: its first error line and its first frame in our code (or in a package's).
replay() {
  local report what where
  report=$("$bin/$h" -runs=1 -rss_limit_mb="$rss" -malloc_limit_mb="$rss_mb" -timeout="$timeout_s" \
    "$1" 2>&1 </dev/null || true)
  what=$(grep -m1 -E 'ERROR: |contract broken: |runtime error: |Fatal error: |Assertion ' <<<"$report" \
    | sed -E 's/^==[0-9]+== ?//')
  where=$(grep -m1 -E '#[0-9]+ .* in .*(CImageCodecs/|/Sources/|/Fuzz/)' <<<"$report" \
    | sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in //')
  echo "${what:-no report on replay}${where:+ — at $where}"
}
summary=()
for h in "${harnesses[@]}"; do
  run="$scratch_root/$h-$stamp"
  mkdir -p "$run/corpus" "$run/artifacts"
  cp Fuzz/corpus/"$h"/* "$run/corpus/"
  seeds=$(ls "$run/corpus" | wc -l)
  echo "fuzz: $h for ${seconds}s from $seeds seeds in $run" >&2
  start=$(date +%s)
  # TOMLKit leaks every document it parses (Fuzz/lsan.supp), so the toml harness's memory grows with its
  # executions: its RSS limit is higher, and a single allocation over FUZZ_RSS_MB is still a finding.
  rss="$rss_mb"
  [ "$h" = toml ] && rss=$((rss_mb * 4))
  # Fork mode with one job: a finding is saved and fuzzing goes on until the time is up.
  nice -n "$niceness" "$bin/$h" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$seconds" -rss_limit_mb="$rss" -malloc_limit_mb="$rss_mb" -timeout="$timeout_s" \
    -dict="Fuzz/dict/$h.dict" -artifact_prefix="$run/artifacts/" "$run/corpus" >"$run/log" 2>&1 || true
  elapsed=$(($(date +%s) - start))
  # The fork-mode parent's status lines: "#EXECS: cov: … exec/s: N oom/timeout/crash: O/T/C time: Ns …".
  last=$(grep -E '^#[0-9]+: cov:' "$run/log" | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$last")
  count() { find "$run/artifacts" -maxdepth 1 -name "$1-*" | wc -l; }
  findings="crash $(count crash) leak $(count leak) oom $(count oom) timeout $(count timeout)"
  corpus=$(ls "$run/corpus" | wc -l)
  printf '%-10s %10s execs %7s exec/s %5ss  corpus %d→%d  %s\n' "$h" "${execs:-?}" "${rate:-?}" "$elapsed" \
    "$seeds" "$corpus" "$findings"
  # What the findings are: fork mode's log keeps only some of the inner runs' reports, so replay the
  # first few of each kind and print each one's first error line and first frame in our code.
  for kind in crash leak oom timeout; do
    find "$run/artifacts" -maxdepth 1 -name "$kind-*" | sort | head -3 | while read -r input; do
      echo "    $(basename "$input"): $(replay "$input")"
    done
  done
  # Fork mode drops seeds that fail without a word, so the regression seeds are replayed one by one.
  failing=0
  total=0
  for input in Fuzz/corpus/"$h"/regression-*; do
    [ -e "$input" ] || continue
    total=$((total + 1))
    if ! "$bin/$h" -runs=1 -rss_limit_mb="$rss" -malloc_limit_mb="$rss_mb" -timeout="$timeout_s" \
      "$input" >/dev/null 2>&1 </dev/null; then
      failing=$((failing + 1))
      echo "    still failing: $(basename "$input"): $(replay "$input")"
    fi
  done
  echo "    regression seeds: $((total - failing)) of $total pass"
  summary+=("$h: $run")
done
echo "fuzz: logs, corpora and findings:" >&2
printf '  %s\n' "${summary[@]}" >&2
