#!/usr/bin/env python3
"""PySceneDetect's reference answer for one video and one detector, as one JSON object.

Runs PySceneDetect (OpenCV backend, its default settings but min_scene_len=15 frames) twice:
once with a StatsManager for the per-frame metrics, once without one for the time (a
StatsManager makes the content detector compute edges too, which it skips by default).

Usage: pyscenedetect_ref.py VIDEO [--detector content|adaptive] [--src DIR] [--stats-csv PATH]
  --src: a directory holding PySceneDetect's `scenedetect/` package (a clone of the repository);
         default $PYSCENEDETECT_SRC, else ~/.cache/kubench/pyscenedetect.
Needs: OpenCV (python3-opencv) and numpy; PySceneDetect's own source for the rest.

Output (frame numbers 0-based, as PySceneDetect's FrameTimecode.frame_num):
  video, detector, fps, first_frame (frame_num of the first decoded frame), decoded_frames,
  scenes [[start, end_exclusive], ...] (get_scene_list(start_in_scene=True)), cuts (scene starts
  but the first), frames {frame_num: {content_val, delta_hue, delta_sat, delta_lum[,
  adaptive_ratio]}}, duplicate_frame_nums (positions that mapped to one frame_num more than once;
  the last one's metrics are kept), adaptive_ratio_key, seconds (open to scene list, without
  stats), seconds_with_stats, cuts_without_stats_equal.
"""
import argparse
import csv
import io
import json
import os
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("video")
    p.add_argument("--detector", choices=("content", "adaptive"), default="content")
    p.add_argument("--min-scene-len", type=int, default=15)
    p.add_argument(
        "--src",
        default=os.environ.get("PYSCENEDETECT_SRC")
        or os.path.expanduser("~/.cache/kubench/pyscenedetect"),
    )
    p.add_argument("--stats-csv", help="also save PySceneDetect's own stats CSV here")
    p.add_argument("--time-only", action="store_true",
                   help="only the plain run, printing nothing: for timing the whole process")
    return p.parse_args()


def import_scenedetect(src):
    if not os.path.isfile(os.path.join(src, "scenedetect", "__init__.py")):
        sys.exit(f"pyscenedetect_ref.py: no scenedetect/ package in {src} (set PYSCENEDETECT_SRC)")
    sys.path.insert(0, src)
    import scenedetect  # noqa: E402 (needs the path above)

    return scenedetect


def make_detector(sd, name, min_scene_len):
    if name == "content":
        return sd.ContentDetector(min_scene_len=min_scene_len)
    return sd.AdaptiveDetector(min_scene_len=min_scene_len)


def detect(sd, path, detector_name, min_scene_len, stats):
    """One full run; returns (scene list, decoded frame count, fps, seconds)."""
    t0 = time.perf_counter()
    video = sd.open_video(path, backend="opencv")
    manager = sd.SceneManager(stats)
    manager.add_detector(make_detector(sd, detector_name, min_scene_len))
    decoded = manager.detect_scenes(video)
    scenes = manager.get_scene_list(start_in_scene=True)
    seconds = time.perf_counter() - t0
    return scenes, decoded, video.frame_rate, seconds


def backward_frame_nums(sd, path):
    """frame_nums PySceneDetect's OpenCV stream gives to a frame after a later number: OpenCV 4.6
    stamps no time on the frames it drains from the decoder at the end of the stream, so
    PySceneDetect numbers those by the count, and where the first frame is not 0 that lands among
    earlier frames, whose stats rows they overwrite."""
    video = sd.open_video(path, backend="opencv")
    top, backward = -1, set()
    while video.read(decode=False) is not False:
        n = video.position.frame_num
        if n < top:
            backward.add(n)
        top = max(top, n)
    return sorted(backward)


def read_stats(stats, adaptive_key):
    """Metrics per frame_num, parsed back from PySceneDetect's own CSV writer: it writes
    str(float), which round-trips exactly, and only frames that have metrics."""
    buf = io.StringIO()
    stats.save_to_csv(buf)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    header, rows = rows[0], rows[1:]
    names = {"content_val": "content_val", "delta_hue": "delta_hue",
             "delta_sat": "delta_sat", "delta_lum": "delta_lum"}
    if adaptive_key:
        names[adaptive_key] = "adaptive_ratio"
    frames, duplicates = {}, []
    for row in rows:
        frame = int(row[0]) - 1  # the CSV's Frame Number is frame_num + 1
        values = {}
        for col, cell in zip(header[2:], row[2:]):
            if col in names and cell not in ("", "None"):
                values[names[col]] = float(cell)
        if frame in frames:
            duplicates.append(frame)
        frames[frame] = values
    return buf.getvalue(), frames, duplicates


def main():
    args = parse_args()
    if not os.path.isfile(args.video):
        sys.exit(f"pyscenedetect_ref.py: no such file: {args.video}")
    sd = import_scenedetect(args.src)

    if args.time_only:
        detect(sd, args.video, args.detector, args.min_scene_len, None)
        return
    stats = sd.StatsManager()
    scenes, decoded, fps, seconds_with_stats = detect(
        sd, args.video, args.detector, args.min_scene_len, stats)
    # The timed run: PySceneDetect as it runs by default, with no StatsManager.
    plain_scenes, _, _, seconds = detect(sd, args.video, args.detector, args.min_scene_len, None)

    adaptive_key = None
    if args.detector == "adaptive":
        adaptive_key = sd.AdaptiveDetector.ADAPTIVE_RATIO_KEY_TEMPLATE.format(
            window_width=2, luma_only="")
    csv_text, frames, duplicates = read_stats(stats, adaptive_key)
    if args.stats_csv:
        with open(args.stats_csv, "w") as f:
            f.write(csv_text)

    pairs = [[s.frame_num, e.frame_num] for s, e in scenes]
    plain_pairs = [[s.frame_num, e.frame_num] for s, e in plain_scenes]
    json.dump({
        "video": args.video,
        "detector": args.detector,
        "min_scene_len": args.min_scene_len,
        "pyscenedetect_version": sd.__version__,
        "fps": float(fps),
        "fps_fraction": f"{fps.numerator}/{fps.denominator}",
        "first_frame": pairs[0][0] if pairs else None,
        "decoded_frames": decoded,
        "scenes": pairs,
        "cuts": [s for s, _ in pairs[1:]],
        "frames": {str(k): frames[k] for k in sorted(frames)},
        "duplicate_frame_nums": duplicates,
        "backward_frame_nums": backward_frame_nums(sd, args.video),
        "adaptive_ratio_key": adaptive_key,
        "seconds": seconds,
        "seconds_with_stats": seconds_with_stats,
        "cuts_without_stats_equal": plain_pairs == pairs,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for the harness's log; the traceback is PySceneDetect's
        sys.exit(f"pyscenedetect_ref.py: {sys.argv[1] if len(sys.argv) > 1 else ''}: "
                 f"{type(e).__name__}: {e}")
