#!/usr/bin/env bash
# Stop the test cluster started by up.sh and leave nothing behind:
#   tests/cluster/down.sh [STATE_DIR]    (default $KUBENCH_CLUSTER_STATE or /tmp/kubench-cluster)
# - stops the kubelet, then every pod container through containerd (so no shim or container survives),
#   then the control plane, containerd and etcd: each by its recorded pid (SIGTERM, wait, SIGKILL);
# - unmounts everything mounted under STATE_DIR (pod volumes, sandbox shm, rootfs overlays, netns);
# - deletes the CNI bridge, this cluster's CNI result cache files and pod log dirs, the /etc/hosts line;
# - removes STATE_DIR except STATE_DIR/logs (kept for debugging).
# Safe to run when nothing is running. Exit status 1 if something could not be cleaned up.
set -uo pipefail
KC_SCRIPT=down
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kc_require_root

S="$(kc_state_dir "${1:-}")"
KC_STATE="$S"
t0=$SECONDS
problems=0
[[ -d "$S/logs" ]] && KC_LOGFILE="$S/logs/down.log"

# The /etc/hosts line and the bridge are per machine; remove them when this is the active cluster
# (or when no cluster is recorded as active).
active="$(cat "$KC_ACTIVE_FILE" 2>/dev/null || true)"
owns_machine=0
[[ -z "$active" || "$active" == "$S" ]] && owns_machine=1

if [[ -d "$S" ]]; then
  sock="$S/containerd/containerd.sock"
  ctr_() { timeout 20 ctr --address "$sock" --namespace k8s.io "$@"; }

  # 1. the kubelet first, so it does not restart what we stop next
  kc_stop_pid kubelet "$S/run/kubelet.pid" 20

  # 2. pod containers: kill every task through containerd, then delete it (that ends its shim)
  if kc_pid_alive "$(kc_read_pid "$S/run/containerd.pid")" && [[ -S "$sock" ]]; then
    # CNI caches a result per sandbox and network (/var/lib/cni/results/<net>-<id>-<if>); without a CRI
    # StopPodSandbox nobody removes them, so note the ids to remove their files below.
    ctr_ containers ls -q 2>/dev/null >"$S/run/container-ids" || true
    mapfile -t tasks < <(ctr_ tasks ls -q 2>/dev/null)
    if ((${#tasks[@]})); then
      kc_log "killing ${#tasks[@]} container task(s)"
      for t in "${tasks[@]}"; do ctr_ tasks kill --signal SIGKILL "$t" >/dev/null 2>&1 || true; done
      for t in "${tasks[@]}"; do
        for _ in $(seq 1 50); do
          ctr_ tasks ls 2>/dev/null | awk -v t="$t" '$1==t{print $3}' | grep -q RUNNING || break
          sleep 0.1
        done
        ctr_ tasks delete --force "$t" >/dev/null 2>&1 || true
      done
    fi
  fi

  # 3. the rest, newest first
  for ((i = ${#KC_COMPONENTS[@]} - 1; i >= 0; i--)); do
    c="${KC_COMPONENTS[i]}"
    [[ "$c" == kubelet ]] && continue
    kc_stop_pid "$c" "$S/run/$c.pid" 20
  done

  # 4. shims that outlived containerd (their command line names our socket): stop them by pid
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    cmd="$(tr '\0' ' ' 2>/dev/null <"$d/cmdline")" || continue
    if [[ "$cmd" == *containerd-shim*"$sock"* ]]; then
      echo "$pid" >"$S/run/leftover-shim.pid"
      kc_stop_pid "containerd-shim (leftover)" "$S/run/leftover-shim.pid" 5
    fi
  done

  # 5. cgroups this cluster created (runc: /k8s.io/<id> in every hierarchy). Processes still in them
  #    are leftovers of our containers (e.g. their shim died): SIGKILL them by pid, then remove the dirs.
  if [[ -f "$S/run/preexisting-cgroups" ]]; then
    mapfile -t new_cgroups < <(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d 2>/dev/null | LC_ALL=C sort \
      | LC_ALL=C comm -23 - "$S/run/preexisting-cgroups" | grep '/k8s\.io$')
    for cg in "${new_cgroups[@]}"; do
      mapfile -t procs < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
      if ((${#procs[@]})); then
        kc_log "killing ${#procs[@]} leftover container process(es) in $cg: ${procs[*]}"
        kill -KILL "${procs[@]}" 2>/dev/null || true
        sleep 0.5
      fi
      find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
      if [[ -d "$cg" ]]; then
        kc_log "could not remove cgroup $cg"
        problems=1
      fi
    done
  fi

  # 6. per-container files outside the state dir: CNI result caches (/var/lib/cni/results/<net>-<id>-<if>,
  #    left when no CRI StopPodSandbox ran) and sockets of shims that were killed
  #    (/run/containerd/s/<sha256 of "<containerd socket>/<namespace>/<id>">).
  {
    cat "$S/run/container-ids" 2>/dev/null
    ls "$S/containerd/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null
    ls "$S/containerd/state/io.containerd.grpc.v1.cri/sandboxes" 2>/dev/null
  } | sort -u | while read -r id; do
    [[ "$id" =~ ^[0-9a-f]{64}$ ]] || continue
    rm -f /var/lib/cni/results/*-"$id"-* 2>/dev/null
    h="$(printf '%s' "$sock/k8s.io/$id" | sha256sum | cut -d' ' -f1)"
    rm -f "/run/containerd/s/$h" 2>/dev/null
  done

  # 7. unmount everything under the state dir, deepest first
  umount_all() {
    awk '{print $2}' /proc/mounts | while read -r m; do printf '%b\n' "$m"; done \
      | awk -v s="$S/" 'index($0, s) == 1' | sort -r | uniq
  }
  for pass in 1 2 3; do
    mapfile -t mounts < <(umount_all)
    ((${#mounts[@]})) || break
    [[ $pass == 1 ]] && kc_log "unmounting ${#mounts[@]} mount(s) under $S"
    for m in "${mounts[@]}"; do
      umount "$m" 2>/dev/null || umount -R "$m" 2>/dev/null || { [[ $pass == 3 ]] && umount -l "$m" 2>/dev/null; } || true
    done
  done
  mapfile -t mounts < <(umount_all)
  if ((${#mounts[@]})); then
    kc_log "still mounted under $S: ${mounts[*]}"
    problems=1
  fi
fi

if [[ $owns_machine == 1 ]]; then
  if ip link show "$KC_BRIDGE" >/dev/null 2>&1; then
    kc_log "deleting bridge $KC_BRIDGE"
    ip link del "$KC_BRIDGE" || problems=1
  fi
  if grep -q "$KC_HOSTS_MARK" /etc/hosts 2>/dev/null; then
    # in place (cat >), because /etc/hosts may be a bind mount that cannot be replaced
    hosts="$(grep -v "$KC_HOSTS_MARK" /etc/hosts)"
    printf '%s\n' "$hosts" >/etc/hosts
  fi
  rm -f /var/lib/cni/results/"$KC_CNI_NETWORK"-* 2>/dev/null
  if [[ -f "$S/run/preexisting-pod-logs" ]]; then
    for d in /var/log/pods /var/log/containers; do
      [[ -d "$d" ]] || continue
      for e in "$d"/*; do
        [[ -e "$e" || -L "$e" ]] || continue
        grep -qxF "$(basename "$e")" "$S/run/preexisting-pod-logs" || rm -rf --one-file-system "$e"
      done
    done
  fi
  if [[ -f "$S/run/created-dirs" ]]; then
    while read -r d; do
      [[ -d "$d" ]] && find "$d" -depth -type d -empty -delete 2>/dev/null
    done <"$S/run/created-dirs"
  fi
  [[ "$active" == "$S" ]] && rm -f "$KC_ACTIVE_FILE"
fi

if [[ -d "$S" ]]; then
  # anything we started still alive? (pid files are removed by kc_stop_pid once the process is gone)
  for f in "$S"/run/*.pid; do
    [[ -e "$f" ]] || continue
    if kc_pid_alive "$(kc_read_pid "$f")"; then
      kc_log "still running: $(basename "$f" .pid) pid $(cat "$f")"
      problems=1
    fi
  done
  if [[ $problems == 0 ]]; then
    # keep the logs; everything else goes (never crossing into a mount that survived)
    find "$S" -mindepth 1 -maxdepth 1 ! -name logs ! -name logs.prev -exec rm -rf --one-file-system {} +
  fi
fi

if [[ ! -d "$S" ]]; then
  kc_log "no cluster state in $S; nothing to stop"
  exit 0
fi
if [[ $problems != 0 ]]; then
  kc_log "down finished with problems (see above)"
  exit 1
fi
kc_log "cluster in $S stopped and cleaned up in $((SECONDS - t0))s"
exit 0
