# Sourced by the benchmarks that need the test cluster: brings it up in its own state directory
# (down again when the script exits) and sets KUBECONFIG, $kubectl, $image (busybox) and $work.
state=/tmp/kubench-bench-cluster
tests/cluster/up.sh "$state" >/dev/null
trap 'tests/cluster/down.sh "$state" >/dev/null' EXIT
set -a; source "$state/env"; set +a
kubectl=${KUBENCH_CLUSTER_KUBECTL:-$(command -v kubectl || true)}
[ -n "$kubectl" ] || { echo "no kubectl: tests/cluster/build-k8s.sh builds one" >&2; exit 2; }
image=$KUBENCH_CLUSTER_BUSYBOX_IMAGE
work=$(mktemp -d)
