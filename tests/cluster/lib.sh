# shellcheck shell=bash
# shellcheck disable=SC2034  # constants used by the scripts that source this file
# Shared helpers for the kubench test-cluster scripts (sourced, not executed).

KC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KC_DEFAULT_STATE=/tmp/kubench-cluster
KC_CACHE_ROOT="${KUBENCH_K8S_CACHE:-/var/cache/kubench/k8s}"
KC_IMAGE_CACHE="${KUBENCH_IMAGE_CACHE:-/var/cache/kubench/images}"

# Messages go to stderr (stdout is reserved for the one result line) and, once KC_LOGFILE is set,
# to that file too.
kc_log() {
  local line
  printf -v line '[%s %s] %s' "$(date +%H:%M:%S)" "${KC_SCRIPT:-cluster}" "$*"
  printf '%s\n' "$line" >&2
  [[ -n "${KC_LOGFILE:-}" ]] && printf '%s\n' "$line" >>"$KC_LOGFILE" 2>/dev/null
  return 0
}
kc_die() { kc_log "ERROR: $*"; exit 1; }

kc_require_root() {
  [[ $(id -u) -eq 0 ]] || kc_die "must run as root (it runs containerd, the kubelet, mounts and network namespaces)"
}

# Install only the Debian packages that are missing; apt-get update at most once per run.
# (up.sh, build-k8s.sh and build-images.sh share a stamp: one update per hour is enough.)
KC_APT_UPDATED=0
KC_APT_STAMP=/var/cache/kubench/.apt-updated
kc_apt_update() { # kc_apt_update [force]
  if [[ "${1:-}" != force && -n "$(find "$KC_APT_STAMP" -mmin -60 2>/dev/null)" ]]; then KC_APT_UPDATED=1; fi
  if [[ $KC_APT_UPDATED -eq 0 || "${1:-}" == force ]]; then
    kc_log "apt-get update"
    apt-get update -qq -o DPkg::Lock::Timeout=300 >&2 || kc_die "apt-get update failed"
    KC_APT_UPDATED=1
    mkdir -p "${KC_APT_STAMP%/*}" && touch "$KC_APT_STAMP"
  fi
}
kc_apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  kc_apt_update
  kc_log "apt-get install ${missing[*]}"
  # Keep package maintainer scripts from starting system services (containerd, etcd):
  # this suite runs its own instances. policy-rc.d is only added if absent and removed after.
  local policy_added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy_added=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >&2 || rc=$?
  if [[ $rc -ne 0 ]]; then # stale package lists (an hour-old stamp)? update and try once more
    kc_apt_update force
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >&2 || rc=$?
  fi
  [[ $policy_added -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
  [[ $rc -eq 0 ]] || kc_die "apt-get install ${missing[*]} failed"
}

# The Debian version of the kubernetes source package (e.g. 1.20.5+really1.20.2-1.1+deb12u1).
kc_ensure_deb_src() {
  local f=/etc/apt/sources.list.d/kubench-deb-src.sources
  if ! grep -rqs 'deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
    kc_log "adding a deb-src entry for bookworm ($f)"
    cat >"$f" <<'SRC'
# Added by kubench tests/cluster/build-k8s.sh: source packages (apt-get source kubernetes)
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    kc_apt_update force
  fi
}
kc_k8s_src_version() {
  # No deb-src lists yet is exit 100; that is "no version", not a failure (pipefail).
  { apt-cache showsrc kubernetes 2>/dev/null || true; } | awk '/^Version:/{print $2}' | sort -V | tail -n1
}

# pid helpers: one pid file per component under $STATE/run/<name>.pid (+ <name>.start, the process's
# start time, so a recycled pid is never signalled). A zombie counts as gone: the daemons are re-parented
# to PID 1 once up.sh exits, and it may reap them late.
kc_pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat%% *}" != Z ]]
}
kc_read_pid() { if [[ -s "$1" ]]; then cat "$1"; fi; }
kc_start_time() { # kc_start_time PID -> field 22 of /proc/PID/stat
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  awk '{print $20}' <<<"$stat"
}
kc_stop_pid() { # kc_stop_pid NAME PIDFILE [TIMEOUT_S]
  local name="$1" pf="$2" t="${3:-15}" pid i sf="${2%.pid}.start"
  pid="$(kc_read_pid "$pf")"
  if kc_pid_alive "$pid" && [[ -s "$sf" && "$(cat "$sf")" != "$(kc_start_time "$pid")" ]]; then
    kc_log "$name: pid $pid now belongs to another process; not signalling it"
    pid=""
  fi
  if kc_pid_alive "$pid"; then
    kc_log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < t * 10; i++)); do kc_pid_alive "$pid" || break; sleep 0.1; done
    if kc_pid_alive "$pid"; then
      kc_log "$name (pid $pid) did not exit after ${t}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kc_pid_alive "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$sf"
  rm -f "$pf"
}

# A TCP port on 127.0.0.1 that nothing listens on (random in 20000-31999, below the kernel's ephemeral
# range so an outgoing connection cannot take it between the check and the bind; never one handed out before
# in this shell). Call it as `kc_free_port VAR` (not in $(...), so the used list survives).
kc_free_port() {
  local p
  for ((;;)); do
    p=$((20000 + RANDOM % 12000))
    [[ " ${KC_USED_PORTS:-} " == *" $p "* ]] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    KC_USED_PORTS="${KC_USED_PORTS:-} $p"
    printf -v "$1" '%s' "$p"
    return 0
  done
}

# ---- cluster-wide constants (one test cluster per machine: node name, bridge and /etc/hosts are global)
KC_NODE=kubench-node-1
KC_BRIDGE=kubench0
KC_CNI_NETWORK=kubench
KC_POD_SUBNET="${KUBENCH_CLUSTER_POD_SUBNET:-10.233.77.0/24}"
KC_SERVICE_CIDR=10.233.78.0/24
KC_PAUSE_IMAGE=kubench.local/pause:1
KC_BUSYBOX_IMAGE=kubench.local/busybox:1
KC_RESTRICTED_USER=kubench-restricted
KC_RESTRICTED_NAMESPACE=kubench-restricted
KC_HOSTS_MARK="# kubench-test-cluster"
KC_ACTIVE_FILE=/run/kubench-cluster.active
# start order; down.sh stops in reverse
KC_COMPONENTS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet)

# kc_state_dir [ARG] -> absolute state dir (ARG, else $KUBENCH_CLUSTER_STATE, else /tmp/kubench-cluster)
kc_state_dir() {
  local d="${1:-${KUBENCH_CLUSTER_STATE:-$KC_DEFAULT_STATE}}"
  [[ "$d" == /* ]] || d="$PWD/$d"
  d="$(realpath -m "$d")"
  [[ "$d" != / && "$d" != /tmp && "$d" != /var && "$d" != /root && "$d" != /home ]] \
    || kc_die "refusing to use $d as a state dir"
  printf '%s\n' "$d"
}

# Internal settings of a running cluster (ports, tokens, paths), written by up.sh.
kc_load_conf() { # kc_load_conf STATE
  [[ -f "$1/cluster.conf" ]] || kc_die "$1 holds no cluster (no cluster.conf; run up.sh first)"
  # shellcheck disable=SC1091
  source "$1/cluster.conf"
}

# kc_api METHOD PATH [BODY_FILE|-] -> response body on stdout; non-zero on HTTP errors (body on stderr).
# Uses the admin bearer token of the loaded cluster (kc_load_conf first).
kc_api() {
  local method="$1" path="$2" body="${3:-}" out code
  local args=(-sS --max-time 30 --cacert "$KC_STATE/ca.crt" -H "Authorization: Bearer $KC_ADMIN_TOKEN"
    -H 'Accept: application/json' -X "$method" -w '\n%{http_code}')
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  out="$(curl "${args[@]}" "$KC_SERVER$path")" || return 1
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  if [[ "$code" -ge 400 || "$code" -lt 100 ]]; then
    printf 'HTTP %s from %s %s: %s\n' "$code" "$method" "$path" "$out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# kc_wait TIMEOUT_S DESCRIPTION COMPONENT_OR_- CMD... : poll CMD every 0.5s until it succeeds.
# Fails early when COMPONENT's recorded pid has died (shows the tail of its log).
kc_wait() {
  local timeout="$1" what="$2" comp="$3" deadline
  shift 3
  deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if [[ "$comp" != - ]] && ! kc_pid_alive "$(kc_read_pid "$KC_STATE/run/$comp.pid")"; then
      kc_log "$comp exited while waiting for: $what; last lines of $KC_STATE/logs/$comp.log:"
      tail -n 30 "$KC_STATE/logs/$comp.log" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      kc_log "timed out after ${timeout}s waiting for: $what"
      [[ "$comp" != - ]] && { kc_log "last lines of $KC_STATE/logs/$comp.log:"; tail -n 30 "$KC_STATE/logs/$comp.log" >&2 || true; }
      return 1
    fi
    sleep 0.5
  done
}

# kc_start NAME CMD... : start CMD in its own session, stdout+stderr to logs/NAME.log, pid to run/NAME.pid,
# the command line to run/NAME.cmd (restart-apiserver.sh replays it).
kc_start() {
  local name="$1"
  shift
  printf '%q ' "$@" >"$KC_STATE/run/$name.cmd"
  printf '\n==== %s starting: %s\n' "$(date '+%F %T')" "$*" >>"$KC_STATE/logs/$name.log"
  (
    # Close every inherited descriptor above stderr: a daemon holding, e.g., the pipe of a test runner
    # that called up.sh would keep that runner waiting for EOF forever.
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid "$@" </dev/null >>"$KC_STATE/logs/$name.log" 2>&1
  ) &
  echo "$!" >"$KC_STATE/run/$name.pid"
  kc_start_time "$!" >"$KC_STATE/run/$name.start"
  kc_log "started $name (pid $!, log logs/$name.log)"
}
kc_restart_from_cmd() { # kc_restart_from_cmd NAME
  local name="$1" cmd
  cmd="$(cat "$KC_STATE/run/$name.cmd")"
  eval "kc_start $name $cmd"
}

# Shell-syntax KEY=value line, unquoted when the value is plain, else in single quotes (a value holding
# a single quote falls back to bash's %q): simple parsers (tests/support/cluster_env.cpp) read it too.
kc_env_line() {
  if [[ "$2" =~ ^[A-Za-z0-9_./:@+,=-]*$ ]]; then
    printf '%s=%s\n' "$1" "$2"
  elif [[ "$2" != *"'"* ]]; then
    printf "%s='%s'\n" "$1" "$2"
  else
    printf '%s=%q\n' "$1" "$2"
  fi
}

# (Re)write STATE/env, the file tests read. Needs kc_load_conf.
kc_write_env() {
  local S="$KC_STATE" tmp c var
  tmp="$S/env.tmp"
  {
    echo "# kubench test cluster; written by tests/cluster/up.sh. Shell syntax: KEY=value, one per line."
    kc_env_line KUBECONFIG "$S/admin.kubeconfig"
    kc_env_line KUBENCH_CLUSTER_STATE "$S"
    kc_env_line KUBENCH_CLUSTER_SERVER "$KC_SERVER"
    kc_env_line KUBENCH_CLUSTER_CA "$S/ca.crt"
    kc_env_line KUBENCH_CLUSTER_VERSION "$KC_K8S_VERSION"
    kc_env_line KUBENCH_CLUSTER_ADMIN_KUBECONFIG "$S/admin.kubeconfig"
    kc_env_line KUBENCH_CLUSTER_ADMIN_EC_KUBECONFIG "$S/admin-ec.kubeconfig"
    kc_env_line KUBENCH_CLUSTER_TOKEN_KUBECONFIG "$S/token.kubeconfig"
    kc_env_line KUBENCH_CLUSTER_RESTRICTED_KUBECONFIG "$S/restricted.kubeconfig"
    kc_env_line KUBENCH_CLUSTER_ADMIN_CERT "$S/pki/admin.crt"
    kc_env_line KUBENCH_CLUSTER_ADMIN_KEY "$S/pki/admin.key"
    kc_env_line KUBENCH_CLUSTER_ADMIN_TOKEN "$KC_ADMIN_TOKEN"
    kc_env_line KUBENCH_CLUSTER_RESTRICTED_USER "$KC_RESTRICTED_USER"
    kc_env_line KUBENCH_CLUSTER_RESTRICTED_TOKEN "$KC_RESTRICTED_TOKEN"
    kc_env_line KUBENCH_CLUSTER_RESTRICTED_NAMESPACE "$KC_RESTRICTED_NAMESPACE"
    kc_env_line KUBENCH_CLUSTER_NODE "$KC_NODE"
    kc_env_line KUBENCH_CLUSTER_ETCD "$KC_ETCD_ENDPOINT"
    kc_env_line KUBENCH_CLUSTER_CONTAINERD_SOCKET "$KC_SOCK"
    kc_env_line KUBENCH_CLUSTER_BIN "$KC_BIN"
    kc_env_line KUBENCH_CLUSTER_KUBECTL "$( [[ -x "$KC_BIN/kubectl" ]] && echo "$KC_BIN/kubectl")"
    kc_env_line KUBENCH_CLUSTER_BUSYBOX_IMAGE "$KC_BUSYBOX_IMAGE"
    kc_env_line KUBENCH_CLUSTER_PAUSE_IMAGE "$KC_PAUSE_IMAGE"
    kc_env_line KUBENCH_CLUSTER_LOGS "$S/logs"
    for c in "${KC_COMPONENTS[@]}"; do
      var="${c#kube-}"
      var="KUBENCH_CLUSTER_PID_${var^^}"
      kc_env_line "${var//-/_}" "$(kc_read_pid "$S/run/$c.pid")"
    done
  } >"$tmp"
  chmod 600 "$tmp" # it holds tokens
  mv "$tmp" "$S/env"
}
