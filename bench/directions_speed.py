"""Seconds to find the steerable directions (core/directions.py) of each painting preset's generator on the CPU.

Target: "seconds on a CPU" -- under 5 s for every preset with the default
2,000 samples and 8 directions (only G's first block runs, so size hardly matters).  The time does not depend on training, so the
generators are freshly initialised; each is timed twice (the second run also
checks that the directions repeat exactly).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import load  # noqa: E402

from studio.core.directions import DEFAULT_SAMPLES, find_directions  # noqa: E402
from studio.domains import get_domain  # noqa: E402

TARGET_S = 5.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--presets", nargs="+", default=["cpu-32", "cpu-64", "gpu-128"])
    p.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    args = p.parse_args()
    painting = get_domain("painting")
    print(f"load {load()}  torch threads {torch.get_num_threads()}  samples {args.samples}")
    for name in args.presets:
        preset = painting.presets[name]
        torch.manual_seed(0)
        generator = painting.build_generator(preset, {}).eval().requires_grad_(False)
        times, found = [], []
        for _ in range(2):
            start = time.perf_counter()
            found.append(find_directions(generator, preset.z_dim, torch.device("cpu"), 0, samples=args.samples))
            times.append(time.perf_counter() - start)
        same = np.array_equal(found[0].vectors, found[1].vectors)
        verdict = "meets" if min(times) <= TARGET_S else "MISSES"
        print(f"{name:8s} {min(times):6.2f} s (target {TARGET_S:g} s: {verdict})  "
              f"repeats exactly: {same}  variance share of 8: {found[0].share.sum():.1%}")


if __name__ == "__main__":
    main()
