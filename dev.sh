#!/usr/bin/env bash
# The README's quick start.
#   ./dev.sh bench [flags]   install what kubench needs, build kubench alone, run the local benchmark (quick profile)
#   ./dev.sh test            install what the tests need, build, run every test (also under ASan+UBSan, and the
#                            aarch64 cross build's unit tests and smoke test under qemu-user)
# Each phase's wall time is printed at the end (docs/development.md says what they cost on 2 cores).
set -euo pipefail
cd "$(dirname "$0")"

phases=()
phase() { # phase NAME COMMAND...: run it and remember how long it took
  local name="$1" t0=$SECONDS rc=0
  shift
  echo "== dev.sh: $name" >&2
  "$@" || rc=$?
  phases+=("$(printf '%-28s %4d s%s' "$name" $((SECONDS - t0)) "$([[ $rc -eq 0 ]] || echo "  (failed, exit $rc)")")")
  return $rc
}
print_phases() {
  [[ ${#phases[@]} -gt 0 ]] || return 0
  echo "== dev.sh: wall time per phase" >&2
  printf '   %s\n' "${phases[@]}" >&2
  printf '   %-28s %4d s\n' total "$SECONDS" >&2
}

configure_and_build() { # PRESET [cmake -D flags...]
  local preset="$1"
  shift
  cmake --preset "$preset" "$@" >/dev/null && cmake --build --preset "$preset"
}

# The compiler cache lives outside the checkout (like the Kubernetes build), so a fresh clone on the same
# machine reuses it; paths are made relative to the checkout so another folder hits the same entries.
launcher=()
use_ccache() {
  command -v ccache >/dev/null || return 0
  export CCACHE_DIR="${CCACHE_DIR:-/var/cache/kubench/ccache}" CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  mkdir -p "$CCACHE_DIR" 2>/dev/null || return 0
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
}

case "${1:-}" in
  bench)
    shift
    phase "install packages" scripts/install-deps.sh
    phase "build kubench (release)" configure_and_build release
    print_phases
    exec build/release/kubench bench --profile quick "$@"
    ;;
  test)
    trap print_phases EXIT
    phase "install packages" scripts/install-deps.sh --tests --arm64
    use_ccache
    phase "build ci (release)" configure_and_build ci "${launcher[@]}"
    phase "tests ci" ctest --preset ci
    # aarch64: kubench and the unit tests cross-built, run under qemu-user, compared with build/ci's kubench
    phase "build arm64 (cross)" configure_and_build arm64 "${launcher[@]}"
    phase "tests arm64 (qemu)" ctest --preset arm64
    phase "build asan" configure_and_build asan "${launcher[@]}"
    phase "tests asan" ctest --preset asan
    ;;
  *)
    echo "usage: ./dev.sh bench [kubench bench flags] | ./dev.sh test" >&2
    exit 2
    ;;
esac
