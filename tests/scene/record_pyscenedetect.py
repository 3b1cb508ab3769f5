#!/usr/bin/env python3
"""Records PySceneDetect's answers for the clips of tests/scene/pyscenedetect_parity_itest.cpp.

The test cannot run PySceneDetect (CI has no copy of it); it regenerates these clips with ffmpeg
(lossless or deterministic encoders, so the decoded pixels are the same on every run) and checks
kubench against what this script recorded. Rerun it when a case is added or PySceneDetect changes:

  tests/scene/record_pyscenedetect.py [--src PYSCENEDETECT_DIR]   (writes the fixture below)

Needs what bench/pyscenedetect_ref.py needs (Debian's python3-opencv and PySceneDetect's source).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "scenes", "pyscenedetect.json")
REF = os.path.join(ROOT, "bench", "pyscenedetect_ref.py")


def clip(size, pix_fmt, codec, extra=""):
    """ffmpeg arguments (without the output) for 60 frames: 20 of mandelbrot, a hard cut to
    testsrc2, and a 10-frame cross-fade into HD colour bars; in pix_fmt, encoded with `codec`."""
    sources = []
    for src in ("mandelbrot", "testsrc2", "smptehdbars"):
        sources += ["-f", "lavfi", "-i", f"{src}=s=320x240:r=25"]
    graph = (
        "[0]trim=end_frame=20,setpts=PTS-STARTPTS[a];[1]trim=end_frame=30,setpts=PTS-STARTPTS[b];"
        "[2]trim=end_frame=20,setpts=PTS-STARTPTS[c];[b][c]xfade=transition=fade:duration=0.4:offset=0.8[bc];"
        f"[a][bc]concat=n=2:v=1:a=0,scale={size.replace('x', ':')}{extra},format={pix_fmt}[out]"
    )
    return sources + ["-filter_complex", graph, "-map", "[out]", "-threads", "1"] + codec


FFV1 = ["-c:v", "ffv1"]
CASES = [
    # name, file name, ffmpeg arguments, MPEG-TS packets cut off the front (0: none)
    ("yuv420p", "yuv420p.mkv", clip("320x240", "yuv420p", FFV1), 0),
    ("yuv422p", "yuv422p.mkv", clip("320x240", "yuv422p", FFV1), 0),
    ("yuvj422p_mjpeg", "yuvj422p.avi", clip("320x240", "yuvj422p", ["-c:v", "mjpeg", "-q:v", "3"]), 0),
    ("yuv444p", "yuv444p.mkv", clip("320x240", "yuv444p", FFV1), 0),
    ("yuv420p10le", "yuv420p10.mkv", clip("320x240", "yuv420p10le", FFV1), 0),
    ("bgr0", "bgr0.mkv", clip("320x240", "bgr0", FFV1), 0),
    ("gif", "clip.gif", clip("320x240", "rgb8", ["-c:v", "gif"]), 0),
    ("640x360_scale_2.5", "s640.mkv", clip("640x360", "yuv420p", FFV1), 0),
    ("512x288_halved", "s512.mkv", clip("512x288", "yuv420p", FFV1), 0),
    ("321x241_odd", "odd.mkv", clip("321x241", "yuv420p", FFV1), 0),
    # An AVI whose second frame is stamped 3 frames after the first (frames 1-2 have no frame).
    ("avi_timestamp_gap", "gap.avi",
     clip("320x240", "yuv420p", ["-c:v", "mpeg4", "-q:v", "3", "-fps_mode", "passthrough", "-copyts"],
          ",setpts=PTS+2/(25*TB)"), 0),
    # H.264 in MPEG-TS without its first 30 TS packets: the leading frames cannot be decoded, the
    # first scene starts at the first one that can. No direct-predicted macroblocks (direct=none):
    # ffmpeg 5.1.9 changed how its decoder keeps their state ("avcodec/h264: recompute per-slice
    # direct mode state for every slice"), so with them the pixels depend on ffmpeg's version.
    ("h264_ts_undecodable_start", "chopped.ts",
     clip("320x240", "yuv420p", ["-c:v", "libx264", "-preset", "veryfast", "-g", "20", "-bf", "2",
                                 "-x264-params", "scenecut=0:direct=none", "-f", "mpegts"]), 30),
]


def make(path, args, chop):
    full = path + ".full" if chop else path
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, full], check=True)
    if chop:
        with open(full, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[188 * chop:])


def reference(path, detector, src):
    out = subprocess.run([sys.executable, REF, path, "--detector", detector, "--src", src],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--src", default=os.environ.get("PYSCENEDETECT_SRC") or os.path.expanduser("~/.cache/kubench/pyscenedetect"))
    a = p.parse_args()
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, file_name, args, chop in CASES:
            path = os.path.join(tmp, file_name)
            make(path, args, chop)
            content = reference(path, "content", a.src)
            adaptive = reference(path, "adaptive", a.src)
            # Rows PySceneDetect overwrote with a frame drained at the end of the stream
            # (bench/pyscenedetect_ref.py's backward_frame_nums) hold another frame's values.
            skip = set(content["backward_frame_nums"])
            frames = {}
            for n, m in sorted(content["frames"].items(), key=lambda kv: int(kv[0])):
                if int(n) in skip:
                    continue
                ratio = adaptive["frames"].get(n, {}).get("adaptive_ratio")
                frames[n] = [m["content_val"], m["delta_hue"], m["delta_sat"], m["delta_lum"], ratio]
            cases.append({
                "name": name, "file": file_name, "ffmpeg": args, "chop_ts_packets": chop,
                "first_frame": content["first_frame"], "content_cuts": content["cuts"],
                "adaptive_cuts": adaptive["cuts"], "backward_frame_nums": sorted(skip), "frames": frames,
            })
            print(f"{name}: first frame {content['first_frame']}, cuts {content['cuts']} / {adaptive['cuts']}, "
                  f"{len(frames)} frames", file=sys.stderr)
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as f:
        # One line per case: small, and a rerun's diff shows which case moved.
        f.write('{"recorded_with": "PySceneDetect (OpenCV backend, Debian python3-opencv 4.6): tests/scene/record_pyscenedetect.py",\n')
        f.write(' "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n ]}\n")


if __name__ == "__main__":
    main()
