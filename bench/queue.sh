#!/usr/bin/env bash
# Queue throughput on loopback: `kubench queue serve` + W `kubench queue work` processes
# (--slots 1, sleep workload) + `kubench queue load` with K requests in flight.
#
#   1. W=16, sleep 0, K=64: requests/s and latency p50/p99 of the queue machinery itself
#      (the Go reference tester did about 570 requests/s; the target is 10 000).
#   2. The doubling series W = 1, 2, 4 … 64 with a 50 ms sleep and K = 2·W: requests/s per step
#      and the gain per doubling (ideal 2.0; the target is ≥ 1.9).
#
# Each figure is measured after a 1 s warm-up (POST /reset on the load client), over SECONDS.
# Prints figures only; nothing is asserted.
#
# Usage: bench/queue.sh [KUBENCH] [SECONDS] [MAX_WORKERS]
set -euo pipefail

KUBENCH=${1:-build/release/kubench}
SECONDS_PER_STEP=${2:-5}
MAX_WORKERS=${3:-64}
GO_REFERENCE=570  # requests/s of the seed's Go tester, same shape of test (reference/research-scalability-tester.md)

command -v jq >/dev/null || { echo "queue.sh: needs jq" >&2; exit 2; }
[ -x "$KUBENCH" ] || { echo "queue.sh: $KUBENCH is not an executable (build first, or pass its path)" >&2; exit 2; }

tmp=$(mktemp -d)
broker_pid="" load_pid="" worker_pids=()
cleanup() {
  for p in "${worker_pids[@]}" $load_pid $broker_pid; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The port from a "... listening on HOST:PORT" line on a process's stderr.
port_from() {  # FILE TEXT
  for _ in $(seq 200); do
    if grep -q "$2" "$1" 2>/dev/null; then grep -o "$2 [0-9.]*:[0-9]*" "$1" | head -1 | sed 's/.*://'; return; fi
    sleep 0.05
  done
  echo "queue.sh: no '$2' in $1: $(cat "$1")" >&2
  exit 1
}

"$KUBENCH" queue serve --listen 127.0.0.1:0 --queue sleep 2>"$tmp/broker.err" &
broker_pid=$!
port=$(port_from "$tmp/broker.err" "listening on")

start_workers() {  # N
  for i in $(seq "$1"); do
    KUBENCH_NODE_NAME="node-$((i % 4))" KUBENCH_POD_NAME="worker-$i" \
      "$KUBENCH" queue work --broker "127.0.0.1:$port" --queue sleep --slots 1 >/dev/null 2>>"$tmp/workers.err" &
    worker_pids+=($!)
  done
}

stop_workers() {
  for p in "${worker_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${worker_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  worker_pids=()
}

# Runs the load client with K in flight and payload SLEEP; prints "req/s p50 p99" (ms).
measure() {  # K SLEEP
  "$KUBENCH" queue load --broker "127.0.0.1:$port" --queue sleep --sleep "$2" -c "$1" --max-parallelism 4096 \
    --listen 127.0.0.1:0 >/dev/null 2>"$tmp/load.err" &
  load_pid=$!
  local api
  api=$(port_from "$tmp/load.err" "load API listening on")
  sleep 1
  curl -sS -X POST "127.0.0.1:$api/reset" >/dev/null
  sleep "$SECONDS_PER_STEP"
  curl -sS "127.0.0.1:$api/stats" >"$tmp/stats.json"
  kill -TERM "$load_pid"
  wait "$load_pid" || true
  load_pid=""
  jq -r '[.rate.since_reset_ok_per_s, .latency_ms.p50, .latency_ms.p99, .requests.failed] | @tsv' "$tmp/stats.json"
}

echo "kubench queue benchmark: $(nproc) CPU(s), ${SECONDS_PER_STEP} s per step, loopback"
echo
echo "1. Throughput: 16 workers (--slots 1), sleep 0, 64 in flight"
start_workers 16
read -r rate p50 p99 failed < <(measure 64 0)
stop_workers
printf '   %.0f requests/s   p50 %.2f ms   p99 %.2f ms   failed %s   (%.1fx the Go reference %d/s)\n' \
  "$rate" "$p50" "$p99" "$failed" "$(echo "$rate / $GO_REFERENCE" | bc -l)" "$GO_REFERENCE"

echo
echo "2. Scaling: W workers, sleep 0.05 s, 2·W in flight (ideal: W × 20 requests/s, gain 2.0 per doubling)"
printf '   %8s %12s %10s %10s %8s %8s\n' workers requests/s ideal gain "p50 ms" failed
previous=""
w=1
while [ "$w" -le "$MAX_WORKERS" ]; do
  start_workers "$w"
  read -r rate p50 p99 failed < <(measure $((2 * w)) 0.05)
  stop_workers
  gain="-"
  [ -n "$previous" ] && gain=$(printf '%.2f' "$(echo "$rate / $previous" | bc -l)")
  printf '   %8d %12.1f %10d %10s %8.1f %8s\n' "$w" "$rate" $((w * 20)) "$gain" "$p50" "$failed"
  previous=$rate
  w=$((w * 2))
done
