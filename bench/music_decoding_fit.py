"""The decoding fit (studio/domains/music/calibration.py) on trained music runs: issue 14's figures before and after.

For each run folder given (for example the runs bench/music_quality.py
leaves under /tmp, whose data folders are the cached public corpora), the
run is reopened at its newest checkpoint, its decoding is fitted as the
session fits it when training stops (on one torch thread, timed), and the
same 256 clips of EMA-G that music_quality.py scores are decoded twice: as
before (no options) and with the fitted options.  Printed per run: the fit,
its time, and corpus / plain / fitted for NA, SC, LP, BR (the figures the fit
aims at) and LD, OD, UPC, QN(8th), EB (what it may disturb), with issue 14's
verdicts for the targeted four.  Training is not repeated, so the models
are exactly the ones measured before and their step counts are kept.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import load  # noqa: E402
from music_quality import SCALE_POINTS, TEXTURE_TOLERANCE, ZERO_TOLERANCE, figures, sample_rolls, within  # noqa: E402

SHOWN = ("NA", "SC", "LP", "BR", "LD", "OD", "UPC", "QN(8th)", "EB")


def verdict(key: str, real: float, fake: float) -> str:
    if key == "SC":
        return "PASS" if abs(fake - real) <= SCALE_POINTS else "FAIL"
    if key in ("NA", "LP"):
        return "PASS" if within(real, fake, TEXTURE_TOLERANCE) else "FAIL"
    if key == "BR":
        return "PASS" if fake <= real + ZERO_TOLERANCE else "FAIL"
    return ""


def fit_run(run: Path) -> None:
    from studio.core.latent import seeds_to_z
    from studio.core.session import TrainingSession
    from studio.domains import get_domain
    from studio.domains.music.metrics import corpus_profile

    session = TrainingSession.open(run, get_domain, device="cpu")
    trainer, corpus = session.trainer, session.corpus
    meta = corpus.meta
    print(f"\n=== {run} at step {trainer.step}: roles {meta['roles']}, voices {meta.get('voices')} ===", flush=True)
    started = time.monotonic()
    fitted = session.domain.calibrate_decoding(lambda seeds: trainer.generate(seeds_to_z(seeds, trainer.preset.z_dim)),
                                               corpus, trainer.model_context())
    print(f"  fitted {fitted or 'nothing'} in {time.monotonic() - started:.1f} s; {load()}", flush=True)
    data = corpus.data.numpy()
    profile = corpus_profile(data, meta)
    real = figures(data, meta, profile)
    plain = figures(sample_rolls(session, options={}), meta, profile)
    fit = figures(sample_rolls(session, options=fitted), meta, profile)
    print(f"  {'figure':8s} {'corpus':>8s} {'plain':>8s} {'fitted':>8s}")
    for key in SHOWN:
        if key in real and key in plain and key in fit:
            before, after = verdict(key, real[key], plain[key]), verdict(key, real[key], fit[key])
            print(f"  {key:8s} {real[key]:8.3f} {plain[key]:8.3f} {fit[key]:8.3f}  {before:4s} -> {after}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="music run folders (each with checkpoints)")
    args = p.parse_args()

    import torch

    torch.set_num_threads(1)
    print(f"music decoding fit on {len(args.runs)} run(s); {load()}")
    for run in args.runs:
        fit_run(run)


if __name__ == "__main__":
    main()
