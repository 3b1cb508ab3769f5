#!/usr/bin/env bash
# Scene detection speed: kubench's content detector against ffmpeg's scdet filter and against a
# bare decode (`ffmpeg -f null -`), on a 1080p H.264 clip with cuts, one thread and default
# threads, alternating runs in this one script; then the local scaling of `--jobs 2`, on that clip
# and on one of SCALE_FRAMES (a long video is what sharding is for: on a short one each process's
# fixed start — ~0.07 s to load libavcodec's libraries, ~0.07 s to open the file — and the
# keyframe a second that a border must sit on weigh more).
#
#   frames/s = frames ÷ wall time of the whole command (process start to exit).
#   Ratios: kubench ÷ bare decode with the same decoder settings (the detection's own cost), and
#   kubench --fast-decode ÷ scdet (both decode; kubench skips the loop filter, after checking that
#   the cut list is the same with and without).
# Prints figures only; nothing is asserted.
#
# Usage: bench/scenes.sh [KUBENCH] [ROUNDS] [FRAMES] [SCALE_FRAMES]
#        (defaults build/release/kubench 3 600 1800)
set -euo pipefail
KUBENCH=$(realpath "${1:-build/release/kubench}")
ROUNDS=${2:-3}
FRAMES=${3:-600}
SCALE_FRAMES=${4:-1800}
[ -x "$KUBENCH" ] || { echo "scenes.sh: $KUBENCH is not an executable (build first)" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "scenes.sh: needs ffmpeg" >&2; exit 2; }

cache=${KUBENCH_BENCH_CACHE:-/tmp/kubench-bench-scenes}
mkdir -p "$cache"
make_clip() {  # FRAMES → prints the cached clip's path
  local frames=$1 out=$cache/cuts_1080p_g30_$1.mp4
  if [ ! -s "$out" ]; then
    # Four segments of different lavfi sources; cuts at the running sums of their lengths. A
    # keyframe every second (-g 30): a long film gives each shard hundreds of keyframes to put its
    # borders on, a 20 s clip with x264's default interval (250) would give it none but the cuts.
    local q=$((frames / 4))
    echo "generating $out ($frames frames, 1080p H.264) ..." >&2
    ffmpeg -v error -y \
      -f lavfi -i "testsrc2=s=1920x1080:r=30" -f lavfi -i "smptehdbars=s=1920x1080:r=30" \
      -f lavfi -i "mandelbrot=s=1920x1080:r=30" -f lavfi -i "rgbtestsrc=s=1920x1080:r=30" \
      -filter_complex "[0:v]trim=end_frame=$q,setpts=PTS-STARTPTS,format=yuv420p[a];[1:v]trim=end_frame=$q,setpts=PTS-STARTPTS,format=yuv420p[b];[2:v]trim=end_frame=$q,setpts=PTS-STARTPTS,format=yuv420p[c];[3:v]trim=end_frame=$((frames - 3 * q)),setpts=PTS-STARTPTS,format=yuv420p[d];[a][b][c][d]concat=n=4:v=1:a=0[out]" \
      -map "[out]" -c:v libx264 -preset medium -crf 20 -g 30 "$out.tmp.mp4"
    mv "$out.tmp.mp4" "$out"
  fi
  echo "$out"
}
clip=$(make_clip "$FRAMES")

seconds() {  # runs "$@" quietly, prints its wall time
  local t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'
}

# The shortcut must not change the answer.
plain=$("$KUBENCH" scenes detect "$clip" -q -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cuts"])')
fast=$("$KUBENCH" scenes detect "$clip" -q -o json --fast-decode | python3 -c 'import json,sys; print(json.load(sys.stdin)["cuts"])')
echo "cuts: $plain (with --fast-decode: $fast)$([ "$plain" = "$fast" ] && echo ', identical' || echo ', DIFFERENT')"

# kubench's default is one decoder thread per core (max 16); ffmpeg's own default is one more,
# which on 2 cores decodes ~9 % slower. Every ffmpeg run gets kubench's decoder settings — the
# detection cost is measured against the same decode — and scdet also runs at its own default.
cores=$(nproc); [ "$cores" -gt 16 ] && cores=16
declare -A times
run_set() {  # THREADS: one round of every variant, alternating
  local t=$1 ff=(-threads "$1")
  [ "$t" = 0 ] && ff=(-threads "$cores")
  times[decode_$t]+=" $(seconds ffmpeg -nostdin "${ff[@]}" -i "$clip" -an -f null -)"
  times[kubench_$t]+=" $(seconds "$KUBENCH" scenes detect "$clip" -q --threads "$t" -o json)"
  times[decodefast_$t]+=" $(seconds ffmpeg -nostdin "${ff[@]}" -skip_loop_filter all -i "$clip" -an -f null -)"
  times[kubenchfast_$t]+=" $(seconds "$KUBENCH" scenes detect "$clip" -q --threads "$t" --fast-decode -o json)"
  times[scdet_$t]+=" $(seconds ffmpeg -nostdin "${ff[@]}" -i "$clip" -vf scdet=t=10 -an -f null -)"
  if [ "$t" = 0 ]; then
    times[scdetown]+=" $(seconds ffmpeg -nostdin -i "$clip" -vf scdet=t=10 -an -f null -)"
  fi
}

for r in $(seq "$ROUNDS"); do
  run_set 1
  run_set 0
done
# The median round of each variant: this kind of VM has bursts of slowness from its neighbours,
# which a sum would spread over every ratio.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A total
for k in "${!times[@]}"; do total[$k]=$(median "${times[$k]}"); done
fps() { awk -v n="$FRAMES" -v s="$1" 'BEGIN { printf "%.1f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b / a }'; }  # fps(a)/fps(b) = time b / time a

echo
echo "$FRAMES frames of 1080p H.264, $ROUNDS alternating rounds (medians), $(nproc) CPU(s); frames/s (whole command):"
for t in 1 0; do
  label=$([ "$t" = 1 ] && echo "1 thread" || echo "default threads (kubench: one per core, $cores; ffmpeg given the same)")
  echo "  $label:"
  echo "    bare decode            $(fps "${total[decode_$t]}")"
  echo "    kubench content        $(fps "${total[kubench_$t]}")   = $(ratio "${total[kubench_$t]}" "${total[decode_$t]}") x bare decode (detection cost $(awk -v a="${total[kubench_$t]}" -v b="${total[decode_$t]}" 'BEGIN{printf "%+.1f%%", (a/b-1)*100}'))"
  echo "    bare decode, no loop filter  $(fps "${total[decodefast_$t]}")"
  echo "    kubench --fast-decode  $(fps "${total[kubenchfast_$t]}")   = $(ratio "${total[kubenchfast_$t]}" "${total[decodefast_$t]}") x the same decode (cost $(awk -v a="${total[kubenchfast_$t]}" -v b="${total[decodefast_$t]}" 'BEGIN{printf "%+.1f%%", (a/b-1)*100}'))"
  echo "    ffmpeg scdet           $(fps "${total[scdet_$t]}")"
  echo "    kubench --fast-decode / scdet = $(ratio "${total[kubenchfast_$t]}" "${total[scdet_$t]}"); kubench / scdet = $(ratio "${total[kubench_$t]}" "${total[scdet_$t]}")"
  if [ "$t" = 0 ]; then
    echo "    ffmpeg scdet, ffmpeg's own default threads  $(fps "${total[scdetown]}")"
    echo "    kubench --fast-decode / that = $(ratio "${total[kubenchfast_$t]}" "${total[scdetown]}"); kubench / that = $(ratio "${total[kubench_$t]}" "${total[scdetown]}")"
  fi
done

# Local scaling: two shard processes of one thread each against one.
scaling() {  # CLIP FRAMES
  local one="" two=""
  for r in $(seq "$ROUNDS"); do
    one+=" $(seconds "$KUBENCH" scenes detect "$1" -q --threads 1 --jobs 1 -o json)"
    two+=" $(seconds "$KUBENCH" scenes detect "$1" -q --threads 1 --jobs 2 -o json)"
  done
  echo "  local scaling, $2 frames: --jobs 2 is $(ratio "$(median "$two")" "$(median "$one")") x --jobs 1 (1 decoder thread each; medians $(median "$one") s, $(median "$two") s)"
}
scaling "$clip" "$FRAMES"
if [ "$SCALE_FRAMES" != "$FRAMES" ]; then scaling "$(make_clip "$SCALE_FRAMES")" "$SCALE_FRAMES"; fi
