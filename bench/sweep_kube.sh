#!/usr/bin/env bash
# `kubench sweep run --kube` with N container variants (busybox printing one JSON line) on the test
# cluster, in one script against two references on the same Jobs:
#   floor: every Job created at once with kubectl, then `kubectl wait` for all: the node's pod
#          throughput (the kubelet, not the client, is the limit);
#   seed:  the seed's flow — create every Job, then for each in turn `kubectl wait`, `kubectl logs`,
#          `kubectl delete`.
# Reports wall time to all results, API requests per variant, CPU time and peak memory, and the
# ratios kubench/floor (target ≤ 1.10) and kubench/seed.
# Two rounds in opposite orders (floor, kubench, seed; then seed, kubench, floor), so that no method
# always follows another's teardown; the figures are the means of the two.
#   bench/sweep_kube.sh [BUILD_DIR] [COUNTS...]      (default: build/ci 50 200)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
shift || true
counts=("${@:-50 200}")
kubench=$(realpath "$build/kubench")
source bench/bench_cluster.sh
k() { "$kubectl" --kubeconfig "$KUBECONFIG" "$@"; }

jobs_yaml() {  # N Jobs like the sweep's: busybox printing one JSON line
  for i in $(seq 0 $(($1 - 1))); do
    cat <<YAML
---
apiVersion: batch/v1
kind: Job
metadata: {name: j$i}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      containers: [{name: c, image: $image, imagePullPolicy: Never, command: [sh, -c, 'echo "{\"i\": $i}"']}]
YAML
  done
}


floor_run() {  # → seconds
  local n=$1 ns=floor-$1-$$-$RANDOM
  k create namespace "$ns" >/dev/null
  until k -n "$ns" get serviceaccount default >/dev/null 2>&1; do sleep 0.2; done
  local start=$EPOCHREALTIME
  k -n "$ns" create -f "$work/jobs.yaml" >/dev/null
  k -n "$ns" wait --for=condition=complete job --all --timeout=1800s >/dev/null
  python3 -c "print($EPOCHREALTIME - $start)" >>"$work/floor.$n"
  k delete namespace "$ns" --wait=true >/dev/null
}

kubench_run() {  # the sweep directory's last record is the moment every result is in hand
  local n=$1
  rm -rf "$work/sweep"
  local start=$EPOCHREALTIME
  /usr/bin/time -f "%U %S %M" -o "$work/kb.time" "$kubench" -v sweep run --kube --kubeconfig "$KUBECONFIG" --qps 100 --burst 200 \
    "$work/suite.yaml" --out "$work/sweep" --run-id "bench-$n-$$-$RANDOM" -o json >"$work/kb.json" 2>"$work/kb.log"
  local end=$EPOCHREALTIME
  python3 - "$start" "$end" "$work" >>"$work/kubench.$n" <<'PY'
import glob, json, os, re, sys
start, end, work = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
last = max(os.path.getmtime(f) for f in glob.glob(work + "/sweep/variants/*.json"))
requests = int(re.search(r"(\d+) API requests for", open(work + "/kb.log").read()).group(1))
u, s, m = map(float, open(work + "/kb.time").read().split())
ok = json.load(open(work + "/kb.json"))["counts"]["succeeded"]
print(last - start, end - start, requests, u + s, m, ok)
PY
}

seed_run() {  # the seed's flow: create all, then wait + logs + delete for each in turn
  local n=$1 ns=seed-$1-$$-$RANDOM
  k create namespace "$ns" >/dev/null
  until k -n "$ns" get serviceaccount default >/dev/null 2>&1; do sleep 0.2; done
  cat >"$work/seed.sh" <<SH
set -e
"$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" -v=6 create -f "$work/jobs.yaml" >/dev/null 2>>"$work/seed.log"
for i in \$(seq 0 $((n - 1))); do
  "$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" -v=6 wait --for=condition=complete job/j\$i --timeout=600s >/dev/null 2>>"$work/seed.log"
  "$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" -v=6 logs job/j\$i >>"$work/seed.out" 2>>"$work/seed.log"
  "$kubectl" --kubeconfig "$KUBECONFIG" -n "$ns" -v=6 delete job j\$i >/dev/null 2>>"$work/seed.log"
done
SH
  : >"$work/seed.log"; : >"$work/seed.out"
  local start=$EPOCHREALTIME
  /usr/bin/time -f "%U %S %M" -o "$work/seed.time" bash "$work/seed.sh"
  local seconds requests ok
  seconds=$(python3 -c "print($EPOCHREALTIME - $start)")
  requests=$(grep -cE '(GET|POST|PUT|PATCH|DELETE) https://' "$work/seed.log" || true)
  ok=$(grep -c '"i"' "$work/seed.out" || true)
  echo "$seconds $requests $(cat "$work/seed.time") $ok" >>"$work/seed.$n"
  k delete namespace "$ns" --wait=true >/dev/null
}

for n in ${counts[*]}; do
  jobs_yaml "$n" >"$work/jobs.yaml"
  {
    echo "schema: kubench/sweep/v1"
    echo "name: bench$n"
    echo "targets: {node: {}}"
    echo "matrix: {i: [$(seq -s, 0 $((n - 1)))]}"
    echo "workload: {container: {image: $image, imagePullPolicy: Never, command: [sh, -c, 'echo \"{\\\"i\\\": {{ i }}}\"']}}"
  } >"$work/suite.yaml"
  floor_run "$n"; kubench_run "$n"; seed_run "$n"
  seed_run "$n"; kubench_run "$n"; floor_run "$n"
  python3 - "$n" "$work" <<'PY'
import statistics as st, sys
n, work = int(sys.argv[1]), sys.argv[2]
rows = lambda name: [list(map(float, l.split())) for l in open(f"{work}/{name}.{n}") if l.strip()]
floor = st.mean(r[0] for r in rows("floor"))
kb = rows("kubench"); seed = rows("seed")
kb_res, kb_all = st.mean(r[0] for r in kb), st.mean(r[1] for r in kb)
kb_req, kb_cpu, kb_mem, kb_ok = max(r[2] for r in kb), st.mean(r[3] for r in kb), max(r[4] for r in kb), min(r[5] for r in kb)
sd_s, sd_req, sd_cpu, sd_mem, sd_ok = st.mean(r[0] for r in seed), max(r[1] for r in seed), st.mean(r[2] + r[3] for r in seed), max(r[4] for r in seed), min(r[5] for r in seed)
print(f"{n} variants: floor (kubectl create all + wait all) {floor:.1f} s  [{', '.join(f'{r[0]:.1f}' for r in rows('floor'))}]")
print(f"{n} variants: kubench {int(kb_ok)}/{n} results in {kb_res:.1f} s  [{', '.join(f'{r[0]:.1f}' for r in kb)}] ({kb_all:.1f} s with cleanup), "
      f"{int(kb_req)} API requests ({kb_req / n:.2f}/variant), cpu {kb_cpu:.2f} s, peak {kb_mem / 1024:.1f} MiB")
print(f"{n} variants: seed flow {int(sd_ok)}/{n} results in {sd_s:.1f} s  [{', '.join(f'{r[0]:.1f}' for r in seed)}], {int(sd_req)} API requests "
      f"({sd_req / n:.2f}/variant), cpu {sd_cpu:.2f} s, peak {sd_mem / 1024:.1f} MiB (largest kubectl)")
print(f"{n} variants: ratios kubench/floor {kb_res / floor:.3f} (target <= 1.10), kubench/seed {kb_res / sd_s:.3f}, cpu kubench/seed {kb_cpu / max(sd_cpu, 1e-9):.3f}")
PY
done
