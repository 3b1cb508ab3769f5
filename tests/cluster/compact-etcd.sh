#!/usr/bin/env bash
# Compact the test cluster's etcd to its current revision (etcd v3 API through its grpc-gateway, with
# curl), so that watches/lists from an older resourceVersion that reach etcd get 410 Gone.
#   tests/cluster/compact-etcd.sh STATE_DIR
# Prints the revision compacted to on stdout.
# up.sh runs kube-apiserver with --watch-cache=false, so watches go to etcd and see the compaction.
set -euo pipefail
KC_SCRIPT=compact-etcd
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
[[ $# -ge 1 ]] || kc_die "usage: $0 STATE_DIR"
S="$(kc_state_dir "$1")"
kc_load_conf "$S"
# A range over the key "\0" returns nothing but the header with the current revision.
resp="$(curl -fsS --max-time 10 -X POST "$KC_ETCD_ENDPOINT/v3/kv/range" -d '{"key":"AA==","limit":1}')" \
  || kc_die "etcd at $KC_ETCD_ENDPOINT did not answer /v3/kv/range"
rev="$(jq -r '.header.revision' <<<"$resp")"
[[ "$rev" =~ ^[0-9]+$ ]] || kc_die "no revision in etcd's answer: $resp"
curl -fsS --max-time 30 -X POST "$KC_ETCD_ENDPOINT/v3/kv/compaction" \
  -d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null \
  || kc_die "etcd compaction to revision $rev failed"
kc_log "etcd compacted to revision $rev"
echo "$rev"
