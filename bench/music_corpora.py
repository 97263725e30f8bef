"""Public corpora from music21's collection, written as MIDI files into a cache folder outside the repository.

music21 (installed into the venv at bench time if missing) ships scores,
not MIDI; the bench writes them as MIDI once per cache folder and never
commits them.  Each corpus is written as a musician's notation program
would export it, so the importer meets what users bring: one track per
part, named as the score names it, with the part's General MIDI program
where music21 knows the instrument (none otherwise), the score's time
signatures at the bar where each starts (pick-up bars and metre changes
as they are) and its first metronome mark.  Only the chorales keep their
old converter (tracks named by role, pick-ups padded): the issue-3
figures stay comparable with earlier runs.

music21's Irish and British dance-tune collections (ryansMammoth,
oneills1850, the Nottingham set, Aird's airs, and the Irish songs among
the Essen ones) are left alone: they are kept for an independent check.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

TICKS_PER_BEAT = 480
VELOCITY = 80
CONVERTER_VERSION = 1  # bump when the MIDI written from the scores changes
CHORALE_VERSION = 1
VOICE_ROLES = {"soprano": "melody", "alto": "chords", "tenor": "chords", "bass": "bass"}
CHOIR = 52
ESSEN_EVERY = 3  # every third song: about 2,800 of the collection's 8,400, a few minutes to write
ESSEN_LEFT_OUT = ("irl", "test")  # Irish songs (kept aside with the dance tunes) and music21's test files

Notes = list[tuple[float, float, int]]  # (start, end, MIDI pitch) in quarter notes


@dataclass
class Track:
    name: str
    program: int | None  # 0-based General MIDI program; None writes no program change
    notes: Notes


def require_music21() -> Any:
    """music21, installed into this interpreter's environment first if it is missing."""
    try:
        return importlib.import_module("music21")
    except ImportError:
        print("music21 is not installed; installing it into this environment for the corpora "
              f"({sys.executable} -m pip install music21) ...", flush=True)
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "music21"])
        if done.returncode != 0:
            sys.exit("could not install music21 (no network?); install it by hand and run the bench again")
        importlib.invalidate_caches()
        return importlib.import_module("music21")


# ------------------------------------------------------------------ writing
def write_midi(tracks: list[Track], metres: list[tuple[float, int, int]], bpm: float | None, path: Path) -> None:
    """A type-1 MIDI file: a conductor track (tempo, time signatures at their offsets), then one track per part."""
    import mido

    from studio.domains.music.codec import append_notes

    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    meta = [(0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))] if bpm else []
    meta += [(round(at * TICKS_PER_BEAT), mido.MetaMessage("time_signature", numerator=n, denominator=d, time=0))
             for at, n, d in metres]
    now = 0
    for tick, message in meta:
        conductor.append(message.copy(time=tick - now))
        now = tick
    midi.tracks.append(conductor)
    for index, part in enumerate(tracks):
        channel = index if index < 9 else index + 1  # channel 10 (9 here) is General MIDI's drum channel
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part.name, time=0))
        if part.program is not None:
            track.append(mido.Message("program_change", channel=channel, program=part.program, time=0))
        events = ([(round(s * TICKS_PER_BEAT), 1, p) for s, _, p in part.notes]
                  + [(round(e * TICKS_PER_BEAT), 0, p) for _, e, p in part.notes])
        append_notes(track, events, channel, VELOCITY)
        midi.tracks.append(track)
    midi.save(str(path))


def part_notes(part: Any, shift: float = 0.0) -> Notes:
    """(start, end, pitch) of one part, ties merged, grace notes and chord symbols left out."""
    from music21 import harmony

    notes = []
    for n in part.stripTies().flatten().notes:
        if isinstance(n, harmony.ChordSymbol):
            continue
        start = float(n.offset) + shift
        end = start + float(n.quarterLength)
        notes += [(start, end, p.midi) for p in n.pitches if end > start]
    return notes


def score_metres(score: Any) -> list[tuple[float, int, int]]:
    """(offset, numerator, denominator) of each time signature of the score's first part, in order."""
    from music21 import meter

    found: dict[float, tuple[int, int]] = {}
    for sig in score.parts[0].flatten().getElementsByClass(meter.TimeSignature):
        found[float(sig.offset)] = (int(sig.numerator), int(sig.denominator))
    return [(at, n, d) for at, (n, d) in sorted(found.items())]


def score_bpm(score: Any) -> float | None:
    from music21 import tempo

    for mark in score.flatten().getElementsByClass(tempo.MetronomeMark):
        bpm = mark.getQuarterBPM()
        if bpm:
            return float(bpm)
    return None


def part_program(part: Any) -> int | None:
    """The part's General MIDI program where music21 knows its instrument (from the part or its name)."""
    from music21 import instrument

    known = part.getInstrument(returnDefault=False)
    if known is not None and known.midiProgram is not None:
        return int(known.midiProgram)
    try:
        named = instrument.fromString(str(part.partName or ""))
    except (instrument.InstrumentException, ValueError):
        return None
    return int(named.midiProgram) if named.midiProgram is not None else None


def score_tracks(score: Any) -> list[Track]:
    return [Track(str(part.partName or f"part {i + 1}"), part_program(part), part_notes(part))
            for i, part in enumerate(score.parts)]


# ------------------------------------------------------------------ corpora
def _cached(folder: Path, write: Callable[[Path], dict[str, Any]]) -> Path:
    """``folder`` once ``write`` has filled it (a marker file says it finished)."""
    marker = folder / "done.json"
    if marker.exists():
        return folder
    music21 = require_music21()
    folder.mkdir(parents=True, exist_ok=True)
    summary = {**write(folder), "music21": music21.VERSION_STR}
    marker.write_text(json.dumps(summary))
    print(f"  {summary}", flush=True)
    return folder


def _write_chorales(folder: Path) -> dict[str, Any]:
    """Bach's four-part 4/4 chorales, one track per voice named by its role, pick-ups padded to a bar."""
    from music21 import corpus, stream

    paths = [p for p in corpus.getComposer("bach") if p.suffix in (".mxl", ".xml")]
    print(f"writing {len(paths)} chorales as MIDI into {folder} ...", flush=True)
    written = skipped = 0
    for path in paths:
        score = corpus.parse(path)
        parts = {str(p.partName or "").strip().lower(): p for p in score.parts}
        metres = {t.ratioString for t in score.recurse().getElementsByClass("TimeSignature")}
        if not set(VOICE_ROLES) <= set(parts) or metres != {"4/4"}:
            skipped += 1
            continue
        shift = float(parts["soprano"].getElementsByClass(stream.Measure)[0].paddingLeft or 0.0)
        tracks = [Track(VOICE_ROLES[v], CHOIR, part_notes(parts[v], shift)) for v in VOICE_ROLES]
        write_midi(tracks, [(0.0, 4, 4)], 80.0, folder / f"{path.stem}.mid")
        written += 1
    return {"written": written, "left out (not SATB or not all in 4/4)": skipped}


def _write_scores(paths: list[Any]) -> Callable[[Path], dict[str, Any]]:
    """A writer for whole scores (quartets): one file per score, as a notation program exports it."""

    def write(folder: Path) -> dict[str, Any]:
        from music21 import corpus

        print(f"writing {len(paths)} scores as MIDI into {folder} ...", flush=True)
        for path in paths:
            score = corpus.parse(path)
            name = "-".join(Path(path).with_suffix("").parts[-2:])
            write_midi(score_tracks(score), score_metres(score), score_bpm(score), folder / f"{name}.mid")
        return {"written": len(paths)}

    return write


def _write_essen(folder: Path) -> dict[str, Any]:
    """Essen folk songs: one melody track each, no program, the song's metres as written."""
    from music21 import corpus

    paths = sorted(p for p in corpus.getCorePaths()
                   if "essenFolksong" in p.parts and not p.name.startswith(ESSEN_LEFT_OUT))
    print(f"writing one song in {ESSEN_EVERY} of {len(paths)} Essen collections as MIDI into {folder} ...",
          flush=True)
    written = failed = 0
    for path in paths:
        for k, score in enumerate(corpus.parse(path).scores):
            if k % ESSEN_EVERY:
                continue
            try:
                track = Track(str(score.metadata.title or path.stem), None, part_notes(score.parts[0]))
                write_midi([track], score_metres(score), None, folder / f"{path.stem}-{k:04d}.mid")
                written += 1
            except (IndexError, AttributeError, ValueError) as exc:  # music21's reading of a song, not ours
                print(f"  {path.name} song {k}: not written ({exc})", flush=True)
                failed += 1
    return {"written": written, "not converted": failed}


def _composer_scores(*composers: str) -> list[Any]:
    from music21 import corpus

    return [p for c in composers for p in corpus.getComposer(c) if p.suffix == ".mxl"]


@dataclass(frozen=True)
class Source:
    title: str
    kind: str
    folder: Callable[[Path], Path]


def _source(title: str, kind: str, name: str, writer: Callable[[], Callable[[Path], dict[str, Any]]],
            version: int = CONVERTER_VERSION) -> Source:
    return Source(title, kind, lambda cache: _cached(cache / f"{name}-v{version}", writer()))


CORPORA: dict[str, Source] = {
    "chorales": _source("Bach chorales", "four voices, 4/4", "bach-chorales", lambda: _write_chorales,
                        CHORALE_VERSION),
    "essen": _source("Essen folk songs", "one melody, many metres", "essen", lambda: _write_essen),
    "beethoven": _source("Beethoven string quartets", "four strings, metre changes", "beethoven-quartets",
                         lambda: _write_scores(_composer_scores("beethoven"))),
    "haydn-mozart": _source("Haydn and Mozart quartets (and a Mozart sonata)", "strings and piano",
                            "haydn-mozart", lambda: _write_scores(_composer_scores("haydn", "mozart"))),
}


def corpus_folder(name: str, cache: Path) -> Path:
    """The MIDI folder of one corpus of :data:`CORPORA`, written into ``cache`` the first time."""
    return CORPORA[name].folder(cache)
