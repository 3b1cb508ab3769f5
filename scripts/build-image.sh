#!/usr/bin/env bash
# Build the kubench container image offline (no Docker, no registry) from this machine's own binaries:
#   scripts/build-image.sh [--kubench PATH] [--tag NAME] [--out FILE] [--import STATE_DIR]
#     --kubench PATH      the kubench binary (default build/ci/kubench of this checkout; an ASan build works too)
#     --tag NAME          image name (default kubench.local/kubench:dev)
#     --out FILE          OCI archive to write (skopeo oci-archive format, NAME in org.opencontainers.image.ref.name);
#                         default ${KUBENCH_IMAGE_CACHE:-/var/cache/kubench/images}/kubench-<key>.tar
#     --import STATE_DIR  then import it into that test cluster's containerd (tests/cluster/import-image.sh)
# Prints the archive path on stdout; logs go to stderr. Runs as root; installs what it needs with apt-get.
#
# The image holds copied binaries, no distribution: kubench, ffmpeg, ffprobe, intel_gpu_top, the VA-API
# drivers ffmpeg dlopens (iHD, i965, mesa) and the Media SDK / oneVPL runtimes when installed, each with its
# shared-library closure (ldd), plus CA certificates and minimal /etc files. nvidia-smi and the NVIDIA libraries
# are not included: the NVIDIA container toolkit injects them. Two layers:
#   1. everything but kubench (and libtorch's runtime when kubench links it); cached as an OCI layout in the cache dir, keyed by this script and the Debian
#      versions of the packages it copies from (rebuilt only when those change),
#   2. kubench and the libraries it needs that layer 1 lacks (a few MB; a rebuild takes seconds).
set -euo pipefail
umask 022

log() { printf 'build-image: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
self="$repo/scripts/build-image.sh"
cache="${KUBENCH_IMAGE_CACHE:-/var/cache/kubench/images}"
kubench="$repo/build/ci/kubench"
tag=kubench.local/kubench:dev
out=""
import_state=""
usage() { sed -n '2,8p' "$self" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kubench) [[ $# -ge 2 ]] || usage; kubench="$2"; shift 2 ;;
    --tag) [[ $# -ge 2 ]] || usage; tag="$2"; shift 2 ;;
    --out) [[ $# -ge 2 ]] || usage; out="$2"; shift 2 ;;
    --import) [[ $# -ge 2 ]] || usage; import_state="$2"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "must run as root (apt-get, umoci unpack)"
[[ -x "$kubench" && -f "$kubench" ]] || die "no kubench binary at $kubench (build it: cmake --build --preset ci --target kubench)"
kubench="$(realpath "$kubench")"
[[ "$tag" =~ ^[A-Za-z0-9][A-Za-z0-9._/:-]*[A-Za-z0-9]$ ]] || die "bad image name: $tag"
[[ -n "$out" && "$out" == *:* ]] && die "--out must not contain ':' (skopeo reference syntax)"
start="$(now)"

# ---- packages (only the missing ones; apt-get update at most once)
apt_updated=0
apt_install() { # apt_install required|optional PKG...
  local mode="$1" missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $apt_updated -eq 0 ]]; then
    log "apt-get update"
    apt-get update -qq -o DPkg::Lock::Timeout=300 >&2 || log "apt-get update failed; trying the package lists there are"
    apt_updated=1
  fi
  log "apt-get install ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
    "${missing[@]}" >&2; then
    [[ "$mode" == optional ]] || die "apt-get install ${missing[*]} failed"
    log "WARNING: could not install ${missing[*]}; the image will lack it"
  fi
}
apt_install required umoci skopeo ffmpeg ca-certificates
apt_install optional intel-media-va-driver intel-gpu-tools

# ---- file collection: canonical paths (parent directories resolved, so /lib/x -> /usr/lib/x on merged-/usr
# systems), each symlink recorded together with what it points to
declare -A seen=() dir_real=()
files=()
missing_libs=()
add_path() { # add_path PATH: PATH (file or symlink) and its symlink chain
  local p="$1" d b t
  d="${p%/*}" b="${p##*/}"
  [[ -n "$d" ]] || d=/
  if [[ -z "${dir_real[$d]:-}" ]]; then dir_real[$d]="$(realpath -e "$d")" || die "no directory $d"; fi
  p="${dir_real[$d]%/}/$b"
  [[ -n "${seen[$p]:-}" ]] && return 0
  [[ -e "$p" || -L "$p" ]] || die "missing file $p"
  seen[$p]=1
  files+=("$p")
  if [[ -L "$p" ]]; then
    t="$(readlink "$p")"
    [[ "$t" == /* ]] || t="${dir_real[$d]%/}/$t"
    add_path "$t"
  fi
}
is_elf() { [[ -f "$1" && "$(head -c4 "$1" 2>/dev/null)" == $'\177ELF' ]]; }
add_elf() { # add_elf FILE [optional]: FILE and its whole library closure (ldd resolves it recursively)
  local f="$1" line lib path
  add_path "$f"
  is_elf "$f" || return 0
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    case "$line" in
      *'=> not found'*) lib="${line%% *}"; missing_libs+=("$lib (needed by $f)") ;;
      *' => /'*) path="${line#* => }"; add_path "${path%% (*}" ;;
      /*) add_path "${line%% (*}" ;;
    esac
  done < <(ldd "$f" 2>/dev/null || true)
}
add_tree() { # add_tree DIR: every file and symlink below DIR, ELF ones with their closure
  local f
  while IFS= read -r -d '' f; do add_elf "$f"; done < <(find "$1" \( -type f -o -type l \) -print0 | sort -z)
}
check_missing() {
  [[ ${#missing_libs[@]} -eq 0 ]] && return 0
  printf 'build-image: unresolved library: %s\n' "${missing_libs[@]}" >&2
  [[ "${1:-}" == warn ]] || die "libraries are missing (see above)"
  missing_libs=()
}
# copy_files DEST: copy the collected files from / to DEST, keeping symlinks, hard links and modes
copy_files() {
  printf '%s\n' "${files[@]#/}" | tar -C / --no-recursion -cf - -T - | tar -C "$1" -xpf -
}
merged_usr_links() { # the host's /bin, /lib, /lib64, /sbin -> usr/... symlinks, so the paths ldd printed work
  local d
  for d in bin lib lib64 sbin; do
    if [[ -L "/$d" ]]; then ln -sfn "$(readlink "/$d")" "$1/$d"; fi
  done
}

dpkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
mlib=/usr/lib/x86_64-linux-gnu
# libtorch (`kubench infer`, ~300 MB with its closure) goes into the cached base layer, not the per-build one,
# when this kubench has its plugin: then a rebuild of kubench does not copy it again.
# The plugin is kubench-torch.so beside the binary (kubench itself does not link libtorch).
torch_plugin="$(dirname "$kubench")/kubench-torch.so"
torch_libs=()
if [[ -f "$torch_plugin" ]]; then
  while IFS= read -r lib; do torch_libs+=("$lib"); done < <(ldd "$torch_plugin" 2>/dev/null | awk '$1 ~ /^lib(torch|c10)/ && $3 ~ /^\// {print $3}')
fi
base_key="$(
  {
    cat "$self"
    echo "libtorch: ${torch_libs[*]} $(dpkg_version libtorch1.13)"
    for p in ffmpeg libavcodec59 intel-media-va-driver intel-gpu-tools mesa-va-drivers i965-va-driver libmfx1 \
      libmfx-gen1.2 libvpl2 libc6 ca-certificates; do
      echo "$p $(dpkg_version "$p")"
    done
  } | sha256sum | cut -c1-16
)"
base="$cache/kubench-base-$base_key"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
work="$(mktemp -d "$cache/.work.XXXXXX")"
trap 'rm -rf --one-file-system "$work"' EXIT
export TMPDIR="$work" # skopeo stages oci-archive output there (default /var/tmp)

# ---- layer 1 (cached): ffmpeg, drivers, runtimes, /etc
if [[ -f "$base/.complete" && -f "$base/index.json" && -f "$base/files.txt" ]]; then
  log "base layer cached: $base"
else
  t0="$(now)"
  log "building the base layer into $base"
  add_elf /usr/bin/ffmpeg
  add_elf /usr/bin/ffprobe
  if [[ -x /usr/bin/intel_gpu_top ]]; then add_elf /usr/bin/intel_gpu_top; else log "no intel_gpu_top; skipped"; fi
  add_path /lib64/ld-linux-x86-64.so.2
  for f in "${torch_libs[@]}"; do add_elf "$f"; done
  check_missing
  shopt -s nullglob
  drivers=("$mlib"/dri/*_drv_video.so)
  [[ ${#drivers[@]} -gt 0 ]] || log "WARNING: no VA-API drivers in $mlib/dri"
  for f in "${drivers[@]}" "$mlib"/libmfx-gen.so* "$mlib"/libmfxhw64.so*; do add_elf "$f"; done
  for d in "$mlib/libmfx-gen" "$mlib/mfx"; do if [[ -d "$d" ]]; then add_tree "$d"; fi; done
  shopt -u nullglob
  check_missing warn
  add_path /etc/ssl/certs/ca-certificates.crt
  if [[ -f /etc/ld.so.conf ]]; then add_path /etc/ld.so.conf; fi
  if [[ -d /etc/ld.so.conf.d ]]; then add_tree /etc/ld.so.conf.d; fi

  layout="$work/base" bundle="$work/bundle"
  umoci init --layout "$layout"
  umoci new --image "$layout:base"
  umoci unpack --image "$layout:base" "$bundle" >/dev/null
  rootfs="$bundle/rootfs"
  chmod 755 "$rootfs"
  merged_usr_links "$rootfs"
  copy_files "$rootfs"
  mkdir -p "$rootfs"/{etc,tmp,root,proc,sys,dev,usr/local/bin}
  chmod 1777 "$rootfs/tmp"
  chmod 700 "$rootfs/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
    >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  umoci repack --image "$layout:base" "$bundle" >/dev/null
  umoci gc --layout "$layout"
  printf '%s\n' "${files[@]}" >"$layout/files.txt"
  touch "$layout/.complete"
  rm -rf --one-file-system "$base" "$bundle"
  mv "$layout" "$base"
  # keep this base and the newest other one (another checkout may use it); older ones are stale
  find "$cache" -maxdepth 1 -name 'kubench-base-*' -type d -printf '%T@ %p\n' | sort -rn | tail -n +3 |
    cut -d' ' -f2- | while IFS= read -r old; do
      [[ "$old" == "$base" ]] || { log "removing old base $old"; rm -rf --one-file-system "$old"; }
    done
  log "base layer built in $(since "$t0")s ($(du -sh "$base" | cut -f1) compressed)"
fi

# ---- layer 2: kubench and the libraries of its closure that layer 1 lacks
seen=() files=() missing_libs=()
add_elf "$kubench"
if [[ -f "$torch_plugin" ]]; then add_elf "$torch_plugin"; fi
check_missing
extra=()
while IFS= read -r f; do [[ -n "$f" ]] && extra+=("$f"); done < <(
  printf '%s\n' "${files[@]}" | grep -vxF -e "$kubench" -e "$torch_plugin" | grep -vxFf "$base/files.txt" || true
)
version="$("$kubench" --version 2>/dev/null | head -n1 | cut -d' ' -f1)"
[[ -n "$version" ]] || die "$kubench --version printed nothing"
key="$(
  {
    echo "$base_key $tag $version"
    sha256sum "$kubench" | cut -d' ' -f1
    if [[ -f "$torch_plugin" ]]; then sha256sum "$torch_plugin" | cut -d' ' -f1; fi
    [[ ${#extra[@]} -eq 0 ]] || sha256sum "${extra[@]}"
  } | sha256sum | cut -c1-16
)"
default_out=0
if [[ -z "$out" ]]; then
  out="$cache/kubench-$key.tar"
  default_out=1
fi
out="$(realpath -m "$out")"

if [[ $default_out -eq 1 && -s "$out" ]]; then
  log "up to date: $out"
else
  log "kubench $version ($kubench) + ${#extra[@]} libraries not in the base"
  layout="$work/image" stage="$work/stage"
  mkdir -p "$layout" "$stage/usr/local/bin"
  chmod 755 "$stage"
  cp -a "$base/oci-layout" "$base/index.json" "$layout/"
  cp -al "$base/blobs" "$layout/blobs" 2>/dev/null || cp -a "$base/blobs" "$layout/blobs"
  install -m 755 "$kubench" "$stage/usr/local/bin/kubench"
  if [[ -f "$torch_plugin" ]]; then install -m 644 "$torch_plugin" "$stage/usr/local/bin/kubench-torch.so"; fi
  if [[ ${#extra[@]} -gt 0 ]]; then
    files=("${extra[@]}")
    copy_files "$stage"
  fi
  (cd "$stage" && find . -mindepth 1 -maxdepth 1 -printf '%P\0' | sort -z |
    tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar")
  umoci raw add-layer --image "$layout:base" --history.created_by "scripts/build-image.sh: kubench $version" \
    "$work/layer.tar"
  umoci config --image "$layout:base" --os linux --architecture amd64 --author kubench \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin \
    --config.env LIBVA_DRIVERS_PATH=/usr/lib/x86_64-linux-gnu/dri \
    --config.entrypoint /usr/local/bin/kubench --config.workingdir /tmp \
    --config.label org.opencontainers.image.title=kubench \
    --config.label "org.opencontainers.image.version=$version" \
    --history.created_by "scripts/build-image.sh: config"
  umoci gc --layout "$layout"
  mkdir -p "$(dirname "$out")"
  tmp_out="$(dirname "$out")/.$(basename "$out").tmp.$$"
  rm -f "$tmp_out"
  skopeo --insecure-policy copy -q "oci:$layout:base" "oci-archive:$tmp_out:$tag" >&2 ||
    { rm -f "$tmp_out"; die "skopeo copy failed"; }
  mv -f "$tmp_out" "$out"
  if [[ $default_out -eq 1 ]]; then # keep the three newest default archives
    find "$cache" -maxdepth 1 -name 'kubench-*.tar' -type f -printf '%T@ %p\n' | sort -rn | tail -n +4 |
      cut -d' ' -f2- | while IFS= read -r old; do rm -f "$old"; done
  fi
  log "wrote $out ($(du -h "$out" | cut -f1), $tag) in $(since "$start")s"
fi

if [[ -n "$import_state" ]]; then
  log "importing $tag into the cluster in $import_state"
  KUBENCH_CLUSTER_STATE="$import_state" "$repo/tests/cluster/import-image.sh" "$out" "$tag" >&2
fi
log "done in $(since "$start")s"
echo "$out"
