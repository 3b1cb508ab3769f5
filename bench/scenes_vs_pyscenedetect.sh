#!/usr/bin/env bash
# Parity of kubench's scene detection with PySceneDetect (OpenCV backend, default settings,
# min_scene_len 15), per video and per detector (content, adaptive): the cut lists, the first
# scene's start, the per-frame scores (content_val, delta_hue/sat/lum, adaptive_ratio when
# kubench writes it), kubench --jobs N against its one pass, and the time of each.
#
#   Times: kubench the whole process of a one-pass run without --stats; PySceneDetect without a
#   StatsManager, twice: from opening the video to its scene list (in process: Python's start and
#   imports left out) and its whole process (as a user runs it). Ratios: PySceneDetect / kubench.
#   Targets (--strict exits 1 if one is missed): equal cut lists, --jobs N equal to one pass,
#   equal first-scene start, mean |Δ content_val| <= 0.05.
#
#   --decode: also time a bare decode of each video (ffmpeg -f null, with kubench's default
#   decoder threads, one per core; OpenCV under PySceneDetect uses as many): the floor both stand on.
#
# Usage: bench/scenes_vs_pyscenedetect.sh [--kubench PATH] [--jobs N] [--strict] [--decode]
#                                         [--out DIR] [DIR | FILES...]
#   DIR: every video in DIR/MANIFEST.tsv (bench/scene_corpus.sh makes one), or every file in DIR;
#        default /var/cache/kubench/scene-corpus. --jobs: default 3. --out: keep each tool's
#        JSON and stats CSV there (default: a temporary directory, removed).
#   PySceneDetect: $PYSCENEDETECT_SRC (a directory holding its scenedetect/ package; default
#   ~/.cache/kubench/pyscenedetect, cloned from GitHub when missing); $PYTHON: an interpreter
#   with OpenCV and numpy (default: python3 if it has them, else /usr/bin/python3).
# Exit: 0; 2 if a tool could not run (bad flags, missing tool, or a tool failed on a video);
#       1 with --strict when a target is missed.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
KUBENCH=${KUBENCH:-build/release/kubench}
JOBS=3
STRICT=""
OUT=""
DECODE=""
inputs=()
while [ $# -gt 0 ]; do
  case $1 in
    --kubench) KUBENCH=${2:?--kubench needs a path}; shift 2 ;;
    --jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
    --strict) STRICT=--strict; shift ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --decode) DECODE=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "scenes_vs_pyscenedetect.sh: unknown flag $1" >&2; exit 2 ;;
    *) inputs+=("$1"); shift ;;
  esac
done
[ ${#inputs[@]} -gt 0 ] || inputs=(/var/cache/kubench/scene-corpus)
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || { echo "scenes_vs_pyscenedetect.sh: --jobs must be a positive number" >&2; exit 2; }
[ -x "$KUBENCH" ] || { echo "scenes_vs_pyscenedetect.sh: $KUBENCH is not an executable (build first, or --kubench PATH)" >&2; exit 2; }
KUBENCH=$(realpath "$KUBENCH")

# An interpreter that has OpenCV: pyenv's or a venv's python3 often lacks Debian's python3-opencv.
if [ -z "${PYTHON:-}" ]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import cv2, numpy' 2>/dev/null; then PYTHON=$p; break; fi
  done
fi
[ -n "${PYTHON:-}" ] || { echo "scenes_vs_pyscenedetect.sh: no python3 with OpenCV and numpy (apt-get install python3-opencv, or set PYTHON)" >&2; exit 2; }

PYSCENEDETECT_SRC=${PYSCENEDETECT_SRC:-$HOME/.cache/kubench/pyscenedetect}
if [ ! -f "$PYSCENEDETECT_SRC/scenedetect/__init__.py" ]; then
  echo "cloning PySceneDetect into $PYSCENEDETECT_SRC ..." >&2
  mkdir -p "$(dirname "$PYSCENEDETECT_SRC")"
  git clone -q --depth 1 https://github.com/Breakthrough/PySceneDetect "$PYSCENEDETECT_SRC" ||
    { echo "scenes_vs_pyscenedetect.sh: could not clone PySceneDetect (set PYSCENEDETECT_SRC to a directory with its scenedetect/)" >&2; exit 2; }
fi
export PYSCENEDETECT_SRC

videos=()
for in in "${inputs[@]}"; do
  if [ -d "$in" ]; then
    if [ -f "$in/MANIFEST.tsv" ]; then
      while IFS=$'\t' read -r f _; do videos+=("$in/$f"); done < <(tail -n +2 "$in/MANIFEST.tsv")
    else
      while IFS= read -r f; do videos+=("$f"); done < <(find "$in" -maxdepth 1 -type f | sort)
    fi
  elif [ -f "$in" ]; then
    videos+=("$in")
  else
    echo "scenes_vs_pyscenedetect.sh: no such file or directory: $in" >&2; exit 2
  fi
done

if [ -n "$OUT" ]; then
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
results=$OUT/results.jsonl
: >"$results"

last_line() { grep -v '^[[:space:]]*$' "$1" | tail -n 1; }  # a tool's error, for the log
seconds() {  # OUTFILE CMD...: runs CMD with stdout to OUTFILE, prints its wall time; fails as CMD
  local out=$1 t0=$EPOCHREALTIME
  shift
  "$@" >"$out" || return
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'
}

echo "kubench: $KUBENCH"
echo "PySceneDetect: $PYSCENEDETECT_SRC ($("$PYTHON" -c 'import sys; sys.path.insert(0, sys.argv[1]); import scenedetect, cv2; print(scenedetect.__version__, "OpenCV", cv2.__version__)' "$PYSCENEDETECT_SRC" 2>/dev/null || echo '?'))"
echo "${#videos[@]} videos; per-run files in $OUT"
failures=0
for video in "${videos[@]}"; do
  name=$(basename "$video")
  for det in content adaptive; do
    base=$OUT/$name.$det
    # PySceneDetect first: its runs also bring the file into the page cache for kubench's.
    "$PYTHON" "$here/pyscenedetect_ref.py" "$video" --detector "$det" --stats-csv "$base.psd.csv" \
      >"$base.psd.json" 2>"$base.psd.err" ||
      { echo "!! PySceneDetect failed on $name [$det]: $(last_line "$base.psd.err")"; failures=$((failures + 1)); }
    "$KUBENCH" scenes detect "$video" --detector "$det" -o json --stats "$base.kb.csv" -q \
      >"$base.kb.json" 2>"$base.kb.err" ||
      { echo "!! kubench failed on $name [$det]: $(last_line "$base.kb.err")"; failures=$((failures + 1)); }
    kb_seconds=$(seconds "$base.kbt.json" "$KUBENCH" scenes detect "$video" --detector "$det" -o json -q 2>/dev/null) || kb_seconds=0
    # PySceneDetect's whole process too (Python's start and imports), as a user runs it.
    psd_process_seconds=$(seconds /dev/null "$PYTHON" "$here/pyscenedetect_ref.py" "$video" --detector "$det" --time-only 2>/dev/null) ||
      psd_process_seconds=0
    "$KUBENCH" scenes detect "$video" --detector "$det" -o json -q --jobs "$JOBS" \
      >"$base.kbj.json" 2>"$base.kbj.err" ||
      { echo "!! kubench --jobs $JOBS failed on $name [$det]: $(last_line "$base.kbj.err")"; failures=$((failures + 1)); }
    decode_seconds=0
    if [ -n "$DECODE" ]; then
      decode_seconds=$(seconds /dev/null ffmpeg -nostdin -v error -threads "$(nproc)" -i "$video" -map 0:v:0 -f null - 2>/dev/null) ||
        decode_seconds=0
    fi
    "$PYTHON" "$here/scenes_compare.py" one --name "$name" --detector "$det" \
      --decode-seconds "$decode_seconds" \
      --psd "$base.psd.json" --kb "$base.kb.json" --kb-stats "$base.kb.csv" \
      --kb-jobs "$base.kbj.json" --jobs "$JOBS" --kb-seconds "$kb_seconds" \
      --psd-process-seconds "$psd_process_seconds" --results "$results"
  done
done
rc=0
"$PYTHON" "$here/scenes_compare.py" summary "$results" $STRICT || rc=$?
if [ "$failures" -gt 0 ]; then
  echo "scenes_vs_pyscenedetect.sh: $failures tool runs failed (see above)" >&2
  exit 2
fi
exit "$rc"
