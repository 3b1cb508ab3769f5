#!/usr/bin/env bash
# `kubench share show` on the test cluster with NODES fake GPU nodes (Node objects made through the
# API with GPU feature discovery labels and `nvidia.com/gpu.shared` capacity; no kubelet behind them)
# and NODES × PODS_PER_NODE pods bound to them (spec.nodeName; they stay Pending), against, in this
# one script, rotated in every round:
#   describe:  the seed's way, `kubectl describe nodes`;
#   jq:        `kubectl get pods -A -o json | jq …`, GPU shares summed per node;
#   floor:     the pod list alone, curl following `continue` pages of 500 (what kubench asks for,
#              gzip included); the floor is the API server's own time for those pages (each
#              request on its connection after the TLS handshake, plus one handshake), without the
#              cost of starting a curl per page, which the loop's wall time shows;
#   kubectl-get: `kubectl get pods -A -o json >/dev/null`, the same list decoded by kubectl.
# Reports per tool: API requests (counted from the API server's audit log, which this script turns
# on for the cluster it brings up: every request of the admin user inside the tool's run window;
# kubectl's also from its -v=6 request log), wall time (median), CPU user+sys and peak RSS
# (/usr/bin/time; a pipeline's peak is its largest process), and the ratios kubench/floor (target
# ≤ 1.20) and kubench/describe. Issue targets: 2 list calls (paginated), within 20 % of the floor,
# under 100 MB. Nothing is asserted.
#   bench/share.sh [BUILD_DIR] [ROUNDS] [NODES] [PODS_PER_NODE]     (default: build/ci 5 50 100)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
rounds=${2:-5}
nodes=${3:-50}
per_node=${4:-100}
kubench=$(realpath "$build/kubench")
[ -x "$kubench" ] || { echo "share.sh: no $build/kubench (build first)" >&2; exit 2; }
command -v jq >/dev/null || { echo "share.sh: needs jq (scripts/install-deps.sh --tests)" >&2; exit 2; }

# The API server's audit log counts every tool's requests the same way (kubench logs none of its
# own). Metadata level, the admin user only: no bodies are serialized for it.
audit=$(mktemp -d /tmp/kubench-share-audit.XXXXXX)
cat >"$audit/policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: [kubench-admin]
- level: None
YAML
export KUBENCH_APISERVER_EXTRA_ARGS="${KUBENCH_APISERVER_EXTRA_ARGS:-} --audit-policy-file $audit/policy.yaml --audit-log-path $audit/audit.log --audit-log-maxsize 2000"
source bench/bench_cluster.sh
trap 'tests/cluster/down.sh "$state" >/dev/null; rm -rf "$audit" "$work"' EXIT
k() { "$kubectl" --kubeconfig "$KUBECONFIG" "$@"; }

namespaces=(kb-share-ai kb-share-media kb-share-web kb-share-batch kb-share-data)
for ns in "${namespaces[@]}"; do k create namespace "$ns" >/dev/null; done
[ -s "$audit/audit.log" ] || echo "share.sh: the cluster in $state was already running without this script's audit log: request counts of kubench and curl are unknown" >&2
# Pods mount the default service account's token (1.20 admission needs its secret first).
for ns in "${namespaces[@]}"; do
  for _ in $(seq 100); do
    [ -n "$(k -n "$ns" get serviceaccount default -o jsonpath='{.secrets[0].name}' 2>/dev/null)" ] && break
    sleep 0.2
  done
done

# ---- the fake nodes, their ReplicaSets and pods, created over 4 keep-alive connections
python3 - "$KUBENCH_CLUSTER_SERVER" "$KUBENCH_CLUSTER_CA" "$KUBENCH_CLUSTER_ADMIN_CERT" "$KUBENCH_CLUSTER_ADMIN_KEY" \
  "$nodes" "$per_node" "$work/expected.json" <<'PY'
import datetime, hashlib, http.client, json, queue, ssl, sys, threading, urllib.parse
server, ca, cert, key = sys.argv[1:5]
n_nodes, per_node, expected_path = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
url = urllib.parse.urlparse(server)
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def conn():
    return http.client.HTTPSConnection(url.hostname, url.port, context=ctx)

def post(c, path, obj):
    body = json.dumps(obj)
    c.request("POST", path + "?fieldManager=kubectl-create", body, {"Content-Type": "application/json", "Accept": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status not in (201, 409):
        raise SystemExit(f"POST {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if r.status == 201 else None

def run_parallel(jobs, threads=4):  # jobs: (path, object); returns {index: response}
    q, out, errors = queue.Queue(), {}, []
    for i, j in enumerate(jobs): q.put((i, j))
    def worker():
        c = conn()
        while True:
            try: i, (path, obj) = q.get_nowait()
            except queue.Empty: return
            try: out[i] = post(c, path, obj)
            except BaseException as e: errors.append(e); return
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    if errors: raise errors[0]
    return out

def h(s, n=10):  # a stable pod-template-hash-like string
    return "".join("bcdfghjklmnpqrstvwxz2456789"[b % 27] for b in hashlib.sha1(s.encode()).digest()[:n])

# Nodes: GFD labels of a time-sliced RTX 3080 Ti (8 shares, renamed), unschedulable and tainted.
# One zone each: the node controller taints an unreachable node at 0.1/s per fully disrupted zone,
# so with one zone per node all are tainted in one pass instead of over minutes.
node_names = [f"kb-share-node-{i:02d}" for i in range(n_nodes)]
def node(name, i):
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", "node-role.kubernetes.io/worker": "",
              "topology.kubernetes.io/zone": f"zone-{i:02d}", "kubench.io/bench": "share",
              "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-GeForce-RTX-3080-Ti", "nvidia.com/gpu.memory": "12288",
              "nvidia.com/gpu.count": "1", "nvidia.com/gpu.replicas": "8", "nvidia.com/gpu.sharing-strategy": "time-slicing",
              "nvidia.com/gpu.family": "ampere", "nvidia.com/gpu.compute.major": "8", "nvidia.com/gpu.compute.minor": "6",
              "nvidia.com/cuda.driver.major": "535", "nvidia.com/cuda.driver.minor": "183", "nvidia.com/cuda.runtime.major": "12",
              "nvidia.com/cuda.runtime.minor": "2", "nvidia.com/gfd.timestamp": "1700000000", "nvidia.com/mig.capable": "false"}
    cap = {"cpu": "32", "memory": "131900000Ki", "pods": "110", "ephemeral-storage": "960000000Ki", "hugepages-1Gi": "0",
           "hugepages-2Mi": "0", "nvidia.com/gpu.shared": "8"}
    alloc = dict(cap, cpu="31500m", memory="129800000Ki")
    cond = lambda t, s, reason: {"type": t, "status": s, "lastHeartbeatTime": now, "lastTransitionTime": now, "reason": reason, "message": reason}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels,
                         "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
            "spec": {"unschedulable": True, "podCIDR": f"10.250.{i}.0/24", "podCIDRs": [f"10.250.{i}.0/24"],
                     "taints": [{"key": "kubench.io/bench", "value": "share", "effect": "NoSchedule"}]},
            "status": {"capacity": cap, "allocatable": alloc,
                       "conditions": [cond("MemoryPressure", "False", "KubeletHasSufficientMemory"), cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                                      cond("PIDPressure", "False", "KubeletHasSufficientPID"), cond("Ready", "True", "KubeletReady")],
                       "addresses": [{"type": "InternalIP", "address": f"10.251.0.{i + 10}"}, {"type": "Hostname", "address": name}],
                       "nodeInfo": {"machineID": h(name, 32), "systemUUID": h(name + "u", 32), "bootID": h(name + "b", 32),
                                    "kernelVersion": "6.1.0-18-amd64", "osImage": "Debian GNU/Linux 12 (bookworm)", "containerRuntimeVersion": "containerd://1.6.20",
                                    "kubeletVersion": "v1.20.2", "kubeProxyVersion": "v1.20.2", "operatingSystem": "linux", "architecture": "amd64"},
                       "images": [{"names": [f"registry.example.com/team/img{j}@sha256:{hashlib.sha256(f'{name}{j}'.encode()).hexdigest()}",
                                             f"registry.example.com/team/img{j}:1.{j}"], "sizeBytes": 50000000 + j * 1000003} for j in range(12)]}}

created = run_parallel([("/api/v1/nodes", node(n, i)) for i, n in enumerate(node_names)])
patch_needed = [node_names[i] for i, r in created.items() if r is not None and "nvidia.com/gpu.shared" not in r.get("status", {}).get("capacity", {})]
if patch_needed:  # an API server that drops status on create: set it through the status subresource
    c = conn()
    for i, n in enumerate(node_names):
        if n not in patch_needed: continue
        st = node(n, i)["status"]
        c.request("PATCH", f"/api/v1/nodes/{n}/status", json.dumps({"status": st}), {"Content-Type": "application/merge-patch+json"})
        r = c.getresponse(); r.read()
        if r.status != 200: raise SystemExit(f"PATCH node {n} status: {r.status}")

# Workloads. GPU ones, one pod per node each: ollama 1 share, whisper 2, tts 1, comfy 2 (even
# nodes), plex none but NVIDIA_VISIBLE_DEVICES=all (a GPU user that requested nothing). The rest
# are ordinary Deployments of 10 replicas over 5 namespaces.
gpu = [("ollama", "kb-share-ai", 1, "ollama/ollama:0.1.32"), ("whisper", "kb-share-ai", 2, "onerahmet/openai-whisper-asr-webservice:v1.4.1-gpu"),
       ("tts", "kb-share-ai", 1, "ghcr.io/coqui-ai/tts:v0.22.0"), ("comfy", "kb-share-ai", 2, "ghcr.io/ai-dock/comfyui:v2-cuda-12.1.1"),
       ("plex", "kb-share-media", 0, "plexinc/pms-docker:1.40.1")]
ordinary_ns = ["kb-share-web", "kb-share-batch", "kb-share-data", "kb-share-web", "kb-share-media"]
placements = []  # (workload, namespace, shares, image, node)
for i, n in enumerate(node_names):
    mine = [g for g in gpu if g[0] != "comfy" or i % 2 == 0]
    placements += [(g[0], g[1], g[2], g[3], n) for g in mine]
    placements += [None] * (per_node - len(mine))  # ordinary, filled below
slot = 0
for idx, p in enumerate(placements):
    if p is None:
        d = slot // 10
        placements[idx] = (f"svc-{d:03d}", ordinary_ns[d % len(ordinary_ns)], -1, f"registry.example.com/team/svc-{d:03d}:2.{d % 7}.{d % 13}",
                           node_names[idx // per_node])
        slot += 1

# One ReplicaSet per workload. The pods' ownerReference is not the controller one and the RS selects
# no pod label: the ReplicaSet controller leaves them alone (no adoption, no scale-up) and the garbage
# collector finds their owner. kubench reads the first owner, a ReplicaSet, as its Deployment.
workloads = sorted({(p[0], p[1]) for p in placements})
def replicaset(name, ns):
    rs = f"{name}-{h(name + ns)}"
    sel = {"kubench.io/rs": rs}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs, "namespace": ns, "labels": {"app.kubernetes.io/name": name}},
            "spec": {"replicas": 0, "selector": {"matchLabels": sel},
                     "template": {"metadata": {"labels": sel}, "spec": {"containers": [{"name": "main", "image": "registry.example.com/none:0"}]}}}}
rs_objects = [replicaset(w, ns) for w, ns in workloads]
rs_created = run_parallel([(f"/apis/apps/v1/namespaces/{o['metadata']['namespace']}/replicasets", o) for o in rs_objects])
owner = {}
for i, (w, ns) in enumerate(workloads):
    r = rs_created.get(i)
    if r is None:  # it existed: read its uid
        c = conn(); c.request("GET", f"/apis/apps/v1/namespaces/{ns}/replicasets/{rs_objects[i]['metadata']['name']}"); r = json.loads(c.getresponse().read())
    owner[(w, ns)] = (r["metadata"]["name"], r["metadata"]["uid"])

tolerations = [{"key": "kubench.io/bench", "operator": "Exists", "effect": "NoSchedule"},
               # no kubelet heartbeats: the node controller taints them; the pods stay bound
               {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
               {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
               {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]
def pod(k, w, ns, shares, image, node_name):
    rs, uid = owner[(w, ns)]
    hash_ = rs.rsplit("-", 1)[1]
    name = f"{rs}-{h(f'{k}', 5)}"
    env = [{"name": "LOG_LEVEL", "value": "info"}, {"name": "CONFIG_PATH", "value": f"/etc/{w}/config.yaml"},
           {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
           {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
           {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}]
    requests, limits = {"cpu": "250m", "memory": "256Mi"}, {"memory": "512Mi"}
    if shares > 0:
        requests = {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu.shared": str(shares)}
        limits = {"memory": "8Gi", "nvidia.com/gpu.shared": str(shares)}
    elif shares == 0:
        env.append({"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"})
        env.append({"name": "NVIDIA_DRIVER_CAPABILITIES", "value": "compute,video,utility"})
    containers = [{"name": "main", "image": image, "imagePullPolicy": "IfNotPresent",
                   "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
                   "env": env, "resources": {"requests": requests, "limits": limits},
                   "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10, "failureThreshold": 3},
                   "livenessProbe": {"httpGet": {"path": "/livez", "port": "http"}, "initialDelaySeconds": 15, "periodSeconds": 20},
                   "volumeMounts": [{"name": "config", "mountPath": f"/etc/{w}", "readOnly": True}, {"name": "data", "mountPath": "/data"}],
                   "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "allowPrivilegeEscalation": False}}]
    if k % 4 == 0:  # a log-shipping sidecar in a quarter of the pods
        containers.append({"name": "log-shipper", "image": "fluent/fluent-bit:2.2.2", "args": ["-c", "/fluent-bit/etc/fluent-bit.conf"],
                           "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
                           "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}]})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {"app.kubernetes.io/name": w, "app.kubernetes.io/instance": w, "app.kubernetes.io/part-of": "kubench-share-bench",
                                    "app.kubernetes.io/version": image.rsplit(":", 1)[-1], "pod-template-hash": hash_},
                         "annotations": {"kubectl.kubernetes.io/default-container": "main", "prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": uid,
                                              "controller": False, "blockOwnerDeletion": True}]},
            "spec": {"nodeName": node_name, "tolerations": tolerations, "containers": containers,
                     "volumes": [{"name": "config", "configMap": {"name": f"{w}-config", "optional": True}}, {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}],
                     "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "enableServiceLinks": False}}
run_parallel([(f"/api/v1/namespaces/{p[1]}/pods", pod(k, *p)) for k, p in enumerate(placements)])

# What a correct view shows, for the check after each tool's first run.
alloc = {}
for w, ns, shares, image, n in placements:
    if shares > 0: alloc[n] = alloc.get(n, 0) + shares
json.dump({"gpu_nodes": n_nodes, "pods": len(placements), "allocated": alloc, "unrequested": sum(1 for p in placements if p[2] == 0)},
          open(expected_path, "w"))
PY

total_pods=$(k get pods -A --no-headers -l app.kubernetes.io/part-of=kubench-share-bench 2>/dev/null | wc -l)
# Without a kubelet the node controller marks the nodes unreachable after its 40 s grace period and
# taints them (the pods tolerate it): wait for that write so that it does not fall into a run.
settle_start=$SECONDS
until [ "$(k get nodes -l kubench.io/bench=share -o json | jq '[.items[] | select(any(.spec.taints[]?; .key == "node.kubernetes.io/unreachable"))] | length')" -ge "$nodes" ]; do
  [ $((SECONDS - settle_start)) -lt 150 ] || { echo "share.sh: the node controller has not tainted the fake nodes after 150 s; measuring anyway" >&2; break; }
  sleep 2
done
sleep 3

# ---- the tools. Each writes its output to $work/out.<tool>; kubectl's -v=6 log to $work/log.<tool>.
jq_seed='[.items[] | select(.spec.nodeName != null and .status.phase != "Succeeded" and .status.phase != "Failed")
  | {node: .spec.nodeName, ns: .metadata.namespace, owner: (.metadata.ownerReferences[0].name // .metadata.name),
     shares: ([.spec.containers[].resources.requests["nvidia.com/gpu.shared"] // "0" | tonumber] | add),
     unrequested: any(.spec.containers[].env[]?; .name == "NVIDIA_VISIBLE_DEVICES" and .value != "void")}
  | select(.shares > 0 or .unrequested)]
  | group_by(.node)[] | "\(.[0].node) \(map(.shares) | add)/8 " + (map("\(.ns)/\(.owner)=\(if .shares > 0 then .shares else "N/A" end)") | join(" "))'
tool_cmd() {  # the command line of each tool, run under bash -c (the pipeline as one process tree)
  case $1 in
    kubench) echo "'$kubench' share show -o json --kubeconfig '$KUBECONFIG'" ;;
    describe) echo "'$kubectl' --kubeconfig '$KUBECONFIG' -v=6 describe nodes 2>'$work/log.describe'" ;;
    jq) echo "'$kubectl' --kubeconfig '$KUBECONFIG' -v=6 get pods -A -o json 2>'$work/log.jq' | jq -r '$jq_seed'" ;;
    kubectl-get) echo "'$kubectl' --kubeconfig '$KUBECONFIG' -v=6 get pods -A -o json 2>'$work/log.kubectl-get'" ;;
    # Not curl's own User-Agent: the API server pretty-prints JSON for curl (and wget), 1.5 × the bytes.
    # -w: when the TLS handshake was done, when the last byte came, per page → $work/pages.floor.
    floor) cat <<SH
cont=; while :; do
  curl -sS --fail --compressed -A kubench-bench-floor -w '%{time_appconnect} %{time_total}\n' \
    --cacert '$KUBENCH_CLUSTER_CA' --cert '$KUBENCH_CLUSTER_ADMIN_CERT' --key '$KUBENCH_CLUSTER_ADMIN_KEY' \
    -G '$KUBENCH_CLUSTER_SERVER/api/v1/pods' --data limit=500 \${cont:+--data-urlencode "continue=\$cont"} -o '$work/page.json' >>'$work/pages.floor'
  cont=\$(head -c 4096 '$work/page.json' | grep -o '"continue": *"[^"]*"' | sed 's/.*"\\([^"]*\\)"\$/\\1/' || true)
  [ -n "\$cont" ] || break
done
SH
      ;;
  esac
}
tools=(kubench floor describe jq kubectl-get)
run_tool() {  # run_tool TOOL → appends "start end user sys maxrss_kib requests(-v=6) server_s" to $work/runs.<tool>
  local t=$1 start end
  : >"$work/pages.$t"
  start=$EPOCHREALTIME
  /usr/bin/time -f "%U %S %M" -o "$work/time.$t" bash -c "$(tool_cmd "$t")" >"$work/out.$t"
  end=$EPOCHREALTIME
  local requests
  requests=$(grep -cE '(GET|POST|PUT|PATCH|DELETE) https://' "$work/log.$t" 2>/dev/null || true)
  # The API server's own time for the floor's pages: each request on its connection (after the
  # handshake), plus one handshake, as one client on one connection would see it.
  local server
  server=$(awk 'NR == 1 {s = $1} {s += $2 - $1} END {printf "%.4f", s + 0}' "$work/pages.$t")
  echo "$start $end $(cat "$work/time.$t") ${requests:-0} $server" >>"$work/runs.$t"
}

# A warm-up round (not counted) that also checks each tool's answer.
for t in "${tools[@]}"; do run_tool "$t"; mv "$work/runs.$t" "$work/warmup.$t"; done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
exp = json.load(open(f"{work}/expected.json"))
kb = json.load(open(f"{work}/out.kubench"))["nodes"]
got = {n["node"]: round(n["shares"]["allocated"]) for n in kb if n["shares"]["allocated"]}
unreq = sum(1 for n in kb for w in n["workloads"] if w.get("unrequested_gpu_use"))
problems = []
if len(kb) != exp["gpu_nodes"]: problems.append(f"kubench shows {len(kb)} GPU nodes, {exp['gpu_nodes']} made")
if got != exp["allocated"]: problems.append("kubench's allocated shares differ from those created")
if unreq != exp["unrequested"]: problems.append(f"kubench flags {unreq} unrequested GPU users, {exp['unrequested']} made")
seed = {l.split()[0]: int(l.split()[1].split("/")[0]) for l in open(f"{work}/out.jq") if l.strip()}
if {k: v for k, v in seed.items() if v} != exp["allocated"]: problems.append("the jq pipeline's sums differ from those created")
described = open(f"{work}/out.describe").read().count("\nName:")
if described < exp["gpu_nodes"]: problems.append(f"kubectl describe shows {described} nodes")
print("check: " + ("; ".join(problems) if problems else f"kubench, jq and describe agree with the {exp['pods']} pods made "
      f"({sum(exp['allocated'].values())} shares on {exp['gpu_nodes']} nodes, {exp['unrequested']} unrequested GPU users)"))
PY

for r in $(seq 0 $((rounds - 1))); do  # rotated: each tool runs in each position once per 5 rounds
  for i in $(seq 0 $((${#tools[@]} - 1))); do run_tool "${tools[$(((i + r) % ${#tools[@]}))]}"; done
done

python3 - "$work" "$audit/audit.log" "$nodes" "$total_pods" "$rounds" "${tools[@]}" <<'PY'
import datetime, json, os, statistics as st, sys
work, audit_path, nodes, pods, rounds, tools = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6:]
runs = {t: [list(map(float, l.split())) for l in open(f"{work}/runs.{t}") if l.strip()] for t in tools}
# audit events (ResponseComplete, admin user) → which run's window they fall in
events = []
if os.path.exists(audit_path):
    for line in open(audit_path):
        e = json.loads(line)
        if e.get("stage") != "ResponseComplete" or e.get("user", {}).get("username") != "kubench-admin": continue
        ts = datetime.datetime.strptime(e["requestReceivedTimestamp"].rstrip("Z")[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
        events.append((ts, e["verb"], e["requestURI"]))
def audited(r):
    return [e for e in events if r[0] - 0.001 <= e[0] <= r[1]]
label = {"kubench": "kubench share show -o json", "floor": "floor: curl pod list pages", "describe": "kubectl describe nodes",
         "jq": "kubectl get pods -A -o json | jq", "kubectl-get": "kubectl get pods -A -o json"}
rows, wall = [], {}
for t in tools:
    rs = runs[t]
    wall[t] = st.median(r[1] - r[0] for r in rs)
    counts = sorted({len(audited(r)) for r in rs}) if events else []
    lists = sorted({sum(1 for e in audited(r) if e[1] == "list") for r in rs}) if events else []
    own = sorted({int(r[5]) for r in rs})
    req = "/".join(map(str, counts)) if counts else "?"
    if t in ("describe", "jq", "kubectl-get"): req += f" (-v=6: {'/'.join(map(str, own))})"
    rows.append((label[t], req, "/".join(map(str, lists)) if lists else "?", f"{wall[t]:.3f}",
                 f"{min(r[1] - r[0] for r in rs):.3f}-{max(r[1] - r[0] for r in rs):.3f}",
                 f"{st.median(r[2] + r[3] for r in rs):.2f}", f"{max(r[4] for r in rs) / 1024:.1f}"))
print(f"{nodes} GPU nodes (+1 real), {pods} pods bound to them; {rounds} rounds, rotated; wall = median")
head = ("tool", "API requests", "of them lists", "wall s", "range s", "cpu s", "peak MiB")
w = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
for x in [head] + rows:
    print("  ".join(str(v).ljust(w[i]) if i == 0 else str(v).rjust(w[i]) for i, v in enumerate(x)))
kb = next(r for r in rows if r[0] == label["kubench"])
server = st.median(r[6] for r in runs["floor"])
print(f"floor, the API server's own time: {server:.3f} s (median; the pages' request times on their connection + one TLS handshake, "
      f"without the {wall['floor'] - server:.3f} s of starting a curl per page)")
print(f"ratios: kubench/floor wall {wall['kubench'] / server:.2f} against the server's time (target <= 1.20), {wall['kubench'] / wall['floor']:.2f} against the curl loop; "
      f"kubench/describe {wall['kubench'] / wall['describe']:.3f}, kubench/jq {wall['kubench'] / wall['jq']:.3f}; kubench peak {kb[6]} MiB (target < 100)")
if events:
    uris = sorted({e[2].split("&continue=")[0] for r in runs["kubench"] for e in audited(r)})
    print("kubench's requests: " + ", ".join(uris))
PY

# Clean up (the cluster goes down on exit anyway): nodes first, so that the pod GC can drop their pods.
k delete nodes -l kubench.io/bench=share --wait=false >/dev/null
k delete namespace "${namespaces[@]}" --wait=false >/dev/null
