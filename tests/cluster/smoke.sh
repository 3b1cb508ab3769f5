#!/usr/bin/env bash
# Self-check of a running test cluster, with curl only (no kubectl):
#   tests/cluster/smoke.sh [STATE_DIR]
# - client-certificate auth (RSA and EC admin certs) and token auth answer;
# - a Pod running busybox `sh -c 'for i in $(seq 1 5); do echo line $i; done'` reaches Succeeded and its
#   log comes back through the API (API server -> kubelet log path);
# - the restricted user may list pods in its namespace but gets 403 on pods/log;
# - a Job (with ttlSecondsAfterFinished) completes;
# - the namespace is deleted and gone.
# Exit 0 when all pass, 1 with a clear message otherwise.
set -euo pipefail
KC_SCRIPT=smoke
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
S="$(kc_state_dir "${1:-}")"
kc_load_conf "$S"
KC_LOGFILE="$S/logs/smoke.log"
t0=$SECONDS
ns="kubench-smoke-$(date +%s)-$RANDOM"
work="$(mktemp -d)"

fail() {
  kc_log "FAILED: $*"
  if [[ -n "${ns:-}" ]]; then
    kc_log "pods in $ns:"
    kc_api GET "/api/v1/namespaces/$ns/pods" 2>/dev/null \
      | jq -r '.items[] | "  \(.metadata.name): \(.status.phase) \(.status.containerStatuses // [] | map(.state) | tostring)"' >&2 || true
    kc_log "events in $ns:"
    kc_api GET "/api/v1/namespaces/$ns/events" 2>/dev/null \
      | jq -r '.items[] | "  \(.involvedObject.kind)/\(.involvedObject.name): \(.reason): \(.message)"' >&2 || true
  fi
  kc_log "component logs: $S/logs/"
  exit 1
}
cleanup() {
  if [[ -n "${ns:-}" ]]; then kc_api DELETE "/api/v1/namespaces/$ns" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { kc_log "$*"; }
# poll TIMEOUT DESCRIPTION CMD...
poll() {
  local timeout="$1" what="$2" deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s: $what"
    sleep 0.5
  done
}
http_code() { # http_code CURL_ARGS... -> prints the HTTP status
  curl -sS --max-time 20 -o /dev/null -w '%{http_code}' --cacert "$S/ca.crt" "$@"
}

step "authentication: client certificates (RSA, EC) and bearer token"
code="$(http_code --cert "$S/pki/admin.crt" --key "$S/pki/admin.key" "$KC_SERVER/api/v1/namespaces")"
[[ "$code" == 200 ]] || fail "admin client certificate: HTTP $code"
code="$(http_code --cert "$S/pki/admin-ec.crt" --key "$S/pki/admin-ec.key" "$KC_SERVER/api/v1/namespaces")"
[[ "$code" == 200 ]] || fail "EC admin client certificate: HTTP $code"
code="$(http_code -H "Authorization: Bearer $KC_ADMIN_TOKEN" "$KC_SERVER/api/v1/nodes")"
[[ "$code" == 200 ]] || fail "admin token: HTTP $code"

step "namespace $ns"
echo "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >"$work/ns.json"
kc_api POST /api/v1/namespaces "$work/ns.json" >/dev/null || fail "cannot create namespace $ns"
sa_ready() {
  kc_api GET "/api/v1/namespaces/$ns/serviceaccounts/default" 2>/dev/null | jq -e '(.secrets // []) | length > 0' >/dev/null
}
poll 60 "service account default in $ns with its token" sa_ready

step "pod: busybox prints 5 lines"
cat >"$work/pod.json" <<JSON
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"lines"},
 "spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":1,
  "containers":[{"name":"main","image":"$KC_BUSYBOX_IMAGE","imagePullPolicy":"Never",
   "command":["sh","-c","for i in \$(seq 1 5); do echo line \$i; done"]}]}}
JSON
kc_api POST "/api/v1/namespaces/$ns/pods" "$work/pod.json" >/dev/null || fail "cannot create pod"
phase() { kc_api GET "/api/v1/namespaces/$1/pods/$2" | jq -r '.status.phase'; }
pod_done() {
  local p
  p="$(phase "$ns" lines)" || return 1
  [[ "$p" == Failed ]] && fail "pod lines failed"
  [[ "$p" == Succeeded ]]
}
poll 90 "pod lines to succeed" pod_done
log="$(kc_api GET "/api/v1/namespaces/$ns/pods/lines/log")" || fail "cannot read the pod's log through the API server"
expected="$(printf 'line %s\n' 1 2 3 4 5)"
[[ "$log" == "$expected" ]] || fail "pod log differs: got [$log], want [$expected]"

step "restricted user: pods allowed, pods/log forbidden (namespace $KC_RESTRICTED_NAMESPACE)"
code="$(http_code -H "Authorization: Bearer $KC_RESTRICTED_TOKEN" "$KC_SERVER/api/v1/namespaces/$KC_RESTRICTED_NAMESPACE/pods")"
[[ "$code" == 200 ]] || fail "restricted user listing pods: HTTP $code, want 200"
code="$(http_code -H "Authorization: Bearer $KC_RESTRICTED_TOKEN" "$KC_SERVER/api/v1/namespaces/$KC_RESTRICTED_NAMESPACE/pods/x/log")"
[[ "$code" == 403 ]] || fail "restricted user reading pods/log: HTTP $code, want 403"
code="$(http_code -H "Authorization: Bearer $KC_RESTRICTED_TOKEN" "$KC_SERVER/api/v1/namespaces/default/pods")"
[[ "$code" == 403 ]] || fail "restricted user listing pods in default: HTTP $code, want 403"

step "job: completes"
cat >"$work/job.json" <<JSON
{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"done"},
 "spec":{"backoffLimit":0,"ttlSecondsAfterFinished":600,
  "template":{"spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":1,
   "containers":[{"name":"main","image":"$KC_BUSYBOX_IMAGE","imagePullPolicy":"Never",
    "command":["sh","-c","echo job done"]}]}}}}
JSON
kc_api POST "/apis/batch/v1/namespaces/$ns/jobs" "$work/job.json" >/dev/null || fail "cannot create job"
job_done() {
  local st
  st="$(kc_api GET "/apis/batch/v1/namespaces/$ns/jobs/done" | jq -r '[.status.succeeded // 0, .status.failed // 0] | join(" ")')" || return 1
  [[ "$st" == 0\ [1-9]* ]] && fail "job failed"
  [[ "$st" == 1\ * ]]
}
poll 90 "job done to complete" job_done

step "delete namespace $ns"
kc_api DELETE "/api/v1/namespaces/$ns" >/dev/null || fail "cannot delete namespace"
ns_gone() { [[ "$(http_code -H "Authorization: Bearer $KC_ADMIN_TOKEN" "$KC_SERVER/api/v1/namespaces/$ns")" == 404 ]]; }
poll 90 "namespace $ns to disappear" ns_gone
ns=""

kc_log "smoke test passed in $((SECONDS - t0))s"
