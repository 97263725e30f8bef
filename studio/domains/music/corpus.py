"""Turns a folder of MIDI files into one phrases x tracks x steps x pitches uint8 tensor, and says what it left out.

MIDI found in the wild is messy: type 2 files, SMPTE timing, waltzes,
hour-long improvisations, files cut short by a download, audio renamed to
``.mid``.  Each file either gives phrases or one line in the report naming
its problem (sections in another metre get their own lines); nothing here
raises for a bad file.
"""
from __future__ import annotations

import os
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import corpus_cache
from studio.core.domain import CancelFn, Corpus, ImportCancelled, ImportReport, ProgressFn
from studio.domains.music.codec import MidiProblem, RollOptions, choose_programs, cut_phrases, read_song
from studio.domains.music.metrics import corpus_metrics
from studio.domains.music.voices import shortest_notes, track_voices

DOMAIN = "music"
IMPORTER_VERSION = 4
"""Part of the cache key: bump it when the rolls an import produces change."""
MIDI_SUFFIXES = frozenset({".mid", ".midi", ".smf", ".kar", ".rmi"})
MAX_CORPUS_BYTES = 1 << 30
"""The corpus tensor stays under this; later files are reported as left out."""


def _list_midi(folder: Path) -> tuple[list[Path], int]:
    """MIDI files under ``folder`` (recursive, stable order) and how many other visible files were passed over."""
    found, others = [], 0
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d.lower() != "__macosx")
        for name in sorted(names):
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in MIDI_SUFFIXES:
                found.append(Path(root) / name)
            else:
                others += 1
    return found, others


def _max_phrases(options: dict[str, Any], opts: RollOptions) -> int:
    tracks = len(opts.role_names)
    by_memory = MAX_CORPUS_BYTES // (tracks * opts.phrase_steps * opts.pitches)
    return int(min(by_memory, options.get("max_phrases", by_memory)))


def _meta(opts: RollOptions, tempos: list[float], programs: dict[str, Counter]) -> dict[str, Any]:
    roles = list(opts.role_names)
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
    }


def import_midi(
    folder: str | Path,
    options: dict[str, Any],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Corpus:
    """Imports every MIDI file under ``folder`` as phrases (see :class:`RollOptions` for ``options``).

    A folder already imported with the same files and options comes back from
    the cache at once (``report.from_cache``).  Raises ``NotADirectoryError``
    when ``folder`` is not a folder, ``ValueError`` for bad options and
    :class:`ImportCancelled` on cancel.
    """
    import torch

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")
    opts = RollOptions.from_dict(options)
    files, others = _list_midi(folder)
    limit = _max_phrases(options, opts)
    key = {**opts.to_dict(), "max_phrases": limit, "importer_version": IMPORTER_VERSION}
    fingerprint = corpus_cache.folder_fingerprint(DOMAIN, folder, files, key)
    cached = corpus_cache.load_cached(DOMAIN, fingerprint)
    if cached is not None:
        if progress is not None:
            progress(len(files), len(files), "")
        return cached

    report = ImportReport(folder=str(folder), files_seen=len(files))
    rolls: list[np.ndarray] = []
    tempos: list[float] = []
    programs: dict[str, Counter] = defaultdict(Counter)
    per_file: dict[str, dict[str, Any]] = {}
    empty_phrases = 0
    for done, path in enumerate(files, start=1):
        if cancel is not None and cancel():
            raise ImportCancelled("import cancelled")
        rel = str(path.relative_to(folder))
        if len(rolls) >= limit:
            report.skip(path, f"left out: the corpus is full ({limit} phrases)")
        else:
            try:
                song = read_song(path)
                cut = cut_phrases(song, opts)
            except MidiProblem as err:
                report.skip(path, str(err))
            except MemoryError:
                report.skip(path, "too large to read in the available memory")
            except Exception as err:  # a file no rule above foresaw must not end the whole import
                report.skip(path, f"could not be read ({type(err).__name__}: {err})")
            else:
                for part in cut.skipped_parts:
                    report.skip(path, part)
                if cut.reason:
                    report.skip(path, cut.reason)
                else:
                    take = cut.rolls[: limit - len(rolls)]
                    rolls += take
                    tempos += cut.tempos[: len(take)]
                    for role, counter in cut.programs.items():
                        programs[role].update(counter)
                    empty_phrases += cut.empty_phrases
                    report.imported.append(str(path))
                    per_file[rel] = {
                        "phrases": len(take),
                        "type": song.midi_type,
                        "tempo": round(cut.tempos[0], 1),
                        "notes": song.note_count,
                        "sections_skipped": len(cut.skipped_parts),
                    }
        if progress is not None:
            progress(done, len(files), str(path))

    shape = (len(opts.role_names), opts.phrase_steps, opts.pitches)
    array = np.stack(rolls) if rolls else np.zeros((0, *shape), dtype=np.uint8)
    report.items = len(rolls)
    report.details = {
        "phrases": len(rolls),
        "files": per_file,
        "empty_phrases_dropped": empty_phrases,
        "other_files_ignored": others,
        "shape": list(shape),
    }
    meta = _meta(opts, tempos, programs)
    if rolls:
        # How often each pitch sounds in each track: the generator's starting register (nets.OctaveUnfold).
        meta["pitch_prior"] = np.round(array.mean(axis=(0, 2), dtype=np.float64), 5).tolist()
        meta["voices"] = track_voices(array)  # decoding keeps each track to as many notes at once
        meta["shortest_notes"] = shortest_notes(array)  # and holds its notes at least this many steps
    corpus = Corpus(data=torch.from_numpy(array), meta=meta, fingerprint=fingerprint, report=report)
    corpus_metrics(corpus)  # kept in the report, so the cache holds the reference figures too
    corpus_cache.store(DOMAIN, corpus)
    return corpus
