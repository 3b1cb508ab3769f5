#!/usr/bin/env bash
# Build the test cluster's container images without any registry and cache them as docker-archive
# tarballs (the format `ctr images import` takes with the tag inside):
#   kubench.local/pause:1    a static C program (images/pause.c) that sleeps until SIGTERM and reaps
#   kubench.local/busybox:1  Debian's busybox-static with applet symlinks in /bin
# Each image is assembled as an OCI layout with umoci, then written out with skopeo.
# Cache: ${KUBENCH_IMAGE_CACHE:-/var/cache/kubench/images}/<key>/{pause,busybox}.tar, where <key> hashes
# this script, pause.c and the busybox-static version. Prints the cache dir on stdout.
set -euo pipefail
KC_SCRIPT=build-images
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

kc_require_root
kc_apt_install gcc libc6-dev busybox-static umoci skopeo

bb_version="$(dpkg-query -W -f='${Version}' busybox-static)"
key="$( { cat "$KC_DIR/build-images.sh" "$KC_DIR/images/pause.c"; echo "$bb_version"; } | sha256sum | cut -c1-16)"
out="$KC_IMAGE_CACHE/$key"
if [[ -s "$out/pause.tar" && -s "$out/busybox.tar" && -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi

start=$SECONDS
mkdir -p "$KC_IMAGE_CACHE"
exec 9>"$KC_IMAGE_CACHE/.lock"
flock 9
work="$(mktemp -d "$KC_IMAGE_CACHE/.work.XXXXXX")"
trap 'rm -rf --one-file-system "$work"' EXIT

# build_image NAME TAG ROOTFS_SETUP_FUNCTION CONFIG_ARGS...
build_image() {
  local name="$1" tag="$2" setup="$3"
  shift 3
  local layout="$work/oci-$name" bundle="$work/bundle-$name"
  umoci init --layout "$layout"
  umoci new --image "$layout:$name"
  umoci unpack --image "$layout:$name" "$bundle" >/dev/null
  "$setup" "$bundle/rootfs"
  umoci repack --image "$layout:$name" "$bundle"
  umoci config --image "$layout:$name" --os linux --architecture amd64 --author kubench-test-cluster \
    --config.env PATH=/bin:/usr/bin:/sbin:/usr/sbin "$@"
  umoci gc --layout "$layout"
  skopeo --insecure-policy copy -q "oci:$layout:$name" "docker-archive:$work/$name.tar:$tag" >&2
}

setup_pause() {
  local rootfs="$1"
  gcc -static -Os -Wall -o "$rootfs/pause" "$KC_DIR/images/pause.c"
  strip "$rootfs/pause"
}

setup_busybox() {
  local rootfs="$1" applet
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/root" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
}

kc_log "building kubench.local/pause:1 and kubench.local/busybox:1 into $out"
build_image pause kubench.local/pause:1 setup_pause --config.entrypoint /pause
build_image busybox kubench.local/busybox:1 setup_busybox --config.cmd sh

rm -rf "$out"
mkdir -p "$out"
mv "$work/pause.tar" "$work/busybox.tar" "$out/"
touch "$out/.complete"
kc_log "images built in $((SECONDS - start))s"
echo "$out"
