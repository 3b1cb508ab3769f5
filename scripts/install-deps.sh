#!/usr/bin/env bash
# Installs what kubench needs, from Debian 12's packages only.
#   scripts/install-deps.sh           build and run kubench (what ./dev.sh bench needs)
#   scripts/install-deps.sh --infer   also libtorch, for `kubench infer` (the container image's build)
#   scripts/install-deps.sh --tests   also what the test suite and the bench/ scripts need (libtorch included)
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
case "${1:-}" in
  "") ;;
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
  *) echo "usage: scripts/install-deps.sh [--infer | --tests]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
