#!/usr/bin/env bash
# Builds the corpus for the scene-detection parity check (bench/scenes_vs_pyscenedetect.sh):
# real footage shipped in Debian 12 (bookworm) packages, copied as it is (parity is about the
# real files, so nothing is re-encoded), plus a few clips generated with ffmpeg for the pixel
# formats no packaged video has, and one 1080p H.264 clip for the speed comparison.
#
# Idempotent: files already in DIR are kept. A package is taken from the installed system when
# its file is there, otherwise fetched with `apt-get download` (not installed) and unpacked into
# a temporary directory. Writes DIR/MANIFEST.tsv:
#   file, source (package or 'generated'), codec, pix_fmt, WxH, frames (as ffprobe decodes them),
#   version (of the package), bytes, origin (path in the package, or what was generated).
#
# The packages were found with `apt-file search` over bookworm's Contents; files over ~3000
# frames (openboard-common's wannaworktogether.mp4, hollywood's soundwave.mp4) and over 60 MB
# (psychtoolbox-3-common's 4096x4096 Testmovie.avi) are left out.
#
# Usage: bench/scene_corpus.sh [DIR]   (default /var/cache/kubench/scene-corpus)
set -euo pipefail
DIR=${1:-/var/cache/kubench/scene-corpus}
MAX_BYTES=$((60 * 1024 * 1024))

for tool in apt-get dpkg-deb dpkg-query apt-cache ffmpeg ffprobe; do
  command -v "$tool" >/dev/null || { echo "scene_corpus.sh: needs $tool" >&2; exit 2; }
done
mkdir -p "$DIR"
DIR=$(realpath "$DIR")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/dl"
# apt-get download drops privileges to _apt, which must be able to write there.
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chmod 755 "$tmp" && chown _apt "$tmp/dl"; fi

# package | path inside the package. The corpus name is PACKAGE--BASENAME.
REAL=(
  "opencv-doc|/usr/share/doc/opencv-doc/examples/data/tree.avi"          # cinepak, rgb24
  "opencv-doc|/usr/share/doc/opencv-doc/examples/data/Megamind.avi"      # MPEG-4 part 2
  "opencv-doc|/usr/share/doc/opencv-doc/examples/data/Megamind_bugy.avi" # damaged MPEG-4
  "opencv-doc|/usr/share/doc/opencv-doc/examples/data/vtest.avi"         # MS MPEG-4 v3, 795 frames
  "python3-imageio|/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4"       # H.264 4:4:4
  "python3-imageio|/usr/lib/python3/dist-packages/imageio/resources/images/newtonscradle.gif"  # animated GIF
  "lebiniou-data|/usr/share/lebiniou/vue/img/newSequence2.gif"                                 # animated GIF
  "lebiniou-data|/usr/share/lebiniou/vue/media/lebiniou-2021-06-10_12-28-28.mp4"               # H.264, 669 frames
  "gem-doc|/usr/share/gem/examples/data/anim-1.mov"  # MJPEG 4:2:2
  "gem-doc|/usr/share/gem/examples/data/homer.avi"   # Indeo 3, yuv410p
  "kphotoalbum|/usr/share/kphotoalbum/demo/movie.avi"                 # MJPEG 160x120
  "pd-extendedview|/usr/share/doc/pd-extendedview/media/diver.mov"    # MJPEG 640x480
  "planetblupi-common|/usr/share/planetblupi/movie/history2.mkv"      # cinepak
  "planetblupi-common|/usr/share/planetblupi/movie/win005.mkv"        # cinepak, 12 fps
  "planetblupi-common|/usr/share/planetblupi/movie/play105.mkv"       # MS Video-1, rgb555le
  "coccinella|/usr/share/coccinella/lib/FakeSample.mov"               # Apple RPZA, rgb555le
  "golang-github-gabriel-vasile-mimetype-dev|/usr/share/gocode/src/github.com/gabriel-vasile/mimetype/testdata/asf.asf"    # WMV2
  "golang-github-gabriel-vasile-mimetype-dev|/usr/share/gocode/src/github.com/gabriel-vasile/mimetype/testdata/flv.flv"    # Sorenson H.263
  "golang-github-gabriel-vasile-mimetype-dev|/usr/share/gocode/src/github.com/gabriel-vasile/mimetype/testdata/3gp.3gp"    # H.263
  "golang-github-gabriel-vasile-mimetype-dev|/usr/share/gocode/src/github.com/gabriel-vasile/mimetype/testdata/ogg.ogv"    # Theora
  "golang-github-gabriel-vasile-mimetype-dev|/usr/share/gocode/src/github.com/gabriel-vasile/mimetype/testdata/webm.webm"  # VP8
  "python-nbsphinx-doc|/usr/share/doc/python-nbsphinx/html/www/wikimediacommons/Shepard_Calais_1906_FrenchGP.ogv.160p.ogv" # Theora, 1906 film
  "python-kivy-examples|/usr/share/kivy-examples/widgets/cityCC0.mpg"       # MPEG-2
  "k3b-data|/usr/share/k3b/extra/k3bphotovcd.mpg"                           # MPEG-1 slide show
  "python3-mecavideo|/usr/share/pymecavideo/data/video/balle1-vp9.avi"      # VP9 in AVI
  "renpy-demo|/usr/share/games/renpy/demo/game/oa4_launch.webm"             # VP8 640x360
  "forensics-samples-files|/usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4"  # phone, 1080p H.264
  "forensics-samples-files|/usr/share/forensics-samples/original-files/movie2/movie-hello.mpeg"         # MPEG-2
  "janus-demos|/usr/share/janus/demos/surround/ChID-BLITS-EBU.mp4"          # H.264, 8 fps test cards
  "tupi-data|/usr/share/tupi/data/help/examples/example.avi"                # MPEG-4 animation
  "pampi|/usr/share/pampi/presentations/data/pampi-help/tour.mp4"           # H.264 with slice errors
  "wordpress-theme-twentytwentytwo|/usr/share/wordpress/wp-content/themes/twentytwentytwo/assets/videos/birds.mp4"  # 720p, 31 frames
  "mrpt-common|/usr/share/mrpt/datasets/dummy_video.avi"                    # FFV1 bgr0, 10 frames
)

# The previous manifest: its rows by name and size, and the package versions of the files kept
# (asking apt-cache for them takes a second a package).
manifest=$DIR/MANIFEST.tsv
declare -A OLD OLD_VERSION
if [ -f "$manifest" ]; then
  while IFS= read -r line; do
    IFS=$'\t' read -r old_file _ _ _ _ _ old_version old_bytes _ <<<"$line"
    OLD["$old_file|$old_bytes"]=$line
    OLD_VERSION[$old_file]=$old_version
  done < <(tail -n +2 "$manifest")
fi

corpus_name() { echo "$1--$(basename "$2")"; }  # PACKAGE PATH

declare -A VERSION ORIGIN SOURCE PKG_VERSION
unpacked=""  # packages already unpacked in $tmp
fetch_real() {  # PACKAGE PATH
  local pkg=$1 path=$2 name out src ver
  name=$(corpus_name "$pkg" "$path")
  out=$DIR/$name
  SOURCE[$name]=$pkg ORIGIN[$name]=$path
  if [ -s "$out" ] && [ -n "${OLD_VERSION[$name]:-}" ]; then
    VERSION[$name]=${OLD_VERSION[$name]}
    echo "have    $name"
    return
  fi
  if [ -f "$path" ] && ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) && [ -n "$ver" ]; then
    src=$path  # installed here
  else
    if [ -z "${PKG_VERSION[$pkg]:-}" ]; then
      PKG_VERSION[$pkg]=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
    fi
    ver=${PKG_VERSION[$pkg]}
    [ -n "$ver" ] || { echo "scene_corpus.sh: package $pkg not known to apt (apt-get update?)" >&2; exit 2; }
    src=$tmp/x/$pkg$path
  fi
  VERSION[$name]=$ver
  if [ -s "$out" ]; then
    echo "have    $name"
    return
  fi
  if [ "$src" != "$path" ] && [[ " $unpacked " != *" $pkg "* ]]; then
    echo "fetch   $pkg $ver"
    (cd "$tmp/dl" && apt-get download -q "$pkg" >/dev/null) ||
      { echo "scene_corpus.sh: apt-get download $pkg failed" >&2; exit 2; }
    mkdir -p "$tmp/x/$pkg"
    dpkg-deb -x "$tmp/dl/${pkg}"_*.deb "$tmp/x/$pkg"
    rm -f "$tmp/dl/${pkg}"_*.deb
    unpacked+=" $pkg"
  fi
  [ -f "$src" ] || { echo "scene_corpus.sh: $path is not in $pkg $ver" >&2; exit 2; }
  if [ "$(stat -L -c %s "$src")" -gt "$MAX_BYTES" ]; then
    echo "skip    $name (over 60 MB)"
    return
  fi
  cp -L "$src" "$out.tmp" && mv "$out.tmp" "$out"
  echo "copied  $name <- $pkg $ver:$path"
}

for entry in "${REAL[@]}"; do
  fetch_real "${entry%%|*}" "${entry#*|}"
done

# Generated clips: four 30 fps segments of SEG frames (moving test pattern, static bars, moving
# gradients, game of life in 4x4 cells: single-pixel cells would be noise to an encoder) joined by
# a hard cut, a cross-fade of FADE frames and a hard cut; frames = 4*SEG - FADE. The random
# sources get a seed and fixed colours, and the muxers write no date or random id (bitexact), so
# a rerun makes the same bytes.
gen_clip() {  # NAME WxH SEG FADE PIX_FMT ENCODER_ARGS...
  local name=$1 size=$2 seg=$3 fade=$4 pix=$5 out=$DIR/$1
  shift 5
  SOURCE[$name]=generated VERSION[$name]="ffmpeg $FFMPEG_VERSION"
  ORIGIN[$name]="lavfi ${size} 4x${seg} frames, cut, ${fade}-frame cross-fade, cut; $pix; $*"
  if [ -s "$out" ]; then
    echo "have    $name"
    return
  fi
  local fmt=yuv444p tail="format=$pix" w=${size%x*} h=${size#*x}
  # A GIF needs a palette: pal8 via palettegen/paletteuse (the encoder's own rgb8 would dither).
  [ "$pix" = pal8 ] && tail="split[s0][s1];[s0]palettegen=stats_mode=full[p];[s1][p]paletteuse=dither=none"
  local trim="trim=end_frame=$seg,setpts=PTS-STARTPTS,format=$fmt"
  local offset duration
  offset=$(awk -v s="$seg" -v f="$fade" 'BEGIN { printf "%.6f", (s - f) / 30 }')
  duration=$(awk -v f="$fade" 'BEGIN { printf "%.6f", f / 30 }')
  echo "make    $name ($size, $pix, $((4 * seg - fade)) frames)"
  nice -n 10 ffmpeg -nostdin -v error -y \
    -f lavfi -i "testsrc2=s=$size:r=30" \
    -f lavfi -i "smptehdbars=s=$size:r=30" \
    -f lavfi -i "gradients=s=$size:r=30:seed=1:speed=0.02:n=3:c0=0x3060c0:c1=0xc08020:c2=0x20a040" \
    -f lavfi -i "life=s=$((w / 4))x$((h / 4)):r=30:seed=1:ratio=0.2:mold=10:life_color=#00ff80:death_color=#802000:mold_color=#102040" \
    -filter_complex "[0:v]${trim}[a];[1:v]${trim}[b];[2:v]${trim}[c];[3:v]scale=$size:flags=neighbor,${trim}[d];[b][c]xfade=transition=fade:duration=$duration:offset=${offset}[bc];[a][bc][d]concat=n=3:v=1:a=0,${tail}[out]" \
    -map "[out]" "$@" -fflags +bitexact "$out.tmp.${name##*.}"
  mv "$out.tmp.${name##*.}" "$out"
}

FFMPEG_VERSION=$(ffmpeg -version | awk 'NR==1 { print $3 }')
X264=(-c:v libx264 -preset veryfast -crf 20)
gen_clip gen--yuv444p.mp4 320x240 40 15 yuv444p "${X264[@]}" -pix_fmt yuv444p
gen_clip gen--yuv422p.mp4 320x240 40 15 yuv422p "${X264[@]}" -pix_fmt yuv422p
gen_clip gen--yuv420p10le.mp4 640x360 40 15 yuv420p10le "${X264[@]}" -pix_fmt yuv420p10le
gen_clip gen--hevc-yuv420p10le.mkv 640x360 40 15 yuv420p10le -c:v libx265 -preset veryfast -crf 24 -pix_fmt yuv420p10le -x265-params log-level=error
gen_clip gen--gbrp-x264rgb.mkv 320x240 40 15 rgb24 -c:v libx264rgb -preset veryfast -crf 20 -pix_fmt rgb24  # decodes as gbrp
gen_clip gen--rgb24-qtrle.mov 320x240 40 15 rgb24 -c:v qtrle -pix_fmt rgb24
gen_clip gen--bgr0-ffv1.mkv 320x240 40 15 bgr0 -c:v ffv1 -pix_fmt bgr0
gen_clip gen--pal8-rawvideo.avi 320x240 40 15 pal8 -c:v rawvideo -pix_fmt pal8  # a palette AVI
gen_clip gen--gif.gif 320x240 40 15 pal8 -c:v gif  # decodes as bgra
# The speed clip: 1080p, 690 frames, x264's default keyframe interval.
gen_clip gen--1080p-h264.mp4 1920x1080 180 30 yuv420p -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p

# The manifest at the end; rows of unchanged files (same name and size) are reused, as counting
# frames is a full decode.
{
  printf 'file\tsource\tcodec\tpix_fmt\tWxH\tframes\tversion\tbytes\torigin\n'
  for name in $(printf '%s\n' "${!SOURCE[@]}" | sort); do
    f=$DIR/$name
    [ -s "$f" ] || continue
    bytes=$(stat -c %s "$f")
    if [ -n "${OLD[$name|$bytes]:-}" ]; then
      echo "${OLD[$name|$bytes]}"
      continue
    fi
    codec="" w="" h="" pix="" frames=""
    while IFS='=' read -r key value; do
      case $key in codec_name) codec=$value ;; width) w=$value ;; height) h=$value ;;
        pix_fmt) pix=$value ;; nb_read_frames) frames=$value ;; esac
    done < <(nice -n 10 ffprobe -v error -count_frames -select_streams v:0 \
      -show_entries stream=codec_name,width,height,pix_fmt,nb_read_frames -of default=nw=1 "$f" 2>/dev/null)
    printf '%s\t%s\t%s\t%s\t%sx%s\t%s\t%s\t%s\t%s\n' "$name" "${SOURCE[$name]}" "$codec" "$pix" \
      "$w" "$h" "$frames" "${VERSION[$name]}" "$bytes" "${ORIGIN[$name]}"
  done
} >"$manifest.tmp"
mv "$manifest.tmp" "$manifest"
echo "$(($(wc -l <"$manifest") - 1)) videos, $(du -sh --exclude=MANIFEST.tsv "$DIR" | cut -f1) in $DIR; manifest: $manifest"
