#!/usr/bin/env bash
# Import a container image archive into the running test cluster's containerd (namespace k8s.io), so
# pods can use it with imagePullPolicy: Never / IfNotPresent.
#   tests/cluster/import-image.sh ARCHIVE [IMAGE_NAME]
# ARCHIVE: a docker-archive tarball (docker save / skopeo docker-archive:, tags inside), an OCI archive
# tarball (skopeo oci-archive:, umoci + tar) or an OCI layout directory. IMAGE_NAME (e.g.
# kubench.local/kubench:1) names the image; it is required for OCI input unless the image carries a
# full reference in its org.opencontainers.image.ref.name annotation. The cluster is the one in
# $KUBENCH_CLUSTER_STATE (default /tmp/kubench-cluster). Prints the imported image name(s) on stdout.
set -euo pipefail
KC_SCRIPT=import-image
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
kc_require_root
[[ $# -ge 1 ]] || kc_die "usage: $0 ARCHIVE [IMAGE_NAME]"
archive="$(realpath "$1")"
name="${2:-}"
[[ -e "$archive" ]] || kc_die "$1 does not exist"
S="$(kc_state_dir "")"
kc_load_conf "$S"
ctr_() { ctr --address "$KC_SOCK" --namespace k8s.io "$@"; }
ctr_ version >/dev/null 2>&1 || kc_die "containerd of the cluster in $S is not running"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -d "$archive" ]]; then
  [[ -f "$archive/index.json" ]] || kc_die "$archive is a directory but no OCI layout (no index.json)"
  kind=oci src="oci:$archive"
  index="$(cat "$archive/index.json")"
else
  listing="$(tar tf "$archive" 2>/dev/null)" || kc_die "$archive is not a tar archive"
  if grep -qxE '(\./)?index\.json' <<<"$listing"; then
    kind=oci src="oci-archive:$archive"
    index="$(tar xOf "$archive" index.json 2>/dev/null || tar xOf "$archive" ./index.json)"
  elif grep -qxE '(\./)?manifest\.json' <<<"$listing"; then
    kind=docker
  else
    kc_die "$archive is neither a docker-archive (manifest.json) nor an OCI archive (index.json)"
  fi
fi

if [[ "$kind" == oci || -n "$name" ]]; then
  if [[ -z "$name" && "$kind" == oci ]]; then
    ref="$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"] // empty][0] // empty' <<<"$index")"
    [[ "$ref" == */* ]] && name="$ref"
    [[ -n "$name" ]] || kc_die "OCI input without a full image reference inside: give IMAGE_NAME, e.g. $0 $1 kubench.local/kubench:1"
  fi
  [[ "$kind" == docker ]] && src="docker-archive:$archive"
  # re-write as a docker-archive with the wanted tag (ctr names docker-archive images from their tags)
  skopeo --insecure-policy copy -q "$src" "docker-archive:$work/image.tar:$name" >&2 \
    || kc_die "skopeo could not read $archive"
  archive="$work/image.tar"
fi
ctr_ images import "$archive" >&2 || kc_die "ctr images import failed"
if [[ -n "$name" ]]; then
  echo "$name"
else
  tar xOf "$archive" manifest.json | jq -r '.[].RepoTags[]?'
fi
