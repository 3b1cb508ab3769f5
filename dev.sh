#!/usr/bin/env bash
# The README's quick start.
#   ./dev.sh bench [flags]   install what is needed, build, run the local benchmark (quick profile)
#   ./dev.sh test            install what is needed, build, run every test (also under ASan+UBSan)
set -euo pipefail
cd "$(dirname "$0")"

build() {
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1"
}

case "${1:-}" in
  bench)
    shift
    scripts/install-deps.sh
    build dev
    exec build/dev/kubench bench --profile quick "$@"
    ;;
  test)
    scripts/install-deps.sh
    build ci
    ctest --preset ci
    build asan
    ctest --preset asan
    ;;
  *)
    echo "usage: ./dev.sh bench [kubench bench flags] | ./dev.sh test" >&2
    exit 2
    ;;
esac
