#!/usr/bin/env bash
# kubench on arm64, measured on this amd64 machine: the multi-arch image's size per architecture, and
# `kubench bench --accel cpu --profile quick` three ways, in this one script, on the same clips:
#   native:    the amd64 kubench and this machine's ffmpeg (the reference);
#   qemu-kb:   the aarch64 kubench under qemu-user, this machine's ffmpeg as its child (what the CI
#              smoke test runs: kubench's own code on arm64, encodes at native speed);
#   arm64-img: the arm64 image's own root (scripts/build-image.sh --kubench-arm64), kubench and ffmpeg
#              both arm64 under qemu (binfmt_misc registered for the run and removed after; needs root).
# For each test: frames (must be equal) and fps, and each way's fps against native. Nothing asserted.
#   bench/arm64.sh [AMD64_BUILD] [ARM64_BUILD] [TESTS]   (default: build/ci build/arm64 h264_1080p_cpu,hevc_8bit)
set -euo pipefail
cd "$(dirname "$0")/.."
x86=$(realpath "${1:-build/ci}/kubench")
arm=$(realpath "${2:-build/arm64}/kubench")
tests=${3:-h264_1080p_cpu,hevc_8bit}
for b in "$x86" "$arm"; do [[ -x "$b" ]] || { echo "arm64.sh: no $b (build first)" >&2; exit 2; }; done
qemu=$(command -v qemu-aarch64-static) || { echo "arm64.sh: no qemu-aarch64-static (scripts/install-deps.sh --arm64)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "arm64.sh: needs root (the image build, chroot, binfmt_misc)" >&2; exit 2; }
work=$(mktemp -d /tmp/kubench-arm64-bench.XXXXXX)
binfmt=/proc/sys/fs/binfmt_misc
mounted_binfmt=0 registered=0
cleanup() {
  if [[ $registered -eq 1 ]]; then echo -1 >"$binfmt/kubench-aarch64" || true; fi
  if [[ $mounted_binfmt -eq 1 ]]; then umount "$binfmt" || true; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
log() { echo "arm64.sh: $*" >&2; }

# 1. The image, both architectures under one tag; sizes from the index (layers are gzip blobs).
tag=kubench.local/kubench:arm64-bench
archive="$work/image.tar"
scripts/build-image.sh --kubench "$x86" --kubench-arm64 "$arm" --tag "$tag" --out "$archive" >/dev/null
manifest_layers() { # manifest_layers LAYOUT: the compressed size of its image's layers, in bytes
  local m
  m=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$1/index.json")
  jq '[.layers[].size] | add' "$1/blobs/sha256/$m"
}
sizes=$(for a in amd64 arm64; do
  skopeo --override-arch "$a" copy -q "oci-archive:$archive:$tag" "oci:$work/$a:img" >&2
  echo "$a $(manifest_layers "$work/$a")"
done)
umoci unpack --image "$work/arm64:img" "$work/bundle" >/dev/null
root="$work/bundle/rootfs"

# 2. binfmt_misc for arm64 ELF files, F: qemu opened now, so it works inside the image's root too.
if [[ ! -e "$binfmt/status" ]]; then mount -t binfmt_misc binfmt_misc "$binfmt" && mounted_binfmt=1; fi
if ! grep -qs '^enabled' "$binfmt"/qemu-aarch64 2>/dev/null; then
  printf '%s' ':kubench-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$qemu"':F' \
    >"$binfmt/register"
  registered=1
fi

# 3. The three ways; the clips are made once (by the native run) and shared, so the frames compare.
mkdir -p "$root/bench" "$work/clips"
bench_args=(bench --accel cpu --profile quick --tests "$tests" -o json)
log "native"
"$x86" "${bench_args[@]}" --cache-dir "$work/clips" --results-dir "$work/results" --run-id native >"$work/native.json"
log "aarch64 kubench under qemu"
"$qemu" "$arm" "${bench_args[@]}" --cache-dir "$work/clips" --results-dir "$work/results" --run-id qemu-kb >"$work/qemu-kb.json"
log "the arm64 image: kubench and ffmpeg under qemu"
cp -a "$work/clips" "$root/bench/clips"
# A mount namespace of its own: the image's /proc and /dev (ffmpeg writes to /dev/null) go with it.
# shellcheck disable=SC2016 # expanded by that sh
unshare -m -p -f --mount-proc="$root/proc" sh -c 'mount --bind /dev "$1/dev" && shift && exec chroot "$@"' sh "$root" \
  "$root" /usr/local/bin/kubench "${bench_args[@]}" --cache-dir /bench/clips --results-dir /bench/results --run-id arm64-img \
  >"$work/arm64-img.json"

echo "image (compressed layers): $(awk '{ printf "%s%s %.1f MiB", (NR > 1 ? ", " : ""), $1, $2 / 1048576 }' <<<"$sizes"); archive $(du -m "$archive" | cut -f1) MiB"
printf '%-16s %8s %10s %10s %9s %10s %9s\n' test frames native qemu-kb ratio arm64-img ratio
jq -r --slurpfile q "$work/qemu-kb.json" --slurpfile i "$work/arm64-img.json" '.tests | to_entries[] | . as $e |
  [$e.value.test_id, $e.value.frames, $q[0].tests[$e.key].frames, $i[0].tests[$e.key].frames,
   $e.value.fps, $q[0].tests[$e.key].fps, $i[0].tests[$e.key].fps] | @tsv' "$work/native.json" |
  while IFS=$'\t' read -r id f fq fim n q i; do
    frames=$f
    [[ "$f" == "$fq" && "$f" == "$fim" ]] || frames="$f/$fq/$fim!"
    awk -v id="$id" -v f="$frames" -v n="$n" -v q="$q" -v i="$i" \
      'BEGIN { printf "%-16s %8s %10.2f %10.2f %8.2fx %10.2f %8.3fx\n", id, f, n, q, q / n, i, i / n }'
  done
