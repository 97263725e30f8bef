"""Piano-roll helpers shared by the importer, codec, synth and metrics: the Clip artifact, roles, notes, pictures.

A roll is a binary array tracks x steps x pitches (row 0 = the lowest pitch).
Pitched tracks hold sustained notes: a run of on-cells is one note, and the
importer leaves a one-step gap before a re-struck pitch so runs stay
separate.  The drum track holds onsets only: every on-cell is one hit.  With
these two conventions roll -> notes -> roll is exact.

A clip knows its metre (``numerator``/``denominator``, and for pieces
joined from clips of several metres the later changes), so pictures draw
its bar lines and exports write its time signatures; a clip decoded from a
phrase holds just its layout's bars (layout.py), not the silence after.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Sequence

import numpy as np

from studio.domains.music.layout import QUARTERS_PER_BLOCK, Layout, has_metre_track, layout_indices, layouts_of

BEATS_PER_BAR = QUARTERS_PER_BLOCK
"""Quarters in one block of the nets' grid, for the modules that still count phrases in blocks; a clip's
real bar comes from its metre (:attr:`Clip.steps_per_bar`)."""
DRUMS = "drums"
MULTI_ROLES: tuple[str, ...] = (DRUMS, "bass", "chords", "melody")
MERGED_ROLES: tuple[str, ...] = ("piano",)
DEFAULT_PROGRAMS = {DRUMS: 0, "bass": 33, "chords": 0, "melody": 73, "piano": 0}
"""General MIDI programs (0-based) used when a corpus gives no better choice:
fingered bass, grand piano, flute."""

GM_FAMILIES = (
    "piano", "chromatic percussion", "organ", "guitar", "bass", "strings", "ensemble", "brass",
    "reed", "pipe", "synth lead", "synth pad", "synth effects", "ethnic", "percussive", "sound effects",
)

ROLE_COLOURS = {
    DRUMS: (235, 200, 70),
    "bass": (80, 170, 255),
    "chords": (120, 220, 120),
    "melody": (255, 110, 130),
    "piano": (230, 230, 235),
}
_FALLBACK_COLOURS = ((200, 140, 255), (255, 170, 80), (90, 230, 220))


def gm_family(program: int) -> str:
    """The General MIDI family name of a 0-based program number."""
    return GM_FAMILIES[max(0, min(127, int(program))) // 8]


@dataclass
class Clip:
    """One generated or imported phrase: what the UI draws, plays and exports.

    ``programs`` are General MIDI programs per track; the user may change them
    (``with_programs``) before listening or exporting.
    """

    roll: np.ndarray  # uint8, tracks x steps x pitches, 0/1
    steps_per_beat: int = 4
    lowest: int = 24  # MIDI pitch of roll row 0
    roles: list[str] = field(default_factory=lambda: list(MERGED_ROLES))
    programs: list[int] = field(default_factory=lambda: [0])
    tempo: float = 120.0  # beats per minute
    velocity: int = 100
    numerator: int = 4  # the time signature the clip starts in
    denominator: int = 4
    metre_changes: tuple[tuple[int, int, int], ...] = ()  # (step, numerator, denominator) after the start

    def __post_init__(self) -> None:
        self.roll = np.asarray(self.roll, dtype=np.uint8)
        if self.roll.ndim != 3:
            raise ValueError(f"a clip's roll must be tracks x steps x pitches, got shape {self.roll.shape}")
        if len(self.roles) != self.roll.shape[0] or len(self.programs) != self.roll.shape[0]:
            raise ValueError(
                f"{self.roll.shape[0]} tracks need as many roles and programs "
                f"(got {len(self.roles)} roles, {len(self.programs)} programs)"
            )

    @property
    def steps(self) -> int:
        return int(self.roll.shape[1])

    @property
    def pitches(self) -> int:
        return int(self.roll.shape[2])

    @property
    def metres(self) -> list[tuple[int, int, int]]:
        """(first step, numerator, denominator) of each stretch in one metre, in time order."""
        return [(0, self.numerator, self.denominator), *self.metre_changes]

    def metre_spans(self) -> list[tuple[int, int, Layout]]:
        """(start step, end step, one bar of its metre on the clip's grid) of each stretch in one metre."""
        ends = [step for step, _, _ in self.metres[1:]] + [self.steps]
        return [(start, end, Layout(num, den, 1, self.steps_per_beat))
                for (start, num, den), end in zip(self.metres, ends) if end > start]

    @property
    def steps_per_bar(self) -> float:
        """Steps in a bar of the clip's first metre (a whole number on any grid the importer chose)."""
        return float(Layout(self.numerator, self.denominator, 1, self.steps_per_beat).bar_steps)

    @property
    def bars(self) -> float:
        return sum((end - start) / float(bar.bar_steps) for start, end, bar in self.metre_spans())

    @property
    def metre_name(self) -> str:
        """"3/4", or "3/4 -> 6/8" for a piece that changes metre."""
        names = [f"{num}/{den}" for _, num, den in self.metres]
        return " -> ".join(n for i, n in enumerate(names) if i == 0 or n != names[i - 1])

    @property
    def seconds(self) -> float:
        return self.steps / self.steps_per_beat * 60.0 / self.tempo

    def with_programs(self, programs: Sequence[int]) -> "Clip":
        return replace(self, roll=self.roll, programs=[int(p) for p in programs])

    def note_count(self) -> int:
        return sum(len(track_notes(self.roll[t], self.roles[t] == DRUMS)) for t in range(self.roll.shape[0]))


def clip_from_meta(roll: np.ndarray, meta: dict[str, Any], layout: int | None = None) -> Clip:
    """A clip carrying a corpus's grid, roles, programs and tempo, in the metre of its phrase's layout.

    ``roll`` is a corpus row or a decoded phrase: with the corpus's metre
    track (its layout is read from it), or the role tracks alone with
    ``layout`` saying which.  The clip keeps the role tracks and only the
    steps of its layout's bars.
    """
    roll = np.asarray(roll)
    roles = list(meta["roles"])
    if has_metre_track(meta) and roll.shape[0] == len(roles) + 1:
        if layout is None:
            layout = int(layout_indices(roll[None], meta)[0])
        roll = roll[: len(roles)]
    if roll.shape[0] != len(roles):
        raise ValueError(f"a phrase of {roll.shape[0]} tracks does not fit the corpus's roles {', '.join(roles)}")
    chosen = layouts_of(meta)[layout or 0]
    return Clip(
        roll=roll[:, : chosen.steps],
        steps_per_beat=int(meta["steps_per_beat"]),
        lowest=int(meta["lowest"]),
        roles=roles,
        programs=[int(p) for p in meta["programs"]],
        tempo=float(meta.get("tempo", 120.0)),
        numerator=chosen.numerator,
        denominator=chosen.denominator,
    )


class Note(NamedTuple):
    row: int  # pitch row (MIDI pitch - lowest)
    start: int  # first step
    end: int  # one past the last step


def track_notes(track: np.ndarray, drums: bool) -> list[Note]:
    """Notes of one steps x pitches track: runs of on-cells, or single-step hits for drums."""
    on = np.asarray(track) > 0
    if drums:
        steps, rows = np.nonzero(on)
        order = np.lexsort((rows, steps))
        return [Note(int(rows[i]), int(steps[i]), int(steps[i]) + 1) for i in order]
    padded = np.zeros((on.shape[0] + 2, on.shape[1]), dtype=np.int8)
    padded[1:-1] = on
    edges = np.diff(padded, axis=0)
    start_steps, start_rows = np.nonzero(edges == 1)
    end_steps, end_rows = np.nonzero(edges == -1)
    # Both lists come out in (step, row) order; sorting by (row, step) pairs each start with its end.
    s = np.lexsort((start_steps, start_rows))
    e = np.lexsort((end_steps, end_rows))
    notes = [Note(int(r), int(a), int(b)) for r, a, b in zip(start_rows[s], start_steps[s], end_steps[e])]
    notes.sort(key=lambda n: (n.start, n.row))
    return notes


def concat_clips(clips: Sequence[Clip]) -> Clip:
    """Clips one after another in time (a walk or a grid exported as one piece); the first sets tempo and
    instruments, each clip keeps its metre (a change is noted where the metre changes)."""
    if not clips:
        raise ValueError("nothing to join: no clips")
    first = clips[0]
    for clip in clips[1:]:
        if clip.roll.shape[0] != first.roll.shape[0] or clip.pitches != first.pitches:
            raise ValueError("clips with different tracks or pitch ranges cannot be joined")
    changes: list[tuple[int, int, int]] = []
    current, offset = (first.numerator, first.denominator), 0
    for clip in clips:
        for step, num, den in clip.metres:
            if (num, den) != current:
                changes.append((offset + step, num, den))
                current = (num, den)
        offset += clip.steps
    return replace(first, roll=np.concatenate([c.roll for c in clips], axis=1), metre_changes=tuple(changes))


# --------------------------------------------------------------------- pictures
def _colour(role: str, index: int) -> np.ndarray:
    rgb = ROLE_COLOURS.get(role, _FALLBACK_COLOURS[index % len(_FALLBACK_COLOURS)])
    return np.array(rgb, dtype=np.float32)


def _marks(start: int, end: int, every: Any) -> list[int]:
    """Steps from ``start`` every ``every`` steps (a Fraction: a dotted beat on a coarse grid) before ``end``."""
    count = int(np.ceil((end - start) / every)) if every > 0 else 0
    return [start + int(k * every) for k in range(count) if start + int(k * every) < end]


def roll_image(clip: Clip, scale: int = 2) -> np.ndarray:
    """A piano-roll picture (time left to right, high pitches on top) as an H x W x 3 uint8 array.

    Each track has its own colour (overlaps are mixed), bars of the clip's
    metre get bright lines, its beats (dotted quarters in 6/8) faint ones,
    and every C gets an octave line, so a thumbnail reads like a sequencer
    view without any Qt.
    """
    scale = max(1, int(scale))
    roll = clip.roll > 0
    tracks, steps, pitches = roll.shape
    base = np.full((pitches, steps, 3), 24.0, dtype=np.float32)
    c_rows = [r for r in range(pitches) if (clip.lowest + r) % 12 == 0]
    black_keys = [r for r in range(pitches) if (clip.lowest + r) % 12 in (1, 3, 6, 8, 10)]
    base[black_keys] = 18.0
    base[c_rows] = 44.0
    for start, end, bar in clip.metre_spans():
        base[:, _marks(start, end, bar.beat_steps)] += 10.0
        base[:, _marks(start, end, bar.bar_steps)] = 78.0
    colour_sum = np.zeros_like(base)
    count = np.zeros((pitches, steps, 1), dtype=np.float32)
    starts = np.zeros((pitches, steps), dtype=bool)
    for t in range(tracks):
        on = roll[t].T  # pitches x steps
        role = clip.roles[t] if t < len(clip.roles) else ""
        colour_sum += on[..., None] * _colour(role, t)
        count += on[..., None]
        starts |= on if role == DRUMS else on & ~np.pad(on, ((0, 0), (1, 0)))[:, :-1]
    painted = np.where(count > 0, colour_sum / np.maximum(count, 1.0), base)
    image = np.repeat(np.repeat(painted[::-1], scale, axis=0), scale, axis=1)
    if scale >= 3:
        # A darker first column marks each note's start, so repeated notes read as separate.
        rows, cols = np.nonzero(starts[::-1])
        for dy in range(scale):
            image[rows * scale + dy, cols * scale] *= 0.6
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)
