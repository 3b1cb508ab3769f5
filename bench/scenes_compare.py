#!/usr/bin/env python3
"""The comparison half of bench/scenes_vs_pyscenedetect.sh (kept out of bash).

  scenes_compare.py one --name NAME --detector D --psd PSD.json --kb KB.json --kb-stats KB.csv
                        --kb-jobs KBJ.json --jobs N --kb-seconds S --results RESULTS.jsonl
      prints one video's comparison and appends its figures to RESULTS.jsonl. A missing or
      empty input file means that tool failed on the video (the shell says why).
  scenes_compare.py summary RESULTS.jsonl [--strict]
      prints the agreement counts and the speed ratio; with --strict exits 1 if a target is missed.

PSD.json comes from bench/pyscenedetect_ref.py; KB.json is `kubench scenes detect -o json`
(kubench/scenes/v1) and KB.csv its --stats CSV (Frame Number 1-based; 3 decimals or full
precision; adaptive_ratio when kubench writes it). All frame numbers below are 0-based.
"""
import argparse
import csv
import json
import os
import sys

METRICS = ("content_val", "delta_hue", "delta_sat", "delta_lum", "adaptive_ratio")
CONTENT_VAL_TARGET = 0.05  # mean |Δ content_val| that counts as the same scores


def load_json(path):
    if not path or not os.path.isfile(path) or os.path.getsize(path) == 0:
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError:
        return None


def load_kb_stats(path):
    """{frame: {metric: value}} from kubench's stats CSV; a frame whose metric cells are all
    empty counts as absent (as PySceneDetect leaves out frames without metrics)."""
    frames = {}
    if not path or not os.path.isfile(path):
        return frames
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        # PySceneDetect's own CSV may open with a "Timecode List:" row; kubench's --stats doesn't,
        # but skip one if it appears.
        if header and header[0] != "Frame Number":
            header = next(reader, None)
        if not header:
            return frames
        cols = {}
        for i, name in enumerate(header):
            if name.startswith("adaptive_ratio"):  # "adaptive_ratio" or "adaptive_ratio (w=2)"
                cols[i] = "adaptive_ratio"
            elif name in METRICS:
                cols[i] = name
        for row in reader:
            if not row:
                continue
            values = {}
            for i, name in cols.items():
                if i < len(row) and row[i] not in ("", "None"):
                    values[name] = float(row[i])
            if values:
                frames[int(row[0]) - 1] = values
    return frames


def kb_cuts(kb):
    return [int(c) for c in kb.get("cuts", [])]


def kb_first(kb):
    scenes = kb.get("scenes") or []
    return scenes[0]["start_frame"] if scenes else None


def marked(cuts, other):
    """The list with '*' on each cut the other list lacks."""
    return "[" + ", ".join(("*" if c not in other else "") + str(c) for c in cuts) + "]"


def sample(frames, n=5):
    frames = sorted(frames)
    text = ", ".join(map(str, frames[:n]))
    return text + (", …" if len(frames) > n else "")


def compare_one(a):
    psd, kb, kbj = load_json(a.psd), load_json(a.kb), load_json(a.kb_jobs)
    r = {"name": a.name, "detector": a.detector, "jobs": a.jobs,
         "psd_ok": psd is not None, "kb_ok": kb is not None, "kbj_ok": kbj is not None}
    print(f"== {a.name} [{a.detector}]")
    if psd is None or kb is None:
        failed = " and ".join(t for t, ok in (("PySceneDetect", psd), ("kubench", kb)) if ok is None)
        print(f"  FAILED: {failed} gave no result")
        r.update(cuts_equal=False, first_equal=False, jobs_equal=False, content_ok=False)
        append(a.results, r)
        return
    pc, kc = psd["cuts"], kb_cuts(kb)
    r["cuts_equal"] = pc == kc
    print(f"  cuts PySceneDetect: {marked(pc, kc)}")
    print(f"  cuts kubench:       {marked(kc, pc)}   {'equal' if pc == kc else 'DIFFERENT'}"
          "   (* = not in the other list)")
    pf, kf = psd["first_frame"], kb_first(kb)
    r["first_equal"] = pf == kf
    print(f"  first scene start: PySceneDetect {pf}, kubench {kf}"
          f"{'' if pf == kf else '   DIFFERENT'}")
    pe, ke = (psd["scenes"][-1][1] if psd["scenes"] else None), kb.get("frames")
    r["end_equal"] = pe == ke
    print(f"  last scene ends: PySceneDetect {pe} ({psd.get('decoded_frames')} frames decoded),"
          f" kubench {ke} (one past its last frame; decode errors {kb.get('decode_errors', '?')})"
          f"{'' if pe == ke else '   different'}")
    if kbj is None:
        r["jobs_equal"] = False
        print(f"  --jobs {a.jobs}: FAILED (no result)")
    else:
        jc = kb_cuts(kbj)
        r["jobs_equal"] = jc == kc
        print(f"  --jobs {a.jobs}: " + ("same cuts as one pass" if jc == kc
                                        else f"DIFFERENT {marked(jc, kc)}"))

    # Per-frame metrics.
    pframes = {int(k): v for k, v in psd["frames"].items()}
    kframes = load_kb_stats(a.kb_stats)
    # Rows PySceneDetect overwrote with a frame from the end of the stream (pyscenedetect_ref.py's
    # backward_frame_nums) are not compared.
    backward = set(psd.get("backward_frame_nums", []))
    r["backward"] = len(backward)
    if backward:
        print(f"  note: PySceneDetect numbered {len(backward)} frames drained at the end back among earlier ones"
              f" ({sample(backward)}): OpenCV 4.6 gives them no time; those rows are not compared")
    both = sorted((set(pframes) & set(kframes)) - backward)
    only_p, only_k = set(pframes) - set(kframes), set(kframes) - set(pframes)
    r.update(compared=len(both), only_psd=len(only_p), only_kb=len(only_k))
    line = f"  frames compared: {len(both)}; only PySceneDetect: {len(only_p)}"
    line += f" ({sample(only_p)})" if only_p else ""
    line += f"; only kubench: {len(only_k)}" + (f" ({sample(only_k)})" if only_k else "")
    print(line)
    if psd.get("duplicate_frame_nums"):
        print(f"  note: PySceneDetect mapped several frames to one frame_num at "
              f"{sample(psd['duplicate_frame_nums'])}")
    deltas = {}
    for m in METRICS:
        d = [abs(pframes[f][m] - kframes[f][m]) for f in both
             if m in pframes[f] and m in kframes[f]]
        if d:
            deltas[m] = (sum(d) / len(d), max(d), len(d))
    cv = deltas.get("content_val")
    r["content_mean"] = cv[0] if cv else None
    r["content_max"] = cv[1] if cv else None
    # No frame to compare (a one-frame video) is vacuously fine only if neither side has any.
    r["content_ok"] = (cv[0] <= CONTENT_VAL_TARGET) if cv else (not pframes and not kframes)
    if cv:
        parts = [f"|Δ content_val| mean {cv[0]:.4f} max {cv[1]:.4f}"]
        parts.append("mean |Δ| " + " ".join(
            f"{m[6:]} {deltas[m][0]:.4f}" for m in ("delta_hue", "delta_sat", "delta_lum")
            if m in deltas))
        if "adaptive_ratio" in deltas:
            ar = deltas["adaptive_ratio"]
            parts.append(f"|Δ adaptive_ratio| mean {ar[0]:.4f} max {ar[1]:.4f} ({ar[2]} frames)")
        print("  " + "; ".join(parts))
    else:
        print("  no frame has content_val in both")
    # Time: PySceneDetect's in-process time (open → scene list, no stats) against kubench's
    # whole process (one pass, no --stats).
    r["psd_seconds"], r["kb_seconds"] = psd["seconds"], a.kb_seconds
    r["psd_process_seconds"] = a.psd_process_seconds
    if a.kb_seconds and a.kb_seconds > 0:
        print(f"  time: kubench {a.kb_seconds:.3f} s; PySceneDetect {psd['seconds']:.3f} s in process"
              f" -> {psd['seconds'] / a.kb_seconds:.2f}x, {a.psd_process_seconds:.3f} s whole process"
              f" -> {a.psd_process_seconds / a.kb_seconds:.2f}x")
    if a.decode_seconds > 0 and a.kb_seconds:
        print(f"  bare decode (ffmpeg, {os.cpu_count()} threads) {a.decode_seconds:.3f} s: kubench"
              f" {a.kb_seconds / a.decode_seconds:.2f}x of it, PySceneDetect {psd['seconds'] / a.decode_seconds:.2f}x"
              f" in process, {a.psd_process_seconds / a.decode_seconds:.2f}x whole process")
    if not psd.get("cuts_without_stats_equal", True):
        print("  note: PySceneDetect's cuts differ with and without a StatsManager")
    append(a.results, r)


def append(path, r):
    with open(path, "a") as f:
        f.write(json.dumps(r) + "\n")


def summary(a):
    rows = []
    if os.path.isfile(a.results):
        with open(a.results) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        print("no results")
        return 1 if a.strict else 0

    def count(key, subset):
        return sum(1 for r in subset if r.get(key)), len(subset)

    content = [r for r in rows if r["detector"] == "content"]
    adaptive = [r for r in rows if r["detector"] == "adaptive"]
    jobs = rows[0].get("jobs", "N")
    lines = [
        ("content cut lists equal", count("cuts_equal", content)),
        ("adaptive cut lists equal", count("cuts_equal", adaptive)),
        (f"--jobs {jobs} equal to one pass", count("jobs_equal", rows)),
        ("first-scene start equal", count("first_equal", rows)),
        ("last scene's end equal (not a target: see docs/scenes.md#parity)", count("end_equal", rows)),
        (f"mean |Δcontent_val| <= {CONTENT_VAL_TARGET}", count("content_ok", rows)),
    ]
    print("== summary")
    missed = False
    for label, (n, m) in lines:
        missed |= n != m and "not a target" not in label
        print(f"  {label}: {n}/{m}")
    failed = [f"{r['name']} [{r['detector']}]" for r in rows if not (r["psd_ok"] and r["kb_ok"])]
    if failed:
        missed = True
        print(f"  runs with a tool failure: {len(failed)}: {', '.join(failed)}")
    timed = [r for r in rows if r.get("psd_seconds") and r.get("kb_seconds")]
    if timed:
        ps = sum(r["psd_seconds"] for r in timed)
        ks = sum(r["kb_seconds"] for r in timed)
        print(f"  speed: PySceneDetect {ps:.2f} s in process / kubench {ks:.2f} s = {ps / ks:.2f}x"
              f" over {len(timed)} runs")
        pp = sum(r.get("psd_process_seconds") or 0 for r in timed)
        if pp:
            print(f"  speed: PySceneDetect {pp:.2f} s whole process / kubench {ks:.2f} s = {pp / ks:.2f}x")
    return 1 if (a.strict and missed) else 0


def main():
    p = argparse.ArgumentParser(description="scenes_vs_pyscenedetect.sh's comparison helper")
    sub = p.add_subparsers(dest="cmd", required=True)
    one = sub.add_parser("one")
    one.add_argument("--name", required=True)
    one.add_argument("--detector", required=True)
    one.add_argument("--psd", required=True)
    one.add_argument("--kb", required=True)
    one.add_argument("--kb-stats", required=True)
    one.add_argument("--kb-jobs", required=True)
    one.add_argument("--jobs", type=int, default=3)
    one.add_argument("--kb-seconds", type=float, default=0.0)
    one.add_argument("--psd-process-seconds", type=float, default=0.0)
    one.add_argument("--decode-seconds", type=float, default=0.0)
    one.add_argument("--results", required=True)
    s = sub.add_parser("summary")
    s.add_argument("results")
    s.add_argument("--strict", action="store_true")
    a = p.parse_args()
    if a.cmd == "one":
        compare_one(a)
        return 0
    return summary(a)


if __name__ == "__main__":
    sys.exit(main())
