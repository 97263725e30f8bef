"""Dance import on real folders (issue 16): how fast takes are read, what the importer takes and leaves out.

For each folder given (the shared motion-capture takes by default, read in
place: they are never copied), every BVH file is read once with the
studio's reader, timed in this process's CPU seconds beside a baseline
measured in the same run (reading the bytes and parsing every number, the
least any reader must do), and the folder is imported with each preset's
import options into a scratch cache (a fresh import, no cache hit).  The
bench prints the takes' skeletons, rates and lengths, the files imported
(target: every take of a window's length or more), the reasons for the
rest, and how exactly the stored float16 windows turn back into motion
(window -> motion -> window, in feature units).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bandai-motion-2" / "bvh"


def read_speed(files: list[Path]) -> list[str]:
    from studio.domains.dance.bvh import BvhError, read_bvh

    started = time.process_time()
    for path in files:
        text = path.read_text("utf-8", errors="replace")
        np.array(text[text.find("Frame Time"):].split()[3:], dtype=np.float64)
    baseline = time.process_time() - started
    motions, failed = [], Counter()
    started = time.process_time()
    for path in files:
        try:
            motions.append(read_bvh(path))
        except BvhError as err:
            failed[str(err).split(":")[0]] += 1
    reader = time.process_time() - started
    megabytes = sum(p.stat().st_size for p in files) / 2**20
    frames = np.array([m.frames for m in motions]) if motions else np.zeros(1, int)
    return [
        f"  read {len(motions)} of {len(files)} files ({megabytes:.1f} MB) in {reader:.2f} CPU s "
        f"({megabytes / max(reader, 1e-9):.0f} MB/s); parsing the numbers alone {baseline:.2f} s "
        f"(reader / baseline {reader / max(baseline, 1e-9):.2f})",
        f"  not read: {dict(failed) or 'none'}",
        f"  joints {sorted({m.skeleton.joints for m in motions})}, skeletons (names and tree) "
        f"{len({m.skeleton.signature() for m in motions})}, offset sets "
        f"{len({m.skeleton.offsets.round(4).tobytes() for m in motions})}, rates "
        f"{dict(Counter(round(m.fps, 2) for m in motions))} fps",
        f"  frames min / median / max {frames.min()} / {int(np.median(frames))} / {frames.max()}, "
        f"{sum(m.frames / m.fps for m in motions) / 60:.1f} minutes in all",
    ]


def import_lines(folder: Path, preset: str, options: dict) -> list[str]:
    from studio.domains.dance.corpus import import_motion
    from studio.domains.dance.features import Rig, features_to_motion, motion_features

    started = time.process_time()
    corpus = import_motion(folder, options)
    spent = time.process_time() - started
    report = corpus.report
    left_out = {s.path for s in report.skipped} - set(report.imported)
    reasons = Counter(s.reason.split(",")[0].split(":")[0] if "shorter" not in s.reason else "shorter than a window"
                      for s in report.skipped if s.path in left_out)
    lines = [f"  {preset} {options}: {report.summary()} in {spent:.2f} CPU s, windows {tuple(corpus.data.shape)}",
             f"    not imported: {dict(reasons) or 'none'}"]
    if len(corpus.data):
        rig = Rig.from_dict(corpus.meta["rig"])
        rows = np.random.default_rng(0).choice(len(corpus.data), min(64, len(corpus.data)), replace=False)
        worst = 0.0
        for row in rows:
            window = np.asarray(corpus.data[row], np.float64)
            back = motion_features(features_to_motion(window, rig, corpus.meta["fps"]), rig)
            worst = max(worst, float(np.abs(back - window).max()))
        lines.append(f"    window -> motion -> window, {len(rows)} windows: largest difference {worst:.2e}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[SHARED])
    args = parser.parse_args()
    from studio.domains.dance.presets import PRESETS

    os.environ["GAN_STUDIO_CACHE"] = tempfile.mkdtemp(prefix="gan-studio-dance-bench-")
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores")
    for folder in args.folders:
        files = sorted(folder.rglob("*.bvh"))
        print(f"{folder}:")
        for line in read_speed(files):
            print(line)
        for name, preset in PRESETS.items():
            for line in import_lines(folder, name, dict(preset.import_options)):
                print(line)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min)")


if __name__ == "__main__":
    main()
