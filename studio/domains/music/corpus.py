"""Turns a folder of MIDI files into one phrases x tracks x steps x pitches uint8 tensor, and says what it left out.

MIDI found in the wild is messy: type 2 files, SMPTE timing, 0/4 time
signatures, hour-long improvisations, files cut short by a download, audio
renamed to ``.mid``.  Each file either gives phrases or one line in the
report naming its problem (sections read differently or left out get lines
of their own); nothing here raises for a bad file.

The import reads every file once, tallying what each grid would lose of its
onsets (grid.py), then cuts phrases on the chosen grid.  Only then is the
folder's shape known: the roles it uses (a folder of tunes is melody
alone), its layouts (one per metre and phrase length, layout.py) and
whether it needs the metre track.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.core.domain import CancelFn, Corpus, ImportCancelled, ImportReport, ProgressFn
from studio.core.folder_import import FileProblem, FolderRecipe, Listing, Reading, import_with
from studio.domains.music.codec import (
    AUTO,
    MidiProblem,
    PhraseCut,
    RollOptions,
    Song,
    choose_programs,
    cut_phrases,
    read_song,
)
from studio.domains.music.grid import GridTally
from studio.domains.music.keys import key_name
from studio.domains.music.layout import MAX_LAYOUTS, Layout, structure_roll
from studio.domains.music.metrics import corpus_metrics
from studio.domains.music.roll import DRUMS
from studio.domains.music.voices import shortest_notes, track_voices

if TYPE_CHECKING:
    import torch

DOMAIN = "music"
IMPORTER_VERSION = 6
"""Part of the cache key: bump it when the rolls an import produces change."""
MIDI_SUFFIXES = frozenset({".mid", ".midi", ".smf", ".kar", ".rmi"})
MAX_CORPUS_BYTES = 1 << 30
"""The corpus tensor stays under this; later files are reported as left out."""


def _max_phrases(options: dict[str, Any], opts: RollOptions) -> int:
    tracks = len(opts.role_names) + 1  # room for the metre track
    by_memory = MAX_CORPUS_BYTES // (tracks * opts.phrase_steps * opts.pitches)
    return int(min(by_memory, options.get("max_phrases", by_memory)))


def _checked_options(options: dict[str, Any]) -> tuple[RollOptions, bool]:
    """The options with a placeholder grid when it is "auto" (so bad options fail before any file is read)."""
    auto = options.get("steps_per_beat", AUTO) == AUTO
    return RollOptions.from_dict({**options, "steps_per_beat": 4 if auto else options["steps_per_beat"]}), auto


@dataclass
class _FileCut:
    path: Path
    song: Song
    cut: PhraseCut


def _cut_all(songs: list[tuple[Path, Song]], opts: RollOptions, limit: int, report: ImportReport,
             cancel: CancelFn | None) -> list[_FileCut]:
    """Each song's phrases (at most ``limit`` in all); what a file could not give goes to the report."""
    taken, count = [], 0
    for path, song in songs:
        if cancel is not None and cancel():
            raise ImportCancelled("import cancelled")
        if count >= limit:
            report.skip(path, f"left out: the corpus is full ({limit} phrases)")
            continue
        try:
            cut = cut_phrases(song, opts)
        except MemoryError:
            report.skip(path, "too large to cut in the available memory")
            continue
        except Exception as err:  # see _read_all
            report.skip(path, f"could not be cut into phrases ({type(err).__name__}: {err})")
            continue
        for part in cut.skipped_parts:
            report.skip(path, part)
        if cut.reason:
            report.skip(path, cut.reason)
            continue
        keep = limit - count
        cut.rolls, cut.layouts, cut.tempos = cut.rolls[:keep], cut.layouts[:keep], cut.tempos[:keep]
        count += len(cut.rolls)
        taken.append(_FileCut(path, song, cut))
    return taken


def _folder_layouts(taken: list[_FileCut], report: ImportReport) -> list[tuple[Layout, int]]:
    """The folder's layouts with their phrase counts, most common first, at most MAX_LAYOUTS (the rest left out)."""
    counts = Counter(layout for item in taken for layout in item.cut.layouts)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].numerator * 64 // kv[0].denominator, kv[0].name))
    kept, dropped = ranked[:MAX_LAYOUTS], {layout for layout, _ in ranked[MAX_LAYOUTS:]}
    if dropped:
        for item in taken:
            out = {k for k, layout in enumerate(item.cut.layouts) if layout in dropped}
            if not out:
                continue
            names = sorted({item.cut.layouts[k].name for k in out})
            report.skip(item.path, f"{len(out)} phrases in {', '.join(names)} left out: the folder has more than "
                                   f"{MAX_LAYOUTS} metres and phrase lengths, and these are among the rarest")
            inside = [k for k in range(len(item.cut.layouts)) if k not in out]
            item.cut.rolls = [item.cut.rolls[k] for k in inside]
            item.cut.layouts = [item.cut.layouts[k] for k in inside]
            item.cut.tempos = [item.cut.tempos[k] for k in inside]
    return kept


def role_usage(rolls: list[np.ndarray], roles: tuple[str, ...]) -> dict[str, int]:
    """Notes each role plays over the phrases (a note is a run of on-cells; a drum hit is one cell)."""
    usage = dict.fromkeys(roles, 0)
    for roll in rolls:
        on = roll > 0
        for t, role in enumerate(roles):
            starts = on[t] if role == DRUMS else on[t] & ~np.vstack([np.zeros_like(on[t][:1]), on[t][:-1]])
            usage[role] += int(starts.sum())
    return usage


def _assemble(taken: list[_FileCut], roles: list[int], layouts: list[Layout], opts: RollOptions) -> np.ndarray:
    """N x tracks x steps x pitches: the used roles' tracks, then the metre track when there are several layouts."""
    index = {layout: k for k, layout in enumerate(layouts)}
    metre = len(layouts) > 1
    n = sum(len(item.cut.rolls) for item in taken)
    array = np.zeros((n, len(roles) + metre, opts.phrase_steps, opts.pitches), dtype=np.uint8)
    row = 0
    for item in taken:
        for roll, layout in zip(item.cut.rolls, item.cut.layouts):
            array[row, : len(roles)] = roll[roles]
            if metre:
                array[row, -1] = structure_roll(layout, index[layout], opts.phrase_steps, opts.pitches)
            row += 1
    return array


def _meta(opts: RollOptions, roles: list[str], tempos: list[float], programs: dict[str, Counter]) -> dict[str, Any]:
    return {
        "steps_per_beat": opts.steps_per_beat,
        "bars": opts.bars,
        "steps": opts.phrase_steps,
        "lowest": opts.lowest,
        "pitches": opts.pitches,
        "roles": roles,
        "programs": choose_programs(roles, programs),
        "tempo": round(float(statistics.median(tempos)), 2) if tempos else 120.0,
        "transpose": opts.transpose,
        "key_normalised": opts.key == "normalise",  # every phrase moved to C major / A minor at import
    }


def import_midi(
    folder: str | Path,
    options: dict[str, Any],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Corpus:
    """Imports every MIDI file under ``folder`` as phrases (see :class:`RollOptions` for ``options``).

    ``steps_per_beat`` may be "auto" (the default): the grid that loses the
    fewest onsets (grid.py).  The shared routine (core/folder_import.py) walks,
    caches and reports; ``ValueError`` for bad options, before any file is read.
    """
    checked, auto = _checked_options(options)
    key = {**checked.to_dict(), "steps_per_beat": AUTO if auto else checked.steps_per_beat,
           "max_phrases": options.get("max_phrases"), "importer_version": IMPORTER_VERSION}
    tally = GridTally() if auto else None

    def read(path: Path, reading: Reading) -> Song:
        """One song, tallying its onsets for the grid choice on the way."""
        try:
            song = read_song(path)
        except MidiProblem as err:
            raise FileProblem(str(err)) from err
        if tally is not None:
            tally.add(song)
        return song

    def assemble(songs: list[tuple[Path, Song]], report: ImportReport,
                 listing: Listing) -> "tuple[torch.Tensor, dict[str, Any]]":
        return _phrases(songs, report, listing, options, checked.steps_per_beat, tally, cancel)

    return import_with(folder, FolderRecipe(DOMAIN, MIDI_SUFFIXES, key, read, assemble), progress, cancel)


def _phrases(songs: list[tuple[Path, Song]], report: ImportReport, listing: Listing, options: dict[str, Any],
             given_grid: int, tally: GridTally | None,
             cancel: CancelFn | None) -> "tuple[torch.Tensor, dict[str, Any]]":
    """The songs cut into phrases on the chosen grid, as one tensor and the folder's description."""
    import torch

    folder, others, auto = listing.folder, listing.passed_over, tally is not None
    grid = tally.choice() if tally is not None else given_grid
    opts = RollOptions.from_dict({**options, "steps_per_beat": grid})
    limit = _max_phrases(options, opts)
    taken = _cut_all(songs, opts, limit, report, cancel)
    ranked = _folder_layouts(taken, report)
    taken = [item for item in taken if item.cut.rolls]
    layouts = [layout for layout, _ in ranked]
    all_rolls = [roll for item in taken for roll in item.cut.rolls]
    usage = role_usage(all_rolls, opts.role_names)
    used = [t for t, role in enumerate(opts.role_names) if usage[role]] if all_rolls else list(range(len(usage)))
    roles = [opts.role_names[t] for t in used]
    array = _assemble(taken, used, layouts, opts)

    programs: dict[str, Counter] = defaultdict(Counter)
    tempos: list[float] = []
    per_file: dict[str, dict[str, Any]] = {}
    files_per_metre: Counter = Counter()
    keys: Counter = Counter()
    for item in taken:
        cut, rel = item.cut, str(item.path.relative_to(folder))
        report.imported.append(str(item.path))
        tempos += cut.tempos
        for role, counter in cut.programs.items():
            programs[role].update(counter)
        metres = sorted({layout.name for layout in cut.layouts})
        files_per_metre.update(metres)
        keys[key_name(*cut.key)] += 1
        per_file[rel] = {
            "phrases": len(cut.rolls),
            "type": item.song.midi_type,
            "tempo": round(cut.tempos[0], 1),
            "notes": item.song.note_count,
            "sections_skipped": len(cut.skipped_parts),
            "metres": metres,
            "key": key_name(*cut.key),
            "shifted": cut.shift,
            "remarks": cut.remarks,
        }
    total = max(1, len(array))
    layout_meta = [{**layout.to_dict(), "share": round(count / total, 6)} for layout, count in ranked]
    grid_details = {"steps_per_beat": grid, "chosen": AUTO if auto else "given"}
    if tally is not None:
        grid_details["loss"] = {str(g): round(loss, 5) for g, loss in tally.losses().items()}
    report.details = {
        "phrases": len(array),
        "files": per_file,
        "empty_phrases_dropped": sum(item.cut.empty_phrases for item in taken),
        "other_files_ignored": others,
        "shape": list(array.shape[1:]),
        "grid": grid_details,
        "layouts": [{"metre": layout.name, "bars": layout.bars, "phrases": count, "share": d["share"],
                     "files": sum(1 for item in taken if layout in item.cut.layouts)}
                    for (layout, count), d in zip(ranked, layout_meta)],
        "files_per_metre": dict(files_per_metre.most_common()),
        "roles_used": {role: usage[role] for role in roles},
        "roles_dropped": [role for role in opts.role_names if role not in roles],
        "keys": dict(keys.most_common()),
    }
    meta = _meta(opts, roles, tempos, programs)
    meta.update({
        "layouts": layout_meta or [{**Layout(4, 4, opts.bars, grid).to_dict(), "share": 1.0}],
        "metre_track": len(layouts) > 1,
        "role_usage": {role: usage[role] for role in roles},
        "grid": grid_details,
        "keys": dict(keys.most_common()),
    })
    if len(array):
        notes = array[:, : len(roles)]
        # How often each pitch sounds in each track: the generator's starting register (nets.OctaveUnfold).
        meta["pitch_prior"] = np.round(notes.mean(axis=(0, 2), dtype=np.float64), 5).tolist()
        meta["voices"] = track_voices(notes)  # decoding keeps each track to as many notes at once
        meta["shortest_notes"] = shortest_notes(notes)  # and holds its notes at least this many steps
    data = torch.from_numpy(array)
    corpus_metrics(Corpus(data, meta, "", report))  # kept in the report, so the cache holds them too
    return data, meta
