#!/usr/bin/env bash
# Stop and start only the kube-apiserver of a running test cluster (by its recorded pid), with the same
# flags and port, and wait until it is ready again. For tests of watches/reconnects across a restart.
#   tests/cluster/restart-apiserver.sh STATE_DIR [DOWNTIME_SECONDS]
# DOWNTIME_SECONDS (default 0) is how long the API server stays down. STATE_DIR/env gets the new pid
# (KUBENCH_CLUSTER_PID_APISERVER). Prints the new pid on stdout.
# The API server gets SIGTERM, then SIGKILL after KUBENCH_APISERVER_STOP_TIMEOUT seconds (default 3):
# a graceful stop waits for open watch connections up to its request timeout (60 s), so open watches
# normally see their connection reset by the SIGKILL.
set -euo pipefail
KC_SCRIPT=restart-apiserver
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kc_require_root
[[ $# -ge 1 ]] || kc_die "usage: $0 STATE_DIR [DOWNTIME_SECONDS]"
S="$(kc_state_dir "$1")"
kc_load_conf "$S"
KC_LOGFILE="$S/logs/up.log"
t0=$SECONDS
[[ -f "$S/run/kube-apiserver.cmd" ]] || kc_die "no recorded kube-apiserver command in $S/run"
kc_stop_pid kube-apiserver "$S/run/kube-apiserver.pid" "${KUBENCH_APISERVER_STOP_TIMEOUT:-3}"
sleep "${2:-0}"
kc_restart_from_cmd kube-apiserver
kc_wait 60 "kube-apiserver /readyz" kube-apiserver kc_api GET /readyz
kc_write_env
kc_log "kube-apiserver restarted in $((SECONDS - t0))s"
cat "$S/run/kube-apiserver.pid"
