"""Which role (drums, bass, chords, melody) each part of a song plays, judged by what it plays.

General MIDI programs are a weak hint: tune-book exports leave every track
on the default piano (program 0, often without a program change at all),
and a flute may play chords.  So, in order: drums come only from MIDI
channel 10; a track named exactly like a role keeps it (our own exports read
back exactly); a song whose only pitched part is monophonic is a melody,
whatever its program; a piano part without a program change (the default,
not a choice) is judged by range and polyphony and split into bass plus
chords or melody when it has a clear low line under its other notes; then
the General MIDI family decides, except that a single line in a family of
chord instruments (a string quartet's parts) is the melody when it is the
song's highest part and the bass when it is its lowest and low, as the
chorales' voices are; for families that play anything (piano, guitar ...)
the notes do.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from studio.domains.music.roll import DRUMS, MERGED_ROLES, gm_family

if TYPE_CHECKING:
    from studio.domains.music.codec import Part, RollOptions

DRUM_CHANNEL = 9  # General MIDI channel 10
MELODY_FAMILIES = frozenset({"synth lead", "brass", "reed", "pipe"})
CHORD_FAMILIES = frozenset({"organ", "strings", "ensemble", "synth pad"})
MONOPHONIC = 1.1
"""Mean notes sounding at once below this is one line (legato overlaps of played MIDI stay under it)."""
POLYPHONIC = 1.5
BASS_BELOW = 48  # C3: a line whose mean pitch is lower plays the bass
LOW_LINE_MEDIAN = 55  # G3: a low line is a bass line when its median pitch is at most this
LOW_LINE_GAP = 12
"""Semitones between the medians of the low line and the notes above it for the split to count as clear."""


@dataclass
class RolePart:
    """Notes (start tick, end tick, pitch) one role takes from one part."""

    role: str
    program: int
    notes: np.ndarray


def polyphony(notes: np.ndarray) -> float:
    """Mean number of notes sounding while any sounds (1 for a melody, 3 or so for block chords)."""
    if len(notes) == 0:
        return 0.0
    covered, reach = 0, -1
    for start, end in notes[np.argsort(notes[:, 0]), :2]:
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return float((notes[:, 1] - notes[:, 0]).sum()) / max(1, covered)


def low_line(notes: np.ndarray) -> np.ndarray:
    """Mask of the notes that are the lowest sounding when they start (the bass line of a piano part)."""
    order = np.lexsort((notes[:, 2], notes[:, 0]))
    lowest = np.zeros(len(notes), dtype=bool)
    sounding: list[tuple[int, int]] = []  # (end, pitch) of notes started earlier
    previous_start = None
    for i in order:
        start, end, pitch = (int(v) for v in notes[i])
        sounding = [(e, p) for e, p in sounding if e > start]
        if start != previous_start:
            lowest[i] = all(pitch <= p for _, p in sounding)
        previous_start = start
        sounding.append((end, pitch))
    return lowest


def _split_piano(part: "Part") -> list[RolePart] | None:
    """Bass plus chords (or melody) when a polyphonic part has a clear low line; None when it has not."""
    low = low_line(part.notes)
    if low.all() or not low.any():
        return None
    bass, upper = part.notes[low], part.notes[~low]
    if polyphony(bass) >= MONOPHONIC or np.median(bass[:, 2]) > LOW_LINE_MEDIAN:
        return None
    if np.median(upper[:, 2]) - np.median(bass[:, 2]) < LOW_LINE_GAP or bass[:, 2].max() >= upper[:, 2].min() + 5:
        return None
    top = "chords" if polyphony(upper) >= POLYPHONIC else "melody"
    return [RolePart("bass", part.program, bass), RolePart(top, part.program, upper)]


def _by_notes(notes: np.ndarray) -> str:
    if polyphony(notes) >= POLYPHONIC:
        return "chords"
    return "bass" if float(notes[:, 2].mean()) < BASS_BELOW else "melody"


@dataclass(frozen=True)
class _Ensemble:
    """What a part's role may depend on beyond its own notes: the song's other pitched parts."""

    solo: bool  # the song's only pitched part is one line
    top: int  # id() of the pitched part with the highest mean pitch
    bottom: int  # ... and of the one with the lowest


def _ensemble(pitched: list["Part"]) -> _Ensemble:
    means = {id(p): float(p.notes[:, 2].mean()) for p in pitched}
    solo = len(pitched) == 1 and polyphony(pitched[0].notes) < MONOPHONIC
    return _Ensemble(solo, max(means, key=means.__getitem__, default=0), min(means, key=means.__getitem__, default=0))


def assign_parts(parts: list["Part"], opts: "RollOptions") -> tuple[list[RolePart], bool]:
    """Each part's notes under their role(s); also whether drums were left out (drums off or merged)."""
    out: list[RolePart] = []
    dropped_drums = False
    ensemble = _ensemble([p for p in parts if p.channel != DRUM_CHANNEL and len(p.notes)])
    for part in parts:
        if len(part.notes) == 0:
            continue
        if part.channel == DRUM_CHANNEL:
            if DRUMS in opts.role_names:
                out.append(RolePart(DRUMS, part.program, part.notes))
            else:
                dropped_drums = True
            continue
        if opts.roles == "merged":
            out.append(RolePart(MERGED_ROLES[0], part.program, part.notes))
            continue
        out += _pitched_roles(part, opts, ensemble)
    return out, dropped_drums


def _pitched_roles(part: "Part", opts: "RollOptions", ensemble: _Ensemble) -> list[RolePart]:
    named = part.name.lower()
    if named in opts.role_names and named != DRUMS:
        return [RolePart(named, part.program, part.notes)]
    if ensemble.solo:
        return [RolePart("melody", part.program, part.notes)]
    family = gm_family(part.program)
    if family == "piano" and not part.has_program:
        if polyphony(part.notes) >= POLYPHONIC:
            split = _split_piano(part)
            if split is not None:
                return split
        return [RolePart(_by_notes(part.notes), part.program, part.notes)]
    if family == "bass":
        return [RolePart("bass", part.program, part.notes)]
    if family in MELODY_FAMILIES:
        return [RolePart("melody", part.program, part.notes)]
    if family in CHORD_FAMILIES:
        if polyphony(part.notes) < MONOPHONIC and id(part) == ensemble.top:
            return [RolePart("melody", part.program, part.notes)]
        if polyphony(part.notes) < MONOPHONIC and id(part) == ensemble.bottom and (
                np.median(part.notes[:, 2]) <= LOW_LINE_MEDIAN):
            return [RolePart("bass", part.program, part.notes)]
        return [RolePart("chords", part.program, part.notes)]
    return [RolePart(_by_notes(part.notes), part.program, part.notes)]
