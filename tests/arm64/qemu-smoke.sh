#!/usr/bin/env bash
# The cross-built aarch64 kubench against the amd64 build, on this amd64 machine under qemu-user:
# --version, probe -o json, scenes detect and bench --accel cpu must give the same documents (same
# frames, identical scene lists). ffmpeg is this machine's (amd64) in both: what is compared is
# kubench's own code on each architecture. docs/development.md#arm64
#   tests/arm64/qemu-smoke.sh ARM64_KUBENCH AMD64_KUBENCH [--full]
#     --full   every bench test of the quick profile (default: three, to keep CI short)
# Prints a table of both runs' figures; exits non-zero on the first difference.
set -euo pipefail
arm="${1:?usage: qemu-smoke.sh ARM64_KUBENCH AMD64_KUBENCH [--full]}"
x86="${2:?usage: qemu-smoke.sh ARM64_KUBENCH AMD64_KUBENCH [--full]}"
full="${3:-}"
fail() { echo "qemu-smoke: FAIL: $*" >&2; exit 1; }
say() { echo "qemu-smoke: $*" >&2; }
qemu="$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)"
[[ -n "$qemu" ]] || fail "no qemu-aarch64-static (scripts/install-deps.sh --arm64 installs qemu-user-static)"
[[ -x "$arm" ]] || fail "no arm64 kubench at $arm (cmake --build --preset arm64)"
[[ -x "$x86" ]] || fail "no amd64 kubench at $x86 to compare with (cmake --build --preset ci --target kubench)"
readelf -h "$arm" | grep -q 'Machine:.*AArch64' || fail "$arm is not an AArch64 binary"
command -v jq >/dev/null || fail "jq is needed"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# run NAME CMD...: the command's stdout to $work/NAME.out, its time to $work/NAME.s
run() {
  local name="$1" t0
  shift
  t0="$(now)"
  local rc=0
  "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$work/$name.err" >&2; fail "$name: exit $rc from $*"; }
  seconds "$t0" >"$work/$name.s"
}
same() { # same WHAT FILE_A FILE_B
  diff -u "$2" "$3" >"$work/diff" || { head -40 "$work/diff" >&2; fail "$1 differs between aarch64 and amd64"; }
}

# 1. --version: the same version (the amd64 build may also name its libtorch plugin)
run version-arm "$qemu" "$arm" --version
run version-x86 "$x86" --version
[[ "$(cut -d' ' -f1 "$work/version-arm.out")" == "$(cut -d' ' -f1 "$work/version-x86.out")" ]] ||
  fail "--version: $(cat "$work/version-arm.out") vs $(cat "$work/version-x86.out")"

# 2. probe -o json: the same machine seen by both (qemu shows the host's /proc)
run probe-arm "$qemu" "$arm" probe -o json
run probe-x86 "$x86" probe -o json
same "probe -o json" <(jq -S . "$work/probe-arm.out") <(jq -S . "$work/probe-x86.out")

# 3. scenes detect: a clip with cuts at frames 30 and 75 (three lavfi sources, 25 fps)
clip="$work/cuts.mp4"
ffmpeg -v error -f lavfi -i testsrc2=size=320x240:rate=25:duration=1.2 -f lavfi -i smptebars=size=320x240:rate=25:duration=1.8 \
  -f lavfi -t 1.8 -i mandelbrot=size=320x240:rate=25 -filter_complex '[0][1][2]concat=n=3:v=1[v]' -map '[v]' \
  -c:v libx264 -g 300 -pix_fmt yuv420p "$clip"
scenes() { jq -S . "$1"; }
run scenes-arm "$qemu" "$arm" scenes detect "$clip" -q -o json
run scenes-x86 "$x86" scenes detect "$clip" -q -o json
same "scenes detect" <(scenes "$work/scenes-arm.out") <(scenes "$work/scenes-x86.out")
cuts="$(jq -c .cuts "$work/scenes-x86.out")"

# 4. bench --accel cpu --profile quick: the same tests with the same frames on the same clips
tests=(--tests "h264_1080p_cpu,h264_1080p,hevc_8bit")
[[ "$full" == --full ]] && tests=()
cache="$work/cache"
run bench-x86 "$x86" bench --accel cpu --profile quick --cache-dir "$cache" --results-dir "$work/results" --run-id x86 -o json "${tests[@]}"
run bench-arm "$qemu" "$arm" bench --accel cpu --profile quick --cache-dir "$cache" --results-dir "$work/results" --run-id arm -o json "${tests[@]}"
outcome() { jq -S '{complete, backend, tests: [.tests[] | {test_id, clip, encoder, decoder, frames, expected_frames, exit_code}]}' "$1"; }
same "bench --accel cpu" <(outcome "$work/bench-arm.out") <(outcome "$work/bench-x86.out")
[[ "$(jq '.tests | length' "$work/bench-x86.out")" -gt 0 ]] || fail "bench ran no test"

{
  printf '%-34s %14s %14s\n' "" "amd64" "aarch64 (qemu)"
  for step in version probe scenes bench; do
    printf "%-34s %13ss %13ss\n" "$step wall time" "$(cat "$work/$step-x86.s")" "$(cat "$work/$step-arm.s")"
  done
  printf '%-34s %14s\n' "scene cuts (both)" "$cuts"
  jq -r --slurpfile a "$work/bench-arm.out" '.tests | to_entries[] |
    "\(.value.test_id) frames \(.value.frames) fps\t\(.value.fps * 10 | round / 10)\t\($a[0].tests[.key].fps * 10 | round / 10)"' \
    "$work/bench-x86.out" | awk -F'\t' '{ printf "%-34s %14s %14s\n", $1, $2, $3 }'
} >&2
say "OK: aarch64 and amd64 agree (version, probe, scenes, bench frames)"
