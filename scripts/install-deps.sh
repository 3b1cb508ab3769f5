#!/usr/bin/env bash
# Installs what kubench needs, from Debian 12's packages only.
#   scripts/install-deps.sh           build and run kubench (what ./dev.sh bench needs)
#   scripts/install-deps.sh --infer   also libtorch, for `kubench infer` (the container image's build)
#   scripts/install-deps.sh --tests   also what the test suite and the bench/ scripts need (libtorch included)
#   scripts/install-deps.sh --arm64   also the aarch64 cross build (cmake --preset arm64): Debian's cross g++, the
#                                     :arm64 -dev packages, qemu-user to run what it builds (docs/development.md#arm64);
#                                     goes with the others (dev.sh test: --tests --arm64)
# Idempotent: packages already present are not touched, and apt is not called at all then.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ca-certificates
  # libraries (DESIGN.md: Debian -dev packages only)
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libssl-dev libboost-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  # runtime: the encoder itself
  ffmpeg
)
infer=(libtorch-dev)  # `kubench infer` (optional: the build leaves it out without libtorch); 0.5 GB installed
for option in "$@"; do
  case "$option" in
    --infer) packages+=("${infer[@]}") ;;
    --tests)
      packages+=(
        "${infer[@]}"
        python3-torch  # bench/infer.sh: the seed's way, a Python loop timing model(x)
        git libgtest-dev libgmock-dev libbenchmark-dev
        python3  # the local test servers (fixtures/*.py)
        ccache   # compiler cache kept outside the checkout (dev.sh test)
        prometheus clang libclang-rt-dev  # queue tests: promtool and a real Prometheus scrape; clang + its libFuzzer runtime (only a Recommends of clang)
        chromium  # the load client's HTML page is checked in a headless browser
        jq  # bench/queue.sh reads the load client's JSON; bench/share.sh, the seed's kubectl + jq view
        libopencv-imgproc-dev  # the scene tests' oracle: PySceneDetect resizes and converts colours with OpenCV
      )
      ;;
    --arm64)
      # Multi-Arch: same packages must match the amd64 twins' versions, so apt may upgrade those.
      # libyaml-cpp-dev and libtorch-dev cannot be installed for two architectures: yaml-cpp's arm64
      # -dev is unpacked below instead, libtorch is left out of the arm64 build.
      packages+=(
        crossbuild-essential-arm64 pkgconf:arm64 qemu-user-static jq
        libyaml-cpp0.7:arm64 libspdlog-dev:arm64 libfmt-dev:arm64 libcurl4-openssl-dev:arm64 libssl-dev:arm64 libboost-dev:arm64
        libavformat-dev:arm64 libavcodec-dev:arm64 libavutil-dev:arm64 libswscale-dev:arm64
        libgtest-dev:arm64 libgmock-dev:arm64 libopencv-imgproc-dev:arm64 libopencv-core-dev:arm64
      )
      arm64=1
      ;;
    *) echo "usage: scripts/install-deps.sh [--infer | --tests] [--arm64]" >&2; exit 2 ;;
  esac
done

# Runs a command as root (sudo when not root); asked for only when something must change.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; return; fi
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to run: $*" >&2; exit 2; }
  sudo "$@"
}
if [ "${arm64:-0}" = 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps: adding the arm64 architecture to dpkg" >&2
  as_root dpkg --add-architecture arm64
  as_root apt-get update -qq
fi
# yaml-cpp's arm64 -dev package, unpacked where cmake/toolchains/aarch64-linux-gnu.cmake looks.
unpack_yaml_cpp_arm64() {
  local dir=/opt/kubench-cross/arm64 version
  version="$(apt-cache policy libyaml-cpp-dev:arm64 | awk '/Candidate:/ { print $2 }')"
  [ -f "$dir/.yaml-cpp-$version" ] && return 0
  echo "install-deps: unpacking libyaml-cpp-dev:arm64 $version into $dir" >&2
  local tmp
  tmp="$(mktemp -d)"
  chmod 755 "$tmp"  # apt downloads as _apt
  (cd "$tmp" && apt-get download -qq "libyaml-cpp-dev:arm64=$version" "libyaml-cpp0.7:arm64")
  as_root mkdir -p "$dir"
  for deb in "$tmp"/*.deb; do as_root dpkg-deb -x "$deb" "$dir"; done
  as_root touch "$dir/.yaml-cpp-$version"
  rm -rf "$tmp"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${arm64:-0}" = 1 ]; then unpack_yaml_cpp_arm64; fi
