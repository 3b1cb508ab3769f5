#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kubectl from Debian's
# `kubernetes` source package (1.20) and cache them outside the checkout, keyed by the Debian version:
#   ${KUBENCH_K8S_CACHE:-/var/cache/kubench/k8s}/<debian-version>/bin/
# Idempotent: a second run finds the cache and returns in about a second. Prints the bin dir on stdout.
#
# Environment:
#   KUBENCH_K8S_CACHE       cache root (default /var/cache/kubench/k8s)
#   KUBENCH_K8S_KEEP_BUILD  1 = keep the unpacked, built source tree (<cache>/<version>/build) afterwards
#   KUBENCH_K8S_KUBECTL     0 = do not build kubectl (default 1; it adds about a minute)
set -euo pipefail
KC_SCRIPT="build-k8s"
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

kc_require_root
BINS=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
[[ "${KUBENCH_K8S_KUBECTL:-1}" == 1 ]] && BINS+=(kubectl)

complete_dir() { # complete_dir VERSION_DIR -> 0 if every wanted binary is cached there
  local d="$1" b
  [[ -f "$d/bin/.complete" ]] || return 1
  for b in "${BINS[@]}"; do [[ -x "$d/bin/$b" ]] || return 1; done
}

mkdir -p "$KC_CACHE_ROOT"
exec 9>"$KC_CACHE_ROOT/.lock"
flock 9 # one build at a time; a concurrent caller waits, then finds the cache

version="$(kc_k8s_src_version)"
if [[ -z "$version" ]]; then
  # No deb-src lists yet. A complete cache (the only one) is good enough without touching apt.
  mapfile -t cached < <(for d in "$KC_CACHE_ROOT"/*/; do complete_dir "$d" && basename "$d"; done 2>/dev/null || true)
  if [[ ${#cached[@]} -eq 1 ]]; then
    echo "$KC_CACHE_ROOT/${cached[0]}/bin"
    exit 0
  fi
  kc_ensure_deb_src
  version="$(kc_k8s_src_version)"
  [[ -n "$version" ]] || { kc_apt_update force; version="$(kc_k8s_src_version)"; }
  [[ -n "$version" ]] || kc_die "apt-cache showsrc kubernetes found nothing (is a bookworm deb-src entry configured?)"
fi

vdir="$KC_CACHE_ROOT/$version"
if complete_dir "$vdir"; then
  echo "$vdir/bin"
  exit 0
fi

kc_log "building Kubernetes $version (${BINS[*]}) into $vdir; takes about 7-9 minutes on 2 cores"
start=$SECONDS
kc_apt_install golang-go rsync dpkg-dev make golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev

build="$vdir/build"
log="$vdir/build.log"
rm -rf "$build"
mkdir -p "$build"
: >"$log"
kc_log "apt-get source kubernetes=$version (log: $log)"
(cd "$build" && apt-get source -qq --only-source "kubernetes=$version") >>"$log" 2>&1 \
  || kc_die "apt-get source kubernetes failed; see $log"
src="$(find "$build" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)"
[[ -n "$src" && -f "$src/Makefile" ]] || kc_die "no unpacked source tree under $build"

# The vendored reflect2 1.0.1 and json-iterator 1.1.10 crash at run time when built with Go >= 1.18
# (reflect2 relies on runtime internals that changed). Debian ships fixed versions: use them.
replace_vendor() { # replace_vendor IMPORT_PATH
  local from="/usr/share/gocode/src/$1" to="$src/vendor/$1"
  [[ -d "$from" ]] || kc_die "$from missing (Debian -dev package not installed?)"
  rm -rf "$to"
  mkdir -p "$to"
  # Only the package itself: top-level files, no tests, no go.mod/go.sum, no sub-directories.
  find "$from" -mindepth 1 -maxdepth 1 -type f ! -name '*_test.go' ! -name 'go.mod' ! -name 'go.sum' \
    -exec cp -L {} "$to/" \;
  kc_log "vendor/$1 <- $from"
}
replace_vendor github.com/modern-go/reflect2
replace_vendor github.com/json-iterator/go

# GOPATH mode, as debian/rules does it (hack/lib/init.sh sets GO111MODULE=off itself).
mkdir -p "$src/.go/src/k8s.io"
ln -sfn ../../.. "$src/.go/src/k8s.io/kubernetes"
what=""
for b in "${BINS[@]}"; do what+="cmd/$b "; done
kc_log "make WHAT=\"${what% }\" (log: $log)"
(
  cd "$src"
  export GOPATH="$src/.go" CGO_ENABLED=0 GO111MODULE=off GOFLAGS="" HOME="$build/home"
  export PATH="/usr/lib/go/bin:$PATH"
  mkdir -p "$HOME"
  make WHAT="${what% }"
) >>"$log" 2>&1 || { tail -n 40 "$log" >&2; kc_die "make failed; full log: $log"; }

rm -rf "$vdir/bin.tmp"
mkdir -p "$vdir/bin.tmp"
for b in "${BINS[@]}"; do
  [[ -x "$src/_output/bin/$b" ]] || kc_die "make did not produce _output/bin/$b; see $log"
  cp "$src/_output/bin/$b" "$vdir/bin.tmp/$b"
done
"$vdir/bin.tmp/kube-apiserver" --version >&2
echo "$version" >"$vdir/bin.tmp/.complete"
rm -rf "${vdir:?}/bin"
mv "$vdir/bin.tmp" "$vdir/bin"
[[ "${KUBENCH_K8S_KEEP_BUILD:-0}" == 1 ]] || rm -rf "$build"
kc_log "built in $((SECONDS - start))s"
echo "$vdir/bin"
