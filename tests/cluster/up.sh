#!/usr/bin/env bash
# Start a real single-node Kubernetes 1.20 cluster on this machine, from Debian packages only:
# etcd (etcd-server), kube-apiserver / kube-controller-manager / kube-scheduler / kubelet (built from
# Debian's kubernetes source by build-k8s.sh), containerd + runc + CNI bridge, registry-free images.
#
#   tests/cluster/up.sh [STATE_DIR]      (default $KUBENCH_CLUSTER_STATE or /tmp/kubench-cluster)
#
# Prints STATE_DIR on stdout once the node is Ready and the default service account has its token.
# STATE_DIR/env (shell syntax) tells tests everything: KUBECONFIG, KUBENCH_CLUSTER_SERVER, tokens, pids...
# Idempotent: on a running cluster it only prints STATE_DIR. Stop it with down.sh STATE_DIR.
#
# Environment:
#   KUBENCH_CLUSTER_TIMEOUT         seconds from starting etcd to a ready cluster (default 180); building or
#                                   fetching the binaries and images before that (minutes on a fresh machine) is not counted
#   KUBENCH_APISERVER_EXTRA_ARGS    extra kube-apiserver flags (appended; the last of a flag wins)
#   KUBENCH_K8S_CACHE, KUBENCH_IMAGE_CACHE   see build-k8s.sh / build-images.sh
#
# The API server runs with --watch-cache=false: every watch goes to etcd, so a watch from a
# resourceVersion that compact-etcd.sh compacted away gets 410 Gone, as it would from a busy cluster.
# (With the cache on, it would serve recent versions from memory and hide the compaction.)
# Everything listens on 127.0.0.1 only; logs go to STATE_DIR/logs/<component>.log.
set -euo pipefail
KC_SCRIPT=up
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kc_require_root

S="$(kc_state_dir "${1:-}")"
KC_STATE="$S"
timeout_all="${KUBENCH_CLUSTER_TIMEOUT:-180}"

# ---- already running?
cluster_running() {
  [[ -f "$S/env" && -f "$S/cluster.conf" ]] || return 1
  local c
  for c in "${KC_COMPONENTS[@]}"; do kc_pid_alive "$(kc_read_pid "$S/run/$c.pid")" || return 1; done
  (kc_load_conf "$S" && kc_api GET /readyz >/dev/null 2>&1)
}
if cluster_running; then
  kc_log "cluster already running in $S"
  echo "$S"
  exit 0
fi
if [[ -s "$KC_ACTIVE_FILE" ]]; then
  other="$(cat "$KC_ACTIVE_FILE")"
  if [[ "$other" != "$S" && -d "$other/run" ]]; then
    for f in "$other"/run/*.pid; do
      [[ -e "$f" ]] || continue
      kc_pid_alive "$(kc_read_pid "$f")" \
        && kc_die "another test cluster is running in $other (one per machine); stop it: $KC_DIR/down.sh $other"
    done
  fi
fi
# Leftovers of a stopped or half-started cluster in this dir: clean them first.
if [[ -e "$S" ]]; then
  kc_log "cleaning previous state in $S"
  "$KC_DIR/down.sh" "$S" >&2 || kc_die "down.sh $S failed; cannot start over"
fi

# ---- binaries, images, packages (cached after the first run)
kc_apt_install etcd-server containerd runc containernetworking-plugins iproute2 openssl curl jq util-linux
KC_BIN="$("$KC_DIR/build-k8s.sh")"
images="$("$KC_DIR/build-images.sh")"

# keep the logs of the previous run (down.sh leaves them in STATE_DIR/logs) as logs.prev
if [[ -d "$S/logs" ]]; then
  rm -rf "$S/logs.prev"
  mv "$S/logs" "$S/logs.prev"
fi
mkdir -p "$S"/{pki,run,logs,etcd,containerd,cni/net.d,cni/ipam,kubelet/root,kubelet/pki,kubelet/volume-plugins}
KC_LOGFILE="$S/logs/up.log"
echo "$S" >"$KC_ACTIVE_FILE"
kc_log "state dir $S, Kubernetes binaries $KC_BIN, images $images"

# On failure: say where the logs are and stop whatever was started.
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    kc_log "up.sh failed (exit $rc); component logs are in $S/logs/. Stopping what was started."
    "$KC_DIR/down.sh" "$S" >&2 || true
  fi
}
trap on_exit EXIT

# ---- ports (all on 127.0.0.1)
kc_free_port ETCD_PORT
kc_free_port ETCD_PEER_PORT
kc_free_port APISERVER_PORT
kc_free_port KUBELET_PORT
kc_free_port KUBELET_HEALTHZ_PORT
KC_SERVER="https://127.0.0.1:$APISERVER_PORT"
KC_ETCD_ENDPOINT="http://127.0.0.1:$ETCD_PORT"
KC_SOCK="$S/containerd/containerd.sock"

# ---- PKI: a test CA and everything signed by it
P="$S/pki"
ossl() { openssl "$@" 2>>"$S/logs/pki.log" >/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.crt" -days 3650 -subj "/CN=kubench-test-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
cp "$P/ca.crt" "$S/ca.crt"
# cert NAME SUBJECT EXT_KEY_USAGE [SUBJECT_ALT_NAMES] [rsa|ec]
cert() {
  local name="$1" subj="$2" eku="$3" san="${4:-}" kind="${5:-rsa}" ext="$P/$1.ext"
  if [[ "$kind" == ec ]]; then
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$P/$name.key"
  else
    ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$P/$name.key"
  fi
  {
    echo "basicConstraints=critical,CA:FALSE"
    if [[ "$kind" == ec ]]; then echo "keyUsage=critical,digitalSignature"; else echo "keyUsage=critical,digitalSignature,keyEncipherment"; fi
    echo "extendedKeyUsage=$eku"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } >"$ext"
  ossl req -new -key "$P/$name.key" -subj "$subj" -out "$P/$name.csr"
  ossl x509 -req -in "$P/$name.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 3650 \
    -extfile "$ext" -out "$P/$name.crt"
  rm -f "$P/$name.csr" "$ext"
}
# The CA, the admin and the service-account keys are RSA; component certs use EC P-256 (faster to make).
cert apiserver "/CN=kube-apiserver" serverAuth \
  "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:${KC_SERVICE_CIDR%.*}.1" ec
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth "" ec
cert admin "/O=system:masters/CN=kubench-admin" clientAuth
cert admin-ec "/O=system:masters/CN=kubench-admin-ec" clientAuth "" ec
cert controller-manager "/CN=system:kube-controller-manager" clientAuth "" ec
cert scheduler "/CN=system:kube-scheduler" clientAuth "" ec
cert kubelet-client "/O=system:nodes/CN=system:node:$KC_NODE" clientAuth "" ec
cert kubelet "/CN=$KC_NODE" serverAuth "DNS:$KC_NODE,DNS:localhost,IP:127.0.0.1" ec
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$P/sa.key"
ossl pkey -in "$P/sa.key" -pubout -out "$P/sa.pub"
chmod 600 "$P"/*.key

KC_ADMIN_TOKEN="$(openssl rand -hex 24)"
KC_RESTRICTED_TOKEN="$(openssl rand -hex 24)"
{
  echo "$KC_ADMIN_TOKEN,kubench-admin-token,uid-kubench-admin,\"system:masters\""
  echo "$KC_RESTRICTED_TOKEN,$KC_RESTRICTED_USER,uid-$KC_RESTRICTED_USER,\"kubench-testers\""
} >"$P/tokens.csv"
chmod 600 "$P/tokens.csv"

# kubeconfig FILE USER_NAME [cert NAME | token TOKEN] [NAMESPACE]
kubeconfig() {
  local file="$1" user="$2" kind="$3" val="$4" ns="${5:-default}"
  {
    cat <<KC
apiVersion: v1
kind: Config
clusters:
- name: kubench-test
  cluster:
    server: $KC_SERVER
    certificate-authority-data: $(base64 -w0 "$P/ca.crt")
contexts:
- name: $user@kubench-test
  context:
    cluster: kubench-test
    user: $user
    namespace: $ns
current-context: $user@kubench-test
preferences: {}
users:
- name: $user
  user:
KC
    if [[ "$kind" == cert ]]; then
      echo "    client-certificate-data: $(base64 -w0 "$P/$val.crt")"
      echo "    client-key-data: $(base64 -w0 "$P/$val.key")"
    else
      echo "    token: $val"
    fi
  } >"$file"
  chmod 600 "$file"
}
kubeconfig "$S/admin.kubeconfig" kubench-admin cert admin
kubeconfig "$S/admin-ec.kubeconfig" kubench-admin-ec cert admin-ec
kubeconfig "$S/token.kubeconfig" kubench-admin-token token "$KC_ADMIN_TOKEN"
kubeconfig "$S/restricted.kubeconfig" "$KC_RESTRICTED_USER" token "$KC_RESTRICTED_TOKEN" "$KC_RESTRICTED_NAMESPACE"
kubeconfig "$S/controller-manager.kubeconfig" system:kube-controller-manager cert controller-manager
kubeconfig "$S/scheduler.kubeconfig" system:kube-scheduler cert scheduler
kubeconfig "$S/kubelet.kubeconfig" "system:node:$KC_NODE" cert kubelet-client

KC_K8S_VERSION="$("$KC_BIN/kube-apiserver" --version | awk '{print $2}')"
cat >"$S/cluster.conf" <<EOF
# internal settings of the test cluster (sourced by tests/cluster/*.sh); tests should read ./env
KC_STATE=$(printf %q "$S")
KC_BIN=$(printf %q "$KC_BIN")
KC_SERVER=$KC_SERVER
KC_ETCD_ENDPOINT=$KC_ETCD_ENDPOINT
KC_SOCK=$(printf %q "$KC_SOCK")
KC_ADMIN_TOKEN=$KC_ADMIN_TOKEN
KC_RESTRICTED_TOKEN=$KC_RESTRICTED_TOKEN
KC_K8S_VERSION=$KC_K8S_VERSION
KC_APISERVER_PORT=$APISERVER_PORT
KC_KUBELET_PORT=$KUBELET_PORT
EOF
chmod 600 "$S/cluster.conf"

# ---- /etc/hosts: the API server reaches the kubelet by its node name (--kubelet-preferred-address-types
# Hostname) over loopback. Rewritten in place (it may be a bind mount), idempotent.
[[ -s /etc/hosts && -n "$(tail -c1 /etc/hosts)" ]] && echo >>/etc/hosts
if ! grep -q "^127\.0\.0\.1[[:space:]]\+${KC_NODE}[[:space:]]" /etc/hosts; then
  printf '127.0.0.1\t%s %s\n' "$KC_NODE" "$KC_HOSTS_MARK" >>/etc/hosts
fi

# Remember what already is in the kubelet's fixed log dirs, so down.sh removes only what this cluster wrote.
for d in /var/log/pods /var/log/containers; do ls -A "$d" 2>/dev/null || true; done >"$S/run/preexisting-pod-logs"
# Machine-wide dirs that containerd, CNI and the kubelet create when missing: down.sh removes them
# again (when empty) if this cluster created them.
for d in /run/containerd /var/lib/cni /var/log/pods /var/log/containers; do
  [[ -e "$d" ]] || echo "$d"
done >"$S/run/created-dirs"
# Same for cgroups: runc puts containers under /k8s.io/<id> in every hierarchy (cgroupfs driver).
find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d 2>/dev/null | LC_ALL=C sort >"$S/run/preexisting-cgroups"

# ---- etcd: the readiness budget counts from here (the Kubernetes build above may take minutes)
t0=$SECONDS
kc_start etcd /usr/bin/etcd --name kubench --data-dir "$S/etcd/data" \
  --listen-client-urls "$KC_ETCD_ENDPOINT" --advertise-client-urls "$KC_ETCD_ENDPOINT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "kubench=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
  --enable-v2=false --snapshot-count 10000 --log-level warn --logger zap

# ---- containerd (own config, root, state and socket; not the system service)
cat >"$S/cni/net.d/10-kubench.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$KC_CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$KC_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$S/cni/ipam",
        "ranges": [[{"subnet": "$KC_POD_SUBNET"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
cat >"$S/containerd/config.toml" <<EOF
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$KC_SOCK"
[ttrpc]
  address = "$KC_SOCK.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$S/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$KC_PAUSE_IMAGE"
  # this machine refuses a negative oom_score_adj; keep containers at or above containerd's own
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  # network namespaces under the state dir (not /var/run/netns), so down.sh finds and removes them
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "$S/containerd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni/net.d"
    max_conf_num = 1
EOF
kc_start containerd /usr/bin/containerd --config "$S/containerd/config.toml"

ctr_() { ctr --address "$KC_SOCK" --namespace k8s.io "$@"; }
kc_wait 30 "etcd to answer /health" etcd curl -fsS "$KC_ETCD_ENDPOINT/health"
kc_wait 30 "containerd to answer on $KC_SOCK" containerd ctr_ version
for img in pause busybox; do
  ctr_ images import "$images/$img.tar" >>"$S/logs/containerd-import.log" 2>&1 \
    || { tail -n 20 "$S/logs/containerd-import.log" >&2; kc_die "ctr images import $img.tar failed"; }
done
kc_log "imported $KC_PAUSE_IMAGE and $KC_BUSYBOX_IMAGE"

# ---- kube-apiserver
# shellcheck disable=SC2206
extra_api_args=(${KUBENCH_APISERVER_EXTRA_ARGS:-})
kc_start kube-apiserver "$KC_BIN/kube-apiserver" \
  --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --insecure-port 0 \
  --etcd-servers "$KC_ETCD_ENDPOINT" \
  --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
  --client-ca-file "$P/ca.crt" --token-auth-file "$P/tokens.csv" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --feature-gates TTLAfterFinished=true \
  --kubelet-preferred-address-types Hostname --kubelet-certificate-authority "$P/ca.crt" \
  --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range "$KC_SERVICE_CIDR" --allow-privileged=true \
  --watch-cache=false --profiling=false --v 1 "${extra_api_args[@]}"

# ---- kubelet config (started after the API server answers)
cat >"$S/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $P/kubelet.crt
tlsPrivateKeyFile: $P/kubelet.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $P/ca.crt
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
makeIPTablesUtilChains: false
oomScoreAdj: 0
volumePluginDir: $S/kubelet/volume-plugins
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "50Mi"
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
nodeStatusUpdateFrequency: 5s
syncFrequency: 10s
EOF

kc_wait 60 "kube-apiserver /readyz" kube-apiserver kc_api GET /readyz

# ---- controller-manager and scheduler
kc_start kube-controller-manager "$KC_BIN/kube-controller-manager" \
  --kubeconfig "$S/controller-manager.kubeconfig" --bind-address 127.0.0.1 --port 0 --secure-port 0 \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
  --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
  --service-cluster-ip-range "$KC_SERVICE_CIDR" \
  --feature-gates TTLAfterFinished=true --profiling=false --v 1
kc_start kube-scheduler "$KC_BIN/kube-scheduler" \
  --kubeconfig "$S/scheduler.kubeconfig" --bind-address 127.0.0.1 --port 0 --secure-port 0 \
  --leader-elect=false --profiling=false --v 1

# ---- kubelet
kc_start kubelet "$KC_BIN/kubelet" \
  --config "$S/kubelet/config.yaml" --kubeconfig "$S/kubelet.kubeconfig" \
  --container-runtime remote --container-runtime-endpoint "unix://$KC_SOCK" \
  --root-dir "$S/kubelet/root" --cert-dir "$S/kubelet/pki" \
  --hostname-override "$KC_NODE" \
  --pod-infra-container-image "$KC_PAUSE_IMAGE" --v 1

# ---- RBAC for the restricted user: create Jobs/pods and read pods in one namespace, but no pods/log.
rbac="$S/run/rbac.json"
cat >"$rbac.ns" <<EOF
{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"$KC_RESTRICTED_NAMESPACE"}}
EOF
cat >"$rbac.role" <<EOF
{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
 "metadata":{"name":"kubench-restricted","namespace":"$KC_RESTRICTED_NAMESPACE"},
 "rules":[
  {"apiGroups":[""],"resources":["pods"],"verbs":["create","get","list","watch","delete"]},
  {"apiGroups":["batch"],"resources":["jobs"],"verbs":["create","get","list","watch","delete"]}]}
EOF
cat >"$rbac.binding" <<EOF
{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",
 "metadata":{"name":"kubench-restricted","namespace":"$KC_RESTRICTED_NAMESPACE"},
 "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"kubench-restricted"},
 "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"$KC_RESTRICTED_USER"}]}
EOF
kc_api POST /api/v1/namespaces "$rbac.ns" >/dev/null
kc_api POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$KC_RESTRICTED_NAMESPACE/roles" "$rbac.role" >/dev/null
kc_api POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$KC_RESTRICTED_NAMESPACE/rolebindings" "$rbac.binding" >/dev/null
rm -f "$rbac".*

# ---- wait: node Ready, default service account with its token (pods need it in 1.20)
left() { local l=$((timeout_all - (SECONDS - t0))); ((l > 5)) && echo "$l" || echo 5; }
node_ready() {
  kc_api GET "/api/v1/nodes/$KC_NODE" | jq -e '.status.conditions[] | select(.type=="Ready") | .status=="True"' >/dev/null
}
sa_ready() {
  kc_api GET /api/v1/namespaces/default/serviceaccounts/default | jq -e '(.secrets // []) | length > 0' >/dev/null
}
kc_wait "$(left)" "node $KC_NODE Ready" kubelet node_ready
kc_wait "$(left)" "the default service account's token" kube-controller-manager sa_ready
for c in "${KC_COMPONENTS[@]}"; do
  kc_pid_alive "$(kc_read_pid "$S/run/$c.pid")" || kc_die "$c died; see $S/logs/$c.log"
done

kc_write_env
trap - EXIT
kc_log "cluster ready in $((SECONDS - t0))s from starting etcd ($SECONDS s with binaries, images and certificates): server $KC_SERVER, node $KC_NODE; env file $S/env"
echo "$S"
