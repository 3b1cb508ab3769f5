#!/usr/bin/env bash
# `kubench encode` on a generated 1080p clip with scene cuts and audio, libx264 at one preset, in
# this one script, the cases alternating over the rounds:
#   plain:    one ffmpeg encode of the whole clip, -threads T (T = the cores), audio copied;
#   jobs1:    kubench encode --jobs 1 --threads-per-part T: the whole pipeline (scene detection,
#             parts, join, verification by decoding) against plain — the overhead, target < 5 %;
#   jobs1t1 / jobs2t1: --jobs 1 and --jobs 2 with one encoder thread per part (the many-nodes
#             case on this machine): the scaling, target ≥ 1.8×;
#   byhand:   the plain-ffmpeg way: segment muxer (-c copy, 10 s), two encodes at a time
#             (-threads 1, video and AAC per segment), concat demuxer (-c copy).
# Then for kubench's output and the by-hand output against the source: decoded video frames,
# video duration, decoded audio samples and where the audio ends against the video (A/V offset).
# Reports medians and ratios; nothing is asserted.
#   bench/encode.sh [BUILD_DIR] [ROUNDS] [PRESET] [SECONDS]     (default: build/ci 3 veryfast 60)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
rounds=${2:-3}
preset=${3:-veryfast}
seconds=${4:-60}
kubench=$(realpath "$build/kubench")
[ -x "$kubench" ] || { echo "encode.sh: no $build/kubench (build first)" >&2; exit 2; }
threads=$(nproc)
work=$(mktemp -d /tmp/kubench-encode-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The clip: eight scenes of different lavfi sources (moving pictures, not still frames), 25 fps,
# x264 crf 18 with a keyframe every 2 s, and a 48 kHz tone as AAC.
src="$work/source.mp4"
scene_s=$(awk -v s="$seconds" 'BEGIN { printf "%.3f", s / 8 }')
sources=("testsrc2" "mandelbrot" "life=mold=10:ratio=0.1:death_color=#00ff00" "testsrc" "cellauto=rule=110" "smptehdbars" "rgbtestsrc" "mandelbrot=start_scale=0.5")
inputs=() graph="" joined=""
for i in "${!sources[@]}"; do
  sep=":"; [[ ${sources[$i]} == *=* ]] || sep="="
  inputs+=(-f lavfi -i "${sources[$i]}${sep}s=1920x1080:r=25")
  graph+="[$i:v]trim=duration=$scene_s,setpts=PTS-STARTPTS,format=yuv420p,noise=alls=3:allf=t[s$i];"
  joined+="[s$i]"
done
echo "encode.sh: making a ${seconds} s 1080p clip with 8 scenes and audio…" >&2
ffmpeg -v error -y "${inputs[@]}" -f lavfi -i "sine=f=440:r=48000" \
  -filter_complex "${graph}${joined}concat=n=8:v=1:a=0[v];[8:a]atrim=duration=$seconds[a]" -map "[v]" -map "[a]" \
  -c:v libx264 -preset veryfast -crf 20 -g 50 -c:a aac -b:a 128k "$src"

now() { date +%s.%N; }
declare -A times
record() { times[$1]="${times[$1]:-} $2"; }
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run_plain() {
  ffmpeg -v error -nostdin -y -i "$src" -map 0:v:0 -map 0:a:0 -c:v libx264 -preset "$preset" -crf 23 -threads "$threads" -c:a copy "$work/plain.mp4"
}
run_kubench() {  # $1 jobs, $2 threads per part, $3 output
  "$kubench" encode "$src" "$3" --jobs "$1" --threads-per-part "$2" --preset "$preset" --quality 23 --force -q -o json >"$3.json"
}
run_byhand() {
  local d="$work/byhand"
  rm -rf "$d" && mkdir -p "$d"
  ffmpeg -v error -nostdin -y -i "$src" -map 0 -c copy -f segment -segment_time 10 -reset_timestamps 1 "$d/seg%03d.mp4"
  ls "$d"/seg*.mp4 | xargs -P 2 -I{} sh -c 'ffmpeg -v error -nostdin -y -i "$1" -c:v libx264 -preset "$2" -crf 23 -threads 1 -c:a aac -b:a 128k "${1%.mp4}.enc.mp4"' _ {} "$preset"
  for f in "$d"/seg*.enc.mp4; do echo "file '$f'"; done >"$d/list.txt"
  ffmpeg -v error -nostdin -y -f concat -safe 0 -i "$d/list.txt" -c copy "$work/byhand.mp4"
}

cases=(plain jobs1 jobs1t1 jobs2t1 byhand)
for ((round = 1; round <= rounds; round++)); do
  # Rotate the order so no case always runs first (cold caches) or last.
  for ((k = 0; k < ${#cases[@]}; k++)); do
    c=${cases[$(((k + round) % ${#cases[@]}))]}
    start=$(now)
    case $c in
      plain) run_plain ;;
      jobs1) run_kubench 1 "$threads" "$work/jobs1.mp4" ;;
      jobs1t1) run_kubench 1 1 "$work/jobs1t1.mp4" ;;
      jobs2t1) run_kubench 2 1 "$work/jobs2t1.mp4" ;;
      byhand) run_byhand ;;
    esac
    t=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
    record "$c" "$t"
    echo "round $round: $c ${t} s" >&2
  done
done

# What each output holds against the source: frames and audio samples by decoding.
facts() {  # frames video_duration audio_samples audio_end_minus_video_end (errors on stderr, never fatal)
  local f=$1
  set +e
  local frames vdur adur samples rate
  frames=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$f")
  vdur=$(ffprobe -v error -select_streams v:0 -show_entries stream=duration -of csv=p=0 "$f")
  rate=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$f")
  samples=$(ffmpeg -v error -i "$f" -map 0:a:0 -f s16le -ac 1 - | wc -c | awk '{ print $1 / 2 }')
  adur=$(awk -v s="$samples" -v r="$rate" 'BEGIN { printf "%.4f", s / r }')
  echo "${frames:-?} ${vdur:-?} ${samples:-?} $(awk -v a="$adur" -v v="$vdur" 'BEGIN { printf "%+.4f", a - v }')"
  set -e
}
read -r sf sv ss so <<<"$(facts "$src")"
echo
printf '%-44s %8s\n' "case (libx264 -preset $preset, $threads cores)" "median s"
for c in "${cases[@]}"; do printf '%-44s %8.2f\n' "$c" "$(median "${times[$c]}")"; done
p=$(median "${times[plain]}") j1=$(median "${times[jobs1]}") a=$(median "${times[jobs1t1]}") b=$(median "${times[jobs2t1]}") h=$(median "${times[byhand]}")
echo
awk -v j="$j1" -v p="$p" 'BEGIN { printf "(a) overhead, kubench --jobs 1 / plain ffmpeg:      %.3f  (%+.1f %%; target < +5 %%)\n", j / p, (j / p - 1) * 100 }'
awk -v a="$a" -v b="$b" 'BEGIN { printf "(b) scaling, --jobs 2 vs --jobs 1 (1 thread each): %.2fx (target >= 1.8x)\n", a / b }'
awk -v h="$h" -v b="$b" 'BEGIN { printf "(c) by hand (segment + 2 encodes + concat) / kubench --jobs 2: %.2f\n", h / b }'
echo
echo "kubench --jobs 1 stages (last round, s): $(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timings']; print(', '.join(f'{k[:-2]} {v:.2f}' for k, v in t.items()))" "$work/jobs1.mp4.json")"
echo
printf '%-10s %8s %10s %10s %12s\n' output frames video_s audio_smp "A/V end s"
printf '%-10s %8s %10s %10s %12s\n' source "$sf" "$sv" "$ss" "$so"
for o in jobs2t1 byhand; do
  read -r f v s off <<<"$(facts "$work/$o.mp4")"
  printf '%-10s %8s %10s %10s %12s\n' "$o" "$f" "$v" "$s" "$off"
done
