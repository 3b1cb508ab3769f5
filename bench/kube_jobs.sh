#!/usr/bin/env bash
# Create N Jobs and watch them all to completion on the test cluster: kubench's client against
# `kubectl create` + `kubectl wait`, in this one script. Reports API requests per Job (kubectl's
# counted from its -v=6 request log), CPU time and peak memory.
#   bench/kube_jobs.sh [BUILD_DIR] [COUNTS...]      (default: build/dev 50 200)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
shift || true
counts=("${@:-50 200}")
source bench/bench_cluster.sh

new_ns() { "$kubectl" --kubeconfig "$KUBECONFIG" create namespace "$1" >/dev/null; }
del_ns() { "$kubectl" --kubeconfig "$KUBECONFIG" delete namespace "$1" --wait=true >/dev/null; }

for n in ${counts[*]}; do
  ns=kb-bench-$n-$$
  new_ns "$ns"
  kb=$("$build/bench/kube_jobs" "$KUBECONFIG" "$ns" "$n" "$image")
  del_ns "$ns"

  ns=kc-bench-$n-$$
  new_ns "$ns"
  for i in $(seq 0 $((n - 1))); do
    cat <<YAML
---
apiVersion: batch/v1
kind: Job
metadata: {name: j$i, labels: {bench: kube-jobs}}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: $image, imagePullPolicy: Never, command: ["true"]}]
YAML
  done >"$work/jobs.yaml"
  start=$EPOCHREALTIME
  /usr/bin/time -f "%U %S %M" -o "$work/create.time" "$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" -v=6 create -f "$work/jobs.yaml" >/dev/null 2>"$work/create.log"
  /usr/bin/time -f "%U %S %M" -o "$work/wait.time" "$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" -v=6 wait --for=condition=complete job --all --timeout=1800s >/dev/null 2>"$work/wait.log"
  end=$EPOCHREALTIME
  kc_requests=$(cat "$work/create.log" "$work/wait.log" | grep -cE '(GET|POST|PUT|PATCH|DELETE) https://' || true)
  read -r cu cs cm < "$work/create.time"
  read -r wu ws wm < "$work/wait.time"
  del_ns "$ns"
  python3 - "$kb" "$n" "$kc_requests" "$start" "$end" "$cu" "$cs" "$cm" "$wu" "$ws" "$wm" <<'PY'
import json, sys
kb = json.loads(sys.argv[1])
n, req = int(sys.argv[2]), int(sys.argv[3])
start, end = float(sys.argv[4]), float(sys.argv[5])
cu, cs, cm, wu, ws, wm = map(float, sys.argv[6:12])
kc_cpu, kc_mem = cu + cs + wu + ws, max(cm, wm)
print(f"{n} jobs: kubench {kb['requests']} requests ({kb['requests_per_job']:.2f}/job), {kb['wall_seconds']:.1f} s, "
      f"cpu {kb['cpu_seconds']:.2f} s, peak {kb['peak_rss_kib']/1024:.1f} MiB")
print(f"{n} jobs: kubectl {req} requests ({req/n:.2f}/job), {end-start:.1f} s, cpu {kc_cpu:.2f} s, peak {kc_mem/1024:.1f} MiB")
print(f"{n} jobs: ratios kubench/kubectl: requests {kb['requests']/max(req,1):.3f}, cpu {kb['cpu_seconds']/max(kc_cpu,1e-9):.3f}, "
      f"peak memory {kb['peak_rss_kib']/max(kc_mem,1):.3f}")
PY
done
