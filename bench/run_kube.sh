#!/usr/bin/env bash
# `kubench run --kube` against the seed's flow with the same Job (`kubectl apply` + `kubectl wait`
# + `kubectl logs`, then `kubectl delete namespace --wait`), alternating, on the test cluster with
# the offline image. Reports, per flow, the time from the command to the result in hand and to
# everything cleaned up, their ratios, and how long after the benchmark printed its result kubench
# had it.
#   bench/run_kube.sh [KUBENCH] [PAIRS]      (default: build/release/kubench 3)
set -euo pipefail
cd "$(dirname "$0")/.."
kubench=$(realpath "${1:-build/release/kubench}")
pairs=${2:-3}
state=/tmp/kubench-bench-cluster
image=kubench.local/kubench:bench
tests/cluster/up.sh "$state" >/dev/null
trap 'tests/cluster/down.sh "$state" >/dev/null' EXIT
set -a; source "$state/env"; set +a
kubectl=${KUBENCH_CLUSTER_KUBECTL:-$(command -v kubectl || true)}
[ -n "$kubectl" ] || { echo "no kubectl: tests/cluster/build-k8s.sh builds one" >&2; exit 2; }
scripts/build-image.sh --kubench "$kubench" --tag "$image" --import "$state" >/dev/null
work=$(mktemp -d)
job_flags=(--accel cpu --tests h264_1080p --image "$image" --image-pull-policy Never)

# Prints "<seconds to result> <seconds to clean> <result delay>" for kubench.
kubench_once() {
  local id=$1 start
  start=$EPOCHREALTIME
  "$kubench" run --kube --kubeconfig "$KUBECONFIG" "${job_flags[@]}" --run-id "$id" -q \
    --results-dir "$work/results" -o json 2>&1 >/dev/null |
    while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done >"$work/$id.err"
  local end=$EPOCHREALTIME
  local got
  got=$(grep -m1 'result collected' "$work/$id.err" | cut -d' ' -f1)
  [ -n "$got" ] || { cat "$work/$id.err" >&2; exit 1; }
  local delay
  delay=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][0]["result_delay_seconds"])' "$work/results/$id/run.json")
  awk -v g="$got" -v s="$start" -v e="$end" -v d="$delay" 'BEGIN { print g - s, e - s, d }'
}

# Prints "<seconds to result> <seconds to clean>" for the seed's kubectl flow.
kubectl_once() {
  local id=$1 start ns=kubench-$1
  "$kubench" render "${job_flags[@]}" --run-id "$id" >"$work/$id.yaml"
  start=$EPOCHREALTIME
  "$kubectl" --kubeconfig "$KUBECONFIG" apply -f "$work/$id.yaml" >/dev/null
  "$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" wait --for=condition=complete job/kubench-bench --timeout=600s >/dev/null
  "$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" logs job/kubench-bench -c benchmark >"$work/$id.log"
  local got=$EPOCHREALTIME
  grep -q 'END KUBENCH RESULT' "$work/$id.log" || { echo "kubectl flow: no result in the log" >&2; exit 1; }
  "$kubectl" --kubeconfig "$KUBECONFIG" delete namespace "$ns" --wait=true >/dev/null
  local end=$EPOCHREALTIME
  awk -v g="$got" -v s="$start" -v e="$end" 'BEGIN { print g - s, e - s }'
}

for i in $(seq 1 "$pairs"); do
  read -r kr kc kd < <(kubench_once "kb-$i-$$")
  read -r cr cc < <(kubectl_once "kc-$i-$$")
  printf '%s %s %s %s %s\n' "$kr" "$kc" "$kd" "$cr" "$cc" | tee -a "$work/pairs"
done >&2

python3 - "$work/pairs" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
kr, kc, kd, cr, cc = (statistics.median(c) for c in zip(*rows))
print(f"{len(rows)} alternating pairs, medians:")
print(f"  to result:    kubench {kr:6.1f} s   kubectl apply+wait+logs {cr:6.1f} s   ratio {kr / cr:.3f}")
print(f"  to clean:     kubench {kc:6.1f} s   kubectl ... + delete ns  {cc:6.1f} s   ratio {kc / cc:.3f}")
print(f"  benchmark printed its result -> kubench had it: {kd * 1000:.0f} ms (max {max(r[2] for r in rows) * 1000:.0f} ms)")
PY
