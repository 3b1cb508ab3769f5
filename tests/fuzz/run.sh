#!/usr/bin/env bash
# Builds the libFuzzer target on the broker's request handling (queue_request_fuzz.cpp) with clang
# and runs it for a bounded time. Usage: tests/fuzz/run.sh [SECONDS] (default $KUBENCH_FUZZ_SECONDS
# or 30). Exit 0: no finding; 77: clang or libFuzzer is missing; else the fuzzer's finding, with the
# crashing input kept in the work directory ($KUBENCH_FUZZ_DIR, else a temporary one).
set -euo pipefail
seconds=${1:-${KUBENCH_FUZZ_SECONDS:-30}}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
clangxx=${CLANGXX:-clang++}
if ! command -v "$clangxx" >/dev/null; then
  echo "fuzz: $clangxx not found (Debian package clang)" >&2
  exit 77
fi
keep=${KUBENCH_FUZZ_DIR:+yes}
work=${KUBENCH_FUZZ_DIR:-$(mktemp -d -t kubench-fuzz.XXXXXX)}
mkdir -p "$work/corpus"
sources=(
  "$here/queue_request_fuzz.cpp"
  "$root/src/core/http_router.cpp" "$root/src/core/text.cpp"
  "$root/src/queue/broker.cpp" "$root/src/queue/broker_metrics.cpp" "$root/src/core/histogram.cpp"
  "$root/src/queue/ids.cpp" "$root/src/core/prometheus_text.cpp" "$root/src/queue/protocol.cpp"
)
echo "fuzz: building in $work" >&2
# One object per source, so a compiler cache (dev.sh test sets CCACHE_DIR) makes a rebuild take seconds.
launcher=()
[[ -n "${CCACHE_DIR:-}" ]] && command -v ccache >/dev/null && launcher=(ccache)
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
objects=()
build() {
  local src
  for src in "${sources[@]}"; do
    objects+=("$work/$(basename "$src" .cpp).o")
    "${launcher[@]}" "$clangxx" "${flags[@]}" -I"$root/src" -c "$src" -o "${objects[-1]}" || return 1
  done
  "$clangxx" "${flags[@]}" "${objects[@]}" -o "$work/queue_request_fuzz"
}
if ! build 2>"$work/build.log"; then
  if grep -q "libclang_rt.fuzzer\|-fsanitize=fuzzer" "$work/build.log"; then
    echo "fuzz: this clang has no libFuzzer runtime" >&2
    cat "$work/build.log" >&2
    exit 77
  fi
  cat "$work/build.log" >&2
  exit 1
fi
cp -n "$here"/corpus/* "$work/corpus/" 2>/dev/null || true
echo "fuzz: running for ${seconds}s" >&2
status=0
"$work/queue_request_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" || status=$?
if [ "$status" -eq 0 ] && [ -z "$keep" ]; then
  rm -rf "$work"
elif [ "$status" -ne 0 ]; then
  echo "fuzz: finding kept in $work (replay: $work/queue_request_fuzz $work/crash-*)" >&2
fi
exit "$status"
