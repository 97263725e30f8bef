"""Does G keep to the metre it draws?  A check of the metre track (layout.py, nets.py) on a folder made here.

The folder holds tunes in 3/4 that move in quarter notes and tunes in 6/8
that move in eighths, one melody track each.  Both phrase lengths are four
bars (48 steps of the nets' 64), so only the metre track tells them apart.
cpu-small trains on it for ``--minutes`` of this process's CPU time (``--clock
wall`` for wall clock: the machine is shared); then clips of EMA-G,
decoded as the app decodes them, are grouped by the metre G drew and
compared with the corpus's phrases of that metre: how long their notes are,
how many start on the off-beat eighth (halfway through a quarter: never in
the 3/4 tunes, on every other note of the 6/8 ones) and how many notes a
bar holds.  A G that ignored its metre would give both groups the same
figures; the corpus's are far apart.  Beside them, whether D holds a
phrase to its metre: its logits for real phrases with their own metre track
against the same phrases given the other layout's track.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import load, train_for  # noqa: E402

SAMPLES = 512


def write_folder(folder: Path, tunes: int) -> Path:
    from studio.domains.music.demo import write_tune

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(tunes):
        write_tune(folder / f"waltz{i:03d}.mid", 3, 4, 16, rng)
        write_tune(folder / f"jig{i:03d}.mid", 6, 8, 16, rng)
    return folder


def figures(clips: list) -> dict[str, float]:
    """Mean note length (steps), share of onsets on the off-beat eighth, notes per bar."""
    from studio.domains.music.roll import track_notes

    notes = [n for clip in clips for n in track_notes(clip.roll[0], False)]
    bars = sum(clip.bars for clip in clips)
    if not notes:
        return {"length": float("nan"), "off-8th": float("nan"), "per bar": 0.0}
    spb = clips[0].steps_per_beat
    return {"length": float(np.mean([n.end - n.start for n in notes])),
            "off-8th": float(np.mean([n.start % spb == spb // 2 for n in notes])),
            "per bar": len(notes) / max(bars, 1e-9)}


def by_metre(clips: list) -> dict[str, list]:
    groups: dict[str, list] = {}
    for clip in clips:
        groups.setdefault(clip.metre_name, []).append(clip)
    return groups


def metre_check(session) -> tuple[float, float]:
    """D's mean logit margin of real phrases over the same notes under the other layout's metre track, and how
    often the true metre scores higher (0.5: D does not look at the metre)."""
    import torch

    from studio.domains.music.layout import layout_indices, layouts_of, structure_roll

    meta, trainer = session.corpus.meta, session.trainer
    rows = session.corpus.data[:256].numpy()
    layouts = layouts_of(meta)
    swapped = rows.copy()
    for i, k in enumerate(layout_indices(rows, meta)):
        other = (int(k) + 1) % len(layouts)
        swapped[i, -1] = structure_roll(layouts[other], other, rows.shape[2], rows.shape[3])
    D = trainer.D.eval()
    with torch.no_grad():
        true, wrong = (D(session.domain.real_batch(torch.from_numpy(r), meta, train=False).to(trainer.device))
                       for r in (rows, swapped))
    return float((true - wrong).mean()), float((true > wrong).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--tunes", type=int, default=40, help="tunes of each metre")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what --minutes counts")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    import torch

    from studio.core.session import TrainingSession
    from studio.domains import get_domain

    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "tunes", args.tunes)
        overrides = {"import_options": {"roles": "multi", "bars": 4, "steps_per_beat": 4}}
        session = TrainingSession.create(Path(tmp) / "run", get_domain("music"), folder, preset="cpu-small", steps=10**7,
                                         seed=0, device="cpu", overrides=overrides)
        meta = session.corpus.meta
        print(f"corpus: {len(session.corpus.data)} phrases, roles {meta['roles']}, layouts "
              f"{[(d['numerator'], d['denominator'], d['bars'], d['share']) for d in meta['layouts']]}", flush=True)

        def sample(s: TrainingSession) -> list:
            trainer = s.trainer
            z = torch.randn(SAMPLES, s.preset.z_dim, generator=torch.Generator().manual_seed(1))
            with torch.no_grad():
                out = trainer.G_ema(z.to(trainer.device))
            return s.domain.decode(out, trainer.model_context())

        run = train_for(session, args.minutes, sample,
                        clock=time.process_time if args.clock == "cpu" else time.monotonic)
        clips = run.snapshots[args.minutes]
        real = by_metre(session.domain.preview_items(session.corpus.data.numpy(), meta))
        fake = by_metre(clips)
        print(f"{run.steps} steps in {run.seconds / 60:.1f} min of {args.clock} time "
              f"({args.threads} torch thread(s)), {load()}")
        print(f"{'metre':6} {'clips':>6} | {'length':>13} | {'off-8th':>13} | {'per bar':>13}   (corpus / samples)")
        for name in sorted(real):
            r, f = figures(real[name]), figures(fake.get(name, []))
            count = len(fake.get(name, []))
            cells = " | ".join(f"{r[k]:5.2f} / {f[k]:5.2f}" for k in ("length", "off-8th", "per bar"))
            print(f"{name:6} {count:6d} | {cells}")
        margin, share = metre_check(session)
        print(f"D: real phrases score {margin:+.3f} above the same notes under the other metre, "
              f"higher in {share:.0%} of them")


if __name__ == "__main__":
    main()
