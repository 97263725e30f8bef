"""Music import on real folders (issue 14): files imported, layouts, grid, roles; and how often pick-ups are found.

For each corpus named (bench/music_corpora.py writes them as MIDI into a
cache folder outside the repository), the folder is imported with
cpu-small's options and the bench prints the share of files imported (target
>= 95 %), the reasons for the rest, the layouts with their phrases and
files, the grid chosen with each candidate's onset loss, and the roles used.

``--pickups N`` also checks the bar-line phase the importer finds
(metres.py) against music21's own measures on the first N songs of four
small Essen collections, written here without padding as notation programs
export them, and on the chorales (whose pick-ups the chorale converter pads,
so their true phase is 0).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import load  # noqa: E402
from music_corpora import CORPORA, Track, corpus_folder, part_notes, require_music21, score_metres  # noqa: E402
from music_corpora import write_midi as write_score_midi  # noqa: E402

PICKUP_COLLECTIONS = ("ballad10", "kinder0", "erk5", "ballad80")
PICKUP_VERSION = 1
IMPORTED_TARGET = 0.95


def import_report(folder: Path) -> tuple[float, list[str]]:
    """Imports ``folder`` with cpu-small's options; the share of files imported and the lines to print."""
    from studio.domains import get_domain

    domain = get_domain("music")
    started = time.perf_counter()
    corpus = domain.import_folder(folder, dict(domain.presets["cpu-small"].import_options))
    report, details = corpus.report, corpus.report.details
    share = len(report.imported) / max(1, report.files_seen)
    left_out = {s.path for s in report.skipped} - set(report.imported)
    reasons = Counter(s.reason.split(":")[0] for s in report.skipped if s.path in left_out)
    lines = [
        f"  {len(report.imported)} of {report.files_seen} files imported ({share:.1%}; target >= 95 %), "
        f"{report.items} phrases in {time.perf_counter() - started:.0f} s",
        f"  not imported: {dict(reasons.most_common(6)) or 'none'}",
        f"  grid: {details['grid']['steps_per_beat']} steps a beat; onsets lost per grid {details['grid'].get('loss')}",
        f"  roles {corpus.meta['roles']} (notes {corpus.meta['role_usage']}); metre track {corpus.meta['metre_track']}",
        "  layouts (metre, bars a phrase, phrases, files): "
        + ", ".join(f"{d['metre']} x{d['bars']} {d['phrases']}/{d['files']}" for d in details["layouts"]),
        f"  pick-ups found: {sum(any(r.startswith('pick-up') for r in f['remarks']) for f in details['files'].values())}"
        f" files; keys: {dict(list(details['keys'].items())[:4])} ...",
    ]
    return share, lines


def pickup_folder(cache: Path, per_collection: int) -> Path:
    """Essen songs as MIDI with their true first bar line (music21's first measure) in ``truth.json``."""
    folder = cache / f"essen-pickups-v{PICKUP_VERSION}-{per_collection}"
    if (folder / "truth.json").exists():
        return folder
    require_music21()
    from music21 import corpus, stream

    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for name in PICKUP_COLLECTIONS:
        for k, score in enumerate(corpus.parse(f"essenFolksong/{name}").scores):
            if k >= per_collection:
                break
            try:
                part = score.parts[0]
                first = part.getElementsByClass(stream.Measure)[0]
                bar, length = float(first.barDuration.quarterLength), float(first.duration.quarterLength)
                path = folder / f"{name}-{k:04d}.mid"
                write_score_midi([Track("song", None, part_notes(part))], score_metres(score), None, path)
            except (IndexError, AttributeError, ValueError) as exc:  # music21's reading of a song, not ours
                print(f"  {name} song {k}: not written ({exc})", flush=True)
                continue
            truth[path.name] = length if length < bar - 1e-6 else 0.0
    (folder / "truth.json").write_text(json.dumps(truth))
    return folder


def found_pickup(path: Path) -> float:
    """The pick-up (in quarters) the importer finds in one file, 0 when it keeps the header's bar lines."""
    from studio.domains.music.codec import RollOptions, cut_phrases, read_song

    cut = cut_phrases(read_song(path), RollOptions(roles="multi"))
    return next((float(r.split()[2]) for r in cut.remarks if r.startswith("pick-up of")), 0.0)


def pickup_check(cache: Path, per_collection: int) -> list[str]:
    folder = pickup_folder(cache, per_collection)
    truth = json.loads((folder / "truth.json").read_text())
    tally: Counter = Counter()
    for name, true in truth.items():
        found = found_pickup(folder / name)
        kind = "with a pick-up" if true else "without"
        tally[kind] += 1
        tally[kind + " right"] += abs(found - true) < 1e-6
    chorales = corpus_folder("chorales", cache)
    moved = [p.name for p in sorted(chorales.glob("*.mid")) if found_pickup(p)]
    right = tally["with a pick-up right"] + tally["without right"]
    return [
        f"  Essen ({len(truth)} songs of {', '.join(PICKUP_COLLECTIONS)}): first bar line right in {right} "
        f"({right / max(1, len(truth)):.1%}); songs with a pick-up {tally['with a pick-up right']}/"
        f"{tally['with a pick-up']}, without {tally['without right']}/{tally['without']}",
        f"  chorales (true phase 0): {len(moved)} of {len(list(chorales.glob('*.mid')))} moved {moved[:5]}",
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpora", nargs="*", default=["essen"], help=f"any of {', '.join(CORPORA)}")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "gan-studio-bench",
                   help="where the corpora's MIDI files are kept between runs (outside the repository)")
    p.add_argument("--pickups", type=int, default=0, metavar="N", help="check pick-ups on N songs per collection")
    args = p.parse_args()
    os.environ.setdefault("GAN_STUDIO_CACHE", tempfile.mkdtemp(prefix="gan-studio-import-bench-"))
    print(f"start: {load()}", flush=True)
    missed = []
    for name in args.corpora:
        source = CORPORA[name]
        print(f"{source.title} ({source.kind}):", flush=True)
        share, lines = import_report(source.folder(args.cache))
        print("\n".join(lines), flush=True)
        if share < IMPORTED_TARGET:
            missed.append(name)
    if args.pickups:
        print("bar lines found from the notes (metres.py):")
        print("\n".join(pickup_check(args.cache, args.pickups)))
    print(f"end: {load()}")
    print("files imported >= 95 %: " + ("met on every corpus" if not missed else f"MISSED on {', '.join(missed)}"))


if __name__ == "__main__":
    main()
