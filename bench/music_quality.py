"""Music quality (issues 3 and 14): cpu-small on several public corpora against each corpus's own figures.

The corpora come from music21's collection, written as MIDI into a cache
folder outside the repository as a notation program would export them
(music_corpora.py): Bach's chorales (four voices, 4/4), Essen folk songs
(one melody track, no program, many metres), Beethoven's string quartets and
Haydn's and Mozart's quartets (a track per instrument, metre changes).  For
each corpus, one after the other (``--corpora`` picks some), the studio
imports the folder as a user would (its own grid, metres and roles), then
cpu-small trains through the app's TrainingSession for ``--minutes`` of this
process's CPU time (``--clock wall`` for wall clock; the machine is shared, so
CPU time is the fair budget, and the load average is printed beside it), and
256 clips of EMA-G, decoded as the app decodes them with the run's fitted
options, are scored beside the corpus's phrases.  Every figure is computed from the note rolls
alone (metrics.py: never the metre track).

Targets (issue 14), per corpus: at least 95 % of files imported; SC, the
share of notes in the clip's key, within 3 points; NA (notes sounding at
once) and LP (melodic leaps over a fifth) within 20 % of the corpus; UR, notes
in roles the corpus never plays, 0; BR, bar-to-bar repetition, no higher
than the corpus's (a point of slack for the noise of 256 clips, which
matters where a corpus never repeats a bar).  UPC, QN(8th), PP, LD and OD
(rhythm by metre: where in the bar notes start, per layout) are shown beside
them; for a folder of several metres each common layout's onset distance is
printed too, beside the distance to another layout of the same bar length
(a G that ignored its metre would be as near the other as its own).

The chorales keep issue 3's targets too: QN(8th), UPC, PP and PP(all)
within 10 % of the corpus, EB within 5 points.  QN(8th) is the share of notes
at least an 8th long (on a 16th-note grid every note reaches MuseGAN's
32nd, so QN itself says nothing there); PP(all) is the polyphony of all
pitched tracks together (no chorale track holds more than two voices, so
PP is 0 and a sample passes with at most 1 % of steps over two pitches).
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import load, quality_parser, train_for  # noqa: E402
from music_corpora import CORPORA, corpus_folder  # noqa: E402

SAMPLES = 256
CLOCKS = {"cpu": time.process_time, "wall": time.monotonic}
SAMPLE_SEED_BASE = 2_000_000  # far from the gallery's and the session's metric seeds
IMPORTED_SHARE = 0.95
SCALE_POINTS = 0.03
TEXTURE_TOLERANCE = 0.20  # NA and LP
CHORALE_TOLERANCE = 0.10  # issue 3: UPC, PP, PP(all), QN(8th)
EB_POINTS = 0.05
ZERO_TOLERANCE = 0.01  # a relative target whose corpus value is 0: a point either way instead; BR's slack
SHOWN = ("files", "UPC", "QN(8th)", "PP", "NA", "SC", "LP", "LD", "BR", "OD", "UR")
RHYTHM_SHARE = 0.05  # layouts of at least this share of the phrases get their own rhythm line
CHORALE_SHOWN = ("EB", "PP(all)", "TD")


@dataclass
class Outcome:
    """One corpus's figures and verdicts."""

    name: str
    imported: int
    seen: int
    real: dict[str, float] = field(default_factory=dict)
    fake: dict[str, float] = field(default_factory=dict)
    verdicts: dict[str, bool] = field(default_factory=dict)
    steps: int = 0


# ------------------------------------------------------------------ scores
def sample_rolls(session: Any, count: int = SAMPLES, options: dict[str, Any] | None = None) -> np.ndarray:
    """``count`` binary rolls from EMA-G, decoded as the app decodes them (with G's metre track, for the bars),
    with ``options`` or else the decode options the run fitted when it stopped (none before then)."""
    from studio.core.latent import seeds_to_z

    trainer = session.trainer
    output = trainer.generate(seeds_to_z(list(range(SAMPLE_SEED_BASE, SAMPLE_SEED_BASE + count)),
                                         trainer.preset.z_dim))
    chosen = dict(session.decode_defaults) if options is None else options
    return session.domain.sample_rows(output, chosen, trainer.corpus.meta)


def figures(rolls: np.ndarray, meta: dict[str, Any], profile: dict[str, list]) -> dict[str, float]:
    """metrics.py's figures plus the stand-ins QN(8th) and PP(all) (see the module docstring)."""
    from studio.domains.music.layout import note_rolls
    from studio.domains.music.metrics import music_metrics, polyphony, qualified_notes
    from studio.domains.music.roll import DRUMS

    out = music_metrics(rolls, meta, profile)
    notes = note_rolls(np.asarray(rolls) > 0, meta)
    pitched = [t for t, role in enumerate(meta["roles"]) if role != DRUMS]
    eighth = max(1, int(meta["steps_per_beat"]) // 2)
    values = [v for v in (qualified_notes(notes[:, t], eighth) for t in pitched) if np.isfinite(v)]
    if values:
        out["QN(8th)"] = float(np.mean(values))
    texture = polyphony(notes[:, pitched].any(axis=1))
    if np.isfinite(texture):
        out["PP(all)"] = texture
    return out


def within(real: float, fake: float, tolerance: float) -> bool:
    """``fake`` within ``tolerance`` of ``real`` relatively (a point either way when ``real`` is 0)."""
    if real == 0:
        return abs(fake) <= ZERO_TOLERANCE
    return abs(fake - real) / abs(real) <= tolerance


def judge(name: str, imported: int, seen: int, real: dict[str, float], fake: dict[str, float]) -> dict[str, bool]:
    """Issue 14's targets for every corpus, and issue 3's for the chorales (a missing figure fails)."""

    def both(key: str) -> tuple[float, float]:
        return real.get(key, math.nan), fake.get(key, math.nan)

    out = {"files imported >= 95 %": seen > 0 and imported / seen >= IMPORTED_SHARE}
    r, f = both("SC")
    out["SC within 3 points"] = abs(f - r) <= SCALE_POINTS
    for key in ("NA", "LP"):
        r, f = both(key)
        out[f"{key} within 20 %"] = within(r, f, TEXTURE_TOLERANCE)
    out["UR = 0 (no notes in unused roles)"] = fake.get("UR", 0.0) == 0.0
    r, f = both("BR")
    out["BR no higher than the corpus (+1 point)"] = f <= r + ZERO_TOLERANCE
    if name == "chorales":
        for key in ("UPC", "PP", "PP(all)", "QN(8th)"):
            r, f = both(key)
            out[f"{key} within 10 % (issue 3)"] = within(r, f, CHORALE_TOLERANCE)
        r, f = both("EB")
        out["EB within 5 points (issue 3)"] = abs(f - r) <= EB_POINTS
    return out


def gap(key: str, real: float, fake: float) -> str:
    if key in ("SC", "EB", "UR", "LD", "BR", "OD") or real == 0:
        return f"{(fake - real) * 100:+.1f} pts"
    return f"{(fake - real) / abs(real) * 100:+.1f} %"


# ------------------------------------------------------------------ one corpus
def import_summary(report: Any) -> tuple[int, int]:
    """Prints files imported / seen and the reasons for the rest; returns (imported, seen)."""
    imported, seen = len(report.imported), int(report.files_seen)
    share = imported / seen if seen else 0.0
    print(f"  files imported: {imported} / {seen} ({share:.1%}); {len(report.skipped)} skip lines")
    taken = set(report.imported)
    reasons = Counter(s.reason for s in report.skipped if s.path not in taken)
    parts = Counter(s.reason for s in report.skipped if s.path in taken)
    for title, counts in (("files left out", reasons), ("parts of imported files left out", parts)):
        for reason, count in counts.most_common(8):
            print(f"    {title}: {count} x {reason[:110]}")
    for key in ("grid", "files_per_metre", "layouts", "roles_used", "roles_dropped"):
        if key in report.details:
            print(f"  {key}: {str(report.details[key])[:300]}")
    return imported, seen


def bench_corpus(name: str, args: argparse.Namespace) -> Outcome:
    import torch

    from studio.core.session import TrainingSession
    from studio.domains import get_domain
    from studio.domains.music.metrics import corpus_profile

    source = CORPORA[name]
    print(f"\n=== {name}: {source.title} ({source.kind}) ===", flush=True)
    folder = corpus_folder(name, args.cache)
    run_dir = Path(tempfile.mkdtemp(prefix=f"gan-studio-music-{name}-")) / "run"
    session = TrainingSession.create(run_dir, get_domain("music"), folder, preset=args.preset, steps=10**8, seed=0, device="cpu")
    corpus = session.corpus
    meta = corpus.meta
    imported, seen = import_summary(corpus.report)
    data = corpus.data.numpy()
    profile = corpus_profile(data, meta)
    real = figures(data, meta, profile)
    print(f"  corpus: {corpus.report.items} phrases; roles {meta['roles']}, {meta['steps_per_beat']} steps a beat, "
          f"{len(meta.get('layouts') or [1])} layout(s){', metre track' if meta.get('metre_track') else ''}")
    print(f"  start: {load()}", flush=True)
    began = time.monotonic()
    run = train_for(session, args.minutes, sample_rolls, clock=CLOCKS[args.clock])
    print(f"  trained {args.preset} for {run.seconds / 60:.2f} min of {args.clock} time "
          f"({(time.monotonic() - began) / 60:.1f} min of wall clock, the decoding fit included): {run.steps} steps "
          f"({run.steps / max(run.seconds, 1e-9):.2f} steps/s, {torch.get_num_threads()} torch thread(s))")
    print(f"  end:   {load()}")
    fake_rows = run.snapshots[args.minutes]
    fake = figures(fake_rows, meta, profile)
    if session.decode_defaults:
        plain = figures(sample_rolls(session, options={}), meta, profile)
        print(f"  fitted decoding {session.decode_defaults}; without it: "
              + ", ".join(f"{k} {plain[k]:.3f}" for k in ("NA", "SC", "LP", "BR", "UPC", "OD") if k in plain))
    rhythm_by_metre(data, fake_rows, meta, profile)
    outcome = Outcome(name, imported, seen, real, fake, judge(name, imported, seen, real, fake), run.steps)
    print_corpus(outcome)
    return outcome


def rhythm_by_metre(real_rows: np.ndarray, fake_rows: np.ndarray, meta: dict[str, Any],
                    profile: dict[str, list]) -> None:
    """Per common layout: the samples' onset distance to the corpus's phrases of that layout, and to those of
    the nearest other layout with bars as long (3/4 beside 6/8)."""
    from studio.domains.music.layout import layout_indices, layouts_of, note_rolls
    from studio.domains.music.metrics import onset_distances, onset_positions

    layouts = layouts_of(meta)
    if len(layouts) < 2:
        return
    real_of, fake_of = (layout_indices(np.asarray(r) > 0, meta) for r in (real_rows, fake_rows))
    counts = onset_positions(note_rolls(np.asarray(fake_rows) > 0, meta), meta, fake_of)
    own = onset_distances(counts, profile["onsets"])
    print("  rhythm by metre (onset-position distance, samples to corpus):")
    for k, layout in enumerate(layouts):
        share = float(np.mean(real_of == k))
        if share < RHYTHM_SHARE:
            continue
        line = f"    {layout.name} x{layout.bars}: {share:.0%} of phrases, {int(np.sum(fake_of == k))} clips, OD {own[k]:.3f}"
        same = [j for j, other in enumerate(layouts) if j != k and other.bar_steps == layout.bar_steps
                and len(profile["onsets"][j]) and np.sum(profile["onsets"][j])]
        if same:
            j = max(same, key=lambda j: float(np.sum(profile["onsets"][j])))
            swapped = onset_distances([counts[k]], [profile["onsets"][j]])[0]
            between = onset_distances([np.asarray(profile["onsets"][k])], [profile["onsets"][j]])[0]
            line += (f"; to {layouts[j].name} x{layouts[j].bars}'s corpus rhythm {swapped:.3f} "
                     f"(the two corpus rhythms differ by {between:.3f})")
        print(line)


def print_corpus(outcome: Outcome) -> None:
    print(f"  {'figure':10s} {'corpus':>8s} {'samples':>8s} {'gap':>10s}")
    for key in SHOWN[1:] + (CHORALE_SHOWN if outcome.name == "chorales" else ()):
        r, f = outcome.real.get(key), outcome.fake.get(key)
        shown = [f"{v:8.3f}" if v is not None else f"{'-':>8s}" for v in (r, f)]
        print(f"  {key:10s} {shown[0]} {shown[1]} {gap(key, r, f) if None not in (r, f) else '':>10s}")
    for target, ok in outcome.verdicts.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {target}")


def print_final(outcomes: list[Outcome]) -> None:
    """One row per figure, one column per corpus: corpus / samples."""
    print("\nfinal table (corpus / samples; * = a target missed)")
    width = 19
    print(f"{'':10s}" + "".join(f"{o.name:>{width}s}" for o in outcomes))
    for key in SHOWN:
        cells = []
        for o in outcomes:
            if key == "files":
                mark = "" if o.verdicts["files imported >= 95 %"] else "*"
                cells.append(f"{o.imported}/{o.seen}{mark}")
                continue
            r, f = o.real.get(key), o.fake.get(key)
            missed = any(not ok for t, ok in o.verdicts.items() if t.split()[0] == key)
            cells.append("-" if r is None or f is None else f"{r:.3f}/{f:.3f}{'*' if missed else ''}")
        print(f"{key:10s}" + "".join(f"{c:>{width}s}" for c in cells))
    print(f"{'steps':10s}" + "".join(f"{o.steps:>{width}d}" for o in outcomes))
    failed = [f"{o.name}: {t}" for o in outcomes for t, ok in o.verdicts.items() if not ok]
    print("targets: " + ("all met" if not failed else "MISSED " + "; ".join(failed)))


def main() -> None:
    p = quality_parser(__doc__, "the corpora's MIDI files")
    p.add_argument("--corpora", nargs="+", choices=list(CORPORA), default=list(CORPORA),
                   help="which corpora, in this order (default: all)")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--clock", choices=list(CLOCKS), default="cpu",
                   help="what --minutes counts: this process's CPU time (default) or wall clock")
    args = p.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"music quality: {', '.join(args.corpora)}; {args.minutes:g} {args.clock} min of {args.preset} each; "
          f"{torch.get_num_threads()} torch thread(s); {load()}")
    outcomes = [bench_corpus(name, args) for name in args.corpora]
    print_final(outcomes)
    print(f"finished: {load()}")


if __name__ == "__main__":
    main()
