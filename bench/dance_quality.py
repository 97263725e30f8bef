"""Dance quality (issue 16): cpu-small on the shared motion-capture takes, each figure beside the corpus's own.

The takes (``../shared/data/bandai-motion-2/bvh``, CC BY-NC: read here at bench time, never copied into
the repository) are imported as a user's folder would be, cpu-small trains through the app's
TrainingSession for ``--minutes`` of this process's CPU time (the machine is shared: CPU time is the
fair budget; the load average is printed beside it), and 256 clips of EMA-G are decoded as the app
decodes them and measured with metrics.py against the whole corpus.

Targets: foot skating and jerk within 20 % of the corpus's; the kinematic Fréchet distance below that
of a baseline measured in the same run, the nearest-neighbour-shuffled one: each sample's nearest
training window with its frames in a random order (real poses, no real movement), so a G that only
learnt poses does not pass; copy rate under 2 %.  Joint-limit violations and diversity are printed
beside the corpus's without a target.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import load, quality_parser, train_for  # noqa: E402

SAMPLES = 256
SAMPLE_SEED_BASE = 2_000_000  # far from the gallery's and the session's metric seeds
CLOCKS = {"cpu": time.process_time, "wall": time.monotonic}
RATIO_TOLERANCE = 0.20
COPY_LIMIT = 0.02
DEFAULT_TAKES = Path(__file__).resolve().parents[2] / "shared" / "data" / "bandai-motion-2" / "bvh"


def sample_motions(session, count: int = SAMPLES) -> list:
    from studio.core.latent import seeds_to_z

    trainer = session.trainer
    z = seeds_to_z(list(range(SAMPLE_SEED_BASE, SAMPLE_SEED_BASE + count)), trainer.preset.z_dim)
    return session.domain.decode(trainer.generate(z), trainer.model_context())


def shuffled_baseline(motions: list, corpus, seed: int = 0) -> list:
    """Each sample's nearest training window with its frames shuffled in time."""
    from studio.domains.dance.skeleton import Motion

    neighbours = session_domain().nearest_training(motions, corpus)
    rng = np.random.default_rng(seed)
    out = []
    for n in neighbours:
        m = n.item
        order = rng.permutation(m.frames)
        translations = m.translations[order] if m.translations is not None else None
        out.append(Motion(m.skeleton, m.frame_time, m.rotations[order], m.root_positions[order], translations))
    return out


def session_domain():
    from studio.domains.dance import DOMAIN

    return DOMAIN


def main() -> None:
    import torch

    from studio.core.session import TrainingSession
    from studio.domains.dance.domain import kinematics, reference_for
    from studio.domains.dance.metrics import dance_metrics

    p = quality_parser(__doc__, "nothing (the takes are read where they lie)")
    p.add_argument("--takes", type=Path, default=DEFAULT_TAKES, help="the folder of BVH takes")
    p.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="an import option")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a preset setting (ema_beta=0.999) or a net setting (net.d_jerk=2), to try a change")
    args = p.parse_args()
    if not args.takes.is_dir():
        sys.exit(f"{args.takes}: no such folder (the shared motion-capture takes)")
    domain = session_domain()
    asked = {k: _value(v) for k, v in (o.split("=", 1) for o in args.option)}
    preset = domain.presets[args.preset]
    overrides = {"import_options": {**preset.import_options, **asked}}
    for key, text in (s.split("=", 1) for s in args.set):
        if key.startswith("net."):
            overrides["net"] = {**overrides.get("net", preset.net), key[4:]: _value(text)}
        else:
            overrides[key] = _value(text)
    if args.set:
        print(f"settings: {args.set}")
    run_dir = Path(tempfile.mkdtemp(prefix="gan-studio-dance-")) / "run"
    session = TrainingSession.create(run_dir, domain, args.takes, preset=args.preset, steps=10**8, seed=0,
                                     device="cpu", overrides=overrides if args.option or args.set else None)
    corpus = session.corpus
    print(f"corpus: {corpus.report.summary()}; windows of {corpus.meta['frames']} frames at {corpus.meta['fps']:g} fps")
    reference, _ = reference_for(corpus)
    print(f"start: {load()}", flush=True)
    began = time.monotonic()
    run = train_for(session, args.minutes, lambda s: None, clock=CLOCKS[args.clock])
    print(f"trained {args.preset} for {run.seconds / 60:.2f} min of {args.clock} time "
          f"({(time.monotonic() - began) / 60:.1f} min of wall clock): {run.steps} steps, "
          f"{torch.get_num_threads()} torch thread(s)")
    print(f"end:   {load()}")
    motions = sample_motions(session)
    fake = dance_metrics(kinematics(motions, corpus.meta), reference)
    base = dance_metrics(kinematics(shuffled_baseline(motions, corpus), corpus.meta), reference)
    real = reference.values
    checks = {
        "skate": abs(fake["skate"] / real["skate"] - 1) <= RATIO_TOLERANCE,
        "jerk": abs(fake["jerk"] / real["jerk"] - 1) <= RATIO_TOLERANCE,
        "fd": fake["fd"] < base["fd"],
        "copy_rate": fake["copy_rate"] < COPY_LIMIT,
    }
    targets = {"skate": "within 20 %", "jerk": "within 20 %", "fd": "< baseline", "copy_rate": "< 2 %"}
    print("\n| figure | samples | corpus | NN-shuffled baseline | target | pass |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key in ("skate", "jerk", "limits", "fd", "diversity", "copy_rate"):
        verdict = ("yes" if checks[key] else "NO") if key in checks else ""
        print(f"| {key} | {fake[key]:.4g} | {real[key]:.4g} | {base[key]:.4g} | {targets.get(key, '')} | {verdict} |")
    print(f"\n{'PASS' if all(checks.values()) else 'FAIL'}: {sum(checks.values())} of {len(checks)} targets met")


def _value(text: str):
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


if __name__ == "__main__":
    main()
