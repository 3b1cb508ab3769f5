#!/usr/bin/env bash
# Build the kubench container image offline (no Docker, no registry) from this machine's own binaries:
#   scripts/build-image.sh [--kubench PATH] [--kubench-arm64 PATH] [--tag NAME] [--out FILE] [--import STATE_DIR]
#     --kubench PATH        the kubench binary (default build/ci/kubench of this checkout; an ASan build works too)
#     --kubench-arm64 PATH  also build the linux/arm64 image, around this aarch64 kubench (cmake --preset arm64);
#                           needs qemu-user-static and downloads Debian's arm64 packages once (~135 MB, cached).
#                           Without it the image is linux/amd64 only and nothing is downloaded
#     --tag NAME            image name (default kubench.local/kubench:dev)
#     --out FILE            OCI archive to write (skopeo oci-archive format: an image index with a manifest per
#                           architecture, NAME in org.opencontainers.image.ref.name);
#                           default ${KUBENCH_IMAGE_CACHE:-/var/cache/kubench/images}/kubench-<key>.tar
#     --import STATE_DIR    then import it into that test cluster's containerd (tests/cluster/import-image.sh)
# Prints the archive path on stdout; logs go to stderr. Runs as root; installs what it needs with apt-get.
# Records the image's platforms for kubench: the image index, as written into the archive, goes to
# ${KUBENCH_IMAGE_CACHE:-/var/cache/kubench/images}/platforms/<NAME percent-encoded as jq's @uri>.json.
#
# The image holds copied binaries, no distribution: kubench, ffmpeg, ffprobe, intel_gpu_top, the VA-API
# drivers ffmpeg dlopens (iHD, i965, mesa) and the Media SDK / oneVPL runtimes when installed, each with its
# shared-library closure (ldd), plus CA certificates and minimal /etc files. nvidia-smi and the NVIDIA libraries
# are not included: the NVIDIA container toolkit injects them. Two layers:
#   1. everything but kubench (and libtorch's runtime when kubench links it); cached as an OCI layout in the cache dir, keyed by this script and the Debian
#      versions of the packages it copies from (rebuilt only when those change),
#   2. kubench and the libraries it needs that layer 1 lacks (a few MB; a rebuild takes seconds).
# The arm64 image has the same two layers, copied from an arm64 root made of Debian's arm64 packages (downloaded
# with a private apt root, unpacked with dpkg-deb; cached, keyed by the package versions) instead of from this
# machine: ffmpeg, ffprobe and their closure (resolved by the root's own loader under qemu), no Intel tools or
# drivers (amd64-only in Debian), no libtorch (the arm64 build has no infer plugin).
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
kubench_arm64=""
tag=kubench.local/kubench:dev
out=""
import_state=""
usage() { sed -n '2,15p' "$self" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kubench) [[ $# -ge 2 ]] || usage; kubench="$2"; shift 2 ;;
    --kubench-arm64) [[ $# -ge 2 ]] || usage; kubench_arm64="$2"; shift 2 ;;
    --tag) [[ $# -ge 2 ]] || usage; tag="$2"; shift 2 ;;
    --out) [[ $# -ge 2 ]] || usage; out="$2"; shift 2 ;;
    --import) [[ $# -ge 2 ]] || usage; import_state="$2"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done
# ELF e_machine, little-endian hex: 3e00 x86-64, b700 aarch64
elf_machine() { od -An -tx1 -j18 -N2 "$1" 2>/dev/null | tr -d ' \n'; }
[[ $(id -u) -eq 0 ]] || die "must run as root (apt-get, umoci unpack, chroot)"
[[ -x "$kubench" && -f "$kubench" ]] || die "no kubench binary at $kubench (build it: cmake --build --preset ci --target kubench)"
kubench="$(realpath "$kubench")"
[[ "$(elf_machine "$kubench")" == 3e00 ]] || die "$kubench is not an x86-64 program (--kubench takes the amd64 build)"
arches=(amd64)
qemu=""
if [[ -n "$kubench_arm64" ]]; then
  [[ -x "$kubench_arm64" && -f "$kubench_arm64" ]] ||
    die "no kubench binary at $kubench_arm64 (build it: cmake --preset arm64 && cmake --build --preset arm64 --target kubench)"
  kubench_arm64="$(realpath "$kubench_arm64")"
  [[ "$(elf_machine "$kubench_arm64")" == b700 ]] || die "$kubench_arm64 is not an aarch64 program"
  # static, because it runs chrooted in the arm64 root (see elf_deps)
  qemu="$(command -v qemu-aarch64-static)" ||
    die "no qemu-aarch64-static to run the arm64 programs with: install qemu-user-static (scripts/install-deps.sh --arm64)"
  arches+=(arm64)
fi
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
apt_install required umoci skopeo jq ffmpeg ca-certificates
apt_install optional intel-media-va-driver intel-gpu-tools

# ---- file collection. Files come from a source root: / (this machine) for the amd64 image, the unpacked arm64
# root for the arm64 one. Paths are the image's paths: canonical inside the root (parent directories resolved, so
# /lib/x -> /usr/lib/x on merged-/usr systems), each symlink recorded together with what it points to.
declare -A seen=() dir_real=()
files=()
missing_libs=()
resolve_dir() { # resolve_dir ROOT DIR: DIR with its symlinks resolved inside ROOT (an absolute target is ROOT-relative)
  local root="$1" rest="${2#/}" res="" c t hops=0
  if [[ "$root" == / ]]; then realpath -e "$2"; return; fi
  while [[ -n "$rest" ]]; do
    c="${rest%%/*}"
    if [[ "$rest" == */* ]]; then rest="${rest#*/}"; else rest=""; fi
    case "$c" in
      "" | .) ;;
      ..) res="${res%/*}" ;;
      *)
        if [[ -L "$root$res/$c" ]]; then
          ((++hops <= 40)) || return 1
          t="$(readlink "$root$res/$c")"
          if [[ "$t" == /* ]]; then res=""; fi
          rest="${t#/}${rest:+/$rest}"
        elif [[ -d "$root$res/$c" ]]; then
          res+="/$c"
        else
          return 1
        fi
        ;;
    esac
  done
  printf '%s\n' "${res:-/}"
}
add_path() { # add_path ROOT PATH: PATH (file or symlink, inside ROOT) and its symlink chain
  local root="$1" p="$2" pre="${1%/}" d b t k
  d="${p%/*}" b="${p##*/}"
  [[ -n "$d" ]] || d=/
  k="$root:$d"
  if [[ -z "${dir_real[$k]:-}" ]]; then dir_real[$k]="$(resolve_dir "$root" "$d")" || die "no directory $d${pre:+ in $root}"; fi
  d="${dir_real[$k]%/}"
  p="$d/$b"
  [[ -n "${seen[$p]:-}" ]] && return 0
  [[ -e "$pre$p" || -L "$pre$p" ]] || die "missing file $p${pre:+ in $root}"
  seen[$p]=1
  files+=("$p")
  if [[ -L "$pre$p" ]]; then
    t="$(readlink "$pre$p")"
    [[ "$t" == /* ]] || t="$d/$t"
    add_path "$root" "$t"
  fi
}
is_elf() { [[ -f "$1" && "$(head -c4 "$1" 2>/dev/null)" == $'\177ELF' ]]; }
arm64_loader=/lib/ld-linux-aarch64.so.1
root_qemu=.kubench-qemu-aarch64-static # qemu's copy inside the arm64 root, for chroot; not part of the image
elf_deps() { # elf_deps ROOT FILE: FILE's library closure as ldd prints it, with paths inside ROOT
  if [[ "$1" == / ]]; then
    ldd "$2"
    return
  fi
  # The root's own loader, run by qemu chrooted into the root. Not `qemu -L ROOT`: for a path the root lacks, qemu
  # falls back to this machine's file, and with the cross build's :arm64 packages installed this machine has
  # arm64 libraries of its own, so the loader would report paths the image does not have. --inhibit-cache: the
  # image has no ld.so.cache either.
  chroot "$1" "/$root_qemu" "$arm64_loader" --inhibit-cache --list "$2"
}
add_elf() { # add_elf ROOT FILE: FILE and its whole library closure (the loader resolves it recursively)
  local root="$1" f="$2" line lib path
  add_path "$root" "$f"
  is_elf "${root%/}$f" || return 0
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    case "$line" in
      *'=> not found'*) lib="${line%% *}"; missing_libs+=("$lib (needed by $f)") ;;
      *' => /'*) path="${line#* => }"; add_path "$root" "${path%% (*}" ;;
      /*) add_path "$root" "${line%% (*}" ;;
    esac
  done < <(elf_deps "$root" "$f" 2>/dev/null || true)
}
add_tree() { # add_tree ROOT DIR: every file and symlink below DIR, ELF ones with their closure
  local root="$1" pre="${1%/}" f
  while IFS= read -r -d '' f; do add_elf "$root" "${f#"$pre"}"; done < <(find "$pre$2" \( -type f -o -type l \) -print0 | sort -z)
}
check_missing() {
  [[ ${#missing_libs[@]} -eq 0 ]] && return 0
  printf 'build-image: unresolved library: %s\n' "${missing_libs[@]}" >&2
  [[ "${1:-}" == warn ]] || die "libraries are missing (see above)"
  missing_libs=()
}
# copy_files ROOT DEST: copy the collected files from ROOT to DEST, keeping symlinks, hard links and modes
copy_files() {
  printf '%s\n' "${files[@]#/}" | tar -C "$1" --no-recursion -cf - -T - | tar -C "$2" -xpf -
}
merged_usr_links() { # the host's /bin, /lib, /lib64, /sbin -> usr/... symlinks, so the paths ldd printed work
  local d
  for d in bin lib lib64 sbin; do
    if [[ -L "/$d" ]]; then ln -sfn "$(readlink "/$d")" "$1/$d"; fi
  done
}
add_etc() { # add_etc ROOT: the CA bundle (kubench clips fetch, submit: https) and the loader's configuration
  add_path "$1" /etc/ssl/certs/ca-certificates.crt
  if [[ -f "${1%/}/etc/ld.so.conf" ]]; then add_path "$1" /etc/ld.so.conf; fi
  if [[ -d "${1%/}/etc/ld.so.conf.d" ]]; then add_tree "$1" /etc/ld.so.conf.d; fi
}
# keep_newest KEEP GLOB [NOT_GLOB]: of the cache entries matching GLOB, remove all but KEEP and the newest other
# one (another checkout may use it)
keep_newest() {
  local keep="$1" old not=()
  if [[ $# -ge 3 ]]; then not=(! -name "$3"); fi
  find "$cache" -maxdepth 1 -name "$2" "${not[@]}" -printf '%T@ %p\n' | sort -rn | cut -d' ' -f2- |
    { grep -vxF "$keep" || true; } | tail -n +2 | while IFS= read -r old; do
      log "removing old $old"
      rm -rf --one-file-system "$old"
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
if [[ -n "$kubench_arm64" && -f "$(dirname "$kubench_arm64")/kubench-torch.so" ]]; then
  log "WARNING: the arm64 image gets no kubench-torch.so (no arm64 libtorch here); kubench infer is amd64-only"
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
staged="" # the arm64 kubench while it sits in the arm64 root (see below)
cleanup() {
  if [[ -n "$staged" ]]; then rm -f "$staged"; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
export TMPDIR="$work" # skopeo stages oci-archive output there (default /var/tmp)

# make_base ROOT DIR: layer 1 from the collected files of ROOT, as an OCI layout (tag "base") moved to DIR
make_base() {
  local root="$1" dir="$2" layout="$work/base" bundle="$work/bundle" rootfs
  umoci init --layout "$layout"
  umoci new --image "$layout:base"
  umoci unpack --image "$layout:base" "$bundle" >/dev/null
  rootfs="$bundle/rootfs"
  chmod 755 "$rootfs"
  # the arm64 root is not merged-/usr (dpkg-deb -x of bookworm's packages): its /lib is a directory
  if [[ "$root" == / ]]; then merged_usr_links "$rootfs"; fi
  copy_files "$root" "$rootfs"
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
  rm -rf --one-file-system "$dir" "$bundle"
  mv "$layout" "$dir"
}

# ---- layer 1 (cached): ffmpeg, drivers, runtimes, /etc
if [[ -f "$base/.complete" && -f "$base/index.json" && -f "$base/files.txt" ]]; then
  log "base layer cached: $base"
else
  t0="$(now)"
  log "building the base layer into $base"
  add_elf / /usr/bin/ffmpeg
  add_elf / /usr/bin/ffprobe
  if [[ -x /usr/bin/intel_gpu_top ]]; then add_elf / /usr/bin/intel_gpu_top; else log "no intel_gpu_top; skipped"; fi
  add_path / /lib64/ld-linux-x86-64.so.2
  for f in "${torch_libs[@]}"; do add_elf / "$f"; done
  check_missing
  shopt -s nullglob
  drivers=("$mlib"/dri/*_drv_video.so)
  [[ ${#drivers[@]} -gt 0 ]] || log "WARNING: no VA-API drivers in $mlib/dri"
  for f in "${drivers[@]}" "$mlib"/libmfx-gen.so* "$mlib"/libmfxhw64.so*; do add_elf / "$f"; done
  for d in "$mlib/libmfx-gen" "$mlib/mfx"; do if [[ -d "$d" ]]; then add_tree / "$d"; fi; done
  shopt -u nullglob
  check_missing warn
  add_etc /
  make_base / "$base"
  keep_newest "$base" 'kubench-base-*' 'kubench-base-arm64-*'
  log "base layer built in $(since "$t0")s ($(du -sh "$base" | cut -f1) compressed)"
fi

# ---- the arm64 root: Debian's arm64 packages, downloaded with a private apt root (its own lists and an empty
# dpkg status, so apt resolves what an empty arm64 system needs; this machine's dpkg is not touched) and unpacked
# with dpkg-deb -x. No maintainer script runs; what theirs do that the image needs is redone in arm64_unpack.
arm64_packages=(ffmpeg ca-certificates libyaml-cpp0.7 libspdlog1.10 libfmt9 libcurl4 libssl3)
apt_root="$cache/arm64-apt"
arm64_updated=0
arm64_apt() {
  # the host's apt.conf is read (proxies); sources, lists, archives and status are the private root's. The
  # binary package cache is kept there (a Docker-style apt.conf turns it off): a resolve takes 2.3 s, not 3.5.
  apt-get -qq -o Dir="$apt_root" -o Dir::State::status="$apt_root/var/lib/dpkg/status" \
    -o Dir::Etc::Trusted=/etc/apt/trusted.gpg -o Dir::Etc::TrustedParts=/etc/apt/trusted.gpg.d \
    -o Dir::Cache::pkgcache=pkgcache.bin \
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Acquire::Languages=none \
    -o Debug::NoLocking=1 "$@" # the cache lock (fd 9) serializes builds
}
arm64_sources() { # this machine's apt sources, binary entries only (deb-src would fetch Sources lists for nothing)
  local d="$apt_root/etc/apt/sources.list.d" f
  rm -rf "$apt_root/etc/apt"
  mkdir -p "$d" "$apt_root/etc/apt/preferences.d"
  if [[ -f /etc/apt/sources.list ]]; then grep -vE '^[[:space:]]*deb-src' /etc/apt/sources.list >"$apt_root/etc/apt/sources.list" || true; fi
  for f in /etc/apt/sources.list.d/*.list; do
    if [[ -f "$f" ]]; then grep -vE '^[[:space:]]*deb-src' "$f" >"$d/${f##*/}" || true; fi
  done
  for f in /etc/apt/sources.list.d/*.sources; do # deb822: keep the stanzas whose Types include deb
    if [[ -f "$f" ]]; then
      awk 'BEGIN { RS = ""; ORS = "\n\n" }
        { keep = 0; n = split($0, l, "\n")
          for (i = 1; i <= n; i++) if (tolower(l[i]) ~ /^types:/) {
            m = split(substr(l[i], 7), t, /[ \t]+/); for (j = 1; j <= m; j++) if (t[j] == "deb") keep = 1 }
          if (keep) print }' "$f" >"$d/${f##*/}"
    fi
  done
}
arm64_update() {
  log "apt-get update of the arm64 lists ($apt_root)"
  arm64_apt update >&2 || return 1
  arm64_updated=1
  touch "$apt_root/.updated"
}
arm64_lists() { # lists updated when missing, when the sources changed, or once a day (arm64 security updates)
  local sums
  mkdir -p "$apt_root"/var/lib/apt/lists/partial "$apt_root"/var/cache/apt/archives/partial "$apt_root"/var/lib/dpkg \
    "$apt_root"/var/log/apt
  : >"$apt_root/var/lib/dpkg/status"
  arm64_sources
  sums="$(find "$apt_root/etc/apt" -type f -print0 | sort -z | xargs -0 -r cat | sha256sum | cut -c1-16)"
  if [[ -f "$apt_root/.updated" && "$(cat "$apt_root/.sources" 2>/dev/null)" == "$sums" &&
    -z "$(find "$apt_root/.updated" -mmin +1440)" ]]; then
    return 0
  fi
  if arm64_update; then
    echo "$sums" >"$apt_root/.sources"
  elif [[ -f "$apt_root/.updated" ]]; then
    log "WARNING: apt-get update failed; using the arm64 lists of $(date -r "$apt_root/.updated" '+%F %T')"
  else
    die "apt-get update of the arm64 lists failed"
  fi
}
arm64_resolve() { # sets arm64_set ("package version arch" lines), arm64_root_key and arm64_root
  local sim
  sim="$(arm64_apt install -s -y --no-install-recommends "${arm64_packages[@]}" 2>&1)" ||
    die "apt cannot resolve the arm64 packages: $sim"
  # "Inst libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [arm64]) []"
  arm64_set="$(sed -nE 's/^Inst ([^ ]+) \(([^ ]+) [^[]*\[([a-z0-9]+)\]\).*/\1 \2 \3/p' <<<"$sim" | sort)"
  [[ -n "$arm64_set" ]] || die "apt resolved no arm64 packages: $sim"
  # "recipe 1": bump it when arm64_unpack changes what it makes of the same packages
  arm64_root_key="$(printf 'arm64 root recipe 1\n%s\n' "$arm64_set" | sha256sum | cut -c1-16)"
  arm64_root="$cache/arm64-root-$arm64_root_key"
}
arm64_debs() { # the downloaded .deb of every resolved package (apt writes the epoch's ':' as %3a)
  local p v a
  while read -r p v a; do
    printf '%s\n' "$apt_root/var/cache/apt/archives/${p}_${v//:/%3a}_$a.deb"
  done <<<"$arm64_set"
}
arm64_download() {
  local d
  arm64_apt install --download-only -y --no-install-recommends "${arm64_packages[@]}" >&2 || return 1
  while IFS= read -r d; do [[ -f "$d" ]] || { log "apt did not download $d"; return 1; }; done < <(arm64_debs)
}
arm64_unpack() { # arm64_unpack DIR: the resolved packages unpacked into DIR, plus what their postinsts would add
  local dir="$1" d m="$1/usr/lib/aarch64-linux-gnu"
  mkdir -p "$dir"
  while IFS= read -r d; do dpkg-deb -x "$d" "$dir"; done < <(arm64_debs)
  # update-alternatives links of libblas3 / liblapack3: ffmpeg's closure needs libblas.so.3 and liblapack.so.3
  if [[ -e "$m/blas/libblas.so.3" ]]; then ln -sfn blas/libblas.so.3 "$m/libblas.so.3"; fi
  if [[ -e "$m/lapack/liblapack.so.3" ]]; then ln -sfn lapack/liblapack.so.3 "$m/liblapack.so.3"; fi
  # update-ca-certificates' bundle: every certificate ca-certificates ships (what its postinst enables by default)
  mkdir -p "$dir/etc/ssl/certs"
  find "$dir/usr/share/ca-certificates" -name '*.crt' -print0 | sort -z | xargs -0 -r awk 1 \
    >"$dir/etc/ssl/certs/ca-certificates.crt"
  [[ -s "$dir/etc/ssl/certs/ca-certificates.crt" ]] || die "no CA certificates in the arm64 packages"
  printf '%s\n' "$arm64_set" >"$dir/.packages"
}
arm64_root_prepare() { # sets arm64_root: the unpacked root for the current arm64 package versions
  local t0
  arm64_lists
  arm64_resolve
  if [[ ! -f "$arm64_root/.complete" ]]; then
    t0="$(now)"
    log "making the arm64 root $arm64_root ($(wc -l <<<"$arm64_set") packages)"
    if ! arm64_download; then # stale lists (a superseded version is gone from the mirror): update once, retry
      if [[ $arm64_updated -eq 1 ]] || ! arm64_update; then die "downloading the arm64 packages failed"; fi
      arm64_resolve
      if [[ ! -f "$arm64_root/.complete" ]]; then arm64_download || die "downloading the arm64 packages failed"; fi
    fi
    if [[ ! -f "$arm64_root/.complete" ]]; then
      arm64_apt autoclean >&2 || true # debs no longer in the lists
      rm -rf --one-file-system "$work/arm64-root"
      arm64_unpack "$work/arm64-root"
      touch "$work/arm64-root/.complete"
      rm -rf --one-file-system "$arm64_root"
      mv "$work/arm64-root" "$arm64_root"
      log "arm64 root made in $(since "$t0")s ($(du -sh "$arm64_root" | cut -f1))"
    fi
  fi
  # only the current root: the lists are shared, so no other checkout resolves to an older one
  find "$cache" -maxdepth 1 -name 'arm64-root-*' ! -name "arm64-root-$arm64_root_key" -exec rm -rf --one-file-system {} +
  if ! cmp -s "$qemu" "$arm64_root/$root_qemu"; then
    ln -f "$qemu" "$arm64_root/$root_qemu" 2>/dev/null || cp -f "$qemu" "$arm64_root/$root_qemu"
  fi
  # elf_deps cannot tell a failing loader from a file without dependencies: make sure it runs
  chroot "$arm64_root" "/$root_qemu" "$arm64_loader" --version >/dev/null ||
    die "the arm64 loader does not run under $qemu (chroot $arm64_root)"
}

# ---- arm64 layer 1 (cached, keyed by this script and the arm64 package versions): ffmpeg, ffprobe, the loader,
# /etc. No VA-API drivers: Intel's (iHD, i965, libmfx) and intel_gpu_top are amd64-only in Debian; mesa's would
# cost ~45 MiB compressed (LLVM and z3 in their closure) for AMD GPUs on arm64 hosts, which are rare.
if [[ -n "$kubench_arm64" ]]; then
  t0="$(now)"
  arm64_root_prepare
  base_arm64_key="$({ cat "$self"; echo "$arm64_root_key"; } | sha256sum | cut -c1-16)"
  base_arm64="$cache/kubench-base-arm64-$base_arm64_key"
  if [[ -f "$base_arm64/.complete" && -f "$base_arm64/index.json" && -f "$base_arm64/files.txt" ]]; then
    log "arm64 base layer cached: $base_arm64 ($(since "$t0")s)"
  else
    t1="$(now)"
    log "building the arm64 base layer into $base_arm64"
    seen=() files=() missing_libs=()
    add_elf "$arm64_root" /usr/bin/ffmpeg
    add_elf "$arm64_root" /usr/bin/ffprobe
    add_path "$arm64_root" "$arm64_loader"
    check_missing
    add_etc "$arm64_root"
    make_base "$arm64_root" "$base_arm64"
    keep_newest "$base_arm64" 'kubench-base-arm64-*'
    log "arm64 base layer built in $(since "$t1")s, $(since "$t0")s with the root ($(du -sh "$base_arm64" | cut -f1) compressed)"
  fi
fi

# ---- layer 2: kubench and the libraries of its closure that layer 1 lacks
# kubench_extra ROOT BASE FILE...: sets extra to the closure of FILEs (image paths in ROOT) less BASE's files
kubench_extra() {
  local root="$1" base_dir="$2" f not=()
  shift 2
  seen=() files=() missing_libs=() extra=()
  for f in "$@"; do
    add_elf "$root" "$f"
    not+=(-e "$f")
  done
  check_missing
  while IFS= read -r f; do [[ -n "$f" ]] && extra+=("$f"); done < <(
    printf '%s\n' "${files[@]}" | grep -vxF "${not[@]}" | grep -vxFf "$base_dir/files.txt" || true
  )
}
if [[ -f "$torch_plugin" ]]; then kubench_extra / "$base" "$kubench" "$torch_plugin"; else kubench_extra / "$base" "$kubench"; fi
extra_amd64=("${extra[@]}")
version="$("$kubench" --version 2>/dev/null | head -n1 | cut -d' ' -f1)"
[[ -n "$version" ]] || die "$kubench --version printed nothing"
extra_arm64=()
if [[ -n "$kubench_arm64" ]]; then
  # at its image path inside the arm64 root while its closure is resolved and it runs there (removed again below)
  staged="$arm64_root/usr/local/bin/kubench"
  install -D -m 755 "$kubench_arm64" "$staged"
  kubench_extra "$arm64_root" "$base_arm64" /usr/local/bin/kubench
  extra_arm64=("${extra[@]}")
  version_arm64="$(chroot "$arm64_root" "/$root_qemu" /usr/local/bin/kubench --version 2>/dev/null | head -n1 | cut -d' ' -f1 || true)"
  rm -f "$staged"
  staged=""
  [[ -n "$version_arm64" ]] || die "$kubench_arm64 --version (under qemu-aarch64-static) printed nothing"
  [[ "$version_arm64" == "$version" ]] ||
    die "the arm64 kubench is version $version_arm64, the amd64 one $version: build both from the same source"
fi
key="$(
  {
    echo "$base_key $tag $version"
    sha256sum "$kubench" | cut -d' ' -f1
    if [[ -f "$torch_plugin" ]]; then sha256sum "$torch_plugin" | cut -d' ' -f1; fi
    [[ ${#extra_amd64[@]} -eq 0 ]] || sha256sum "${extra_amd64[@]}"
    if [[ -n "$kubench_arm64" ]]; then
      echo "arm64 $base_arm64_key"
      sha256sum "$kubench_arm64" | cut -d' ' -f1
      [[ ${#extra_arm64[@]} -eq 0 ]] || sha256sum "${extra_arm64[@]/#/$arm64_root}"
    fi
  } | sha256sum | cut -c1-16
)"
default_out=0
if [[ -z "$out" ]]; then
  out="$cache/kubench-$key.tar"
  default_out=1
fi
out="$(realpath -m "$out")"

layout="$work/image"
# new_layout: one OCI layout with each architecture's base, tagged by architecture (blobs hard-linked)
new_layout() {
  local a b entries=()
  mkdir -p "$layout/blobs/sha256"
  cp "$base/oci-layout" "$layout/"
  for a in "${arches[@]}"; do
    b="$base"
    [[ "$a" == amd64 ]] || b="$base_arm64"
    cp -aln "$b/blobs/sha256/." "$layout/blobs/sha256/" 2>/dev/null || cp -an "$b/blobs/sha256/." "$layout/blobs/sha256/"
    entries+=("$(jq -c --arg a "$a" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "base")
      | .annotations["org.opencontainers.image.ref.name"] = $a' "$b/index.json")")
  done
  printf '%s\n' "${entries[@]}" | jq -s '{schemaVersion: 2, manifests: .}' >"$layout/index.json"
}
# add_kubench_layer ARCH ROOT BINARY PLUGIN|"" EXTRA...: layer 2 and the image config on $layout:ARCH
add_kubench_layer() {
  local arch="$1" root="$2" bin="$3" plugin="$4" stage="$work/stage-$1" multiarch
  shift 4
  log "kubench $version ($arch, $bin) + $# libraries not in the base"
  mkdir -p "$stage/usr/local/bin"
  chmod 755 "$stage"
  install -m 755 "$bin" "$stage/usr/local/bin/kubench"
  if [[ -n "$plugin" ]]; then install -m 644 "$plugin" "$stage/usr/local/bin/kubench-torch.so"; fi
  if [[ $# -gt 0 ]]; then
    files=("$@")
    copy_files "$root" "$stage"
  fi
  (cd "$stage" && find . -mindepth 1 -maxdepth 1 -printf '%P\0' | sort -z |
    tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner -cf "$work/layer-$arch.tar")
  umoci raw add-layer --image "$layout:$arch" --history.created_by "scripts/build-image.sh: kubench $version" \
    "$work/layer-$arch.tar"
  case "$arch" in
    amd64) multiarch=x86_64-linux-gnu ;;
    arm64) multiarch=aarch64-linux-gnu ;;
  esac
  umoci config --image "$layout:$arch" --os linux --architecture "$arch" --author kubench \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin \
    --config.env "LIBVA_DRIVERS_PATH=/usr/lib/$multiarch/dri" \
    --config.entrypoint /usr/local/bin/kubench --config.workingdir /tmp \
    --config.label org.opencontainers.image.title=kubench \
    --config.label "org.opencontainers.image.version=$version" \
    --history.created_by "scripts/build-image.sh: config"
}
platform_json() { # the index's platform of ARCH (umoci 0.4.7 cannot put a variant into the config)
  case "$1" in
    amd64) echo '{"architecture": "amd64", "os": "linux"}' ;;
    arm64) echo '{"architecture": "arm64", "os": "linux", "variant": "v8"}' ;;
  esac
}
# write_index: the nested image index (a manifest per architecture, with its platform), the layout's only entry,
# named $tag. umoci cannot write an index; skopeo copy --all keeps this one.
write_index() {
  local a blob="$work/image-index.json" d desc=()
  for a in "${arches[@]}"; do
    desc+=("$(jq -c --arg a "$a" --argjson p "$(platform_json "$a")" '.manifests[]
      | select(.annotations["org.opencontainers.image.ref.name"] == $a) | {mediaType, digest, size, platform: $p}' \
      "$layout/index.json")")
  done
  printf '%s\n' "${desc[@]}" |
    jq -c -s '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}' >"$blob"
  [[ $(jq '.manifests | length' "$blob") -eq ${#arches[@]} ]] || die "the layout lacks a manifest per architecture"
  d="$(sha256sum "$blob" | cut -d' ' -f1)"
  cp "$blob" "$layout/blobs/sha256/$d"
  jq -n --arg d "sha256:$d" --argjson s "$(stat -c %s "$blob")" --arg t "$tag" '{schemaVersion: 2, manifests: [{
    mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
    annotations: {"org.opencontainers.image.ref.name": $t}}]}' >"$layout/index.json"
}
uri_encode() { # as jq 1.7's @uri: every byte but A-Za-z0-9 -_.~ as %XX (jq 1.6 also keeps !*'())
  local LC_ALL=C s="$1" r="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~-]) r+="$c" ;;
      *) printf -v c '%%%02X' "'$c"; r+="$c" ;;
    esac
  done
  printf '%s' "$r"
}
tar_member() { tar -xOf "$1" "$2" 2>/dev/null || tar -xOf "$1" "./$2" 2>/dev/null; }
# record_platforms ARCHIVE: the archive's image index for $tag, verified against its digest, to the platform
# record kubench reads ($cache/platforms/<tag as @uri>.json), atomically. Fails when the archive has none.
record_platforms() {
  local archive="$1" dir="$cache/platforms" digest rec tmp
  digest="$(tar_member "$archive" index.json | jq -r --arg t "$tag" '[.manifests[]
    | select(.mediaType == "application/vnd.oci.image.index.v1+json"
      and .annotations["org.opencontainers.image.ref.name"] == $t)][0].digest // empty' 2>/dev/null)" || return 1
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || return 1
  mkdir -p "$dir"
  rec="$dir/$(uri_encode "$tag").json"
  tmp="$dir/.$(uri_encode "$tag").json.tmp.$$"
  tar_member "$archive" "blobs/sha256/${digest#sha256:}" >"$tmp" || { rm -f "$tmp"; return 1; }
  if [[ "sha256:$(sha256sum "$tmp" | cut -d' ' -f1)" != "$digest" ]] ||
    ! jq -e '.mediaType == "application/vnd.oci.image.index.v1+json" and (.manifests | length > 0)
      and all(.manifests[]; .platform.os != null and .platform.architecture != null)' "$tmp" >/dev/null; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$rec"
  log "platforms of $tag: $(jq -r '[.manifests[].platform | "\(.os)/\(.architecture)\(if .variant then "/" + .variant else "" end)"]
    | join(", ")' "$rec") (recorded in $rec)"
}

if [[ $default_out -eq 1 && -s "$out" ]] && record_platforms "$out"; then
  log "up to date: $out"
else
  new_layout
  plugin=""
  if [[ -f "$torch_plugin" ]]; then plugin="$torch_plugin"; fi
  add_kubench_layer amd64 / "$kubench" "$plugin" "${extra_amd64[@]}"
  if [[ -n "$kubench_arm64" ]]; then add_kubench_layer arm64 "$arm64_root" "$kubench_arm64" "" "${extra_arm64[@]}"; fi
  umoci gc --layout "$layout"
  write_index
  mkdir -p "$(dirname "$out")"
  tmp_out="$(dirname "$out")/.$(basename "$out").tmp.$$"
  rm -f "$tmp_out"
  skopeo --insecure-policy copy -q --all "oci:$layout:$tag" "oci-archive:$tmp_out:$tag" >&2 ||
    { rm -f "$tmp_out"; die "skopeo copy failed"; }
  mv -f "$tmp_out" "$out"
  if [[ $default_out -eq 1 ]]; then # keep the three newest default archives
    find "$cache" -maxdepth 1 -name 'kubench-*.tar' -type f -printf '%T@ %p\n' | sort -rn | tail -n +4 |
      cut -d' ' -f2- | while IFS= read -r old; do rm -f "$old"; done
  fi
  record_platforms "$out" || die "$out has no image index named $tag"
  log "wrote $out ($(du -h "$out" | cut -f1), $tag, ${arches[*]}) in $(since "$start")s"
fi

if [[ -n "$import_state" ]]; then
  log "importing $tag into the cluster in $import_state"
  KUBENCH_CLUSTER_STATE="$import_state" "$repo/tests/cluster/import-image.sh" "$out" "$tag" >&2
fi
log "done in $(since "$start")s"
echo "$out"
